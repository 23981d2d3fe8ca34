/* SPDX-License-Identifier: MIT */
/*
 * sink_dataset.c - the dataset output: several variables, their dimensions
 * and attributes, written as one NetCDF-4 file.
 *
 * The variables are assembled as the array sink assembles its array: in
 * one mapped temporary beside the target (sink_mapped.c), each variable a
 * C-order array of its own in it, page-aligned, filled with its fill value
 * or its inline values first; the workers place chunks into them.  NetCDF
 * (HDF5) cannot take chunks from many threads in any order, so only on
 * commit is the file written, through libnetcdf (loaded on open, see
 * netcdf_load.h): nc_create under a second temporary name beside the
 * target, the dimensions, the variables, their attributes, then each
 * variable's data from the mapping in slabs, nc_close, and a rename over
 * the target.  A stream target ("-", a character device, a FIFO) gets the
 * finished file written through, since HDF5 needs a file it can seek.
 *
 * Variables are stored contiguous, without HDF5 fill: every element is
 * written, so a fill pass by HDF5 would write each byte twice.  The
 * _FillValue attribute is still there for readers (and xarray's masking).
 *
 * The NetCDF file is written by a forked child, which shares the mapping.
 * HDF5 (1.10.8, under netCDF-C 4.9.0) cannot survive a failed write: after
 * one (a full disk, a quota, a file size limit) nc_abort(), nc_close() and
 * HDF5's own exit handler all dereference freed state, and the process
 * dies of SIGSEGV with its temporaries in place and no word said.  A child
 * that fails writes why into a pipe and _exit()s without closing
 * anything; the parent reports it and removes both temporaries.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sink/netcdf_load.h"
#include "sink/sink_mapped.h"

#define DATASET_ALIGN 4096		/* each variable starts on a page */
#define DATASET_SLAB ((size_t)64 << 20)	/* bytes per nc_put_vara */
#define DATASET_COPY ((size_t)1 << 20)	/* write-through buffer */
#define DATASET_POLL_MS 100		/* how soon a Ctrl-C stops the child */

struct dataset_sink {
	struct lsio_target target;
	struct lsio_mapped file;	/* every variable, assembled */
	struct lsio_grid *grids;	/* one per variable, into file */
	size_t *offs;			/* where each starts in file */
	char *nc_temp;			/* the NetCDF file being written */
	int ncid;			/* open NetCDF file (the child's), or -1 */
	int *varids;			/* per variable */
	/* The dimensions defined so far: names (the variables' own) and
	 * NetCDF ids. */
	const char **dim_names;
	int *dim_ids;
	uint32_t ndims;
};

/* The NetCDF type of a dtype job_dataset.c accepted. */
static nc_type dataset_nc_type(const struct lsio_dtype *dt)
{
	static const nc_type ints[2][4] = {
		{ NC_BYTE, NC_SHORT, NC_INT, NC_INT64 },
		{ NC_UBYTE, NC_USHORT, NC_UINT, NC_UINT64 },
	};
	int k = dt->size == 1 ? 0 : dt->size == 2 ? 1 : dt->size == 4 ? 2 : 3;

	if (dt->kind == 'f')
		return dt->size == 4 ? NC_FLOAT : NC_DOUBLE;
	return ints[dt->kind == 'u'][k];
}

/* Big-endian elements into host order (libnetcdf takes native numbers). */
static void dataset_swap(uint8_t *p, size_t n, uint32_t size)
{
	for (size_t i = 0; i + size <= n; i += size)
		for (uint32_t a = 0, b = size - 1; a < b; a++, b--) {
			uint8_t t = p[i + a];

			p[i + a] = p[i + b];
			p[i + b] = t;
		}
}

static bool dataset_swapped(const struct lsio_dtype *dt)
{
	return dt->order == '>' && dt->size > 1;
}

/* --- opening: the variables' file ------------------------------------------ */

