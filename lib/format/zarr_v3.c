/* SPDX-License-Identifier: MIT */
/*
 * zarr_v3.c - a Zarr v3 array's zarr.json: a regular chunk grid, the
 * "default" (c/0/0) or "v2" (0.0) chunk key encoding, a core data type,
 * and a codec pipeline in encode order:
 *
 *   array -> array   transpose (only the identity or the full reversal,
 *                    which is F order: a placement copies either)
 *   array -> bytes   bytes (endian), or sharding_indexed (top level only)
 *   bytes -> bytes   zstd, gzip, blosc, crc32c
 *
 * Decoding runs it backwards: the bytes->bytes codecs last to first, then
 * a byte swap when the data is big-endian (the output is little-endian).
 * With sharding the stages are those of an inner chunk; the shard index
 * is read by zarr.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zarr_meta.h"

/* The core data types, as numpy dtypes (little-endian: the bytes codec
 * stage swaps big-endian data into it). */
static const struct {
	const char *name, *dtype;
} v3_types[] = {
	{ "bool", "|b1" },	 { "int8", "|i1" },	 { "int16", "<i2" },
	{ "int32", "<i4" },	 { "int64", "<i8" },	 { "uint8", "|u1" },
	{ "uint16", "<u2" },	 { "uint32", "<u4" },	 { "uint64", "<u8" },
	{ "float16", "<f2" },	 { "float32", "<f4" },	 { "float64", "<f8" },
	{ "complex64", "<c8" }, { "complex128", "<c16" },
};

/* What the pipeline amounts to. */
struct v3_chain {
	json_t *bb[16];		/* bytes->bytes stages, encode order */
	size_t nbb;
	json_t *swap;		/* the byte swap, or NULL */
	uint32_t perm[LSIO_MAX_DIMS];	/* composed transposes */
	bool have_a2b;
};

static int v3_codecs(struct meta_ctx *m, json_t *list, bool top,
		     json_t **stages, char *order);

/* A codec entry: {"name": N, "configuration": {...}} or a bare name. */
static const char *codec_name(json_t *c, json_t **cfg)
{
	*cfg = json_object_get(c, "configuration");
	if (json_is_string(c))
		return json_string_value(c);
	return json_string_value(json_object_get(c, "name"));
}

static int v3_transpose(struct meta_ctx *m, struct v3_chain *ch, json_t *cfg)
{
	json_t *o = json_object_get(cfg, "order");
	uint32_t n = m->a->ndim, t[LSIO_MAX_DIMS], next[LSIO_MAX_DIMS];
	bool seen[LSIO_MAX_DIMS] = { false };
	const char *s = json_string_value(o);

	if (ch->have_a2b)
		return meta_fail(m, "codecs: 'transpose' after the array-to-bytes codec");
	meta_desc(m, "%stranspose", m->desc[0] ? ", " : "");
	for (uint32_t d = 0; d < n; d++)	/* "C" (and a 1-D list) */
		t[d] = d;
	if (s && !strcmp(s, "F")) {
		for (uint32_t d = 0; d < n; d++)
			t[d] = n - 1 - d;
	} else if (!s || strcmp(s, "C")) {
		if (!json_is_array(o) || json_array_size(o) != n)
			return meta_fail(m, "transpose: 'order' must list the %u dimensions", n);
		for (uint32_t d = 0; d < n; d++) {
			json_t *e = json_array_get(o, d);
			json_int_t v = json_integer_value(e);

			if (!json_is_integer(e) || v < 0 || v >= n || seen[v])
				return meta_fail(m, "transpose: 'order' is not a permutation");
			seen[v] = true;
			t[d] = (uint32_t)v;
		}
	}
	/* transpose(t) after transpose(p) is transpose(p[t[]]). */
	for (uint32_t d = 0; d < n; d++)
		next[d] = ch->perm[t[d]];
	memcpy(ch->perm, next, n * sizeof(*next));
	return 0;
}

