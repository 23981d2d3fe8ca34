/* SPDX-License-Identifier: MIT */
/*
 * engine.c - run a plan: open the sink (the job's output, or the caller's
 * memory or function: lsio_run_into, lsio_run_callback), open the
 * sources, start one worker per core, report progress from the calling
 * thread, and commit the output only when every chunk succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "sink/reduce.h"
#include "sink/sink_mapped.h"

#define LSIO_MIN_SLOT (64u << 10)
#define LSIO_MAX_SLOT (64u << 20)
/* What libcurl holds per request in flight besides the buffer the bytes
 * land in (its receive buffer, the handle, the connection): measured
 * 28-32 KiB a request with 64 to 256 of them. */
#define LSIO_REMOTE_REQ_COST (32u << 10)

/* The deepest queue any class in the plan wants, unless the user chose. */
static unsigned plan_depth(const struct lsio_plan *p)
{
	unsigned depth = 0;

	if (p->opt.queue_depth > 0)
		return (unsigned)p->opt.queue_depth;
	for (uint32_t s = 0; s < p->job->nsources; s++)
		if (!p->facts[s].unused)
			depth = MAX(depth, lsio_source_params(p, s)->queue_depth);
	return depth ? depth : 32;
}

/* Size the buffers: one slot holds the plan's largest unit (within
 * limits), and each worker gets as many slots as its memory share allows,
 * at least one and no more than its queue depth. */
/* Is every unit read from the page cache?  The planner reads a local disk
 * buffered under --direct auto only where the range is cached, and tmpfs
 * is memory.  (--direct off on a disk, network file systems and remote
 * objects may still wait for data: they need the queue.) */
/* Remote reads arrive through libcurl's copy, a few KiB at a time, and
 * seldom fill a slot: their pages need not be touched (faulted in) up
 * front, which for 128 slots of a few hundred KiB costs more than the
 * round trips it would save. */
static bool plan_all_remote(const struct lsio_plan *p)
{
	for (uint64_t i = 0; i < p->nunits; i++)
		if (!lsio_source_remote(p, p->units[i].source))
			return false;
	return true;
}

static bool plan_all_cached(const struct lsio_plan *p)
{
	for (uint64_t i = 0; i < p->nunits; i++) {
		const struct lsio_unit *u = &p->units[i];
		const struct lsio_source_facts *f = &p->facts[u->source];
		const struct lsio_class_params *cp = lsio_source_params(p, u->source);

		if (f->class_id == LSIO_CLASS_MEMORY)
			continue;
		if (u->direct || lsio_facts_remote(f) ||
		    !cp->align || cp->direct != LSIO_DIRECT_AUTO)
			return false;
	}
	return true;
}

/* A stream's reorder window holds what the read buffers leave of
 * --memory, and at least half of it: decoded chunks that wait for a slow
 * earlier one are memory in flight as much as reads are.  What the two
 * leave is for remote reads that outgrow their buffer. */
static void window_size(struct lsio_engine *e, uint64_t bufs)
{
	uint64_t memory = (uint64_t)e->plan->opt.memory;
	uint64_t left = memory > bufs ? memory - bufs : 0;

	if (e->plan->ordered) {
		e->sink.window_bytes = (size_t)MIN(MAX(left, memory / 2),
						   (uint64_t)SIZE_MAX);
		left -= MIN(left, e->sink.window_bytes);
	}
	e->grow_room = left;
}

static void buffers_size(struct lsio_engine *e)
{
	const struct lsio_plan *p = e->plan;
	uint64_t memory = (uint64_t)p->opt.memory;
	uint64_t share = (p->ordered ? memory / 2 : memory) /
			 (uint64_t)p->opt.workers;
	uint64_t slot = MAX(p->max_unit_len, LSIO_MIN_SLOT);
	uint64_t units_each = p->nunits / (uint64_t)p->opt.workers + 1;
	uint64_t cost = p->remote && !p->null_backend ? LSIO_REMOTE_REQ_COST : 0;

	slot = MIN(slot, LSIO_MAX_SLOT);
	slot = (slot + 4095) & ~(uint64_t)4095;
	e->slot_len = (size_t)slot;
	e->depth = plan_depth(p);
	/* More buffers than units (or than reads in flight) would only cost
	 * page faults. */
	e->nslots = (unsigned)MAX(1, MIN(MIN(share / (slot + cost), e->depth),
					 units_each));
	/* Cached reads complete inside io_uring_enter, one after another:
	 * more buffers overlap nothing, they only cost fresh pages to fault
	 * in and a copy target too big for the cache (measured: 16 slots ran
	 * at 0.79x fio psync, 2 slots at 1.3x). */
	if (plan_all_cached(p))
		e->nslots = MIN(e->nslots, 2);
	e->prefault = !plan_all_remote(p);
	window_size(e, (slot + cost) * e->nslots * (uint64_t)p->opt.workers);
}

