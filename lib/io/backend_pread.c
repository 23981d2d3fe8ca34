/* SPDX-License-Identifier: MIT */
/*
 * backend_pread.c - synchronous pread(2), one read at a time per worker.
 *
 * The fallback when io_uring cannot be set up (seccomp, a kernel with
 * io_uring_disabled, old kernels), and the peer lsio is measured against:
 * the workers themselves are the thread pool.
 */
#include <errno.h>
#include <unistd.h>

#include "internal.h"

static int pread_init(struct lsio_worker *w, unsigned depth, uint8_t **bufs,
		      unsigned nbufs, size_t buf_len)
{
	return 0;
}

/* Read once; the engine continues short reads and retries EINTR. */
static int pread_queue(struct lsio_worker *w, struct lsio_io *io)
{
	ssize_t n = pread(io->fd, io->buf, io->len, (off_t)io->off);

	io->res = n < 0 ? -errno : (int)n;
	return 1;
}

static int pread_submit(struct lsio_worker *w)
{
	return 0;
}

static int pread_reap(struct lsio_worker *w, bool wait, struct lsio_io **done,
		      unsigned max)
{
	return 0;
}

static void pread_cleanup(struct lsio_worker *w)
{
}

const struct lsio_backend_ops lsio_backend_pread = {
	.name = "pread",
	.init = pread_init,
	.queue = pread_queue,
	.submit = pread_submit,
	.reap = pread_reap,
	.cleanup = pread_cleanup,
};
