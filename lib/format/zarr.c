/* SPDX-License-Identifier: MIT */
/*
 * zarr.c - lsio_zarr_job(): a selection of a Zarr array as an lsio job.
 *
 * The generator only writes a job in the public format (nothing a user
 * could not write by hand), so `lsio zarr --emit-job | lsio run -` does
 * exactly what `lsio zarr` does.  For every chunk the selection touches:
 * from a local store its key's size (a missing key is all fill value: no
 * entry, the output is created filled); from a remote one an entry without
 * a length and "missing": "fill" (one GET each, no HEAD, a 404 leaving the
 * fill value); the chunk's stage chain, and where its selected part lands
 * (zarr_place.c).
 *
 * Sharded arrays are planned in two phases: the index of every shard the
 * selection touches is read first, then an entry is written for each
 * inner chunk the selection needs, at the offset and length the index
 * gives - so the job reads inner chunks, never whole shards.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "zarr.h"

/* Entries of a job, beyond which the selection is refused rather than
 * run slowly. */
#define ZARR_ENTRIES_MAX (16ull << 20)

static void zbuf_dims(struct lsio_strbuf *b, const char *key, const uint64_t *v,
		      uint32_t n)
{
	lsio_strbuf_printf(b, "\"%s\": [", key);
	for (uint32_t d = 0; d < n; d++)
		lsio_strbuf_printf(b, "%s%llu", d ? ", " : "", (unsigned long long)v[d]);
	lsio_strbuf_printf(b, "]");
}

/* --- the generator ----------------------------------------------------- */

static void gen_place(struct zarr_gen *g, const struct zarr_place *p)
{
	struct lsio_strbuf *b = &g->chunks;
	bool from = false, count = false, step = false;
	uint64_t n = 1;

	for (uint32_t d = 0; d < p->ndim; d++) {
		from |= p->from[d] != 0;
		step |= p->step[d] != 1;
		count |= p->count[d] !=
			 (p->shape[d] - p->from[d] + p->step[d] - 1) / p->step[d];
		n *= p->count[d];
	}
	g->placed += n;		/* placements never overlap */
	lsio_strbuf_printf(b, "%s\n    {\"source\": %s, ", g->nentries ? "," : "",
		    g->source);
	if (g->entry_stages)
		lsio_strbuf_printf(b, "\"stages\": %s, ", g->entry_stages);
	if (g->off)
		lsio_strbuf_printf(b, "\"offset\": %llu, ", (unsigned long long)g->off);
	if (g->len != UINT64_MAX)
		lsio_strbuf_printf(b, "\"length\": %llu, ",
				   (unsigned long long)g->len);
	lsio_strbuf_printf(b, "\"place\": {");
	if (g->var)
		lsio_strbuf_printf(b, "\"var\": %s, ", g->var);
	if (g->entry_order)
		lsio_strbuf_printf(b, "\"order\": \"%c\", ", p->order);
	zbuf_dims(b, "shape", p->shape, p->ndim);
	lsio_strbuf_printf(b, ", ");
	zbuf_dims(b, "to", p->to, p->ndim);
	if (from) {
		lsio_strbuf_printf(b, ", ");
		zbuf_dims(b, "from", p->from, p->ndim);
	}
	if (count) {
		lsio_strbuf_printf(b, ", ");
		zbuf_dims(b, "count", p->count, p->ndim);
	}
	if (step) {
		lsio_strbuf_printf(b, ", ");
		zbuf_dims(b, "step", p->step, p->ndim);
	}
	lsio_strbuf_printf(b, "}}");
	g->nentries++;
}

/* An uncompressed chunk must be exactly its decoded size, as zarr-python
 * insists.  Said here, as the data error it is (naming store and key),
 * not left to the job's load-time check ("invalid job", exit 2). */
