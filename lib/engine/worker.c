/* SPDX-License-Identifier: MIT */
/*
 * worker.c - one thread per core: claim units, keep the queue full, and
 * run each chunk's stage chain as soon as its bytes have arrived.
 *
 * A worker owns its backend instance (its io_uring ring), a second one
 * for URLs when the plan has any (a libcurl multi handle), a buffer arena
 * of nslots unit buffers (registered with the ring once), depth read
 * slots, and its chain state.  Workers share nothing on the hot path but
 * the atomic cursor over the plan's units, and the sink.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

/* A unit being read: its buffer and how many of its parts are pending. */
struct unit_run {
	const struct lsio_unit *u;
	uint8_t *buf;
	int slot;		/* arena index, -1 for a heap buffer */
	int fd, file_index;
	bool own_fd;		/* opened for this unit: close when done */
	bool remote;		/* read by the remote backend */
	uint32_t next_part;	/* next part to issue */
	uint32_t parts_left;	/* parts not yet complete */
	uint64_t part_len;
	uint64_t data_end;	/* min(unit end, file size): bytes that exist */
	uint64_t eof_len;	/* to_eof: the chunk's bytes, once read */
	uint64_t started_ns;	/* when it was claimed */
	/* A remote read to the end starts in its slot and moves to the
	 * heap (grown) when the object is bigger. */
	uint64_t cap;
	bool grown;
	bool absent;		/* its source is missing: the fill value stays */
	/* Read, but the stream's window had no room for its chunk `resume`
	 * (of u's): it waits in the worker's parked list, buffer held. */
	uint32_t resume;
	struct unit_run *parked_next;
};

/* One read in flight: a part, or the rest of a part after a short read. */
struct read_slot {
	struct lsio_io io;	/* first: the backend hands back &io */
	struct unit_run *run;
	struct lsio_worker_state *w;
	uint64_t end;		/* end of the part (file offset) */
	struct read_slot *next_free;
};

struct lsio_worker_state {
	struct lsio_worker base;
	struct lsio_engine *e;
	const struct lsio_backend_ops *backend;
	/* URL sources have a backend of their own (libcurl), with its own
	 * view of the worker; NULL when the plan has none. */
	struct lsio_worker rbase;
	const struct lsio_backend_ops *rbackend;
	unsigned rinflight;	/* of inflight, the remote reads */
	uint8_t *arena;
	size_t arena_len;
	uint8_t **bufs;		/* nslots pointers into the arena */
	struct unit_run *runs;	/* nslots + 1 (the heap run) */
	bool *slot_busy;
	bool heap_busy;
	struct read_slot *reads;
	struct read_slot *free_reads;
	struct lsio_io **done;
	unsigned inflight;	/* reads queued or in the kernel */
	unsigned units_open;	/* units claimed, not yet finished */
	struct unit_run *issuing;	/* a unit with parts left to issue */
	const struct lsio_unit *pending;	/* claimed, waiting for a buffer */
	struct unit_run *parked;	/* read, waiting for window room; in
					 * claim order, so chunk order */
	size_t decoded_max;	/* the largest chunk the chain produced */
	bool exhausted;		/* no units left to claim */
	struct lsio_chain_state chain;
	struct lsio_latency latency;
	char grow_msg[LSIO_MSG_MAX];	/* why a remote read could not grow */
};

static int arena_init(struct lsio_worker_state *w)
{
	struct lsio_engine *e = w->e;
	size_t total = e->slot_len * e->nslots;

	w->arena = mmap(NULL, total, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->arena == MAP_FAILED) {
		w->arena = NULL;
		return -ENOMEM;
	}
	w->arena_len = total;
	/* Huge pages where the kernel allows, so a read takes one fault per
	 * 2 MiB, not per 4 KiB - but faulted by the reads themselves, in
	 * each worker, only where a slot is used: zeroing the whole arena up
	 * front was serial, here on the main thread, and on a VM that gives
	 * freed memory back to its host it cost up to a third of a short run
	 * (tests/bench/array_sink.md; measured: a 10-day box of two ERA5-like
	 * variables 0.125 -> 0.115 s, 2 GB of cold 256 KiB reads unchanged,
	 * 2.60 -> 2.90 GiB/s median of 5). */
	if (e->prefault)
		madvise(w->arena, total, MADV_HUGEPAGE);
	for (unsigned i = 0; i < e->nslots; i++)
		w->bufs[i] = w->arena + (size_t)i * e->slot_len;
	return 0;
}

