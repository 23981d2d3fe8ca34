/* SPDX-License-Identifier: MIT */
/*
 * sink.c - pick the sink for a job's output and open it.
 *
 * A sink is a const struct lsio_sink_ops, one file each, like the I/O
 * backends.  The engine opens it once, calls direct() and put() from its
 * workers, then commit() (or abort()) and close() from the thread that
 * runs the job.  Every sink writes under a temporary name and renames into
 * place on commit, so a failed run leaves nothing behind.
 */
#include "internal.h"

/* One per file in lib/sink/ (their home could be internal.h). */
extern const struct lsio_sink_ops lsio_sink_array;
extern const struct lsio_sink_ops lsio_sink_files;
extern const struct lsio_sink_ops lsio_sink_stream;
extern const struct lsio_sink_ops lsio_sink_null;
extern const struct lsio_sink_ops lsio_sink_dataset;
extern const struct lsio_sink_ops lsio_sink_memory;
extern const struct lsio_sink_ops lsio_sink_callback;
extern const struct lsio_sink_ops lsio_sink_reduce;

#define SINK_DEFAULT_FD 1	/* standard output */

static const struct lsio_sink_ops *sink_pick(enum lsio_output_type type)
{
	switch (type) {
	case LSIO_OUT_ARRAY:
		return &lsio_sink_array;
	case LSIO_OUT_FILES:
		return &lsio_sink_files;
	case LSIO_OUT_STDOUT:
		return &lsio_sink_stream;
	case LSIO_OUT_NULL:
		return &lsio_sink_null;
	case LSIO_OUT_DATASET:
		return &lsio_sink_dataset;
	}
	return NULL;
}

/* The file or directory to write: --output wins over the job. */
static const char *sink_path(const struct lsio_output *out,
			     const char *path_override)
{
	switch (out->type) {
	case LSIO_OUT_ARRAY:
	case LSIO_OUT_DATASET:
		return path_override ? path_override : out->path;
	case LSIO_OUT_FILES:
		return path_override ? path_override : out->dir;
	default:
		return NULL;
	}
}

/* The caller's memory or function instead of the job's output: nothing
 * is written under any path. */
static int sink_open_dest(struct lsio_ctx *ctx, const char *path_override,
			  struct lsio_sink *s)
{
	s->ops = s->dest->kind == LSIO_DEST_MEMORY ? &lsio_sink_memory
						   : &lsio_sink_callback;
	if (path_override)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "output '%s': a run into %s writes no file",
				 path_override,
				 s->dest->kind == LSIO_DEST_MEMORY
					 ? "the caller's memory"
					 : "a callback");
	return s->ops->open(s);
}

/* The reduction's sink, which opens the array's (or the memory's) for its
 * result. */
static int sink_open_reduce(struct lsio_ctx *ctx, struct lsio_sink *s)
{
	s->ops = &lsio_sink_reduce;
	if (s->dest && s->dest->kind == LSIO_DEST_CALLBACK)
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "reduce: a callback receives chunks, not a reduction");
	return s->ops->open(s);
}

/*
 * s->stdout_fd, s->window and s->dest may be preset by the caller (tests
 * write to a pipe; the engine passes the run's destination); 0 and NULL
 * mean "the default".  On failure the sink has already removed what it
 * created, and abort() and close() are harmless no-ops.
 */
int lsio_sink_open(struct lsio_ctx *ctx, const struct lsio_job *job,
		   const char *path_override, struct lsio_sink *s)
{
	const struct lsio_output *out = &job->out;
	char why[LSIO_MSG_MAX / 2];

	s->ops = sink_pick(out->type);
	s->ctx = ctx;
	s->job = job;
	s->priv = NULL;
	s->path = sink_path(out, path_override);
	if (!s->shard || s->shard == &s->whole) {
		s->whole = (struct lsio_shard){ .n = 1, .ntaken = job->nchunks,
						.rows = { 0, UINT64_MAX },
						.end = job->nchunks };
		s->shard = &s->whole;
	}
	if (s->stdout_fd <= 0)
		s->stdout_fd = SINK_DEFAULT_FD;
	atomic_init(&s->bytes_out, 0);
	if (s->reduce && s->reduce->op)
		return sink_open_reduce(ctx, s);
	if (s->dest && s->dest->kind != LSIO_DEST_JOB)
		return sink_open_dest(ctx, path_override, s);
	if (!s->ops) {
		/* Still a sink the caller can abort and close. */
		s->ops = &lsio_sink_null;
		return lsio_fail(ctx, -LSIO_EJOB, "output.type: unknown type %d",
				 (int)out->type);
	}
	if (path_override && (out->type == LSIO_OUT_STDOUT ||
			      out->type == LSIO_OUT_NULL))
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "--output '%s': this job's output is %s, which has no path",
				 path_override,
				 out->type == LSIO_OUT_STDOUT ? "stdout" : "null");
	if (lsio_output_places(out) && (!s->path || !*s->path))
		return lsio_fail(ctx, -LSIO_EJOB, "output.path: missing");
	/* No bytes under a misleading name (-o x.nc for an array). */
	if (lsio_output_places(out) &&
	    lsio_output_path_check(out, s->path, why, sizeof(why)))
		return lsio_fail(ctx, path_override ? -LSIO_EUSAGE : -LSIO_EJOB,
				 "%s%s", path_override ? "--output " : "output.path: ",
				 why);
	if (out->type == LSIO_OUT_FILES && (!s->path || !*s->path))
		return lsio_fail(ctx, -LSIO_EJOB, "output.dir: missing");
	return s->ops->open(s);
}
