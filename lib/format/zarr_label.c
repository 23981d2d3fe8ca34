/* SPDX-License-Identifier: MIT */
/*
 * zarr_label.c - --sel terms resolved as xarray's .sel resolves labels
 * (pandas' rules: inclusive slices by value, in the coordinate's own
 * order, dates standing for their whole period), --isel terms as .isel,
 * and longitude boxes across a coordinate's seam, which xarray leaves to
 * a roll, taken as two segments.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/zarr.h"
#include "format/zarr_label.h"

#define SPEC_MAX 256
#define CUTS_MAX 16

/* One end of a slice, or a scalar: the values it stands for. */
struct label {
	bool given;
	bool open;		/* a date's period: hi itself is excluded */
	double lo, hi;
	enum cf_reso reso;
	char text[SPEC_MAX];
};

struct spec {
	struct label a, b;	/* a alone for a scalar */
	uint64_t step;
	bool slice, nearest;
};

/* The coordinate and how values compare in it. */
struct axis {
	const double *c;
	uint64_t n;
	const struct cf_time *t;
	int dir;		/* +1 ascending, -1 descending, 0 neither */
	double eps;		/* time: half a microsecond in t's units */
	bool as_float;		/* every value is a float32 */
	bool circle;		/* a longitude round the whole circle */
};

/* --- labels ---------------------------------------------------------------- */

static void trim_copy(char *dst, const char *b, size_t len)
{
	while (len && isspace((unsigned char)*b)) {
		b++;
		len--;
	}
	while (len && isspace((unsigned char)b[len - 1]))
		len--;
	memcpy(dst, b, len);
	dst[len] = 0;
}

/* A number, or a date when the coordinate is a time; "" is no label. */
static int parse_label(const struct axis *ax, const char *b, size_t len,
		       struct label *l, char *why, size_t cap)
{
	struct cf_period p;
	char *end;
	int ret;

	*l = (struct label){ 0 };
	trim_copy(l->text, b, len);
	if (!*l->text)
		return 0;
	l->given = true;
	if (ax->t) {
		ret = cf_time_period(ax->t, l->text, &p, why, cap);
		l->lo = p.lo;
		l->hi = p.end;
		l->open = true;
		l->reso = p.reso;
		return ret;
	}
	errno = 0;
	l->lo = l->hi = strtod(l->text, &end);
	if (*end || !isfinite(l->lo))
		return lsio_why(why, cap, -LSIO_EJOB, "'%s' is not a number",
				l->text);
	return 0;
}

static int parse_step(const char *b, size_t len, uint64_t *step, char *why,
		      size_t cap)
{
	char text[SPEC_MAX], *end;
	unsigned long long v;

	trim_copy(text, b, len);
	*step = 1;
	if (!*text)
		return 0;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (!isdigit((unsigned char)*text) || *end || errno || !v)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' is not a step: the third part of START:STOP:STEP is a positive integer, every STEP-th value",
				text);
	*step = v;
	return 0;
}

/* The parts of buf between the cuts (positions of ':'): one label, two
 * ends, or two ends and a step. */
static int take_parts(const struct axis *ax, const char *buf,
		      const size_t *cuts, int ncut, struct spec *s, char *why,
		      size_t cap)
{
	size_t len = strlen(buf);
	size_t e0 = ncut ? cuts[0] : len, b1, e1;
	int ret;

	s->slice = ncut > 0;
	s->step = 1;
	ret = parse_label(ax, buf, e0, &s->a, why, cap);
	if (ret || !ncut)
		return ret;
	b1 = cuts[0] + 1;
	e1 = ncut > 1 ? cuts[1] : len;
	ret = parse_label(ax, buf + b1, e1 - b1, &s->b, why, cap);
	if (ret || ncut < 2)
		return ret;
	return parse_step(buf + e1 + 1, len - e1 - 1, &s->step, why, cap);
}

/* A date has colons of its own: a time spec is cut at the colons that
 * make dates (or nothing) of START and STOP and a step of what follows,
 * the longest START first, then the longest STOP:
 * "2023-01-10T06:30:2023-01-15" is 06:30 on the 10th to the whole 15th,
 * "2023-01-10:2023-01-15T06:30:2" the same with every second value.
 * A spec no cut fits fails with the error of its cut before a four-digit
 * year, the likeliest meant. */
