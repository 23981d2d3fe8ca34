/* SPDX-License-Identifier: MIT */
/*
 * test_plan.c - properties of the planner over random chunk sets:
 *   - every chunk is served by exactly one unit, whose span covers it;
 *   - no unit exceeds the cap (beyond what one chunk or alignment needs);
 *   - with coalescing off, units equal chunks;
 *   - O_DIRECT units and their parts are aligned, parts are contiguous;
 *   - the plan does not depend on the number of workers;
 *   - planning a million chunks is fast.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

#define FILE_SIZE (64u << 20)

static char dir[] = "/var/tmp/lsio-test-plan-XXXXXX";
static char files[3][128];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_files(void)
{
	for (int i = 0; i < 3; i++) {
		int fd;

		snprintf(files[i], sizeof(files[i]), "%s/f%d", dir, i);
		fd = open(files[i], O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0 || ftruncate(fd, FILE_SIZE)) {
			perror(files[i]);
			exit(1);	/* a broken set-up fails: it is no skip */
		}
		close(fd);
	}
}

/* A job of n random chunks over the three files (null output). */
static char *random_job(uint64_t *seed, unsigned n, unsigned max_len)
{
	size_t cap = 128 + (size_t)n * 200, len = 0;
	char *t = malloc(cap);

	len += (size_t)snprintf(t + len, cap - len,
				"{\"lsio\":1,\"output\":{\"type\":\"null\"},\"chunks\":[");
	for (unsigned i = 0; i < n; i++) {
		uint64_t l = 1 + rnd(seed) % max_len;
		uint64_t off = rnd(seed) % (FILE_SIZE - l);

		len += (size_t)snprintf(t + len, cap - len,
			"%s{\"source\":\"%s\",\"offset\":%llu,\"length\":%llu}",
			i ? "," : "", files[rnd(seed) % 3],
			(unsigned long long)off, (unsigned long long)l);
	}
	snprintf(t + len, cap - len, "]}");
	return t;
}

static struct lsio_plan *plan_of(struct lsio_ctx *ctx, struct lsio_job *job,
				 struct lsio_options *o)
{
	struct lsio_plan *p = NULL;
	int ret = lsio_plan_new(ctx, job, o, &p);

	CHECK(ret == 0, "plan: %s", lsio_ctx_message(ctx));
	return p;
}

static void check_cover(const struct lsio_plan *p, const char *what)
{
	const struct lsio_job *job = p->job;
	unsigned char *seen = calloc(job->nchunks, 1);
	uint64_t requests = 0;

	for (uint64_t u = 0; u < p->nunits; u++) {
		const struct lsio_unit *un = &p->units[u];

		requests += un->nparts;
		for (uint32_t k = 0; k < un->count; k++) {
			uint64_t i = p->unit_chunks[un->first + k];
			const struct lsio_chunk *c = &job->chunks[i];

			seen[i]++;
			CHECK(c->source == un->source && c->offset >= un->off &&
			      c->offset + lsio_chunk_len(p, c) <= un->off + un->len,
			      "%s: chunk %llu outside its unit", what,
			      (unsigned long long)i);
		}
	}
	for (uint64_t i = 0; i < job->nchunks; i++)
		CHECK(seen[i] == 1, "%s: chunk %llu served %d times", what,
		      (unsigned long long)i, seen[i]);
	CHECK(requests == p->nrequests, "%s: request count", what);
	free(seen);
}

static void check_cap(const struct lsio_plan *p, uint64_t cap, const char *what)
{
	for (uint64_t u = 0; u < p->nunits; u++) {
		const struct lsio_unit *un = &p->units[u];
		const struct lsio_chunk *c = &p->job->chunks[p->unit_chunks[un->first]];
		uint64_t allowed = MAX(cap, lsio_chunk_len(p, c)) + 2 * 4096;

		CHECK(un->count == 1 || un->len <= allowed,
		      "%s: unit of %u chunks is %llu bytes, cap %llu", what,
		      un->count, (unsigned long long)un->len,
		      (unsigned long long)cap);
	}
}

static void check_aligned(const struct lsio_plan *p, const char *what)
{
	for (uint64_t u = 0; u < p->nunits; u++) {
		const struct lsio_unit *un = &p->units[u];
		const struct lsio_source_facts *f = &p->facts[un->source];
		const struct lsio_class_params *cp = lsio_source_params(p, un->source);
		uint64_t a = f->dio_align ? f->dio_align : cp->align;

		if (!un->direct)
			continue;
		CHECK(un->off % a == 0 && un->len % a == 0,
		      "%s: direct unit %llu+%llu not aligned to %llu", what,
		      (unsigned long long)un->off, (unsigned long long)un->len,
		      (unsigned long long)a);
		if (un->nparts > 1)
			CHECK(cp->part_size % a == 0 &&
			      (un->nparts - 1) * cp->part_size < un->len &&
			      un->nparts * cp->part_size >= un->len,
			      "%s: parts of %llu do not tile the unit", what,
			      (unsigned long long)cp->part_size);
	}
}

