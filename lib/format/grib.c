/* SPDX-License-Identifier: MIT */
/*
 * grib.c - lsio_grib_job() and lsio_grib_list(): the chosen messages of
 * GRIB2 sources as an lsio job, or as inventory lines.
 *
 * Like the Zarr generator, this writes only the public job format, so
 * `lsio grib --emit-job | lsio run -` does what `lsio grib` does.  A
 * chosen message is a chunk: its bytes, checked by stage grib2_check.
 * The messages' bytes concatenated need no sink of their own: they are an
 * array output of dtype |u1, format raw, each message placed at its
 * position in the file - written under a temporary name and renamed into
 * place only when every message was read, like any array, and read by
 * the planner, which merges adjacent messages of a source into one
 * request.  One file per message is the files output, each chunk named.
 */
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grib.h"

struct grib_gen {
	struct lsio_ctx *ctx;
	const struct lsio_grib_request *req;
	const struct lsio_options *opt;
	struct grib_src *srcs;
	uint32_t nsrcs;
	regex_t *re;
	uint32_t nre;
	uint64_t chosen;
	/* -o X.npy: the values' type, and the grid every chosen field is on
	 * (the first one's) with the shape of its values */
	struct lsio_dtype dt;
	struct grib_grid grid;
	uint64_t shape[2];
	uint32_t ndim;
};

static void gen_release(struct grib_gen *g)
{
	for (uint32_t i = 0; i < g->nsrcs; i++)
		grib_src_release(&g->srcs[i]);
	free(g->srcs);
	for (uint32_t i = 0; i < g->nre; i++)
		regfree(&g->re[i]);
	free(g->re);
}

static int gen_regexes(struct grib_gen *g)
{
	const struct lsio_grib_request *req = g->req;
	char why[256];
	int rc;

	g->re = calloc(MAX(req->nmatch, 1u), sizeof(*g->re));
	if (!g->re)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	for (; g->nre < req->nmatch; g->nre++) {
		rc = regcomp(&g->re[g->nre], req->match[g->nre],
			     REG_EXTENDED | REG_NOSUB);
		if (rc) {
			regerror(rc, &g->re[g->nre], why, sizeof(why));
			return lsio_fail(g->ctx, -LSIO_EUSAGE,
					 "--match '%s': %s", req->match[g->nre], why);
		}
	}
	return 0;
}

/* The line a regex sees: "N:OFFSET:TEXT". */
static bool msg_matches(struct grib_gen *g, const struct grib_msg *m,
			struct lsio_strbuf *line)
{
	if (!g->nre)
		return true;
	line->len = 0;
	lsio_strbuf_printf(line, "%s:%llu:%s", m->num,
			   (unsigned long long)m->off, m->text);
	for (uint32_t i = 0; !line->oom && i < g->nre; i++)
		if (!regexec(&g->re[i], line->p, 0, NULL, 0))
			return true;
	return false;
}

static int gen_select(struct grib_gen *g, struct grib_src *s)
{
	struct lsio_strbuf line = { 0 };

	for (size_t i = 0; i < s->nmsgs; i++) {
		s->msgs[i].selected = msg_matches(g, &s->msgs[i], &line);
	}
	if (line.oom) {
		lsio_strbuf_release(&line);
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	}
	lsio_strbuf_release(&line);
	return 0;
}

/* Sources handled several at once: their inventories parsed or scanned
 * (grib_srcs_open() fetched a host's in one round trip), the grids of
 * remote messages read. */
#define GRIB_THREADS 16

struct pool {
	struct grib_gen *g;
	int (*fn)(struct grib_gen *g, uint32_t i, void *arg);
	void *arg;
	uint32_t n;
	atomic_uint next;
	int *res;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	uint32_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->res[i] = lsio_canceled(p->g->ctx) ?
			lsio_fail(p->g->ctx, -LSIO_ECANCELED, "interrupted") :
			p->fn(p->g, i, p->arg);
	return NULL;
}

/* fn(g, i, arg) for i < n, several at once; the first failing i's error
 * is returned (its message may be another failing one's: each names its
 * own source). */
