/* SPDX-License-Identifier: MIT */
/*
 * job_reader.c - a refillable window over a job's text, so that a job of
 * ten million chunks is read in bounded memory: the text is never held
 * whole (a pipe included), only what a piece being parsed needs.
 *
 * Positions are file offsets.  Lines are counted as bytes leave the
 * window, so that any position still in it has its line:column (columns
 * in characters, as jansson counts them) for a message.  Pieces of the
 * text - a top-level member's value, a chunk the fast path declines - go
 * to jansson straight from the window; a syntax error it finds there is
 * moved to where it is in the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job/job_parse.h"

#define JR_FIRST (256u << 10)	/* the window's first size */

void jr_init_fd(struct jreader *r, struct lsio_ctx *ctx, int fd,
		const char *name)
{
	struct stat st;
	off_t at = lseek(fd, 0, SEEK_CUR);

	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->name = name;
	r->fd = fd;
	r->line = 1;
	r->pin = r->hold = UINT64_MAX;
	/* A regular file can be read again from a mark; a pipe cannot. */
	r->seekable = at >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode);
	r->origin = at >= 0 ? (uint64_t)at : 0;
}

void jr_init_text(struct jreader *r, struct lsio_ctx *ctx, const char *text,
		  size_t len, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->name = name;
	r->fd = -1;
	r->line = 1;
	r->pin = r->hold = UINT64_MAX;
	r->buf = (char *)text;	/* read only: text[len] is its NUL */
	r->hi = len;
	r->eof = true;
	r->seekable = true;
}

void jr_release(struct jreader *r)
{
	if (r->fd >= 0)
		free(r->buf);
	r->buf = NULL;
}

/* Count the lines of buf[from..to) into r's bookkeeping. */
static void count_lines(struct jreader *r, size_t from, size_t to)
{
	const char *p = r->buf + from, *end = r->buf + to, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		r->line++;
		r->col = 0;
		p = nl + 1;
	}
	for (; p < end; p++)	/* characters: UTF-8 lead bytes */
		r->col += ((uint8_t)*p & 0xc0) != 0x80;
}

/* Make room at the end of the window: drop what no one keeps, else
 * grow.  0 or -ENOMEM. */
static int make_room(struct jreader *r)
{
	uint64_t keep = MIN(MIN(r->pin, r->hold), r->base + r->pos);
	size_t drop = (size_t)(keep - r->base), ncap;
	char *nb;

	if (drop) {
		count_lines(r, 0, drop);
		memmove(r->buf, r->buf + drop, r->hi - drop);
		r->base += drop;
		r->pos -= drop;
		r->hi -= drop;
	}
	if (r->hi < r->cap / 2 && r->cap)
		return 0;
	ncap = r->cap ? r->cap * 2 : JR_FIRST;
	if (ncap < r->cap || !(nb = realloc(r->buf, ncap + 1)))
		return -ENOMEM;
	r->buf = nb;
	r->cap = ncap;
	return 0;
}

int jr_more(struct jreader *r)
{
	ssize_t n;
	int ret;

	if (r->eof)
		return 0;
	if (r->hi == r->cap && (ret = make_room(r)))
		return lsio_fail(r->ctx, ret, "%s: out of memory", r->name);
	do
		n = read(r->fd, r->buf + r->hi, r->cap - r->hi);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return lsio_fail(r->ctx, -errno, "cannot read '%s': %s",
				 r->name, strerror(errno));
	r->hi += (size_t)n;
	r->buf[r->hi] = '\0';
	r->eof = n == 0;
	return n > 0;
}

int jr_peek(struct jreader *r)
{
	int ret;

	while (r->pos == r->hi)
		if ((ret = jr_more(r)) <= 0)
			return ret < 0 ? ret : JR_EOF;
	return (uint8_t)r->buf[r->pos];
}

int jr_skip_ws(struct jreader *r, bool newlines)
{
	int c;

	for (;;) {
		c = jr_peek(r);
		if (c != ' ' && c != '\t' && c != '\r' && (c != '\n' || !newlines))
			return c;
		r->pos++;
	}
}

uint64_t jr_at(const struct jreader *r)
{
	return r->base + r->pos;
}

int jr_seek(struct jreader *r, const struct jr_mark *m)
{
	if (r->fd < 0 || m->at >= r->base) {	/* still in the window */
		r->pos = (size_t)(m->at - r->base);
		return 0;
	}
	if (lseek(r->fd, (off_t)(r->origin + m->at), SEEK_SET) < 0)
		return lsio_fail(r->ctx, -errno, "cannot read '%s' again: %s",
				 r->name, strerror(errno));
	r->base = m->at;
	r->pos = r->hi = 0;
	r->eof = false;
	r->line = m->line;
	r->col = m->col;
	return 0;
}

