/* SPDX-License-Identifier: MIT */
/*
 * test_cftime.c - CF time units, calendars, labels and dates, against
 * values worked by hand from the CF conventions (4.4) and the calendars'
 * rules: 1970-01-01 is day 0 of "days since 1970-01-01", 2023-01-10 is day
 * 44934 after 1900-01-01 (Excel's serial 44936 less its two extra days),
 * the Julian calendar's 1500 is a leap year and the Gregorian's is not.
 * xarray's and cftime's own answers for many more cases are checked by
 * tests/cli/labels.bats (tests/fixtures/labels_ref.py).
 *
 * Then properties no table can cover: in every calendar, every day of
 * four centuries follows the one before by one day, and its label reads
 * back from the value it gives.
 */
#include <math.h>
#include <stdlib.h>

#include "format/cftime.h"
#include "internal.h"
#include "unit.h"

struct value_case {
	const char *units, *calendar, *label;
	double lo, end;		/* NAN end: not checked */
	const char *err;	/* a part of the message; NULL: no error */
};

#define H1900 "hours since 1900-01-01 00:00:0.0"

static const struct value_case value_cases[] = {
	{ "days since 1970-01-01", NULL, "1970-01-01", 0, 1, NULL },
	{ "days since 1970-01-01", "standard", "1970-01-01T06", 0.25, 0.25 + 1 / 24.0, NULL },
	{ H1900, NULL, "2023-01-10T06", 44934 * 24 + 6, 44934 * 24 + 7, NULL },
	{ H1900, NULL, "2023-01-10", 44934 * 24, 44935 * 24, NULL },
	{ H1900, NULL, "2023-01-10 06:30:00", 44934 * 24 + 6.5, 44934 * 24 + 6.5 + 1 / 3600.0, NULL },
	{ H1900, NULL, "2023-01", (44934 - 9) * 24, (44934 - 9 + 31) * 24, NULL },
	{ "hours since 2000-01-01", NULL, "2000", 0, 366 * 24, NULL },
	{ "hours since 2000-01-01", NULL, "2000-02", 31 * 24, 60 * 24, NULL },
	{ "minutes since 2023-01-10 06:00", NULL, "2023-01-10T06:30", 30, 31, NULL },
	{ "seconds since 1970-01-01T00:00:00+01:00", NULL, "1970-01-01", 3600, 90000, NULL },
	{ "seconds since 1970-01-01 00:00:00Z", NULL, "1970-01-01T00:00:01", 1, 2, NULL },
	{ "seconds since 1970-01-01 00:00:00 UTC", NULL, "1970-01-01T00:01", 60, 120, NULL },
	{ "seconds since 1970-01-01 01:00 +0100", NULL, "1970-01-01", 0, 86400, NULL },
	{ "seconds since 1992-10-8 15:15:42.5 -6:00", NULL, "1992-10-08T21:15:42.5", 0, 0.001, NULL },
	{ "seconds since 1992-10-8 15:15:42.5 -6", NULL, "1992-10-08T21:15:42", -0.5, 0.5, NULL },
	{ "s since 2000-01-01", NULL, "2000-01-01T00:00:00.000001", 1e-6, 2e-6, NULL },
	{ "d since 1970-01-01", NULL, "1970-01-03", 2, 3, NULL },
	{ "hr since 1970-01-01", NULL, "1970-01-03", 48, 72, NULL },
	{ "h since 1970-01-01", NULL, "1970-01-01T12", 12, 13, NULL },
	{ "min since 1970-01-01", NULL, "1970-01-01T01", 60, 120, NULL },
	{ "sec since 1970-01-01", NULL, "1970-01-01T01", 3600, 7200, NULL },
	{ "Days Since 1970-01-01", NULL, "1970-01-03", 2, 3, NULL },
	{ "weeks since 1970-01-01", NULL, "1970-01-15", 2, 2 + 1 / 7.0, NULL },
	{ "week since 1970-01-01", NULL, "1969-12-25", -1, -1 + 1 / 7.0, NULL },
	{ "milliseconds since 1970-01-01", NULL, "1970-01-01T00:00:01", 1000, 2000, NULL },
	/* the calendars */
	{ "days since 2000-01-01", "360_day", "2000-02-30", 59, 60, NULL },
	{ "days since 2000-01-01", "360_day", "2001-01-01", 360, 361, NULL },
	{ "days since 2000-01-01", "360_day", "2000-02", 30, 60, NULL },
	{ "days since 2000-01-01", "noleap", "2001-01-01", 365, 366, NULL },
	{ "days since 2000-01-01", "365_day", "2000-03-01", 59, 60, NULL },
	{ "days since 2000-01-01", "all_leap", "2001-03-01", 366 + 60, 366 + 61, NULL },
	{ "days since 2000-01-01", "366_day", "2001", 366, 732, NULL },
	{ "days since 1582-10-04", NULL, "1582-10-15", 1, 2, NULL },
	{ "days since 1582-10-04", "gregorian", "1582-10", -3, 18, NULL },
	{ "days since 1582-10-04", "julian", "1582-10-15", 11, 12, NULL },
	{ "days since 1582-10-04", "proleptic_gregorian", "1582-10-15", 11, 12, NULL },
	{ "days since 1500-01-01", NULL, "1501-01-01", 366, 367, NULL },
	{ "days since 1500-01-01", "proleptic_gregorian", "1501-01-01", 365, 366, NULL },
	{ "days since 0000-01-01", "proleptic_gregorian", "0001-01-01", 366, 367, NULL },
	{ "months since 2000-01-01", "360_day", "2000-03-16", 2.5, 2.5 + 1 / 30.0, NULL },
	{ "common_years since 2000-01-01", "noleap", "2002-01-01", 2, 2 + 1 / 365.0, NULL },
	/* dates that do not exist */
	{ "days since 2000-01-01", NULL, "2023-02-29", 0, 0, "February 2023 has 28 days" },
	{ "days since 2000-01-01", "noleap", "2000-02-29", 0, 0, "noleap calendar: February 2000 has 28 days" },
	{ "days since 2000-01-01", "360_day", "2000-02-31", 0, 0, "has 30 days" },
	{ "days since 2000-01-01", "proleptic_gregorian", "1900-02-29", 0, 0, "has 28 days" },
	{ "days since 2000-01-01", "julian", "1900-02-30", 0, 0, "February 1900 has 29 days" },
	{ "days since 2000-01-01", NULL, "1582-10-10", 0, 0, "Julian calendar ends on 1582-10-04" },
	{ "days since 2000-01-01", NULL, "0000-01-01", 0, 0, "has no year 0" },
	{ "days since 2000-01-01", NULL, "2023-13-01", 0, 0, "no month 13" },
	{ "days since 2000-01-01", NULL, "2023-00-01", 0, 0, "no month 0" },
	{ "days since 2000-01-01", NULL, "2023-01-00", 0, 0, "January 2023 has 31 days" },
	{ "days since 2000-01-01", NULL, "2023-01-10T24", 0, 0, "no such time of day" },
	{ "days since 2000-01-01", NULL, "2023-01-10T06:60", 0, 0, "no such time of day" },
	{ "days since 2000-01-01", NULL, "2023-01-10T06:00:60", 0, 0, "no such time of day" },
	/* labels that are no dates */
	{ "days since 2000-01-01", NULL, "23-01-10", 0, 0, "is not a date: write YYYY-MM-DD" },
	{ "days since 2000-01-01", NULL, "2023-1-10", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "2023-01-10T6", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "2023-01-10T06:3", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "2023-01-10+01:00", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "2023-01-10T06:00:00+01:00", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "2023-01-10x", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "20230110", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "", 0, 0, "is not a date" },
	{ "days since 2000-01-01", NULL, "1e3", 0, 0, "is not a date" },
};