static int pool_run(struct grib_gen *g, uint32_t n,
		    int (*fn)(struct grib_gen *g, uint32_t i, void *arg),
		    void *arg)
{
	struct pool p = { .g = g, .fn = fn, .arg = arg, .n = n };
	pthread_t th[GRIB_THREADS];
	uint32_t nth = MIN(n, GRIB_THREADS), started = 0;
	int ret = 0;

	p.res = calloc(MAX(n, 1u), sizeof(*p.res));
	if (!p.res)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	atomic_init(&p.next, 0);
	while (started + 1 < nth &&
	       !pthread_create(&th[started], NULL, pool_worker, &p))
		started++;
	pool_worker(&p);
	for (uint32_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (uint32_t i = 0; !ret && i < n; i++)
		ret = p.res[i];
	free(p.res);
	return ret;
}

static int open_one(struct grib_gen *g, uint32_t i, void *arg)
{
	struct grib_src *s = &g->srcs[i];
	int ret;

	(void)arg;
	ret = grib_inventory(g->ctx, s, g->req->idx, g->opt);
	if (!ret)
		ret = gen_select(g, s);
	return ret;
}

static int gen_open(struct grib_gen *g)
{
	const struct lsio_grib_request *req = g->req;
	int ret;

	if (!req->nsources)
		return lsio_fail(g->ctx, -LSIO_EUSAGE, "grib: no source");
	if (req->idx && strcmp(req->idx, "none") && req->nsources > 1)
		return lsio_fail(g->ctx, -LSIO_EUSAGE,
				 "grib: --idx names the inventory of one source, not of %u",
				 req->nsources);
	ret = gen_regexes(g);
	if (ret)
		return ret;
	g->srcs = calloc(req->nsources, sizeof(*g->srcs));
	if (!g->srcs)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	g->nsrcs = req->nsources;
	ret = grib_srcs_open(g->ctx, g->srcs, g->nsrcs, req->sources, req->idx,
			     g->opt);
	if (!ret)
		ret = pool_run(g, g->nsrcs, open_one, NULL);
	for (uint32_t k = 0; !ret && k < g->nsrcs; k++)
		for (size_t i = 0; i < g->srcs[k].nmsgs; i++)
			g->chosen += g->srcs[k].msgs[i].selected;
	return ret;
}

/* --- the list ----------------------------------------------------------- */

int lsio_grib_list(struct lsio_ctx *ctx, const struct lsio_grib_request *req,
		   const struct lsio_options *opt, char **text)
{
	struct grib_gen g = { .ctx = ctx, .req = req };
	struct lsio_strbuf b = { 0 };
	struct lsio_options known;
	int ret;

	*text = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	g.opt = opt;
	if (!ret)
		ret = gen_open(&g);
	for (uint32_t k = 0; !ret && k < g.nsrcs; k++) {
		const struct grib_src *s = &g.srcs[k];

		for (size_t i = 0; i < s->nmsgs; i++) {
			const struct grib_msg *m = &s->msgs[i];

			if (!m->selected)
				continue;
			if (g.nsrcs > 1)
				lsio_strbuf_printf(&b, "%s:", s->uri);
			lsio_strbuf_printf(&b, "%s:%llu:%s", m->num,
					   (unsigned long long)m->off, m->text);
			if (req->lengths)
				lsio_strbuf_printf(&b, "len=%llu:",
						   (unsigned long long)m->len);
			lsio_strbuf_printf(&b, "\n");
		}
	}
	lsio_strbuf_add(&b, "", 0);
	if (!ret && b.oom)
		ret = lsio_fail(ctx, -ENOMEM, "out of memory");
	gen_release(&g);
	if (ret) {
		lsio_strbuf_release(&b);
		return ret;
	}
	*text = b.p ? b.p : strdup("");
	return *text ? 0 : lsio_fail(ctx, -ENOMEM, "out of memory");
}

/* --- grids (-o X.npy) -------------------------------------------------- */

/* A chosen field: its source, its inventory entry. */
struct pick {
	struct grib_src *s;
	size_t i;
};

/* The chosen fields whose grid is not known yet, of the sources that
 * can (batch) or cannot read ranges at once. */
static uint32_t picks_of(struct grib_gen *g, bool batch, struct pick *p)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < g->nsrcs; k++) {
		struct grib_src *s = &g->srcs[k];

		if (!s->store->ops->read_ranges != !batch)
			continue;
		for (size_t i = 0; i < s->nmsgs; i++)
			if (s->msgs[i].selected && !s->msgs[i].grid.known)
				p[n++] = (struct pick){ s, i };
	}
	return n;
}