struct lsio_worker_state *lsio_worker_new(struct lsio_engine *e, int id)
{
	struct lsio_worker_state *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->e = e;
	w->base.id = id;
	w->base.ctx = e->ctx;
	w->base.files = e->fds;
	w->base.nfiles = e->fds ? e->nfds : 0;
	w->base.stop = &e->stop;
	w->base.wait_ms = -1;
	w->rbase = w->base;
	w->rbase.files = NULL;
	w->rbase.nfiles = 0;
	w->rbase.remote = e->plan->remote;
	w->bufs = calloc(e->nslots, sizeof(*w->bufs));
	w->runs = calloc(e->nslots + 1, sizeof(*w->runs));
	w->slot_busy = calloc(e->nslots, sizeof(*w->slot_busy));
	w->reads = calloc(e->depth, sizeof(*w->reads));
	w->done = calloc(e->depth, sizeof(*w->done));
	if (!w->bufs || !w->runs || !w->slot_busy || !w->reads || !w->done ||
	    arena_init(w) || lsio_chain_state_init(&w->chain)) {
		lsio_worker_free(w);
		return NULL;
	}
	for (unsigned i = 0; i < e->depth; i++) {
		w->reads[i].w = w;
		w->reads[i].next_free = w->free_reads;
		w->free_reads = &w->reads[i];
	}
	return w;
}

void lsio_worker_free(struct lsio_worker_state *w)
{
	if (!w)
		return;
	lsio_chain_state_release(&w->chain);
	if (w->arena)
		munmap(w->arena, w->arena_len);
	free(w->bufs);
	free(w->runs);
	free(w->slot_busy);
	free(w->reads);
	free(w->done);
	free(w);
}

static int worker_fail(struct lsio_worker_state *w, int err)
{
	atomic_store(&w->e->stop, 1);
	return err;
}

static bool stopping(struct lsio_worker_state *w)
{
	if (lsio_canceled(w->e->ctx))
		atomic_store(&w->e->stop, 1);
	return atomic_load_explicit(&w->e->stop, memory_order_relaxed);
}

/* --- claiming units ------------------------------------------------------ */

/* The stream sink holds at most a window of chunks: a unit whose chunks
 * lie beyond it waits, unless it holds the very next chunk to write (which
 * always fits, so the stream cannot deadlock). */
static bool stream_allows(struct lsio_engine *e, const struct lsio_unit *u)
{
	const uint32_t *uc = e->plan->unit_chunks;
	uint64_t next = lsio_sink_stream_next(&e->sink);

	return uc[u->first] == next ||
	       uc[u->first + u->count - 1] < next + e->sink.window;
}

/* A resumed run skips a unit whose chunks a killed one wrote: counted
 * done, never read. */
static bool unit_all_done(struct lsio_engine *e, const struct lsio_unit *u)
{
	const uint32_t *uc = e->plan->unit_chunks + u->first;

	if (!e->written)
		return false;
	for (uint32_t k = 0; k < u->count; k++)
		if (!lsio_engine_done(e, uc[k]))
			return false;
	for (uint32_t k = 0; k < u->count; k++)
		lsio_engine_chunk_resumed(e, uc[k]);
	atomic_fetch_add_explicit(&e->requests_skipped, u->nparts,
				  memory_order_relaxed);
	return true;
}

/* Returns the next unit, NULL when none is left, or sets *wait when the
 * stream window is full. */
