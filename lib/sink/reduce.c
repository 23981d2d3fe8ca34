/* SPDX-License-Identifier: MIT */
/*
 * reduce.c - the arithmetic of a reduction: sum, mean, min, max, count,
 * var and std over some dimensions of an array, NaN-aware (NaN is always
 * missing, as numpy's nan* functions have it) and, when asked, fill-aware.
 *
 * A chunk is folded into a partial over the box of the result it lands in,
 * walking its elements in the array's C order; partials are merged into
 * the total in an order sink_reduce.c fixes.  Both orders are the same
 * whatever the number of workers, so the result is too, bit for bit.
 * Values are loaded a block at a time into doubles (or 128-bit integers,
 * for exact integer sums and comparisons) and folded by a loop per
 * operation, which the compiler can vectorise.  var and std use Welford's
 * update within a chunk and Chan et al.'s pairwise merge between partials:
 * stable in one pass.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/reduce.h"

#define BLOCK 256	/* values loaded at a time: stays in L1 */

static bool reduced(const struct lsio_reducer *rd, uint32_t d)
{
	return rd->r.axes >> d & 1;
}

LSIO_WIDE static void load_doubles(const struct lsio_dtype *dt, bool swap,
			 const uint8_t *src, uint64_t stride, size_t count,
			 double *dst);

/* --- set-up ---------------------------------------------------------------- */

static int result_dtype(struct lsio_reducer *rd, char *why, size_t cap)
{
	const char *t;
	char own[8];

	switch (rd->r.op) {
	case LSIO_REDUCE_SUM:
		t = !rd->ints ? "<f8" : rd->in.kind == 'u' ? "<u8" : "<i8";
		break;
	case LSIO_REDUCE_COUNT:
		t = "<i8";
		break;
	case LSIO_REDUCE_MIN:
	case LSIO_REDUCE_MAX:	/* the array's own type, in host order */
		snprintf(own, sizeof(own), "%c%c%u", rd->in.size == 1 ? '|' : '<',
			 rd->in.kind, rd->in.size);
		t = own;
		break;
	default:
		t = "<f8";
	}
	if (lsio_dtype_parse(t, &rd->out)) {
		snprintf(why, cap, "no result type for %s", rd->in.str);
		return -LSIO_EUSAGE;
	}
	return 0;
}

static int input_check(const struct lsio_dtype *dt, char *why, size_t cap)
{
	bool ok = (dt->kind == 'f' && dt->size <= 8 && dt->size != 1) ||
		  ((dt->kind == 'i' || dt->kind == 'u') && dt->size <= 8) ||
		  (dt->kind == 'b' && dt->size == 1);

	if (!ok)
		snprintf(why, cap,
			 "cannot reduce %s elements (integers, bool and floating point can be)",
			 dt->str);
	return ok ? 0 : -LSIO_EUSAGE;
}

/* The fill value is encoded as the array's elements are: loaded as one. */
static void fill_values(struct lsio_reducer *rd, const struct lsio_output *out)
{
	uint64_t u = 0;
	int64_t i;

	if (rd->in.kind == 'f') {
		load_doubles(&rd->in, rd->swap, out->fill, 0, 1, &rd->fill_d);
		return;
	}
	memcpy(&u, out->fill, rd->in.size);
	if (rd->swap)
		u = __builtin_bswap64(u) >> (64 - 8 * rd->in.size);
	if (rd->in.kind == 'i' && rd->in.size < 8 &&
	    (u >> (rd->in.size * 8 - 1) & 1))
		u |= ~0ull << (rd->in.size * 8);	/* sign-extend */
	memcpy(&i, &u, 8);
	rd->fill_i = rd->in.kind == 'i' ? (__int128)i : (__int128)u;
	rd->fill_d = (double)rd->fill_i;
}

