/* SPDX-License-Identifier: MIT */
/*
 * job.c - load a job file into a validated, immutable struct lsio_job.
 *
 * Everything a job can get wrong is found here, before any data is read,
 * and named by file and JSON path ("job.json: chunks[17].place.to: ...").
 * A job may hold a million chunks, so the per-chunk path is cheap: sources,
 * stage chains and file names are deduplicated through hash maps, and a
 * message path is only formatted when a message is written.
 *
 * The jansson tree is dropped once parsing is done: the job owns copies of
 * every string it keeps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "job/job.h"
#include "stage/stage.h"

#define NO_INDEX UINT64_MAX

/* --- a string -> index map, for deduplication ----------------------------- */

/* The strings themselves live elsewhere (the job's sources, chains, a name
 * arena); key() finds the one an index names.  Open addressing, linear
 * probing, at most half full. */
struct strmap {
	struct strmap_slot {
		uint32_t hash;
		uint32_t idx1;	/* index + 1; 0 = empty */
	} *slots;
	size_t mask, n;
	const char *(*key)(const void *arg, uint32_t idx);
	const void *arg;
};

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static bool strmap_lookup(const struct strmap *m, const char *key,
			  uint32_t hash, uint32_t *idx)
{
	if (!m->slots)
		return false;
	for (size_t i = hash & m->mask; m->slots[i].idx1;
	     i = (i + 1) & m->mask) {
		const struct strmap_slot *s = &m->slots[i];

		if (s->hash == hash &&
		    !strcmp(m->key(m->arg, s->idx1 - 1), key)) {
			*idx = s->idx1 - 1;
			return true;
		}
	}
	return false;
}

static void strmap_place(struct strmap_slot *slots, size_t mask,
			 struct strmap_slot s)
{
	size_t i = s.hash & mask;

	while (slots[i].idx1)
		i = (i + 1) & mask;
	slots[i] = s;
}