static int grid_one(struct grib_gen *g, uint32_t k, void *arg)
{
	struct pick *p = arg;

	return grib_msg_grid(g->ctx, p[k].s, p[k].i, NULL, 0);
}

/* Ranges read in one batch at most. */
#define GRID_BATCH 1024

/* The first bytes of n of source s's messages in one batch (remote: the
 * GETs all in flight), then each message walked from them. */
static int grids_batch(struct grib_gen *g, struct grib_src *s,
		       const struct pick *p, uint32_t n)
{
	uint64_t offs[GRID_BATCH];
	uint32_t lens[GRID_BATCH];
	uint8_t *bufs[GRID_BATCH] = { NULL };
	uint32_t k;
	int ret = 0;

	for (k = 0; !ret && k < n; k++) {
		const struct grib_msg *m = &s->msgs[p[k].i];

		offs[k] = m->off;
		lens[k] = (uint32_t)MIN(m->len, (uint64_t)GRIB_SCAN_WINDOW);
		bufs[k] = malloc(MAX(lens[k], 1u));
		if (!bufs[k])
			ret = lsio_fail(g->ctx, -ENOMEM, "out of memory");
	}
	if (!ret)
		ret = s->store->ops->read_ranges(s->store, s->key, offs, lens,
						 bufs, n);
	if (ret && !zarr_said(ret))
		ret = lsio_fail(g->ctx, -LSIO_ESOURCE, "'%s': %s", s->uri,
				strerror(-ret));
	for (k = 0; !ret && k < n; k++) {
		ret = grib_msg_grid(g->ctx, s, p[k].i, bufs[k], lens[k]);
		bufs[k] = NULL;
	}
	for (k = 0; k < n; k++)
		free(bufs[k]);
	return ret;
}

/* Source k's picks (they are in source order, a sentinel after them). */
static int grids_src(struct grib_gen *g, uint32_t k, void *arg)
{
	struct grib_src *s = &g->srcs[k];
	struct pick *p = arg;
	uint32_t n = 0, j;
	int ret = 0;

	while (p->s && p->s != s)
		p++;
	while (p[n].s == s)
		n++;
	for (j = 0; !ret && j < n; j += GRID_BATCH)
		ret = grids_batch(g, s, p + j, MIN(n - j, (uint32_t)GRID_BATCH));
	return ret;
}

/* Read the grids a scan has not: one small read per message, several at
 * once (a remote source's in batches of GETs all in flight, local ones
 * by the pool). */
static int grids_read(struct grib_gen *g)
{
	struct pick *p = calloc(g->chosen + 1, sizeof(*p));
	uint32_t n;
	int ret;

	if (!p)
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	n = picks_of(g, false, p);
	ret = pool_run(g, n, grid_one, p);
	n = ret ? 0 : picks_of(g, true, p);
	p[n].s = NULL;
	if (n)
		ret = pool_run(g, g->nsrcs, grids_src, p);
	free(p);
	return ret;
}

static bool grid_same(const struct grib_grid *a, const struct grib_grid *b)
{
	return a->sec3_len == b->sec3_len &&
	       !memcmp(a->sec3 + 5, b->sec3 + 5, a->sec3_len - 5);
}