static const struct lsio_unit *unit_claim(struct lsio_worker_state *w,
					  bool *wait)
{
	struct lsio_engine *e = w->e;
	const struct lsio_plan *p = e->plan;
	uint_fast64_t i;

	*wait = false;
	while (!p->ordered) {
		i = atomic_fetch_add(&e->cursor, 1);
		if (i >= p->nunits)
			return NULL;
		if (!unit_all_done(e, &p->units[i]))
			return &p->units[i];
	}
	i = atomic_load(&e->cursor);
	while (i < p->nunits) {
		if (!stream_allows(e, &p->units[i])) {
			*wait = true;
			return NULL;
		}
		if (atomic_compare_exchange_weak(&e->cursor, &i, i + 1))
			return &p->units[i];
	}
	return NULL;
}

static int unit_open_fd(struct lsio_worker_state *w, struct unit_run *r)
{
	struct lsio_engine *e = w->e;
	const struct lsio_unit *u = r->u;
	const char *path = e->job->sources[u->source].path;
	int flags = O_RDONLY | O_CLOEXEC | (u->direct ? O_DIRECT : 0);

	r->file_index = -1;
	r->own_fd = false;
	r->remote = w->rbackend && lsio_source_remote(e->plan, u->source);
	if (r->remote) {
		r->fd = -1;
		return 0;
	}
	if (e->fds) {
		r->file_index = (int)(2 * u->source + u->direct);
		r->fd = e->fds[r->file_index];
		return 0;
	}
	if (e->backend->flags & LSIO_BACKEND_NO_READS) {
		r->fd = -1;
		return 0;
	}
	r->fd = open(path, flags);
	if (r->fd < 0)
		return lsio_fail_first(e->ctx, -LSIO_ESOURCE,
				       "chunk %llu: cannot open source '%s': %s",
				       (unsigned long long)e->plan->unit_chunks[u->first],
				       path, strerror(errno));
	r->own_fd = true;
	return 0;
}

/* A buffer for the unit: an arena slot, or the heap for an oversize unit
 * or one that may grow (one at a time).  Returns NULL when none is free
 * now. */
static struct unit_run *run_alloc(struct lsio_worker_state *w,
				  const struct lsio_unit *u)
{
	struct lsio_engine *e = w->e;

	if (u->len > e->slot_len ||
	    (u->to_eof && !lsio_source_remote(e->plan, u->source))) {
		if (w->heap_busy || w->units_open)
			return NULL;	/* finish the others first */
		w->heap_busy = true;
		return &w->runs[e->nslots];
	}
	for (unsigned i = 0; i < e->nslots; i++) {
		if (w->slot_busy[i])
			continue;
		w->slot_busy[i] = true;
		w->runs[i].slot = (int)i;
		w->runs[i].buf = w->bufs[i];
		return &w->runs[i];
	}
	return NULL;
}

/* A remote read outgrew its slot: its heap bytes count against --memory
 * (what the buffers and the stream's window leave, e->grow_room), or it
 * is the one read allowed beyond, until its unit is done.  (A stream's
 * parked unit never holds that: its chunks are never read to an unknown
 * end, the planner asks their size first.) */
static bool grow_admit(struct lsio_engine *e, struct unit_run *r,
		       uint64_t more)
{
	uint_fast64_t now = atomic_load(&e->grown);
	void *none = NULL;

	while (now + more <= e->grow_room)
		if (atomic_compare_exchange_weak(&e->grown, &now, now + more))
			return true;
	if (atomic_load(&e->grow_over) != r &&
	    !atomic_compare_exchange_strong(&e->grow_over, &none, r))
		return false;
	atomic_fetch_add(&e->grown, more);
	return true;
}

/* Give back bytes grow_admit() counted, and the licence to go beyond. */
static void grow_release(struct lsio_engine *e, struct unit_run *r,
			 uint64_t bytes)
{
	void *self = r;

	atomic_fetch_sub(&e->grown, bytes);
	atomic_compare_exchange_strong(&e->grow_over, &self, NULL);
}

static void run_release(struct lsio_worker_state *w, struct unit_run *r)
{
	if (r->own_fd)
		close(r->fd);
	if (r->grown && r->slot >= 0) {
		grow_release(w->e, r, r->cap);
		free(r->buf);
	}
	r->grown = false;
	if (r->slot < 0) {
		free(r->buf);
		w->heap_busy = false;
	} else {
		w->slot_busy[r->slot] = false;
	}
	w->units_open--;
}

