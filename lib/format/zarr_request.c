/* SPDX-License-Identifier: MIT */
/*
 * zarr_request.c - lsio_zarr_request_job(): variables of a Zarr group,
 * selected by dimension name as xarray's .sel (labels) and .isel
 * (indices), as one job.
 *
 * The group is opened as xarray sees it (zarr_dataset.c).  Each --sel term
 * is resolved against its dimension's coordinate (read first, through a
 * job of its own) by zarr_label.c, each --isel term by index; every chosen
 * variable then gets the entries of the chunks its selection touches, all
 * in one job, so one plan reads them all.  A .nc output is a "dataset":
 * the variables, their dimensions' coordinates (sliced the same way: a
 * coordinate selected by label is written with the values the user asked
 * in, e.g. -10..30 across a 0..360 seam), their attributes and the
 * group's.  Anything else is one variable's array, as `lsio zarr` writes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/zarr_label.h"
#include "zarr.h"

#define RQ_DIMS_MAX 64
#define RQ_NAME_MAX 256

/* One dimension of the group: its length, and what the terms select. */
struct rq_dim {
	const char *name;	/* a variable's dims[] entry */
	uint64_t len;
	const char *other;	/* a variable giving it another length */
	const char *term;	/* the --sel/--isel term that selects it */
	struct zarr_dimsel sel;
	/* --sel: the coordinate's values where they were selected, shifted
	 * as the user asked (written inline), count of them. */
	double *values;
	uint64_t nvalues;
};

struct rq {
	struct lsio_ctx *ctx;
	const struct lsio_options *opt;
	const struct lsio_zarr_request *req;
	struct zarr_dataset *ds;
	struct rq_dim dims[RQ_DIMS_MAX];
	size_t ndims;
	const struct zarr_var **vars;	/* what is written: data variables,
					 * then (dataset) coordinates */
	size_t nvars, ndata;
	bool dataset;
	struct lsio_strbuf entries;
	uint64_t nentries;
	json_t *variables;	/* the dataset's "variables" */
	bool blind, all_placed;
	json_t *stages;		/* the default chain: the first variable's */
	char *select_text;	/* the terms, for messages */
};

static bool rq_is_nc(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return (n > 3 && !strcasecmp(path + n - 3, ".nc")) ||
	       (n > 4 && !strcasecmp(path + n - 4, ".nc4"));
}

static struct rq_dim *rq_dim(struct rq *r, const char *name)
{
	for (size_t i = 0; i < r->ndims; i++)
		if (!strcmp(r->dims[i].name, name))
			return &r->dims[i];
	return NULL;
}

/* Every dimension of the group, with one length each. */
static int rq_dims_collect(struct rq *r)
{
	for (size_t i = 0; i < r->ds->nvars; i++) {
		const struct zarr_var *v = &r->ds->vars[i];

		for (uint32_t d = 0; d < v->a.ndim; d++) {
			struct rq_dim *dim = rq_dim(r, v->dims[d]);

			/* xarray refuses such a dataset; here it fails only
			 * a request that uses the dimension (dim_0 of two
			 * arrays without names is common). */
			if (dim && dim->len != v->a.shape[d] && !dim->other)
				dim->other = v->name;
			if (dim)
				continue;
			if (r->ndims == RQ_DIMS_MAX)
				return lsio_fail(r->ctx, -LSIO_EJOB,
						 "store '%s': more than %d dimensions",
						 r->req->store, RQ_DIMS_MAX);
			r->dims[r->ndims++] = (struct rq_dim){
				.name = v->dims[d], .len = v->a.shape[d],
				.sel = { .step = 1, .n = v->a.shape[d] } };
		}
	}
	return 0;
}

/* A request may not use a dimension whose length the variables disagree
 * on. */
static int rq_dim_clash(struct rq *r, const struct rq_dim *dim)
{
	return lsio_fail(r->ctx, -LSIO_EJOB,
			 "store '%s': dimension '%s' is %llu long in some variables and not in '%s'",
			 r->req->store, dim->name, (unsigned long long)dim->len,
			 dim->other);
}

/* The dimension a term names, or an error with "did you mean". */
static int rq_find_dim(struct rq *r, const char *term, const char *name,
		       struct rq_dim **out)
{
	const char *words[RQ_DIMS_MAX + 1];
	const char *near;

