/* SPDX-License-Identifier: MIT */
/*
 * dtype.c - numpy dtype strings ("<f4", "|u1", "M8[s]") parsed into
 * struct lsio_dtype.  At the bottom of the library (util): the job, the
 * stages (bytes, grib2) and the Zarr metadata all name types this way.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LSIO_ITEM_MAX INT32_MAX	/* numpy's limit on an item size */

static const char *const datetime_units[] = {
	"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as",
	NULL
};

/* Digits without a leading zero, at most max_digits of them. */
static const char *parse_count(const char *p, int max_digits, uint64_t *v)
{
	int n = 0;

	*v = 0;
	if (*p == '0')
		return NULL;
	for (; isdigit((unsigned char)*p) && n < max_digits; p++, n++)
		*v = *v * 10 + (uint64_t)(*p - '0');
	return n && !isdigit((unsigned char)*p) ? p : NULL;
}

/* "[unit]" or "[25ms]" after M8/m8; returns the end or NULL. */
static const char *parse_datetime_unit(const char *p)
{
	const char *close;
	uint64_t mult;
	size_t len;

	if (*p++ != '[')
		return NULL;
	if (isdigit((unsigned char)*p) && !(p = parse_count(p, 9, &mult)))
		return NULL;
	close = strchr(p, ']');
	if (!close)
		return NULL;
	len = (size_t)(close - p);
	for (size_t i = 0; datetime_units[i]; i++)
		if (strlen(datetime_units[i]) == len &&
		    !strncmp(datetime_units[i], p, len))
			return close + 1;
	return NULL;
}

static bool dtype_size_ok(char kind, uint64_t size)
{
	switch (kind) {
	case 'b':
		return size == 1;
	case 'i':
	case 'u':
		return size == 1 || size == 2 || size == 4 || size == 8;
	case 'f':
		return size == 2 || size == 4 || size == 8;
	case 'c':
		return size == 8 || size == 16;
	case 'M':
	case 'm':
		return size == 8;
	default:	/* V, S */
		return size >= 1 && size <= LSIO_ITEM_MAX;
	}
}

int lsio_dtype_parse(const char *text, struct lsio_dtype *dt)
{
	const char *p = text, *unit = "";
	char order = '<';	/* native: this library runs little-endian */
	uint64_t size;

	memset(dt, 0, sizeof(*dt));
	if (!text)
		return -LSIO_EJOB;
	if (*p && strchr("<>|=", *p))
		order = *p++ == '>' ? '>' : '<';
	if (!*p || !strchr("biufcMmVS", *p))
		return -LSIO_EJOB;
	dt->kind = *p++;
	p = parse_count(p, 10, &size);
	if (!p || !dtype_size_ok(dt->kind, size))
		return -LSIO_EJOB;
	if (dt->kind == 'M' || dt->kind == 'm') {
		unit = p;
		p = parse_datetime_unit(p);
		if (!p)
			return -LSIO_EJOB;
	}
	if (*p)
		return -LSIO_EJOB;
	/* numpy writes '|' where byte order means nothing. */
	if (size == 1 || dt->kind == 'V' || dt->kind == 'S')
		order = '|';
	dt->order = order;
	dt->size = (uint32_t)size;
	snprintf(dt->str, sizeof(dt->str), "%c%c%" PRIu64 "%s", order,
		 dt->kind, size, unit);
	return 0;
}


double lsio_half_to_double(uint32_t h)
{
	int e = (h >> 10) & 0x1f, f = h & 0x3ff;
	double v = e == 0 ? ldexp(f, -24) :
		   e == 31 ? (f ? NAN : INFINITY) : ldexp(f + 1024, e - 25);

	return h & 0x8000 ? -v : v;
}

uint16_t lsio_double_to_half(double v)
{
	uint16_t sign = signbit(v) ? 0x8000 : 0;
	double a = fabs(v), m;
	int e;

	if (isnan(v))
		return sign | 0x7e00;
	if (a >= 65520.0)	/* rounds past the largest half */
		return sign | 0x7c00;
	if (a < ldexp(1, -14))	/* subnormal: steps of 2^-24 */
		return sign | (uint16_t)nearbyint(ldexp(a, 24));
	m = frexp(a, &e);	/* a = m * 2^e, 0.5 <= m < 1 */
	m = nearbyint(ldexp(m, 11));	/* 11 bits, ties to even */
	if (m >= 2048) {
		m /= 2;
		e++;
	}
	return sign | (uint16_t)((e + 14) << 10) | ((uint16_t)m & 0x3ff);
}