static int run_start(struct lsio_worker_state *w, struct unit_run *r,
		     const struct lsio_unit *u)
{
	struct lsio_engine *e = w->e;
	const char *path = e->job->sources[u->source].path;
	const struct lsio_class_params *cp = lsio_source_params(e->plan, u->source);

	if (r == &w->runs[e->nslots]) {
		r->slot = -1;
		if (posix_memalign((void **)&r->buf, 4096, u->len)) {
			w->heap_busy = false;
			return lsio_fail_first(e->ctx, -ENOMEM,
				"cannot allocate %llu bytes for a read of '%s'",
				(unsigned long long)u->len, path);
		}
	}
	r->u = u;
	r->started_ns = lsio_now_ns();
	r->next_part = 0;
	r->parts_left = u->nparts;
	r->part_len = u->nparts > 1 ? cp->part_size : u->len;
	r->data_end = MIN(u->off + u->len, e->plan->facts[u->source].size);
	r->eof_len = 0;
	r->cap = r->slot < 0 ? u->len : e->slot_len;
	r->grown = r->absent = false;
	r->resume = 0;
	r->parked_next = NULL;
	w->units_open++;
	if (unit_open_fd(w, r)) {
		run_release(w, r);
		return -LSIO_ESOURCE;
	}
	return 0;
}

/* --- reading ---------------------------------------------------------- */

/* A remote read to the object's end needs more room: leave the slot for
 * the heap, or double there (or take just what the object holds, when
 * the response said), up to the chunk bound (output.max_chunk); -EAGAIN
 * when --memory has no room for it now (grow_admit). */
static int remote_grow(struct lsio_io *io, uint64_t need, bool all)
{
	struct read_slot *rs = io->owner;
	struct unit_run *r = rs->run;
	struct lsio_worker_state *w = rs->w;
	const struct lsio_job *job = w->e->job;
	uint64_t chunk = w->e->plan->unit_chunks[r->u->first];
	uint64_t bound = MIN(lsio_chunk_read_bound(job, &job->chunks[chunk]),
			     LSIO_MAX_IO_LEN);
	uint64_t cap = MIN(all ? need : MAX(r->cap * 2, need), bound);
	/* A slot's buffer stays the arena's; a heap one is the run's own. */
	bool own = r->grown || r->slot < 0;
	uint64_t more = cap - (r->grown ? r->cap : 0);
	uint8_t *p;

	if (need > bound) {
		snprintf(w->grow_msg, sizeof(w->grow_msg),
			 "'%s' goes on past %llu bytes from offset %llu, the limit for this chunk (output.max_chunk; for an array, twice its decoded size + 1 MiB)",
			 job->sources[r->u->source].path,
			 (unsigned long long)bound, (unsigned long long)r->u->off);
		io->msg = w->grow_msg;
		return -LSIO_ETOOBIG;
	}
	if (r->slot >= 0 && !grow_admit(w->e, r, more))
		return -EAGAIN;	/* the backend waits and asks again */
	p = own ? realloc(r->buf, cap) : malloc(cap);
	if (!p) {
		if (r->slot >= 0)
			grow_release(w->e, r, more);
		return -ENOMEM;
	}
	if (!own)
		memcpy(p, r->buf, io->len);
	r->buf = io->buf = p;
	r->cap = cap;
	r->grown = true;
	io->len = (uint32_t)cap;
	return 0;
}

static void read_prepare(struct lsio_worker_state *w, struct read_slot *rs,
			 uint64_t off)
{
	struct unit_run *r = rs->run;

	rs->io.off = off;
	rs->io.buf = r->buf + (off - r->u->off);
	rs->io.len = (uint32_t)MIN(rs->end - off, LSIO_MAX_IO_LEN);
	rs->io.fd = r->fd;
	rs->io.file_index = r->file_index;
	rs->io.buf_index = r->remote ? -1 : r->slot;
	rs->io.owner = rs;
	rs->io.source = r->u->source;
	rs->io.grow = NULL;
	if (r->remote && r->u->to_eof) {
		rs->io.len = (uint32_t)MIN(r->cap, LSIO_MAX_IO_LEN);
		rs->io.grow = remote_grow;
	}
}