	*out = rq_dim(r, name);
	if (*out && (*out)->other)
		return rq_dim_clash(r, *out);
	if (*out && (*out)->term)
		return lsio_fail(r->ctx, -LSIO_EUSAGE,
				 "'%s': dimension '%s' is already selected by '%s'",
				 term, name, (*out)->term);
	if (*out)
		return 0;
	for (size_t i = 0; i < r->ndims; i++)
		words[i] = r->dims[i].name;
	words[r->ndims] = NULL;
	near = lsio_did_you_mean(name, words);
	return lsio_fail(r->ctx, -LSIO_EUSAGE,
			 "'%s': store '%s' has no dimension '%s'%s%s%s", term,
			 r->req->store, name, near ? " (did you mean '" : "",
			 near ? near : "", near ? "'?)" : "");
}

/* xarray's and CF's ways of saying a coordinate is a longitude. */
static bool rq_is_lon(const struct zarr_var *c)
{
	const char *u = json_string_value(json_object_get(c->attrs, "units"));
	const char *sn = json_string_value(json_object_get(c->attrs,
							   "standard_name"));

	if (sn && !strcmp(sn, "longitude"))
		return true;
	if (u && (!strcmp(u, "degrees_east") || !strcmp(u, "degree_east") ||
		  !strcmp(u, "degrees_E") || !strcmp(u, "degreeE")))
		return true;
	return !strcasecmp(c->name, "lon") || !strcasecmp(c->name, "longitude");
}

/* A time coordinate's CF units: 1 when it has none (not a time), 0 with
 * *t, or an error. */
static int rq_time_of(struct rq *r, const struct zarr_var *c,
		      struct cf_time *t)
{
	const char *u = json_string_value(json_object_get(c->attrs, "units"));
	const char *cal = json_string_value(json_object_get(c->attrs,
							    "calendar"));
	char why[LSIO_MSG_MAX / 2];

	if (!u || !strstr(u, " since "))
		return 1;
	if (cf_time_parse(u, cal, t, why, sizeof(why)))
		return lsio_fail(r->ctx, -LSIO_EJOB,
				 "store '%s': coordinate '%s': %s",
				 r->req->store, c->name, why);
	return 0;
}

/* The selected coordinate values, in output order, shifted as asked. */
static int rq_keep_values(struct rq *r, struct rq_dim *dim, const double *v,
			  const struct zarr_labelsel *ls)
{
	uint64_t n = 0, k = 0;

	for (uint32_t s = 0; s < ls->nseg; s++)
		n += ls->seg[s].n;
	dim->values = malloc(MAX(n, 1) * sizeof(double));
	if (!dim->values)
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	for (uint32_t s = 0; s < ls->nseg; s++)
		for (uint64_t j = 0; j < ls->seg[s].n; j++)
			dim->values[k++] = v[ls->seg[s].start + j * ls->seg[s].step] +
					   ls->seg[s].shift;
	dim->nvalues = n;
	return 0;
}

/* zarr_label.c's segments as the generator's selection. */
static void rq_dimsel_of(const struct zarr_labelsel *ls, struct zarr_dimsel *s)
{
	*s = (struct zarr_dimsel){ .start = ls->seg[0].start,
				   .step = ls->seg[0].step ? ls->seg[0].step : 1,
				   .n = ls->nseg ? ls->seg[0].n : 0,
				   .drop = ls->drop };
	if (ls->nseg > 1) {
		s->start2 = ls->seg[1].start;
		s->n2 = ls->seg[1].n;
	}
}

/* --sel DIM=LABELS: against the dimension's coordinate. */
static int rq_label(struct rq *r, const char *term, struct rq_dim *dim,
		    const char *spec)
{
	const struct zarr_var *c = zarr_dataset_coord(r->ds, dim->name);
	struct zarr_labelsel ls;
	struct cf_time t;
	char why[LSIO_MSG_MAX / 2];
	double *v = NULL;
	uint64_t n = 0;
	int ret, not_time;

	if (!c)
		return lsio_fail(r->ctx, -LSIO_EUSAGE,
				 "'%s': dimension '%s' has no coordinate (a 1-D array named '%s'): select it by index, --isel %s=...",
				 term, dim->name, dim->name, dim->name);
	not_time = rq_time_of(r, c, &t);
	if (not_time < 0)
		return not_time;
	ret = zarr_var_read_doubles(r->ctx, r->ds, c, r->opt, &v, &n);
	if (ret)
		return ret;
	ret = zarr_label_resolve(v, n, not_time ? NULL : &t, rq_is_lon(c), spec,
				 &ls, why, sizeof(why));
	if (ret)
		ret = lsio_fail(r->ctx, -LSIO_EUSAGE, "'%s': %s", term, why);
	if (!ret) {
		rq_dimsel_of(&ls, &dim->sel);
		ret = rq_keep_values(r, dim, v, &ls);
	}
	free(v);
	return ret;
}

