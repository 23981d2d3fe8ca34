/* SPDX-License-Identifier: MIT */
/*
 * cftime.c - CF time: units and calendars parsed, dates to values in a
 * coordinate's units and back (see cftime.h for what is accepted).
 *
 * A date is a day number in its calendar plus seconds into that day.
 * Day numbers of the Julian and Gregorian calendars are Julian Day
 * Numbers, so the standard calendar's switch from one to the other
 * (1582-10-04 is followed by 1582-10-15) needs no special case once a
 * date is known to exist; the idealised calendars (noleap, all_leap,
 * 360_day) count days from their year 0.  Only differences of day
 * numbers in one calendar are ever used.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "format/cftime.h"

#define DAY_S 86400
/* The first day of the Gregorian calendar in the standard one. */
#define GREGORIAN_JDN 2299161
/* Values further than this from the reference date (about 3000 years)
 * are not formatted as dates: nothing real lies there, and the Julian
 * Day Number arithmetic needs days after 4713 BC. */
#define CF_MAX_SECONDS 1e11

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static const int month_len[12] = { 31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31 };

/* --- calendars ----------------------------------------------------------- */

static const struct {
	const char *name;
	enum cf_calendar cal;
} calendars[] = {
	{ "standard", CF_STANDARD },
	{ "gregorian", CF_STANDARD },
	{ "proleptic_gregorian", CF_PROLEPTIC },
	{ "julian", CF_JULIAN },
	{ "noleap", CF_NOLEAP },
	{ "365_day", CF_NOLEAP },
	{ "all_leap", CF_ALL_LEAP },
	{ "366_day", CF_ALL_LEAP },
	{ "360_day", CF_360_DAY },
};

