/* SPDX-License-Identifier: MIT */
/*
 * sink_reduce.c - an array output reduced while it is read: each decoded
 * chunk is folded, on the worker that decoded it, into a partial over the
 * part of the result it touches (reduce.c), and partials are merged into
 * one total in job order, whatever order workers finish them in: a partial
 * that comes early waits in a heap for the ones before it.  The plan keeps
 * job order (plan->ordered), so the heap holds about the chunks in flight,
 * and memory stays the result's state plus those partials, never the
 * array's size.  Merging in a fixed order makes the result the same bit
 * for bit for any number of workers.
 *
 * A chunk that gives each element of the result one value (a GRIB2 field
 * of a stack of them, a Zarr chunk one step long) has no partial smaller
 * than itself: it is folded straight into the total when it comes next,
 * and otherwise waits as a copy of its decoded bytes, folded when its turn
 * comes - the same arithmetic either way.
 *
 * On commit the total becomes the result, an array of the output's shape
 * without the reduced dimensions, written by the array sink (or into the
 * caller's memory) exactly as an array job's output would be.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sink/reduce.h"
#include "sink/sink_mapped.h"

/* What a chunk contributes, until it is merged. */
enum partial_kind {
	PARTIAL_ACC,		/* its values folded into acc */
	PARTIAL_FILL,		/* an absent chunk: the fill value */
	PARTIAL_BYTES,		/* its decoded bytes, folded when merged */
};

struct partial {
	struct partial *next;	/* in the spares */
	uint64_t chunk;
	enum partial_kind kind;
	struct lsio_reduce_box box;
	struct lsio_reduce_acc acc;
	uint8_t *bytes;		/* PARTIAL_BYTES: a copy */
	size_t nbytes, bytes_cap;
};

struct reduce_sink {
	struct lsio_reducer rd;
	struct lsio_reduce_acc total;
	const struct lsio_job *job;
	pthread_mutex_t lock;	/* guards total, next and the heap */
	uint64_t next;		/* the chunk to merge next */
	struct partial **heap;	/* early partials, least chunk first */
	size_t nheap, cap;
	/* Merged partials kept for the next chunks: their memory is faulted
	 * in once, not for every chunk. */
	struct partial *spares;
	unsigned nspares;
	struct lsio_job result;	/* the job, its output the result */
	struct lsio_sink inner;	/* writes the result */
};

/* --- the heap of early partials ----------------------------------------------- */

