/* SPDX-License-Identifier: MIT */
/*
 * sink_array.c - the array output: one .npy (or raw) file holding the whole
 * N-dimensional array.
 *
 * The file is created next to the target under a hidden temporary name,
 * given its full size and its fill value up front, and mapped shared, so
 * workers place their chunks concurrently with plain memory copies (or
 * decode straight into it, see array_direct()).  commit() renames it over
 * the target; abort() unlinks it.  When the target is "-", a character
 * device or a FIFO (sink_target.c), chunks arrive in any order, so the
 * array is assembled in an unnamed temporary file in $TMPDIR and written
 * through, header first, on commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define ARRAY_HDR_MAX (128 + 24 * LSIO_MAX_DIMS)

struct array_sink {
	struct lsio_target target;
	char *temp;		/* the temporary file; NULL once renamed or
				 * when it has no name (a stream's) */
	int fd;
	uint8_t *map;		/* the whole file, NULL when unmapped */
	size_t map_len;
	uint8_t *data;		/* map + header: element 0 */
	size_t data_len;
	bool populated;		/* the fill touched every page already */
};

/* --- placements ---------------------------------------------------------- */

/* prod(shape) * itemsize, or UINT64_MAX when that overflows. */
static uint64_t array_bytes(const uint64_t *shape, uint32_t ndim,
			    uint64_t itemsize)
{
	uint64_t n = itemsize;

	for (uint32_t d = 0; d < ndim; d++)
		if (!lsio_mul_ok(n, shape[d], &n))
			return UINT64_MAX;
	return n;
}

/* "[32, 32]", for messages. */
static const char *array_shape_text(const uint64_t *shape, uint32_t ndim,
				    char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t d = 0; d < ndim && len < cap; d++) {
		int r = snprintf(buf + len, cap - len, "%s%" PRIu64,
				 d ? ", " : "[", shape[d]);
		if (r < 0)
			break;
		len += (size_t)r;
	}
	if (len < cap)
		snprintf(buf + len, cap - len, "%s", ndim ? "]" : "[]");
	return buf;
}

/* The job parser checks this; a placement from a hand-built job (or a
 * generator with a bug) must still not write outside the mapping. */
static bool array_box_ok(const struct lsio_place *v, const uint64_t *ashape)
{
	uint64_t end;

	for (uint32_t d = 0; d < v->ndim; d++) {
		if (!v->step[d])
			return false;
		if (v->count[d] &&
		    (!lsio_mul_ok(v->count[d] - 1, v->step[d], &end) ||
		     !lsio_add_ok(v->from[d], end, &end) || end >= v->shape[d]))
			return false;
		if (!lsio_add_ok(v->to[d], v->count[d], &end) ||
		    end > ashape[d])
			return false;
	}
	return true;
}

/* The chunk's bytes are in C order: always for 'C', and for 'F' when at
 * most one dimension is longer than 1. */
static bool array_chunk_is_c(const struct lsio_place *v)
{
	uint32_t longer = 0;

	if (v->order != 'F')
		return true;
	for (uint32_t d = 0; d < v->ndim; d++)
		longer += v->shape[d] > 1;
	return longer <= 1;
}

/* The whole chunk lands as one run of the array: it is placed entire, in C
 * order, and its box is whole in every dimension inside the outermost one
 * longer than 1. */
static bool array_contiguous(const struct lsio_place *v,
			     const uint64_t *ashape)
{
	uint32_t d;

	for (d = 0; d < v->ndim; d++)
		if (v->from[d] || v->count[d] != v->shape[d] || !v->count[d] ||
		    (v->step[d] != 1 && v->count[d] > 1))
			return false;
	if (!array_chunk_is_c(v))
		return false;
	for (d = 0; d < v->ndim && v->count[d] == 1; d++)
		;
	for (d++; d < v->ndim; d++)
		if (v->count[d] != ashape[d])
			return false;
	return true;
}

/* Where element to[] of the array lives. */
static uint8_t *array_at(const struct lsio_sink *s, const struct lsio_place *v)
{
	const struct array_sink *a = s->priv;
	const struct lsio_output *out = &s->job->out;
	uint64_t off = 0;

	for (uint32_t d = 0; d < v->ndim; d++)
		off = off * out->shape[d] + v->to[d];
	return a->data + off * out->dtype.size;
}

/* --- creating the file ---------------------------------------------------- */

/* A stream's array: a file with no name in $TMPDIR, gone with its fd
 * whatever happens to the process. */
