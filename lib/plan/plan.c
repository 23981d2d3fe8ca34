/* SPDX-License-Identifier: MIT */
/*
 * plan.c - from chunks to units of I/O.
 *
 * A chunk is what the user asked for; a unit is what the engine reads: one
 * contiguous span of one source, read into one buffer, in one or more
 * requests.  The planner
 *   1. resolves every source (size, storage class, O_DIRECT alignment),
 *   2. checks every range against its file (a chunk "to the end" has
 *      its length from the file's size: lsio_chunk_len),
 *   3. sorts chunks by (source, offset) - unless the sink needs job order,
 *   4. coalesces chunks whose gap is small into one unit (capped),
 *   5. widens units to the O_DIRECT alignment and splits large ones into
 *      parts read in parallel.
 * Every threshold comes from the source's storage class, overridden by the
 * job's "storage" section, overridden by the command line; 0 turns
 * coalescing, the cap and splitting off.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "job/job.h"
#include "pagecache.h"
#include "storage.h"

/* I/O buffers per worker by default.  Little's law: a local SSD needs
 * bandwidth x latency (~1 GiB/s x 2 ms) in flight, so 32 MiB a worker keeps
 * it busy with room for merged 2 MiB requests; more only costs page faults. */
#define LSIO_DEFAULT_MEMORY_PER_WORKER (32ull << 20)

/* The CPUs this process may run on: a Slurm task (task/affinity, cgroups),
 * taskset or a container gets its share, not the machine's count - four
 * parts of a job on one node must not each start a worker per core. */