static bool same_plan(const struct lsio_plan *a, const struct lsio_plan *b)
{
	return a->nunits == b->nunits &&
	       !memcmp(a->units, b->units, a->nunits * sizeof(*a->units)) &&
	       !memcmp(a->unit_chunks, b->unit_chunks,
		       a->job->nchunks * sizeof(*a->unit_chunks));
}

static void round_trip(struct lsio_ctx *ctx, uint64_t *seed, int round)
{
	unsigned n = 1 + (unsigned)(rnd(seed) % 2000);
	unsigned max_len = 1 + (unsigned)(rnd(seed) % (1u << 20));
	char *text = random_job(seed, n, max_len), what[64];
	struct lsio_job *job = NULL;
	struct lsio_options o;
	struct lsio_plan *p, *q;

	snprintf(what, sizeof(what), "round %d (%u chunks <= %u B)", round, n, max_len);
	CHECK(!lsio_job_load_string(ctx, text, "t.json", &job), "%s: load: %s",
	      what, lsio_ctx_message(ctx));
	free(text);
	if (!job)
		return;

	lsio_options_init(&o, sizeof(o));	/* defaults: direct auto, class gaps */
	o.direct = LSIO_DIRECT_ON;
	o.max_request = (int64_t)(1 + rnd(seed) % (4u << 20));
	o.coalesce_gap = (int64_t)(rnd(seed) % (256u << 10));
	o.split = (int64_t)(64u << 10) + (int64_t)(rnd(seed) % (2u << 20));
	o.part_size = 4096 * (int64_t)(1 + rnd(seed) % 64);
	o.workers = 1;
	p = plan_of(ctx, job, &o);
	if (p) {
		check_cover(p, what);
		check_cap(p, (uint64_t)o.max_request, what);
		check_aligned(p, what);
	}
	o.workers = 1 + (int)(rnd(seed) % 8);
	q = plan_of(ctx, job, &o);
	CHECK(p && q && same_plan(p, q), "%s: plan differs with %d workers", what,
	      o.workers);
	lsio_plan_free(p);
	lsio_plan_free(q);

	o.coalesce_gap = 0;	/* off: one unit per chunk */
	p = plan_of(ctx, job, &o);
	CHECK(p && p->nunits == job->nchunks, "%s: gap off gives %llu units", what,
	      p ? (unsigned long long)p->nunits : 0);
	if (p)
		check_cover(p, what);
	lsio_plan_free(p);
	lsio_job_free(job);
}

/* A million sorted 4 KiB chunks: report how long planning takes. */
static void million(struct lsio_ctx *ctx)
{
	unsigned n = 1000000;
	size_t cap = (size_t)n * 80 + 128, len = 0;
	char *t = malloc(cap);
	struct lsio_job *job = NULL;
	struct lsio_options o;
	struct lsio_plan *p = NULL;
	struct timespec a, b;

	len += (size_t)snprintf(t + len, cap - len,
		"{\"lsio\":1,\"output\":{\"type\":\"null\"},\"defaults\":{\"source\":\"%s\",\"length\":64},\"chunks\":[",
		files[0]);
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, "%s{\"offset\":%u}",
					i ? "," : "", i * 64);
	snprintf(t + len, cap - len, "]}");
	CHECK(!lsio_job_load_string(ctx, t, "m.json", &job), "load: %s",
	      lsio_ctx_message(ctx));
	free(t);
	lsio_options_init(&o, sizeof(o));
	o.backend = "null";
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(job && !lsio_plan_new(ctx, job, &o, &p), "plan: %s", lsio_ctx_message(ctx));
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("test_plan: planned %u chunks into %llu requests in %.3f s\n", n,
	       p ? (unsigned long long)p->nrequests : 0,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	lsio_plan_free(p);
	lsio_job_free(job);
}

int main(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	/* A fixed probe result: the test must not depend on this disk. */
	setenv("LSIO_TEST_HOOKS", "1", 1);	/* util/testenv.c */
	setenv("LSIO_PROBE_LATENCY_US", "100", 1);
	make_files();
	for (int round = 0; round < 60; round++)
		round_trip(ctx, &seed, round);
	million(ctx);
	for (int i = 0; i < 3; i++)
		unlink(files[i]);
	rmdir(dir);
	lsio_ctx_free(ctx);
	return unit_done("test_plan");
}
