/* SPDX-License-Identifier: MIT */
/*
 * job_dataset.c - a dataset output's variables and attributes:
 *
 *   "output": {"type": "dataset", "path": "box.nc", "attrs": {...},
 *              "variables": [{"name": "t2m", "dtype": "<i2",
 *                             "shape": [6, 81, 161],
 *                             "dims": ["time", "latitude", "longitude"],
 *                             "fill_value": -32767, "attrs": {...}},
 *                            {"name": "latitude", ..., "values": [...]}]}
 *
 * sink/sink_dataset.c writes them as NetCDF-4 once every chunk is in, so
 * what NetCDF would refuse is refused here, when the job is loaded, not
 * after the whole run has been read: a type NetCDF has no equivalent of,
 * a name it does not take, a dimension whose length differs between two
 * variables.  Inline values and attributes are encoded here too, the
 * numbers of an attribute in the type CF expects (attr_dtype()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "job/job.h"

static const char *const var_keys[] = { "name", "dtype", "shape", "dims",
					"fill_value", "attrs", "values", NULL };

/* Attributes in the variable's own type (the packed type, for packed
 * data), as CF says and xarray's decoding compares them. */
static const char *const attrs_like_var[] = { "missing_value", "valid_min",
					      "valid_max", "valid_range",
					      NULL };
/* In the type of the unpacked data: the variable's own when it is a
 * float, else double (CF allows float or double; xarray writes double). */
static const char *const attrs_unpacked[] = { "scale_factor", "add_offset",
					      NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int bad(struct lsio_ctx *ctx, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct lsio_ctx *ctx, const char *where, const char *fmt, ...)
{
	char msg[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lsio_fail(ctx, -LSIO_EJOB, "%s: %s", where, msg);
}

static int oom(struct lsio_ctx *ctx)
{
	return lsio_fail(ctx, -ENOMEM, "out of memory");
}

/* NetCDF's rule for names (its NC_check_name): an ASCII letter or digit,
 * '_' or a UTF-8 character first; then no '/' and no control character;
 * no trailing space. */
static bool nc_name_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s);

	if (!len || !((u[0] >= 'a' && u[0] <= 'z') ||
		      (u[0] >= 'A' && u[0] <= 'Z') ||
		      (u[0] >= '0' && u[0] <= '9') || u[0] == '_' ||
		      u[0] >= 0x80))
		return false;
	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f || *u == '/')
			return false;
	return s[len - 1] != ' ';
}

static int check_name(struct lsio_ctx *ctx, const char *where, json_t *v,
		      const char *what, const char **out)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	if (!s)
		return bad(ctx, where, "expected %s", what);
	if (!nc_name_ok(s))
		return bad(ctx, where,
			   "'%s' is not a NetCDF name (a letter, digit or '_' first; no '/', no control characters, no trailing space)",
			   s);
	*out = s;
	return 0;
}

/* where.key, or where[i] when key is NULL, for messages: a path too long
 * for buf is cut short (and so is its message). */
static const char *key_path(char *buf, size_t cap, const char *where,
			    const char *key, size_t i)
{
	int keep = (int)MIN(cap - 24, (size_t)INT32_MAX);	/* room for "[i]" */

	if (key)
		snprintf(buf, cap, "%.*s.%s", keep, where, key);
	else
		snprintf(buf, cap, "%.*s[%zu]", keep, where, i);
	return buf;
}

/* "NaN", "Infinity" or "-Infinity": a float JSON cannot write. */
static bool float_word(json_t *v)
{
	static const char *const words[] = { "NaN", "Infinity", "-Infinity",
					     NULL };

	return json_is_string(v) && in_list(json_string_value(v), words);
}

/* --- attributes ------------------------------------------------------------ */

/* The dtype of kind and size in this host's byte order: attribute values
 * are handed to libnetcdf as native numbers. */
static void native_dtype(char kind, uint32_t size, struct lsio_dtype *dt)
{
	char text[8];

	snprintf(text, sizeof(text), "%c%" PRIu32, kind, size);
	lsio_dtype_parse(text, dt);	/* a NetCDF type: cannot fail */
}

/* Whether every number of list is a JSON integer, and all fit int32. */
static void attr_ints(json_t *list, bool *ints, bool *int32)
{
	json_t *e;
	size_t i;

	*ints = *int32 = true;
	json_array_foreach(list, i, e) {
		json_int_t n = json_is_integer(e) ? json_integer_value(e) : 0;

		*ints = *ints && json_is_integer(e);
		*int32 = *int32 && n >= INT32_MIN && n <= INT32_MAX;
	}
}

/* The type an attribute's numbers are written in (var NULL: a global
 * attribute): see attrs_like_var and attrs_unpacked; else int when every
 * number is an integer that fits, int64 when integer, else double. */