int lsio_reducer_init(struct lsio_reducer *rd, const struct lsio_output *out,
		      char *why, size_t cap)
{
	enum lsio_reduce_op op = out->reduce.op;

	memset(rd, 0, sizeof(*rd));
	rd->r = out->reduce;
	rd->in = out->dtype;
	if (input_check(&rd->in, why, cap))
		return -LSIO_EUSAGE;
	if (!out->ndim) {
		snprintf(why, cap, "a 0-d array has no dimension to reduce");
		return -LSIO_EUSAGE;
	}
	rd->swap = rd->in.order == '>';
	rd->ints = rd->in.kind != 'f' && op != LSIO_REDUCE_VAR &&
		   op != LSIO_REDUCE_STD;
	fill_values(rd, out);
	rd->skip_value = rd->r.skip_fill && !isnan(rd->fill_d);
	rd->holes_count = !rd->r.skip_fill && !isnan(rd->fill_d);
	rd->ndim = out->ndim;
	rd->per_out = rd->rlen = 1;
	for (uint32_t d = 0; d < out->ndim; d++) {
		rd->shape[d] = out->shape[d];
		if (reduced(rd, d)) {
			rd->per_out *= out->shape[d];
			continue;
		}
		rd->rshape[rd->rdim++] = out->shape[d];
		rd->rlen *= out->shape[d];
	}
	if (!rd->rdim)
		rd->rshape[0] = 1;	/* a 0-d result */
	return result_dtype(rd, why, cap);
}

int lsio_acc_alloc(const struct lsio_reducer *rd, struct lsio_reduce_acc *acc,
		   uint64_t len)
{
	enum lsio_reduce_op op = rd->r.op;
	size_t n = len ? (size_t)len : 1;
	bool moments = op == LSIO_REDUCE_VAR || op == LSIO_REDUCE_STD;

	memset(acc, 0, sizeof(*acc));
	acc->len = acc->cap = n;
	acc->n = calloc(n, sizeof(*acc->n));
	if (rd->holes_count)
		acc->seen = calloc(n, sizeof(*acc->seen));
	if (op != LSIO_REDUCE_COUNT && !rd->ints)
		acc->a = calloc(n, sizeof(*acc->a));
	if (moments)
		acc->m2 = calloc(n, sizeof(*acc->m2));
	if (op != LSIO_REDUCE_COUNT && rd->ints)
		acc->ia = calloc(n, sizeof(*acc->ia));
	if (!acc->n || (rd->holes_count && !acc->seen) ||
	    (op != LSIO_REDUCE_COUNT && !acc->a && !acc->ia) ||
	    (moments && !acc->m2)) {
		lsio_acc_free(acc);
		return -ENOMEM;
	}
	return 0;
}

int lsio_acc_reset(const struct lsio_reducer *rd, struct lsio_reduce_acc *acc,
		   uint64_t len)
{
	size_t n = len ? (size_t)len : 1;
	enum lsio_reduce_op op = rd->r.op;
	bool moments = op == LSIO_REDUCE_VAR || op == LSIO_REDUCE_STD;
	/* A spare of another variable's reduction may hold other arrays. */
	bool same = !acc->seen == !rd->holes_count && !acc->m2 == !moments &&
		    !acc->ia == !(op != LSIO_REDUCE_COUNT && rd->ints) &&
		    !acc->a == !(op != LSIO_REDUCE_COUNT && !rd->ints);

	if (!acc->n || acc->cap < n || !same) {
		lsio_acc_free(acc);
		return lsio_acc_alloc(rd, acc, len);
	}
	acc->len = n;
	memset(acc->n, 0, n * sizeof(*acc->n));
	if (acc->seen)
		memset(acc->seen, 0, n * sizeof(*acc->seen));
	if (acc->a)
		memset(acc->a, 0, n * sizeof(*acc->a));
	if (acc->m2)
		memset(acc->m2, 0, n * sizeof(*acc->m2));
	if (acc->ia)
		memset(acc->ia, 0, n * sizeof(*acc->ia));
	return 0;
}

void lsio_acc_free(struct lsio_reduce_acc *acc)
{
	free(acc->n);
	free(acc->seen);
	free(acc->a);
	free(acc->m2);
	free(acc->ia);
	memset(acc, 0, sizeof(*acc));
}

