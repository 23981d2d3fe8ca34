/* SPDX-License-Identifier: MIT */
/*
 * backend_uring.c - reads on io_uring, one ring per worker thread.
 *
 * The worker's buffer arena is registered once (fixed buffers: the kernel
 * need not pin and unpin pages on every O_DIRECT read), and so is its file
 * table when the engine opened every source up front.  Both are
 * optimisations: when registration is refused (RLIMIT_MEMLOCK, too many
 * files) the ring still works with plain reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include <liburing.h>

#include "internal.h"

struct uring_data {
	struct io_uring ring;
	bool fixed_bufs;
	bool fixed_files;
};

static int ring_setup(struct io_uring *ring, unsigned entries)
{
	/* One thread submits and reaps: tell the kernel, it saves work.
	 * Older kernels refuse these flags; retry without them. */
	unsigned flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
	int ret = io_uring_queue_init(entries, ring, flags);

	if (ret == -EINVAL)
		ret = io_uring_queue_init(entries, ring, 0);
	return ret;
}

static bool register_bufs(struct io_uring *ring, uint8_t **bufs,
			  unsigned nbufs, size_t buf_len)
{
	struct iovec *iov;
	int ret;

	if (!nbufs || buf_len > (1u << 30))
		return false;
	iov = calloc(nbufs, sizeof(*iov));
	if (!iov)
		return false;
	for (unsigned i = 0; i < nbufs; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = buf_len;
	}
	ret = io_uring_register_buffers(ring, iov, nbufs);
	free(iov);
	return ret == 0;
}

static int uring_init(struct lsio_worker *w, unsigned depth, uint8_t **bufs,
		      unsigned nbufs, size_t buf_len)
{
	struct uring_data *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	ret = ring_setup(&d->ring, depth);
	if (ret < 0) {
		free(d);
		return ret;
	}
	d->fixed_bufs = register_bufs(&d->ring, bufs, nbufs, buf_len);
	if (w->files && w->nfiles)
		d->fixed_files = io_uring_register_files(&d->ring, w->files,
							 w->nfiles) == 0;
	w->backend_data = d;
	return 0;
}

static int uring_queue(struct lsio_worker *w, struct lsio_io *io)
{
	struct uring_data *d = w->backend_data;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->ring);

	if (!sqe) {
		/* The SQ is sized to the depth, so this means the engine
		 * queued more than it may; submit and try once more. */
		io_uring_submit(&d->ring);
		sqe = io_uring_get_sqe(&d->ring);
		if (!sqe)
			return -EBUSY;
	}
	if (d->fixed_files && io->file_index >= 0) {
		if (d->fixed_bufs && io->buf_index >= 0)
			io_uring_prep_read_fixed(sqe, io->file_index, io->buf,
						 io->len, io->off,
						 io->buf_index);
		else
			io_uring_prep_read(sqe, io->file_index, io->buf,
					   io->len, io->off);
		sqe->flags |= IOSQE_FIXED_FILE;
	} else if (d->fixed_bufs && io->buf_index >= 0) {
		io_uring_prep_read_fixed(sqe, io->fd, io->buf, io->len, io->off,
					 io->buf_index);
	} else {
		io_uring_prep_read(sqe, io->fd, io->buf, io->len, io->off);
	}
	io_uring_sqe_set_data(sqe, io);
	return 0;
}

static int uring_submit(struct lsio_worker *w)
{
	struct uring_data *d = w->backend_data;
	int ret;

	do
		ret = io_uring_submit(&d->ring);
	while (ret == -EINTR);
	return ret;
}

static int uring_reap(struct lsio_worker *w, bool wait, struct lsio_io **done,
		      unsigned max)
{
	struct uring_data *d = w->backend_data;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int ret;

	if (wait) {
		do
			ret = io_uring_wait_cqe(&d->ring, &cqe);
		while (ret == -EINTR);
		if (ret < 0)
			return ret;
	}
	io_uring_for_each_cqe(&d->ring, head, cqe) {
		struct lsio_io *io = io_uring_cqe_get_data(cqe);

		if (n == max)
			break;
		io->res = cqe->res;
		done[n++] = io;
	}
	io_uring_cq_advance(&d->ring, n);
	return (int)n;
}

static void uring_cleanup(struct lsio_worker *w)
{
	struct uring_data *d = w->backend_data;

	if (!d)
		return;
	io_uring_queue_exit(&d->ring);
	free(d);
	w->backend_data = NULL;
}

const struct lsio_backend_ops lsio_backend_uring = {
	.fallback = "pread",
	.name = "uring",
	.init = uring_init,
	.queue = uring_queue,
	.submit = uring_submit,
	.reap = uring_reap,
	.cleanup = uring_cleanup,
};
