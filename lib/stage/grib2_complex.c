/* SPDX-License-Identifier: MIT */
/*
 * grib2_complex.c - data representation templates 5.2 (complex packing)
 * and 5.3 (complex packing with spatial differencing of order 1 or 2),
 * what NCEP's GFS and HRRR use.
 *
 * Section 7 holds, each list starting on an octet: for 5.3 the first
 * value(s) and the overall minimum of the differences (sign and
 * magnitude, "octets of extra descriptors" each); NG group reference
 * values; NG group widths; NG scaled group lengths; then every group's
 * values, width bits each, back to back.  With missing-value management
 * the all-ones value of a group's width (or, for a width-0 group, of the
 * reference's width) is a primary missing value, all ones minus one a
 * secondary one; missing values take no part in the differencing.
 *
 * Integers are summed as uint64_t: a hostile message may overflow, and
 * unsigned wrap-around is defined where signed overflow is not.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "grib2.h"

struct complex {
	struct grib2_scale scale;
	unsigned mvm;			/* missing-value management 0, 1, 2 */
	uint32_t ng;			/* number of groups */
	uint32_t wref, lref, llast;
	unsigned wbits, lbits, linc;
	unsigned order, noct;		/* 5.3: spatial differencing */
};

static int complex_read(const struct grib2_field *f, struct complex *c,
			char *why, size_t cap)
{
	const uint8_t *d = f->drs;
	uint32_t need = f->drs_tmpl == 3 ? 49 : 47;

	if (f->drs_len < need)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 5 is %u octets, template 5.%u needs %u",
				  f->drs_len, f->drs_tmpl, need);
	grib2_scale_read(f, &c->scale);
	c->mvm = d[22];
	c->ng = grib2_u32(d + 31);
	c->wref = d[35];
	c->wbits = d[36];
	c->lref = grib2_u32(d + 37);
	c->linc = d[41];
	c->llast = grib2_u32(d + 42);
	c->lbits = d[46];
	c->order = f->drs_tmpl == 3 ? d[47] : 0;
	c->noct = f->drs_tmpl == 3 ? d[48] : 0;
	if (c->mvm > 2)
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "template 5.%u: missing value management %u is not supported",
				  f->drs_tmpl, c->mvm);
	if (c->scale.nbits > 32 || c->wbits > 32 || c->lbits > 32)
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "template 5.%u: fields of %u/%u/%u bits are not supported (at most 32)",
				  f->drs_tmpl, c->scale.nbits, c->wbits, c->lbits);
	if (c->order > 2 || (c->order && (c->noct < 1 || c->noct > 4)))
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "template 5.3: spatial differencing of order %u with %u-octet descriptors is not supported",
				  c->order, c->noct);
	if (c->ng > f->nvalues)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.%u: %u groups for %llu values",
				  f->drs_tmpl, c->ng, (unsigned long long)f->nvalues);
	return 0;
}

/* A sign-and-magnitude integer of n octets. */
static int64_t signed_octets(const uint8_t *p, unsigned n)
{
	int64_t v = p[0] & 0x7f;

	for (unsigned i = 1; i < n; i++)
		v = v << 8 | p[i];
	return p[0] & 0x80 ? -v : v;
}

/* One list of NG values at octet *at of section 7; *at moves past it,
 * rounded up to an octet. */
static int list_read(const struct grib2_field *f, size_t *at, unsigned nbits,
		     uint32_t ng, uint32_t *out, const char *what,
		     char *why, size_t cap)
{
	uint64_t end = grib2_bits_end((uint64_t)*at * 8, ng, nbits);

	if (end > (uint64_t)f->data_len * 8)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.%u: the group %s pass the end of section 7",
				  f->drs_tmpl, what);
	grib2_unpack(f->data, f->data_len, (uint64_t)*at * 8, nbits, out, ng);
	*at = (size_t)((end + 7) / 8);
	return 0;
}

/* Group widths and lengths made absolute; lengths must sum to nvalues. */
static int groups_fix(const struct grib2_field *f, const struct complex *c,
		      uint32_t *width, uint32_t *len, char *why, size_t cap)
{
	uint64_t sum = 0;

	for (uint32_t g = 0; g < c->ng; g++) {
		width[g] += c->wref;
		len[g] = g + 1 == c->ng ? c->llast :
			 (uint32_t)MIN((uint64_t)c->lref + (uint64_t)len[g] * c->linc,
				       (uint64_t)UINT32_MAX);
		if (width[g] > 32)
			return grib2_fail(why, cap, -LSIO_EDATA,
					  "template 5.%u: group %u is %u bits wide (at most 32)",
					  f->drs_tmpl, g, width[g]);
		sum += len[g];
	}
	if (sum != f->nvalues)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.%u: groups hold %llu values, section 5 declares %llu",
				  f->drs_tmpl, (unsigned long long)sum,
				  (unsigned long long)f->nvalues);
	return 0;
}