static int rq_terms(struct rq *r, const char *const *terms, bool labels)
{
	char name[RQ_NAME_MAX], why[LSIO_MSG_MAX / 2];
	struct zarr_labelsel ls;
	struct rq_dim *dim;
	const char *spec;
	int ret;

	for (size_t i = 0; terms && terms[i]; i++) {
		if (zarr_label_split(terms[i], name, sizeof(name), &spec))
			return lsio_fail(r->ctx, -LSIO_EUSAGE,
					 "'%s': a selection is DIM=%s", terms[i],
					 labels ? "LABELS (e.g. latitude=60:40)"
						: "INDICES (e.g. time=0:24)");
		ret = rq_find_dim(r, terms[i], name, &dim);
		if (ret)
			return ret;
		dim->term = terms[i];
		if (labels) {
			ret = rq_label(r, terms[i], dim, spec);
			if (ret)
				return ret;
			continue;
		}
		if (zarr_index_resolve(dim->len, spec, &ls, why, sizeof(why)))
			return lsio_fail(r->ctx, -LSIO_EUSAGE, "'%s': %s",
					 terms[i], why);
		rq_dimsel_of(&ls, &dim->sel);
	}
	return 0;
}

/* The first dimension of v that clashes (see rq_dims_collect), or NULL. */
static const struct rq_dim *rq_clash_of(struct rq *r, const struct zarr_var *v)
{
	for (uint32_t d = 0; d < v->a.ndim; d++) {
		const struct rq_dim *dim = rq_dim(r, v->dims[d]);

		if (dim->other)
			return dim;
	}
	return NULL;
}

/* A variable has every selected dimension. */
static bool rq_has_selected(struct rq *r, const struct zarr_var *v)
{
	for (size_t i = 0; i < r->ndims; i++) {
		bool has = false;

		if (!r->dims[i].term)
			continue;
		for (uint32_t d = 0; d < v->a.ndim; d++)
			has |= !strcmp(v->dims[d], r->dims[i].name);
		if (!has)
			return false;
	}
	return true;
}

static int rq_add_var(struct rq *r, const struct zarr_var *v)
{
	for (size_t i = 0; i < r->nvars; i++)
		if (r->vars[i] == v)
			return 0;
	r->vars[r->nvars++] = v;
	return 0;
}

/* The variables asked for, or the data variables that have every
 * selected dimension; then, for a dataset, the coordinates of their
 * dimensions. */
static int rq_choose(struct rq *r)
{
	const char *const *names = r->req->vars;
	const struct zarr_var *v;
	int ret;

	r->vars = calloc(r->ds->nvars + 1, sizeof(*r->vars));
	if (!r->vars)
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	for (size_t i = 0; names && names[i]; i++) {
		ret = zarr_dataset_var(r->ctx, r->ds, names[i], &v);
		if (ret)
			return ret;
		if (rq_clash_of(r, v))
			return rq_dim_clash(r, rq_clash_of(r, v));
		rq_add_var(r, v);
	}
	if (!names || !names[0])
		for (size_t i = 0; i < r->ds->nvars; i++)
			if (!r->ds->vars[i].is_coord &&
			    !rq_clash_of(r, &r->ds->vars[i]) &&
			    rq_has_selected(r, &r->ds->vars[i]))
				rq_add_var(r, &r->ds->vars[i]);
	if (!r->nvars)
		return lsio_fail(r->ctx, -LSIO_EUSAGE,
				 "store '%s': no data variable has every selected dimension",
				 r->req->store);
	r->ndata = r->nvars;
	if (!r->dataset && r->nvars > 1)
		return lsio_fail(r->ctx, -LSIO_EUSAGE,
				 "'%s': %zu variables are selected (%s, %s%s): a .npy holds one - choose it with --var, or write a .nc",
				 r->req->output ? r->req->output : "-", r->nvars,
				 r->vars[0]->name, r->vars[1]->name,
				 r->nvars > 2 ? ", ..." : "");
	for (size_t i = 0; r->dataset && i < r->ndata; i++)
		for (uint32_t d = 0; d < r->vars[i]->a.ndim; d++) {
			v = zarr_dataset_coord(r->ds, r->vars[i]->dims[d]);
			if (v)
				rq_add_var(r, v);
		}
	return 0;
}