static int array_create_unnamed(struct lsio_sink *s, struct array_sink *a)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl;

	if (!dir || !*dir)
		dir = "/tmp";
	a->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (a->fd >= 0)
		return 0;
	/* No O_TMPFILE here (some network file systems): unlink at once. */
	tmpl = lsio_temp_name(dir, true);
	if (!tmpl)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	a->fd = lsio_temp_create(tmpl, false);
	if (a->fd >= 0)
		unlink(tmpl);
	free(tmpl);
	if (a->fd < 0)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot write '%s': a temporary file in '%s' to assemble it in: %s",
				 s->path, dir, strerror(errno));
	return 0;
}

static int array_create(struct lsio_sink *s, struct array_sink *a)
{
	if (a->target.stream)
		return array_create_unnamed(s, a);
	lsio_temp_sweep(a->target.path, false);
	a->temp = lsio_temp_name(a->target.path, false);
	if (!a->temp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	a->fd = lsio_temp_create(a->temp, false);
	if (a->fd < 0) {
		int err = errno;

		free(a->temp);
		a->temp = NULL;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(err));
	}
	return 0;
}

/*
 * Reserve the blocks now: a shared mapping of a sparse file that meets a
 * full disk dies of SIGBUS in the middle of the run, leaving the temporary
 * file behind; fallocate() fails cleanly before anything is read.  File
 * systems without it (NFSv3, some FUSE) get a sparse file.
 */
static int array_size_file(struct lsio_sink *s, struct array_sink *a)
{
	int err = a->map_len ? fallocate(a->fd, 0, 0, (off_t)a->map_len) : 0;

	if (err && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL))
		err = ftruncate(a->fd, (off_t)a->map_len);
	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(errno));
	return 0;
}

static int array_map(struct lsio_sink *s, struct array_sink *a,
		     const char *hdr, size_t hlen)
{
	const struct lsio_output *out = &s->job->out;

	if (!a->map_len)	/* a raw array with no elements */
		return 0;
	a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      a->fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot map '%s': %s",
				 s->path, strerror(errno));
	}
	memcpy(a->map, hdr, hlen);
	a->data = a->map + hlen;
	if (!out->fill_is_zero && !out->no_prefill) {
		lsio_fill_repeat(a->data, a->data_len, out->fill,
				 sizeof(out->fill), out->dtype.size);
		a->populated = true;
	}
	return 0;
}

/* Header and data sizes, checked against size_t and off_t. */
static int array_layout(struct lsio_sink *s, struct array_sink *a,
			size_t hlen)
{
	const struct lsio_output *out = &s->job->out;
	uint64_t data = array_bytes(out->shape, out->ndim, out->dtype.size);
	uint64_t total;
	char shape[LSIO_MAX_DIMS * 22 + 4];

	if (data == UINT64_MAX || !lsio_add_ok(data, hlen, &total) ||
	    total > INT64_MAX || total > SIZE_MAX)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot create '%s': an array of shape %s x %u bytes is too large",
				 s->path,
				 array_shape_text(out->shape, out->ndim, shape,
						  sizeof(shape)),
				 out->dtype.size);
	a->map_len = (size_t)total;
	a->data_len = (size_t)data;
	return 0;
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
	a->fd = -1;
	a->target.fd = -1;
	s->priv = a;
	err = array_layout(s, a, (size_t)hlen);
	if (!err)
		err = lsio_target_open(s->ctx, s->path, s->stdout_fd, &a->target);
	if (!err)
		err = array_create(s, a);
	if (!err)
		err = array_size_file(s, a);
	if (!err)
		err = array_map(s, a, hdr, (size_t)hlen);
	if (err) {
		array_abort(s);
		array_close(s);
	}
	return err;
}

/* --- writing ------------------------------------------------------------ */

/*
 * A decoder may write straight into the array only where its pages exist
 * already (a fill touched them).  A first touch of a fresh page of the
 * file costs a fault that zeroes the page (the extent is unwritten) before
 * the decoder overwrites it: measured here, that zeroing alone was 28% of
 * a warm run.  Then decoding into the cache-hot scratch and pwrite()ing
 * the run (array_put) is faster: the kernel copies into a new page without
 * zeroing it.
 */
static uint8_t *array_direct(struct lsio_sink *s, uint64_t i, size_t len)
{
	const struct lsio_output *out = &s->job->out;
	struct array_sink *a = s->priv;
	struct lsio_place v;

	if (!a->populated || !lsio_chunk_place(s->job, &s->job->chunks[i], &v) ||
	    !array_box_ok(&v, out->shape) ||
	    !array_contiguous(&v, out->shape) ||
	    array_bytes(v.shape, v.ndim, out->dtype.size) != len)
		return NULL;
	return array_at(s, &v);
}

