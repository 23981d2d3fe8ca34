/* SPDX-License-Identifier: MIT */
/*
 * zarr_meta.c - array metadata, Zarr v2 (.zarray) and v3 (zarr.json), into
 * struct zarr_array: what the output looks like (numpy dtype, fill value)
 * and how one chunk turns into array bytes (a stage chain in decode order
 * and the chunk's memory order).
 *
 * Everything outside what lsio can decode is refused here, by name, so a
 * job is only ever generated for data it will read correctly.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "zarr.h"
#include "zarr_meta.h"

/* --- shared helpers --------------------------------------------------------- */

/* A list of ndim dimension sizes, each >= lo. */
int zarr_meta_dims(struct meta_ctx *m, json_t *v, const char *name,
		   uint64_t lo, uint64_t *out, uint32_t *ndim)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return meta_fail(m, "'%s' must be a list of integers", name);
	if (json_array_size(v) > LSIO_MAX_DIMS)
		return meta_fail(m, "'%s' has %zu dimensions, at most %d are supported",
				 name, json_array_size(v), LSIO_MAX_DIMS);
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < (json_int_t)lo)
			return meta_fail(m, "'%s'[%zu] must be an integer >= %llu",
					 name, i, (unsigned long long)lo);
		out[i] = (uint64_t)json_integer_value(e);
	}
	if (*ndim != UINT32_MAX && json_array_size(v) != *ndim)
		return meta_fail(m, "'%s' has %zu dimensions, the array %u",
				 name, json_array_size(v), *ndim);
	*ndim = (uint32_t)json_array_size(v);
	return 0;
}

int meta_fail(struct meta_ctx *m, const char *fmt, ...)
{
	char msg[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return zarr_fail(m->ctx, -LSIO_EJOB, m->store, m->key, "%s", msg);
}

/* Append to the --list description of the codecs. */
void meta_desc(struct meta_ctx *m, const char *fmt, ...)
{
	size_t n = strlen(m->desc);
	va_list ap;

	if (n + 1 >= sizeof(m->desc))
		return;
	va_start(ap, fmt);
	vsnprintf(m->desc + n, sizeof(m->desc) - n, fmt, ap);
	va_end(ap);
}

/* The dtype must be one lsio's output and stages handle: numbers,
 * booleans, datetimes. */
int meta_dtype(struct meta_ctx *m, const char *text, struct zarr_array *a)
{
	if (lsio_dtype_parse(text, &a->dtype) || !strchr("biufcMm", a->dtype.kind))
		return meta_fail(m, "unsupported data type '%s'", text);
	if (strchr("Mm", a->dtype.kind) && !strchr(text, '['))
		return meta_fail(m, "unsupported data type '%s' (a datetime needs a unit)",
				 text);
	return 0;
}

/* Take fill (a new reference) as the output's fill_value, after checking
 * that the job will accept it for the dtype.  NULL: its maker failed. */
int meta_fill(struct meta_ctx *m, json_t *fill, struct zarr_array *a)
{
	uint8_t buf[16];
	char why[200];

	if (!fill)
		return -LSIO_EJOB;	/* whoever made it NULL said why */
	if (lsio_fill_encode(&a->dtype, fill, buf, why, sizeof(why))) {
		json_decref(fill);
		return meta_fail(m, "fill_value: %s", why);
	}
	a->fill = fill;
	return 0;
}

/* A complex fill value [re, im]: the output's fill_value holds one number,
 * so only a real one is taken. */
json_t *meta_complex_fill(struct meta_ctx *m, json_t *v,
			  json_t *(*part)(struct meta_ctx *, json_t *))
{
	json_t *im;

	if (!json_is_array(v) || json_array_size(v) != 2)
		return part(m, v);
	im = part(m, json_array_get(v, 1));
	if (!im || !(json_is_number(im) && json_number_value(im) == 0)) {
		json_decref(im);
		meta_fail(m, "fill_value: a complex fill value with an imaginary part is not supported");
		return NULL;
	}
	json_decref(im);
	return part(m, json_array_get(v, 0));
}

/* --- chunk keys ------------------------------------------------------------- */

int zarr_chunk_key(const struct zarr_array *a, const uint64_t *idx,
		   char *buf, size_t cap)
{
	size_t n = 0;
	int r;

	if (*a->path) {
		r = snprintf(buf, cap, "%s/", a->path);
		if (r < 0 || (size_t)r >= cap)
			return -ENAMETOOLONG;
		n = (size_t)r;
	}
	if (a->keys == ZARR_KEYS_DEFAULT)
		r = snprintf(buf + n, cap - n, "c");
	else
		r = snprintf(buf + n, cap - n, a->ndim ? "" : "0");
	for (uint32_t d = 0; r >= 0 && (size_t)r < cap - n && d < a->ndim; d++) {
		n += (size_t)r;
		r = snprintf(buf + n, cap - n, "%s%llu",
			     d || a->keys == ZARR_KEYS_DEFAULT ?
			     (a->sep == '/' ? "/" : ".") : "",
			     (unsigned long long)idx[d]);
	}
	if (r < 0 || (size_t)r >= cap - n)
		return -ENAMETOOLONG;
	return 0;
}

/* --- entry ------------------------------------------------------------------ */

int zarr_array_parse(struct lsio_ctx *ctx, const struct zarr_store *s,
		     const char *key, json_t *meta, struct zarr_array *a)
{
	struct meta_ctx m = { ctx, s, key, a, "" };
	json_t *fmt = json_object_get(meta, "zarr_format");
	int ret;

	a->ndim = UINT32_MAX;
	a->order = 'C';
	if (!json_is_object(meta))
		return meta_fail(&m, "not Zarr metadata (not a JSON object)");
	if (json_is_integer(fmt) && json_integer_value(fmt) == 2)
		ret = zarr_v2_parse(&m, meta, a);
	else if (json_is_integer(fmt) && json_integer_value(fmt) == 3)
		ret = zarr_v3_parse(&m, meta, a);
	else
		ret = meta_fail(&m, "not Zarr metadata (zarr_format is not 2 or 3)");
	if (!ret) {
		a->codecs = strdup(m.desc[0] ? m.desc : "none");
		if (!a->codecs)
			ret = meta_fail(&m, "out of memory");
	}
	return ret;
}

void zarr_array_release(struct zarr_array *a)
{
	free(a->path);
	json_decref(a->fill);
	json_decref(a->stages);
	free(a->codecs);
	memset(a, 0, sizeof(*a));
}
