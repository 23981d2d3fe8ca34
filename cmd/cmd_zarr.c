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
#include <unistd.h>

#include "cmd.h"

enum { OPT_EMIT_JOB = 2000, OPT_LIST, OPT_INFO, OPT_MISSING_403 };

static const struct cmd_option zarr_own[] = {
	{ "select", required_argument, 's', "SEL",
	  "numpy indexing per dimension: an integer (negative\n"
	  "from the end; drops the dimension), start:stop[:step],\n"
	  "':' or '...'; missing trailing dimensions are ':'\n"
	  "(default: the whole array), e.g. '0:24, 100:300, :'" },
	{ "output", required_argument, 'o', "PATH", "the array to write" },
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
	zarr_own, cmd_output_options, cmd_tuning_options, cmd_remote_options,
	cmd_help_options, NULL
};

static const struct cmd_command zarr_command = {
	.name = "zarr",
	.usage =
	"usage: lsio zarr STORE[/ARRAY] [--select SEL] -o OUT.npy [options]\n"
	"       lsio zarr STORE[/ARRAY] [--select SEL] [-o OUT.npy] --emit-job\n"
	"       lsio zarr STORE --list\n"
	"       lsio zarr STORE[/GROUP] --info [--json]\n"
	"\n"
	"Extract a selection of a Zarr v2 or v3 array into a .npy file (raw when\n"
	"OUT does not end in .npy).  Chunks never written are the fill value.\n"
	"STORE is a directory or an http(s)://, s3:// or gs:// URL (one GET per\n"
	"chunk, a 404 being fill value; a remote --list or --info needs\n"
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
};

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
	 * emitted job carries it, so --emit-job accepts it. */
	case OPT_NO_SIGN:
		break;
	default:
		z->tuned = true;
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

int cmd_zarr(int argc, char **argv)
{
	struct zarr_args z = { .select = NULL };
	struct lsio_ctx *ctx;
	char *text = NULL;
	int ret;

	lsio_options_init(&z.c.opt);
	ret = zarr_options(argc, argv, &z);
	if (ret >= 0)
		return ret;
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	if (z.list || z.info) {
		ret = zarr_show(ctx, &z);
	} else {
		ret = lsio_zarr_job(ctx, z.array, z.select, z.output, &z.c.opt, &text);
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