const char *cf_calendar_name(enum cf_calendar cal)
{
	for (size_t i = 0; i < ARRAY_SIZE(calendars); i++)
		if (calendars[i].cal == cal)
			return calendars[i].name;
	return "unknown";
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool gregorian_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool is_leap(enum cf_calendar cal, int64_t y)
{
	switch (cal) {
	case CF_PROLEPTIC:
		return gregorian_leap(y);
	case CF_JULIAN:
		return y % 4 == 0;
	case CF_STANDARD:
		return y <= 1582 ? y % 4 == 0 : gregorian_leap(y);
	case CF_ALL_LEAP:
		return true;
	default:
		return false;
	}
}

static int days_in_month(enum cf_calendar cal, int64_t y, int m)
{
	if (cal == CF_360_DAY)
		return 30;
	return month_len[m - 1] + (m == 2 && is_leap(cal, y));
}

/* The Julian Day Number of a Gregorian or Julian date (Fliegel and Van
 * Flandern's arithmetic, with floor division). */
static int64_t jdn(int64_t y, int m, int d, bool gregorian)
{
	int64_t a = (14 - m) / 12, yy = y + 4800 - a, mm = m + 12 * a - 3;
	int64_t n = d + (153 * mm + 2) / 5 + 365 * yy + floor_div(yy, 4);

	if (gregorian)
		return n - floor_div(yy, 100) + floor_div(yy, 400) - 32045;
	return n - 32083;
}

/* The inverse of jdn() for n >= 0 (Richards' algorithm). */
static void jdn_date(int64_t n, bool gregorian, int64_t *y, int *m, int *d)
{
	int64_t b = 0, c, dd, e, mm;

	if (gregorian) {
		int64_t a = n + 32044;

		b = (4 * a + 3) / 146097;
		c = a - 146097 * b / 4;
	} else {
		c = n + 32082;
	}
	dd = (4 * c + 3) / 1461;
	e = c - 1461 * dd / 4;
	mm = (5 * e + 2) / 153;
	*d = (int)(e - (153 * mm + 2) / 5 + 1);
	*m = (int)(mm + 3 - 12 * (mm / 10));
	*y = 100 * b + dd - 4800 + mm / 10;
}

static int year_len(enum cf_calendar cal)
{
	return cal == CF_360_DAY ? 360 : cal == CF_ALL_LEAP ? 366 : 365;
}

static int64_t day_number(enum cf_calendar cal, int64_t y, int m, int d)
{
	int64_t n;

	switch (cal) {
	case CF_PROLEPTIC:
		return jdn(y, m, d, true);
	case CF_JULIAN:
		return jdn(y, m, d, false);
	case CF_STANDARD:
		n = jdn(y, m, d, true);
		return n >= GREGORIAN_JDN ? n : jdn(y, m, d, false);
	default:
		n = year_len(cal) * y + d - 1;
		for (int i = 1; i < m; i++)
			n += days_in_month(cal, y, i);
		return n;
	}
}

/* The date of day number n; false when n is before the Julian Day
 * Numbers start. */
static bool day_date(enum cf_calendar cal, int64_t n, int64_t *y, int *m,
		     int *d)
{
	switch (cal) {
	case CF_PROLEPTIC:
	case CF_JULIAN:
	case CF_STANDARD:
		if (n < 0)
			return false;
		jdn_date(n, cal == CF_PROLEPTIC ||
				    (cal == CF_STANDARD && n >= GREGORIAN_JDN),
			 y, m, d);
		return true;
	default:
		*y = floor_div(n, year_len(cal));
		n -= *y * year_len(cal);
		for (*m = 1; n >= days_in_month(cal, *y, *m); (*m)++)
			n -= days_in_month(cal, *y, *m);
		*d = (int)n + 1;
		return true;
	}
}

static int parse_calendar(const char *name, enum cf_calendar *cal, char *why,
			  size_t cap)
{
	if (!name || !*name) {
		*cal = CF_STANDARD;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(calendars); i++) {
		if (!strcasecmp(name, calendars[i].name)) {
			*cal = calendars[i].cal;
			return 0;
		}
	}
	return lsio_why(why, cap, -LSIO_EJOB,
			"unknown calendar '%s' (CF calendars: standard, gregorian, proleptic_gregorian, julian, noleap, 365_day, all_leap, 366_day, 360_day)",
			name);
}

/* --- units ------------------------------------------------------------------ */

static const struct {
	const char *name;
	double seconds;
} time_units[] = {
	{ "microseconds", 1e-6 }, { "microsecond", 1e-6 },
	{ "microsecs", 1e-6 }, { "microsec", 1e-6 },
	{ "milliseconds", 1e-3 }, { "millisecond", 1e-3 },
	{ "millisecs", 1e-3 }, { "millisec", 1e-3 },
	{ "msecs", 1e-3 }, { "msec", 1e-3 }, { "ms", 1e-3 },
	{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 },
	{ "s", 1 },
	{ "minutes", 60 }, { "minute", 60 }, { "mins", 60 }, { "min", 60 },
	{ "hours", 3600 }, { "hour", 3600 }, { "hrs", 3600 }, { "hr", 3600 },
	{ "h", 3600 },
	{ "days", DAY_S }, { "day", DAY_S }, { "d", DAY_S },
	{ "weeks", 7 * DAY_S }, { "week", 7 * DAY_S },
};

static bool unit_is(const char *unit, size_t len, const char *name)
{
	return strlen(name) == len && !strncasecmp(unit, name, len);
}

/* Months and years are no fixed length of time: refused, except where
 * cftime makes them one. */
static int calendar_unit(const char *unit, size_t len, enum cf_calendar cal,
			 double *seconds, char *why, size_t cap)
{
	static const char *const vague[] = { "month", "months", "year",
		"years", "yr", "yrs", "common_year", "common_years", "a" };
	bool month = unit_is(unit, len, "month") || unit_is(unit, len, "months");
	bool common = unit_is(unit, len, "common_year") ||
		      unit_is(unit, len, "common_years");

	if (month && cal == CF_360_DAY) {
		*seconds = 30.0 * DAY_S;
		return 0;
	}
	if (common && cal == CF_NOLEAP) {
		*seconds = 365.0 * DAY_S;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(vague); i++)
		if (unit_is(unit, len, vague[i]))
			return lsio_why(why, cap, -LSIO_EJOB,
					"'%.*s' is not a fixed length of time: CF advises against month and year units (UDUNITS makes a year 365.242198781 days and a month a twelfth of that) and neither cftime nor xarray decodes them; use days (cftime's exceptions, 'months' in 360_day and 'common_years' in noleap, are accepted)",
					(int)len, unit);
	return lsio_why(why, cap, -LSIO_EJOB,
			"unknown time unit '%.*s' (CF time units: seconds, minutes, hours, days, weeks, also s, sec, min, h, hr, d, milliseconds, microseconds)",
			(int)len, unit);
}

static int parse_unit(const char *unit, size_t len, enum cf_calendar cal,
		      double *seconds, char *why, size_t cap)
{
	for (size_t i = 0; i < ARRAY_SIZE(time_units); i++) {
		if (unit_is(unit, len, time_units[i].name)) {
			*seconds = time_units[i].seconds;
			return 0;
		}
	}
	return calendar_unit(unit, len, cal, seconds, why, cap);
}

/* --- dates ------------------------------------------------------------------ */

struct cf_date {
	int64_t year;
	int month, day, hour, minute;
	double second;		/* with its fraction */
	int zone;		/* minutes east of UTC */
	enum cf_reso reso;
};

/* Up to max digits at *p into *v; returns how many were read. */
static int digits(const char **p, int max, int64_t *v)
{
	int n = 0;

	*v = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A field of one or two digits at *p, exactly two in a label (so that a
 * label's colons can be told from a slice's). */
static bool field(const char **p, bool label, int64_t *v)
{
	const char *q = *p;
	int n = digits(&q, 2, v);

	if (!n || (label && n != 2) || isdigit((unsigned char)*q))
		return false;
	*p = q;
	return true;
}

/* ":NN" into *v when it follows. */
static bool colon_field(const char **p, bool label, int64_t *v)
{
	const char *q = *p + 1;

	if (**p != ':' || !field(&q, label, v))
		return false;
	*p = q;
	return true;
}

/* The time of day after 'T' or spaces: H[:M[:S[.f]]]; where it stops
 * being one, the caller finds what is left. */
static const char *parse_clock(const char *p, bool label, struct cf_date *d)
{
	const char *q = *p == 'T' ? p + 1 : skip_spaces(p);
	int64_t v;

	if ((*p != 'T' && *p != ' ') || !field(&q, label, &v))
		return p;
	d->hour = (int)v;
	d->reso = CF_RESO_HOUR;
	if (!colon_field(&q, label, &v))
		return q;
	d->minute = (int)v;
	d->reso = CF_RESO_MINUTE;
	if (!colon_field(&q, label, &v))
		return q;
	d->second = (double)v;
	d->reso = CF_RESO_SECOND;
	if (*q == '.' && isdigit((unsigned char)q[1])) {
		double scale = 0.1;
		int n = 0;

		for (q++; isdigit((unsigned char)*q); q++, n++, scale /= 10)
			d->second += (*q - '0') * scale;
		d->reso = n <= 3 ? CF_RESO_MILLI : CF_RESO_MICRO;
	}
	return q;
}

/* A UDUNITS offset after its sign: H, HH, HMM, HHMM, H:MM, HH:MM. */
static const char *parse_offset(const char *p, struct cf_date *d)
{
	int sign = *p == '-' ? -1 : 1;
	int64_t v, mins = 0;
	int n;

	p++;
	n = digits(&p, 4, &v);
	if (!n || isdigit((unsigned char)*p))
		return NULL;
	if (n <= 2 && colon_field(&p, true, &mins))
		mins += 60 * v;
	else if (n <= 2)
		mins = 60 * v;
	else
		mins = 60 * (v / 100) + v % 100;
	if (mins > 24 * 60 || (n > 2 && v % 100 > 59))
		return NULL;
	d->zone = (int)(sign * mins);
	return p;
}

/* Z, UTC, GMT or an offset, after optional spaces; p when none. */
static const char *parse_zone(const char *p, struct cf_date *d)
{
	const char *q = skip_spaces(p);

	if (*q == 'Z')
		return q + 1;
	if (!strncasecmp(q, "UTC", 3) || !strncasecmp(q, "GMT", 3))
		return q + 3;
	if ((*q == '+' || *q == '-') && isdigit((unsigned char)q[1]))
		return parse_offset(q, d);
	return p;
}

/* YYYY[-MM[-DD[(T| )H[:M[:S[.f]]]]]] and a zone; a label has a
 * four-digit year, two-digit fields and no offset.  False when text is
 * not of that form. */
static bool parse_date(const char *text, bool label, struct cf_date *d)
{
	const char *p = skip_spaces(text);
	int64_t v;
	int n = digits(&p, 4, &v);

	*d = (struct cf_date){ .year = v, .month = 1, .day = 1,
			       .reso = CF_RESO_YEAR };
	if (!n || (label && n != 4) || isdigit((unsigned char)*p))
		return false;
	if (*p == '-' && isdigit((unsigned char)p[1])) {
		p++;
		if (!field(&p, label, &v))
			return false;
		d->month = (int)v;
		d->reso = CF_RESO_MONTH;
		if (*p == '-' && isdigit((unsigned char)p[1])) {
			p++;
			if (!field(&p, label, &v))
				return false;
			d->day = (int)v;
			d->reso = CF_RESO_DAY;
			p = parse_clock(p, label, d);
		}
	}
	p = parse_zone(p, d);
	if (!p || (label && d->zone))
		return false;
	return !*skip_spaces(p);
}

/* Whether the date exists in cal; why says what is wrong when not. */
static int check_date(const char *text, const struct cf_date *d,
		      enum cf_calendar cal, char *why, size_t cap)
{
	const char *name = cf_calendar_name(cal);
	int mdays;

	if (d->year < 1 && (cal == CF_STANDARD || cal == CF_JULIAN))
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s': the %s calendar has no year 0 (1 BC is followed by AD 1)",
				text, name);
	if (d->month < 1 || d->month > 12)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s': there is no month %d", text, d->month);
	mdays = days_in_month(cal, d->year, d->month);
	if (d->day < 1 || d->day > mdays)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' is not a date in the %s calendar: %s %lld has %d days",
				text, name, month_names[d->month - 1],
				(long long)d->year, mdays);
	if (cal == CF_STANDARD && d->year == 1582 && d->month == 10 &&
	    d->day > 4 && d->day < 15)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' is not a date in the standard calendar: the Julian calendar ends on 1582-10-04 and the Gregorian begins the next day, 1582-10-15",
				text);
	if (d->hour > 23 || d->minute > 59 || d->second >= 60)
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s': no such time of day", text);
	return 0;
}

