/* SPDX-License-Identifier: MIT */
/*
 * test_grib2.c - the GRIB2 bit unpacker against a one-bit-at-a-time
 * reference, for every width 0..32, every starting bit 0..7 and lengths
 * around the point where the word-wise path hands over to the tail (each
 * buffer allocated to its exact size, so ASan sees a read past the end);
 * simple packing unpacked and scaled in one pass, and the bitmap spread,
 * against computing each value alone; and the section walk on hand-made messages: short, wrong edition, a
 * section past the end, missing end section, a field beyond the last.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage/grib2.h"
#include "unit.h"

static uint32_t ref_bits(const uint8_t *p, uint64_t bit, unsigned nbits)
{
	uint32_t v = 0;

	for (unsigned k = 0; k < nbits; k++, bit++)
		v = v << 1 | ((p[bit >> 3] >> (7 - (bit & 7))) & 1);
	return v;
}

static void test_unpack_width(unsigned nbits, unsigned start, size_t n)
{
	uint64_t bits = grib2_bits_end(start, n, nbits);
	size_t len = (size_t)((bits + 7) / 8);
	uint8_t *p = malloc(len ? len : 1);
	uint32_t *got = malloc((n ? n : 1) * sizeof(*got));
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(rand() >> 7);
	grib2_unpack(p, len, start, nbits, got, n);
	for (size_t i = 0; i < n; i++)
		bad += got[i] != ref_bits(p, start + (uint64_t)i * nbits, nbits);
	CHECK(!bad, "%zu of %zu values of %u bits from bit %u differ", bad, n,
	      nbits, start);
	free(p);
	free(got);
}

static void test_unpack(void)
{
	static const size_t lens[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64,
				       65, 127, 1000, 1001 };

	for (unsigned nbits = 0; nbits <= 32; nbits++)
		for (unsigned start = 0; start < 8; start++)
			for (size_t k = 0; k < ARRAY_SIZE(lens); k++)
				test_unpack_width(nbits, start, lens[k]);
	CHECK(grib2_bits_end(0, UINT64_MAX, 2) == UINT64_MAX, "overflow");
}

/* y = X * mul + add in double, rounded once: what every kernel must give. */
static double ref_value(const uint8_t *p, size_t i, unsigned nbits,
			const struct grib2_scale *s)
{
	return ref_bits(p, (uint64_t)i * nbits, nbits) * s->mul + s->add;
}

/*
 * Simple packing unpacked and scaled in one pass (the kernels specialised
 * for 8 and 16 bits, the constant-width groups, the generic tail) against
 * the bit-at-a-time reference, as float and as double, bit for bit: data
 * at an odd address and exactly len octets long, n across a block's end.
 */
static void test_simple_width(unsigned nbits, size_t n, bool f8)
{
	struct grib2_scale s = { .mul = 0.0123456789, .add = -273.15, .nbits = nbits };
	uint64_t bits = grib2_bits_end(0, n, nbits);
	size_t len = (size_t)((bits + 7) / 8), bad = 0;
	uint8_t *buf = malloc(len + 1), *p = buf + 1;
	void *out = malloc((n ? n : 1) * 8);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(rand() >> 7);
	grib2_simple_scaled(p, len, &s, n, out, f8);
	for (size_t i = 0; i < n; i++) {
		double want = ref_value(p, i, nbits, &s);

		if (f8)
			bad += memcmp(&want, (double *)out + i, 8) != 0;
		else
			bad += (float)want != ((float *)out)[i];
	}
	CHECK(!bad, "simple packing: %zu of %zu values of %u bits as f%d differ",
	      bad, n, nbits, f8 ? 8 : 4);
	free(buf);
	free(out);
}

static void test_simple(void)
{
	static const size_t lens[] = { 0, 1, 7, 8, 9, 31, 2047, 2048, 2049, 5003 };

	for (unsigned nbits = 0; nbits <= 32; nbits++)
		for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
			test_simple_width(nbits, lens[k], false);
			test_simple_width(nbits, lens[k], true);
		}
}

/* The bitmap spread against a point-by-point copy, with a bitmap of each
 * density, and one whose last octet is partly used. */
