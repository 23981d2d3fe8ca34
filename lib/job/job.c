/* SPDX-License-Identifier: MIT */
/*
 * job.c - load a job file into a validated, immutable struct lsio_job: the
 * entry points, the top level and the output; the chunk file names.
 *
 * Everything a job can get wrong is found here, before any data is read,
 * and named by file and JSON path ("job.json: chunks[17].place.to: ...").
 * A job may hold ten million chunks, so it is read as a stream
 * (job_stream.c) and the per-chunk path is cheap: sources, stage chains,
 * placement boxes and file names are deduplicated through hash maps, and
 * a message path is only formatted when a message is written.
 *
 * The job owns copies of every string it keeps: no JSON tree outlives the
 * loading.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "job/job_parse.h"

/* --- messages ------------------------------------------------------------ */

/* The name messages about chunks give: the job's, or "list.ndjson:LINE"
 * for a chunk of an NDJSON list. */
static void chunks_name(struct job_parser *p, char *buf, size_t cap)
{
	uint64_t line, col;

	if (!p->chunks_name || !p->base || strcmp(p->base, "chunks")) {
		snprintf(buf, cap, "%s", p->job->name);
		return;
	}
	if (!p->lines || p->index == NO_INDEX) {
		snprintf(buf, cap, "%s", p->chunks_name);
		return;
	}
	jr_linecol(p->lines, p->chunk_at, &line, &col);
	snprintf(buf, cap, "%s:%" PRIu64, p->chunks_name, line);
}

const char *job_where(struct job_parser *p, const char *sub)
{
	char idx[32] = "", name[LSIO_MSG_MAX / 2];

	chunks_name(p, name, sizeof(name));
	if (p->index != NO_INDEX)
		snprintf(idx, sizeof(idx), "[%" PRIu64 "]", p->index);
	if (p->base && sub)
		snprintf(p->path, sizeof(p->path), "%s: %s%s.%s", name,
			 p->base, idx, sub);
	else if (p->base)
		snprintf(p->path, sizeof(p->path), "%s: %s%s", name, p->base,
			 idx);
	else if (sub)
		snprintf(p->path, sizeof(p->path), "%s: %s", name, sub);
	else
		snprintf(p->path, sizeof(p->path), "%s", name);
	return p->path;
}

int job_fail(struct job_parser *p, const char *sub, const char *fmt, ...)
{
	char msg[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lsio_fail(p->ctx, -LSIO_EJOB, "%s: %s", job_where(p, sub), msg);
}

int job_oom(struct job_parser *p)
{
	return lsio_fail(p->ctx, -ENOMEM, "%s: out of memory", p->job->name);
}

void job_at(struct job_parser *p, const char *base, uint64_t index)
{
	p->base = base;
	p->index = index;
}

bool job_in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

int job_unknown_key(struct job_parser *p, const char *sub, const char *key,
		    const char *const *keys)
{
	const char *hint = lsio_did_you_mean(key, keys);

	if (hint)
		return job_fail(p, sub, "unknown key '%s' (did you mean '%s'?)",
				key, hint);
	return job_fail(p, sub, "unknown key '%s'", key);
}

int job_check_keys(struct job_parser *p, const char *sub, json_t *obj,
		   const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
		if (!job_in_list(key, keys))
			return job_unknown_key(p, sub, key, keys);
	return 0;
}

/* A size; lsio_json_size (and a formatted path) only off the fast path. */
int job_size(struct job_parser *p, const char *sub, json_t *v, uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	return lsio_json_size(p->ctx, job_where(p, sub), v, out);
}

/* A non-empty string, or NULL after setting the message. */
const char *job_string(struct job_parser *p, const char *sub, json_t *v,
		       const char *what)
{
	if (json_is_string(v) && json_string_value(v)[0])
		return json_string_value(v);
	job_fail(p, sub, "expected %s", what);
	return NULL;
}

int job_strdup(struct job_parser *p, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : job_oom(p);
}

int job_order_str(struct job_parser *p, const char *sub, const char *s,
		  const char *allowed, char *order)
{
	if (strlen(s) != 1 || !strchr(allowed, s[0]))
		return job_fail(p, sub, "expected %s",
				allowed[1] ? "\"C\" or \"F\"" : "\"C\"");
	*order = s[0];
	return 0;
}

int job_order(struct job_parser *p, const char *sub, json_t *v,
	      const char *allowed, char *order)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	return job_order_str(p, sub, s, allowed, order);
}

