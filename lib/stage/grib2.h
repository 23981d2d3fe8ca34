/* SPDX-License-Identifier: MIT */
/*
 * grib2.h - what the grib2 stage (stage_grib2.c) shares with its helpers:
 * the section walk (grib2_sections.c), the bit unpacker (grib2_bits.c),
 * complex packing (grib2_complex.c) and the library-backed templates
 * (grib2_libs.c).  Named grib2_* rather than grib_*: lib/format/grib*.c
 * (the `lsio grib` inventories) is another module.
 *
 * Nothing here trusts the message: every length and offset is checked
 * against the bytes actually present before it is used.
 */
#ifndef LSIO_GRIB2_H
#define LSIO_GRIB2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* One field of a message: the sections that describe it (the last ones
 * seen before its section 7, as WMO's multi-field rule says). */
struct grib2_field {
	uint64_t npoints;	/* section 3: data points of the grid */
	uint32_t grid_tmpl;	/* 3.x */
	uint32_t ni, nj;	/* the grid's shape; 0, 0 for a reduced grid */
	uint8_t scan;		/* scanning mode flags (table 3.4) */
	uint64_t nvalues;	/* section 5: values packed in section 7 */
	uint32_t drs_tmpl;	/* 5.x */
	const uint8_t *drs;	/* section 5, from its octet 1 */
	uint32_t drs_len;
	const uint8_t *bitmap;	/* section 6 bitmap (npoints bits), or NULL */
	const uint8_t *data;	/* section 7 after its 5-octet header */
	size_t data_len;
};

/* Find field `field` (1-based) of the one message msg[0..len).  Returns
 * 0, or -LSIO_EDATA / -LSIO_ENOTSUP with the reason in why. */
int grib2_field_find(const uint8_t *msg, size_t len, uint32_t field,
		     struct grib2_field *f, char *why, size_t why_cap);

/* Read the grid of section 3 (s[0..len), from its octet 1) into f's
 * npoints, grid_tmpl, ni, nj and scan.  Also the job generator's
 * (lib/format/grib.c), which must know a message's shape before it is
 * decoded.  Returns 0, or -LSIO_EDATA / -LSIO_ENOTSUP with why. */
int grib2_grid_read(const uint8_t *s, uint32_t len, struct grib2_field *f,
		    char *why, size_t cap);

/* Write why into why[0..cap) and return err: a failure is one statement. */
int grib2_fail(char *why, size_t cap, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Big-endian readers for octets the caller has bounds-checked. */
static inline uint32_t grib2_u16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t grib2_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* GRIB2 negative integers are sign and magnitude, not two's complement. */
static inline int32_t grib2_s16(const uint8_t *p)
{
	int32_t m = (int32_t)(grib2_u16(p) & 0x7fff);

	return p[0] & 0x80 ? -m : m;
}

static inline float grib2_f32(const uint8_t *p)
{
	uint32_t u = grib2_u32(p);
	float f;

	__builtin_memcpy(&f, &u, sizeof(f));
	return f;
}

/* Unpack n unsigned values of nbits (0..32) each, starting bitoff bits
 * into p[0..len), into out.  The caller checks that bitoff + n * nbits
 * fits in len bytes; the unpacker never reads past p + len. */
void grib2_unpack(const uint8_t *p, size_t len, uint64_t bitoff,
		  unsigned nbits, uint32_t *out, size_t n);

/* The bits n values of nbits take from bitoff, or UINT64_MAX on overflow. */
uint64_t grib2_bits_end(uint64_t bitoff, uint64_t n, unsigned nbits);

/* Y = (R + X * 2^E) / 10^D, as y = X * mul + add. */
struct grib2_scale {
	double mul, add;
	unsigned nbits;
};

/* y = X * mul + add for n integers, stored as float (f8 false) or double
 * at out (grib2_simple.c, as the three below). */
void grib2_scale_ints(const uint32_t *x, size_t n, const struct grib2_scale *s,
		      void *out, bool f8);

/* Simple packing: n values of s->nbits (<= 32) from bit 0 of p[0..len),
 * which the caller checked holds them, scaled into out. */
void grib2_simple_scaled(const uint8_t *p, size_t len, const struct grib2_scale *s,
			 uint64_t n, void *out, bool f8);

/* Template 5.4: n big-endian IEEE values of size 4 or 8 octets at p,
 * which the caller checked holds them, into out. */
void grib2_ieee_copy(const uint8_t *p, uint64_t n, unsigned size, void *out,
		     bool f8);

/* Spread the nvalues values at the start of out over npoints, NaN where
 * the bitmap's bit is clear; the bitmap has exactly nvalues bits set. */
void grib2_bitmap_expand(void *out, bool f8, const uint8_t *bitmap,
			 uint64_t npoints, uint64_t nvalues);

/* Read R, E, D and the bits per value of templates 5.0/5.2/5.3/5.40/5.41/
 * 5.42 (octets 12-20 of section 5, which they share). */
void grib2_scale_read(const struct grib2_field *f, struct grib2_scale *s);

/* Buffers a worker keeps from one message to the next (lsio_scratch:
 * grown geometrically, so the hot path does not allocate). */
struct grib2_state {
	struct lsio_scratch ints;	/* unpacked integers */
	struct lsio_scratch groups;	/* complex packing: refs, widths, lengths */
	struct lsio_scratch raw;	/* a library's decoded samples */
};

/* Templates 5.2 and 5.3: decode f's nvalues into out as float (f8
 * false) or double, NaN for missing values.  0 or negative with why. */
int grib2_complex_decode(const struct grib2_field *f, struct grib2_state *st,
			 void *out, bool f8, char *why, size_t why_cap);

/* Templates 5.40, 5.41, 5.42: decode the payload into st->ints (nvalues
 * unsigned integers X).  0, -LSIO_EDATA, or -LSIO_ENOTSUP for a build
 * without the library. */
int grib2_jpeg_decode(const struct grib2_field *f, struct grib2_state *st,
		      char *why, size_t why_cap);
int grib2_png_decode(const struct grib2_field *f, struct grib2_state *st,
		     char *why, size_t why_cap);
int grib2_aec_decode(const struct grib2_field *f, struct grib2_state *st,
		     char *why, size_t why_cap);

#endif
