/* SPDX-License-Identifier: MIT */
/*
 * job_reduce.c - what "reduce" (of an array output, or --reduce) says:
 * an operation and the dimensions it reduces away, "mean:0" or
 * {"op": "mean", "axes": [0], "skip_fill": true, "ddof": 1}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job/job_parse.h"

static const char *const op_names[] = {
	[LSIO_REDUCE_NONE] = "none", [LSIO_REDUCE_SUM] = "sum",
	[LSIO_REDUCE_MEAN] = "mean", [LSIO_REDUCE_MIN] = "min",
	[LSIO_REDUCE_MAX] = "max", [LSIO_REDUCE_COUNT] = "count",
	[LSIO_REDUCE_VAR] = "var", [LSIO_REDUCE_STD] = "std", NULL
};

const char *lsio_reduce_name(enum lsio_reduce_op op)
{
	return op_names[op];
}

static int reduce_op(const char *name, size_t len, struct lsio_reduce *r,
		     char *why, size_t cap)
{
	char word[16];
	const char *hint;

	for (int op = LSIO_REDUCE_SUM; op_names[op]; op++)
		if (strlen(op_names[op]) == len &&
		    !strncmp(op_names[op], name, len)) {
			r->op = op;
			return 0;
		}
	snprintf(word, sizeof(word), "%.*s", (int)MIN(len, 15), name);
	hint = lsio_did_you_mean(word, op_names + 1);
	snprintf(why, cap,
		 "unknown operation '%.*s'%s%s%s (sum, mean, min, max, count, var, std)",
		 (int)len, name, hint ? ": did you mean '" : "",
		 hint ? hint : "", hint ? "'?" : "");
	return -LSIO_EUSAGE;
}

/* One axis, "2" or "-1" (the last), into r->axes. */
static int reduce_axis(long long a, uint32_t ndim, struct lsio_reduce *r,
		       char *why, size_t cap)
{
	long long d = a < 0 ? a + (long long)ndim : a;

	if (d < 0 || d >= (long long)ndim) {
		snprintf(why, cap, "axis %lld is outside an array of %u dimension%s",
			 a, ndim, ndim == 1 ? "" : "s");
		return -LSIO_EUSAGE;
	}
	if (r->axes & (1u << d)) {
		snprintf(why, cap, "axis %lld is given twice", a);
		return -LSIO_EUSAGE;
	}
	r->axes |= 1u << d;
	return 0;
}

/* The dimension named name (len bytes), as an axis number. */
static int reduce_name(const char *name, size_t len, uint32_t ndim,
		       char *const *dims, long long *a, char *why, size_t cap)
{
	char word[64];
	const char *hint;
	const char *names[LSIO_MAX_DIMS + 1] = { NULL };

	for (uint32_t d = 0; dims && d < ndim; d++) {
		names[d] = dims[d];
		if (strlen(dims[d]) == len && !strncmp(dims[d], name, len)) {
			*a = d;
			return 0;
		}
	}
	snprintf(word, sizeof(word), "%.*s", (int)MIN(len, 63), name);
	if (!dims) {
		snprintf(why, cap,
			 "'%s': the array names no dimensions (its output has no \"dims\"): give axes as numbers, as in 'mean:0,2'",
			 word);
		return -LSIO_EUSAGE;
	}
	hint = lsio_did_you_mean(word, names);
	snprintf(why, cap, "no dimension '%s'%s%s%s", word,
		 hint ? ": did you mean '" : "", hint ? hint : "",
		 hint ? "'?" : "");
	return -LSIO_EUSAGE;
}

static int reduce_axes(const char *s, uint32_t ndim, char *const *dims,
		       struct lsio_reduce *r, char *why, size_t cap)
{
	while (*s) {
		size_t len = strcspn(s, ",");
		char *end;
		long long a;

		errno = 0;
		a = strtoll(s, &end, 10);
		if (!len) {
			snprintf(why, cap, "an empty axis in '%s'", s);
			return -LSIO_EUSAGE;
		}
		if ((end != s + len || errno) &&
		    reduce_name(s, len, ndim, dims, &a, why, cap))
			return -LSIO_EUSAGE;
		if (reduce_axis(a, ndim, r, why, cap))
			return -LSIO_EUSAGE;
		s += s[len] ? len + 1 : len;
	}
	return 0;
}

/* No axes: every one, a single number for a 0-d result. */
static void reduce_all(uint32_t ndim, struct lsio_reduce *r)
{
	r->axes = ndim ? (uint32_t)((1ull << ndim) - 1) : 0;
}

int lsio_reduce_parse(const char *text, uint32_t ndim,
		      char *const *dims, struct lsio_reduce *r, char *why,
		      size_t cap)
{
	const char *colon = strchr(text, ':');
	size_t len = colon ? (size_t)(colon - text) : strlen(text);

	*r = (struct lsio_reduce){ 0 };
	if (reduce_op(text, len, r, why, cap))
		return -LSIO_EUSAGE;
	if (!colon || !colon[1]) {
		reduce_all(ndim, r);
		return 0;
	}
	return reduce_axes(colon + 1, ndim, dims, r, why, cap);
}

/* --- the job's "reduce" ---------------------------------------------------- */