static void test_bitmap_expand_one(uint64_t npoints, int density, bool f8)
{
	size_t blen = (size_t)((npoints + 7) / 8), bad = 0;
	uint8_t *b = malloc(blen ? blen : 1);
	double *vals = malloc((npoints ? npoints : 1) * sizeof(*vals));
	void *out = malloc((npoints ? npoints : 1) * 8);
	uint64_t nv = 0, k = 0;

	memset(b, 0, blen ? blen : 1);
	for (uint64_t i = 0; i < npoints; i++)
		if (rand() % 100 < density) {
			b[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
			vals[nv] = nv + 0.5;
			nv++;
		}
	for (uint64_t i = 0; i < nv; i++) {
		if (f8)
			((double *)out)[i] = vals[i];
		else
			((float *)out)[i] = (float)vals[i];
	}
	grib2_bitmap_expand(out, f8, b, npoints, nv);
	for (uint64_t i = 0; i < npoints; i++) {
		bool set = b[i >> 3] & (0x80 >> (i & 7));
		double got = f8 ? ((double *)out)[i] : ((float *)out)[i];

		bad += set ? got != vals[k++] : !isnan(got);
	}
	CHECK(!bad, "bitmap: %zu of %llu points wrong (density %d%%, f%d)", bad,
	      (unsigned long long)npoints, density, f8 ? 8 : 4);
	free(b);
	free(vals);
	free(out);
}

static void test_bitmap_expand(void)
{
	static const uint64_t npts[] = { 0, 1, 7, 9, 64, 1001 };
	static const int dens[] = { 0, 3, 50, 97, 100 };

	for (size_t i = 0; i < ARRAY_SIZE(npts); i++)
		for (size_t d = 0; d < ARRAY_SIZE(dens); d++) {
			test_bitmap_expand_one(npts[i], dens[d], false);
			test_bitmap_expand_one(npts[i], dens[d], true);
		}
}

/* A minimal message: section 0, 1, 3 (3.0, 2 x 2), 4, 5 (5.0), 6, 7, 8. */
static size_t make_message(uint8_t *m)
{
	size_t n = 0;

	memcpy(m, "GRIB\0\0\0\2", 8);
	memset(m + 8, 0, 8);			/* the length, set last */
	n = 16;
	memset(m + n, 0, 21); m[n + 3] = 21; m[n + 4] = 1; n += 21;
	memset(m + n, 0, 72); m[n + 3] = 72; m[n + 4] = 3;
	m[n + 9] = 4;				/* 4 points */
	m[n + 33] = 2; m[n + 37] = 2;		/* Ni = Nj = 2 */
	n += 72;
	memset(m + n, 0, 34); m[n + 3] = 34; m[n + 4] = 4; n += 34;
	memset(m + n, 0, 21); m[n + 3] = 21; m[n + 4] = 5;
	m[n + 8] = 4;				/* 4 values */
	m[n + 19] = 8;				/* 8 bits */
	n += 21;
	memset(m + n, 0, 6); m[n + 3] = 6; m[n + 4] = 6; m[n + 5] = 255; n += 6;
	memset(m + n, 0, 9); m[n + 3] = 9; m[n + 4] = 7;
	m[n + 5] = 1; m[n + 6] = 2; m[n + 7] = 3; m[n + 8] = 4;
	n += 9;
	memcpy(m + n, "7777", 4);
	n += 4;
	m[15] = (uint8_t)n;
	return n;
}

static void test_sections(void)
{
	uint8_t m[256], b[256];
	struct grib2_field f;
	char why[160];
	size_t n = make_message(m);
	int ret;

	ret = grib2_field_find(m, n, 1, &f, why, sizeof(why));
	CHECK(!ret, "%s", why);
	CHECK(f.ni == 2 && f.nj == 2 && f.npoints == 4 && f.nvalues == 4 &&
	      f.drs_tmpl == 0 && f.data_len == 4 && !f.bitmap, "field read");
	ret = grib2_field_find(m, n, 2, &f, why, sizeof(why));
	CHECK(ret == -LSIO_EDATA && strstr(why, "has 1 field,"), "%s", why);
	for (size_t k = 0; k < n; k++) {
		ret = grib2_field_find(m, k, 1, &f, why, sizeof(why));
		CHECK(ret < 0, "truncated to %zu decodes", k);
	}
	memcpy(b, m, n);
	b[7] = 1;
	ret = grib2_field_find(b, n, 1, &f, why, sizeof(why));
	CHECK(ret == -LSIO_ENOTSUP && strstr(why, "edition 1"), "%s", why);
	memcpy(b, m, n);
	b[16] = 0x7f;
	ret = grib2_field_find(b, n, 1, &f, why, sizeof(why));
	CHECK(ret == -LSIO_EDATA && strstr(why, "section 1 at byte 16"), "%s", why);
	memcpy(b, m, n);
	memcpy(b + n - 4, "7778", 4);
	ret = grib2_field_find(b, n, 1, &f, why, sizeof(why));
	CHECK(ret == -LSIO_EDATA, "no 7777: %s", why);
	memcpy(b, m, n);
	b[16 + 21 + 72 + 34 + 21 + 5] = 254;	/* previous bitmap: none */
	ret = grib2_field_find(b, n, 1, &f, why, sizeof(why));
	CHECK(ret == -LSIO_EDATA && strstr(why, "previous bitmap"), "%s", why);
}

int main(void)
{
	srand(7);
	test_unpack();
	test_simple();
	test_bitmap_expand();
	test_sections();
	return unit_done("test_grib2");
}