/* --- output --------------------------------------------------------------- */

/* Indexed by enum lsio_output_type. */
static const char *const out_types[] = { "array", "files", "stdout", "null",
					 "dataset", NULL };

const char *job_out_type(enum lsio_output_type t)
{
	return out_types[t];
}

static const char *const out_keys[][12] = {
	[LSIO_OUT_ARRAY] = { "type", "path", "dtype", "shape", "order",
			     "fill_value", "format", "prefill", "reduce",
			     "dims", NULL },
	[LSIO_OUT_FILES] = { "type", "dir", "name", "max_chunk", NULL },
	[LSIO_OUT_STDOUT] = { "type", "max_chunk", NULL },
	[LSIO_OUT_NULL] = { "type", "max_chunk", NULL },
	[LSIO_OUT_DATASET] = { "type", "path", "format", "attrs", "variables",
			       "prefill", "reduce", NULL },
};

static const char *const all_out_keys[] = { "type", "path", "dtype",
	"shape", "order", "fill_value", "format", "dir", "name", "max_chunk",
	"prefill", "attrs", "variables", "reduce", "dims", NULL };

static const char *const name_fields[] = { "index", "source", "offset",
					   "length", NULL };

/* A key of another output type gets a hint that says whose it is. */
static int check_output_keys(struct job_parser *p, json_t *obj,
			     enum lsio_output_type t)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char whose[64] = "";

		if (job_in_list(key, out_keys[t]))
			continue;
		/* Dataset output shares its keys but "attrs" and "variables"
		 * with array output: the hint names array output alone. */
		for (size_t o = 0; o < ARRAY_SIZE(out_keys); o++)
			if (job_in_list(key, out_keys[o]) &&
			    !(o == LSIO_OUT_DATASET &&
			      job_in_list(key, out_keys[LSIO_OUT_ARRAY])))
				snprintf(whose + strlen(whose),
					 sizeof(whose) - strlen(whose), "%s%s",
					 whose[0] ? ", " : "", out_types[o]);
		if (whose[0])
			return job_fail(
				p, NULL,
				"'%s' is not a key of %s output (it belongs to %s output)",
				key, out_types[t], whose);
		return job_unknown_key(p, NULL, key, out_keys[t]);
	}
	return 0;
}

int lsio_json_dtype(struct lsio_ctx *ctx, const char *where, json_t *v,
		    struct lsio_dtype *dt)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	if (!*s)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: expected a dtype such as \"<f4\" or \"|u1\"",
				 where);
	if (lsio_dtype_parse(s, dt))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: unknown dtype '%s' (numpy style, e.g. \"<f4\", \"|u1\", \">i8\", \"<M8[ns]\")",
				 where, s);
	return 0;
}

int lsio_json_shape(struct lsio_ctx *ctx, const char *where, json_t *v,
		    uint32_t itemsize, uint32_t *ndim, uint64_t *shape)
{
	uint64_t bytes = itemsize;
	char sub[LSIO_MSG_MAX];
	json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > LSIO_MAX_DIMS)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: expected a list of at most %d sizes",
				 where, LSIO_MAX_DIMS);
	*ndim = (uint32_t)json_array_size(v);
	json_array_foreach(v, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
		if (lsio_json_size(ctx, sub, e, &shape[i]))
			return -LSIO_EJOB;
	}
	if (!*ndim)
		shape[0] = 1;	/* see lsio_place_rank() */
	for (uint32_t d = 0; d < *ndim; d++)
		if (!lsio_mul_ok(bytes, shape[d], &bytes) || bytes > INT64_MAX)
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s: the array is too large (more than 2^63 bytes)",
					 where);
	return 0;
}

