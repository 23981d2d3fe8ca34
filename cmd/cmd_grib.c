/* SPDX-License-Identifier: MIT */
/*
 * cmd_grib.c - `lsio grib SOURCE... --match RE -o OUT.grib2`: the library
 * reads the inventories and writes the job (lsio_grib_job), this runs it
 * like `lsio run`, or prints it (--emit-job), or prints the chosen
 * inventory lines (--list).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

enum { OPT_EMIT_JOB = 2000, OPT_LIST, OPT_IDX, OPT_SOURCES, OPT_DTYPE,
       OPT_COORDS };

static const struct cmd_option grib_own[] = {
	{ "match", required_argument, 'm', "RE",
	  "POSIX extended regex against the inventory line\n"
	  "'N:OFFSET:d=...:VAR:LEVEL:FCST:' (ECMWF:\n"
	  "'N:OFFSET:key=value:...:'); repeatable, any may match\n"
	  "(default: every message)" },
	{ "idx", required_argument, OPT_IDX, "PATH|URL|none",
	  "the inventory (one source only), or none: always scan" },
	{ "sources", required_argument, OPT_SOURCES, "FILE",
	  "read more sources from FILE, one a line ('-': stdin)" },
	{ "output", required_argument, 'o', "PATH",
	  "OUT.grib2 (.grb2, .grib, any name): the messages\n"
	  "concatenated; DIR/: one file per message,\n"
	  "SOURCE.N.grib2; OUT.npy: the decoded values\n"
	  "(fields, ny, nx), NaN where missing" },
	{ "dtype", required_argument, OPT_DTYPE, "<f4|<f8",
	  "with -o OUT.npy: the values' type (default <f4)" },
	{ "coords", no_argument, OPT_COORDS, NULL,
	  "with -o DIR/OUT.npy: also DIR/lat.npy and DIR/lon.npy\n"
	  "(float64, degrees; grids 3.0, 3.20, 3.30, 3.40)" },
	{ "list", no_argument, OPT_LIST, NULL,
	  "print the chosen inventory lines (one source: an .idx)" },
	{ "verbose", no_argument, 'v', NULL,
	  "with --list: each message's length, len=N" },
	{ "emit-job", no_argument, OPT_EMIT_JOB, NULL,
	  "print the job instead of running it" },
	{ NULL }
};

static const struct cmd_option *const grib_tables[] = {
	grib_own, cmd_output_options, cmd_reduce_options, cmd_part_options,
	cmd_resume_options,
	cmd_tuning_options,
	cmd_remote_options,
	cmd_help_options, NULL
};

static const struct cmd_command grib_command = {
	.name = "grib",
	.usage =
	"usage: lsio grib SOURCE... [--match RE]... -o OUT.grib2|DIR/ [options]\n"
	"       lsio grib SOURCE... [--match RE]... -o OUT.npy [--dtype <f8] [--coords]\n"
	"       lsio grib SOURCE... [--match RE]... --list [-v]\n"
	"       lsio grib SOURCE... [--match RE]... [-o OUT] --emit-job\n"
	"\n"
	"Extract the messages of GRIB2 files whose inventory line matches: into one\n"
	"file (the messages' bytes, as in the source), one file per message, or\n"
	"decoded into one array of the fields' values (all on one grid).\n"
	"A SOURCE is a path or an http(s)://, s3://, gs:// or az:// URL; its\n"
	"inventory is SOURCE.idx (NOAA/wgrib2), else the .index beside it (ECMWF\n"
	"open data), else a scan of the messages, which writes wgrib2-style lines.\n",
	.tables = grib_tables,
	.after =
	"Exit status: 0 success, 1 runtime failure (no message matches, a bad\n"
	"inventory, not GRIB2), 2 usage error, 128+N stopped by signal N.\n",
};

struct grib_args {
	struct cmd_common c;
	struct lsio_grib_request req;
	const char **match, **sources;
	uint32_t nmatch, nsources;
	char *file_text;	/* --sources FILE, its lines point into it */
	bool emit, list, tuned, verbose;
};

/* Append to a growing array of strings; false when out of memory. */
static bool push(const char ***v, uint32_t *n, const char *s)
{
	const char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (!p)
		return false;
	p[(*n)++] = s;
	*v = p;
	return true;
}

/* --sources FILE: one source a line; blank lines and '#' lines skipped. */
static int read_sources(struct grib_args *a, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 0, len = 0, n;
	char buf[4096];

	if (!f)
		return cmd_usage_error("grib", "--sources: cannot open '%s': %s",
				       path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		char *p = len + n + 1 > cap ? realloc(a->file_text, cap = 2 * (len + n + 1)) : a->file_text;

		if (!p)
			break;
		a->file_text = p;
		memcpy(p + len, buf, n);
		len += n;
		p[len] = 0;
	}
	if (f != stdin)
		fclose(f);
	for (char *line = a->file_text ? strtok(a->file_text, "\n") : NULL; line;
	     line = strtok(NULL, "\n")) {
		line[strcspn(line, "\r")] = 0;
		if (*line && *line != '#' && !push(&a->sources, &a->nsources, line))
			return LSIO_EXIT_RUNTIME;
	}
	return 0;
}

