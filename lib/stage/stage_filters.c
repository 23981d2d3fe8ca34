/* SPDX-License-Identifier: MIT */
/*
 * stage_filters.c - filters that keep the size of a chunk:
 *
 *   "shuffle"  numcodecs.Shuffle undone: byte j of every element was
 *              stored together in plane j; put the elements back together
 *              ({"elementsize": N}, default 4 as in numcodecs)
 *   "bytes"    the Zarr v3 bytes codec: elements stored big-endian are
 *              swapped to native (little-endian) order in place
 *              ({"endian": "little"|"big"}, {"elementsize": 1|2|4|8})
 *   "delta"    numcodecs.Delta undone: a running sum, in place
 *              ({"dtype": "<i4"}; "astype", if given, must be the same:
 *              an encoding type of another size is not supported)
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the bytes stage assumes a little-endian host"
#endif

struct filter_params {
	uint32_t elementsize;
	bool big;		/* bytes: stored big-endian */
	char kind;		/* delta: 'i', 'u' or 'f' */
};

/* An optional integer parameter in [lo, hi]. */
static int param_int(struct lsio_ctx *ctx, const char *path, json_t *obj,
		     const char *key, json_int_t lo, json_int_t hi,
		     uint32_t *out)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: %s must be an integer from %lld to %lld",
				 path, key, (long long)lo, (long long)hi);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

static int params_new(struct lsio_ctx *ctx, const char *path,
		      const struct filter_params *p, void **params)
{
	*params = malloc(sizeof(*p));
	if (!*params)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", path);
	memcpy(*params, p, sizeof(*p));
	return 0;
}

/* The chunk must be whole elements, and fit. */
static int filter_check(struct lsio_stage_io *io, const char *name,
			const char *what,
			uint32_t elementsize)
{
	if (io->in_len % elementsize)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "%s: %zu bytes is not a whole number of %u-byte elements",
				       name, io->in_len, elementsize);
	return lsio_stage_check_size(io, what, io->in_len);
}

/* --- shuffle ---------------------------------------------------------- */

static const char *const shuffle_keys[] = { "elementsize", NULL };

static int shuffle_parse(struct lsio_ctx *ctx, const char *path, json_t *obj,
			 void **params)
{
	struct filter_params p = { .elementsize = 4 };

	if (param_int(ctx, path, obj, "elementsize", 1, 1 << 20,
		      &p.elementsize))
		return -LSIO_EJOB;
	return params_new(ctx, path, &p, params);
}

/* Element i's byte j is at src[j * count + i]: es planes of count bytes.
 * Writing dst in order and reading the planes in step keeps every stream
 * sequential. */
/* Elements [from, count) one byte at a time: the tail after the vector
 * loops, or everything for unusual sizes. */
static inline void unshuffle_tail(uint8_t *restrict dst,
				  const uint8_t *restrict src, size_t from,
				  size_t count, size_t es)
{
	for (size_t i = from; i < count; i++)
		for (size_t j = 0; j < es; j++)
			dst[i * es + j] = src[j * count + i];
}

#ifdef __SSE2__
#include <emmintrin.h>

/* 16 elements per step: load 16 bytes of each plane, then interleave
 * bytes, pairs, quads (SSE2 is in every x86-64, so no dispatch). */
static size_t unshuffle2_sse2(uint8_t *dst, const uint8_t *src, size_t count)
{
	size_t i;

	for (i = 0; i + 16 <= count; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(src + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(src + count + i));

		_mm_storeu_si128((__m128i *)(dst + 2 * i),
				 _mm_unpacklo_epi8(a, b));
		_mm_storeu_si128((__m128i *)(dst + 2 * i + 16),
				 _mm_unpackhi_epi8(a, b));
	}
	return i;
}

static size_t unshuffle4_sse2(uint8_t *dst, const uint8_t *src, size_t count)
{
	size_t i;

	for (i = 0; i + 16 <= count; i += 16) {
		__m128i p[4], ab[2], cd[2];

		for (int j = 0; j < 4; j++)
			p[j] = _mm_loadu_si128(
				(const __m128i *)(src + j * count + i));
		ab[0] = _mm_unpacklo_epi8(p[0], p[1]);
		ab[1] = _mm_unpackhi_epi8(p[0], p[1]);
		cd[0] = _mm_unpacklo_epi8(p[2], p[3]);
		cd[1] = _mm_unpackhi_epi8(p[2], p[3]);
		for (int h = 0; h < 2; h++) {
			uint8_t *d = dst + 4 * i + 32 * h;

			_mm_storeu_si128((__m128i *)d,
					 _mm_unpacklo_epi16(ab[h], cd[h]));
			_mm_storeu_si128((__m128i *)(d + 16),
					 _mm_unpackhi_epi16(ab[h], cd[h]));
		}
	}
	return i;
}