/* Open every source once, up front, so rings can register the table; a
 * job with more sources than we may hold open opens them per unit. */
static int sources_open(struct lsio_engine *e)
{
	const struct lsio_job *job = e->job;
	struct rlimit rl;
	bool want_direct[2] = { false, false };

	if (e->backend->flags & LSIO_BACKEND_NO_READS)
		return 0;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((uint64_t)job->nsources * 2 + 64 > rl.rlim_cur)
		return 0;
	for (uint64_t i = 0; i < e->plan->nunits; i++)
		want_direct[e->plan->units[i].direct] = true;
	e->nfds = job->nsources * 2;
	e->fds = malloc(MAX(e->nfds, 1) * sizeof(*e->fds));
	if (!e->fds)
		return lsio_fail(e->ctx, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < e->nfds; i++)
		e->fds[i] = -1;	/* what sources_close skips */
	for (uint32_t s = 0; s < job->nsources; s++) {
		const struct lsio_source_facts *f = &e->plan->facts[s];
		const char *path = job->sources[s].path;

		if (lsio_facts_remote(f) || f->absent || f->unused)
			continue;	/* read by the remote backend, or not */
		e->fds[2 * s] = open(path, O_RDONLY | O_CLOEXEC);
		if (e->fds[2 * s] < 0)
			return lsio_fail(e->ctx, -LSIO_ESOURCE,
					 "chunk %llu: cannot open source '%s': %s",
					 (unsigned long long)lsio_job_first_chunk(job, s),
					 path, strerror(errno));
		if (want_direct[1] && lsio_source_params(e->plan, s)->align)
			e->fds[2 * s + 1] = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	}
	return 0;
}

static void sources_close(struct lsio_engine *e)
{
	for (unsigned i = 0; e->fds && i < e->nfds; i++)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	free(e->fds);
	e->fds = NULL;
}

void lsio_engine_chunk_resumed(struct lsio_engine *e, uint64_t i)
{
	uint64_t len = lsio_chunk_len(e->plan, &e->job->chunks[i]);

	atomic_fetch_add_explicit(&e->chunks_done, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->chunks_resumed, 1, memory_order_relaxed);
	if (len != LSIO_LEN_EOF)
		atomic_fetch_add_explicit(&e->bytes_resumed, len,
					  memory_order_relaxed);
}

int lsio_engine_chunk_done(struct lsio_engine *e, uint64_t i)
{
	atomic_fetch_add_explicit(&e->chunks_done, 1, memory_order_relaxed);
	if (e->sink.journal && lsio_journal_add(e->sink.journal, i))
		return lsio_fail_first(e->ctx, -ENOMEM, "out of memory");
	return 0;
}

/* About once a second the journal records what is written: a run killed
 * now loses a second of work at most. */
static void journal_tick(struct lsio_engine *e, double *last)
{
	double now = lsio_now_seconds();
	int err;

	if (!e->sink.journal || now - *last < 1.0)
		return;
	*last = now;
	err = lsio_journal_flush(e->sink.journal);
	if (err) {
		lsio_fail_first(e->ctx, -LSIO_EOUTPUT,
				"cannot write the journal of '%s': %s",
				e->sink.path, strerror(-err));
		atomic_store(&e->stop, 1);
	}
}

