/* SPDX-License-Identifier: MIT */
/*
 * test_zarr.c - the Zarr generator's arithmetic, without any file:
 *
 *   - selections parse to numpy's meaning (a table of texts)
 *   - for random shapes, chunk shapes, C/F order and selections, the
 *     placements of every chunk, applied with the real lsio_place_copy to
 *     chunks whose elements hold their own array index, give exactly what
 *     indexing the array directly gives: every output element written
 *     once, with the right element
 */
#include <stdlib.h>

#include "format/zarr.h"
#include "unit.h"

struct sel_case {
	const char *text;
	uint32_t ndim;
	uint64_t shape[3];
	int ok;
	struct zarr_dimsel want[3];
};

static const struct sel_case sel_cases[] = {
	{ "", 2, { 5, 6 }, 1, { { 0, 1, 5, false, 0, 0 }, { 0, 1, 6, false, 0, 0 } } },
	{ "1", 2, { 5, 6 }, 1, { { 1, 1, 1, true, 0, 0 }, { 0, 1, 6, false, 0, 0 } } },
	{ "-1, ::2", 2, { 5, 6 }, 1, { { 4, 1, 1, true, 0, 0 }, { 0, 2, 3, false, 0, 0 } } },
	{ " 1:4 , 5: ", 2, { 5, 6 }, 1, { { 1, 1, 3, false, 0, 0 }, { 5, 1, 1, false, 0, 0 } } },
	/* numpy reads brackets as a list of indices: refused, never misread */
	{ "[0,5]", 2, { 10, 10 }, 0, { { 0 } } },
	{ "0, [1, 2]", 2, { 10, 10 }, 0, { { 0 } } },
	{ "-100:100:3", 1, { 10 }, 1, { { 0, 3, 4, false, 0, 0 } } },
	{ "7:2", 1, { 10 }, 1, { { 7, 1, 0, false, 0, 0 } } },
	{ "-3:", 1, { 10 }, 1, { { 7, 1, 3, false, 0, 0 } } },
	{ ":-3:4", 1, { 10 }, 1, { { 0, 4, 2, false, 0, 0 } } },
	{ "..., 2", 3, { 4, 5, 6 }, 1, { { 0, 1, 4, false, 0, 0 }, { 0, 1, 5, false, 0, 0 }, { 2, 1, 1, true, 0, 0 } } },
	{ "1, ..., 2", 3, { 4, 5, 6 }, 1, { { 1, 1, 1, true, 0, 0 }, { 0, 1, 5, false, 0, 0 }, { 2, 1, 1, true, 0, 0 } } },
	{ "1, 2, ...", 2, { 4, 5 }, 1, { { 1, 1, 1, true, 0, 0 }, { 2, 1, 1, true, 0, 0 } } },
	{ "0,", 2, { 4, 5 }, 1, { { 0, 1, 1, true, 0, 0 }, { 0, 1, 5, false, 0, 0 } } },
	{ "...", 0, { 0 }, 1, { { 0 } } },
	{ "5", 1, { 5 }, 0, { { 0 } } },
	{ "-6", 1, { 5 }, 0, { { 0 } } },
	{ "1, 2", 1, { 5 }, 0, { { 0 } } },
	{ "::0", 1, { 5 }, 0, { { 0 } } },
	{ "::-1", 1, { 5 }, 0, { { 0 } } },
	{ "1:2:3:4", 1, { 5 }, 0, { { 0 } } },
	{ "x", 1, { 5 }, 0, { { 0 } } },
	{ "1.5", 1, { 5 }, 0, { { 0 } } },
	{ "..., ...", 2, { 5, 5 }, 0, { { 0 } } },
	{ "1,,2", 2, { 5, 5 }, 0, { { 0 } } },
	{ "99999999999999999999", 1, { 5 }, 0, { { 0 } } },
};

