/* SPDX-License-Identifier: MIT */
/*
 * stage_lz4.c - LZ4 in its three containers:
 *
 *   "frame"      the LZ4 frame format of the lz4 tool (concatenated frames
 *                too), decoded as a stream bounded by the limit
 *   "numcodecs"  what numcodecs.LZ4 (and so Zarr) writes: the decoded size
 *                as 4 bytes little-endian, then one LZ4 block
 *   "block"      one raw LZ4 block; its decoded size is not stored, so it
 *                must come from the chunk's destination (io->expect)
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lz4frame.h>

#include "internal.h"
#include "stage.h"

enum lz4_format { LZ4_FMT_FRAME, LZ4_FMT_NUMCODECS, LZ4_FMT_BLOCK };

/* Indexed by enum lz4_format. */
static const char *const lz4_format_names[] = { "frame", "numcodecs", "block" };

struct lz4_params {
	enum lz4_format format;
};

static const char *const lz4_keys[] = { "format", NULL };

static int lz4_parse(struct lsio_ctx *ctx, const char *path, json_t *obj,
		     void **params)
{
	json_t *v = obj ? json_object_get(obj, "format") : NULL;
	struct lz4_params *p;
	size_t i = LZ4_FMT_FRAME;

	if (v) {
		const char *s = json_string_value(v);

		for (i = 0; s && i < ARRAY_SIZE(lz4_format_names); i++)
			if (!strcmp(s, lz4_format_names[i]))
				break;
		if (!s || i == ARRAY_SIZE(lz4_format_names))
			return lsio_fail(ctx, -LSIO_EJOB,
				"%s: lz4 format must be 'frame', 'numcodecs' or 'block'",
				path);
	}
	p = malloc(sizeof(*p));
	if (!p)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", path);
	p->format = (enum lz4_format)i;
	*params = p;
	return 0;
}

/* One raw block into exactly n bytes of scratch. */
static int lz4_block_into(struct lsio_stage_io *io, const uint8_t *src,
			  size_t src_len, size_t n)
{
	int got;

	if (src_len > LZ4_MAX_INPUT_SIZE || n > INT_MAX)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "lz4: block of %zu bytes decoding to %zu is beyond lz4's limits",
				       src_len, n);
	got = LZ4_decompress_safe((const char *)src, (char *)io->scratch->p,
				  (int)src_len, (int)n);
	if (got < 0)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "lz4: corrupt block (error at input byte %d)",
				       -got - 1);
	if ((size_t)got != n)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "lz4: block decodes to %d bytes, %zu declared",
				       got, n);
	lsio_stage_set_out(io, n);
	return 0;
}

static int lz4_numcodecs(struct lsio_stage_io *io)
{
	const uint8_t *p = io->in;
	uint32_t n;
	int ret;

	if (io->in_len < 4)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "lz4: %zu bytes is too short for the 4-byte size header",
				       io->in_len);
	n = lsio_le32(p);
	ret = lsio_stage_claim(io, "lz4: header declares", n);
	if (ret)
		return ret;
	return lz4_block_into(io, p + 4, io->in_len - 4, n);
}

static int lz4_block(struct lsio_stage_io *io)
{
	int ret;

	if (!io->expect)
		return lsio_stage_fail(io, -LSIO_EJOB,
				       "lz4 block format needs the decoded size: give the chunk a place");
	ret = lsio_stage_claim(io, "lz4: expected size is", io->expect);
	if (ret)
		return ret;
	return lz4_block_into(io, io->in, io->in_len, io->expect);
}

#define LZ4F_MAGIC 0x184d2204u

/* liblz4's error names ("ERROR_frameType_unknown") in plain words; a
 * checksum mismatch is told apart from corrupt data. */
static const struct {
	const char *name;	/* without "ERROR_" */
	const char *text;
	bool checksum;
} lz4f_errors[] = {
	{ "frameHeader_incomplete", "the frame header is cut short", false },
	{ "headerVersion_wrong", "the frame header has an unknown version", false },
	{ "reservedFlag_set", "the frame header sets a reserved flag (corrupt, or a newer format)", false },
	{ "maxBlockSize_invalid", "the frame header has an invalid block size", false },
	{ "blockMode_invalid", "the frame header has an invalid block mode", false },
	{ "headerChecksum_invalid", "frame header checksum mismatch", true },
	{ "blockChecksum_invalid", "block checksum mismatch", true },
	{ "contentChecksum_invalid", "content checksum mismatch", true },
	{ "frameSize_wrong", "the frame decodes to another size than its header declares", false },
	{ "decompressionFailed", "corrupt compressed block", false },
};

