/* SPDX-License-Identifier: MIT */
/*
 * job_stream.c - a job read as a stream: the top-level object member by
 * member, its "chunks" one chunk at a time.
 *
 * The members other than "chunks" are small: each goes to jansson, and
 * the tree of them is checked as before (job.c).  The chunks are read one
 * by one - by the fast path (job_fast.c) when a chunk is plain, by jansson
 * otherwise - and each is checked and kept as it comes, so that neither
 * the text nor a tree of the whole job is ever in memory.
 *
 * A chunk needs the output and the defaults, so they should come first:
 * the writers of this repository put "chunks" last.  When they do not,
 *   - "chunks" before "lsio" or "output": the list is only read for its
 *     syntax, then read again from its start (a file), or from the copy
 *     kept of it (a pipe: the list's text is held in memory);
 *   - "defaults" after "chunks": the chunks were read without them; a
 *     file's are read again once the defaults are known, a pipe's cannot
 *     be (an error says to write "chunks" last).  An error met meanwhile
 *     waits until it is known that no "defaults" come to explain it.
 *
 * Chunks may also come from a file of their own, one object a line
 * (NDJSON): "chunks": "@list.ndjson", or lsio_job_load()'s chunks, which
 * replace the job's.
 *
 * The scanner itself never words a syntax error: it hands the text where
 * it stopped to jansson, behind a prefix that puts jansson in the same
 * place (jr_syntax), so messages are jansson's, at the file's line:col.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job/job_parse.h"

enum chunks_state {
	CH_NONE,	/* no "chunks" yet */
	CH_APPLIED,	/* a list, read and kept */
	CH_DEFERRED,	/* a list, read for its syntax: to read again */
	CH_VALUE,	/* not a list: "@file", or wrong (chunks_value) */
};

struct stream {
	struct job_parser *p;
	struct jreader *r;		/* the job's text */
	const struct job_input *in;
	json_t *root;			/* every member but "chunks" */
	enum chunks_state chunks;
	json_t *chunks_value;		/* CH_VALUE; NULL when replaced */
	struct jr_mark mark;		/* the list's '[' */
	bool optimistic;		/* read before "defaults" were known */
	bool defaults_later;		/* and they came after */
	char *stash;			/* the first error met meanwhile */
	int stash_err;
	struct chunk_in cin;		/* the fast path's chunk */
};

/* --- one chunk ------------------------------------------------------------ */

/* Is the fast path's "stages" text valid JSON?  A text seen before is;
 * a new one is parsed (kept in cin for the chunk, when it is kept). */
static int stages_valid(struct stream *s, bool keep)
{
	struct chunk_in *in = &s->cin;
	uint32_t slot;
	json_error_t e;
	json_t *v;

	if (job_stages_seen(s->p, in->stages, in->stages_len, &slot))
		return 1;
	v = json_loadb(in->stages, in->stages_len,
		       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!v)
		return 0;	/* jansson on the whole chunk says where */
	if (keep) {
		in->stages_json = v;
		return 1;
	}
	json_decref(v);
	if (job_stages_add(s->p, in->stages, in->stages_len, LSIO_NONE, &slot))
		return -ENOMEM;
	return 1;
}

/* Read the chunk at the cursor: into s->cin (the fast path, *tree NULL)
 * or a tree.  keep: it will be kept.  0 or an error (syntax: said). */
static int chunk_read(struct stream *s, struct jreader *r, bool keep,
		      json_t **tree)
{
	const char *after = NULL;
	int st, ret;

	*tree = NULL;
	r->pin = jr_at(r);
	for (;;) {
		st = job_fast_chunk(r->buf + r->pos, r->buf + r->hi, &s->cin,
				    &after);
		if (st != FAST_MORE)
			break;
		ret = jr_more(r);
		if (ret <= 0) {
			st = FAST_NO;	/* jansson says what is cut short */
			if (ret < 0) {
				r->pin = UINT64_MAX;
				return ret;
			}
			break;
		}
	}
	if (st == FAST_OK && s->cin.stages) {
		ret = stages_valid(s, keep);
		if (ret < 0) {
			r->pin = UINT64_MAX;
			return ret;
		}
		st = ret ? FAST_OK : FAST_NO;
	}
	r->pin = UINT64_MAX;
	if (st == FAST_OK) {
		r->pos = (size_t)(after - r->buf);
		return 0;
	}
	return jr_value(r, JSON_DECODE_ANY, tree);
}

