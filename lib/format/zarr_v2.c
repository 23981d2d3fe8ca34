/* SPDX-License-Identifier: MIT */
/*
 * zarr_v2.c - a Zarr v2 .zarray: shape, chunks, a numpy dtype string, the
 * compressor (one numcodecs codec or null), filters (numcodecs codecs
 * applied before it), order C or F, fill_value and the chunk key
 * separator.
 *
 * A chunk is decoded by undoing the compressor, then the filters in
 * reverse.  The dtype, byte order included, is the output's: a ">i8"
 * array becomes a ">i8" .npy, as zarr-python returns it.
 */
#include <string.h>

#include "zarr_meta.h"

static const char *blosc_shuffle_name(json_int_t v)
{
	switch (v) {
	case 0:
		return "noshuffle";
	case 1:
		return "shuffle";
	case 2:
		return "bitshuffle";
	default:
		return "autoshuffle";
	}
}

/* The --list description of one numcodecs codec. */
static void v2_desc(struct meta_ctx *m, const char *id, json_t *cfg)
{
	json_t *level = json_object_get(cfg, "level");

	if (m->desc[0])
		meta_desc(m, ", ");
	if (!strcmp(id, "blosc"))
		meta_desc(m, "blosc(%s, %s, clevel %lld)",
			  json_string_value(json_object_get(cfg, "cname")) ?: "?",
			  blosc_shuffle_name(json_integer_value(json_object_get(cfg, "shuffle"))),
			  (long long)json_integer_value(json_object_get(cfg, "clevel")));
	else if (!strcmp(id, "shuffle"))
		meta_desc(m, "shuffle(%lld)",
			  (long long)json_integer_value(json_object_get(cfg, "elementsize")));
	else if (json_is_integer(level))
		meta_desc(m, "%s(level %lld)", id, (long long)json_integer_value(level));
	else
		meta_desc(m, "%s", id);
}

/* The stage that undoes compressor cfg, NULL (after failing) if none. */
static json_t *v2_compressor(struct meta_ctx *m, json_t *cfg)
{
	const char *id = json_string_value(json_object_get(cfg, "id"));

	if (!id) {
		meta_fail(m, "compressor: expected an object with an \"id\"");
		return NULL;
	}
	v2_desc(m, id, cfg);
	if (!strcmp(id, "zstd") || !strcmp(id, "blosc") ||
	    !strcmp(id, "gzip") || !strcmp(id, "zlib"))
		return json_string(id);
	/* numcodecs.LZ4: 4-byte little-endian size, then an LZ4 block. */
	if (!strcmp(id, "lz4"))
		return json_pack("{s:s, s:s}", "codec", "lz4", "format",
				 "numcodecs");
	meta_fail(m, "unsupported compressor '%s' (lsio reads zstd, lz4, blosc, gzip, zlib or none)",
		  id);
	return NULL;
}

static json_t *v2_filter(struct meta_ctx *m, json_t *cfg)
{
	const char *id = json_string_value(json_object_get(cfg, "id"));
	json_t *es = json_object_get(cfg, "elementsize");

	if (!id) {
		meta_fail(m, "filters: expected objects with an \"id\"");
		return NULL;
	}
	v2_desc(m, id, cfg);
	if (strcmp(id, "shuffle")) {
		meta_fail(m, "unsupported filter '%s' (lsio undoes shuffle only)",
			  id);
		return NULL;
	}
	if (!json_is_integer(es) || json_integer_value(es) < 1)
		return json_pack("{s:s}", "codec", "shuffle");
	return json_pack("{s:s, s:I}", "codec", "shuffle", "elementsize",
			 json_integer_value(es));
}

/* Decode order: the compressor first, then the filters last to first. */
static int v2_stages(struct meta_ctx *m, json_t *meta, struct zarr_array *a)
{
	json_t *comp = json_object_get(meta, "compressor");
	json_t *filters = json_object_get(meta, "filters");
	json_t *st[LSIO_MAX_DIMS + 1] = { NULL };
	size_t nf = 0, i;
	int ret = 0;

	if (filters && !json_is_null(filters) && !json_is_array(filters))
		return meta_fail(m, "filters: expected a list or null");
	nf = json_array_size(filters);
	if (nf > LSIO_MAX_DIMS)
		return meta_fail(m, "filters: more than %d", LSIO_MAX_DIMS);
	for (i = 0; i < nf && !ret; i++)
		if (!(st[i] = v2_filter(m, json_array_get(filters, i))))
			ret = -LSIO_EJOB;
	if (!ret && comp && !json_is_null(comp) &&
	    !(st[nf] = v2_compressor(m, comp)))
		ret = -LSIO_EJOB;
	a->stages = json_array();
	if (!a->stages && !ret)
		ret = meta_fail(m, "out of memory");
	if (!ret && st[nf])
		json_array_append(a->stages, st[nf]);
	for (i = nf; !ret && i-- > 0;)
		json_array_append(a->stages, st[i]);
	for (i = 0; i <= nf; i++)
		json_decref(st[i]);
	return ret;
}

static json_t *v2_fill_part(struct meta_ctx *m, json_t *v)
{
	return json_incref(v ? v : json_null());
}

static int v2_layout(struct meta_ctx *m, json_t *meta, struct zarr_array *a)
{
	json_t *order = json_object_get(meta, "order");
	json_t *sep = json_object_get(meta, "dimension_separator");
	const char *o = json_string_value(order);
	const char *sp = json_string_value(sep);

	if (!o || (strcmp(o, "C") && strcmp(o, "F")))
		return meta_fail(m, "order: expected \"C\" or \"F\"");
	a->order = o[0];
	if (sep && !json_is_null(sep) &&
	    (!sp || (strcmp(sp, ".") && strcmp(sp, "/"))))
		return meta_fail(m, "dimension_separator: expected \".\" or \"/\"");
	a->sep = sp ? sp[0] : '.';
	a->keys = ZARR_KEYS_V2;
	return 0;
}

int zarr_v2_parse(struct meta_ctx *m, json_t *meta, struct zarr_array *a)
{
	json_t *dtype = json_object_get(meta, "dtype");
	int ret;

	a->format = 2;
	ret = zarr_meta_dims(m, json_object_get(meta, "shape"), "shape", 0,
			     a->shape, &a->ndim);
	if (!ret)
		ret = zarr_meta_dims(m, json_object_get(meta, "chunks"),
				     "chunks", 1, a->chunks, &a->ndim);
	if (!ret && !json_is_string(dtype))
		ret = meta_fail(m, "unsupported data type (a structured dtype)");
	if (!ret)
		ret = meta_dtype(m, json_string_value(dtype), a);
	if (!ret)
		ret = v2_layout(m, meta, a);
	if (!ret)
		ret = v2_stages(m, meta, a);
	if (!ret)
		ret = meta_fill(m, meta_complex_fill(m,
				json_object_get(meta, "fill_value"), v2_fill_part), a);
	return ret;
}
