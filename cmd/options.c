/* SPDX-License-Identifier: MIT */
/*
 * options.c - a command's options are one table (fio's way): getopt_long's
 * array, the short options, the --help text and the usage errors with
 * their "did you mean" are all made from it, so none can drift from
 * another.  Also the options several commands share (tuning, remote,
 * output) and the parsing of their values.  The tuning options are the
 * library's own table (lsio_option_info), values and all: the flags, their
 * help and their checks are those of a job's "storage" section.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define HELP_COLUMN 23	/* where an option's description starts */
#define HELP_WIDTH 79	/* and where it wraps */

/* Filled from lsio_option_info() on first use (tuning_fill). */
struct cmd_option cmd_tuning_options[CMD_TUNING_MAX + 1];

const struct cmd_option cmd_input_options[] = {
	{ "chunks", required_argument, OPT_CHUNKS, "FILE",
	  "the chunks, one JSON object a line (NDJSON; - is stdin),\n"
	  "instead of the job's \"chunks\"" },
	{ NULL }
};

const struct cmd_option cmd_remote_options[] = {
	{ "no-sign-request", no_argument, OPT_NO_SIGN, NULL,
	  "read s3://, gs:// and az:// sources without credentials (public buckets)" },
	{ NULL }
};

const struct cmd_option cmd_part_options[] = {
	{ "shard", required_argument, OPT_SHARD, "K/N|slurm",
	  "run part K of N (0 <= K < N) of the job; 'slurm': this\n"
	  "task's part of a Slurm job array" },
	{ NULL }
};

const struct cmd_option cmd_resume_options[] = {
	{ "resume", no_argument, OPT_RESUME, NULL,
	  "journal the run, and continue one that was killed" },
	{ NULL }
};

const struct cmd_option cmd_reduce_options[] = {
	{ "reduce", required_argument, OPT_REDUCE, "OP[:AXES]",
	  "write OP (sum, mean, min, max, count, var, std) of the\n"
	  "array over dimensions AXES (0,2; none: all) instead of it" },
	{ "skip-fill", no_argument, OPT_SKIP_FILL, NULL,
	  "with --reduce: values equal to the fill value are missing,\n"
	  "as NaN always is" },
	{ NULL }
};

const struct cmd_option cmd_output_options[] = {
	{ "progress", no_argument, OPT_PROGRESS, NULL,
	  "show a progress bar (default: when stderr is a terminal)" },
	{ "quiet", no_argument, 'q', NULL, "no progress bar, no warnings" },
	{ "stats", optional_argument, OPT_STATS, "text|json",
	  "print statistics when done (also --stats json): to\n"
	  "stdout, or to stderr when the job's output is stdout" },
	{ NULL }
};

const struct cmd_option cmd_help_options[] = {
	{ "help", no_argument, 'h', NULL, "print this help and exit" },
	{ NULL }
};

/* --- the parser --------------------------------------------------------- */

/* The tuning table: a flag, its metavar and help per library option, with
 * the codes OPT_TUNING + the option's index. */
static void tuning_fill(void)
{
	const struct lsio_option_info *in;

	if (cmd_tuning_options[0].name)
		return;
	for (size_t i = 0; (in = lsio_option_info(i)); i++) {
		/* More than CMD_TUNING_MAX is a bug the first test finds. */
		if (i == CMD_TUNING_MAX)
			abort();
		cmd_tuning_options[i] = (struct cmd_option){
			in->flag, required_argument, OPT_TUNING + (int)i,
			in->metavar, in->help
		};
	}
}

static bool is_short(int val)
{
	return val > 0 && val < 128 && isalnum(val);
}

void cmd_parser_init(struct cmd_parser *p, const struct cmd_command *cmd,
		     int argc, char **argv)
{
	/* *p is what this fills: taking the address of its array reads
	 * nothing (cppcheck's cross-file check thinks it does). */
	// cppcheck-suppress ctuuninitvar
	char *s = p->shortopts;
	size_t n = 0;

	tuning_fill();
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	/* ':' first: a missing argument is told from an unknown option. */
	*s++ = ':';
	for (const struct cmd_option *const *t = cmd->tables; *t; t++) {
		for (const struct cmd_option *o = *t; o->name; o++) {
			/* A table that outgrows this is a bug caught by the
			 * first test that runs the command. */
			if (n == CMD_OPTIONS_MAX)
				abort();
			p->longopts[n] = (struct option){ o->name, o->has_arg,
							  NULL, o->val };
			p->names[n++] = o->name;
			if (!is_short(o->val))
				continue;
			*s++ = (char)o->val;
			if (o->has_arg != no_argument)
				*s++ = ':';
			if (o->has_arg == optional_argument)
				*s++ = ':';
		}
	}
	*s = 0;
	p->longopts[n] = (struct option){ 0 };
	p->names[n] = NULL;
	opterr = 0;	/* its messages are ours to write */
}

/* The option the word "--name[=value]" means: an exact name, else the one
 * name it begins; NULL with *many set when several begin with it. */
