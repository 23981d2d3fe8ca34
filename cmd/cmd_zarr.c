/* SPDX-License-Identifier: MIT */
/*
 * cmd_zarr.c - `lsio zarr STORE[/ARRAY] --select SEL -o OUT.npy`: the
 * library writes the job (lsio_zarr_job), this runs it like `lsio run`,
 * or prints it (--emit-job), or lists the store's arrays (--list), or
 * describes a group (--info, lsio_zarr_info).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"

enum { OPT_EMIT_JOB = 2000, OPT_LIST, OPT_INFO, OPT_MISSING_403, OPT_VAR,
       OPT_SEL, OPT_ISEL };

/* --var, --sel and --isel terms a command line can hold. */
#define ZARR_TERMS_MAX 64

static const struct cmd_option zarr_own[] = {
	{ "select", required_argument, 's', "SEL",
	  "numpy indexing per dimension: an integer (negative\n"
	  "from the end; drops the dimension), start:stop[:step],\n"
	  "':' or '...'; missing trailing dimensions are ':'\n"
	  "(default: the whole array), e.g. '0:24, 100:300, :'" },
	{ "var", required_argument, OPT_VAR, "NAME",
	  "a variable of the group (repeatable; default: every\n"
	  "data variable that has all the selected dimensions)" },
	{ "sel", required_argument, OPT_SEL, "DIM=LABELS",
	  "select by coordinate value, as xarray's .sel\n"
	  "(repeatable): LO:HI inclusive (descending axes too:\n"
	  "latitude=60:40), V exact, V~ nearest; dates for CF\n"
	  "time (time=2023-01-10:2023-01-15, time=2023-01-10T06);\n"
	  "a longitude box across the seam is one box\n"
	  "(longitude=-10:30 on 0..360)" },
	{ "isel", required_argument, OPT_ISEL, "DIM=INDICES",
	  "select by index along a named dimension, as .isel\n"
	  "(repeatable): 5, -1, 0:24, ::2" },
	{ "output", required_argument, 'o', "PATH",
	  "the output: X.nc writes the variables, their\n"
	  "coordinates and attributes as NetCDF-4; anything\n"
	  "else one variable's array (.npy, or raw bytes)" },
	{ "emit-job", no_argument, OPT_EMIT_JOB, NULL,
	  "print the job instead of running it; 'lsio run' of\n"
	  "it writes the same file" },
	{ "list", no_argument, OPT_LIST, NULL,
	  "list the store's arrays: shape, dtype, chunks, codecs" },
	{ "info", no_argument, OPT_INFO, NULL,
	  "describe the group like 'ncdump -h': dimensions,\n"
	  "variables, attributes; chunks, codecs, sizes and\n"
	  "the chunks present; coordinates' first and last values" },
	{ "json", no_argument, OPT_JSON, NULL, "with --info: the same as JSON (see lsio(1))" },
	{ "missing-403", no_argument, OPT_MISSING_403, NULL,
	  "a remote chunk answered HTTP 403 is missing (fill\n"
	  "value), as from an S3 bucket without ListBucket" },
	{ NULL }
};

static const struct cmd_option *const zarr_tables[] = {
	zarr_own, cmd_output_options, cmd_reduce_options, cmd_part_options,
	cmd_resume_options,
	cmd_tuning_options,
	cmd_remote_options,
	cmd_help_options, NULL
};

static const struct cmd_command zarr_command = {
	.name = "zarr",
	.usage =
	"usage: lsio zarr STORE[/ARRAY] [--select SEL] -o OUT.npy [options]\n"
	"       lsio zarr STORE[/GROUP] [--var V]... [--sel DIM=LABELS]...\n"
	"                 [--isel DIM=INDICES]... -o OUT.nc|OUT.npy [options]\n"
	"       lsio zarr STORE[/ARRAY] [--select SEL] [-o OUT.npy] --emit-job\n"
	"       lsio zarr STORE --list\n"
	"       lsio zarr STORE[/GROUP] --info [--json]\n"
	"\n"
	"Extract a selection of a Zarr v2 or v3 array into a .npy file (raw when\n"
	"OUT does not end in .npy).  Chunks never written are the fill value.\n"
	"STORE is a directory or an http(s)://, s3://, gs:// or az:// URL (one GET\n"
	"per chunk, a 404 being fill value; a remote --list or --info needs\n"
	"consolidated metadata).\n",
	.tables = zarr_tables,
	.after =
	"Exit status: 0 success, 1 runtime failure, 2 usage error, bad selection,\n"
	"or metadata lsio cannot read, 128+N stopped by signal N.\n",
};

