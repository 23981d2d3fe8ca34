/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `lsio run JOB` and `lsio validate JOB`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const struct cmd_option run_own[] = {
	{ "output", required_argument, 'o', "PATH",
	  "write the array (or the files' directory) at PATH" },
	{ NULL }
};

static const struct cmd_option *const run_tables[] = {
	run_own, cmd_input_options, cmd_output_options,
	cmd_reduce_options, cmd_part_options,
	cmd_resume_options, cmd_tuning_options, cmd_remote_options,
	cmd_help_options, NULL
};

static const struct cmd_command run_command = {
	.name = "run",
	.usage =
	"usage: lsio run JOB [-o PATH] [--chunks FILE] [options]\n"
	"\n"
	"Run a job: read its chunks, decode them, write its output.  JOB '-' reads\n"
	"the job from standard input.  The output appears only when every chunk\n"
	"succeeded.\n",
	.tables = run_tables,
	.after =
	"Exit status: 0 success, 1 runtime failure, 2 usage error or invalid job\n"
	"(also a job file that cannot be read), 128+N stopped by signal N (130:\n"
	"Ctrl-C).\n",
};

static const struct cmd_option *const validate_tables[] = {
	cmd_help_options, NULL
};

static const struct cmd_command validate_command = {
	.name = "validate",
	.usage =
	"usage: lsio validate JOB\n"
	"\n"
	"Check a job (syntax, keys, sizes, placements, stages) without reading\n"
	"data.  Exit status 0 when valid, 2 when not.\n",
	.tables = validate_tables,
};

/* Parse run's options; returns -1 to go on, or an exit code. */
static int run_options(int argc, char **argv, struct cmd_common *c)
{
	struct cmd_parser p;
	int opt;

	cmd_parser_init(&p, &run_command, argc, argv);
	while ((opt = cmd_getopt(&p)) != -1) {
		switch (opt) {
		case 'o':
			c->opt.output = optarg;
			break;
		case 'h':
			return cmd_help(&run_command);
		case '?':
			return LSIO_EXIT_USAGE;
		default:
			if (cmd_common_option(&p, c, opt, optarg))
				return LSIO_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error("run", optind == argc ? "a job file is needed"
					      : "one job file only, got '%s'",
				       argv[optind + (optind < argc)]);
	return -1;
}

int cmd_run_job(struct lsio_ctx *ctx, const struct lsio_job *job,
		struct cmd_common *c)
{
	struct lsio_stats st = { .size = sizeof(st) };
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

	lsio_options_init(&c.opt, sizeof(c.opt));
	ret = run_options(argc, argv, &c);
	if (ret >= 0)
		return ret;
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	ret = cmd_load_job(ctx, argv[optind], c.chunks, &job);
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
	struct cmd_parser p;
	const char *path;
	int ret;

	/* --help is its only option: the first one decides. */
	cmd_parser_init(&p, &validate_command, argc, argv);
	ret = cmd_getopt(&p);
	if (ret != -1)
		return ret == 'h' ? cmd_help(&validate_command) : LSIO_EXIT_USAGE;
	if (optind + 1 != argc)
		return cmd_usage_error("validate", "expected one job file");
	path = argv[optind];
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	ret = cmd_load_job(ctx, path, NULL, &job);
	if (!ret) {
		printf("%s: valid: %llu chunks, %llu sources, %s output\n",
		       strcmp(path, "-") ? path : "<stdin>",
		       (unsigned long long)lsio_job_chunk_count(job),
		       (unsigned long long)lsio_job_source_count(job),
		       lsio_job_output_type(job));
	}
	lsio_job_free(job);
	cmd_ctx_free(ctx);
	return ret;
}
