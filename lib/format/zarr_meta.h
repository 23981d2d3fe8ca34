/* SPDX-License-Identifier: MIT */
/*
 * zarr_meta.h - what the metadata parsers share: zarr_meta.c (helpers,
 * chunk keys, the entry point), zarr_v2.c and zarr_v3.c.
 */
#ifndef LSIO_ZARR_META_H
#define LSIO_ZARR_META_H

#include "zarr.h"

/* The metadata being parsed, for messages, and the codec description
 * built on the way. */
struct meta_ctx {
	struct lsio_ctx *ctx;
	const struct zarr_store *store;
	const char *key;
	struct zarr_array *a;	/* being filled */
	char desc[256];
};

/* Fail naming the store and key; returns -LSIO_EJOB. */
int meta_fail(struct meta_ctx *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void meta_desc(struct meta_ctx *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A list of dimension sizes >= lo into out; *ndim is checked against the
 * list's length unless it is UINT32_MAX, then set. */
int zarr_meta_dims(struct meta_ctx *m, json_t *v, const char *name,
		   uint64_t lo, uint64_t *out, uint32_t *ndim);
int meta_dtype(struct meta_ctx *m, const char *text, struct zarr_array *a);
int meta_fill(struct meta_ctx *m, json_t *fill, struct zarr_array *a);
json_t *meta_complex_fill(struct meta_ctx *m, json_t *v,
			  json_t *(*part)(struct meta_ctx *, json_t *));

/* obj[key] if it is a string, else dflt. */
static inline const char *meta_str(json_t *obj, const char *key,
				   const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

int zarr_v2_parse(struct meta_ctx *m, json_t *meta, struct zarr_array *a);
int zarr_v3_parse(struct meta_ctx *m, json_t *meta, struct zarr_array *a);

#endif /* LSIO_ZARR_META_H */