static size_t unshuffle8_sse2(uint8_t *dst, const uint8_t *src, size_t count)
{
	size_t i;

	for (i = 0; i + 16 <= count; i += 16) {
		__m128i p[8], b[8], w[8];

		for (int j = 0; j < 8; j++)
			p[j] = _mm_loadu_si128(
				(const __m128i *)(src + j * count + i));
		/* b[2k], b[2k+1]: planes 2k and 2k+1, elements 0-7, 8-15 */
		for (int k = 0; k < 8; k += 2) {
			b[k] = _mm_unpacklo_epi8(p[k], p[k + 1]);
			b[k + 1] = _mm_unpackhi_epi8(p[k], p[k + 1]);
		}
		/* w[4h + q]: bytes 0-3 (q 0, 1) or 4-7 (q 2, 3) of elements
		 * 8h + 4(q & 1) ... + 3 */
		for (int h = 0; h < 2; h++) {
			w[4 * h] = _mm_unpacklo_epi16(b[h], b[2 + h]);
			w[4 * h + 1] = _mm_unpackhi_epi16(b[h], b[2 + h]);
			w[4 * h + 2] = _mm_unpacklo_epi16(b[4 + h], b[6 + h]);
			w[4 * h + 3] = _mm_unpackhi_epi16(b[4 + h], b[6 + h]);
		}
		for (int q = 0; q < 4; q++) {
			uint8_t *d = dst + 8 * i + 32 * q;
			__m128i x = w[4 * (q / 2) + q % 2];
			__m128i y = w[4 * (q / 2) + 2 + q % 2];

			_mm_storeu_si128((__m128i *)d,
					 _mm_unpacklo_epi32(x, y));
			_mm_storeu_si128((__m128i *)(d + 16),
					 _mm_unpackhi_epi32(x, y));
		}
	}
	return i;
}
#endif

static void unshuffle(uint8_t *restrict dst, const uint8_t *restrict src,
		      size_t n, size_t es)
{
	size_t count = n / es, done = 0;

#ifdef __SSE2__
	if (es == 2)
		done = unshuffle2_sse2(dst, src, count);
	else if (es == 4)
		done = unshuffle4_sse2(dst, src, count);
	else if (es == 8)
		done = unshuffle8_sse2(dst, src, count);
#endif
	unshuffle_tail(dst, src, done, count, es);
}

static int shuffle_run(struct lsio_stage_io *io)
{
	const struct filter_params *p = io->params;
	uint32_t es = p ? p->elementsize : 4;
	int ret = filter_check(io, "shuffle", "shuffle: output is", es);

	if (ret)
		return ret;
	if (es == 1) {
		io->out = io->in;
		io->out_len = io->in_len;
		return 0;
	}
	ret = lsio_stage_claim(io, "shuffle: output is", io->in_len);
	if (ret)
		return ret;
	unshuffle(io->scratch->p, io->in, io->in_len, es);
	lsio_stage_set_out(io, io->in_len);
	return 0;
}

const struct lsio_stage_ops lsio_stage_shuffle = {
	.name = "shuffle",
	.keeps_size = true,
	.keys = shuffle_keys,
	.parse = shuffle_parse,
	.free_params = free,
	.run = shuffle_run,
};

/* --- bytes ------------------------------------------------------------ */

static const char *const bytes_keys[] = { "endian", "elementsize", NULL };

static int bytes_parse(struct lsio_ctx *ctx, const char *path, json_t *obj,
		       void **params)
{
	struct filter_params p = { .elementsize = 1 };
	json_t *v = obj ? json_object_get(obj, "endian") : NULL;
	const char *e = v ? json_string_value(v) : "little";

	if (!e || (strcmp(e, "little") && strcmp(e, "big")))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: bytes endian must be 'little' or 'big'",
				 path);
	p.big = !strcmp(e, "big");
	if (param_int(ctx, path, obj, "elementsize", 1, 8, &p.elementsize))
		return -LSIO_EJOB;
	if (p.elementsize & (p.elementsize - 1))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: bytes elementsize must be 1, 2, 4 or 8",
				 path);
	return params_new(ctx, path, &p, params);
}