/* --- the job --------------------------------------------------------------- */

/* The JSON of a variable's coordinate values: integers as integers. */
static json_t *rq_values_json(const struct zarr_var *v, const struct rq_dim *dim)
{
	json_t *a = json_array();
	bool integer = strchr("iu", v->a.dtype.str[1]) != NULL;

	for (uint64_t j = 0; a && j < dim->nvalues; j++) {
		double x = dim->values[j];

		json_array_append_new(a, integer && isfinite(x)
				      ? json_integer((json_int_t)llround(x))
				      : json_real(x));
	}
	return a;
}

/* A data variable's dimensions selected down to one value keep their
 * coordinates as scalars, which CF (and xarray, reading it) links to the
 * variable by its "coordinates" attribute, as xarray writes it. */
static int rq_scalar_coords(struct rq *r, const struct zarr_var *v,
			    const struct zarr_dimsel *sel, json_t *attrs)
{
	struct lsio_strbuf b = { 0 };
	int err = 0;

	if (v->is_coord)
		return 0;
	for (uint32_t d = 0; d < v->a.ndim; d++)
		if (sel[d].drop && zarr_dataset_coord(r->ds, v->dims[d]))
			lsio_strbuf_printf(&b, "%s%s", b.len ? " " : "", v->dims[d]);
	if (b.len)
		err = json_object_set_new(attrs, "coordinates", json_string(b.p));
	err |= b.oom;
	free(b.p);
	return err;
}

/* The dataset's entry for variable v, selected as sel[]. */
static int rq_variable_json(struct rq *r, const struct zarr_var *v,
			    const struct zarr_dimsel *sel, const struct rq_dim *inl)
{
	json_t *o = json_object(), *shape = json_array(), *dims = json_array();
	json_t *attrs = json_deep_copy(v->attrs);
	int err = !o || !shape || !dims || !attrs;

	if (!err)
		err = rq_scalar_coords(r, v, sel, attrs);
	for (uint32_t d = 0; !err && d < v->a.ndim; d++) {
		if (sel[d].drop)
			continue;
		err |= json_array_append_new(shape, json_integer(
			(json_int_t)zarr_dimsel_count(&sel[d])));
		err |= json_array_append_new(dims, json_string(v->dims[d]));
	}
	if (!err) {
		err |= json_object_set_new(o, "name", json_string(v->name));
		err |= json_object_set_new(o, "dtype", json_string(v->a.dtype.str));
		err |= json_object_set(o, "shape", shape);
		err |= json_object_set(o, "dims", dims);
		if (!json_is_null(v->a.fill))
			err |= json_object_set(o, "fill_value", v->a.fill);
		err |= json_object_set(o, "attrs", attrs);
		if (inl)
			err |= json_object_set_new(o, "values", rq_values_json(v, inl));
		err |= json_array_append(r->variables, o);
	}
	json_decref(o);
	json_decref(shape);
	json_decref(dims);
	json_decref(attrs);
	return err ? lsio_fail(r->ctx, -ENOMEM, "out of memory") : 0;
}

/* One variable's entries (or, for a coordinate selected by label, its
 * values inline). */
static int rq_var(struct rq *r, const struct zarr_var *v, char **array_out)
{
	struct zarr_gen g = { .ctx = r->ctx, .opt = r->opt, .store = r->ds->store,
			      .a = v->a, .select = r->select_text,
			      .dims = v->named ? v->dims : NULL };
	const struct rq_dim *inl = NULL;
	char *stages = NULL, *var = NULL;
	uint64_t total = 1;
	int ret = 0;

	snprintf(g.meta_key, sizeof(g.meta_key), "%s", v->name);
	for (uint32_t d = 0; d < v->a.ndim; d++) {
		const struct rq_dim *dim = rq_dim(r, v->dims[d]);

		g.sel[d] = dim->sel;
		total *= zarr_dimsel_count(&dim->sel);
		if (r->dataset && v->is_coord && dim->values)
			inl = dim;
	}
	if (r->dataset) {
		ret = rq_variable_json(r, v, g.sel, inl);
		if (ret || inl)
			return ret;
		json_t *js = json_string(v->name);

		var = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
		json_decref(js);
		if (!var)
			return lsio_fail(r->ctx, -ENOMEM, "out of memory");
		g.var = var;
		if (!json_equal(v->a.stages, r->stages))
			g.entry_stages = stages = json_dumps(v->a.stages, 0);
		g.entry_order = true;
	}
	g.nentries = r->nentries;
	g.chunks = r->entries;
	ret = zarr_gen_spans(&g);
	if (!ret)
		ret = zarr_gen_entries(&g);
	if (ret == 1)
		ret = 0;	/* nothing selected: all fill value */
	r->entries = g.chunks;
	r->nentries = g.nentries;
	r->blind |= g.blind;
	r->all_placed &= g.placed == total;
	if (!ret && array_out)
		*array_out = zarr_gen_output(&g, r->req->output);
	if (!ret && array_out && !*array_out)
		ret = lsio_fail(r->ctx, -ENOMEM, "out of memory");
	for (uint32_t d = 0; d < LSIO_MAX_DIMS; d++)
		free(g.spans[d]);
	free(stages);
	free(var);
	return ret;
}

