/* SPDX-License-Identifier: MIT */
/*
 * stage_grib2.c - the "grib2" stage: one GRIB2 message in, the values of
 * one of its fields out, as float32 or float64, NaN where the bitmap (or
 * complex packing's missing-value management) says a point is missing.
 *
 * The values come in the order ecCodes' codes_get_values() gives them:
 * the message's own scanning order, which ecCodes does not change for the
 * standard templates.  For the usual scanning (i consecutive) that is an
 * (Nj, Ni) array; with j consecutive (flag 3 of table 3.4) an (Ni, Nj)
 * one; a reduced grid is one row of numberOfPoints.
 *
 * Y = (R + X * 2^E) / 10^D is computed in double and rounded once to the
 * output type.  Every template writes its nvalues values packed at the
 * start of the destination (simple packing unpacked and scaled in one
 * pass: grib2_simple.c); a bitmap then spreads them over the grid.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage.h"
#include "grib2.h"

struct grib2_params {
	uint32_t field;		/* 1-based */
	uint32_t size;		/* 4 or 8: the dtype given, 0 = the output's */
};

static const char *const grib2_keys[] = { "field", "dtype", NULL };

static int grib2_parse(struct lsio_ctx *ctx, const char *path, json_t *obj,
		       void **params)
{
	struct grib2_params *p = calloc(1, sizeof(*p));
	json_t *v;

	if (!p)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", path);
	p->field = 1;
	v = obj ? json_object_get(obj, "field") : NULL;
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > UINT32_MAX)) {
		free(p);
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: grib2 field must be an integer from 1 (the first field of the message)",
				 path);
	}
	if (v)
		p->field = (uint32_t)json_integer_value(v);
	v = obj ? json_object_get(obj, "dtype") : NULL;
	if (v) {
		struct lsio_dtype dt;

		if (!json_is_string(v) ||
		    lsio_dtype_parse(json_string_value(v), &dt) ||
		    dt.kind != 'f' || dt.order == '>' ||
		    (dt.size != 4 && dt.size != 8)) {
			free(p);
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s: grib2 dtype must be \"<f4\" or \"<f8\"",
					 path);
		}
		p->size = dt.size;
	}
	*params = p;
	return 0;
}

/* Where decoded values go: value `at` of the field's nvalues, packed at
 * the start of the output; a bitmap spreads them over the grid at the end
 * (grib2_bitmap_expand), so no loop here tests a bit per point. */
struct grib2_out {
	void *p;
	bool f8;
	uint64_t at;
};

static void out_ints(struct grib2_out *o, const uint32_t *x, size_t n,
		     const struct grib2_scale *s)
{
	grib2_scale_ints(x, n, s, (char *)o->p + o->at * (o->f8 ? 8 : 4), o->f8);
	o->at += n;
}

static inline bool bit_set(const uint8_t *b, uint64_t i)
{
	return b[i >> 3] & (0x80 >> (i & 7));
}

static uint64_t bitmap_count(const uint8_t *b, uint64_t npoints)
{
	uint64_t n = 0, i;

	for (i = 0; i + 64 <= npoints; i += 64) {
		uint64_t w;

		memcpy(&w, b + i / 8, 8);
		n += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < npoints; i++)
		n += bit_set(b, i);
	return n;
}

static int need_drs(struct lsio_stage_io *io, const struct grib2_field *f,
		    uint32_t len)
{
	if (f->drs_len < len)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "grib2: section 5 is %u octets, template 5.%u needs %u",
				       f->drs_len, f->drs_tmpl, len);
	return 0;
}

/* Template 5.0 (and every packing's constant field: bits per value 0). */
static int decode_simple(struct lsio_stage_io *io, const struct grib2_field *f,
			 struct grib2_out *o)
{
	struct grib2_scale s;
	int ret = need_drs(io, f, 21);

	if (ret)
		return ret;
	grib2_scale_read(f, &s);
	if (s.nbits > 32)
		return lsio_stage_fail(io, -LSIO_ENOTSUP,
				       "grib2: template 5.0 with %u bits per value is not supported (at most 32)",
				       s.nbits);
	if (grib2_bits_end(0, f->nvalues, s.nbits) > (uint64_t)f->data_len * 8)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "grib2: template 5.0: section 7 holds %zu octets, %llu values of %u bits need more",
				       f->data_len, (unsigned long long)f->nvalues,
				       s.nbits);
	grib2_simple_scaled(f->data, f->data_len, &s, f->nvalues, o->p, o->f8);
	o->at = f->nvalues;
	return 0;
}

/* Template 5.4: big-endian IEEE 754 values, 32 or 64 bits. */
static int decode_ieee(struct lsio_stage_io *io, const struct grib2_field *f,
		       struct grib2_out *o)
{
	unsigned size;
	int ret = need_drs(io, f, 12);

	if (ret)
		return ret;
	if (f->drs[11] != 1 && f->drs[11] != 2)
		return lsio_stage_fail(io, -LSIO_ENOTSUP,
				       "grib2: template 5.4 precision %u is not supported (1: 32 bits, 2: 64 bits)",
				       f->drs[11]);
	size = f->drs[11] == 1 ? 4 : 8;
	if (f->nvalues > f->data_len / size)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "grib2: template 5.4: section 7 holds %zu octets, %llu values of %u need more",
				       f->data_len, (unsigned long long)f->nvalues,
				       size);
	grib2_ieee_copy(f->data, f->nvalues, size, o->p, o->f8);
	o->at = f->nvalues;
	return 0;
}