static const struct option *long_match(const struct cmd_parser *p,
				       const char *word, bool *many)
{
	size_t len = strcspn(word, "=");
	const struct option *hit = NULL;

	*many = false;
	for (const struct option *o = p->longopts; o->name; o++) {
		if (strncmp(o->name, word, len))
			continue;
		if (!o->name[len])
			return o;
		*many = hit != NULL;
		hit = o;
	}
	return *many ? NULL : hit;
}

/* "--s": "ambiguous option '--s' (--select, --stats, --split ...)". */
static void ambiguous(const struct cmd_parser *p, const char *word)
{
	size_t len = strcspn(word, "="), at = 0;
	char list[256] = "";

	for (const struct option *o = p->longopts; o->name; o++)
		if (!strncmp(o->name, word, len) && at < sizeof(list))
			at += (size_t)snprintf(list + at, sizeof(list) - at,
					       "%s--%s", at ? ", " : "", o->name);
	cmd_usage_error(p->cmd->name, "option '--%.*s' is ambiguous: %s",
			(int)len, word, list);
}

static void unknown_long(const struct cmd_parser *p, const char *word)
{
	char name[64];
	const char *hint;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
	hint = lsio_did_you_mean(name, p->names);
	if (hint)
		cmd_usage_error(p->cmd->name, "unrecognized option '--%s' (did you mean '--%s'?)",
				name, hint);
	else
		cmd_usage_error(p->cmd->name, "unrecognized option '--%s'", name);
}

/* getopt_long failed on the word before optind (a long option), or on
 * optopt (a short one): say why, the way of the rest of lsio. */
static void option_error(const struct cmd_parser *p, int ret)
{
	const char *word = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "";
	bool is_long = !strncmp(word, "--", 2), many;
	const struct option *o = is_long ? long_match(p, word + 2, &many) : NULL;

	if (ret == ':' && o)
		cmd_usage_error(p->cmd->name, "option '--%s' needs an argument", o->name);
	else if (ret == ':')
		cmd_usage_error(p->cmd->name, "option '-%c' needs an argument", optopt);
	else if (optopt && o && strchr(word, '='))
		cmd_usage_error(p->cmd->name, "option '--%s' takes no argument", o->name);
	else if (optopt)
		cmd_usage_error(p->cmd->name, "invalid option '-%c'", optopt);
	else if (is_long && many)
		ambiguous(p, word + 2);
	else
		unknown_long(p, is_long ? word + 2 : word);
}

int cmd_getopt(struct cmd_parser *p)
{
	int opt = getopt_long(p->argc, p->argv, p->shortopts, p->longopts,
			      NULL);

	if (opt == '?' || opt == ':') {
		option_error(p, opt);
		return '?';
	}
	return opt;
}

/* --- help --------------------------------------------------------------- */

/* Help text from the description column on: each '\n' starts a line, and
 * a line too long for HELP_WIDTH breaks at its last space that fits (the
 * library's help lines are one line each). */
static void help_text(const char *h)
{
	const size_t width = HELP_WIDTH - HELP_COLUMN;
	int indent = 0;

	while (*h) {
		size_t len = strcspn(h, "\n"), cut = width;

		if (len > width) {
			while (cut > 0 && h[cut] != ' ')
				cut--;
			len = cut ? cut : strcspn(h, " \n");
		}
		printf("%*s%.*s\n", indent, "", (int)len, h);
		indent = HELP_COLUMN;
		h += len;
		if (*h == ' ' || *h == '\n')
			h++;
	}
}

static void help_option(const struct cmd_option *o)
{
	char left[64];
	int n = 0;

	n += snprintf(left + n, sizeof(left) - (size_t)n, "  ");
	if (is_short(o->val))
		n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c, ", o->val);
	n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->name);
	if (o->arg)
		snprintf(left + n, sizeof(left) - (size_t)n,
			 o->has_arg == optional_argument ? "[=%s]" : " %s", o->arg);
	/* A name too long for its column has the description below it. */
	if (strlen(left) < HELP_COLUMN)
		printf("%-*s", HELP_COLUMN, left);
	else
		printf("%s\n%*s", left, HELP_COLUMN, "");
	help_text(o->help);
}

int cmd_help(const struct cmd_command *cmd)
{
	tuning_fill();
	fputs(cmd->usage, stdout);
	fputs("\n", stdout);
	for (const struct cmd_option *const *t = cmd->tables; *t; t++)
		for (const struct cmd_option *o = *t; o->name; o++)
			help_option(o);
	if (cmd->after)
		printf("\n%s", cmd->after);
	return LSIO_EXIT_OK;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lsio %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'lsio %s --help' for more information.\n", cmd);
	return LSIO_EXIT_USAGE;
}

/* --- the shared options' values ----------------------------------------- */

/* A whole number in [lo, hi] from all of text, or -1. */
static long parse_long(const char *text, long lo, long hi)
{
	char *end;
	long v;

	if (!text || !*text)
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	return errno || *end || v < lo || v > hi ? -1 : v;
}

