/* SPDX-License-Identifier: MIT */
/*
 * grib_inv.c - a GRIB2 source and its inventory.
 *
 * Two inventories exist in the wild, and both are read here:
 *   - NOAA's (wgrib2 -s, Herbie, get_inv.pl): "N:OFFSET:d=YYYYMMDDHH:VAR:
 *     LEVEL:FCST:" a line, no lengths: a message runs to the next larger
 *     offset ("211.1" and "211.2" are fields of one message, at one
 *     offset), the last one to the object's end;
 *   - ECMWF open data's: JSON lines with "_offset" and "_length" next to
 *     MARS keys; a line's text is ":key=value:" for its other keys in
 *     their order, so that one --match syntax serves both.
 * Found next to the source (SOURCE.idx, then the source with .grib2
 * replaced by .index), named with --idx, or else made by a scan.  Every
 * offset is checked against the object's size; whether the bytes there
 * are a GRIB message is checked when they are read (stage grib2_check).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "grib.h"

int grib_fail(struct lsio_ctx *ctx, int err, const struct grib_src *s,
	      const char *num, uint64_t off, const char *fmt, ...)
{
	char msg[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (num)
		return lsio_fail(ctx, err, "'%s': message %s at offset %llu: %s",
				 s->uri, num, (unsigned long long)off, msg);
	return lsio_fail(ctx, err, "'%s': %s", s->uri, msg);
}

int grib_src_add(struct grib_src *s, const char *num, uint64_t off,
		 const char *text, size_t text_len)
{
	struct grib_msg *m;

	if (s->nmsgs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		m = realloc(s->msgs, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->msgs = m;
		s->cap = cap;
	}
	m = &s->msgs[s->nmsgs];
	memset(m, 0, sizeof(*m));
	snprintf(m->num, sizeof(m->num), "%s", num);
	m->off = off;
	m->text = strndup(text, text_len);
	if (!m->text)
		return -ENOMEM;
	s->nmsgs++;
	return 0;
}

/* Split uri into a store (its directory) and a key (its name). */
static int open_dir(struct lsio_ctx *ctx, const char *uri,
		    const struct lsio_options *opt, struct zarr_store **store,
		    char **key)
{
	const char *slash = strrchr(uri, '/');
	size_t top = zarr_store_top(uri);
	char *dir;
	int ret;

	*store = NULL;
	*key = NULL;
	if (!*uri || (slash && !slash[1]))
		return lsio_fail(ctx, -LSIO_EUSAGE, "'%s': not a file name", uri);
	if (strstr(uri, "://") && (!slash || (size_t)(slash - uri) < top))
		return lsio_fail(ctx, -LSIO_EUSAGE, "'%s': a URL without an object name", uri);
	dir = slash ? strndup(uri, (size_t)(slash - uri) + (slash == uri))
		    : strdup(".");
	*key = strdup(slash ? slash + 1 : uri);
	if (!dir || !*key) {
		free(dir);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	ret = zarr_store_open(ctx, dir, opt, store);
	free(dir);
	return ret;
}

/* The size of a missing or unreadable source, said. */
static int size_fail(struct lsio_ctx *ctx, const struct grib_src *s, int ret)
{
	if (zarr_said(ret))
		return ret;
	return lsio_fail(ctx, -LSIO_ESOURCE, "'%s': %s", s->uri,
			 strerror(ret == -ENOENT ? ENOENT : -ret));
}

/* The names an inventory of key may have: KEY.idx, KEY-without-.grib2
 * .index; malloc'd into names[] (NULL when not applicable). */
static void inv_candidates(const char *key, char *names[2])
{
	size_t n = strlen(key);

	names[0] = malloc(n + 5);
	if (names[0])
		snprintf(names[0], n + 5, "%s.idx", key);
	names[1] = NULL;
	if (n > 6 && !strcmp(key + n - 6, ".grib2")) {
		names[1] = malloc(n + 1);
		if (names[1])
			snprintf(names[1], n + 1, "%.*s.index", (int)(n - 6), key);
	}
}

/* The requests of one host, on a store at its root (a URL up to its host
 * or bucket): keys are the rest of each URL. */
struct host_batch {
	struct zarr_store *store;
	size_t top;		/* the root's length in each URL */
	struct grib_src **srcs;	/* the host's sources */
	size_t nsrcs;
	struct zarr_req *reqs;
	struct grib_src **of;	/* reqs[i]'s source */
	size_t n;
};

static void host_batch_reset(struct host_batch *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free((char *)h->reqs[i].key);
		free(h->reqs[i].buf);
	}
	h->n = 0;
}

/* Ask for s's URL, its last cut bytes replaced by suffix: whole, or only
 * its size. */
