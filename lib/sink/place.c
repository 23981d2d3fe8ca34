/* SPDX-License-Identifier: MIT */
/*
 * place.c - copy a decoded N-D chunk, or a strided box of it, into the
 * output array.
 *
 * The box is described by byte strides on both sides (a step multiplies
 * the chunk's), so C and F order and strided selections are the same code.  Dimensions that contribute one element are dropped and
 * neighbours that are contiguous on both sides are merged, so a chunk that
 * spans whole rows of the array becomes a single memcpy.  What remains is
 * walked with an odometer (no recursion): the innermost dimension is one
 * memcpy when it is contiguous on both sides, else an element loop.
 */
#include <string.h>

#include "internal.h"

/* One dimension of the walk: how many steps, and the byte stride of a step
 * in the chunk (src) and in the array (dst). */
struct place_dim {
	uint64_t count;
	uint64_t src;
	uint64_t dst;
};

/* Byte strides of a chunk of the given shape in C or F order. */
static void place_strides(const uint64_t *shape, uint32_t ndim, char order,
			  size_t itemsize, uint64_t *stride)
{
	uint64_t s = itemsize;

	if (order == 'F') {
		for (uint32_t d = 0; d < ndim; d++) {
			stride[d] = s;
			s *= shape[d];
		}
		return;
	}
	for (uint32_t d = ndim; d-- > 0;) {
		stride[d] = s;
		s *= shape[d];
	}
}

uint64_t lsio_place_src_strides(const struct lsio_place *p, size_t itemsize,
				uint64_t *stride)
{
	uint64_t first = 0;

	place_strides(p->shape, p->ndim, p->order, itemsize, stride);
	for (uint32_t d = 0; d < p->ndim; d++) {
		first += p->from[d] * stride[d];
		stride[d] *= p->step[d];
	}
	return first;
}

/* Turn the box into at most ndim walk dimensions, innermost first in dim[],
 * and the byte offsets of its first element.  Returns the number of
 * dimensions (at least 1), or 0 when the box is empty. */
static uint32_t place_plan(const uint64_t *ashape, uint32_t ndim,
			   size_t itemsize, const struct lsio_place *p,
			   struct place_dim *dim, uint64_t *src, uint64_t *dst)
{
	uint64_t cs[LSIO_MAX_DIMS], as[LSIO_MAX_DIMS];
	uint32_t m = 0;

	*src = lsio_place_src_strides(p, itemsize, cs);
	place_strides(ashape, ndim, 'C', itemsize, as);
	*dst = 0;
	for (uint32_t d = 0; d < ndim; d++) {
		if (!p->count[d])
			return 0;
		*dst += p->to[d] * as[d];
	}
	/* Walk in the array's (C) order so the writes stream. */
	for (uint32_t d = ndim; d-- > 0;) {
		struct place_dim *in = m ? &dim[m - 1] : NULL;

		if (p->count[d] == 1)
			continue;
		if (in && cs[d] == in->count * in->src &&
		    as[d] == in->count * in->dst) {
			in->count *= p->count[d];
			continue;
		}
		dim[m++] = (struct place_dim){ p->count[d], cs[d], as[d] };
	}
	if (!m)		/* a single element (or a 0-D array) */
		dim[m++] = (struct place_dim){ 1, itemsize, itemsize };
	return m;
}

/* Copy count elements with the given byte strides.  The common item sizes
 * get a constant-size memcpy, which the compiler turns into one load and
 * one store. */
#define PLACE_STRIDED(size)                                              \
	for (uint64_t k = 0; k < d->count; k++)                          \
		memcpy(dst + k * d->dst, src + k * d->src, size)

static void place_run(uint8_t *dst, const uint8_t *src,
		      const struct place_dim *d, size_t itemsize)
{
	if (d->src == itemsize && d->dst == itemsize) {
		memcpy(dst, src, d->count * itemsize);
		return;
	}
	switch (itemsize) {
	case 1:
		PLACE_STRIDED(1);
		break;
	case 2:
		PLACE_STRIDED(2);
		break;
	case 4:
		PLACE_STRIDED(4);
		break;
	case 8:
		PLACE_STRIDED(8);
		break;
	case 16:
		PLACE_STRIDED(16);
		break;
	default:
		PLACE_STRIDED(itemsize);
		break;
	}
}

void lsio_place_copy(uint8_t *array, const uint64_t *ashape, uint32_t ndim,
		     size_t itemsize, const struct lsio_place *p,
		     const uint8_t *chunk)
{
	struct place_dim dim[LSIO_MAX_DIMS + 1];
	uint64_t idx[LSIO_MAX_DIMS + 1] = { 0 };
	uint64_t src, dst;
	uint32_t m, j;

	m = place_plan(ashape, ndim, itemsize, p, dim, &src, &dst);
	if (!m)
		return;
	/* Offsets, not pointers: stepping past the end and back is only
	 * defined for unsigned integers. */
	for (;;) {
		place_run(array + dst, chunk + src, &dim[0], itemsize);
		for (j = 1; j < m; j++) {
			src += dim[j].src;
			dst += dim[j].dst;
			if (++idx[j] < dim[j].count)
				break;
			src -= dim[j].src * dim[j].count;
			dst -= dim[j].dst * dim[j].count;
			idx[j] = 0;
		}
		if (j == m)
			return;
	}
}
