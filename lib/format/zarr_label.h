/* SPDX-License-Identifier: MIT */
/*
 * zarr_label.h - --sel and --isel terms resolved against a dimension:
 * label selections as xarray's .sel, index selections as .isel.  Pure
 * functions: no I/O.
 */
#ifndef LSIO_ZARR_LABEL_H
#define LSIO_ZARR_LABEL_H

#include <stdbool.h>
#include <stdint.h>

#include "format/cftime.h"

/* What a selection takes along one dimension: up to two segments (two
 * only for a longitude box across the coordinate's seam), each the
 * indices start + j*step for j < n, placed one after the other in the
 * output.  shift is what to add to the coordinate values of the segment
 * for the output to read as the user asked (a longitude box -10:30 on a
 * 0..360 coordinate: -360 for its part 350..357.5, 0 for 0..30); 0 but
 * across a seam.  drop: a scalar selection (the dimension goes away). */
struct zarr_seg {
	uint64_t start, step, n;
	double shift;
};

struct zarr_labelsel {
	struct zarr_seg seg[2];
	uint32_t nseg;
	bool drop;
};

/* Split one --sel/--isel term "DIM=SPEC": the dimension's name into dim
 * (dim_cap bytes), *spec pointing after the '='.  Returns 0, -LSIO_EUSAGE
 * when there is no '=' or nothing before or after it, -ENAMETOOLONG when
 * the name does not fit. */
int zarr_label_split(const char *term, char *dim, size_t dim_cap,
		     const char **spec);

/* Resolve spec against the n values of a coordinate (doubles; a time
 * coordinate's in its CF units, t non-NULL then: labels are dates) as
 * xarray's .sel does:
 *
 *   "LO:HI"  inclusive, on an ascending or a descending coordinate: on a
 *            descending latitude 60:40 takes 60 down to 40 and 40:60
 *            nothing (an error that says to write 60:40); either end may
 *            be empty; "LO:HI:STEP" takes every STEP-th of those.  A date
 *            stands for its whole period, as in pandas: 2023-01-10:
 *            2023-01-15 takes all of the 15th, 2023-01 all of January.
 *   "V"      the value V exactly (an error naming the nearest when it is
 *            absent); the dimension is dropped.  A date coarser than the
 *            coordinate's own resolution (a day on 6-hourly data) takes
 *            that period and keeps the dimension, as pandas does.  A
 *            coordinate of float32 values matches V rounded to float32, as
 *            xarray compares in the coordinate's dtype.
 *   "V~"     the nearest value (a tie goes to the larger value, as
 *            xarray); the dimension is dropped.
 *
 * A longitude (is_lon: the caller's judgement from units degrees_east or
 * the name) whose values are ascending and go round the circle (n steps
 * make 360 degrees) has no seam: LO:HI runs east from LO to HI (HI < LO
 * crosses the seam, 350:10 is 350 to 370), in either convention whatever
 * the coordinate's, and may give two segments that together are one box
 * in increasing longitude; V and V~ are taken modulo 360 (V~ wraps: 359
 * is nearest to 0 on 0..357.5).  Otherwise labels are taken as xarray
 * takes them.
 *
 * Returns 0 with *out, or -LSIO_EJOB with why: a label that is not a
 * number or a date (in t's calendar), a selection that selects nothing
 * (naming the coordinate's range), an absent exact value, a slice or
 * nearest value on a coordinate that is not strictly monotonic. */
int zarr_label_resolve(const double *coord, uint64_t n,
		       const struct cf_time *t, bool is_lon, const char *spec,
		       struct zarr_labelsel *out, char *why, size_t cap);

/* --isel: a numpy index on one dimension of length len ("5", "-1",
 * "2:10", "::2", "" or ":" for all) as xarray's .isel: an integer drops
 * the dimension, a slice clamps as numpy's does (and may select nothing).
 * Returns 0 with *out, or -LSIO_EJOB with why. */
int zarr_index_resolve(uint64_t len, const char *spec,
		       struct zarr_labelsel *out, char *why, size_t cap);

#endif