static int host_add(struct host_batch *h, struct grib_src *s, size_t cut,
		    const char *suffix, bool body)
{
	const char *rel = s->uri + h->top + 1;
	size_t a = strlen(rel) - cut, b = strlen(suffix);
	char *k = malloc(a + b + 1);

	if (!k)
		return -ENOMEM;
	memcpy(k, rel, a);
	memcpy(k + a, suffix, b + 1);
	h->of[h->n] = s;
	h->reqs[h->n++] = (struct zarr_req){ .key = k, .body = body };
	return 0;
}

/* Run the batch and keep what it found: sizes, inventories (which=0:
 * the .idx, 1: the .index). */
static int host_run(struct lsio_ctx *ctx, struct host_batch *h, int which)
{
	int ret = h->n ? zarr_store_batch(h->store, h->reqs, h->n) : 0;

	for (size_t i = 0; !ret && i < h->n; i++) {
		struct zarr_req *q = &h->reqs[i];
		struct grib_src *s = h->of[i];

		if (!q->body && q->res)
			ret = size_fail(ctx, s, q->res);
		else if (!q->body)
			s->size = q->size;
		else if (!q->res) {
			s->found = q->buf;
			s->found_len = q->len;
			s->found_which = which;
			q->buf = NULL;
		}
	}
	host_batch_reset(h);
	return ret;
}

/* The remote sources on the host of srcs[first], all at once: the HEAD
 * and SOURCE.idx of each, then the .index of those without an .idx. */
static int host_open(struct lsio_ctx *ctx, struct grib_src *srcs, uint32_t n,
		     uint32_t first, bool discover, bool *done,
		     const struct lsio_options *opt)
{
	struct host_batch h = { .top = zarr_store_top(srcs[first].uri) };
	char *root = strndup(srcs[first].uri, h.top);
	int ret = root ? 0 : -ENOMEM;

	h.srcs = calloc(n, sizeof(*h.srcs));
	h.reqs = calloc(2 * (size_t)n, sizeof(*h.reqs));
	h.of = calloc(2 * (size_t)n, sizeof(*h.of));
	if (!h.srcs || !h.reqs || !h.of)
		ret = -ENOMEM;
	if (!ret)
		ret = zarr_store_open(ctx, root, opt, &h.store);
	for (uint32_t i = first; !ret && i < n; i++) {
		if (done[i] || strncmp(srcs[i].uri, root, h.top) ||
		    srcs[i].uri[h.top] != '/')
			continue;
		done[i] = true;
		srcs[i].looked = discover;
		h.srcs[h.nsrcs++] = &srcs[i];
		ret = host_add(&h, &srcs[i], 0, "", false);
		if (!ret && discover)
			ret = host_add(&h, &srcs[i], 0, ".idx", true);
	}
	if (!ret)
		ret = host_run(ctx, &h, 0);
	for (size_t i = 0; !ret && discover && i < h.nsrcs; i++) {
		struct grib_src *s = h.srcs[i];
		size_t k = strlen(s->key);

		if (!s->found && k > 6 && !strcmp(s->key + k - 6, ".grib2"))
			ret = host_add(&h, s, 6, ".index", true);
	}
	if (!ret)
		ret = host_run(ctx, &h, 1);
	host_batch_reset(&h);
	free(h.srcs);
	free(h.reqs);
	free(h.of);
	free(root);
	if (h.store)
		zarr_store_close(h.store);
	return ret == -ENOMEM ? lsio_fail(ctx, ret, "out of memory") : ret;
}

int grib_srcs_open(struct lsio_ctx *ctx, struct grib_src *srcs, uint32_t n,
		   const char *const *uris, const char *idx,
		   const struct lsio_options *opt)
{
	bool *done = calloc(MAX(n, 1u), sizeof(*done));
	int ret = done ? 0 : lsio_fail(ctx, -ENOMEM, "out of memory");

	for (uint32_t i = 0; !ret && i < n; i++) {
		struct grib_src *s = &srcs[i];

		memset(s, 0, sizeof(*s));
		s->uri = uris[i];
		ret = open_dir(ctx, uris[i], opt, &s->store, &s->key);
		if (ret || strstr(uris[i], "://"))
			continue;
		done[i] = true;
		ret = s->store->ops->size(s->store, s->key, &s->size);
		if (ret)
			ret = size_fail(ctx, s, ret);
	}
	for (uint32_t i = 0; !ret && i < n; i++)
		if (!done[i])
			ret = host_open(ctx, srcs, n, i, !idx, done, opt);
	free(done);
	return ret;
}

void grib_src_release(struct grib_src *s)
{
	for (size_t i = 0; i < s->nmsgs; i++)
		free(s->msgs[i].text);
	free(s->msgs);
	free(s->key);
	free(s->inv);
	free(s->found);
	if (s->store)
		zarr_store_close(s->store);
	memset(s, 0, sizeof(*s));
}

/* --- NOAA .idx ------------------------------------------------------------ */

