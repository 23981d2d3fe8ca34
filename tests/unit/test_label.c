/* SPDX-License-Identifier: MIT */
/*
 * test_label.c - --sel and --isel terms resolved against coordinates.
 *
 * Without arguments: cases worked by hand (xarray's rules: inclusive
 * slices in the coordinate's order, exact and nearest values), the error
 * messages, and two properties checked against brute force on random
 * coordinates: a slice takes exactly the values between its ends, and a
 * longitude box on a coordinate round the circle takes exactly the
 * columns that lie in it once moved by a turn, in increasing longitude.
 *
 * With --cases FILE: the table tests/fixtures/labels_ref.py prints, what
 * xarray, pandas and cftime answer for each case (tests/cli/labels.bats
 * runs it); prints "N cases checked, M failed".
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "format/cftime.h"
#include "format/zarr_label.h"
#include "internal.h"
#include "unit.h"

#define MAX_IDX 4096

/* The indices a selection takes, in output order; how many. */
static uint64_t expand(const struct zarr_labelsel *s, uint64_t *idx,
		       double *shift, uint64_t cap)
{
	uint64_t k = 0;

	for (uint32_t g = 0; g < s->nseg; g++)
		for (uint64_t j = 0; j < s->seg[g].n && k < cap; j++, k++) {
			idx[k] = s->seg[g].start + j * s->seg[g].step;
			if (shift)
				shift[k] = s->seg[g].shift;
		}
	return k;
}

/* --- by hand ------------------------------------------------------------------ */

