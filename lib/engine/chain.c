/* SPDX-License-Identifier: MIT */
/*
 * chain.c - run a chunk's stage chain on the worker that read it.
 *
 * The chunk's bytes are still in this core's cache when this runs: each
 * stage reads them and writes the next form into one of two scratch buffers
 * (ping-pong), and the last stage writes straight into the sink's memory
 * when the sink offers a contiguous destination.  No allocation happens per
 * chunk once the scratch buffers have grown to the largest chunk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int lsio_chain_state_init(struct lsio_chain_state *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->stage_state = calloc(lsio_stage_count(), sizeof(void *));
	return cs->stage_state ? 0 : -ENOMEM;
}

void lsio_chain_state_release(struct lsio_chain_state *cs)
{
	for (size_t i = 0; cs->stage_state && i < lsio_stage_count(); i++) {
		const struct lsio_stage_ops *ops = lsio_stage_at(i);

		if (cs->stage_state[i] && ops->state_free)
			ops->state_free(cs->stage_state[i]);
	}
	free(cs->stage_state);
	lsio_scratch_release(&cs->scratch[0]);
	lsio_scratch_release(&cs->scratch[1]);
}

static void *stage_state(struct lsio_chain_state *cs,
			 const struct lsio_stage_ops *ops)
{
	for (size_t i = 0; i < lsio_stage_count(); i++) {
		if (lsio_stage_at(i) != ops)
			continue;
		if (!cs->stage_state[i] && ops->state_new)
			cs->stage_state[i] = ops->state_new();
		return cs->stage_state[i];
	}
	return NULL;
}

/* "chunk 17 ('a.bin', bytes 4096+8192)": how every chunk error begins
 * ("bytes 0 to the end" for a file read to its end). */
static int chunk_fail(struct lsio_engine *e, uint64_t i, int err,
		      const char *what, const char *why)
{
	const struct lsio_chunk *c = &e->job->chunks[i];
	uint64_t n = lsio_chunk_len(e->plan, c);
	char len[32] = " to the end";

	if (n != LSIO_LEN_EOF)
		snprintf(len, sizeof(len), "+%llu", (unsigned long long)n);
	return lsio_fail_first(e->ctx, err, "chunk %llu ('%s', bytes %llu%s): %s%s",
			       (unsigned long long)i,
			       e->job->sources[c->source].path,
			       (unsigned long long)c->offset, len, what, why);
}

/* The scratch buffer not holding p, so a stage never reads what it writes. */
static struct lsio_scratch *other_scratch(struct lsio_chain_state *cs,
					  const uint8_t *p)
{
	return p == cs->scratch[0].p ? &cs->scratch[1] : &cs->scratch[0];
}

static int stage_call(struct lsio_engine *e, struct lsio_chain_state *cs,
		      uint64_t i, uint32_t k, struct lsio_stage_io *io)
{
	const struct lsio_chain *chain = &e->job->chains[e->job->chunks[i].chain];
	const struct lsio_stage_spec *spec = &chain->stages[k];
	char what[96];
	int ret;

	io->params = spec->params;
	io->state = stage_state(cs, spec->ops);
	io->why = cs->why;
	io->why_cap = sizeof(cs->why);
	cs->why[0] = '\0';
	ret = spec->ops->run(io);
	if (!ret)
		return 0;
	snprintf(what, sizeof(what), "stage %u '%s': ", k + 1, spec->ops->name);
	/* Without a placement the limit is the job's: say how to raise it. */
	if (ret == -LSIO_ETOOBIG && !lsio_output_places(&e->job->out))
		snprintf(cs->why + strlen(cs->why), sizeof(cs->why) - strlen(cs->why),
			 " (the limit for one chunk: raise it with output.max_chunk)");
	return chunk_fail(e, i, ret, what, cs->why[0] ? cs->why : lsio_strerror(ret));
}

/* Does stage k's output have the chunk's final decoded size?  Yes when
 * every later stage keeps the size. */
static bool size_known_after(const struct lsio_chain *chain, uint32_t k)
{
	for (uint32_t j = k + 1; j < chain->n; j++)
		if (!chain->stages[j].ops->keeps_size)
			return false;
	return true;
}

size_t lsio_chunk_bound(const struct lsio_job *job)
{
	uint64_t n = job->out.max_chunk ? job->out.max_chunk : LSIO_MAX_CHUNK;

	return (size_t)MIN(n, (uint64_t)SIZE_MAX);
}

/* A stage before the last may produce a little more than the final size
 * (a checksum or header still to strip): allow twice the final size plus
 * 1 MiB - generous, but a hostile frame still cannot claim gigabytes. */
