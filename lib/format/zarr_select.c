/* SPDX-License-Identifier: MIT */
/*
 * zarr_select.c - numpy-style basic indexing: per dimension an integer
 * (negative counts from the end; the dimension is dropped), a slice
 * start:stop[:step] with numpy's clamping, ':' or '...'; dimensions left
 * out at the end are ':'.  The result has exactly the shape numpy gives.
 *
 * Negative steps are refused: they reverse the data, and a placement
 * copies boxes in storage order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "zarr.h"

#define SEL_ITEMS_MAX (LSIO_MAX_DIMS + 1)

static int sel_fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sel_fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -LSIO_EJOB;
}

/* One comma-separated item, trimmed: [b, e). */
struct sel_item {
	const char *b, *e;
};

static const char *skip_space(const char *p, const char *e)
{
	while (p < e && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *trim_end(const char *b, const char *e)
{
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	return e;
}

/* Split text into items; a trailing comma is allowed ("0," as in
 * Python).  Brackets are refused: in numpy "[0, 5]" is a list of indices
 * (fancy indexing), not "0, 5", and reading it as one would be silently
 * wrong. */
static int sel_split(const char *text, struct sel_item *items, size_t *n,
		     char *why, size_t cap)
{
	const char *b = skip_space(text, text + strlen(text));
	const char *e = trim_end(b, text + strlen(text));

	*n = 0;
	if (strpbrk(text, "[]"))
		return sel_fail(why, cap,
				"lists of indices ('[...]', numpy's fancy indexing) are not supported: select with integers and start:stop:step slices, e.g. '0:6:5' for indices 0 and 5");
	while (b < e) {
		const char *c = memchr(b, ',', (size_t)(e - b));
		const char *end = c ? c : e;

		if (*n == SEL_ITEMS_MAX)
			return sel_fail(why, cap, "more than %d items",
					LSIO_MAX_DIMS);
		items[*n].b = b;
		items[*n].e = trim_end(b, end);
		if (items[*n].b == items[*n].e)
			return sel_fail(why, cap, "item %zu is empty", *n + 1);
		(*n)++;
		b = c ? skip_space(c + 1, e) : e;
	}
	return 0;
}

/* An integer in [b, e), possibly empty (*given false). */
static int sel_int(const char *b, const char *e, int64_t *v, bool *given)
{
	char buf[32];
	char *end;
	size_t len;

	b = skip_space(b, e);
	e = trim_end(b, e);
	*given = b < e;
	if (!*given)
		return 0;
	len = (size_t)(e - b);
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, b, len);
	buf[len] = 0;
	if (!isdigit((unsigned char)buf[buf[0] == '-' || buf[0] == '+']))
		return -1;
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return errno || *end ? -1 : 0;
}

static int sel_integer(const struct sel_item *it, uint64_t size, uint32_t d,
		       struct zarr_dimsel *s, char *why, size_t cap)
{
	int64_t v;
	bool given;

	if (sel_int(it->b, it->e, &v, &given) || !given)
		return sel_fail(why, cap,
				"'%.*s' is not an integer, a slice or '...'",
				(int)(it->e - it->b), it->b);
	if (v < 0 && (uint64_t)-(v + 1) < size)
		v += (int64_t)size;
	if (v < 0 || (uint64_t)v >= size)
		return sel_fail(why, cap,
				"index %.*s is out of bounds for dimension %u with size %llu",
				(int)(it->e - it->b), it->b, d,
				(unsigned long long)size);
	*s = (struct zarr_dimsel){ .start = (uint64_t)v, .step = 1, .n = 1,
				   .drop = true };
	return 0;
}

/* numpy's PySlice_AdjustIndices for a positive step. */
static uint64_t slice_clamp(int64_t v, bool given, uint64_t size,
			    uint64_t dflt)
{
	if (!given)
		return dflt;
	if (v < 0) {
		if ((uint64_t)-(v + 1) >= size)
			return 0;
		return size - (uint64_t)-v;
	}
	return (uint64_t)v > size ? size : (uint64_t)v;
}

static int sel_slice(const struct sel_item *it, const char *c1,
		     uint64_t size, struct zarr_dimsel *s, char *why,
		     size_t cap)
{
	const char *c2 = memchr(c1 + 1, ':', (size_t)(it->e - c1 - 1));
	int64_t v[3] = { 0, 0, 1 };
	bool g[3];
	uint64_t start, stop;

	if ((c2 && memchr(c2 + 1, ':', (size_t)(it->e - c2 - 1))) ||
	    sel_int(it->b, c1, &v[0], &g[0]) ||
	    sel_int(c1 + 1, c2 ? c2 : it->e, &v[1], &g[1]) ||
	    (c2 && sel_int(c2 + 1, it->e, &v[2], &g[2])))
		return sel_fail(why, cap, "'%.*s' is not a slice start:stop:step",
				(int)(it->e - it->b), it->b);
	if (!c2 || !g[2])
		v[2] = 1;
	if (v[2] == 0)
		return sel_fail(why, cap, "'%.*s': slice step cannot be zero",
				(int)(it->e - it->b), it->b);
	if (v[2] < 0)
		return sel_fail(why, cap,
				"'%.*s': negative steps are not supported",
				(int)(it->e - it->b), it->b);
	start = slice_clamp(v[0], g[0], size, 0);
	stop = slice_clamp(v[1], g[1], size, size);
	s->start = start;
	s->step = (uint64_t)v[2];
	s->n = stop > start ? (stop - start + s->step - 1) / s->step : 0;
	s->drop = false;
	return 0;
}

static int sel_one(const struct sel_item *it, uint64_t size, uint32_t d,
		   struct zarr_dimsel *s, char *why, size_t cap)
{
	const char *c1 = memchr(it->b, ':', (size_t)(it->e - it->b));

	if (c1)
		return sel_slice(it, c1, size, s, why, cap);
	return sel_integer(it, size, d, s, why, cap);
}

static bool is_ellipsis(const struct sel_item *it)
{
	return it->e - it->b == 3 && !memcmp(it->b, "...", 3);
}

int zarr_select_parse(const char *text, const uint64_t *shape, uint32_t ndim,
		      struct zarr_dimsel *sel, char *why, size_t cap)
{
	struct sel_item items[SEL_ITEMS_MAX];
	size_t n = 0, i, ell = SIZE_MAX, d = 0;
	int ret = sel_split(text ? text : "", items, &n, why, cap);

	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (!is_ellipsis(&items[i]))
			continue;
		if (ell != SIZE_MAX)
			return sel_fail(why, cap, "only one '...' is allowed");
		ell = i;
	}
	if (n - (ell != SIZE_MAX) > ndim)
		return sel_fail(why, cap,
				"too many indices: the array has %u dimension%s, the selection %zu",
				ndim, ndim == 1 ? "" : "s", n - (ell != SIZE_MAX));
	for (i = 0; i < n; i++) {
		if (i == ell) {
			/* '...' stands for as many ':' as make up the rank. */
			for (size_t k = n - 1; k < ndim; k++, d++)
				sel[d] = (struct zarr_dimsel){ .step = 1, .n = shape[d] };
			continue;
		}
		ret = sel_one(&items[i], shape[d], (uint32_t)d, &sel[d], why, cap);
		if (ret)
			return ret;
		d++;
	}
	for (; d < ndim; d++)
		sel[d] = (struct zarr_dimsel){ .step = 1, .n = shape[d] };
	return 0;
}