/* The backend a read goes to, and its view of this worker. */
static int read_queue(struct lsio_worker_state *w, struct read_slot *rs)
{
	int ret;

	if (!rs->run->remote)
		ret = w->backend->queue(&w->base, &rs->io);
	else if ((ret = w->rbackend->queue(&w->rbase, &rs->io)) >= 0)
		w->rinflight++;	/* remote_done counts it out */
	if (ret >= 0)
		w->inflight++;
	return ret;
}

static int part_complete(struct lsio_worker_state *w, struct unit_run *r);

static int read_done(struct lsio_worker_state *w, struct read_slot *rs);

/* Issue the next part of the unit being issued. */
static int part_issue(struct lsio_worker_state *w)
{
	struct unit_run *r = w->issuing;
	struct read_slot *rs = w->free_reads;
	uint64_t start = r->u->off + r->next_part * r->part_len;
	int ret;

	w->free_reads = rs->next_free;
	rs->run = r;
	rs->end = MIN(start + r->part_len, r->u->off + r->u->len);
	if (++r->next_part == r->u->nparts)
		w->issuing = NULL;
	read_prepare(w, rs, start);
	ret = read_queue(w, rs);
	if (ret < 0)
		return ret;
	return ret == 1 ? read_done(w, rs) : 0;
}

static void read_free(struct lsio_worker_state *w, struct read_slot *rs)
{
	rs->next_free = w->free_reads;
	w->free_reads = rs;
}

/* An object that is not there, for a chunk that allows it. */
static bool may_be_absent(const struct lsio_chunk *c, int res)
{
	return (res == -ENOENT && c->missing != LSIO_MISSING_ERROR) ||
	       (res == -EACCES && c->missing == LSIO_MISSING_FILL_403);
}

/* A remote read came back whole (the backend retried what was worth it,
 * and checked that it came from the object's first version) or failed
 * with the server's words in io.msg. */
static int remote_done(struct lsio_worker_state *w, struct read_slot *rs)
{
	struct lsio_engine *e = w->e;
	struct unit_run *r = rs->run;
	const struct lsio_io *io = &rs->io;
	uint64_t chunk = e->plan->unit_chunks[r->u->first];
	int res = io->res;

	w->rinflight--;
	read_free(w, rs);
	if (res == -ECANCELED && stopping(w))
		return part_complete(w, r);	/* abandoned: not a cause */
	if (res < 0 && may_be_absent(&e->job->chunks[chunk], res)) {
		r->absent = true;
		return part_complete(w, r);
	}
	if (res >= 0 && r->u->to_eof)
		r->eof_len = (uint64_t)res;
	if (res < 0) {
		lsio_fail_first(e->ctx, -LSIO_EREMOTE, "chunk %llu: %s",
				(unsigned long long)chunk,
				io->msg ? io->msg : strerror(-res));
		worker_fail(w, -LSIO_EREMOTE);
	} else {
		atomic_fetch_add_explicit(&e->bytes_read, (uint64_t)res,
					  memory_order_relaxed);
	}
	return part_complete(w, r);
}

/* A unit read to the end of its file: more than the chunk bound is an
 * error; a full buffer is doubled (up to one byte past the bound, to see
 * whether the file ends there).  Returns 0, or an error with the message
 * set. */
static int eof_grow(struct lsio_worker_state *w, struct read_slot *rs,
		    uint64_t off)
{
	struct lsio_engine *e = w->e;
	struct unit_run *r = rs->run;
	uint64_t cap = rs->end - r->u->off, bound = lsio_chunk_bound(e->job);
	uint8_t *p;

	if (off - r->u->off > bound)
		return lsio_fail_first(e->ctx, -LSIO_ETOOBIG,
			"chunk %llu: '%s' goes on past %llu bytes from offset %llu, the limit for one chunk (output.max_chunk): give the chunk a length",
			(unsigned long long)e->plan->unit_chunks[r->u->first],
			e->job->sources[r->u->source].path,
			(unsigned long long)bound, (unsigned long long)r->u->off);
	if (off < rs->end)
		return 0;
	cap = MIN(cap * 2, bound + 1);
	p = realloc(r->buf, cap);
	if (!p)
		return lsio_fail_first(e->ctx, -ENOMEM,
				       "cannot allocate %llu bytes for a read of '%s'",
				       (unsigned long long)cap,
				       e->job->sources[r->u->source].path);
	r->buf = p;
	rs->end = r->data_end = r->u->off + cap;
	return 0;
}