static int inv_fail(struct lsio_ctx *ctx, const struct grib_src *s,
		    size_t line, const char *why)
{
	return lsio_fail(ctx, -LSIO_EDATA, "index '%s' of '%s': line %zu: %s",
			 s->inv, s->uri, line, why);
}

/* "N:OFFSET:TEXT": N digits with an optional ".digits". */
static int idx_line(struct lsio_ctx *ctx, struct grib_src *s, const char *p,
		    size_t n, size_t lineno)
{
	const char *c1 = memchr(p, ':', n), *c2, *q;
	char num[24], *end;
	uint64_t off;

	c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - p)) : NULL;
	if (!c2 || c1 == p || (size_t)(c1 - p) >= sizeof(num))
		return inv_fail(ctx, s, lineno, "not 'N:OFFSET:...'");
	for (q = p; q < c1 && (*q == '.' || (*q >= '0' && *q <= '9')); q++)
		;
	if (q != c1 || c2 == c1 + 1 || c1[1] < '0' || c1[1] > '9')
		return inv_fail(ctx, s, lineno, "not 'N:OFFSET:...'");
	memcpy(num, p, (size_t)(c1 - p));
	num[c1 - p] = 0;
	errno = 0;
	off = strtoull(c1 + 1, &end, 10);
	if (errno || end != c2)
		return inv_fail(ctx, s, lineno, "the offset is not a number");
	if (grib_src_add(s, num, off, c2 + 1, n - (size_t)(c2 + 1 - p)))
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	return 0;
}

/* Lengths: to the next larger offset (fields of one message share
 * theirs), the last to the object's end. */
static int idx_lengths(struct lsio_ctx *ctx, struct grib_src *s)
{
	uint64_t next = s->size;

	for (size_t i = s->nmsgs; i-- > 0;) {
		struct grib_msg *m = &s->msgs[i];
		uint64_t after = i + 1 < s->nmsgs ? s->msgs[i + 1].off : s->size;

		if (m->off >= s->size)
			return grib_fail(ctx, -LSIO_EDATA, s, m->num, m->off,
					 "index '%s' points past the end of the object (%llu bytes)",
					 s->inv, (unsigned long long)s->size);
		if (m->off > after)
			return grib_fail(ctx, -LSIO_EDATA, s, m->num, m->off,
					 "index '%s' is not in offset order", s->inv);
		if (after > m->off)
			next = after;
		m->len = next - m->off;
	}
	return 0;
}

typedef int line_fn(struct lsio_ctx *ctx, struct grib_src *s,
		    const char *p, size_t n, size_t lineno);

/* Call fn on every line of text that is not blank, without its "\r\n". */
static int each_line(struct lsio_ctx *ctx, struct grib_src *s,
		     const char *text, size_t len, line_fn *fn)
{
	size_t lineno = 0;
	int ret = 0;

	for (const char *p = text, *e; !ret && p < text + len; p = e + 1) {
		e = memchr(p, '\n', (size_t)(text + len - p));
		if (!e)
			e = text + len;
		lineno++;
		size_t n = (size_t)(e - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (strspn(p, " \t") < n)
			ret = fn(ctx, s, p, n, lineno);
	}
	return ret;
}

static int idx_parse(struct lsio_ctx *ctx, struct grib_src *s,
		     const char *text, size_t len)
{
	int ret = each_line(ctx, s, text, len, idx_line);

	return ret ? ret : idx_lengths(ctx, s);
}

/* --- ECMWF .index (JSON lines) --------------------------------------------- */

static void json_words(struct lsio_strbuf *b, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (k[0] == '_')
			continue;
		if (json_is_string(v)) {
			lsio_strbuf_printf(b, "%s=%s:", k, json_string_value(v));
		} else {
			char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

			lsio_strbuf_printf(b, "%s=%s:", k, t ? t : "?");
			free(t);
		}
	}
}

static int json_line(struct lsio_ctx *ctx, struct grib_src *s, const char *p,
		     size_t n, size_t lineno)
{
	json_t *o = json_loadb(p, n, 0, NULL), *jo, *jl;
	struct lsio_strbuf b = { 0 };
	char num[24];
	int ret = 0;

	jo = json_object_get(o, "_offset");
	jl = json_object_get(o, "_length");
	if (!json_is_object(o) || !json_is_integer(jo) || !json_is_integer(jl) ||
	    json_integer_value(jo) < 0 || json_integer_value(jl) <= 0) {
		json_decref(o);
		return inv_fail(ctx, s, lineno, "not a JSON object with _offset and _length");
	}
	json_words(&b, o);
	snprintf(num, sizeof(num), "%zu", s->nmsgs + 1);
	if (b.oom || grib_src_add(s, num, (uint64_t)json_integer_value(jo),
				  b.p ? b.p : "", b.len))
		ret = lsio_fail(ctx, -ENOMEM, "out of memory");
	else
		s->msgs[s->nmsgs - 1].len = (uint64_t)json_integer_value(jl);
	lsio_strbuf_release(&b);
	json_decref(o);
	return ret;
}

