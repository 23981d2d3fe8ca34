/* SPDX-License-Identifier: MIT */
/*
 * sink_memory.c - an array output assembled in memory the caller owns
 * (lsio_run_into): the array sink without its file.  The same placement
 * code (sink_mapped.c's lsio_grid_*) puts chunks into it, so a chunk lands
 * in the caller's buffer exactly where it would land in the .npy; there is
 * no header, nothing to rename and nothing to remove on failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "sink/sink_mapped.h"

/* Whether job's output can be assembled in d's memory: an array of at
 * most d->cap bytes (for a reduction, job is the result's). */
static int memory_check(struct lsio_ctx *ctx, const struct lsio_job *job,
			const struct lsio_dest *d)
{
	const struct lsio_output *out = &job->out;
	uint64_t need;
	char shape[LSIO_MAX_DIMS * 22 + 4];

	if (out->type != LSIO_OUT_ARRAY)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "lsio_run_into: the job's output is %s, not an array%s",
				 lsio_job_output_type(job),
				 out->type == LSIO_OUT_DATASET
					 ? " (a dataset holds several: write it to a file, or take its chunks with lsio_run_callback)"
					 : "");
	need = lsio_grid_bytes(out->shape, out->ndim, out->dtype.size);
	if (need > d->cap)
		return lsio_fail(ctx, -LSIO_ETOOBIG,
				 "lsio_run_into: the array needs %" PRIu64 " bytes (shape %s x %u-byte %s), the buffer holds %zu",
				 need, lsio_shape_text(out->shape, out->ndim,
						       shape, sizeof(shape)),
				 out->dtype.size, out->dtype.str, d->cap);
	if (need && !d->buf)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "lsio_run_into: no buffer for the array's %" PRIu64 " bytes",
				 need);
	return 0;
}

/* The fill value goes in first, "prefill": false or not: the caller's
 * memory holds whatever it held, and a chunk left out of the job must not
 * show it. */
static int memory_open(struct lsio_sink *s)
{
	const struct lsio_output *out = &s->job->out;
	size_t len = (size_t)lsio_grid_bytes(out->shape, out->ndim,
					     out->dtype.size);
	struct lsio_grid *g;
	int err = memory_check(s->ctx, s->job, s->dest);

	if (err)
		return err;
	g = calloc(1, sizeof(*g));
	if (!g)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	*g = (struct lsio_grid){ .data = s->dest->buf, .shape = out->shape,
				 .ndim = lsio_place_rank(out),
				 .dtype = &out->dtype, .populated = true };
	if (len)	/* buf may be NULL for an empty array */
		lsio_fill_repeat(g->data, len, out->fill, sizeof(out->fill),
				 out->dtype.size);
	s->priv = g;
	return 0;
}

static uint8_t *memory_direct(struct lsio_sink *s, uint64_t i, size_t len)
{
	return lsio_grid_direct(s, s->priv, i, len);
}

static int memory_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		      size_t n)
{
	return lsio_grid_put(s, NULL, s->priv, i, p, n);
}

static uint8_t *memory_data(struct lsio_sink *s, uint32_t var)
{
	return ((struct lsio_grid *)s->priv)->data;
}

static void memory_close(struct lsio_sink *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_memory = {
	.name = "memory",
	.open = memory_open,
	.direct = memory_direct,
	.put = memory_put,
	.data = memory_data,
	.commit = lsio_sink_commit_nothing,
	/* The caller's memory is the caller's: after a failure it holds a
	 * part of the array, as lsio_run_into() says. */
	.abort = lsio_sink_release_nothing,
	.close = memory_close,
};
