/* SPDX-License-Identifier: MIT */
/*
 * sink_reduce.c - an array (or a dataset's variables) reduced while it is
 * read: each decoded chunk is folded, on the worker that decoded it, into a
 * partial over the part of the result it touches (reduce.c), and partials
 * are merged into one total in job order, whatever order workers finish
 * them in: a partial that comes early waits in a heap for the ones before
 * it.  The plan keeps job order (plan->ordered), so the heap holds about
 * the chunks in flight, and memory stays the result's state plus those
 * partials, never the array's size.  Merging in a fixed order makes the
 * result the same bit for bit for any number of workers.
 *
 * A chunk that gives each element of the result one value (a GRIB2 field
 * of a stack of them, a Zarr chunk one step long) has no partial smaller
 * than itself: it is folded straight into the total when it comes next,
 * and otherwise waits as a copy of its decoded bytes, folded when its turn
 * comes - the same arithmetic either way.
 *
 * On commit the total becomes the result, an array of the output's shape
 * without the reduced dimensions, written by the array sink (or into the
 * caller's memory) exactly as an array job's output would be.  A dataset
 * has a total per reduced variable; the chunks of the variables it keeps
 * as they are go straight to the dataset sink (reduce_result.c).
 *
 * A part of a sharded run (--shard K/N) reduces its own chunks and writes
 * its total to a state file beside the target (reduce_state.c); the part
 * that finds every part's state there merges them, in part order, under a
 * lock, writes the result and removes the states.  With --resume a part
 * whose state is there already has nothing to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

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
	struct lsio_reduce_var *var;	/* the one it reduces into */
	enum partial_kind kind;
	struct lsio_reduce_box box;
	struct lsio_reduce_acc acc;
	uint8_t *bytes;		/* PARTIAL_BYTES: a copy */
	size_t nbytes, bytes_cap;
};