/* Keep an error of a chunk read before "defaults" were known: it may be
 * none once they are. */
static void stash(struct stream *s, int err)
{
	if (s->stash)
		return;
	s->stash = strdup(lsio_ctx_message(s->p->ctx));
	s->stash_err = s->stash ? err : -ENOMEM;
}

/* Chunk i at the cursor: read, and kept when *keep (then false after an
 * error that may go away). */
static int chunk_one(struct stream *s, struct jreader *r, uint64_t i,
		     bool *keep)
{
	struct job_parser *p = s->p;
	json_t *tree;
	int ret;

	p->chunk_at = jr_at(r);
	ret = chunk_read(s, r, *keep, &tree);
	if (ret)
		return ret;
	if (*keep) {
		ret = tree ? job_parse_chunk(p, i, tree)
			   : job_parse_chunk_in(p, i, &s->cin);
		if (!ret)
			p->job->nchunks = i + 1;
		if (ret == -LSIO_EJOB && s->optimistic) {
			stash(s, ret);
			*keep = false;
			ret = 0;
		}
	}
	json_decref(tree);
	json_decref(s->cin.stages_json);
	s->cin.stages_json = NULL;
	return ret;
}

/* --- lists of chunks ------------------------------------------------------ */

/* The JSON list at the cursor ('['), its chunks kept or only read. */
static int list_chunks(struct stream *s, struct jreader *r, bool keep)
{
	int c = jr_peek(r), ret;	/* read in again after a seek */

	if (c < 0)
		return c;
	r->pos++;
	c = jr_skip_ws(r, true);
	if (c == ']')
		r->pos++;
	if (c < 0 || c == ']')
		return c < 0 ? c : 0;
	for (uint64_t i = 0;; i++) {
		if ((ret = chunk_one(s, r, i, &keep)))
			return ret;
		c = jr_skip_ws(r, true);
		if (c < 0)
			return c;
		if (c != ',' && c != ']')
			return jr_syntax(r, "[[]");	/* "']' expected" */
		r->pos++;
		if (c == ']')
			return 0;
		if ((c = jr_skip_ws(r, true)) < 0)
			return c;
	}
}

/* Text after a chunk on its line. */
static int ndjson_junk(struct jreader *r)
{
	uint64_t line, col;

	jr_linecol(r, jr_at(r), &line, &col);
	return lsio_fail(r->ctx, -LSIO_EJOB,
			 "%s:%" PRIu64 ":%" PRIu64 ": text after the chunk (one chunk a line)",
			 r->name, line, col + 1);
}

/* One chunk object a line; blank lines are skipped. */
static int ndjson_chunks(struct stream *s, struct jreader *r)
{
	bool keep = true;
	int c, ret;

	for (uint64_t i = 0;; i++) {
		c = jr_skip_ws(r, true);
		if (c < 0 || c == JR_EOF)
			return c < 0 ? c : 0;
		if ((ret = chunk_one(s, r, i, &keep)))
			return ret;
		c = jr_skip_ws(r, false);
		if (c < 0 || c == JR_EOF)
			return c < 0 ? c : 0;
		if (c != '\n')
			return ndjson_junk(r);
		r->pos++;
	}
}

/* path, relative to the job's directory unless it is absolute: a new
 * string. */
static char *beside_job(const struct job_input *in, const char *path)
{
	const char *slash = in->path ? strrchr(in->path, '/') : NULL;
	size_t n = slash ? (size_t)(slash - in->path) + 1 : 0;
	char *full;

	if (path[0] == '/' || !n)
		return strdup(path);
	full = malloc(n + strlen(path) + 1);
	if (full) {
		memcpy(full, in->path, n);
		strcpy(full + n, path);
	}
	return full;
}

/* The chunks of the NDJSON file path (the caller's "-": standard
 * input). */
static int ndjson_file(struct stream *s, const char *path, bool may_stdin)
{
	struct job_parser *p = s->p;
	bool is_stdin = may_stdin && !strcmp(path, "-");
	struct jreader r;
	int fd, ret;

	if (is_stdin && s->r->fd == STDIN_FILENO)
		return lsio_fail(p->ctx, -LSIO_EUSAGE,
				 "the job and its chunks cannot both be read from standard input");
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lsio_fail(p->ctx, -errno, "cannot open '%s': %s", path,
				 strerror(errno));
	jr_init_fd(&r, p->ctx, fd, is_stdin ? "<stdin>" : path);
	p->chunks_name = r.name;
	p->lines = &r;
	s->optimistic = false;
	job_chunks_begin(p);
	ret = ndjson_chunks(s, &r);
	job_chunks_end(p);
	p->lines = NULL;
	if (!ret && p->job->out.type == LSIO_OUT_FILES)
		ret = job_check_names(p);
	p->chunks_name = NULL;
	jr_release(&r);
	if (!is_stdin)
		close(fd);
	return ret;
}