static double seconds_of(const struct cf_date *d)
{
	return d->hour * 3600.0 + d->minute * 60.0 + d->second - d->zone * 60.0;
}

/* --- values ---------------------------------------------------------------- */

static double to_value(const struct cf_time *t, int64_t days, double seconds)
{
	return ((double)((days - t->epoch_days) * DAY_S) +
		(seconds - t->epoch_seconds)) / t->unit_seconds;
}

int cf_time_parse(const char *units, const char *calendar, struct cf_time *t,
		  char *why, size_t cap)
{
	const char *u = skip_spaces(units ? units : ""), *ue, *p;
	struct cf_date d;
	double secs;
	int ret;

	*t = (struct cf_time){ 0 };
	ret = parse_calendar(calendar, &t->cal, why, cap);
	if (ret)
		return ret;
	for (ue = u; *ue && *ue != ' ' && *ue != '\t'; ue++)
		;
	p = skip_spaces(ue);
	if (ue == u || strncasecmp(p, "since", 5) || (p[5] != ' ' && p[5] != '\t'))
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' are not CF time units: write '<unit> since <date>', e.g. 'hours since 1900-01-01'",
				units ? units : "");
	ret = parse_unit(u, (size_t)(ue - u), t->cal, &t->unit_seconds, why,
			 cap);
	if (ret)
		return ret;
	p = skip_spaces(p + 5);
	if (!parse_date(p, false, &d))
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s': '%s' is not a reference date: write YYYY-MM-DD, then optionally a time HH:MM:SS and a time zone (Z, +01:00)",
				units, p);
	ret = check_date(p, &d, t->cal, why, cap);
	if (ret)
		return ret;
	/* The zone may move the reference into another day. */
	secs = seconds_of(&d);
	t->epoch_days = day_number(t->cal, d.year, d.month, d.day) +
			(int64_t)floor(secs / DAY_S);
	t->epoch_seconds = secs - floor(secs / DAY_S) * DAY_S;
	return 0;
}

