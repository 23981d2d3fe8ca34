/* SPDX-License-Identifier: MIT */
/*
 * plan_describe.c - what `lsio plan` prints: per storage class, the chunks,
 * the requests after merging and splitting, bytes requested vs read (read
 * amplification) and the largest request; with VERBOSE every request and
 * the chunks it serves.  The JSON form has the same content, so plans can
 * be diffed.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct class_sum {
	uint64_t chunks, units, requests, requested, read, largest;
	uint64_t to_end;	/* chunks without a length: known once read */
	uint64_t may_miss;	/* chunks an absent source leaves as fill */
	bool direct_any;
};

static void class_sums(const struct lsio_plan *p, struct class_sum *sum)
{
	const struct lsio_job *job = p->job;

	memset(sum, 0, sizeof(*sum) * LSIO_CLASS_COUNT);
	for (uint64_t i = 0; i < job->nchunks; i++) {
		const struct lsio_chunk *c = &job->chunks[i];
		const struct lsio_source_facts *f = &p->facts[c->source];
		struct class_sum *s = &sum[f->class_id];
		uint64_t len = lsio_chunk_len(p, c);

		if (f->absent || !lsio_shard_takes(&p->shard, i))
			continue;	/* said above the table; another part's */
		s->chunks++;
		if (len != LSIO_LEN_EOF)	/* else unknown until read */
			s->requested += len;
		s->may_miss += c->missing != LSIO_MISSING_ERROR;
	}
	for (uint64_t i = 0; i < p->nunits; i++) {
		const struct lsio_unit *u = &p->units[i];
		struct class_sum *s = &sum[p->facts[u->source].class_id];

		s->units++;
		s->requests += u->nparts;
		s->to_end += u->to_eof;
		if (u->to_eof)
			continue;	/* its length is its object's */
		s->read += u->len;
		s->largest = MAX(s->largest, u->len);
		s->direct_any |= u->direct;
	}
}

static json_t *class_json(const struct lsio_plan *p, int c,
			  const struct class_sum *s)
{
	const struct lsio_class_params *cp = &p->cls[c];

	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:{s:I,s:I,s:I,s:I,s:i,s:i,s:b}}",
		"class", lsio_class_name(c),
		"why", p->class_why[c],
		"chunks", (json_int_t)s->chunks,
		"units", (json_int_t)s->units,
		"requests", (json_int_t)s->requests,
		"bytes_requested", (json_int_t)s->requested,
		"bytes_read", (json_int_t)s->read,
		"chunks_to_end", (json_int_t)s->to_end,
		"chunks_may_be_absent", (json_int_t)s->may_miss,
		"read_amplification", s->requested ? (double)s->read / (double)s->requested : 1.0,
		"largest_request", (json_int_t)s->largest,
		"settings",
		"coalesce_gap", (json_int_t)cp->coalesce_gap,
		"max_request", (json_int_t)cp->max_request,
		"split", (json_int_t)cp->split,
		"part_size", (json_int_t)cp->part_size,
		"queue_depth", (int)cp->queue_depth,
		"align", (int)cp->align,
		"offset_order", cp->offset_order);
}

static json_t *requests_json(const struct lsio_plan *p)
{
	json_t *list = json_array();

	for (uint64_t i = 0; list && i < p->nunits; i++) {
		const struct lsio_unit *u = &p->units[i];
		json_t *chunks = json_array();
		char nbuf[1024];

		for (uint32_t k = 0; chunks && k < u->count; k++)
			json_array_append_new(chunks,
				json_integer((json_int_t)p->unit_chunks[u->first + k]));
		json_array_append_new(list, json_pack("{s:s,s:I,s:I,s:i,s:b,s:o}",
			"source", lsio_url_redact(p->job->sources[u->source].path,
						  nbuf, sizeof(nbuf)),
			"offset", (json_int_t)u->off,
			"length", (json_int_t)u->len,
			"parts", (int)u->nparts,
			"direct", u->direct,
			"chunks", chunks));
	}
	return list;
}

/* {"s3": "environment", "gcs": "none: anonymous requests"}: where each
 * kind of source's credentials come from, NULL when no source has any. */
