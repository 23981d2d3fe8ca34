/* SPDX-License-Identifier: MIT */
/*
 * test_concurrent.c - one loaded job planned and run by several threads at
 * once, each with its own context (lsio.h, "Threads").  Each round, eight
 * threads start together (a barrier) on two jobs that were loaded once:
 *   - a null-output job over four files, run through lsio_run_callback,
 *     whole or as part 0 or 1 of two (--shard: the parts read different
 *     files, so their plans differ in which sources they use); each file
 *     has a chunk read to its end;
 *   - an array job with a chunk read to its end, run with lsio_run_into
 *     and with lsio_plan_new + lsio_plan_run into a file of the thread's
 *     own (opt.output).
 * Every chunk's bytes and every array are checked against what is
 * computed here from the files' definition.  The planner once wrote what
 * it learnt of the sources, and the lengths of chunks read to the end,
 * into the job: plans made at once saw each other's half-done work.
 *
 * Arguments DIR URL (tests/cli/concurrent.bats: nginx serving DIR at URL)
 * run the same jobs over URLs too: a HEAD for each chunk read to its end
 * at planning, then the curl backend.  Without, a temporary directory and
 * local files only.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsio.h"
#include "unit.h"

#define NFILES 4
#define PER_FILE 4		/* chunks of each file in the null job */
#define NCHUNKS (NFILES * PER_FILE)
#define NTHREADS 8		/* two on each of the four kinds of run */
#define ROUNDS 50
#define ROW 100			/* the array: NFILES rows of ROW bytes */
#define ARRAY_BYTES (NFILES * ROW)

static const uint64_t file_size[NFILES] = { 5000, 7001, 3000, 9000 };
/* The null job's chunks of file f: offset and length, 0 = to its end. */
static const uint64_t chunk_at[PER_FILE][2] = {
	{ 0, 100 }, { 1000, 500 }, { 2000, 777 }, { 2500, 0 },
};
/* Where row f of the array comes from; row 2 is read to its file's end. */
static const uint64_t row_at[NFILES] = { 0, 300, 3000 - ROW, 50 };

static char dir[512] = "/tmp/lsio-test-concurrent-XXXXXX";
static bool own_dir;

static uint8_t byte_of(int f, uint64_t i)
{
	return (uint8_t)(i * 31 + (uint64_t)f * 7 + i / 253);
}

static void write_files(void)
{
	for (int f = 0; f < NFILES; f++) {
		uint8_t *p = malloc(file_size[f]);
		char path[640];
		int fd;

		snprintf(path, sizeof(path), "%s/f%d.bin", dir, f);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		for (uint64_t i = 0; p && i < file_size[f]; i++)
			p[i] = byte_of(f, i);
		if (!p || fd < 0 ||
		    write(fd, p, file_size[f]) != (ssize_t)file_size[f]) {
			perror(path);
			exit(1);	/* a broken set-up fails: it is no skip */
		}
		close(fd);
		free(p);
	}
}

static void remove_files(void)
{
	char path[640];

	for (int f = 0; f < NFILES; f++) {
		snprintf(path, sizeof(path), "%s/f%d.bin", dir, f);
		unlink(path);
	}
	for (int t = 0; t < NTHREADS; t++) {
		snprintf(path, sizeof(path), "%s/out%d.raw", dir, t);
		unlink(path);
	}
	if (own_dir)
		rmdir(dir);
}

