/* SPDX-License-Identifier: MIT */
/*
 * zarr_shard.c - the chunks of a sharded (sharding_indexed) v3 array, in
 * two phases:
 *
 *   1. the index of every shard the selection touches is read (one read
 *      per shard, of exactly the index: the shard's first or last
 *      16 * chunks-per-shard bytes, plus 4 for a crc32c, which is checked)
 *      and the entries of the inner chunks the selection needs are kept;
 *   2. a job entry is written for each of those inner chunks that is
 *      stored, at the offset and length the index gives.
 *
 * So the job reads inner chunks, never whole shards, and a missing shard
 * or an inner chunk marked 2^64-1 is simply not in the job (fill value).
 * Both phases walk the shards in the same order, and the inner chunks of
 * a shard in the same order, so phase two consumes phase one's entries in
 * sequence.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stage/stage.h"
#include "zarr.h"

/* Along one dimension, the spans that fall in one shard. */
struct shard_run {
	uint64_t shard;
	size_t first, n;
};

struct shard {
	/* (offset, nbytes) of each inner chunk the selection needs, in the
	 * order phase two visits them; NULL: the shard is missing. */
	uint64_t *index;
	uint64_t size;
};

struct shard_plan {
	struct shard_run *runs[LSIO_MAX_DIMS];
	size_t nruns[LSIO_MAX_DIMS];
	struct shard *shards;
	size_t nshards;
	uint64_t per_shard;	/* inner chunks in a shard */
};

static int shard_runs(struct zarr_gen *g, struct shard_plan *sp)
{
	for (uint32_t d = 0; d < g->a.ndim; d++) {
		uint64_t ratio = g->a.chunks[d] / g->a.inner[d];

		sp->runs[d] = calloc(g->nspans[d], sizeof(*sp->runs[d]));
		if (!sp->runs[d])
			return lsio_fail(g->ctx, -ENOMEM, "out of memory");
		for (size_t i = 0; i < g->nspans[d]; i++) {
			uint64_t s = g->spans[d][i].chunk / ratio;
			struct shard_run *r = &sp->runs[d][sp->nruns[d]];

			if (sp->nruns[d] && r[-1].shard == s) {
				r[-1].n++;
				continue;
			}
			*r = (struct shard_run){ s, i, 1 };
			sp->nruns[d]++;
		}
	}
	return 0;
}

/* The inner chunks the selection needs in the shard at pos[]: spn[] are
 * their spans, *lin its position in the shard's index.  Steps in[]
 * (zeros to start) and returns false after the last. */
struct inner_walk {
	size_t in[LSIO_MAX_DIMS], n[LSIO_MAX_DIMS];
	const struct zarr_span *spn[LSIO_MAX_DIMS];
	uint64_t lin;
	bool started;
};

static bool inner_next(const struct zarr_gen *g, const struct shard_plan *sp,
		       const size_t *pos, struct inner_walk *w)
{
	uint32_t ndim = g->a.ndim;

	if (!w->started) {
		w->started = true;
		for (uint32_t d = 0; d < ndim; d++) {
			w->in[d] = 0;
			w->n[d] = sp->runs[d][pos[d]].n;
		}
	} else if (!zarr_odometer_next(w->in, w->n, ndim)) {
		return false;
	}
	w->lin = 0;
	for (uint32_t d = 0; d < ndim; d++) {
		uint64_t ratio = g->a.chunks[d] / g->a.inner[d];

		w->spn[d] = &g->spans[d][sp->runs[d][pos[d]].first + w->in[d]];
		w->lin = w->lin * ratio + w->spn[d]->chunk % ratio;
	}
	return true;
}

static uint64_t get_u64(const uint8_t *p, bool big)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[big ? 7 - i : i] << (8 * i);
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Keep, and check, the entries of the inner chunks the selection needs:
 * only those, so a selection of a few chunks from many huge shards costs
 * little memory. */
