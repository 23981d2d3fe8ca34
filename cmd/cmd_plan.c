/* SPDX-License-Identifier: MIT */
/*
 * cmd_plan.c - `lsio plan JOB`: the requests a job turns into, per storage
 * class, without reading any data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct cmd_option plan_own[] = {
	{ "json", no_argument, OPT_JSON, NULL, "the same as JSON (see lsio(1))" },
	{ "verbose", no_argument, 'v', NULL,
	  "every request and the chunks it serves" },
	{ NULL }
};

static const struct cmd_option *const plan_tables[] = {
	plan_own, cmd_input_options, cmd_part_options, cmd_tuning_options,
	cmd_remote_options, cmd_help_options, NULL
};

static const struct cmd_command plan_command = {
	.name = "plan",
	.usage =
	"usage: lsio plan JOB [--json] [-v] [--chunks FILE] [options]\n"
	"\n"
	"Show how lsio would read a job, reading no data: per storage class the\n"
	"chunks, the requests after merging and splitting, bytes requested and\n"
	"read (read amplification), the largest request, and why the class was\n"
	"chosen.\n",
	.tables = plan_tables,
};

static int plan_options(int argc, char **argv, struct cmd_common *c)
{
	struct cmd_parser p;
	int opt;

	cmd_parser_init(&p, &plan_command, argc, argv);
	while ((opt = cmd_getopt(&p)) != -1) {
		switch (opt) {
		case OPT_JSON:
			c->json = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			return cmd_help(&plan_command);
		case '?':
			return LSIO_EXIT_USAGE;
		default:
			if (cmd_common_option(&p, c, opt, optarg))
				return LSIO_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error("plan", "expected one job file");
	return -1;
}

int cmd_plan(int argc, char **argv)
{
	struct cmd_common c = { 0 };
	struct lsio_ctx *ctx;
	struct lsio_job *job = NULL;
	struct lsio_plan *plan = NULL;
	char *text;
	int ret;

	lsio_options_init(&c.opt, sizeof(c.opt));
	ret = plan_options(argc, argv, &c);
	if (ret >= 0)
		return ret;
	ctx = cmd_ctx_new();
	if (!ctx)
		return LSIO_EXIT_RUNTIME;
	ret = cmd_load_job(ctx, argv[optind], c.chunks, &job);
	if (ret)
		goto out;
	ret = lsio_plan_new(ctx, job, &c.opt, &plan);
	if (ret) {
		ret = cmd_fail(ctx, ret);
		goto out;
	}
	text = lsio_plan_describe(plan, (c.json ? LSIO_DESCRIBE_JSON : 0) |
					(c.verbose ? LSIO_DESCRIBE_VERBOSE : 0));
	if (!text) {
		fputs("lsio: out of memory\n", stderr);
		ret = LSIO_EXIT_RUNTIME;
		goto out;
	}
	fputs(text, stdout);
	if (c.json)
		fputc('\n', stdout);
	free(text);
	cmd_print_warnings(ctx);
out:
	lsio_plan_free(plan);
	lsio_job_free(job);
	cmd_ctx_free(ctx);
	return ret;
}
