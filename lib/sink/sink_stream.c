/* SPDX-License-Identifier: MIT */
/*
 * sink_stream.c - the stdout output: every chunk's decoded bytes, in job
 * order, for pipelines.
 *
 * Workers finish chunks out of order.  The worker holding chunk `next`
 * writes it straight from its own buffer, without a copy, then writes
 * whatever consecutive chunks others left in the reorder window.  A chunk
 * that arrives early is copied into a buffer of the window, found again
 * through a ring of `window` slots.  The window is bounded twice:
 *  - in chunks: the engine claims no work beyond next + window
 *    (lsio_sink_stream_next()), except a unit that starts at `next`; the
 *    rare chunk of such a unit that lands beyond the ring is kept in a
 *    list of its own, so nothing is refused;
 *  - in bytes (window_bytes, the engine's share of --memory): a worker
 *    reserves room before it decodes an early chunk
 *    (lsio_sink_stream_reserve()), and without room leaves the chunk in
 *    its read buffer for later.  That holds the buffer, which stops the
 *    worker's reads: the back-pressure that keeps a slow first chunk from
 *    filling memory with all the chunks after it.
 * Buffers written out are kept for reuse (a pool) within the budget.
 *
 * Writing happens outside the lock, so buffering never waits for the pipe.
 * One thread writes at a time: only the holder of chunk `next` writes, and
 * `next` advances only under the lock after its write returned.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define STREAM_WINDOW 256		/* chunks, when the caller sets none */
#define STREAM_KEEP_MAX (4u << 20)	/* larger buffers are not kept */

/* An early chunk's bytes, or a free buffer in the pool. */
struct stream_buf {
	struct stream_buf *next;	/* in the pool or the extra list */
	uint64_t i;		/* the chunk it holds */
	size_t n, cap;
	uint8_t p[];
};

struct stream_sink {
	pthread_mutex_t lock;	/* the fields below */
	_Atomic uint64_t next;	/* the lowest chunk not written yet */
	atomic_bool failed;	/* a write failed: stop gating the workers */
	int err;		/* that write's error, returned by every put */
	uint64_t nslots;
	struct stream_buf **slots;	/* chunk i's at i % nslots, once ready */
	struct stream_buf *extra;	/* beyond the ring; almost always empty */
	struct stream_buf *pool;	/* written out, kept for reuse */
	uint64_t npool;
	size_t budget;		/* bytes; 0: unbounded */
	size_t held;		/* bytes of every buffer, the pool's too */
	size_t used;		/* of those, buffers holding a chunk */
	size_t reserved;	/* room promised to chunks being decoded */
};

/* --- writing -------------------------------------------------------------- */

/*
 * A closed pipe must become EPIPE and a message, not the death of the
 * process: the library never decides to exit.  So SIGPIPE is blocked
 * around the writes, and the one a failed write raised is taken back (it is
 * directed at this thread).  If the caller already blocks SIGPIPE, nothing
 * is changed.
 */
static bool stream_block_sigpipe(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
	return !sigismember(old, SIGPIPE);
}