/* Each variable's offset in the file, and the file's size. */
static int dataset_layout(struct lsio_sink *s, struct dataset_sink *d,
			  size_t *total)
{
	const struct lsio_output *out = &s->job->out;
	uint64_t at = 0, bytes;

	for (uint32_t i = 0; i < out->nvars; i++) {
		const struct lsio_var *v = &out->vars[i];

		bytes = lsio_grid_bytes(v->shape, v->ndim, v->dtype.size);
		d->offs[i] = (size_t)at;
		if (bytes == UINT64_MAX || !lsio_add_ok(at, bytes, &at) ||
		    !lsio_add_ok(at, DATASET_ALIGN - 1, &at) || at > INT64_MAX ||
		    at > SIZE_MAX)
			return lsio_fail(s->ctx, -LSIO_EOUTPUT,
					 "cannot create '%s': its variables are too large",
					 s->path);
		at &= ~(uint64_t)(DATASET_ALIGN - 1);
	}
	*total = (size_t)at;
	return 0;
}

/* Each variable's inline values, or its fill value. */
static void dataset_fill(struct lsio_sink *s, struct dataset_sink *d)
{
	const struct lsio_output *out = &s->job->out;

	for (uint32_t i = 0; i < out->nvars; i++) {
		const struct lsio_var *v = &out->vars[i];
		struct lsio_grid *g = &d->grids[i];
		size_t n = (size_t)lsio_grid_bytes(v->shape, v->ndim,
						   v->dtype.size);

		*g = (struct lsio_grid){ .shape = v->shape,
					 .ndim = lsio_var_rank(v),
					 .dtype = &v->dtype };
		if (!d->file.map)
			continue;	/* no variable has an element */
		g->data = d->file.map + d->offs[i];
		if (v->values) {
			memcpy(g->data, v->values, n);
		} else if (!v->fill_is_zero && !out->no_prefill) {
			lsio_fill_repeat(g->data, n, v->fill, sizeof(v->fill),
					 v->dtype.size);
			g->populated = true;
		}
	}
}

static void dataset_abort(struct lsio_sink *s);
static void dataset_close(struct lsio_sink *s);

static int dataset_open(struct lsio_sink *s)
{
	const struct lsio_output *out = &s->job->out;
	struct dataset_sink *d;
	size_t total = 0;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	d->file.fd = d->target.fd = d->ncid = -1;
	s->priv = d;
	d->grids = calloc(out->nvars + 1, sizeof(*d->grids));
	d->offs = calloc(out->nvars + 1, sizeof(*d->offs));
	/* Loaded now: a run that cannot write its file fails before it
	 * reads anything. */
	err = d->grids && d->offs ? lsio_netcdf_load(s->ctx)
				  : lsio_fail(s->ctx, -ENOMEM, "out of memory");
	if (!err)
		err = dataset_layout(s, d, &total);
	if (!err)
		err = lsio_target_open(s->ctx, s->path, s->stdout_fd, &d->target);
	if (!err)
		err = lsio_mapped_open(s, &d->target, &d->file, total);
	if (!err)
		dataset_fill(s, d);
	if (err) {
		dataset_abort(s);
		dataset_close(s);
	}
	return err;
}

/* --- writing ---------------------------------------------------------------- */

static const struct lsio_grid *dataset_grid(struct lsio_sink *s, uint64_t i)
{
	const struct dataset_sink *d = s->priv;

	return &d->grids[s->job->chunks[i].var];
}

static uint8_t *dataset_data(struct lsio_sink *s, uint32_t var)
{
	const struct dataset_sink *d = s->priv;

	return d->grids[var].data;
}

static uint8_t *dataset_direct(struct lsio_sink *s, uint64_t i, size_t len)
{
	return lsio_grid_direct(s, dataset_grid(s, i), i, len);
}

static int dataset_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		       size_t n)
{
	struct dataset_sink *d = s->priv;

	return lsio_grid_put(s, &d->file, dataset_grid(s, i), i, p, n);
}

