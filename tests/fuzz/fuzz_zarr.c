/* SPDX-License-Identifier: MIT */
/*
 * fuzz_zarr.c - libFuzzer target: Zarr metadata and a selection into job
 * entries, as `lsio zarr` makes them: v2 .zarray and v3 zarr.json parsing
 * (lib/format/zarr_meta.c, zarr_v2.c, zarr_v3.c), selections
 * (zarr_select.c), placements (zarr_place.c), and for sharded arrays the
 * shard index (zarr_shard.c) - through the internal entry points, over a
 * store in memory, so no file is touched.
 *
 * Input: the metadata's JSON text, a NUL, the selection ("0:24, -1, ::2"),
 * a NUL, then the bytes every key of the store holds (each chunk and shard
 * is this blob; with no blob, no key exists).
 *
 * Besides the sanitizers, what the generator writes is checked: the
 * array's stage chain parses, and the job made of its entries loads - a
 * generator must never emit a job lsio refuses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/zarr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Selections that would make more than this many entries are not
 * generated: the fuzzer wants many small runs, not one huge job. */
#define MAX_ELEMENTS (1u << 14)
#define MAX_CHUNKS 4096u

/* --- a store in memory: every key holds the same bytes ----------------- */

struct mem_store {
	struct zarr_store s;
	const uint8_t *blob;
	size_t len;
};

static int mem_read(struct zarr_store *s, const char *key, uint64_t off,
		    uint64_t n, uint8_t **buf, size_t *len)
{
	const struct mem_store *m = (const struct mem_store *)s;
	size_t take = 0;

	*buf = NULL;
	*len = 0;
	if (!m->len)
		return -ENOENT;
	if (off < m->len)
		take = (size_t)MIN(n, m->len - off);
	*buf = malloc(take ? take : 1);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, m->blob + (take ? off : 0), take);
	*len = take;
	return 0;
}

static int mem_size(struct zarr_store *s, const char *key, uint64_t *size)
{
	const struct mem_store *m = (const struct mem_store *)s;

	if (!m->len)
		return -ENOENT;
	*size = m->len;
	return 0;
}

static void mem_close(struct zarr_store *s)
{
}

static const struct zarr_store_ops mem_ops = {
	.name = "memory",
	.read = mem_read,
	.size = mem_size,
	.close = mem_close,
};

/* --- the generator, as lsio_zarr_job() runs it ------------------------- */

/* Split data at the first NUL: *part is a C string (malloc'd). */
static const uint8_t *take_part(const uint8_t *p, const uint8_t *end,
				char **part)
{
	const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
	size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);

	*part = malloc(n + 1);
	if (*part) {
		memcpy(*part, p, n);
		(*part)[n] = '\0';
	}
	return nul ? nul + 1 : end;
}

/* Small enough to generate quickly?  Also the spans, as gen_spans(). */
static bool spans_make(struct zarr_gen *g)
{
	uint64_t elements = 1, chunks = 1;

	for (uint32_t d = 0; d < g->a.ndim; d++) {
		const struct zarr_dimsel *s = &g->sel[d];

		g->csize[d] = g->a.sharded ? g->a.inner[d] : g->a.chunks[d];
		if (!s->n)
			return false;	/* nothing selected */
		elements *= MIN(s->n, MAX_ELEMENTS + 1);
		if (elements > MAX_ELEMENTS)
			return false;
		if (zarr_spans(s, g->csize[d], &g->spans[d], &g->nspans[d]))
			return false;
		chunks *= g->nspans[d];
		if (chunks > MAX_CHUNKS || !g->nspans[d])
			return false;
	}
	return true;
}

/* Unsharded: every chunk the spans touch (gen_plain in zarr.c). */
static int gen_plain(struct zarr_gen *g)
{
	const struct zarr_span *sp[LSIO_MAX_DIMS];
	uint64_t idx[LSIO_MAX_DIMS], size;
	size_t pos[LSIO_MAX_DIMS] = { 0 };
	char key[ZARR_KEY_MAX];
	int ret;

	do {
		for (uint32_t d = 0; d < g->a.ndim; d++) {
			sp[d] = &g->spans[d][pos[d]];
			idx[d] = sp[d]->chunk;
		}
		if (zarr_chunk_key(&g->a, idx, key, sizeof(key)))
			return -LSIO_EJOB;
		if (g->store->ops->size(g->store, key, &size))
			continue;
		ret = zarr_gen_chunk(g, sp, key, 0, size);
		if (ret)
			return ret;
	} while (zarr_odometer_next(pos, g->nspans, g->a.ndim));
	return 0;
}