void jr_mark(const struct jreader *r, uint64_t at, struct jr_mark *m)
{
	m->at = at;
	jr_linecol(r, at, &m->line, &m->col);
}

void jr_linecol(const struct jreader *r, uint64_t at, uint64_t *line,
		uint64_t *col)
{
	const char *p = r->buf, *end = r->buf + (at - r->base), *nl;

	*line = r->line;
	*col = r->col;
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		++*line;
		*col = 0;
		p = nl + 1;
	}
	for (; p < end; p++)
		*col += ((uint8_t)*p & 0xc0) != 0x80;
}

/* --- pieces of the text through jansson ----------------------------------- */

/* What jansson reads: prefix, then the window from `at` on. */
struct feed {
	struct jreader *r;
	const char *prefix;
	size_t plen, pdone;
	uint64_t at;
	int err;
};

static size_t feed_cb(void *buf, size_t cap, void *data)
{
	struct feed *f = data;
	struct jreader *r = f->r;
	size_t n;
	int ret;

	if (f->pdone < f->plen) {
		n = MIN(cap, f->plen - f->pdone);
		memcpy(buf, f->prefix + f->pdone, n);
		f->pdone += n;
		return n;
	}
	while (f->at >= r->base + r->hi)
		if ((ret = jr_more(r)) <= 0) {
			f->err = ret;
			return ret ? (size_t)-1 : 0;
		}
	n = MIN(cap, (size_t)(r->base + r->hi - f->at));
	memcpy(buf, r->buf + (f->at - r->base), n);
	f->at += n;
	return n;
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((uint8_t)s[i] & 0xc0) != 0x80;
	return k;
}

/* jansson's error e, over prefix + the text from `at`, as a message
 * naming the file, line and column. */
static int piece_fail(struct jreader *r, uint64_t at, const char *prefix,
		      size_t plen, const json_error_t *e)
{
	uint64_t line, col;

	if (e->line <= 0)
		return lsio_fail(r->ctx, -LSIO_EJOB, "%s: %s", r->name, e->text);
	jr_linecol(r, at, &line, &col);
	if (e->line == 1)
		col = col + (uint64_t)e->column - utf8_chars(prefix, plen);
	else
		col = (uint64_t)e->column;
	line += (uint64_t)e->line - 1;
	return lsio_fail(r->ctx, -LSIO_EJOB, "%s:%llu:%llu: %s", r->name,
			 (unsigned long long)line, (unsigned long long)col,
			 e->text);
}

int jr_value(struct jreader *r, size_t flags, json_t **out)
{
	uint64_t at = jr_at(r), pin = r->pin;
	struct feed f = { .r = r, .at = at };
	json_error_t e;

	/* Keep the piece in the window: where jansson stopped is found
	 * again in it. */
	r->pin = MIN(pin, at);
	*out = json_load_callback(feed_cb, &f, flags | JSON_DISABLE_EOF_CHECK |
				  JSON_REJECT_DUPLICATES, &e);
	r->pin = pin;
	if (f.err < 0) {
		json_decref(*out);
		return f.err;
	}
	/* A byte that is not UTF-8 just after a number ends the number, and
	 * jansson returns it - with the error said, which the text as a
	 * whole fails with. */
	if (*out && e.text[0]) {
		json_decref(*out);
		*out = NULL;
	}
	if (!*out)
		return piece_fail(r, at, "", 0, &e);
	r->pos = (size_t)(at + (uint64_t)e.position - r->base);
	return 0;
}

int jr_jansson(struct jreader *r, const char *prefix)
{
	uint64_t at = jr_at(r);
	struct feed f = { .r = r, .prefix = prefix, .plen = strlen(prefix),
			  .at = at };
	json_error_t e;
	json_t *v;

	v = json_load_callback(feed_cb, &f, JSON_REJECT_DUPLICATES, &e);
	json_decref(v);
	if (f.err < 0)
		return f.err;
	return v ? 0 : piece_fail(r, at, prefix, f.plen, &e);
}

int jr_syntax(struct jreader *r, const char *prefix)
{
	uint64_t line, col;
	int ret = jr_jansson(r, prefix);

	if (ret)
		return ret;
	/* The caller saw what jansson does not: a bug, said plainly. */
	jr_linecol(r, jr_at(r), &line, &col);
	return lsio_fail(r->ctx, -LSIO_EJOB, "%s:%llu:%llu: invalid JSON",
			 r->name, (unsigned long long)line,
			 (unsigned long long)col + 1);
}