static void progress_wait(struct lsio_engine *e)
{
	double last_flush = lsio_now_seconds();

	const struct lsio_options *o = &e->plan->opt;
	struct timespec until;

	pthread_mutex_lock(&e->lock);
	while (atomic_load(&e->running) > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&e->done, &e->lock, &until);
		pthread_mutex_unlock(&e->lock);
		journal_tick(e, &last_flush);
		pthread_mutex_lock(&e->lock);
		if (o->progress && atomic_load(&e->running) > 0) {
			pthread_mutex_unlock(&e->lock);
			o->progress(o->progress_arg, atomic_load(&e->bytes_done),
				    e->plan->bytes_requested,
				    atomic_load(&e->chunks_done),
				    e->plan->shard.ntaken);
			pthread_mutex_lock(&e->lock);
		}
	}
	pthread_mutex_unlock(&e->lock);
}

static int workers_run(struct lsio_engine *e)
{
	int n = e->plan->opt.workers;
	struct lsio_worker_state **ws = calloc((size_t)n, sizeof(*ws));
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	int started = 0, ret = 0;

	if (!ws || !tids) {
		ret = lsio_fail(e->ctx, -ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		ws[i] = lsio_worker_new(e, i);
		if (!ws[i]) {
			ret = lsio_fail(e->ctx, -ENOMEM,
					"cannot allocate %zu bytes of buffers for worker %d",
					e->slot_len * e->nslots, i);
			goto out;
		}
	}
	atomic_store(&e->running, n);
	for (; started < n; started++) {
		if (pthread_create(&tids[started], NULL, lsio_worker_main, ws[started])) {
			atomic_store(&e->stop, 1);
			atomic_fetch_sub(&e->running, n - started);
			ret = lsio_fail_first(e->ctx, -EAGAIN, "cannot start worker threads");
			break;
		}
	}
	progress_wait(e);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
out:
	for (int i = 0; ws && i < n; i++)
		lsio_worker_free(ws[i]);
	free(ws);
	free(tids);
	return ret;
}

static void stats_fill(const struct lsio_engine *e, struct lsio_stats *st,
		       double t0, double c0)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->chunks = atomic_load(&e->chunks_done);
	st->chunks_missing = atomic_load(&e->chunks_missing);
	st->chunks_reused = atomic_load(&e->chunks_reused);
	st->chunks_resumed = atomic_load(&e->chunks_resumed);
	st->chunks_total = e->plan->shard.ntaken;
	st->shard_index = (int)e->plan->shard.k;
	st->shard_count = (int)e->plan->shard.n;
	st->requests = e->plan->nrequests - atomic_load(&e->requests_skipped);
	/* Chunks read to their end count once their length is known. */
	st->bytes_requested = MAX(e->plan->bytes_requested -
				  MIN(e->plan->bytes_requested,
				      (uint64_t)atomic_load(&e->bytes_resumed)),
				  (uint64_t)atomic_load(&e->bytes_done));
	st->bytes_read = atomic_load(&e->bytes_read);
	st->bytes_out = atomic_load(&((struct lsio_sink *)&e->sink)->bytes_out);
	st->wall_seconds = lsio_now_seconds() - t0;
	st->cpu_seconds = lsio_cpu_seconds() - c0;
	st->workers = e->plan->opt.workers;
	st->queue_depth = (int)e->depth;
	st->backend = e->backend->name;
	st->direct = e->plan->opt.direct;
	st->latency[0] = lsio_latency_quantile(&e->latency, 0.5);
	st->latency[1] = lsio_latency_quantile(&e->latency, 0.9);
	st->latency[2] = lsio_latency_quantile(&e->latency, 0.99);
	st->latency[3] = lsio_latency_quantile(&e->latency, 0.999);
	lsio_remote_stats(e->plan->remote, st);
}

static int engine_init(struct lsio_engine *e, struct lsio_ctx *ctx,
		       const struct lsio_plan *plan)
{
	memset(e, 0, sizeof(*e));
	e->ctx = ctx;
	e->plan = plan;
	e->job = plan->job;
	/* Chunks of absent sources are done before the run starts. */
	atomic_store(&e->chunks_done, plan->chunks_absent);
	atomic_store(&e->chunks_missing, plan->chunks_absent);
	atomic_store(&e->chunks_reused, 0);
	atomic_store(&e->chunks_resumed, 0);
	atomic_store(&e->requests_skipped, 0);
	atomic_store(&e->bytes_resumed, 0);
	e->sink.shard = &plan->shard;
	e->backend = lsio_backend_find(plan->opt.backend);
	if (!e->backend)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "unknown backend '%s' (uring, pread or null)",
				 plan->opt.backend);
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->done, NULL);
	buffers_size(e);
	return 0;
}