static int grids_differ(struct grib_gen *g, const struct grib_src *s,
			const struct grib_msg *m, const struct grib_src *s0,
			const struct grib_msg *m0)
{
	char w[64], w0[64];

	grib_grid_words(&m->grid, w, sizeof(w));
	grib_grid_words(&m0->grid, w0, sizeof(w0));
	return lsio_fail(g->ctx, -LSIO_EJOB,
			 "message %s of '%s' is on grid %s, message %s of '%s' is on %s%s: the values of one .npy share a grid (choose with --match)",
			 m->num, s->uri, w, m0->num, s0->uri, w0,
			 strcmp(w, w0) ? "" : " (section 3 differs)");
}

/* Every chosen field's grid, which must be one grid: its shape is the
 * slices' shape. */
static int gen_grids(struct grib_gen *g)
{
	const struct grib_src *s0 = NULL;
	const struct grib_msg *m0 = NULL;
	char why[LSIO_MSG_MAX / 2];
	int ret = grids_read(g);

	for (uint32_t k = 0; !ret && k < g->nsrcs; k++) {
		const struct grib_src *s = &g->srcs[k];

		for (size_t i = 0; !ret && i < s->nmsgs; i++) {
			const struct grib_msg *m = &s->msgs[i];

			if (!m->selected)
				continue;
			if (!m0) {
				s0 = s;
				m0 = m;
			} else if (!grid_same(&m->grid, &m0->grid)) {
				ret = grids_differ(g, s, m, s0, m0);
			}
		}
	}
	if (ret)
		return ret;
	g->grid = m0->grid;
	g->ndim = grib_grid_shape(&g->grid, g->shape, why, sizeof(why));
	if (!g->ndim)
		return grib_fail(g->ctx, -LSIO_EDATA, s0, m0->num, m0->off,
				 "%s", why);
	return 0;
}

/* --- the job --------------------------------------------------------------- */

enum grib_out { GRIB_OUT_CAT, GRIB_OUT_DIR, GRIB_OUT_NPY };

static enum grib_out output_kind(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	struct stat st;

	if (!n)
		return GRIB_OUT_CAT;
	if (path[n - 1] == '/' || (!stat(path, &st) && S_ISDIR(st.st_mode)))
		return GRIB_OUT_DIR;
	if (n > 4 && !strcmp(path + n - 4, ".npy"))
		return GRIB_OUT_NPY;
	return GRIB_OUT_CAT;
}

/* s as a JSON string, appended. */
static void put_json_string(struct lsio_strbuf *b, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	if (t)
		lsio_strbuf_add(b, t, strlen(t));
	else
		b->oom = true;
	free(t);
	json_decref(j);
}

/* "gfs.f006.12.grib2": the source's name without a GRIB extension, the
 * message's number without a field suffix. */
static void put_file_name(struct lsio_strbuf *b, const struct grib_src *s,
			  const struct grib_msg *m)
{
	static const char *const exts[] = { ".grib2", ".grb2", ".grib", ".grb" };
	size_t n = strlen(s->key), k = strcspn(m->num, ".");
	char name[512];

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t e = strlen(exts[i]);

		if (n > e && !strcmp(s->key + n - e, exts[i])) {
			n -= e;
			break;
		}
	}
	snprintf(name, sizeof(name), "%.*s.%.*s.grib2", (int)MIN(n, 400u),
		 s->key, (int)MIN(k, 24u), m->num);
	put_json_string(b, name);
}

struct job_pos {
	uint64_t nchunks;
	uint64_t at;		/* the next message's offset in the output */
};

/* --reduce, as the output's "reduce" (-o X.npy). */
static void put_reduce(struct lsio_strbuf *b, const struct grib_gen *g)
{
	json_t *r;
	char *text;

	if (!g->opt || !g->opt->reduce)
		return;
	r = lsio_reduce_json(g->opt->reduce, g->opt->skip_fill);
	text = r ? json_dumps(r, JSON_ENCODE_ANY) : NULL;
	if (text)
		lsio_strbuf_printf(b, ", \"reduce\": %s", text);
	free(text);
	json_decref(r);
}