/* --- commit: the NetCDF file ---------------------------------------------- */

/* A libnetcdf failure: "cannot write 'x.nc': variable 't2m': what: why".
 * HDF5 says only "HDF error" when a write fails: the system's reason is
 * added when errno (cleared before each call that writes) holds one. */
static int nc_fail(struct lsio_sink *s, int status, const char *var,
		   const char *what)
{
	int e = errno;
	bool io = e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO ||
		  e == EROFS;

	return lsio_fail(s->ctx, -LSIO_EOUTPUT,
			 "cannot write '%s': %s%s%s%s: %s%s%s%s", s->path,
			 var ? "variable '" : "", var ? var : "",
			 var ? "': " : "", what, lsio_nc.strerror(status),
			 io ? " (" : "", io ? strerror(e) : "", io ? ")" : "");
}

/* The NetCDF file's name, reserved: beside the target (the rename stays
 * in one file system), or in $TMPDIR for a stream. */
static int nc_temp_create(struct lsio_sink *s, struct dataset_sink *d)
{
	int fd;

	d->nc_temp = d->target.stream ? lsio_temp_name(lsio_tmpdir(), true)
				      : lsio_temp_name(d->target.path, false);
	if (!d->nc_temp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	fd = lsio_temp_create(d->nc_temp, false);
	if (fd < 0) {
		int err = errno;

		free(d->nc_temp);
		d->nc_temp = NULL;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(err));
	}
	close(fd);	/* nc_create() truncates and writes it */
	return 0;
}

/* Attributes of varid (NC_GLOBAL for the dataset's). */
static int nc_put_attrs(struct lsio_sink *s, int ncid, int varid,
			const char *var, const struct lsio_attr *a, uint32_t n)
{
	char what[LSIO_MSG_MAX / 4];
	int st;

	for (uint32_t i = 0; i < n; i++, a++) {
		if (a->text)
			st = lsio_nc.put_att_text(ncid, varid, a->name, a->n,
						  (const char *)a->data);
		else
			st = lsio_nc.put_att(ncid, varid, a->name,
					     dataset_nc_type(&a->dtype), a->n,
					     a->data);
		if (st) {
			snprintf(what, sizeof(what), "attribute '%.200s'",
				 a->name);
			return nc_fail(s, st, var, what);
		}
	}
	return 0;
}

/* The NetCDF id of dimension k of v, defined by the first variable that
 * names it (job_dataset.c made sure the others agree on its length).  A
 * scan: datasets have few dimensions. */
static int nc_dim(struct lsio_sink *s, struct dataset_sink *d,
		  const struct lsio_var *v, uint32_t k, int *id)
{
	char what[LSIO_MSG_MAX / 4];
	int st;

	for (uint32_t j = 0; j < d->ndims; j++)
		if (!strcmp(d->dim_names[j], v->dims[k])) {
			*id = d->dim_ids[j];
			return 0;
		}
	st = lsio_nc.def_dim(d->ncid, v->dims[k], (size_t)v->shape[k], id);
	if (st) {
		snprintf(what, sizeof(what), "dimension '%.200s'", v->dims[k]);
		return nc_fail(s, st, v->name, what);
	}
	d->dim_names[d->ndims] = v->dims[k];
	d->dim_ids[d->ndims++] = *id;
	return 0;
}

/* _FillValue, in the variable's type and this host's byte order. */
static int nc_fill(struct lsio_sink *s, struct dataset_sink *d,
		   const struct lsio_var *v, int varid)
{
	uint8_t fill[sizeof(v->fill)];
	int st;

	memcpy(fill, v->fill, sizeof(fill));
	if (dataset_swapped(&v->dtype))
		dataset_swap(fill, v->dtype.size, v->dtype.size);
	st = lsio_nc.put_att(d->ncid, varid, "_FillValue",
			     dataset_nc_type(&v->dtype), 1, fill);
	return st ? nc_fail(s, st, v->name, "_FillValue") : 0;
}

