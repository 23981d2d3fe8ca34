/* SPDX-License-Identifier: MIT */
/*
 * units.c - the small parsers a job is made of: sizes with units and
 * fill values (dtypes and "did you mean" are util/dtype.c, util/suggest.c).
 *
 * Nothing here knows the job's layout; job.c and job_opts.c call these
 * with the JSON path to name in messages.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* --- sizes ---------------------------------------------------------------- */

struct size_unit {
	const char *name;
	uint64_t mult;
};

/* Single letters are binary, like dd and fio; "kB" and friends are SI
 * because that is what disk vendors and S3 consoles print. */
static const struct size_unit size_units[] = {
	{ "", 1 },		{ "B", 1 },
	{ "K", 1ull << 10 },	{ "k", 1ull << 10 },	{ "KiB", 1ull << 10 },
	{ "M", 1ull << 20 },	{ "m", 1ull << 20 },	{ "MiB", 1ull << 20 },
	{ "G", 1ull << 30 },	{ "g", 1ull << 30 },	{ "GiB", 1ull << 30 },
	{ "T", 1ull << 40 },	{ "t", 1ull << 40 },	{ "TiB", 1ull << 40 },
	{ "kB", 1000 },		{ "KB", 1000 },		{ "MB", 1000000 },
	{ "GB", 1000000000 },	{ "TB", 1000000000000ull },
};

static uint64_t size_unit_mult(const char *unit)
{
	for (size_t i = 0; i < ARRAY_SIZE(size_units); i++)
		if (!strcmp(size_units[i].name, unit))
			return size_units[i].mult;
	return 0;
}

int lsio_parse_size(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t v = 0, mult;

	if (!text)
		return -LSIO_EUSAGE;
	if (!strcmp(text, "off")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*p))
		return -LSIO_EUSAGE;	/* also rejects "-1", " 1", "" */
	for (; isdigit((unsigned char)*p); p++)
		if (!lsio_mul_ok(v, 10, &v) || !lsio_add_ok(v, *p - '0', &v))
			return -LSIO_EUSAGE;
	/* One space may separate number and unit, but not end the text. */
	if (*p == ' ' && p[1])
		p++;
	mult = size_unit_mult(p);
	if (!mult || !lsio_mul_ok(v, mult, &v) || v > INT64_MAX)
		return -LSIO_EUSAGE;	/* they become off_t: 2^63 - 1 at most */
	*out = v;
	return 0;
}

/* A JSON real as a person would have written it: the shortest text that
 * reads back as the same double, with ".0" when it would look like an
 * integer ("1.0" and "1e2" are 1.0 and 100.0, not 1 and 100).  The text
 * itself is gone: jansson keeps the value only.  Also what lsio zarr --info
 * shows of attributes and coordinates. */
const char *lsio_real_text(double d, char *buf, size_t cap)
{
	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(buf, cap, "%.1f", d);
		return buf;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eni"))	/* not 1.5, 1e+20, nan, inf */
		strncat(buf, ".0", cap - strlen(buf) - 1);
	return buf;
}

int lsio_size_why(const char *text, uint64_t *out, char *why, size_t cap)
{
	/* "off" is a value only some settings take; job_opts.c handles it. */
	if (strcmp(text, "off") && !lsio_parse_size(text, out))
		return 0;
	return lsio_why(why, cap, -LSIO_EJOB,
			"invalid size '%s' (expected bytes, or a number and a unit such as \"64KiB\")",
			text);
}

int lsio_json_size_why(json_t *v, uint64_t *out, char *why, size_t cap)
{
	char text[40];

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return lsio_why(why, cap, -LSIO_EJOB,
					"%" JSON_INTEGER_FORMAT
					" is negative, expected a size in bytes",
					i);
		*out = (uint64_t)i;
		return 0;
	}
	if (json_is_real(v))
		return lsio_why(why, cap, -LSIO_EJOB,
				"'%s' is not a whole number: write it without a decimal point or exponent",
				lsio_real_text(json_real_value(v), text, sizeof(text)));
	if (!json_is_string(v))
		return lsio_why(why, cap, -LSIO_EJOB,
				"expected a size: bytes, or a string such as \"64KiB\"");
	return lsio_size_why(json_string_value(v), out, why, cap);
}

int lsio_json_size(struct lsio_ctx *ctx, const char *path, json_t *v,
		   uint64_t *out)
{
	char why[LSIO_MSG_MAX / 2];
	int ret = lsio_json_size_why(v, out, why, sizeof(why));

	return ret ? lsio_fail(ctx, ret, "%s: %s", path, why) : 0;
}

