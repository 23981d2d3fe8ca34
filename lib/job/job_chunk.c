/* SPDX-License-Identifier: MIT */
/*
 * job_chunk.c - a job's "defaults" and its chunks: sources and stage chains
 * deduplicated, placements checked against the array they land in.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "job/job_parse.h"
#include "stage/stage.h"

/* --- sizes ---------------------------------------------------------------- */

/* A list of exactly want sizes, as in "place.shape": [32, 32]. */
static int parse_dims(struct job_parser *p, const char *sub, json_t *v,
		      uint32_t want, uint64_t *vals)
{
	char esub[64];
	size_t i;
	json_t *e;
	int ret;

	if (!json_is_array(v))
		return job_fail(p, sub, "expected a list of %" PRIu32 " sizes",
				want);
	if (json_array_size(v) != want && p->dest.var)
		return job_fail(p, sub,
				"%zu dimensions, but variable '%s' has %" PRIu32,
				json_array_size(v), p->dest.var, want);
	if (json_array_size(v) != want)
		return job_fail(p, sub,
				"%zu dimensions, but the output has %" PRIu32,
				json_array_size(v), want);
	json_array_foreach(v, i, e) {
		if (json_is_integer(e) && json_integer_value(e) >= 0) {
			vals[i] = (uint64_t)json_integer_value(e);
			continue;
		}
		snprintf(esub, sizeof(esub), "%s[%zu]", sub, i);
		ret = job_size(p, esub, e, &vals[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *source_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_job *)arg)->sources[idx].path;
}

static const char *chain_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_job *)arg)->chains[idx].text;
}

static int source_index(struct job_parser *p, const char *path, uint32_t *idx)
{
	struct lsio_job *job = p->job;
	uint32_t hash = job_hash_str(path);
	struct lsio_source *s;

	if (job_map_lookup(&p->sources, path, hash, idx))
		return 0;
	if (job->nsources >= LSIO_NONE - 1)
		return job_fail(p, "source", "more than %u sources",
				LSIO_NONE - 1);
	if (job_grow(&job->sources, sizeof(*job->sources), &p->sources_cap,
		     job->nsources + 1))
		return job_oom(p);
	s = &job->sources[job->nsources];
	memset(s, 0, sizeof(*s));
	if (job_strdup(p, path, &s->path))
		return -ENOMEM;
	if (job_map_insert(&p->sources, hash, job->nsources))
		return job_oom(p); /* s->path is freed with the job */
	*idx = job->nsources++;
	return 0;
}

/* The index of the chain list parses to, parsing it only when its text
 * is new: a million chunks usually share a handful of chains. */
static int chain_index(struct job_parser *p, json_t *list, uint32_t *idx)
{
	struct lsio_job *job = p->job;
	struct lsio_chain *c;
	char *text;
	int ret;

	if (json_is_array(list)) {
		text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			return job_oom(p);
		ret = job_map_lookup(&p->chains, text, job_hash_str(text), idx);
		free(text);
		if (ret)
			return 0;
	}
	if (job->nchains >= LSIO_NONE - 1)
		return job_fail(p, "stages", "more than %u stage chains",
				LSIO_NONE - 1);
	if (job_grow(&job->chains, sizeof(*job->chains), &p->chains_cap,
		     job->nchains + 1))
		return job_oom(p);
	c = &job->chains[job->nchains];
	/* Reports a non-list too. */
	ret = lsio_chain_parse(p->ctx, job_where(p, "stages"), list, c);
	if (ret)
		return ret;
	job->nchains++;
	if (job_map_insert(&p->chains, job_hash_str(c->text), job->nchains - 1))
		return job_oom(p);
	*idx = job->nchains - 1;
	return 0;
}

