/* SPDX-License-Identifier: MIT */
/*
 * zarr_store.c - where a Zarr hierarchy's keys live.  The generator needs
 * three things of a store: read a key (or a range of it), its size, and -
 * for --list without consolidated metadata - the sub-directories of a
 * prefix.  A missing key is -ENOENT, never an error: Zarr reads it as
 * "all fill value".  The local directory store is here; http, s3 and gs
 * stores are another ops struct behind the same calls
 * (zarr_store_remote.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zarr.h"

int zarr_fail(struct lsio_ctx *ctx, int err, const struct zarr_store *s,
	      const char *key, const char *fmt, ...)
{
	char msg[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key && *key)
		return lsio_fail(ctx, err, "store '%s': '%s': %s", s->root,
				 key, msg);
	return lsio_fail(ctx, err, "store '%s': %s", s->root, msg);
}

char *zarr_store_source(const struct zarr_store *s, const char *key)
{
	const char *root = s->source_root ? s->source_root : s->root;
	size_t a = strlen(root), b = strlen(key);
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	memcpy(p, root, a);
	p[a] = '/';
	memcpy(p + a + 1, key, b + 1);
	return p;
}

void zarr_names_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

/* --- the local directory store ------------------------------------------- */

static int local_open_key(struct zarr_store *s, const char *key)
{
	char *path = zarr_store_source(s, key);
	int fd;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	return fd < 0 ? -errno : fd;
}

static int local_size(struct zarr_store *s, const char *key, uint64_t *size)
{
	char *path = zarr_store_source(s, key);
	struct stat st;
	int ret = 0;

	if (!path)
		return -ENOMEM;
	if (stat(path, &st) < 0)
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -ENOENT;	/* a directory is no key */
	else
		*size = (uint64_t)st.st_size;
	free(path);
	return ret == -ENOTDIR ? -ENOENT : ret;
}

static int pread_full(int fd, uint8_t *buf, size_t n, uint64_t off,
		      size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = pread(fd, buf + *got, n - *got,
				  (off_t)(off + *got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			break;
		*got += (size_t)r;
	}
	return 0;
}

static int local_read(struct zarr_store *s, const char *key, uint64_t off,
		      uint64_t n, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = local_open_key(s, key), ret;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return fd == -ENOTDIR || fd == -EISDIR ? -ENOENT : fd;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -ENOENT : -EINVAL;
		goto out;
	}
	if (off >= (uint64_t)st.st_size)
		n = 0;
	n = MIN(n, (uint64_t)st.st_size - MIN(off, (uint64_t)st.st_size));
	*buf = malloc(n ? n : 1);
	ret = *buf ? pread_full(fd, *buf, n, off, len) : -ENOMEM;
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
out:
	close(fd);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir_entry(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return true;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return false;
	return !fstatat(dfd, de->d_name, &st, 0) && S_ISDIR(st.st_mode);
}

static int names_add(char ***names, size_t *n, const char *name)
{
	char **v = realloc(*names, (*n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*names = v;
	v[*n] = strdup(name);
	if (!v[*n])
		return -ENOMEM;
	v[++*n] = NULL;
	return 0;
}

static int local_list_dirs(struct zarr_store *s, const char *prefix,
			   char ***names)
{
	char *path = zarr_store_source(s, prefix);
	struct dirent *de;
	size_t n = 0;
	int ret = 0;
	DIR *d;

	*names = calloc(1, sizeof(**names));
	if (!path || !*names) {
		free(path);
		return -ENOMEM;
	}
	d = opendir(path);
	free(path);
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		/* Hidden names are metadata (.zarray) or not Zarr's. */
		if (de->d_name[0] == '.' || !is_dir_entry(dirfd(d), de))
			continue;
		ret = names_add(names, &n, de->d_name);
	}
	closedir(d);
	qsort(*names, n, sizeof(**names), name_cmp);
	return ret;
}

static void local_close(struct zarr_store *s)
{
	free(s->source_root);
	free(s->root);
	free(s);
}

/* A batch one request after the other, through the store's read and
 * size: the local store's, and any store without a batch op of its own. */
static int batch_each(struct zarr_store *s, struct zarr_req *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct zarr_req *q = &reqs[i];

		q->res = 0;
		if (!q->body || q->part)
			q->res = s->ops->size(s, q->key, &q->size);
		if (q->body && !q->res)
			q->res = s->ops->read(s, q->key,
					      !q->at_end ? 0 : q->size - MIN(q->size, q->part),
					      q->part ? q->part : UINT64_MAX,
					      &q->buf, &q->len);
		if (q->res && q->res != -ENOENT)
			return q->res;
	}
	return 0;
}

int zarr_store_batch(struct zarr_store *s, struct zarr_req *reqs, size_t n)
{
	return s->ops->batch ? s->ops->batch(s, reqs, n) : batch_each(s, reqs, n);
}

static const struct zarr_store_ops zarr_store_local = {
	.name = "local",
	.read = local_read,
	.size = local_size,
	.batch = batch_each,
	.list_dirs = local_list_dirs,
	.close = local_close,
};

int zarr_store_open(struct lsio_ctx *ctx, const char *uri,
		    const struct lsio_options *opt, struct zarr_store **store)
{
	struct zarr_store *s;
	size_t n = strlen(uri);

	*store = NULL;
	if (!n)
		return lsio_fail(ctx, -LSIO_EUSAGE, "zarr: an empty store path");
	if (strstr(uri, "://"))
		return zarr_store_remote_open(ctx, uri, opt, store);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->root = strdup(uri))) {
		free(s);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	/* "a.zarr/" and "a.zarr" are one store; "/" stays "/". */
	while (n > 1 && s->root[n - 1] == '/')
		s->root[--n] = 0;
	/* A store that does not resolve fails on its first read, with the
	 * path as the user wrote it. */
	s->source_root = realpath(s->root, NULL);
	s->ops = &zarr_store_local;
	*store = s;
	return 0;
}