/* --- fill values ---------------------------------------------------------- */

/* A fill value as JSON gives it: an integer, or a double. */
struct fill_num {
	bool is_int;
	int64_t i;
	double d;
};

static int fill_fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fill_fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -LSIO_EJOB;
}

static bool fill_num_get(json_t *v, struct fill_num *n)
{
	static const struct { const char *name; double d; } special[] = {
		{ "NaN", NAN }, { "Infinity", INFINITY },
		{ "-Infinity", -INFINITY },
	};

	memset(n, 0, sizeof(*n));
	if (json_is_integer(v) || json_is_boolean(v)) {
		n->is_int = true;
		n->i = json_is_integer(v) ? json_integer_value(v)
					  : json_is_true(v);
		return true;
	}
	if (json_is_real(v)) {
		n->d = json_real_value(v);
		return true;
	}
	for (size_t i = 0; json_is_string(v) && i < ARRAY_SIZE(special); i++)
		if (!strcmp(json_string_value(v), special[i].name)) {
			n->d = special[i].d;
			return true;
		}
	return false;
}

static void fill_num_text(const struct fill_num *n, char *buf, size_t cap)
{
	if (n->is_int)
		snprintf(buf, cap, "%" PRId64, n->i);
	else
		snprintf(buf, cap, "%.17g", n->d);
}

/* Store the low size bytes of bits in the dtype's byte order. */
static void store_bits(uint8_t *out, uint64_t bits, uint32_t size, bool big)
{
	for (uint32_t k = 0; k < size; k++)
		out[big ? size - 1 - k : k] = (uint8_t)(bits >> (8 * k));
}

/* IEEE binary16 from a double, rounding to nearest even directly (going
 * through float would round twice).  Overflow gives infinity. */
static uint16_t half_from_double(double d)
{
	uint16_t sign = signbit(d) ? 0x8000 : 0;
	double m;
	int e;

	if (isnan(d))
		return sign | 0x7e00;
	d = fabs(d);
	if (d >= 65520.0)	/* halfway past 65504 rounds up to inf */
		return sign | 0x7c00;
	if (d < ldexp(1, -14))	/* subnormal: a multiple of 2^-24 */
		return sign | (uint16_t)nearbyint(ldexp(d, 24));
	d = frexp(d, &e);	/* d in [0.5, 1): value = 1.f * 2^(e-1) */
	m = nearbyint((d * 2 - 1) * 1024);
	/* A mantissa that rounds up to 1024 carries into the exponent. */
	return sign | (uint16_t)(((uint32_t)(e - 1 + 15) << 10) + (uint32_t)m);
}

static int fill_float(const struct lsio_dtype *dt, const struct fill_num *n,
		      uint8_t *out, char *why, size_t cap)
{
	double d = n->is_int ? (double)n->i : n->d;
	uint32_t part = dt->kind == 'c' ? dt->size / 2 : dt->size;
	bool big = dt->order == '>';
	uint64_t bits;
	char text[40];

	if (part == 2) {
		bits = half_from_double(d);
	} else if (part == 4) {
		float f = (float)d;
		uint32_t b;

		memcpy(&b, &f, sizeof(b));
		bits = b;
	} else {
		memcpy(&bits, &d, sizeof(bits));
	}
	/* An exponent of all ones from a finite input: it overflowed. */
	if (isfinite(d) && ((part == 2 && (bits & 0x7c00) == 0x7c00) ||
			    (part == 4 && (bits & 0x7f800000) == 0x7f800000))) {
		fill_num_text(n, text, sizeof(text));
		return fill_fail(why, cap, "%s is out of range for '%s'", text,
				 dt->str);
	}
	store_bits(out, bits, part, big);	/* imaginary part stays 0 */
	return 0;
}

/* Whether integer v fits the integer dtype dt. */
static bool int_fits(const struct lsio_dtype *dt, int64_t v)
{
	int bits = 8 * (int)dt->size;

	if (dt->kind == 'u')
		return v >= 0 && (bits == 64 || (uint64_t)v < (1ull << bits));
	return bits == 64 ||
	       (v >= -(1ll << (bits - 1)) && v < (1ll << (bits - 1)));
}

/* The same for an integral double: the bounds are powers of two, so
 * comparing in double is exact. */