static int reduce_fail(struct job_parser *p, const char *sub, const char *why)
{
	char at[32];

	snprintf(at, sizeof(at), "reduce%s%s", sub ? "." : "", sub ? sub : "");
	return job_fail(p, at, "%s", why);
}

static int reduce_object_axes(struct job_parser *p, json_t *v,
			      struct lsio_reduce *r)
{
	uint32_t ndim = p->job->out.ndim;
	char why[LSIO_MSG_MAX / 2];
	json_t *e;
	size_t i;

	if (!v) {
		reduce_all(ndim, r);
		return 0;
	}
	if (!json_is_array(v))
		return reduce_fail(p, "axes", "expected a list of dimensions, as in [0, 2]");
	json_array_foreach(v, i, e) {
		long long a = json_integer_value(e);

		if (json_is_string(e) &&
		    reduce_name(json_string_value(e), json_string_length(e), ndim,
				p->job->out.dims, &a, why, sizeof(why)))
			return reduce_fail(p, "axes", why);
		if (!json_is_integer(e) && !json_is_string(e))
			return reduce_fail(p, "axes", "expected dimension numbers or names");
		if (reduce_axis(a, ndim, r, why, sizeof(why)))
			return reduce_fail(p, "axes", why);
	}
	return 0;
}

static int reduce_object(struct job_parser *p, json_t *obj,
			 struct lsio_reduce *r)
{
	static const char *const keys[] = { "op", "axes", "skip_fill", "ddof",
					    NULL };
	json_t *op = json_object_get(obj, "op"), *v;
	char why[LSIO_MSG_MAX / 2];
	const char *key;

	json_object_foreach(obj, key, v)
		if (!job_in_list(key, keys))
			return job_unknown_key(p, "reduce", key, keys);
	if (!json_is_string(op))
		return reduce_fail(p, "op", "expected one of sum, mean, min, max, count, var, std");
	if (reduce_op(json_string_value(op), json_string_length(op), r, why,
		      sizeof(why)))
		return reduce_fail(p, "op", why);
	v = json_object_get(obj, "skip_fill");
	if (v && !json_is_boolean(v))
		return reduce_fail(p, "skip_fill", "expected true or false");
	r->skip_fill = v && json_is_true(v);
	v = json_object_get(obj, "ddof");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > UINT32_MAX))
		return reduce_fail(p, "ddof", "expected a whole number >= 0");
	r->ddof = v ? (uint32_t)json_integer_value(v) : 0;
	return reduce_object_axes(p, json_object_get(obj, "axes"), r);
}

int job_reduce(struct job_parser *p, json_t *v)
{
	struct lsio_reduce *r = &p->job->out.reduce;
	char why[LSIO_MSG_MAX / 2];

	*r = (struct lsio_reduce){ 0 };
	if (!v)
		return 0;
	if (json_is_string(v)) {
		if (lsio_reduce_parse(json_string_value(v), p->job->out.ndim,
				      p->job->out.dims, r, why, sizeof(why)))
			return reduce_fail(p, NULL, why);
		return 0;
	}
	if (json_is_object(v))
		return reduce_object(p, v, r);
	return reduce_fail(p, NULL, "expected \"OP:AXES\" (\"mean:0\") or {\"op\": ..., \"axes\": [...]}");
}

json_t *lsio_reduce_json(const char *text, int skip_fill, uint32_t ndim,
			 char *const *dims)
{
	struct lsio_reduce r;
	char why[LSIO_MSG_MAX / 2];
	json_t *o, *axes;

	if (skip_fill <= 0 ||
	    lsio_reduce_parse(text, ndim, dims, &r, why, sizeof(why)))
		return json_string(text);	/* its error comes with the run */
	o = json_object();
	axes = json_array();
	for (uint32_t d = 0; o && axes && d < ndim; d++)
		if (r.axes >> d & 1)
			json_array_append_new(axes, json_integer(d));
	if (!o || !axes || json_object_set_new(o, "op", json_string(lsio_reduce_name(r.op))) ||
	    json_object_set_new(o, "axes", axes) ||
	    json_object_set_new(o, "skip_fill", json_true())) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int lsio_reduce_resolve(struct lsio_ctx *ctx, const struct lsio_job *job,
			const struct lsio_options *opt, struct lsio_reduce *r)
{
	const struct lsio_output *out = &job->out;
	char why[LSIO_MSG_MAX / 2];

	*r = out->reduce;
	if (opt && opt->reduce) {
		if (out->type != LSIO_OUT_ARRAY)
			return lsio_fail(ctx, -LSIO_EUSAGE,
					 "--reduce: the job's output is %s; only an array output can be reduced%s",
					 lsio_job_output_type(job),
					 out->type == LSIO_OUT_DATASET
						 ? " (not yet a NetCDF file: write one variable to .npy, --var V -o OUT.npy)"
						 : "");
		if (lsio_reduce_parse(opt->reduce, out->ndim, out->dims,
				      r, why, sizeof(why)))
			return lsio_fail(ctx, -LSIO_EUSAGE,
					 "--reduce '%s': %s", opt->reduce, why);
	}
	if (opt && opt->skip_fill >= 0)
		r->skip_fill = opt->skip_fill;
	return 0;
}

