/* SPDX-License-Identifier: MIT */
/*
 * cmd_bench.c - `lsio bench`: a synthetic workload without a job file, in
 * the spirit of fio and `zstd -b`.  Parses options and prints; the work is
 * lsio_bench_run() in the library.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define BENCH_DIR_DEFAULT "/var/tmp/lsio-bench"

enum { OPT_DIR = 2000, OPT_FILES, OPT_FILE_SIZE, OPT_CHUNK, OPT_PATTERN,
       OPT_COUNT, OPT_SEED, OPT_COMPRESS, OPT_COLD, OPT_DROP_CACHES, OPT_REPEAT,
       OPT_CREATE_ONLY };

static const struct cmd_option bench_own[] = {
	{ "dir", required_argument, OPT_DIR, "DIR",
	  "where the files live (default $LSIO_BENCH_DIR, else\n"
	  BENCH_DIR_DEFAULT "); not tmpfs if disks are the point" },
	{ "files", required_argument, OPT_FILES, "N", "number of files (default 8)" },
	{ "file-size", required_argument, OPT_FILE_SIZE, "SIZE",
	  "bytes per file, before compression (default 64MiB)" },
	{ "chunk", required_argument, OPT_CHUNK, "SIZE",
	  "bytes per chunk, before compression (default 256KiB)" },
	{ "pattern", required_argument, OPT_PATTERN, "P",
	  "seq: every chunk in order (default); rand: distinct\n"
	  "chunk-aligned chunks in random order; strided:GAP: a\n"
	  "chunk, GAP bytes skipped, a chunk ... in each file" },
	{ "count", required_argument, OPT_COUNT, "N",
	  "rand: chunks to read (default: as many as seq)" },
	{ "seed", required_argument, OPT_SEED, "N",
	  "rand: the same seed reads the same chunks (default 1)" },
	{ "compress", required_argument, OPT_COMPRESS, "CODEC",
	  "none (default), zstd or lz4: each chunk compressed on\n"
	  "its own, offsets in a sidecar index; runs decode them" },
	{ "cold", no_argument, OPT_COLD, NULL,
	  "drop the files' pages from the page cache before each\n"
	  "run (fsync, then POSIX_FADV_DONTNEED, as fio does)" },
	{ "drop-caches", no_argument, OPT_DROP_CACHES, NULL,
	  "drop the whole machine's page cache before each run\n"
	  "(root only; everyone's cache goes)" },
	{ "repeat", required_argument, OPT_REPEAT, "N",
	  "run N times; report min, median and max (default 1)" },
	{ "json", no_argument, OPT_JSON, NULL, "print the result as JSON" },
	{ "create-only", no_argument, OPT_CREATE_ONLY, NULL,
	  "write (or check) the files, print their paths, stop" },
	{ "quiet", no_argument, 'q', NULL, "no progress bar while files are written" },
	{ NULL }
};

/* Not the remote options: bench reads local files only. */
static const struct cmd_option *const bench_tables[] = {
	bench_own, cmd_tuning_options, cmd_help_options, NULL
};

static const struct cmd_command bench_command = {
	.name = "bench",
	.usage =
	"usage: lsio bench [--dir DIR] [--files N] [--file-size SIZE] [--chunk SIZE]\n"
	"                  [--pattern seq|rand|strided:GAP] [--count N] [--seed N]\n"
	"                  [--compress none|zstd|lz4] [--cold | --drop-caches]\n"
	"                  [--repeat N] [--json] [--create-only] [options]\n"
	"\n"
	"Read synthetic files the way a job would and report throughput, IOPS,\n"
	"chunk latency, CPU time and peak memory.  The files are written once and\n"
	"reused by later runs that ask for the same file size (and, compressed,\n"
	"the same chunk size and codec).\n",
	.tables = bench_tables,
	.after =
	"Files: DIR/lsio-bench.SIZE.I (random bytes) or DIR/lsio-bench.SIZE.CHUNK.CODEC.I\n"
	"with its index I.idx.  Times include planning (what a caller of lsio_run\n"
	"pays), not the dropping of the cache.\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 usage error (also\n"
	"--drop-caches without root), 128+N stopped by signal N.\n",
};

struct bench_cli {
	struct cmd_common c;
	struct lsio_bench_opts o;
	bool create_only;
};

static int parse_u64(const char *name, const char *arg, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || *arg == '-' || v < min || v > max)
		return cmd_usage_error("bench", "--%s: expected a whole number from %" PRIu64 " to %" PRIu64 ", got '%s'",
				       name, min, max, arg);
	*out = v;
	return 0;
}