static int json_parse(struct lsio_ctx *ctx, struct grib_src *s,
		      const char *text, size_t len)
{
	int ret = each_line(ctx, s, text, len, json_line);

	for (size_t i = 0; !ret && i < s->nmsgs; i++) {
		struct grib_msg *m = &s->msgs[i];

		if (m->off >= s->size || m->len > s->size - m->off)
			ret = grib_fail(ctx, -LSIO_EDATA, s, m->num, m->off,
					"index '%s' points past the end of the object (%llu bytes)",
					s->inv, (unsigned long long)s->size);
	}
	return ret;
}

/* --- finding and reading the inventory ----------------------------------- */

static int inv_parse(struct lsio_ctx *ctx, struct grib_src *s,
		     const uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i < len && buf[i] == '{')
		return json_parse(ctx, s, (const char *)buf, len);
	return idx_parse(ctx, s, (const char *)buf, len);
}

/* Read key of store whole (one GET remotely, no HEAD): 0, -ENOENT, or
 * an error with its message. */
static int read_key(struct lsio_ctx *ctx, struct zarr_store *st,
		    const char *key, uint8_t **buf, size_t *len)
{
	int ret = zarr_store_get(st, key, buf, len);

	if (ret == -ENOENT || zarr_said(ret) || !ret)
		return ret;
	return lsio_fail(ctx, -LSIO_ESOURCE, "'%s/%s': %s", st->root, key,
			 strerror(-ret));
}

/* The inventory named by --idx. */
static int inv_named(struct lsio_ctx *ctx, struct grib_src *s,
		     const char *idx, const struct lsio_options *opt)
{
	struct zarr_store *st;
	uint8_t *buf = NULL;
	char *key;
	size_t len;
	int ret = open_dir(ctx, idx, opt, &st, &key);

	if (!ret)
		ret = read_key(ctx, st, key, &buf, &len);
	if (ret == -ENOENT)
		ret = lsio_fail(ctx, -LSIO_ESOURCE, "index '%s': %s", idx,
				strerror(ENOENT));
	if (!ret && !(s->inv = strdup(idx)))
		ret = lsio_fail(ctx, -ENOMEM, "out of memory");
	if (!ret)
		ret = inv_parse(ctx, s, buf, len);
	free(buf);
	free(key);
	if (st)
		zarr_store_close(st);
	return ret;
}

/* Find SOURCE.idx, else the .index beside it, unless grib_srcs_open()
 * looked already: 0 (*buf read, names[*which] its name), -ENOENT
 * (neither exists), or an error. */
static int inv_find(struct lsio_ctx *ctx, struct grib_src *s, char *names[2],
		    uint8_t **buf, size_t *len, int *which)
{
	int ret = -ENOENT;

	if (s->looked) {
		*buf = s->found;
		*len = s->found_len;
		*which = s->found_which;
		s->found = NULL;
		return *buf ? 0 : -ENOENT;
	}
	for (int i = 0; ret == -ENOENT && i < 2 && names[i]; i++) {
		ret = read_key(ctx, s->store, names[i], buf, len);
		*which = i;
	}
	return ret;
}

/* SOURCE.idx, else the .index beside it: 0 (read), -ENOENT (neither
 * exists: scan), or an error. */
static int inv_discover(struct lsio_ctx *ctx, struct grib_src *s)
{
	char *names[2];
	uint8_t *buf = NULL;
	size_t len = 0;
	int which = 0, ret;

	inv_candidates(s->key, names);
	ret = names[0] ? inv_find(ctx, s, names, &buf, &len, &which)
		       : lsio_fail(ctx, -ENOMEM, "out of memory");
	if (!ret)	/* named as the user named the source */
		s->inv = strcmp(s->store->root, ".") || strchr(s->uri, '/')
			 ? zarr_store_source(s->store, names[which])
			 : strdup(names[which]);
	if (!ret && !s->inv)
		ret = lsio_fail(ctx, -ENOMEM, "out of memory");
	if (!ret)
		ret = inv_parse(ctx, s, buf, len);
	free(buf);
	free(names[0]);
	free(names[1]);
	return ret;
}

int grib_inventory(struct lsio_ctx *ctx, struct grib_src *s, const char *idx,
		   const struct lsio_options *opt)
{
	int ret;

	if (idx && !strcmp(idx, "none"))
		return grib_scan(ctx, s);
	if (idx)
		return inv_named(ctx, s, idx, opt);
	ret = inv_discover(ctx, s);
	return ret == -ENOENT ? grib_scan(ctx, s) : ret;
}
