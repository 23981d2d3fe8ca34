/* SPDX-License-Identifier: MIT */
/*
 * reduce.h - the arithmetic of a reduction (reduce.c): what one chunk
 * contributes (a partial over the box it lands in), merging a partial into
 * the total, and the total's result.  sink_reduce.c decides when.
 */
#ifndef LSIO_REDUCE_H
#define LSIO_REDUCE_H

#include "internal.h"

/* The state of len elements of the reduced array.  Integers are summed
 * exactly (128 bits) and compared as what they are; floating point and
 * the moments of var/std are doubles. */
struct lsio_reduce_acc {
	uint64_t len;
	uint64_t cap;		/* elements allocated */
	uint64_t *n;		/* values counted */
	uint64_t *seen;		/* values present, counted or not: only when
				 * the array's unwritten parts count (fill) */
	double *a;		/* sum, running mean (var/std), min or max */
	double *m2;		/* var/std: sum of squared deviations */
	__int128 *ia;		/* integer sum, min or max */
};

/* One reduction of one array: fixed for the run. */
struct lsio_reducer {
	struct lsio_reduce r;
	struct lsio_dtype in, out;	/* the array's elements; the result's */
	bool swap;		/* elements are big-endian */
	bool ints;		/* accumulate in ia */
	bool skip_value;	/* values equal to fill are missing */
	bool holes_count;	/* parts no chunk covers hold the fill value,
				 * which counts: keep seen */
	double fill_d;
	__int128 fill_i;
	uint32_t ndim, rdim;	/* the array's rank; the result's */
	uint64_t shape[LSIO_MAX_DIMS], rshape[LSIO_MAX_DIMS];
	uint64_t per_out;	/* elements each result element reduces */
	uint64_t rlen;		/* result elements */
};

/* Set rd up for out (an array output with out->reduce.op set).  Returns 0
 * or -LSIO_EUSAGE with a reason in why (a dtype it cannot reduce). */
int lsio_reducer_init(struct lsio_reducer *rd, const struct lsio_output *out,
		      char *why, size_t cap);

/* State for len elements, empty.  Returns 0 or -ENOMEM. */
int lsio_acc_alloc(const struct lsio_reducer *rd, struct lsio_reduce_acc *acc,
		   uint64_t len);
void lsio_acc_free(struct lsio_reduce_acc *acc);
/* Make acc the empty state of len elements, reusing its memory when it
 * has room.  Returns 0 or -ENOMEM (acc then freed). */
int lsio_acc_reset(const struct lsio_reducer *rd, struct lsio_reduce_acc *acc,
		   uint64_t len);

/* Where a chunk's partial lies in the result: a box of rd->rdim dims. */
struct lsio_reduce_box {
	uint64_t to[LSIO_MAX_DIMS];
	uint64_t count[LSIO_MAX_DIMS];
	uint64_t len;		/* prod(count) */
	uint64_t per;		/* values of the chunk each element reduces */
};

/* The box a chunk placed as v reduces into. */
void lsio_reduce_box(const struct lsio_reducer *rd, const struct lsio_place *v,
		     struct lsio_reduce_box *box);

/* Fold the decoded chunk (placed as v) into part, the state of its box
 * (into_total: the state of the whole result), each element taking its
 * values in the array's C order. */
void lsio_reduce_chunk(const struct lsio_reducer *rd,
		       const struct lsio_place *v, const uint8_t *chunk,
		       struct lsio_reduce_acc *part, bool into_total);

/* Merge part (over box) into total (over the whole result). */
void lsio_reduce_merge(const struct lsio_reducer *rd,
		       struct lsio_reduce_acc *total,
		       const struct lsio_reduce_acc *part,
		       const struct lsio_reduce_box *box);

/* Merge a chunk whose source is absent: per values of the fill value for
 * each element of box. */
void lsio_reduce_merge_fill(const struct lsio_reducer *rd,
			    struct lsio_reduce_acc *total,
			    const struct lsio_reduce_box *box, uint64_t per);

/* Write the result, rd->rlen elements of rd->out, into dst.  Returns 0
 * or -LSIO_ESIZE with a reason in why (an integer sum that overflows the
 * result's dtype). */
int lsio_reduce_finish(const struct lsio_reducer *rd,
		       struct lsio_reduce_acc *total, uint8_t *dst, char *why,
		       size_t cap);

/* What one variable of a dataset (or the array) becomes. */
struct lsio_reduce_var {
	bool reduced;		/* it has a reduced dimension */
	uint32_t to;		/* its index among the result's variables;
				 * UINT32_MAX: dropped (the coordinate of a
				 * reduced dimension) */
	struct lsio_reducer rd;	/* reduced: the reduction, and its total */
	struct lsio_reduce_acc total;
};

/* The reductions of out's variables (one for an array), r applied to each
 * over the dimensions it has (reduce_result.c).  Returns 0, -ENOMEM or
 * -LSIO_EUSAGE with a reason in why; free with lsio_reduce_vars_free()
 * either way. */
int lsio_reduce_vars_init(const struct lsio_output *out,
			  const struct lsio_reduce *r,
			  struct lsio_reduce_var **vars, uint32_t *nvars,
			  char *why, size_t cap);
void lsio_reduce_vars_free(struct lsio_reduce_var *vars, uint32_t n);

/* The result as a job the array or dataset sink writes to path: job's,
 * its output without the reduced dimensions. */
struct lsio_reduce_result {
	struct lsio_job job;
	void **owned;		/* what job points to that is ours */
	size_t nowned;
};

int lsio_reduce_result_init(struct lsio_reduce_result *res,
			    const struct lsio_job *job, const char *path,
			    const struct lsio_reduce_var *vars);
void lsio_reduce_result_release(struct lsio_reduce_result *res);

/* Part k of n's state acc of the reduction rd of the job fp, in the file
 * path (reduce_state.c): written whole or not at all, read back only by
 * the same job, part and split.  Return 0 or -errno (load: -ENOENT when
 * the file is missing or another run's). */
int lsio_reduce_state_save(const char *path, uint64_t fp, uint32_t k,
			   uint32_t n, const struct lsio_reducer *rd,
			   const struct lsio_reduce_acc *acc);
int lsio_reduce_state_load(const char *path, uint64_t fp, uint32_t k,
			   uint32_t n, const struct lsio_reducer *rd,
			   struct lsio_reduce_acc *acc);

#endif /* LSIO_REDUCE_H */
