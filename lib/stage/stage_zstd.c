/* SPDX-License-Identifier: MIT */
/*
 * stage_zstd.c - Zstandard frames, one or several concatenated.
 *
 * When every frame declares its content size (what `zstd FILE` and
 * numcodecs write) the total is checked against the limit first and the
 * chunk is decoded in one call straight into a buffer of exactly that
 * size, zstd's fastest path.  Otherwise (frames written from a pipe) the
 * same call is tried with the room the worker's scratch already has, and
 * if that is too small the chunk is decoded as a stream into a buffer that
 * grows up to the limit: one byte more than the limit is an error rather
 * than a larger buffer.
 */
#include <zstd.h>
#include <zstd_errors.h>

#include "internal.h"
#include "stage.h"

/* A decoder error as an lsio error: a checksum mismatch is told apart. */
static int zstd_fail(struct lsio_stage_io *io, size_t code)
{
	int err = -LSIO_EDATA;

	if (ZSTD_getErrorCode(code) == ZSTD_error_checksum_wrong)
		err = -LSIO_ECHECKSUM;
	return lsio_stage_fail(io, err, "zstd: %s", ZSTD_getErrorName(code));
}

/* Sum the content sizes of the chunk's frames.  Returns 1 and sets *total
 * when all are known, 0 when one is not, or a negative error for a chunk
 * that is not a sequence of whole frames or declares too much. */
static int zstd_total_size(struct lsio_stage_io *io, uint64_t *total)
{
	const uint8_t *p = io->in;
	size_t left = io->in_len;

	*total = 0;
	while (left) {
		unsigned long long size = ZSTD_getFrameContentSize(p, left);
		size_t frame = ZSTD_findFrameCompressedSize(p, left);

		if (size == ZSTD_CONTENTSIZE_UNKNOWN)
			return 0;
		if (size == ZSTD_CONTENTSIZE_ERROR)
			return lsio_stage_fail(io, -LSIO_EDATA,
					       "zstd: not a zstd frame at byte %zu",
					       io->in_len - left);
		/* A claim beyond the bound is refused before anything else. */
		if (!lsio_add_ok(*total, size, total))
			*total = UINT64_MAX;
		if (*total > lsio_stage_bound(io))
			return lsio_stage_fail(io, -LSIO_ETOOBIG,
					       "zstd: %s %llu bytes, destination holds %zu",
					       p == io->in ? "frame declares" :
					       "frames declare",
					       (unsigned long long)*total,
					       lsio_stage_bound(io));
		if (ZSTD_isError(frame))
			return lsio_stage_fail(io, -LSIO_EDATA,
					       "zstd: frame at byte %zu: %s",
					       io->in_len - left,
					       ZSTD_getErrorName(frame));
		p += frame;
		left -= frame;
	}
	return 1;
}

static int zstd_decode_known(struct lsio_stage_io *io, ZSTD_DCtx *d,
			     uint64_t total)
{
	size_t n;
	int ret = lsio_stage_claim(io, "zstd: frames declare", total);

	if (ret)
		return ret;
	n = ZSTD_decompressDCtx(d, io->scratch->p, total, io->in, io->in_len);
	if (ZSTD_isError(n))
		return zstd_fail(io, n);
	if (n != total)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "zstd: decoded %zu bytes, frames declare %llu",
				       n, (unsigned long long)total);
	lsio_stage_set_out(io, n);
	return 0;
}

/* One step of the stream: into the scratch, or, once the bound is
 * reached, into a one-byte probe that must stay empty. */
static int zstd_stream_step(struct lsio_stage_io *io, ZSTD_DCtx *d,
			    ZSTD_inBuffer *in, size_t *used, size_t *left)
{
	uint8_t probe;
	ZSTD_outBuffer out = { &probe, 1, 0 };
	size_t room;
	int full = lsio_stage_room(io, *used, io->in_len * 4, &room);

	if (full < 0)
		return full;
	if (!full) {
		out.dst = io->scratch->p + *used;
		out.size = room - *used;
	}
	*left = ZSTD_decompressStream(d, &out, in);
	if (ZSTD_isError(*left))
		return zstd_fail(io, *left);
	if (full && out.pos)
		return lsio_stage_overflow(io, "zstd");
	if (!full)
		*used += out.pos;
	/* All input taken, room to spare, yet the frame wants more. */
	if (*left && in->pos == in->size && out.pos < out.size)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "zstd: truncated input (%zu bytes)",
				       io->in_len);
	return 0;
}

static int zstd_decode_stream(struct lsio_stage_io *io, ZSTD_DCtx *d)
{
	ZSTD_inBuffer in = { io->in, io->in_len, 0 };
	size_t used = 0, left = 1;
	int ret;

	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	/* left == 0 at the end of each frame; input left means another. */
	while (in.pos < in.size || left) {
		ret = zstd_stream_step(io, d, &in, &used, &left);
		if (ret)
			return ret;
	}
	if (io->expect && used != io->expect)
		return lsio_stage_fail(io, -LSIO_ESIZE,
				       "zstd: decoded %zu bytes, expected %zu",
				       used, io->expect);
	lsio_stage_set_out(io, used);
	return 0;
}

/* Frames without a content size still decode in one call when the
 * output fits: try the room the scratch already has (it keeps the largest
 * size seen) or the expected size.  Returns 1 to fall back to streaming. */
static int zstd_decode_into_room(struct lsio_stage_io *io, ZSTD_DCtx *d)
{
	size_t room = MIN(MAX(io->scratch->cap, io->expect),
			  lsio_stage_bound(io));
	size_t n;

	if (!room || lsio_scratch_reserve(io->scratch, room))
		return 1;
	n = ZSTD_decompressDCtx(d, io->scratch->p, room, io->in, io->in_len);
	if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
		return 1;
	if (ZSTD_isError(n))
		return zstd_fail(io, n);
	if (io->expect && n != io->expect)
		return lsio_stage_fail(io, -LSIO_ESIZE,
				       "zstd: decoded %zu bytes, expected %zu",
				       n, io->expect);
	lsio_stage_set_out(io, n);
	return 0;
}

static int zstd_run(struct lsio_stage_io *io)
{
	uint64_t total;
	int ret;

	if (!io->state)
		return lsio_stage_fail(io, -ENOMEM, "zstd: no decoder context");
	if (!io->in_len)
		return lsio_stage_fail(io, -LSIO_EDATA, "zstd: empty input");
	ret = zstd_total_size(io, &total);
	if (ret < 0)
		return ret;
	if (ret)
		return zstd_decode_known(io, io->state, total);
	ret = zstd_decode_into_room(io, io->state);
	if (ret <= 0)
		return ret;
	return zstd_decode_stream(io, io->state);
}

static void *zstd_state_new(void)
{
	return ZSTD_createDCtx();
}

static void zstd_state_free(void *state)
{
	ZSTD_freeDCtx(state);
}

const struct lsio_stage_ops lsio_stage_zstd = {
	.name = "zstd",
	.state_new = zstd_state_new,
	.state_free = zstd_state_free,
	.run = zstd_run,
};
