/* SPDX-License-Identifier: MIT */
/*
 * sink_array.c - the array output: one .npy (or raw) file holding the whole
 * N-dimensional array.
 *
 * The file is a mapped temporary beside the target (sink_mapped.c), given
 * its header and its fill value up front; workers place their chunks into
 * it.  commit() renames it over the target; abort() unlinks it.  When the
 * target is "-", a character device or a FIFO (sink_target.c), chunks
 * arrive in any order, so the array is assembled in an unnamed temporary
 * file in $TMPDIR and written through, header first, on commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink/sink_mapped.h"

#define ARRAY_HDR_MAX (128 + 24 * LSIO_MAX_DIMS)

struct array_sink {
	struct lsio_target target;
	struct lsio_mapped file;	/* header, then the array */
	struct lsio_grid grid;
};

/* --- creating the file ---------------------------------------------------- */

/* Header and data sizes, checked against size_t and off_t. */
static int array_layout(struct lsio_sink *s, size_t hlen, size_t *total)
{
	const struct lsio_output *out = &s->job->out;
	uint64_t data = lsio_grid_bytes(out->shape, out->ndim, out->dtype.size);
	uint64_t sum;
	char shape[LSIO_MAX_DIMS * 22 + 4];

	if (data == UINT64_MAX || !lsio_add_ok(data, hlen, &sum) ||
	    sum > INT64_MAX || sum > SIZE_MAX)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot create '%s': an array of shape %s x %u bytes is too large",
				 s->path,
				 lsio_shape_text(out->shape, out->ndim, shape,
						 sizeof(shape)),
				 out->dtype.size);
	*total = (size_t)sum;
	return 0;
}

/* The bytes of the rows [rows[0], rows[1]) of the leading dimension a
 * part owns (every row for an unsharded run), as [*off, *off + *len) of
 * the data. */
static void owned_bytes(const struct lsio_sink *s, size_t data_len,
			size_t *off, size_t *len)
{
	const struct lsio_output *out = &s->job->out;
	uint64_t rows = out->ndim ? out->shape[0] : 1;
	uint64_t row_len = rows ? data_len / rows : 0;
	uint64_t r0 = MIN(s->shard->rows[0], rows);
	uint64_t r1 = MIN(s->shard->rows[1], rows);

	*off = (size_t)(r0 * row_len);
	*len = (size_t)((r1 > r0 ? r1 - r0 : 0) * row_len);
}

/* The header, then the fill value over the part of the array this run
 * owns: all of it, unless it is one part of several.  A resumed part
 * whose journal says the fill is written leaves it (and the chunks over
 * it) alone. */
static int array_fill(struct lsio_sink *s, struct array_sink *a,
		      const char *hdr, size_t hlen)
{
	const struct lsio_output *out = &s->job->out;
	size_t off, len;
	int err;

	a->grid = (struct lsio_grid){ .shape = out->shape,
				      .ndim = lsio_place_rank(out),
				      .dtype = &out->dtype };
	if (!a->file.map)	/* a raw array with no elements */
		return 0;
	a->grid.data = a->file.map + hlen;
	if (s->journal && s->jstate.filled)
		return 0;
	memcpy(a->file.map, hdr, hlen);	/* every part: the same bytes */
	owned_bytes(s, a->file.len - hlen, &off, &len);
	if (!out->fill_is_zero && !out->no_prefill) {
		lsio_fill_repeat(a->grid.data + off, len, out->fill,
				 sizeof(out->fill), out->dtype.size);
		a->grid.populated = len == a->file.len - hlen;
	}
	err = s->journal ? lsio_journal_filled(s->journal) : 0;
	return err ? lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
			       a->file.temp, strerror(-err)) : 0;
}

/* A sharded or resumable run's file: the stable temporary every part
 * shares, and this part's journal. */