/* A read came back: continue it after a short read or EINTR/EAGAIN, fail
 * it, or complete its part.  A unit read to the end of its file ends at
 * the first empty read, its buffer grown while reads fill it. */
static int read_done(struct lsio_worker_state *w, struct read_slot *rs)
{
	struct lsio_engine *e = w->e;
	struct unit_run *r = rs->run;
	int res = rs->io.res;
	uint64_t off = rs->io.off;

	w->inflight--;
	if (r->remote)
		return remote_done(w, rs);
	if (res == -EINTR || res == -EAGAIN)
		res = 0, off = rs->io.off;	/* same read again */
	else if (res < 0)
		goto fail;
	else if (res == 0 && r->u->to_eof)
		goto at_end;
	else if (res == 0 && off < MIN(rs->end, r->data_end))
		goto short_file;
	off += (uint64_t)res;
	atomic_fetch_add_explicit(&e->bytes_read, (uint64_t)res,
				  memory_order_relaxed);
	if (r->u->to_eof && (res = eof_grow(w, rs, off)) < 0)
		goto failed;
	if (off < MIN(rs->end, r->data_end) && !stopping(w)) {
		read_prepare(w, rs, off);
		res = read_queue(w, rs);
		if (res < 0)
			goto fail;
		return res == 1 ? read_done(w, rs) : 0;
	}
	read_free(w, rs);
	return part_complete(w, r);
at_end:
	r->eof_len = off - r->u->off;
	read_free(w, rs);
	return part_complete(w, r);
short_file:
	res = -ENODATA;
fail:
	lsio_fail_first(e->ctx, -LSIO_ESOURCE,
			"chunk %llu: reading '%s' at offset %llu: %s",
			(unsigned long long)e->plan->unit_chunks[r->u->first],
			e->job->sources[r->u->source].path,
			(unsigned long long)off,
			res == -ENODATA ? "the file ended early (was it truncated?)"
					: strerror(-res));
	res = -LSIO_ESOURCE;
failed:
	read_free(w, rs);
	worker_fail(w, res);
	return part_complete(w, r);
}

/* Before decoding chunk i (n bytes read): room in the stream's window for
 * what it decodes to, the bytes read when the chain has no stage, else
 * the largest chunk decoded so far if that is more. */
static int window_reserve(struct lsio_worker_state *w, uint64_t i, size_t n,
			  size_t *reserved)
{
	const struct lsio_job *job = w->e->job;

	if (job->chains[job->chunks[i].chain].n)
		n = MAX(n, w->decoded_max);
	return lsio_sink_stream_reserve(&w->e->sink, i, n, reserved);
}

/* Decode the unit's chunks from r->resume on, while they are in cache.
 * Returns 0, 1 when the stream's window had no room (r->resume is the
 * chunk to go on with), or an error. */