/* A Slurm job array's task: part (ID - MIN) / STEP of COUNT. */
static int parse_slurm_shard(const char *cmd, struct lsio_options *o)
{
	static const char *const vars[] = { "SLURM_ARRAY_TASK_ID",
					    "SLURM_ARRAY_TASK_COUNT" };
	const char *min = getenv("SLURM_ARRAY_TASK_MIN");
	const char *step = getenv("SLURM_ARRAY_TASK_STEP");
	long id, count, lo = min ? parse_long(min, 0, INT_MAX) : 0;
	long by = step ? parse_long(step, 1, INT_MAX) : 1;

	for (size_t i = 0; i < 2; i++)
		if (!getenv(vars[i]))
			return cmd_usage_error(cmd, "--shard slurm: %s is not set: run it as a task of a job array (sbatch --array=0-3)",
					       vars[i]);
	id = parse_long(getenv(vars[0]), 0, INT_MAX);
	count = parse_long(getenv(vars[1]), 1, INT_MAX);
	if (id < 0 || count < 0 || lo < 0 || by < 1 || id < lo ||
	    (id - lo) % by || (id - lo) / by >= count)
		return cmd_usage_error(cmd, "--shard slurm: task %s of an array of %s (min %s, step %s) is not a part 0 to count - 1",
				       getenv(vars[0]), getenv(vars[1]),
				       min ? min : "0", step ? step : "1");
	o->shard_index = (int)((id - lo) / by);
	o->shard_count = (int)count;
	return 0;
}

static int parse_shard(const char *cmd, const char *arg,
		       struct lsio_options *o)
{
	const char *slash = strchr(arg, '/');
	char k[32];
	long n, i;

	if (!strcmp(arg, "slurm"))
		return parse_slurm_shard(cmd, o);
	if (slash && (size_t)(slash - arg) < sizeof(k)) {
		snprintf(k, sizeof(k), "%.*s", (int)(slash - arg), arg);
		n = parse_long(slash + 1, 1, 1 << 20);
		i = parse_long(k, 0, n - 1);
		if (n > 0 && i >= 0) {
			o->shard_index = (int)i;
			o->shard_count = (int)n;
			return 0;
		}
	}
	return cmd_usage_error(cmd, "--shard: expected K/N with 0 <= K < N (such as 0/4), or 'slurm', got '%s'",
			       arg);
}

/* arg among names (NULL terminated): its index, or -1 when not there. */
static int pick(const char *arg, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

/* --workers 8: lsio_options_set() checks it as a job's value is, and
 * says why not in the same words. */
static int parse_tuning(const char *cmd, int opt, const char *arg,
			struct lsio_options *o)
{
	const struct lsio_option_info *in = lsio_option_info((size_t)(opt - OPT_TUNING));
	char why[256];

	if (!lsio_options_set(o, in->key, arg, why, sizeof(why)))
		return 0;
	return cmd_usage_error(cmd, "--%s: %s", in->flag, why);
}

/* --stats, --stats=json, and --stats json: an optional argument is glued
 * to its option with '=', so the next word is taken when it can only be
 * a format.  A job file called "json" is then ./json. */
static int parse_stats(struct cmd_parser *p, const char *arg, int *mode)
{
	static const char *const names[] = { "text", "json", NULL };

	if (!arg && optind < p->argc && pick(p->argv[optind], names) >= 0)
		arg = p->argv[optind++];
	*mode = arg ? pick(arg, names) + 1 : 1;
	if (!*mode)
		return cmd_usage_error(p->cmd->name, "--stats takes text or json, not '%s'", arg);
	return 0;
}

bool cmd_option_in_job(int opt)
{
	const struct lsio_option_info *in;

	if (opt < OPT_TUNING || opt >= OPT_TUNING + CMD_TUNING_MAX)
		return false;
	in = lsio_option_info((size_t)(opt - OPT_TUNING));
	return in && strchr(in->key, '.');
}

/* The value tables return 0 or the exit status 2 (said); this is 0, 1
 * (not one of them) or -1. */
int cmd_common_option(struct cmd_parser *p, struct cmd_common *c, int opt,
		      const char *arg)
{
	struct lsio_options *o = &c->opt;
	const char *cmd = p->cmd->name;
	int ret;

	if (opt >= OPT_TUNING && opt < OPT_TUNING + CMD_TUNING_MAX)
		return parse_tuning(cmd, opt, arg, o) ? -1 : 0;
	switch (opt) {
	case OPT_NO_SIGN:
		o->no_sign_request = 1;
		return 0;
	case OPT_SHARD:
		ret = parse_shard(cmd, arg, o);
		break;
	case OPT_RESUME:
		o->resume = 1;
		return 0;
	case OPT_REDUCE:
		o->reduce = arg;
		return 0;
	case OPT_SKIP_FILL:
		o->skip_fill = 1;
		return 0;
	case OPT_CHUNKS:
		c->chunks = arg;
		return 0;
	case OPT_PROGRESS:
		c->progress = true;
		return 0;
	case 'q':
		c->quiet = true;
		return 0;
	case OPT_STATS:
		ret = parse_stats(p, arg, &c->stats);
		break;
	default:
		return 1;
	}
	return ret ? -1 : 0;
}
