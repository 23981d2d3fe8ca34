/* SPDX-License-Identifier: MIT */
/*
 * fuzz_labels.c - libFuzzer target: what a user types after --sel and
 * --isel, and a store's time units and calendar, through the pure parsers
 * that take them (lib/format/cftime.c, zarr_label.c) against a
 * coordinate of any values.
 *
 * Input: the units ("" for a coordinate of numbers), a NUL, the calendar
 * ("" for none), a NUL, the spec ("60:40", "2023-01-10T06~"), a NUL, one
 * flag byte (bit 0: the coordinate is a longitude), then the coordinate's
 * values as little-endian doubles (at most 4096 of them).
 *
 * Besides the sanitizers: every index a selection takes lies inside the
 * coordinate, a scalar selection takes one value, formatted dates are
 * NUL-terminated within their buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/zarr_label.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VALUES 4096

/* The next NUL-terminated field of the input, or NULL. */
static const char *field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
	const char *f = (const char *)*p;

	if (!nul)
		return NULL;
	*p = nul + 1;
	return f;
}

static void check_sel(const struct zarr_labelsel *s, uint64_t n, bool label)
{
	uint64_t total = 0;

	if (s->nseg < 1 || s->nseg > 2)
		abort();
	for (uint32_t g = 0; g < s->nseg; g++) {
		const struct zarr_seg *seg = &s->seg[g];

		if (!seg->step || (label && !seg->n))
			abort();
		if (seg->n && (seg->start >= n ||
			       (seg->n - 1) > (n - 1 - seg->start) / seg->step))
			abort();
		total += seg->n;
	}
	if (s->drop && total != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	const char *units = field(&p, end), *calendar = field(&p, end);
	const char *spec = field(&p, end);
	struct cf_time t;
	struct zarr_labelsel s;
	double *c;
	uint64_t n;
	bool is_lon;
	char why[256], date[64];
	int ret;

	if (!units || !calendar || !spec || p == end)
		return 0;
	is_lon = *p++ & 1;
	n = MIN((uint64_t)(end - p) / sizeof(double), MAX_VALUES);
	c = malloc(n ? n * sizeof(double) : 1);
	if (!c)
		return 0;
	memcpy(c, p, n * sizeof(double));
	ret = *units ? cf_time_parse(units, calendar, &t, why, sizeof(why)) : 0;
	if (!ret && *units) {
		for (uint64_t i = 0; i < MIN(n, 8); i++) {
			cf_time_format(&t, c[i], date, sizeof(date));
			if (!memchr(date, 0, sizeof(date)))
				abort();
			(void)cf_time_reso(&t, c[i]);
		}
	}
	if (!ret && !zarr_label_resolve(c, n, *units ? &t : NULL, is_lon, spec,
					&s, why, sizeof(why)))
		check_sel(&s, n, true);
	if (!zarr_index_resolve(n, spec, &s, why, sizeof(why)))
		check_sel(&s, n, false);
	free(c);
	return 0;
}