static void test_select_table(void)
{
	for (size_t i = 0; i < sizeof(sel_cases) / sizeof(sel_cases[0]); i++) {
		const struct sel_case *c = &sel_cases[i];
		struct zarr_dimsel got[LSIO_MAX_DIMS];
		char why[256] = "";
		int ret = zarr_select_parse(c->text, c->shape, c->ndim, got, why,
					    sizeof(why));

		CHECK((ret == 0) == c->ok, "'%s': returned %d (%s)", c->text, ret, why);
		if (ret || !c->ok)
			continue;
		for (uint32_t d = 0; d < c->ndim; d++)
			CHECK(!memcmp(&got[d], &c->want[d], sizeof(got[d])) ||
			      (got[d].start == c->want[d].start &&
			       got[d].step == c->want[d].step &&
			       got[d].n == c->want[d].n &&
			       got[d].drop == c->want[d].drop),
			      "'%s' dim %u: %llu/%llu/%llu/%d", c->text, d,
			      (unsigned long long)got[d].start,
			      (unsigned long long)got[d].step,
			      (unsigned long long)got[d].n, got[d].drop);
	}
}

/* --- placements against direct indexing ----------------------------------- */

#define UNSET 0xffffffffu

struct world {
	uint32_t ndim, ondim;
	uint64_t shape[4], chunks[4];
	char order;
	struct zarr_dimsel sel[4];
	uint64_t oshape[4];
	uint32_t *out;
	uint32_t *chunk;
	uint64_t nplaced, nout;
	int bad;
};

static uint64_t rnd(uint64_t n)
{
	return n ? (uint64_t)random() % n : 0;
}

/* Fill the chunk at idx[]: each element holds its array linear index (or
 * UNSET - 1 in the padding past the array's edge), in the chunk's order. */
static void make_chunk(struct world *w, const uint64_t *idx)
{
	uint64_t n = 1, k[4] = { 0 };

	for (uint32_t d = 0; d < w->ndim; d++)
		n *= w->chunks[d];
	for (uint64_t e = 0; e < n; e++) {
		uint64_t lin = 0, mem = 0, stride = 1;
		bool pad = false;

		for (uint32_t d = 0; d < w->ndim; d++) {
			uint64_t g = idx[d] * w->chunks[d] + k[d];

			pad |= g >= w->shape[d];
			lin = lin * w->shape[d] + g;
		}
		/* Memory offset of local index k in the chunk's order. */
		for (uint32_t i = 0; i < w->ndim; i++) {
			uint32_t d = w->order == 'F' ? i : w->ndim - 1 - i;

			mem += k[d] * stride;
			stride *= w->chunks[d];
		}
		w->chunk[mem] = pad ? UNSET - 1 : (uint32_t)lin;
		for (uint32_t d = w->ndim; d-- > 0;)
			if (++k[d] < w->chunks[d])
				break;
			else
				k[d] = 0;
	}
}

static void place_one(struct world *w, const struct zarr_place *p)
{
	struct lsio_place lp = { p->ndim, p->order, p->shape, p->to, p->from,
				 p->count, p->step };
	uint32_t rank = w->ondim ? w->ondim : 1;	/* lsio_place_rank */
	uint64_t total = 1, n = 1;

	if (p->ndim != rank)
		w->bad++;
	for (uint32_t d = 0; d < p->ndim; d++) {
		total *= p->shape[d];
		if (!p->step[d] || (p->count[d] &&
		    p->from[d] + (p->count[d] - 1) * p->step[d] >= p->shape[d]) ||
		    p->to[d] + p->count[d] > w->oshape[d])
			w->bad++;
		n *= p->count[d];
	}
	for (uint32_t d = 0; d < w->ndim; d++)
		total /= w->chunks[d];
	if (total != 1)
		w->bad++;	/* the place must describe the whole chunk */
	if (!w->bad)
		lsio_place_copy((uint8_t *)w->out, w->oshape, rank, 4, &lp,
				(const uint8_t *)w->chunk);
	w->nplaced += n;
}

