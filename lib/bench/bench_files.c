/* SPDX-License-Identifier: MIT */
/*
 * bench_files.c - the data files `lsio bench` reads: written once, reused
 * by every later run that asks for the same shape.
 *
 * Plain files are named DIR/lsio-bench.SIZE.I and hold pseudo-random bytes:
 * any chunk size reads them, and nothing below (a compressing file system,
 * a deduplicating disk) can make them cheaper than real data.
 *
 * Compressed files, DIR/lsio-bench.SIZE.CHUNK.CODEC.I, hold each chunk
 * compressed on its own (like a Zarr chunk), one after the other; their
 * offsets and lengths are in a text sidecar, the same name plus ".idx":
 *
 *	lsio-bench-index 1 CODEC SIZE CHUNK NCHUNKS
 *	OFFSET LENGTH		(one line per chunk)
 *
 * The data is a random walk of float32 values on a 1/16 grid, which
 * compresses about as well as a smooth scientific field.  Every file is
 * written under a temporary name and renamed when complete, so a file (or
 * index) that exists is whole; the index is renamed last.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zstd.h>

#include "bench.h"
#include "util/latency.h"

#define BENCH_BLOCK (1u << 20)	/* write size: big writes, few syscalls */
#define BENCH_ZSTD_LEVEL 3	/* zstd's own default */

static const char *const codec_names[] = { "none", "zstd", "lz4" };

/* Writing state: the file being written, its buffered tail, progress. */
struct writer {
	struct lsio_ctx *ctx;
	const struct lsio_bench_opts *o;
	int fd;
	const char *path;
	uint8_t *buf;		/* BENCH_BLOCK bytes waiting to be written */
	size_t fill;
	uint64_t written;	/* bytes of this file so far */
	uint64_t done, total;	/* bytes of all files to write */
	uint64_t files_done, files_total;
	uint64_t last_ns;	/* last progress call */
	uint64_t rng;
	float walk;		/* the random walk's last value */
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: fast enough to outrun the disk by far. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void fill_random(struct writer *w, uint8_t *p, size_t n)
{
	uint64_t v;

	for (size_t i = 0; i < n; i += 8) {
		v = rng_next(&w->rng);
		memcpy(p + i, &v, MIN(8, n - i));
	}
}

static void fill_field(struct writer *w, uint8_t *p, size_t n)
{
	float f;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		w->walk += (float)((int)(rng_next(&w->rng) % 5) - 2) / 16.0f;
		f = w->walk;
		memcpy(p + i, &f, 4);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)rng_next(&w->rng);
}

static void progress(struct writer *w, bool force)
{
	const struct lsio_bench_opts *o = w->o;
	uint64_t now = lsio_now_ns();

	if (!o->create_progress || (!force && now - w->last_ns < 100000000))
		return;
	w->last_ns = now;
	o->create_progress(o->create_progress_arg, w->done, w->total,
			   w->files_done, w->files_total);
}

