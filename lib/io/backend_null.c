/* SPDX-License-Identifier: MIT */
/*
 * backend_null.c - completes every read at once without touching storage
 * or the buffer.  It exists to measure lsio itself: planning, scheduling,
 * stages and sinks, with the I/O taken out (fio's null engine).
 */
#include "internal.h"

static int null_init(struct lsio_worker *w, unsigned depth, uint8_t **bufs,
		     unsigned nbufs, size_t buf_len)
{
	return 0;
}

static int null_queue(struct lsio_worker *w, struct lsio_io *io)
{
	io->res = (int)io->len;
	return 1;
}

static int null_submit(struct lsio_worker *w)
{
	return 0;
}

static int null_reap(struct lsio_worker *w, bool wait, struct lsio_io **done,
		     unsigned max)
{
	return 0;
}

static void null_cleanup(struct lsio_worker *w)
{
}

const struct lsio_backend_ops lsio_backend_null = {
	.flags = LSIO_BACKEND_NO_READS,
	.name = "null",
	.init = null_init,
	.queue = null_queue,
	.submit = null_submit,
	.reap = null_reap,
	.cleanup = null_cleanup,
};
