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
	const char *chunks;	/* --chunks FILE, or NULL */
};

/* Option codes that are not letters (a letter is also the short option).
 * The tuning options are OPT_TUNING + their index in the library's table
 * (lsio_option_info); a command's own codes start at 2000. */
enum { OPT_PROGRESS = 1000, OPT_STATS, OPT_JSON, OPT_NO_SIGN, OPT_CHUNKS,
       OPT_SHARD, OPT_RESUME, OPT_REDUCE, OPT_SKIP_FILL, OPT_TUNING = 1100 };
#define CMD_TUNING_MAX 32

/* One option of a command: what getopt_long needs, and its --help line. */
struct cmd_option {
	const char *name;	/* long name; NULL ends a table */
	int has_arg;		/* no_argument, required_argument or
				 * optional_argument */
	int val;		/* a letter (then -LETTER too) or an OPT_ */
	const char *arg;	/* what the argument is called, or NULL */
	const char *help;	/* '\n' starts another line */
};

/* A command: its usage text, its option tables (its own first: a "did
 * you mean" prefers them) and what --help says after them. */
struct cmd_command {
	const char *name;
	const char *usage;
	const struct cmd_option *const *tables;	/* NULL terminated */
	const char *after;			/* may be NULL */
};

/* The tables commands share: tuning (run, plan, zarr, grib, bench; filled
 * from the library's table when a parser or --help first needs it),
 * remote (run, plan, zarr), output (run, zarr), the job's input (run,
 * plan) and help (every command). */
extern struct cmd_option cmd_tuning_options[];
extern const struct cmd_option cmd_input_options[];
extern const struct cmd_option cmd_remote_options[];
extern const struct cmd_option cmd_part_options[];
extern const struct cmd_option cmd_resume_options[];
extern const struct cmd_option cmd_reduce_options[];
extern const struct cmd_option cmd_output_options[];
extern const struct cmd_option cmd_help_options[];

#define CMD_OPTIONS_MAX 48

struct cmd_parser {
	const struct cmd_command *cmd;
	int argc;
	char **argv;
	struct option longopts[CMD_OPTIONS_MAX + 1];
	const char *names[CMD_OPTIONS_MAX + 1];
	char shortopts[3 * CMD_OPTIONS_MAX + 2];
};

void cmd_parser_init(struct cmd_parser *p, const struct cmd_command *cmd,
		     int argc, char **argv);

/* getopt_long over the command's tables: the next option's val, -1 after
 * the last, or '?' when the command line is wrong (said on stderr as
 * "lsio CMD: ..." with a hint). */
int cmd_getopt(struct cmd_parser *p);

/* Print the command's --help on stdout; returns exit status 0. */
int cmd_help(const struct cmd_command *cmd);

/* A tuning option a generated job carries: the table's "s3.KEY" ones
 * (storage.s3: how the sources are reached, not how fast), which
 * --emit-job therefore takes, as it takes --no-sign-request. */
bool cmd_option_in_job(int opt);

/* One option of the shared tables (tuning, remote, output): 0, 1 when opt
 * is not one of them, or -1 (a usage error, said). */
int cmd_common_option(struct cmd_parser *p, struct cmd_common *c, int opt,
		      const char *arg);

/* The command running ("run"), for messages. */
extern const char *cmd_name;

/* Print "lsio: MESSAGE" for a failure ("lsio CMD: MESSAGE" and a hint for
 * -LSIO_EUSAGE) and return the exit code for err. */
int cmd_fail(struct lsio_ctx *ctx, int err);

/* Load a job (its chunks from the file chunks when not NULL); on failure
 * print why and return exit status 2. */
int cmd_load_job(struct lsio_ctx *ctx, const char *path, const char *chunks,
		 struct lsio_job **job);

/* "1.5 GiB": v bytes in binary units, written into buf. */
const char *cmd_human_bytes(char *buf, size_t cap, double v);

/* Print queued library warnings to stderr. */
void cmd_print_warnings(struct lsio_ctx *ctx);

/* Usage error: "lsio CMD: MESSAGE" plus a hint to --help; returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A new context that SIGINT, SIGTERM, SIGHUP ... cancel (a second one
 * ends lsio); SIGPIPE and SIGXFSZ are ignored (EPIPE, EFBIG).  NULL (said
 * on stderr) when out of memory.  Free it with cmd_ctx_free(). */
struct lsio_ctx *cmd_ctx_new(void);
void cmd_ctx_free(struct lsio_ctx *ctx);

/* The exit status main returns, or, after a signal cancelled the run,
 * death by that signal (the shell says 128+N). */
int cmd_exit(int status);

/* The progress bar on stderr (an lsio_options progress callback). */
void cmd_progress(void *arg, uint64_t bytes_done, uint64_t bytes_total,
		  uint64_t chunks_done, uint64_t chunks_total);
void cmd_progress_end(void);

void cmd_print_stats(const struct lsio_stats *st, int mode, bool to_stdout);

/* Run a loaded job with the progress bar, warnings and --stats of c;
 * returns the exit status. */
int cmd_run_job(struct lsio_ctx *ctx, const struct lsio_job *job,
		struct cmd_common *c);

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_zarr(int argc, char **argv);
int cmd_grib(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