static int gen_raw_size(struct zarr_gen *g, const char *key, uint64_t off,
			uint64_t len)
{
	uint64_t want = g->a.dtype.size;
	char shape[LSIO_MAX_DIMS * 21] = "", at[48] = "";
	size_t n = 0;

	if (!g->a.raw || len == UINT64_MAX)
		return 0;	/* unknown: the run checks the decoded size */
	for (uint32_t d = 0; d < g->a.ndim; d++) {
		if (!lsio_mul_ok(want, g->csize[d], &want))
			return 0;	/* the job's checks say more */
		n += (size_t)snprintf(shape + n, sizeof(shape) - n, "%llu%s",
				      (unsigned long long)g->csize[d],
				      d + 1 < g->a.ndim ? "x" : " ");
	}
	if (len == want)
		return 0;
	if (off)	/* an inner chunk of a shard */
		snprintf(at, sizeof(at), "bytes %llu+", (unsigned long long)off);
	return zarr_fail(g->ctx, -LSIO_EDATA, g->store, key,
			 "%s%llu bytes, but an uncompressed chunk of %s%s is %llu bytes",
			 at, (unsigned long long)len, shape, g->a.dtype.str,
			 (unsigned long long)want);
}

/* One entry (one read, one decode) for the chunk at key, placed once. */
int zarr_gen_chunk(struct zarr_gen *g, const struct zarr_span *const *sp,
		   const char *key, uint64_t off, uint64_t len)
{
	struct zarr_place p;
	char *path;
	json_t *js;
	int ret;

	if (lsio_canceled(g->ctx))
		return lsio_fail(g->ctx, -LSIO_ECANCELED, "interrupted");
	if (g->nentries + 1 > ZARR_ENTRIES_MAX)
		return zarr_fail(g->ctx, -LSIO_EJOB, g->store, g->meta_key,
				 "selection '%s' needs more than %llu job entries",
				 g->select, ZARR_ENTRIES_MAX);
	ret = gen_raw_size(g, key, off, len);
	if (ret)
		return ret;
	path = zarr_store_source(g->store, key);
	js = path ? json_string(path) : NULL;
	free(path);
	g->source = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
	json_decref(js);
	if (!g->source)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	g->off = off;
	g->len = len;
	zarr_place_of(g->csize, g->a.ndim, g->a.order, g->sel, sp, &p);
	gen_place(g, &p);
	free(g->source);
	g->source = NULL;
	return g->chunks.oom ? lsio_fail(g->ctx, -ENOMEM, "out of memory") : 0;
}

bool zarr_odometer_next(size_t *pos, const size_t *n, uint32_t ndim)
{
	for (uint32_t d = ndim; d-- > 0;) {
		if (++pos[d] < n[d])
			return true;
		pos[d] = 0;
	}
	return false;
}

/* The key of the chunk at idx[] and its size: 0, -ENOENT or an error.
 * A v2 array that does not say its dimension_separator is '.', but
 * zarr-python before 2.8 wrote NestedDirectoryStore arrays ('/') without
 * saying so: when a '.' key is missing and the '/' one exists, the array
 * is nested, and reading it as '.' would silently give all fill value. */
static int chunk_size(struct zarr_gen *g, const uint64_t *idx, char *key,
		      uint64_t *size)
{
	int ret;

	if (lsio_canceled(g->ctx))	/* a store of millions of chunks */
		return lsio_fail(g->ctx, -LSIO_ECANCELED, "interrupted");
	if (zarr_chunk_key(&g->a, idx, key, ZARR_KEY_MAX))
		return zarr_fail(g->ctx, -LSIO_EJOB, g->store, g->meta_key,
				 "chunk key too long");
	ret = g->store->ops->size(g->store, key, size);
	if (!ret)
		g->a.sep_implied = false;	/* '.' keys exist: settled */
	if (ret != -ENOENT || !g->a.sep_implied || g->a.ndim < 2)
		return ret;
	g->a.sep = '/';
	zarr_chunk_key(&g->a, idx, key, ZARR_KEY_MAX);
	ret = g->store->ops->size(g->store, key, size);
	if (!ret) {
		g->a.sep_implied = false;
		lsio_warn(g->ctx, "store '%s': '%s' gives no dimension_separator, but chunk keys are nested ('%s'): reading them so",
			  g->store->root, g->meta_key, key);
		return 0;
	}
	g->a.sep = '.';
	zarr_chunk_key(&g->a, idx, key, ZARR_KEY_MAX);
	return -ENOENT;
}