static void test_values(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(value_cases); i++) {
		const struct value_case *c = &value_cases[i];
		struct cf_time t;
		struct cf_period p;
		char why[512] = "";
		int ret = cf_time_parse(c->units, c->calendar, &t, why, sizeof(why));

		CHECK(!ret, "'%s': %s", c->units, why);
		if (ret)
			continue;
		ret = cf_time_period(&t, c->label, &p, why, sizeof(why));
		if (c->err) {
			CHECK(ret == -LSIO_EJOB && strstr(why, c->err),
			      "'%s' in '%s': returned %d, want an error with '%s', got '%s'",
			      c->label, c->units, ret, c->err, why);
			continue;
		}
		CHECK(!ret, "'%s' in '%s': %s", c->label, c->units, why);
		if (ret)
			continue;
		/* To a microsecond: what cftime itself resolves. */
		CHECK(fabs(p.lo - c->lo) * t.unit_seconds < 1e-6 &&
		      fabs(p.end - c->end) * t.unit_seconds < 1e-6,
		      "'%s' in '%s' %s: [%.17g, %.17g), want [%.17g, %.17g)",
		      c->label, c->units, c->calendar ? c->calendar : "",
		      p.lo, p.end, c->lo, c->end);
	}
}

struct units_case {
	const char *units, *calendar;
	const char *err;	/* a part of the message; NULL: parses */
};