/* A field decoded into slice pos->nchunks of the (fields, ...) array. */
static void put_npy_chunk(struct lsio_strbuf *b, const struct grib_gen *g,
			  const struct grib_src *s, const struct grib_msg *m,
			  struct job_pos *pos)
{
	lsio_strbuf_printf(b, "%s\n    {\"source\": ", pos->nchunks ? "," : "");
	put_json_string(b, s->uri);
	lsio_strbuf_printf(b, ", \"offset\": %llu, \"length\": %llu, \"stages\": [{\"codec\": \"grib2_check\", \"message\": ",
			   (unsigned long long)m->off, (unsigned long long)m->len);
	put_json_string(b, m->num);
	lsio_strbuf_printf(b, "}, {\"codec\": \"grib2\", \"field\": %u}], \"place\": {\"shape\": [1",
			   grib_field_of(m));
	for (uint32_t d = 0; d < g->ndim; d++)
		lsio_strbuf_printf(b, ", %llu", (unsigned long long)g->shape[d]);
	lsio_strbuf_printf(b, "], \"to\": [%llu%s]}}",
			   (unsigned long long)pos->nchunks++,
			   g->ndim == 2 ? ", 0, 0" : ", 0");
}

static void put_chunk(struct lsio_strbuf *b, const struct grib_src *s,
		      const struct grib_msg *m, enum grib_out kind,
		      struct job_pos *pos)
{
	lsio_strbuf_printf(b, "%s\n    {\"source\": ", pos->nchunks++ ? "," : "");
	put_json_string(b, s->uri);
	lsio_strbuf_printf(b, ", \"offset\": %llu, \"length\": %llu, \"stages\": [{\"codec\": \"grib2_check\", \"message\": ",
			   (unsigned long long)m->off, (unsigned long long)m->len);
	put_json_string(b, m->num);
	lsio_strbuf_printf(b, "}], ");
	if (kind == GRIB_OUT_DIR) {
		lsio_strbuf_printf(b, "\"name\": ");
		put_file_name(b, s, m);
	} else {
		lsio_strbuf_printf(b, "\"place\": {\"shape\": [%llu], \"to\": [%llu]}",
				   (unsigned long long)m->len,
				   (unsigned long long)pos->at);
	}
	lsio_strbuf_printf(b, "}");
	pos->at += m->len;
}

/* The chunks: chosen messages in source order, then message order; the
 * fields of one message (one offset) once, except when decoded: then
 * each field is its own chunk and slice. */
static void put_chunks(struct grib_gen *g, struct lsio_strbuf *b,
		       enum grib_out kind, struct job_pos *pos)
{
	for (uint32_t k = 0; k < g->nsrcs; k++) {
		const struct grib_src *s = &g->srcs[k];
		const struct grib_msg *last = NULL;

		for (size_t i = 0; i < s->nmsgs; i++) {
			const struct grib_msg *m = &s->msgs[i];

			if (!m->selected)
				continue;
			if (kind == GRIB_OUT_NPY) {
				put_npy_chunk(b, g, s, m, pos);
				continue;
			}
			if (last && last->off == m->off)
				continue;
			put_chunk(b, s, m, kind, pos);
			last = m;
		}
	}
}

static void put_output(struct grib_gen *g, struct lsio_strbuf *b,
		       enum grib_out kind, uint64_t total)
{
	const char *path = g->req->output;

	if (kind == GRIB_OUT_DIR) {
		lsio_strbuf_printf(b, "{\"type\": \"files\", \"dir\": ");
		put_json_string(b, path);
		lsio_strbuf_printf(b, "}");
		return;
	}
	lsio_strbuf_printf(b, "{\"type\": \"array\", ");
	if (kind == GRIB_OUT_NPY) {
		/* Every element is some field's: no fill pass. */
		lsio_strbuf_printf(b, "\"path\": ");
		put_json_string(b, path);
		lsio_strbuf_printf(b, ", \"dtype\": \"%s\", \"shape\": [%llu",
				   g->dt.str, (unsigned long long)total);
		for (uint32_t d = 0; d < g->ndim; d++)
			lsio_strbuf_printf(b, ", %llu",
					   (unsigned long long)g->shape[d]);
		lsio_strbuf_printf(b, "], \"fill_value\": null");
		put_reduce(b, g);
		lsio_strbuf_printf(b, "}");
		return;
	}
	if (path) {
		lsio_strbuf_printf(b, "\"path\": ");
		put_json_string(b, path);
		lsio_strbuf_printf(b, ", ");
	}
	/* Every byte is some message's: no fill pass before the reads. */
	lsio_strbuf_printf(b, "\"dtype\": \"|u1\", \"shape\": [%llu], \"format\": \"raw\", \"fill_value\": null}",
			   (unsigned long long)total);
}