/* Unsharded: every chunk the spans touch, if its key exists. */
static int gen_plain(struct zarr_gen *g)
{
	const struct zarr_span *sp[LSIO_MAX_DIMS];
	uint64_t idx[LSIO_MAX_DIMS], size;
	size_t pos[LSIO_MAX_DIMS] = { 0 };
	uint32_t ndim = g->a.ndim;
	char key[ZARR_KEY_MAX];
	int ret;

	do {
		for (uint32_t d = 0; d < ndim; d++) {
			sp[d] = &g->spans[d][pos[d]];
			idx[d] = sp[d]->chunk;
		}
		ret = chunk_size(g, idx, key, &size);
		if (ret == -ENOENT)
			continue;	/* never written: fill value */
		if (zarr_said(ret))
			return ret;
		if (ret)
			return zarr_fail(g->ctx, -LSIO_ESOURCE, g->store, key,
					 "%s", strerror(-ret));
		ret = zarr_gen_chunk(g, sp, key, 0, size);
		if (ret)
			return ret;
	} while (zarr_odometer_next(pos, g->nspans, ndim));
	return 0;
}

/* A remote store: every chunk the spans touch, without asking which exist
 * (a HEAD each would double the requests): the job reads each with one GET
 * and leaves the fill value where the store answers 404.  The keys use the
 * array's separator ('.' when a v2 array does not say: the spec's default;
 * a run that finds every chunk absent warns). */
static int gen_plain_blind(struct zarr_gen *g)
{
	const struct zarr_span *sp[LSIO_MAX_DIMS];
	uint64_t idx[LSIO_MAX_DIMS];
	size_t pos[LSIO_MAX_DIMS] = { 0 };
	char key[ZARR_KEY_MAX];
	int ret;

	g->blind = true;
	do {
		for (uint32_t d = 0; d < g->a.ndim; d++) {
			sp[d] = &g->spans[d][pos[d]];
			idx[d] = sp[d]->chunk;
		}
		if (zarr_chunk_key(&g->a, idx, key, ZARR_KEY_MAX))
			return zarr_fail(g->ctx, -LSIO_EJOB, g->store, g->meta_key,
					 "chunk key too long");
		ret = zarr_gen_chunk(g, sp, key, 0, UINT64_MAX);
		if (ret)
			return ret;
	} while (zarr_odometer_next(pos, g->nspans, g->a.ndim));
	return 0;
}

int zarr_gen_entries(struct zarr_gen *g)
{
	if (g->a.sharded)
		return zarr_gen_sharded(g);
	return g->store->ops->size_costs_request ? gen_plain_blind(g)
						 : gen_plain(g);
}

/* --- opening the array ------------------------------------------------------ */

static int group_fail(struct lsio_ctx *ctx, const char *uri)
{
	return lsio_fail(ctx, -LSIO_EJOB,
			 "store '%s': a Zarr group, not an array: name one of its arrays ('lsio zarr %s --list' shows them)",
			 uri, uri);
}

/* A v3 zarr.json of a group. */
static bool is_group(json_t *meta)
{
	const char *node = json_string_value(json_object_get(meta, "node_type"));

	return node && !strcmp(node, "group");
}

static int parse_at(struct zarr_gen *g, const char *path, const char *key,
		    json_t *meta)
{
	int ret;

	snprintf(g->meta_key, sizeof(g->meta_key), "%s", key);
	g->a.path = strdup(path);
	if (!g->a.path)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	ret = zarr_array_parse(g->ctx, g->store, key, meta, &g->a);
	json_decref(meta);
	return ret;
}

/* The array at the store's root: 0, -ENOENT when there is no Zarr
 * metadata there, or an error. */