static const struct units_case units_cases[] = {
	{ "days since 1970-01-01", "STANDARD", NULL },
	{ "  hours   since   1900-01-01  ", "Proleptic_Gregorian", NULL },
	{ "days since 1-1-1 0:0:0", NULL, NULL },
	{ "days since 1970-01-01T00:00:00.000000Z", NULL, NULL },
	{ "days since 1970", NULL, NULL },
	{ "days since 1970-01-01", "", NULL },
	{ "months since 2000-01-01", NULL, "'months' is not a fixed length of time" },
	{ "month since 2000-01-01", "noleap", "is not a fixed length of time" },
	{ "years since 2000-01-01", "360_day", "CF advises against month and year units" },
	{ "yr since 2000-01-01", NULL, "is not a fixed length" },
	{ "common_years since 2000-01-01", "360_day", "is not a fixed length" },
	{ "fortnights since 2000-01-01", NULL, "unknown time unit 'fortnights'" },
	{ "us since 2000-01-01", NULL, "unknown time unit 'us'" },
	{ "days after 2000-01-01", NULL, "are not CF time units" },
	{ "days", NULL, "are not CF time units" },
	{ "", NULL, "are not CF time units" },
	{ NULL, NULL, "are not CF time units" },
	{ "days since", NULL, "are not CF time units" },
	{ "days since yesterday", NULL, "is not a reference date" },
	{ "days since 2000-01-01 +25", NULL, "is not a reference date" },
	{ "days since 2000-01-01 00:00 +01:00 x", NULL, "is not a reference date" },
	{ "days since 2000-13-01", NULL, "no month 13" },
	{ "days since 2001-02-29", "noleap", "has 28 days" },
	{ "days since 0000-01-01", "julian", "has no year 0" },
	{ "days since 2000-01-01", "lunar", "unknown calendar 'lunar'" },
	{ "days since 2000-01-01", "none", "unknown calendar 'none'" },
};

static void test_units(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(units_cases); i++) {
		const struct units_case *c = &units_cases[i];
		struct cf_time t;
		char why[512] = "";
		int ret = cf_time_parse(c->units, c->calendar, &t, why, sizeof(why));

		if (!c->err)
			CHECK(!ret, "'%s' '%s': %s", c->units, c->calendar, why);
		else
			CHECK(ret == -LSIO_EJOB && strstr(why, c->err),
			      "'%s' '%s': returned %d, want '%s', got '%s'",
			      c->units ? c->units : "(null)", c->calendar, ret,
			      c->err, why);
	}
}

struct format_case {
	const char *units, *calendar;
	double value;
	const char *want;
};

static const struct format_case format_cases[] = {
	{ "days since 1970-01-01", NULL, 0, "1970-01-01T00:00:00" },
	{ "days since 1970-01-01", NULL, 0.5, "1970-01-01T12:00:00" },
	{ "days since 1970-01-01", NULL, -0.5, "1969-12-31T12:00:00" },
	{ "days since 1970-01-01", NULL, 1e-6, "1970-01-01T00:00:00.0864" },
	{ "seconds since 1970-01-01T00:00:00+01:00", NULL, 0, "1969-12-31T23:00:00" },
	{ H1900, NULL, 44934 * 24 + 6, "2023-01-10T06:00:00" },
	{ "days since 1582-10-04", NULL, 1, "1582-10-15T00:00:00" },
	{ "days since 1582-10-04", NULL, -1, "1582-10-03T00:00:00" },
	{ "days since 1582-10-04", "proleptic_gregorian", 1, "1582-10-05T00:00:00" },
	{ "days since 2000-01-01", "360_day", 59, "2000-02-30T00:00:00" },
	{ "days since 2000-01-01", "360_day", -1, "1999-12-30T00:00:00" },
	{ "days since 2000-01-01", "noleap", 59, "2000-03-01T00:00:00" },
	{ "days since 2000-01-01", "all_leap", 425, "2001-02-29T00:00:00" },
	{ "days since 2000-01-01", "julian", 0, "2000-01-01T00:00:00" },
	{ "seconds since 2000-01-01", NULL, 0.999999, "2000-01-01T00:00:00.999999" },
	{ "seconds since 2000-01-01", NULL, 0.9999996, "2000-01-01T00:00:01" },
	{ "days since 2000-01-01", NULL, NAN, "nan" },
	{ "days since 2000-01-01", NULL, 1e300, "1.0000000000000001e+300" },
};