/* Contiguous (one write per slab, nothing to index; HDF5 refuses it for
 * a variable with no elements, and a scalar has nothing else), and no
 * HDF5 fill pass: every element is written. */
static int nc_storage(struct lsio_sink *s, struct dataset_sink *d,
		      const struct lsio_var *v, int varid)
{
	bool contiguous = v->ndim && lsio_grid_bytes(v->shape, v->ndim, 1);
	int st = contiguous ? lsio_nc.def_var_chunking(d->ncid, varid,
						       NC_CONTIGUOUS, NULL) : 0;

	if (st)
		return nc_fail(s, st, v->name, "contiguous storage");
	st = lsio_nc.def_var_fill(d->ncid, varid, 1, NULL);
	return st ? nc_fail(s, st, v->name, "no fill") : 0;
}

static int nc_define_var(struct lsio_sink *s, struct dataset_sink *d,
			 uint32_t i)
{
	const struct lsio_var *v = &s->job->out.vars[i];
	int dimids[LSIO_MAX_DIMS], st, err = 0;

	for (uint32_t k = 0; k < v->ndim && !err; k++)
		err = nc_dim(s, d, v, k, &dimids[k]);
	if (err)
		return err;
	st = lsio_nc.def_var(d->ncid, v->name, dataset_nc_type(&v->dtype),
			     (int)v->ndim, dimids, &d->varids[i]);
	if (st)
		return nc_fail(s, st, v->name, "definition");
	err = nc_storage(s, d, v, d->varids[i]);
	if (!err && v->has_fill)
		err = nc_fill(s, d, v, d->varids[i]);
	if (!err)
		err = nc_put_attrs(s, d->ncid, d->varids[i], v->name, v->attrs,
				   v->nattrs);
	return err;
}

/* Create the file and define everything in it. */
static int nc_define(struct lsio_sink *s, struct dataset_sink *d)
{
	const struct lsio_output *out = &s->job->out;
	size_t ndims = 0;
	int st, err;

	for (uint32_t i = 0; i < out->nvars; i++)
		ndims += out->vars[i].ndim;
	d->varids = calloc(out->nvars, sizeof(*d->varids));
	d->dim_names = calloc(ndims + 1, sizeof(*d->dim_names));
	d->dim_ids = calloc(ndims + 1, sizeof(*d->dim_ids));
	if (!d->varids || !d->dim_names || !d->dim_ids)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	st = lsio_nc.create(d->nc_temp, NC_NETCDF4 | NC_CLOBBER, &d->ncid);
	if (st) {
		d->ncid = -1;
		return nc_fail(s, st, NULL, "create");
	}
	err = nc_put_attrs(s, d->ncid, NC_GLOBAL, NULL, out->attrs,
			   out->nattrs);
	for (uint32_t i = 0; i < out->nvars && !err; i++)
		err = nc_define_var(s, d, i);
	if (err)
		return err;
	st = lsio_nc.enddef(d->ncid);
	return st ? nc_fail(s, st, NULL, "definitions") : 0;
}

/*
 * Drop the pages of the variables' file in [*done, end) (offsets in it,
 * *done page-aligned, end rounded down to a page): HDF5 has copied them
 * into the NetCDF file.  They are dirty, and would otherwise be written
 * back to disk for nothing, competing with the NetCDF file's own pages
 * and holding twice the data's space until the end.  Best effort: a file
 * system without holes keeps them.
 */
static void nc_release(struct dataset_sink *d, size_t *done, size_t end)
{
	end &= ~(size_t)(DATASET_ALIGN - 1);
	if (end <= *done)
		return;
	fallocate(d->file.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		  (off_t)*done, (off_t)(end - *done));
	*done = end;
}

/* Map [p, p + n) of the variables' file into this process's page tables. */
static void nc_populate(uint8_t *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(DATASET_ALIGN - 1);

	madvise((void *)a, n + ((uintptr_t)p - a), MADV_POPULATE_READ);
}