static void test_split(void)
{
	static const struct {
		const char *term, *dim, *spec;
		int ret;
	} cases[] = {
		{ "latitude=60:40", "latitude", "60:40", 0 },
		{ "time=2023-01-10T06:00", "time", "2023-01-10T06:00", 0 },
		{ "a=b=c", "a", "b=c", 0 },
		{ "=5", NULL, NULL, -LSIO_EUSAGE },
		{ "latitude", NULL, NULL, -LSIO_EUSAGE },
		{ "latitude=", NULL, NULL, -LSIO_EUSAGE },
		{ "", NULL, NULL, -LSIO_EUSAGE },
		{ "a_dimension_name_too_long_for_16=1", NULL, NULL, -ENAMETOOLONG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char dim[16] = "";
		const char *spec = NULL;
		int ret = zarr_label_split(cases[i].term, dim, sizeof(dim), &spec);

		CHECK(ret == cases[i].ret, "'%s': %d", cases[i].term, ret);
		if (!ret && !cases[i].ret)
			CHECK(!strcmp(dim, cases[i].dim) && !strcmp(spec, cases[i].spec),
			      "'%s': '%s' '%s'", cases[i].term, dim, spec);
	}
	CHECK(zarr_label_split(NULL, NULL, 0, NULL) == -LSIO_EUSAGE, "NULL");
}

enum coord { LAT, LON360, LON180, LON_HALF, UNSORTED, SIXHOURLY, COORDS };

struct coord_def {
	double first, step;
	uint64_t n;
	const char *units;	/* a time coordinate's */
};

static const struct coord_def coord_defs[COORDS] = {
	[LAT] = { 90, -10, 19, NULL },		/* 90 .. -90 */
	[LON360] = { 0, 10, 36, NULL },		/* 0 .. 350 */
	[LON180] = { -180, 10, 36, NULL },	/* -180 .. 170 */
	[LON_HALF] = { 0, 10, 19, NULL },	/* 0 .. 180: not round */
	[UNSORTED] = { 0, 0, 4, NULL },		/* 0, 2, 1, 3 */
	[SIXHOURLY] = { 0, 6, 40, "hours since 2023-01-01" },	/* 10 days */
};

struct sel_case {
	enum coord coord;
	bool is_lon;
	const char *spec;
	const char *err;	/* a part of the message; NULL: no error */
	uint32_t nseg;
	bool drop;
	struct zarr_seg seg[2];
};

static const struct sel_case sel_cases[] = {
	/* a descending latitude: ends as the coordinate runs */
	{ LAT, 0, "60:40", NULL, 1, 0, { { 3, 1, 3, 0 } } },
	{ LAT, 0, "61:39", NULL, 1, 0, { { 3, 1, 3, 0 } } },
	{ LAT, 0, "60:40:2", NULL, 1, 0, { { 3, 2, 2, 0 } } },
	{ LAT, 0, " 60 : 40 ", NULL, 1, 0, { { 3, 1, 3, 0 } } },
	{ LAT, 0, ":80", NULL, 1, 0, { { 0, 1, 2, 0 } } },
	{ LAT, 0, "-80:", NULL, 1, 0, { { 17, 1, 2, 0 } } },
	{ LAT, 0, ":", NULL, 1, 0, { { 0, 1, 19, 0 } } },
	{ LAT, 0, "1e1", NULL, 1, 1, { { 8, 1, 1, 0 } } },
	{ LAT, 0, "-10", NULL, 1, 1, { { 10, 1, 1, 0 } } },
	{ LAT, 0, "+50.0", NULL, 1, 1, { { 4, 1, 1, 0 } } },
	{ LAT, 0, "51.3~", NULL, 1, 1, { { 4, 1, 1, 0 } } },
	{ LAT, 0, "55~", NULL, 1, 1, { { 3, 1, 1, 0 } } },	/* a tie: the larger */
	{ LAT, 0, "95~", NULL, 1, 1, { { 0, 1, 1, 0 } } },
	{ LAT, 0, "40:60", "'40:60' selects nothing: the coordinate runs from 90 to -90 (descending): write '60:40'", 0, 0, { { 0 } } },
	{ LAT, 0, "100:95", "'100:95' selects nothing: the coordinate runs from 90 to -90", 0, 0, { { 0 } } },
	{ LAT, 0, "51.3", "no value is 51.3: the nearest is 50 (write '51.3~' for the nearest)", 0, 0, { { 0 } } },
	{ LAT, 0, "abc", "'abc' is not a number", 0, 0, { { 0 } } },
	{ LAT, 0, "nan", "'nan' is not a number", 0, 0, { { 0 } } },
	{ LAT, 0, "1:2:3:4", "is not START:STOP or START:STOP:STEP", 0, 0, { { 0 } } },
	{ LAT, 0, "60:40:0", "'0' is not a step", 0, 0, { { 0 } } },
	{ LAT, 0, "60:40:-1", "'-1' is not a step", 0, 0, { { 0 } } },
	{ LAT, 0, "60:40~", "'~' takes one value", 0, 0, { { 0 } } },
	{ LAT, 0, "", "nothing to select", 0, 0, { { 0 } } },
	{ LAT, 0, "~", "nothing to select", 0, 0, { { 0 } } },
	{ LAT, 0, "2023-01-10", "'2023-01-10' is not a number", 0, 0, { { 0 } } },
	/* longitudes round the circle: boxes across the seam */
	{ LON360, 1, "-10:30", NULL, 2, 0, { { 35, 1, 1, -360 }, { 0, 1, 4, 0 } } },
	{ LON360, 1, "350:10", NULL, 2, 0, { { 35, 1, 1, 0 }, { 0, 1, 2, 360 } } },
	{ LON360, 1, "-30:30:2", NULL, 2, 0, { { 33, 2, 2, -360 }, { 1, 2, 2, 0 } } },
	{ LON360, 1, "10:30", NULL, 1, 0, { { 1, 1, 3, 0 } } },
	{ LON360, 1, "-170:-120", NULL, 1, 0, { { 19, 1, 6, -360 } } },
	{ LON360, 1, "-180:180", NULL, 2, 0, { { 18, 1, 18, -360 }, { 0, 1, 18, 0 } } },
	{ LON360, 1, "-10", NULL, 1, 1, { { 35, 1, 1, -360 } } },
	{ LON360, 1, "356~", NULL, 1, 1, { { 0, 1, 1, 360 } } },
	{ LON360, 1, "355~", NULL, 1, 1, { { 0, 1, 1, 360 } } },	/* a tie */
	{ LON360, 1, "354~", NULL, 1, 1, { { 35, 1, 1, 0 } } },
	{ LON360, 1, "351:359", "'351:359' selects nothing: the coordinate runs from 0 to 350", 0, 0, { { 0 } } },
	{ LON360, 0, "-10:30", NULL, 1, 0, { { 0, 1, 4, 0 } } },	/* not a longitude */
	{ LON360, 0, "-10", "no value is -10: the nearest is 0", 0, 0, { { 0 } } },
	{ LON180, 1, "170:190", NULL, 2, 0, { { 35, 1, 1, 0 }, { 0, 1, 2, 360 } } },
	{ LON180, 1, "200:250", NULL, 1, 0, { { 2, 1, 6, 360 } } },
	{ LON180, 1, "350:10", NULL, 1, 0, { { 17, 1, 3, 360 } } },
	{ LON180, 1, "-10:30", NULL, 1, 0, { { 17, 1, 5, 0 } } },
	{ LON_HALF, 1, "-10:30", NULL, 1, 0, { { 0, 1, 4, 0 } } },	/* not round */
	{ LON_HALF, 1, "350:10", "'350:10' selects nothing", 0, 0, { { 0 } } },
	/* not sorted: exact values only */
	{ UNSORTED, 0, "1", NULL, 1, 1, { { 2, 1, 1, 0 } } },
	{ UNSORTED, 0, "0:2", "the coordinate is not strictly monotonic (at index 1: 2, then 1)", 0, 0, { { 0 } } },
	{ UNSORTED, 0, "1~", "not strictly monotonic", 0, 0, { { 0 } } },
	{ UNSORTED, 0, "5", "no value is 5: the nearest is 3", 0, 0, { { 0 } } },
	/* dates: a day of 6-hourly data is all of it, an hour one value */
	{ SIXHOURLY, 0, "2023-01-02", NULL, 1, 0, { { 4, 1, 4, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02T06", NULL, 1, 1, { { 5, 1, 1, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02 06:00:00", NULL, 1, 1, { { 5, 1, 1, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02T07~", NULL, 1, 1, { { 5, 1, 1, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02:2023-01-03", NULL, 1, 0, { { 4, 1, 8, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02T06:30:2023-01-03", NULL, 1, 0, { { 6, 1, 6, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02:2023-01-03T06:00", NULL, 1, 0, { { 4, 1, 6, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02:2023-01-03:3", NULL, 1, 0, { { 4, 3, 3, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02T06:00:2023-01-03T06:00:3", NULL, 1, 0, { { 5, 3, 2, 0 } } },
	{ SIXHOURLY, 0, "2023-01-09:", NULL, 1, 0, { { 32, 1, 8, 0 } } },
	{ SIXHOURLY, 0, ":2023-01-01T06", NULL, 1, 0, { { 0, 1, 2, 0 } } },
	{ SIXHOURLY, 0, "2023-01", NULL, 1, 0, { { 0, 1, 40, 0 } } },
	{ SIXHOURLY, 0, "2023-01-02T07", "no value is 2023-01-02T07: the nearest is 2023-01-02T06:00:00", 0, 0, { { 0 } } },
	{ SIXHOURLY, 0, "2023-02-30", "February 2023 has 28 days", 0, 0, { { 0 } } },
	{ SIXHOURLY, 0, "2023-01-03:2023-01-02", "selects nothing: the coordinate runs from 2023-01-01T00:00:00 to 2023-01-10T18:00:00 (ascending): write '2023-01-02:2023-01-03'", 0, 0, { { 0 } } },
	{ SIXHOURLY, 0, "2023-02", "'2023-02' selects nothing", 0, 0, { { 0 } } },
	{ SIXHOURLY, 0, "20:30", "is not a date", 0, 0, { { 0 } } },
};

static void make_coord(enum coord c, double *v, struct cf_time *t,
		       const struct cf_time **tp)
{
	static const double unsorted[] = { 0, 2, 1, 3 };
	char why[256];

	for (uint64_t i = 0; i < coord_defs[c].n; i++)
		v[i] = c == UNSORTED ? unsorted[i] :
				       coord_defs[c].first + coord_defs[c].step * (double)i;
	*tp = NULL;
	if (coord_defs[c].units) {
		CHECK(!cf_time_parse(coord_defs[c].units, NULL, t, why, sizeof(why)),
		      "%s", why);
		*tp = t;
	}
}

static void test_sel_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sel_cases); i++) {
		const struct sel_case *c = &sel_cases[i];
		double v[64];
		struct cf_time t;
		const struct cf_time *tp;
		struct zarr_labelsel got;
		char why[512] = "";
		int ret;

		make_coord(c->coord, v, &t, &tp);
		ret = zarr_label_resolve(v, coord_defs[c->coord].n, tp, c->is_lon,
					 c->spec, &got, why, sizeof(why));
		if (c->err) {
			CHECK(ret == -LSIO_EJOB && strstr(why, c->err),
			      "'%s': returned %d, want '%s', got '%s'", c->spec,
			      ret, c->err, why);
			continue;
		}
		CHECK(!ret, "'%s': %s", c->spec, why);
		if (ret)
			continue;
		CHECK(got.nseg == c->nseg && got.drop == c->drop,
		      "'%s': %u segments drop %d", c->spec, got.nseg, got.drop);
		for (uint32_t g = 0; g < c->nseg && g < got.nseg; g++)
			CHECK(got.seg[g].start == c->seg[g].start &&
			      got.seg[g].step == c->seg[g].step &&
			      got.seg[g].n == c->seg[g].n &&
			      got.seg[g].shift == c->seg[g].shift,
			      "'%s' segment %u: %llu/%llu/%llu shift %g", c->spec, g,
			      (unsigned long long)got.seg[g].start,
			      (unsigned long long)got.seg[g].step,
			      (unsigned long long)got.seg[g].n, got.seg[g].shift);
	}
}

static void test_edges(void)
{
	struct zarr_labelsel got;
	double nan1[1] = { NAN }, one[1] = { 5 };
	char why[256] = "";

	CHECK(zarr_label_resolve(one, 0, NULL, false, "5", &got, why, sizeof(why)) ==
		      -LSIO_EJOB && strstr(why, "no values"), "%s", why);
	CHECK(zarr_label_resolve(nan1, 1, NULL, false, "0:1", &got, why, sizeof(why)) ==
		      -LSIO_EJOB && strstr(why, "not strictly monotonic"), "%s", why);
	CHECK(!zarr_label_resolve(one, 1, NULL, true, "0:10", &got, why, sizeof(why)) &&
		      got.nseg == 1 && got.seg[0].n == 1, "%s", why);
	CHECK(zarr_label_resolve(one, 1, NULL, false, NULL, &got, why, sizeof(why)) ==
		      -LSIO_EJOB, "NULL spec");
	/* A NaN among the values (found by fuzz_labels): said, not used. */
	double with_nan[3] = { 0, NAN, INFINITY };

	CHECK(zarr_label_resolve(with_nan, 3, NULL, false, "5", &got, why, sizeof(why)) ==
		      -LSIO_EJOB && strstr(why, "no value is 5"), "%s", why);
	CHECK(zarr_label_resolve(with_nan, 3, NULL, false, "0:5", &got, why, sizeof(why)) ==
		      -LSIO_EJOB && strstr(why, "(at index 0: 0, then nan)"), "%s", why);
	with_nan[1] = 1;
	CHECK(zarr_label_resolve(with_nan, 3, NULL, true, "-10:10", &got, why, sizeof(why)) ==
		      0 && got.nseg == 1 && got.seg[0].n == 2, "%s", why);
	char big[400];

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(zarr_label_resolve(one, 1, NULL, false, big, &got, why, sizeof(why)) ==
		      -LSIO_EJOB && strstr(why, "too long"), "%s", why);
}

static void test_index(void)
{
	static const struct {
		uint64_t len;
		const char *spec, *err;
		struct zarr_seg seg;
		bool drop;
	} cases[] = {
		{ 10, "5", NULL, { 5, 1, 1, 0 }, true },
		{ 10, "-1", NULL, { 9, 1, 1, 0 }, true },
		{ 10, "2:10", NULL, { 2, 1, 8, 0 }, false },
		{ 10, "::2", NULL, { 0, 2, 5, 0 }, false },
		{ 10, "7:2", NULL, { 7, 1, 0, 0 }, false },
		{ 10, "", NULL, { 0, 1, 10, 0 }, false },
		{ 10, "10", "out of bounds", { 0 }, false },
		{ 10, "1,2", "one index or slice per --isel term", { 0 }, false },
		{ 10, "::-1", "negative steps", { 0 }, false },
		{ 10, "x", "is not an integer", { 0 }, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct zarr_labelsel got;
		char why[256] = "";
		int ret = zarr_index_resolve(cases[i].len, cases[i].spec, &got, why,
					     sizeof(why));

		if (cases[i].err) {
			CHECK(ret == -LSIO_EJOB && strstr(why, cases[i].err),
			      "'%s': %d '%s'", cases[i].spec, ret, why);
			continue;
		}
		CHECK(!ret && got.nseg == 1 && got.drop == cases[i].drop &&
		      got.seg[0].start == cases[i].seg.start &&
		      got.seg[0].step == cases[i].seg.step &&
		      got.seg[0].n == cases[i].seg.n,
		      "'%s': %d %s", cases[i].spec, ret, why);
	}
}

/* --- against brute force --------------------------------------------------------- */

static double rnd(double lo, double hi)
{
	return lo + (hi - lo) * (rand() / (double)RAND_MAX);
}

/* Random strictly monotonic coordinates (some with repeated spacing),
 * random ends (on values, between them, outside): the selection is
 * every value v with LO >= v >= HI in the coordinate's order, a range. */
static void test_slices_brute(void)
{
	for (int iter = 0; iter < 3000; iter++) {
		uint64_t n = 1 + (uint64_t)(rand() % 40), idx[64], k;
		double v[64], lo, hi;
		bool desc, a_given = rand() % 5, b_given = rand() % 5;
		char spec[128], why[256];
		struct zarr_labelsel got;
		int ret;
		uint64_t want[64], nwant = 0;

		/* One value is ascending, as pandas has it. */
		desc = n > 1 && rand() % 2;
		v[0] = rnd(-100, 100);
		for (uint64_t i = 1; i < n; i++)
			v[i] = v[i - 1] + (desc ? -1 : 1) * (rand() % 3 ? 1.5 : rnd(0.01, 5));
		lo = rand() % 3 ? v[rand() % n] : rnd(-130, 130);
		hi = rand() % 3 ? v[rand() % n] : rnd(-130, 130);
		snprintf(spec, sizeof(spec), "%.17g:%.17g", lo, hi);
		if (!a_given)
			snprintf(spec, sizeof(spec), ":%.17g", hi);
		if (!b_given)
			snprintf(spec, sizeof(spec), "%.17g:", lo);
		if (!a_given && !b_given)
			snprintf(spec, sizeof(spec), ":");
		for (uint64_t i = 0; i < n; i++) {
			bool after_a = !a_given || (desc ? v[i] <= lo : v[i] >= lo);
			bool before_b = !b_given || (desc ? v[i] >= hi : v[i] <= hi);

			if (after_a && before_b)
				want[nwant++] = i;
		}
		ret = zarr_label_resolve(v, n, NULL, false, spec, &got, why, sizeof(why));
		if (!nwant) {
			CHECK(ret == -LSIO_EJOB && strstr(why, "selects nothing"),
			      "'%s': %d %s", spec, ret, why);
			continue;
		}
		CHECK(!ret, "'%s': %s", spec, why);
		if (ret)
			continue;
		k = expand(&got, idx, NULL, 64);
		CHECK(k == nwant && !memcmp(idx, want, k * sizeof(*idx)) &&
		      got.nseg == 1, "'%s' on %llu values: %llu taken, want %llu",
		      spec, (unsigned long long)n, (unsigned long long)k,
		      (unsigned long long)nwant);
	}
}

/* Longitudes round the circle (random start, n columns of 360/n), a
 * random box LO:HI: the columns whose value moved into [LO, LO + 360)
 * lies in [LO, HI] (HI < LO: HI + 360), in increasing moved value; each
 * taken value plus its segment's shift is that moved value. */
static void test_seam_brute(void)
{
	for (int iter = 0; iter < 3000; iter++) {
		/* Spacings whose multiples are exact, as are the moves by
		 * 360: the brute force's sums are then exact too. */
		static const int ns[] = { 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16,
					  18, 20, 24, 30, 36, 40, 45, 48, 60 };
		uint64_t n = (uint64_t)ns[rand() % ARRAY_SIZE(ns)], idx[64], k;
		uint64_t want[64], nwant = 0;
		double v[64], moved[64], shift[64], step = 360.0 / (double)n;
		double c0 = (double)(rand() % 8) * 45 - 180, lo, hi, top;
		char spec[128], why[256];
		struct zarr_labelsel got;
		int ret;

		for (uint64_t i = 0; i < n; i++)
			v[i] = c0 + step * (double)i;
		lo = rand() % 2 ? v[rand() % n] + 360 * (rand() % 3 - 1) : rnd(-400, 400);
		hi = rand() % 2 ? v[rand() % n] + 360 * (rand() % 3 - 1) : rnd(-400, 400);
		snprintf(spec, sizeof(spec), "%.17g:%.17g", lo, hi);
		top = hi < lo ? hi + 360 : hi;
		/* v + 360 m, exact, in [lo, lo + 360) */
		for (uint64_t i = 0; i < n; i++) {
			moved[i] = v[i] + 360 * ceil((lo - v[i]) / 360);
			while (moved[i] < lo)
				moved[i] += 360;
			while (moved[i] - 360 >= lo)
				moved[i] -= 360;
		}
		/* In increasing moved value: from the first column at or
		 * after lo, round once. */
		for (uint64_t j = 0, first = 0; j < n; j++) {
			uint64_t i;

			if (j == 0)
				for (uint64_t q = 1; q < n; q++)
					if (moved[q] < moved[first])
						first = q;
			i = (first + j) % n;
			if (moved[i] <= top)
				want[nwant++] = i;
		}
		ret = zarr_label_resolve(v, n, NULL, true, spec, &got, why, sizeof(why));
		if (!nwant) {
			CHECK(ret == -LSIO_EJOB, "'%s' on %g + %llu x %g: %d", spec, c0,
			      (unsigned long long)n, step, ret);
			continue;
		}
		CHECK(!ret, "'%s': %s", spec, why);
		if (ret)
			continue;
		k = expand(&got, idx, shift, 64);
		CHECK(k == nwant && !memcmp(idx, want, k * sizeof(*idx)),
		      "'%s' on %g + %llu x %g: %llu columns, want %llu", spec, c0,
		      (unsigned long long)n, step, (unsigned long long)k,
		      (unsigned long long)nwant);
		for (uint64_t j = 0; j < k && j < nwant; j++)
			CHECK(fabs(v[idx[j]] + shift[j] - moved[idx[j]]) < 1e-9,
			      "'%s' column %llu: %g + %g, want %g", spec,
			      (unsigned long long)idx[j], v[idx[j]], shift[j],
			      moved[idx[j]]);
	}
}

/* --- against xarray: the table labels_ref.py prints ----------------------------- */

struct cases_run {
	int checked, failed;
	unsigned line;
};

static void case_fail(struct cases_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void case_fail(struct cases_run *r, const char *fmt, ...)
{
	va_list ap;

	r->failed++;
	fprintf(stderr, "line %u: ", r->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Split line at tabs into at most max fields; how many. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = 0;
	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = 0;
	}
	return n;
}

static uint64_t parse_list(const char *s, double *v, uint64_t cap)
{
	uint64_t n = 0;
	char *end;

	while (*s && n < cap) {
		v[n++] = strtod(s, &end);
		if (end == s || *end != ',')
			break;
		s = end + 1;
	}
	return n;
}

static const char *dash(const char *s)
{
	return strcmp(s, "-") ? s : NULL;
}

/* EXPECT "error" or "DROP:I,I,..."; OUT "-" or the output values. */
static void check_sel(struct cases_run *r, const char *what,
		      const double *c, uint64_t n, int ret, const char *why,
		      const struct zarr_labelsel *got, const char *expect,
		      const char *out)
{
	static uint64_t idx[MAX_IDX];
	static double shift[MAX_IDX], want[MAX_IDX];
	uint64_t k, nw;

	if (!strcmp(expect, "error")) {
		if (!ret)
			case_fail(r, "%s: xarray selects nothing or fails, lsio does not", what);
		return;
	}
	if (ret) {
		case_fail(r, "%s: %s", what, why);
		return;
	}
	k = expand(got, idx, shift, MAX_IDX);
	nw = parse_list(expect + 2, want, MAX_IDX);
	if (expect[0] != '-' && got->drop != (expect[0] == '1'))
		case_fail(r, "%s: drop %d, xarray's %c", what, got->drop, expect[0]);
	for (uint64_t j = 0; j < k && j < nw; j++) {
		if ((double)idx[j] != want[j]) {
			case_fail(r, "%s: output %llu is index %llu, xarray's %g", what,
				  (unsigned long long)j, (unsigned long long)idx[j],
				  want[j]);
			return;
		}
	}
	if (k != nw)
		case_fail(r, "%s: %llu indices, xarray's %llu", what,
			  (unsigned long long)k, (unsigned long long)nw);
	if (!dash(out) || k != nw)
		return;
	nw = parse_list(out, want, MAX_IDX);
	for (uint64_t j = 0; j < k && j < nw && n; j++) {
		double v = c[idx[j]] + shift[j];

		if (fabs(v - want[j]) > 1e-9 * MAX(1, fabs(want[j]))) {
			case_fail(r, "%s: output value %llu is %.17g, want %.17g", what,
				  (unsigned long long)j, v, want[j]);
			return;
		}
	}
}

static void case_sel(struct cases_run *r, char **f, int nf)
{
	static double c[MAX_IDX];
	struct cf_time t;
	struct zarr_labelsel got;
	char why[512] = "", what[400];
	uint64_t n;
	int ret;

	if (nf != 9) {
		case_fail(r, "a sel line has %d fields, not 9", nf);
		return;
	}
	snprintf(what, sizeof(what), "%s '%s'", f[1], f[6]);
	n = parse_list(f[2], c, MAX_IDX);
	if (dash(f[3]) && cf_time_parse(f[3], dash(f[4]), &t, why, sizeof(why))) {
		case_fail(r, "%s: %s", what, why);
		return;
	}
	ret = zarr_label_resolve(c, n, dash(f[3]) ? &t : NULL, !strcmp(f[5], "1"),
				 f[6], &got, why, sizeof(why));
	check_sel(r, what, c, n, ret, why, &got, f[7], f[8]);
}

static void case_isel(struct cases_run *r, char **f, int nf)
{
	struct zarr_labelsel got;
	char why[512] = "", what[128];
	int ret;

	if (nf != 5) {
		case_fail(r, "an isel line has %d fields, not 5", nf);
		return;
	}
	snprintf(what, sizeof(what), "isel %s '%s'", f[1], f[3]);
	ret = zarr_index_resolve(strtoull(f[2], NULL, 10), f[3], &got, why,
				 sizeof(why));
	/* xarray's empty .isel is a selection: lsio's too */
	if (!strcmp(f[4], "0:") && !ret && got.seg[0].n == 0)
		return;
	check_sel(r, what, NULL, 0, ret, why, &got, f[4], "-");
}

static void case_time(struct cases_run *r, char **f, int nf)
{
	struct cf_time t;
	struct cf_period p;
	char why[512] = "";
	int ret;

	if (nf != 6) {
		case_fail(r, "a time line has %d fields, not 6", nf);
		return;
	}
	if (cf_time_parse(f[1], dash(f[2]), &t, why, sizeof(why))) {
		case_fail(r, "'%s': %s", f[1], why);
		return;
	}
	ret = cf_time_period(&t, f[3], &p, why, sizeof(why));
	if (!strcmp(f[4], "error")) {
		if (!ret)
			case_fail(r, "'%s' in '%s' %s: xarray refuses it, lsio does not",
				  f[3], f[1], f[2]);
		return;
	}
	if (ret) {
		case_fail(r, "'%s' in '%s': %s", f[3], f[1], why);
		return;
	}
	/* To a microsecond, cftime's resolution. */
	if (fabs(p.lo - strtod(f[4], NULL)) * t.unit_seconds > 1e-6 ||
	    (dash(f[5]) && fabs(p.end - strtod(f[5], NULL)) * t.unit_seconds > 1e-6))
		case_fail(r, "'%s' in '%s' %s: [%.17g, %.17g), xarray's [%s, %s)",
			  f[3], f[1], f[2], p.lo, p.end, f[4], f[5]);
}

static void case_fmt(struct cases_run *r, char **f, int nf)
{
	struct cf_time t;
	char why[512] = "", buf[64];

	if (nf != 5) {
		case_fail(r, "a fmt line has %d fields, not 5", nf);
		return;
	}
	if (cf_time_parse(f[1], dash(f[2]), &t, why, sizeof(why))) {
		case_fail(r, "'%s': %s", f[1], why);
		return;
	}
	cf_time_format(&t, strtod(f[3], NULL), buf, sizeof(buf));
	if (strcmp(buf, f[4]))
		case_fail(r, "%s in '%s' %s: '%s', xarray's '%s'", f[3], f[1], f[2],
			  buf, f[4]);
}

static void case_bad(struct cases_run *r, char **f, int nf)
{
	struct cf_time t;
	char why[512] = "";

	if (nf != 3)
		case_fail(r, "a bad line has %d fields, not 3", nf);
	else if (!cf_time_parse(f[1], dash(f[2]), &t, why, sizeof(why)))
		case_fail(r, "'%s' %s: xarray cannot decode it, lsio can", f[1], f[2]);
}

static int run_cases(const char *path)
{
	static char line[1 << 20];
	struct cases_run r = { 0 };
	FILE *fp = fopen(path, "r");

	if (!fp) {
		fprintf(stderr, "test_label: cannot open '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *f[10];
		int nf;

		r.line++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		nf = fields(line, f, 10);
		r.checked++;
		if (!strcmp(f[0], "sel"))
			case_sel(&r, f, nf);
		else if (!strcmp(f[0], "isel"))
			case_isel(&r, f, nf);
		else if (!strcmp(f[0], "time"))
			case_time(&r, f, nf);
		else if (!strcmp(f[0], "fmt"))
			case_fmt(&r, f, nf);
		else if (!strcmp(f[0], "bad"))
			case_bad(&r, f, nf);
		else
			case_fail(&r, "unknown case '%s'", f[0]);
	}
	fclose(fp);
	printf("%d cases checked, %d failed\n", r.checked, r.failed);
	return r.failed || !r.checked;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--cases"))
		return run_cases(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test_label [--cases FILE]\n");
		return 2;
	}
	srand(15);
	test_split();
	test_sel_table();
	test_edges();
	test_index();
	test_slices_brute();
	test_seam_brute();
	return unit_done("test_label");
}