/* Add idx, which the caller knows is absent. */
static int strmap_insert(struct strmap *m, uint32_t hash, uint32_t idx)
{
	size_t cap = m->slots ? m->mask + 1 : 0;

	if ((m->n + 1) * 2 > cap) {
		size_t ncap = cap ? cap * 2 : 64;
		struct strmap_slot *s = calloc(ncap, sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (size_t i = 0; i < cap; i++)
			if (m->slots[i].idx1)
				strmap_place(s, ncap - 1, m->slots[i]);
		free(m->slots);
		m->slots = s;
		m->mask = ncap - 1;
	}
	strmap_place(m->slots, m->mask,
		     (struct strmap_slot){ .hash = hash, .idx1 = idx + 1 });
	m->n++;
	return 0;
}

static void strmap_release(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->n = 0;
}

/* Grow *p (of *cap elements of size) to hold need elements. */
static int grow(void *p, size_t size, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 16, bytes;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if (!lsio_mul_ok(ncap, size, &bytes))
		return -ENOMEM;
	np = realloc(*(void **)p, bytes);
	if (!np)
		return -ENOMEM;
	*(void **)p = np;
	*cap = ncap;
	return 0;
}

/* --- the parser ----------------------------------------------------------- */

/* What "defaults" gives every chunk that does not say otherwise. */
struct defaults {
	const char *source;	/* borrowed from the JSON tree, or NULL */
	uint32_t source_idx;	/* LSIO_NONE until a chunk uses it */
	uint64_t length;	/* LSIO_LEN_EOF when not given */
	uint32_t chain;		/* LSIO_NONE when not given */
	char order;		/* place.order, 0 when not given */
	uint8_t missing;	/* enum lsio_missing */
	uint32_t var;		/* place.var (dataset), LSIO_NONE when not
				 * given */
	uint32_t rank;		/* the rank shape/from/count/step have */
	bool has_shape, has_from, has_count, has_step;
	uint64_t shape[LSIO_MAX_DIMS], from[LSIO_MAX_DIMS];
	uint64_t count[LSIO_MAX_DIMS], step[LSIO_MAX_DIMS];
};

/* The array the chunk being parsed lands in: the output's, or a dataset
 * variable's. */
struct dest {
	uint32_t ndim, rank, itemsize;
	const uint64_t *shape;
	const char *var;	/* the variable's name; NULL: array output */
};

struct parser {
	struct lsio_ctx *ctx;
	struct lsio_job *job;
	const char *base;	/* "chunks", "defaults", "output" or NULL */
	uint64_t index;		/* chunk index, or NO_INDEX */
	char path[LSIO_MSG_MAX];	/* where() formats into this */

	struct defaults def;
	struct dest dest;
	uint64_t stride;	/* job->dims values per chunk: LSIO_PLACE_FIELDS
				 * x the largest rank of the output */
	struct strmap sources, chains, vars;
	const char **var_names;	/* NULL terminated, for "did you mean" */
	size_t sources_cap, chains_cap, strings_cap;
	uint32_t empty_chain;	/* the chain "[]", LSIO_NONE until needed */
	bool name_uses_length;	/* files output template has {length} */
};

/* "NAME: chunks[3].place.to": formatted only for a message, since a job
 * may have a million chunks. */
static const char *where(struct parser *p, const char *sub)
{
	const char *name = p->job->name;
	char idx[32] = "";

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

static int fail(struct parser *p, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, const char *sub, const char *fmt, ...)
{
	char msg[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lsio_fail(p->ctx, -LSIO_EJOB, "%s: %s", where(p, sub), msg);
}

static int oom(struct parser *p)
{
	return lsio_fail(p->ctx, -ENOMEM, "%s: out of memory", p->job->name);
}

static void at(struct parser *p, const char *base, uint64_t index)
{
	p->base = base;
	p->index = index;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int unknown_key(struct parser *p, const char *sub, const char *key,
		       const char *const *keys)
{
	const char *hint = lsio_did_you_mean(key, keys);

	if (hint)
		return fail(p, sub, "unknown key '%s' (did you mean '%s'?)",
			    key, hint);
	return fail(p, sub, "unknown key '%s'", key);
}

static int check_keys(struct parser *p, const char *sub, json_t *obj,
		      const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
		if (!in_list(key, keys))
			return unknown_key(p, sub, key, keys);
	return 0;
}

/* A size; lsio_json_size (and a formatted path) only off the fast path. */
static int get_size(struct parser *p, const char *sub, json_t *v,
		    uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	return lsio_json_size(p->ctx, where(p, sub), v, out);
}

/* A non-empty string, or NULL after setting the message. */
static const char *get_string(struct parser *p, const char *sub, json_t *v,
			      const char *what)
{
	if (json_is_string(v) && json_string_value(v)[0])
		return json_string_value(v);
	fail(p, sub, "expected %s", what);
	return NULL;
}

static int dup_string(struct parser *p, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : oom(p);
}

/* A list of exactly want sizes, as in "place.shape": [32, 32]. */
static int parse_dims(struct parser *p, const char *sub, json_t *v,
		      uint32_t want, uint64_t *vals)
{
	char esub[64];
	size_t i;
	json_t *e;
	int ret;

	if (!json_is_array(v))
		return fail(p, sub, "expected a list of %" PRIu32 " sizes",
			    want);
	if (json_array_size(v) != want && p->dest.var)
		return fail(p, sub,
			    "%zu dimensions, but variable '%s' has %" PRIu32,
			    json_array_size(v), p->dest.var, want);
	if (json_array_size(v) != want)
		return fail(p, sub,
			    "%zu dimensions, but the output has %" PRIu32,
			    json_array_size(v), want);
	json_array_foreach(v, i, e) {
		if (json_is_integer(e) && json_integer_value(e) >= 0) {
			vals[i] = (uint64_t)json_integer_value(e);
			continue;
		}
		snprintf(esub, sizeof(esub), "%s[%zu]", sub, i);
		ret = get_size(p, esub, e, &vals[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_order(struct parser *p, const char *sub, json_t *v,
		       const char *allowed, char *order)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	if (strlen(s) != 1 || !strchr(allowed, s[0]))
		return fail(p, sub, "expected %s",
			    allowed[1] ? "\"C\" or \"F\"" : "\"C\"");
	*order = s[0];
	return 0;
}

/* --- sources and chains --------------------------------------------------- */

static const char *source_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_job *)arg)->sources[idx].path;
}

static const char *chain_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_job *)arg)->chains[idx].text;
}

static int source_index(struct parser *p, const char *path, uint32_t *idx)
{
	struct lsio_job *job = p->job;
	uint32_t hash = str_hash(path);
	struct lsio_source *s;

	if (strmap_lookup(&p->sources, path, hash, idx))
		return 0;
	if (job->nsources >= LSIO_NONE - 1)
		return fail(p, "source", "more than %u sources", LSIO_NONE - 1);
	if (grow(&job->sources, sizeof(*job->sources), &p->sources_cap,
		 job->nsources + 1))
		return oom(p);
	s = &job->sources[job->nsources];
	memset(s, 0, sizeof(*s));
	if (dup_string(p, path, &s->path))
		return -ENOMEM;
	if (strmap_insert(&p->sources, hash, job->nsources))
		return oom(p);	/* s->path is freed with the job */
	*idx = job->nsources++;
	return 0;
}

/* The index of the chain list parses to, parsing it only when its text
 * is new: a million chunks usually share a handful of chains. */
static int chain_index(struct parser *p, json_t *list, uint32_t *idx)
{
	struct lsio_job *job = p->job;
	struct lsio_chain *c;
	char *text;
	int ret;

	if (json_is_array(list)) {
		text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			return oom(p);
		ret = strmap_lookup(&p->chains, text, str_hash(text), idx);
		free(text);
		if (ret)
			return 0;
	}
	if (job->nchains >= LSIO_NONE - 1)
		return fail(p, "stages", "more than %u stage chains",
			    LSIO_NONE - 1);
	if (grow(&job->chains, sizeof(*job->chains), &p->chains_cap,
		 job->nchains + 1))
		return oom(p);
	c = &job->chains[job->nchains];
	/* Reports a non-list too. */
	ret = lsio_chain_parse(p->ctx, where(p, "stages"), list, c);
	if (ret)
		return ret;
	job->nchains++;
	if (strmap_insert(&p->chains, str_hash(c->text), job->nchains - 1))
		return oom(p);
	*idx = job->nchains - 1;
	return 0;
}

/* The chain "[]", for chunks that name no stages. */
static int empty_chain(struct parser *p, uint32_t *idx)
{
	json_t *list;
	int ret;

	if (p->empty_chain == LSIO_NONE) {
		list = json_array();
		if (!list)
			return oom(p);
		ret = chain_index(p, list, &p->empty_chain);
		json_decref(list);
		if (ret)
			return ret;
	}
	*idx = p->empty_chain;
	return 0;
}

/* True when no stage of c changes the size: then a chunk's length must
 * equal its decoded size, and that can be checked before reading. */
static bool chain_keeps_size(const struct lsio_chain *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->stages[i].ops != &lsio_stage_identity)
			return false;
	return true;
}

/* --- output --------------------------------------------------------------- */

/* Indexed by enum lsio_output_type. */
static const char *const out_types[] = { "array", "files", "stdout", "null",
					 "dataset", NULL };

static const char *const out_keys[][10] = {
	[LSIO_OUT_ARRAY] = { "type", "path", "dtype", "shape", "order",
			     "fill_value", "format", "prefill", NULL },
	[LSIO_OUT_FILES] = { "type", "dir", "name", "max_chunk", NULL },
	[LSIO_OUT_STDOUT] = { "type", "max_chunk", NULL },
	[LSIO_OUT_NULL] = { "type", "max_chunk", NULL },
	[LSIO_OUT_DATASET] = { "type", "path", "format", "attrs", "variables",
			       "prefill", NULL },
};