static bool real_fits(const struct lsio_dtype *dt, double d)
{
	int bits = 8 * (int)dt->size;

	if (dt->kind == 'u')
		return d >= 0 && d < ldexp(1, bits);
	return d >= -ldexp(1, bits - 1) && d < ldexp(1, bits - 1);
}

static int fill_int(const struct lsio_dtype *dt, const struct fill_num *n,
		    uint8_t *out, char *why, size_t cap)
{
	char text[40];
	uint64_t bits;

	fill_num_text(n, text, sizeof(text));
	if (!n->is_int && (!isfinite(n->d) || floor(n->d) != n->d))
		return fill_fail(why, cap, "%s is not an integer, as '%s' needs",
				 text, dt->str);
	if (n->is_int ? !int_fits(dt, n->i) : !real_fits(dt, n->d))
		return fill_fail(why, cap, "%s is out of range for '%s'", text,
				 dt->str);
	if (n->is_int)
		bits = (uint64_t)n->i;
	else if (n->d >= 0)
		bits = (uint64_t)n->d;	/* u8 may exceed INT64_MAX */
	else
		bits = (uint64_t)(int64_t)n->d;
	store_bits(out, bits, dt->size, dt->order == '>');
	return 0;
}

static int fill_datetime(const struct lsio_dtype *dt, json_t *v,
			 uint8_t *out, char *why, size_t cap)
{
	bool big = dt->order == '>';

	if (json_is_string(v) && !strcmp(json_string_value(v), "NaT")) {
		store_bits(out, (uint64_t)INT64_MIN, 8, big);
		return 0;
	}
	if (!json_is_integer(v))
		return fill_fail(why, cap,
				 "a '%s' fill_value is an integer or \"NaT\"",
				 dt->str);
	store_bits(out, (uint64_t)json_integer_value(v), 8, big);
	return 0;
}

static int fill_bool(const struct lsio_dtype *dt, json_t *v, uint8_t *out,
		     char *why, size_t cap)
{
	if (json_is_boolean(v)) {
		out[0] = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v) && (json_integer_value(v) & ~1ll) == 0) {
		out[0] = (uint8_t)json_integer_value(v);
		return 0;
	}
	return fill_fail(why, cap, "a '%s' fill_value is true, false, 0 or 1",
			 dt->str);
}

/* V and S items have no numbers in them: only "nothing" fits. */
static int fill_zero_only(const struct lsio_dtype *dt, json_t *v,
			  char *why, size_t cap)
{
	if (json_is_false(v) || (json_is_integer(v) && !json_integer_value(v)))
		return 0;
	return fill_fail(why, cap,
			 "a '%s' fill_value can only be 0, false or null",
			 dt->str);
}

int lsio_fill_encode(const struct lsio_dtype *dt, json_t *value,
		     uint8_t *out, char *why, size_t why_cap)
{
	struct fill_num n;

	memset(out, 0, dt->size);
	if (!value || json_is_null(value))
		return 0;
	switch (dt->kind) {
	case 'b':
		return fill_bool(dt, value, out, why, why_cap);
	case 'M':
	case 'm':
		return fill_datetime(dt, value, out, why, why_cap);
	case 'V':
	case 'S':
		return fill_zero_only(dt, value, why, why_cap);
	}
	if (!fill_num_get(value, &n))
		return fill_fail(why, why_cap,
				 "expected a number, \"NaN\", \"Infinity\", \"-Infinity\", true, false or null");
	if (dt->kind == 'f' || dt->kind == 'c')
		return fill_float(dt, &n, out, why, why_cap);
	return fill_int(dt, &n, out, why, why_cap);
}

#define FILL_BLOCK (64u << 10)	/* fits in L2: see lsio_fill_repeat() */

/* Repeat one element over len bytes.  Doubling the filled prefix takes
 * log2(n) copies; it stops at a block that fits in L2 so that afterwards
 * only the destination streams to memory. */
void lsio_fill_repeat(uint8_t *p, size_t len, const uint8_t *fill,
		      size_t fill_cap, size_t itemsize)
{
	size_t have = MIN(itemsize, len), n;

	memset(p, 0, have);	/* a wide element past the encoded bytes */
	memcpy(p, fill, MIN(have, fill_cap));
	while (have < len && have < FILL_BLOCK) {
		n = MIN(have, len - have);
		memcpy(p + have, p, n);
		have += n;
	}
	for (size_t block = have; have < len; have += n) {
		n = MIN(block, len - have);
		memcpy(p + have, p, n);
	}
}
