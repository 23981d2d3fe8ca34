/* SPDX-License-Identifier: MIT */
/*
 * bench.c - lsio_bench_run(): a job built from an access pattern over the
 * files of bench_files.c, run repeat times through the public API only
 * (lsio_job_load_string, lsio_run), so the figures are what any caller of
 * the library gets; then min/median/max of each measure.
 *
 * Wall and CPU time are taken around lsio_run(): planning (stat, the page
 * cache probe of --direct auto) is part of what a caller pays.  Dropping
 * the page cache (cold runs) is not.
 *
 * A cold run drops the pages of its own files only, as fio's invalidate=1
 * does: on a shared node the rest of the page cache is other people's.
 * Dropping all of it (drop_caches) is there for who asks, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "util/latency.h"
#include "plan/pagecache.h"

#define GIB 1073741824.0

void lsio_bench_opts_init(struct lsio_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->files = 8;
	o->file_size = 64ull << 20;
	o->chunk = 256u << 10;
	o->pattern = LSIO_BENCH_SEQ;
	o->codec = LSIO_BENCH_NONE;
	o->seed = 1;
	o->repeat = 1;
	lsio_options_init(&o->run, sizeof(o->run));
}

/* Chunks per file: on the chunk grid, or the compressed file's index. */
static uint64_t file_chunks(const struct lsio_bench_opts *o)
{
	return lsio_bench_chunks_per_file(o->file_size, o->chunk);
}

static int opts_check(struct lsio_ctx *ctx, const struct lsio_bench_opts *o)
{
	uint64_t total;

	if (!o->dir || !*o->dir)
		return lsio_fail(ctx, -LSIO_EUSAGE, "a directory for the files is needed");
	if (!o->files || !o->file_size || !o->chunk)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "files, file size and chunk size must be at least 1");
	if (o->repeat < 1)
		return lsio_fail(ctx, -LSIO_EUSAGE, "repeat must be at least 1");
	if (o->pattern < LSIO_BENCH_SEQ || o->pattern > LSIO_BENCH_STRIDED ||
	    o->codec < LSIO_BENCH_NONE || o->codec > LSIO_BENCH_LZ4)
		return lsio_fail(ctx, -LSIO_EUSAGE, "unknown pattern or codec");
	if (o->codec != LSIO_BENCH_NONE && o->chunk > (1ull << 31))
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "compressed chunks are at most 2 GiB");
	if (o->codec != LSIO_BENCH_NONE && o->pattern == LSIO_BENCH_STRIDED &&
	    o->gap % o->chunk)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "compressed files are read chunk by chunk: the gap (%" PRIu64 ") must be a multiple of the chunk size (%" PRIu64 ")",
				 o->gap, o->chunk);
	if (!lsio_mul_ok(file_chunks(o), o->files, &total))
		return lsio_fail(ctx, -LSIO_EUSAGE, "too many chunks");
	if (o->pattern == LSIO_BENCH_RAND && o->count > total)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "%" PRIu64 " random chunks asked for, but the files hold %" PRIu64 " distinct ones",
				 o->count, total);
	return 0;
}

/* --- the chunk list ------------------------------------------------------- */

struct bench_chunk {
	uint32_t file;
	uint64_t off, len;
};

struct chunk_list {
	struct bench_chunk *c;
	uint64_t n, cap;
};