static void random_world(struct world *w)
{
	w->ndim = 1 + (uint32_t)rnd(4);
	w->order = rnd(2) ? 'F' : 'C';
	w->ondim = 0;
	for (uint32_t d = 0; d < w->ndim; d++) {
		struct zarr_dimsel *s = &w->sel[d];

		w->shape[d] = 1 + rnd(12);
		w->chunks[d] = 1 + rnd(6);
		if (rnd(4) == 0) {
			*s = (struct zarr_dimsel){ rnd(w->shape[d]), 1, 1, true, 0, 0 };
			continue;
		}
		s->drop = false;
		s->step = rnd(3) ? 1 + rnd(5) : 1;
		s->start = rnd(w->shape[d]);
		s->n = 1 + rnd((w->shape[d] - s->start + s->step - 1) / s->step);
		/* Sometimes a second segment, anywhere (a box across a
		 * longitude seam): it may revisit the first's chunks. */
		s->start2 = rnd(w->shape[d]);
		s->n2 = rnd(3) ? 0 : rnd((w->shape[d] - s->start2 + s->step - 1) / s->step + 1);
		w->oshape[w->ondim++] = zarr_dimsel_count(s);
	}
	if (!w->ondim)
		w->oshape[0] = 1;	/* a 0-d output: one element */
}

/* Every chunk's placements into out, then out against direct indexing. */
static void check_world(struct world *w, int trial)
{
	struct zarr_span *spans[4] = { NULL };
	const struct zarr_span *sp[4];
	size_t nsp[4], pos[4] = { 0 };
	uint64_t nout = 1, csz = 1, idx[4];
	struct zarr_place p;
	uint32_t d;

	for (d = 0; d < w->ondim; d++)
		nout *= w->oshape[d];
	for (d = 0; d < w->ndim; d++) {
		csz *= w->chunks[d];
		zarr_spans(&w->sel[d], w->chunks[d], &spans[d], &nsp[d]);
	}
	w->out = malloc(nout * 4);
	w->chunk = malloc(csz * 4);
	memset(w->out, 0xff, nout * 4);
	w->nplaced = 0;
	w->bad = 0;
	for (;;) {
		for (d = 0; d < w->ndim; d++) {
			sp[d] = &spans[d][pos[d]];
			idx[d] = sp[d]->chunk;
		}
		make_chunk(w, idx);
		/* One placement per chunk: each is decoded once. */
		zarr_place_of(w->chunks, w->ndim, w->order, w->sel, sp, &p);
		place_one(w, &p);
		for (d = w->ndim; d-- > 0;) {
			if (++pos[d] < nsp[d])
				break;
			pos[d] = 0;
		}
		if (d == UINT32_MAX || w->ondim == 0)
			break;
	}
	CHECK(!w->bad, "trial %d: a placement out of bounds or of the wrong size", trial);
	CHECK(w->nplaced == nout, "trial %d: %llu elements placed, %llu wanted",
	      trial, (unsigned long long)w->nplaced, (unsigned long long)nout);
	/* out[j] must be the array element at start + j*step per dim. */
	for (uint64_t o = 0; o < nout && !w->bad; o++) {
		uint64_t rem = o, j[4], lin = 0;
		uint32_t k = w->ondim;

		for (d = w->ondim; d-- > 0;) {
			j[d] = rem % w->oshape[d];
			rem /= w->oshape[d];
		}
		for (d = 0, k = 0; d < w->ndim; d++) {
			const struct zarr_dimsel *s = &w->sel[d];
			uint64_t jj = s->drop ? 0 : j[k++];
			uint64_t g = jj < s->n ? s->start + jj * s->step
					       : s->start2 + (jj - s->n) * s->step;

			lin = lin * w->shape[d] + g;
		}
		if (w->out[o] != lin) {
			CHECK(w->out[o] == lin, "trial %d (ndim %u, order %c): out[%llu] = %u, want %llu",
			      trial, w->ndim, w->order, (unsigned long long)o,
			      w->out[o], (unsigned long long)lin);
			break;
		}
	}
	for (d = 0; d < w->ndim; d++)
		free(spans[d]);
	free(w->out);
	free(w->chunk);
}

static void test_placements(void)
{
	struct world w;

	srandom(6);
	for (int trial = 0; trial < 3000; trial++) {
		random_world(&w);
		check_world(&w, trial);
	}
}

int main(void)
{
	test_select_table();
	test_placements();
	return unit_done("test_zarr");
}