static bool attr_dtype(const struct lsio_var *var, const char *name,
		       json_t *list, struct lsio_dtype *dt)
{
	bool ints, int32;

	if (var && in_list(name, attrs_like_var)) {
		native_dtype(var->dtype.kind, var->dtype.size, dt);
		return true;
	}
	if (var && in_list(name, attrs_unpacked)) {
		native_dtype('f', var->dtype.kind == 'f' ? var->dtype.size : 8,
			     dt);
		return true;
	}
	attr_ints(list, &ints, &int32);
	native_dtype(ints ? 'i' : 'f', ints && int32 ? 4 : 8, dt);
	return false;
}

static int attr_text(struct lsio_ctx *ctx, const char *s, struct lsio_attr *a)
{
	a->text = true;
	a->n = strlen(s);
	a->data = (uint8_t *)strdup(s);
	return a->data ? 0 : oom(ctx);
}

/* Numbers (list: a JSON list of them; the value itself was one when
 * is_list is false) in a's dtype.  A typed attribute may say "NaN",
 * "Infinity" or "-Infinity" as a fill value does. */
static int attr_numbers(struct lsio_ctx *ctx, const char *where, json_t *list,
			bool is_list, bool typed, struct lsio_attr *a)
{
	char why[256], sub[LSIO_MSG_MAX];
	const char *at = where;
	json_t *e;
	size_t i;

	a->n = json_array_size(list);
	a->data = calloc(a->n, a->dtype.size);
	if (!a->data)
		return oom(ctx);
	json_array_foreach(list, i, e) {
		if (is_list) {
			key_path(sub, sizeof(sub), where, NULL, i);
			at = sub;
		}
		if (!json_is_number(e) && !(typed && float_word(e)))
			return bad(ctx, at, "expected %s",
				   typed ? "a number, \"NaN\", \"Infinity\" or \"-Infinity\" (in the variable's type)"
				   : is_list ? "a number"
				   : "a string, a number or a list of numbers");
		if (lsio_fill_encode(&a->dtype, e, a->data + i * a->dtype.size,
				     why, sizeof(why)))
			return bad(ctx, at, "%s", why);
	}
	return 0;
}

/* One attribute, name: v (where is "...attrs.NAME"). */
static int attr_parse(struct lsio_ctx *ctx, const char *where,
		      const struct lsio_var *var, const char *name, json_t *v,
		      struct lsio_attr *a)
{
	json_t *list = v;
	bool typed;
	int ret;

	a->name = strdup(name);
	if (!a->name)
		return oom(ctx);
	if (!nc_name_ok(name))
		return bad(ctx, where, "'%s' is not a NetCDF name", name);
	if (!strcmp(name, "_FillValue"))
		return bad(ctx, where, var
			   ? "give it as the variable's \"fill_value\""
			   : "it is a variable's attribute (its \"fill_value\")");
	if (!json_is_array(v)) {
		list = json_array();
		if (!list || json_array_append(list, v))
			return oom(ctx);
	}
	typed = attr_dtype(var, name, list, &a->dtype);
	if (json_is_string(v) && !typed)
		ret = attr_text(ctx, json_string_value(v), a);
	else if (!json_array_size(list))
		ret = bad(ctx, where, "an empty list: NetCDF has no type for it");
	else
		ret = attr_numbers(ctx, where, list, list == v, typed, a);
	if (list != v)
		json_decref(list);
	return ret;
}

/* An "attrs" object (where is its path) into *attrs. */
static int attrs_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		       const struct lsio_var *var, struct lsio_attr **attrs,
		       uint32_t *nattrs)
{
	char sub[LSIO_MSG_MAX];
	const char *key;
	json_t *v;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return bad(ctx, where, "expected an object of attributes");
	if (json_object_size(obj) > UINT32_MAX)
		return bad(ctx, where, "too many attributes");
	*attrs = calloc(json_object_size(obj) + 1, sizeof(**attrs));
	if (!*attrs)
		return oom(ctx);
	json_object_foreach(obj, key, v) {
		key_path(sub, sizeof(sub), where, key, 0);
		(*nattrs)++;	/* freed with the others when it fails */
		if (attr_parse(ctx, sub, var, key, v, &(*attrs)[*nattrs - 1]))
			return -LSIO_EJOB;
	}
	return 0;
}

static void attrs_free(struct lsio_attr *attrs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		free(attrs[i].name);
		free(attrs[i].data);
	}
	free(attrs);
}

/* --- variables ------------------------------------------------------------- */

/* A type NetCDF-4 has: NC_BYTE ... NC_UINT64, NC_FLOAT, NC_DOUBLE. */
static int var_dtype(struct lsio_ctx *ctx, const char *where, json_t *v,
		     struct lsio_var *var)
{
	const struct lsio_dtype *dt = &var->dtype;