/* The start of the period after d's, as a day number and seconds. */
static void period_end(enum cf_calendar cal, const struct cf_date *d,
		       int64_t *days, double *secs)
{
	static const double step[] = {
		[CF_RESO_HOUR] = 3600, [CF_RESO_MINUTE] = 60,
		[CF_RESO_SECOND] = 1, [CF_RESO_MILLI] = 1e-3,
		[CF_RESO_MICRO] = 1e-6,
	};

	*secs = 0;
	switch (d->reso) {
	case CF_RESO_YEAR:
		*days = day_number(cal, d->year + 1, 1, 1);
		break;
	case CF_RESO_MONTH:
		*days = d->month == 12 ? day_number(cal, d->year + 1, 1, 1) :
					 day_number(cal, d->year, d->month + 1, 1);
		break;
	case CF_RESO_DAY:
		*days = day_number(cal, d->year, d->month, d->day) + 1;
		break;
	default:
		*days = day_number(cal, d->year, d->month, d->day);
		*secs = seconds_of(d) + step[d->reso];
	}
}

int cf_time_period(const struct cf_time *t, const char *label,
		   struct cf_period *p, char *why, size_t cap)
{
	struct cf_date d;
	int64_t end_days;
	double end_secs;
	int ret;

	if (!parse_date(label, true, &d))
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' is not a date: write YYYY-MM-DD, YYYY-MM-DDTHH, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (a space for the T will do; YYYY and YYYY-MM name a whole year and month)",
				label);
	ret = check_date(label, &d, t->cal, why, cap);
	if (ret)
		return ret;
	period_end(t->cal, &d, &end_days, &end_secs);
	p->lo = to_value(t, day_number(t->cal, d.year, d.month, d.day),
			 seconds_of(&d));
	p->end = to_value(t, end_days, end_secs);
	p->reso = d.reso;
	return 0;
}

