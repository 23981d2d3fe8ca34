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
	"  lsio COMMAND --help   options of a command\n"
	"  lsio --version        version\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 usage error or invalid job.\n"
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

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name) {
		fputs(usage, stderr);
		return LSIO_EXIT_USAGE;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		fputs(usage, stdout);
		return LSIO_EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("lsio %s (job format %d)\n", LSIO_VERSION, LSIO_JOB_FORMAT);
		return LSIO_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "lsio: unknown command '%s'\n\n%s", name, usage);
	return LSIO_EXIT_USAGE;
}