static void test_format(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_cases); i++) {
		const struct format_case *c = &format_cases[i];
		struct cf_time t;
		char why[512] = "", buf[64];

		CHECK(!cf_time_parse(c->units, c->calendar, &t, why, sizeof(why)),
		      "'%s': %s", c->units, why);
		cf_time_format(&t, c->value, buf, sizeof(buf));
		CHECK(!strcmp(buf, c->want), "%.17g '%s': '%s', want '%s'",
		      c->value, c->units, buf, c->want);
	}
}

static void test_reso(void)
{
	static const struct {
		const char *units;
		double value;
		enum cf_reso want;
	} cases[] = {
		{ "days since 2000-01-01", 3, CF_RESO_DAY },
		{ "days since 2000-01-01", 3.25, CF_RESO_HOUR },
		{ "hours since 2000-01-01", 1.5, CF_RESO_MINUTE },
		{ "minutes since 2000-01-01", 1.5, CF_RESO_SECOND },
		{ "seconds since 2000-01-01", 1.5, CF_RESO_MILLI },
		{ "seconds since 2000-01-01", 1.0005, CF_RESO_MICRO },
		{ "hours since 2000-01-01 06:00", 18, CF_RESO_DAY },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cf_time t;
		char why[256];

		CHECK(!cf_time_parse(cases[i].units, NULL, &t, why, sizeof(why)),
		      "%s", why);
		CHECK(cf_time_reso(&t, cases[i].value) == cases[i].want,
		      "%g %s: %d, want %d", cases[i].value, cases[i].units,
		      cf_time_reso(&t, cases[i].value), cases[i].want);
	}
}

/* Every day of 1500..1899 (1582's ten missing days included) or
 * 0..399: one day after the day before, and read back. */
static void test_calendar_walk(const char *calendar, int y0)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct cf_time t;
	char why[256], label[32], back[64];
	double prev = NAN, v;
	int bad = 0;

	CHECK(!cf_time_parse("days since 1700-01-01", calendar, &t, why, sizeof(why)),
	      "%s", why);
	for (int y = y0; y < y0 + 400 && bad < 5; y++) {
		for (int m = 1; m <= 12; m++) {
			int n = !strcmp(calendar, "360_day") ? 30 : mdays[m - 1];

			if (m == 2 && (!strcmp(calendar, "all_leap") ||
				       (!strcmp(calendar, "julian") && y % 4 == 0) ||
				       (!strcmp(calendar, "proleptic_gregorian") &&
					y % 4 == 0 && (y % 100 || y % 400 == 0)) ||
				       (!strcmp(calendar, "standard") && y % 4 == 0 &&
					(y < 1583 || y % 100 || y % 400 == 0))))
				n = 29;
			for (int d = 1; d <= n; d++) {
				if (!strcmp(calendar, "standard") && y == 1582 &&
				    m == 10 && d > 4 && d < 15)
					continue;
				snprintf(label, sizeof(label), "%04d-%02d-%02dT12", y, m, d);
				if (cf_time_value(&t, label, &v, why, sizeof(why))) {
					CHECK(0, "%s %s: %s", calendar, label, why);
					bad++;
					continue;
				}
				cf_time_format(&t, v, back, sizeof(back));
				if ((!isnan(prev) && v != prev + 1) ||
				    strncmp(back, label, 13) || strcmp(back + 13, ":00:00")) {
					CHECK(0, "%s %s: value %.17g after %.17g, reads back as %s",
					      calendar, label, v, prev, back);
					bad++;
				}
				prev = v;
			}
		}
	}
	unit_checks++;
}

int main(void)
{
	test_units();
	test_values();
	test_format();
	test_reso();
	test_calendar_walk("standard", 1500);
	test_calendar_walk("proleptic_gregorian", 1500);
	test_calendar_walk("proleptic_gregorian", 0);
	test_calendar_walk("julian", 1);
	test_calendar_walk("noleap", 0);
	test_calendar_walk("all_leap", 1800);
	test_calendar_walk("360_day", 1900);
	return unit_done("test_cftime");
}
