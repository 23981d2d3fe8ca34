/* SPDX-License-Identifier: MIT */
/*
 * lsio.c - the lsio tool: dispatch to a command.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const char usage[] =
	"usage: lsio COMMAND [ARGS]\n"
	"\n"
	"Read many byte ranges from files as fast as the storage allows, decode\n"
	"each chunk on the core that read it, and write an array, files or a stream.\n"
	"\n"
	"commands:\n"
	"  run JOB        run a job (JOB '-' reads it from standard input)\n"
	"  validate JOB   check a job without reading data\n"
	"  plan JOB       show the I/O a job turns into, reading no data\n"
	"  bench          measure a synthetic workload (lsio bench --help)\n"
	"  zarr STORE     extract a selection of a Zarr array into .npy, or --list\n"
	"  grib SOURCE... extract GRIB2 messages matching an inventory regex, or --list\n"
	"\n"
	"  lsio COMMAND --help   options of a command (also: lsio help COMMAND)\n"
	"  lsio --version        version\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 usage error or invalid job,\n"
	"128+N stopped by signal N (130: Ctrl-C).\n"
	"See lsio(1) and lsio-job(5).\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", cmd_run },
	{ "validate", cmd_validate },
	{ "plan", cmd_plan },
	{ "zarr", cmd_zarr },
	{ "grib", cmd_grib },
	{ "bench", cmd_bench },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[NCOMMANDS + 1];
	const char *hint;

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = NULL;
	hint = lsio_did_you_mean(name, names);
	fprintf(stderr, "lsio: unknown command '%s'", name);
	if (hint)
		fprintf(stderr, " (did you mean '%s'?)", hint);
	fputs("\nTry 'lsio --help' for more information.\n", stderr);
	return LSIO_EXIT_USAGE;
}

/* "lsio help run" is "lsio run --help", as git and cargo have it. */
static int help(int argc, char **argv)
{
	char *args[] = { argv[1], "--help", NULL };
	const struct command *c;

	if (argc < 2) {
		fputs(usage, stdout);
		return LSIO_EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "lsio help: one command only, got '%s'\nTry 'lsio --help' for more information.\n",
			argv[2]);
		return LSIO_EXIT_USAGE;
	}
	c = command_find(argv[1]);
	return c ? c->fn(2, args) : unknown_command(argv[1]);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct command *c;

	if (!name) {
		fputs(usage, stderr);
		return LSIO_EXIT_USAGE;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("lsio %s (job format %d)\n", lsio_version(), LSIO_JOB_FORMAT);
		return LSIO_EXIT_OK;
	}
	c = command_find(name);
	if (!c)
		return unknown_command(name);
	cmd_name = c->name;
	return cmd_exit(c->fn(argc - 1, argv + 1));
}