static int v3_bytes(struct meta_ctx *m, struct v3_chain *ch, json_t *cfg)
{
	const char *e = json_string_value(json_object_get(cfg, "endian"));
	const struct lsio_dtype *dt = &m->a->dtype;
	uint32_t es = dt->kind == 'c' ? dt->size / 2 : dt->size;

	if (ch->have_a2b)
		return meta_fail(m, "codecs: two array-to-bytes codecs");
	ch->have_a2b = true;
	if (e && strcmp(e, "little") && strcmp(e, "big"))
		return meta_fail(m, "bytes: endian must be \"little\" or \"big\"");
	meta_desc(m, "%sbytes%s", m->desc[0] ? ", " : "",
		  e && es > 1 ? (e[0] == 'b' ? "(big)" : "(little)") : "");
	if (!e || strcmp(e, "big") || es == 1)
		return 0;
	ch->swap = json_pack("{s:s, s:s, s:i}", "codec", "bytes", "endian",
			     "big", "elementsize", (int)es);
	return ch->swap ? 0 : meta_fail(m, "out of memory");
}

/* zstd, gzip, blosc and crc32c carry everything they need in the data
 * (or need nothing), so the stage is the codec's name. */
static int v3_b2b(struct meta_ctx *m, struct v3_chain *ch, const char *name,
		  json_t *cfg)
{
	json_t *level = json_object_get(cfg, "level");

	if (!ch->have_a2b)
		return meta_fail(m, "codecs: '%s' before the array-to-bytes codec",
				 name);
	if (ch->nbb == ARRAY_SIZE(ch->bb))
		return meta_fail(m, "codecs: too many");
	if (!strcmp(name, "blosc"))
		meta_desc(m, "%sblosc(%s, %s)", m->desc[0] ? ", " : "",
			  meta_str(cfg, "cname", "?"),
			  meta_str(cfg, "shuffle", "?"));
	else if (json_is_integer(level))
		meta_desc(m, "%s%s(level %lld)", m->desc[0] ? ", " : "", name,
			  (long long)json_integer_value(level));
	else
		meta_desc(m, "%s%s", m->desc[0] ? ", " : "", name);
	ch->bb[ch->nbb] = json_string(name);
	return ch->bb[ch->nbb++] ? 0 : meta_fail(m, "out of memory");
}

/* The index: (offset, nbytes) uint64 pairs through bytes [+ crc32c]. */
static int v3_index_codecs(struct meta_ctx *m, json_t *list)
{
	struct zarr_array *a = m->a;
	size_t i;
	json_t *c, *cfg;

	if (!json_is_array(list) || !json_array_size(list))
		return meta_fail(m, "sharding_indexed: index_codecs must be a list");
	json_array_foreach(list, i, c) {
		const char *name = codec_name(c, &cfg);
		const char *e = json_string_value(json_object_get(cfg, "endian"));

		if (name && !strcmp(name, "bytes") && i == 0) {
			a->index_big = e && !strcmp(e, "big");
		} else if (name && !strcmp(name, "crc32c") && i == 1) {
			a->index_crc = true;
		} else {
			return meta_fail(m, "sharding_indexed: unsupported index codecs (lsio reads bytes, optionally followed by crc32c)");
		}
	}
	return 0;
}

static int v3_sharding(struct meta_ctx *m, struct v3_chain *ch, json_t *cfg,
		       json_t **stages, char *order)
{
	struct zarr_array *a = m->a;
	const char *loc = json_string_value(json_object_get(cfg, "index_location"));
	uint32_t ndim = a->ndim;
	uint64_t n = 1;
	char outer[sizeof(m->desc)], inner[sizeof(m->desc)];
	int ret;

	if (ch->have_a2b)
		return meta_fail(m, "codecs: two array-to-bytes codecs");
	for (uint32_t d = 0; d < ndim; d++)
		if (ch->perm[d] != d)
			return meta_fail(m, "sharding_indexed after transpose is not supported");
	ch->have_a2b = true;
	a->sharded = true;
	ret = zarr_meta_dims(m, json_object_get(cfg, "chunk_shape"),
			     "sharding_indexed.chunk_shape", 1, a->inner, &ndim);
	for (uint32_t d = 0; !ret && d < ndim; d++)
		if (a->chunks[d] % a->inner[d] ||
		    !lsio_mul_ok(n, a->chunks[d] / a->inner[d], &n) || n > (1u << 26))
			return meta_fail(m, "sharding_indexed: the shard shape must be a multiple of chunk_shape, with at most 2^26 chunks per shard");
	if (ret)
		return ret;
	if (loc && strcmp(loc, "start") && strcmp(loc, "end"))
		return meta_fail(m, "sharding_indexed: index_location must be \"start\" or \"end\"");
	a->index_at_start = loc && !strcmp(loc, "start");
	ret = v3_index_codecs(m, json_object_get(cfg, "index_codecs"));
	if (ret)
		return ret;
	/* The inner pipeline describes itself inside the brackets. */
	memcpy(outer, m->desc, sizeof(outer));
	m->desc[0] = 0;
	ret = v3_codecs(m, json_object_get(cfg, "codecs"), false, stages, order);
	memcpy(inner, m->desc, sizeof(inner));
	memcpy(m->desc, outer, sizeof(outer));
	meta_desc(m, "%ssharding(index at %s%s: %s)", outer[0] ? ", " : "",
		  a->index_at_start ? "start" : "end",
		  a->index_crc ? " + crc32c" : "", inner);
	return ret;
}

