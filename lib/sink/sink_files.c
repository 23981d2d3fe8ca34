/* SPDX-License-Identifier: MIT */
/*
 * sink_files.c - the files output: one file per chunk in a directory.
 *
 * Files are written into a hidden temporary directory inside the target
 * directory (so rename() never crosses file systems) and moved out one by
 * one on commit; abort() deletes the temporary directory and, if this run
 * created the target directory, that too.  A file of the same name from an
 * earlier run is replaced, as users re-running a job expect.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define FILES_TEMP ".lsio-XXXXXX"
#define FILES_NAME_MAX (NAME_MAX + 1)

struct files_sink {
	int dirfd;		/* the target directory */
	int tmpfd;		/* the temporary directory inside it */
	char *tmp;		/* its path; NULL once removed */
	bool made_dir;		/* this run created the target directory */
};

/* --- names --------------------------------------------------------------- */

/* The job parser expands names and rejects duplicates and unsafe ones at
 * load time; the sink uses the very same function, so what was checked is
 * what is written. */
static int files_name(const struct lsio_job *job, uint64_t i, char *buf,
		      size_t cap)
{
	return lsio_chunk_name(job, i, buf, cap) < 0 ? -ENAMETOOLONG : 0;
}

/* "dir/name" for messages: the path the user will look for. */
static const char *files_sep(const char *dir)
{
	size_t n = strlen(dir);

	return n && dir[n - 1] == '/' ? "" : "/";
}

static int files_name_error(struct lsio_sink *s, uint64_t i, int err)
{
	if (err == -ENAMETOOLONG)
		return lsio_fail_first(s->ctx, -LSIO_EOUTPUT,
				       "chunk %" PRIu64 ": file name too long", i);
	return lsio_fail_first(s->ctx, -LSIO_EJOB,
			       "chunk %" PRIu64 ": invalid file name", i);
}

/* --- opening -------------------------------------------------------------- */

/* Make the directory (not its parents, like the array output does not
 * make the directory of its file) and remember whether we did. */
static int files_make_dir(struct lsio_sink *s, struct files_sink *f)
{
	if (!mkdir(s->path, 0777))
		f->made_dir = true;
	else if (errno != EEXIST)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(errno));
	f->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot open '%s': %s",
				 s->path, strerror(errno));
	return 0;
}

static int files_make_temp(struct lsio_sink *s, struct files_sink *f)
{
	size_t cap = strlen(s->path) + sizeof("/" FILES_TEMP);

	f->tmp = malloc(cap);
	if (!f->tmp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	snprintf(f->tmp, cap, "%s%s" FILES_TEMP, s->path, files_sep(s->path));
	if (!mkdtemp(f->tmp)) {
		free(f->tmp);
		f->tmp = NULL;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(errno));
	}
	f->tmpfd = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->tmpfd < 0)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot open '%s': %s",
				 f->tmp, strerror(errno));
	return 0;
}

static void files_abort(struct lsio_sink *s);
static void files_close(struct lsio_sink *s);

static int files_open(struct lsio_sink *s)
{
	struct files_sink *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	f->dirfd = f->tmpfd = -1;
	s->priv = f;
	err = files_make_dir(s, f);
	if (!err)
		err = files_make_temp(s, f);
	if (err) {
		files_abort(s);
		files_close(s);
	}
	return err;
}

/* --- writing ------------------------------------------------------------- */

static int files_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int files_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		     size_t n)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	int fd, err;

	err = files_name(s->job, i, name, sizeof(name));
	if (err)
		return files_name_error(s, i, err);
	fd = openat(f->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0666);
	if (fd < 0)
		return lsio_fail_first(s->ctx, -LSIO_EOUTPUT,
				       "cannot create '%s%s%s': %s", s->path,
				       files_sep(s->path), name,
				       strerror(errno));
	err = files_write_all(fd, p, n);
	if (close(fd) && !err)
		err = -errno;
	if (err)
		return lsio_fail_first(s->ctx, -LSIO_EOUTPUT,
				       "cannot write '%s%s%s': %s", s->path,
				       files_sep(s->path), name,
				       strerror(-err));
	atomic_fetch_add_explicit(&s->bytes_out, n, memory_order_relaxed);
	return 0;
}

/* --- finishing ------------------------------------------------------------ */

/* Move the files of chunks [0, end) back into the temporary directory, so
 * that a failed commit leaves the target as it was (except for files it
 * replaced, which rename() has already unlinked). */
static void files_unmove(struct lsio_sink *s, uint64_t end)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];

	for (uint64_t i = 0; i < end; i++)
		if (!files_name(s->job, i, name, sizeof(name)))
			renameat(f->dirfd, name, f->tmpfd, name);
}

static int files_commit(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	int err;

	for (uint64_t i = 0; i < s->job->nchunks; i++) {
		err = files_name(s->job, i, name, sizeof(name));
		if (err)
			return files_name_error(s, i, err);
		if (renameat(f->tmpfd, name, f->dirfd, name)) {
			err = errno;
			files_unmove(s, i);
			return lsio_fail(s->ctx, -LSIO_EOUTPUT,
					 "cannot move '%s' into '%s': %s", name,
					 s->path, strerror(err));
		}
	}
	if (rmdir(f->tmp))
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot remove '%s': %s",
				 f->tmp, strerror(errno));
	free(f->tmp);
	f->tmp = NULL;
	f->made_dir = false;	/* it is the output now */
	return 0;
}

/* Delete everything in the temporary directory, then the directory. */
static void files_remove_temp(struct files_sink *f)
{
	int fd = f->tmpfd >= 0 ? dup(f->tmpfd) : -1;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!dir && fd >= 0)
		close(fd);
	while (dir && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(f->tmpfd, e->d_name, 0);
	if (dir)
		closedir(dir);
	rmdir(f->tmp);
}

/* Idempotent, and a no-op after commit. */
static void files_abort(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;

	if (!f)
		return;
	if (f->tmp)
		files_remove_temp(f);
	free(f->tmp);
	f->tmp = NULL;
	/* rmdir() fails, rightly, if someone else wrote there meanwhile. */
	if (f->made_dir)
		rmdir(s->path);
	f->made_dir = false;
}

static void files_close(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;

	if (!f)
		return;
	files_abort(s);
	if (f->tmpfd >= 0)
		close(f->tmpfd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f);
	s->priv = NULL;
}

const struct lsio_sink_ops lsio_sink_files = {
	.name = "files",
	.open = files_open,
	.direct = NULL,
	.put = files_put,
	.commit = files_commit,
	.abort = files_abort,
	.close = files_close,
};
