/* SPDX-License-Identifier: MIT */
/*
 * test_place.c - lsio_place_copy() against a naive reference that copies
 * element by element with explicit index arithmetic: a table of shapes
 * chosen by hand, then a seeded random sweep.  Every byte of the array is
 * compared, so a write outside the box is caught too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

#define MAXD 6

struct place_case {
	const char *what;
	uint32_t ndim;
	size_t itemsize;
	char order;
	uint64_t ashape[MAXD], shape[MAXD], to[MAXD], from[MAXD], count[MAXD];
	uint64_t step[MAXD];	/* 0 in the table means 1 */
};

/* Cases without steps leave step out: it is zero, meaning 1. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct place_case cases[] = {
	{ "1-D whole chunk", 1, 4, 'C', { 10 }, { 4 }, { 3 }, { 0 }, { 4 } },
	{ "1-D sub-range", 1, 2, 'C', { 10 }, { 8 }, { 0 }, { 2 }, { 5 } },
	{ "1-D edge chunk", 1, 8, 'C', { 10 }, { 4 }, { 8 }, { 0 }, { 2 } },
	{ "1-D F is C", 1, 1, 'F', { 10 }, { 4 }, { 1 }, { 1 }, { 3 } },
	{ "2-D full rows", 2, 4, 'C', { 6, 5 }, { 2, 5 }, { 2, 0 }, { 0, 0 }, { 2, 5 } },
	{ "2-D interior", 2, 4, 'C', { 8, 9 }, { 3, 4 }, { 2, 3 }, { 0, 0 }, { 3, 4 } },
	{ "2-D edge", 2, 2, 'C', { 7, 7 }, { 4, 4 }, { 4, 4 }, { 0, 0 }, { 3, 3 } },
	{ "2-D column", 2, 8, 'C', { 5, 6 }, { 5, 3 }, { 0, 2 }, { 0, 1 }, { 5, 1 } },
	{ "2-D sub-box", 2, 16, 'C', { 6, 6 }, { 5, 5 }, { 1, 0 }, { 1, 2 }, { 3, 3 } },
	{ "2-D F", 2, 4, 'F', { 8, 9 }, { 3, 4 }, { 2, 3 }, { 0, 0 }, { 3, 4 } },
	{ "2-D F sub-box", 2, 2, 'F', { 8, 9 }, { 5, 4 }, { 0, 5 }, { 1, 1 }, { 3, 3 } },
	{ "2-D F one row", 2, 4, 'F', { 4, 9 }, { 1, 6 }, { 2, 1 }, { 0, 0 }, { 1, 6 } },
	{ "3-D whole planes", 3, 4, 'C', { 4, 3, 5 }, { 2, 3, 5 }, { 1, 0, 0 }, { 0, 0, 0 }, { 2, 3, 5 } },
	{ "3-D interior", 3, 1, 'C', { 6, 6, 6 }, { 2, 3, 4 }, { 1, 2, 1 }, { 0, 0, 0 }, { 2, 3, 4 } },
	{ "3-D F", 3, 8, 'F', { 5, 6, 7 }, { 2, 3, 4 }, { 1, 2, 3 }, { 0, 0, 0 }, { 2, 3, 4 } },
	{ "3-D sub-box edge", 3, 2, 'C', { 5, 5, 5 }, { 4, 4, 4 }, { 3, 0, 2 }, { 1, 2, 0 }, { 2, 2, 3 } },
	{ "4-D", 4, 4, 'C', { 3, 4, 5, 6 }, { 2, 2, 3, 3 }, { 1, 1, 2, 3 }, { 0, 0, 0, 0 }, { 2, 2, 3, 3 } },
	{ "4-D inner whole", 4, 2, 'C', { 3, 4, 5, 6 }, { 1, 2, 5, 6 }, { 2, 1, 0, 0 }, { 0, 0, 0, 0 }, { 1, 2, 5, 6 } },
	{ "4-D F sub-box", 4, 16, 'F', { 3, 4, 5, 6 }, { 3, 3, 3, 3 }, { 0, 1, 2, 3 }, { 1, 0, 1, 0 }, { 2, 3, 2, 3 } },
	{ "itemsize 3", 2, 3, 'C', { 4, 4 }, { 2, 2 }, { 1, 1 }, { 0, 0 }, { 2, 2 } },
	{ "itemsize 24 F", 2, 24, 'F', { 4, 4 }, { 2, 3 }, { 1, 1 }, { 0, 0 }, { 2, 3 } },
	{ "zero count", 2, 4, 'C', { 4, 4 }, { 2, 2 }, { 0, 0 }, { 0, 0 }, { 0, 2 } },
	{ "zero-size chunk", 2, 4, 'C', { 4, 4 }, { 0, 2 }, { 0, 0 }, { 0, 0 }, { 0, 2 } },
	{ "0-D", 0, 8, 'C', { 0 }, { 0 }, { 0 }, { 0 }, { 0 } },
	{ "single element", 3, 4, 'C', { 3, 3, 3 }, { 2, 2, 2 }, { 2, 1, 0 }, { 1, 0, 1 }, { 1, 1, 1 } },
	{ "1-D step 3", 1, 4, 'C', { 4 }, { 10 }, { 0 }, { 1 }, { 3 }, { 3 } },
	{ "2-D every other column", 2, 4, 'C', { 3, 4 }, { 3, 8 }, { 0, 0 }, { 0, 1 }, { 3, 4 }, { 1, 2 } },
	{ "2-D strided rows", 2, 8, 'C', { 2, 5 }, { 6, 5 }, { 0, 0 }, { 1, 0 }, { 2, 5 }, { 4, 1 } },
	{ "2-D merged integer: column k", 2, 2, 'C', { 4, 3 }, { 4, 15 }, { 0, 0 }, { 0, 2 }, { 4, 3 }, { 1, 5 } },
	{ "2-D F steps", 2, 4, 'F', { 3, 2 }, { 7, 6 }, { 0, 0 }, { 1, 1 }, { 3, 2 }, { 2, 3 } },
	{ "rank 1 for a 0-d output", 1, 8, 'C', { 1 }, { 24 }, { 0 }, { 17 }, { 1 } },
	{ "3-D steps everywhere", 3, 1, 'C', { 2, 2, 3 }, { 4, 5, 9 }, { 0, 0, 0 }, { 1, 0, 2 }, { 2, 2, 3 }, { 2, 3, 3 } },
};

static uint64_t prod(const uint64_t *v, uint32_t n)
{
	uint64_t p = 1;

	for (uint32_t d = 0; d < n; d++)
		p *= v[d];
	return p;
}

/* The obvious implementation: visit each element of the box by its
 * N-D index and compute both linear offsets from scratch. */