static int open_here(struct zarr_gen *g, const char *uri)
{
	/* v2's and v3's asked together: one round trip to a remote store;
	 * .zgroup only when neither is there.  A refusal of one (a bucket
	 * without ListBucket answers 403 for a key it does not hold, which
	 * --missing-403 reads as missing) sends them one at a time, so the
	 * first found ends the search and a refusal names its key. */
	static const char *const keys[] = { ".zarray", "zarr.json" };
	json_t *meta[ARRAY_SIZE(keys)] = { NULL, NULL };
	int ret = zarr_store_jsons(g->ctx, g->store, keys, ARRAY_SIZE(keys), meta);

	for (size_t i = 0; ret && ret != -LSIO_EJOB && i < ARRAY_SIZE(keys); i++) {
		ret = zarr_store_json(g->ctx, g->store, keys[i], &meta[i]);
		if (ret == -ENOENT && i + 1 < ARRAY_SIZE(keys))
			ret = 1;	/* go on to the next */
		else if (ret == -ENOENT)
			ret = 0;
		else if (ret)
			return ret;	/* the first refusal names the key */
	}
	if (ret)
		return ret;
	if (meta[0] || meta[1]) {
		size_t i = meta[0] ? 0 : 1;

		json_decref(meta[1 - i]);
		if (i == 1 && is_group(meta[1])) {
			json_decref(meta[1]);
			return group_fail(g->ctx, uri);
		}
		return parse_at(g, "", keys[i], meta[i]);
	}
	ret = zarr_store_json(g->ctx, g->store, ".zgroup", &meta[0]);
	json_decref(meta[0]);
	return ret ? ret : group_fail(g->ctx, uri);
}

/* The array as a member of consolidated metadata (.zmetadata) in a parent
 * directory: root/.zmetadata lists "rel/.zarray". */
static int open_consolidated(struct zarr_gen *g, const char *uri,
			     const char *root, const char *rel)
{
	struct zarr_store *s;
	json_t *zm, *md, *meta;
	char key[ZARR_KEY_MAX];
	int ret = zarr_store_open(g->ctx, root, g->opt, &s);

	if (ret)
		return ret;
	ret = zarr_store_json(g->ctx, s, ".zmetadata", &zm);
	if (ret) {
		zarr_store_close(s);
		return -ENOENT;	/* none, or unreadable: not this way */
	}
	md = json_object_get(zm, "metadata");
	snprintf(key, sizeof(key), "%s/.zgroup", rel);
	if (json_object_get(md, key)) {
		json_decref(zm);
		zarr_store_close(s);
		return group_fail(g->ctx, uri);
	}
	snprintf(key, sizeof(key), "%s/.zarray", rel);
	meta = json_incref(json_object_get(md, key));
	json_decref(zm);
	if (!meta) {
		zarr_store_close(s);
		return -ENOENT;
	}
	zarr_store_close(g->store);
	g->store = s;
	snprintf(key, sizeof(key), "%s/.zarray (in .zmetadata)", rel);
	return parse_at(g, rel, key, meta);
}

/* Say so when the store itself is not there; -ENOENT when it is. */
static int open_missing(struct zarr_gen *g)
{
	char **names = NULL;
	int ret;

	if (!g->store->ops->list_dirs)
		return -ENOENT;
	ret = g->store->ops->list_dirs(g->store, "", &names);
	zarr_names_free(names);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return lsio_fail(g->ctx, -LSIO_EJOB, "store '%s': %s",
				 g->store->root, strerror(-ret));
	return -ENOENT;
}

static int open_array(struct zarr_gen *g, const char *uri)
{
	char *root;
	size_t n, top;
	int ret = zarr_store_open(g->ctx, uri, g->opt, &g->store);

	if (ret)
		return ret;
	ret = open_here(g, uri);
	if (ret != -ENOENT)
		return ret;
	root = strdup(g->store->root);
	if (!root)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	/* Walk up: "a.zarr/g/t" may be "t" in a.zarr/g or "g/t" in a.zarr
	 * (not above a URL's host or bucket). */
	top = zarr_store_top(root);
	for (n = strlen(root); ret == -ENOENT && n-- > top;) {
		if (root[n] != '/')
			continue;
		root[n] = 0;
		ret = open_consolidated(g, uri, root, root + n + 1);
		root[n] = '/';
	}
	free(root);
	if (ret == -ENOENT)
		ret = open_missing(g);
	if (ret == -ENOENT)
		ret = lsio_fail(g->ctx, -LSIO_EJOB,
				"store '%s': not a Zarr array or group (no .zarray, .zgroup or zarr.json)",
				g->store->root);
	return ret;
}

