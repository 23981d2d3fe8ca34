/* SPDX-License-Identifier: MIT */
/*
 * grib2_bits.c - unpack GRIB2's big-endian bit-packed integers a word at a
 * time, and read the scaling every packed template shares.
 *
 * Each value of nbits <= 32 lies within the 8 octets that begin at its
 * first octet (7 + 32 < 64), so one unaligned big-endian 64-bit load and
 * two shifts give it: no loop over bits, no branch per value.  Octets 8
 * and 16 wide values, the common case, skip even the shifts.  Only the
 * last few values, whose 8-octet window would pass the end of the data,
 * take the slow path that loads octet by octet.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "grib2.h"

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

/* The 8 octets at p, zero past p + left (left < 8). */
static uint64_t load_be64_tail(const uint8_t *p, size_t left)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < left ? p[i] : 0);
	return v;
}

uint64_t grib2_bits_end(uint64_t bitoff, uint64_t n, unsigned nbits)
{
	uint64_t bits;

	if (__builtin_mul_overflow(n, (uint64_t)nbits, &bits) ||
	    __builtin_add_overflow(bits, bitoff, &bits))
		return UINT64_MAX;
	return bits;
}

static void unpack_octets(const uint8_t *p, unsigned nbytes, uint32_t *out,
			  size_t n)
{
	size_t i;

	if (nbytes == 1) {
		for (i = 0; i < n; i++)
			out[i] = p[i];
	} else if (nbytes == 2) {
		for (i = 0; i < n; i++)
			out[i] = (uint32_t)p[2 * i] << 8 | p[2 * i + 1];
	} else {
		for (i = 0; i < n; i++, p += nbytes) {
			uint32_t v = 0;

			for (unsigned k = 0; k < nbytes; k++)
				v = v << 8 | p[k];
			out[i] = v;
		}
	}
}

/*
 * Eight values of W bits fill W octets exactly, so from an octet boundary
 * value k of every group sits at the same octet and bit of its group.
 * With W a constant (the switch below makes one copy per width) every
 * offset and shift is a constant: a load, a byte swap and two immediate
 * shifts per value.  Reads up to W / 8 * 7 + 8 octets of a group.
 */
static inline __attribute__((always_inline)) void
unpack_groups(const uint8_t *p, uint32_t *out, size_t ng, const unsigned w)
{
	for (size_t g = 0; g < ng; g++, p += w, out += 8)
		for (unsigned k = 0; k < 8; k++)
			out[k] = (uint32_t)((load_be64(p + k * w / 8) << (k * w % 8)) >>
					    (64 - w));
}

/* The groups of 8 values from an octet boundary whose reads stay within
 * len octets; returns how many values that was. */
static size_t unpack_aligned(const uint8_t *p, size_t len, unsigned nbits,
			     uint32_t *out, size_t n)
{
	size_t ng = n / 8, reach = (size_t)nbits * 7 / 8 + 8;

	if (len < reach)
		return 0;
	ng = MIN(ng, (len - reach) / nbits + 1);
	switch (nbits) {
#define W(b) case b: unpack_groups(p, out, ng, b); break;
	W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(9) W(10) W(11) W(12) W(13)
	W(14) W(15) W(17) W(18) W(19) W(20) W(21) W(22) W(23) W(25) W(26)
	W(27) W(28) W(29) W(30) W(31)
#undef W
	default:
		return 0;
	}
	return ng * 8;
}

void grib2_unpack(const uint8_t *p, size_t len, uint64_t bitoff,
		  unsigned nbits, uint32_t *out, size_t n)
{
	size_t i = 0, fast;

	if (!nbits) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	if (!(nbits & 7) && !(bitoff & 7)) {
		unpack_octets(p + bitoff / 8, nbits / 8, out, n);
		return;
	}
	if (!(bitoff & 7) && bitoff / 8 < len) {
		i = unpack_aligned(p + bitoff / 8, len - bitoff / 8, nbits, out, n);
		bitoff += (uint64_t)i * nbits;
	}
	/* Values whose 8-octet window ends within len take the fast path. */
	fast = i;
	if (len >= 8) {
		uint64_t last = (uint64_t)(len - 8) * 8 + 7;

		fast = bitoff > last ? i :
		       (size_t)MIN(i + (last - bitoff) / nbits + 1, n);
	}
	for (; i < fast; i++, bitoff += nbits) {
		uint64_t w = load_be64(p + (bitoff >> 3));

		out[i] = (uint32_t)((w << (bitoff & 7)) >> (64 - nbits));
	}
	for (; i < n; i++, bitoff += nbits) {
		size_t at = bitoff >> 3;
		uint64_t w = load_be64_tail(p + at, len - at);

		out[i] = (uint32_t)((w << (bitoff & 7)) >> (64 - nbits));
	}
}

void grib2_scale_read(const struct grib2_field *f, struct grib2_scale *s)
{
	const uint8_t *d = f->drs;
	double r = grib2_f32(d + 11);
	int e = grib2_s16(d + 15), dec = grib2_s16(d + 17);
	double tenD = pow(10.0, -dec);

	/* ecCodes computes (X * 2^E + R) * 10^-D: the same products. */
	s->mul = ldexp(1.0, e) * tenD;
	s->add = r * tenD;
	s->nbits = d[19];
}
