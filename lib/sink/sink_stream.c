/* SPDX-License-Identifier: MIT */
/*
 * sink_stream.c - the stdout output: every chunk's decoded bytes, in job
 * order, for pipelines.
 *
 * Workers finish chunks out of order.  The worker holding chunk `next`
 * writes it straight from its own buffer, without a copy, then writes
 * whatever consecutive chunks others left in the reorder window.  A chunk
 * that arrives early is copied into its slot of a ring of `window` slots
 * (buffers are kept for reuse).  The engine bounds the window: it claims
 * no work beyond next + window (lsio_sink_stream_next()), except for a
 * unit that starts at `next`; the rare chunk of such a unit that lands
 * beyond the window is kept in a list of its own, so nothing is refused.
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
#define STREAM_KEEP_MAX (4u << 20)	/* larger slot buffers are not kept */

struct stream_slot {
	uint64_t i;		/* the chunk it holds */
	uint8_t *p;
	size_t n, cap;
	bool ready;		/* holds chunk i, not written yet */
};

/* A chunk that arrived beyond the window. */
struct stream_extra {
	struct stream_extra *next;
	uint64_t i;
	size_t n;
	uint8_t p[];
};

struct stream_sink {
	pthread_mutex_t lock;	/* the fields below but p of a slot */
	_Atomic uint64_t next;	/* the lowest chunk not written yet */
	atomic_bool failed;	/* a write failed: stop gating the workers */
	int err;		/* that write's error, returned by every put */
	uint64_t nslots;
	struct stream_slot *slots;
	struct stream_extra *extra;	/* unsorted; almost always empty */
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

/* Under the lock: the buffered bytes of chunk i, if they have arrived. */
static bool stream_take(struct stream_sink *st, uint64_t i,
			struct stream_slot **slot, struct stream_extra **x)
{
	struct stream_slot *sl = &st->slots[i % st->nslots];

	*slot = NULL;
	*x = NULL;
	if (sl->ready && sl->i == i) {
		*slot = sl;
		return true;
	}
	for (struct stream_extra **pp = &st->extra; *pp; pp = &(*pp)->next) {
		if ((*pp)->i == i) {
			*x = *pp;
			*pp = (*x)->next;
			return true;
		}
	}
	return false;
}

/* Once written, a slot's buffer is kept for the chunk nslots later,
 * unless it is large: the window must not pin its peak forever. */
static void stream_release(struct stream_slot *slot, struct stream_extra *x)
{
	free(x);
	if (slot && slot->cap > STREAM_KEEP_MAX) {
		free(slot->p);
		slot->p = NULL;
		slot->cap = 0;
	}
}

/* Write chunk `next` from p, then every consecutive chunk already here. */
static int stream_drain(struct lsio_sink *s, struct stream_sink *st,
			const uint8_t *p, size_t n)
{
	struct stream_slot *slot = NULL;
	struct stream_extra *x = NULL;
	sigset_t old;
	bool blocked = stream_block_sigpipe(&old);
	uint64_t next;
	int err;

	for (;;) {
		err = stream_write(s, p, n);
		stream_release(slot, x);
		pthread_mutex_lock(&st->lock);
		if (slot)
			slot->ready = false;
		if (err) {
			st->err = err;
			atomic_store(&st->failed, true);
			break;
		}
		next = atomic_load_explicit(&st->next, memory_order_relaxed);
		atomic_store_explicit(&st->next, ++next, memory_order_release);
		if (next >= s->shard->end ||
		    !stream_take(st, next, &slot, &x))
			break;
		p = slot ? slot->p : x->p;
		n = slot ? slot->n : x->n;
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	stream_restore_sigpipe(&old, blocked, err == -EPIPE);
	return err;
}

/* --- buffering ----------------------------------------------------------- */

/*
 * Copy early chunk i into its slot.  The slot is ours without the lock:
 * its previous chunk (i - nslots) was written before `next` passed it, and
 * its following one (i + nslots) cannot come to it while i is unwritten.
 * Returns 1 when chunk i became `next` meanwhile: the caller writes it.
 */
static int stream_keep_slot(struct lsio_sink *s, struct stream_sink *st,
			    uint64_t i, const uint8_t *p, size_t n)
{
	struct stream_slot *slot = &st->slots[i % st->nslots];

	if (slot->cap < n) {
		free(slot->p);
		slot->p = malloc(n);
		slot->cap = slot->p ? n : 0;
		if (!slot->p)
			return lsio_fail_first(s->ctx, -ENOMEM,
					       "chunk %" PRIu64 ": out of memory in the reorder window",
					       i);
	}
	if (n)
		memcpy(slot->p, p, n);
	slot->n = n;
	slot->i = i;
	pthread_mutex_lock(&st->lock);
	if (i == atomic_load_explicit(&st->next, memory_order_relaxed)) {
		pthread_mutex_unlock(&st->lock);
		return 1;
	}
	slot->ready = true;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static int stream_keep_extra(struct lsio_sink *s, struct stream_sink *st,
			     uint64_t i, const uint8_t *p, size_t n)
{
	struct stream_extra *x = malloc(sizeof(*x) + n);

	if (!x)
		return lsio_fail_first(s->ctx, -ENOMEM,
				       "chunk %" PRIu64 ": out of memory in the reorder window",
				       i);
	if (n)
		memcpy(x->p, p, n);
	x->i = i;
	x->n = n;
	pthread_mutex_lock(&st->lock);
	if (i == atomic_load_explicit(&st->next, memory_order_relaxed)) {
		pthread_mutex_unlock(&st->lock);
		free(x);
		return 1;
	}
	x->next = st->extra;
	st->extra = x;
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
	if (i - next < st->nslots)
		err = stream_keep_slot(s, st, i, p, n);
	else
		err = stream_keep_extra(s, st, i, p, n);
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
	struct stream_extra *x;

	if (!st)
		return;
	for (uint64_t k = 0; st->slots && k < st->nslots; k++)
		free(st->slots[k].p);
	while ((x = st->extra)) {
		st->extra = x->next;
		free(x);
	}
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
