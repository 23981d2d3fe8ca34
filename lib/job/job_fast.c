/* SPDX-License-Identifier: MIT */
/*
 * job_fast.c - a chunk object read without jansson, for the common case.
 *
 * jansson builds a tree for every chunk: ~3.5 us for a 100-byte chunk, 30
 * MB/s, where a job of ten million chunks should take seconds.  This reads
 * the chunks generators write - the known keys, plain strings, whole
 * numbers, lists of sizes - straight into a struct chunk_in, and declines
 * anything else (an escape, a non-ASCII byte, a real number, an unknown or
 * repeated key, a syntax error): jansson then reads that chunk and says
 * what is wrong with it, exactly as before.  So this never reports an
 * error, and accepts only what jansson accepts.
 */
#include <string.h>

#include "job/job_parse.h"

struct cur {
	const char *p, *end;	/* *end is NUL */
	int st;			/* FAST_MORE or FAST_NO once stopped */
};

/* Bytes a plain string holds as they are: printable ASCII but '"' and
 * '\\'.  Anything else ends the scan of a string. */
static const uint8_t plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Stop at p: the text ran out (more may come), or it is not ours. */
static bool stop(struct cur *f, const char *p)
{
	f->p = p;
	f->st = p == f->end ? FAST_MORE : FAST_NO;
	return false;
}

static void ws(struct cur *f)
{
	while (is_ws(*f->p))
		f->p++;
}

static bool expect(struct cur *f, char c)
{
	ws(f);
	if (*f->p != c)
		return stop(f, f->p);
	f->p++;
	return true;
}

/* A plain string, not empty: its bytes in [*s, *s + *len). */
static bool str(struct cur *f, const char **s, size_t *len)
{
	const char *q;

	if (!expect(f, '"'))
		return false;
	for (q = f->p; plain[(uint8_t)*q]; q++)
		;
	/* An empty string is for the checks to refuse. */
	if (*q != '"' || q == f->p)
		return stop(f, q);
	*s = f->p;
	*len = (size_t)(q - f->p);
	f->p = q + 1;
	return true;
}