/* Swap in place: each element is read and written once, in cache. */
static void bswap_all(uint8_t *p, size_t n, uint32_t es)
{
	size_t i;

	switch (es) {
	case 2:
		for (i = 0; i + 2 <= n; i += 2) {
			uint16_t v;

			memcpy(&v, p + i, 2);
			v = __builtin_bswap16(v);
			memcpy(p + i, &v, 2);
		}
		break;
	case 4:
		for (i = 0; i + 4 <= n; i += 4) {
			uint32_t v;

			memcpy(&v, p + i, 4);
			v = __builtin_bswap32(v);
			memcpy(p + i, &v, 4);
		}
		break;
	case 8:
		for (i = 0; i + 8 <= n; i += 8) {
			uint64_t v;

			memcpy(&v, p + i, 8);
			v = __builtin_bswap64(v);
			memcpy(p + i, &v, 8);
		}
		break;
	}
}

static int bytes_run(struct lsio_stage_io *io)
{
	const struct filter_params *p = io->params;
	uint32_t es = p ? p->elementsize : 1;
	int ret = filter_check(io, "bytes", "bytes: output is", es);

	if (ret)
		return ret;
	if (p && p->big && es > 1)
		bswap_all(io->in, io->in_len, es);
	io->out = io->in;
	io->out_len = io->in_len;
	return 0;
}

const struct lsio_stage_ops lsio_stage_bytes = {
	.name = "bytes",
	.keeps_size = true,
	.keys = bytes_keys,
	.parse = bytes_parse,
	.free_params = free,
	.run = bytes_run,
};

/* --- delta ------------------------------------------------------------ */

static const char *const delta_keys[] = { "dtype", "astype", NULL };

static int delta_dtype(struct lsio_ctx *ctx, const char *path, json_t *obj,
		       const char *key, struct lsio_dtype *dt)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	if (!v)
		return 1;
	if (lsio_dtype_parse(json_string_value(v), dt))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: delta %s: not a numpy dtype", path, key);
	return 0;
}

static int delta_parse(struct lsio_ctx *ctx, const char *path, json_t *obj,
		       void **params)
{
	struct filter_params p = { 0 };
	struct lsio_dtype dt, as;
	int ret = delta_dtype(ctx, path, obj, "dtype", &dt);

	if (ret > 0)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: delta needs \"dtype\", e.g. \"<i4\"", path);
	if (ret)
		return ret;
	ret = delta_dtype(ctx, path, obj, "astype", &as);
	if (ret < 0)
		return ret;
	if (!ret && strcmp(as.str, dt.str))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: delta astype '%s' differs from dtype '%s' (not supported)",
				 path, as.str, dt.str);
	if (!strchr("iuf", dt.kind) || dt.order == '>' || dt.size > 8 ||
	    (dt.kind == 'f' && dt.size != 4 && dt.size != 8))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: delta dtype must be a little-endian integer, f4 or f8, not '%s'",
				 path, dt.str);
	p.kind = dt.kind;
	p.elementsize = dt.size;
	return params_new(ctx, path, &p, params);
}

/* Integers wrap (numpy's cumsum modulo 2^bits); unsigned arithmetic makes
 * that defined for the signed types too. */
#define DELTA_SUM(type, p, n)                                              \
	do {                                                               \
		type acc = 0, v;                                           \
		for (size_t i = 0; i < (n); i += sizeof(type)) {           \
			memcpy(&v, (p) + i, sizeof(type));                 \
			acc += v;                                          \
			memcpy((p) + i, &acc, sizeof(type));               \
		}                                                          \
	} while (0)

/* Floats add in order, in their own precision, as numpy's cumsum does. */
static void delta_sum(uint8_t *p, size_t n, char kind, uint32_t es)
{
	if (kind == 'f' && es == 4)
		DELTA_SUM(float, p, n);
	else if (kind == 'f')
		DELTA_SUM(double, p, n);
	else if (es == 1)
		DELTA_SUM(uint8_t, p, n);
	else if (es == 2)
		DELTA_SUM(uint16_t, p, n);
	else if (es == 4)
		DELTA_SUM(uint32_t, p, n);
	else
		DELTA_SUM(uint64_t, p, n);
}

static int delta_run(struct lsio_stage_io *io)
{
	const struct filter_params *p = io->params;
	int ret;

	if (!p)
		return lsio_stage_fail(io, -LSIO_EJOB, "delta: no dtype");
	ret = filter_check(io, "delta", "delta: output is", p->elementsize);
	if (ret)
		return ret;
	delta_sum(io->in, io->in_len, p->kind, p->elementsize);
	io->out = io->in;
	io->out_len = io->in_len;
	return 0;
}

const struct lsio_stage_ops lsio_stage_delta = {
	.name = "delta",
	.keeps_size = true,
	.keys = delta_keys,
	.parse = delta_parse,
	.free_params = free,
	.run = delta_run,
};
