/* SPDX-License-Identifier: MIT */
/*
 * job_chunk.c - a job's "defaults" and its chunks, one at a time: sources
 * and stage chains deduplicated, the placement handed to job_place.c.
 *
 * A chunk comes as a JSON tree (jansson read it) or as what the fast path
 * read (struct chunk_in): each field goes through the same checks, in the
 * same order, so the first error of a chunk is the same either way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "job/job_parse.h"
#include "stage/stage.h"

static const char *const default_keys[] = { "source", "stages", "length",
					    "place", "missing", NULL };
static const char *const chunk_keys[] = { "source", "offset", "length",
					  "stages", "place", "name", "missing",
					  NULL };

/* --- sources and chains --------------------------------------------------- */

static const char *source_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_job *)arg)->sources[idx].path;
}

static const char *chain_key(const void *arg, uint32_t idx)
{
	return ((const struct lsio_job *)arg)->chains[idx].text;
}

/* The index of the source path[0..len) names (a copy is kept once). */
static int source_index(struct job_parser *p, const char *path, size_t len,
			uint32_t *idx)
{
	struct lsio_job *job = p->job;
	uint32_t hash, last = p->last_source;
	struct lsio_source *s;

	/* The chunks of one file, as a rule, come one after another. */
	if (last != LSIO_NONE && !strncmp(job->sources[last].path, path, len) &&
	    !job->sources[last].path[len]) {
		*idx = last;
		return 0;
	}
	hash = job_hash(path, len);
	if (job_map_find(&p->sources, path, len, hash, idx)) {
		p->last_source = *idx;
		return 0;
	}
	if (job->nsources >= LSIO_NONE - 1)
		return job_fail(p, "source", "more than %u sources",
				LSIO_NONE - 1);
	if (job_grow(&job->sources, sizeof(*job->sources), &p->sources_cap,
		     job->nsources + 1))
		return job_oom(p);
	s = &job->sources[job->nsources];
	memset(s, 0, sizeof(*s));
	s->path = strndup(path, len);
	if (!s->path)
		return job_oom(p);
	if (job_map_insert(&p->sources, hash, job->nsources))
		return job_oom(p);	/* s->path is freed with the job */
	*idx = p->last_source = job->nsources++;
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

/* --- stage lists as the fast path sees them: text ------------------------- */

/* The texts of "stages" seen, each with its chain (LSIO_NONE: known to be
 * valid JSON, not parsed yet), so that a million chunks that write the
 * same list cost a lookup, not a parse. */
static const char *stages_key(const void *arg, uint32_t idx)
{
	const struct job_parser *p = arg;

	return p->stages_text + p->stages_off[idx];
}

int job_stages_seen(struct job_parser *p, const char *s, size_t len,
		    uint32_t *slot)
{
	return job_map_find(&p->stages, s, len, job_hash(s, len), slot);
}

int job_stages_add(struct job_parser *p, const char *s, size_t len,
		   uint32_t chain, uint32_t *slot)
{
	uint32_t n = p->nstages;

	if (job_stages_seen(p, s, len, slot)) {
		if (chain != LSIO_NONE)
			p->stages_chain[*slot] = chain;
		return 0;
	}
	if (job_grow(&p->stages_text, 1, &p->stages_text_cap,
		     p->stages_text_len + len + 1) ||
	    job_grow(&p->stages_off, sizeof(*p->stages_off), &p->stages_cap,
		     n + 1) ||
	    job_grow(&p->stages_chain, sizeof(*p->stages_chain),
		     &p->stages_chain_cap, n + 1))
		return job_oom(p);
	memcpy(p->stages_text + p->stages_text_len, s, len);
	p->stages_text[p->stages_text_len + len] = '\0';
	p->stages_off[n] = p->stages_text_len;
	p->stages_chain[n] = chain;
	p->stages_text_len += len + 1;
	if (job_map_insert(&p->stages, job_hash(s, len), n))
		return job_oom(p);
	*slot = p->nstages++;
	return 0;
}

/* A chunk's "stages" read by the fast path: a chain found by its text,
 * else parsed (in->stages_json, or the text again). */
static int stages_in(struct job_parser *p, struct chunk_in *in,
		     struct lsio_chunk *c)
{
	json_error_t e;
	uint32_t slot;
	json_t *v = in->stages_json;
	int ret;

	if (job_stages_seen(p, in->stages, in->stages_len, &slot) &&
	    p->stages_chain[slot] != LSIO_NONE) {
		c->chain = p->stages_chain[slot];
		return 0;
	}
	if (!v)	/* seen, so valid: only memory can fail */
		v = json_loadb(in->stages, in->stages_len, JSON_DECODE_ANY, &e);
	if (!v)
		return job_oom(p);
	ret = chain_index(p, v, &c->chain);
	if (v != in->stages_json)
		json_decref(v);
	return ret ? ret : job_stages_add(p, in->stages, in->stages_len,
					  c->chain, &slot);
}

/* --- defaults ------------------------------------------------------------- */

/* "missing": "error" | "fill" | "fill-403"; fill needs an array output,
 * the only one with a fill value to put there. */
static int missing_set(struct job_parser *p, const char *s, uint8_t *missing)
{
	static const char *const names[] = { "error", "fill", "fill-403" };

	for (uint8_t k = 0; k < ARRAY_SIZE(names); k++) {
		if (strcmp(s, names[k]))
			continue;
		if (k != LSIO_MISSING_ERROR &&
		    !lsio_output_places(&p->job->out))
			return job_fail(p, "missing",
					"\"%s\" needs an array output (or a dataset output), whose fill value an absent chunk leaves in place",
					s);
		*missing = k;
		return 0;
	}
	return job_fail(p, "missing",
			"expected \"error\", \"fill\" or \"fill-403\"");
}

static int parse_missing(struct job_parser *p, json_t *v, uint8_t *missing)
{
	return missing_set(p, json_is_string(v) ? json_string_value(v) : "",
			   missing);
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
	return v ? job_default_place(p, v) : 0;
}

/* --- a chunk, field by field ---------------------------------------------- */

/* Its source: path[0..len), or the default (path NULL). */
static int source_set(struct job_parser *p, const char *path, size_t len,
		      struct lsio_chunk *c)
{
	int ret;

	if (path)
		return source_index(p, path, len, &c->source);
	if (!p->def.source)
		return job_fail(p, NULL,
				"missing \"source\" (and no defaults.source)");
	if (p->def.source_idx == LSIO_NONE &&
	    (ret = source_index(p, p->def.source, strlen(p->def.source),
				&p->def.source_idx)))
		return ret;
	c->source = p->def.source_idx;
	return 0;
}

/* Offset and length are below 2^63, so their sum cannot wrap; it must
 * still be a file offset. */
static int range_check(struct job_parser *p, const struct lsio_chunk *c)
{
	if (c->length != LSIO_LEN_EOF && c->offset + c->length > INT64_MAX)
		return job_fail(p, NULL,
				"offset %" PRIu64 " + length %" PRIu64 " is past the largest file offset",
				c->offset, c->length);
	return 0;
}

static int default_stages(struct job_parser *p, struct lsio_chunk *c)
{
	if (p->def.chain == LSIO_NONE)
		return empty_chain(p, &c->chain);
	c->chain = p->def.chain;
	return 0;
}

/* Its file name, s[0..len) (files output). */
static int name_set(struct job_parser *p, const char *s, size_t len,
		    struct lsio_chunk *c)
{
	struct lsio_job *job = p->job;

	if (job->out.type != LSIO_OUT_FILES)
		return job_fail(p, "name", "only files output names chunks");
	if (job->strings_len + len + 1 >= LSIO_NONE)
		return job_fail(p, "name",
				"the chunk names add up to more than 4 GiB");
	if (job_grow(&job->strings, 1, &p->strings_cap,
		     job->strings_len + len + 1))
		return job_oom(p);
	memcpy(job->strings + job->strings_len, s, len);
	job->strings[job->strings_len + len] = '\0';
	c->name = (uint32_t)job->strings_len;
	job->strings_len += len + 1;
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
	job_at(p, "chunks", i);
	return 0;
}

/* --- a chunk from a JSON tree --------------------------------------------- */

static int chunk_source(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v = json_object_get(obj, "source");
	const char *s = NULL;

	if (v && !(s = job_string(p, "source", v, "a path or URL")))
		return -LSIO_EJOB;
	return source_set(p, s, s ? strlen(s) : 0, c);
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
	return range_check(p, c);
}

static int chunk_stages(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v = json_object_get(obj, "stages");

	return v ? chain_index(p, v, &c->chain) : default_stages(p, c);
}

static int chunk_name(struct job_parser *p, json_t *obj, struct lsio_chunk *c)
{
	json_t *v = json_object_get(obj, "name");
	const char *s;

	if (!v)
		return 0;
	if (p->job->out.type != LSIO_OUT_FILES)
		return job_fail(p, "name", "only files output names chunks");
	if (!(s = job_string(p, "name", v, "a file name")))
		return -LSIO_EJOB;
	return name_set(p, s, strlen(s), c);
}

int job_parse_chunk(struct job_parser *p, uint64_t i, json_t *obj)
{
	struct lsio_chunk *c;
	json_t *v;
	int ret;

	if ((ret = chunk_room(p, i)))
		return ret;
	c = &p->job->chunks[i];
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
		ret = job_chunk_place(p, json_object_get(obj, "place"), c);
	if (!ret)
		ret = chunk_name(p, obj, c);
	return ret;
}

/* --- a chunk the fast path read ------------------------------------------- */

int job_parse_chunk_in(struct job_parser *p, uint64_t i, struct chunk_in *in)
{
	struct lsio_chunk *c;
	int ret;

	if ((ret = chunk_room(p, i)))
		return ret;
	c = &p->job->chunks[i];
	ret = source_set(p, in->source, in->source_len, c);
	c->offset = in->has_offset ? in->offset : 0;
	c->length = in->has_length ? in->length : p->def.length;
	if (!ret)
		ret = range_check(p, c);
	c->missing = p->def.missing;
	if (!ret && in->missing[0])
		ret = missing_set(p, in->missing, &c->missing);
	if (!ret)
		ret = in->stages ? stages_in(p, in, c) : default_stages(p, c);
	if (!ret)
		ret = job_chunk_place_in(p, in, c);
	if (!ret && in->name)
		ret = name_set(p, in->name, in->name_len, c);
	return ret;
}

/* --- all of them ---------------------------------------------------------- */

void job_chunks_begin(struct job_parser *p)
{
	job_at(p, "chunks", NO_INDEX);
	job_place_begin(p);
}

/* Give back what *pp holds beyond bytes; a failure keeps it all. */
static void shrink(void *pp, size_t bytes)
{
	void *q = realloc(*(void **)pp, MAX(bytes, 1));

	if (q)
		*(void **)pp = q;
}

/* The arrays, grown by doubling, shrink to what they hold. */
void job_chunks_end(struct job_parser *p)
{
	struct lsio_job *job = p->job;
	size_t n = MAX(job->nchunks, 1);

	shrink(&job->chunks, n * sizeof(*job->chunks));
	p->chunks_cap = n;
	if (job->tos) {
		shrink(&job->tos, n * job->to_stride * sizeof(*job->tos));
		p->tos_cap = n;
	}
	if (job->boxes && job->nboxes) {
		shrink(&job->boxes, (size_t)job->nboxes * job->box_stride *
					    sizeof(*job->boxes));
		p->boxes_cap = job->nboxes;
	}
}

/* Everything chunks added to the job, gone: they are read again (the job's
 * "defaults" came after them). */
void job_chunks_forget(struct job_parser *p)
{
	struct lsio_job *job = p->job;

	for (uint32_t i = 0; i < job->nsources; i++)
		free(job->sources[i].path);
	for (uint32_t i = 0; i < job->nchains; i++)
		lsio_chain_release(&job->chains[i]);
	job->nsources = job->nchains = job->nboxes = 0;
	job->nchunks = 0;
	job->strings_len = 0;
	job_map_release(&p->sources);
	job_map_release(&p->chains);
	job_map_release(&p->boxes);
	job_map_release(&p->stages);
	p->nstages = p->stages_text_len = 0;
	p->def.source_idx = p->empty_chain = p->last_box = LSIO_NONE;
	p->last_source = LSIO_NONE;
}

int job_parse_chunks(struct job_parser *p, json_t *list)
{
	size_t i;
	json_t *v;
	int ret = 0;

	if (!list)
		return job_fail(p, NULL,
				"missing \"chunks\" (a list, which may be empty)");
	job_chunks_begin(p);
	if (!json_is_array(list))
		return job_fail(p, NULL,
				"expected a list of chunks, or \"@FILE\": a file of them, one a line");
	json_array_foreach(list, i, v) {
		ret = job_parse_chunk(p, i, v);
		if (ret)
			break;
		p->job->nchunks = i + 1;
	}
	job_chunks_end(p);
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
	p->last_box = p->last_source = LSIO_NONE;
	p->sources.key = source_key;
	p->sources.arg = p->job;
	p->chains.key = chain_key;
	p->chains.arg = p->job;
	p->stages.key = stages_key;
	p->stages.arg = p;
}

void job_chunk_release(struct job_parser *p)
{
	job_map_release(&p->sources);
	job_map_release(&p->chains);
	job_map_release(&p->vars);
	job_map_release(&p->boxes);
	job_map_release(&p->stages);
	free(p->stages_text);
	free(p->stages_off);
	free(p->stages_chain);
	free(p->var_names);
}