/* The chain "[]", for chunks that name no stages. */
static int empty_chain(struct job_parser *p, uint32_t *idx)
{
	json_t *list;
	int ret;

	if (p->empty_chain == LSIO_NONE) {
		list = json_array();
		if (!list)
			return job_oom(p);
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
static void dest_set(struct job_parser *p, uint32_t var)
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
static int place_var(struct job_parser *p, const char *sub, json_t *v,
		     uint32_t *var)
{
	const char *s = job_string(p, sub, v, "a variable's name");
	const char *hint;

	if (!s)
		return -LSIO_EJOB;
	if (p->job->out.type != LSIO_OUT_DATASET)
		return job_fail(p, sub, "only dataset output has variables");
	if (job_map_lookup(&p->vars, s, job_hash_str(s), var))
		return 0;
	hint = lsio_did_you_mean(s, p->var_names);
	if (hint)
		return job_fail(p, sub, "no variable '%s' (did you mean '%s'?)",
				s, hint);
	return job_fail(p, sub, "no variable '%s' in output.variables", s);
}

/* One of shape/to/from/count into vals: the chunk's own, else def's
 * (when not NULL); DIMS_ABSENT when neither, negative on error. */
enum { DIMS_OWN, DIMS_DEFAULT, DIMS_ABSENT };

static int place_dims(struct job_parser *p, json_t *pl, const char *key,
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
static int check_box(struct job_parser *p, const char *sub, uint32_t ndim,
		     const uint64_t *shape, const uint64_t *from,
		     const uint64_t *count, const uint64_t *step)
{
	uint64_t span;

	for (uint32_t d = 0; d < ndim; d++) {
		if (!step[d])
			return job_fail(p, "place.step",
					"dimension %" PRIu32
					": a step must be at least 1",
					d);
		if (!count[d] || (lsio_mul_ok(count[d] - 1, step[d], &span) &&
				  from[d] + span < shape[d]))	/* each < 2^63 */
			continue;
		if (step[d] == 1)
			return job_fail(p, sub,
					"dimension %" PRIu32 ": from %" PRIu64
					" + count %" PRIu64 " > shape %" PRIu64,
					d, from[d], count[d], shape[d]);
		return job_fail(p, sub,
				"dimension %" PRIu32 ": from %" PRIu64
				" + (count %" PRIu64 " - 1) x step %" PRIu64
				" is outside shape %" PRIu64,
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
static int default_var(struct job_parser *p, json_t *obj)
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
			return job_fail(
				p, "place",
				"\"%s\" without \"var\": a placement has the rank of its variable",
				dims[k]);
	return 0;
}

static int default_place(struct job_parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	uint32_t ndim;
	json_t *v;
	int ret = 0;

	if (!lsio_output_places(&p->job->out))
		return job_fail(
			p, "place",
			"only array output places chunks (and dataset output, in its variables)");
	if (!json_is_object(obj))
		return job_fail(p, "place", "expected an object");
	if (json_object_get(obj, "to"))
		return job_fail(
			p, "place.to",
			"differs per chunk: give it in each chunk's place");
	if (job_check_keys(p, "place", obj, default_place_keys))
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
		ret = job_order(p, "place.order", v, "CF", &def->order);
	if (ret < 0 || !def->has_shape || !def->has_count)
		return ret < 0 ? ret : 0;
	return check_box(p, "place.count", ndim, def->shape, def->from,
			 def->count, def->step);	/* from: zeros if absent */
}

/* "missing": "error" | "fill" | "fill-403"; fill needs an array output,
 * the only one with a fill value to put there. */
static int parse_missing(struct job_parser *p, json_t *v, uint8_t *missing)
{
	static const char *const names[] = { "error", "fill", "fill-403" };
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	for (uint8_t k = 0; k < ARRAY_SIZE(names); k++) {
		if (strcmp(s, names[k]))
			continue;
		if (k != LSIO_MISSING_ERROR &&
		    !lsio_output_places(&p->job->out))
			return job_fail(
				p, "missing",
				"\"%s\" needs an array output (or a dataset output), whose fill value an absent chunk leaves in place",
				s);
		*missing = k;
		return 0;
	}
	return job_fail(p, "missing",
			"expected \"error\", \"fill\" or \"fill-403\"");
}

int job_parse_defaults(struct job_parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	json_t *v;
	int ret;

	if (!obj)
		return 0;
	job_at(p, "defaults", NO_INDEX);
	if (!json_is_object(obj))
		return job_fail(p, NULL, "expected an object");
	if (job_check_keys(p, NULL, obj, default_keys))
		return -LSIO_EJOB;
	v = json_object_get(obj, "source");
	if (v && !(def->source = job_string(p, "source", v, "a path or URL")))
		return -LSIO_EJOB;
	v = json_object_get(obj, "length");
	if (v && (ret = job_size(p, "length", v, &def->length)))
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

static int chunk_source(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v = json_object_get(obj, "source");
	const char *s;

	if (v) {
		s = job_string(p, "source", v, "a path or URL");
		return s ? source_index(p, s, &c->source) : -LSIO_EJOB;
	}
	if (!p->def.source)
		return job_fail(p, NULL,
				"missing \"source\" (and no defaults.source)");
	if (p->def.source_idx == LSIO_NONE) {
		int ret = source_index(p, p->def.source, &p->def.source_idx);

		if (ret)
			return ret;
	}
	c->source = p->def.source_idx;
	return 0;
}

static int chunk_range(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v;
	int ret;

	c->offset = 0;
	c->length = p->def.length;
	v = json_object_get(obj, "offset");
	if (v && (ret = job_size(p, "offset", v, &c->offset)))
		return ret;
	v = json_object_get(obj, "length");
	if (v && (ret = job_size(p, "length", v, &c->length)))
		return ret;
	/* Both are below 2^63, so the sum cannot wrap; it must still be a
	 * file offset. */
	if (c->length != LSIO_LEN_EOF && c->offset + c->length > INT64_MAX)
		return job_fail(p, NULL,
				"offset %" PRIu64 " + length %" PRIu64
				" is past the largest file offset",
				c->offset, c->length);
	return 0;
}

static int chunk_stages(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
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
static int outside(struct job_parser *p, uint32_t k, uint64_t to, uint64_t count)
{
	const struct dest *dst = &p->dest;

	if (dst->var)
		return job_fail(p, "place.to",
				"placement outside variable '%s': dimension %" PRIu32
				": %" PRIu64 " + %" PRIu64 " > %" PRIu64,
				dst->var, k, to, count, dst->shape[k]);
	return job_fail(p, "place.to",
			"placement outside the array: dimension %" PRIu32
			": %" PRIu64 " + %" PRIu64 " > %" PRIu64,
			k, to, count, dst->shape[k]);
}

static int place_bounds(struct job_parser *p, const struct lsio_chunk *c,
			const uint64_t *d, bool has_count)
{
	const struct dest *dst = &p->dest;
	uint32_t n = dst->rank;
	const uint64_t *shape = d, *to = d + n, *from = d + 2 * n;
	const uint64_t *count = d + 3 * n, *step = d + 4 * n;
	uint64_t bytes = dst->itemsize;

	for (uint32_t k = 0; k < n && !has_count; k++)
		if (from[k] > shape[k])
			return job_fail(p, "place.from",
					"dimension %" PRIu32 ": %" PRIu64
					" > shape %" PRIu64,
					k, from[k], shape[k]);
	if (check_box(p, "place.count", n, shape, from, count, step))
		return -LSIO_EJOB;
	for (uint32_t k = 0; k < n; k++)
		if (to[k] + count[k] > dst->shape[k])
			return outside(p, k, to[k], count[k]);
	for (uint32_t k = 0; k < n; k++)
		if (!lsio_mul_ok(bytes, shape[k], &bytes) || bytes > INT64_MAX)
			return job_fail(
				p, "place.shape",
				"the decoded chunk is too large (more than 2^63 bytes)");
	if (c->length != LSIO_LEN_EOF && c->length != bytes &&
	    chain_keeps_size(&p->job->chains[c->chain]))
		return job_fail(p, "length",
				"%" PRIu64
				" bytes, but the decoded chunk is %" PRIu64
				" (place.shape x %" PRIu32
				"-byte items) and no stage changes the size",
				c->length, bytes, dst->itemsize);
	return 0;
}

/* Fill the chunk's shape, to, from, count and step (d[0..5n)) from its
 * place object and the defaults. */
static int place_values(struct job_parser *p, json_t *pl, uint64_t *d,
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
		return job_fail(p, "place",
				"missing \"shape\" (defaults.place.shape has %" PRIu32
				" dimensions, variable '%s' %" PRIu32 ")",
				def->rank, p->dest.var ? p->dest.var : "", n);
	if (ret == DIMS_ABSENT)
		return job_fail(p, "place",
				"missing \"shape\" (and no defaults.place.shape)");
	if (ret >= 0)
		ret = place_dims(p, pl, "to", NULL, to);
	if (ret == DIMS_ABSENT)
		return job_fail(
			p, "place",
			"missing \"to\": where the chunk lands in the array");
	if (ret >= 0)	/* from stays zeros when absent */
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
static int chunk_var(struct job_parser *p, json_t *pl, struct lsio_chunk *c)
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
		return job_fail(
			p, "place",
			"missing \"var\" (and no defaults.place.var): the variable the chunk is placed in");
	if (p->job->out.vars[var].values)
		return job_fail(
			p, v ? "place.var" : "place",
			"variable '%s' has inline \"values\": no chunk is placed in it",
			p->job->out.vars[var].name);
	c->var = (uint16_t)var;	/* < LSIO_MAX_VARS */
	dest_set(p, var);
	return 0;
}

/* --- placements: each chunk's "to", and the boxes chunks share ----------- */

static const char *box_key(const void *arg, uint32_t idx)
{
	const struct lsio_job *job = arg;

	return (const char *)(job->boxes + (uint64_t)idx * job->box_stride);
}

/* The index of box b (box_stride values, zero padded): the chunks of a
 * grid share a handful of boxes, those of its edges among them, and a
 * chunk is most often in the box of the chunk before it. */
static int box_index(struct job_parser *p, const uint64_t *b, uint32_t *idx)
{
	struct lsio_job *job = p->job;
	size_t len = job->box_stride * sizeof(*b);
	uint32_t hash;

	if (p->last_box != LSIO_NONE &&
	    !memcmp(b, box_key(job, p->last_box), len)) {
		*idx = p->last_box;
		return 0;
	}
	hash = job_hash(b, len);
	if (!job_map_find(&p->boxes, b, len, hash, idx)) {
		/* At most one box a chunk: fewer than LSIO_NONE. */
		if (job_grow(&job->boxes, len, &p->boxes_cap, job->nboxes + 1))
			return job_oom(p);
		memcpy(job->boxes + (uint64_t)job->nboxes * job->box_stride, b,
		       len);
		if (job_map_insert(&p->boxes, hash, job->nboxes))
			return job_oom(p);
		*idx = job->nboxes++;
	}
	p->last_box = *idx;
	return 0;
}

/* Keep a checked placement d (shape, to, from, count, step; rank n each):
 * its "to" at the chunk's place in job->tos, the rest as a box. */
static int place_keep(struct job_parser *p, struct lsio_chunk *c,
		      const uint64_t *d)
{
	struct lsio_job *job = p->job;
	uint32_t n = p->dest.rank;
	uint64_t b[LSIO_BOX_FIELDS * LSIO_MAX_DIMS] = { 0 };

	memcpy(job->tos + p->index * job->to_stride, d + n, n * sizeof(*d));
	memcpy(b, d, n * sizeof(*d));
	memcpy(b + n, d + 2 * n, 3 * n * sizeof(*d));
	return box_index(p, b, &c->box);
}

static int chunk_place(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *pl = json_object_get(obj, "place"), *order;
	uint64_t *d = p->place;
	bool has_count;
	int ret;

	c->order = 'C';
	if (!lsio_output_places(&p->job->out))
		return pl ? job_fail(p, "place",
				     "only array output places chunks (and dataset output, in its variables)")
			  : 0;
	if (!pl)
		return job_fail(p, NULL,
				"missing \"place\" (%s output places every chunk)",
				job_out_types[p->job->out.type]);
	if (!json_is_object(pl))
		return job_fail(p, "place", "expected an object");
	if (job_check_keys(p, "place", pl, place_keys))
		return -LSIO_EJOB;
	if (chunk_var(p, pl, c))
		return -LSIO_EJOB;
	/* from stays zeros when absent */
	memset(d, 0, PLACE_FIELDS * p->dest.rank * sizeof(*d));
	ret = place_values(p, pl, d, &has_count);
	if (ret)
		return ret;
	c->order = p->def.order ? p->def.order : 'C';
	order = json_object_get(pl, "order");
	if (order && job_order(p, "place.order", order, "CF", &c->order))
		return -LSIO_EJOB;
	ret = place_bounds(p, c, d, has_count);
	return ret ? ret : place_keep(p, c, d);
}

static int chunk_name(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	struct lsio_job *job = p->job;
	json_t *v = json_object_get(obj, "name");
	const char *s;
	size_t len;

	if (!v)
		return 0;
	if (job->out.type != LSIO_OUT_FILES)
		return job_fail(p, "name", "only files output names chunks");
	if (!(s = job_string(p, "name", v, "a file name")))
		return -LSIO_EJOB;
	len = strlen(s) + 1;
	if (job->strings_len + len >= LSIO_NONE)
		return job_fail(p, "name",
				"the chunk names add up to more than 4 GiB");
	if (job_grow(&job->strings, 1, &p->strings_cap, job->strings_len + len))
		return job_oom(p);
	memcpy(job->strings + job->strings_len, s, len);
	c->name = (uint32_t)job->strings_len;
	job->strings_len += len;
	return 0;
}

/* Room for chunk i (and its "to"), which starts as "no name, no box". */
static int chunk_room(struct job_parser *p, uint64_t i)
{
	struct lsio_job *job = p->job;

	if (i >= LSIO_NONE - 1) {
		job_at(p, "chunks", NO_INDEX);
		return job_fail(p, NULL, "more than %u chunks", LSIO_NONE - 1);
	}
	if (job_grow(&job->chunks, sizeof(*job->chunks), &p->chunks_cap,
		     i + 1))
		return job_oom(p);
	if (job->to_stride &&
	    job_grow(&job->tos, job->to_stride * sizeof(*job->tos),
		     &p->tos_cap, i + 1))
		return job_oom(p);
	memset(&job->chunks[i], 0, sizeof(job->chunks[i]));
	job->chunks[i].name = LSIO_NONE;
	return 0;
}

static int parse_chunk(struct job_parser *p, uint64_t i, json_t *obj)
{
	struct lsio_chunk *c;
	json_t *v;
	int ret;

	if ((ret = chunk_room(p, i)))
		return ret;
	c = &p->job->chunks[i];
	job_at(p, "chunks", i);
	if (!json_is_object(obj))
		return job_fail(p, NULL, "expected an object");
	if (job_check_keys(p, NULL, obj, chunk_keys))
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

/* Before the first chunk, once the output is known: placements have its
 * largest rank. */
static void chunks_begin(struct job_parser *p)
{
	struct lsio_job *job = p->job;

	if (!lsio_output_places(&job->out))
		return;
	job->to_stride = lsio_job_max_rank(job);
	job->box_stride = LSIO_BOX_FIELDS * job->to_stride;
	p->boxes.key = box_key;
	p->boxes.arg = job;
	p->boxes.key_len = job->box_stride * sizeof(*job->boxes);
}

/* After the last: the arrays, grown by doubling, shrink to what they
 * hold. */
static void chunks_end(struct job_parser *p)
{
	struct lsio_job *job = p->job;
	void *q;

	q = realloc(job->chunks, MAX(job->nchunks, 1) * sizeof(*job->chunks));
	job->chunks = q ? q : job->chunks;
	if (job->tos) {
		q = realloc(job->tos, MAX(job->nchunks, 1) * job->to_stride *
					      sizeof(*job->tos));
		job->tos = q ? q : job->tos;
	}
	if (job->boxes) {
		q = realloc(job->boxes, (size_t)job->nboxes * job->box_stride *
						sizeof(*job->boxes));
		job->boxes = q ? q : job->boxes;
	}
	job_map_release(&p->boxes);
}

int job_parse_chunks(struct job_parser *p, json_t *list)
{
	size_t i;
	json_t *v;
	int ret = 0;

	if (!list)
		return job_fail(p, NULL,
				"missing \"chunks\" (a list, which may be empty)");
	job_at(p, "chunks", NO_INDEX);
	if (!json_is_array(list))
		return job_fail(p, NULL, "expected a list of chunks");
	chunks_begin(p);
	json_array_foreach(list, i, v) {
		ret = parse_chunk(p, i, v);
		if (ret)
			break;
		p->job->nchunks = i + 1;
	}
	chunks_end(p);
	if (!ret && p->job->out.type == LSIO_OUT_FILES)
		ret = job_check_names(p);
	return ret;
}

void job_chunk_init(struct job_parser *p)
{
	p->def.source_idx = LSIO_NONE;
	p->def.length = LSIO_LEN_EOF;
	p->def.chain = LSIO_NONE;
	p->def.var = LSIO_NONE;
	p->empty_chain = LSIO_NONE;
	p->last_box = LSIO_NONE;
	p->sources.key = source_key;
	p->sources.arg = p->job;
	p->chains.key = chain_key;
	p->chains.arg = p->job;
}