static int list_add(struct chunk_list *l, uint32_t file, uint64_t off,
		    uint64_t len)
{
	if (l->n == l->cap) {
		uint64_t cap = l->cap ? 2 * l->cap : 1024;
		struct bench_chunk *c = realloc(l->c, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		l->c = c;
		l->cap = cap;
	}
	l->c[l->n++] = (struct bench_chunk){ file, off, len };
	return 0;
}

/* Chunk k of file f: on the grid, or where the index puts it. */
static int add_kth(struct chunk_list *l, const struct lsio_bench_opts *o,
		   const struct lsio_bench_set *set, uint32_t f, uint64_t k)
{
	const struct lsio_bench_file *bf = &set->files[f];
	uint64_t off = k * o->chunk;

	if (bf->spans)
		return list_add(l, f, bf->spans[k].off, bf->spans[k].len);
	return list_add(l, f, off, MIN(o->chunk, o->file_size - off));
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void shuffle(uint64_t *v, uint64_t n, uint64_t *rng)
{
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = splitmix(rng) % i, t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* n distinct numbers below total, in random order: draw, sort, drop
 * duplicates, draw again for the missing ones.  When n is most of total,
 * shuffling all of them is cheaper than rejecting. */
static uint64_t *sample_distinct(uint64_t total, uint64_t n, uint64_t seed)
{
	uint64_t have = 0, rng = seed;
	uint64_t *v = malloc((total / 2 < n ? total : n) * sizeof(*v) + 8);

	if (!v)
		return NULL;
	if (total / 2 < n) {
		for (uint64_t i = 0; i < total; i++)
			v[i] = i;
		shuffle(v, total, &rng);
		return v;
	}
	while (have < n) {
		uint64_t k = 0;

		while (have < n)
			v[have++] = splitmix(&rng) % total;
		qsort(v, have, sizeof(*v), u64_cmp);
		for (uint64_t i = 0; i < have; i++)
			if (!k || v[i] != v[k - 1])
				v[k++] = v[i];
		have = k;
	}
	shuffle(v, n, &rng);
	return v;
}

static int chunks_rand(struct chunk_list *l, const struct lsio_bench_opts *o,
		       const struct lsio_bench_set *set)
{
	uint64_t per = file_chunks(o), total = per * o->files;
	uint64_t n = o->count ? o->count : total;
	uint64_t *pick = sample_distinct(total, n, o->seed);
	int ret = pick ? 0 : -ENOMEM;

	for (uint64_t i = 0; i < n && !ret; i++)
		ret = add_kth(l, o, set, (uint32_t)(pick[i] / per), pick[i] % per);
	free(pick);
	return ret;
}

/* seq is strided with no gap. */
static int chunks_strided(struct chunk_list *l, const struct lsio_bench_opts *o,
			  const struct lsio_bench_set *set, uint64_t gap)
{
	uint64_t per = file_chunks(o);
	int ret = 0;

	for (uint32_t f = 0; f < o->files && !ret; f++) {
		if (set->files[f].spans) {
			for (uint64_t k = 0; k < per && !ret; k += 1 + gap / o->chunk)
				ret = add_kth(l, o, set, f, k);
			continue;
		}
		for (uint64_t off = 0; off < o->file_size && !ret;
		     off += o->chunk + gap)
			ret = list_add(l, f, off, MIN(o->chunk, o->file_size - off));
	}
	return ret;
}

/* --- the job text --------------------------------------------------------- */

/* A path as a JSON string (the directory may hold any byte), made once
 * per file rather than once per chunk. */
static char *json_str(const char *s)
{
	struct lsio_strbuf b = { 0 };

	lsio_strbuf_printf(&b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			lsio_strbuf_printf(&b, "\\%c", c);
		else if (c < 0x20)
			lsio_strbuf_printf(&b, "\\u%04x", c);
		else
			lsio_strbuf_printf(&b, "%c", c);
	}
	lsio_strbuf_printf(&b, "\"");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static const char *codec_stages(int codec)
{
	switch (codec) {
	case LSIO_BENCH_ZSTD:
		return "[\"zstd\"]";
	case LSIO_BENCH_LZ4:
		return "[{\"codec\": \"lz4\", \"format\": \"frame\"}]";
	}
	return "[]";
}

static char *job_text(const struct lsio_bench_opts *o,
		      const struct lsio_bench_set *set,
		      const struct chunk_list *l)
{
	struct lsio_strbuf b = { 0 };
	char **src = calloc(set->n, sizeof(*src));

	b.oom = !src;
	for (uint32_t f = 0; !b.oom && f < set->n; f++)
		b.oom = !(src[f] = json_str(set->files[f].path));
	lsio_strbuf_printf(&b, "{\"lsio\": 1, \"output\": {\"type\": \"null\"},\n"
		   " \"defaults\": {\"stages\": %s},\n \"chunks\": [",
	       codec_stages(o->codec));
	for (uint64_t i = 0; i < l->n && !b.oom; i++)
		lsio_strbuf_printf(&b, "%s\n  {\"source\": %s, \"offset\": %" PRIu64
			   ", \"length\": %" PRIu64 "}", i ? "," : "",
		       src[l->c[i].file], l->c[i].off, l->c[i].len);
	lsio_strbuf_printf(&b, "\n]}\n");
	for (uint32_t f = 0; src && f < set->n; f++)
		free(src[f]);
	free(src);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int job_build(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		     const struct lsio_bench_set *set, struct lsio_job **job)
{
	struct chunk_list l = { 0 };
	char *text = NULL;
	int ret;

	if (o->pattern == LSIO_BENCH_RAND)
		ret = chunks_rand(&l, o, set);
	else
		ret = chunks_strided(&l, o, set,
				     o->pattern == LSIO_BENCH_STRIDED ? o->gap : 0);
	if (!ret) {
		text = job_text(o, set, &l);
		ret = text ? 0 : -ENOMEM;
	}
	free(l.c);
	if (ret) {
		free(text);
		return lsio_fail(ctx, ret, "out of memory building the job");
	}
	ret = lsio_job_load_string(ctx, text, "<bench>", job);
	free(text);
	return ret;
}

/* --- runs ------------------------------------------------------------------- */

static int cold_check(struct lsio_ctx *ctx, const struct lsio_bench_opts *o)
{
	if (o->cold < LSIO_BENCH_WARM || o->cold > LSIO_BENCH_COLD_SYSTEM)
		return lsio_fail(ctx, -LSIO_EUSAGE, "unknown cold mode %d", o->cold);
	if (o->cold == LSIO_BENCH_COLD_SYSTEM && geteuid() != 0)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "dropping the whole page cache needs root (/proc/sys/vm/drop_caches)");
	return 0;
}

/* Write back, then drop, one file's pages: only clean pages are dropped.
 * Returns 1 when some stay cached (tmpfs has nowhere else to keep them;
 * another process may map or lock them), 0, or a negative error. */
static int file_drop(struct lsio_ctx *ctx, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || fdatasync(fd))
		err = errno;
	else
		err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (!err && lsio_range_cached(fd, 0, (uint64_t)st.st_size) != LSIO_CACHED_NONE)
		err = -1;
	if (fd >= 0)
		close(fd);
	if (err > 0)
		return lsio_fail(ctx, -err, "cannot drop '%s' from the page cache: %s",
				 path, strerror(err));
	return err ? 1 : 0;
}

static int files_drop(struct lsio_ctx *ctx, const struct lsio_bench_set *set,
		      bool *warned)
{
	for (uint32_t i = 0; i < set->n; i++) {
		int ret = file_drop(ctx, set->files[i].path);

		if (ret < 0)
			return ret;
		if (ret && !*warned)
			lsio_warn(ctx, "cold run: '%s' is still partly in the page cache after POSIX_FADV_DONTNEED (tmpfs, or mapped or locked by another process): runs may be warm",
				  set->files[i].path);
		*warned |= ret;
	}
	return 0;
}

/* Write back dirty pages first: drop_caches only drops clean ones. */
static int cache_drop(struct lsio_ctx *ctx)
{
	int fd, err = 0;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err)
		return lsio_fail(ctx, -err, "cannot drop the page cache: '/proc/sys/vm/drop_caches': %s",
				 strerror(err));
	return 0;
}

static int run_once(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		    const struct lsio_bench_set *set, const struct lsio_job *job,
		    struct lsio_bench_sample *s, bool *warned)
{
	double t0, c0;
	int ret = 0;

	if (o->cold == LSIO_BENCH_COLD)
		ret = files_drop(ctx, set, warned);
	else if (o->cold == LSIO_BENCH_COLD_SYSTEM)
		ret = cache_drop(ctx);
	if (ret)
		return ret;
	t0 = lsio_now_seconds();
	c0 = lsio_cpu_seconds();
	s->stats.size = sizeof(s->stats);
	ret = lsio_run(ctx, job, &o->run, &s->stats);
	s->wall_seconds = lsio_now_seconds() - t0;
	s->cpu_seconds = lsio_cpu_seconds() - c0;
	return ret;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* min/median/max of one measure, taken from each sample by get; v has
 * room for every run. */
static void range_of(const struct lsio_bench_result *r, double *v,
		     double (*get)(const struct lsio_bench_sample *, int),
		     int arg, struct lsio_bench_range *out)
{
	int n = r->runs;

	for (int i = 0; i < n; i++)
		v[i] = get(&r->samples[i], arg);
	qsort(v, (size_t)n, sizeof(v[0]), dbl_cmp);
	out->min = v[0];
	out->max = v[n - 1];
	out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double wall_of(const struct lsio_bench_sample *s, int arg)
{
	return s->wall_seconds;
}

static double secs(const struct lsio_bench_sample *s)
{
	return s->wall_seconds > 0 ? s->wall_seconds : 1e-9;
}

static double gib_of(const struct lsio_bench_sample *s, int arg)
{
	return (double)s->stats.bytes_out / GIB / secs(s);
}

static double read_gib_of(const struct lsio_bench_sample *s, int arg)
{
	return (double)s->stats.bytes_read / GIB / secs(s);
}

static double iops_of(const struct lsio_bench_sample *s, int arg)
{
	return (double)s->stats.chunks / secs(s);
}

static double cpu_of(const struct lsio_bench_sample *s, int arg)
{
	return s->cpu_seconds;
}

static double latency_of(const struct lsio_bench_sample *s, int q)
{
	return s->stats.latency[q];
}

static int summarise(struct lsio_ctx *ctx, struct lsio_bench_result *r)
{
	double *v = malloc((size_t)r->runs * sizeof(*v));
	struct rusage ru;

	if (!v)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	range_of(r, v, wall_of, 0, &r->wall_seconds);
	range_of(r, v, gib_of, 0, &r->gib_per_s);
	range_of(r, v, read_gib_of, 0, &r->read_gib_per_s);
	range_of(r, v, iops_of, 0, &r->iops);
	range_of(r, v, cpu_of, 0, &r->cpu_seconds);
	for (int q = 0; q < 4; q++)
		range_of(r, v, latency_of, q, &r->latency[q]);
	free(v);
	r->chunks = r->samples[0].stats.chunks;
	r->bytes_decoded = r->samples[0].stats.bytes_out;
	getrusage(RUSAGE_SELF, &ru);
	r->peak_rss = (uint64_t)ru.ru_maxrss * 1024;	/* KiB on Linux */
	return 0;
}

int lsio_bench_run(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		   struct lsio_bench_result *res)
{
	struct lsio_bench_set set;
	struct lsio_job *job = NULL;
	bool warned = false;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = opts_check(ctx, o);
	if (!ret)
		ret = cold_check(ctx, o);
	if (ret)
		return ret;
	res->samples = calloc((size_t)o->repeat, sizeof(*res->samples));
	if (!res->samples)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	ret = lsio_bench_set_prepare(ctx, o, &set);
	res->files_created = set.created;
	if (!ret)
		ret = job_build(ctx, o, &set, &job);
	for (int i = 0; !ret && i < o->repeat; i++) {
		ret = run_once(ctx, o, &set, job, &res->samples[i], &warned);
		res->runs += !ret;
	}
	if (!ret)
		ret = summarise(ctx, res);
	lsio_job_free(job);
	lsio_bench_set_release(&set);
	return ret;
}

void lsio_bench_result_release(struct lsio_bench_result *res)
{
	free(res->samples);
	res->samples = NULL;
	res->runs = 0;
}

int lsio_bench_prepare(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		       char ***paths)
{
	struct lsio_bench_set set;
	size_t bytes = 0;
	char **v, *s;
	int ret = opts_check(ctx, o);

	if (!ret)
		ret = lsio_bench_set_prepare(ctx, o, &set);
	if (ret || !paths) {
		if (!ret)
			lsio_bench_set_release(&set);
		return ret;
	}
	for (uint32_t i = 0; i < set.n; i++)
		bytes += strlen(set.files[i].path) + 1;
	v = malloc((set.n + 1) * sizeof(*v) + bytes);
	if (!v) {
		lsio_bench_set_release(&set);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	s = (char *)(v + set.n + 1);
	for (uint32_t i = 0; i < set.n; i++) {
		v[i] = strcpy(s, set.files[i].path);
		s += strlen(s) + 1;
	}
	v[set.n] = NULL;
	*paths = v;
	lsio_bench_set_release(&set);
	return 0;
}
