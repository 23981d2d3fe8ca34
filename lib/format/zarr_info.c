/* SPDX-License-Identifier: MIT */
/*
 * zarr_info.c - lsio_zarr_info(): a Zarr group described as `ncdump -h`
 * describes a NetCDF file (dimensions, variables with their dimensions and
 * attributes, global attributes), plus what a Zarr user asks next: each
 * variable's chunking, codecs, decoded size and - on a local store, from
 * a stat of every chunk key - its stored size and the fraction of chunks
 * present; a coordinate's first and last values and order.
 *
 * Everything is gathered once into one JSON document (--info --json
 * prints it); the text is written from that document, so the two never
 * disagree.  A remote store is described from its metadata alone: it is
 * not listed, and chunk keys are not asked for one by one.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/cftime.h"
#include "zarr.h"

/* Chunk keys stat'ed per variable, at most: beyond, "not counted". */
#define INFO_CHUNKS_MAX (1ull << 20)

struct info {
	struct lsio_ctx *ctx;
	const struct lsio_options *opt;
	struct zarr_dataset *ds;
	json_t *doc;
};

static int info_oom(struct lsio_ctx *ctx)
{
	return lsio_fail(ctx, -ENOMEM, "out of memory");
}

static json_t *dims_json(const uint64_t *v, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t d = 0; a && d < n; d++)
		json_array_append_new(a, json_integer((json_int_t)v[d]));
	return a;
}

