/* SPDX-License-Identifier: MIT */
/*
 * stage.h - the stages the registry in stage.c lists.  A new stage is one
 * file lib/stage/stage_NAME.c defining a const struct lsio_stage_ops, and
 * one line here.  Also the few helpers every decoder shares: reporting
 * why a chunk failed, and growing the output without passing io->limit.
 */
#ifndef LSIO_STAGE_H
#define LSIO_STAGE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

extern const struct lsio_stage_ops lsio_stage_identity;
extern const struct lsio_stage_ops lsio_stage_zstd;
extern const struct lsio_stage_ops lsio_stage_lz4;
extern const struct lsio_stage_ops lsio_stage_gzip;
extern const struct lsio_stage_ops lsio_stage_zlib;
extern const struct lsio_stage_ops lsio_stage_blosc;
extern const struct lsio_stage_ops lsio_stage_shuffle;
extern const struct lsio_stage_ops lsio_stage_bytes;
extern const struct lsio_stage_ops lsio_stage_crc32c;
extern const struct lsio_stage_ops lsio_stage_delta;
extern const struct lsio_stage_ops lsio_stage_grib2;
extern const struct lsio_stage_ops lsio_stage_grib2_check;

/* The codecs and filters (issue: stage chains), in the order "did you
 * mean" and lsio --help list them. */
#define LSIO_STAGE_CODECS                                                   \
	&lsio_stage_zstd, &lsio_stage_lz4, &lsio_stage_gzip, &lsio_stage_zlib, \
	&lsio_stage_blosc, &lsio_stage_shuffle, &lsio_stage_bytes,         \
	&lsio_stage_crc32c, &lsio_stage_delta, &lsio_stage_grib2,         \
	&lsio_stage_grib2_check,

/* CRC-32C (Castagnoli) of p[0..n), continuing from crc (0 to start).  The
 * two implementations are exposed so the unit test can check both. */
uint32_t lsio_crc32c(uint32_t crc, const void *p, size_t n);
uint32_t lsio_crc32c_sw(uint32_t crc, const void *p, size_t n);
/* Only call when lsio_crc32c_hw_available() says so. */
uint32_t lsio_crc32c_hw(uint32_t crc, const void *p, size_t n);
bool lsio_crc32c_hw_available(void);

/* A 4-byte little-endian field of a header or trailer: unsigned, so a
 * size of 2^31 or more is read as what it is, never sign-extended. */
static inline uint32_t lsio_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Write why a stage failed into io->why (lower case, no full stop) and
 * return err, so that a failure is one statement. */
static inline int __attribute__((format(printf, 3, 4)))
lsio_stage_fail(struct lsio_stage_io *io, int err, const char *fmt, ...)
{
	va_list ap;

	if (io->why && io->why_cap) {
		va_start(ap, fmt);
		vsnprintf(io->why, io->why_cap, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The most a stage may write into its scratch: io->limit, or less when the
 * scratch is the (fixed) destination and smaller still. */
static inline size_t lsio_stage_bound(const struct lsio_stage_io *io)
{
	if (io->scratch->fixed)
		return MIN(io->limit, io->scratch->cap);
	return io->limit;
}

/* Check a size that a header declares (or that a filter will produce)
 * against the limit and the expected size, before any byte is written.
 * what says where n comes from: "zstd: frame declares". */
static inline int lsio_stage_check_size(struct lsio_stage_io *io,
					const char *what, uint64_t n)
{
	if (n > lsio_stage_bound(io))
		return lsio_stage_fail(io, -LSIO_ETOOBIG,
				       "%s %llu bytes, destination holds %zu",
				       what, (unsigned long long)n,
				       lsio_stage_bound(io));
	if (io->expect && n != io->expect)
		return lsio_stage_fail(io, -LSIO_ESIZE,
				       "%s %llu bytes, expected %zu", what,
				       (unsigned long long)n, io->expect);
	return 0;
}

/* Check a declared output size and make the scratch hold exactly that. */
static inline int lsio_stage_claim(struct lsio_stage_io *io, const char *what,
				   uint64_t n)
{
	int ret = lsio_stage_check_size(io, what, n);

	if (ret)
		return ret;
	ret = lsio_scratch_reserve(io->scratch, n);
	if (ret == -ENOMEM)
		return lsio_stage_fail(io, ret, "out of memory for %llu bytes",
				       (unsigned long long)n);
	return ret;
}

/* For decoders that learn their output size only by decoding: make room
 * beyond the used bytes, growing geometrically (hint for the first step)
 * but never past lsio_stage_bound().  Sets *room to the usable capacity.
 * Returns 0, 1 when the bound is reached (the caller then checks that no
 * further byte would come), or -ENOMEM. */
static inline int lsio_stage_room(struct lsio_stage_io *io, size_t used,
				  size_t hint, size_t *room)
{
	size_t bound = lsio_stage_bound(io);
	size_t want;

	*room = 0;
	if (used >= bound) {
		*room = bound;
		return 1;
	}
	if (used < io->scratch->cap) {
		*room = MIN(io->scratch->cap, bound);
		return 0;
	}
	want = MAX(MAX(hint, (size_t)65536), used / 2 * 4);
	want = MIN(want, bound);
	if (lsio_scratch_reserve(io->scratch, want))
		return lsio_stage_fail(io, -ENOMEM,
				       "out of memory for %zu bytes", want);
	*room = want;
	return 0;
}

/* The error for a decoder that had more to write than the bound allows. */
static inline int lsio_stage_overflow(struct lsio_stage_io *io,
				      const char *codec)
{
	return lsio_stage_fail(io, -LSIO_ETOOBIG,
			       "%s: decoded data exceeds the destination's %zu bytes",
			       codec, lsio_stage_bound(io));
}

/* Point io->out at the scratch, never at NULL (an empty output). */
static inline void lsio_stage_set_out(struct lsio_stage_io *io, size_t n)
{
	static uint8_t empty[1];

	io->out = io->scratch->p ? io->scratch->p : empty;
	io->out_len = n;
}

#endif