/* Is x (of nbits) a missing value under management mvm? */
static inline bool is_missing(unsigned mvm, uint32_t x, unsigned nbits)
{
	uint64_t ones = (1ull << nbits) - 1;

	return (mvm >= 1 && x == ones) || (mvm == 2 && nbits && x == ones - 1);
}

/* Value j of a run of nbits (1..32) values from bit b, where its 8-octet
 * window is known to lie within the data. */
static inline uint32_t bits_at(const uint8_t *p, uint64_t b, unsigned nbits)
{
	uint64_t w;

	memcpy(&w, p + (b >> 3), sizeof(w));
	return (uint32_t)((__builtin_bswap64(w) << (b & 7)) >> (64 - nbits));
}

/* Every group's values into v[] (refs added), when no value can be
 * missing: no test per value.  A group is typically a few tens of values:
 * those whose reads stay 8 octets short of the end are unpacked inline,
 * with no call and no bounds arithmetic per group. */
static void groups_unpack_all(const struct grib2_field *f, const struct complex *c,
			      uint64_t bit, const uint32_t *ref, const uint32_t *width,
			      const uint32_t *len, uint64_t *v)
{
	uint64_t safe = f->data_len >= 8 ? (uint64_t)(f->data_len - 8) * 8 : 0;
	uint32_t x[256];

	for (uint32_t g = 0; g < c->ng; g++) {
		uint64_t end = bit + (uint64_t)len[g] * width[g];
		uint64_t r = ref[g];
		unsigned w = width[g];

		if (!w) {
			for (uint32_t j = 0; j < len[g]; j++)
				v[j] = r;
		} else if (end <= safe) {
			for (uint32_t j = 0; j < len[g]; j++, bit += w)
				v[j] = r + bits_at(f->data, bit, w);
		} else {
			for (uint32_t i = 0; i < len[g]; i += 256) {
				uint32_t m = MIN(256u, len[g] - i);

				grib2_unpack(f->data, f->data_len, bit, w, x, m);
				bit += (uint64_t)m * w;
				for (uint32_t j = 0; j < m; j++)
					v[i + j] = r + x[j];
			}
		}
		bit = end;
		v += len[g];
	}
}

/* Every group's values into v[] (refs added); missing ones flagged in
 * miss[] (only with management).  Returns how many are present. */
static uint64_t groups_unpack(const struct grib2_field *f, const struct complex *c,
			      size_t at, const uint32_t *ref, const uint32_t *width,
			      const uint32_t *len, uint64_t *v, uint8_t *miss)
{
	uint64_t bit = (uint64_t)at * 8, k = 0, nm = 0;
	uint32_t x[256];

	if (!c->mvm) {
		groups_unpack_all(f, c, bit, ref, width, len, v);
		return f->nvalues;
	}
	for (uint32_t g = 0; g < c->ng; g++) {
		bool gmiss = !width[g] && is_missing(c->mvm, ref[g], c->scale.nbits);

		for (uint32_t i = 0; i < len[g]; i += 256) {
			uint32_t m = MIN(256u, len[g] - i);

			grib2_unpack(f->data, f->data_len, bit, width[g], x, m);
			bit += (uint64_t)m * width[g];
			for (uint32_t j = 0; j < m; j++, k++) {
				bool mi = gmiss || (width[g] &&
					  is_missing(c->mvm, x[j], width[g]));

				miss[k] = mi;
				if (!mi)
					v[nm++] = (uint64_t)ref[g] + x[j];
			}
		}
	}
	return nm;
}

static uint64_t groups_bits(const struct complex *c, const uint32_t *width,
			    const uint32_t *len)
{
	uint64_t bits = 0;

	for (uint32_t g = 0; g < c->ng; g++)
		bits += (uint64_t)width[g] * len[g];
	return bits;
}

/* Undo spatial differencing over the n present values. */
/* Undo spatial differencing over the n present values.  Order 2 as two
 * running sums (v[i] - v[i-1] = X[i] + min + v[i-1] - v[i-2]): one add
 * each on the chain from one value to the next, where the textbook form
 * has three.  The same integers, modulo 2^64 as before. */
static void undifference(uint64_t *v, uint64_t n, const struct complex *c,
			 const int64_t *first, int64_t min)
{
	uint64_t i, d, y;

	for (i = 0; i < MIN(n, (uint64_t)c->order); i++)
		v[i] = (uint64_t)first[i];
	if (c->order == 1) {
		for (y = n ? v[0] : 0; i < n; i++)
			v[i] = y += v[i] + (uint64_t)min;
	} else if (c->order == 2 && n > 2) {
		d = v[1] - v[0];
		for (y = v[1]; i < n; i++) {
			d += v[i] + (uint64_t)min;
			v[i] = y += d;
		}
	}
}

/* Does every value fit 52 bits, signed or not?  Then its conversion to
 * double is an integer add and a subtraction, which vectorise (AVX2 has
 * no 64-bit integer conversion). */
static bool values_small(const uint64_t *v, uint64_t n, bool sgn)
{
	uint64_t acc = 0, i;

	if (sgn)
		for (i = 0; i < n; i++)
			acc |= v[i] ^ (0 - (v[i] >> 63));
	else
		for (i = 0; i < n; i++)
			acc |= v[i];
	return acc < (1ull << 51);
}