size_t zarr_store_top(const char *uri)
{
	const char *p = strstr(uri, "://"), *slash;

	if (!p)
		return 1;
	slash = strchr(p + 3, '/');
	return slash ? (size_t)(slash - uri) : strlen(uri);
}

void zarr_store_close(struct zarr_store *s)
{
	if (s)
		s->ops->close(s);
}

int zarr_store_get(struct zarr_store *s, const char *key, uint8_t **buf,
		   size_t *len)
{
	struct zarr_req q = { .key = key, .body = true };
	int ret = zarr_store_batch(s, &q, 1);

	*buf = q.buf;
	*len = q.len;
	return ret ? ret : q.res;
}

/* Parse what key held as JSON; 0 or -LSIO_EJOB naming key, line and
 * column. */
static int json_of(struct lsio_ctx *ctx, struct zarr_store *s,
		   const char *key, const uint8_t *buf, size_t len, json_t **out)
{
	json_error_t err;

	*out = json_loadb((const char *)buf, len, 0, &err);
	if (!*out)
		return zarr_fail(ctx, -LSIO_EJOB, s, key,
				 "not JSON: line %d column %d: %s", err.line,
				 err.column, err.text);
	return 0;
}

int zarr_store_jsons(struct lsio_ctx *ctx, struct zarr_store *s,
		     const char *const *keys, size_t n, json_t **out)
{
	struct zarr_req q[ZARR_JSONS_MAX] = { { 0 } };
	int ret = n <= ZARR_JSONS_MAX ? 0 : -EINVAL;

	for (size_t i = 0; i < n && !ret; i++) {
		q[i] = (struct zarr_req){ .key = keys[i], .body = true };
		out[i] = NULL;
	}
	if (!ret)
		ret = zarr_store_batch(s, q, n);
	if (ret && !zarr_said(ret))
		ret = zarr_fail(ctx, -LSIO_EJOB, s, keys[0], "cannot read: %s",
				strerror(-ret));
	for (size_t i = 0; i < n; i++) {
		if (!ret && !q[i].res)
			ret = json_of(ctx, s, keys[i], q[i].buf, q[i].len, &out[i]);
		free(q[i].buf);
	}
	for (size_t i = 0; ret && i < n; i++) {
		json_decref(out[i]);
		out[i] = NULL;
	}
	return ret;
}

int zarr_store_json(struct lsio_ctx *ctx, struct zarr_store *s,
		    const char *key, json_t **out)
{
	int ret = zarr_store_jsons(ctx, s, &key, 1, out);

	return ret ? ret : *out ? 0 : -ENOENT;
}