static int decode_complex(struct lsio_stage_io *io, const struct grib2_field *f,
			  struct grib2_out *o)
{
	struct grib2_state *st = io->state;
	int ret = grib2_complex_decode(f, st, o->p, o->f8, io->why, io->why_cap);

	if (ret)
		return ret;
	o->at = f->nvalues;
	return 0;
}

/* 5.40, 5.41, 5.42: a library gives the integers X. */
static int decode_library(struct lsio_stage_io *io, const struct grib2_field *f,
			  struct grib2_out *o)
{
	struct grib2_state *st = io->state;
	struct grib2_scale s;
	int ret = need_drs(io, f, f->drs_tmpl == 42 ? 25 : 21);

	if (ret)
		return ret;
	grib2_scale_read(f, &s);
	if (!s.nbits || !f->nvalues) {
		/* A constant field: no payload to decode. */
		grib2_simple_scaled(f->data, 0, &s, f->nvalues, o->p, o->f8);
		o->at = f->nvalues;
		return 0;
	}
	if (f->drs_tmpl == 40)
		ret = grib2_jpeg_decode(f, st, io->why, io->why_cap);
	else if (f->drs_tmpl == 41)
		ret = grib2_png_decode(f, st, io->why, io->why_cap);
	else
		ret = grib2_aec_decode(f, st, io->why, io->why_cap);
	if (ret)
		return ret;
	out_ints(o, (const uint32_t *)(void *)st->ints.p, (size_t)f->nvalues, &s);
	return 0;
}

static int decode_field(struct lsio_stage_io *io, const struct grib2_field *f,
			struct grib2_out *o)
{
	switch (f->drs_tmpl) {
	case 0:
		return decode_simple(io, f, o);
	case 2: case 3:
		return decode_complex(io, f, o);
	case 4:
		return decode_ieee(io, f, o);
	case 40: case 41: case 42:
		return decode_library(io, f, o);
	default:
		return lsio_stage_fail(io, -LSIO_ENOTSUP,
				       "grib2: data representation template 5.%u is not supported",
				       f->drs_tmpl);
	}
}

/* The output's element size: the stage's dtype, else the array's. */
static int out_size(struct lsio_stage_io *io, const struct grib2_params *p,
		    uint32_t *size)
{
	const struct lsio_dtype *dt = io->dtype;

	*size = p->size ? p->size : 4;
	if (!dt)
		return 0;
	if (dt->kind != 'f' || dt->order == '>' ||
	    (dt->size != 4 && dt->size != 8))
		return lsio_stage_fail(io, -LSIO_ENOTSUP,
				       "grib2: writes <f4 or <f8, not the output's '%s'",
				       dt->str);
	if (p->size && p->size != dt->size)
		return lsio_stage_fail(io, -LSIO_EJOB,
				       "grib2: dtype <f%u differs from the output's '%s'",
				       p->size, dt->str);
	*size = dt->size;
	return 0;
}

static int out_claim(struct lsio_stage_io *io, const struct grib2_field *f,
		     uint32_t size)
{
	uint64_t n;

	if (__builtin_mul_overflow(f->npoints, (uint64_t)size, &n))
		n = UINT64_MAX;
	if (io->expect && n != io->expect)
		return lsio_stage_fail(io, -LSIO_ESIZE,
				       "grib2: the grid has %llu points (%llu bytes as f%u), the placement holds %zu bytes",
				       (unsigned long long)f->npoints,
				       (unsigned long long)n, size, io->expect);
	return lsio_stage_claim(io, "grib2: the grid has", n);
}

static int grib2_run(struct lsio_stage_io *io)
{
	const struct grib2_params *p = io->params;
	struct grib2_field f;
	struct grib2_out o = { 0 };
	uint32_t size;
	int ret;

	if (!io->state)
		return lsio_stage_fail(io, -ENOMEM, "grib2: no decoder state");
	ret = out_size(io, p, &size);
	if (ret)
		return ret;
	ret = grib2_field_find(io->in, io->in_len, p ? p->field : 1, &f,
			       io->why, io->why_cap);
	if (ret)
		return ret;
	if (f.bitmap ? bitmap_count(f.bitmap, f.npoints) != f.nvalues :
		       f.nvalues != f.npoints)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "grib2: %llu points %s, but section 5 declares %llu values",
				       (unsigned long long)(f.bitmap ?
					bitmap_count(f.bitmap, f.npoints) : f.npoints),
				       f.bitmap ? "marked present by the bitmap" : "in the grid",
				       (unsigned long long)f.nvalues);
	ret = out_claim(io, &f, size);
	if (ret)
		return ret;
	o.p = io->scratch->p;
	o.f8 = size == 8;
	ret = decode_field(io, &f, &o);
	if (ret)
		return ret;
	if (f.bitmap)
		grib2_bitmap_expand(o.p, o.f8, f.bitmap, f.npoints, f.nvalues);
	lsio_stage_set_out(io, (size_t)(f.npoints * size));
	return 0;
}

static void *grib2_state_new(void)
{
	return calloc(1, sizeof(struct grib2_state));
}

static void grib2_state_free(void *state)
{
	struct grib2_state *st = state;

	if (!st)
		return;
	lsio_scratch_release(&st->ints);
	lsio_scratch_release(&st->groups);
	lsio_scratch_release(&st->raw);
	free(st);
}

const struct lsio_stage_ops lsio_stage_grib2 = {
	.name = "grib2",
	.keys = grib2_keys,
	.parse = grib2_parse,
	.free_params = free,
	.state_new = grib2_state_new,
	.state_free = grib2_state_free,
	.run = grib2_run,
};