	if (lsio_json_dtype(ctx, where, v, &var->dtype))
		return -LSIO_EJOB;
	if (dt->kind == 'i' || dt->kind == 'u' ||
	    (dt->kind == 'f' && dt->size >= 4))
		return 0;
	return bad(ctx, where,
		   "'%s' has no NetCDF type (a dataset variable is i1, u1, i2, u2, i4, u4, i8, u8, f4 or f8)",
		   dt->str);
}

/* One name per dimension, none twice. */
int lsio_json_dims(struct lsio_ctx *ctx, const char *where, json_t *v,
		   uint32_t ndim, char ***out)
{
	char sub[LSIO_MSG_MAX];
	const char *name;
	char **dims;
	json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) != ndim)
		return bad(ctx, where,
			   "expected a list of %" PRIu32 " dimension names, one per dimension of \"shape\"",
			   ndim);
	dims = *out = calloc(ndim ? ndim : 1, sizeof(*dims));
	if (!dims)
		return oom(ctx);
	json_array_foreach(v, i, e) {
		key_path(sub, sizeof(sub), where, NULL, i);
		if (check_name(ctx, sub, e, "a dimension name", &name))
			return -LSIO_EJOB;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(dims[k], name))
				return bad(ctx, sub,
					   "dimension '%s' is also dims[%zu]",
					   name, k);
		dims[i] = strdup(name);
		if (!dims[i])
			return oom(ctx);
	}
	return 0;
}

void lsio_dims_free(char **dims, uint32_t ndim)
{
	for (uint32_t d = 0; dims && d < ndim; d++)
		free(dims[d]);
	free(dims);
}

static int var_dims(struct lsio_ctx *ctx, const char *where, json_t *v,
		    struct lsio_var *var)
{
	if (!v && !var->ndim)
		return 0;
	if (!v)
		return bad(ctx, where,
			   "missing: a dimension name for each of the %" PRIu32 " dimensions of \"shape\"",
			   var->ndim);
	return lsio_json_dims(ctx, where, v, var->ndim, &var->dims);
}

/* Elements of var: prod(shape), below 2^63 / itemsize (checked). */
static uint64_t var_elements(const struct lsio_var *var)
{
	uint64_t n = 1;

	for (uint32_t d = 0; d < var->ndim; d++)
		n *= var->shape[d];
	return n;
}

/* "values": every element, in C order, each as a fill value is written. */
static int var_values(struct lsio_ctx *ctx, const char *where, json_t *v,
		      struct lsio_var *var)
{
	uint64_t n = var_elements(var);
	char why[256], sub[LSIO_MSG_MAX];
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return bad(ctx, where, "expected a list of numbers, in C order");
	if (json_array_size(v) != n)
		return bad(ctx, where,
			   "%zu values, but \"shape\" holds %" PRIu64 " elements",
			   json_array_size(v), n);
	var->values = malloc(n ? n * var->dtype.size : 1);
	if (!var->values)
		return oom(ctx);
	json_array_foreach(v, i, e) {
		key_path(sub, sizeof(sub), where, NULL, i);
		if (!json_is_number(e) && !float_word(e))
			return bad(ctx, sub,
				   "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
		if (lsio_fill_encode(&var->dtype, e,
				     var->values + i * var->dtype.size, why,
				     sizeof(why)))
			return bad(ctx, sub, "%s", why);
	}
	return 0;
}

static int var_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		     struct lsio_var *var)
{
	char sub[LSIO_MSG_MAX];
	const char *name;
	json_t *v;

	if (!json_is_object(obj))
		return bad(ctx, where, "expected an object");
	if (lsio_json_keys(ctx, where, obj, var_keys))
		return -LSIO_EJOB;
	if (!(v = json_object_get(obj, "name")))
		return bad(ctx, where, "missing \"name\"");
	if (check_name(ctx, key_path(sub, sizeof(sub), where, "name", 0), v,
		       "a variable name", &name))
		return -LSIO_EJOB;
	if (!(var->name = strdup(name)))
		return oom(ctx);
	if (!(v = json_object_get(obj, "dtype")))
		return bad(ctx, where, "missing \"dtype\" (e.g. \"<f4\")");
	if (var_dtype(ctx, key_path(sub, sizeof(sub), where, "dtype", 0), v, var))
		return -LSIO_EJOB;
	if (!(v = json_object_get(obj, "shape")))
		return bad(ctx, where, "missing \"shape\" (a list of sizes)");
	if (lsio_json_shape(ctx, key_path(sub, sizeof(sub), where, "shape", 0), v,
			    var->dtype.size, &var->ndim, var->shape))
		return -LSIO_EJOB;
	if (var_dims(ctx, key_path(sub, sizeof(sub), where, "dims", 0),
		     json_object_get(obj, "dims"), var))
		return -LSIO_EJOB;
	v = json_object_get(obj, "fill_value");
	var->has_fill = v && !json_is_null(v);
	if (lsio_json_fill(ctx, key_path(sub, sizeof(sub), where, "fill_value", 0),
			   v, &var->dtype, var->fill, &var->fill_is_zero))
		return -LSIO_EJOB;
	v = json_object_get(obj, "values");
	if (v && var_values(ctx, key_path(sub, sizeof(sub), where, "values", 0),
			    v, var))
		return -LSIO_EJOB;
	return attrs_parse(ctx, key_path(sub, sizeof(sub), where, "attrs", 0),
			   json_object_get(obj, "attrs"), var, &var->attrs,
			   &var->nattrs);
}