/* --- loading values ---------------------------------------------------------- */

/* count elements from src, stride bytes apart, each converted to *dst's
 * type by assignment. */
#define LOAD_LOOP(UT, BSWAP, T, CONV, STEP)                                   \
	for (size_t k = 0; k < count; k++) {                                  \
		UT u;                                                         \
		T x;                                                          \
		memcpy(&u, src + k * (STEP), sizeof(u));                      \
		u = BSWAP(u);                                                 \
		memcpy(&x, &u, sizeof(x));                                    \
		dst[k] = CONV(x);                                             \
	}
/* Contiguous elements in host order (the common case) get a loop of
 * their own, with a constant stride, which the compiler vectorises. */
#define LOAD_AS(UT, BSWAP, T, CONV)                                           \
	do {                                                                  \
		if (swap)                                                     \
			LOAD_LOOP(UT, BSWAP, T, CONV, stride)                 \
		else if (stride == sizeof(UT))                                \
			LOAD_LOOP(UT, NO_SWAP, T, CONV, sizeof(UT))           \
		else                                                          \
			LOAD_LOOP(UT, NO_SWAP, T, CONV, stride)               \
	} while (0)
#define LOAD(UT, BSWAP, T) LOAD_AS(UT, BSWAP, T, AS_IS)
#define AS_IS(x) (x)

#define NO_SWAP(x) (x)

/* The integer types, shared by both loaders. */
#define LOAD_INTEGERS                                                         \
	case 'i' << 8 | 1: LOAD(uint8_t, NO_SWAP, int8_t); break;             \
	case 'i' << 8 | 2: LOAD(uint16_t, __builtin_bswap16, int16_t); break; \
	case 'i' << 8 | 4: LOAD(uint32_t, __builtin_bswap32, int32_t); break; \
	case 'i' << 8 | 8: LOAD(uint64_t, __builtin_bswap64, int64_t); break; \
	case 'u' << 8 | 2: LOAD(uint16_t, __builtin_bswap16, uint16_t); break; \
	case 'u' << 8 | 4: LOAD(uint32_t, __builtin_bswap32, uint32_t); break; \
	case 'u' << 8 | 8: LOAD(uint64_t, __builtin_bswap64, uint64_t); break; \
	default: LOAD(uint8_t, NO_SWAP, uint8_t); break	/* u1, b1 */

/* Elements of dt as doubles. */
LSIO_WIDE static void load_doubles(const struct lsio_dtype *dt, bool swap,
			 const uint8_t *src, uint64_t stride, size_t count,
			 double *dst)
{
	switch (dt->kind << 8 | dt->size) {
	case 'f' << 8 | 2:
		LOAD_AS(uint16_t, __builtin_bswap16, uint16_t, lsio_half_to_double);
		break;
	case 'f' << 8 | 4: LOAD(uint32_t, __builtin_bswap32, float); break;
	case 'f' << 8 | 8: LOAD(uint64_t, __builtin_bswap64, double); break;
	LOAD_INTEGERS;
	}
}

/* Integer elements, exactly. */
static void load_ints(const struct lsio_dtype *dt, bool swap,
		      const uint8_t *src, uint64_t stride, size_t count,
		      __int128 *dst)
{
	switch (dt->kind << 8 | dt->size) {
	LOAD_INTEGERS;
	}
}

/* --- folding a run of values ------------------------------------------------ */

/* Not NaN, and not the fill value when it is skipped: without branches
 * (x == x is false only for NaN). */
#define VALID(v) (((v) == (v)) & !(skip & ((v) == fill)))

/* The forms of VALID that GCC vectorises: a 64-bit flag, as wide as a
 * double, and skip decided outside the loop. */
#define OK_PLAIN(v) ((int64_t)((v) == (v)))
#define OK_SKIP(v) ((int64_t)(((v) == (v)) & ((v) != fill)))

#define SUM_ALONG(OK)                                                         \
	for (size_t k = 0; k < count; k++) {                                  \
		double v = x[k];                                              \
		int64_t ok = OK(v);                                           \
		a[k] += ok ? v : 0.0;                                         \
		n[k] += (uint64_t)ok;                                         \
	}