/* Items wider than fill (V, S) can only be zero, which is_zero says. */
int lsio_json_fill(struct lsio_ctx *ctx, const char *where, json_t *v,
		   const struct lsio_dtype *dt, uint8_t fill[16], bool *is_zero)
{
	uint8_t *buf = calloc(1, dt->size);
	char why[256];

	if (!buf)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	if (lsio_fill_encode(dt, v, buf, why, sizeof(why))) {
		free(buf);
		return lsio_fail(ctx, -LSIO_EJOB, "%s: %s", where, why);
	}
	memset(fill, 0, 16);
	memcpy(fill, buf, MIN(16, dt->size));
	*is_zero = true;
	for (uint32_t i = 0; i < dt->size; i++)
		if (buf[i])
			*is_zero = false;
	free(buf);
	return 0;
}

int lsio_json_keys(struct lsio_ctx *ctx, const char *where, json_t *obj,
		   const char *const *keys)
{
	const char *key, *hint;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (job_in_list(key, keys))
			continue;
		hint = lsio_did_you_mean(key, keys);
		if (hint)
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s: unknown key '%s' (did you mean '%s'?)",
					 where, key, hint);
		return lsio_fail(ctx, -LSIO_EJOB, "%s: unknown key '%s'", where,
				 key);
	}
	return 0;
}

static int array_format(struct job_parser *p, json_t *v)
{
	struct lsio_output *out = &p->job->out;
	const char *s;

	if (!v) {
		/* Decided from the final path: -o may still change it. */
		out->format = LSIO_FMT_AUTO;
		return 0;
	}
	s = json_is_string(v) ? json_string_value(v) : "";
	if (!strcmp(s, "npy"))
		out->format = LSIO_FMT_NPY;
	else if (!strcmp(s, "raw"))
		out->format = LSIO_FMT_RAW;
	else
		return job_fail(p, "format", "expected \"npy\" or \"raw\"");
	return 0;
}

/* A NetCDF file's name: ".nc" or ".nc4", in any case. */
static bool netcdf_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && dot != path && dot[-1] != '/' &&
	       (!strcasecmp(dot, ".nc") || !strcasecmp(dot, ".nc4"));
}

int lsio_output_path_check(const struct lsio_output *out, const char *path,
			   char *why, size_t cap)
{
	if (out->type == LSIO_OUT_ARRAY && netcdf_name(path)) {
		snprintf(why, cap,
			 "'%s': an array output writes .npy or raw bytes; a NetCDF file needs a \"dataset\" output",
			 path);
		return -1;
	}
	if (out->type == LSIO_OUT_DATASET && !out->netcdf_named &&
	    !netcdf_name(path)) {
		snprintf(why, cap,
			 "'%s': a dataset output writes NetCDF-4: name it .nc (or give \"format\": \"netcdf4\")",
			 path);
		return -1;
	}
	return 0;
}

/* output.path of an array or dataset output (it may come from -o). */
static int output_path(struct job_parser *p, json_t *obj)
{
	json_t *v = json_object_get(obj, "path");
	const char *s;

	if (!v)
		return 0;
	s = job_string(p, "path", v, "a file name");
	if (!s)
		return -LSIO_EJOB;
	return job_strdup(p, s, &p->job->out.path);
}

/* "prefill": false, of an array or dataset output. */
static int output_prefill(struct job_parser *p, json_t *obj)
{
	json_t *v = json_object_get(obj, "prefill");

	if (v && !json_is_boolean(v))
		return job_fail(p, "prefill", "expected true or false");
	p->job->out.no_prefill = v && json_is_false(v);
	return 0;
}

/* Once the output's type and format are known. */
static int check_path(struct job_parser *p)
{
	char why[LSIO_MSG_MAX / 2];
	const char *path = p->job->out.path;

	if (path && lsio_output_path_check(&p->job->out, path, why, sizeof(why)))
		return job_fail(p, "path", "%s", why);
	return 0;
}