static int parse_sz(const char *name, const char *arg, uint64_t *out)
{
	if (lsio_parse_size(arg, out) || !*out)
		return cmd_usage_error("bench", "--%s: expected a size such as 4096, 256KiB or 1GiB, got '%s'",
				       name, arg);
	return 0;
}

static int parse_pattern(const char *arg, struct lsio_bench_opts *o)
{
	if (!strcmp(arg, "seq")) {
		o->pattern = LSIO_BENCH_SEQ;
	} else if (!strcmp(arg, "rand")) {
		o->pattern = LSIO_BENCH_RAND;
	} else if (!strncmp(arg, "strided:", 8) &&
		   !lsio_parse_size(arg + 8, &o->gap)) {
		o->pattern = LSIO_BENCH_STRIDED;
	} else {
		return cmd_usage_error("bench", "--pattern: expected seq, rand or strided:GAP (e.g. strided:64KiB), got '%s'",
				       arg);
	}
	return 0;
}

static int parse_codec(const char *arg, struct lsio_bench_opts *o)
{
	static const char *const names[] = { "none", "zstd", "lz4" };

	for (int i = 0; i < 3; i++) {
		if (!strcmp(arg, names[i])) {
			o->codec = i;
			return 0;
		}
	}
	return cmd_usage_error("bench", "--compress: expected none, zstd or lz4, got '%s'", arg);
}

/* One bench-specific option; 1 when opt is not one of them. */
static int bench_option(struct bench_cli *b, int opt, const char *arg)
{
	struct lsio_bench_opts *o = &b->o;
	uint64_t v;
	int ret;

	switch (opt) {
	case OPT_DIR:
		o->dir = arg;
		return 0;
	case OPT_FILES:
		ret = parse_u64("files", arg, 1, 1000000, &v);
		o->files = (uint32_t)v;
		return ret;
	case OPT_FILE_SIZE:
		return parse_sz("file-size", arg, &o->file_size);
	case OPT_CHUNK:
		return parse_sz("chunk", arg, &o->chunk);
	case OPT_PATTERN:
		return parse_pattern(arg, o);
	case OPT_COUNT:
		return parse_u64("count", arg, 1, UINT64_MAX, &o->count);
	case OPT_SEED:
		return parse_u64("seed", arg, 0, UINT64_MAX, &o->seed);
	case OPT_COMPRESS:
		return parse_codec(arg, o);
	case OPT_COLD:
		if (o->cold == LSIO_BENCH_WARM)
			o->cold = LSIO_BENCH_COLD;
		return 0;
	case OPT_DROP_CACHES:
		o->cold = LSIO_BENCH_COLD_SYSTEM;
		return 0;
	case OPT_REPEAT:
		ret = parse_u64("repeat", arg, 1, 100000, &v);
		o->repeat = (int)v;
		return ret;
	case OPT_CREATE_ONLY:
		b->create_only = true;
		return 0;
	}
	return 1;
}