/* "chunks": "@list.ndjson" (beside the job). */
static int chunks_at_file(struct stream *s, const char *text)
{
	char *path;
	int ret;

	if (!text[1]) {
		job_at(s->p, "chunks", NO_INDEX);
		return job_fail(s->p, NULL, "\"@\" names no file");
	}
	path = beside_job(s->in, text + 1);
	if (!path)
		return job_oom(s->p);
	ret = ndjson_file(s, path, false);
	free(path);
	return ret;
}

/* --- the top level -------------------------------------------------------- */

/* "chunks": a list is read now when the output is known (the defaults
 * too, when they come first), else read for its syntax and kept for
 * later: its place in a file, its text from a pipe. */
static int chunks_member(struct stream *s)
{
	struct jreader *r = s->r;
	struct job_parser *p = s->p;
	int c = jr_peek(r), ret;

	if (c < 0)
		return c;
	if (c != '[' || s->in->chunks) {
		/* Not a list, or replaced by the caller's chunks (then read
		 * only for its syntax, and dropped). */
		s->chunks = CH_VALUE;
		if (c == '[')
			return list_chunks(s, r, false);
		return jr_value(r, JSON_DECODE_ANY, &s->chunks_value);
	}
	jr_mark(r, jr_at(r), &s->mark);
	if (json_object_get(s->root, "lsio") &&
	    json_object_get(s->root, "output")) {
		if ((ret = job_header(p, s->root, false)))
			return ret;
		s->chunks = CH_APPLIED;
		s->optimistic = !json_object_get(s->root, "defaults");
		job_chunks_begin(p);
		ret = list_chunks(s, r, true);
		job_chunks_end(p);
		return ret;
	}
	s->chunks = CH_DEFERRED;
	if (!r->seekable)
		r->hold = s->mark.at;
	return list_chunks(s, r, false);
}

/* A key at the cursor ('"'): a plain one read here, any other by jansson.
 * Its text stays in the window (r->pin). */
static int key_read(struct jreader *r, char **key)
{
	const char *q, *k;
	json_t *v;
	int ret = 0;

	for (;;) {
		k = r->buf + r->pos + 1;
		for (q = k; (uint8_t)*q >= 0x20 && (uint8_t)*q < 0x80 &&
			    *q != '"' && *q != '\\';
		     q++)
			;
		if (q < r->buf + r->hi || (ret = jr_more(r)) == 0)
			break;
		if (ret < 0)
			return ret;
	}
	if (*q == '"') {
		*key = strndup(k, (size_t)(q - k));
		r->pos = (size_t)(q + 1 - r->buf);
		return *key ? 0 : lsio_fail(r->ctx, -ENOMEM, "out of memory");
	}
	if ((ret = jr_value(r, JSON_DECODE_ANY, &v)))
		return ret;
	*key = strdup(json_string_value(v));	/* it began with '"' */
	json_decref(v);
	return *key ? 0 : lsio_fail(r->ctx, -ENOMEM, "out of memory");
}

/* A key met twice: jansson says so, behind a first member of that key. */
static int key_again(struct jreader *r, uint64_t at)
{
	size_t n = (size_t)(r->base + r->pos - at);
	struct jr_mark m = { .at = at };
	char *prefix = malloc(n + 8);
	int ret;

	if (!prefix)
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	prefix[0] = '{';
	memcpy(prefix + 1, r->buf + (at - r->base), n);
	strcpy(prefix + 1 + n, ":[],");
	jr_seek(r, &m);		/* in the window: cannot fail */
	ret = jr_syntax(r, prefix);
	free(prefix);
	return ret;
}

