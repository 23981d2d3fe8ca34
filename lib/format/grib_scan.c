/* SPDX-License-Identifier: MIT */
/*
 * grib_scan.c - the inventory of a GRIB2 file that has none: walk the
 * messages by the total length in section 0, and within each message the
 * section headers (a 4-byte length and a number), never the data.  Each
 * section 4 starts a field: its line is written from section 1's
 * reference time and section 4's parameter, surfaces and forecast time
 * (grib_words.c), as wgrib2 -s writes it, so a scan's --list is an .idx.
 * A message of several fields gives lines "N.1", "N.2" at one offset.
 *
 * Bytes come a window at a time (a read of the store: one ranged GET
 * remotely): 4 KiB at a message's start holds its sections 0-5, and the
 * start of the next message when this one is small, so a message costs
 * at most one read, plus one for each bitmap or data section the walk
 * steps over to learn whether another field follows.  Remotely, where a
 * read is a round trip, the window at a message's start grows while the
 * messages are small (64 KiB on average at most): they follow one
 * another, so 16 average messages read at once hold the next 16
 * messages' sections - a file of small messages costs a GET per 16
 * messages, not one each.
 * Large messages keep 4 KiB windows: where the next message starts is
 * known only from this one's section 0 - unless messages have one length
 * (one grid, one packing: common), which is a good guess once two in a
 * row had it: the windows of the next 8 messages are then read at once,
 * each used when the guess proves right, and twice as many the next time
 * while every guess proves right (up to 64), so such a file costs a few
 * round trips, not one a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "grib.h"

#define SCAN_WINDOW GRIB_SCAN_WINDOW
#define SCAN_AHEAD_MSGS 16	/* remotely: messages read ahead at once */
#define SCAN_AHEAD_MAX (1u << 20)	/* bytes, at most */
#define SCAN_GUESS 8		/* messages of one length: windows at once, */
#define SCAN_GUESS_MAX 64	/* doubled while every guess proves right */

/* A window read on a guess, not yet used. */
struct guess {
	uint64_t off;
	uint8_t *buf;
	size_t len;
};

struct window {
	struct lsio_ctx *ctx;
	struct grib_src *s;
	uint64_t off, end;	/* end: reads stop there (the object's end,
				 * or the message's once its length is known) */
	uint64_t want;		/* the least a read asks for */
	uint8_t *buf;
	size_t len;
	struct guess guess[SCAN_GUESS_MAX];
	unsigned nguess;
	unsigned nguesses;	/* windows the next guess reads */
};

static void guesses_drop(struct window *w)
{
	for (unsigned i = 0; i < w->nguess; i++)
		free(w->guess[i].buf);
	w->nguess = 0;
}

/* Make the guessed window holding n bytes at off the current one. */
static bool guess_take(struct window *w, uint64_t off, size_t n)
{
	for (unsigned i = 0; i < w->nguess; i++) {
		struct guess *g = &w->guess[i];

		if (off < g->off || off + n > g->off + g->len)
			continue;
		free(w->buf);
		w->buf = g->buf;
		w->off = g->off;
		w->len = g->len;
		*g = w->guess[--w->nguess];
		return true;
	}
	return false;
}

static int read_fail(struct window *w, int ret)
{
	return zarr_said(ret) ? ret
	       : lsio_fail(w->ctx, -LSIO_ESOURCE, "'%s': %s", w->s->uri,
			   strerror(-ret));
}

/* Read the windows at off, off + len, ... (messages of length len) at
 * once, as guesses. */
static int guesses_read(struct window *w, uint64_t off, uint64_t len)
{
	struct grib_src *s = w->s;
	uint64_t offs[SCAN_GUESS_MAX];
	uint32_t lens[SCAN_GUESS_MAX];
	uint8_t *bufs[SCAN_GUESS_MAX];
	unsigned n = 0;
	int ret = 0;

	/* Every window of the last guess used: guess further. */
	w->nguesses = !w->nguesses ? SCAN_GUESS
		    : w->nguess ? SCAN_GUESS
		    : MIN(2 * w->nguesses, (unsigned)SCAN_GUESS_MAX);
	guesses_drop(w);
	if (!s->store->ops->read_ranges)
		return 0;	/* a guess pays only where reads are batched */
	for (; n < w->nguesses && off + n * len < s->size; n++) {
		offs[n] = off + n * len;
		lens[n] = (uint32_t)MIN((uint64_t)SCAN_WINDOW, s->size - offs[n]);
		bufs[n] = malloc(lens[n]);
		if (!bufs[n])
			ret = -ENOMEM;
	}
	if (!ret)
		ret = s->store->ops->read_ranges(s->store, s->key, offs, lens,
						 bufs, n);
	for (unsigned i = 0; i < n; i++) {
		if (!ret)
			w->guess[w->nguess++] = (struct guess){ offs[i], bufs[i], lens[i] };
		else
			free(bufs[i]);
	}
	return ret ? read_fail(w, ret) : 0;
}