/* Returns -1 to go on, or an exit code. */
static int bench_options(int argc, char **argv, struct bench_cli *b)
{
	struct cmd_parser p;
	int opt, ret;

	cmd_parser_init(&p, &bench_command, argc, argv);
	while ((opt = cmd_getopt(&p)) != -1) {
		switch (opt) {
		case OPT_JSON:
			b->c.json = true;
			break;
		case 'h':
			return cmd_help(&bench_command);
		case '?':
			return LSIO_EXIT_USAGE;
		default:
			ret = bench_option(b, opt, optarg);
			if (ret == 1)
				ret = cmd_common_option(&p, &b->c, opt, optarg);
			if (ret)
				return LSIO_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cmd_usage_error("bench", "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* --- printing --------------------------------------------------------------- */

/* One measure: its median, then min and max when there are several runs;
 * prec digits after the point. */
static void print_row(const char *name, const struct lsio_bench_range *r,
		      double scale, int prec, int runs)
{
	printf("  %-18s%12.*f", name, prec, r->median * scale);
	if (runs > 1)
		printf("%12.*f%12.*f", prec, r->min * scale, prec, r->max * scale);
	putchar('\n');
}

static void print_head(const struct lsio_bench_opts *o,
		       const struct lsio_bench_result *r)
{
	static const char *const codec[] = { "no compression", "zstd", "lz4" };
	static const char *const direct[] = { "off", "on", "auto" };
	const struct lsio_stats *st = &r->samples[r->runs - 1].stats;
	char fs[32], ch[32], gap[32], dec[32], rd[32];

	printf("lsio bench: %u files of %s (%s), %s chunks, ", o->files,
	       cmd_human_bytes(fs, sizeof(fs), (double)o->file_size),
	       r->files_created ? "written now" : "reused",
	       cmd_human_bytes(ch, sizeof(ch), (double)o->chunk));
	if (o->pattern == LSIO_BENCH_STRIDED)
		printf("strided (gap %s), ", cmd_human_bytes(gap, sizeof(gap), (double)o->gap));
	else
		printf("%s, ", o->pattern == LSIO_BENCH_RAND ? "rand" : "seq");
	printf("%s, %s cache, %d run%s\n", codec[o->codec],
	       o->cold == LSIO_BENCH_COLD_SYSTEM ? "dropped" :
	       o->cold == LSIO_BENCH_COLD ? "cold" : "warm",
	       r->runs, r->runs > 1 ? "s" : "");
	printf("  %s backend, %d workers x depth %d, direct %s\n",
	       st->backend ? st->backend : "none", st->workers, st->queue_depth,
	       st->direct >= 0 && st->direct <= 2 ? direct[st->direct] : "auto");
	printf("  %" PRIu64 " chunks in %" PRIu64 " requests: %s decoded, %s read\n",
	       r->chunks, st->requests,
	       cmd_human_bytes(dec, sizeof(dec), (double)r->bytes_decoded),
	       cmd_human_bytes(rd, sizeof(rd), (double)st->bytes_read));
}

static void print_text(const struct lsio_bench_opts *o,
		       const struct lsio_bench_result *r)
{
	static const char *const q[] = { "latency p50 ms", "latency p90 ms",
					 "latency p99 ms", "latency p99.9 ms" };
	char rss[32];

	print_head(o, r);
	if (r->runs > 1)
		printf("  %-18s%12s%12s%12s\n", "", "median", "min", "max");
	print_row("GiB/s", &r->gib_per_s, 1, 3, r->runs);
	if (o->codec != LSIO_BENCH_NONE)
		print_row("GiB/s read", &r->read_gib_per_s, 1, 3, r->runs);
	print_row("IOPS (chunks/s)", &r->iops, 1, 0, r->runs);
	print_row("wall s", &r->wall_seconds, 1, 3, r->runs);
	print_row("cpu s", &r->cpu_seconds, 1, 3, r->runs);
	for (int i = 0; i < 4; i++)
		print_row(q[i], &r->latency[i], 1e3, 3, r->runs);
	printf("  %-18s%12s\n", "peak RSS",
	       cmd_human_bytes(rss, sizeof(rss), (double)r->peak_rss));
}

/* --- the command -------------------------------------------------------- */

static int create_only(struct lsio_ctx *ctx, const struct lsio_bench_opts *o)
{
	char **paths = NULL;
	int ret = lsio_bench_prepare(ctx, o, &paths);

	cmd_progress_end();
	if (ret)
		return cmd_fail(ctx, ret);
	for (char **p = paths; *p; p++)
		puts(*p);
	free(paths);
	return LSIO_EXIT_OK;
}

static int bench(struct lsio_ctx *ctx, const struct bench_cli *b)
{
	struct lsio_bench_result r;
	char *json;
	int ret = lsio_bench_run(ctx, &b->o, &r);

	cmd_progress_end();
	if (ret) {
		ret = cmd_fail(ctx, ret);
		goto out;
	}
	if (!b->c.quiet)
		cmd_print_warnings(ctx);
	if (!b->c.json) {
		print_text(&b->o, &r);
		goto out;
	}
	json = lsio_bench_json(&b->o, &r);
	if (!json) {
		fputs("lsio: out of memory\n", stderr);
		ret = LSIO_EXIT_RUNTIME;
		goto out;
	}
	puts(json);
	free(json);
out:
	lsio_bench_result_release(&r);
	return ret;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_cli b = { 0 };
	struct lsio_ctx *ctx;
	const char *env = getenv("LSIO_BENCH_DIR");
	int ret;

	lsio_bench_opts_init(&b.o);
	lsio_options_init(&b.c.opt, sizeof(b.c.opt));
	b.o.dir = env && *env ? env : BENCH_DIR_DEFAULT;
	ret = bench_options(argc, argv, &b);
	if (ret >= 0)
		return ret;
	b.o.run = b.c.opt;
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	if (!b.c.quiet && isatty(2))
		b.o.create_progress = cmd_progress;
	ret = b.create_only ? create_only(ctx, &b.o) : bench(ctx, &b);
	cmd_ctx_free(ctx);
	return ret;
}