/* --- the job ------------------------------------------------------------------ */

/* Chunks the selection touches along one dimension, without listing
 * them: a step below the chunk size skips no chunk between the first
 * and the last; a wider one puts every index in a chunk of its own. */
static uint64_t segment_chunks(uint64_t start, uint64_t step, uint64_t n,
			       uint64_t csize)
{
	if (!n)
		return 0;
	if (step >= csize)
		return n;
	return (start + (n - 1) * step) / csize - start / csize + 1;
}

static uint64_t span_count(const struct zarr_dimsel *s, uint64_t csize)
{
	return segment_chunks(s->start, s->step, s->n, csize) +
	       segment_chunks(s->start2, s->step, s->n2, csize);
}

/* Refuse, before a byte is allocated for them, selections of more chunks
 * than a job can hold, saying how many. */
static int gen_check_count(struct zarr_gen *g)
{
	uint64_t total = 1, n;
	char dims[LSIO_MAX_DIMS * 22] = "";
	size_t len = 0;
	bool over = false;

	for (uint32_t d = 0; d < g->a.ndim; d++) {
		n = span_count(&g->sel[d], g->csize[d]);
		over |= !lsio_mul_ok(total, n, &total);
		len += (size_t)snprintf(dims + len, sizeof(dims) - len, "%s%llu",
					d ? " x " : "", (unsigned long long)n);
	}
	if (!over && total <= ZARR_ENTRIES_MAX)
		return 0;
	return zarr_fail(g->ctx, -LSIO_EJOB, g->store, g->meta_key,
			 "selection '%s' touches %s%llu chunks (%s); a job holds at most %llu: select less, or in parts",
			 g->select, over ? "more than " : "",
			 over ? (unsigned long long)UINT64_MAX : (unsigned long long)total,
			 dims, ZARR_ENTRIES_MAX);
}

static int gen_spans(struct zarr_gen *g)
{
	char why[LSIO_MSG_MAX / 2];
	int ret = zarr_select_parse(g->select, g->a.shape, g->a.ndim, g->sel,
				    why, sizeof(why));

	if (ret)
		return zarr_fail(g->ctx, ret, g->store, g->meta_key,
				 "selection '%s': %s", g->select, why);
	return zarr_gen_spans(g);
}

int zarr_gen_spans(struct zarr_gen *g)
{
	int ret;

	for (uint32_t d = 0; d < g->a.ndim; d++)
		g->csize[d] = g->a.sharded ? g->a.inner[d] : g->a.chunks[d];
	ret = gen_check_count(g);
	if (ret)
		return ret;
	for (uint32_t d = 0; d < g->a.ndim; d++) {
		if (zarr_spans(&g->sel[d], g->csize[d], &g->spans[d],
			       &g->nspans[d]))
			return lsio_fail(g->ctx, -ENOMEM, "out of memory");
		if (!g->nspans[d])
			return 1;	/* nothing selected */
	}
	return 0;
}

/* The output section: the selection's shape, the array's dtype and fill.
 * When the entries cover every element the fill value is never seen, and
 * null (zero) spares the sink filling the whole array first - a pass over
 * the output, page faults included, before any chunk is read.  Entries
 * that may find their chunk absent (a remote store's) cover it too, and
 * "prefill": false puts the fill value only where one is absent. */