static int shard_index_keep(struct zarr_gen *g, const struct shard_plan *sp,
			    const size_t *pos, const char *key,
			    const uint8_t *buf, struct shard *sh)
{
	struct inner_walk w = { .started = false };
	uint64_t k = 0, n = 1;

	for (uint32_t d = 0; d < g->a.ndim; d++)
		n *= sp->runs[d][pos[d]].n;
	sh->index = malloc(n * 2 * sizeof(*sh->index));
	if (!sh->index)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	while (inner_next(g, sp, pos, &w)) {
		uint64_t off = get_u64(buf + 16 * w.lin, g->a.index_big);
		uint64_t len = get_u64(buf + 16 * w.lin + 8, g->a.index_big), end;

		sh->index[k++] = off;
		sh->index[k++] = len;
		if (off == UINT64_MAX && len == UINT64_MAX)
			continue;	/* an empty inner chunk: fill value */
		if (!lsio_add_ok(off, len, &end) || end > sh->size)
			return zarr_fail(g->ctx, -LSIO_EDATA, g->store, key,
					 "shard index entry %llu (offset %llu, %llu bytes) lies outside the %llu-byte shard",
					 (unsigned long long)w.lin, (unsigned long long)off,
					 (unsigned long long)len,
					 (unsigned long long)sh->size);
	}
	return 0;
}

/* A shard's index, read: check its length and crc32c and keep the entries
 * the selection needs.  got is what the read gave (fewer than ilen: the
 * shard is shorter than its index). */
static int shard_index_check(struct zarr_gen *g, const struct shard_plan *sp,
			     const size_t *pos, const char *key,
			     const uint8_t *buf, size_t got, struct shard *sh)
{
	uint64_t n = sp->per_shard, ilen = n * 16 + (g->a.index_crc ? 4 : 0);

	if (got < ilen)
		return zarr_fail(g->ctx, -LSIO_EDATA, g->store, key,
				 "the shard has %llu bytes, fewer than its %llu-byte index",
				 (unsigned long long)got, (unsigned long long)ilen);
	if (g->a.index_crc && get_le32(buf + n * 16) != lsio_crc32c(0, buf, n * 16))
		return zarr_fail(g->ctx, -LSIO_ECHECKSUM, g->store, key,
				 "shard index crc32c: stored 0x%08x, computed 0x%08x",
				 get_le32(buf + n * 16), lsio_crc32c(0, buf, n * 16));
	return shard_index_keep(g, sp, pos, key, buf, sh);
}

static int shard_key(struct zarr_gen *g, const struct shard_plan *sp,
		     const size_t *pos, char *key)
{
	uint64_t idx[LSIO_MAX_DIMS];

	for (uint32_t d = 0; d < g->a.ndim; d++)
		idx[d] = sp->runs[d][pos[d]].shard;
	if (zarr_chunk_key(&g->a, idx, key, ZARR_KEY_MAX))
		return zarr_fail(g->ctx, -LSIO_EJOB, g->store, g->meta_key,
				 "chunk key too long");
	return 0;
}

/* Shard indexes read in one batch: a remote store's are all in flight at
 * once, each one GET of the index alone ("bytes=-N" at the shard's end),
 * no HEAD; a missing shard (404) has none. */
#define SHARD_BATCH 1024

struct shard_batch {
	struct zarr_req reqs[SHARD_BATCH];
	char keys[SHARD_BATCH][ZARR_KEY_MAX];
	size_t pos[SHARD_BATCH][LSIO_MAX_DIMS];
	size_t n;
};

static int shard_batch_run(struct zarr_gen *g, struct shard_plan *sp,
			   struct shard_batch *b)
{
	int ret = zarr_store_batch(g->store, b->reqs, b->n);