static const char *const all_out_keys[] = { "type", "path", "dtype",
	"shape", "order", "fill_value", "format", "dir", "name", "max_chunk",
	"prefill", "attrs", "variables", NULL };

static const char *const name_fields[] = { "index", "source", "offset",
					   "length", NULL };

/* A key of another output type gets a hint that says whose it is. */
static int check_output_keys(struct parser *p, json_t *obj,
			     enum lsio_output_type t)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char whose[64] = "";

		if (in_list(key, out_keys[t]))
			continue;
		/* Dataset output shares its keys but "attrs" and "variables"
		 * with array output: the hint names array output alone. */
		for (size_t o = 0; o < ARRAY_SIZE(out_keys); o++)
			if (in_list(key, out_keys[o]) &&
			    !(o == LSIO_OUT_DATASET && in_list(key, out_keys[LSIO_OUT_ARRAY])))
				snprintf(whose + strlen(whose), sizeof(whose) - strlen(whose),
					 "%s%s", whose[0] ? ", " : "", out_types[o]);
		if (whose[0])
			return fail(p, NULL,
				    "'%s' is not a key of %s output (it belongs to %s output)",
				    key, out_types[t], whose);
		return unknown_key(p, NULL, key, out_keys[t]);
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
		if (in_list(key, keys))
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

static int array_format(struct parser *p, json_t *v)
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
		return fail(p, "format", "expected \"npy\" or \"raw\"");
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
static int output_path(struct parser *p, json_t *obj)
{
	json_t *v = json_object_get(obj, "path");
	const char *s;

	if (!v)
		return 0;
	s = get_string(p, "path", v, "a file name");
	if (!s)
		return -LSIO_EJOB;
	return dup_string(p, s, &p->job->out.path);
}

/* "prefill": false, of an array or dataset output. */
static int output_prefill(struct parser *p, json_t *obj)
{
	json_t *v = json_object_get(obj, "prefill");

	if (v && !json_is_boolean(v))
		return fail(p, "prefill", "expected true or false");
	p->job->out.no_prefill = v && json_is_false(v);
	return 0;
}

/* Once the output's type and format are known. */
static int check_path(struct parser *p)
{
	char why[LSIO_MSG_MAX / 2];
	const char *path = p->job->out.path;

	if (path && lsio_output_path_check(&p->job->out, path, why, sizeof(why)))
		return fail(p, "path", "%s", why);
	return 0;
}

static int parse_array_output(struct parser *p, json_t *obj)
{
	struct lsio_output *out = &p->job->out;
	json_t *v;
	char order;
	int ret;

	if ((ret = output_path(p, obj)))
		return ret;
	v = json_object_get(obj, "dtype");
	if (!v)
		return fail(p, NULL, "missing \"dtype\" (e.g. \"<f4\")");
	ret = lsio_json_dtype(p->ctx, where(p, "dtype"), v, &out->dtype);
	if (ret)
		return ret;
	v = json_object_get(obj, "shape");
	if (!v)
		return fail(p, NULL, "missing \"shape\" (a list of sizes)");
	ret = lsio_json_shape(p->ctx, where(p, "shape"), v, out->dtype.size,
			      &out->ndim, out->shape);
	v = json_object_get(obj, "order");
	if (!ret && v)
		ret = parse_order(p, "order", v, "C", &order);
	if (!ret)
		ret = lsio_json_fill(p->ctx, where(p, "fill_value"),
				     json_object_get(obj, "fill_value"),
				     &out->dtype, out->fill, &out->fill_is_zero);
	if (!ret)
		ret = array_format(p, json_object_get(obj, "format"));
	if (!ret)
		ret = output_prefill(p, obj);
	return ret ? ret : check_path(p);
}

static const char *var_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_output *)arg)->vars[idx].name;
}

/* The map chunks find their variable by, and the names "did you mean"
 * picks from; a name twice is an error. */
static int map_vars(struct parser *p)
{
	const struct lsio_output *out = &p->job->out;
	uint32_t other;

	p->vars.key = var_key;
	p->vars.arg = out;
	p->var_names = calloc(out->nvars + 1, sizeof(*p->var_names));
	if (!p->var_names)
		return oom(p);
	for (uint32_t i = 0; i < out->nvars; i++) {
		const char *name = out->vars[i].name;
		uint32_t hash = str_hash(name);
		char sub[48];

		if (strmap_lookup(&p->vars, name, hash, &other)) {
			snprintf(sub, sizeof(sub), "variables[%" PRIu32 "].name", i);
			return fail(p, sub,
				    "'%s' is also the name of variables[%" PRIu32 "]",
				    name, other);
		}
		if (strmap_insert(&p->vars, hash, i))
			return oom(p);
		p->var_names[i] = name;
	}
	return 0;
}

static int parse_dataset_output(struct parser *p, json_t *obj)
{
	struct lsio_output *out = &p->job->out;
	json_t *v;
	int ret;

	if ((ret = output_path(p, obj)))
		return ret;
	v = json_object_get(obj, "format");
	if (v && !(json_is_string(v) && !strcmp(json_string_value(v), "netcdf4")))
		return fail(p, "format", "expected \"netcdf4\"");
	out->netcdf_named = v != NULL;
	if ((ret = lsio_dataset_parse(p->ctx, where(p, NULL), obj, out)))
		return ret;
	if ((ret = map_vars(p)) || (ret = output_prefill(p, obj)))
		return ret;
	return check_path(p);
}

static int bad_placeholder(struct parser *p, const char *field, size_t len)
{
	char name[16];
	const char *hint = NULL;

	if (len < sizeof(name)) {
		memcpy(name, field, len);
		name[len] = '\0';
		hint = lsio_did_you_mean(name, name_fields);
	}
	if (hint)
		return fail(p, "name",
			    "unknown placeholder '{%.*s}' (did you mean '{%s}'?)",
			    (int)MIN(len, 64), field, hint);
	return fail(p, "name",
		    "unknown placeholder '{%.*s}'; expected {index}, {source}, {offset} or {length}",
		    (int)MIN(len, 64), field);
}