/* A real, or null for what JSON cannot say (NaN, infinities). */
static json_t *real_json(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

/* --- chunks present and stored size ------------------------------------------- */

/* Count the chunk keys (shard keys when sharded) that exist and sum their
 * sizes: 0, 1 when there are too many to count, or an error. */
static int count_keys(struct info *in, const struct zarr_array *a,
		      uint64_t *present, uint64_t *stored)
{
	struct zarr_store *s = in->ds->store;
	uint64_t idx[LSIO_MAX_DIMS] = { 0 }, total = 1, size;
	size_t pos[LSIO_MAX_DIMS] = { 0 }, n[LSIO_MAX_DIMS];
	char key[ZARR_KEY_MAX];
	int ret;

	for (uint32_t d = 0; d < a->ndim; d++) {
		n[d] = (size_t)((a->shape[d] + a->chunks[d] - 1) / a->chunks[d]);
		if (!lsio_mul_ok(total, n[d], &total) || total > INFO_CHUNKS_MAX)
			return 1;
	}
	*present = *stored = 0;
	if (!total)
		return 0;
	do {
		if (lsio_canceled(in->ctx))
			return lsio_fail(in->ctx, -LSIO_ECANCELED, "interrupted");
		for (uint32_t d = 0; d < a->ndim; d++)
			idx[d] = pos[d];
		if (zarr_chunk_key(a, idx, key, sizeof(key)))
			return zarr_fail(in->ctx, -LSIO_EJOB, s, a->path, "chunk key too long");
		ret = s->ops->size(s, key, &size);
		if (ret == -ENOENT)
			continue;
		if (ret)
			return zarr_fail(in->ctx, -LSIO_ESOURCE, s, key, "%s", strerror(-ret));
		(*present)++;
		*stored += size;
	} while (zarr_odometer_next(pos, n, a->ndim));
	return 0;
}

/* The chunk grid's size, and on a local store how much of it is there. */
static int var_storage(struct info *in, const struct zarr_var *v, json_t *o)
{
	const struct zarr_array *a = &v->a;
	uint64_t total = 1, decoded = a->dtype.size, present = 0, stored = 0;
	bool over = false;
	int ret = 1;

	for (uint32_t d = 0; d < a->ndim; d++) {
		over |= !lsio_mul_ok(total, (a->shape[d] + a->chunks[d] - 1) / a->chunks[d],
				     &total);
		over |= !lsio_mul_ok(decoded, a->shape[d], &decoded);
	}
	if (!in->ds->store->ops->size_costs_request) {
		ret = count_keys(in, a, &present, &stored);
		/* zarr-python before 2.8 wrote nested keys without saying so */
		if (!ret && !present && total && a->sep_implied && a->ndim > 1) {
			struct zarr_array nested = *a;

			nested.sep = '/';
			ret = count_keys(in, &nested, &present, &stored);
		}
	}
	if (ret < 0)
		return ret;
	json_object_set_new(o, "chunks_total", over ? json_null() : json_integer((json_int_t)total));
	json_object_set_new(o, "chunks_present", ret ? json_null() : json_integer((json_int_t)present));
	json_object_set_new(o, "present", ret || over ? json_null() :
			    json_real(total ? (double)present / (double)total : 1.0));
	json_object_set_new(o, "stored_bytes", ret ? json_null() : json_integer((json_int_t)stored));
	json_object_set_new(o, "decoded_bytes", over ? json_null() : json_integer((json_int_t)decoded));
	return 0;
}

/* --- coordinates ------------------------------------------------------------------ */

/* A CF time coordinate's first and last values as dates (cftime.c), in
 * its calendar.  False when v is not a CF time coordinate (no units
 * "<unit> since <date>", or units lsio cannot read). */
static bool info_cf_dates(const struct zarr_var *v, double first, double last,
			  char *a, char *b, size_t cap)
{
	const char *u = json_string_value(json_object_get(v->attrs, "units"));
	const char *cal = json_string_value(json_object_get(v->attrs, "calendar"));
	struct cf_time t;
	char why[64];

	if (!u || !strstr(u, " since ") ||
	    cf_time_parse(u, cal, &t, why, sizeof(why)))
		return false;
	cf_time_format(&t, first, a, cap);
	cf_time_format(&t, last, b, cap);
	return true;
}

/* A value of v: an integer for an integer dtype. */
static json_t *value_json(const struct zarr_var *v, double d)
{
	if (strchr("iubMm", v->a.dtype.kind) && isfinite(d) && fabs(d) < 0x1p63)
		return json_integer((json_int_t)d);
	return real_json(d);
}

static const char *values_order(const double *x, uint64_t n)
{
	bool up = true, down = true;

	for (uint64_t i = 1; i < n; i++) {
		up &= x[i] > x[i - 1];
		down &= x[i] < x[i - 1];
	}
	return up ? "ascending" : down ? "descending" : "unordered";
}

/* A coordinate's first and last values, and whether they are in order
 * (what a label selection needs). */
static int var_values(struct info *in, const struct zarr_var *v, json_t *o)
{
	char a[64], b[64];
	double *x;
	uint64_t n;
	int ret = zarr_var_read_doubles(in->ctx, in->ds, v, in->opt, &x, &n);

	if (ret)
		return ret;
	json_object_set_new(o, "first", n ? value_json(v, x[0]) : json_null());
	json_object_set_new(o, "last", n ? value_json(v, x[n - 1]) : json_null());
	json_object_set_new(o, "order", n > 1 ? json_string(values_order(x, n)) : json_null());
	if (n && info_cf_dates(v, x[0], x[n - 1], a, b, sizeof(a))) {
		json_object_set_new(o, "first_date", json_string(a));
		json_object_set_new(o, "last_date", json_string(b));
	}
	free(x);
	return 0;
}

/* --- the document --------------------------------------------------------------- */

static int var_json(struct info *in, const struct zarr_var *v, json_t **out)
{
	const struct zarr_array *a = &v->a;
	json_t *o = json_object(), *dims = json_array();
	int ret;

	for (uint32_t d = 0; dims && d < a->ndim; d++)
		json_array_append_new(dims, json_string(v->dims[d]));
	if (!o || !dims) {
		json_decref(o);
		json_decref(dims);
		return info_oom(in->ctx);
	}
	json_object_set_new(o, "dtype", json_string(a->dtype.str));
	json_object_set_new(o, "shape", dims_json(a->shape, a->ndim));
	json_object_set_new(o, "dims", dims);
	json_object_set_new(o, "coordinate", json_boolean(v->is_coord));
	json_object_set(o, "attrs", v->attrs);
	json_object_set(o, "fill_value", a->fill);
	json_object_set_new(o, "chunks", dims_json(a->sharded ? a->inner : a->chunks, a->ndim));
	json_object_set_new(o, "shards", a->sharded ? dims_json(a->chunks, a->ndim) : json_null());
	json_object_set_new(o, "codecs", json_string(a->codecs));
	ret = var_storage(in, v, o);
	if (!ret && v->is_coord)
		ret = var_values(in, v, o);
	if (ret)
		json_decref(o);
	else
		*out = o;
	return ret;
}

/* Dimensions in the order of the variables with the most of them, as
 * ncdump lists a file written in that order; a name seen with two sizes
 * is said (xarray would refuse the dataset), the first kept. */
static json_t *dims_doc(struct info *in)
{
	const struct zarr_dataset *ds = in->ds;
	json_t *dims = json_object();

	for (uint32_t nd = LSIO_MAX_DIMS + 1; dims && nd-- > 0;) {
		for (size_t i = 0; i < ds->nvars; i++) {
			const struct zarr_var *v = &ds->vars[i];

			if (v->a.ndim != nd)
				continue;
			for (uint32_t d = 0; d < nd; d++) {
				json_t *had = json_object_get(dims, v->dims[d]);

				if (!had)
					json_object_set_new(dims, v->dims[d],
							    json_integer((json_int_t)v->a.shape[d]));
				else if ((uint64_t)json_integer_value(had) != v->a.shape[d])
					lsio_warn(in->ctx, "store '%s': dimension '%s' is %lld long in one variable and %llu in '%s'",
						  ds->store->root, v->dims[d],
						  (long long)json_integer_value(had),
						  (unsigned long long)v->a.shape[d], v->name);
			}
		}
	}
	return dims;
}

static int info_doc(struct info *in)
{
	const struct zarr_dataset *ds = in->ds;
	json_t *vars = json_object(), *v = NULL;
	int ret = 0;

	in->doc = json_pack("{s:s, s:s, s:i, s:b, s:o, s:O}",
			    "store", ds->store->root, "group", ds->group,
			    "zarr_format", ds->format, "consolidated", ds->consolidated,
			    "dims", dims_doc(in), "attrs", ds->attrs);
	if (!in->doc || !vars) {
		json_decref(vars);
		return info_oom(in->ctx);
	}
	/* Coordinates first, as xarray shows them. */
	for (int coords = 1; coords >= 0; coords--) {
		for (size_t i = 0; !ret && i < ds->nvars; i++) {
			if (ds->vars[i].is_coord != coords)
				continue;
			ret = var_json(in, &ds->vars[i], &v);
			if (!ret)
				json_object_set_new(vars, ds->vars[i].name, v);
		}
	}
	json_object_set_new(in->doc, "variables", vars);
	return ret;
}

/* --- the text --------------------------------------------------------------------- */

/* ncdump's names of the types NetCDF has. */
static const char *cdl_type(const char *dtype)
{
	static const char *const names[][2] = {
		{ "i1", "byte" }, { "u1", "ubyte" }, { "i2", "short" },
		{ "u2", "ushort" }, { "i4", "int" }, { "u4", "uint" },
		{ "i8", "int64" }, { "u8", "uint64" }, { "f4", "float" },
		{ "f8", "double" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(dtype + 1, names[i][0]))
			return names[i][1];
	return dtype;
}

static void put_value(struct lsio_strbuf *b, json_t *v)
{
	char num[40];
	const char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		lsio_strbuf_printf(b, "\"");
		for (s = json_string_value(v); *s; s++) {
			if (*s == '"' || *s == '\\')
				lsio_strbuf_printf(b, "\\%c", *s);
			else if (*s == '\n')
				lsio_strbuf_printf(b, "\\n");
			else
				lsio_strbuf_add(b, s, 1);
		}
		lsio_strbuf_printf(b, "\"");
		break;
	case JSON_INTEGER:
		lsio_strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		lsio_strbuf_printf(b, "%s", lsio_real_text(json_real_value(v), num, sizeof(num)));
		break;
	default: {
		char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		lsio_strbuf_printf(b, "%s", t ? t : "?");
		free(t);
	}
	}
}

/* A fill value: "NaN" and the infinities as the words they are. */
static void put_fill(struct lsio_strbuf *b, json_t *v)
{
	if (json_is_string(v))
		lsio_strbuf_printf(b, "%s", json_string_value(v));
	else
		put_value(b, v);
}

/* An attribute as CDL writes it: name:key = value ; (a list's elements
 * comma separated). */
static void put_attrs(struct lsio_strbuf *b, const char *name, json_t *attrs)
{
	const char *key;
	json_t *v, *e;
	size_t i;

	json_object_foreach(attrs, key, v) {
		lsio_strbuf_printf(b, "\t\t%s:%s = ", name, key);
		if (json_is_array(v) && json_array_size(v)) {
			json_array_foreach(v, i, e) {
				if (i)
					lsio_strbuf_printf(b, ", ");
				put_value(b, e);
			}
		} else {
			put_value(b, v);
		}
		lsio_strbuf_printf(b, " ;\n");
	}
}

static void put_shape(struct lsio_strbuf *b, json_t *list)
{
	json_t *e;
	size_t i;

	if (!json_array_size(list))
		lsio_strbuf_printf(b, "()");
	json_array_foreach(list, i, e) {
		lsio_strbuf_printf(b, "%s%" JSON_INTEGER_FORMAT, i ? "x" : "",
				   json_integer_value(e));
	}
}

static const char *num_text(json_t *v, char *buf, size_t cap)
{
	if (json_is_integer(v))
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		lsio_real_text(json_real_value(v), buf, cap);
	else
		snprintf(buf, cap, "NaN");
	return buf;
}

static void put_values_line(struct lsio_strbuf *b, json_t *o)
{
	char a[40], z[40];
	json_t *order = json_object_get(o, "order");
	const char *d0 = json_string_value(json_object_get(o, "first_date"));
	const char *d1 = json_string_value(json_object_get(o, "last_date"));

	if (!json_object_get(o, "first"))
		return;
	lsio_strbuf_printf(b, "\t\t// values %s to %s",
			   num_text(json_object_get(o, "first"), a, sizeof(a)),
			   num_text(json_object_get(o, "last"), z, sizeof(z)));
	if (d0 && d1)
		lsio_strbuf_printf(b, " (%s to %s)", d0, d1);
	if (json_is_string(order))
		lsio_strbuf_printf(b, ", %s", json_string_value(order));
	lsio_strbuf_printf(b, "\n");
}

static void put_storage_line(struct lsio_strbuf *b, json_t *o, bool sharded)
{
	json_t *total = json_object_get(o, "chunks_total");
	json_t *present = json_object_get(o, "chunks_present");
	json_t *stored = json_object_get(o, "stored_bytes");
	json_t *decoded = json_object_get(o, "decoded_bytes");
	const char *what = sharded ? "shards" : "chunks";

	lsio_strbuf_printf(b, "\t\t// ");
	if (json_is_integer(present))
		lsio_strbuf_printf(b, "%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " %s present (%.1f%%), stored %" JSON_INTEGER_FORMAT " bytes, ",
				   json_integer_value(present), json_integer_value(total), what,
				   100 * json_real_value(json_object_get(o, "present")),
				   json_integer_value(stored));
	else if (json_is_integer(total))
		lsio_strbuf_printf(b, "%" JSON_INTEGER_FORMAT " %s, present and stored size not counted, ",
				   json_integer_value(total), what);
	if (json_is_integer(decoded))
		lsio_strbuf_printf(b, "decoded %" JSON_INTEGER_FORMAT " bytes",
				   json_integer_value(decoded));
	if (json_is_integer(stored) && json_integer_value(stored) && json_is_integer(decoded))
		lsio_strbuf_printf(b, " (%.2fx)", (double)json_integer_value(decoded) /
						 (double)json_integer_value(stored));
	lsio_strbuf_printf(b, "\n");
}

static void put_var(struct lsio_strbuf *b, const char *name, json_t *o)
{
	json_t *dims = json_object_get(o, "dims"), *shards = json_object_get(o, "shards"), *e;
	const char *dtype = json_string_value(json_object_get(o, "dtype"));
	size_t i;

	lsio_strbuf_printf(b, "\t%s %s", cdl_type(dtype), name);
	if (json_array_size(dims)) {
		json_array_foreach(dims, i, e) {
			lsio_strbuf_printf(b, "%s%s", i ? ", " : "(", json_string_value(e));
		}
		lsio_strbuf_printf(b, ")");
	}
	lsio_strbuf_printf(b, " ;\n");
	put_attrs(b, name, json_object_get(o, "attrs"));
	lsio_strbuf_printf(b, "\t\t// %s, shape ", dtype);
	put_shape(b, json_object_get(o, "shape"));
	lsio_strbuf_printf(b, ", chunks ");
	put_shape(b, json_object_get(o, "chunks"));
	if (json_is_array(shards)) {
		lsio_strbuf_printf(b, " in shards of ");
		put_shape(b, shards);
	}
	lsio_strbuf_printf(b, ", %s, fill ", json_string_value(json_object_get(o, "codecs")));
	put_fill(b, json_object_get(o, "fill_value"));
	lsio_strbuf_printf(b, "\n");
	put_storage_line(b, o, json_is_array(shards));
	put_values_line(b, o);
}

static char *info_text(const struct info *in)
{
	const struct zarr_dataset *ds = in->ds;
	struct lsio_strbuf b = { 0 };
	json_t *v;
	const char *key;

	lsio_strbuf_printf(&b, "zarr %s%s%s {\t// Zarr v%d, %s\n", ds->store->root,
			   *ds->group ? "/" : "", ds->group, ds->format,
			   ds->consolidated ? "consolidated metadata" :
			   "metadata read array by array");
	lsio_strbuf_printf(&b, "dimensions:\n");
	json_object_foreach(json_object_get(in->doc, "dims"), key, v) {
		lsio_strbuf_printf(&b, "\t%s = %" JSON_INTEGER_FORMAT " ;\n", key,
				   json_integer_value(v));
	}
	lsio_strbuf_printf(&b, "variables:\n");
	json_object_foreach(json_object_get(in->doc, "variables"), key, v) {
		put_var(&b, key, v);
	}
	if (json_object_size(ds->attrs)) {
		lsio_strbuf_printf(&b, "\n// global attributes:\n");
		put_attrs(&b, "", ds->attrs);
	}
	if (in->ds->store->ops->size_costs_request)
		lsio_strbuf_printf(&b, "\n// a remote store: chunks present and stored sizes are not counted\n");
	lsio_strbuf_printf(&b, "}\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static char *json_text(json_t *doc)
{
	char *t = json_dumps(doc, JSON_INDENT(2)), *nl = NULL;

	if (t && asprintf(&nl, "%s\n", t) < 0)
		nl = NULL;
	free(t);
	return nl;
}

int lsio_zarr_info(struct lsio_ctx *ctx, const char *store,
		   const struct lsio_options *opt, bool json, char **text)
{
	struct info in = { .ctx = ctx };
	struct lsio_options known;
	int ret;

	*text = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	in.opt = opt;
	if (!ret)
		ret = zarr_dataset_open(ctx, store, opt, &in.ds);
	if (!ret)
		ret = info_doc(&in);
	if (!ret) {
		*text = json ? json_text(in.doc) : info_text(&in);
		if (!*text)
			ret = info_oom(ctx);
	}
	json_decref(in.doc);
	zarr_dataset_free(in.ds);
	return ret;
}
