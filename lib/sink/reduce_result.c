/* SPDX-License-Identifier: MIT */
/*
 * reduce_result.c - what a reduction writes, as a job of its own that the
 * array sink (or the dataset sink, or the caller's memory) writes as it
 * writes any: the job's output with the reduced dimensions gone.
 *
 * An array becomes the reduced array.  A dataset keeps its variables as
 * xarray's Dataset.max("time") does: those with a reduced dimension are
 * reduced over the ones they have (their attributes kept, CF's
 * cell_methods saying how), the coordinate variable of a reduced dimension
 * is dropped, the others are copied as they are read.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/reduce.h"

/* The output's variables (one for an array) and their reductions. */
int lsio_reduce_vars_init(const struct lsio_output *out,
			  const struct lsio_reduce *r,
			  struct lsio_reduce_var **vars, uint32_t *nvars,
			  char *why, size_t cap)
{
	bool dataset = out->type == LSIO_OUT_DATASET;
	uint32_t n = dataset ? out->nvars : 1, to = 0;
	struct lsio_reduce_var *v = calloc(n ? n : 1, sizeof(*v));
	int err = v ? 0 : -ENOMEM;

	*vars = v;
	*nvars = n;
	for (uint32_t i = 0; !err && i < n; i++) {
		struct lsio_output one = *out;
		const struct lsio_var *var = dataset ? &out->vars[i] : NULL;

		one.reduce = *r;
		if (var) {
			one.dtype = var->dtype;
			one.ndim = var->ndim;
			memcpy(one.shape, var->shape, sizeof(one.shape));
			memcpy(one.fill, var->fill, sizeof(one.fill));
			one.reduce.axes = lsio_reduce_var_axes(r, var);
		}
		v[i].reduced = one.reduce.axes != 0;
		/* xarray's coordinate of a reduced dimension goes with it */
		v[i].to = var && var->ndim == 1 && v[i].reduced &&
				  !strcmp(var->name, var->dims[0])
			  ? UINT32_MAX : to++;
		if (v[i].reduced && v[i].to != UINT32_MAX)
			err = lsio_reducer_init(&v[i].rd, &one, why, cap);
		if (err && var) {
			char msg[LSIO_MSG_MAX / 2];

			snprintf(msg, sizeof(msg), "variable '%s': %s", var->name,
				 why);
			snprintf(why, cap, "%s", msg);
		}
		if (!err && v[i].reduced && v[i].to != UINT32_MAX &&
		    lsio_acc_alloc(&v[i].rd, &v[i].total, v[i].rd.rlen))
			err = -ENOMEM;
	}
	if (err == -ENOMEM)
		snprintf(why, cap, "out of memory");
	return err;
}

void lsio_reduce_vars_free(struct lsio_reduce_var *vars, uint32_t n)
{
	for (uint32_t i = 0; vars && i < n; i++)
		lsio_acc_free(&vars[i].total);
	free(vars);
}

/* --- an array ----------------------------------------------------------------- */

static void result_array(struct lsio_output *out, const struct lsio_reducer *rd)
{
	out->dtype = rd->out;
	out->ndim = rd->rdim;
	memcpy(out->shape, rd->rshape, sizeof(out->shape));
	memset(out->fill, 0, sizeof(out->fill));
	out->fill_is_zero = true;
	out->no_prefill = true;	/* every element is written */
}

/* --- a dataset -------------------------------------------------------------- */

/* CF's word for the operation (its Appendix E), or NULL. */
static const char *cf_method(enum lsio_reduce_op op)
{
	switch (op) {
	case LSIO_REDUCE_SUM: return "sum";
	case LSIO_REDUCE_MEAN: return "mean";
	case LSIO_REDUCE_MIN: return "minimum";
	case LSIO_REDUCE_MAX: return "maximum";
	case LSIO_REDUCE_VAR: return "variance";
	case LSIO_REDUCE_STD: return "standard_deviation";
	default: return NULL;
	}
}

/* "time: lat: maximum", after what cell_methods said before. */
static char *cell_methods(const struct lsio_var *v, uint32_t axes,
			  enum lsio_reduce_op op, const struct lsio_attr *old)
{
	struct lsio_strbuf b = { 0 };

	if (old && old->text && old->n)
		lsio_strbuf_printf(&b, "%.*s ", (int)old->n,
				   (const char *)old->data);
	for (uint32_t d = 0; d < v->ndim; d++)
		if (axes >> d & 1)
			lsio_strbuf_printf(&b, "%s: ", v->dims[d]);
	lsio_strbuf_printf(&b, "%s", cf_method(op));
	if (b.oom)
		lsio_strbuf_release(&b);
	return b.oom ? NULL : b.p;	/* the caller's to free */
}

/* The reduced variable's attributes: its own, cell_methods said. */
static int result_attrs(struct lsio_var *rv, const struct lsio_var *v,
			const struct lsio_reduce_var *red,
			struct lsio_reduce_result *res)
{
	const struct lsio_attr *old = NULL;
	uint32_t n = 0;
	char *text;