/* Variable i's data, a slab of whole rows (along its first dimension) at
 * a time: a Ctrl-C is seen between slabs. */
static int nc_write_var(struct lsio_sink *s, struct dataset_sink *d,
			uint32_t i)
{
	const struct lsio_var *v = &s->job->out.vars[i];
	uint8_t *data = d->grids[i].data;
	uint64_t bytes = lsio_grid_bytes(v->shape, v->ndim, v->dtype.size);
	uint64_t rows = v->ndim ? v->shape[0] : 1, row, per;
	size_t start[LSIO_MAX_DIMS] = { 0 }, count[LSIO_MAX_DIMS];
	size_t done = d->offs[i];	/* page-aligned */
	int st;

	if (!bytes)
		return 0;
	row = bytes / rows;
	per = MAX(1, DATASET_SLAB / row);
	if (dataset_swapped(&v->dtype))	/* the scratch is ours to change */
		dataset_swap(data, (size_t)bytes, v->dtype.size);
	for (uint32_t k = 0; k < v->ndim; k++)
		count[k] = (size_t)v->shape[k];
	for (uint64_t r = 0; r < rows; r += per) {
		if (lsio_canceled(s->ctx))
			return lsio_fail_first(s->ctx, -LSIO_ECANCELED,
					       "interrupted");
		start[0] = (size_t)r;
		count[0] = (size_t)MIN(per, rows - r);
		/* The parent's page tables are not the child's: map the slab
		 * at once rather than a fault per page (an error is harmless:
		 * the pages then fault in one by one). */
		nc_populate(data + r * row, count[0] * row);
		errno = 0;
		st = lsio_nc.put_vara(d->ncid, d->varids[i], start, count,
				      data + r * row);
		if (st)
			return nc_fail(s, st, v->name, "data");
		nc_release(d, &done, d->offs[i] + (size_t)((r + count[0]) * row));
	}
	/* Its last page holds nothing else (the next variable starts on a
	 * page of its own). */
	nc_release(d, &done, d->offs[i] + (size_t)bytes + DATASET_ALIGN - 1);
	return 0;
}

/* The finished file, to the stream target. */
static int nc_write_through(struct lsio_sink *s, struct dataset_sink *d)
{
	int fd = open(d->nc_temp, O_RDONLY | O_CLOEXEC), err = 0;
	uint8_t *buf = malloc(DATASET_COPY);
	ssize_t n = 0;

	if (fd < 0 || !buf)
		err = fd < 0 ? -errno : -ENOMEM;
	while (!err && (n = read(fd, buf, DATASET_COPY)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		err = n < 0 ? -errno : lsio_write_all(d->target.fd, buf, (size_t)n);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	if (d->target.own_fd && close(d->target.fd) && !err)
		err = -errno;
	d->target.fd = -1;
	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(-err));
	unlink(d->nc_temp);
	free(d->nc_temp);
	d->nc_temp = NULL;
	return 0;
}

static int nc_rename(struct lsio_sink *s, struct dataset_sink *d)
{
	if (rename(d->nc_temp, d->target.path))
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot rename '%s' to '%s': %s", d->nc_temp,
				 d->target.path, strerror(errno));
	free(d->nc_temp);
	d->nc_temp = NULL;
	return 0;
}

/* The child's work: the whole NetCDF file at d->nc_temp. */
static int nc_build(struct lsio_sink *s, struct dataset_sink *d)
{
	int err, st;

	errno = 0;
	err = nc_define(s, d);
	for (uint32_t i = 0; i < s->job->out.nvars && !err; i++)
		err = nc_write_var(s, d, i);
	if (err)
		return err;
	errno = 0;
	st = lsio_nc.close(d->ncid);
	d->ncid = -1;
	return st ? nc_fail(s, st, NULL, "close") : 0;
}

/* In the child: build, then say why it failed into fd; never return, and
 * never close what HDF5 holds (see the top of this file). */
