/* SPDX-License-Identifier: MIT */
/*
 * sink_target.c - what an output path is, and the temporaries beside it.
 *
 * A regular file (or a path that does not exist yet) is written under a
 * temporary name next to it and renamed over it on success.  That must
 * never happen to anything else: renaming over /dev/null as root replaces
 * the device for the whole machine.  So, as curl and zstd do:
 *
 *   - "-" is standard output, a character device or a FIFO is opened and
 *     written straight through (the sink assembles the data elsewhere
 *     first when it does not come in order);
 *   - a symlink is followed and its target replaced (the temporary goes
 *     in the target's directory, so the rename stays atomic);
 *   - a directory, a block device or a socket is an error (exit 2).
 *
 * Temporaries are named ".BASE.lsio-HOST-PID-XXXXXX": a run killed by
 * SIGKILL cannot clean up, so the next run writing the same target
 * removes those whose process is gone (same host, dead PID), and only
 * those: another run still writing keeps its own.  The parts of a sharded
 * run, and a run that may be resumed, share ".BASE.lsio-run.JOBHASH"
 * instead, which is kept when a run fails (lsio_temp_stable_name()).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define TARGET_LINKS_MAX 40	/* as the kernel's ELOOP limit */
#define TARGET_TEMP_TRIES 100
#define TARGET_HOST_MAX 32

/* --- resolving ----------------------------------------------------------- */

/* dir of path (with its '/') joined with rel, malloc'd. */
static char *path_join_dir(const char *path, const char *rel)
{
	const char *slash = strrchr(path, '/');
	int dlen = rel[0] == '/' || !slash ? 0 : (int)(slash - path + 1);
	size_t cap = (size_t)dlen + strlen(rel) + 1;
	char *p = malloc(cap);

	if (p)
		snprintf(p, cap, "%.*s%s", dlen, path, rel);
	return p;
}

/* Follow symlinks at the last component of path: the path to replace,
 * malloc'd, and its lstat (st_mode 0 when it does not exist). */
static int target_follow(struct lsio_ctx *ctx, const char *path, char **out,
			 struct stat *st)
{
	char *p = strdup(path), link[PATH_MAX];

	for (int n = 0; p; n++) {
		ssize_t len;
		char *next;

		if (lstat(p, st)) {
			if (errno != ENOENT)
				break;
			st->st_mode = 0;
			*out = p;
			return 0;
		}
		if (!S_ISLNK(st->st_mode)) {
			*out = p;
			return 0;
		}
		if (n == TARGET_LINKS_MAX) {
			errno = ELOOP;
			break;
		}
		len = readlink(p, link, sizeof(link) - 1);
		if (len < 0)
			break;
		link[len] = '\0';
		next = path_join_dir(p, link);
		free(p);
		p = next;
	}
	free(p);
	return lsio_fail(ctx, p ? -LSIO_EOUTPUT : -ENOMEM, "cannot write '%s': %s",
			 path, p ? strerror(errno) : "out of memory");
}

static const char *target_kind_name(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static int target_stream(struct lsio_ctx *ctx, const char *path,
			 struct lsio_target *t)
{
	/* No O_CREAT, no O_TRUNC: write into what is there.  A FIFO waits
	 * for its reader here, as it does for curl -o. */
	t->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (t->fd < 0)
		return lsio_fail(ctx, -LSIO_EOUTPUT, "cannot open '%s': %s",
				 path, strerror(errno));
	t->own_fd = true;
	return 0;
}

/* /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: the descriptor
 * N of this process, or -1.  Writing to it keeps what the shell set up
 * (a pipe, a file opened for appending) exactly as it is. */
static int target_own_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	char *end;
	long n;

	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		size_t len = strlen(dirs[i]);

		if (strncmp(path, dirs[i], len) || !path[len])
			continue;
		errno = 0;
		n = strtol(path + len, &end, 10);
		if (!errno && !*end && n >= 0 && n <= INT_MAX &&
		    fcntl((int)n, F_GETFD) >= 0)
			return (int)n;
	}
	return -1;
}

int lsio_target_open(struct lsio_ctx *ctx, const char *path, int stdout_fd,
		     struct lsio_target *t)
{
	struct stat st;
	char *final;
	int fd, ret;

	*t = (struct lsio_target){ .fd = -1, .stream = true };
	fd = !strcmp(path, "-") ? 1 : target_own_fd(path);
	if (fd >= 0) {
		t->fd = fd == 1 ? stdout_fd : fd;
		return 0;
	}
	if (stat(path, &st)) {
		if (errno != ENOENT)
			return lsio_fail(ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
					 path, strerror(errno));
		/* New, or a dangling symlink: create what it names. */
		st.st_mode = 0;
	}
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return target_stream(ctx, path, t);
	t->stream = false;
	if (st.st_mode && !S_ISREG(st.st_mode))
		return lsio_fail(ctx, -LSIO_EUSAGE,
				 "cannot write '%s': it is %s (lsio writes regular files, character devices, FIFOs and '-')",
				 path, target_kind_name(st.st_mode));
	ret = target_follow(ctx, path, &final, &st);
	if (!ret)
		t->path = final;
	return ret;
}