struct zarr_args {
	struct cmd_common c;
	const char *select, *output, *array;
	bool emit, list, info, tuned;
	/* --var, --sel, --isel: NULL-terminated */
	const char *vars[ZARR_TERMS_MAX + 1], *sel[ZARR_TERMS_MAX + 1];
	const char *isel[ZARR_TERMS_MAX + 1];
	size_t nvars, nsel, nisel;
};

static int zarr_term(const char **list, size_t *n, const char *opt,
		     const char *arg)
{
	if (*n == ZARR_TERMS_MAX)
		return cmd_usage_error("zarr", "more than %d %s", ZARR_TERMS_MAX,
				       opt);
	list[(*n)++] = arg;
	return 0;
}

/* --var, --sel or --isel, or a NetCDF output: a request by names
 * (lsio_zarr_request_job). */
static bool zarr_by_names(const struct zarr_args *z)
{
	size_t n = z->output ? strlen(z->output) : 0;

	return z->nvars || z->nsel || z->nisel ||
	       (n > 3 && !strcasecmp(z->output + n - 3, ".nc")) ||
	       (n > 4 && !strcasecmp(z->output + n - 4, ".nc4"));
}

static int zarr_option(struct cmd_parser *p, struct zarr_args *z, int opt,
		       const char *arg)
{
	switch (opt) {
	case 's':
		z->select = arg;
		return 0;
	case 'o':
		z->output = arg;
		return 0;
	case OPT_VAR:
		return zarr_term(z->vars, &z->nvars, "--var", arg);
	case OPT_SEL:
		return zarr_term(z->sel, &z->nsel, "--sel", arg);
	case OPT_ISEL:
		return zarr_term(z->isel, &z->nisel, "--isel", arg);
	case OPT_EMIT_JOB:
		z->emit = true;
		return 0;
	case OPT_LIST:
		z->list = true;
		return 0;
	case OPT_INFO:
		z->info = true;
		return 0;
	case OPT_JSON:
		z->c.json = true;
		return 0;
	case OPT_MISSING_403:
		z->c.opt.missing_403 = 1;
		return 0;
	case 'q':
	case OPT_PROGRESS:
	case OPT_STATS:
	/* Unsigned requests change what the job reads, not how fast: the
	 * emitted job carries it, so --emit-job accepts it; so is a
	 * reduction. */
	case OPT_NO_SIGN:
	case OPT_REDUCE:
	case OPT_SKIP_FILL:
		break;
	default:
		z->tuned |= !cmd_option_in_job(opt);
	}
	return cmd_common_option(p, &z->c, opt, arg) ? LSIO_EXIT_USAGE : 0;
}