static json_t *creds_json(const struct lsio_plan *p)
{
	json_t *o = json_object();
	const char *kind;
	char creds[768];
	int ret;

	for (unsigned k = 0; o && (ret = lsio_remote_creds(p->remote, k, &kind, creds,
							   sizeof(creds))) >= 0; k++)
		if (ret)
			json_object_set_new(o, kind, json_string(creds));
	if (o && !json_object_size(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *describe_json(const struct lsio_plan *p, unsigned flags)
{
	static const char *const direct[] = { "off", "on", "auto" };
	struct class_sum sum[LSIO_CLASS_COUNT];
	json_t *root, *classes = json_array();
	char *text;

	class_sums(p, sum);
	for (int c = 0; c < LSIO_CLASS_COUNT; c++)
		if (sum[c].chunks)
			json_array_append_new(classes, class_json(p, c, &sum[c]));
	root = json_pack("{s:i,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		"workers", p->opt.workers,
		"memory_bytes", (json_int_t)p->opt.memory,
		"backend", p->opt.backend,
		"direct", direct[p->opt.direct],
		"chunks", (json_int_t)p->shard.ntaken,
		"requests", (json_int_t)p->nrequests,
		"bytes_requested", (json_int_t)p->bytes_requested,
		"bytes_read", (json_int_t)p->bytes_read,
		"largest_request", (json_int_t)p->max_unit_len,
		"chunks_absent", (json_int_t)p->chunks_absent,
		"classes", classes);
	if (root && p->shard.n > 1)
		json_object_set_new(root, "shard", json_pack("{s:i,s:i,s:I}",
			"index", (int)p->shard.k, "count", (int)p->shard.n,
			"job_chunks", (json_int_t)p->job->nchunks));
	if (root && (flags & LSIO_DESCRIBE_VERBOSE)) {
		json_t *creds = creds_json(p);

		if (creds)
			json_object_set_new(root, "credentials", creds);
		json_object_set_new(root, "units", requests_json(p));
	}
	text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	return text;
}

/* A growing text buffer, for the table. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void text_add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *q;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = MAX(2 * t->cap, t->len + (size_t)n + 256);
		q = realloc(t->p, t->cap);
		if (!q) {
			t->oom = true;
			return;
		}
		t->p = q;
	}
}

static void human(char *buf, size_t cap, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

static void describe_class(struct text *t, const struct lsio_plan *p, int c,
			   const struct class_sum *s)
{
	const struct lsio_class_params *cp = &p->cls[c];
	char req[32], rd[32], big[32], gap[32], max[32], split[32];

	human(req, sizeof(req), s->requested);
	human(rd, sizeof(rd), s->read);
	human(big, sizeof(big), s->largest);
	human(gap, sizeof(gap), cp->coalesce_gap);
	human(max, sizeof(max), cp->max_request);
	human(split, sizeof(split), cp->split);
	text_add(t, "%-10s %10llu %10llu %12s %12s %7.3f %12s\n",
		 lsio_class_name(c), (unsigned long long)s->chunks,
		 (unsigned long long)s->requests, req, rd,
		 s->requested ? (double)s->read / (double)s->requested : 1.0, big);
	text_add(t, "           why: %s\n", p->class_why[c]);
	if (c == LSIO_CLASS_REMOTE) {
		human(big, sizeof(big), p->remote_merge_cap);
		text_add(t, "           merges up to %s: the memory share of one request in flight (memory / workers / queue depth)\n",
			 big);
	}
	if (s->to_end)
		text_add(t, "           %llu chunks without a length: each read to its object's end, its size known only then\n",
			 (unsigned long long)s->to_end);
	if (s->may_miss)
		text_add(t, "           %llu chunks may find their source absent (\"missing\"): the fill value stays there\n",
			 (unsigned long long)s->may_miss);
	text_add(t, "           coalesce gap %s%s, max request %s%s, split %s%s, queue depth %u, %s\n",
		 cp->coalesce_gap ? gap : "off", "",
		 cp->max_request ? max : "off", "",
		 cp->split ? split : "off", "", cp->queue_depth,
		 s->direct_any ? "O_DIRECT" : "buffered");
}

static char *describe_text(const struct lsio_plan *p, unsigned flags)
{
	static const char *const direct[] = { "off", "on", "auto" };
	struct class_sum sum[LSIO_CLASS_COUNT];
	struct text t = { 0 };
	const char *kind;
	char creds[768];
	int ret;

	class_sums(p, sum);
	if (p->shard.n > 1)
		text_add(&t, "part %u of %u: %llu of the job's %llu chunks\n",
			 p->shard.k, p->shard.n,
			 (unsigned long long)p->shard.ntaken,
			 (unsigned long long)p->job->nchunks);
	text_add(&t, "%llu chunks -> %llu requests; %d workers, %s backend, direct %s\n\n",
		 (unsigned long long)p->shard.ntaken,
		 (unsigned long long)p->nrequests, p->opt.workers,
		 p->opt.backend, direct[p->opt.direct]);
	for (unsigned k = 0; (flags & LSIO_DESCRIBE_VERBOSE) &&
	     (ret = lsio_remote_creds(p->remote, k, &kind, creds, sizeof(creds))) >= 0; k++)
		if (ret)
			text_add(&t, "%s credentials: %s\n\n", kind, creds);
	if (p->chunks_absent)
		text_add(&t, "%llu chunks of sources that do not exist: the fill value, nothing read\n\n",
			 (unsigned long long)p->chunks_absent);
	text_add(&t, "%-10s %10s %10s %12s %12s %7s %12s\n", "class", "chunks",
		 "requests", "requested", "read", "amplif", "largest");
	for (int c = 0; c < LSIO_CLASS_COUNT; c++)
		if (sum[c].chunks)
			describe_class(&t, p, c, &sum[c]);
	for (uint64_t i = 0; (flags & LSIO_DESCRIBE_VERBOSE) && i < p->nunits; i++) {
		const struct lsio_unit *u = &p->units[i];
		char nbuf[1024];
		/* A SAS's signature is a credential: never shown. */
		const char *name = lsio_url_redact(p->job->sources[u->source].path,
						   nbuf, sizeof(nbuf));

		if (i == 0)
			text_add(&t, "\nrequests (source offset+length [parts] <- chunks):\n");
		if (u->to_eof)
			text_add(&t, "  '%s' %llu+(to the end)", name,
				 (unsigned long long)u->off);
		else
			text_add(&t, "  '%s' %llu+%llu", name,
				 (unsigned long long)u->off, (unsigned long long)u->len);
		if (u->nparts > 1)
			text_add(&t, " [%u parts]", u->nparts);
		text_add(&t, "%s <-", u->direct ? " direct" : "");
		for (uint32_t k = 0; k < u->count; k++)
			text_add(&t, " %llu", (unsigned long long)p->unit_chunks[u->first + k]);
		text_add(&t, "\n");
	}
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	return t.p ? t.p : strdup("");
}

char *lsio_plan_describe(const struct lsio_plan *p, unsigned flags)
{
	if (flags & LSIO_DESCRIBE_JSON)
		return describe_json(p, flags);
	return describe_text(p, flags);
}
