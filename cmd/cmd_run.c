/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `lsio run JOB` and `lsio validate JOB`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const char run_usage[] =
	"usage: lsio run JOB [-o PATH] [options]\n"
	"\n"
	"Run a job: read its chunks, decode them, write its output.  JOB '-' reads\n"
	"the job from standard input.  The output appears only when every chunk\n"
	"succeeded.\n"
	"\n"
	"  -o, --output PATH    write the array (or the files' directory) at PATH\n"
	"  --progress           show a progress bar (default: when stderr is a terminal)\n"
	"  -q, --quiet          no progress bar, no warnings\n"
	"  --stats[=text|json]  print statistics when done: to stdout, or to stderr\n"
	"                       when the job's output is stdout\n"
	CMD_TUNING_HELP
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 usage error or invalid job,\n"
	"128+N stopped by signal N (130: Ctrl-C).\n";

static const char validate_usage[] =
	"usage: lsio validate JOB\n"
	"\n"
	"Check a job (syntax, keys, sizes, placements, stages) without reading\n"
	"data.  Exit status 0 when valid, 2 when not.\n";

static int parse_stats(const char *arg, int *mode)
{
	if (!arg || !strcmp(arg, "text"))
		*mode = 1;
	else if (!strcmp(arg, "json"))
		*mode = 2;
	else
		return -1;
	return 0;
}

/* Parse run's options; returns -1 to go on, or an exit code. */
static int run_options(int argc, char **argv, struct cmd_common *c)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "stats", optional_argument, NULL, OPT_STATS },
		CMD_TUNING_OPTIONS,
		{ 0 }
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			c->opt.output = optarg;
			break;
		case 'q':
			c->quiet = true;
			break;
		case OPT_PROGRESS:
			c->progress = true;
			break;
		case OPT_STATS:
			if (parse_stats(optarg, &c->stats))
				return cmd_usage_error("run", "--stats takes text or json, not '%s'", optarg);
			break;
		case 'h':
		case OPT_HELP:
			fputs(run_usage, stdout);
			return LSIO_EXIT_OK;
		default:
			ret = cmd_tuning_option(c, opt, optarg);
			if (ret)
				return LSIO_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error("run", optind == argc ? "a job file is needed"
					      : "one job file only, got '%s'",
				       argv[optind + (optind < argc)]);
	return -1;
}

int cmd_run_job(struct lsio_ctx *ctx, struct lsio_job *job,
		struct cmd_common *c)
{
	struct lsio_stats st;
	int ret;

	if (!c->quiet && (c->progress || isatty(2)))
		c->opt.progress = cmd_progress;
	ret = lsio_run(ctx, job, &c->opt, &st);
	cmd_progress_end();
	if (ret)
		return cmd_fail(ctx, ret);
	if (!c->quiet)
		cmd_print_warnings(ctx);
	if (c->stats)
		cmd_print_stats(&st, c->stats,
				strcmp(lsio_job_output_type(job), "stdout"));
	return LSIO_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct cmd_common c = { 0 };
	struct lsio_ctx *ctx;
	struct lsio_job *job = NULL;
	int ret;

	lsio_options_init(&c.opt);
	ret = run_options(argc, argv, &c);
	if (ret >= 0)
		return ret;
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	ret = cmd_load_job(ctx, argv[optind], &job);
	if (!ret)
		ret = cmd_run_job(ctx, job, &c);
	lsio_job_free(job);
	cmd_ctx_free(ctx);
	return ret;
}

int cmd_validate(int argc, char **argv)
{
	struct lsio_ctx *ctx;
	struct lsio_job *job = NULL;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(validate_usage, stdout);
		return LSIO_EXIT_OK;
	}
	if (argc != 2)
		return cmd_usage_error("validate", "expected one job file");
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	ret = cmd_load_job(ctx, argv[1], &job);
	if (!ret) {
		printf("%s: valid: %llu chunks, %llu sources, %s output\n",
		       strcmp(argv[1], "-") ? argv[1] : "<stdin>",
		       (unsigned long long)lsio_job_chunk_count(job),
		       (unsigned long long)lsio_job_source_count(job),
		       lsio_job_output_type(job));
	}
	lsio_job_free(job);
	cmd_ctx_free(ctx);
	return ret;
}