/* Returns -1 to go on, or an exit code. */
static int zarr_options(int argc, char **argv, struct zarr_args *z)
{
	struct cmd_parser p;
	int opt, ret;

	cmd_parser_init(&p, &zarr_command, argc, argv);
	while ((opt = cmd_getopt(&p)) != -1) {
		if (opt == 'h')
			return cmd_help(&zarr_command);
		if (opt == '?')
			return LSIO_EXIT_USAGE;
		ret = zarr_option(&p, z, opt, optarg);
		if (ret)
			return ret;
	}
	if (optind + 1 != argc)
		return cmd_usage_error("zarr", optind == argc ? "a store (or STORE/ARRAY) is needed"
					       : "one store only, got '%s'",
				       argv[optind + (optind < argc)]);
	z->array = argv[optind];
	if (zarr_by_names(z) && z->select && !z->nvars && !z->nsel && !z->nisel)
		return cmd_usage_error("zarr", "'%s': a NetCDF file holds a group's variables: name them with --var and select with --isel or --sel (lsio zarr STORE --var V --isel DIM=0:24 -o %s)",
				       z->output, z->output);
	if (zarr_by_names(z) && z->select)
		return cmd_usage_error("zarr", "--select takes indices of one array; with --var, --sel and --isel name dimensions instead (--isel DIM=0:24)");
	if (zarr_by_names(z) && (z->list || z->info))
		return cmd_usage_error("zarr", "--list and --info take no --var, --sel or --isel");
	if (z->list && (z->emit || z->select || z->output || z->info))
		return cmd_usage_error("zarr", "--list takes no --select, -o, --emit-job or --info");
	if (z->info && (z->emit || z->select || z->output))
		return cmd_usage_error("zarr", "--info takes no --select, -o or --emit-job");
	if (z->c.json && !z->info)
		return cmd_usage_error("zarr", "--json goes with --info");
	if (z->emit && (z->tuned || z->c.stats))
		return cmd_usage_error("zarr", "--emit-job prints the job: give tuning and --stats to 'lsio run'");
	if (!z->list && !z->info && !z->emit && !z->output)
		return cmd_usage_error("zarr", "-o OUT.npy is needed (or --emit-job, --list or --info)");
	return -1;
}

/* --list or --info: text from the library, printed. */
static int zarr_show(struct lsio_ctx *ctx, const struct zarr_args *z)
{
	char *text;
	int ret = z->list ? lsio_zarr_list(ctx, z->array, &z->c.opt, &text) :
		  lsio_zarr_info(ctx, z->array, &z->c.opt, z->c.json, &text);

	if (!z->c.quiet)
		cmd_print_warnings(ctx);
	if (ret)
		return cmd_fail(ctx, ret);
	ret = fputs(text, stdout) < 0 ? LSIO_EXIT_RUNTIME : LSIO_EXIT_OK;
	free(text);
	return ret;
}

static int zarr_run(struct lsio_ctx *ctx, struct zarr_args *z, const char *text)
{
	struct lsio_job *job = NULL;
	int ret = lsio_job_load_string(ctx, text, "<zarr job>", &job);

	ret = ret ? cmd_fail(ctx, ret) : cmd_run_job(ctx, job, &z->c);
	lsio_job_free(job);
	return ret;
}

static int zarr_job(struct lsio_ctx *ctx, const struct zarr_args *z,
		    char **text)
{
	struct lsio_zarr_request req = { .store = z->array, .vars = z->vars,
					 .sel = z->sel, .isel = z->isel,
					 .output = z->output };

	if (!zarr_by_names(z))
		return lsio_zarr_job(ctx, z->array, z->select, z->output,
				     &z->c.opt, text);
	return lsio_zarr_request_job(ctx, &req, &z->c.opt, text);
}

int cmd_zarr(int argc, char **argv)
{
	struct zarr_args z = { .select = NULL };
	struct lsio_ctx *ctx;
	char *text = NULL;
	int ret;

	lsio_options_init(&z.c.opt, sizeof(z.c.opt));
	ret = zarr_options(argc, argv, &z);
	if (ret >= 0)
		return ret;
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	if (z.list || z.info) {
		ret = zarr_show(ctx, &z);
	} else {
		ret = zarr_job(ctx, &z, &text);
		if (ret)
			ret = cmd_fail(ctx, ret);
		else if (z.emit)
			ret = fputs(text, stdout) < 0 ? LSIO_EXIT_RUNTIME : LSIO_EXIT_OK;
		else
			ret = zarr_run(ctx, &z, text);
		if (z.emit && !ret && !z.c.quiet)
			cmd_print_warnings(ctx);
	}
	free(text);
	cmd_ctx_free(ctx);
	return ret;
}
