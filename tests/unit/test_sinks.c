/* SPDX-License-Identifier: MIT */
/*
 * test_sinks.c - the four sinks, driven the way the engine drives them:
 * lsio_sink_open(), direct()/put() (from several threads for the stream),
 * then commit() or abort(), then close().  Jobs are built by hand; the job
 * parser is not this test's subject.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

static char tmp[] = "/tmp/test_sinks.XXXXXX";

/* --- helpers -------------------------------------------------------------- */

struct tjob {
	struct lsio_job job;
	struct lsio_source source;
	struct lsio_chunk *chunks;
	uint64_t tos[4 * 16];			/* 16 chunks of rank 4 */
	uint64_t boxes[LSIO_BOX_FIELDS * 4 * 16];
	char strings[64];
};

static void tjob_init(struct tjob *t, enum lsio_output_type type,
		      uint64_t nchunks)
{
	memset(t, 0, sizeof(*t));
	t->source.path = "/data/dir/src.bin";
	t->chunks = calloc(nchunks ? nchunks : 1, sizeof(*t->chunks));
	for (uint64_t i = 0; i < nchunks; i++)
		t->chunks[i].name = LSIO_NONE;	/* and no box */
	t->job.name = "test";
	t->job.sources = &t->source;
	t->job.nsources = 1;
	t->job.chunks = t->chunks;
	t->job.nchunks = nchunks;
	t->job.tos = t->tos;
	t->job.boxes = t->boxes;
	t->job.strings = t->strings;
	t->job.out.type = type;
}

static void tjob_array(struct tjob *t, const char *descr, uint32_t size,
		       uint32_t ndim, const uint64_t *shape)
{
	struct lsio_output *out = &t->job.out;

	snprintf(out->dtype.str, sizeof(out->dtype.str), "%s", descr);
	out->dtype.order = descr[0];
	out->dtype.kind = descr[1];
	out->dtype.size = size;
	out->ndim = ndim;
	memcpy(out->shape, shape, ndim * sizeof(*shape));
	out->fill_is_zero = true;
	out->format = LSIO_FMT_NPY;
}

/* Place chunk i: shape, to, from, count (count NULL: shape - from). */
static void tjob_place(struct tjob *t, uint64_t i, char order,
		       const uint64_t *shape, const uint64_t *to,
		       const uint64_t *from, const uint64_t *count)
{
	uint32_t n = t->job.out.ndim;
	uint64_t *b = t->boxes + (uint64_t)t->job.nboxes * LSIO_BOX_FIELDS * n;

	/* A box of its own: every chunk has the output's rank. */
	t->job.to_stride = n;
	t->job.box_stride = LSIO_BOX_FIELDS * n;
	t->chunks[i].box = t->job.nboxes++;
	t->chunks[i].order = order;
	for (uint32_t d = 0; d < n; d++) {
		b[d] = shape[d];
		t->tos[i * n + d] = to[d];
		b[n + d] = from ? from[d] : 0;
		b[2 * n + d] = count ? count[d] : shape[d] - b[n + d];
		b[3 * n + d] = 1;	/* step */
	}
}