static int split_time(const struct axis *ax, const char *buf,
		      const size_t *colon, int ncolon, struct spec *s,
		      char *why, size_t cap)
{
	size_t cuts[2];
	int likely = 0;

	for (int i = ncolon - 1; i >= 0; i--) {
		cuts[0] = colon[i];
		if (!take_parts(ax, buf, cuts, 1, s, NULL, 0))
			return 0;
		for (int j = ncolon - 1; j > i; j--) {
			cuts[1] = colon[j];
			if (!take_parts(ax, buf, cuts, 2, s, NULL, 0))
				return 0;
		}
		if (strspn(buf + colon[i] + 1, "0123456789") == 4)
			likely = i;
	}
	cuts[0] = colon[likely];
	return take_parts(ax, buf, cuts, 1, s, why, cap);
}

static int parse_spec(const struct axis *ax, const char *spec, struct spec *s,
		      char *why, size_t cap)
{
	char buf[SPEC_MAX];
	size_t colon[CUTS_MAX], len;
	int ncolon = 0, ret;

	*s = (struct spec){ .step = 1 };
	if (strlen(spec) >= sizeof(buf))
		return lsio_why(why, cap, -LSIO_EJOB, "'%.40s...' is too long",
				spec);
	trim_copy(buf, spec, strlen(spec));
	len = strlen(buf);
	if (len && buf[len - 1] == '~') {
		s->nearest = true;
		buf[--len] = 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != ':')
			continue;
		if (ncolon == CUTS_MAX)
			return lsio_why(why, cap, -LSIO_EJOB,
					"'%s' has too many ':'", buf);
		colon[ncolon++] = i;
	}
	if (s->nearest && ncolon && !ax->t)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s~': '~' takes one value, the nearest to it; a slice takes every value between its ends",
				buf);
	if (ncolon > 2 && !ax->t)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' is not START:STOP or START:STOP:STEP", buf);
	if (!ax->t || s->nearest || !ncolon)
		ret = take_parts(ax, buf, colon, ax->t ? 0 : ncolon, s, why,
				 cap);
	else if (take_parts(ax, buf, colon, 0, s, NULL, 0))
		ret = split_time(ax, buf, colon, ncolon, s, why, cap);
	else
		ret = 0;	/* one date and its time of day */
	if (!ret && !s->slice && !s->a.given)
		return lsio_why(why, cap, -LSIO_EJOB,
				"nothing to select: write a value, VALUE~ for the nearest, or START:STOP");
	return ret;
}

/* --- the coordinate ---------------------------------------------------------- */

static int direction(const double *c, uint64_t n)
{
	bool up = n > 0 && !isnan(c[0]), down = up;

	for (uint64_t i = 1; i < n && (up || down); i++) {
		up = up && c[i] > c[i - 1];
		down = down && c[i] < c[i - 1];
	}
	return up ? 1 : down ? -1 : 0;
}

static bool all_float(const double *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if ((double)(float)c[i] != c[i])
			return false;
	return true;
}

/* Ascending, and n steps of the mean spacing make 360 degrees. */
static bool full_circle(const double *c, uint64_t n)
{
	double step;

	if (n < 2)
		return false;
	step = (c[n - 1] - c[0]) / (double)(n - 1);
	return isfinite(step) && fabs(step * (double)n - 360) <= 0.01 * step;
}

static void axis_init(struct axis *ax, const double *c, uint64_t n,
		      const struct cf_time *t, bool is_lon)
{
	*ax = (struct axis){ .c = c, .n = n, .t = t };
	ax->dir = direction(c, n);
	ax->eps = t ? 0.5e-6 / t->unit_seconds : 0;
	ax->as_float = !t && all_float(c, n);
	ax->circle = is_lon && !t && ax->dir > 0 && full_circle(c, n);
}

/* A value as the user would write it: a date, or the shortest number
 * that reads back as the value (as a float32 for a float32 coordinate). */