static long usable_cpus(void)
{
	cpu_set_t set;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static void options_merge(struct lsio_options *o, const struct lsio_options *cli,
			  const struct lsio_settings *job)
{
	long ncpu = usable_cpus();

	lsio_options_init(o, sizeof(*o));
	if (cli)
		*o = *cli;	/* imported: the library's own size */
	lsio_settings_apply(job, o);
	if (!o->backend)
		o->backend = "uring";
	if (o->workers <= 0)
		o->workers = ncpu > 0 ? (int)ncpu : 1;
	if (o->memory <= 0)
		o->memory = (int64_t)LSIO_DEFAULT_MEMORY_PER_WORKER * o->workers;
	if (o->direct < 0)
		o->direct = LSIO_DIRECT_AUTO;
}

/* The command line's tuning, as one more layer of settings. */
static void cli_settings(struct lsio_settings *s, const struct lsio_options *o)
{
	memset(s, 0, sizeof(*s));
	s->workers = o ? o->workers : -1;
	s->queue_depth = o ? o->queue_depth : -1;
	s->direct = o ? o->direct : -1;
	s->memory = o ? o->memory : -1;
	s->coalesce_gap = o ? o->coalesce_gap : -1;
	s->max_request = o ? o->max_request : -1;
	s->split = o ? o->split : -1;
	s->part_size = o ? o->part_size : -1;
}

/* Lay one level of settings over cp; NULL is a level with nothing set. */
static void params_layer(struct lsio_class_params *cp,
			 const struct lsio_settings *s, bool *gap_set,
			 bool *depth_set)
{
	if (!s)
		return;
	if (s->queue_depth > 0) {
		cp->queue_depth = (uint32_t)s->queue_depth;
		*depth_set = true;
	}
	if (s->coalesce_gap >= 0) {
		cp->coalesce_gap = (uint64_t)s->coalesce_gap;
		*gap_set = true;
	}
	if (s->max_request >= 0)
		cp->max_request = (uint64_t)s->max_request;
	if (s->split >= 0)
		cp->split = (uint64_t)s->split;
	if (s->part_size > 0)
		cp->part_size = (uint64_t)s->part_size;
	if (s->direct >= 0)
		cp->direct = s->direct;
}

/* The settings for class c under a prefix entry (or none): the class's
 * defaults, then the job's "storage", its "classes" entry, the prefix
 * entry, and last the command line - the most specific wins, and what
 * the user typed now wins over the file. */
static void params_resolve(struct lsio_plan *p, struct lsio_class_params *cp,
			   int c, const struct lsio_storage_info *info,
			   const struct lsio_settings *prefix)
{
	const struct lsio_settings *layers[] = {
		&p->job->storage, p->job->storage.classes[c], prefix, &p->cli,
	};
	bool gap_set = false, depth_set = p->depth_chosen;

	lsio_class_defaults(c, info, cp);
	cp->direct = LSIO_DIRECT_AUTO;
	for (size_t i = 0; i < ARRAY_SIZE(layers); i++)
		params_layer(cp, layers[i], &gap_set, &depth_set);
	cp->gap_derived = !gap_set;
	if ((depth_set || c == LSIO_CLASS_REMOTE) && !gap_set) {
		/* The gap worth reading through shrinks as more reads are in
		 * flight: recompute it for the depth the user chose, and for
		 * a remote host (latency, not a device, bounds it) for every
		 * worker's requests. */
		struct lsio_device_model m;

		lsio_class_model(c, info, &m);
		cp->coalesce_gap = lsio_coalesce_gap_for(&m,
			(unsigned)p->opt.workers * cp->queue_depth);
	}
	if (cp->direct == LSIO_DIRECT_OFF || p->null_backend)
		cp->align = 0;
	if (cp->align && cp->part_size % cp->align)
		cp->part_size += cp->align - cp->part_size % cp->align;
	if (!cp->part_size)
		cp->part_size = cp->split ? cp->split : (8u << 20);
}

/* Class c was seen: settle its settings, alone and under each prefix. */
static void class_params_resolve(struct lsio_plan *p, int c,
				 const struct lsio_storage_info *info)
{
	const struct lsio_settings *st = &p->job->storage;

	params_resolve(p, &p->cls[c], c, info, NULL);
	p->params[c] = p->cls[c];
	for (uint32_t k = 0; k < st->nprefixes; k++)
		params_resolve(p, &p->params[(k + 1) * LSIO_CLASS_COUNT + c], c,
			       info, &st->prefixes[k].s);
}

/* The longest "prefixes" entry source s's path starts with, or -1. */
static int prefix_of(const struct lsio_plan *p, uint32_t s)
{
	const struct lsio_settings *st = &p->job->storage;
	const char *path = p->job->sources[s].path;
	size_t best = 0;
	int k = -1;

	for (uint32_t i = 0; i < st->nprefixes; i++) {
		size_t n = strlen(st->prefixes[i].prefix);

		if (n > best && !strncmp(path, st->prefixes[i].prefix, n)) {
			best = n;
			k = (int)i;
		}
	}
	return k;
}

/* One device: every file of a file system shares its class, so a job over
 * 100,000 files classifies (and probes) each disk once, through its largest
 * source - a small first file would leave the latency probe nothing to
 * read and the rotational flag untested. */
struct dev_class {
	dev_t dev;
	uint32_t largest;	/* source index */
	uint64_t size;
	struct lsio_storage_info info;
};

static struct dev_class *dev_note(struct dev_class **devs, size_t *n,
				  const struct stat *st, uint32_t s)
{
	struct dev_class *d;

	for (size_t i = 0; i < *n; i++) {
		d = &(*devs)[i];
		if (d->dev != st->st_dev)
			continue;
		if ((uint64_t)st->st_size > d->size) {
			d->size = (uint64_t)st->st_size;
			d->largest = s;
		}
		return d;
	}
	d = realloc(*devs, (*n + 1) * sizeof(**devs));
	if (!d)
		return NULL;
	*devs = d;
	d = &d[(*n)++];
	d->dev = st->st_dev;
	d->largest = s;
	d->size = (uint64_t)st->st_size;
	return d;
}

/* Per source, whether a chunk of this part insists on it ("missing":
 * "error"), and marks the sources no chunk of this part reads unused:
 * one pass, for jobs with a million chunks and as many sources. */
static bool *sources_required(struct lsio_plan *p)
{
	const struct lsio_job *job = p->job;
	bool *req = calloc(MAX(job->nsources, 1), sizeof(*req));

	if (!req)
		return NULL;
	for (uint32_t s = 0; s < job->nsources; s++)
		p->facts[s].unused = p->shard.take != NULL;
	for (uint64_t i = 0; i < job->nchunks; i++) {
		const struct lsio_chunk *c = &job->chunks[i];

		if (!lsio_shard_takes(&p->shard, i))
			continue;
		p->facts[c->source].unused = false;
		if (c->missing == LSIO_MISSING_ERROR)
			req[c->source] = true;
	}
	return req;
}

/* 0, 1 for a file that does not exist and may not (absent), or an error. */
static int source_stat(struct lsio_plan *p, uint32_t s, bool required,
		       struct stat *st)
{
	const struct lsio_job *job = p->job;
	const char *path = job->sources[s].path;

	if (stat(path, st) < 0 && errno == ENOENT && !required)
		return 1;
	if (stat(path, st) < 0)
		return lsio_fail(p->ctx, -LSIO_ESOURCE,
				 "chunk %llu: cannot open source '%s': %s",
				 (unsigned long long)lsio_job_first_chunk(job, s), path,
				 strerror(errno));
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return lsio_fail(p->ctx, -LSIO_ESOURCE,
				 "chunk %llu: source '%s' is not a regular file",
				 (unsigned long long)lsio_job_first_chunk(job, s), path);
	return 0;
}

static void dev_classify(struct lsio_plan *p, struct dev_class *d)
{
	lsio_storage_classify(p->job->sources[d->largest].path, -1, &d->info);
	if (!p->class_why[d->info.cls][0]) {
		snprintf(p->class_why[d->info.cls], sizeof(p->class_why[0]),
			 "%s", d->info.reason);
		class_params_resolve(p, d->info.cls, &d->info);
	}
}

/* A URL is never stat'ed: its class is "remote", its size unknown (the
 * server checks ranges) unless a chunk needs it (remote_resolve). */
static void url_note(struct lsio_plan *p, uint32_t s)
{
	struct lsio_source_facts *f = &p->facts[s];
	struct lsio_storage_info info;

	f->size = UINT64_MAX;
	f->class_id = LSIO_CLASS_REMOTE;
	f->dio_align = 0;
	if (p->class_why[LSIO_CLASS_REMOTE][0])
		return;
	lsio_storage_classify(p->job->sources[s].path, -1, &info);
	snprintf(p->class_why[LSIO_CLASS_REMOTE], sizeof(p->class_why[0]),
		 "%s", info.reason);
	class_params_resolve(p, LSIO_CLASS_REMOTE, &info);
}

static int sources_resolve(struct lsio_plan *p)
{
	const struct lsio_job *job = p->job;
	struct dev_class *devs = NULL;
	uint32_t *dev_of = calloc(MAX(job->nsources, 1), sizeof(*dev_of));
	bool *required = sources_required(p);
	size_t ndevs = 0;
	int ret = dev_of && required ? 0
		  : lsio_fail(p->ctx, -ENOMEM, "out of memory");

	for (uint32_t s = 0; s < job->nsources && !ret; s++) {
		struct stat st;
		struct dev_class *d;

		if (p->facts[s].unused)
			continue;	/* another part's */
		if (lsio_storage_is_url(job->sources[s].path)) {
			url_note(p, s);
			continue;
		}
		ret = source_stat(p, s, required[s], &st);
		if (ret == 1) {
			p->facts[s].absent = true;
			p->facts[s].size = 0;
			ret = 0;
			continue;
		}
		if (ret)
			break;
		p->facts[s].size = (uint64_t)st.st_size;
		d = dev_note(&devs, &ndevs, &st, s);
		if (!d)
			ret = lsio_fail(p->ctx, -ENOMEM, "out of memory");
		else
			dev_of[s] = (uint32_t)(d - devs);
	}
	for (size_t i = 0; i < ndevs && !ret; i++)
		dev_classify(p, &devs[i]);
	for (uint32_t s = 0; s < job->nsources && !ret; s++) {
		struct lsio_source_facts *f = &p->facts[s];

		if (!lsio_facts_remote(f) && !f->absent && !f->unused) {
			f->class_id = devs[dev_of[s]].info.cls;
			f->dio_align = devs[dev_of[s]].info.dio_align;
			/* /proc/self/status says 0 bytes: read it to its end. */
			if (devs[dev_of[s]].info.sizeless)
				f->size = UINT64_MAX;
		}
		f->params_id = (uint32_t)((prefix_of(p, s) + 1) * LSIO_CLASS_COUNT) +
			       f->class_id;
	}
	free(devs);
	free(dev_of);
	free(required);
	return ret;
}

/* Remote reads are latency-bound: a merge must not cost requests in
 * flight.  Buffers are slots of the largest unit, as many as the memory
 * share holds, so merged units stay within memory / (workers x depth). */
static void remote_merge_cap_set(struct lsio_plan *p)
{
	uint64_t per = (uint64_t)p->opt.memory / (uint64_t)p->opt.workers /
		       MAX(p->cls[LSIO_CLASS_REMOTE].queue_depth, 1u);

	p->remote_merge_cap = MAX(per & ~(uint64_t)4095, (uint64_t)64 << 10);
}

/* The host most of the job's remote chunks read from. */
static const char *remote_main_host(const struct lsio_plan *p, uint32_t *src)
{
	const struct lsio_job *job = p->job;
	const char *hosts[16], *best = NULL;
	uint64_t counts[16] = { 0 }, most = 0;
	uint32_t srcs[16], n = 0, k;

	for (uint64_t i = 0; i < job->nchunks; i++) {
		uint32_t s = job->chunks[i].source;
		const char *h;

		if (!lsio_source_remote(p, s))
			continue;
		h = lsio_remote_host(p->remote, s);
		for (k = 0; k < n && hosts[k] != h; k++)
			;
		if (k == n && n == ARRAY_SIZE(hosts))
			continue;	/* enough hosts to pick from */
		if (k == n) {
			hosts[n] = h;
			srcs[n++] = s;
		}
		if (++counts[k] > most) {
			most = counts[k];
			best = h;
			*src = srcs[k];
		}
	}
	return best;
}

/* Each remote host's own gap, from its own measured latency (else the
 * model's): sources on a fast host merge less than those on a slow one. */
static int host_gaps(struct lsio_plan *p)
{
	const struct lsio_job *job = p->job;
	unsigned inflight = (unsigned)p->opt.workers *
			    p->cls[LSIO_CLASS_REMOTE].queue_depth;
	const char *last = NULL;
	uint64_t gap = 0;

	p->host_gap = calloc(MAX(job->nsources, 1), sizeof(*p->host_gap));
	if (!p->host_gap)
		return lsio_fail(p->ctx, -ENOMEM, "out of memory");
	for (uint32_t s = 0; s < job->nsources; s++) {
		const char *host;

		if (!lsio_source_remote(p, s))
			continue;
		host = lsio_remote_host(p->remote, s);
		if (host != last) {	/* sources of a host are usually together */
			struct lsio_storage_info info = { .probe_ns = -1 };
			struct lsio_device_model m;
			uint64_t ns;
			int64_t when;

			if (!lsio_host_latency(host, &ns, &when))
				info.probe_ns = (int64_t)ns;
			lsio_class_model(LSIO_CLASS_REMOTE, &info, &m);
			gap = lsio_coalesce_gap_for(&m, inflight);
			last = host;
		}
		p->host_gap[s] = gap;
	}
	return 0;
}

/* The remote class's settings again, its gap now from what earlier runs
 * measured of the main host (io/host_cache.c), else the model's latency:
 * bandwidth x latency / requests in flight, as `lsio plan` says. */
static void remote_measured(struct lsio_plan *p)
{
	char *why = p->class_why[LSIO_CLASS_REMOTE], date[32] = "";
	const struct lsio_class_params *cp = &p->cls[LSIO_CLASS_REMOTE];
	struct lsio_storage_info info;
	struct lsio_device_model m;
	uint32_t src = 0;
	const char *host = remote_main_host(p, &src);
	uint64_t ns = 0;
	int64_t when = 0;
	bool known;

	if (!host)
		return;
	known = !lsio_host_latency(host, &ns, &when);
	lsio_storage_classify(p->job->sources[src].path, -1, &info);
	info.probe_ns = known ? (int64_t)ns : -1;
	class_params_resolve(p, LSIO_CLASS_REMOTE, &info);
	lsio_class_model(LSIO_CLASS_REMOTE, &info, &m);
	if (when > 0)
		strftime(date, sizeof(date), ", %Y-%m-%d %H:%M",
			 localtime(&(time_t){ (time_t)when }));
	snprintf(why, sizeof(p->class_why[0]),
		 "%s; %s: %s %.1f ms to the first byte%s -> a gap of %llu KiB is worth a request (%.2f GiB/s x latency / %u in flight)",
		 info.reason, host,
		 known ? "measured" : "not measured yet, assumed",
		 (double)m.latency_ns / 1e6,
		 known ? (when ? date : " (LSIO_REMOTE_LATENCY_MS)") : "",
		 (unsigned long long)(lsio_coalesce_gap_for(&m,
			(unsigned)p->opt.workers * cp->queue_depth) >> 10),
		 (double)m.bandwidth / (1 << 30),
		 (unsigned)p->opt.workers * cp->queue_depth);
}

/* Remote buffers: Little's law again, with an object store's ~50 ms to the
 * first byte: 64 MiB a worker keeps a few merged 16 MiB reads in flight. */
#define LSIO_REMOTE_MEMORY_PER_WORKER (64ull << 20)

/* The remote sources a chunk of this part reads "to the end", into
 * need[]: their count.  A chunk that may find its object missing is read
 * with one GET instead, which says both whether it exists and what it
 * holds. */
static uint32_t remote_sizes_needed(struct lsio_plan *p, uint32_t *need)
{
	const struct lsio_job *job = p->job;
	uint32_t n = 0;

	for (uint64_t i = 0; i < job->nchunks; i++) {
		const struct lsio_chunk *c = &job->chunks[i];
		struct lsio_source_facts *f = &p->facts[c->source];

		if (!lsio_shard_takes(&p->shard, i))
			continue;	/* another part asks */
		/* size 0 marks "asked for" until the HEAD answers. */
		if (c->length == LSIO_LEN_EOF &&
		    c->missing == LSIO_MISSING_ERROR &&
		    lsio_facts_remote(f) && f->size == UINT64_MAX) {
			f->size = 0;
			need[n++] = c->source;
		}
	}
	return n;
}

/* The sizes remote_sizes_needed() says, one HEAD each, in parallel, so
 * that a large object can be read in parts. */
static int remote_sizes(struct lsio_plan *p)
{
	uint32_t nsrc = MAX(p->job->nsources, 1), n;
	uint32_t *need = calloc(nsrc, sizeof(*need));
	uint64_t *sizes = calloc(nsrc, sizeof(*sizes));
	int ret = need && sizes ? 0 : lsio_fail(p->ctx, -ENOMEM, "out of memory");

	n = ret ? 0 : remote_sizes_needed(p, need);
	if (!ret)
		ret = lsio_remote_stat(p->remote, need, n, sizes);
	for (uint32_t k = 0; k < n && !ret; k++)
		p->facts[need[k]].size = sizes[k];
	free(need);
	free(sizes);
	return ret;
}

/* URL sources: how to reach them, and the size of those that a chunk
 * reads "to the end". */
static int remote_resolve(struct lsio_plan *p, const struct lsio_options *cli)
{
	const struct lsio_job *job = p->job;
	int ret = lsio_remote_new(p->ctx, job, p->facts, &p->opt, &p->remote);

	if (ret || !p->remote)
		return ret;
	lsio_remote_set_depth(p->remote, p->cls[LSIO_CLASS_REMOTE].queue_depth);
	remote_measured(p);
	ret = host_gaps(p);
	if (ret)
		return ret;
	if ((!cli || cli->memory <= 0) && job->storage.memory < 0)
		p->opt.memory = MAX(p->opt.memory, (int64_t)LSIO_REMOTE_MEMORY_PER_WORKER *
						   p->opt.workers);
	ret = remote_sizes(p);
	remote_merge_cap_set(p);
	return ret;
}

/* Check every chunk's range against its source, now that sizes are
 * known; a chunk read to the end takes its length from them
 * (lsio_chunk_len), the job is not written. */
static int chunks_check(struct lsio_plan *p)
{
	const struct lsio_job *job = p->job;

	for (uint64_t i = 0; i < job->nchunks; i++) {
		const struct lsio_chunk *c = &job->chunks[i];
		const struct lsio_source_facts *f = &p->facts[c->source];
		uint64_t len = lsio_chunk_len(p, c), end;

		if (f->absent || !lsio_shard_takes(&p->shard, i))
			continue;	/* the fill value, or another part's */
		if (len == LSIO_LEN_EOF)
			continue;	/* the engine reads to the end */
		if (!lsio_add_ok(c->offset, len, &end) || end > f->size)
			return lsio_fail(p->ctx, -LSIO_ESOURCE,
				"chunk %llu ('%s'): range %llu+%llu ends past the end of the file (%llu bytes)",
				(unsigned long long)i, job->sources[c->source].path,
				(unsigned long long)c->offset,
				(unsigned long long)len,
				(unsigned long long)f->size);
		if (!lsio_add_ok(p->bytes_requested, len, &p->bytes_requested))
			return lsio_fail(p->ctx, -LSIO_EJOB, "chunk %llu: sizes overflow",
					 (unsigned long long)i);
	}
	return 0;
}

static int chunk_cmp(const void *a, const void *b, void *arg)
{
	const struct lsio_chunk *ch = arg;
	const struct lsio_chunk *x = &ch[*(const uint32_t *)a];
	const struct lsio_chunk *y = &ch[*(const uint32_t *)b];

	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Chunk indexes in read order: by (source, offset), or job order when the
 * sink streams; already-sorted jobs (the common case) skip the sort.  The
 * order is the plan's unit_chunks: units are runs of it.  4 bytes a chunk:
 * a job has fewer than LSIO_NONE chunks. */
static uint32_t *chunk_order(struct lsio_plan *p, uint64_t *n)
{
	const struct lsio_job *job = p->job;
	uint32_t *order = malloc(MAX(job->nchunks, 1) * sizeof(*order));
	bool sorted = true;

	*n = 0;
	if (!order)
		return NULL;
	for (uint64_t i = 0; i < job->nchunks; i++) {
		if (!lsio_shard_takes(&p->shard, i))
			continue;	/* another part's */
		if (p->facts[job->chunks[i].source].absent) {
			p->chunks_absent++;
			continue;
		}
		order[*n] = (uint32_t)i;
		if (*n && chunk_cmp(&order[*n - 1], &order[*n], job->chunks) > 0)
			sorted = false;
		++*n;
	}
	if (!sorted && !p->ordered)
		qsort_r(order, *n, sizeof(*order), chunk_cmp, job->chunks);
	return order;
}

/* A chunk read to the end of a file of unknown size starts with a read of
 * this much; the engine doubles its buffer while reads fill it. */
#define LSIO_EOF_FIRST_READ ((uint64_t)64 << 10)
/* A GET to an object's end lands in a slot of this much, and moves to the
 * heap only when the object is larger. */
#define LSIO_REMOTE_EOF_FIRST_READ ((uint64_t)1 << 20)

/* The first buffer of a remote chunk read to its end: an array chunk's
 * decoded size and a little more, which a compressed chunk (a Zarr one)
 * almost never exceeds; slots no larger keep the buffers' memory (every
 * page touched before the run) to what the reads need. */
static uint64_t remote_first_read(const struct lsio_job *job,
				  const struct lsio_chunk *c)
{
	uint64_t n = lsio_output_places(&job->out)
			? lsio_chunk_decoded_size(job, c) : 0;

	if (!n || n >= LSIO_REMOTE_EOF_FIRST_READ)
		return LSIO_REMOTE_EOF_FIRST_READ;
	return (n + n / 16 + 4096 + 4095) & ~(uint64_t)4095;
}

/* May chunk c join the unit [u->off, *end)? */
static bool can_merge(const struct lsio_plan *p, const struct lsio_unit *u,
		      uint64_t end, const struct lsio_chunk *c)
{
	const struct lsio_class_params *cp;
	uint64_t len = lsio_chunk_len(p, c), new_end, gap;

	if (u->to_eof || len == LSIO_LEN_EOF)
		return false;	/* its end is not known yet */
	new_end = MAX(end, c->offset + len);
	if (c->source != u->source || c->offset < u->off)
		return false;
	cp = lsio_source_params(p, c->source);
	gap = cp->gap_derived && p->host_gap && p->host_gap[c->source]
		? p->host_gap[c->source] : cp->coalesce_gap;
	if (!gap)
		return false;	/* off: one read per chunk, as asked */
	/* Bytes the unit reads already (a chunk listed twice, as a
	 * longitude box across its seam lists one): read them once, and
	 * the engine decodes them once (lsio_chain_again), whatever the
	 * caps - the unit does not grow. */
	if (new_end == end)
		return true;
	if (c->offset > end + gap)
		return false;
	if (lsio_source_remote(p, c->source) &&
	    new_end - u->off > p->remote_merge_cap)
		return false;
	return !cp->max_request || new_end - u->off <= cp->max_request;
}

static bool unit_direct(const struct lsio_plan *p, const struct lsio_unit *u,
			int fd)
{
	const struct lsio_class_params *cp = lsio_source_params(p, u->source);

	if (!cp->align || !u->len)
		return false;
	if (cp->direct == LSIO_DIRECT_ON)
		return true;
	return fd < 0 || lsio_range_cached(fd, u->off, u->len) != LSIO_CACHED_ALL;
}

/* Widen to the O_DIRECT alignment (reads past EOF come back short, which the
 * engine expects) and count the parts of a split. */
static int unit_finish(struct lsio_plan *p, struct lsio_unit *u, uint64_t end,
		       int fd)
{
	const struct lsio_source_facts *f = &p->facts[u->source];
	const struct lsio_class_params *cp = lsio_source_params(p, u->source);
	uint64_t parts;

	u->len = end - u->off;
	u->direct = !u->to_eof && unit_direct(p, u, fd);
	if (u->direct) {
		uint64_t a = f->dio_align ? f->dio_align : cp->align;

		u->off -= u->off % a;
		if (end % a)
			end += a - end % a;
		u->len = end - u->off;
	}
	parts = 1;
	if (cp->split && u->len > cp->split && !u->to_eof)
		parts = (u->len + cp->part_size - 1) / cp->part_size;
	if (parts > UINT32_MAX)
		return lsio_fail(p->ctx, -LSIO_EJOB,
				 "part size too small for a %llu-byte read",
				 (unsigned long long)u->len);
	u->nparts = (uint32_t)parts;
	p->nrequests += parts;
	if (!u->to_eof)		/* else its first read, a guess */
		p->bytes_read += u->len;
	p->max_unit_len = MAX(p->max_unit_len, u->len);
	return 0;
}

/* In auto mode, ask the page cache per unit, so one open per source. */
static int source_fd(struct lsio_plan *p, uint32_t s, uint32_t *open_src,
		     int *fd)
{
	if (p->opt.direct != LSIO_DIRECT_AUTO || *open_src == s)
		return 0;
	if (*fd >= 0)
		close(*fd);
	*open_src = s;
	*fd = -1;
	if (!lsio_source_remote(p, s))
		*fd = open(p->job->sources[s].path, O_RDONLY | O_CLOEXEC);
	return 0;
}

/* Units over p->unit_chunks[0..n), in that order. */
static int units_build(struct lsio_plan *p, uint64_t n)
{
	const struct lsio_job *job = p->job;
	const uint32_t *order = p->unit_chunks;
	struct lsio_unit *u = NULL;
	uint32_t open_src = LSIO_NONE;
	uint64_t end = 0;
	int fd = -1, ret = 0;

	/* At most one unit a chunk; what merging saves is given back. */
	p->units = malloc(MAX(n, 1) * sizeof(*p->units));
	if (!p->units)
		return lsio_fail(p->ctx, -ENOMEM, "out of memory planning %llu chunks",
				 (unsigned long long)job->nchunks);
	for (uint64_t k = 0; k < n && !ret; k++) {
		const struct lsio_chunk *c = &job->chunks[order[k]];
		uint64_t len = lsio_chunk_len(p, c);

		if (u && can_merge(p, u, end, c)) {
			/* Chunks sharing bytes (a job that lists one chunk
			 * twice) must each be decoded from a copy: an
			 * in-place stage would decode the bytes twice. */
			u->overlap |= c->offset < end;
			end = MAX(end, c->offset + len);
			u->count++;
			continue;
		}
		if (u) {
			source_fd(p, u->source, &open_src, &fd);
			ret = unit_finish(p, u, end, fd);
		}
		u = &p->units[p->nunits++];
		*u = (struct lsio_unit){ .off = c->offset, .first = k, .count = 1,
					 .source = c->source,
					 .to_eof = len == LSIO_LEN_EOF };
		end = c->offset + (!u->to_eof ? len
				   : lsio_source_remote(p, c->source)
				   ? remote_first_read(job, c) : LSIO_EOF_FIRST_READ);
	}
	if (u && !ret) {
		source_fd(p, u->source, &open_src, &fd);
		ret = unit_finish(p, u, end, fd);
	}
	if (fd >= 0)
		close(fd);
	u = realloc(p->units, MAX(p->nunits, 1) * sizeof(*p->units));
	p->units = u ? u : p->units;
	return ret;
}

int lsio_plan_new(struct lsio_ctx *ctx, const struct lsio_job *job,
		  const struct lsio_options *opt, struct lsio_plan **out)
{
	return lsio_plan_new_dest(ctx, job, opt, NULL, out);
}

int lsio_plan_new_dest(struct lsio_ctx *ctx, const struct lsio_job *job,
		       const struct lsio_options *opt,
		       const struct lsio_dest *dest, struct lsio_plan **out)
{
	struct lsio_options known;
	struct lsio_plan *p;
	uint64_t nordered = 0;
	int ret;

	*out = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	if (ret)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	p->ctx = ctx;
	p->job = job;
	if (dest)
		p->dest = *dest;
	p->depth_chosen = (opt && opt->workers > 0) || job->storage.workers > 0;
	options_merge(&p->opt, opt, &job->storage);
	cli_settings(&p->cli, opt);
	p->params = calloc((size_t)(job->storage.nprefixes + 1) * LSIO_CLASS_COUNT,
			   sizeof(*p->params));
	p->facts = calloc(MAX(job->nsources, 1), sizeof(*p->facts));
	if (!p->params || !p->facts) {
		lsio_plan_free(p);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	p->null_backend = lsio_backend_find(p->opt.backend) &&
			  (lsio_backend_find(p->opt.backend)->flags &
			   LSIO_BACKEND_NO_READS);
	ret = lsio_reduce_resolve(ctx, job, opt, &p->reduce);
	/* The stream writes chunks in job order; a reduction merges them in
	 * job order, which reading them so keeps cheap. */
	p->ordered = (p->dest.kind == LSIO_DEST_JOB &&
		      job->out.type == LSIO_OUT_STDOUT) || p->reduce.op;
	if (!ret)
		ret = lsio_shard_plan(p, opt);
	if (!ret)
		ret = sources_resolve(p);
	if (!ret)
		ret = remote_resolve(p, opt);
	if (!ret)
		ret = chunks_check(p);
	if (!ret) {
		p->unit_chunks = chunk_order(p, &nordered);
		ret = p->unit_chunks ? units_build(p, nordered)
				     : lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	if (ret) {
		lsio_plan_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void lsio_plan_free(struct lsio_plan *p)
{
	if (!p)
		return;
	free(p->units);
	free(p->unit_chunks);
	free(p->params);
	free(p->facts);
	free(p->host_gap);
	lsio_shard_release(&p->shard);
	lsio_remote_free(p->remote);
	free(p);
}
