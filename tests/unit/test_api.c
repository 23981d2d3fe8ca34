/* SPDX-License-Identifier: MIT */
/*
 * test_api.c - the embedding API, through lsio.h alone, with 1 to 4
 * workers:
 *   - lsio_run_into: a buffer too small (refused, untouched), exactly the
 *     array's size (nothing written past it), the fill value where no
 *     chunk lands (also with "prefill": false), the same bytes as the
 *     array run to a raw file; outputs that are no array refused;
 *   - lsio_run_callback: every chunk index seen once with its bytes (an
 *     absent source's chunk as the fill value), a non-zero return stops
 *     the run with that error;
 *   - the sizes of struct lsio_options and struct lsio_stats.
 * The expected array is computed here from its definition, not by lsio.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsio.h"
#include "unit.h"

#define ROWS 7
#define COLS 10
#define FILL (-7)
#define ARRAY_BYTES (ROWS * COLS * 4)
#define NBYTES_CHUNKS 2000	/* chunks of the callback's stdout job */
#define BYTES_CHUNK 16

static char dir[] = "/tmp/lsio-test-api-XXXXXX";
static uint8_t bytes_data[NBYTES_CHUNKS * BYTES_CHUNK];

static void write_file(const char *name, const void *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n) {
		perror(path);
		exit(1);	/* a broken set-up fails: it is no skip */
	}
	close(fd);
}

