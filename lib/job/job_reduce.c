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

/* "OP[:AXES]": the operation into r (emptied first), and in *axes what
 * follows the ':', or NULL when nothing does (every dimension). */
static int reduce_split(const char *text, struct lsio_reduce *r,
			const char **axes, char *why, size_t cap)
{
	const char *colon = strchr(text, ':');
	size_t len = colon ? (size_t)(colon - text) : strlen(text);

	*r = (struct lsio_reduce){ 0 };
	*axes = colon && colon[1] ? colon + 1 : NULL;
	return reduce_op(text, len, r, why, cap);
}

int lsio_reduce_parse(const char *text, uint32_t ndim,
		      char *const *dims, struct lsio_reduce *r, char *why,
		      size_t cap)
{
	const char *axes;

	if (reduce_split(text, r, &axes, why, cap))
		return -LSIO_EUSAGE;
	if (!axes) {
		reduce_all(ndim, r);
		return 0;
	}
	return reduce_axes(axes, ndim, dims, r, why, cap);
}

/* --- a dataset's: dimensions by name ------------------------------------------ */

uint32_t lsio_reduce_var_axes(const struct lsio_reduce *r,
			      const struct lsio_var *v)
{
	uint32_t axes = 0;

	for (const char *s = r->names; *s;) {
		size_t len = strcspn(s, ",");

		for (uint32_t d = 0; d < v->ndim; d++)
			if (strlen(v->dims[d]) == len &&
			    !strncmp(v->dims[d], s, len))
				axes |= 1u << d;
		s += s[len] ? len + 1 : len;
	}
	return axes;
}

/* Every dimension name of the dataset's variables, once, into names
 * (NULL-terminated, at most cap - 1). */
static void dataset_dims(const struct lsio_output *out, const char **names,
			 size_t cap)
{
	size_t n = 0;

	for (uint32_t i = 0; i < out->nvars; i++)
		for (uint32_t d = 0; d < out->vars[i].ndim; d++) {
			const char *dim = out->vars[i].dims[d];
			size_t k = 0;

			while (k < n && strcmp(names[k], dim))
				k++;
			if (k == n && n + 1 < cap)
				names[n++] = dim;
		}
	names[n] = NULL;
}

/* name appended to r->names; false when it has no room. */
static bool names_add(struct lsio_reduce *r, const char *name)
{
	size_t have = strlen(r->names), len = strlen(name);

	if (have + len + 2 > sizeof(r->names))
		return false;
	snprintf(r->names + have, sizeof(r->names) - have, "%s%s",
		 have ? "," : "", name);
	return true;
}

/* One name of AXES (len bytes) for a dataset: a dimension of one of its
 * variables, appended to r->names. */
static int dataset_name(const struct lsio_output *out, const char *name,
			size_t len, struct lsio_reduce *r, char *why, size_t cap)
{
	const char *dims[4 * LSIO_MAX_DIMS + 1], *hint;
	char word[64];

	dataset_dims(out, dims, ARRAY_SIZE(dims));
	snprintf(word, sizeof(word), "%.*s", (int)MIN(len, 63), name);
	for (size_t k = 0; dims[k]; k++)
		if (strlen(dims[k]) == len && !strcmp(dims[k], word) &&
		    names_add(r, word))
			return 0;
	hint = lsio_did_you_mean(word, dims);
	snprintf(why, cap, "no variable has a dimension '%s'%s%s%s%s", word,
		 hint ? ": did you mean '" : "", hint ? hint : "",
		 hint ? "'?" : "",
		 strspn(word, "-0123456789") == strlen(word)
			 ? " (a dataset's dimensions are named, not numbered)"
			 : "");
	return -LSIO_EUSAGE;
}

/* Every dimension of every variable of a dataset, into r->names. */
static void dataset_all(const struct lsio_output *out, struct lsio_reduce *r)
{
	const char *dims[4 * LSIO_MAX_DIMS + 1];

	dataset_dims(out, dims, ARRAY_SIZE(dims));
	for (size_t k = 0; dims[k]; k++)
		names_add(r, dims[k]);
}

/* "OP[:NAMES]" of a dataset (none: every dimension of every variable). */
static int dataset_parse(const char *text, const struct lsio_output *out,
			 struct lsio_reduce *r, char *why, size_t cap)
{
	const char *axes;

	if (reduce_split(text, r, &axes, why, cap))
		return -LSIO_EUSAGE;
	if (!axes) {
		dataset_all(out, r);
		return 0;
	}
	for (const char *s = axes; *s;) {
		size_t n = strcspn(s, ",");

		if (dataset_name(out, s, n, r, why, cap))
			return -LSIO_EUSAGE;
		s += s[n] ? n + 1 : n;
	}
	return 0;
}

/* The reduction "text" of job's output, an array or a dataset. */
static int output_parse(const char *text, const struct lsio_output *out,
			struct lsio_reduce *r, char *why, size_t cap)
{
	if (out->type == LSIO_OUT_DATASET)
		return dataset_parse(text, out, r, why, cap);
	return lsio_reduce_parse(text, out->ndim, out->dims, r, why, cap);
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

	if (!v && p->job->out.type == LSIO_OUT_DATASET) {
		dataset_all(&p->job->out, r);
		return 0;
	}
	if (!v) {
		reduce_all(ndim, r);
		return 0;
	}
	if (!json_is_array(v))
		return reduce_fail(p, "axes", "expected a list of dimensions, as in [0, 2]");
	json_array_foreach(v, i, e) {
		long long a = json_integer_value(e);

		if (p->job->out.type == LSIO_OUT_DATASET) {
			if (!json_is_string(e) ||
			    dataset_name(&p->job->out, json_string_value(e),
					 json_string_length(e), r, why,
					 sizeof(why)))
				return reduce_fail(p, "axes", json_is_string(e) ? why
						   : "expected dimension names");
			continue;
		}
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
		if (output_parse(json_string_value(v), &p->job->out, r, why,
				 sizeof(why)))
			return reduce_fail(p, NULL, why);
		return 0;
	}
	if (json_is_object(v))
		return reduce_object(p, v, r);
	return reduce_fail(p, NULL, "expected \"OP:AXES\" (\"mean:0\") or {\"op\": ..., \"axes\": [...]}");
}

json_t *lsio_reduce_json(const char *text, int skip_fill)
{
	const char *colon = strchr(text, ':');
	json_t *o, *axes = NULL;

	if (skip_fill <= 0)
		return json_string(text);	/* checked when it is loaded */
	o = json_object();
	if (o && colon && colon[1])
		axes = json_array();
	for (const char *s = colon ? colon + 1 : ""; axes && *s;) {
		size_t n = strcspn(s, ",");
		char *end;
		long long a = strtoll(s, &end, 10);

		json_array_append_new(axes, end == s + n && n
				      ? json_integer(a) : json_stringn(s, n));
		s += s[n] ? n + 1 : n;
	}
	if (!o || json_object_set_new(o, "op", json_stringn(text, colon
				      ? (size_t)(colon - text) : strlen(text))) ||
	    (axes && json_object_set_new(o, "axes", axes)) ||
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
		if (!lsio_output_places(out))
			return lsio_fail(ctx, -LSIO_EUSAGE,
					 "--reduce: the job's output is %s; only an array or a dataset can be reduced",
					 lsio_job_output_type(job));
		if (output_parse(opt->reduce, out, r, why, sizeof(why)))
			return lsio_fail(ctx, -LSIO_EUSAGE,
					 "--reduce '%s': %s", opt->reduce, why);
	}
	if (opt && opt->skip_fill >= 0)
		r->skip_fill = opt->skip_fill;
	return 0;
}

