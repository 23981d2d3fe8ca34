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

static int blosc_run(struct lsio_stage_io *io)
{
	size_t nbytes, cbytes, blocksize;
	int ret, got;

	if (io->in_len < BLOSC_MIN_HEADER_LENGTH)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: %zu bytes is too short for the %d-byte header",
				       io->in_len, BLOSC_MIN_HEADER_LENGTH);
	blosc_cbuffer_sizes(io->in, &nbytes, &cbytes, &blocksize);
	if (cbytes != io->in_len)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: header says %zu compressed bytes, chunk has %zu",
				       cbytes, io->in_len);
	/* A claim beyond the bound is refused first, whatever else is off. */
	if (nbytes > lsio_stage_bound(io))
		return lsio_stage_fail(io, -LSIO_ETOOBIG,
				       "blosc: header declares %zu bytes, destination holds %zu",
				       nbytes, lsio_stage_bound(io));
	if (blosc_cbuffer_validate(io->in, io->in_len, &nbytes) < 0)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "blosc: invalid header (%zu bytes decoded)",
				       nbytes);
	ret = lsio_stage_claim(io, "blosc: header declares", nbytes);
	if (ret)
		return ret;
	if (!nbytes) {
		lsio_stage_set_out(io, 0);
		return 0;
	}
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