static void tjob_free(struct tjob *t)
{
	free(t->chunks);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/* Entries of dir whose names start with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return n;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n = file_size(path);
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);

	*len = 0;
	if (f && n >= 0 && fread(p, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	if (f)
		fclose(f);
	return p;
}

static void path_in_tmp(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", tmp, name);
}

/* --- open ----------------------------------------------------------------- */

static void test_open(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	struct tjob t;
	int err;

	tjob_init(&t, LSIO_OUT_ARRAY, 0);
	tjob_array(&t, "<f4", 4, 1, (uint64_t[]){ 3 });
	err = lsio_sink_open(ctx, &t.job, NULL, &s);
	CHECK(err == -LSIO_EJOB, "missing path: %d", err);
	CHECK(!strcmp(lsio_ctx_message(ctx), "output.path: missing"), "%s",
	      lsio_ctx_message(ctx));
	s.ops->abort(&s);
	s.ops->close(&s);

	t.job.out.type = (enum lsio_output_type)99;
	memset(&s, 0, sizeof(s));
	err = lsio_sink_open(ctx, &t.job, NULL, &s);
	CHECK(err == -LSIO_EJOB && s.ops, "unknown type: %d", err);
	s.ops->abort(&s);
	s.ops->close(&s);

	t.job.out.type = LSIO_OUT_FILES;
	memset(&s, 0, sizeof(s));
	err = lsio_sink_open(ctx, &t.job, NULL, &s);
	CHECK(!strcmp(lsio_ctx_message(ctx), "output.dir: missing"), "%s",
	      lsio_ctx_message(ctx));
	s.ops->close(&s);

	t.job.out.type = LSIO_OUT_STDOUT;
	memset(&s, 0, sizeof(s));
	err = lsio_sink_open(ctx, &t.job, NULL, &s);
	CHECK(!err && s.stdout_fd == 1 && s.window == 256 && !s.path,
	      "stdout defaults: fd %d window %llu", s.stdout_fd,
	      (unsigned long long)s.window);
	s.ops->close(&s);

	/* -o on a stream has nowhere to go: a usage error, not ignored. */
	memset(&s, 0, sizeof(s));
	err = lsio_sink_open(ctx, &t.job, "out.bin", &s);
	CHECK(err == -LSIO_EUSAGE && strstr(lsio_ctx_message(ctx), "no path"),
	      "stdout with -o: %d %s", err, lsio_ctx_message(ctx));
	s.ops->close(&s);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* --- null ----------------------------------------------------------------- */

static void test_null(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	uint8_t buf[100] = { 0 };
	struct tjob t;

	tjob_init(&t, LSIO_OUT_NULL, 3);
	CHECK(!lsio_sink_open(ctx, &t.job, NULL, &s), "null open");
	CHECK(!s.ops->direct, "null has no direct()");
	for (uint64_t i = 0; i < 3; i++)
		CHECK(!s.ops->put(&s, i, buf, 10 * (i + 1)), "null put");
	CHECK(!s.ops->commit(&s), "null commit");
	CHECK(atomic_load(&s.bytes_out) == 60, "null bytes_out %llu",
	      (unsigned long long)atomic_load(&s.bytes_out));
	CHECK(lsio_sink_stream_next(&s) == 3, "no gating for null");
	s.ops->close(&s);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* --- array ---------------------------------------------------------------- */

/*
 * A 4 x 6 float array filled with NaN:
 *   chunk 0: rows 0-1 whole (direct);
 *   chunk 1: a 2 x 3 chunk at (2, 0);
 *   chunk 2: the (1, 1) 2 x 3 box of a 3 x 4 chunk, at (2, 3);
 * so element (r, c) is r*6+c everywhere; chunk 3 (F order) is left out
 * unless all is set, leaving nothing as NaN.
 */
static void array_job(struct tjob *t)
{
	static const uint64_t shape[] = { 4, 6 };
	float nan = NAN;

	tjob_init(t, LSIO_OUT_ARRAY, 3);
	tjob_array(t, "<f4", 4, 2, shape);
	memcpy(t->job.out.fill, &nan, sizeof(nan));
	t->job.out.fill_is_zero = false;
	tjob_place(t, 0, 'C', (uint64_t[]){ 2, 6 }, (uint64_t[]){ 0, 0 }, NULL,
		   NULL);
	tjob_place(t, 1, 'C', (uint64_t[]){ 2, 3 }, (uint64_t[]){ 2, 0 }, NULL,
		   NULL);
	tjob_place(t, 2, 'C', (uint64_t[]){ 3, 4 }, (uint64_t[]){ 2, 3 },
		   (uint64_t[]){ 1, 1 }, (uint64_t[]){ 2, 3 });
}

static void array_chunk(uint64_t i, float *v, size_t *n)
{
	if (i == 0)
		for (int k = 0; k < 12; k++)
			v[k] = (float)k;
	if (i == 1)
		for (int r = 0; r < 2; r++)
			for (int c = 0; c < 3; c++)
				v[r * 3 + c] = (float)((r + 2) * 6 + c);
	if (i == 2)	/* chunk element (r, c) lands at (r + 1, c + 2) */
		for (int r = 0; r < 3; r++)
			for (int c = 0; c < 4; c++)
				v[r * 4 + c] = (float)((r + 1) * 6 + c + 2);
	*n = (i == 0 ? 12 : i == 1 ? 6 : 12) * sizeof(float);
}

static int array_put_all(struct lsio_sink *s, uint64_t nchunks)
{
	float v[16];
	size_t n;
	int err = 0;

	for (uint64_t i = 0; !err && i < nchunks; i++) {
		uint8_t *d;

		array_chunk(i, v, &n);
		d = s->ops->direct(s, i, n);
		CHECK(!d == (i != 0), "direct() for chunk %llu",
		      (unsigned long long)i);
		if (d)
			memcpy(d, v, n);
		err = s->ops->put(s, i, d ? d : (uint8_t *)v, n);
	}
	return err;
}

static void test_array_commit(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char path[512];
	uint8_t *file;
	size_t len;
	struct tjob t;
	int err;

	array_job(&t);
	path_in_tmp(path, sizeof(path), "a.npy");
	err = lsio_sink_open(ctx, &t.job, path, &s);
	CHECK(!err, "open: %s", lsio_ctx_message(ctx));
	if (err)
		return;
	CHECK(count_prefix(tmp, ".a.npy.lsio-") == 1, "temp file while open");
	CHECK(!exists(path), "no target before commit");
	CHECK(!array_put_all(&s, 2), "put: %s", lsio_ctx_message(ctx));
	CHECK(!s.ops->commit(&s), "commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	CHECK(count_prefix(tmp, ".a.npy.lsio-") == 0, "temp gone after commit");
	CHECK(file_size(path) == 128 + 4 * 6 * 4, "size %ld", file_size(path));
	CHECK(atomic_load(&s.bytes_out) == 18 * 4, "bytes_out");

	file = read_file(path, &len);
	CHECK(len == 224 && !memcmp(file, "\x93NUMPY\x01\x00", 8), "header");
	for (int e = 0; len == 224 && e < 24; e++) {
		float f;

		memcpy(&f, file + 128 + 4 * e, 4);
		if (e >= 15 && e % 6 >= 3)	/* chunk 2 was not put */
			CHECK(isnan(f), "element %d: fill, got %g", e, f);
		else
			CHECK(f == (float)e, "element %d: got %g", e, f);
	}
	free(file);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* The sub-box chunk, a second file over the first (rename replaces). */
static void test_array_replace(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char path[512];
	uint8_t *file;
	size_t len;
	struct tjob t;

	array_job(&t);
	path_in_tmp(path, sizeof(path), "a.npy");
	CHECK(exists(path), "a.npy from the previous test");
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "open");
	CHECK(!array_put_all(&s, 3), "put: %s", lsio_ctx_message(ctx));
	CHECK(!s.ops->commit(&s), "commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	file = read_file(path, &len);
	for (int e = 0; len == 224 && e < 24; e++) {
		float f;

		memcpy(&f, file + 128 + 4 * e, 4);
		CHECK(f == (float)e, "element %d: got %g", e, f);
	}
	CHECK(len == 224, "length %zu", len);
	free(file);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

static void test_array_abort(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char path[512];
	struct tjob t;

	array_job(&t);
	path_in_tmp(path, sizeof(path), "b.npy");
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "open");
	CHECK(!array_put_all(&s, 3), "put");
	s.ops->abort(&s);
	s.ops->abort(&s);	/* idempotent */
	s.ops->close(&s);
	CHECK(!exists(path), "no target after abort");
	CHECK(count_prefix(tmp, ".b.npy.lsio-") == 0, "temp gone after abort");
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

static void test_array_wrong_size(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	const char *want = "chunk 1 ('/data/dir/src.bin'): decoded size 5 bytes, "
			   "placement needs 24 (shape [2, 3] x 4-byte <f4)";
	uint8_t junk[5] = { 0 };
	char path[512];
	struct tjob t;
	int err;

	array_job(&t);
	path_in_tmp(path, sizeof(path), "c.npy");
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "open");
	CHECK(!s.ops->direct(&s, 0, 47), "direct() with the wrong length");
	err = s.ops->put(&s, 1, junk, sizeof(junk));
	CHECK(err == -LSIO_ESIZE, "wrong size: %d", err);
	CHECK(!strcmp(lsio_ctx_message(ctx), want), "message: %s",
	      lsio_ctx_message(ctx));
	s.ops->abort(&s);
	s.ops->close(&s);
	CHECK(!exists(path) && !count_prefix(tmp, ".c.npy"), "nothing left");
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

static void test_array_cannot_create(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char path[512], want[600];
	struct tjob t;
	int err;

	array_job(&t);
	path_in_tmp(path, sizeof(path), "nodir/x.npy");
	err = lsio_sink_open(ctx, &t.job, path, &s);
	snprintf(want, sizeof(want),
		 "cannot create '%s': No such file or directory", path);
	CHECK(err == -LSIO_EOUTPUT, "no directory: %d", err);
	CHECK(!strcmp(lsio_ctx_message(ctx), want), "%s", lsio_ctx_message(ctx));
	s.ops->abort(&s);	/* safe after a failed open */
	s.ops->close(&s);

	memset(&s, 0, sizeof(s));
	err = lsio_sink_open(ctx, &t.job, tmp, &s);
	/* A usage error (exit 2): a directory is never replaced. */
	CHECK(err == -LSIO_EUSAGE && strstr(lsio_ctx_message(ctx), "it is a directory"),
	      "a directory as target: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* Raw format, a 2-byte fill, and an array of 0 elements (npy and raw). */
static void test_array_raw_and_empty(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char path[512];
	uint8_t *file;
	size_t len;
	struct tjob t;

	tjob_init(&t, LSIO_OUT_ARRAY, 0);
	tjob_array(&t, "<u2", 2, 2, (uint64_t[]){ 300, 7 });
	t.job.out.format = LSIO_FMT_RAW;
	t.job.out.fill[0] = 0x34;
	t.job.out.fill[1] = 0x12;
	t.job.out.fill_is_zero = false;
	path_in_tmp(path, sizeof(path), "r.raw");
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "raw open");
	CHECK(!s.ops->commit(&s), "raw commit");
	s.ops->close(&s);
	file = read_file(path, &len);
	CHECK(len == 300 * 7 * 2, "raw size %zu", len);
	for (size_t k = 0; k + 1 < len; k += 2)
		if (file[k] != 0x34 || file[k + 1] != 0x12) {
			CHECK(0, "raw fill at byte %zu", k);
			break;
		}
	free(file);

	tjob_array(&t, "<f8", 8, 2, (uint64_t[]){ 0, 5 });
	memset(&s, 0, sizeof(s));
	path_in_tmp(path, sizeof(path), "e.npy");
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "empty npy open");
	CHECK(!s.ops->commit(&s), "empty npy commit");
	s.ops->close(&s);
	CHECK(file_size(path) == 128, "empty npy: %ld", file_size(path));

	t.job.out.format = LSIO_FMT_RAW;
	memset(&s, 0, sizeof(s));
	path_in_tmp(path, sizeof(path), "e.raw");
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "empty raw open");
	CHECK(!s.ops->commit(&s), "empty raw commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	CHECK(file_size(path) == 0, "empty raw: %ld", file_size(path));
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* Fills longer than the doubling block, with odd and wide item sizes. */
static void test_array_fill(void)
{
	static const struct {
		const char *descr;
		uint32_t size;
		uint64_t n;
	} cases[] = {
		{ "<f8", 8, 1000003 }, { "|V3", 3, 70001 }, { "|V20", 20, 9000 },
		{ "|u1", 1, 5 },
	};
	struct lsio_ctx *ctx = lsio_ctx_new();
	char path[512];

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct lsio_sink s = { 0 };
		uint8_t elem[32] = { 0 }, *file;
		size_t len, bad = SIZE_MAX;
		struct tjob t;

		tjob_init(&t, LSIO_OUT_ARRAY, 0);
		tjob_array(&t, cases[c].descr, cases[c].size, 1, &cases[c].n);
		t.job.out.format = LSIO_FMT_RAW;
		for (int k = 0; k < 16; k++)
			t.job.out.fill[k] = (uint8_t)(k * 37 + 1);
		t.job.out.fill_is_zero = false;
		/* An element wider than fill[] is padded with zeros. */
		memcpy(elem, t.job.out.fill, MIN(cases[c].size, 16));
		path_in_tmp(path, sizeof(path), "fill.raw");
		CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "open");
		CHECK(!s.ops->commit(&s), "commit");
		s.ops->close(&s);
		file = read_file(path, &len);
		CHECK(len == cases[c].n * cases[c].size, "%s: size", cases[c].descr);
		for (size_t k = 0; k < len && bad == SIZE_MAX; k++)
			if (file[k] != elem[k % cases[c].size])
				bad = k;
		CHECK(bad == SIZE_MAX, "%s: fill wrong at byte %zu",
		      cases[c].descr, bad);
		free(file);
		tjob_free(&t);
	}
	unlink(path);
	lsio_ctx_free(ctx);
}

/* direct() only for a whole chunk that is one run of the array, and only
 * where the fill populated the pages. */
static void test_array_direct(void)
{
	static const struct {
		char order;
		uint64_t shape[3], to[3], from[3], count[3];
		bool direct;
	} cases[] = {
		{ 'C', { 1, 4, 5 }, { 2, 0, 0 }, { 0 }, { 1, 4, 5 }, true },
		{ 'C', { 1, 2, 5 }, { 2, 1, 0 }, { 0 }, { 1, 2, 5 }, true },
		{ 'C', { 1, 1, 3 }, { 2, 1, 1 }, { 0 }, { 1, 1, 3 }, true },
		{ 'C', { 2, 2, 5 }, { 2, 1, 0 }, { 0 }, { 2, 2, 5 }, false },
		{ 'C', { 1, 2, 4 }, { 2, 1, 0 }, { 0 }, { 1, 2, 4 }, false },
		{ 'C', { 1, 2, 5 }, { 2, 1, 0 }, { 0, 1, 0 }, { 1, 1, 5 }, false },
		{ 'F', { 1, 2, 5 }, { 2, 1, 0 }, { 0 }, { 1, 2, 5 }, false },
		{ 'F', { 1, 1, 5 }, { 2, 1, 0 }, { 0 }, { 1, 1, 5 }, true },
		{ 'C', { 1, 0, 5 }, { 2, 1, 0 }, { 0 }, { 1, 0, 5 }, false },
	};
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char path[512];
	struct tjob t;

	tjob_init(&t, LSIO_OUT_ARRAY, ARRAY_SIZE(cases));
	tjob_array(&t, "<i4", 4, 3, (uint64_t[]){ 3, 4, 5 });
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++)
		tjob_place(&t, k, cases[k].order, cases[k].shape, cases[k].to,
			   cases[k].from, cases[k].count);
	path_in_tmp(path, sizeof(path), "d.npy");
	/* Fresh pages (zero fill): never direct, a first touch would zero
	 * each page before the decoder overwrites it. */
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "open");
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		const uint64_t *sh = cases[k].shape;

		CHECK(!s.ops->direct(&s, k, sh[0] * sh[1] * sh[2] * 4),
		      "case %zu: direct into fresh pages", k);
	}
	s.ops->abort(&s);
	s.ops->close(&s);

	/* A non-zero fill touched every page: direct where contiguous. */
	t.job.out.fill_is_zero = false;
	memset(t.job.out.fill, 0x7f, sizeof(t.job.out.fill));
	memset(&s, 0, sizeof(s));
	CHECK(!lsio_sink_open(ctx, &t.job, path, &s), "open");
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		const uint64_t *sh = cases[k].shape, *to = cases[k].to;
		size_t n = sh[0] * sh[1] * sh[2] * 4;
		uint8_t *d = s.ops->direct(&s, k, n);
		uint8_t *data = NULL;

		CHECK(!!d == cases[k].direct, "case %zu: direct %p", k, (void *)d);
		if (!d)
			continue;
		/* the address of element to[] in the file */
		data = d - 4 * ((to[0] * 4 + to[1]) * 5 + to[2]);
		CHECK(((uintptr_t)data & 63) == 0, "case %zu: aligned data", k);
	}
	s.ops->abort(&s);
	s.ops->close(&s);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* --- files ---------------------------------------------------------------- */

static void files_job(struct tjob *t, const char *tmpl)
{
	tjob_init(t, LSIO_OUT_FILES, 4);
	t->job.out.name = (char *)tmpl;
	for (uint64_t i = 0; i < 4; i++) {
		t->chunks[i].offset = 100 * i;
		t->chunks[i].length = 10 + i;
	}
	strcpy(t->strings, "own.dat");
	t->job.strings_len = sizeof("own.dat");
	t->chunks[2].name = 0;
}

static int files_put_all(struct lsio_sink *s)
{
	char buf[32];
	int err = 0;

	for (uint64_t i = 4; !err && i-- > 0;) {
		int n = snprintf(buf, sizeof(buf), "chunk %llu",
				 (unsigned long long)i);

		err = s->ops->put(s, i, (uint8_t *)buf, (size_t)n);
	}
	return err;
}

static bool file_is(const char *dir, const char *name, const char *text)
{
	char path[600];
	size_t len;
	uint8_t *p;
	bool same;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p = read_file(path, &len);
	same = len == strlen(text) && !memcmp(p, text, len);
	free(p);
	return same;
}

static void test_files_commit(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char dir[512];
	struct tjob t;

	files_job(&t, "{index}-{source}-{offset}-{length}.bin");
	path_in_tmp(dir, sizeof(dir), "files/");	/* trailing slash */
	CHECK(!lsio_sink_open(ctx, &t.job, dir, &s), "open: %s",
	      lsio_ctx_message(ctx));
	CHECK(count_prefix(dir, ".lsio-") == 1, "temp dir inside");
	CHECK(!files_put_all(&s), "put: %s", lsio_ctx_message(ctx));
	CHECK(count_prefix(dir, "") == 3, "only the temp dir before commit");
	CHECK(!s.ops->commit(&s), "commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	CHECK(count_prefix(dir, ".lsio-") == 0, "temp gone");
	CHECK(file_is(dir, "0-src.bin-0-10.bin", "chunk 0"), "chunk 0");
	CHECK(file_is(dir, "1-src.bin-100-11.bin", "chunk 1"), "chunk 1");
	CHECK(file_is(dir, "own.dat", "chunk 2"), "chunk 2");
	CHECK(file_is(dir, "3-src.bin-300-13.bin", "chunk 3"), "chunk 3");
	CHECK(count_prefix(dir, "") == 6, "four files and . ..");
	CHECK(atomic_load(&s.bytes_out) == 28, "bytes_out");
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* Into an existing directory: other files stay, ours replace old ones. */
static void test_files_existing(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char dir[512], path[600];
	FILE *f;
	struct tjob t;

	files_job(&t, NULL);
	path_in_tmp(dir, sizeof(dir), "old");
	CHECK(!mkdir(dir, 0777), "mkdir");
	snprintf(path, sizeof(path), "%s/keep.txt", dir);
	f = fopen(path, "w");
	fputs("keep", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/0", dir);
	f = fopen(path, "w");
	fputs("old 0", f);
	fclose(f);

	CHECK(!lsio_sink_open(ctx, &t.job, dir, &s), "open");
	CHECK(!files_put_all(&s), "put");
	s.ops->abort(&s);
	s.ops->close(&s);
	CHECK(file_is(dir, "keep.txt", "keep") && file_is(dir, "0", "old 0"),
	      "abort keeps what was there");
	CHECK(count_prefix(dir, "") == 4, "abort adds nothing");

	memset(&s, 0, sizeof(s));
	CHECK(!lsio_sink_open(ctx, &t.job, dir, &s), "open");
	CHECK(!files_put_all(&s), "put");
	CHECK(!s.ops->commit(&s), "commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	CHECK(file_is(dir, "keep.txt", "keep"), "commit keeps other files");
	CHECK(file_is(dir, "0", "chunk 0") && file_is(dir, "1", "chunk 1") &&
		      file_is(dir, "own.dat", "chunk 2") &&
		      file_is(dir, "3", "chunk 3"),
	      "default template, old file replaced");
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

static void test_files_abort(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char dir[512], want[600];
	struct tjob t;
	int err;

	files_job(&t, "{index}");
	path_in_tmp(dir, sizeof(dir), "new");
	CHECK(!lsio_sink_open(ctx, &t.job, dir, &s), "open");
	CHECK(exists(dir), "directory made");
	CHECK(!files_put_all(&s), "put");
	s.ops->abort(&s);
	s.ops->close(&s);
	CHECK(!exists(dir), "abort removes the directory it made");

	path_in_tmp(dir, sizeof(dir), "no/such/dir");
	memset(&s, 0, sizeof(s));
	err = lsio_sink_open(ctx, &t.job, dir, &s);
	snprintf(want, sizeof(want),
		 "cannot create '%s': No such file or directory", dir);
	CHECK(err == -LSIO_EOUTPUT && !strcmp(lsio_ctx_message(ctx), want),
	      "%s", lsio_ctx_message(ctx));
	s.ops->abort(&s);
	s.ops->close(&s);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* A duplicate name (the job parser's to catch) fails, naming the file. */
static void test_files_duplicate(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	char dir[512];
	struct tjob t;
	int err;

	files_job(&t, "same");
	path_in_tmp(dir, sizeof(dir), "dup");
	CHECK(!lsio_sink_open(ctx, &t.job, dir, &s), "open");
	CHECK(!s.ops->put(&s, 0, (const uint8_t *)"a", 1), "first");
	err = s.ops->put(&s, 1, (const uint8_t *)"b", 1);
	CHECK(err == -LSIO_EOUTPUT && strstr(lsio_ctx_message(ctx), "dup/same': File exists"),
	      "duplicate: %s", lsio_ctx_message(ctx));
	s.ops->abort(&s);
	s.ops->close(&s);
	CHECK(!exists(dir), "nothing left");
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* --- stream --------------------------------------------------------------- */

#define STREAM_CHUNKS 3000

static size_t stream_len(uint64_t i)
{
	return (i * 7919) % 3001;	/* some are empty */
}

static void stream_fill(uint64_t i, uint8_t *p)
{
	for (size_t k = 0; k < stream_len(i); k++)
		p[k] = (uint8_t)(i * 131 + k);
}

struct stream_run {
	struct lsio_sink *s;
	_Atomic uint64_t cursor;
	atomic_int failures;
	int fd;			/* the pipe's read end, for the reader */
	uint8_t *got;
	size_t got_len, got_cap;
};

/* A worker as the engine runs one: claim, wait for the window, put. */
static void *stream_worker(void *arg)
{
	struct stream_run *r = arg;
	uint8_t *buf = malloc(3001);
	uint64_t i, seed = (uint64_t)(uintptr_t)&seed;

	while ((i = atomic_fetch_add(&r->cursor, 1)) < STREAM_CHUNKS) {
		while (i >= lsio_sink_stream_next(r->s) + r->s->window)
			sched_yield();
		stream_fill(i, buf);
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		for (uint64_t k = (seed >> 33) % 200; k > 0; k--)
			atomic_signal_fence(memory_order_seq_cst);
		if ((seed >> 40) % 7 == 0)
			sched_yield();
		if (r->s->ops->put(r->s, i, buf, stream_len(i)))
			atomic_fetch_add(&r->failures, 1);
	}
	free(buf);
	return NULL;
}

static void *stream_reader(void *arg)
{
	struct stream_run *r = arg;
	ssize_t n;

	for (;;) {
		if (r->got_cap - r->got_len < 65536) {
			r->got_cap = 2 * r->got_cap + 65536;
			r->got = realloc(r->got, r->got_cap);
		}
		n = read(r->fd, r->got + r->got_len, r->got_cap - r->got_len);
		if (n <= 0)
			break;
		r->got_len += (size_t)n;
	}
	return NULL;
}

static void test_stream_threads(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { .window = 8 };
	struct stream_run r = { .s = &s };
	pthread_t workers[4], reader;
	uint8_t *want = malloc(3001);
	size_t off = 0, total = 0;
	int fds[2];
	struct tjob t;

	tjob_init(&t, LSIO_OUT_STDOUT, STREAM_CHUNKS);
	CHECK(!pipe(fds), "pipe");
	s.stdout_fd = fds[1];
	r.fd = fds[0];
	CHECK(!lsio_sink_open(ctx, &t.job, NULL, &s), "open");
	CHECK(s.window == 8, "preset window kept");
	pthread_create(&reader, NULL, stream_reader, &r);
	for (int k = 0; k < 4; k++)
		pthread_create(&workers[k], NULL, stream_worker, &r);
	for (int k = 0; k < 4; k++)
		pthread_join(workers[k], NULL);
	CHECK(!atomic_load(&r.failures), "puts failed: %s",
	      lsio_ctx_message(ctx));
	CHECK(!s.ops->commit(&s), "commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	close(fds[1]);
	pthread_join(reader, NULL);
	close(fds[0]);

	for (uint64_t i = 0; i < STREAM_CHUNKS; i++)
		total += stream_len(i);
	CHECK(r.got_len == total, "stream length %zu, want %zu", r.got_len,
	      total);
	CHECK(atomic_load(&s.bytes_out) == total, "bytes_out");
	for (uint64_t i = 0; r.got_len == total && i < STREAM_CHUNKS; i++) {
		stream_fill(i, want);
		if (memcmp(r.got + off, want, stream_len(i))) {
			CHECK(0, "chunk %llu out of order",
			      (unsigned long long)i);
			break;
		}
		off += stream_len(i);
	}
	free(r.got);
	free(want);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* Chunks beyond the window (a unit starting at `next` may bring them),
 * a duplicate, and a commit with a chunk missing. */
static void test_stream_edges(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { .window = 2 };
	char name[] = "/tmp/test_sinks_stream.XXXXXX", buf[24];
	uint8_t *got;
	size_t len;
	struct tjob t;
	int fd = mkstemp(name), err;

	tjob_init(&t, LSIO_OUT_STDOUT, 7);
	s.stdout_fd = fd;
	CHECK(!lsio_sink_open(ctx, &t.job, NULL, &s), "open");
	for (uint64_t i = 6; i-- > 0;) {	/* chunk 6 never comes */
		snprintf(buf, sizeof(buf), "<%llu>", (unsigned long long)i);
		CHECK(!s.ops->put(&s, i, (uint8_t *)buf, strlen(buf)),
		      "put %llu: %s", (unsigned long long)i,
		      lsio_ctx_message(ctx));
	}
	CHECK(lsio_sink_stream_next(&s) == 6, "next");
	err = s.ops->put(&s, 3, (const uint8_t *)"x", 1);
	CHECK(err == -LSIO_EOUTPUT, "duplicate: %d", err);
	err = s.ops->commit(&s);
	CHECK(err == -LSIO_EOUTPUT &&
		      !strcmp(lsio_ctx_message(ctx),
			      "only 6 of 7 chunks reached standard output"),
	      "missing chunk: %s", lsio_ctx_message(ctx));
	s.ops->abort(&s);
	s.ops->close(&s);
	got = read_file(name, &len);
	CHECK(len == 18 && !memcmp(got, "<0><1><2><3><4><5>", 18), "order");
	free(got);
	close(fd);
	unlink(name);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* The window's bytes: an early chunk gets room only while what the window
 * holds and has promised fits window_bytes; chunk `next` always passes. */
static void test_stream_budget(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { .window = 8, .window_bytes = 100 };
	char name[] = "/tmp/test_sinks_budget.XXXXXX";
	uint8_t a[90], want[60 + 60 + 90 + 10 + 10];
	size_t res, len, off = 0;
	uint8_t *got;
	struct tjob t;
	int fd = mkstemp(name);

	tjob_init(&t, LSIO_OUT_STDOUT, 5);
	s.stdout_fd = fd;
	CHECK(!lsio_sink_open(ctx, &t.job, NULL, &s), "open");
	CHECK(!lsio_sink_stream_reserve(&s, 1, 60, &res) && res == 60,
	      "room for chunk 1: %zu", res);
	CHECK(lsio_sink_stream_reserve(&s, 2, 60, &res) == -EAGAIN && !res,
	      "none for chunk 2 beside chunk 1's promise");
	CHECK(!s.ops->put(&s, 1, memset(a, '1', 60), 60), "put 1");
	lsio_sink_stream_settle(&s, 60);
	CHECK(lsio_sink_stream_reserve(&s, 2, 60, &res) == -EAGAIN,
	      "none for chunk 2 beside chunk 1's bytes");
	CHECK(!lsio_sink_stream_reserve(&s, 0, 1000, &res) && !res,
	      "the next chunk passes, whatever its size");
	CHECK(!s.ops->put(&s, 0, memset(a, '0', 60), 60), "put 0");
	CHECK(lsio_sink_stream_next(&s) == 2, "0 and 1 written");
	CHECK(!lsio_sink_stream_reserve(&s, 3, 90, &res) && res == 90,
	      "room again once written: %zu", res);
	CHECK(!s.ops->put(&s, 3, memset(a, '3', 90), 90), "put 3");
	lsio_sink_stream_settle(&s, 90);
	CHECK(lsio_sink_stream_reserve(&s, 4, 20, &res) == -EAGAIN,
	      "none for chunk 4 beside chunk 3");
	CHECK(!s.ops->put(&s, 2, memset(a, '2', 10), 10), "put 2");
	CHECK(!s.ops->put(&s, 4, memset(a, '4', 10), 10), "put 4");
	CHECK(!s.ops->commit(&s), "commit: %s", lsio_ctx_message(ctx));
	s.ops->close(&s);
	got = read_file(name, &len);
	for (uint64_t i = 0; i < 5; i++) {
		size_t n = i == 3 ? 90 : i == 2 || i == 4 ? 10 : 60;

		memset(want + off, '0' + (int)i, n);
		off += n;
	}
	CHECK(len == off && !memcmp(got, want, off), "stream: %zu bytes", len);
	free(got);
	close(fd);
	unlink(name);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

/* A reader that went away: an error and a message, not SIGPIPE's death. */
static void test_stream_epipe(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	sigset_t mask, pending;
	struct tjob t;
	int fds[2], err;

	signal(SIGPIPE, SIG_DFL);
	tjob_init(&t, LSIO_OUT_STDOUT, 3);
	CHECK(!pipe(fds), "pipe");
	close(fds[0]);
	s.stdout_fd = fds[1];
	CHECK(!lsio_sink_open(ctx, &t.job, NULL, &s), "open");
	CHECK(!s.ops->put(&s, 1, (const uint8_t *)"later", 5), "buffered");
	err = s.ops->put(&s, 0, (const uint8_t *)"first", 5);
	CHECK(err == -EPIPE, "EPIPE: %d", err);
	CHECK(!strcmp(lsio_ctx_message(ctx),
		      "cannot write to standard output: Broken pipe"),
	      "%s", lsio_ctx_message(ctx));
	CHECK(s.ops->put(&s, 2, (const uint8_t *)"x", 1) == -EPIPE, "sticky");
	CHECK(lsio_sink_stream_next(&s) == 3, "workers not held back");
	CHECK(s.ops->commit(&s) == -EPIPE, "commit fails");
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigpending(&pending);
	CHECK(!sigismember(&mask, SIGPIPE), "signal mask restored");
	CHECK(!sigismember(&pending, SIGPIPE), "no SIGPIPE left pending");
	s.ops->abort(&s);
	s.ops->close(&s);
	close(fds[1]);
	tjob_free(&t);
	lsio_ctx_free(ctx);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_open();
	test_null();
	test_array_commit();
	test_array_replace();
	test_array_abort();
	test_array_wrong_size();
	test_array_cannot_create();
	test_array_raw_and_empty();
	test_array_fill();
	test_array_direct();
	test_files_commit();
	test_files_existing();
	test_files_abort();
	test_files_duplicate();
	test_stream_threads();
	test_stream_edges();
	test_stream_budget();
	test_stream_epipe();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "test_sinks: could not remove %s\n", tmp);
	return unit_done("test_sinks");
}