/* A frame decoder error at input byte pos (where the failing call began). */
static int lz4f_fail(struct lsio_stage_io *io, size_t code, size_t pos)
{
	const char *name = LZ4F_getErrorName(code);

	if (!strncmp(name, "ERROR_", 6))
		name += 6;
	if (!strcmp(name, "frameType_unknown"))
		return io->in_len - pos >= 4 ?
			lsio_stage_fail(io, -LSIO_EDATA,
					"lz4: not an LZ4 frame at byte %zu (magic number 0x%08x, expected 0x%08x)",
					pos, lsio_le32(io->in + pos), LZ4F_MAGIC) :
			lsio_stage_fail(io, -LSIO_EDATA,
					"lz4: not an LZ4 frame: %zu stray bytes at byte %zu",
					io->in_len - pos, pos);
	for (size_t i = 0; i < ARRAY_SIZE(lz4f_errors); i++)
		if (!strcmp(name, lz4f_errors[i].name))
			return lsio_stage_fail(io, lz4f_errors[i].checksum ?
					       -LSIO_ECHECKSUM : -LSIO_EDATA,
					       "lz4: %s", lz4f_errors[i].text);
	return lsio_stage_fail(io, -LSIO_EDATA, "lz4: decoder error '%s'", name);
}

/* One call of the frame decoder; *pos and *used advance. Like zstd, once
 * the bound is reached it decodes into a one-byte probe that must stay
 * empty. Sets *left to the decoder's hint: 0 at the end of a frame. */
static int lz4f_step(struct lsio_stage_io *io, LZ4F_dctx *d, size_t *pos,
		     size_t *used, size_t hint, size_t *left)
{
	uint8_t probe;
	uint8_t *dst = &probe;
	size_t room, dst_len = 1, src_len = io->in_len - *pos;
	int full = lsio_stage_room(io, *used, hint, &room);

	if (full < 0)
		return full;
	if (!full) {
		dst = io->scratch->p + *used;
		dst_len = room - *used;
	}
	*left = LZ4F_decompress(d, dst, &dst_len, io->in + *pos, &src_len,
				NULL);
	if (LZ4F_isError(*left))
		return lz4f_fail(io, *left, *pos);
	if (full && dst_len)
		return lsio_stage_overflow(io, "lz4");
	*pos += src_len;
	if (!full)
		*used += dst_len;
	/* Everything read, room to spare, and the frame is not done. */
	if (*left && *pos == io->in_len && (full || *used < room))
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "lz4: truncated input (%zu bytes)",
				       io->in_len);
	return 0;
}

static int lz4_frame(struct lsio_stage_io *io, LZ4F_dctx *d)
{
	LZ4F_frameInfo_t info;
	size_t pos = io->in_len, used = 0, left, hint = io->in_len * 4;
	int ret;

	if (!io->in_len)
		return lsio_stage_fail(io, -LSIO_EDATA, "lz4: empty input");
	LZ4F_resetDecompressionContext(d);
	/* The first frame's header: a declared size sizes the buffer, and
	 * one beyond the bound is refused before decoding. */
	left = LZ4F_getFrameInfo(d, &info, io->in, &pos);
	if (LZ4F_isError(left))
		return lz4f_fail(io, left, 0);
	if (info.contentSize > lsio_stage_bound(io))
		return lsio_stage_fail(io, -LSIO_ETOOBIG,
				       "lz4: frame declares %llu bytes, destination holds %zu",
				       info.contentSize, lsio_stage_bound(io));
	if (info.contentSize)
		hint = info.contentSize;
	else if (io->expect)
		hint = io->expect;
	while (pos < io->in_len || left) {
		ret = lz4f_step(io, d, &pos, &used, hint, &left);
		if (ret)
			return ret;
	}
	if (io->expect && used != io->expect)
		return lsio_stage_fail(io, -LSIO_ESIZE,
				       "lz4: decoded %zu bytes, expected %zu", used,
				       io->expect);
	lsio_stage_set_out(io, used);
	return 0;
}

static int lz4_run(struct lsio_stage_io *io)
{
	const struct lz4_params *p = io->params;

	switch (p ? p->format : LZ4_FMT_FRAME) {
	case LZ4_FMT_NUMCODECS:
		return lz4_numcodecs(io);
	case LZ4_FMT_BLOCK:
		return lz4_block(io);
	default:
		if (!io->state)
			return lsio_stage_fail(io, -ENOMEM,
					       "lz4: no decoder context");
		return lz4_frame(io, io->state);
	}
}

static void *lz4_state_new(void)
{
	LZ4F_dctx *d;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return NULL;
	return d;
}

static void lz4_state_free(void *state)
{
	if (state)
		LZ4F_freeDecompressionContext(state);
}

const struct lsio_stage_ops lsio_stage_lz4 = {
	.name = "lz4",
	.keys = lz4_keys,
	.parse = lz4_parse,
	.free_params = free,
	.state_new = lz4_state_new,
	.state_free = lz4_state_free,
	.run = lz4_run,
};