static void stream_restore_sigpipe(const sigset_t *old, bool blocked,
				   bool raised)
{
	static const struct timespec now;
	sigset_t set;

	if (!blocked)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (raised)
		while (sigtimedwait(&set, NULL, &now) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int stream_write(struct lsio_sink *s, const uint8_t *p, size_t n)
{
	size_t left = n;

	while (left) {
		ssize_t r = write(s->stdout_fd, p, left);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return lsio_fail_first(s->ctx, -errno,
					       "cannot write to standard output: %s",
					       strerror(errno));
		p += r;
		left -= (size_t)r;
	}
	atomic_fetch_add_explicit(&s->bytes_out, n, memory_order_relaxed);
	return 0;
}

/* --- buffers ------------------------------------------------------------- */

static void bufs_free(struct stream_buf *b)
{
	for (struct stream_buf *x; (x = b);) {
		b = x->next;
		free(x);
	}
}

/* Under the lock: a buffer of the pool of at least n bytes, or NULL. */
static struct stream_buf *pool_take(struct stream_sink *st, size_t n)
{
	for (struct stream_buf **pp = &st->pool, *b; (b = *pp); pp = &b->next) {
		if (b->cap < n)
			continue;
		*pp = b->next;
		st->npool--;
		return b;
	}
	return NULL;
}

/*
 * A buffer for n bytes: from the pool, else a new one, for which pooled
 * buffers (too small for it) make room first, so that the window's bytes
 * stay within its budget.
 */
static struct stream_buf *buf_get(struct stream_sink *st, size_t n)
{
	struct stream_buf *b, *drop = NULL;

	pthread_mutex_lock(&st->lock);
	b = pool_take(st, n);
	if (b) {
		st->used += b->cap;
		pthread_mutex_unlock(&st->lock);
		return b;
	}
	while (st->pool && st->budget && st->held + n > st->budget) {
		b = st->pool;
		st->pool = b->next;
		st->npool--;
		st->held -= b->cap;
		b->next = drop;
		drop = b;
	}
	st->held += n;
	st->used += n;
	pthread_mutex_unlock(&st->lock);
	bufs_free(drop);
	b = malloc(sizeof(*b) + n);
	if (b) {
		b->cap = n;
		return b;
	}
	pthread_mutex_lock(&st->lock);
	st->held -= n;
	st->used -= n;
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* Under the lock: a buffer written out goes to the pool, unless it is
 * large or the pool full; returns it when the caller must free it. */
static struct stream_buf *buf_release(struct stream_sink *st,
				      struct stream_buf *b)
{
	st->used -= b->cap;
	if (b->cap <= STREAM_KEEP_MAX && st->npool < st->nslots &&
	    (!st->budget || st->held <= st->budget)) {
		b->next = st->pool;
		st->pool = b;
		st->npool++;
		return NULL;
	}
	st->held -= b->cap;
	return b;
}

/* Under the lock: the buffered bytes of chunk i, if they have arrived. */
static struct stream_buf *stream_take(struct stream_sink *st, uint64_t i)
{
	struct stream_buf **slot = &st->slots[i % st->nslots], *b = *slot;

	if (b && b->i == i) {
		*slot = NULL;
		return b;
	}
	for (struct stream_buf **pp = &st->extra; (b = *pp); pp = &b->next) {
		if (b->i == i) {
			*pp = b->next;
			return b;
		}
	}
	return NULL;
}

/* Write chunk `next` from p, then every consecutive chunk already here. */
static int stream_drain(struct lsio_sink *s, struct stream_sink *st,
			const uint8_t *p, size_t n)
{
	struct stream_buf *b = NULL, *drop;
	sigset_t old;
	bool blocked = stream_block_sigpipe(&old);
	uint64_t next;
	int err;

	for (;;) {
		err = stream_write(s, p, n);
		pthread_mutex_lock(&st->lock);
		drop = b ? buf_release(st, b) : NULL;
		if (err) {
			st->err = err;
			atomic_store(&st->failed, true);
			break;
		}
		next = atomic_load_explicit(&st->next, memory_order_relaxed);
		atomic_store_explicit(&st->next, ++next, memory_order_release);
		if (next >= s->shard->end || !(b = stream_take(st, next)))
			break;
		p = b->p;
		n = b->n;
		pthread_mutex_unlock(&st->lock);
		free(drop);
	}
	pthread_mutex_unlock(&st->lock);
	free(drop);
	stream_restore_sigpipe(&old, blocked, err == -EPIPE);
	return err;
}

/* --- buffering ----------------------------------------------------------- */

/*
 * Copy early chunk i into a buffer of the window: its slot of the ring,
 * free since its previous chunk (i - nslots) was written before `next`
 * passed it, or the extra list beyond the ring.  Returns 1 when chunk i
 * became `next` meanwhile: the caller writes it.
 */
static int stream_keep(struct lsio_sink *s, struct stream_sink *st,
		       uint64_t i, const uint8_t *p, size_t n)
{
	struct stream_buf *b = buf_get(st, n), **slot, *drop;
	uint64_t next;

	if (!b)
		return lsio_fail_first(s->ctx, -ENOMEM,
				       "chunk %" PRIu64 ": out of memory in the reorder window",
				       i);
	if (n)
		memcpy(b->p, p, n);
	b->n = n;
	b->i = i;
	pthread_mutex_lock(&st->lock);
	next = atomic_load_explicit(&st->next, memory_order_relaxed);
	if (i == next) {
		drop = buf_release(st, b);
		pthread_mutex_unlock(&st->lock);
		free(drop);
		return 1;
	}
	slot = &st->slots[i % st->nslots];
	if (i - next < st->nslots && !*slot) {
		*slot = b;
	} else {
		b->next = st->extra;
		st->extra = b;
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static int stream_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		      size_t n)
{
	struct stream_sink *st = s->priv;
	uint64_t next;
	int err;

	pthread_mutex_lock(&st->lock);
	err = st->err;
	next = atomic_load_explicit(&st->next, memory_order_relaxed);
	pthread_mutex_unlock(&st->lock);
	if (err)
		return err;
	if (i < next || i >= s->shard->end)
		return lsio_fail_first(s->ctx, -LSIO_EOUTPUT,
				       "chunk %" PRIu64 " delivered twice to standard output",
				       i);
	if (i == next)
		return stream_drain(s, st, p, n);
	err = stream_keep(s, st, i, p, n);
	return err == 1 ? stream_drain(s, st, p, n) : err;
}

/* --- the sink ------------------------------------------------------------ */

static void stream_close(struct lsio_sink *s);

static int stream_open(struct lsio_sink *s)
{
	struct stream_sink *st = calloc(1, sizeof(*st));

	if (!s->window)
		s->window = STREAM_WINDOW;
	if (!st)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	s->priv = st;
	pthread_mutex_init(&st->lock, NULL);
	atomic_init(&st->next, s->shard->first);	/* 0 but for a part */
	atomic_init(&st->failed, false);
	/* A chunk in the window is one of the next nchunks, at most. */
	st->nslots = MAX(MIN(s->window, s->shard->ntaken), 1);
	st->budget = s->window_bytes;
	st->slots = calloc(st->nslots, sizeof(*st->slots));
	if (!st->slots) {
		stream_close(s);
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	}
	return 0;
}

static int stream_commit(struct lsio_sink *s)
{
	struct stream_sink *st = s->priv;
	uint64_t next;
	int err;

	pthread_mutex_lock(&st->lock);
	err = st->err;
	next = atomic_load_explicit(&st->next, memory_order_relaxed);
	pthread_mutex_unlock(&st->lock);
	if (err)
		return err;
	if (next != s->shard->end)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "only %" PRIu64 " of %" PRIu64 " chunks reached standard output",
				 next - s->shard->first, s->shard->ntaken);
	return 0;
}

/* What was written cannot be taken back; close() frees the buffers. */
static void stream_abort(struct lsio_sink *s)
{
}

static void stream_close(struct lsio_sink *s)
{
	struct stream_sink *st = s->priv;

	if (!st)
		return;
	for (uint64_t k = 0; st->slots && k < st->nslots; k++)
		free(st->slots[k]);
	bufs_free(st->extra);
	bufs_free(st->pool);
	free(st->slots);
	pthread_mutex_destroy(&st->lock);
	free(st);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_stream = {
	.name = "stdout",
	.open = stream_open,
	.put = stream_put,
	.commit = stream_commit,
	.abort = stream_abort,
	.close = stream_close,
};

/* Other sinks do not gate the workers, nor does a stream that failed: the
 * workers' next puts fail at once and the run stops. */
uint64_t lsio_sink_stream_next(struct lsio_sink *s)
{
	struct stream_sink *st = s->priv;

	if (s->ops != &lsio_sink_stream || !st ||
	    atomic_load_explicit(&st->failed, memory_order_relaxed))
		return s->job->nchunks;
	return atomic_load_explicit(&st->next, memory_order_acquire);
}

/*
 * Room for early chunk i: its bytes, added to those the window holds and
 * those promised to chunks being decoded, must fit the budget.  Chunk
 * `next` is always let through (it is written, never kept), so the stream
 * cannot stall; so is every chunk once the stream failed (their puts fail
 * and the run stops).  A chunk beyond the ring waits too: it becomes
 * `next` in its turn.
 */
int lsio_sink_stream_reserve(struct lsio_sink *s, uint64_t i, size_t n,
			     size_t *reserved)
{
	struct stream_sink *st = s->priv;
	uint64_t next;
	int ret = 0;

	*reserved = 0;
	if (s->ops != &lsio_sink_stream || !st || !st->budget)
		return 0;
	pthread_mutex_lock(&st->lock);
	next = atomic_load_explicit(&st->next, memory_order_relaxed);
	if (st->err || i <= next) {
		ret = 0;
	} else if (i - next >= st->nslots ||
		   st->used + st->reserved + n > st->budget) {
		ret = -EAGAIN;
	} else {
		st->reserved += n;
		*reserved = n;
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

void lsio_sink_stream_settle(struct lsio_sink *s, size_t reserved)
{
	struct stream_sink *st = s->priv;

	if (!reserved)
		return;
	pthread_mutex_lock(&st->lock);
	st->reserved -= reserved;
	pthread_mutex_unlock(&st->lock);
}