static int v3_codec(struct meta_ctx *m, struct v3_chain *ch, json_t *c,
		    bool top, json_t **stages, char *order)
{
	json_t *cfg;
	const char *name = codec_name(c, &cfg);

	if (!name)
		return meta_fail(m, "codecs: each needs a \"name\"");
	if (!strcmp(name, "transpose"))
		return v3_transpose(m, ch, cfg);
	if (!strcmp(name, "bytes"))
		return v3_bytes(m, ch, cfg);
	if (!strcmp(name, "sharding_indexed") && top)
		return v3_sharding(m, ch, cfg, stages, order);
	if (!strcmp(name, "sharding_indexed"))
		return meta_fail(m, "nested sharding_indexed is not supported");
	if (!strcmp(name, "zstd") || !strcmp(name, "gzip") ||
	    !strcmp(name, "blosc") || !strcmp(name, "crc32c"))
		return m->a->sharded && top ?
		       meta_fail(m, "codecs after sharding_indexed are not supported") :
		       v3_b2b(m, ch, name, cfg);
	return meta_fail(m, "unsupported codec '%s' (lsio reads bytes, transpose, zstd, gzip, blosc, crc32c, sharding_indexed)",
			 name);
}

/* The transposes amount to C or F order, or to something a placement
 * cannot copy. */
static int v3_order(struct meta_ctx *m, const struct v3_chain *ch, char *order)
{
	uint32_t n = m->a->ndim, d;

	for (d = 0; d < n && ch->perm[d] == d; d++)
		;
	if (d == n) {
		*order = 'C';
		return 0;
	}
	for (d = 0; d < n && ch->perm[d] == n - 1 - d; d++)
		;
	if (d == n) {
		*order = 'F';
		return 0;
	}
	return meta_fail(m, "transpose: only the identity and the full reversal (F order) are supported");
}

/* The decode chain: bytes->bytes last to first, then the byte swap. */
static int v3_chain_stages(struct meta_ctx *m, struct v3_chain *ch,
			   json_t **stages)
{
	m->a->raw = !ch->nbb;	/* the byte swap keeps the size */
	*stages = json_array();
	if (!*stages)
		return meta_fail(m, "out of memory");
	for (size_t i = ch->nbb; i-- > 0;)
		json_array_append(*stages, ch->bb[i]);
	if (ch->swap)
		json_array_append(*stages, ch->swap);
	return 0;
}

static int v3_codecs(struct meta_ctx *m, json_t *list, bool top,
		     json_t **stages, char *order)
{
	struct v3_chain ch = { .nbb = 0 };
	size_t i;
	json_t *c;
	int ret = 0;

	if (!json_is_array(list))
		return meta_fail(m, "codecs: expected a list");
	for (uint32_t d = 0; d < LSIO_MAX_DIMS; d++)
		ch.perm[d] = d;
	json_array_foreach(list, i, c) {
		ret = v3_codec(m, &ch, c, top, stages, order);
		if (ret)
			break;
	}
	if (!ret && !ch.have_a2b)
		ret = meta_fail(m, "codecs: no array-to-bytes codec (bytes or sharding_indexed)");
	if (!ret && !(top && m->a->sharded))
		ret = v3_order(m, &ch, order);
	if (!ret && !(top && m->a->sharded))
		ret = v3_chain_stages(m, &ch, stages);
	for (i = 0; i < ch.nbb; i++)
		json_decref(ch.bb[i]);
	json_decref(ch.swap);
	return ret;
}

/* --- fill value ------------------------------------------------------------- */


