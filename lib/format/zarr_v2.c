/* SPDX-License-Identifier: MIT */
/*
 * zarr_v2.c - a Zarr v2 .zarray: shape, chunks, a numpy dtype string, the
 * compressor (one numcodecs codec or null), filters (numcodecs codecs
 * applied before it: shuffle, delta, and quantize and bitround, which
 * need no decoding), order C or F, fill_value and the chunk key
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
			  meta_str(cfg, "cname", "?"),
			  blosc_shuffle_name(json_integer_value(json_object_get(cfg, "shuffle"))),
			  (long long)json_integer_value(json_object_get(cfg, "clevel")));
	else if (!strcmp(id, "shuffle"))
		meta_desc(m, "shuffle(%lld)",
			  (long long)json_integer_value(json_object_get(cfg, "elementsize")));
	else if (!strcmp(id, "delta"))
		meta_desc(m, "delta(%s)", meta_str(cfg, "dtype", "?"));
	else if (!strcmp(id, "quantize"))
		meta_desc(m, "quantize(digits %lld)",
			  (long long)json_integer_value(json_object_get(cfg, "digits")));
	else if (!strcmp(id, "bitround"))
		meta_desc(m, "bitround(keepbits %lld)",
			  (long long)json_integer_value(json_object_get(cfg, "keepbits")));
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

/* numcodecs.Delta: a running sum undoes it, when the sum runs in the
 * type the differences were stored in. */
static json_t *v2_delta(struct meta_ctx *m, json_t *cfg)
{
	const char *dt = meta_str(cfg, "dtype", NULL);
	const char *as = meta_str(cfg, "astype", dt);
	struct lsio_dtype d;

	if (!dt || strcmp(dt, as) || lsio_dtype_parse(dt, &d) ||
	    d.order == '>' || !strchr("iuf", d.kind) ||
	    (d.kind == 'f' && d.size != 4 && d.size != 8)) {
		meta_fail(m, "unsupported filter 'delta' (dtype '%s', astype '%s'): lsio undoes delta when both are the same little-endian integer, f4 or f8",
			  dt ? dt : "?", as ? as : "?");
		return NULL;
	}
	return json_pack("{s:s, s:s}", "codec", "delta", "dtype", dt);
}

/* The stage that undoes filter cfg; json null when decoding it changes
 * nothing (quantize and bitround only round what they store); NULL after
 * failing. */
static json_t *v2_filter(struct meta_ctx *m, json_t *cfg)
{
	const char *id = json_string_value(json_object_get(cfg, "id"));
	json_t *es = json_object_get(cfg, "elementsize");
	const char *dt = meta_str(cfg, "dtype", NULL);

	if (!id) {
		meta_fail(m, "filters: expected objects with an \"id\"");
		return NULL;
	}
	v2_desc(m, id, cfg);
	if (!strcmp(id, "shuffle") && json_is_integer(es) &&
	    json_integer_value(es) >= 1)
		return json_pack("{s:s, s:I}", "codec", "shuffle", "elementsize",
				 json_integer_value(es));
	if (!strcmp(id, "shuffle"))
		return json_pack("{s:s}", "codec", "shuffle");
	if (!strcmp(id, "delta"))
		return v2_delta(m, cfg);
	if (!strcmp(id, "bitround") ||
	    (!strcmp(id, "quantize") && dt &&
	     !strcmp(dt, meta_str(cfg, "astype", dt))))
		return json_null();
	meta_fail(m, "unsupported filter '%s' (lsio undoes shuffle, delta, quantize and bitround)",
		  id);
	return NULL;
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
	a->raw = !st[nf];	/* filters keep the size */
	a->stages = json_array();
	if (!a->stages && !ret)
		ret = meta_fail(m, "out of memory");
	if (!ret && st[nf])
		json_array_append(a->stages, st[nf]);
	for (i = nf; !ret && i-- > 0;)
		if (!json_is_null(st[i]))
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
	a->sep_implied = !sp;
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