static int grib_option(struct cmd_parser *p, struct grib_args *a, int opt,
		       const char *arg)
{
	switch (opt) {
	case 'm':
		return push(&a->match, &a->nmatch, arg) ? 0 : LSIO_EXIT_RUNTIME;
	case 'o':
		a->req.output = arg;
		return 0;
	case 'v':
		a->verbose = true;
		return 0;
	case OPT_IDX:
		a->req.idx = arg;
		return 0;
	case OPT_SOURCES:
		return read_sources(a, arg);
	case OPT_DTYPE:
		a->req.dtype = arg;
		return 0;
	case OPT_COORDS:
		a->req.coords = 1;
		return 0;
	case OPT_EMIT_JOB:
		a->emit = true;
		return 0;
	case OPT_LIST:
		a->list = true;
		return 0;
	case 'q':
	case OPT_PROGRESS:
	case OPT_STATS:
	case OPT_NO_SIGN:	/* what is read, not how: --emit-job takes it */
	case OPT_REDUCE:	/* and what is written, which the job says */
	case OPT_SKIP_FILL:
		break;
	default:
		a->tuned |= !cmd_option_in_job(opt);
	}
	return cmd_common_option(p, &a->c, opt, arg) ? LSIO_EXIT_USAGE : 0;
}

static int grib_check(struct grib_args *a)
{
	if (!a->nsources)
		return cmd_usage_error("grib", "a source (a GRIB2 file or URL) is needed");
	if (a->req.idx && !*a->req.idx)
		return cmd_usage_error("grib", "--idx needs a path, a URL or 'none'");
	if (a->list && (a->emit || a->req.output || a->req.dtype || a->req.coords))
		return cmd_usage_error("grib", "--list takes no -o, --dtype, --coords or --emit-job");
	if (a->verbose && !a->list)
		return cmd_usage_error("grib", "-v goes with --list");
	if (a->req.coords && a->emit)
		return cmd_usage_error("grib", "--coords writes files beside the values: not with --emit-job");
	if (a->emit && (a->tuned || a->c.stats))
		return cmd_usage_error("grib", "--emit-job prints the job: give tuning and --stats to 'lsio run'");
	if (!a->list && !a->emit && !a->req.output)
		return cmd_usage_error("grib", "-o OUT.grib2, -o DIR/ or -o OUT.npy is needed (or --emit-job, or --list)");
	return -1;
}

/* Returns -1 to go on, or an exit code. */
static int grib_options(int argc, char **argv, struct grib_args *a)
{
	struct cmd_parser p;
	int opt, ret;

	cmd_parser_init(&p, &grib_command, argc, argv);
	while ((opt = cmd_getopt(&p)) != -1) {
		if (opt == 'h')
			return cmd_help(&grib_command);
		if (opt == '?')
			return LSIO_EXIT_USAGE;
		ret = grib_option(&p, a, opt, optarg);
		if (ret)
			return ret;
	}
	for (; optind < argc; optind++)
		if (!push(&a->sources, &a->nsources, argv[optind]))
			return LSIO_EXIT_RUNTIME;
	return grib_check(a);
}

/* Run the job; the coordinates (--coords) are written once the values
 * are. */
static int grib_run(struct lsio_ctx *ctx, struct grib_args *a, const char *text,
		    const struct lsio_grib_coords *coords)
{
	struct lsio_job *job = NULL;
	int ret = lsio_job_load_string(ctx, text, "<grib job>", &job);

	ret = ret ? cmd_fail(ctx, ret) : cmd_run_job(ctx, job, &a->c);
	lsio_job_free(job);
	if (!ret && coords) {
		ret = lsio_grib_coords_write(ctx, coords);
		if (ret)
			ret = cmd_fail(ctx, ret);
	}
	return ret;
}

static int grib_go(struct lsio_ctx *ctx, struct grib_args *a)
{
	struct lsio_grib_coords *coords = NULL;
	char *text = NULL;
	int ret;

	if (a->list)
		ret = lsio_grib_list(ctx, &a->req, &a->c.opt, &text);
	else
		ret = lsio_grib_job(ctx, &a->req, &a->c.opt, &text, &coords);
	if (ret)
		ret = cmd_fail(ctx, ret);
	else if (a->list || a->emit)
		ret = fputs(text, stdout) < 0 ? LSIO_EXIT_RUNTIME : LSIO_EXIT_OK;
	else
		ret = grib_run(ctx, a, text, coords);
	lsio_grib_coords_free(coords);
	if ((a->list || a->emit) && !ret && !a->c.quiet)
		cmd_print_warnings(ctx);
	free(text);
	return ret;
}

int cmd_grib(int argc, char **argv)
{
	struct grib_args a = { .nmatch = 0 };
	struct lsio_ctx *ctx;
	int ret;

	lsio_options_init(&a.c.opt, sizeof(a.c.opt));
	ret = grib_options(argc, argv, &a);
	if (ret < 0) {
		a.req.sources = a.sources;
		a.req.nsources = a.nsources;
		a.req.match = a.match;
		a.req.nmatch = a.nmatch;
		a.req.lengths = a.verbose;
		ctx = cmd_ctx_new();
		ret = ctx ? grib_go(ctx, &a) : LSIO_EXIT_RUNTIME;
		cmd_ctx_free(ctx);
	}
	free(a.match);
	free(a.sources);
	free(a.file_text);
	return ret;
}
