/* SPDX-License-Identifier: MIT */
/*
 * sink_mapped.c - a file assembled through a shared mapping, and the
 * C-order arrays in it that chunks are placed into: the array sink's one
 * array (after its .npy header), the dataset sink's variables, and the
 * memory sink's caller-owned array (no file).
 *
 * The file is created next to the target under a hidden temporary name,
 * given its full size up front, and mapped shared, so workers place their
 * chunks concurrently with plain memory copies (or decode straight into
 * it, see lsio_grid_direct()).  When the target is "-", a character
 * device or a FIFO (sink_target.c), the file has no name: it lives in
 * $TMPDIR and goes with its descriptor whatever happens to the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sink/sink_mapped.h"

/* --- the file -------------------------------------------------------------- */

const char *lsio_tmpdir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/* A stream's file: no name, in $TMPDIR. */
static int mapped_create_unnamed(struct lsio_sink *s, struct lsio_mapped *m)
{
	const char *dir = lsio_tmpdir();
	char *tmpl;

	m->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (m->fd >= 0)
		return 0;
	/* No O_TMPFILE here (some network file systems): unlink at once. */
	tmpl = lsio_temp_name(dir, true);
	if (!tmpl)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	m->fd = lsio_temp_create(tmpl, false);
	if (m->fd >= 0)
		unlink(tmpl);
	free(tmpl);
	if (m->fd < 0)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot write '%s': a temporary file in '%s' to assemble it in: %s",
				 s->path, dir, strerror(errno));
	return 0;
}

static int mapped_create(struct lsio_sink *s, const struct lsio_target *t,
			 struct lsio_mapped *m)
{
	if (t->stream)
		return mapped_create_unnamed(s, m);
	lsio_temp_sweep(t->path, false);
	m->temp = lsio_temp_name(t->path, false);
	if (!m->temp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	m->fd = lsio_temp_create(m->temp, false);
	if (m->fd < 0) {
		int err = errno;

		free(m->temp);
		m->temp = NULL;
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
static int mapped_size(struct lsio_sink *s, struct lsio_mapped *m)
{
	int err = m->len ? fallocate(m->fd, 0, 0, (off_t)m->len) : 0;

	if (err && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL))
		err = ftruncate(m->fd, (off_t)m->len);
	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(errno));
	return 0;
}

static int mapped_map(struct lsio_sink *s, struct lsio_mapped *m, size_t len)
{
	int err = mapped_size(s, m);

	if (err || !len)	/* nothing to map: an empty raw array */
		return err;
	m->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->map != MAP_FAILED)
		return 0;
	m->map = NULL;
	return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot map '%s': %s", s->path,
			 strerror(errno));
}

int lsio_mapped_open(struct lsio_sink *s, const struct lsio_target *t,
		     struct lsio_mapped *m, size_t len)
{
	int err;

	*m = (struct lsio_mapped){ .fd = -1, .len = len };
	err = mapped_create(s, t, m);
	return err ? err : mapped_map(s, m, len);
}

/* Every part sizes it the same: fallocate() and ftruncate() to the length
 * it has already change nothing another part wrote. */
int lsio_mapped_open_stable(struct lsio_sink *s, const char *temp,
			    struct lsio_mapped *m, size_t len)
{
	*m = (struct lsio_mapped){ .fd = -1, .len = len, .keep = true };
	m->temp = strdup(temp);
	if (!m->temp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	m->fd = open(temp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (m->fd < 0)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 temp, strerror(errno));
	return mapped_map(s, m, len);
}

int lsio_mapped_close(struct lsio_sink *s, struct lsio_mapped *m)
{
	int err = 0;

	if (m->map && munmap(m->map, m->len))
		err = errno;
	m->map = NULL;
	if (m->fd >= 0 && close(m->fd) && !err)
		err = errno;
	m->fd = -1;
	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(err));
	return 0;
}

void lsio_mapped_abort(struct lsio_mapped *m)
{
	if (m->map)
		munmap(m->map, m->len);
	m->map = NULL;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	if (m->temp && !m->keep)
		unlink(m->temp);
	free(m->temp);
	m->temp = NULL;
}

/* --- placements ------------------------------------------------------------ */

uint64_t lsio_grid_bytes(const uint64_t *shape, uint32_t ndim,
			 uint64_t itemsize)
{
	uint64_t n = itemsize;

	for (uint32_t d = 0; d < ndim; d++)
		if (!lsio_mul_ok(n, shape[d], &n))
			return UINT64_MAX;
	return n;
}

const char *lsio_shape_text(const uint64_t *shape, uint32_t ndim, char *buf,
			    size_t cap)
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
static bool grid_box_ok(const struct lsio_place *v, const struct lsio_grid *g)
{
	uint64_t end;

	if (v->ndim != g->ndim)
		return false;
	for (uint32_t d = 0; d < v->ndim; d++) {
		if (!v->step[d])
			return false;
		if (v->count[d] &&
		    (!lsio_mul_ok(v->count[d] - 1, v->step[d], &end) ||
		     !lsio_add_ok(v->from[d], end, &end) || end >= v->shape[d]))
			return false;
		if (!lsio_add_ok(v->to[d], v->count[d], &end) ||
		    end > g->shape[d])
			return false;
	}
	return true;
}