/* sum and mean: the loops the compiler vectorises (along: one value to
 * each element) or keeps in registers (across: all to one), the values
 * added in the same order either way. */
LSIO_WIDE static void fold_sum(const struct lsio_reducer *rd,
			       struct lsio_reduce_acc *p, uint64_t s, uint64_t inc, const double *restrict x,
		     size_t count)
{
	double fill = rd->fill_d, *restrict a = p->a + s;
	uint64_t *restrict n = p->n + s;
	bool skip = rd->skip_value;

	if (inc && skip) {
		SUM_ALONG(OK_SKIP)
		return;
	}
	if (inc) {
		SUM_ALONG(OK_PLAIN)
		return;
	}
	double sum = *a;
	uint64_t c = *n;

	for (size_t k = 0; k < count; k++) {
		bool ok = VALID(x[k]);

		sum += ok ? x[k] : 0.0;
		c += ok;
	}
	*a = sum;
	*n = c;
}

/* min and max keep the first value, then a strictly smaller (greater)
 * one; along, without branches, which the compiler vectorises. */
#define MINMAX_ALONG(OK, BETTER)                                              \
	for (size_t k = 0; k < count; k++) {                                  \
		double v = x[k];                                              \
		int64_t ok = OK(v);                                           \
		int64_t take = ok & ((n[k] == 0) | (v BETTER a[k]));          \
		a[k] = take ? v : a[k];                                       \
		n[k] += (uint64_t)ok;                                         \
	}

LSIO_WIDE static void fold_minmax(const struct lsio_reducer *rd,
			struct lsio_reduce_acc *p, uint64_t s, uint64_t inc,
			const double *restrict x, size_t count)
{
	double fill = rd->fill_d, *restrict a = p->a + s;
	uint64_t *restrict n = p->n + s;
	bool skip = rd->skip_value, max = rd->r.op == LSIO_REDUCE_MAX;

	if (inc && skip && max)
		MINMAX_ALONG(OK_SKIP, >)
	else if (inc && skip)
		MINMAX_ALONG(OK_SKIP, <)
	else if (inc && max)
		MINMAX_ALONG(OK_PLAIN, >)
	else if (inc)
		MINMAX_ALONG(OK_PLAIN, <)
	if (inc)
		return;
	double best = *a;
	uint64_t c = *n;

	for (size_t k = 0; k < count; k++)
		if (VALID(x[k]) &&
		    (!c++ || (max ? x[k] > best : x[k] < best)))
			best = x[k];
	*a = best;
	*n = c;
}

/* Value k of a run goes to element s + k * inc of the partial: inc 1
 * when the run's dimension is kept, 0 when it is reduced. */
static void fold_doubles(const struct lsio_reducer *rd,
			 struct lsio_reduce_acc *p, uint64_t s, uint64_t inc,
			 const double *x, size_t count)
{
	double fill = rd->fill_d;
	bool skip = rd->skip_value;
	uint64_t *n = p->n;
	double *a = p->a, *m2 = p->m2;

	switch (rd->r.op) {
	case LSIO_REDUCE_SUM:
	case LSIO_REDUCE_MEAN:
		fold_sum(rd, p, s, inc, x, count);
		break;
	case LSIO_REDUCE_MIN:
	case LSIO_REDUCE_MAX:
		fold_minmax(rd, p, s, inc, x, count);
		break;
	case LSIO_REDUCE_COUNT:
		for (size_t k = 0; k < count; k++)
			n[s + k * inc] += VALID(x[k]);
		break;
	default:	/* var, std: Welford */
		for (size_t k = 0; k < count; k++) {
			uint64_t e = s + k * inc;
			double d;

			if (!VALID(x[k]))
				continue;
			d = x[k] - a[e];
			a[e] += d / (double)++n[e];
			m2[e] += d * (x[k] - a[e]);
		}
	}
}
#undef VALID

