/* SPDX-License-Identifier: MIT */
/*
 * sink_files.c - the files output: one file per chunk in a directory.
 *
 * Files are written into a hidden temporary directory inside the target
 * directory (so rename() never crosses file systems) and moved out on
 * commit; abort() deletes the temporary directory and, if this run created
 * the target directory, that too.  A file of the same name from an earlier
 * run is replaced, as users re-running a job expect.
 *
 * The commit is all or nothing.  Every name is checked before anything
 * moves (a directory in the way fails the run with nothing changed); an
 * old file is swapped with its new version (renameat2 RENAME_EXCHANGE),
 * so the old one waits in the temporary directory until every move has
 * succeeded, and a failed move swaps back everything moved before it.
 * A name that is a symlink, a character device or a FIFO is treated as
 * the array output treats its path (sink_target.c): the symlink's target
 * is replaced, a device or FIFO is written through, last, since that
 * cannot be undone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define FILES_NAME_MAX (NAME_MAX + 1)
#define FILES_COPY_BUF (1u << 20)

/* How chunk i's file reaches its name on commit. */
enum files_how {
	FILES_NEW,		/* nothing there: a rename */
	FILES_SWAP,		/* a regular file: exchanged with the new one */
	FILES_SPECIAL,		/* a symlink, device or FIFO: see files_special */
};

/* A name that is a symlink (its target is replaced: the new file is
 * copied beside the target and swapped in) or a device or FIFO (written
 * through). */
struct files_special {
	uint64_t i;
	struct lsio_target target;
	int dirfd;		/* the target's directory, -1 for a stream */
	char *base;		/* the target's name in it */
	char *temp;		/* the copy beside it, then the old version */
	enum files_how how;	/* NEW or SWAP at the target */
	bool moved;
};

struct files_sink {
	int dirfd;		/* the target directory */
	int tmpfd;		/* the temporary directory inside it */
	char *tmp;		/* its path; NULL once removed */
	bool made_dir;		/* this run created the target directory */
	uint8_t *how;		/* enum files_how per chunk, during commit */
	struct files_special *special;
	size_t nspecial, special_cap;
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

static int files_open_temp(struct lsio_sink *s, struct files_sink *f)
{
	f->tmpfd = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->tmpfd < 0)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot open '%s': %s",
				 f->tmp, strerror(errno));
	return 0;
}

/* A sharded or resumable run's: a directory per part, named by the job,
 * kept when the run fails, with the part's journal beside it. */
static int files_make_stable_temp(struct lsio_sink *s, struct files_sink *f)
{
	f->tmp = lsio_temp_stable_name(s->path, true,
				       s->shard->fingerprint + s->shard->k);
	if (!f->tmp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	if (mkdir(f->tmp, 0700) && errno != EEXIST)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 f->tmp, strerror(errno));
	return files_open_temp(s, f) ? -LSIO_EOUTPUT
		: lsio_part_open(s, f->tmp, f->tmpfd, true);
}

static int files_make_temp(struct lsio_sink *s, struct files_sink *f)
{
	if (lsio_shard_stable(s->shard))
		return files_make_stable_temp(s, f);
	lsio_temp_sweep(s->path, true);
	f->tmp = lsio_temp_name(s->path, true);
	if (!f->tmp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	if (lsio_temp_create(f->tmp, true) < 0) {
		free(f->tmp);
		f->tmp = NULL;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot create '%s': %s",
				 s->path, strerror(errno));
	}
	return files_open_temp(s, f);
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

static int files_put(struct lsio_sink *s, uint64_t i, const uint8_t *p,
		     size_t n)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	int fd, err;

	err = files_name(s->job, i, name, sizeof(name));
	if (err)
		return files_name_error(s, i, err);
	/* A resumed run finds the files a killed one was writing. */
	fd = openat(f->tmpfd, name, O_WRONLY | O_CREAT | O_CLOEXEC |
		    (s->journal ? O_TRUNC : O_EXCL), 0666);
	if (fd < 0)
		return lsio_fail_first(s->ctx, -LSIO_EOUTPUT,
				       "cannot create '%s%s%s': %s", s->path,
				       files_sep(s->path), name,
				       strerror(errno));
	err = lsio_write_all(fd, p, n);
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

/* --- committing: check every name, then move ----------------------------- */

static int files_fail_name(struct lsio_sink *s, const char *name,
			   const char *what, int err)
{
	return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot %s '%s%s%s': %s", what,
			 s->path, files_sep(s->path), name, strerror(err));
}

