/* SPDX-License-Identifier: MIT */
/*
 * zarr_place.c - express the selected part of one chunk as placements.
 *
 * A placement copies one box of a decoded chunk into the output, and its
 * shape has the output's rank.  Two kinds of selection do not map onto a
 * box of the chunk's own shape:
 *
 *   - an integer drops a dimension.  The chunk is then described with
 *     that dimension merged into its inner neighbour: in C order a chunk
 *     (a, b, c) is also (a, b*c), and chunk[:, r, 2:5] is the box
 *     from (0, r*c + 2), count (a, 3) of it.
 *   - a step s along a dimension of extent n with s dividing n: the
 *     dimension is also (n/s, s), and "every s-th index from p" is a
 *     range of the first with the second fixed at p % s - a dropped
 *     dimension again.
 *
 * So the chunk's dimensions become "virtual" ones, each kept (a range,
 * landing in an output dimension) or fixed (one index), and every run of
 * fixed ones merges into the kept one after it.  Fixed dimensions after
 * the last kept one have nothing inner to merge into: the last kept one
 * is then placed one index at a time, as is a step that does not divide
 * the extent.  Each such placement decodes the chunk again: the price of
 * a format whose placements are boxes; zarr.c warns when it is paid.
 *
 * F order is C order of the reversed dimensions, so the same code runs on
 * the reversed view and the result is reversed back.
 */
#include "zarr.h"

#define VDIMS_MAX (2 * LSIO_MAX_DIMS)

struct vdim {
	uint64_t extent;
	uint64_t from;		/* first index */
	uint64_t count;		/* kept: indices taken; fixed: 1 */
	uint64_t step;		/* kept: index step within this dimension */
	uint64_t to;		/* kept: output index of the first */
	bool kept;
	bool split;		/* kept: placed one index at a time */
};

struct vchunk {
	struct vdim v[VDIMS_MAX];
	uint32_t n;
	uint32_t nkept;
	bool reversed;		/* F order: v[] runs over reversed dims */
};

static void vdim_add(struct vchunk *c, struct vdim d)
{
	c->v[c->n++] = d;
	if (d.kept)
		c->nkept++;
}

/* The virtual dimensions of one array dimension. */
static void vdims_of(struct vchunk *c, uint64_t extent,
		     const struct zarr_dimsel *sel, const struct zarr_span *sp)
{
	struct vdim d = { extent, sp->from, sp->count, 1, sp->to, true, false };

	if (sel->drop) {
		d.kept = false;
		vdim_add(c, d);
	} else if (sel->step == 1 || sp->count == 1) {
		vdim_add(c, d);
	} else if (extent % sel->step == 0) {
		d.extent = extent / sel->step;
		d.from = sp->from / sel->step;
		vdim_add(c, d);
		vdim_add(c, (struct vdim){ sel->step, sp->from % sel->step, 1,
					   1, 0, false, false });
	} else {
		d.step = sel->step;
		d.split = true;
		vdim_add(c, d);
	}
}

/* Build the view; returns false when the chunk cannot be placed. */
static bool vchunk_build(struct vchunk *c, const uint64_t *cshape,
			 uint32_t ndim, char order,
			 const struct zarr_dimsel *sel,
			 const struct zarr_span *const *span)
{
	uint64_t tail = 1;
	uint32_t i, last = 0;

	c->n = c->nkept = 0;
	c->reversed = order == 'F';
	for (i = 0; i < ndim; i++) {
		uint32_t d = c->reversed ? ndim - 1 - i : i;

		vdims_of(c, cshape[d], &sel[d], span[d]);
	}
	for (i = 0; i < c->n; i++)
		if (c->v[i].kept)
			last = i;
	for (i = c->nkept ? last + 1 : 0; i < c->n; i++)
		tail *= c->v[i].extent;
	if (!c->nkept)
		return tail == 1;	/* a 0-D output takes a 1-element chunk */
	if (tail > 1 && c->v[last].count > 1)
		c->v[last].split = true;
	return true;
}

static uint64_t vchunk_count(const struct vchunk *c)
{
	uint64_t n = 1;

	for (uint32_t i = 0; i < c->n; i++)
		if (c->v[i].split && !lsio_mul_ok(n, c->v[i].count, &n))
			return UINT64_MAX;
	return n;
}

uint64_t zarr_place_count(const uint64_t *cshape, uint32_t ndim, char order,
			  const struct zarr_dimsel *sel,
			  const struct zarr_span *const *span)
{
	struct vchunk c;

	if (!vchunk_build(&c, cshape, ndim, order, sel, span))
		return 0;
	return vchunk_count(&c);
}

/* The placement for split indices j[] (one per virtual dimension, 0 where
 * not split): group fixed runs into the kept dimension after them. */
static void vchunk_place(const struct vchunk *c, const uint64_t *j,
			 struct zarr_place *p)
{
	uint32_t g = 0, i;

	p->ndim = c->nkept;
	p->order = c->reversed ? 'F' : 'C';
	p->shape[0] = 1;
	p->from[0] = 0;
	for (i = 0; i < c->n; i++) {
		const struct vdim *v = &c->v[i];
		uint64_t idx = v->from + j[i] * v->step;

		/* After the last kept dimension, g stays on it. */
		if (g < p->ndim && i && c->v[i - 1].kept) {
			g++;
			if (g == p->ndim) {
				g--;
			} else {
				p->shape[g] = 1;
				p->from[g] = 0;
			}
		}
		p->shape[g] *= v->extent;
		p->from[g] = p->from[g] * v->extent + idx;
		if (v->kept) {
			p->count[g] = v->split ? 1 : v->count;
			p->to[g] = v->to + j[i];
		}
	}
}

static void place_reverse(struct zarr_place *p)
{
	for (uint32_t a = 0, b = p->ndim; a + 1 < b; a++, b--) {
		uint64_t t;

#define SWAP(f) (t = p->f[a], p->f[a] = p->f[b - 1], p->f[b - 1] = t)
		SWAP(shape);
		SWAP(from);
		SWAP(count);
		SWAP(to);
#undef SWAP
	}
}

/* Step the odometer over the split dimensions; false when done. */
static bool split_next(const struct vchunk *c, uint64_t *j)
{
	for (uint32_t i = c->n; i-- > 0;) {
		if (!c->v[i].split)
			continue;
		if (++j[i] < c->v[i].count)
			return true;
		j[i] = 0;
	}
	return false;
}

int zarr_place_each(const uint64_t *cshape, uint32_t ndim, char order,
		    const struct zarr_dimsel *sel,
		    const struct zarr_span *const *span, zarr_place_fn fn,
		    void *arg)
{
	uint64_t j[VDIMS_MAX] = { 0 };
	struct zarr_place p;
	struct vchunk c;
	int ret;

	if (!vchunk_build(&c, cshape, ndim, order, sel, span))
		return -LSIO_ENOTSUP;
	do {
		vchunk_place(&c, j, &p);
		if (c.reversed)
			place_reverse(&p);
		ret = fn(arg, &p);
		if (ret)
			return ret;
	} while (split_next(&c, j));
	return 0;
}