/* Point *p at n bytes at off, reading a new window when they are not in
 * the current one.  Returns 0, 1 when the source ends first, or an
 * error. */
static int win_get(struct window *w, uint64_t off, size_t n,
		   const uint8_t **p)
{
	struct grib_src *s = w->s;
	uint64_t want;
	int ret;

	if ((w->buf && off >= w->off && off + n <= w->off + w->len) ||
	    (off + n <= w->end && guess_take(w, off, n))) {
		*p = w->buf + (off - w->off);
		return 0;
	}
	if (off + n > w->end)
		return 1;
	/* Past this message's end: the next one's start, read ahead. */
	want = MIN(MAX((uint64_t)n, w->want), s->size - off);
	free(w->buf);
	w->buf = NULL;
	ret = s->store->ops->read(s->store, s->key, off, want, &w->buf,
				  &w->len);
	if (ret)
		return read_fail(w, ret);
	w->off = off;
	if (w->len < n)
		return 1;
	*p = w->buf;
	return 0;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* GRIB2 writes signed integers as sign and magnitude. */
static double signmag32(uint32_t v)
{
	return v & 0x80000000u ? -(double)(v & 0x7fffffffu) : (double)v;
}

static int signmag8(unsigned v)
{
	return v & 0x80 ? -(int)(v & 0x7f) : (int)v;
}

/* A fixed surface's value: scaled value times 10^-scale factor. */
static double surface_value(const uint8_t *p, bool *missing)
{
	double v = signmag32(be32(p + 1));
	int sf = signmag8(p[0]);

	*missing = p[0] == 0xff && be32(p + 1) == 0xffffffffu;
	for (; sf > 0; sf--)
		v /= 10;
	for (; sf < 0; sf++)
		v *= 10;
	return v;
}

/* Where the statistical part of a product template starts, relative to
 * 4.8's (the templates that describe a time range), or -1. */
static int stat_shift(unsigned tmpl)
{
	switch (tmpl) {
	case 8: return 0;
	case 10: return 1;
	case 11: return 3;
	case 12: return 2;
	}
	return -1;
}

struct field_ctx {
	unsigned discipline;
	char date[16];		/* "2026120100" */
};

/* The inventory line of the field section 4 (p, n bytes) describes. */
static void field_line(const struct field_ctx *f, const uint8_t *p, size_t n,
		       char *buf, size_t cap)
{
	unsigned tmpl = n >= 9 ? be16(p + 7) : 65535;
	int o = tmpl <= 15 ? 0 : tmpl >= 40 && tmpl <= 43 ? 2 : -1;
	int sh = stat_shift(tmpl);
	char var[64], level[96] = "?", fcst[64] = "?";
	const char *name = NULL;
	bool m1, m2;

	if (n >= 11)
		name = grib_param_name(f->discipline, p[9], p[10]);
	if (name)
		snprintf(var, sizeof(var), "%s", name);
	else
		snprintf(var, sizeof(var), "var discipline=%u category=%u number=%u",
			 f->discipline, n >= 11 ? p[9] : 255u, n >= 11 ? p[10] : 255u);
	if (o >= 0 && n >= (size_t)(34 + o)) {
		double v1 = surface_value(p + 23 + o, &m1);
		double v2 = surface_value(p + 29 + o, &m2);

		grib_level_words(p[22 + o], v1, m1, p[28 + o], v2, m2, level,
				 sizeof(level));
		if (sh >= 0 && n >= (size_t)(53 + sh))
			grib_time_words(p[17 + o], be32(p + 18 + o), p[46 + sh],
					p[48 + sh], be32(p + 49 + sh), fcst,
					sizeof(fcst));
		else
			grib_time_words(p[17 + o], be32(p + 18 + o), -1, 0, 0,
					fcst, sizeof(fcst));
	}
	snprintf(buf, cap, "d=%s:%s:%s:%s:", f->date, var, level, fcst);
}

/* The fields of one message, at most this many. */
#define SCAN_FIELDS_MAX 4096

/* What the walk learns of a field: its line, and its grid (the latest
 * section 3 before its section 4). */
struct scan_field {
	char line[256];
	struct grib_grid grid;
};

struct msg_scan {
	struct window *w;
	uint64_t off, total;
	unsigned msgno;
	const char *num;	/* the inventory's number, or NULL: msgno */
	uint32_t want;		/* stop after this field (0: walk them all) */
	struct field_ctx f;
	struct grib_grid grid;	/* the latest section 3 */
	struct scan_field *fields;
	size_t nlines, cap;
};

/* The walk has what it wants (grib_msg_grid): not an error. */
#define SCAN_DONE 2

static int msg_fail(struct msg_scan *m, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int msg_fail(struct msg_scan *m, uint64_t at, const char *fmt, ...)
{
	char num[16], why[LSIO_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(num, sizeof(num), "%u", m->msgno);
	return grib_fail(m->w->ctx, -LSIO_EDATA, m->w->s, m->num ? m->num : num,
			 at, "%s", why);
}

/* Room for one more field. */
static int field_room(struct msg_scan *m)
{
	struct scan_field *f;
	size_t cap;

	if (m->nlines < m->cap)
		return 0;
	if (m->nlines == SCAN_FIELDS_MAX)
		return msg_fail(m, m->off, "more than %d fields in one message",
				SCAN_FIELDS_MAX);
	cap = m->cap ? MIN(m->cap * 4, (size_t)SCAN_FIELDS_MAX) : 4;
	f = realloc(m->fields, cap * sizeof(*f));
	if (!f)
		return lsio_fail(m->w->ctx, -ENOMEM, "out of memory");
	m->fields = f;
	m->cap = cap;
	return 0;
}

static int scan_section(struct msg_scan *m, uint64_t pos, unsigned num,
			uint32_t len)
{
	const uint8_t *p;
	size_t n = num == 1 ? 21 : num == 3 ? MIN(len, GRIB_SEC3_MAX) : MIN(len, 80u);
	int ret;

	if (num != 1 && num != 3 && num != 4)
		return 0;
	ret = win_get(m->w, pos, n, &p);
	if (ret)
		return ret > 0 ? msg_fail(m, m->off, "truncated section %u", num)
			       : ret;
	if (num == 1 && len >= 21) {
		snprintf(m->f.date, sizeof(m->f.date), "%04u%02u%02u%02u",
			 be16(p + 12) % 10000, p[14] % 100u, p[15] % 100u,
			 p[16] % 100u);
		return 0;
	}
	if (num == 3) {
		memcpy(m->grid.sec3, p, n);
		m->grid.sec3_len = (uint32_t)n;
		m->grid.known = true;
		return 0;
	}
	if (num != 4)
		return 0;
	ret = field_room(m);
	if (ret)
		return ret;
	field_line(&m->f, p, n, m->fields[m->nlines].line,
		   sizeof(m->fields[0].line));
	m->fields[m->nlines++].grid = m->grid;
	return m->want && m->nlines == m->want ? SCAN_DONE : 0;
}

/* Walk the sections of the message at m->off. */
static int scan_sections(struct msg_scan *m)
{
	uint64_t pos = m->off + 16, end = m->off + m->total - 4;
	const uint8_t *p;
	int ret;

	while (pos < end) {
		ret = win_get(m->w, pos, 5, &p);
		if (ret)
			return ret > 0 ? msg_fail(m, m->off, "truncated at byte %llu",
						  (unsigned long long)pos)
				       : ret;
		uint32_t len = be32(p);
		unsigned num = p[4];

		if (len < 5 || len > end - pos || num < 1 || num > 7)
			return msg_fail(m, m->off,
					"section %u at byte %llu: bad length %u",
					num, (unsigned long long)pos, len);
		ret = scan_section(m, pos, num, len);
		if (ret)
			return ret == SCAN_DONE ? 0 : ret;
		pos += len;
	}
	if (!m->nlines)
		return msg_fail(m, m->off, "a message without a product definition (section 4)");
	return 0;
}

static int add_lines(struct grib_src *s, struct msg_scan *m)
{
	char num[32];

	for (size_t i = 0; i < m->nlines; i++) {
		if (m->nlines == 1)
			snprintf(num, sizeof(num), "%u", m->msgno);
		else
			snprintf(num, sizeof(num), "%u.%zu", m->msgno, i + 1);
		if (grib_src_add(s, num, m->off, m->fields[i].line,
				 strlen(m->fields[i].line)))
			return lsio_fail(m->w->ctx, -ENOMEM, "out of memory");
		s->msgs[s->nmsgs - 1].len = m->total;
		s->msgs[s->nmsgs - 1].grid = m->fields[i].grid;
	}
	return 0;
}

/* Section 0 of the message at m->off: "GRIB", edition 2, its length. */
static int scan_head(struct msg_scan *m)
{
	const uint8_t *p;
	int ret;

	m->w->end = m->w->s->size;
	ret = win_get(m->w, m->off, 16, &p);
	m->w->want = SCAN_WINDOW;
	if (ret < 0)
		return ret;
	if ((ret || memcmp(p, "GRIB", 4)) && m->num)
		return msg_fail(m, m->off, "not the start of a GRIB message (no 'GRIB' at its offset)");
	if (ret || memcmp(p, "GRIB", 4)) {
		if (m->msgno == 1)
			return grib_fail(m->w->ctx, -LSIO_EDATA, m->w->s, NULL, 0,
					 "not a GRIB file (no 'GRIB' at its start)");
		if (ret)
			return msg_fail(m, m->off, "%llu bytes after message %u, too few for a message",
					(unsigned long long)(m->w->s->size - m->off),
					m->msgno - 1);
		return msg_fail(m, m->off, "no 'GRIB' where a message should start (after message %u)",
				m->msgno - 1);
	}
	if (p[7] != 2)
		return msg_fail(m, m->off, "GRIB edition %u: lsio reads GRIB2", p[7]);
	m->f.discipline = p[6];
	m->total = be64(p + 8);
	if (m->total < 16 + 4 || m->total > m->w->s->size - m->off)
		return msg_fail(m, m->off,
				"truncated message: section 0 says %llu bytes, %llu remain",
				(unsigned long long)m->total,
				(unsigned long long)(m->w->s->size - m->off));
	m->w->end = m->off + m->total;
	return 0;
}

/* The window at the next message's start: 16 average messages, when a
 * read is a round trip and messages are small (16 of them at most 1 MiB:
 * their data costs less than 16 round trips). */
static uint64_t scan_ahead(const struct grib_src *s, const struct msg_scan *m)
{
	uint64_t avg = m->msgno ? m->off / m->msgno : 0;

	if (!strstr(s->uri, "://") || avg * SCAN_AHEAD_MSGS <= SCAN_WINDOW ||
	    avg * SCAN_AHEAD_MSGS > SCAN_AHEAD_MAX)
		return SCAN_WINDOW;
	return avg * SCAN_AHEAD_MSGS;
}

/* Before the message at m->off: guess that it and the next ones are as
 * long as the last two, when they were as long as each other. */
static int scan_guess(struct msg_scan *m, uint64_t before)
{
	struct window *w = m->w;

	if (!strstr(w->s->uri, "://") || w->want != SCAN_WINDOW ||
	    m->msgno < 2 || before != m->total ||
	    m->total < SCAN_WINDOW || guess_take(w, m->off, 16))
		return 0;
	return guesses_read(w, m->off, m->total);
}

int grib_scan(struct lsio_ctx *ctx, struct grib_src *s)
{
	struct window w = { .ctx = ctx, .s = s, .want = SCAN_WINDOW };
	struct msg_scan m = { .w = &w };
	uint64_t before = 0;	/* the length of the message before the last */
	int ret = 0;

	if (!s->size)
		ret = grib_fail(ctx, -LSIO_EDATA, s, NULL, 0, "an empty file, not GRIB");
	while (!ret && m.off < s->size) {
		if (lsio_canceled(ctx)) {
			ret = lsio_fail(ctx, -LSIO_ECANCELED, "interrupted");
			break;
		}
		w.want = scan_ahead(s, &m);
		ret = scan_guess(&m, before);
		if (ret)
			break;
		before = m.total;
		m.msgno++;
		m.nlines = 0;
		m.grid.known = false;
		snprintf(m.f.date, sizeof(m.f.date), "?");
		ret = scan_head(&m);
		if (!ret)
			ret = scan_sections(&m);
		if (!ret)
			ret = add_lines(s, &m);
		m.off += m.total;
	}
	guesses_drop(&w);
	free(w.buf);
	free(m.fields);
	return ret;
}

uint32_t grib_field_of(const struct grib_msg *m)
{
	const char *dot = strchr(m->num, '.');
	unsigned long n = dot ? strtoul(dot + 1, NULL, 10) : 1;

	return n >= 1 && n <= SCAN_FIELDS_MAX ? (uint32_t)n : 1;
}

int grib_msg_grid(struct lsio_ctx *ctx, struct grib_src *s, size_t i,
		  uint8_t *pre, size_t pre_len)
{
	struct grib_msg *g = &s->msgs[i];
	struct window w = { .ctx = ctx, .s = s, .off = g->off, .buf = pre,
			    .len = pre_len };
	struct msg_scan m = { .w = &w, .off = g->off, .num = g->num,
			      .want = grib_field_of(g) };
	int ret = scan_head(&m);

	if (!ret)
		ret = scan_sections(&m);
	if (!ret && m.nlines < m.want)
		ret = msg_fail(&m, m.off, "field %u asked for, the message has %zu",
			       m.want, m.nlines);
	if (!ret && !m.fields[m.want - 1].grid.known)
		ret = msg_fail(&m, m.off, "no grid (section 3) before field %u",
			       m.want);
	if (!ret)
		g->grid = m.fields[m.want - 1].grid;
	free(w.buf);
	free(m.fields);
	return ret;
}