/* The first j whose index start + j*step is at least x. */
static uint64_t first_at_or_after(const struct zarr_dimsel *s, uint64_t x)
{
	if (x <= s->start)
		return 0;
	return (x - s->start + s->step - 1) / s->step;
}

/* Append to v[*n] the spans of the indices start + j*step, j < count,
 * landing at output index to0 + j. */
static void spans_of(uint64_t start, uint64_t step, uint64_t count,
		     uint64_t csize, uint64_t to0, struct zarr_span *v, size_t *n)
{
	const struct zarr_dimsel s = { .start = start, .step = step, .n = count };
	uint64_t first, last, k, j0, j1;

	if (!count)
		return;
	first = start / csize;
	last = (start + (count - 1) * step) / csize;
	for (k = first; k <= last; k++) {
		j0 = first_at_or_after(&s, k * csize);
		j1 = MIN(first_at_or_after(&s, (k + 1) * csize), count);
		if (j0 >= j1) {
			/* Jump to the chunk of the next selected index. */
			if (j0 < count)
				k = (start + j0 * step) / csize - 1;
			continue;
		}
		v[*n] = (struct zarr_span){
			.chunk = k,
			.from = start + j0 * step - k * csize,
			.count = j1 - j0,
			.to = to0 + j0,
		};
		(*n)++;
	}
}

/* Spans a segment can give: never more than its indices, nor than the
 * chunks between its first and last (a step wider than a chunk skips
 * chunks). */
static uint64_t spans_max(uint64_t start, uint64_t step, uint64_t count,
			  uint64_t csize)
{
	if (!count)
		return 0;
	return MIN((start + (count - 1) * step) / csize - start / csize + 1,
		   count);
}

int zarr_spans(const struct zarr_dimsel *s, uint64_t csize,
	       struct zarr_span **spans, size_t *n)
{
	uint64_t max = spans_max(s->start, s->step, s->n, csize) +
		       spans_max(s->start2, s->step, s->n2, csize);
	struct zarr_span *v;

	*spans = NULL;
	*n = 0;
	if (!max)
		return 0;
	v = calloc(max, sizeof(*v));
	if (!v)
		return -ENOMEM;
	spans_of(s->start, s->step, s->n, csize, 0, v, n);
	spans_of(s->start2, s->step, s->n2, csize, s->n, v, n);
	*spans = v;
	return 0;
}
