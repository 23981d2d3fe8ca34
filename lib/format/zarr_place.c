/* SPDX-License-Identifier: MIT */
/*
 * zarr_place.c - express the selected part of one chunk as its placement.
 *
 * A placement has the output's rank; along each dimension it takes count
 * elements from `from`, every `step`-th, of the decoded chunk.  Every
 * numpy basic selection of a chunk is one such placement, so a chunk is
 * read and decoded exactly once:
 *
 *   - a step s of the selection is a step s of the placement;
 *   - an integer drops a dimension: it merges with the kept dimension
 *     after it (in C order a chunk (a, b, c) is also (a, b*c), and
 *     chunk[:, r, 2:5] is from (0, r*c + 2), count (a, 3));
 *   - integers after the last kept dimension merge with the kept one
 *     before it, whose step then strides over them: chunk[:, :, k] of
 *     (a, b, c) is (a, b*c) from (0, k), count (a, b), step (1, c);
 *   - when every dimension is an integer the output is 0-d, and its
 *     placement has rank 1 (lsio_place_rank()): the whole chunk as one
 *     dimension, one element at its linear index.
 *
 * F order is C order of the reversed dimensions, so the same code runs on
 * the reversed view and the result is reversed back.
 */
#include "zarr.h"

/* The chunk's dimensions in memory order (C: as given; F: reversed), and
 * what the selection takes of each. */
struct pdim {
	uint64_t extent;
	uint64_t index;		/* the first index taken */
	uint64_t count, step, to;
	bool kept;
};

/* Group dims [b, e) with the kept one k among them (or none: k == e) into
 * dimension g of p. */
static void place_group(const struct pdim *v, uint32_t b, uint32_t e,
			uint32_t k, uint32_t g, struct zarr_place *p)
{
	uint64_t extent = 1, from = 0, stride = 1;

	for (uint32_t i = b; i < e; i++) {
		extent *= v[i].extent;
		from = from * v[i].extent + v[i].index;
	}
	for (uint32_t i = k + 1; i < e; i++)
		stride *= v[i].extent;
	p->shape[g] = extent;
	p->from[g] = from;
	p->count[g] = k < e ? v[k].count : 1;
	p->step[g] = k < e ? v[k].step * stride : 1;
	p->to[g] = k < e ? v[k].to : 0;
}

static void place_reverse(struct zarr_place *p)
{
	for (uint32_t a = 0, b = p->ndim; a + 1 < b; a++, b--) {
		uint64_t t;

#define SWAP(f) (t = p->f[a], p->f[a] = p->f[b - 1], p->f[b - 1] = t)
		SWAP(shape);
		SWAP(from);
		SWAP(count);
		SWAP(step);
		SWAP(to);
#undef SWAP
	}
}

void zarr_place_of(const uint64_t *cshape, uint32_t ndim, char order,
		   const struct zarr_dimsel *sel,
		   const struct zarr_span *const *span, struct zarr_place *p)
{
	struct pdim v[LSIO_MAX_DIMS];
	uint32_t i, g = 0, b = 0, last = ndim;
	bool rev = order == 'F';

	for (i = 0; i < ndim; i++) {
		uint32_t d = rev ? ndim - 1 - i : i;

		v[i] = (struct pdim){ cshape[d], span[d]->from, span[d]->count,
				      sel[d].step, span[d]->to, !sel[d].drop };
		if (v[i].kept)
			last = i;
	}
	p->order = rev ? 'F' : 'C';
	if (last == ndim) {	/* 0-d output */
		p->ndim = 1;
		place_group(v, 0, ndim, ndim, 0, p);
		return;
	}
	for (i = 0; i < ndim; i++) {
		if (!v[i].kept)
			continue;
		/* The last group takes the integers after it too. */
		place_group(v, b, i == last ? ndim : i + 1, i, g++, p);
		b = i + 1;
	}
	p->ndim = g;
	if (rev)
		place_reverse(p);
}