struct reduce_sink {
	struct lsio_reduce_var *vars;	/* per variable (one: an array) */
	uint32_t nvars;
	const struct lsio_job *job;
	const struct lsio_shard *shard;
	pthread_mutex_t lock;	/* guards total, next and the heap */
	uint64_t next;		/* the chunk to merge next */
	struct partial **heap;	/* early partials, least chunk first */
	size_t nheap, cap;
	/* Merged partials kept for the next chunks: their memory is faulted
	 * in once, not for every chunk. */
	struct partial *spares;
	unsigned nspares;
	struct lsio_reduce_result result;	/* what inner writes */
	struct lsio_sink inner;	/* writes the result */
	/* A part of several (--shard): where their states are kept,
	 * "TEMP.K-of-N.reduce" beside the target; NULL when whole. */
	char *temp;
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

/* The variable chunk i lands in. */
static struct lsio_reduce_var *var_of(const struct reduce_sink *r,
				      uint64_t i)
{
	return &r->vars[r->job->out.type == LSIO_OUT_DATASET
				? r->job->chunks[i].var : 0];
}

/* Whether chunk i is merged into a total (else it goes to the inner sink
 * as it is, or nowhere: a dropped variable's). */
static bool merged(const struct reduce_sink *r, uint64_t i)
{
	const struct lsio_reduce_var *v = var_of(r, i);

	return v->reduced && v->to != UINT32_MAX;
}

/* The first chunk from i on that this part merges: the others never
 * come in the sequence. */
static uint64_t next_taken(const struct reduce_sink *r, uint64_t i)
{
	while (i < r->job->nchunks &&
	       (!lsio_shard_takes(r->shard, i) || !merged(r, i)))
		i++;
	return i;
}

/* Fold the decoded bytes of chunk i into its variable's total. */
static void fold_into_total(struct reduce_sink *r, uint64_t i,
			    const uint8_t *bytes)
{
	struct lsio_reduce_var *var = var_of(r, i);
	struct lsio_place v;

	if (lsio_chunk_place(r->job, &r->job->chunks[i], &v))
		lsio_reduce_chunk(&var->rd, &v, bytes, &var->total, true);
}

/* Merge p (a PARTIAL_BYTES one from bytes, the worker's decoded chunk,
 * when not NULL), then every waiting partial that now comes next. */
static void merge_in_order(struct reduce_sink *r, struct partial *p,
			   const uint8_t *bytes)
{
	for (;;) {
		struct lsio_reduce_var *v = p->var;

		if (p->kind == PARTIAL_FILL)
			lsio_reduce_merge_fill(&v->rd, &v->total, &p->box,
					       p->box.per);
		else if (p->kind == PARTIAL_BYTES)
			fold_into_total(r, p->chunk, bytes ? bytes : p->bytes);
		else
			lsio_reduce_merge(&v->rd, &v->total, &p->acc, &p->box);
		bytes = NULL;
		r->next = next_taken(r, p->chunk + 1);
		partial_done(r, p);
		if (!r->nheap || r->heap[0]->chunk != r->next)
			return;
		p = heap_pop(r);
	}
}

/* --- the sink ------------------------------------------------------------------ */

static int reduce_refuse(struct lsio_sink *s)
{
	const struct lsio_job *job = s->job;

	if (!lsio_output_places(&job->out))
		return lsio_fail(s->ctx, -LSIO_EUSAGE,
				 "reduce: the job's output is %s; only an array or a dataset can be reduced",
				 lsio_job_output_type(job));
	if (job->out.type == LSIO_OUT_DATASET && lsio_shard_stable(s->shard))
		return lsio_fail(s->ctx, -LSIO_EUSAGE,
				 "reduce: a dataset (NetCDF) output cannot be sharded or resumed yet");
	if (lsio_shard_stable(s->shard) && s->dest &&
	    s->dest->kind != LSIO_DEST_JOB)
		return lsio_fail(s->ctx, -LSIO_EUSAGE,
				 "reduce: --shard and --resume keep the parts' states beside an output file");
	return 0;
}

/* "TEMP.K-of-N.reduce" (or the lock, k UINT32_MAX), malloc'd. */
static char *state_path(const struct reduce_sink *r, uint32_t k)
{
	size_t cap = strlen(r->temp) + 48;
	char *p = malloc(cap);

	if (p && k == UINT32_MAX)
		snprintf(p, cap, "%s.reduce-lock", r->temp);
	else if (p)
		snprintf(p, cap, "%s.%u-of-%u.reduce", r->temp, k, r->shard->n);
	return p;
}

/* A part of several: the states' name; with --resume, a part whose state
 * is written already has nothing to do. */
static int reduce_open_part(struct lsio_sink *s, struct reduce_sink *r)
{
	const struct lsio_shard *sh = s->shard;
	char *own;
	int err = lsio_part_target_check(s);

	if (err)
		return err;
	r->temp = lsio_temp_stable_name(s->path, false, sh->fingerprint);
	own = r->temp ? state_path(r, sh->k) : NULL;
	if (!own)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	if (sh->resume && !lsio_reduce_state_load(own, sh->fingerprint, sh->k,
						   sh->n, &r->vars[0].rd,
						   &r->vars[0].total)) {
		s->complete = true;
		lsio_warn(s->ctx, "part %u of %u of this reduction is done already ('%s')",
			  sh->k, sh->n, own);
	}
	free(own);
	return 0;
}

static int reduce_open_inner(struct lsio_sink *s, struct reduce_sink *r)
{
	struct lsio_sink *in = &r->inner;

	if (lsio_reduce_result_init(&r->result, s->job, s->path, r->vars))
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	in->stdout_fd = s->stdout_fd;
	in->dest = s->dest;
	return lsio_sink_open(s->ctx, &r->result.job, NULL, in);
}

static void reduce_close(struct lsio_sink *s);

static int reduce_open(struct lsio_sink *s)
{
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
	err = lsio_reduce_vars_init(&s->job->out, s->reduce, &r->vars,
				    &r->nvars, why, sizeof(why));
	if (err)
		err = lsio_fail(s->ctx, err, "reduce %s: %s",
				lsio_reduce_name(s->reduce->op), why);
	r->shard = s->shard;
	if (!err)
		r->next = next_taken(r, 0);
	if (!err && lsio_shard_stable(s->shard))
		err = reduce_open_part(s, r);
	else if (!err)
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
	part->var = var_of(r, i);
	part->kind = PARTIAL_ACC;
	lsio_reduce_box(&part->var->rd, v, &part->box);
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

/* Chunk i of a variable kept as it is: to the inner sink, unless the
 * variable is dropped. */
static int pass_on(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		   size_t n)
{
	struct reduce_sink *r = s->priv;

	if (var_of(r, i)->to == UINT32_MAX || !r->inner.ops)
		return 0;
	return r->inner.ops->put(&r->inner, i, p, n);
}

/* Chunk i, folded here on the worker that decoded it, outside the lock. */
static int reduce_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		      size_t n)
{
	struct reduce_sink *r = s->priv;
	struct lsio_reducer *rd = &var_of(r, i)->rd;
	struct lsio_place v;
	struct partial *part;
	uint64_t want;
	int err;

	if (!merged(r, i))
		return pass_on(s, i, p, n);
	err = reduce_partial_new(s, i, &v, &part);
	if (err)
		return err;
	want = lsio_grid_bytes(v.shape, v.ndim, rd->in.size);
	if (n != want) {
		partial_free(part);
		return reduce_size_error(s, i, n, want);
	}
	if (part->box.per == 1) {	/* no partial smaller than the chunk */
		part->kind = PARTIAL_BYTES;
		err = reduce_deliver(s, part, p, n);
	} else if (lsio_acc_reset(rd, &part->acc, part->box.len)) {
		partial_free(part);
		return lsio_fail_first(s->ctx, -ENOMEM, "out of memory");
	} else {
		lsio_reduce_chunk(rd, &v, p, &part->acc, false);
		err = reduce_deliver(s, part, NULL, 0);
	}
	if (!err)
		atomic_fetch_add_explicit(&s->bytes_out, n, memory_order_relaxed);
	return err;
}

/* Chunk i, absent, of a variable kept as it is: its fill value. */
static int pass_on_fill(struct lsio_sink *s, uint64_t i)
{
	const struct lsio_var *var = &s->job->out.vars[s->job->chunks[i].var];
	size_t n = (size_t)lsio_chunk_decoded_size(s->job, &s->job->chunks[i]);
	uint8_t *p = malloc(n ? n : 1);
	int err;

	if (!p)
		return lsio_fail_first(s->ctx, -ENOMEM, "out of memory");
	lsio_fill_repeat(p, n, var->fill, sizeof(var->fill), var->dtype.size);
	err = pass_on(s, i, p, n);
	free(p);
	return err;
}

/* An absent chunk: its box holds the fill value; no bytes to fold. */
static int reduce_put_fill(struct lsio_sink *s, uint64_t i)
{
	struct lsio_place v;
	struct partial *part;
	int err;

	if (!merged(s->priv, i))
		return pass_on_fill(s, i);
	err = reduce_partial_new(s, i, &v, &part);
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

/* Variable v's result from total into the inner sink's memory. */
static int reduce_write_var(struct lsio_sink *s, struct reduce_sink *r,
			    const struct lsio_reduce_var *v,
			    struct lsio_reduce_acc *total)
{
	uint8_t *data = r->inner.ops->data(&r->inner, v->to);
	char why[LSIO_MSG_MAX / 2];
	int err;

	if (!data && v->rd.rlen)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "reduce: the %s output has no memory for the result",
				 r->inner.ops->name);
	err = data ? lsio_reduce_finish(&v->rd, total, data, why,
					sizeof(why)) : 0;
	if (err)
		return lsio_fail(s->ctx, err, "reduce %s: %s",
				 lsio_reduce_name(v->rd.r.op), why);
	return 0;
}

/* Every reduced variable's result (total: the array's, when not NULL),
 * then the inner sink committed. */
static int reduce_write(struct lsio_sink *s, struct reduce_sink *r,
			struct lsio_reduce_acc *total)
{
	int err = 0;