static size_t intermediate_limit(const struct lsio_job *job, size_t want)
{
	if (!want)
		return lsio_chunk_bound(job);
	if (want > (SIZE_MAX - (1u << 20)) / 2)
		return SIZE_MAX;
	return 2 * want + (1u << 20);
}

size_t lsio_chunk_read_bound(const struct lsio_job *job,
			     const struct lsio_chunk *c)
{
	size_t want = lsio_output_places(&job->out)
			? (size_t)lsio_chunk_decoded_size(job, c) : 0;

	return MIN(intermediate_limit(job, want), lsio_chunk_bound(job));
}

int lsio_chain_absent(struct lsio_engine *e, struct lsio_chain_state *cs,
		      uint64_t i)
{
	const struct lsio_output *out = &e->job->out;
	const struct lsio_chunk *c = &e->job->chunks[i];
	const struct lsio_var *v = out->type == LSIO_OUT_DATASET
					   ? &out->vars[c->var] : NULL;
	size_t want;

	if (!lsio_output_places(out))
		return 0;
	if (e->sink.ops->put_fill)
		return e->sink.ops->put_fill(&e->sink, i);
	if (!e->sink.put_absent && (!out->no_prefill ||
				    (v ? v->fill_is_zero : out->fill_is_zero)))
		return 0;	/* the fill value is there already */
	want = (size_t)lsio_chunk_decoded_size(e->job, c);
	if (lsio_scratch_reserve(&cs->scratch[0], want))
		return chunk_fail(e, i, -ENOMEM, "out of memory", "");
	lsio_fill_repeat(cs->scratch[0].p, want, v ? v->fill : out->fill,
			 sizeof(out->fill), lsio_chunk_dtype(e->job, c)->size);
	return e->sink.ops->put(&e->sink, i, cs->scratch[0].p, want);
}

int lsio_chain_run(struct lsio_engine *e, struct lsio_chain_state *cs,
		   uint64_t i, uint8_t *p, size_t n, bool copy_first)
{
	const struct lsio_chunk *c = &e->job->chunks[i];
	const struct lsio_chain *chain = &e->job->chains[c->chain];
	size_t want = (size_t)lsio_chunk_decoded_size(e->job, c);
	struct lsio_scratch dest = { .fixed = true };
	struct lsio_stage_io io;
	char why[128];
	int ret;

	cs->last_len = 0;	/* what it held is about to be overwritten */
	if (copy_first && chain->n) {
		if (lsio_scratch_reserve(&cs->scratch[0], n))
			return chunk_fail(e, i, -ENOMEM, "out of memory", "");
		memcpy(cs->scratch[0].p, p, n);
		p = cs->scratch[0].p;
	}
	if (want && e->sink.ops->direct)
		dest.p = e->sink.ops->direct(&e->sink, i, want);
	dest.cap = dest.p ? want : 0;
	for (uint32_t k = 0; k < chain->n; k++) {
		bool last = k + 1 == chain->n;
		bool exact = want && size_known_after(chain, k);

		memset(&io, 0, sizeof(io));
		io.in = p;
		io.in_len = n;
		io.scratch = last && dest.p ? &dest : other_scratch(cs, p);
		io.limit = exact ? want : intermediate_limit(e->job, want);
		io.expect = exact ? want : 0;
		if (exact && lsio_output_places(&e->job->out))
			io.dtype = lsio_chunk_dtype(e->job, c);
		ret = stage_call(e, cs, i, k, &io);
		if (ret)
			return ret;
		p = io.out;
		n = io.out_len;
	}
	if (want && n != want) {
		snprintf(why, sizeof(why), "expected %zu bytes (the placement's shape x itemsize), found %zu",
			 want, n);
		return chunk_fail(e, i, -LSIO_ESIZE, chain->n ? "after the stages: " : "", why);
	}
	ret = e->sink.ops->put(&e->sink, i, p, n);
	if (ret)
		return ret;
	cs->last = p;
	cs->last_len = n;
	cs->last_chunk = i;
	return 0;
}

int lsio_chain_again(struct lsio_engine *e, struct lsio_chain_state *cs,
		     uint64_t i)
{
	const struct lsio_chunk *c = &e->job->chunks[i];
	const struct lsio_chunk *prev;

	if (!cs->last_len || !i || cs->last_chunk >= e->job->nchunks)
		return 1;
	prev = &e->job->chunks[cs->last_chunk];
	if (prev->source != c->source || prev->offset != c->offset ||
	    lsio_chunk_len(e->plan, prev) != lsio_chunk_len(e->plan, c) ||
	    prev->chain != c->chain ||
	    lsio_chunk_decoded_size(e->job, c) != cs->last_len)
		return 1;
	atomic_fetch_add_explicit(&e->chunks_reused, 1, memory_order_relaxed);
	return e->sink.ops->put(&e->sink, i, cs->last, cs->last_len);
}