static void reference(uint8_t *array, const struct place_case *c,
		      const uint64_t *step, const uint8_t *chunk)
{
	uint64_t idx[MAXD] = { 0 }, total = prod(c->count, c->ndim);

	for (uint64_t e = 0; e < total; e++) {
		uint64_t rem = e, src = 0, dst = 0, mul;

		for (uint32_t d = c->ndim; d-- > 0;) {
			idx[d] = rem % c->count[d];
			rem /= c->count[d];
		}
		for (uint32_t d = 0; d < c->ndim; d++)
			dst = dst * c->ashape[d] + c->to[d] + idx[d];
		if (c->order == 'F') {
			mul = 1;
			for (uint32_t d = 0; d < c->ndim; d++) {
				src += (c->from[d] + idx[d] * step[d]) * mul;
				mul *= c->shape[d];
			}
		} else {
			for (uint32_t d = 0; d < c->ndim; d++)
				src = src * c->shape[d] + c->from[d] +
				      idx[d] * step[d];
		}
		memcpy(array + dst * c->itemsize, chunk + src * c->itemsize,
		       c->itemsize);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint64_t rng_below(uint64_t n)
{
	return n ? rng() % n : 0;
}

/* Run one case; returns true when the arrays match. */
static bool run_case(const struct place_case *c)
{
	size_t alen = prod(c->ashape, c->ndim) * c->itemsize;
	size_t clen = prod(c->shape, c->ndim) * c->itemsize;
	uint8_t *want = malloc(alen + 1), *got = malloc(alen + 1);
	uint8_t *chunk = malloc(clen + 1);
	uint64_t step[MAXD];
	struct lsio_place p = {
		.ndim = c->ndim, .order = c->order, .shape = c->shape,
		.to = c->to, .from = c->from, .count = c->count, .step = step,
	};
	bool same;

	for (uint32_t d = 0; d < MAXD; d++)
		step[d] = c->step[d] ? c->step[d] : 1;

	for (size_t k = 0; k < clen; k++)
		chunk[k] = (uint8_t)rng();
	memset(want, 0xee, alen);
	memset(got, 0xee, alen);
	reference(want, c, step, chunk);
	lsio_place_copy(got, c->ashape, c->ndim, c->itemsize, &p, chunk);
	same = !memcmp(want, got, alen);
	free(want);
	free(got);
	free(chunk);
	return same;
}

static void random_case(struct place_case *c)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 8, 12, 16, 24 };

	memset(c, 0, sizeof(*c));
	c->what = "random";
	c->ndim = (uint32_t)rng_below(MAXD + 1);
	c->itemsize = sizes[rng_below(ARRAY_SIZE(sizes))];
	c->order = rng_below(2) ? 'F' : 'C';
	for (uint32_t d = 0; d < c->ndim; d++) {
		/* Favour whole dimensions and ones of length 1: they are
		 * what the collapsing works on. */
		c->shape[d] = rng_below(6) + (rng_below(8) ? 1 : 0);
		c->from[d] = rng_below(3) ? 0 : rng_below(c->shape[d] + 1);
		c->step[d] = rng_below(3) ? 1 : 1 + rng_below(4);
		/* The most elements from `from` on, every step-th. */
		uint64_t most = c->from[d] < c->shape[d] ?
			(c->shape[d] - c->from[d] + c->step[d] - 1) / c->step[d] : 0;
		c->count[d] = rng_below(3) ? most : rng_below(most + 1);
		c->ashape[d] = c->count[d] + (rng_below(3) ? 0 : rng_below(4));
		c->to[d] = rng_below(c->ashape[d] - c->count[d] + 1);
	}
}

int main(void)
{
	struct place_case c;

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++)
		CHECK(run_case(&cases[k]), "%s", cases[k].what);
	for (int k = 0; k < 2000; k++) {
		random_case(&c);
		CHECK(run_case(&c), "random case %d (ndim %u, itemsize %zu, %c)",
		      k, c.ndim, c.itemsize, c.order);
	}
	return unit_done("test_place");
}
