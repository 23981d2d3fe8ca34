/* SPDX-License-Identifier: MIT */
/*
 * job_info.c - read-only questions a caller may ask of a loaded job.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "job/job.h"

uint64_t lsio_job_source_count(const struct lsio_job *job)
{
	return job->nsources;
}

const char *lsio_job_output_type(const struct lsio_job *job)
{
	static const char *const names[] = {
		[LSIO_OUT_ARRAY] = "array",
		[LSIO_OUT_FILES] = "files",
		[LSIO_OUT_STDOUT] = "stdout",
		[LSIO_OUT_NULL] = "null",
		[LSIO_OUT_DATASET] = "dataset",
	};

	return names[job->out.type];
}

/* A scan: only failures ask, once. */
uint64_t lsio_job_first_chunk(const struct lsio_job *job, uint32_t s)
{
	for (uint64_t i = 0; i < job->nchunks; i++)
		if (job->chunks[i].source == s)
			return i;
	return 0;
}

/* --- the job's fingerprint ------------------------------------------------- */

/* FNV-1a, 64-bit, over bytes: collisions between two jobs writing the same
 * output are what it must avoid, not an adversary. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

/* A word at a time (a 10M-chunk job hashes in well under a second):
 * FNV's step on 64-bit words, folded so high bits reach low ones. */
static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static uint64_t fnv_words(uint64_t h, const uint64_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h = fnv_u64(h, v[i]);
	return h;
}

/* What a chunk reads and where it lands; source and chain as the hashes
 * of their text (per-job indexes depend on the order they were met). */
static uint64_t chunk_fingerprint(const struct lsio_job *job, uint64_t h,
				  const uint64_t *src_h, const uint64_t *chain_h,
				  uint64_t i)
{
	const struct lsio_chunk *c = &job->chunks[i];
	struct lsio_place pl;
	char name[LSIO_NAME_MAX + 1];

	h = fnv_u64(h, src_h[c->source] ^ chain_h[c->chain]);
	h = fnv_u64(h, c->offset);
	h = fnv_u64(h, c->length);
	h = fnv_u64(h, ((uint64_t)c->var << 16) | ((uint64_t)c->missing << 8) |
			       (uint8_t)c->order);
	if (lsio_chunk_place(job, c, &pl)) {
		h = fnv_words(h, pl.shape, pl.ndim);
		h = fnv_words(h, pl.to, pl.ndim);
		h = fnv_words(h, pl.from, pl.ndim);
		h = fnv_words(h, pl.count, pl.ndim);
		h = fnv_words(h, pl.step, pl.ndim);
	}
	if (job->out.type == LSIO_OUT_FILES &&
	    !lsio_chunk_name(job, i, name, sizeof(name)))
		h = fnv_str(h, name);
	return h;
}

int lsio_job_fingerprint(const struct lsio_job *job, uint64_t *out)
{
	const struct lsio_output *o = &job->out;
	uint64_t *src_h = calloc(MAX(job->nsources, 1), sizeof(*src_h));
	uint64_t *chain_h = calloc(MAX(job->nchains, 1), sizeof(*chain_h));
	uint64_t h = 0xcbf29ce484222325ull;

	if (!src_h || !chain_h) {
		free(src_h);
		free(chain_h);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s < job->nsources; s++)
		src_h[s] = fnv_str(0xcbf29ce484222325ull, job->sources[s].path);
	for (uint32_t k = 0; k < job->nchains; k++)
		chain_h[k] = fnv_str(0x84222325cbf29ce4ull, job->chains[k].text);
	h = fnv_u64(h, ((uint64_t)o->type << 32) | o->format);
	h = fnv(h, o->dtype.str, strlen(o->dtype.str));
	h = fnv_words(h, o->shape, o->ndim);
	h = fnv(h, o->fill, sizeof(o->fill));
	h = fnv_u64(h, job->nchunks);
	for (uint64_t i = 0; i < job->nchunks; i++)
		h = chunk_fingerprint(job, h, src_h, chain_h, i);
	free(src_h);
	free(chain_h);
	*out = h;
	return 0;
}
