/* SPDX-License-Identifier: MIT */
/*
 * shard.c - which chunks part k of n runs (--shard K/N).
 *
 * Every part computes the same partition from the job alone, so N
 * processes that never talk to each other (a Slurm job array) take
 * disjoint parts that together are the job:
 *
 *   - an array output is split by the leading dimension: chunks are grouped
 *     by the row their placement starts at, and the groups, in row order,
 *     are dealt out as N contiguous runs of about equal chunk counts.  A
 *     part then writes one contiguous byte range of the file (C order), so
 *     no two parts write the same pages, and neighbouring chunks - which
 *     usually sit in neighbouring objects or messages - are read by one
 *     part.  The part owns the rows from its first group to the next
 *     part's: it writes their fill value, holes included.
 *   - files, stdout and null outputs are split into N contiguous runs of
 *     job order, so the parts' standard outputs, concatenated in part
 *     order, are the whole run's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The row chunk i's placement starts at (0 for one without). */
static uint64_t chunk_row(const struct lsio_job *job, uint64_t i)
{
	struct lsio_place pl;

	return lsio_chunk_place(job, &job->chunks[i], &pl) ? pl.to[0] : 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every chunk's row, sorted (a copy; jobs in C order are sorted already). */
static uint64_t *rows_sorted(const struct lsio_job *job)
{
	uint64_t *rows = malloc(MAX(job->nchunks, 1) * sizeof(*rows));
	bool sorted = true;

	if (!rows)
		return NULL;
	for (uint64_t i = 0; i < job->nchunks; i++) {
		rows[i] = chunk_row(job, i);
		sorted &= !i || rows[i - 1] <= rows[i];
	}
	if (!sorted)
		qsort(rows, job->nchunks, sizeof(*rows), u64_cmp);
	return rows;
}

/*
 * first[k]: the row part k starts at, for k in 0..n (first[n] = the
 * leading dimension's length).  A group of equal rows goes to the part
 * its first chunk's rank falls in; a part with no group starts where the
 * next one does.
 */
static int row_bounds(const struct lsio_job *job, uint32_t n, uint64_t *first)
{
	uint64_t *rows = rows_sorted(job), total = job->nchunks;
	uint32_t k;

	if (!rows)
		return -ENOMEM;
	for (k = 0; k <= n; k++)
		first[k] = UINT64_MAX;
	for (uint64_t i = 0; i < total; i++) {
		if (i && rows[i] == rows[i - 1])
			continue;
		k = (uint32_t)((unsigned __int128)i * n / total);
		if (first[k] == UINT64_MAX)
			first[k] = rows[i];
	}
	free(rows);
	first[n] = job->out.ndim ? job->out.shape[0] : 1;
	for (k = n; k-- > 0;)
		if (first[k] == UINT64_MAX)
			first[k] = first[k + 1];
	first[0] = 0;
	return 0;
}

/* The part whose rows hold row: the last k with first[k] <= row. */
static uint32_t row_part(const uint64_t *first, uint32_t n, uint64_t row)
{
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (first[mid] <= row)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void take(struct lsio_shard *sh, uint64_t i)
{
	sh->take[i >> 3] |= (uint8_t)(1u << (i & 7));
	sh->ntaken++;
}

static int shard_by_rows(struct lsio_plan *p)
{
	const struct lsio_job *job = p->job;
	struct lsio_shard *sh = &p->shard;
	uint64_t *first = calloc((size_t)sh->n + 1, sizeof(*first));

	if (!first || row_bounds(job, sh->n, first)) {
		free(first);
		return lsio_fail(p->ctx, -ENOMEM, "out of memory");
	}
	for (uint64_t i = 0; i < job->nchunks; i++)
		if (row_part(first, sh->n, chunk_row(job, i)) == sh->k)
			take(sh, i);
	sh->rows[0] = first[sh->k];
	sh->rows[1] = first[sh->k + 1];
	free(first);
	return 0;
}

static void shard_by_order(struct lsio_plan *p)
{
	struct lsio_shard *sh = &p->shard;
	uint64_t n = p->job->nchunks;
	uint64_t lo = (uint64_t)((unsigned __int128)n * sh->k / sh->n);
	uint64_t hi = (uint64_t)((unsigned __int128)n * (sh->k + 1) / sh->n);

	for (uint64_t i = lo; i < hi; i++)
		take(sh, i);
	sh->first = lo;
	sh->end = hi;
}

/* The caller's memory or function (lsio_run_into, lsio_run_callback)
 * keeps nothing between runs to resume from, and one process's memory is
 * no array that the parts of a sharded run share. */
static int shard_check_dest(struct lsio_plan *p)
{
	const struct lsio_shard *sh = &p->shard;
	bool memory = p->dest.kind == LSIO_DEST_MEMORY;

	if (sh->resume || (memory && sh->n > 1))
		return lsio_fail(p->ctx, -LSIO_EUSAGE,
				 "%s: not for a run into %s",
				 sh->resume ? "--resume" : "--shard",
				 memory ? "the caller's memory (lsio_run_into)"
					: "a callback (lsio_run_callback)");
	return 0;
}

/* What --shard and --resume can do with this output. */
static int shard_check(struct lsio_plan *p)
{
	const struct lsio_shard *sh = &p->shard;
	enum lsio_output_type t = p->job->out.type;

	if (p->dest.kind != LSIO_DEST_JOB)
		return shard_check_dest(p);

	if (t == LSIO_OUT_DATASET && lsio_shard_stable(sh))
		return lsio_fail(p->ctx, -LSIO_EUSAGE,
				 "%s: not supported for a dataset (NetCDF) output yet; write each variable as an array (.npy)",
				 sh->n > 1 ? "--shard" : "--resume");
	if (sh->resume && (t == LSIO_OUT_STDOUT || t == LSIO_OUT_NULL))
		return lsio_fail(p->ctx, -LSIO_EUSAGE,
				 "--resume: a %s output keeps nothing to resume from; write an array or files",
				 t == LSIO_OUT_STDOUT ? "stdout" : "null");
	return 0;
}

int lsio_shard_plan(struct lsio_plan *p, const struct lsio_options *opt)
{
	struct lsio_shard *sh = &p->shard;
	const struct lsio_job *job = p->job;
	int ret;

	*sh = (struct lsio_shard){ .k = 0, .n = 1, .ntaken = job->nchunks,
				   .rows = { 0, UINT64_MAX },
				   .end = job->nchunks };
	if (opt && opt->shard_count > 1) {
		if (opt->shard_index < 0 || opt->shard_index >= opt->shard_count)
			return lsio_fail(p->ctx, -LSIO_EUSAGE,
					 "--shard %d/%d: the part must be 0 to %d",
					 opt->shard_index, opt->shard_count,
					 opt->shard_count - 1);
		sh->k = (uint32_t)opt->shard_index;
		sh->n = (uint32_t)opt->shard_count;
	}
	sh->resume = opt && opt->resume > 0;
	if ((ret = shard_check(p)))
		return ret;
	if (lsio_shard_stable(sh) &&
	    lsio_job_fingerprint(job, &sh->fingerprint))
		return lsio_fail(p->ctx, -ENOMEM, "out of memory");
	sh->fingerprint ^= (uint64_t)sh->n * 0x9e3779b97f4a7c15ull;
	if (sh->n == 1)
		return 0;
	sh->take = calloc(job->nchunks / 8 + 1, 1);
	if (!sh->take)
		return lsio_fail(p->ctx, -ENOMEM, "out of memory");
	sh->ntaken = 0;
	if (job->out.type == LSIO_OUT_ARRAY)
		return shard_by_rows(p);
	shard_by_order(p);
	return 0;
}

void lsio_shard_release(struct lsio_shard *sh)
{
	free(sh->take);
	sh->take = NULL;
}
