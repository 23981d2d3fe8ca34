/* SPDX-License-Identifier: MIT */
/*
 * strbuf.c - a growing text buffer for the job generators: printf and
 * append, growing geometrically so a million entries append cheaply.  An
 * allocation failure is remembered (oom) rather than returned from every
 * call, so a generator writes a whole entry and checks once.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool strbuf_grow(struct lsio_strbuf *b, size_t need)
{
	size_t cap = MAX(b->cap * 2, b->len + need + 4096);
	char *p = realloc(b->p, cap);

	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void lsio_strbuf_printf(struct lsio_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int pass = 0; pass < 2 && !b->oom; pass++) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if (!strbuf_grow(b, (size_t)n))
			return;
	}
}

void lsio_strbuf_add(struct lsio_strbuf *b, const char *s, size_t n)
{
	if (!n || b->oom)
		return;
	if (b->cap - b->len <= n && !strbuf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void lsio_strbuf_release(struct lsio_strbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