static int unit_decode(struct lsio_worker_state *w, struct unit_run *r)
{
	struct lsio_engine *e = w->e;
	const struct lsio_unit *u = r->u;
	const uint32_t *uc = e->plan->unit_chunks + u->first;
	size_t reserved;
	int ret = 0;

	w->chain.last_len = 0;	/* the last unit's buffer is gone */
	for (uint32_t k = r->resume; k < u->count && !stopping(w); k++) {
		const struct lsio_chunk *c = &e->job->chunks[uc[k]];
		uint64_t n = u->to_eof ? r->eof_len : lsio_chunk_len(e->plan, c);

		if (lsio_engine_done(e, uc[k])) {	/* resumed */
			lsio_engine_chunk_resumed(e, uc[k]);
			w->chain.last_len = 0;
			continue;
		}
		if (r->absent) {	/* the fill value, where it lands */
			ret = lsio_chain_absent(e, &w->chain, uc[k]);
			if (!ret)
				ret = lsio_engine_chunk_done(e, uc[k]);
			if (ret)
				return worker_fail(w, ret);
			atomic_fetch_add_explicit(&e->chunks_missing, 1,
						  memory_order_relaxed);
			continue;
		}
		if (window_reserve(w, uc[k], (size_t)n, &reserved)) {
			r->resume = k;
			return 1;
		}
		ret = k > r->resume ? lsio_chain_again(e, &w->chain, uc[k]) : 1;
		if (ret == 1)
			ret = lsio_chain_run(e, &w->chain, uc[k],
					     r->buf + (c->offset - u->off),
					     (size_t)n, u->overlap);
		lsio_sink_stream_settle(&e->sink, reserved);
		if (!ret)
			ret = lsio_engine_chunk_done(e, uc[k]);
		if (ret)
			return worker_fail(w, ret);
		w->decoded_max = MAX(w->decoded_max, w->chain.last_len);
		lsio_latency_add(&w->latency, lsio_now_ns() - r->started_ns);
		atomic_fetch_add_explicit(&e->bytes_done, n,
					  memory_order_relaxed);
	}
	return 0;
}

/* All parts of a unit are in: decode its chunks, or park it (in chunk
 * order) until the stream's window has room. */
static int unit_finish(struct lsio_worker_state *w, struct unit_run *r)
{
	struct unit_run **pp = &w->parked;
	int ret = unit_decode(w, r);

	if (ret != 1) {
		run_release(w, r);
		return ret;
	}
	while (*pp && (*pp)->u->first < r->u->first)
		pp = &(*pp)->parked_next;
	r->parked_next = *pp;
	*pp = r;
	return 0;
}

/* Go on with parked units, lowest chunks first, until one still has no
 * room (the chunks after it would only take room it needs). */
static void parked_retry(struct lsio_worker_state *w)
{
	struct unit_run *r;

	while ((r = w->parked) && !stopping(w)) {
		w->parked = r->parked_next;
		r->parked_next = NULL;
		if (unit_finish(w, r) || w->parked == r)
			break;
	}
}

static int part_complete(struct lsio_worker_state *w, struct unit_run *r)
{
	if (--r->parts_left)
		return 0;
	if (stopping(w)) {
		run_release(w, r);
		return 0;
	}
	return unit_finish(w, r);
}

/* --- the loop ---------------------------------------------------------- */

static void backend_fail(struct lsio_worker_state *w,
			 const struct lsio_backend_ops *b, int err)
{
	lsio_fail_first(w->e->ctx, -LSIO_EBACKEND, "%s backend: %s",
			b->name, strerror(-err));
	worker_fail(w, -LSIO_EBACKEND);
}

/* Take the next unit and give it a buffer; false when there is none now. */
static bool unit_next(struct lsio_worker_state *w, bool *wait)
{
	struct unit_run *r;

	if (!w->pending) {
		w->pending = unit_claim(w, wait);
		if (!w->pending) {
			w->exhausted = !*wait;
			return false;
		}
	}
	r = run_alloc(w, w->pending);
	if (!r)
		return false;	/* all buffers busy: reap first */
	if (run_start(w, r, w->pending)) {
		w->pending = NULL;
		worker_fail(w, -LSIO_ESOURCE);
		return false;
	}
	w->pending = NULL;
	w->issuing = r;
	return true;
}

/* Issue reads while read slots and buffers are free. */
static void queue_fill(struct lsio_worker_state *w, bool *wait)
{
	int ret;

	*wait = false;
	while (!stopping(w) && w->free_reads) {
		if (!w->issuing && !unit_next(w, wait))
			break;
		ret = part_issue(w);
		if (ret < 0) {
			backend_fail(w, w->backend, ret);
			break;
		}
	}
}

/* Submit and collect one backend's reads; returns completions or < 0. */
static int reap_from(struct lsio_worker_state *w,
		     const struct lsio_backend_ops *b, struct lsio_worker *base,
		     bool wait)
{
	int n, ret;

	ret = b->submit(base);
	if (ret < 0) {
		backend_fail(w, b, ret);
		return ret;
	}
	n = b->reap(base, wait, w->done, w->e->depth);
	if (n < 0) {
		backend_fail(w, b, n);
		return n;
	}
	for (int i = 0; i < n; i++)
		read_done(w, w->done[i]->owner);
	return n;
}

