/* SPDX-License-Identifier: MIT */
/*
 * cftime.h - CF time coordinates (CF conventions 4.4): "<unit> since
 * <date>" with a calendar, labels such as "2023-01-10T06" turned into
 * values in those units and values back into dates.  Pure functions: no
 * I/O, no allocation.
 *
 * Units: seconds (second, sec, secs, s), minutes (minute, min, mins),
 * hours (hour, hr, hrs, h), days (day, d), weeks (week: UDUNITS' 7 days),
 * milliseconds and microseconds as cftime spells them.  Month and year
 * units are refused: CF 4.4 advises against them because UDUNITS defines
 * them as fractions of a tropical year (a month of 30.436849898 days),
 * and neither cftime nor xarray decodes them; the two exceptions cftime
 * makes are kept ("months" in 360_day, exactly 30 days; "common_years" in
 * noleap/365_day, exactly 365 days).
 *
 * The reference date: YYYY[-MM[-DD]] then optionally a time H[:M[:S[.f]]]
 * after 'T' or spaces, then optionally a time zone: "Z", "UTC", "GMT" or
 * an offset "+01:00", "-6:00", "-0600", "+1" (UDUNITS' forms: one or two
 * digits are hours, three or four hours and minutes).  The offset is
 * applied: "seconds since 1970-01-01T00:00:00+01:00" starts at
 * 1969-12-31T23:00:00 UTC (as xarray does; cftime reads only two-digit
 * hours).  Labels are in UTC and carry no time zone ("Z" is allowed).
 *
 * Calendars (the attribute missing means standard; names are
 * case-insensitive): standard/gregorian (Julian up to 1582-10-04, the
 * next day 1582-10-15 Gregorian, the ten days between do not exist),
 * proleptic_gregorian, julian, noleap/365_day, all_leap/366_day, 360_day
 * (twelve months of 30 days: February 30 exists).  Years: 1 to 9999 in
 * standard and julian (CF and cftime: no year zero there), 0 to 9999 in
 * the others.
 */
#ifndef LSIO_CFTIME_H
#define LSIO_CFTIME_H

#include <stddef.h>
#include <stdint.h>

enum cf_calendar {
	CF_STANDARD,		/* "standard", "gregorian": mixed */
	CF_PROLEPTIC,		/* "proleptic_gregorian" */
	CF_NOLEAP,		/* "noleap", "365_day" */
	CF_360_DAY,		/* "360_day" */
	CF_ALL_LEAP,		/* "all_leap", "366_day" */
	CF_JULIAN,		/* "julian" */
};

/* How much of a date a label says, coarsest first: "2023" is a year,
 * "2023-01-10T06" an hour, "...:15.5" a millisecond (up to 3 digits;
 * more: a microsecond). */
enum cf_reso {
	CF_RESO_YEAR,
	CF_RESO_MONTH,
	CF_RESO_DAY,
	CF_RESO_HOUR,
	CF_RESO_MINUTE,
	CF_RESO_SECOND,
	CF_RESO_MILLI,
	CF_RESO_MICRO,
};

/* A time coordinate's units and calendar, from cf_time_parse. */
struct cf_time {
	double unit_seconds;	/* one unit: 86400 for days */
	int64_t epoch_days;	/* the reference date's day number in cal */
	double epoch_seconds;	/* and its time into that day, UTC */
	enum cf_calendar cal;
};

/* The span of time a label names: [lo, end) in the coordinate's units.
 * "2023-01-15" runs from that midnight to the next, as pandas reads a
 * date string in a slice: slice("2023-01-10", "2023-01-15") takes the
 * whole of the 15th (partial string indexing). */
struct cf_period {
	double lo, end;
	enum cf_reso reso;
};

/* The calendar's CF name ("standard", "360_day", ...). */
const char *cf_calendar_name(enum cf_calendar cal);

/* Parse units ("days since 1970-01-01", "hours since 1900-01-01
 * 00:00:0.0") and calendar (NULL: standard) into *t.  Returns 0 or
 * -LSIO_EJOB with why (cap bytes) saying what is wrong. */
int cf_time_parse(const char *units, const char *calendar, struct cf_time *t,
		  char *why, size_t cap);

/* The period a label names ("2023", "2023-01", "2023-01-10",
 * "2023-01-10T06", "2023-01-10T06:30", "2023-01-10T06:30:15.5",
 * "2023-01-10 06:30:00": a four-digit year, 'T' or a space before the
 * time) in t's units.  Returns 0 or -LSIO_EJOB with why: not a date, or
 * not one in t's calendar ("2023-02-29", "1582-10-10" in standard). */
int cf_time_period(const struct cf_time *t, const char *label,
		   struct cf_period *p, char *why, size_t cap);

/* The value of the start of a label's period in t's units. Returns 0 or
 * -LSIO_EJOB with why, as cf_time_period. */
int cf_time_value(const struct cf_time *t, const char *label, double *value,
		  char *why, size_t cap);

/* The finest part of the date value stands for that is not zero (pandas'
 * resolution of one timestamp): CF_RESO_DAY for a midnight, CF_RESO_HOUR
 * for 06:00, ... never coarser than a day. */
enum cf_reso cf_time_reso(const struct cf_time *t, double value);

/* value as "YYYY-MM-DDTHH:MM:SS" (".ffffff" after when it falls between
 * whole seconds, to the microsecond) into buf; a value too far from the
 * reference date for a calendar date, or not finite, as a number. */
void cf_time_format(const struct cf_time *t, double value, char *buf,
		    size_t cap);

#endif