char *zarr_gen_output(struct zarr_gen *g, const char *path)
{
	json_t *o = json_object(), *shape = json_array();
	json_t *dims = g->dims ? json_array() : NULL;
	json_t *fill = g->a.fill;
	uint64_t total = 1;
	char *text = NULL;

	for (uint32_t d = 0; shape && d < g->a.ndim; d++) {
		if (g->sel[d].drop)
			continue;
		json_array_append_new(shape, json_integer(
			(json_int_t)zarr_dimsel_count(&g->sel[d])));
		if (dims)
			json_array_append_new(dims, json_string(g->dims[d]));
		total *= zarr_dimsel_count(&g->sel[d]);
	}
	/* A reduction needs the fill value itself (--skip-fill, absent
	 * chunks) and has no array to prefill. */
	if (g->placed == total && !g->blind && !(g->opt && g->opt->reduce))
		fill = json_null();
	if (o && dims)
		json_object_set(o, "dims", dims);
	if (o && g->opt && g->opt->reduce)
		json_object_set_new(o, "reduce", lsio_reduce_json(
			g->opt->reduce, g->opt->skip_fill));
	if (o && g->placed == total && g->blind)
		json_object_set_new(o, "prefill", json_false());
	if (o && shape &&
	    !json_object_set_new(o, "type", json_string("array")) &&
	    (!path || !json_object_set_new(o, "path", json_string(path))) &&
	    !json_object_set_new(o, "dtype", json_string(g->a.dtype.str)) &&
	    !json_object_set(o, "shape", shape) &&
	    !json_object_set(o, "fill_value", fill))
		text = json_dumps(o, JSON_ENCODE_ANY);
	json_decref(o);
	json_decref(shape);
	json_decref(dims);
	return text;
}

char *zarr_gen_defaults(struct zarr_gen *g)
{
	json_t *o = json_object();
	char *text = NULL;

	if (o && !json_object_set(o, "stages", g->a.stages) &&
	    (!g->blind ||
	     !json_object_set_new(o, "missing", json_string(
		     g->opt && g->opt->missing_403 > 0 ? "fill-403" : "fill"))) &&
	    (g->a.order == 'C' ||
	     !json_object_set_new(o, "place", json_pack("{s:s}", "order", "F"))))
		text = json_dumps(o, 0);
	json_decref(o);
	return text;
}

int zarr_job_text(struct lsio_ctx *ctx, const struct lsio_options *opt,
		  char *out, char *def, const struct lsio_strbuf *entries,
		  char **job)
{
	struct lsio_strbuf b = { 0 };

	if (out && def) {
		lsio_strbuf_printf(&b, "{\n  \"lsio\": %d,\n  \"output\": %s,\n  \"defaults\": %s,\n",
			    LSIO_JOB_FORMAT, out, def);
		/* A public bucket read unsigned stays unsigned in the job. */
		lsio_job_s3_text(opt, &b);
		lsio_strbuf_printf(&b, "  \"chunks\": [");
		lsio_strbuf_add(&b, entries->p, entries->len);
		lsio_strbuf_printf(&b, "\n  ]\n}\n");
	}
	free(out);
	free(def);
	if (!out || !def || b.oom || entries->oom) {
		free(b.p);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	*job = b.p;
	return 0;
}

static void gen_release(struct zarr_gen *g)
{
	for (uint32_t d = 0; d < LSIO_MAX_DIMS; d++)
		free(g->spans[d]);
	free(g->chunks.p);
	zarr_array_release(&g->a);
	zarr_store_close(g->store);
}

int lsio_zarr_job(struct lsio_ctx *ctx, const char *array, const char *select,
		  const char *output, const struct lsio_options *opt,
		  char **job)
{
	struct zarr_gen g = { .ctx = ctx, .select = select ? select : "" };
	struct lsio_options known;
	int ret;

	*job = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	if (ret)
		return ret;
	g.opt = opt;
	ret = open_array(&g, array);
	if (!ret)
		ret = gen_spans(&g);
	if (!ret)
		ret = zarr_gen_entries(&g);
	if (ret == 1)
		ret = 0;
	if (!ret)
		ret = zarr_job_text(ctx, opt, zarr_gen_output(&g, output),
				    zarr_gen_defaults(&g), &g.chunks, job);
	gen_release(&g);
	return ret;
}