/* The chunk's bytes are in C order: always for 'C', and for 'F' when at
 * most one dimension is longer than 1. */
static bool chunk_is_c(const struct lsio_place *v)
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
static bool grid_contiguous(const struct lsio_place *v,
			    const struct lsio_grid *g)
{
	uint32_t d;

	for (d = 0; d < v->ndim; d++)
		if (v->from[d] || v->count[d] != v->shape[d] || !v->count[d] ||
		    (v->step[d] != 1 && v->count[d] > 1))
			return false;
	if (!chunk_is_c(v))
		return false;
	for (d = 0; d < v->ndim && v->count[d] == 1; d++)
		;
	for (d++; d < v->ndim; d++)
		if (v->count[d] != g->shape[d])
			return false;
	return true;
}

/* Where element to[] of the array lives. */
static uint8_t *grid_at(const struct lsio_grid *g, const struct lsio_place *v)
{
	uint64_t off = 0;

	for (uint32_t d = 0; d < v->ndim; d++)
		off = off * g->shape[d] + v->to[d];
	return g->data + off * g->dtype->size;
}

/*
 * A decoder may write straight into the array only where its pages exist
 * already (a fill touched them).  A first touch of a fresh page of the
 * file costs a fault that zeroes the page (the extent is unwritten) before
 * the decoder overwrites it: measured here, that zeroing alone was 28% of
 * a warm run.  Then decoding into the cache-hot scratch and pwrite()ing
 * the run (lsio_grid_put) is faster: the kernel copies into a new page
 * without zeroing it.
 */
uint8_t *lsio_grid_direct(struct lsio_sink *s, const struct lsio_grid *g,
			  uint64_t i, size_t len)
{
	struct lsio_place v;

	if (!g->populated || !lsio_chunk_place(s->job, &s->job->chunks[i], &v) ||
	    !grid_box_ok(&v, g) || !grid_contiguous(&v, g) ||
	    lsio_grid_bytes(v.shape, v.ndim, g->dtype->size) != len)
		return NULL;
	return grid_at(g, &v);
}

static int grid_size_error(struct lsio_sink *s, const struct lsio_grid *g,
			   uint64_t i, const struct lsio_place *v, size_t n,
			   uint64_t want)
{
	const struct lsio_job *job = s->job;
	const struct lsio_chunk *c = &job->chunks[i];
	char shape[LSIO_MAX_DIMS * 22 + 4];

	return lsio_fail_first(s->ctx, -LSIO_ESIZE,
			       "chunk %" PRIu64 " ('%s'): decoded size %zu bytes, placement needs %" PRIu64 " (shape %s x %u-byte %s)",
			       i, job->sources[c->source].path, n, want,
			       lsio_shape_text(v->shape, v->ndim, shape,
					       sizeof(shape)),
			       g->dtype->size, g->dtype->str);
}

/* Write a contiguous run at its place in the file (see lsio_grid_direct);
 * the file and its mapping share the page cache, so both stay coherent. */
static int grid_pwrite(struct lsio_sink *s, const struct lsio_mapped *m,
		       const struct lsio_grid *g, const uint8_t *p, size_t n,
		       uint8_t *at)
{
	off_t off;

	if (g->populated) {
		memcpy(at, p, n);
		return 0;
	}
	off = (off_t)(at - m->map);
	while (n) {
		ssize_t w = pwrite(m->fd, p, n, off);

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

int lsio_grid_put(struct lsio_sink *s, const struct lsio_mapped *m,
		  const struct lsio_grid *g, uint64_t i, const uint8_t *p,
		  size_t n)
{
	const struct lsio_job *job = s->job;
	const struct lsio_chunk *c = &job->chunks[i];
	struct lsio_place v;
	uint64_t want;

	if (!lsio_chunk_place(job, c, &v) || !grid_box_ok(&v, g))
		return lsio_fail_first(s->ctx, -LSIO_EJOB,
				       "chunk %" PRIu64 " ('%s'): no placement inside the array",
				       i, job->sources[c->source].path);
	want = lsio_grid_bytes(v.shape, v.ndim, g->dtype->size);
	if (n != want)
		return grid_size_error(s, g, i, &v, n, want);
	if (grid_contiguous(&v, g)) {
		uint8_t *at = grid_at(g, &v);

		/* Decoded straight into the array (lsio_grid_direct): done. */
		if (p != at && grid_pwrite(s, m, g, p, n, at) < 0)
			return -LSIO_EOUTPUT;
	} else {
		lsio_place_copy(g->data, g->shape, v.ndim, g->dtype->size, &v,
				p);
	}
	atomic_fetch_add_explicit(&s->bytes_out,
				  lsio_grid_bytes(v.count, v.ndim, g->dtype->size),
				  memory_order_relaxed);
	return 0;
}