/* (double)(int64_t)v for |v| < 2^51: v added to the integer image of
 * 1.5 * 2^52 is that double plus v, exactly. */
static inline double small_to_double(uint64_t v)
{
	uint64_t u = v + 0x4338000000000000ull;
	double d;

	memcpy(&d, &u, sizeof(d));
	return d - 6755399441055744.0;
}

/* y = X * mul + add into the output (float or double), NaN where miss[]
 * says so.  Differenced values are signed. */
#define SCALE_OUT(name, T)						\
static void name(const struct complex *c, const uint64_t *v,		\
		 const uint8_t *miss, uint64_t n, T *out)		\
{									\
	double mul = c->scale.mul, add = c->scale.add;			\
	uint64_t i, k = 0;						\
									\
	if (!miss && values_small(v, n, c->order))			\
		for (i = 0; i < n; i++)					\
			out[i] = (T)(small_to_double(v[i]) * mul + add); \
	else if (!miss && c->order)					\
		for (i = 0; i < n; i++)					\
			out[i] = (T)((double)(int64_t)v[i] * mul + add); \
	else if (!miss)							\
		for (i = 0; i < n; i++)					\
			out[i] = (T)((double)v[i] * mul + add);		\
	else								\
		for (i = 0; i < n; i++) {				\
			if (miss[i]) {					\
				out[i] = (T)NAN;			\
				continue;				\
			}						\
			out[i] = (T)((c->order ? (double)(int64_t)v[k] : \
				      (double)v[k]) * mul + add);	\
			k++;						\
		}							\
}
SCALE_OUT(scale_out_f4, float)
SCALE_OUT(scale_out_f8, double)
#undef SCALE_OUT

/* 5.3's extra descriptors: the first values and the minimum. */
static int descriptors_read(const struct grib2_field *f, const struct complex *c,
			    size_t *at, int64_t *first, int64_t *min,
			    char *why, size_t cap)
{
	size_t n = (size_t)(c->order + 1) * c->noct;

	*min = 0;
	if (!c->order)
		return 0;
	if (f->data_len < n)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.3: section 7 is too short for its extra descriptors");
	for (unsigned i = 0; i < c->order; i++)
		first[i] = signed_octets(f->data + i * c->noct, c->noct);
	*min = signed_octets(f->data + c->order * c->noct, c->noct);
	*at = n;
	return 0;
}

static int buffers_reserve(const struct grib2_field *f, const struct complex *c,
			   struct grib2_state *st, char *why, size_t cap)
{
	size_t n = (size_t)f->nvalues;

	/* nvalues <= npoints, already bounded by the output's size. */
	if (lsio_scratch_reserve(&st->groups, (size_t)c->ng * 3 * sizeof(uint32_t) + 1) ||
	    lsio_scratch_reserve(&st->ints, n * sizeof(uint64_t) + 1) ||
	    lsio_scratch_reserve(&st->raw, n + 1))
		return grib2_fail(why, cap, -ENOMEM,
				  "out of memory for %zu values", n);
	return 0;
}

int grib2_complex_decode(const struct grib2_field *f, struct grib2_state *st,
			 void *out, bool f8, char *why, size_t cap)
{
	struct complex c;
	uint32_t *ref, *width, *len;
	int64_t first[2] = { 0, 0 }, min;
	size_t at = 0;
	uint64_t nm, *v;
	uint8_t *miss;
	int ret = complex_read(f, &c, why, cap);

	if (!ret)
		ret = buffers_reserve(f, &c, st, why, cap);
	if (!ret)
		ret = descriptors_read(f, &c, &at, first, &min, why, cap);
	if (ret)
		return ret;
	/* Scratch memory comes from realloc: aligned for any type. */
	ref = (uint32_t *)(void *)st->groups.p;
	width = ref + c.ng;
	len = width + c.ng;
	ret = list_read(f, &at, c.scale.nbits, c.ng, ref, "references", why, cap);
	if (!ret)
		ret = list_read(f, &at, c.wbits, c.ng, width, "widths", why, cap);
	if (!ret)
		ret = list_read(f, &at, c.lbits, c.ng, len, "lengths", why, cap);
	if (!ret)
		ret = groups_fix(f, &c, width, len, why, cap);
	if (ret)
		return ret;
	if (grib2_bits_end((uint64_t)at * 8, 1, 0) + groups_bits(&c, width, len) >
	    (uint64_t)f->data_len * 8)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.%u: the groups' values pass the end of section 7",
				  f->drs_tmpl);
	miss = c.mvm ? st->raw.p : NULL;
	v = (uint64_t *)(void *)st->ints.p;
	nm = groups_unpack(f, &c, at, ref, width, len, v, miss);
	undifference(v, nm, &c, first, min);
	if (f8)
		scale_out_f8(&c, v, miss, f->nvalues, out);
	else
		scale_out_f4(&c, v, miss, f->nvalues, out);
	return 0;
}