static void fmt_value(const struct axis *ax, double v, char *buf, size_t cap)
{
	if (ax->t || !isfinite(v)) {
		if (ax->t)
			cf_time_format(ax->t, v, buf, cap);
		else
			snprintf(buf, cap, "%g", v);
		return;
	}
	/* Never fewer digits than the integer part has: 180, not 1.8e+02. */
	for (int p = fabs(v) < 1 ? 1 : MIN(17, (int)log10(fabs(v)) + 1); p <= 17;
	     p++) {
		double back;

		snprintf(buf, cap, "%.*g", p, v);
		back = strtod(buf, NULL);
		if (ax->as_float ? (float)back == (float)v : back == v)
			return;
	}
}

static int not_monotonic(const struct axis *ax, char *why, size_t cap)
{
	const double *c = ax->c;
	int d = ax->n < 2 ? 0 : c[1] > c[0] ? 1 : c[1] < c[0] ? -1 : 0;
	char x[64], y[64];
	uint64_t i = 0;

	while (d && i + 2 < ax->n &&
	       (d > 0 ? c[i + 2] > c[i + 1] : c[i + 2] < c[i + 1]))
		i++;
	if (d)
		i++;
	fmt_value(ax, c[i], x, sizeof(x));
	fmt_value(ax, c[MIN(i + 1, ax->n - 1)], y, sizeof(y));
	return lsio_why(why, cap, -LSIO_EJOB,
			"the coordinate is not strictly monotonic (at index %llu: %s, then %s): a slice or a nearest value needs sorted values; select by index with --isel",
			(unsigned long long)i, x, y);
}

/* The first index where the coordinate has gone past x in its own
 * order: ascending, the first value > x (>= x when !strict);
 * descending, the first < x (<= x). */
static uint64_t search(const struct axis *ax, double x, bool strict)
{
	uint64_t lo = 0, hi = ax->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		double c = ax->c[mid];
		bool past = ax->dir > 0 ? (strict ? c > x : c >= x) :
					  (strict ? c < x : c <= x);

		if (past)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The indices [*i0, *i1) between labels a and b, inclusive (a date's
 * period excludes its end), in the coordinate's order. */
static void slice_range(const struct axis *ax, const struct label *a,
			const struct label *b, uint64_t *i0, uint64_t *i1)
{
	if (ax->dir > 0) {
		*i0 = a->given ? search(ax, a->lo - ax->eps, false) : 0;
		*i1 = !b->given ? ax->n :
		      b->open ? search(ax, b->hi - ax->eps, false) :
				search(ax, b->hi, true);
	} else {
		*i0 = !a->given ? 0 :
		      a->open ? search(ax, a->hi - ax->eps, true) :
				search(ax, a->hi, false);
		*i1 = b->given ? search(ax, b->lo - ax->eps, true) : ax->n;
	}
	if (*i1 < *i0)
		*i1 = *i0;
}

/* The nearest index to x on a monotonic coordinate; a tie goes to the
 * larger value, as pandas' nearest does. */
static uint64_t nearest(const struct axis *ax, double x)
{
	uint64_t i = search(ax, x, false);
	double d0, d1;

	if (i == 0 || i == ax->n)
		return i ? i - 1 : 0;
	d0 = fabs(ax->c[i - 1] - x);
	d1 = fabs(ax->c[i] - x);
	if (d0 != d1)
		return d0 < d1 ? i - 1 : i;
	return ax->c[i] > ax->c[i - 1] ? i : i - 1;
}

/* --- selections ---------------------------------------------------------------- */

/* Ranges r[k] = [start, end) of the coordinate, one after the other in
 * the output, every step-th position of them all taken. */
static uint64_t take(struct zarr_labelsel *out, const uint64_t r[][2],
		     const double *shift, int nr, uint64_t step)
{
	uint64_t skip = 0, total = 0;

	out->nseg = 0;
	out->drop = false;
	for (int k = 0; k < nr; k++) {
		uint64_t count = r[k][1] - r[k][0], n;

		if (count <= skip) {
			skip -= count;
			continue;
		}
		count -= skip;
		n = (count - 1) / step + 1;
		out->seg[out->nseg++] = (struct zarr_seg){ r[k][0] + skip, step,
							   n, shift[k] };
		skip = n * step - count;
		total += n;
	}
	return total;
}

static int nothing(const struct axis *ax, const struct spec *s,
		   const char *spec, char *why, size_t cap)
{
	char first[64], last[64];
	uint64_t i0 = 0, i1 = 0;

	fmt_value(ax, ax->c[0], first, sizeof(first));
	fmt_value(ax, ax->c[ax->n - 1], last, sizeof(last));
	/* The ends the other way round, as the coordinate runs? */
	if (s->a.given && s->b.given && !ax->circle)
		slice_range(ax, &s->b, &s->a, &i0, &i1);
	if (i1 > i0)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' selects nothing: the coordinate runs from %s to %s (%s): write '%s:%s'",
				spec, first, last,
				ax->dir > 0 ? "ascending" : "descending",
				s->b.text, s->a.text);
	return lsio_why(why, cap, -LSIO_EJOB,
			"'%s' selects nothing: the coordinate runs from %s to %s",
			spec, first, last);
}