static int array_size_error(struct lsio_sink *s, uint64_t i,
			    const struct lsio_place *v, size_t n, uint64_t want)
{
	const struct lsio_job *job = s->job;
	const struct lsio_chunk *c = &job->chunks[i];
	char shape[LSIO_MAX_DIMS * 22 + 4];

	return lsio_fail_first(s->ctx, -LSIO_ESIZE,
			       "chunk %" PRIu64 " ('%s'): decoded size %zu bytes, placement needs %" PRIu64 " (shape %s x %u-byte %s)",
			       i, job->sources[c->source].path, n, want,
			       array_shape_text(v->shape, v->ndim, shape,
						sizeof(shape)),
			       job->out.dtype.size, job->out.dtype.str);
}

/* Write a contiguous run at its place in the file (see array_direct);
 * the file and its mapping share the page cache, so both stay coherent. */
static int array_pwrite(struct lsio_sink *s, struct array_sink *a,
			const uint8_t *p, size_t n, const uint8_t *at)
{
	off_t off = (off_t)(at - a->map);

	if (a->populated) {
		memcpy((void *)at, p, n);
		return 0;
	}
	while (n) {
		ssize_t w = pwrite(a->fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return lsio_fail_first(s->ctx, -LSIO_EOUTPUT,
					       "cannot write '%s': %s", s->path,
					       w < 0 ? strerror(errno) : "no progress");
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int array_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		     size_t n)
{
	const struct lsio_job *job = s->job;
	const struct lsio_output *out = &job->out;
	const struct lsio_chunk *c = &job->chunks[i];
	struct array_sink *a = s->priv;
	struct lsio_place v;
	uint64_t want;

	if (!lsio_chunk_place(job, c, &v) || !array_box_ok(&v, out->shape))
		return lsio_fail_first(s->ctx, -LSIO_EJOB,
				       "chunk %" PRIu64 " ('%s'): no placement inside the array",
				       i, job->sources[c->source].path);
	want = array_bytes(v.shape, v.ndim, out->dtype.size);
	if (n != want)
		return array_size_error(s, i, &v, n, want);
	if (array_contiguous(&v, out->shape)) {
		uint8_t *at = array_at(s, &v);

		/* Decoded straight into the array (array_direct): done. */
		if (p != at && array_pwrite(s, a, p, n, at) < 0)
			return -LSIO_EOUTPUT;
	} else {
		lsio_place_copy(a->data, out->shape, v.ndim, out->dtype.size,
				&v, p);
	}
	atomic_fetch_add_explicit(&s->bytes_out,
				  array_bytes(v.count, v.ndim, out->dtype.size),
				  memory_order_relaxed);
	return 0;
}

/* --- finishing ------------------------------------------------------------ */

/* A stream's array, header and all, in order. */
static int array_write_through(struct lsio_sink *s, struct array_sink *a)
{
	int err = a->map ? lsio_write_all(a->target.fd, a->map, a->map_len) : 0;

	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(-err));
	return 0;
}

static int array_commit(struct lsio_sink *s)
{
	struct array_sink *a = s->priv;

	if (a->target.stream) {
		int err = array_write_through(s, a);

		if (a->target.own_fd && close(a->target.fd) && !err)
			err = lsio_fail(s->ctx, -LSIO_EOUTPUT,
					"cannot write '%s': %s", s->path,
					strerror(errno));
		a->target.fd = -1;
		return err;
	}
	if (a->map && munmap(a->map, a->map_len))
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(errno));
	a->map = NULL;
	/* Network file systems report write errors at close. */
	if (close(a->fd)) {
		a->fd = -1;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(errno));
	}
	a->fd = -1;
	if (rename(a->temp, a->target.path))
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot rename '%s' to '%s': %s", a->temp,
				 a->target.path, strerror(errno));
	free(a->temp);
	a->temp = NULL;
	return 0;
}

/* Idempotent, and a no-op after commit. */
static void array_abort(struct lsio_sink *s)
{
	struct array_sink *a = s->priv;

	if (!a)
		return;
	if (a->map)
		munmap(a->map, a->map_len);
	a->map = NULL;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->temp)
		unlink(a->temp);
	free(a->temp);
	a->temp = NULL;
	lsio_target_release(&a->target);
}

static void array_close(struct lsio_sink *s)
{
	array_abort(s);		/* in case neither commit nor abort ran */
	free(s->priv);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_array = {
	.name = "array",
	.open = array_open,
	.direct = array_direct,
	.put = array_put,
	.commit = array_commit,
	.abort = array_abort,
	.close = array_close,
};