/* The job around the entries (job_text in zarr.c), which must load.  One
 * refusal is the data's fault, not the generator's: an uncompressed chunk
 * of the wrong size (issue 10, defect 7: the loader calls it an invalid
 * job; it belongs at run time, as a data error). */
static void check_job(struct zarr_gen *g)
{
	json_t *shape = json_array(), *job;
	struct lsio_job *loaded = NULL;
	uint64_t total = 1;
	char *text;

	for (uint32_t d = 0; d < g->a.ndim; d++) {
		if (g->sel[d].drop)
			continue;
		json_array_append_new(shape, json_integer((json_int_t)g->sel[d].n));
		total *= g->sel[d].n;
	}
	job = json_pack("{s:i, s:{s:s, s:s, s:s, s:o, s:O}, s:{s:O, s:{s:s#}}, s:[]}",
			"lsio", LSIO_JOB_FORMAT, "output", "type", "array",
			"path", "out.npy", "dtype", g->a.dtype.str, "shape", shape,
			"fill_value", g->placed == total ? json_null() : g->a.fill,
			"defaults", "stages", g->a.stages, "place", "order",
			&g->a.order, 1, "chunks");
	text = job ? json_dumps(job, JSON_COMPACT) : NULL;
	json_decref(job);
	if (!text)
		return;
	/* Splice the entries (JSON text) into the empty list at the end. */
	if (g->chunks.len) {
		size_t n = strlen(text);
		char *full = malloc(n + g->chunks.len + 1);

		if (!full || n < 3 || strcmp(text + n - 3, "[]}"))
			abort();
		memcpy(full, text, n - 2);
		memcpy(full + n - 2, g->chunks.p, g->chunks.len);
		strcpy(full + n - 2 + g->chunks.len, "]}");
		free(text);
		text = full;
	}
	if (lsio_job_load_string(g->ctx, text, "zarr-job.json", &loaded) &&
	    !strstr(lsio_ctx_message(g->ctx), "no stage changes the size")) {
		fprintf(stderr, "generated job does not load: %s\n%s\n",
			lsio_ctx_message(g->ctx), text);
		abort();
	}
	lsio_job_free(loaded);
	free(text);
}

static void generate(struct zarr_gen *g)
{
	struct lsio_chain chain;
	char why[256];
	int ret;

	/* Parsed metadata promises a chain lsio can run. */
	if (lsio_chain_parse(g->ctx, "stages", g->a.stages, &chain)) {
		fprintf(stderr, "the array's stages do not parse: %s\n",
			lsio_ctx_message(g->ctx));
		abort();
	}
	lsio_chain_release(&chain);
	if (zarr_select_parse(g->select, g->a.shape, g->a.ndim, g->sel, why,
			      sizeof(why)))
		return;
	if (!spans_make(g))
		return;
	ret = g->a.sharded ? zarr_gen_sharded(g) : gen_plain(g);
	if (getenv("LSIO_FUZZ_VERBOSE"))
		fprintf(stderr, "%d %s: %llu entries\n", ret,
			lsio_ctx_message(g->ctx), (unsigned long long)g->nentries);
	if (!ret)
		check_job(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct mem_store ms = { .s = { .ops = &mem_ops, .root = "mem.zarr" } };
	struct zarr_gen g = { .ctx = lsio_ctx_new(), .store = &ms.s };
	char *meta_text = NULL, *select = NULL;
	json_t *meta;

	p = take_part(p, end, &meta_text);
	p = take_part(p, end, &select);
	ms.blob = p;
	ms.len = (size_t)(end - p);
	meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
	g.a.path = strdup("");
	g.select = select;
	snprintf(g.meta_key, sizeof(g.meta_key), "zarr.json");
	if (g.ctx && meta && select && g.a.path &&
	    !zarr_array_parse(g.ctx, g.store, g.meta_key, meta, &g.a))
		generate(&g);
	json_decref(meta);
	for (uint32_t d = 0; d < LSIO_MAX_DIMS; d++)
		free(g.spans[d]);
	free(g.chunks.p);
	zarr_array_release(&g.a);
	lsio_ctx_free(g.ctx);
	free(meta_text);
	free(select);
	return 0;
}