/* Append to a job's text; exits when out of memory. */
static void add(char **t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add(char **t, const char *fmt, ...)
{
	char *more, *joined;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		exit(1);
	va_end(ap);
	if (asprintf(&joined, "%s%s", *t ? *t : "", more) < 0)
		exit(1);
	free(*t);
	free(more);
	*t = joined;
}

/* The null job: its sources under base ("DIR/" or "URL/"). */
static char *null_job(const char *base)
{
	char *t = NULL;

	add(&t, "{\"lsio\":1,\"output\":{\"type\":\"null\"},\"chunks\":[");
	for (int i = 0; i < NCHUNKS; i++) {
		const uint64_t *c = chunk_at[i % PER_FILE];

		add(&t, "%s{\"source\":\"%sf%d.bin\",\"offset\":%llu", i ? "," : "",
		    base, i / PER_FILE, (unsigned long long)c[0]);
		if (c[1])
			add(&t, ",\"length\":%llu", (unsigned long long)c[1]);
		add(&t, "}");
	}
	add(&t, "]}");
	return t;
}

/* The array job: row f of the array is ROW bytes of file f. */
static char *array_job(const char *base)
{
	char *t = NULL;

	add(&t, "{\"lsio\":1,\"output\":{\"type\":\"array\",\"path\":\"%s/out.raw\","
		"\"dtype\":\"|u1\",\"shape\":[%d,%d]},\"chunks\":[",
	    dir, NFILES, ROW);
	for (int f = 0; f < NFILES; f++) {
		add(&t, "%s{\"source\":\"%sf%d.bin\",\"offset\":%llu", f ? "," : "",
		    base, f, (unsigned long long)row_at[f]);
		if (f != 2)
			add(&t, ",\"length\":%d", ROW);
		add(&t, ",\"place\":{\"to\":[%d,0],\"shape\":[1,%d]}}", f, ROW);
	}
	add(&t, "]}");
	return t;
}

/* --- one thread's runs ---------------------------------------------------- */

struct shared {
	struct lsio_job *null_job, *array_job;
	const char *where;		/* "local" or "remote", for messages */
	pthread_barrier_t start;
};

struct worker {
	struct shared *sh;
	int id;
	int failures;
	char why[512];			/* the first failure */
};

static void failed(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void failed(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failures++) {
		va_start(ap, fmt);
		vsnprintf(w->why, sizeof(w->why), fmt, ap);
		va_end(ap);
	}
}

/* Chunk i of the null job: file, offset and length. */
static void null_chunk(uint64_t i, int *f, uint64_t *off, uint64_t *len)
{
	*f = (int)(i / PER_FILE);
	*off = chunk_at[i % PER_FILE][0];
	*len = chunk_at[i % PER_FILE][1] ? chunk_at[i % PER_FILE][1]
					 : file_size[*f] - *off;
}

struct seen {
	atomic_int count[NCHUNKS];
	atomic_int wrong;
};

static int null_chunk_seen(void *arg, uint64_t i, const void *data, size_t n)
{
	struct seen *s = arg;
	const uint8_t *p = data;
	uint64_t off, len;
	int f, bad = 0;

	if (i >= NCHUNKS) {
		atomic_fetch_add(&s->wrong, 1);
		return 0;
	}
	atomic_fetch_add(&s->count[i], 1);
	null_chunk(i, &f, &off, &len);
	for (size_t k = 0; n == len && k < n; k++)
		bad += p[k] != byte_of(f, off + k);
	if (n != len || bad)
		atomic_fetch_add(&s->wrong, 1);
	return 0;
}

/* The null job, part `part` of two (-1: whole): every chunk of the part
 * once, with its file's bytes, and no other. */
static void run_null(struct worker *w, struct lsio_ctx *ctx, int part)
{
	struct seen s;
	struct lsio_options o;
	int lo = part < 0 ? 0 : part * NCHUNKS / 2;
	int hi = part < 0 ? NCHUNKS : (part + 1) * NCHUNKS / 2;
	int ret, off = 0;

	memset(&s, 0, sizeof(s));
	lsio_options_init(&o, sizeof(o));
	o.workers = 2;
	o.shard_index = part < 0 ? 0 : part;
	o.shard_count = part < 0 ? 1 : 2;
	ret = lsio_run_callback(ctx, w->sh->null_job, &o, null_chunk_seen, &s,
				NULL);
	for (int i = 0; i < NCHUNKS; i++)
		off += s.count[i] != (i >= lo && i < hi);
	if (ret || off || s.wrong)
		failed(w, "%s null job, part %d: %s; %d chunks seen not once, %d wrong",
		       w->sh->where, part, ret ? lsio_ctx_message(ctx) : "ran",
		       off, (int)s.wrong);
}

static int array_wrong(const uint8_t *a)
{
	int bad = 0;

	for (int f = 0; f < NFILES; f++)
		for (int k = 0; k < ROW; k++)
			bad += a[f * ROW + k] != byte_of(f, row_at[f] + (uint64_t)k);
	return bad;
}

static void run_into(struct worker *w, struct lsio_ctx *ctx)
{
	uint8_t a[ARRAY_BYTES];
	struct lsio_options o;
	int ret;

	memset(a, 0xee, sizeof(a));
	lsio_options_init(&o, sizeof(o));
	o.workers = 2;
	ret = lsio_run_into(ctx, w->sh->array_job, &o, a, sizeof(a), NULL);
	if (ret || array_wrong(a))
		failed(w, "%s array into memory: %s; %d bytes wrong", w->sh->where,
		       ret ? lsio_ctx_message(ctx) : "ran", array_wrong(a));
}

/* lsio_plan_new, then lsio_plan_run into out<id>.raw. */
static void run_plan(struct worker *w, struct lsio_ctx *ctx)
{
	uint8_t a[ARRAY_BYTES + 1];
	struct lsio_plan *plan = NULL;
	struct lsio_options o;
	char path[640];
	ssize_t n = -1;
	int ret, fd;

	snprintf(path, sizeof(path), "%s/out%d.raw", dir, w->id);
	lsio_options_init(&o, sizeof(o));
	o.workers = 2;
	o.output = path;
	ret = lsio_plan_new(ctx, w->sh->array_job, &o, &plan);
	if (!ret)
		ret = lsio_plan_run(ctx, plan, NULL);
	lsio_plan_free(plan);
	fd = ret ? -1 : open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, a, sizeof(a));
		close(fd);
	}
	if (ret || n != ARRAY_BYTES || array_wrong(a))
		failed(w, "%s array planned, then run to a file: %s; %zd bytes, %d wrong",
		       w->sh->where, ret ? lsio_ctx_message(ctx) : "ran", n,
		       n == ARRAY_BYTES ? array_wrong(a) : -1);
}