static void fold_ints(const struct lsio_reducer *rd, struct lsio_reduce_acc *p,
		      uint64_t s, uint64_t inc, const __int128 *x, size_t count)
{
	__int128 fill = rd->fill_i, *a = p->ia;
	bool skip = rd->skip_value;
	uint64_t *n = p->n;

	for (size_t k = 0; k < count; k++) {
		uint64_t e = s + k * inc;

		if (skip && x[k] == fill)
			continue;
		switch (rd->r.op) {
		case LSIO_REDUCE_SUM:
		case LSIO_REDUCE_MEAN:
			a[e] += x[k];
			break;
		case LSIO_REDUCE_MIN:
			if (!n[e] || x[k] < a[e])
				a[e] = x[k];
			break;
		case LSIO_REDUCE_MAX:
			if (!n[e] || x[k] > a[e])
				a[e] = x[k];
			break;
		default:
			break;
		}
		n[e]++;
	}
}

static void fold_run(const struct lsio_reducer *rd, struct lsio_reduce_acc *p,
		     uint64_t s, uint64_t inc, const uint8_t *src,
		     uint64_t stride, uint64_t count)
{
	union {
		double d[BLOCK];
		__int128 i[BLOCK];
	} buf;

	if (p->seen) {
		for (uint64_t k = 0; k < count; k++)
			p->seen[s + k * inc]++;
	}
	for (uint64_t done = 0; done < count;) {
		size_t m = (size_t)MIN(count - done, BLOCK);

		if (rd->ints) {
			load_ints(&rd->in, rd->swap, src, stride, m, buf.i);
			fold_ints(rd, p, s, inc, buf.i, m);
		} else {
			load_doubles(&rd->in, rd->swap, src, stride, m, buf.d);
			fold_doubles(rd, p, s, inc, buf.d, m);
		}
		done += m;
		s += m * inc;
		src += m * stride;
	}
}

/* --- a chunk ------------------------------------------------------------------ */

void lsio_reduce_box(const struct lsio_reducer *rd, const struct lsio_place *v,
		     struct lsio_reduce_box *box)
{
	uint32_t r = 0;

	box->len = box->per = 1;
	for (uint32_t d = 0; d < v->ndim; d++) {
		if (reduced(rd, d)) {
			box->per *= v->count[d];
			continue;
		}
		box->to[r] = v->to[d];
		box->count[r] = v->count[d];
		box->len *= v->count[d];
		r++;
	}
	if (!r) {
		box->to[0] = 0;
		box->count[0] = 1;
	}
}

/* The order runs are walked in, fastest first: the reduced dimensions
 * (but the last, the run's own), then the kept ones, each from the last.
 * A stretch of the partial then takes all its values while in L1, and
 * each element still takes its values in the array's C order. */
static uint32_t walk_order(const struct lsio_reducer *rd, uint32_t ndim,
			   uint32_t *walk)
{
	uint32_t m = 0;

	for (uint32_t d = ndim - 1; d-- > 0;)
		if (reduced(rd, d))
			walk[m++] = d;
	for (uint32_t d = ndim - 1; d-- > 0;)
		if (!reduced(rd, d))
			walk[m++] = d;
	return m;
}

/* Where element (i_0, ...) of the box v lands in the state folded into:
 * ps[d] per step along each dimension (0 when reduced), from *pofs.  The
 * partial of the box is its kept dimensions in C order; the total is the
 * result's shape, the box at v->to. */
static bool fold_strides(const struct lsio_reducer *rd,
			 const struct lsio_place *v, bool into_total,
			 uint64_t *ps, uint64_t *pofs)
{
	uint64_t s = 1;
	uint32_t r = rd->rdim;

	*pofs = 0;
	for (uint32_t d = v->ndim; d-- > 0;) {
		if (!v->count[d])
			return false;
		if (reduced(rd, d)) {
			ps[d] = 0;
			continue;
		}
		ps[d] = s;
		r--;
		if (into_total)
			*pofs += v->to[d] * s;
		s *= into_total ? rd->rshape[r] : v->count[d];
	}
	return true;
}