static int member(struct stream *s)
{
	struct jreader *r = s->r;
	uint64_t at = jr_at(r);
	char *key = NULL;
	json_t *v;
	int c, ret;

	r->pin = at;
	ret = key_read(r, &key);
	if (!ret && (json_object_get(s->root, key) ||
		     (!strcmp(key, "chunks") && s->chunks != CH_NONE)))
		ret = key_again(r, at);
	r->pin = UINT64_MAX;
	if (!ret && (c = jr_skip_ws(r, true)) != ':')
		ret = c < 0 ? c : jr_syntax(r, "{\"\"");
	if (!ret) {
		r->pos++;
		ret = jr_skip_ws(r, true);
		ret = ret < 0 ? ret : 0;
	}
	if (!ret && !strcmp(key, "chunks")) {
		ret = chunks_member(s);
	} else if (!ret && !(ret = jr_value(r, JSON_DECODE_ANY, &v))) {
		s->defaults_later |= !strcmp(key, "defaults") &&
				     s->chunks == CH_APPLIED;
		if (json_object_set_new(s->root, key, v))
			ret = lsio_fail(r->ctx, -ENOMEM, "out of memory");
	}
	free(key);
	return ret;
}

/* Not an object: jansson says what it is (or what is wrong with it). */
static int not_object(struct stream *s)
{
	int ret = jr_jansson(s->r, "");

	if (ret)
		return ret;
	job_at(s->p, NULL, NO_INDEX);
	return job_fail(s->p, NULL, "expected a JSON object at the top level");
}

static int top(struct stream *s)
{
	struct jreader *r = s->r;
	bool first = true;
	int c, ret;

	c = jr_skip_ws(r, true);
	if (c < 0 || c != '{')
		return c < 0 ? c : not_object(s);
	r->pos++;
	for (;; first = false) {
		c = jr_skip_ws(r, true);
		if (c < 0 || (first && c == '}'))
			break;
		if (c != '"')
			return jr_syntax(r, first ? "{" : "{\"\":[],");
		if ((ret = member(s)))
			return ret;
		c = jr_skip_ws(r, true);
		if (c < 0 || c == '}')
			break;
		if (c != ',')
			return jr_syntax(r, "{\"\":[]");	/* "'}' expected" */
		r->pos++;
	}
	if (c < 0)
		return c;
	r->pos++;
	c = jr_skip_ws(r, true);
	if (c < 0 || c == JR_EOF)
		return c < 0 ? c : 0;
	return jr_syntax(r, "{}");	/* "end of file expected" */
}

/* --- once the top level is read ------------------------------------------- */

/* Read the list again from its start, now that the job's other members
 * are known. */
static int chunks_again(struct stream *s)
{
	int ret;

	if ((ret = jr_seek(s->r, &s->mark)))
		return ret;
	s->r->hold = UINT64_MAX;
	s->optimistic = false;
	job_chunks_begin(s->p);
	ret = list_chunks(s, s->r, true);
	job_chunks_end(s->p);
	return ret;
}

static int chunks_finish(struct stream *s)
{
	struct job_parser *p = s->p;
	json_t *v = s->chunks_value;
	int ret = 0;

	if (s->in->chunks)
		return ndjson_file(s, s->in->chunks, true);
	switch (s->chunks) {
	case CH_NONE:
		return job_parse_chunks(p, NULL);	/* says it is missing */
	case CH_VALUE:
		if (json_is_string(v) && json_string_value(v)[0] == '@')
			return chunks_at_file(s, json_string_value(v));
		return job_parse_chunks(p, v);		/* says it is wrong */
	case CH_DEFERRED:
		ret = chunks_again(s);
		break;
	case CH_APPLIED:
		if (s->defaults_later)
			ret = chunks_again(s);
		else if (s->stash)
			ret = lsio_fail(p->ctx, s->stash_err, "%s", s->stash);
		break;
	}
	if (!ret && p->job->out.type == LSIO_OUT_FILES)
		ret = job_check_names(p);
	return ret;
}

static int finish(struct stream *s)
{
	struct job_parser *p = s->p;
	int ret;

	if (s->defaults_later && !s->r->seekable)
		return lsio_fail(p->ctx, -LSIO_EJOB,
				 "%s: \"defaults\" after \"chunks\" in a job read from a pipe: write \"chunks\" last (or read the job from a file)",
				 p->job->name);
	if (s->defaults_later)
		job_chunks_forget(p);
	ret = job_header(p, s->root, true);
	return ret ? ret : chunks_finish(s);
}

int job_stream_parse(struct job_parser *p, struct jreader *r,
		     const struct job_input *in)
{
	struct stream s = { .p = p, .r = r, .in = in };
	int ret;

	s.root = json_object();
	if (!s.root)
		return job_oom(p);
	ret = top(&s);
	if (!ret)
		ret = finish(&s);
	json_decref(s.root);
	json_decref(s.chunks_value);
	json_decref(s.cin.stages_json);
	free(s.stash);
	return ret;
}