/* A box on a longitude round the circle: east from a to b, wherever the
 * seam is.  Moved by a multiple of 360 to start inside the coordinate's
 * turn, it is the values up to its end, then from the coordinate's start
 * those that lie a turn further on.  An end moved by a turn has lost
 * what 360 cannot hold of it (0.1 - 360 + 360 is not 0.1): it is
 * compared a nanodegree wider. */
static uint64_t seam_slice(const struct axis *ax, const struct spec *s,
			   struct zarr_labelsel *out)
{
	struct label a = s->a, b = s->b;
	double lo = a.lo, hi = b.hi, k, shift[2], eps;
	uint64_t r[2][2];

	if (hi < lo)
		hi += 360;
	k = floor((lo - ax->c[0]) / 360);
	eps = k ? 1e-9 : 0;
	a.lo = lo - 360 * k - eps;
	b.hi = hi - 360 * k + eps;
	slice_range(ax, &a, &b, &r[0][0], &r[0][1]);
	a.lo -= 360;
	b.hi -= 360 - 1e-9 + eps;
	slice_range(ax, &a, &b, &r[1][0], &r[1][1]);
	/* A box 360 degrees wide or more: each column once. */
	r[1][1] = MAX(MIN(r[1][1], r[0][0]), r[1][0]);
	shift[0] = 360 * k;
	shift[1] = 360 * (k + 1);
	return take(out, r, shift, 2, s->step);
}

static int resolve_slice(const struct axis *ax, const struct spec *s,
			 const char *spec, struct zarr_labelsel *out,
			 char *why, size_t cap)
{
	uint64_t r[1][2], total;
	double shift[1] = { 0 };

	if (s->nearest)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s': '~' takes one value, the nearest to it; a slice takes every value between its ends",
				spec);
	if (!ax->dir)
		return not_monotonic(ax, why, cap);
	if (ax->circle && s->a.given && s->b.given) {
		total = seam_slice(ax, s, out);
	} else {
		slice_range(ax, &s->a, &s->b, &r[0][0], &r[0][1]);
		total = take(out, r, shift, 1, s->step);
	}
	return total ? 0 : nothing(ax, s, spec, why, cap);
}

static int absent(const struct axis *ax, const struct spec *s, double x,
		  char *why, size_t cap)
{
	char near[64] = "";
	uint64_t best = 0;

	for (uint64_t i = 1; i < ax->n; i++)
		if (fabs(ax->c[i] - x) < fabs(ax->c[best] - x))
			best = i;
	fmt_value(ax, ax->c[best], near, sizeof(near));
	return lsio_why(why, cap, -LSIO_EJOB,
			"no value is %s: the nearest is %s (write '%s~' for the nearest)",
			s->a.text, near, s->a.text);
}

/* The index whose value is x: a search when sorted, else a scan that
 * must find it once. */
static int exact(const struct axis *ax, const struct spec *s, double x,
		 uint64_t *idx, char *why, size_t cap)
{
	uint64_t i, hits = 0;

	if (ax->dir) {
		i = search(ax, ax->dir > 0 ? x - ax->eps : x + ax->eps, false);
		if (i == ax->n || fabs(ax->c[i] - x) > ax->eps)
			return absent(ax, s, x, why, cap);
		*idx = i;
		return 0;
	}
	for (i = 0; i < ax->n; i++) {
		if (fabs(ax->c[i] - x) <= ax->eps) {
			*idx = i;
			hits++;
		}
	}
	if (hits > 1)
		return lsio_why(why, cap, -LSIO_EJOB,
				"%s is in the coordinate %llu times: select by index with --isel",
				s->a.text, (unsigned long long)hits);
	return hits ? 0 : absent(ax, s, x, why, cap);
}