static int parse_array_output(struct job_parser *p, json_t *obj)
{
	struct lsio_output *out = &p->job->out;
	json_t *v;
	char order;
	int ret;

	if ((ret = output_path(p, obj)))
		return ret;
	v = json_object_get(obj, "dtype");
	if (!v)
		return job_fail(p, NULL, "missing \"dtype\" (e.g. \"<f4\")");
	ret = lsio_json_dtype(p->ctx, job_where(p, "dtype"), v, &out->dtype);
	if (ret)
		return ret;
	v = json_object_get(obj, "shape");
	if (!v)
		return job_fail(p, NULL, "missing \"shape\" (a list of sizes)");
	ret = lsio_json_shape(p->ctx, job_where(p, "shape"), v, out->dtype.size,
			      &out->ndim, out->shape);
	v = json_object_get(obj, "order");
	if (!ret && v)
		ret = job_order(p, "order", v, "C", &order);
	if (!ret)
		ret = lsio_json_fill(p->ctx, job_where(p, "fill_value"),
				     json_object_get(obj, "fill_value"),
				     &out->dtype, out->fill, &out->fill_is_zero);
	if (!ret)
		ret = array_format(p, json_object_get(obj, "format"));
	if (!ret)
		ret = output_prefill(p, obj);
	v = json_object_get(obj, "dims");
	if (!ret && v)
		ret = lsio_json_dims(p->ctx, job_where(p, "dims"), v, out->ndim,
				     &out->dims);
	if (!ret)
		ret = job_reduce(p, json_object_get(obj, "reduce"));
	return ret ? ret : check_path(p);
}

static const char *var_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_output *)arg)->vars[idx].name;
}

/* The map chunks find their variable by, and the names "did you mean"
 * picks from; a name twice is an error. */
static int map_vars(struct job_parser *p)
{
	const struct lsio_output *out = &p->job->out;
	uint32_t other;

	p->vars.key = var_key;
	p->vars.arg = out;
	p->var_names = calloc(out->nvars + 1, sizeof(*p->var_names));
	if (!p->var_names)
		return job_oom(p);
	for (uint32_t i = 0; i < out->nvars; i++) {
		const char *name = out->vars[i].name;
		uint32_t hash = job_hash_str(name);
		char sub[48];

		if (job_map_lookup(&p->vars, name, hash, &other)) {
			snprintf(sub, sizeof(sub), "variables[%" PRIu32 "].name", i);
			return job_fail(p, sub,
					"'%s' is also the name of variables[%" PRIu32
					"]",
					name, other);
		}
		if (job_map_insert(&p->vars, hash, i))
			return job_oom(p);
		p->var_names[i] = name;
	}
	return 0;
}

static int parse_dataset_output(struct job_parser *p, json_t *obj)
{
	struct lsio_output *out = &p->job->out;
	json_t *v;
	int ret;

	if ((ret = output_path(p, obj)))
		return ret;
	v = json_object_get(obj, "format");
	if (v && !(json_is_string(v) && !strcmp(json_string_value(v), "netcdf4")))
		return job_fail(p, "format", "expected \"netcdf4\"");
	out->netcdf_named = v != NULL;
	if ((ret = lsio_dataset_parse(p->ctx, job_where(p, NULL), obj, out)))
		return ret;
	if ((ret = map_vars(p)) || (ret = output_prefill(p, obj)) ||
	    (ret = job_reduce(p, json_object_get(obj, "reduce"))))
		return ret;
	return check_path(p);
}

static int bad_placeholder(struct job_parser *p, const char *field, size_t len)
{
	char name[16];
	const char *hint = NULL;

	if (len < sizeof(name)) {
		memcpy(name, field, len);
		name[len] = '\0';
		hint = lsio_did_you_mean(name, name_fields);
	}
	if (hint)
		return job_fail(
			p, "name",
			"unknown placeholder '{%.*s}' (did you mean '{%s}'?)",
			(int)MIN(len, 64), field, hint);
	return job_fail(
		p, "name",
		"unknown placeholder '{%.*s}'; expected {index}, {source}, {offset} or {length}",
		(int)MIN(len, 64), field);
}