/* --- dimensions agree ------------------------------------------------------ */

struct dim_use {
	const char *name;
	uint64_t len;
	uint32_t var, k;
};

static int dim_use_cmp(const void *a, const void *b)
{
	const struct dim_use *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->var != y->var)
		return x->var < y->var ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* A dimension is one length in every variable that uses it: sorted by
 * name, each use is compared with the first. */
static int dims_agree(struct lsio_ctx *ctx, const char *where,
		      const struct lsio_output *out)
{
	struct dim_use *u;
	size_t n = 0, first = 0;
	int ret = 0;

	for (uint32_t i = 0; i < out->nvars; i++)
		n += out->vars[i].ndim;
	u = calloc(n + 1, sizeof(*u));
	n = 0;
	if (!u)
		return oom(ctx);
	for (uint32_t i = 0; i < out->nvars; i++)
		for (uint32_t k = 0; k < out->vars[i].ndim; k++)
			u[n++] = (struct dim_use){ out->vars[i].dims[k],
						   out->vars[i].shape[k], i, k };
	qsort(u, n, sizeof(*u), dim_use_cmp);
	for (size_t j = 1; j < n && !ret; j++) {
		if (strcmp(u[j].name, u[first].name)) {
			first = j;
			continue;
		}
		if (u[j].len != u[first].len)
			ret = lsio_fail(ctx, -LSIO_EJOB,
					"%s.variables[%" PRIu32 "].dims[%" PRIu32 "]: dimension '%s' is %" PRIu64 " long here, but %" PRIu64 " in variable '%s'",
					where, u[j].var, u[j].k, u[j].name,
					u[j].len, u[first].len,
					out->vars[u[first].var].name);
	}
	free(u);
	return ret;
}

int lsio_dataset_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		       struct lsio_output *out)
{
	json_t *list = json_object_get(obj, "variables"), *v;
	char sub[LSIO_MSG_MAX], var_at[LSIO_MSG_MAX];
	size_t i;

	if (!list)
		return bad(ctx, where,
			   "missing \"variables\" (a list of {\"name\", \"dtype\", \"shape\", \"dims\", ...})");
	key_path(sub, sizeof(sub), where, "variables", 0);
	if (!json_is_array(list) || !json_array_size(list))
		return bad(ctx, sub, "expected a list of at least one variable");
	if (json_array_size(list) > LSIO_MAX_VARS)
		return bad(ctx, sub, "more than %u variables", LSIO_MAX_VARS);
	out->vars = calloc(json_array_size(list), sizeof(*out->vars));
	if (!out->vars)
		return oom(ctx);
	json_array_foreach(list, i, v) {
		key_path(var_at, sizeof(var_at), where, "variables", 0);
		key_path(sub, sizeof(sub), var_at, NULL, i);
		out->nvars++;	/* freed with the others when it fails */
		if (var_parse(ctx, sub, v, &out->vars[i]))
			return -LSIO_EJOB;
	}
	if (dims_agree(ctx, where, out))
		return -LSIO_EJOB;
	return attrs_parse(ctx, key_path(sub, sizeof(sub), where, "attrs", 0),
			   json_object_get(obj, "attrs"), NULL, &out->attrs,
			   &out->nattrs);
}

void lsio_dataset_release(struct lsio_output *out)
{
	for (uint32_t i = 0; i < out->nvars; i++) {
		struct lsio_var *v = &out->vars[i];

		free(v->name);
		lsio_dims_free(v->dims, v->ndim);
		free(v->values);
		attrs_free(v->attrs, v->nattrs);
	}
	free(out->vars);
	attrs_free(out->attrs, out->nattrs);
	lsio_dims_free(out->dims, out->ndim);
	out->dims = NULL;
	out->vars = NULL;
	out->attrs = NULL;
	out->nvars = out->nattrs = 0;
}
