/* SPDX-License-Identifier: MIT */
/*
 * engine.h - state shared by the engine's files: the run (engine.c), the
 * worker loop (worker.c) and the stage chain (chain.c).
 */
#ifndef LSIO_ENGINE_H
#define LSIO_ENGINE_H

#include "internal.h"
#include "util/latency.h"

#define LSIO_MAX_IO_LEN (1u << 30)	/* one read; larger parts continue */

struct lsio_engine {
	struct lsio_ctx *ctx;
	const struct lsio_plan *plan;
	const struct lsio_job *job;
	struct lsio_sink sink;
	const struct lsio_backend_ops *backend;
	unsigned depth;		/* reads in flight per worker */
	unsigned nslots;	/* unit buffers per worker */
	size_t slot_len;
	bool prefault;		/* touch the buffers' pages before the run */
	int *fds;		/* per source: [2s] buffered, [2s+1] O_DIRECT;
				 * NULL when sources are opened per unit */
	unsigned nfds;

	atomic_uint_fast64_t cursor;	/* next unit to claim */
	atomic_uint_fast64_t chunks_done;
	atomic_uint_fast64_t chunks_missing;	/* absent, left as fill */
	atomic_uint_fast64_t chunks_reused;	/* placed from the decode of
						 * the chunk before them */
	atomic_uint_fast64_t chunks_resumed;	/* a killed run wrote them */
	atomic_uint_fast64_t requests_skipped;	/* units of those: not read */
	atomic_uint_fast64_t bytes_resumed;	/* their lengths */
	/* A resumed run: bit i, chunk i is in the output already (the
	 * sink's journal said so); NULL otherwise. */
	const uint8_t *written;
	atomic_uint_fast64_t bytes_done;	/* chunk bytes delivered */
	atomic_uint_fast64_t bytes_read;	/* bytes read from storage */
	/* Remote reads to an object's end that outgrew their slot hold heap
	 * memory: how much, what --memory leaves for it, and the one read
	 * allowed beyond that until its unit is done, so that the largest
	 * object is still read (worker.c, remote_grow). */
	atomic_uint_fast64_t grown;
	uint64_t grow_room;
	_Atomic(void *) grow_over;
	atomic_int stop;		/* a failure or cancellation */
	atomic_int running;		/* workers still running */
	pthread_mutex_t lock;	/* guards latency merging and done */
	pthread_cond_t done;
	struct lsio_latency latency;	/* merged from the workers */
};

static inline bool lsio_engine_done(const struct lsio_engine *e, uint64_t i)
{
	return e->written && (e->written[i >> 3] >> (i & 7) & 1);
}

/* Chunk i was written by a killed run (--resume): count it done. */
void lsio_engine_chunk_resumed(struct lsio_engine *e, uint64_t i);

/* Chunk i is in the output: count it, and journal it when the run keeps
 * a journal.  Returns 0 or a negative error with the message set. */
int lsio_engine_chunk_done(struct lsio_engine *e, uint64_t i);

/* The worker thread: claims units, reads them, runs chains, feeds the sink. */
void *lsio_worker_main(void *arg);

struct lsio_worker_state;
struct lsio_worker_state *lsio_worker_new(struct lsio_engine *e, int id);
void lsio_worker_free(struct lsio_worker_state *w);

/* Per-worker chain state: decoder contexts and two scratch buffers. */
struct lsio_chain_state {
	void **stage_state;	/* one per registered stage, made lazily */
	struct lsio_scratch scratch[2];
	char why[512];
	/* The decoded bytes of the last chunk run, while nothing has run
	 * since (lsio_chain_again): last_len 0 when there are none. */
	const uint8_t *last;
	size_t last_len;
	uint64_t last_chunk;
};

int lsio_chain_state_init(struct lsio_chain_state *cs);
void lsio_chain_state_release(struct lsio_chain_state *cs);

/* The most one chunk may take where no placement bounds it (its decoded
 * bytes; a file read to its end): output.max_chunk, else LSIO_MAX_CHUNK,
 * so that a compression bomb or an endless file fails fast. */
size_t lsio_chunk_bound(const struct lsio_job *job);

/* The most bytes a chunk read to its end may have: the chunk bound, and
 * for an array chunk twice its decoded size + 1 MiB (what its stages may
 * need before they shrink it). */
size_t lsio_chunk_read_bound(const struct lsio_job *job,
			     const struct lsio_chunk *c);

/* Chunk i's source is absent ("missing": "fill"): put the fill value
 * where it lands, unless the array was filled before the run and the sink
 * does not ask for it (sink.put_absent).  Returns 0
 * or a negative error (message set). */
int lsio_chain_absent(struct lsio_engine *e, struct lsio_chain_state *cs,
		      uint64_t i);

/* Decode chunk i from p (n bytes) through its stage chain into the sink.
 * copy_first: the bytes are shared with another chunk and must not be
 * changed in place.  Returns 0 or a negative error (message set). */
/* Chunk i lists the same bytes, chain and decoded size as the chunk run
 * just before (a longitude box across a seam lists a chunk once per
 * segment): place the bytes that run decoded, without decoding them
 * again.  Returns 1 when it cannot (then run it), 0, or an error. */
int lsio_chain_again(struct lsio_engine *e, struct lsio_chain_state *cs,
		     uint64_t i);

int lsio_chain_run(struct lsio_engine *e, struct lsio_chain_state *cs,
		   uint64_t i, uint8_t *p, size_t n, bool copy_first);

#endif