	if (!cf_method(red->rd.r.op))
		return 0;
	rv->attrs = calloc(v->nattrs + 1, sizeof(*rv->attrs));
	if (!rv->attrs)
		return -ENOMEM;
	res->owned[res->nowned++] = rv->attrs;
	for (uint32_t a = 0; a < v->nattrs; a++) {
		if (!strcmp(v->attrs[a].name, "cell_methods"))
			old = &v->attrs[a];
		else
			rv->attrs[n++] = v->attrs[a];
	}
	text = cell_methods(v, red->rd.r.axes, red->rd.r.op, old);
	if (!text)
		return -ENOMEM;
	res->owned[res->nowned++] = text;
	rv->attrs[n] = (struct lsio_attr){ .name = "cell_methods",
					   .text = true, .n = strlen(text),
					   .data = (uint8_t *)text };
	rv->nattrs = n + 1;
	return 0;
}

/* A float result's fill value is NaN; min and max keep the variable's. */
static void result_fill(struct lsio_var *rv, const struct lsio_var *v)
{
	double nan = NAN;
	float nanf = NAN;

	if (rv->dtype.kind != 'f' || !memcmp(&rv->dtype, &v->dtype,
					     sizeof(rv->dtype)))
		return;
	memset(rv->fill, 0, sizeof(rv->fill));
	memcpy(rv->fill, rv->dtype.size == 4 ? (void *)&nanf : (void *)&nan,
	       rv->dtype.size);
	rv->fill_is_zero = false;
	rv->has_fill = true;
}

static int result_var(struct lsio_var *rv, const struct lsio_var *v,
		      const struct lsio_reduce_var *red,
		      struct lsio_reduce_result *res)
{
	const struct lsio_reducer *rd = &red->rd;
	uint32_t k = 0;

	*rv = *v;
	if (!red->reduced)
		return 0;
	rv->dtype = rd->out;
	rv->ndim = rd->rdim;
	memcpy(rv->shape, rd->rshape, sizeof(rv->shape));
	rv->values = NULL;
	rv->dims = calloc(v->ndim + 1, sizeof(*rv->dims));
	if (!rv->dims)
		return -ENOMEM;
	res->owned[res->nowned++] = rv->dims;
	for (uint32_t d = 0; d < v->ndim; d++)
		if (!(rd->r.axes >> d & 1))
			rv->dims[k++] = v->dims[d];
	result_fill(rv, v);
	return result_attrs(rv, v, red, res);
}

/* The chunks as the inner sink sees them: each in its variable's place
 * in the result (those of reduced or dropped ones never reach it). */
static int result_chunks(struct lsio_job *rj, const struct lsio_job *job,
			 const struct lsio_reduce_var *vars,
			 struct lsio_reduce_result *res)
{
	struct lsio_chunk *c = malloc((job->nchunks ? job->nchunks : 1) *
				      sizeof(*c));

	if (!c)
		return -ENOMEM;
	res->owned[res->nowned++] = c;
	for (uint64_t i = 0; i < job->nchunks; i++) {
		const struct lsio_reduce_var *v = &vars[job->chunks[i].var];

		c[i] = job->chunks[i];
		c[i].var = v->reduced || v->to == UINT32_MAX ? 0
							      : (uint16_t)v->to;
	}
	rj->chunks = c;
	return 0;
}

static int result_dataset(struct lsio_job *rj, const struct lsio_job *job,
			  const struct lsio_reduce_var *vars,
			  struct lsio_reduce_result *res)
{
	const struct lsio_output *out = &job->out;
	struct lsio_var *rv;
	uint32_t n = 0;
	int err;

	/* owned: the variables, their dims and attrs, the strings, chunks */
	res->owned = calloc(4 * (size_t)out->nvars + 2, sizeof(*res->owned));
	rv = calloc(out->nvars + 1, sizeof(*rv));
	if (!res->owned || !rv) {
		free(rv);
		return -ENOMEM;
	}
	res->owned[res->nowned++] = rv;
	for (uint32_t i = 0; i < out->nvars; i++) {
		if (vars[i].to == UINT32_MAX)
			continue;
		err = result_var(&rv[n++], &out->vars[i], &vars[i], res);
		if (err)
			return err;
	}
	rj->out.vars = rv;
	rj->out.nvars = n;
	return result_chunks(rj, job, vars, res);
}

int lsio_reduce_result_init(struct lsio_reduce_result *res,
			    const struct lsio_job *job, const char *path,
			    const struct lsio_reduce_var *vars)
{
	struct lsio_job *rj = &res->job;
	int err = 0;

	memset(res, 0, sizeof(*res));
	*rj = *job;
	rj->out.reduce.op = LSIO_REDUCE_NONE;
	rj->out.path = (char *)path;
	if (job->out.type == LSIO_OUT_DATASET)
		err = result_dataset(rj, job, vars, res);
	else
		result_array(&rj->out, &vars[0].rd);
	return err;
}

void lsio_reduce_result_release(struct lsio_reduce_result *res)
{
	for (size_t i = 0; i < res->nowned; i++)
		free(res->owned[i]);
	free(res->owned);
	memset(res, 0, sizeof(*res));
}