	for (size_t i = 0; i < b->n; i++) {
		struct zarr_req *q = &b->reqs[i];
		struct shard *sh = &sp->shards[sp->nshards++];

		if (!ret && !q->res) {
			sh->size = q->size;	/* UINT64_MAX: not said */
			ret = shard_index_check(g, sp, b->pos[i], b->keys[i],
						q->buf, q->len, sh);
		}
		if (!ret && q->res && q->res != -ENOENT)
			ret = zarr_fail(g->ctx, -LSIO_ESOURCE, g->store, b->keys[i],
					"cannot read the shard index: %s",
					strerror(-q->res));
		free(q->buf);
	}
	b->n = 0;
	if (zarr_said(ret))
		return ret;
	return ret ? zarr_fail(g->ctx, -LSIO_ESOURCE, g->store, g->meta_key,
			       "cannot read the shard indexes: %s", strerror(-ret))
		   : 0;
}

/* Phase one: the index of every shard the selection touches. */
static int shard_indexes(struct zarr_gen *g, struct shard_plan *sp)
{
	size_t pos[LSIO_MAX_DIMS] = { 0 }, n = 1;
	uint64_t ilen = sp->per_shard * 16 + (g->a.index_crc ? 4 : 0);
	struct shard_batch *b;
	int ret = 0;

	for (uint32_t d = 0; d < g->a.ndim; d++)
		n *= sp->nruns[d];
	if (ilen > UINT32_MAX)
		return zarr_fail(g->ctx, -LSIO_EJOB, g->store, g->meta_key,
				 "a shard index of %llu bytes is more than one read may be",
				 (unsigned long long)ilen);
	sp->shards = calloc(n, sizeof(*sp->shards));
	b = calloc(1, sizeof(*b));
	if (!sp->shards || !b) {
		free(b);
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	}
	do {
		size_t k = b->n++;

		memcpy(b->pos[k], pos, sizeof(pos));
		ret = shard_key(g, sp, pos, b->keys[k]);
		b->reqs[k] = (struct zarr_req){ .key = b->keys[k], .body = true,
						.part = (uint32_t)ilen,
						.at_end = !g->a.index_at_start };
		if (!ret && b->n == SHARD_BATCH)
			ret = shard_batch_run(g, sp, b);
	} while (!ret && zarr_odometer_next(pos, sp->nruns, g->a.ndim));
	if (!ret && b->n)
		ret = shard_batch_run(g, sp, b);
	free(b);
	return ret;
}

/* Phase two in one shard: an entry for each needed inner chunk stored. */
static int shard_entries(struct zarr_gen *g, const struct shard_plan *sp,
			 const size_t *pos, const struct shard *sh,
			 const char *key)
{
	struct inner_walk w = { .started = false };
	const uint64_t *e = sh->index;
	int ret;

	for (; inner_next(g, sp, pos, &w); e += 2) {
		if (e[0] == UINT64_MAX && e[1] == UINT64_MAX)
			continue;
		ret = zarr_gen_chunk(g, w.spn, key, e[0], e[1]);
		if (ret)
			return ret;
	}
	return 0;
}

int zarr_gen_sharded(struct zarr_gen *g)
{
	struct shard_plan sp = { .per_shard = 1 };
	size_t pos[LSIO_MAX_DIMS] = { 0 }, i = 0;
	char key[ZARR_KEY_MAX];
	int ret;

	for (uint32_t d = 0; d < g->a.ndim; d++)
		sp.per_shard *= g->a.chunks[d] / g->a.inner[d];
	ret = shard_runs(g, &sp);
	if (!ret)
		ret = shard_indexes(g, &sp);
	while (!ret) {
		const struct shard *sh = &sp.shards[i++];

		if (sh->index) {
			ret = shard_key(g, &sp, pos, key);
			if (!ret)
				ret = shard_entries(g, &sp, pos, sh, key);
		}
		if (!zarr_odometer_next(pos, sp.nruns, g->a.ndim))
			break;
	}
	for (uint32_t d = 0; d < g->a.ndim; d++)
		free(sp.runs[d]);
	for (i = 0; i < sp.nshards; i++)
		free(sp.shards[i].index);
	free(sp.shards);
	return ret;
}