/* Every chunk absent is more often a wrong URL or key layout than an
 * empty array: say so rather than hand over fill value in silence.  And
 * what the run measured of its hosts tunes the next plan. */
static void run_succeeded(struct lsio_engine *e)
{
	uint64_t n = atomic_load(&e->chunks_missing);
	struct lsio_stats st = { 0 };

	if (n && n == e->plan->shard.ntaken && !e->written)
		lsio_warn(e->ctx, "all %llu chunks were absent (\"missing\": \"fill\"): the output holds only the fill value; first: '%s'",
			  (unsigned long long)n,
			  e->job->sources[e->job->chunks[0].source].path);
	if (e->plan->remote) {
		lsio_remote_stats(e->plan->remote, &st);
		lsio_host_latency_save(&st);
	}
}

/* Chunks whose local source does not exist are in no unit: their fill
 * value goes in before the run, when the array was not filled first (or
 * the sink hands every chunk on). */
static int absent_sources_fill(struct lsio_engine *e)
{
	const struct lsio_job *job = e->job;
	struct lsio_chain_state cs;
	int ret = 0;

	if (!e->plan->chunks_absent ||
	    (!job->out.no_prefill && !e->sink.put_absent))
		return 0;
	if (lsio_chain_state_init(&cs))
		return lsio_fail(e->ctx, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < job->nchunks && !ret; i++)
		if (e->plan->facts[job->chunks[i].source].absent &&
		    lsio_shard_takes(&e->plan->shard, i) &&
		    !lsio_engine_done(e, i)) {
			ret = lsio_chain_absent(e, &cs, i);
			if (!ret && e->sink.journal)
				ret = lsio_journal_add(e->sink.journal, i);
		}
	lsio_chain_state_release(&cs);
	return ret;
}

/* What the sink's journal says a killed run wrote: those chunks are done
 * before the run starts; chunks of absent sources among them are not
 * filled again. */
static void resumed_count(struct lsio_engine *e)
{
	if (!e->sink.journal || !e->sink.jstate.ndone)
		return;
	e->written = e->sink.jstate.done;
	for (uint64_t i = 0; i < e->job->nchunks; i++)
		if (lsio_engine_done(e, i) &&
		    e->plan->facts[e->job->chunks[i].source].absent) {
			atomic_fetch_add(&e->chunks_resumed, 1);
			atomic_fetch_sub(&e->chunks_missing, 1);
		}
}

/* Run plan into plan->dest; stats (NULL, or the library's own struct) is
 * filled whenever the run started. */
static int engine_run(struct lsio_ctx *ctx, const struct lsio_plan *plan,
		      struct lsio_stats *stats)
{
	double t0 = lsio_now_seconds(), c0 = lsio_cpu_seconds();
	struct lsio_engine e;
	int ret;

	ctx->err = 0;
	ret = engine_init(&e, ctx, plan);
	if (ret)
		return ret;
	e.sink.dest = &plan->dest;
	e.sink.reduce = &plan->reduce;
	ret = lsio_sink_open(ctx, e.job, plan->opt.output, &e.sink);
	if (ret)
		goto out;
	resumed_count(&e);
	if (e.sink.complete) {	/* nothing left to do */
		atomic_store(&e.chunks_done, plan->shard.ntaken);
		atomic_store(&e.chunks_resumed, plan->shard.ntaken);
		atomic_store(&e.chunks_missing, 0);
		atomic_store(&e.requests_skipped, plan->nrequests);
		atomic_store(&e.bytes_resumed, plan->bytes_requested);
	}
	ret = e.sink.complete ? 0 : lsio_remote_ready(plan->remote);
	if (!ret && !e.sink.complete)
		ret = sources_open(&e);
	if (!ret && !e.sink.complete)
		ret = absent_sources_fill(&e);
	if (!ret && !e.sink.complete)
		ret = workers_run(&e);
	if (!ret && lsio_canceled(ctx))
		ret = lsio_fail_first(ctx, -LSIO_ECANCELED, "interrupted");
	if (!ret && atomic_load(&e.stop))
		ret = ctx->err ? ctx->err : -LSIO_EBACKEND;
	if (!ret)
		ret = e.sink.ops->commit(&e.sink);
	if (ret)
		e.sink.ops->abort(&e.sink);
	else
		run_succeeded(&e);
	e.sink.ops->close(&e.sink);
	sources_close(&e);
	if (stats) {
		stats_fill(&e, stats, t0, c0);
		stats->committed = !ret && !e.sink.deferred;
	}
out:
	pthread_cond_destroy(&e.done);
	pthread_mutex_destroy(&e.lock);
	return ret;
}