/* Copy tmp/name into fd from the start. */
static int files_copy(struct files_sink *f, const char *name, int fd)
{
	int in = openat(f->tmpfd, name, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = malloc(FILES_COPY_BUF);
	ssize_t r = -1;
	int err = 0;

	while (in >= 0 && buf && !err && (r = read(in, buf, FILES_COPY_BUF)) > 0)
		err = lsio_write_all(fd, buf, (size_t)r);
	if (!err && (in < 0 || !buf || r < 0))
		err = buf ? -errno : -ENOMEM;
	free(buf);
	if (in >= 0)
		close(in);
	return err;
}

static struct files_special *files_special_add(struct files_sink *f)
{
	if (f->nspecial == f->special_cap) {
		size_t cap = f->special_cap ? 2 * f->special_cap : 8;
		void *p = realloc(f->special, cap * sizeof(*f->special));

		if (!p)
			return NULL;
		f->special = p;
		f->special_cap = cap;
	}
	f->special[f->nspecial] = (struct files_special){ .dirfd = -1 };
	return &f->special[f->nspecial++];
}

/* The symlink's target gets a copy of the new file beside it, so that it
 * is replaced by one rename in its own directory. */
static int files_special_stage(struct lsio_sink *s, struct files_special *x,
			       const char *name)
{
	struct files_sink *f = s->priv;
	struct stat st;
	int fd, err;

	x->how = lstat(x->target.path, &st) ? FILES_NEW : FILES_SWAP;
	lsio_temp_sweep(x->target.path, false);
	x->temp = lsio_temp_name(x->target.path, false);
	if (!x->temp)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	fd = lsio_temp_create(x->temp, false);
	if (fd < 0) {
		free(x->temp);
		x->temp = NULL;
		return files_fail_name(s, name, "write", errno);
	}
	err = files_copy(f, name, fd);
	if (close(fd) && !err)
		err = -errno;
	return err ? files_fail_name(s, name, "write", -err) : 0;
}

/* Decide how chunk i's file reaches its name; refuse (before anything
 * moves) a directory or other special file in the way. */
static int files_classify(struct lsio_sink *s, uint64_t i, const char *name)
{
	struct files_sink *f = s->priv;
	struct files_special *x;
	struct stat st;
	char *path;
	size_t cap;
	int err;

	if (fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			return files_fail_name(s, name, "write", errno);
		f->how[i] = FILES_NEW;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		f->how[i] = FILES_SWAP;
		return 0;
	}
	f->how[i] = FILES_SPECIAL;
	x = files_special_add(f);
	cap = strlen(s->path) + strlen(name) + 2;
	path = malloc(cap);
	if (!x || !path) {
		free(path);
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	}
	x->i = i;
	snprintf(path, cap, "%s%s%s", s->path, files_sep(s->path), name);
	err = lsio_target_open(s->ctx, path, s->stdout_fd, &x->target);
	free(path);
	if (err || x->target.stream)
		return err;
	return files_special_stage(s, x, name);
}

/* Move chunk i's file (or the staged copy of a symlink's target) into
 * place, keeping whatever it replaces where undo can bring it back. */
static int files_move(struct files_sink *f, uint64_t i, const char *name,
		      struct files_special *x)
{
	int how = x ? (int)x->how : f->how[i];
	unsigned flags = how == FILES_SWAP ? RENAME_EXCHANGE : RENAME_NOREPLACE;
	int from = x ? AT_FDCWD : f->tmpfd, to = x ? AT_FDCWD : f->dirfd;
	const char *src = x ? x->temp : name, *dst = x ? x->target.path : name;

	if (!renameat2(from, src, to, dst, flags))
		return 0;
	/* File systems without renameat2 flags (some network ones): the
	 * names were all checked; a plain rename is the best left. */
	if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
		if (!renameat(from, src, to, dst)) {
			if (x)
				x->how = FILES_NEW;	/* nothing to undo to */
			else
				f->how[i] = FILES_NEW;
			return 0;
		}
	}
	return -errno;
}