/* Local reads alone wait in the ring exactly as before.  With remote reads
 * in flight too, the ring is looked at without waiting and libcurl waits
 * at most 1 ms, so neither side's completions sit long. */
static void nap(void)
{
	nanosleep(&(struct timespec){ 0, 50000 }, NULL);
}

/* A parked unit waits for other workers' writes, not for our reads: with
 * one, look for completions without sleeping long. */
static void queue_reap(struct lsio_worker_state *w)
{
	unsigned local = w->inflight - w->rinflight;
	bool block = !w->parked;
	int n;

	if (!w->rinflight) {
		if (!reap_from(w, w->backend, &w->base, block) && !block)
			nap();
		return;
	}
	if (!local) {
		w->rbase.wait_ms = block ? -1 : 1;
		reap_from(w, w->rbackend, &w->rbase, true);
		return;
	}
	n = reap_from(w, w->backend, &w->base, false);
	w->rbase.wait_ms = n > 0 ? 0 : 1;
	reap_from(w, w->rbackend, &w->rbase, true);
}

extern const struct lsio_backend_ops lsio_backend_curl;

/* The remote backend, when the plan reads URLs (and really reads). */
static int remote_start(struct lsio_worker_state *w)
{
	struct lsio_engine *e = w->e;
	int ret;

	if (!e->plan->remote || (e->backend->flags & LSIO_BACKEND_NO_READS))
		return 0;
	ret = lsio_backend_curl.init(&w->rbase, e->depth, NULL, 0, 0);
	if (ret < 0) {
		backend_fail(w, &lsio_backend_curl, ret);
		w->backend->cleanup(&w->base);
		return ret;
	}
	w->rbackend = &lsio_backend_curl;
	return 0;
}

static int backend_start(struct lsio_worker_state *w)
{
	struct lsio_engine *e = w->e;
	int ret;

	w->backend = e->backend;
	ret = w->backend->init(&w->base, e->depth, w->bufs, e->nslots,
			       e->slot_len);
	if (ret < 0 && w->backend->fallback) {
		lsio_warn(e->ctx, "the %s backend is unavailable (%s): using %s",
			  w->backend->name, strerror(-ret), w->backend->fallback);
		w->backend = lsio_backend_find(w->backend->fallback);
		ret = w->backend->init(&w->base, e->depth, w->bufs, e->nslots,
				       e->slot_len);
	}
	if (ret < 0) {
		backend_fail(w, w->backend, ret);
		return ret;
	}
	return remote_start(w);
}

static void worker_loop(struct lsio_worker_state *w)
{
	bool wait;

	for (;;) {
		parked_retry(w);
		queue_fill(w, &wait);
		if (w->inflight) {
			queue_reap(w);
			continue;
		}
		if (stopping(w) || (w->exhausted && !w->issuing &&
				    !w->pending && !w->parked))
			break;
		/* The stream window is full and this worker reads nothing:
		 * another worker is writing the next chunk. */
		if (wait || w->parked)
			nap();
	}
	/* Units parked when the run stopped still hold their buffers. */
	for (struct unit_run *r; (r = w->parked);) {
		w->parked = r->parked_next;
		run_release(w, r);
	}
}

void *lsio_worker_main(void *arg)
{
	struct lsio_worker_state *w = arg;
	struct lsio_engine *e = w->e;

	if (!backend_start(w)) {
		worker_loop(w);
		w->backend->cleanup(&w->base);
		if (w->rbackend)
			w->rbackend->cleanup(&w->rbase);
	}
	/* A unit abandoned half-issued on failure still holds its buffer. */
	if (w->heap_busy)
		free(w->runs[e->nslots].buf);
	pthread_mutex_lock(&e->lock);
	lsio_latency_merge(&e->latency, &w->latency);
	if (atomic_fetch_sub(&e->running, 1) == 1)
		pthread_cond_broadcast(&e->done);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}