static int write_all(struct writer *w, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return lsio_fail(w->ctx, -errno, "cannot write '%s': %s",
					 w->path, strerror(errno));
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int flush(struct writer *w)
{
	int ret = write_all(w, w->buf, w->fill);

	w->fill = 0;
	return ret;
}

/* Append n bytes through the block buffer. */
static int append(struct writer *w, const uint8_t *p, size_t n)
{
	int ret;

	w->written += n;
	while (n) {
		size_t k = MIN(n, BENCH_BLOCK - w->fill);

		memcpy(w->buf + w->fill, p, k);
		w->fill += k;
		p += k;
		n -= k;
		if (w->fill == BENCH_BLOCK && (ret = flush(w)))
			return ret;
	}
	return 0;
}

/* --- names and reuse ------------------------------------------------------ */

static char *file_path(const struct lsio_bench_opts *o, uint32_t i)
{
	char *p;
	int n;

	if (o->codec == LSIO_BENCH_NONE)
		n = asprintf(&p, "%s/lsio-bench.%" PRIu64 ".%u", o->dir,
			     o->file_size, i);
	else
		n = asprintf(&p, "%s/lsio-bench.%" PRIu64 ".%" PRIu64 ".%s.%u",
			     o->dir, o->file_size, o->chunk,
			     codec_names[o->codec], i);
	return n < 0 ? NULL : p;
}

static char *suffixed(const char *path, const char *suffix)
{
	char *p;

	return asprintf(&p, "%s%s", path, suffix) < 0 ? NULL : p;
}

/* mkdir -p: the benchmark directory may be several levels deep. */
static int dir_make(struct lsio_ctx *ctx, const char *dir)
{
	char *p = strdup(dir);
	int ret = 0;

	if (!p)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	for (char *s = p + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			ret = lsio_fail(ctx, -errno, "cannot create directory '%s': %s",
					p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

static bool plain_reusable(const struct lsio_bench_opts *o, const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) &&
	       (uint64_t)st.st_size == o->file_size;
}

/* Read the sidecar index of f; false when it is missing, for other
 * options, or does not describe the data file exactly. */
static bool index_load(const struct lsio_bench_opts *o,
		       struct lsio_bench_file *f, const char *idx)
{
	FILE *in = fopen(idx, "r");
	char codec[16];
	uint64_t size, chunk, n, end = 0;
	struct stat st;
	bool ok = false;

	if (!in)
		return false;
	if (fscanf(in, "lsio-bench-index 1 %15s %" SCNu64 " %" SCNu64 " %" SCNu64,
		   codec, &size, &chunk, &n) != 4 ||
	    strcmp(codec, codec_names[o->codec]) || size != o->file_size ||
	    chunk != o->chunk || n != lsio_bench_chunks_per_file(size, chunk))
		goto out;
	f->spans = malloc(n * sizeof(*f->spans));
	if (!f->spans)
		goto out;
	for (f->nspans = 0; f->nspans < n; f->nspans++) {
		struct lsio_bench_span *s = &f->spans[f->nspans];

		if (fscanf(in, "%" SCNu64 " %" SCNu64, &s->off, &s->len) != 2 ||
		    s->off != end || !s->len)
			goto out;
		end += s->len;
	}
	ok = !stat(f->path, &st) && (uint64_t)st.st_size == end;
out:
	if (!ok) {
		free(f->spans);
		f->spans = NULL;
		f->nspans = 0;
	}
	fclose(in);
	return ok;
}

/* --- writing ----------------------------------------------------------- */

/* One compressed chunk; the caller passes room for the bound. */
static int compress_chunk(struct writer *w, const uint8_t *src, size_t n,
			  uint8_t *dst, size_t cap, size_t *out)
{
	if (w->o->codec == LSIO_BENCH_ZSTD) {
		*out = ZSTD_compress(dst, cap, src, n, BENCH_ZSTD_LEVEL);
		if (ZSTD_isError(*out))
			return lsio_fail(w->ctx, -LSIO_EDATA, "zstd: %s",
					 ZSTD_getErrorName(*out));
	} else {
		LZ4F_preferences_t prefs = { 0 };

		/* The size in the frame lets the decoder size its output. */
		prefs.frameInfo.contentSize = n;
		*out = LZ4F_compressFrame(dst, cap, src, n, &prefs);
		if (LZ4F_isError(*out))
			return lsio_fail(w->ctx, -LSIO_EDATA, "lz4: %s",
					 LZ4F_getErrorName(*out));
	}
	return 0;
}

static size_t compress_bound(const struct lsio_bench_opts *o, size_t n)
{
	LZ4F_preferences_t prefs = { 0 };

	prefs.frameInfo.contentSize = n;
	if (o->codec == LSIO_BENCH_ZSTD)
		return ZSTD_compressBound(n);
	return LZ4F_compressFrameBound(n, &prefs);
}

static int write_plain(struct writer *w)
{
	uint64_t left = w->o->file_size;
	int ret;

	while (left) {
		size_t n = (size_t)MIN(left, BENCH_BLOCK);

		if (lsio_canceled(w->ctx))
			return lsio_fail(w->ctx, -LSIO_ECANCELED, "interrupted");
		fill_random(w, w->buf, n);
		w->fill = n;
		ret = flush(w);
		if (ret)
			return ret;
		left -= n;
		w->done += n;
		progress(w, false);
	}
	return 0;
}

/* Compress chunk after chunk; spans receives each one's place. */
static int write_compressed(struct writer *w, struct lsio_bench_file *f)
{
	const struct lsio_bench_opts *o = w->o;
	size_t cap = compress_bound(o, (size_t)o->chunk);
	uint8_t *raw = malloc((size_t)o->chunk), *z = malloc(cap);
	uint64_t n = lsio_bench_chunks_per_file(o->file_size, o->chunk);
	int ret = 0;

	f->spans = calloc(n, sizeof(*f->spans));
	if (!raw || !z || !f->spans)
		ret = lsio_fail(w->ctx, -ENOMEM, "out of memory");
	for (uint64_t k = 0; k < n && !ret; k++) {
		size_t len = (size_t)MIN(o->chunk, o->file_size - k * o->chunk);
		size_t zlen;

		if (lsio_canceled(w->ctx)) {
			ret = lsio_fail(w->ctx, -LSIO_ECANCELED, "interrupted");
			break;
		}
		fill_field(w, raw, len);
		ret = compress_chunk(w, raw, len, z, cap, &zlen);
		if (!ret) {
			f->spans[k] = (struct lsio_bench_span){ w->written, zlen };
			f->nspans = k + 1;
			ret = append(w, z, zlen);
		}
		w->done += len;
		progress(w, false);
	}
	if (!ret)
		ret = flush(w);
	free(raw);
	free(z);
	return ret;
}

static int index_write(struct writer *w, const struct lsio_bench_file *f,
		       const char *tmp)
{
	const struct lsio_bench_opts *o = w->o;
	FILE *out = fopen(tmp, "w");
	int bad;

	if (!out)
		return lsio_fail(w->ctx, -errno, "cannot create '%s': %s", tmp,
				 strerror(errno));
	fprintf(out, "lsio-bench-index 1 %s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		codec_names[o->codec], o->file_size, o->chunk, f->nspans);
	for (uint64_t k = 0; k < f->nspans; k++)
		fprintf(out, "%" PRIu64 " %" PRIu64 "\n", f->spans[k].off,
			f->spans[k].len);
	bad = ferror(out);
	if (fclose(out) || bad)
		return lsio_fail(w->ctx, -EIO, "cannot write '%s'", tmp);
	return 0;
}

/* Write f (and its index) under temporary names, then rename: data first,
 * the index last, so an index always describes a whole file. */
static int file_create(struct writer *w, struct lsio_bench_file *f,
		       uint32_t i)
{
	char sfx[32];
	char *tmp, *idx = NULL, *idx_tmp = NULL;
	int ret;

	snprintf(sfx, sizeof(sfx), ".tmp.%ld", (long)getpid());
	tmp = suffixed(f->path, sfx);
	if (w->o->codec != LSIO_BENCH_NONE) {
		idx = suffixed(f->path, ".idx");
		idx_tmp = idx ? suffixed(idx, sfx) : NULL;
	}
	if (!tmp || (w->o->codec != LSIO_BENCH_NONE && !idx_tmp)) {
		ret = lsio_fail(w->ctx, -ENOMEM, "out of memory");
		goto out;
	}
	w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		ret = lsio_fail(w->ctx, -errno, "cannot create '%s': %s", tmp,
				strerror(errno));
		goto out;
	}
	w->path = tmp;
	w->written = w->fill = 0;
	w->rng = 0x9E3779B97F4A7C15ull * (i + 1);
	w->walk = (float)i;
	ret = idx ? write_compressed(w, f) : write_plain(w);
	if (close(w->fd) && !ret)
		ret = lsio_fail(w->ctx, -errno, "cannot write '%s': %s", tmp,
				strerror(errno));
	if (!ret && idx)
		ret = index_write(w, f, idx_tmp);
	if (!ret && rename(tmp, f->path))
		ret = lsio_fail(w->ctx, -errno, "cannot rename '%s': %s", tmp,
				strerror(errno));
	if (!ret && idx && rename(idx_tmp, idx))
		ret = lsio_fail(w->ctx, -errno, "cannot rename '%s': %s",
				idx_tmp, strerror(errno));
out:
	if (ret) {
		if (tmp)
			unlink(tmp);
		if (idx_tmp)
			unlink(idx_tmp);
	}
	free(tmp);
	free(idx);
	free(idx_tmp);
	return ret;
}

/* Names every file and marks (in todo) those that must be written. */
static int set_survey(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		      struct lsio_bench_set *set, bool *todo)
{
	for (uint32_t i = 0; i < set->n; i++) {
		struct lsio_bench_file *f = &set->files[i];
		char *idx;

		f->path = file_path(o, i);
		if (!f->path)
			return lsio_fail(ctx, -ENOMEM, "out of memory");
		if (o->codec == LSIO_BENCH_NONE) {
			todo[i] = !plain_reusable(o, f->path);
			continue;
		}
		idx = suffixed(f->path, ".idx");
		if (!idx)
			return lsio_fail(ctx, -ENOMEM, "out of memory");
		todo[i] = !index_load(o, f, idx);
		free(idx);
	}
	return 0;
}

static int set_write(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		     struct lsio_bench_set *set, const bool *todo)
{
	struct writer w = { .ctx = ctx, .o = o, .fd = -1 };
	int ret = 0;

	for (uint32_t i = 0; i < set->n; i++)
		w.files_total += todo[i];
	if (!w.files_total)
		return 0;
	w.total = w.files_total * o->file_size;
	w.buf = malloc(BENCH_BLOCK);
	if (!w.buf)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < set->n && !ret; i++) {
		if (!todo[i])
			continue;
		ret = file_create(&w, &set->files[i], i);
		w.files_done++;
		set->created += !ret;
	}
	if (!ret)
		progress(&w, true);
	free(w.buf);
	return ret;
}

int lsio_bench_set_prepare(struct lsio_ctx *ctx,
			   const struct lsio_bench_opts *o,
			   struct lsio_bench_set *set)
{
	bool *todo;
	int ret;

	memset(set, 0, sizeof(*set));
	ret = dir_make(ctx, o->dir);
	if (ret)
		return ret;
	set->files = calloc(o->files, sizeof(*set->files));
	todo = calloc(o->files, sizeof(*todo));
	if (!set->files || !todo) {
		free(todo);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	set->n = o->files;
	ret = set_survey(ctx, o, set, todo);
	if (!ret)
		ret = set_write(ctx, o, set, todo);
	free(todo);
	return ret;
}

void lsio_bench_set_release(struct lsio_bench_set *set)
{
	for (uint32_t i = 0; set->files && i < set->n; i++) {
		free(set->files[i].path);
		free(set->files[i].spans);
	}
	free(set->files);
	memset(set, 0, sizeof(*set));
}