static int array_open_stable(struct lsio_sink *s, struct array_sink *a,
			     size_t total)
{
	char *temp;
	int err;

	temp = lsio_temp_stable_name(a->target.path, false,
				     s->shard->fingerprint);
	if (!temp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	if (lsio_part_committed(s, temp, a->target.path)) {
		s->complete = true;
		free(temp);
		return 0;
	}
	err = lsio_mapped_open_stable(s, temp, &a->file, total);
	if (!err) {
		lsio_part_label(s, a->file.fd);
		err = lsio_part_open(s, temp, a->file.fd, false);
	}
	free(temp);
	return err;
}

static void array_abort(struct lsio_sink *s);
static void array_close(struct lsio_sink *s);

/* "-" is .npy: on a pipe, numpy's np.load(sys.stdin.buffer) wants the
 * header, and raw bytes are one "format": "raw" away. */
static bool array_is_npy(enum lsio_array_format f, const char *path)
{
	size_t len = strlen(path);

	if (f != LSIO_FMT_AUTO)
		return f == LSIO_FMT_NPY;
	return !strcmp(path, "-") ||
	       (len >= 4 && !strcmp(path + len - 4, ".npy"));
}

static int array_open(struct lsio_sink *s)
{
	const struct lsio_output *out = &s->job->out;
	char hdr[ARRAY_HDR_MAX];
	struct array_sink *a;
	int hlen = 0, err;
	size_t total = 0;

	if (array_is_npy(out->format, s->path)) {
		hlen = lsio_npy_header(&out->dtype, out->shape, out->ndim, hdr,
				       sizeof(hdr));
		if (hlen < 0)
			return lsio_fail(s->ctx, hlen,
					 "cannot create '%s': the .npy header does not fit",
					 s->path);
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	a->file.fd = -1;
	a->target.fd = -1;
	s->priv = a;
	err = array_layout(s, (size_t)hlen, &total);
	if (!err && lsio_shard_stable(s->shard))
		err = lsio_part_target_check(s);
	if (!err)
		err = lsio_target_open(s->ctx, s->path, s->stdout_fd, &a->target);
	if (!err && lsio_shard_stable(s->shard)) {
		err = array_open_stable(s, a, total);
		if (!err && s->complete)
			return 0;
	}
	else if (!err)
		err = lsio_mapped_open(s, &a->target, &a->file, total);
	if (!err)
		err = array_fill(s, a, hdr, (size_t)hlen);
	if (err) {
		array_abort(s);
		array_close(s);
	}
	return err;
}

/* --- writing ------------------------------------------------------------ */

static uint8_t *array_direct(struct lsio_sink *s, uint64_t i, size_t len)
{
	struct array_sink *a = s->priv;

	return lsio_grid_direct(s, &a->grid, i, len);
}

static int array_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		     size_t n)
{
	struct array_sink *a = s->priv;

	return lsio_grid_put(s, &a->file, &a->grid, i, p, n);
}

static uint8_t *array_data(struct lsio_sink *s, uint32_t var)
{
	return ((struct array_sink *)s->priv)->grid.data;
}

/* --- finishing ------------------------------------------------------------ */

/* A stream's array, header and all, in order. */
static int array_write_through(struct lsio_sink *s, struct array_sink *a)
{
	int err = a->file.map ? lsio_write_all(a->target.fd, a->file.map,
					       a->file.len) : 0;

	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(-err));
	return 0;
}

static int array_commit(struct lsio_sink *s)
{
	struct array_sink *a = s->priv;

	if (s->complete)
		return 0;
	if (a->target.stream) {
		int err = array_write_through(s, a);

		if (a->target.own_fd && close(a->target.fd) && !err)
			err = lsio_fail(s->ctx, -LSIO_EOUTPUT,
					"cannot write '%s': %s", s->path,
					strerror(errno));
		a->target.fd = -1;
		return err;
	}
	if (s->journal && lsio_part_finish(s))
		return -LSIO_EOUTPUT;
	if (lsio_mapped_close(s, &a->file))
		return -LSIO_EOUTPUT;
	if (s->journal) {
		int err = lsio_part_commit(s, a->file.temp, a->target.path);

		free(a->file.temp);	/* renamed, or another part's to */
		a->file.temp = NULL;
		return err;
	}
	if (rename(a->file.temp, a->target.path))
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot rename '%s' to '%s': %s", a->file.temp,
				 a->target.path, strerror(errno));
	free(a->file.temp);
	a->file.temp = NULL;
	return 0;
}

/* Idempotent, and a no-op after commit. */
static void array_abort(struct lsio_sink *s)
{
	struct array_sink *a = s->priv;

	if (!a)
		return;
	lsio_part_abort(s);
	lsio_mapped_abort(&a->file);
	lsio_target_release(&a->target);
}

static void array_close(struct lsio_sink *s)
{
	array_abort(s);		/* in case neither commit nor abort ran */
	lsio_part_close(s);
	free(s->priv);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_array = {
	.name = "array",
	.open = array_open,
	.direct = array_direct,
	.put = array_put,
	.data = array_data,
	.commit = array_commit,
	.abort = array_abort,
	.close = array_close,
};
