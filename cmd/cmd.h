/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - what the lsio tool's files share.  The tool sees only lsio.h.
 */
#ifndef LSIO_CMD_H
#define LSIO_CMD_H

#include <stdbool.h>
#include <getopt.h>

#include "lsio.h"

/* Options every command that plans or runs a job takes. */
struct cmd_common {
	struct lsio_options opt;
	bool quiet, progress;
	int stats;		/* 0 none, 1 text, 2 json */
	bool json, verbose;
};

enum { OPT_WORKERS = 1000, OPT_QUEUE_DEPTH, OPT_MEMORY, OPT_DIRECT,
       OPT_BACKEND, OPT_GAP, OPT_MAX_REQUEST, OPT_SPLIT, OPT_PART_SIZE,
       OPT_PROGRESS, OPT_STATS, OPT_JSON, OPT_HELP, OPT_NO_SIGN };

#define CMD_TUNING_OPTIONS                                                \
	{ "workers", required_argument, NULL, OPT_WORKERS },              \
	{ "queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH },      \
	{ "memory", required_argument, NULL, OPT_MEMORY },                \
	{ "direct", required_argument, NULL, OPT_DIRECT },                \
	{ "backend", required_argument, NULL, OPT_BACKEND },              \
	{ "coalesce-gap", required_argument, NULL, OPT_GAP },             \
	{ "max-request", required_argument, NULL, OPT_MAX_REQUEST },      \
	{ "split", required_argument, NULL, OPT_SPLIT },                  \
	{ "part-size", required_argument, NULL, OPT_PART_SIZE },          \
	{ "no-sign-request", no_argument, NULL, OPT_NO_SIGN },            \
	{ "help", no_argument, NULL, OPT_HELP }

#define CMD_TUNING_HELP                                                          \
	"  --workers N          worker threads (default: one per core)\n"        \
	"  --queue-depth N      reads in flight per worker (default: per storage class)\n" \
	"  --memory SIZE        I/O buffer memory for all workers (default 32MiB per worker)\n" \
	"  --direct on|off|auto O_DIRECT reads; auto reads cached ranges buffered (default auto)\n" \
	"  --backend NAME       uring (default), pread, or null (reads nothing)\n" \
	"  --coalesce-gap SIZE  merge reads of one file separated by at most SIZE; 0/off: never\n" \
	"  --max-request SIZE   cap on a merged read; 0/off: no cap\n"          \
	"  --split SIZE         split reads larger than SIZE into parts; 0/off: never\n" \
	"  --part-size SIZE     size of those parts\n"                          \
	"  --no-sign-request    read s3:// sources unsigned (public buckets)\n"

/* Parse one tuning option; returns 0, 1 if opt is not one, or -1 (error
 * printed). */
int cmd_tuning_option(struct cmd_common *c, int opt, const char *arg);

/* Print "lsio: MESSAGE" for a failure and return the exit code for err. */
int cmd_fail(struct lsio_ctx *ctx, int err);

/* Load a job; on failure print why and return exit status 2. */
int cmd_load_job(struct lsio_ctx *ctx, const char *path, struct lsio_job **job);

/* "1.5 GiB": v bytes in binary units, written into buf. */
const char *cmd_human_bytes(char *buf, size_t cap, double v);

/* Print queued library warnings to stderr. */
void cmd_print_warnings(struct lsio_ctx *ctx);

/* Usage error: "lsio CMD: MESSAGE" plus a hint; returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A new context with SIGINT/SIGTERM cancelling it; NULL (said on stderr)
 * when out of memory. */
struct lsio_ctx *cmd_ctx_new(void);

/* Cancel the context on SIGINT/SIGTERM; a second signal kills. */
void cmd_signals_install(struct lsio_ctx *ctx);

/* The progress bar on stderr (an lsio_options progress callback). */
void cmd_progress(void *arg, uint64_t bytes_done, uint64_t bytes_total,
		  uint64_t chunks_done, uint64_t chunks_total);
void cmd_progress_end(void);

void cmd_print_stats(const struct lsio_stats *st, int mode, bool to_stdout);

/* Run a loaded job with the progress bar, warnings and --stats of c;
 * returns the exit status. */
int cmd_run_job(struct lsio_ctx *ctx, struct lsio_job *job,
		struct cmd_common *c);

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_zarr(int argc, char **argv);
int cmd_grib(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