static void remove_files(void)
{
	static const char *const names[] = { "grid.bin", "rows.bin",
					      "bytes.bin", "out.raw" };
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/*
 * grid.bin holds four 3 x 5 tiles of a 6 x 10 int32 array, element (r, c)
 * being r * 100 + c, tile (R, C) at offset ((R / 3) * 2 + C / 5) * 60;
 * rows.bin holds row 6 (600 ... 609).
 */
static void make_files(void)
{
	int32_t tiles[4][15], row[COLS];

	for (int t = 0; t < 4; t++) {
		int r0 = t / 2 * 3, c0 = t % 2 * 5;

		for (int i = 0; i < 15; i++)
			tiles[t][i] = (r0 + i / 5) * 100 + c0 + i % 5;
	}
	write_file("grid.bin", tiles, sizeof(tiles));
	for (int c = 0; c < COLS; c++)
		row[c] = 600 + c;
	write_file("rows.bin", row, sizeof(row));
	for (size_t i = 0; i < sizeof(bytes_data); i++)
		bytes_data[i] = (uint8_t)(i * 7 + i / 256);
	write_file("bytes.bin", bytes_data, sizeof(bytes_data));
}

/* The 7 x 10 array: tiles (0, 0) and (0, 5) whole, of tile (3, 0) its
 * elements [1:3, 1:4] at [4:6, 1:4], tile (3, 5) from a source that does
 * not exist ("missing": "fill"), row 6 whole; the rest is the fill. */
static char *grid_job(bool prefill)
{
	char *t = NULL;

	if (asprintf(&t,
		     "{\"lsio\":1,\"output\":{\"type\":\"array\",\"path\":\"%s/out.raw\","
		     "\"dtype\":\"<i4\",\"shape\":[%d,%d],\"fill_value\":%d%s},"
		     "\"defaults\":{\"length\":60,\"place\":{\"shape\":[3,5]}},"
		     "\"chunks\":["
		     "{\"source\":\"%s/grid.bin\",\"offset\":0,\"place\":{\"to\":[0,0]}},"
		     "{\"source\":\"%s/grid.bin\",\"offset\":60,\"place\":{\"to\":[0,5]}},"
		     "{\"source\":\"%s/grid.bin\",\"offset\":120,\"place\":{\"to\":[4,1],"
		     "\"from\":[1,1],\"count\":[2,3]}},"
		     "{\"source\":\"%s/absent.bin\",\"missing\":\"fill\",\"place\":{\"to\":[3,5]}},"
		     "{\"source\":\"%s/rows.bin\",\"length\":40,\"place\":{\"to\":[6,0],"
		     "\"shape\":[1,10]}}]}",
		     dir, ROWS, COLS, FILL, prefill ? "" : ",\"prefill\":false",
		     dir, dir, dir, dir, dir) < 0)
		exit(1);
	return t;
}

static bool covered(int r, int c)
{
	return r < 3 || (r >= 4 && r <= 5 && c >= 1 && c <= 3) || r == 6;
}

static int32_t expected(int r, int c)
{
	return covered(r, c) ? r * 100 + c : FILL;
}

static struct lsio_job *load(struct lsio_ctx *ctx, char *text)
{
	struct lsio_job *job = NULL;

	CHECK(!lsio_job_load_string(ctx, text, "test.json", &job), "load: %s",
	      lsio_ctx_message(ctx));
	free(text);
	return job;
}

static void options(struct lsio_options *o, int workers)
{
	lsio_options_init(o, sizeof(*o));
	o->workers = workers;
}

/* --- lsio_run_into ---------------------------------------------------------- */

static void check_array(const uint8_t *buf, const char *what)
{
	int bad = 0;

	for (int r = 0; r < ROWS; r++)
		for (int c = 0; c < COLS; c++) {
			int32_t v;

			memcpy(&v, buf + (r * COLS + c) * 4, 4);
			bad += v != expected(r, c);
		}
	CHECK(!bad, "%s: %d elements differ from the expected array", what, bad);
}

/* The same job run to a raw file gives the same bytes. */
static void check_file(const uint8_t *buf, const char *what)
{
	uint8_t file[ARRAY_BYTES + 1];
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/out.raw", dir);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, file, sizeof(file)) : -1;
	if (fd >= 0)
		close(fd);
	CHECK(n == ARRAY_BYTES && !memcmp(file, buf, ARRAY_BYTES),
	      "%s: memory and file differ (file %zd bytes)", what, n);
}

static void test_into_sizes(struct lsio_ctx *ctx, int workers)
{
	struct lsio_job *job = load(ctx, grid_job(true));
	struct lsio_stats st = { .size = sizeof(st) };
	struct lsio_options o;
	uint8_t *buf = malloc(ARRAY_BYTES + 64);
	char what[64];
	int ret, guard = 0;

	if (!job || !buf)
		goto out;
	options(&o, workers);
	snprintf(what, sizeof(what), "into, %d workers", workers);

	/* One byte short: refused before anything is read or written. */
	memset(buf, 0xab, ARRAY_BYTES + 64);
	ret = lsio_run_into(ctx, job, &o, buf, ARRAY_BYTES - 1, NULL);
	CHECK(ret == -LSIO_ETOOBIG, "%s: too small: %d", what, ret);
	CHECK(strstr(lsio_ctx_message(ctx), "280") &&
	      strstr(lsio_ctx_message(ctx), "279"),
	      "%s: the message names both sizes: %s", what,
	      lsio_ctx_message(ctx));
	for (int i = 0; i < ARRAY_BYTES + 64; i++)
		guard += buf[i] != 0xab;
	CHECK(!guard, "%s: a refused buffer was written (%d bytes)", what,
	      guard);

	/* Exactly the size: the array, with fill, and not a byte past it. */
	ret = lsio_run_into(ctx, job, &o, buf, ARRAY_BYTES, &st);
	CHECK(!ret, "%s: %s", what, lsio_ctx_message(ctx));
	check_array(buf, what);
	for (int i = ARRAY_BYTES; i < ARRAY_BYTES + 64; i++)
		guard += buf[i] != 0xab;
	CHECK(!guard, "%s: %d bytes written past the array", what, guard);
	CHECK(st.size == sizeof(st) && st.chunks == 5 &&
	      st.chunks_missing == 1 && st.workers == workers,
	      "%s: stats size %zu, chunks %llu, missing %llu, workers %d",
	      what, st.size, (unsigned long long)st.chunks,
	      (unsigned long long)st.chunks_missing, st.workers);

	/* The job's own output: the same bytes. */
	ret = lsio_run(ctx, job, &o, NULL);
	CHECK(!ret, "%s: to a file: %s", what, lsio_ctx_message(ctx));
	if (!ret)
		check_file(buf, what);
out:
	free(buf);
	lsio_job_free(job);
}

/* "prefill": false: the caller's memory gets the fill value all the same,
 * where no chunk lands as where an absent one would. */
static void test_into_no_prefill(struct lsio_ctx *ctx, int workers)
{
	struct lsio_job *job = load(ctx, grid_job(false));
	uint8_t buf[ARRAY_BYTES];
	struct lsio_options o;
	char what[64];
	int ret;

	if (!job)
		return;
	options(&o, workers);
	snprintf(what, sizeof(what), "into, no prefill, %d workers", workers);
	memset(buf, 0x5a, sizeof(buf));
	ret = lsio_run_into(ctx, job, &o, buf, sizeof(buf), NULL);
	CHECK(!ret, "%s: %s", what, lsio_ctx_message(ctx));
	check_array(buf, what);
	lsio_job_free(job);
}

static char *bytes_job(void)
{
	size_t cap = 128 + NBYTES_CHUNKS * 48, len;
	char *t = malloc(cap);

	if (!t)
		exit(1);
	len = (size_t)snprintf(t, cap,
			       "{\"lsio\":1,\"output\":{\"type\":\"stdout\"},"
			       "\"defaults\":{\"source\":\"%s/bytes.bin\",\"length\":%d},"
			       "\"chunks\":[", dir, BYTES_CHUNK);
	for (int i = 0; i < NBYTES_CHUNKS; i++)
		len += (size_t)snprintf(t + len, cap - len, "%s{\"offset\":%d}",
					i ? "," : "", i * BYTES_CHUNK);
	snprintf(t + len, cap - len, "]}");
	return t;
}

/* A job whose output is no array, refused with a message saying why. */
static void into_refused(struct lsio_ctx *ctx, char *text, const char *why)
{
	struct lsio_job *job = load(ctx, text);
	uint8_t buf[16];
	int ret;

	if (!job)
		return;
	ret = lsio_run_into(ctx, job, NULL, buf, sizeof(buf), NULL);
	CHECK(ret == -LSIO_EUSAGE && strstr(lsio_ctx_message(ctx), why),
	      "into memory: %d '%s' (wanted -LSIO_EUSAGE, '%s')", ret,
	      lsio_ctx_message(ctx), why);
	lsio_job_free(job);
}

static void test_into_refused(struct lsio_ctx *ctx)
{
	into_refused(ctx, bytes_job(), "not an array");
	into_refused(ctx, strdup("{\"lsio\":1,\"output\":{\"type\":\"dataset\",\"path\":\"x.nc\","
				 "\"variables\":[{\"name\":\"v\",\"dtype\":\"<i4\",\"shape\":[2],"
				 "\"dims\":[\"x\"]}]},\"chunks\":[]}"),
		     "a dataset holds several");
}

/* --- lsio_run_callback ---------------------------------------------------- */

struct seen {
	atomic_int count[NBYTES_CHUNKS];
	atomic_int calls;
	atomic_int wrong;	/* chunks whose bytes are not the file's */
	int stop;		/* return this from the first call */
};

static int bytes_chunk(void *arg, uint64_t index, const void *data, size_t len)
{
	struct seen *s = arg;

	atomic_fetch_add(&s->calls, 1);
	if (index >= NBYTES_CHUNKS) {
		atomic_fetch_add(&s->wrong, 1);
		return 0;
	}
	atomic_fetch_add(&s->count[index], 1);
	if (len != BYTES_CHUNK ||
	    memcmp(data, bytes_data + index * BYTES_CHUNK, BYTES_CHUNK))
		atomic_fetch_add(&s->wrong, 1);
	return s->stop;
}

static void test_callback_all(struct lsio_ctx *ctx, struct lsio_job *job,
			      int workers)
{
	static struct seen s;
	struct lsio_stats st = { .size = sizeof(st) };
	struct lsio_options o;
	int ret, missing = 0, twice = 0;

	memset(&s, 0, sizeof(s));
	options(&o, workers);
	ret = lsio_run_callback(ctx, job, &o, bytes_chunk, &s, &st);
	CHECK(!ret, "callback, %d workers: %s", workers, lsio_ctx_message(ctx));
	for (int i = 0; i < NBYTES_CHUNKS; i++) {
		missing += !s.count[i];
		twice += s.count[i] > 1;
	}
	CHECK(!missing && !twice && !s.wrong,
	      "callback, %d workers: %d chunks unseen, %d seen twice, %d wrong",
	      workers, missing, twice, (int)s.wrong);
	CHECK(st.chunks == NBYTES_CHUNKS &&
	      st.bytes_out == NBYTES_CHUNKS * BYTES_CHUNK,
	      "callback, %d workers: stats %llu chunks, %llu bytes", workers,
	      (unsigned long long)st.chunks, (unsigned long long)st.bytes_out);
}

static void test_callback_stop(struct lsio_ctx *ctx, struct lsio_job *job,
			       int workers, int stop, int want)
{
	static struct seen s;
	struct lsio_options o;
	int ret;

	memset(&s, 0, sizeof(s));
	s.stop = stop;
	options(&o, workers);
	ret = lsio_run_callback(ctx, job, &o, bytes_chunk, &s, NULL);
	CHECK(ret == want, "callback returning %d, %d workers: run returned %d (%s)",
	      stop, workers, ret, lsio_ctx_message(ctx));
	CHECK(strstr(lsio_ctx_message(ctx), "the callback returned"),
	      "callback returning %d: message '%s'", stop,
	      lsio_ctx_message(ctx));
	CHECK(s.calls < NBYTES_CHUNKS,
	      "callback returning %d, %d workers: %d calls, the run went on",
	      stop, workers, (int)s.calls);
}

/* An array job's chunks come decoded, before placement, an absent one
 * as its fill value. */
struct grid_seen {
	atomic_int count[5];
	atomic_int wrong;
};

static int grid_chunk(void *arg, uint64_t index, const void *data, size_t len)
{
	static const size_t lens[5] = { 60, 60, 60, 60, 40 };
	struct grid_seen *s = arg;
	int32_t v[15];

	if (index >= 5 || len != lens[index]) {
		atomic_fetch_add(&s->wrong, 1);
		return 0;
	}
	atomic_fetch_add(&s->count[index], 1);
	memcpy(v, data, len);
	if (index == 3) {	/* absent: the fill value */
		for (int i = 0; i < 15; i++)
			if (v[i] != FILL)
				atomic_fetch_add(&s->wrong, 1);
	} else if (index < 3) {	/* tile (R, C) as the file holds it */
		int r0 = (int)index / 2 * 3, c0 = (int)index % 2 * 5;

		for (int i = 0; i < 15; i++)
			if (v[i] != (r0 + i / 5) * 100 + c0 + i % 5)
				atomic_fetch_add(&s->wrong, 1);
	} else if (v[9] != 609) {
		atomic_fetch_add(&s->wrong, 1);
	}
	return 0;
}

static void test_callback_grid(struct lsio_ctx *ctx, int workers)
{
	struct lsio_job *job = load(ctx, grid_job(true));
	struct grid_seen s;
	struct lsio_options o;
	int ret, bad = 0;

	if (!job)
		return;
	memset(&s, 0, sizeof(s));
	options(&o, workers);
	ret = lsio_run_callback(ctx, job, &o, grid_chunk, &s, NULL);
	CHECK(!ret, "grid callback, %d workers: %s", workers,
	      lsio_ctx_message(ctx));
	for (int i = 0; i < 5; i++)
		bad += s.count[i] != 1;
	CHECK(!bad && !s.wrong, "grid callback, %d workers: %d counts off, %d wrong",
	      workers, bad, (int)s.wrong);
	/* Nothing is written under the job's path by a callback run. */
	lsio_job_free(job);
}

static void test_callback_refused(struct lsio_ctx *ctx, struct lsio_job *job)
{
	struct seen *s = calloc(1, sizeof(*s));
	struct lsio_options o;
	int ret;

	options(&o, 1);
	o.resume = 1;
	ret = lsio_run_callback(ctx, job, &o, bytes_chunk, s, NULL);
	CHECK(ret == -LSIO_EUSAGE, "callback with --resume: %d %s", ret,
	      lsio_ctx_message(ctx));
	options(&o, 1);
	o.output = "x.bin";
	ret = lsio_run_callback(ctx, job, &o, bytes_chunk, s, NULL);
	CHECK(ret == -LSIO_EUSAGE, "callback with an output: %d %s", ret,
	      lsio_ctx_message(ctx));
	ret = lsio_run_callback(ctx, job, NULL, NULL, s, NULL);
	CHECK(ret == -LSIO_EUSAGE, "callback without a function: %d", ret);
	CHECK(!s->calls, "a refused run called back %d times", (int)s->calls);
	free(s);
}

/* --- versioned structures ------------------------------------------------- */

static void test_sizes(struct lsio_ctx *ctx, struct lsio_job *job)
{
	union {
		struct lsio_options o;
		uint8_t b[sizeof(struct lsio_options) + 16];
	} u;
	struct {
		struct lsio_stats st;
		uint64_t later;	/* a field of a newer lsio.h */
	} big;
	struct lsio_stats st;
	static struct seen s;
	int ret, touched = 0;

	/* init writes no more than it is told. */
	memset(&u, 0xcd, sizeof(u));
	lsio_options_init(&u.o, 8);
	for (size_t i = 8; i < sizeof(u); i++)
		touched += u.b[i] != 0xcd;
	CHECK(u.o.size == 8 && !touched, "init(8): size %zu, %d more bytes",
	      u.o.size, touched);
	/* A caller larger than the library, when it says so itself. */
	lsio_options_init(&u.o, sizeof(u));
	CHECK(u.o.size == sizeof(struct lsio_options),
	      "init(larger): size %zu", u.o.size);
	u.o.size = sizeof(u);
	ret = lsio_run_callback(ctx, job, &u.o, bytes_chunk, &s, NULL);
	CHECK(ret == -LSIO_EUSAGE, "options larger than the library's: %d", ret);
	memset(&u.o, 0, sizeof(u.o));
	ret = lsio_run_callback(ctx, job, &u.o, bytes_chunk, &s, NULL);
	CHECK(ret == -LSIO_EUSAGE, "options never initialised: %d", ret);

	memset(&st, 0, sizeof(st));
	ret = lsio_run_callback(ctx, job, NULL, bytes_chunk, &s, &st);
	CHECK(ret == -LSIO_EUSAGE, "stats without a size: %d", ret);

	memset(&s, 0, sizeof(s));
	memset(&big, 0, sizeof(big));
	big.st.size = sizeof(big);
	big.later = 0x5a5a5a5a;
	ret = lsio_run_callback(ctx, job, NULL, bytes_chunk, &s, &big.st);
	CHECK(!ret && big.st.size == sizeof(struct lsio_stats) &&
	      big.later == 0x5a5a5a5a && big.st.chunks == NBYTES_CHUNKS,
	      "stats larger than the library's: %d, size %zu, later %llx",
	      ret, big.st.size, (unsigned long long)big.later);
}

int main(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_job *bytes;

	if (!ctx || !mkdtemp(dir)) {
		perror("set-up");
		return 1;
	}
	make_files();
	bytes = load(ctx, bytes_job());
	for (int w = 1; w <= 4; w++) {
		test_into_sizes(ctx, w);
		test_into_no_prefill(ctx, w);
		test_callback_grid(ctx, w);
		if (!bytes)
			continue;
		test_callback_all(ctx, bytes, w);
		test_callback_stop(ctx, bytes, w, 1, -LSIO_ECANCELED);
		test_callback_stop(ctx, bytes, w, -EIO, -EIO);
	}
	test_into_refused(ctx);
	if (bytes) {
		test_callback_refused(ctx, bytes);
		test_sizes(ctx, bytes);
	}
	lsio_job_free(bytes);
	lsio_ctx_free(ctx);
	remove_files();
	return unit_done("test_api");
}