	for (uint32_t i = 0; !err && i < r->nvars; i++) {
		struct lsio_reduce_var *v = &r->vars[i];

		if (v->reduced && v->to != UINT32_MAX)
			err = reduce_write_var(s, r, v,
					       total ? total : &v->total);
	}
	return err ? err : r->inner.ops->commit(&r->inner);
}

static bool state_written(void *arg, uint32_t k)
{
	char *path = state_path(arg, k);
	bool here = path && !access(path, F_OK);

	free(path);
	return here;
}

/* Every part's state merged, in part order, into total (empty). */
static int parts_merge(struct lsio_sink *s, struct reduce_sink *r,
		       struct lsio_reduce_acc *total)
{
	const struct lsio_shard *sh = r->shard;
	struct lsio_reduce_box whole = { .len = r->vars[0].rd.rlen };
	struct lsio_reduce_acc part;
	int err = lsio_acc_alloc(&r->vars[0].rd, &part, r->vars[0].rd.rlen);

	for (uint32_t d = 0; d < (r->vars[0].rd.rdim ? r->vars[0].rd.rdim : 1); d++)
		whole.count[d] = r->vars[0].rd.rshape[d];
	for (uint32_t k = 0; !err && k < sh->n; k++) {
		char *path = state_path(r, k);

		err = path ? lsio_reduce_state_load(path, sh->fingerprint, k,
						    sh->n, &r->vars[0].rd, &part)
			   : -ENOMEM;
		if (err)
			lsio_fail(s->ctx, -LSIO_EOUTPUT,
				  "cannot read the reduction state '%s': %s",
				  path ? path : "?", strerror(-err));
		else
			lsio_reduce_merge(&r->vars[0].rd, total, &part, &whole);
		free(path);
	}
	lsio_acc_free(&part);
	return err ? -LSIO_EOUTPUT : 0;
}

static void states_remove(struct reduce_sink *r)
{
	for (uint32_t k = 0; k <= r->shard->n; k++) {
		char *path = state_path(r, k == r->shard->n ? UINT32_MAX : k);

		if (path)
			unlink(path);
		free(path);
	}
}

/* The last part to finish (the lock decides) merges every part's state
 * and writes the result; the others say what it waits for. */
static int parts_commit(struct lsio_sink *s, struct reduce_sink *r)
{
	struct lsio_reduce_acc total;
	char pending[256], *lock = state_path(r, UINT32_MAX);
	int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
	int err = 0;

	free(lock);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		err = lsio_fail(s->ctx, -LSIO_EOUTPUT,
				"cannot lock the reduction's parts beside '%s': %s",
				s->path, strerror(errno));
		goto out;
	}
	if (lsio_parts_missing(r->shard, state_written, r, pending,
			       sizeof(pending))) {
		/* When its own state is gone, the part that merged it wrote
		 * the result. */
		if (state_written(r, r->shard->k))
			lsio_part_wait_note(s, pending);
		goto out;
	}
	err = lsio_acc_alloc(&r->vars[0].rd, &total, r->vars[0].rd.rlen)
		      ? lsio_fail(s->ctx, -ENOMEM, "out of memory") : 0;
	if (!err) {
		err = parts_merge(s, r, &total);
		if (!err)
			err = reduce_open_inner(s, r);
		if (!err)
			err = reduce_write(s, r, &total);
		lsio_acc_free(&total);
	}
	if (!err)
		states_remove(r);
out:
	if (fd >= 0)
		close(fd);
	return err;
}

/* This part's state beside the target, then the result if it is last. */
static int reduce_commit_part(struct lsio_sink *s, struct reduce_sink *r)
{
	const struct lsio_shard *sh = s->shard;
	char *own = state_path(r, sh->k);
	int err = own ? 0 : -ENOMEM;

	if (!err && !s->complete)
		err = lsio_reduce_state_save(own, sh->fingerprint, sh->k, sh->n,
					     &r->vars[0].rd, &r->vars[0].total);
	if (err)
		lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
			  own ? own : s->path, strerror(-err));
	free(own);
	return err ? -LSIO_EOUTPUT : parts_commit(s, r);
}

static int reduce_commit(struct lsio_sink *s)
{
	struct reduce_sink *r = s->priv;

	reduce_drain(r);
	if (r->temp)
		return reduce_commit_part(s, r);
	return reduce_write(s, r, NULL);
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
	lsio_reduce_vars_free(r->vars, r->nvars);
	lsio_reduce_result_release(&r->result);
	free(r->temp);
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