/* A short plain string, NUL terminated into buf. */
static bool str_copy(struct cur *f, char *buf, size_t cap)
{
	const char *s;
	size_t len;

	if (!str(f, &s, &len))
		return false;
	if (len >= cap)
		return stop(f, f->p - 1);	/* not the end: declined */
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

/* A whole number from 0 to INT64_MAX, as jansson reads one. */
static bool number(struct cur *f, uint64_t *v)
{
	const char *q;
	uint64_t n = 0;

	ws(f);
	q = f->p;
	if (*q == '0' && q[1] >= '0' && q[1] <= '9')
		return stop(f, q + 1);	/* jansson: invalid */
	for (; *q >= '0' && *q <= '9'; q++) {
		if (n > (uint64_t)(INT64_MAX - (*q - '0')) / 10)
			return stop(f, q);	/* jansson: too big */
		n = n * 10 + (uint64_t)(*q - '0');
	}
	/* Empty, or a real number (jansson's, or a size with units). */
	if (q == f->p || *q == '.' || *q == 'e' || *q == 'E' || q == f->end)
		return stop(f, q == f->end ? q : f->p);
	*v = n;
	f->p = q;
	return true;
}

/* A list of at most LSIO_MAX_DIMS sizes. */
static bool dims(struct cur *f, uint64_t *v, int8_t *n)
{
	int k = 0;

	if (!expect(f, '['))
		return false;
	ws(f);
	if (*f->p == ']') {
		f->p++;
		*n = 0;
		return true;
	}
	for (;;) {
		if (k == LSIO_MAX_DIMS)
			return stop(f, f->p - 1);	/* jansson says */
		if (!number(f, &v[k++]))
			return false;
		ws(f);
		if (*f->p == ']')
			break;
		if (*f->p != ',')
			return stop(f, f->p);
		f->p++;
	}
	f->p++;
	*n = (int8_t)k;
	return true;
}

/* Skip one value (a list of stages, as a rule) to keep its text: strings
 * and brackets are followed, not checked - jansson checks a text the first
 * time it is seen.  A scalar is one byte or one string: more is declined
 * after it. */
static bool skip(struct cur *f, const char **s, size_t *len)
{
	const char *q;
	int depth = 0;

	ws(f);
	*s = q = f->p;
	do {
		switch (*q) {
		case '"':
			for (q++; *q != '"'; q++) {
				q += *q == '\\';
				if ((uint8_t)*q < 0x20)	/* NUL: the end too */
					return stop(f, q);
			}
			break;
		case '[':
		case '{':
			depth++;
			break;
		case ']':
		case '}':
			if (--depth < 0)
				return stop(f, q);
			break;
		case '\0':
			return stop(f, q);
		}
		q++;
	} while (depth);
	*len = (size_t)(q - *s);
	f->p = q;
	return true;
}

enum key { K_SOURCE, K_OFFSET, K_LENGTH, K_STAGES, K_PLACE, K_NAME,
	   K_MISSING, K_VAR, K_SHAPE, K_TO, K_FROM, K_COUNT, K_STEP,
	   K_ORDER, K_NONE };

static const char *const key_names[] = {
	[K_SOURCE] = "source", [K_OFFSET] = "offset", [K_LENGTH] = "length",
	[K_STAGES] = "stages", [K_PLACE] = "place", [K_NAME] = "name",
	[K_MISSING] = "missing", [K_VAR] = "var", [K_SHAPE] = "shape",
	[K_TO] = "to", [K_FROM] = "from", [K_COUNT] = "count",
	[K_STEP] = "step", [K_ORDER] = "order",
};

static const uint8_t key_len[] = {
	[K_SOURCE] = 6, [K_OFFSET] = 6, [K_LENGTH] = 6, [K_STAGES] = 6,
	[K_PLACE] = 5, [K_NAME] = 4, [K_MISSING] = 7, [K_VAR] = 3,
	[K_SHAPE] = 5, [K_TO] = 2, [K_FROM] = 4, [K_COUNT] = 5, [K_STEP] = 4,
	[K_ORDER] = 5,
};

/* The key among first..last that s names, or K_NONE: by its length and
 * first letter, then its bytes (no two keys share both). */
static enum key key_of(const char *s, size_t len, enum key first,
		       enum key last)
{
	for (unsigned k = first; k <= (unsigned)last; k++)
		if (key_len[k] == len && key_names[k][0] == s[0] &&
		    !memcmp(key_names[k], s, len))
			return (enum key)k;
	return K_NONE;
}

/* The key of a member, and its ':'; K_NONE (stopped) for any other. */
static enum key member(struct cur *f, enum key first, enum key last,
		       unsigned *seen)
{
	const char *s;
	size_t len;
	enum key k;

	if (!str(f, &s, &len))
		return K_NONE;
	k = key_of(s, len, first, last);
	/* Unknown keys and repeated ones: jansson and the checks say. */
	if (k == K_NONE || *seen & (1u << k)) {
		stop(f, s);
		return K_NONE;
	}
	*seen |= 1u << k;
	return expect(f, ':') ? k : K_NONE;
}

/* After a member: ',' (true, *done false) or '}' (true, *done true). */
static bool next(struct cur *f, bool *done)
{
	ws(f);
	if (*f->p != ',' && *f->p != '}')
		return stop(f, f->p);
	*done = *f->p++ == '}';
	return true;
}

/* An object's opening: '{' and, when it is empty, its '}' (*done). */
static bool open_object(struct cur *f, bool *done)
{
	if (!expect(f, '{'))
		return false;
	ws(f);
	*done = *f->p == '}';
	f->p += *done;
	return true;
}

static bool place(struct cur *f, struct chunk_in *in)
{
	unsigned seen = 0;
	bool done;
	enum key k;

	in->has_place = true;
	if (!open_object(f, &done))
		return false;
	while (!done) {
		k = member(f, K_VAR, K_ORDER, &seen);
		if (k == K_NONE)
			return false;
		if (k == K_VAR && !str_copy(f, in->var, sizeof(in->var)))
			return false;
		if (k == K_ORDER && !str_copy(f, in->order, sizeof(in->order)))
			return false;
		if (k >= K_SHAPE && k <= K_STEP &&
		    !dims(f, in->dims[k - K_SHAPE], &in->ndims[k - K_SHAPE]))
			return false;
		if (!next(f, &done))
			return false;
	}
	return true;
}

static bool value(struct cur *f, enum key k, struct chunk_in *in)
{
	switch (k) {
	case K_SOURCE:
		return str(f, &in->source, &in->source_len);
	case K_NAME:
		return str(f, &in->name, &in->name_len);
	case K_MISSING:
		return str_copy(f, in->missing, sizeof(in->missing));
	case K_OFFSET:
		in->has_offset = true;
		return number(f, &in->offset);
	case K_LENGTH:
		in->has_length = true;
		return number(f, &in->length);
	case K_STAGES:
		return skip(f, &in->stages, &in->stages_len);
	default:
		return place(f, in);
	}
}

static void chunk_in_clear(struct chunk_in *in)
{
	in->source = in->name = in->stages = NULL;
	in->missing[0] = in->order[0] = in->var[0] = '\0';
	in->has_offset = in->has_length = in->has_place = false;
	memset(in->ndims, -1, sizeof(in->ndims));
	in->stages_json = NULL;
}

int job_fast_chunk(const char *p, const char *end, struct chunk_in *in,
		   const char **after)
{
	struct cur f = { .p = p, .end = end };
	unsigned seen = 0;
	bool done;
	enum key k;

	chunk_in_clear(in);
	if (!open_object(&f, &done))
		return f.st;
	while (!done) {
		k = member(&f, K_SOURCE, K_MISSING, &seen);
		if (k == K_NONE || !value(&f, k, in) || !next(&f, &done))
			return f.st;
	}
	*after = f.p;
	return FAST_OK;
}