void lsio_reduce_chunk(const struct lsio_reducer *rd,
		       const struct lsio_place *v, const uint8_t *chunk,
		       struct lsio_reduce_acc *part, bool into_total)
{
	uint64_t cs[LSIO_MAX_DIMS], ps[LSIO_MAX_DIMS] = { 0 };
	uint64_t idx[LSIO_MAX_DIMS] = { 0 };
	uint64_t src = lsio_place_src_strides(v, rd->in.size, cs), pofs;
	uint32_t last = v->ndim - 1, walk[LSIO_MAX_DIMS], nwalk, w;

	if (!fold_strides(rd, v, into_total, ps, &pofs))
		return;
	nwalk = walk_order(rd, v->ndim, walk);
	for (;;) {
		fold_run(rd, part, pofs, reduced(rd, last) ? 0 : 1, chunk + src,
			 cs[last], v->count[last]);
		for (w = 0; w < nwalk; w++) {
			uint32_t d = walk[w];

			src += cs[d];
			pofs += ps[d];
			if (++idx[d] < v->count[d])
				break;
			src -= cs[d] * v->count[d];
			pofs -= ps[d] * v->count[d];
			idx[d] = 0;
		}
		if (w == nwalk)
			return;
	}
}

/* --- merging ------------------------------------------------------------------ */

/* Element pe of p into element e of t. */
static void merge_one(const struct lsio_reducer *rd, struct lsio_reduce_acc *t,
		      uint64_t e, const struct lsio_reduce_acc *p, uint64_t pe)
{
	uint64_t na = t->n[e], nb = p->n[pe];
	bool max = rd->r.op == LSIO_REDUCE_MAX;

	if (t->seen)
		t->seen[e] += p->seen[pe];
	t->n[e] = na + nb;
	if (!nb)
		return;
	switch (rd->r.op) {
	case LSIO_REDUCE_SUM:
	case LSIO_REDUCE_MEAN:
		if (rd->ints)
			t->ia[e] += p->ia[pe];
		else
			t->a[e] += p->a[pe];
		break;
	case LSIO_REDUCE_MIN:
	case LSIO_REDUCE_MAX:
		if (rd->ints && (!na || (max ? p->ia[pe] > t->ia[e]
					     : p->ia[pe] < t->ia[e])))
			t->ia[e] = p->ia[pe];
		if (!rd->ints && (!na || (max ? p->a[pe] > t->a[e]
					      : p->a[pe] < t->a[e])))
			t->a[e] = p->a[pe];
		break;
	case LSIO_REDUCE_COUNT:
		break;
	default: {	/* Chan, Golub and LeVeque's pairwise update */
		double n = (double)(na + nb), d = p->a[pe] - t->a[e];

		if (!na) {
			t->a[e] = p->a[pe];
			t->m2[e] = p->m2[pe];
			break;
		}
		t->m2[e] += p->m2[pe] + d * d * ((double)na * (double)nb / n);
		t->a[e] += d * ((double)nb / n);
	}
	}
}

/* count elements of t from t0 on, from elements p0 + k * pinc of p; the
 * common sums of floating point in a loop the compiler vectorises. */
LSIO_WIDE static void merge_run(const struct lsio_reducer *rd,
			       struct lsio_reduce_acc *t,
		      uint64_t t0, const struct lsio_reduce_acc *p,
		      uint64_t p0, uint64_t count, uint64_t pinc)
{
	bool sum = rd->r.op == LSIO_REDUCE_SUM || rd->r.op == LSIO_REDUCE_MEAN;

	if (sum && pinc && !rd->ints && !t->seen) {
		double *ta = t->a + t0;
		const double *pa = p->a + p0;
		uint64_t *tn = t->n + t0;
		const uint64_t *pn = p->n + p0;

		for (uint64_t k = 0; k < count; k++) {
			ta[k] += pa[k];
			tn[k] += pn[k];
		}
		return;
	}
	for (uint64_t k = 0; k < count; k++)
		merge_one(rd, t, t0 + k, p, p0 + k * pinc);
}

