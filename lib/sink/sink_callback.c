/* SPDX-License-Identifier: MIT */
/*
 * sink_callback.c - every decoded chunk handed to the caller's function
 * (lsio_run_callback), on the worker that decoded it, while its bytes are
 * still in that core's cache: the caller's code is the last stage.  Nothing
 * is written, so there is nothing to commit or remove.
 */
#include <inttypes.h>

#include "internal.h"

/* A chunk whose source is absent comes as its fill value, so the caller
 * sees every chunk once, whatever the output would have held already. */
static int callback_open(struct lsio_sink *s)
{
	s->put_absent = true;
	return 0;
}

static int callback_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
			size_t n)
{
	int ret = s->dest->fn(s->dest->arg, i, p, n);

	if (ret)
		return lsio_fail_first(s->ctx, ret < 0 ? ret : -LSIO_ECANCELED,
				       "chunk %" PRIu64 ": the callback returned %d",
				       i, ret);
	atomic_fetch_add_explicit(&s->bytes_out, n, memory_order_relaxed);
	return 0;
}

const struct lsio_sink_ops lsio_sink_callback = {
	.name = "callback",
	.open = callback_open,
	.put = callback_put,
	.commit = lsio_sink_commit_nothing,
	.abort = lsio_sink_release_nothing,
	.close = lsio_sink_release_nothing,
};
