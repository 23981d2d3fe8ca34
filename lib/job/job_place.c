/* SPDX-License-Identifier: MIT */
/*
 * job_place.c - where a chunk lands: "place" (and defaults.place) checked
 * against the array it lands in, then kept as the chunk's "to" plus one of
 * the boxes (shape, from, count, step) that the chunks of a grid share.
 *
 * A chunk's placement comes from its JSON tree, or from what the fast path
 * read (struct chunk_in): both go through the same checks in the same
 * order, so a message does not depend on which read the chunk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "job/job_parse.h"
#include "stage/stage.h"

static const char *const default_place_keys[] = { "var", "shape", "from",
						  "count", "step", "order",
						  NULL };
static const char *const place_keys[] = { "var", "shape", "to", "from",
					  "count", "step", "order", NULL };

/* Indexed as struct chunk_in's dims and job_parser's place. */
static const char *const dim_keys[PLACE_FIELDS] = { "shape", "to", "from",
						    "count", "step" };
enum { SHAPE, TO, FROM, COUNT, STEP };

/* Where a placement is read from: a JSON object, or the fast path's. */
struct place_src {
	json_t *obj;
	const struct chunk_in *in;
};

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

/* place.var s: the index of the variable it names. */
static int var_named(struct job_parser *p, const char *sub, const char *s,
		     uint32_t *var)
{
	const char *hint;

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

static int place_var(struct job_parser *p, const char *sub, json_t *v,
		     uint32_t *var)
{
	const char *s = job_string(p, sub, v, "a variable's name");

	return s ? var_named(p, sub, s, var) : -LSIO_EJOB;
}

/* --- the dimensions --------------------------------------------------------- */

/* One of shape/to/from/count/step into vals: the chunk's own, else def's
 * (when not NULL); DIMS_ABSENT when neither, negative on error. */
enum { DIMS_OWN, DIMS_DEFAULT, DIMS_ABSENT };

static int dims_count(struct job_parser *p, const char *sub, size_t n,
		      uint32_t want)
{
	if (p->dest.var)
		return job_fail(p, sub,
				"%zu dimensions, but variable '%s' has %" PRIu32,
				n, p->dest.var, want);
	return job_fail(p, sub, "%zu dimensions, but the output has %" PRIu32,
			n, want);
}

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
	if (json_array_size(v) != want)
		return dims_count(p, sub, json_array_size(v), want);
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

/* Dimension list k (SHAPE ...) of src: n values (-1: not given). */
static json_t *src_dims(const struct place_src *src, int k, int *n)
{
	json_t *v;

	if (src->in) {
		*n = src->in->ndims[k];
		return NULL;
	}
	v = json_object_get(src->obj, dim_keys[k]);
	*n = !v ? -1 : json_is_array(v) ? (int)MIN(json_array_size(v), 64) : 1;
	return v;
}

/* "place.shape" ...: only for a message (a million chunks). */
static const char *dim_sub(int k, char *buf, size_t cap)
{
	snprintf(buf, cap, "place.%s", dim_keys[k]);
	return buf;
}

static int place_dims(struct job_parser *p, const struct place_src *src,
		      int k, const uint64_t *def, uint64_t *vals)
{
	uint32_t want = p->dest.rank;
	char sub[32];
	int n;
	json_t *v = src_dims(src, k, &n);

	if (n == 0 && !p->dest.ndim && (!v || json_is_array(v))) {
		/* A 0-d output's placement may be written with rank 0: the
		 * whole one-element chunk. */
		vals[0] = k != TO && k != FROM;
		return DIMS_OWN;
	}
	if (v)	/* DIMS_OWN */
		return parse_dims(p, dim_sub(k, sub, sizeof(sub)), v, want,
				  vals);
	if (n >= 0 && (uint32_t)n != want)
		return dims_count(p, dim_sub(k, sub, sizeof(sub)), (size_t)n,
				  want);
	if (n >= 0) {
		memcpy(vals, src->in->dims[k], want * sizeof(*vals));
		return DIMS_OWN;
	}
	if (!def)
		return DIMS_ABSENT;
	memcpy(vals, def, want * sizeof(*vals));
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
					"dimension %" PRIu32 ": a step must be at least 1",
					d);
		if (!count[d] || (lsio_mul_ok(count[d] - 1, step[d], &span) &&
				  from[d] + span < shape[d]))	/* each < 2^63 */
			continue;
		if (step[d] == 1)
			return job_fail(p, sub,
					"dimension %" PRIu32 ": from %" PRIu64 " + count %" PRIu64 " > shape %" PRIu64,
					d, from[d], count[d], shape[d]);
		return job_fail(p, sub,
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

/* --- defaults.place ------------------------------------------------------------ */

/* A dataset's default dims have the rank of defaults.place.var. */
static int default_var(struct job_parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	json_t *v = json_object_get(obj, "var");

	if (v && place_var(p, "place.var", v, &def->var))
		return -LSIO_EJOB;
	if (p->job->out.type != LSIO_OUT_DATASET || v)
		return 0;
	for (int k = SHAPE; k <= STEP; k++)
		if (k != TO && json_object_get(obj, dim_keys[k]))
			return job_fail(p, "place",
					"\"%s\" without \"var\": a placement has the rank of its variable",
					dim_keys[k]);
	return 0;
}

int job_default_place(struct job_parser *p, json_t *obj)
{
	struct defaults *def = &p->def;
	struct place_src src = { .obj = obj };
	uint32_t ndim;
	json_t *v;
	int ret = 0;

	if (!lsio_output_places(&p->job->out))
		return job_fail(p, "place",
				"only array output places chunks (and dataset output, in its variables)");
	if (!json_is_object(obj))
		return job_fail(p, "place", "expected an object");
	if (json_object_get(obj, "to"))
		return job_fail(p, "place.to",
				"differs per chunk: give it in each chunk's place");
	if (job_check_keys(p, "place", obj, default_place_keys))
		return -LSIO_EJOB;
	if (default_var(p, obj))
		return -LSIO_EJOB;
	dest_set(p, def->var);
	ndim = def->rank = p->dest.rank;
	ret = place_dims(p, &src, SHAPE, NULL, def->shape);
	def->has_shape = ret == 0;
	if (ret >= 0)
		ret = place_dims(p, &src, FROM, NULL, def->from);
	def->has_from = ret == 0;
	if (ret >= 0)
		ret = place_dims(p, &src, COUNT, NULL, def->count);
	def->has_count = ret == 0;
	if (ret >= 0)
		ret = place_dims(p, &src, STEP, NULL, def->step);
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

/* --- a chunk's place ------------------------------------------------------- */

/* "outside the array" or "outside variable 't2m'". */
static int outside(struct job_parser *p, uint32_t k, uint64_t to,
		   uint64_t count)
{
	const struct dest *dst = &p->dest;

	if (dst->var)
		return job_fail(p, "place.to",
				"placement outside variable '%s': dimension %" PRIu32 ": %" PRIu64 " + %" PRIu64 " > %" PRIu64,
				dst->var, k, to, count, dst->shape[k]);
	return job_fail(p, "place.to",
			"placement outside the array: dimension %" PRIu32 ": %" PRIu64 " + %" PRIu64 " > %" PRIu64,
			k, to, count, dst->shape[k]);
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
					"dimension %" PRIu32 ": %" PRIu64 " > shape %" PRIu64,
					k, from[k], shape[k]);
	if (check_box(p, "place.count", n, shape, from, count, step))
		return -LSIO_EJOB;
	for (uint32_t k = 0; k < n; k++)
		if (to[k] + count[k] > dst->shape[k])
			return outside(p, k, to[k], count[k]);
	for (uint32_t k = 0; k < n; k++)
		if (!lsio_mul_ok(bytes, shape[k], &bytes) || bytes > INT64_MAX)
			return job_fail(p, "place.shape",
					"the decoded chunk is too large (more than 2^63 bytes)");
	if (c->length != LSIO_LEN_EOF && c->length != bytes &&
	    chain_keeps_size(&p->job->chains[c->chain]))
		return job_fail(p, "length",
				"%" PRIu64 " bytes, but the decoded chunk is %" PRIu64 " (place.shape x %" PRIu32 "-byte items) and no stage changes the size",
				c->length, bytes, dst->itemsize);
	return 0;
}

/* Fill the chunk's shape, to, from, count and step (d[0..5n)) from its
 * place and the defaults. */
static int place_values(struct job_parser *p, const struct place_src *src,
			uint64_t *d, bool *has_count)
{
	const struct defaults *def = &p->def;
	uint32_t n = p->dest.rank;
	uint64_t *shape = d, *to = d + n, *from = d + 2 * n, *count = d + 3 * n;
	uint64_t *step = d + 4 * n;
	bool fits = def->rank == n;	/* the defaults' dims are for this rank */
	int ret;

	ret = place_dims(p, src, SHAPE,
			 def->has_shape && fits ? def->shape : NULL, shape);
	if (ret == DIMS_ABSENT && def->has_shape)
		return job_fail(p, "place",
				"missing \"shape\" (defaults.place.shape has %" PRIu32 " dimensions, variable '%s' %" PRIu32 ")",
				def->rank, p->dest.var ? p->dest.var : "", n);
	if (ret == DIMS_ABSENT)
		return job_fail(p, "place",
				"missing \"shape\" (and no defaults.place.shape)");
	if (ret >= 0)
		ret = place_dims(p, src, TO, NULL, to);
	if (ret == DIMS_ABSENT)
		return job_fail(p, "place",
				"missing \"to\": where the chunk lands in the array");
	if (ret >= 0)	/* from stays zeros when absent */
		ret = place_dims(p, src, FROM,
				 def->has_from && fits ? def->from : NULL, from);
	if (ret >= 0)
		ret = place_dims(p, src, COUNT,
				 def->has_count && fits ? def->count : NULL,
				 count);
	*has_count = ret != DIMS_ABSENT;
	if (ret >= 0)
		ret = place_dims(p, src, STEP,
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
static int chunk_var(struct job_parser *p, const struct place_src *src,
		     struct lsio_chunk *c)
{
	json_t *v = src->obj ? json_object_get(src->obj, "var") : NULL;
	bool given = v || (src->in && src->in->var[0]);
	uint32_t var = p->def.var;

	if (v && place_var(p, "place.var", v, &var))
		return -LSIO_EJOB;
	if (!v && given && var_named(p, "place.var", src->in->var, &var))
		return -LSIO_EJOB;
	if (p->job->out.type != LSIO_OUT_DATASET) {
		dest_set(p, LSIO_NONE);
		return 0;
	}
	if (var == LSIO_NONE)
		return job_fail(p, "place",
				"missing \"var\" (and no defaults.place.var): the variable the chunk is placed in");
	if (p->job->out.vars[var].values)
		return job_fail(p, given ? "place.var" : "place",
				"variable '%s' has inline \"values\": no chunk is placed in it",
				p->job->out.vars[var].name);
	c->var = (uint16_t)var;	/* < LSIO_MAX_VARS */
	dest_set(p, var);
	return 0;
}

static int place_order(struct job_parser *p, const struct place_src *src,
		       struct lsio_chunk *c)
{
	json_t *v;

	c->order = p->def.order ? p->def.order : 'C';
	if (src->in)
		return src->in->order[0] ? job_order_str(p, "place.order",
							 src->in->order, "CF",
							 &c->order)
					 : 0;
	v = json_object_get(src->obj, "order");
	return v ? job_order(p, "place.order", v, "CF", &c->order) : 0;
}

/* --- kept: each chunk's "to", and the boxes chunks share ------------------- */

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
	uint64_t b[LSIO_BOX_FIELDS * LSIO_MAX_DIMS];

	memcpy(job->tos + p->index * job->to_stride, d + n, n * sizeof(*d));
	memcpy(b, d, n * sizeof(*d));
	memcpy(b + n, d + 2 * n, 3 * n * sizeof(*d));
	memset(b + LSIO_BOX_FIELDS * n, 0,
	       (job->box_stride - LSIO_BOX_FIELDS * n) * sizeof(*b));
	return box_index(p, b, &c->box);
}

static int chunk_place(struct job_parser *p, const struct place_src *src,
		       bool given, struct lsio_chunk *c)
{
	uint64_t *d = p->place;
	bool has_count;
	int ret;

	c->order = 'C';
	if (!lsio_output_places(&p->job->out))
		return given ? job_fail(p, "place",
					"only array output places chunks (and dataset output, in its variables)")
			     : 0;
	if (!given)
		return job_fail(p, NULL,
				"missing \"place\" (%s output places every chunk)",
				job_out_type(p->job->out.type));
	if (src->obj && !json_is_object(src->obj))
		return job_fail(p, "place", "expected an object");
	if (src->obj && job_check_keys(p, "place", src->obj, place_keys))
		return -LSIO_EJOB;
	if (chunk_var(p, src, c))
		return -LSIO_EJOB;
	memset(d, 0, PLACE_FIELDS * p->dest.rank * sizeof(*d));
	ret = place_values(p, src, d, &has_count);
	if (!ret)
		ret = place_order(p, src, c);
	if (!ret)
		ret = place_bounds(p, c, d, has_count);
	return ret ? ret : place_keep(p, c, d);
}

int job_chunk_place(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	struct place_src src = { .obj = obj };

	return chunk_place(p, &src, obj != NULL, c);
}

int job_chunk_place_in(struct job_parser *p, const struct chunk_in *in,
		       struct lsio_chunk *c)
{
	struct place_src src = { .in = in };

	return chunk_place(p, &src, in->has_place, c);
}

void job_place_begin(struct job_parser *p)
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