/* Element k of the box from element k * pinc of part: pinc 0 merges one
 * element of part into every element of the box. */
static void merge_box(const struct lsio_reducer *rd,
		      struct lsio_reduce_acc *total,
		      const struct lsio_reduce_acc *part,
		      const struct lsio_reduce_box *box, uint64_t pinc)
{
	uint32_t nd = rd->rdim ? rd->rdim : 1, last = nd - 1;
	uint64_t ts[LSIO_MAX_DIMS] = { 0 }, idx[LSIO_MAX_DIMS] = { 0 };
	uint64_t t = 0, p = 0, s = 1;
	int j;

	for (uint32_t d = nd; d-- > 0;) {
		if (!box->count[d])
			return;
		ts[d] = s;
		s *= rd->rshape[d];
		t += box->to[d] * ts[d];
	}
	for (;;) {
		merge_run(rd, total, t, part, p * pinc, box->count[last], pinc);
		p += box->count[last];
		for (j = (int)last - 1; j >= 0; j--) {
			t += ts[j];
			if (++idx[j] < box->count[j])
				break;
			t -= ts[j] * box->count[j];
			idx[j] = 0;
		}
		if (j < 0)
			return;
	}
}

void lsio_reduce_merge(const struct lsio_reducer *rd,
		       struct lsio_reduce_acc *total,
		       const struct lsio_reduce_acc *part,
		       const struct lsio_reduce_box *box)
{
	merge_box(rd, total, part, box, 1);
}

/* m values of the fill value, as the state of one element: in *one,
 * whose arrays are the members of *st. */
struct fill_state {
	uint64_t n, seen;
	double a, m2;
	__int128 ia;
};

static void fill_partial(const struct lsio_reducer *rd, uint64_t m,
			 struct fill_state *st, struct lsio_reduce_acc *one)
{
	bool sum = rd->r.op == LSIO_REDUCE_SUM || rd->r.op == LSIO_REDUCE_MEAN;
	/* the fill value counts unless it is missing (NaN, or skipped) */
	bool counts = rd->holes_count;

	*st = (struct fill_state){ .n = counts ? m : 0, .seen = m,
				   .a = sum ? rd->fill_d * (double)m : rd->fill_d,
				   .ia = sum ? rd->fill_i * (__int128)m : rd->fill_i };
	*one = (struct lsio_reduce_acc){ .len = 1, .n = &st->n,
					 .seen = &st->seen, .a = &st->a,
					 .m2 = &st->m2, .ia = &st->ia };
}

void lsio_reduce_merge_fill(const struct lsio_reducer *rd,
			    struct lsio_reduce_acc *total,
			    const struct lsio_reduce_box *box, uint64_t per)
{
	struct fill_state st;
	struct lsio_reduce_acc one;

	fill_partial(rd, per, &st, &one);
	merge_box(rd, total, &one, box, 0);
}

/* --- the result ------------------------------------------------------------- */

static double finish_stat(const struct lsio_reducer *rd,
			  const struct lsio_reduce_acc *t, uint64_t e);

/* The elements no chunk covered hold the fill value: merge them as a
 * partial of their own, last. */
static void merge_holes(const struct lsio_reducer *rd,
			struct lsio_reduce_acc *t, uint64_t e)
{
	uint64_t m = rd->per_out - t->seen[e];
	struct fill_state st;
	struct lsio_reduce_acc one;

	if (!m)
		return;
	fill_partial(rd, m, &st, &one);
	merge_one(rd, t, e, &one, 0);
}

static void store_double(const struct lsio_dtype *dt, uint8_t *dst, double v)
{
	if (dt->size == 2) {
		uint16_t h = lsio_double_to_half(v);

		memcpy(dst, &h, 2);
	} else if (dt->size == 4) {
		float f = (float)v;

		memcpy(dst, &f, 4);
	} else {
		memcpy(dst, &v, 8);
	}
}

/* An integer result in its type (host order); false when it does not
 * fit. */
