/* SPDX-License-Identifier: MIT */
/*
 * job.h - what the job layer offers the rest of the library beyond
 * internal.h: the "storage" option table and per-chunk output names.
 */
#ifndef LSIO_JOB_H
#define LSIO_JOB_H

#include <stddef.h>

#include "internal.h"

/* --- the storage option table (job_opts.c) -------------------------------- */

enum lsio_opt_type {
	LSIO_OPT_INT,		/* an integer (int field) */
	LSIO_OPT_SIZE,		/* bytes with optional unit (int64_t field) */
	LSIO_OPT_CHOICE,	/* one of choices[] (int field: its value) */
	LSIO_OPT_NAME,		/* one of choices[] (char * field: a copy) */
};

/* Where a key may appear.  Only the top of "storage" exists today; the
 * per-class ("classes": {"ssd": {...}}) and per-prefix ("prefixes":
 * {"/scratch": {...}}) objects will parse the same table with their own
 * scope, so keys that make no sense per class (workers, memory) just
 * leave that bit out. */
#define LSIO_OPT_GLOBAL 1u
#define LSIO_OPT_SCOPED 2u	/* per class / per prefix (not yet parsed) */

struct lsio_opt_choice {
	const char *name;
	int value;
};

/* One storage setting, in the manner of fio's option table: the one
 * place that knows its key, type, bounds and where it is stored.  info is
 * what lsio.h shows of it (lsio_option_info): the key, the command line's
 * flag, the metavar and the line of help that the job's documentation and
 * `lsio --help` share. */
struct lsio_opt {
	struct lsio_option_info info;
	enum lsio_opt_type type;
	unsigned scope;			/* LSIO_OPT_GLOBAL | LSIO_OPT_SCOPED */
	int64_t min, max;		/* INT and SIZE */
	bool off_ok;			/* SIZE: "off" (and 0) turns it off */
	const struct lsio_opt_choice *choices;	/* NULL-name terminated */
	size_t off;			/* into struct lsio_settings */
	size_t opt_off;			/* into struct lsio_options */
};

/* Every setting "not given" (-1 or NULL). */
void lsio_settings_init(struct lsio_settings *s);

/* Free what lsio_settings_parse allocated; s is "not given" after. */
void lsio_settings_release(struct lsio_settings *s);

/* Parse a job's "storage" object into out (initialised by the caller).
 * name is the job's name for messages ("job.json: storage.memory: ...").
 * Returns 0, -LSIO_EJOB or -ENOMEM with the context message set. */
int lsio_settings_parse(struct lsio_ctx *ctx, const char *name,
			json_t *storage, struct lsio_settings *out);

/* Fill every setting opt leaves unset (< 0 or NULL) from s.  Pointers in
 * opt then point into s, which must outlive opt. */
void lsio_settings_apply(const struct lsio_settings *s,
			 struct lsio_options *opt);

/* --- JSON values the output sections share (job.c) ------------------------ */

/* where is the value's full path for messages ("job.json: output.dtype").
 * Each returns 0, or -LSIO_EJOB (-ENOMEM) with the message set. */

/* A numpy dtype string. */
int lsio_json_dtype(struct lsio_ctx *ctx, const char *where, json_t *v,
		    struct lsio_dtype *dt);

/* A shape: at most LSIO_MAX_DIMS sizes into shape[] (shape[0] = 1 for
 * none), whose product times itemsize stays below 2^63. */
int lsio_json_shape(struct lsio_ctx *ctx, const char *where, json_t *v,
		    uint32_t itemsize, uint32_t *ndim, uint64_t *shape);

/* A fill value (v may be NULL: zero), encoded as one element of dt. */
int lsio_json_fill(struct lsio_ctx *ctx, const char *where, json_t *v,
		   const struct lsio_dtype *dt, uint8_t fill[16], bool *is_zero);

/* Every key of obj is one of keys (NULL terminated); an unknown one gets
 * a "did you mean". */
int lsio_json_keys(struct lsio_ctx *ctx, const char *where, json_t *obj,
		   const char *const *keys);

/* The largest rank of a placement of job: the output's, or that of the
 * dataset's variable with the most dimensions. */
uint32_t lsio_job_max_rank(const struct lsio_job *job);

/* --- the dataset output (job_dataset.c) ----------------------------------- */

/* Parse a dataset output's "variables" and "attrs" into out (where is
 * "job.json: output"): types NetCDF has, dimension names whose lengths
 * agree across variables, inline values and attributes encoded.  Returns
 * 0, -LSIO_EJOB or -ENOMEM with the message set; what was parsed is freed
 * by lsio_dataset_release() in either case. */
int lsio_dataset_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		       struct lsio_output *out);
void lsio_dataset_release(struct lsio_output *out);

/* --- chunk names for files output (job.c) --------------------------------- */

#define LSIO_NAME_MAX 255	/* NAME_MAX: checked at load */


#endif /* LSIO_JOB_H */
