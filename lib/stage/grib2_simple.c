/* SPDX-License-Identifier: MIT */
/*
 * grib2_simple.c - the hot loops of the grib2 stage: integers X scaled to
 * y = X * mul + add and stored as float32 or float64, simple packing (5.0)
 * unpacked and scaled in one pass, and the bitmap's missing points spread
 * into the decoded values.
 *
 * Every y is computed in double and rounded once to the output type, as
 * the one-value-at-a-time code did, whatever the vector width: the
 * Makefile builds this file with -ffp-contract=off (a fused multiply-add
 * would round once where ecCodes rounds twice) and -O3 (the loops are
 * written to vectorise).  Each kernel is compiled twice, for AVX2 and for
 * the baseline, and the loader picks one (target_clones): the conversions
 * and the arithmetic in double are twice as wide with AVX2.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "grib2.h"

#define WIDE LSIO_WIDE

/* Simple packing in blocks that stay in L1. */
#define BLOCK 2048

/* X of at most 31 bits fits int32, whose conversion to double vectorises
 * (unsigned 32-bit conversion does not before AVX-512). */
WIDE static void scale_f4(const uint32_t *x, size_t n, double mul, double add,
			  bool wide, float *d)
{
	size_t i;

	if (wide)
		for (i = 0; i < n; i++)
			d[i] = (float)(x[i] * mul + add);
	else
		for (i = 0; i < n; i++)
			d[i] = (float)((int32_t)x[i] * mul + add);
}

WIDE static void scale_f8(const uint32_t *x, size_t n, double mul, double add,
			  bool wide, double *d)
{
	size_t i;

	if (wide)
		for (i = 0; i < n; i++)
			d[i] = x[i] * mul + add;
	else
		for (i = 0; i < n; i++)
			d[i] = (int32_t)x[i] * mul + add;
}

void grib2_scale_ints(const uint32_t *x, size_t n, const struct grib2_scale *s,
		      void *out, bool f8)
{
	bool wide = s->nbits >= 32;

	if (f8)
		scale_f8(x, n, s->mul, s->add, wide, out);
	else
		scale_f4(x, n, s->mul, s->add, wide, out);
}

/* 8 and 16 bits, the commonest widths, straight from the octets: no
 * integers in between, one vectorised loop. */
WIDE static void simple_u8(const uint8_t *p, size_t n, double mul, double add,
			   bool f8, void *out)
{
	size_t i;

	if (f8)
		for (i = 0; i < n; i++)
			((double *)out)[i] = (int32_t)p[i] * mul + add;
	else
		for (i = 0; i < n; i++)
			((float *)out)[i] = (float)((int32_t)p[i] * mul + add);
}

static inline int32_t be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

WIDE static void simple_u16(const uint8_t *p, size_t n, double mul, double add,
			    bool f8, void *out)
{
	size_t i;

	if (f8)
		for (i = 0; i < n; i++)
			((double *)out)[i] = be16(p + 2 * i) * mul + add;
	else
		for (i = 0; i < n; i++)
			((float *)out)[i] = (float)(be16(p + 2 * i) * mul + add);
}

void grib2_simple_scaled(const uint8_t *p, size_t len, const struct grib2_scale *s,
			 uint64_t n, void *out, bool f8)
{
	size_t size = f8 ? sizeof(double) : sizeof(float);
	uint32_t x[BLOCK];
	uint64_t bit = 0;

	/* The caller checked that n values of nbits fit in len octets. */
	if (s->nbits == 8 || s->nbits == 16) {
		(s->nbits == 8 ? simple_u8 : simple_u16)(p, (size_t)n, s->mul,
							  s->add, f8, out);
		return;
	}
	for (uint64_t k = 0; k < n; k += BLOCK) {
		size_t m = (size_t)MIN((uint64_t)BLOCK, n - k);

		grib2_unpack(p, len, bit, s->nbits, x, m);
		bit += (uint64_t)m * s->nbits;
		grib2_scale_ints(x, m, s, (uint8_t *)out + k * size, f8);
	}
}

/*
 * The nvalues decoded values at the start of out, spread over npoints so
 * that point i holds the next value where bit i of the bitmap is set and
 * NaN where it is clear.  From the end backwards, in place: value k never
 * moves to a point before k, so nothing is overwritten before it is read.
 * No branch per point: the bit picks the value or NaN, and k steps by it.
 * The caller checked that the bitmap has exactly nvalues bits set.
 */
#define EXPAND(name, T)							\
WIDE static void name(T *d, const uint8_t *b, uint64_t npoints, uint64_t k) \
{									\
	for (uint64_t i = npoints; i-- > 0;) {				\
		unsigned set = b[i >> 3] >> (7 - (i & 7)) & 1;		\
		T v;							\
									\
		/* With set clear, k <= i: the read stays in bounds. */	\
		k -= set;						\
		v = d[k];						\
		d[i] = set ? v : (T)NAN;				\
	}								\
}
EXPAND(expand_f4, float)
EXPAND(expand_f8, double)
#undef EXPAND

void grib2_bitmap_expand(void *out, bool f8, const uint8_t *bitmap,
			 uint64_t npoints, uint64_t nvalues)
{
	if (f8)
		expand_f8(out, bitmap, npoints, nvalues);
	else
		expand_f4(out, bitmap, npoints, nvalues);
}

/* Template 5.4: big-endian IEEE values, 4 or 8 octets, as float or double
 * (a float widened or a double rounded once, as through a double). */
#define IEEE(name, U, F, swap)						\
WIDE static void name(const uint8_t *p, size_t n, bool f8, void *out)	\
{									\
	for (size_t i = 0; i < n; i++) {				\
		U u;							\
		F v;							\
									\
		memcpy(&u, p + i * sizeof(u), sizeof(u));		\
		u = swap(u);						\
		memcpy(&v, &u, sizeof(v));				\
		if (f8)							\
			((double *)out)[i] = (double)v;			\
		else							\
			((float *)out)[i] = (float)v;			\
	}								\
}
IEEE(ieee32, uint32_t, float, __builtin_bswap32)
IEEE(ieee64, uint64_t, double, __builtin_bswap64)
#undef IEEE

void grib2_ieee_copy(const uint8_t *p, uint64_t n, unsigned size, void *out,
		     bool f8)
{
	if (size == 4)
		ieee32(p, (size_t)n, f8, out);
	else
		ieee64(p, (size_t)n, f8, out);
}