int lsio_plan_run(struct lsio_ctx *ctx, struct lsio_plan *plan,
		  struct lsio_stats *stats)
{
	struct lsio_stats st;
	int ret = lsio_stats_check(ctx, stats);

	if (ret)
		return ret;
	st.size = 0;	/* not filled: the run did not start */
	ret = engine_run(ctx, plan, stats ? &st : NULL);
	if (stats && st.size)
		lsio_stats_export(&st, stats);
	return ret;
}

/* Plan job for dest and run it. */
static int run_dest(struct lsio_ctx *ctx, const struct lsio_job *job,
		    const struct lsio_options *opt, const struct lsio_dest *dest,
		    struct lsio_stats *stats)
{
	struct lsio_plan *plan;
	int ret = lsio_stats_check(ctx, stats);

	if (!ret)
		ret = lsio_plan_new_dest(ctx, job, opt, dest, &plan);
	if (ret)
		return ret;
	ret = lsio_plan_run(ctx, plan, stats);
	lsio_plan_free(plan);
	return ret;
}

int lsio_run(struct lsio_ctx *ctx, const struct lsio_job *job,
	     const struct lsio_options *opt, struct lsio_stats *stats)
{
	return run_dest(ctx, job, opt, NULL, stats);
}

/* The reduced array's type and shape into info. */
static int reduced_array(struct lsio_ctx *ctx, const struct lsio_job *job,
			 const struct lsio_reduce *r,
			 struct lsio_array_info *info)
{
	struct lsio_output out = job->out;
	struct lsio_reducer rd;
	char why[LSIO_MSG_MAX / 2];

	out.reduce = *r;
	if (lsio_reducer_init(&rd, &out, why, sizeof(why)))
		return lsio_fail(ctx, -LSIO_EUSAGE, "reduce %s: %s",
				 lsio_reduce_name(r->op), why);
	snprintf(info->dtype, sizeof(info->dtype), "%s", rd.out.str);
	info->ndim = rd.rdim;
	memcpy(info->shape, rd.rshape, sizeof(uint64_t) * LSIO_MAX_DIMS);
	info->nbytes = rd.rlen * rd.out.size;
	return 0;
}

int lsio_job_array(struct lsio_ctx *ctx, const struct lsio_job *job,
		   const struct lsio_options *opt, struct lsio_array_info *info)
{
	const struct lsio_output *out = &job->out;
	struct lsio_options known;
	struct lsio_reduce r = { 0 };
	int ret = lsio_options_import(ctx, &opt, &known);

	memset(info, 0, sizeof(*info));
	if (!ret && out->type != LSIO_OUT_ARRAY)
		ret = lsio_fail(ctx, -LSIO_EUSAGE,
				"the job's output is %s, not an array",
				lsio_job_output_type(job));
	if (!ret)
		ret = lsio_reduce_resolve(ctx, job, opt, &r);
	if (ret || r.op)
		return ret ? ret : reduced_array(ctx, job, &r, info);
	snprintf(info->dtype, sizeof(info->dtype), "%s", out->dtype.str);
	info->ndim = out->ndim;
	memcpy(info->shape, out->shape, sizeof(uint64_t) * LSIO_MAX_DIMS);
	info->nbytes = lsio_grid_bytes(out->shape, out->ndim, out->dtype.size);
	return 0;
}

int lsio_run_into(struct lsio_ctx *ctx, const struct lsio_job *job,
		  const struct lsio_options *opt, void *buf, size_t cap,
		  struct lsio_stats *stats)
{
	struct lsio_dest d = { .kind = LSIO_DEST_MEMORY, .buf = buf,
			       .cap = cap };