static bool store_int(const struct lsio_dtype *dt, uint8_t *dst, __int128 v)
{
	int nbits = (int)dt->size * 8;
	__int128 lo = dt->kind == 'i' ? -((__int128)1 << (nbits - 1)) : 0;
	__int128 hi = dt->kind == 'i' ? ((__int128)1 << (nbits - 1)) - 1
				      : ((__int128)1 << nbits) - 1;
	uint64_t u = (uint64_t)v;

	if (v < lo || v > hi)
		return false;
	memcpy(dst, &u, dt->size);	/* little-endian host */
	return true;
}

/* A packed variable's (CF scale_factor, add_offset) sum, mean, var or std
 * of its stored integers, as the statistic of its unpacked values. */
static double unpacked(const struct lsio_reducer *rd, double v, uint64_t n)
{
	switch (rd->r.op) {
	case LSIO_REDUCE_SUM:
		return v * rd->scale + (double)n * rd->offset;
	case LSIO_REDUCE_MEAN:
		return v * rd->scale + rd->offset;
	case LSIO_REDUCE_VAR:
		return v * rd->scale * rd->scale;
	default:	/* std */
		return v * fabs(rd->scale);
	}
}

static double finish_float(const struct lsio_reducer *rd,
			   const struct lsio_reduce_acc *t, uint64_t e)
{
	double v = finish_stat(rd, t, e);

	return rd->unpack ? unpacked(rd, v, t->n[e]) : v;
}

void lsio_reducer_unpack(struct lsio_reducer *rd, double scale, double offset)
{
	enum lsio_reduce_op op = rd->r.op;

	if (op == LSIO_REDUCE_MIN || op == LSIO_REDUCE_MAX ||
	    op == LSIO_REDUCE_COUNT)
		return;		/* min and max stay packed; a count is one */
	rd->unpack = true;
	rd->scale = scale;
	rd->offset = offset;
	lsio_dtype_parse("<f8", &rd->out);	/* an integer sum, unpacked */
}

static double finish_stat(const struct lsio_reducer *rd,
			  const struct lsio_reduce_acc *t, uint64_t e)
{
	uint64_t n = t->n[e];

	switch (rd->r.op) {
	case LSIO_REDUCE_SUM:
		return rd->ints ? (double)t->ia[e] : t->a[e];
	case LSIO_REDUCE_MEAN:
		return !n ? NAN : rd->ints ? (double)t->ia[e] / (double)n
					   : t->a[e] / (double)n;
	case LSIO_REDUCE_VAR:
	case LSIO_REDUCE_STD: {
		/* an infinity among the values: no finite spread (numpy: NaN) */
		double var = n > rd->r.ddof && isfinite(t->a[e])
				     ? t->m2[e] / (double)(n - rd->r.ddof) : NAN;

		return rd->r.op == LSIO_REDUCE_STD ? sqrt(var) : var;
	}
	default:	/* min, max of floats */
		return n ? t->a[e] : NAN;
	}
}

int lsio_reduce_finish(const struct lsio_reducer *rd,
		       struct lsio_reduce_acc *total, uint8_t *dst, char *why,
		       size_t cap)
{
	size_t size = rd->out.size;

	for (uint64_t e = 0; e < rd->rlen; e++, dst += size) {
		__int128 v;

		if (total->seen)
			merge_holes(rd, total, e);
		if (rd->r.op == LSIO_REDUCE_COUNT) {
			store_int(&rd->out, dst, total->n[e]);
			continue;
		}
		if (rd->out.kind == 'f') {
			store_double(&rd->out, dst, finish_float(rd, total, e));
			continue;
		}
		/* integer sums, min and max: exact; min/max of nothing (every
		 * value the fill) is the fill value */
		v = total->n[e] || rd->r.op == LSIO_REDUCE_SUM ? total->ia[e]
							      : rd->fill_i;
		if (!store_int(&rd->out, dst, v)) {
			snprintf(why, cap,
				 "the sum at element %llu does not fit in %s",
				 (unsigned long long)e, rd->out.str);
			return -LSIO_ESIZE;
		}
	}
	return 0;
}
