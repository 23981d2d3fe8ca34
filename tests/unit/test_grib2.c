/* SPDX-License-Identifier: MIT */
/*
 * test_grib2.c - the GRIB2 bit unpacker against a one-bit-at-a-time
 * reference, for every width 0..32, every starting bit 0..7 and lengths
 * around the point where the word-wise path hands over to the tail (each
 * buffer allocated to its exact size, so ASan sees a read past the end);
 * and the section walk on hand-made messages: short, wrong edition, a
 * section past the end, missing end section, a field beyond the last.
 */
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
	static const size_t lens[] = { 0, 1, 2, 7, 8, 9, 63, 64, 65, 1000 };

	for (unsigned nbits = 0; nbits <= 32; nbits++)
		for (unsigned start = 0; start < 8; start++)
			for (size_t k = 0; k < ARRAY_SIZE(lens); k++)
				test_unpack_width(nbits, start, lens[k]);
	CHECK(grib2_bits_end(0, UINT64_MAX, 2) == UINT64_MAX, "overflow");
}

/* A minimal message: section 0, 1, 3 (3.0, 2 x 2), 4, 5 (5.0), 6, 7, 8. */
static size_t make_message(uint8_t *m)
{
	size_t n = 0;

	memcpy(m, "GRIB\0\0\0\2", 8);
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
	test_sections();
	return unit_done("test_grib2");
}