	/* The memory sink checks buf against the array (or the reduced
	 * one) when it opens, before anything is read. */
	return run_dest(ctx, job, opt, &d, stats);
}

int lsio_run_callback(struct lsio_ctx *ctx, const struct lsio_job *job,
		      const struct lsio_options *opt, lsio_chunk_fn fn,
		      void *arg, struct lsio_stats *stats)
{
	struct lsio_dest d = { .kind = LSIO_DEST_CALLBACK, .fn = fn,
			       .arg = arg };

	if (!fn)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "lsio_run_callback: no function to call");
	return run_dest(ctx, job, opt, &d, stats);
}

/* Requests, retries and bytes over the wire, and per host its throughput
 * over the run and its requests' latency. */
static json_t *remote_json(const struct lsio_stats *st)
{
	double secs = st->wall_seconds > 0 ? st->wall_seconds : 1e-9;
	json_t *hosts = json_array();

	for (uint32_t i = 0; hosts && i < st->nhosts; i++) {
		const struct lsio_host_stats *h = &st->hosts[i];

		json_array_append_new(hosts, json_pack("{s:s,s:I,s:I,s:I,s:f,s:f,s:{s:f,s:f,s:f}}",
			"host", h->host,
			"requests", (json_int_t)h->requests,
			"retries", (json_int_t)h->retries,
			"bytes_received", (json_int_t)h->bytes,
			"throughput_bytes_per_second", (double)h->bytes / secs,
			"first_byte_seconds_p50", h->first_byte,
			"request_latency_seconds",
			"p50", h->latency[0], "p90", h->latency[1],
			"p99", h->latency[2]));
	}
	return json_pack("{s:I,s:I,s:I,s:o}",
		"requests", (json_int_t)st->remote_requests,
		"retries", (json_int_t)st->remote_retries,
		"bytes_received", (json_int_t)st->remote_bytes,
		"hosts", hosts ? hosts : json_array());
}

static char *stats_json(const struct lsio_stats *st)
{
	static const char *const direct[] = { "off", "on", "auto" };
	double secs = st->wall_seconds > 0 ? st->wall_seconds : 1e-9;
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:i,s:i,s:s,s:s}",
		"chunks", (json_int_t)st->chunks,
		"chunks_missing", (json_int_t)st->chunks_missing,
		"chunks_reused", (json_int_t)st->chunks_reused,
		"requests", (json_int_t)st->requests,
		"bytes_requested", (json_int_t)st->bytes_requested,
		"bytes_read", (json_int_t)st->bytes_read,
		"bytes_out", (json_int_t)st->bytes_out,
		"wall_seconds", st->wall_seconds,
		"cpu_seconds", st->cpu_seconds,
		"throughput_bytes_per_second", (double)st->bytes_requested / secs,
		"chunks_per_second", (double)st->chunks / secs,
		"workers", st->workers,
		"queue_depth", st->queue_depth,
		"backend", st->backend ? st->backend : "none",
		"direct", st->direct >= 0 && st->direct <= 2 ? direct[st->direct] : "auto");
	char *text;

	if (o)
		json_object_set_new(o, "latency_seconds", json_pack("{s:f,s:f,s:f,s:f}",
			"p50", st->latency[0], "p90", st->latency[1],
			"p99", st->latency[2], "p99.9", st->latency[3]));
	if (o && st->remote_requests)
		json_object_set_new(o, "remote", remote_json(st));
	if (o) {
		json_object_set_new(o, "chunks_resumed",
				    json_integer((json_int_t)st->chunks_resumed));
		json_object_set_new(o, "chunks_total",
				    json_integer((json_int_t)st->chunks_total));
	}
	if (o && st->shard_count > 1)
		json_object_set_new(o, "shard", json_pack("{s:i,s:i,s:b}",
			"index", st->shard_index, "count", st->shard_count,
			"committed", st->committed));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

/* The caller's statistics, of its struct's size (abi.c). */
char *lsio_stats_json(const struct lsio_stats *stats)
{
	struct lsio_stats st;

	lsio_stats_import(stats, &st);
	return stats_json(&st);
}