/* A name template: only the known {placeholders}, no '/'. */
static int check_template(struct job_parser *p, const char *t)
{
	const char *s, *close;
	size_t len, k;

	if (!*t)
		return job_fail(p, "name", "an empty file name template");
	for (s = t; *s; s++) {
		if (*s == '/')
			return job_fail(p, "name",
					"a file name cannot contain '/': '%s'",
					t);
		if (*s != '{')
			continue;
		close = strchr(s, '}');
		if (!close)
			return job_fail(p, "name", "'{' without '}' in '%s'", t);
		len = (size_t)(close - s - 1);
		for (k = 0; name_fields[k]; k++)
			if (strlen(name_fields[k]) == len &&
			    !strncmp(name_fields[k], s + 1, len))
				break;
		if (!name_fields[k])
			return bad_placeholder(p, s + 1, len);
		if (!strcmp(name_fields[k], "length"))
			p->name_uses_length = true;
		s = close;
	}
	return 0;
}

static int parse_files_output(struct job_parser *p, json_t *obj)
{
	struct lsio_output *out = &p->job->out;
	const char *s;
	json_t *v;
	int ret;

	v = json_object_get(obj, "dir");
	if (v) {
		s = job_string(p, "dir", v, "a directory name");
		if (!s)
			return -LSIO_EJOB;
		if (job_strdup(p, s, &out->dir))
			return -ENOMEM;
	}
	v = json_object_get(obj, "name");
	if (!v)
		return 0;
	if (!json_is_string(v))
		return job_fail(
			p, "name",
			"expected a file name template such as \"{index}.bin\"");
	s = json_string_value(v);
	ret = check_template(p, s);
	if (ret)
		return ret;
	return job_strdup(p, s, &out->name);
}

/* Array output bounds each chunk by its placement; the others by this. */
static int output_max_chunk(struct job_parser *p, json_t *v)
{
	uint64_t n;

	if (!v)
		return 0;
	if (job_size(p, "max_chunk", v, &n))
		return -LSIO_EJOB;
	if (!n)
		return job_fail(p, "max_chunk", "must be at least 1 byte");
	p->job->out.max_chunk = n;
	return 0;
}

static int parse_output(struct job_parser *p, json_t *obj)
{
	const char *s, *hint;
	json_t *type;
	size_t t;

	if (!obj)
		return job_fail(
			p, NULL,
			"missing \"output\" (e.g. {\"type\": \"array\", ...})");
	job_at(p, "output", NO_INDEX);
	if (!json_is_object(obj))
		return job_fail(p, NULL, "expected an object");
	type = json_object_get(obj, "type");
	if (!type && job_check_keys(p, NULL, obj, all_out_keys))
		return -LSIO_EJOB;	/* "tpye" says more than "missing" */
	if (!json_is_string(type))
		return job_fail(
			p, "type",
			"expected one of \"array\", \"dataset\", \"files\", \"stdout\", \"null\"");
	s = json_string_value(type);
	for (t = 0; out_types[t] && strcmp(out_types[t], s); t++)
		;
	if (!out_types[t]) {
		hint = lsio_did_you_mean(s, out_types);
		if (hint)
			return job_fail(
				p, "type",
				"unknown output type '%s' (did you mean '%s'?)",
				s, hint);
		return job_fail(
			p, "type",
			"unknown output type '%s' (expected array, dataset, files, stdout or null)",
			s);
	}
	p->job->out.type = (enum lsio_output_type)t;
	if (check_output_keys(p, obj, p->job->out.type))
		return -LSIO_EJOB;
	if (t == LSIO_OUT_ARRAY)
		return parse_array_output(p, obj);
	if (t == LSIO_OUT_DATASET)
		return parse_dataset_output(p, obj);
	if (output_max_chunk(p, json_object_get(obj, "max_chunk")))
		return -LSIO_EJOB;
	if (t == LSIO_OUT_FILES)
		return parse_files_output(p, obj);
	return 0;
}