static void nc_child(struct lsio_sink *s, struct dataset_sink *d, int fd,
		     pid_t parent)
{
	const char *msg;
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);	/* the parent died before that took effect */
	err = nc_build(s, d);
	if (err) {
		msg = lsio_ctx_message(s->ctx);
		lsio_write_all(fd, msg, strlen(msg));
	}
	_exit(err == -LSIO_ECANCELED ? 2 : err ? 1 : 0);
}

/* Wait for the child, killing it when the run is canceled (a Ctrl-C that
 * reached only this process); msg gets what it said (cut to cap - 1).
 * Its end of the pipe closes when it exits, whatever it died of. */
static int nc_wait(struct lsio_sink *s, pid_t pid, int fd, char *msg,
		   size_t cap)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	char rest[256];
	ssize_t n = -1;
	int status;

	while (n != 0) {
		if (lsio_canceled(s->ctx))
			kill(pid, SIGKILL);
		if (poll(&pfd, 1, DATASET_POLL_MS) <= 0)
			continue;	/* nothing yet, or a signal */
		if (len + 1 < cap)
			n = read(fd, msg + len, cap - 1 - len);
		else
			n = read(fd, rest, sizeof(rest));
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;
		if (n > 0 && len + 1 < cap)
			len += (size_t)n;
	}
	msg[len] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;	/* not ours to wait for: say it failed */
	return status;
}

/* The NetCDF file at d->nc_temp, written by a child (see the top). */
static int nc_write_file(struct lsio_sink *s, struct dataset_sink *d)
{
	char msg[LSIO_MSG_MAX];
	pid_t parent = getpid(), pid;
	int fds[2], status;

	if (pipe2(fds, O_CLOEXEC))
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		nc_child(s, d, fds[1], parent);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot write '%s': cannot start a process to write it: %s",
				 s->path, strerror(errno));
	}
	status = nc_wait(s, pid, fds[0], msg, sizeof(msg));
	close(fds[0]);
	if (status == -1)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot write '%s': cannot wait for the process writing it: %s",
				 s->path, strerror(errno));
	if (lsio_canceled(s->ctx) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 2))
		return lsio_fail_first(s->ctx, -LSIO_ECANCELED, "interrupted");
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status) && msg[0])
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "%s", msg);
	return lsio_fail(s->ctx, -LSIO_EOUTPUT,
			 "cannot write '%s': the process writing it %s %d",
			 s->path, WIFSIGNALED(status) ? "died of signal" : "exited",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static int dataset_commit(struct lsio_sink *s)
{
	struct dataset_sink *d = s->priv;
	int err = nc_temp_create(s, d);

	if (!err)
		err = nc_write_file(s, d);
	if (!err)
		err = d->target.stream ? nc_write_through(s, d)
				       : nc_rename(s, d);
	if (!err)
		lsio_mapped_abort(&d->file);	/* the variables are in */
	return err;
}

/* Idempotent, and a no-op after commit.  The NetCDF file was the child's:
 * only its name is left to remove here. */
static void dataset_abort(struct lsio_sink *s)
{
	struct dataset_sink *d = s->priv;

	if (!d)
		return;
	if (d->nc_temp)
		unlink(d->nc_temp);
	free(d->nc_temp);
	d->nc_temp = NULL;
	lsio_mapped_abort(&d->file);
	lsio_target_release(&d->target);
}

static void dataset_close(struct lsio_sink *s)
{
	struct dataset_sink *d = s->priv;

	dataset_abort(s);	/* in case neither commit nor abort ran */
	if (d) {
		free(d->grids);
		free(d->offs);
		free(d->varids);
		free(d->dim_names);
		free(d->dim_ids);
	}
	free(d);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_dataset = {
	.name = "dataset",
	.open = dataset_open,
	.direct = dataset_direct,
	.put = dataset_put,
	.data = dataset_data,
	.commit = dataset_commit,
	.abort = dataset_abort,
	.close = dataset_close,
};