static int nothing_chosen(struct grib_gen *g)
{
	if (g->nsrcs == 1)
		return lsio_fail(g->ctx, -LSIO_ESOURCE,
				 "'%s': no message matches (of %zu)",
				 g->srcs[0].uri, g->srcs[0].nmsgs);
	return lsio_fail(g->ctx, -LSIO_ESOURCE,
			 "no message of the %u sources matches", g->nsrcs);
}

static int job_text(struct grib_gen *g, enum grib_out kind, char **job)
{
	struct lsio_strbuf chunks = { 0 }, b = { 0 };
	struct job_pos pos = { 0 };

	put_chunks(g, &chunks, kind, &pos);
	lsio_strbuf_printf(&b, "{\n  \"lsio\": %d,\n  \"output\": ", LSIO_JOB_FORMAT);
	put_output(g, &b, kind, kind == GRIB_OUT_NPY ? pos.nchunks : pos.at);
	lsio_strbuf_printf(&b, ",\n");
	lsio_job_s3_text(g->opt, &b);
	lsio_strbuf_printf(&b, "  \"chunks\": [");
	lsio_strbuf_add(&b, chunks.p, chunks.len);
	lsio_strbuf_printf(&b, "\n  ]\n}\n");
	if (chunks.oom || b.oom) {
		lsio_strbuf_release(&chunks);
		lsio_strbuf_release(&b);
		return lsio_fail(g->ctx, -ENOMEM, "out of memory");
	}
	lsio_strbuf_release(&chunks);
	*job = b.p;
	return 0;
}

/* -o X.npy needs what its options mean before anything is read. */
static int npy_check(struct grib_gen *g, enum grib_out kind)
{
	const struct lsio_grib_request *req = g->req;

	if (kind != GRIB_OUT_NPY && (req->dtype || req->coords))
		return lsio_fail(g->ctx, -LSIO_EUSAGE, "%s goes with -o X.npy (decoded values)",
				 req->dtype ? "--dtype" : "--coords");
	if (kind != GRIB_OUT_NPY)
		return 0;
	if (lsio_dtype_parse(req->dtype ? req->dtype : "<f4", &g->dt) ||
	    g->dt.kind != 'f' || g->dt.order == '>' ||
	    (g->dt.size != 4 && g->dt.size != 8))
		return lsio_fail(g->ctx, -LSIO_EUSAGE,
				 "--dtype '%s': decoded values are '<f4' or '<f8'",
				 req->dtype);
	return 0;
}

int lsio_grib_job(struct lsio_ctx *ctx, const struct lsio_grib_request *req,
		  const struct lsio_options *opt, char **job,
		  struct lsio_grib_coords **coords)
{
	struct grib_gen g = { .ctx = ctx, .req = req };
	enum grib_out kind = output_kind(req->output);
	struct lsio_options known;
	int ret;

	*job = NULL;
	if (coords)
		*coords = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	g.opt = opt;
	if (!ret)
		ret = npy_check(&g, kind);
	if (!ret)
		ret = gen_open(&g);
	if (!ret && !g.chosen)
		ret = nothing_chosen(&g);
	if (!ret && kind == GRIB_OUT_NPY)
		ret = gen_grids(&g);
	if (!ret && kind == GRIB_OUT_NPY && req->coords && coords)
		ret = grib_coords_new(ctx, &g.grid, req->output, coords);
	if (!ret)
		ret = job_text(&g, kind, job);
	gen_release(&g);
	return ret;
}