int cf_time_value(const struct cf_time *t, const char *label, double *value,
		  char *why, size_t cap)
{
	struct cf_period p;
	int ret = cf_time_period(t, label, &p, why, cap);

	if (!ret)
		*value = p.lo;
	return ret;
}

/* value as a day number and microseconds into that day; false when it
 * is too far from the reference date or not finite. */
static bool split_value(const struct cf_time *t, double value, int64_t *days,
			int64_t *us)
{
	double total = value * t->unit_seconds, whole;
	int64_t s;

	if (!isfinite(total) || fabs(total) > CF_MAX_SECONDS)
		return false;
	total += t->epoch_seconds;
	whole = floor(total);
	s = (int64_t)whole;
	*us = llround((total - whole) * 1e6);
	if (*us == 1000000) {
		s++;
		*us = 0;
	}
	*days = t->epoch_days + floor_div(s, DAY_S);
	*us += (s - floor_div(s, DAY_S) * DAY_S) * 1000000;
	return true;
}

enum cf_reso cf_time_reso(const struct cf_time *t, double value)
{
	int64_t days, us, s;

	if (!split_value(t, value, &days, &us))
		return CF_RESO_MICRO;
	if (us % 1000)
		return CF_RESO_MICRO;
	if (us % 1000000)
		return CF_RESO_MILLI;
	s = us / 1000000;
	if (s % 60)
		return CF_RESO_SECOND;
	if (s % 3600)
		return CF_RESO_MINUTE;
	return s ? CF_RESO_HOUR : CF_RESO_DAY;
}

void cf_time_format(const struct cf_time *t, double value, char *buf,
		    size_t cap)
{
	int64_t days, us, y, s, frac;
	int m, d, n, zeros = 0;

	if (!split_value(t, value, &days, &us) ||
	    !day_date(t->cal, days, &y, &m, &d)) {
		snprintf(buf, cap, "%.17g", value);
		return;
	}
	s = us / 1000000;
	frac = us % 1000000;
	n = snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d",
		     (long long)y, m, d, (int)(s / 3600), (int)(s / 60 % 60),
		     (int)(s % 60));
	if (!frac || n < 0 || (size_t)n >= cap)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		zeros++;
	}
	snprintf(buf + n, cap - (size_t)n, ".%0*lld", 6 - zeros,
		 (long long)frac);
}