/* Round r: thread t does kind (t + r) % 4 of run, two threads each. */
static void *thread_main(void *arg)
{
	struct worker *w = arg;
	struct lsio_ctx *ctx = lsio_ctx_new();

	for (int r = 0; r < ROUNDS && ctx; r++) {
		pthread_barrier_wait(&w->sh->start);
		switch ((w->id + r) % 4) {
		case 0:
			run_null(w, ctx, -1);
			break;
		case 1:
			run_null(w, ctx, w->id / 4);	/* one of each part */
			break;
		case 2:
			run_into(w, ctx);
			break;
		default:
			run_plan(w, ctx);
		}
	}
	if (!ctx)
		failed(w, "out of memory");
	lsio_ctx_free(ctx);
	return NULL;
}

/* Both jobs over sources under base, NTHREADS threads, ROUNDS rounds. */
static void test_concurrent(const char *base, const char *where)
{
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct shared sh = { .where = where };
	char *nj = null_job(base), *aj = array_job(base);
	int started = 0;

	CHECK(ctx && !lsio_job_load_string(ctx, nj, "null.json", &sh.null_job),
	      "%s null job: %s", where, ctx ? lsio_ctx_message(ctx) : "no ctx");
	CHECK(ctx && !lsio_job_load_string(ctx, aj, "array.json", &sh.array_job),
	      "%s array job: %s", where, ctx ? lsio_ctx_message(ctx) : "no ctx");
	free(nj);
	free(aj);
	if (sh.null_job && sh.array_job &&
	    !pthread_barrier_init(&sh.start, NULL, NTHREADS)) {
		for (int t = 0; t < NTHREADS; t++) {
			w[t] = (struct worker){ .sh = &sh, .id = t };
			started += !pthread_create(&th[t], NULL, thread_main, &w[t]);
		}
		CHECK(started == NTHREADS, "%s: %d threads started", where, started);
		for (int t = 0; t < started; t++) {
			pthread_join(th[t], NULL);
			CHECK(!w[t].failures, "%s thread %d: %d runs failed, the first: %s",
			      where, t, w[t].failures, w[t].why);
		}
		pthread_barrier_destroy(&sh.start);
	}
	lsio_job_free(sh.null_job);
	lsio_job_free(sh.array_job);
	lsio_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	char local[600];

	if (argc == 3) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	} else if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	} else {
		own_dir = true;
	}
	write_files();
	snprintf(local, sizeof(local), "%s/", dir);
	test_concurrent(local, "local");
	if (argc == 3) {
		char url[600];

		snprintf(url, sizeof(url), "%s/", argv[2]);
		test_concurrent(url, "remote");
	}
	remove_files();
	return unit_done("test_concurrent");
}