/* pandas' resolution of a time index: the finest of its values'. */
static enum cf_reso coord_reso(const struct axis *ax)
{
	enum cf_reso r = CF_RESO_DAY;

	for (uint64_t i = 0; i < ax->n && r < CF_RESO_MICRO; i++)
		r = MAX(r, cf_time_reso(ax->t, ax->c[i]));
	return r;
}

/* On a circle, x moved by a multiple of 360 into the coordinate's turn
 * [c0, c0 + 360); *shift the move back.  The nearest may be a turn on. */
static uint64_t on_circle(const struct axis *ax, double *x, double *shift,
			  bool near)
{
	double k = floor((*x - ax->c[0]) / 360), wrap;

	*x -= 360 * k;
	*shift = 360 * k;
	if (!near)
		return 0;
	wrap = ax->c[0] + 360;
	if (*x > ax->c[ax->n - 1] && wrap - *x <= *x - ax->c[ax->n - 1]) {
		*shift += 360;
		return 0;
	}
	return nearest(ax, *x);
}

static int resolve_scalar(const struct axis *ax, struct spec *s,
			  const char *spec, struct zarr_labelsel *out,
			  char *why, size_t cap)
{
	double x = s->a.lo, shift = 0;
	uint64_t i = 0;
	int ret;

	if (ax->t && !s->nearest && s->a.reso < coord_reso(ax)) {
		/* A day of 6-hourly data: all of it, as pandas. */
		s->b = s->a;
		return resolve_slice(ax, s, spec, out, why, cap);
	}
	if (s->nearest && !ax->dir)
		return not_monotonic(ax, why, cap);
	if (ax->circle)
		i = on_circle(ax, &x, &shift, s->nearest);
	/* xarray casts a label to the coordinate's dtype. */
	if (ax->as_float)
		x = (float)x;
	if (s->nearest && !ax->circle)
		i = nearest(ax, x);
	if (!s->nearest) {
		ret = exact(ax, s, x, &i, why, cap);
		if (ret)
			return ret;
	}
	*out = (struct zarr_labelsel){ .nseg = 1, .drop = true };
	out->seg[0] = (struct zarr_seg){ i, 1, 1, shift };
	return 0;
}

int zarr_label_resolve(const double *coord, uint64_t n,
		       const struct cf_time *t, bool is_lon, const char *spec,
		       struct zarr_labelsel *out, char *why, size_t cap)
{
	struct axis ax;
	struct spec s;
	int ret;

	*out = (struct zarr_labelsel){ 0 };
	if (!n)
		return lsio_why(why, cap, -LSIO_EJOB,
				"the coordinate has no values");
	axis_init(&ax, coord, n, t, is_lon);
	ret = parse_spec(&ax, spec ? spec : "", &s, why, cap);
	if (ret)
		return ret;
	if (s.slice)
		return resolve_slice(&ax, &s, spec, out, why, cap);
	return resolve_scalar(&ax, &s, spec, out, why, cap);
}

/* --- terms and indices ----------------------------------------------------- */

int zarr_label_split(const char *term, char *dim, size_t dim_cap,
		     const char **spec)
{
	const char *eq = term ? strchr(term, '=') : NULL;
	size_t len;

	if (!eq || eq == term || !eq[1])
		return -LSIO_EUSAGE;
	len = (size_t)(eq - term);
	if (len >= dim_cap)
		return -ENAMETOOLONG;
	memcpy(dim, term, len);
	dim[len] = 0;
	*spec = eq + 1;
	return 0;
}

int zarr_index_resolve(uint64_t len, const char *spec,
		       struct zarr_labelsel *out, char *why, size_t cap)
{
	struct zarr_dimsel d;
	int ret;

	*out = (struct zarr_labelsel){ 0 };
	if (spec && strchr(spec, ','))
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s': one index or slice per --isel term (DIM=INDEX or DIM=START:STOP:STEP)",
				spec);
	ret = zarr_select_parse(spec, &len, 1, &d, why, cap);
	if (ret)
		return ret;
	out->nseg = 1;
	out->drop = d.drop;
	out->seg[0] = (struct zarr_seg){ d.start, d.step, d.n, 0 };
	return 0;
}
