/* SPDX-License-Identifier: MIT */
/*
 * stage_blosc.c - Blosc 1 buffers as numcodecs and zarr-python write them
 * (inner codec lz4, zstd, blosclz, zlib...; byte, bit or no shuffle): the
 * 16-byte header says everything, so the stage takes no parameters.
 *
 * blosc_decompress_ctx() is the thread-safe entry point (blosc_decompress
 * takes a global lock).  With one internal thread it keeps the decode on
 * the worker that read the chunk; the price is that Blosc 1 sets up a
 * small context per call, which no Blosc 1 API avoids.
 */
#include <blosc.h>

#include "internal.h"
#include "stage.h"

/* The sizes in a Blosc 1 header, read as the unsigned 32-bit fields they
 * are: blosc_cbuffer_sizes() reads them as int32 and sign-extends a size
 * of 2 GiB or more into a number near 2^64. */
struct blosc_header {
	uint32_t nbytes;	/* decoded */
	uint32_t cbytes;	/* the frame, header included */
};

static int blosc_header_read(struct lsio_stage_io *io, struct blosc_header *h)
{
	if (io->in_len < BLOSC_MIN_HEADER_LENGTH)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: %zu bytes is too short for the %d-byte header",
				       io->in_len, BLOSC_MIN_HEADER_LENGTH);
	h->nbytes = lsio_le32(io->in + 4);
	h->cbytes = lsio_le32(io->in + 12);
	/* Bytes after a complete frame are ignored, as numcodecs does (z5
	 * writes 16 of them); a frame cut short is an error. */
	if (h->cbytes > io->in_len)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: truncated: header says %u compressed bytes, chunk has %zu",
				       h->cbytes, io->in_len);
	if (h->cbytes < BLOSC_MIN_HEADER_LENGTH)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: header says %u compressed bytes, less than the header itself",
				       h->cbytes);
	/* A claim beyond the bound is refused first, whatever else is off. */
	if (h->nbytes > lsio_stage_bound(io))
		return lsio_stage_fail(io, -LSIO_ETOOBIG,
				       "blosc: header declares %u bytes, destination holds %zu",
				       h->nbytes, lsio_stage_bound(io));
	if (h->nbytes > BLOSC_MAX_BUFFERSIZE)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: header declares %u bytes, more than a Blosc 1 buffer holds (%d)",
				       h->nbytes, BLOSC_MAX_BUFFERSIZE);
	return 0;
}

static int blosc_run(struct lsio_stage_io *io)
{
	struct blosc_header h = { 0 };
	size_t nbytes;
	int ret, got;

	ret = blosc_header_read(io, &h);
	if (ret)
		return ret;
	if (blosc_cbuffer_validate(io->in, h.cbytes, &nbytes) < 0 ||
	    nbytes != h.nbytes)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: invalid header (%u bytes decoded from %u)",
				       h.nbytes, h.cbytes);
	ret = lsio_stage_claim(io, "blosc: header declares", nbytes);
	if (ret)
		return ret;
	if (!nbytes) {
		lsio_stage_set_out(io, 0);
		return 0;
	}
	/* The decoder reads no further than the header's cbytes. */
	got = blosc_decompress_ctx(io->in, io->scratch->p, nbytes, 1);
	if (got <= 0 || (size_t)got != nbytes)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: corrupt data (decoder returned %d, header says %zu bytes)",
				       got, nbytes);
	lsio_stage_set_out(io, nbytes);
	return 0;
}

const struct lsio_stage_ops lsio_stage_blosc = {
	.name = "blosc",
	.run = blosc_run,
};