/* "0x7fc00000": the float's bits.  The job's fill_value is a number or a
 * name, so the bits become one (a NaN's payload is not kept). */
static json_t *v3_fill_hex(struct meta_ctx *m, const char *s)
{
	const struct lsio_dtype *dt = &m->a->dtype;
	uint32_t size = dt->kind == 'c' ? dt->size / 2 : dt->size;
	char *end;
	uint64_t bits = strtoull(s + 2, &end, 16);
	double d;

	if (*end || strlen(s) != 2 + 2 * size ||
	    (dt->kind != 'f' && dt->kind != 'c')) {
		meta_fail(m, "fill_value: '%s' does not fit '%s'", s, dt->str);
		return NULL;
	}
	if (size == 2) {
		d = lsio_half_to_double((uint32_t)bits);
	} else if (size == 4) {
		uint32_t b = (uint32_t)bits;
		float f;

		memcpy(&f, &b, 4);
		d = f;
	} else {
		memcpy(&d, &bits, 8);
	}
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

static json_t *v3_fill_part(struct meta_ctx *m, json_t *v)
{
	const char *s = json_string_value(v);

	if (s && (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return v3_fill_hex(m, s);
	return json_incref(v ? v : json_null());
}

/* --- the array ---------------------------------------------------------------- */

static int v3_dtype(struct meta_ctx *m, json_t *meta)
{
	const char *t = json_string_value(json_object_get(meta, "data_type"));

	for (size_t i = 0; t && i < ARRAY_SIZE(v3_types); i++)
		if (!strcmp(t, v3_types[i].name))
			return meta_dtype(m, v3_types[i].dtype, m->a);
	if (!t)
		return meta_fail(m, "unsupported data type (data_type is not a name)");
	return meta_fail(m, "unsupported data type '%s'", t);
}

static int v3_grid(struct meta_ctx *m, json_t *meta)
{
	json_t *g = json_object_get(meta, "chunk_grid");
	json_t *k = json_object_get(meta, "chunk_key_encoding");
	const char *gn = json_string_value(json_object_get(g, "name"));
	const char *kn = json_string_value(json_object_get(k, "name"));
	const char *sep = json_string_value(json_object_get(
		json_object_get(k, "configuration"), "separator"));
	struct zarr_array *a = m->a;

	if (!gn || strcmp(gn, "regular"))
		return meta_fail(m, "chunk_grid: only \"regular\" is supported");
	if (zarr_meta_dims(m, json_object_get(json_object_get(g, "configuration"),
					      "chunk_shape"),
			   "chunk_grid.configuration.chunk_shape", 1, a->chunks,
			   &a->ndim))
		return -LSIO_EJOB;
	if (!kn || (strcmp(kn, "default") && strcmp(kn, "v2")))
		return meta_fail(m, "chunk_key_encoding: expected \"default\" or \"v2\"");
	if (sep && strcmp(sep, ".") && strcmp(sep, "/"))
		return meta_fail(m, "chunk_key_encoding: separator must be \".\" or \"/\"");
	a->keys = kn[0] == 'd' ? ZARR_KEYS_DEFAULT : ZARR_KEYS_V2;
	a->sep = sep ? sep[0] : a->keys == ZARR_KEYS_DEFAULT ? '/' : '.';
	return 0;
}

int zarr_v3_parse(struct meta_ctx *m, json_t *meta, struct zarr_array *a)
{
	const char *node = meta_str(meta, "node_type", "?");
	json_t *st = json_object_get(meta, "storage_transformers");
	int ret;

	a->format = 3;
	if (strcmp(node, "array"))
		return meta_fail(m, "not an array (node_type '%s')", node);
	if (st && (!json_is_array(st) || json_array_size(st)))
		return meta_fail(m, "storage_transformers are not supported");
	ret = zarr_meta_dims(m, json_object_get(meta, "shape"), "shape", 0,
			     a->shape, &a->ndim);
	if (!ret)
		ret = v3_dtype(m, meta);
	if (!ret)
		ret = v3_grid(m, meta);
	if (!ret)
		ret = v3_codecs(m, json_object_get(meta, "codecs"), true,
				&a->stages, &a->order);
	if (!ret)
		ret = meta_fill(m, meta_complex_fill(m,
				json_object_get(meta, "fill_value"), v3_fill_part), a);
	return ret;
}
