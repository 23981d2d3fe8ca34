/* SPDX-License-Identifier: MIT */
/*
 * sink_null.c - read and decode, keep nothing.  Like fio's null engine it
 * exists to measure everything else: with it, a run costs I/O and stages
 * only.
 */
#include "internal.h"

static int null_open(struct lsio_sink *s)
{
	return 0;
}

static int null_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		    size_t n)
{
	atomic_fetch_add_explicit(&s->bytes_out, n, memory_order_relaxed);
	return 0;
}

int lsio_sink_commit_nothing(struct lsio_sink *s)
{
	return 0;
}

void lsio_sink_release_nothing(struct lsio_sink *s)
{
}

const struct lsio_sink_ops lsio_sink_null = {
	.name = "null",
	.open = null_open,
	.put = null_put,
	.commit = lsio_sink_commit_nothing,
	.abort = lsio_sink_release_nothing,
	.close = lsio_sink_release_nothing,
};