/* Put back what the moves of chunks [0, end) replaced. */
static void files_undo(struct lsio_sink *s, uint64_t end)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	size_t k = 0;

	for (uint64_t i = 0; i < end; i++) {
		struct files_special *x = NULL;

		if (!lsio_shard_takes(s->shard, i))
			continue;	/* another part's file */
		if (f->how[i] == FILES_SPECIAL) {
			x = &f->special[k++];
			if (x->target.stream || !x->moved)
				continue;
		}
		if (files_name(s->job, i, name, sizeof(name)))
			continue;
		if ((x ? x->how : f->how[i]) == FILES_SWAP)
			files_move(f, i, name, x);	/* swaps back */
		else if (x)
			rename(x->target.path, x->temp);
		else
			renameat(f->dirfd, name, f->tmpfd, name);
	}
}

static int files_move_all(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	size_t k = 0;
	int err;

	for (uint64_t i = 0; i < s->job->nchunks; i++) {
		struct files_special *x = NULL;

		if (!lsio_shard_takes(s->shard, i))
			continue;
		if (f->how[i] == FILES_SPECIAL) {
			x = &f->special[k++];
			if (x->target.stream)
				continue;
		}
		err = files_name(s->job, i, name, sizeof(name));
		if (!err)
			err = files_move(f, i, name, x);
		if (err) {
			files_undo(s, i);
			return err == -ENAMETOOLONG ? files_name_error(s, i, err)
				: files_fail_name(s, name, "replace", -err);
		}
		if (x)
			x->moved = true;
	}
	return 0;
}

/* Devices and FIFOs last: writing to them cannot be taken back. */
static int files_write_streams(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	int err;

	for (size_t k = 0; k < f->nspecial; k++) {
		struct files_special *x = &f->special[k];

		if (!x->target.stream ||
		    files_name(s->job, x->i, name, sizeof(name)))
			continue;
		err = files_copy(f, name, x->target.fd);
		if (err)
			return files_fail_name(s, name, "write", -err);
	}
	return 0;
}

static void files_special_release(struct files_sink *f)
{
	for (size_t k = 0; k < f->nspecial; k++) {
		struct files_special *x = &f->special[k];

		if (x->temp)	/* the copy, or the old version it replaced */
			unlink(x->temp);
		free(x->temp);
		lsio_target_release(&x->target);
	}
	free(f->special);
	f->special = NULL;
	f->nspecial = f->special_cap = 0;
	free(f->how);
	f->how = NULL;
}

/* Delete everything in the temporary directory, then the directory. */
static void files_remove_temp(struct files_sink *f)
{
	lsio_temp_remove_dir(AT_FDCWD, f->tmp);
}

static int files_commit(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;
	char name[FILES_NAME_MAX];
	int err = 0;

	if (s->journal && lsio_part_finish(s))
		return -LSIO_EOUTPUT;
	f->how = calloc(s->job->nchunks ? s->job->nchunks : 1, 1);
	if (!f->how)
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < s->job->nchunks && !err; i++) {
		if (!lsio_shard_takes(s->shard, i))
			continue;
		err = files_name(s->job, i, name, sizeof(name));
		err = err ? files_name_error(s, i, err)
			  : files_classify(s, i, name);
	}
	if (!err)
		err = files_move_all(s);
	if (!err)
		err = files_write_streams(s);
	files_special_release(f);
	if (err)
		return err;
	/* What is left in the temporary directory is what was replaced. */
	files_remove_temp(f);
	if (s->journal)
		lsio_part_forget(s, f->tmp);
	free(f->tmp);
	f->tmp = NULL;
	f->made_dir = false;	/* it is the output now */
	return 0;
}

/* Idempotent, and a no-op after commit. */
static void files_abort(struct lsio_sink *s)
{
	struct files_sink *f = s->priv;

	if (!f)
		return;
	files_special_release(f);
	lsio_part_abort(s);
	/* A sharded or resumable run's directory is kept for its resume
	 * (and may be another run's, which refused this one). */
	if (f->tmp && !lsio_shard_stable(s->shard))
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
	lsio_part_close(s);
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