static char *rq_dataset_output(struct rq *r)
{
	json_t *o = json_pack("{s:s, s:O, s:O}", "type", "dataset", "attrs",
			      r->ds->attrs, "variables", r->variables);
	char *text = NULL;

	if (o && r->req->output)
		json_object_set_new(o, "path", json_string(r->req->output));
	if (o && r->all_placed)
		json_object_set_new(o, "prefill", json_false());
	if (o && r->opt && r->opt->reduce)
		json_object_set_new(o, "reduce", lsio_reduce_json(
			r->opt->reduce, r->opt->skip_fill));
	if (o)
		text = json_dumps(o, JSON_ENCODE_ANY);
	json_decref(o);
	return text;
}

static char *rq_defaults(struct rq *r)
{
	json_t *o = json_pack("{s:O}", "stages", r->stages);
	char *text = NULL;

	if (o && r->blind)
		json_object_set_new(o, "missing", json_string(
			r->opt && r->opt->missing_403 > 0 ? "fill-403" : "fill"));
	if (o && !r->dataset && r->vars[0]->a.order == 'F')
		json_object_set_new(o, "place", json_pack("{s:s}", "order", "F"));
	if (o)
		text = json_dumps(o, 0);
	json_decref(o);
	return text;
}

static int rq_job(struct rq *r, char **job)
{
	char *out = NULL;
	int ret = 0;

	r->stages = r->vars[0]->a.stages;
	r->all_placed = true;
	r->variables = json_array();
	if (!r->variables)
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	for (size_t i = 0; !ret && i < r->nvars; i++)
		ret = rq_var(r, r->vars[i], r->dataset ? NULL : &out);
	if (ret) {
		free(out);
		return ret;
	}
	if (r->dataset)
		out = rq_dataset_output(r);
	return zarr_job_text(r->ctx, r->opt, out, rq_defaults(r), &r->entries,
			     job);
}

/* "time=2023-01-10:2023-01-15, latitude=60:40", for messages. */
static int rq_select_text(struct rq *r)
{
	struct lsio_strbuf b = { 0 };
	const char *const *lists[] = { r->req->sel, r->req->isel };

	lsio_strbuf_printf(&b, "%s", "");
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			lsio_strbuf_printf(&b, "%s%s", b.len ? ", " : "",
					   lists[l][i]);
	if (b.oom) {
		free(b.p);
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	}
	r->select_text = b.p;
	return 0;
}

static void rq_release(struct rq *r)
{
	free(r->select_text);
	for (size_t i = 0; i < r->ndims; i++)
		free(r->dims[i].values);
	free(r->vars);
	free(r->entries.p);
	json_decref(r->variables);
	zarr_dataset_free(r->ds);
}

int lsio_zarr_request_job(struct lsio_ctx *ctx,
			  const struct lsio_zarr_request *req,
			  const struct lsio_options *opt, char **job)
{
	struct rq r = { .ctx = ctx, .req = req,
			.dataset = rq_is_nc(req->output) };
	struct lsio_options known;
	int ret;

	*job = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	if (ret)
		return ret;
	r.opt = opt;
	ret = rq_select_text(&r);
	if (!ret)
		ret = zarr_dataset_open(ctx, req->store, opt, &r.ds);
	if (!ret)
		ret = rq_dims_collect(&r);
	if (!ret)
		ret = rq_terms(&r, req->isel, false);
	if (!ret)
		ret = rq_terms(&r, req->sel, true);
	if (!ret)
		ret = rq_choose(&r);
	if (!ret)
		ret = rq_job(&r, job);
	rq_release(&r);
	return ret;
}