/* A name template: only the known {placeholders}, no '/'. */
static int check_template(struct parser *p, const char *t)
{
	const char *s, *close;
	size_t len, k;

	if (!*t)
		return fail(p, "name", "an empty file name template");
	for (s = t; *s; s++) {
		if (*s == '/')
			return fail(p, "name",
				    "a file name cannot contain '/': '%s'", t);
		if (*s != '{')
			continue;
		close = strchr(s, '}');
		if (!close)
			return fail(p, "name", "'{' without '}' in '%s'", t);
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

static int parse_files_output(struct parser *p, json_t *obj)
{
	struct lsio_output *out = &p->job->out;
	const char *s;
	json_t *v;
	int ret;

	v = json_object_get(obj, "dir");
	if (v) {
		s = get_string(p, "dir", v, "a directory name");
		if (!s)
			return -LSIO_EJOB;
		if (dup_string(p, s, &out->dir))
			return -ENOMEM;
	}
	v = json_object_get(obj, "name");
	if (!v)
		return 0;
	if (!json_is_string(v))
		return fail(p, "name",
			    "expected a file name template such as \"{index}.bin\"");
	s = json_string_value(v);
	ret = check_template(p, s);
	if (ret)
		return ret;
	return dup_string(p, s, &out->name);
}

/* Array output bounds each chunk by its placement; the others by this. */
static int output_max_chunk(struct parser *p, json_t *v)
{
	uint64_t n;

	if (!v)
		return 0;
	if (get_size(p, "max_chunk", v, &n))
		return -LSIO_EJOB;
	if (!n)
		return fail(p, "max_chunk", "must be at least 1 byte");
	p->job->out.max_chunk = n;
	return 0;
}

static int parse_output(struct parser *p, json_t *obj)
{
	const char *s, *hint;
	json_t *type;
	size_t t;

	if (!obj)
		return fail(p, NULL,
			    "missing \"output\" (e.g. {\"type\": \"array\", ...})");
	at(p, "output", NO_INDEX);
	if (!json_is_object(obj))
		return fail(p, NULL, "expected an object");
	type = json_object_get(obj, "type");
	if (!type && check_keys(p, NULL, obj, all_out_keys))
		return -LSIO_EJOB;	/* "tpye" says more than "missing" */
	if (!json_is_string(type))
		return fail(p, "type",
			    "expected one of \"array\", \"dataset\", \"files\", \"stdout\", \"null\"");
	s = json_string_value(type);
	for (t = 0; out_types[t] && strcmp(out_types[t], s); t++)
		;
	if (!out_types[t]) {
		hint = lsio_did_you_mean(s, out_types);
		if (hint)
			return fail(p, "type",
				    "unknown output type '%s' (did you mean '%s'?)", s, hint);
		return fail(p, "type",
			    "unknown output type '%s' (expected array, dataset, files, stdout or null)", s);
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

/* --- defaults ------------------------------------------------------------- */

static const char *const default_keys[] = { "source", "stages", "length",
					    "place", "missing", NULL };
static const char *const default_place_keys[] = { "var", "shape", "from",
						  "count", "step", "order",
						  NULL };
static const char *const place_keys[] = { "var", "shape", "to", "from",
					  "count", "step", "order", NULL };

/* The chunk being parsed lands in variable var (LSIO_NONE: the array
 * output's one array). */
static void dest_set(struct parser *p, uint32_t var)
{
	const struct lsio_output *out = &p->job->out;
	const struct lsio_var *v;

	if (var == LSIO_NONE) {
		p->dest = (struct dest){ out->ndim, lsio_place_rank(out),
					 out->dtype.size, out->shape, NULL };
		return;
	}
	v = &out->vars[var];
	p->dest = (struct dest){ v->ndim, lsio_var_rank(v), v->dtype.size,
				 v->shape, v->name };
}

/* place.var: the index of the variable it names. */
static int place_var(struct parser *p, const char *sub, json_t *v,
		     uint32_t *var)
{
	const char *s = get_string(p, sub, v, "a variable's name");
	const char *hint;

	if (!s)
		return -LSIO_EJOB;
	if (p->job->out.type != LSIO_OUT_DATASET)
		return fail(p, sub, "only dataset output has variables");
	if (strmap_lookup(&p->vars, s, str_hash(s), var))
		return 0;
	hint = lsio_did_you_mean(s, p->var_names);
	if (hint)
		return fail(p, sub, "no variable '%s' (did you mean '%s'?)", s,
			    hint);
	return fail(p, sub, "no variable '%s' in output.variables", s);
}

/* One of shape/to/from/count into vals: the chunk's own, else def's
 * (when not NULL); DIMS_ABSENT when neither, negative on error. */
enum { DIMS_OWN, DIMS_DEFAULT, DIMS_ABSENT };

static int place_dims(struct parser *p, json_t *pl, const char *key,
		      const uint64_t *def, uint64_t *vals)
{
	char sub[32];
	json_t *v = json_object_get(pl, key);
	uint32_t ndim = p->dest.rank;

	if (v && !p->dest.ndim && json_is_array(v) && !json_array_size(v)) {
		/* A 0-d output's placement may be written with rank 0: the
		 * whole one-element chunk. */
		vals[0] = strcmp(key, "to") && strcmp(key, "from");
		return DIMS_OWN;
	}
	if (v) {
		snprintf(sub, sizeof(sub), "place.%s", key);
		return parse_dims(p, sub, v, ndim, vals);	/* DIMS_OWN */
	}
	if (!def)
		return DIMS_ABSENT;
	memcpy(vals, def, ndim * sizeof(*vals));
	return DIMS_DEFAULT;
}

/* The last element taken, from + (count - 1) * step, must lie inside
 * shape, in every dimension. */
static int check_box(struct parser *p, const char *sub, uint32_t ndim,
		     const uint64_t *shape, const uint64_t *from,
		     const uint64_t *count, const uint64_t *step)
{
	uint64_t span;

	for (uint32_t d = 0; d < ndim; d++) {
		if (!step[d])
			return fail(p, "place.step",
				    "dimension %" PRIu32 ": a step must be at least 1", d);
		if (!count[d] || (lsio_mul_ok(count[d] - 1, step[d], &span) &&
				  from[d] + span < shape[d]))	/* each < 2^63 */
			continue;
		if (step[d] == 1)
			return fail(p, sub,
				    "dimension %" PRIu32 ": from %" PRIu64 " + count %" PRIu64 " > shape %" PRIu64,
				    d, from[d], count[d], shape[d]);
		return fail(p, sub,
			    "dimension %" PRIu32 ": from %" PRIu64 " + (count %" PRIu64 " - 1) x step %" PRIu64 " is outside shape %" PRIu64,
			    d, from[d], count[d], step[d], shape[d]);
	}
	return 0;
}

/* Elements from `from` to the end of the chunk, every step-th. */
static uint64_t count_to_end(uint64_t shape, uint64_t from, uint64_t step)
{
	return from < shape ? (shape - from + step - 1) / step : 0;
}

/* A dataset's default dims have the rank of defaults.place.var. */
static int default_var(struct parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	json_t *v = json_object_get(obj, "var");
	static const char *const dims[] = { "shape", "from", "count", "step",
					    NULL };

	if (v && place_var(p, "place.var", v, &def->var))
		return -LSIO_EJOB;
	if (p->job->out.type != LSIO_OUT_DATASET || v)
		return 0;
	for (size_t k = 0; dims[k]; k++)
		if (json_object_get(obj, dims[k]))
			return fail(p, "place",
				    "\"%s\" without \"var\": a placement has the rank of its variable",
				    dims[k]);
	return 0;
}

static int default_place(struct parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	uint32_t ndim;
	json_t *v;
	int ret = 0;

	if (!lsio_output_places(&p->job->out))
		return fail(p, "place",
			    "only array output places chunks (and dataset output, in its variables)");
	if (!json_is_object(obj))
		return fail(p, "place", "expected an object");
	if (json_object_get(obj, "to"))
		return fail(p, "place.to",
			    "differs per chunk: give it in each chunk's place");
	if (check_keys(p, "place", obj, default_place_keys))
		return -LSIO_EJOB;
	if (default_var(p, obj))
		return -LSIO_EJOB;
	dest_set(p, def->var);
	ndim = def->rank = p->dest.rank;
	ret = place_dims(p, obj, "shape", NULL, def->shape);
	def->has_shape = ret == 0;
	if (ret >= 0)
		ret = place_dims(p, obj, "from", NULL, def->from);
	def->has_from = ret == 0;
	if (ret >= 0)
		ret = place_dims(p, obj, "count", NULL, def->count);
	def->has_count = ret == 0;
	if (ret >= 0)
		ret = place_dims(p, obj, "step", NULL, def->step);
	def->has_step = ret == 0;
	for (uint32_t d = 0; d < ndim && !def->has_step; d++)
		def->step[d] = 1;
	v = json_object_get(obj, "order");
	if (ret >= 0 && v)
		ret = parse_order(p, "place.order", v, "CF", &def->order);
	if (ret < 0 || !def->has_shape || !def->has_count)
		return ret < 0 ? ret : 0;
	return check_box(p, "place.count", ndim, def->shape, def->from,
			 def->count, def->step);	/* from: zeros if absent */
}

/* "missing": "error" | "fill" | "fill-403"; fill needs an array output,
 * the only one with a fill value to put there. */
static int parse_missing(struct parser *p, json_t *v, uint8_t *missing)
{
	static const char *const names[] = { "error", "fill", "fill-403" };
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	for (uint8_t k = 0; k < ARRAY_SIZE(names); k++) {
		if (strcmp(s, names[k]))
			continue;
		if (k != LSIO_MISSING_ERROR &&
		    !lsio_output_places(&p->job->out))
			return fail(p, "missing",
				    "\"%s\" needs an array output (or a dataset output), whose fill value an absent chunk leaves in place",
				    s);
		*missing = k;
		return 0;
	}
	return fail(p, "missing", "expected \"error\", \"fill\" or \"fill-403\"");
}

static int parse_defaults(struct parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	json_t *v;
	int ret;

	if (!obj)
		return 0;
	at(p, "defaults", NO_INDEX);
	if (!json_is_object(obj))
		return fail(p, NULL, "expected an object");
	if (check_keys(p, NULL, obj, default_keys))
		return -LSIO_EJOB;
	v = json_object_get(obj, "source");
	if (v && !(def->source = get_string(p, "source", v, "a path or URL")))
		return -LSIO_EJOB;
	v = json_object_get(obj, "length");
	if (v && (ret = get_size(p, "length", v, &def->length)))
		return ret;
	v = json_object_get(obj, "missing");
	if (v && (ret = parse_missing(p, v, &def->missing)))
		return ret;
	v = json_object_get(obj, "stages");
	if (v && (ret = chain_index(p, v, &def->chain)))
		return ret;
	v = json_object_get(obj, "place");
	return v ? default_place(p, v) : 0;
}

/* --- chunks --------------------------------------------------------------- */

static const char *const chunk_keys[] = { "source", "offset", "length",
					  "stages", "place", "name", "missing",
					  NULL };

static int chunk_source(struct parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v = json_object_get(obj, "source");
	const char *s;

	if (v) {
		s = get_string(p, "source", v, "a path or URL");
		return s ? source_index(p, s, &c->source) : -LSIO_EJOB;
	}
	if (!p->def.source)
		return fail(p, NULL,
			    "missing \"source\" (and no defaults.source)");
	if (p->def.source_idx == LSIO_NONE) {
		int ret = source_index(p, p->def.source, &p->def.source_idx);

		if (ret)
			return ret;
	}
	c->source = p->def.source_idx;
	return 0;
}

static int chunk_range(struct parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v;
	int ret;

	c->offset = 0;
	c->length = p->def.length;
	v = json_object_get(obj, "offset");
	if (v && (ret = get_size(p, "offset", v, &c->offset)))
		return ret;
	v = json_object_get(obj, "length");
	if (v && (ret = get_size(p, "length", v, &c->length)))
		return ret;
	/* Both are below 2^63, so the sum cannot wrap; it must still be a
	 * file offset. */
	if (c->length != LSIO_LEN_EOF && c->offset + c->length > INT64_MAX)
		return fail(p, NULL,
			    "offset %" PRIu64 " + length %" PRIu64 " is past the largest file offset",
			    c->offset, c->length);
	return 0;
}

static int chunk_stages(struct parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v = json_object_get(obj, "stages");

	if (v)
		return chain_index(p, v, &c->chain);
	if (p->def.chain != LSIO_NONE) {
		c->chain = p->def.chain;
		return 0;
	}
	return empty_chain(p, &c->chain);
}

/* "outside the array" or "outside variable 't2m'". */
static int outside(struct parser *p, uint32_t k, uint64_t to, uint64_t count)
{
	const struct dest *dst = &p->dest;

	if (dst->var)
		return fail(p, "place.to",
			    "placement outside variable '%s': dimension %" PRIu32 ": %" PRIu64 " + %" PRIu64 " > %" PRIu64,
			    dst->var, k, to, count, dst->shape[k]);
	return fail(p, "place.to",
		    "placement outside the array: dimension %" PRIu32 ": %" PRIu64 " + %" PRIu64 " > %" PRIu64,
		    k, to, count, dst->shape[k]);
}

static int place_bounds(struct parser *p, const struct lsio_chunk *c,
			const uint64_t *d, bool has_count)
{
	const struct dest *dst = &p->dest;
	uint32_t n = dst->rank;
	const uint64_t *shape = d, *to = d + n, *from = d + 2 * n;
	const uint64_t *count = d + 3 * n, *step = d + 4 * n;
	uint64_t bytes = dst->itemsize;

	for (uint32_t k = 0; k < n && !has_count; k++)
		if (from[k] > shape[k])
			return fail(p, "place.from",
				    "dimension %" PRIu32 ": %" PRIu64 " > shape %" PRIu64,
				    k, from[k], shape[k]);
	if (check_box(p, "place.count", n, shape, from, count, step))
		return -LSIO_EJOB;
	for (uint32_t k = 0; k < n; k++)
		if (to[k] + count[k] > dst->shape[k])
			return outside(p, k, to[k], count[k]);
	for (uint32_t k = 0; k < n; k++)
		if (!lsio_mul_ok(bytes, shape[k], &bytes) || bytes > INT64_MAX)
			return fail(p, "place.shape",
				    "the decoded chunk is too large (more than 2^63 bytes)");
	if (c->length != LSIO_LEN_EOF && c->length != bytes &&
	    chain_keeps_size(&p->job->chains[c->chain]))
		return fail(p, "length",
			    "%" PRIu64 " bytes, but the decoded chunk is %" PRIu64 " (place.shape x %" PRIu32 "-byte items) and no stage changes the size",
			    c->length, bytes, dst->itemsize);
	return 0;
}

/* Fill the chunk's shape, to, from, count and step (d[0..5n)) from its
 * place object and the defaults. */
static int place_values(struct parser *p, json_t *pl, uint64_t *d,
			bool *has_count)
{
	const struct defaults *def = &p->def;
	uint32_t n = p->dest.rank;
	uint64_t *shape = d, *to = d + n, *from = d + 2 * n, *count = d + 3 * n;
	uint64_t *step = d + 4 * n;
	bool fits = def->rank == n;	/* the defaults' dims are for this rank */
	int ret;

	ret = place_dims(p, pl, "shape",
			 def->has_shape && fits ? def->shape : NULL, shape);
	if (ret == DIMS_ABSENT && def->has_shape)
		return fail(p, "place",
			    "missing \"shape\" (defaults.place.shape has %" PRIu32 " dimensions, variable '%s' %" PRIu32 ")",
			    def->rank, p->dest.var ? p->dest.var : "", n);
	if (ret == DIMS_ABSENT)
		return fail(p, "place",
			    "missing \"shape\" (and no defaults.place.shape)");
	if (ret >= 0)
		ret = place_dims(p, pl, "to", NULL, to);
	if (ret == DIMS_ABSENT)
		return fail(p, "place",
			    "missing \"to\": where the chunk lands in the array");
	if (ret >= 0)	/* from stays zeros (calloc) when absent */
		ret = place_dims(p, pl, "from",
				 def->has_from && fits ? def->from : NULL, from);
	if (ret >= 0)
		ret = place_dims(p, pl, "count",
				 def->has_count && fits ? def->count : NULL,
				 count);
	*has_count = ret != DIMS_ABSENT;
	if (ret >= 0)
		ret = place_dims(p, pl, "step",
				 def->has_step && fits ? def->step : NULL, step);
	if (ret < 0)
		return ret;
	for (uint32_t k = 0; k < n && ret == DIMS_ABSENT; k++)
		step[k] = 1;
	for (uint32_t k = 0; k < n && !*has_count; k++)
		count[k] = step[k] ? count_to_end(shape[k], from[k], step[k]) : 0;
	return 0;
}

/* The variable a dataset's chunk lands in: place.var, else the
 * defaults'; one with inline values takes no chunks. */
static int chunk_var(struct parser *p, json_t *pl, struct lsio_chunk *c)
{
	json_t *v = json_object_get(pl, "var");
	uint32_t var = p->def.var;

	if (v && place_var(p, "place.var", v, &var))
		return -LSIO_EJOB;
	if (p->job->out.type != LSIO_OUT_DATASET) {
		dest_set(p, LSIO_NONE);
		return 0;
	}
	if (var == LSIO_NONE)
		return fail(p, "place",
			    "missing \"var\" (and no defaults.place.var): the variable the chunk is placed in");
	if (p->job->out.vars[var].values)
		return fail(p, v ? "place.var" : "place",
			    "variable '%s' has inline \"values\": no chunk is placed in it",
			    p->job->out.vars[var].name);
	c->var = (uint16_t)var;	/* < LSIO_MAX_VARS */
	dest_set(p, var);
	return 0;
}

static int chunk_place(struct parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *pl = json_object_get(obj, "place"), *order;
	bool has_count;
	int ret;

	c->place = UINT64_MAX;
	c->order = 'C';
	if (!lsio_output_places(&p->job->out))
		return pl ? fail(p, "place",
				 "only array output places chunks (and dataset output, in its variables)") : 0;
	if (!pl)
		return fail(p, NULL,
			    "missing \"place\" (%s output places every chunk)",
			    out_types[p->job->out.type]);
	if (!json_is_object(pl))
		return fail(p, "place", "expected an object");
	if (check_keys(p, "place", pl, place_keys))
		return -LSIO_EJOB;
	if (chunk_var(p, pl, c))
		return -LSIO_EJOB;
	c->place = p->index * p->stride;	/* < job->ndims */
	ret = place_values(p, pl, p->job->dims + c->place, &has_count);
	if (ret)
		return ret;
	c->order = p->def.order ? p->def.order : 'C';
	order = json_object_get(pl, "order");
	if (order && parse_order(p, "place.order", order, "CF", &c->order))
		return -LSIO_EJOB;
	return place_bounds(p, c, p->job->dims + c->place, has_count);
}

static int chunk_name(struct parser *p, json_t *obj, struct lsio_chunk *c)
{
	struct lsio_job *job = p->job;
	json_t *v = json_object_get(obj, "name");
	const char *s;
	size_t len;

	c->name = LSIO_NONE;
	if (!v)
		return 0;
	if (job->out.type != LSIO_OUT_FILES)
		return fail(p, "name", "only files output names chunks");
	if (!(s = get_string(p, "name", v, "a file name")))
		return -LSIO_EJOB;
	len = strlen(s) + 1;
	if (job->strings_len + len >= LSIO_NONE)
		return fail(p, "name",
			    "the chunk names add up to more than 4 GiB");
	if (grow(&job->strings, 1, &p->strings_cap, job->strings_len + len))
		return oom(p);
	memcpy(job->strings + job->strings_len, s, len);
	c->name = (uint32_t)job->strings_len;
	job->strings_len += len;
	return 0;
}

static int parse_chunk(struct parser *p, uint64_t i, json_t *obj)
{
	struct lsio_chunk *c = &p->job->chunks[i];
	json_t *v;
	int ret;

	at(p, "chunks", i);
	if (!json_is_object(obj))
		return fail(p, NULL, "expected an object");
	if (check_keys(p, NULL, obj, chunk_keys))
		return -LSIO_EJOB;
	ret = chunk_source(p, obj, c);
	if (!ret)
		ret = chunk_range(p, obj, c);
	c->missing = p->def.missing;
	if (!ret && (v = json_object_get(obj, "missing")))
		ret = parse_missing(p, v, &c->missing);
	if (!ret)
		ret = chunk_stages(p, obj, c);
	if (!ret)
		ret = chunk_place(p, obj, c);
	if (!ret)
		ret = chunk_name(p, obj, c);
	return ret;
}

static int alloc_chunks(struct parser *p, size_t n)
{
	struct lsio_job *job = p->job;
	uint64_t ndims = 0;

	if (n >= LSIO_NONE)
		return fail(p, NULL, "more than %u chunks", LSIO_NONE - 1);
	job->chunks = calloc(n ? n : 1, sizeof(*job->chunks));
	if (!job->chunks)
		return oom(p);
	if (lsio_output_places(&job->out)) {
		p->stride = (uint64_t)LSIO_PLACE_FIELDS * lsio_job_max_rank(job);
		if (!lsio_mul_ok(n, p->stride, &ndims) ||
		    ndims > SIZE_MAX / sizeof(uint64_t))
			return oom(p);
		job->dims = calloc(ndims ? ndims : 1, sizeof(uint64_t));
		if (!job->dims)
			return oom(p);
		job->ndims = ndims;
	}
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

static int check_name(struct parser *p, const char *sub, const char *name)
{
	if (!*name)
		return fail(p, sub, "the file name is empty");
	if (strchr(name, '/'))
		return fail(p, sub, "file name '%s' contains '/'", name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return fail(p, sub, "'%s' is not a file name", name);
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

static int name_one(struct parser *p, struct name_arena *a,
		    struct strmap *set, uint64_t i)
{
	const struct lsio_chunk *c = &p->job->chunks[i];
	const char *sub = c->name != LSIO_NONE ? "name" : NULL;
	char name[LSIO_NAME_MAX + 1];
	uint32_t other, hash;
	int len, ret;

	at(p, "chunks", i);
	if (c->name == LSIO_NONE && p->name_uses_length &&
	    c->length == LSIO_LEN_EOF)
		return fail(p, NULL,
			    "the file name template uses {length}, but the chunk has no length");
	len = lsio_chunk_name(p->job, i, name, sizeof(name));
	if (len < 0)
		return fail(p, sub,
			    "file name longer than %d bytes", LSIO_NAME_MAX);
	if ((ret = check_name(p, sub, name)))
		return ret;
	hash = str_hash(name);
	if (strmap_lookup(set, name, hash, &other))
		return fail(p, sub,
			    "duplicate file name '%s' (also chunks[%" PRIu32 "])",
			    name, other);
	if (grow(&a->buf, 1, &a->cap, a->len + (size_t)len + 1))
		return oom(p);
	memcpy(a->buf + a->len, name, (size_t)len + 1);
	a->offs[i] = a->len;
	a->len += (size_t)len + 1;
	return strmap_insert(set, hash, (uint32_t)i) ? oom(p) : 0;
}

static int check_names(struct parser *p)
{
	struct name_arena a = { 0 };
	struct strmap set = { .key = arena_key, .arg = &a };
	int ret = 0;

	a.offs = calloc(p->job->nchunks ? p->job->nchunks : 1, sizeof(*a.offs));
	if (!a.offs)
		return oom(p);
	for (uint64_t i = 0; i < p->job->nchunks && !ret; i++)
		ret = name_one(p, &a, &set, i);
	strmap_release(&set);
	free(a.buf);
	free(a.offs);
	return ret;
}

static int parse_chunks(struct parser *p, json_t *list)
{
	size_t i;
	json_t *v;
	int ret;

	if (!list)
		return fail(p, NULL,
			    "missing \"chunks\" (a list, which may be empty)");
	at(p, "chunks", NO_INDEX);
	if (!json_is_array(list))
		return fail(p, NULL, "expected a list of chunks");
	ret = alloc_chunks(p, json_array_size(list));
	json_array_foreach(list, i, v) {
		if (ret)
			return ret;
		ret = parse_chunk(p, i, v);
		p->job->nchunks = i + 1;
	}
	if (!ret && p->job->out.type == LSIO_OUT_FILES)
		ret = check_names(p);
	return ret;
}

/* --- the job -------------------------------------------------------------- */

static const char *const top_keys[] = { "lsio", "output", "defaults",
					"storage", "chunks", NULL };

static int check_version(struct parser *p, json_t *v)
{
	if (!v)
		return fail(p, NULL,
			    "missing \"lsio\": %d (the job format version)",
			    LSIO_JOB_FORMAT);
	if (!json_is_integer(v))
		return fail(p, "lsio", "expected the job format version, %d",
			    LSIO_JOB_FORMAT);
	if (json_integer_value(v) != LSIO_JOB_FORMAT)
		return fail(p, NULL,
			    "unsupported job format version %" JSON_INTEGER_FORMAT " (this lsio reads %d)",
			    json_integer_value(v), LSIO_JOB_FORMAT);
	return 0;
}

static int parse_top(struct parser *p, json_t *root)
{
	json_t *storage;
	int ret;

	if (!json_is_object(root))
		return fail(p, NULL, "expected a JSON object at the top level");
	/* The version first: a newer format's keys are not typos. */
	if ((ret = check_version(p, json_object_get(root, "lsio"))))
		return ret;
	if (check_keys(p, NULL, root, top_keys))
		return -LSIO_EJOB;
	if ((ret = parse_output(p, json_object_get(root, "output"))))
		return ret;
	storage = json_object_get(root, "storage");
	if (storage && (ret = lsio_settings_parse(p->ctx, p->job->name, storage,
						  &p->job->storage)))
		return ret;
	if ((ret = parse_defaults(p, json_object_get(root, "defaults"))))
		return ret;
	at(p, NULL, NO_INDEX);
	return parse_chunks(p, json_object_get(root, "chunks"));
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

static int job_from_json(struct lsio_ctx *ctx, json_t *root, const char *name,
			 struct lsio_job **out)
{
	struct parser p = { .ctx = ctx, .index = NO_INDEX,
			    .empty_chain = LSIO_NONE };
	int ret;

	p.job = job_alloc(name);
	if (!p.job)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", name);
	p.def.source_idx = LSIO_NONE;
	p.def.length = LSIO_LEN_EOF;
	p.def.chain = LSIO_NONE;
	p.def.var = LSIO_NONE;
	p.sources.key = source_key;
	p.sources.arg = p.job;
	p.chains.key = chain_key;
	p.chains.arg = p.job;
	ret = parse_top(&p, root);
	strmap_release(&p.sources);
	strmap_release(&p.chains);
	strmap_release(&p.vars);
	free(p.var_names);
	if (ret) {
		lsio_job_free(p.job);
		return ret;
	}
	*out = p.job;
	return 0;
}

static int load_buffer(struct lsio_ctx *ctx, const char *text, size_t len,
		       const char *name, struct lsio_job **job)
{
	json_error_t err;
	json_t *root;
	int ret;

	/* jansson refuses "\u0000" in strings by default, so every string
	 * below is a plain C string. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root && err.line > 0)
		return lsio_fail(ctx, -LSIO_EJOB, "%s:%d:%d: %s", name,
				 err.line, err.column, err.text);
	if (!root)
		return lsio_fail(ctx, -LSIO_EJOB, "%s: %s", name, err.text);
	ret = job_from_json(ctx, root, name, job);
	json_decref(root);
	return ret;
}

int lsio_job_load_string(struct lsio_ctx *ctx, const char *text,
			 const char *name, struct lsio_job **job)
{
	*job = NULL;
	if (!name)
		name = "<string>";
	if (!text)
		return lsio_fail(ctx, -LSIO_EJOB, "%s: no job text", name);
	return load_buffer(ctx, text, strlen(text), name, job);
}

/* Read all of f (a pipe too) into a malloc'd buffer. */
static int read_all(FILE *f, char **text, size_t *len)
{
	size_t cap = 0, n;

	*text = NULL;
	*len = 0;
	do {
		if (grow(text, 1, &cap, *len + 65536))
			return -ENOMEM;
		n = fread(*text + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

int lsio_job_load_file(struct lsio_ctx *ctx, const char *path,
		       struct lsio_job **job)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	char *text;
	size_t len;
	FILE *f;
	int ret;

	*job = NULL;
	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		ret = errno;
		return lsio_fail(ctx, -ret, "cannot open '%s': %s", path,
				 strerror(ret));
	}
	errno = 0;
	ret = read_all(f, &text, &len);
	if (!is_stdin)
		fclose(f);
	if (ret)
		ret = lsio_fail(ctx, ret, "cannot read '%s': %s", name,
				strerror(-ret));
	else
		ret = load_buffer(ctx, text, len, name, job);
	free(text);
	return ret;
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
	free(job->dims);
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
	const uint64_t *d;

	if (c->place == UINT64_MAX)
		return false;
	d = job->dims + c->place;
	view->ndim = n;
	view->order = c->order;
	view->shape = d;
	view->to = d + n;
	view->from = d + 2 * n;
	view->count = d + 3 * n;
	view->step = d + 4 * n;
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