/* --- file names for files output ------------------------------------------ */

struct namebuf {
	char *p;
	size_t len, cap;
	bool full;
};

static void nb_add(struct namebuf *b, const char *s, size_t n)
{
	if (b->full || b->len + n >= b->cap) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void nb_num(struct namebuf *b, uint64_t v)
{
	char num[24];

	nb_add(b, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
}

static bool field_is(const char *field, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(field, name, len);
}

/* Expand one {field} of a validated template. */
static void expand_field(const struct lsio_job *job, uint64_t i,
			 const char *field, size_t len, struct namebuf *b)
{
	const struct lsio_chunk *c = &job->chunks[i];
	const char *src, *base;

	if (field_is(field, len, "index")) {
		nb_num(b, i);
	} else if (field_is(field, len, "source")) {
		src = job->sources[c->source].path;
		base = strrchr(src, '/');
		base = base ? base + 1 : src;
		nb_add(b, base, strlen(base));
	} else if (field_is(field, len, "offset")) {
		nb_num(b, c->offset);
	} else {
		nb_num(b, c->length);
	}
}

int lsio_chunk_name(const struct lsio_job *job, uint64_t i, char *buf,
		    size_t cap)
{
	const struct lsio_chunk *c = &job->chunks[i];
	struct namebuf b = { .p = buf, .cap = cap };
	const char *t, *close;

	if (!cap)
		return -LSIO_ETOOBIG;
	buf[0] = '\0';
	if (c->name != LSIO_NONE) {
		t = job->strings + c->name;
		nb_add(&b, t, strlen(t));
		return b.full ? -LSIO_ETOOBIG : (int)b.len;
	}
	for (t = job->out.name ? job->out.name : "{index}"; *t; t++) {
		close = *t == '{' ? strchr(t, '}') : NULL;
		if (!close) {
			nb_add(&b, t, 1);
			continue;
		}
		expand_field(job, i, t + 1, (size_t)(close - t - 1), &b);
		t = close;
	}
	return b.full ? -LSIO_ETOOBIG : (int)b.len;
}

static int check_name(struct job_parser *p, const char *sub, const char *name)
{
	if (!*name)
		return job_fail(p, sub, "the file name is empty");
	if (strchr(name, '/'))
		return job_fail(p, sub, "file name '%s' contains '/'", name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return job_fail(p, sub, "'%s' is not a file name", name);
	return 0;
}

/* Every chunk's file name, kept while checking for duplicates. */
struct name_arena {
	char *buf;
	size_t len, cap;
	size_t *offs;
};

static const char *arena_key(const void *arg, uint32_t idx)
{
	const struct name_arena *a = arg;

	return a->buf + a->offs[idx];
}

static int name_one(struct job_parser *p, struct name_arena *a,
		    struct job_map *set, uint64_t i)
{
	const struct lsio_chunk *c = &p->job->chunks[i];
	const char *sub = c->name != LSIO_NONE ? "name" : NULL;
	char name[LSIO_NAME_MAX + 1];
	uint32_t other, hash;
	int len, ret;

	job_at(p, "chunks", i);
	if (c->name == LSIO_NONE && p->name_uses_length &&
	    c->length == LSIO_LEN_EOF)
		return job_fail(
			p, NULL,
			"the file name template uses {length}, but the chunk has no length");
	len = lsio_chunk_name(p->job, i, name, sizeof(name));
	if (len < 0)
		return job_fail(p, sub, "file name longer than %d bytes",
				LSIO_NAME_MAX);
	if ((ret = check_name(p, sub, name)))
		return ret;
	hash = job_hash_str(name);
	if (job_map_lookup(set, name, hash, &other))
		return job_fail(p, sub,
				"duplicate file name '%s' (also chunks[%" PRIu32
				"])",
				name, other);
	if (job_grow(&a->buf, 1, &a->cap, a->len + (size_t)len + 1))
		return job_oom(p);
	memcpy(a->buf + a->len, name, (size_t)len + 1);
	a->offs[i] = a->len;
	a->len += (size_t)len + 1;
	return job_map_insert(set, hash, (uint32_t)i) ? job_oom(p) : 0;
}

int job_check_names(struct job_parser *p)
{
	struct name_arena a = { 0 };
	struct job_map set = { .key = arena_key, .arg = &a };
	int ret = 0;

	a.offs = calloc(p->job->nchunks ? p->job->nchunks : 1, sizeof(*a.offs));
	if (!a.offs)
		return job_oom(p);
	for (uint64_t i = 0; i < p->job->nchunks && !ret; i++)
		ret = name_one(p, &a, &set, i);
	job_map_release(&set);
	free(a.buf);
	free(a.offs);
	return ret;
}


static const char *const top_keys[] = { "lsio", "output", "defaults",
					"storage", "chunks", NULL };

static int check_version(struct job_parser *p, json_t *v)
{
	if (!v)
		return job_fail(p, NULL,
				"missing \"lsio\": %d (the job format version)",
				LSIO_JOB_FORMAT);
	if (!json_is_integer(v))
		return job_fail(p, "lsio", "expected the job format version, %d",
				LSIO_JOB_FORMAT);
	if (json_integer_value(v) != LSIO_JOB_FORMAT)
		return job_fail(p, NULL,
				"unsupported job format version %" JSON_INTEGER_FORMAT
				" (this lsio reads %d)",
				json_integer_value(v), LSIO_JOB_FORMAT);
	return 0;
}

int job_header(struct job_parser *p, json_t *root, bool final)
{
	json_t *v;
	int ret;

	job_at(p, NULL, NO_INDEX);
	/* The version first: a newer format's keys are not typos. */
	v = json_object_get(root, "lsio");
	if (!p->done_version && (v || final)) {
		if ((ret = check_version(p, v)))
			return ret;
		p->done_version = true;
	}
	if (job_check_keys(p, NULL, root, top_keys))
		return -LSIO_EJOB;
	v = json_object_get(root, "output");
	if (!p->done_output && (v || final)) {
		if ((ret = parse_output(p, v)))
			return ret;
		p->done_output = true;
	}
	v = json_object_get(root, "storage");
	if (!p->done_storage && v) {
		ret = lsio_settings_parse(p->ctx, p->job->name, v,
					  &p->job->storage);
		if (ret)
			return ret;
		p->done_storage = true;
	}
	v = json_object_get(root, "defaults");
	if (!p->done_defaults && v) {
		if ((ret = job_parse_defaults(p, v)))
			return ret;
		p->done_defaults = true;
	}
	job_at(p, NULL, NO_INDEX);
	return 0;
}

static struct lsio_job *job_alloc(const char *name)
{
	struct lsio_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	lsio_settings_init(&job->storage);
	job->name = strdup(name);
	if (!job->name) {
		free(job);
		return NULL;
	}
	return job;
}

/* The job r reads, named name in messages. */
static int job_read(struct lsio_ctx *ctx, struct jreader *r,
		    const struct job_input *in, struct lsio_job **out)
{
	struct job_parser p = { .ctx = ctx, .index = NO_INDEX };
	int ret;

	p.job = job_alloc(r->name);
	if (!p.job)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", r->name);
	job_chunk_init(&p);
	ret = job_stream_parse(&p, r, in);
	job_chunk_release(&p);
	if (ret) {
		lsio_job_free(p.job);
		return ret;
	}
	*out = p.job;
	return 0;
}

int lsio_job_load_string(struct lsio_ctx *ctx, const char *text,
			 const char *name, struct lsio_job **job)
{
	struct job_input in = { 0 };
	struct jreader r;

	*job = NULL;
	if (!name)
		name = "<string>";
	if (!text)
		return lsio_fail(ctx, -LSIO_EJOB, "%s: no job text", name);
	jr_init_text(&r, ctx, text, strlen(text), name);
	return job_read(ctx, &r, &in, job);
}

int lsio_job_load(struct lsio_ctx *ctx, const char *path, const char *chunks,
		  struct lsio_job **job)
{
	bool is_stdin = !strcmp(path, "-");
	struct job_input in = { .path = is_stdin ? NULL : path,
				.chunks = chunks };
	struct jreader r;
	int fd, ret;

	*job = NULL;
	if (is_stdin && chunks && !strcmp(chunks, "-"))
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "the job and its chunks cannot both be read from standard input");
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		return lsio_fail(ctx, -ret, "cannot open '%s': %s", path,
				 strerror(ret));
	}
	jr_init_fd(&r, ctx, fd, is_stdin ? "<stdin>" : path);
	ret = job_read(ctx, &r, &in, job);
	jr_release(&r);
	if (!is_stdin)
		close(fd);
	return ret;
}

int lsio_job_load_file(struct lsio_ctx *ctx, const char *path,
		       struct lsio_job **job)
{
	return lsio_job_load(ctx, path, NULL, job);
}

void lsio_job_free(struct lsio_job *job)
{
	if (!job)
		return;
	for (uint32_t i = 0; i < job->nsources; i++)
		free(job->sources[i].path);
	for (uint32_t i = 0; i < job->nchains; i++)
		lsio_chain_release(&job->chains[i]);
	free(job->sources);
	free(job->chains);
	free(job->chunks);
	free(job->tos);
	free(job->boxes);
	free(job->strings);
	free(job->out.path);
	free(job->out.dir);
	free(job->out.name);
	lsio_dataset_release(&job->out);
	lsio_settings_release(&job->storage);
	free(job->name);
	free(job);
}

uint64_t lsio_job_chunk_count(const struct lsio_job *job)
{
	return job ? job->nchunks : 0;
}

/* The largest rank a placement has: the stride of job->dims. */
uint32_t lsio_job_max_rank(const struct lsio_job *job)
{
	uint32_t n = 1;

	if (job->out.type != LSIO_OUT_DATASET)
		return lsio_place_rank(&job->out);
	for (uint32_t i = 0; i < job->out.nvars; i++)
		n = MAX(n, lsio_var_rank(&job->out.vars[i]));
	return n;
}

const struct lsio_dtype *lsio_chunk_dtype(const struct lsio_job *job,
					  const struct lsio_chunk *c)
{
	if (job->out.type == LSIO_OUT_DATASET)
		return &job->out.vars[c->var].dtype;
	return &job->out.dtype;
}

bool lsio_chunk_place(const struct lsio_job *job, const struct lsio_chunk *c,
		      struct lsio_place *view)
{
	uint32_t n = job->out.type == LSIO_OUT_DATASET
			? lsio_var_rank(&job->out.vars[c->var])
			: lsio_place_rank(&job->out);
	const uint64_t *b;

	/* c->box is c->name for other outputs. */
	if (!lsio_output_places(&job->out) || c->box == LSIO_NONE)
		return false;
	b = job->boxes + (uint64_t)c->box * job->box_stride;
	view->ndim = n;
	view->order = c->order;
	view->shape = b;
	view->from = b + n;
	view->count = b + 2 * n;
	view->step = b + 3 * n;
	view->to = job->tos + (uint64_t)(c - job->chunks) * job->to_stride;
	return true;
}

uint64_t lsio_chunk_decoded_size(const struct lsio_job *job,
				 const struct lsio_chunk *c)
{
	struct lsio_place pl;
	uint64_t bytes = lsio_chunk_dtype(job, c)->size;

	if (!lsio_chunk_place(job, c, &pl))
		return 0;
	for (uint32_t d = 0; d < pl.ndim; d++)
		bytes *= pl.shape[d];	/* overflow checked at load */
	return bytes;
}