static void heap_swap(struct partial **h, size_t a, size_t b)
{
	struct partial *t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static int heap_push(struct reduce_sink *r, struct partial *p)
{
	size_t i = r->nheap;

	if (r->nheap == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct partial **h = realloc(r->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		r->heap = h;
		r->cap = cap;
	}
	r->heap[r->nheap++] = p;
	while (i && r->heap[(i - 1) / 2]->chunk > r->heap[i]->chunk) {
		heap_swap(r->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct partial *heap_pop(struct reduce_sink *r)
{
	struct partial *top = r->heap[0];
	size_t i = 0;

	r->heap[0] = r->heap[--r->nheap];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < r->nheap && r->heap[l]->chunk < r->heap[m]->chunk)
			m = l;
		if (l + 1 < r->nheap && r->heap[l + 1]->chunk < r->heap[m]->chunk)
			m = l + 1;
		if (m == i)
			return top;
		heap_swap(r->heap, i, m);
		i = m;
	}
}

static void partial_free(struct partial *p)
{
	lsio_acc_free(&p->acc);
	free(p->bytes);
	free(p);
}

#define SPARES_MAX 64

/* A merged partial, kept for another chunk (under the lock). */
static void partial_done(struct reduce_sink *r, struct partial *p)
{
	if (r->nspares >= SPARES_MAX) {
		partial_free(p);
		return;
	}
	p->next = r->spares;
	r->spares = p;
	r->nspares++;
}

/* Fold the decoded bytes of chunk i into the total. */
static void fold_into_total(struct reduce_sink *r, uint64_t i,
			    const uint8_t *bytes)
{
	struct lsio_place v;

	if (lsio_chunk_place(r->job, &r->job->chunks[i], &v))
		lsio_reduce_chunk(&r->rd, &v, bytes, &r->total, true);
}

/* Merge p (a PARTIAL_BYTES one from bytes, the worker's decoded chunk,
 * when not NULL), then every waiting partial that now comes next. */
static void merge_in_order(struct reduce_sink *r, struct partial *p,
			   const uint8_t *bytes)
{
	for (;;) {
		if (p->kind == PARTIAL_FILL)
			lsio_reduce_merge_fill(&r->rd, &r->total, &p->box,
					       p->box.per);
		else if (p->kind == PARTIAL_BYTES)
			fold_into_total(r, p->chunk, bytes ? bytes : p->bytes);
		else
			lsio_reduce_merge(&r->rd, &r->total, &p->acc, &p->box);
		bytes = NULL;
		r->next = p->chunk + 1;
		partial_done(r, p);
		if (!r->nheap || r->heap[0]->chunk != r->next)
			return;
		p = heap_pop(r);
	}
}

/* --- the sink ------------------------------------------------------------------ */

/* The job as the inner sink sees it: the same, its output the result. */
static void result_job(struct lsio_sink *s, struct reduce_sink *r)
{
	struct lsio_output *out = &r->result.out;

	r->result = *s->job;
	out->reduce.op = LSIO_REDUCE_NONE;
	out->path = (char *)s->path;
	out->dtype = r->rd.out;
	out->ndim = r->rd.rdim;
	memcpy(out->shape, r->rd.rshape, sizeof(out->shape));
	memset(out->fill, 0, sizeof(out->fill));
	out->fill_is_zero = true;
	out->no_prefill = true;	/* every element is written */
}

static int reduce_refuse(struct lsio_sink *s)
{
	const struct lsio_job *job = s->job;

	if (job->out.type != LSIO_OUT_ARRAY)
		return lsio_fail(s->ctx, -LSIO_EUSAGE,
				 "reduce: the job's output is %s; only an array output can be reduced",
				 lsio_job_output_type(job));
	if (s->shard->n > 1 || s->shard->resume)
		return lsio_fail(s->ctx, -LSIO_EUSAGE,
				 "reduce: %s is not supported with a reduction yet",
				 s->shard->n > 1 ? "--shard" : "--resume");
	return 0;
}

static int reduce_open_inner(struct lsio_sink *s, struct reduce_sink *r)
{
	struct lsio_sink *in = &r->inner;

	result_job(s, r);
	in->stdout_fd = s->stdout_fd;
	in->dest = s->dest;
	return lsio_sink_open(s->ctx, &r->result, NULL, in);
}

static void reduce_close(struct lsio_sink *s);

static int reduce_open(struct lsio_sink *s)
{
	struct lsio_output out = s->job->out;
	char why[LSIO_MSG_MAX / 2];
	struct reduce_sink *r;
	int err = reduce_refuse(s);

	if (err)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	s->priv = r;
	r->job = s->job;
	s->put_absent = true;	/* an absent chunk's fill value counts */
	pthread_mutex_init(&r->lock, NULL);
	out.reduce = *s->reduce;
	err = lsio_reducer_init(&r->rd, &out, why, sizeof(why));
	if (err)
		err = lsio_fail(s->ctx, err, "reduce %s: %s",
				lsio_reduce_name(s->reduce->op), why);
	if (!err && lsio_acc_alloc(&r->rd, &r->total, r->rd.rlen))
		err = lsio_fail(s->ctx, -ENOMEM,
				"reduce: out of memory for %" PRIu64 " results",
				r->rd.rlen);
	if (!err)
		err = reduce_open_inner(s, r);
	if (err)
		reduce_close(s);
	return err;
}

static int reduce_size_error(struct lsio_sink *s, uint64_t i, size_t n,
			     uint64_t want)
{
	const struct lsio_job *job = s->job;

	return lsio_fail_first(s->ctx, -LSIO_ESIZE,
			       "chunk %" PRIu64 " ('%s'): decoded size %zu bytes, placement needs %" PRIu64,
			       i, job->sources[job->chunks[i].source].path, n,
			       want);
}

/* Chunk i's partial, over the box it lands in (with no state yet). */
static int reduce_partial_new(struct lsio_sink *s, uint64_t i,
			      struct lsio_place *v, struct partial **out)
{
	struct reduce_sink *r = s->priv;
	struct partial *part;

	*out = NULL;
	if (!lsio_chunk_place(s->job, &s->job->chunks[i], v))
		return lsio_fail_first(s->ctx, -LSIO_EJOB,
				       "chunk %" PRIu64 ": no placement", i);
	pthread_mutex_lock(&r->lock);
	part = r->spares;
	if (part) {
		r->spares = part->next;
		r->nspares--;
	}
	pthread_mutex_unlock(&r->lock);
	if (!part)
		part = calloc(1, sizeof(*part));
	if (!part)
		return lsio_fail_first(s->ctx, -ENOMEM, "out of memory");
	part->chunk = i;
	part->kind = PARTIAL_ACC;
	lsio_reduce_box(&r->rd, v, &part->box);
	*out = part;
	return 0;
}

/* A copy of the n decoded bytes p in part, to fold when it comes next. */
static int keep_bytes(struct partial *part, const uint8_t *p, size_t n)
{
	if (part->bytes_cap < n) {
		free(part->bytes);
		part->bytes = malloc(n ? n : 1);
		part->bytes_cap = part->bytes ? n : 0;
		if (!part->bytes)
			return -ENOMEM;
	}
	memcpy(part->bytes, p, n);
	part->nbytes = n;
	return 0;
}

/* Merge part now if it comes next, else keep it until it does (with a
 * copy of bytes, n of them, when it is a PARTIAL_BYTES one). */
static int reduce_deliver(struct lsio_sink *s, struct partial *part,
			  const uint8_t *bytes, size_t n)
{
	struct reduce_sink *r = s->priv;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	if (part->chunk == r->next)
		merge_in_order(r, part, bytes);
	else if ((bytes && keep_bytes(part, bytes, n)) || heap_push(r, part))
		err = -ENOMEM;
	pthread_mutex_unlock(&r->lock);
	if (err) {
		partial_free(part);
		return lsio_fail_first(s->ctx, err, "out of memory");
	}
	return 0;
}

/* Chunk i, folded here on the worker that decoded it, outside the lock. */
static int reduce_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		      size_t n)
{
	struct reduce_sink *r = s->priv;
	struct lsio_place v;
	struct partial *part;
	uint64_t want;
	int err = reduce_partial_new(s, i, &v, &part);

	if (err)
		return err;
	want = lsio_grid_bytes(v.shape, v.ndim, r->rd.in.size);
	if (n != want) {
		partial_free(part);
		return reduce_size_error(s, i, n, want);
	}
	if (part->box.per == 1) {	/* no partial smaller than the chunk */
		part->kind = PARTIAL_BYTES;
		err = reduce_deliver(s, part, p, n);
	} else if (lsio_acc_reset(&r->rd, &part->acc, part->box.len)) {
		partial_free(part);
		return lsio_fail_first(s->ctx, -ENOMEM, "out of memory");
	} else {
		lsio_reduce_chunk(&r->rd, &v, p, &part->acc, false);
		err = reduce_deliver(s, part, NULL, 0);
	}
	if (!err)
		atomic_fetch_add_explicit(&s->bytes_out, n, memory_order_relaxed);
	return err;
}

/* An absent chunk: its box holds the fill value; no bytes to fold. */
static int reduce_put_fill(struct lsio_sink *s, uint64_t i)
{
	struct lsio_place v;
	struct partial *part;
	int err = reduce_partial_new(s, i, &v, &part);

	if (err)
		return err;
	part->kind = PARTIAL_FILL;
	return reduce_deliver(s, part, NULL, 0);
}

/* What never came next (chunks that were not put, a part's gaps) is
 * merged in chunk order too. */
static void reduce_drain(struct reduce_sink *r)
{
	while (r->nheap) {
		struct partial *p = heap_pop(r);

		r->next = p->chunk;
		merge_in_order(r, p, NULL);
	}
}

static int reduce_commit(struct lsio_sink *s)
{
	struct reduce_sink *r = s->priv;
	uint8_t *data;
	char why[LSIO_MSG_MAX / 2];
	int err;

	reduce_drain(r);
	data = r->inner.ops->data(&r->inner);
	if (!data && r->rd.rlen)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "reduce: the %s output has no memory for the result",
				 r->inner.ops->name);
	err = data ? lsio_reduce_finish(&r->rd, &r->total, data, why,
					sizeof(why)) : 0;
	if (err)
		return lsio_fail(s->ctx, err, "reduce %s: %s",
				 lsio_reduce_name(r->rd.r.op), why);
	return r->inner.ops->commit(&r->inner);
}

static void reduce_abort(struct lsio_sink *s)
{
	struct reduce_sink *r = s->priv;

	if (r && r->inner.ops)
		r->inner.ops->abort(&r->inner);
}

static void reduce_close(struct lsio_sink *s)
{
	struct reduce_sink *r = s->priv;

	if (!r)
		return;
	if (r->inner.ops)
		r->inner.ops->close(&r->inner);
	while (r->nheap)
		partial_free(heap_pop(r));
	while (r->spares) {
		struct partial *p = r->spares;

		r->spares = p->next;
		partial_free(p);
	}
	free(r->heap);
	lsio_acc_free(&r->total);
	pthread_mutex_destroy(&r->lock);
	free(r);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_reduce = {
	.name = "reduce",
	.open = reduce_open,
	.put = reduce_put,
	.put_fill = reduce_put_fill,
	.commit = reduce_commit,
	.abort = reduce_abort,
	.close = reduce_close,
};