void lsio_target_release(struct lsio_target *t)
{
	if (t->own_fd && t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->own_fd = false;
	free(t->path);
	t->path = NULL;
}

int lsio_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* --- temporaries ---------------------------------------------------------- */

/* This host's name, trimmed to what is safe in a file name. */
static void temp_host(char *buf, size_t cap)
{
	char host[256] = "";
	size_t n = 0;

	gethostname(host, sizeof(host) - 1);
	for (const char *h = host; *h && n + 1 < cap && n < TARGET_HOST_MAX; h++)
		buf[n++] = (*h == '/' || *h == '-' || *h == '.') ? '_' : *h;
	buf[n] = '\0';
}

/* The temporaries of a file go beside it: dir is path up to its last
 * '/' (inclusive), base what follows.  A directory's go inside it, with
 * base "". */
struct temp_place {
	int dlen;		/* dir is path[0, dlen) */
	const char *sep;	/* "/" when dir needs one */
	const char *base;
};

static struct temp_place temp_place(const char *path, bool inside)
{
	const char *slash = strrchr(path, '/');
	size_t len = strlen(path);

	if (inside)
		return (struct temp_place){ (int)len,
			len && path[len - 1] != '/' ? "/" : "", "" };
	return (struct temp_place){ slash ? (int)(slash - path + 1) : 0, "",
				    slash ? slash + 1 : path };
}

/* ".BASE.lsio-HOST-" (or ".lsio-HOST-" for base ""): what every
 * temporary of that target on this host begins with. */
static void temp_prefix(const char *base, char *buf, size_t cap)
{
	char host[TARGET_HOST_MAX + 1];

	temp_host(host, sizeof(host));
	if (*base)
		snprintf(buf, cap, ".%s.lsio-%s-", base, host);
	else
		snprintf(buf, cap, ".lsio-%s-", host);
}

char *lsio_temp_name(const char *path, bool inside)
{
	struct temp_place tp = temp_place(path, inside);
	char prefix[NAME_MAX + 64];
	size_t cap;
	char *t;

	temp_prefix(tp.base, prefix, sizeof(prefix));
	cap = (size_t)tp.dlen + strlen(prefix) + 32;
	t = malloc(cap);
	if (t)
		snprintf(t, cap, "%.*s%s%s%ld-XXXXXX", tp.dlen, path, tp.sep,
			 prefix, (long)getpid());
	return t;
}

char *lsio_temp_stable_name(const char *path, bool inside, uint64_t id)
{
	struct temp_place tp = temp_place(path, inside);
	size_t cap = strlen(path) + 64;
	char *t = malloc(cap);

	/* A host name never holds '.' here (temp_host), so lsio_temp_sweep()
	 * cannot take this for a dead process's temporary. */
	if (t)
		snprintf(t, cap, "%.*s%s.%s%slsio-run.%016llx", tp.dlen, path,
			 tp.sep, tp.base, *tp.base ? "." : "",
			 (unsigned long long)id);
	return t;
}

static uint64_t temp_random(void)
{
	static _Atomic uint64_t counter;
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
	    ((uint64_t)getpid() << 40) ^ atomic_fetch_add(&counter, 1);
	/* splitmix64's finaliser: nearby inputs, unrelated names */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Fill the trailing XXXXXX of tmpl and create it exclusively: a file
 * (mode 0666 less the umask, not mkstemp's 0600, so that the other tasks
 * of a Slurm array job and the user's colleagues can read the output), or
 * a directory.  Returns the file's fd (0 for a directory), or -1.
 */
int lsio_temp_create(char *tmpl, bool dir)
{
	static const char digits[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char *x = tmpl + strlen(tmpl) - 6;

	for (int t = 0; t < TARGET_TEMP_TRIES; t++) {
		uint64_t r = temp_random();
		int fd;

		for (int k = 0; k < 6; k++, r /= 62)
			x[k] = digits[r % 62];
		if (dir)
			fd = mkdir(tmpl, 0777) ? -1 : 0;
		else
			fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
				  0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Remove a directory's files, then the directory (temporaries hold no
 * subdirectories). */
void lsio_temp_remove_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
				     O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d && fd >= 0)
		close(fd);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(fd, e->d_name, 0);
	if (d)
		closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Is the temporary named name (after prefix) a dead process's? */
static bool temp_is_stale(const char *rest)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(rest, &end, 10);
	if (errno || end == rest || *end != '-' || pid <= 0 || pid > INT_MAX)
		return false;
	return pid != getpid() && kill((pid_t)pid, 0) && errno == ESRCH;
}

void lsio_temp_sweep(const char *path, bool inside)
{
	struct temp_place tp = temp_place(path, inside);
	char prefix[NAME_MAX + 64], *dir = strndup(path, (size_t)tp.dlen);
	size_t plen;
	DIR *d = dir ? opendir(*dir ? dir : ".") : NULL;
	struct dirent *e;

	free(dir);
	if (!d)
		return;
	temp_prefix(tp.base, prefix, sizeof(prefix));
	plen = strlen(prefix);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, plen) ||
		    !temp_is_stale(e->d_name + plen))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) && errno == EISDIR)
			lsio_temp_remove_dir(dirfd(d), e->d_name);
	}
	closedir(d);
}
