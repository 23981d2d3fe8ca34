/* SPDX-License-Identifier: MIT */
/*
 * reduce_state.c - a part's reduction state in a file, so that the parts
 * of a sharded run (--shard K/N) can each reduce their chunks and the last
 * to finish merge them all: a header naming the job (its fingerprint), the
 * part and the state's layout, then the state's arrays as they are in
 * memory.  Written under a temporary name and renamed, so a file that
 * exists is a whole part's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sink/reduce.h"

#define STATE_MAGIC "LSIORED1"

struct state_header {
	char magic[8];
	uint64_t fingerprint;
	uint32_t k, n;
	uint64_t len;		/* elements */
	uint32_t op, arrays;	/* which arrays follow (bits, below) */
};

enum { HAS_N = 1, HAS_SEEN = 2, HAS_A = 4, HAS_M2 = 8, HAS_IA = 16 };

/* The arrays of acc, in file order, with their element sizes. */
struct state_array {
	void *p;
	size_t size;
	uint32_t bit;
};

static unsigned state_arrays(const struct lsio_reduce_acc *acc,
			     struct state_array *out)
{
	struct state_array all[] = {
		{ acc->n, sizeof(*acc->n), HAS_N },
		{ acc->seen, sizeof(*acc->seen), HAS_SEEN },
		{ acc->a, sizeof(*acc->a), HAS_A },
		{ acc->m2, sizeof(*acc->m2), HAS_M2 },
		{ acc->ia, sizeof(*acc->ia), HAS_IA },
	};
	unsigned m = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i].p)
			out[m++] = all[i];
	return m;
}

static struct state_header state_header(uint64_t fp, uint32_t k, uint32_t n,
					const struct lsio_reducer *rd,
					const struct lsio_reduce_acc *acc)
{
	struct state_header h = { .fingerprint = fp, .k = k, .n = n,
				  .len = acc->len, .op = rd->r.op };
	struct state_array arr[5];
	unsigned m = state_arrays(acc, arr);

	memcpy(h.magic, STATE_MAGIC, sizeof(h.magic));
	for (unsigned i = 0; i < m; i++)
		h.arrays |= arr[i].bit;
	return h;
}

static int state_write(int fd, const struct state_header *h,
		       const struct lsio_reduce_acc *acc)
{
	struct state_array arr[5];
	unsigned m = state_arrays(acc, arr);
	int err = lsio_write_all(fd, h, sizeof(*h));

	for (unsigned i = 0; !err && i < m; i++)
		err = lsio_write_all(fd, arr[i].p, arr[i].size * acc->len);
	if (!err && fdatasync(fd))
		err = -errno;
	return err;
}

int lsio_reduce_state_save(const char *path, uint64_t fp, uint32_t k,
			   uint32_t n, const struct lsio_reducer *rd,
			   const struct lsio_reduce_acc *acc)
{
	struct state_header h = state_header(fp, k, n, rd, acc);
	size_t cap = strlen(path) + 8;
	char *tmp = malloc(cap);
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, cap, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	err = fd < 0 ? -errno : state_write(fd, &h, acc);
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

static int read_all(int fd, void *p, size_t len)
{
	while (len) {
		ssize_t got = read(fd, p, len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		p = (char *)p + got;
		len -= (size_t)got;
	}
	return 0;
}

int lsio_reduce_state_load(const char *path, uint64_t fp, uint32_t k,
			   uint32_t n, const struct lsio_reducer *rd,
			   struct lsio_reduce_acc *acc)
{
	struct state_header want = state_header(fp, k, n, rd, acc), have;
	struct state_array arr[5];
	unsigned m = state_arrays(acc, arr);
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = read_all(fd, &have, sizeof(have));
	/* Another job's, or another split of this one: not this part's. */
	if (!err && memcmp(&have, &want, sizeof(have)))
		err = -ENOENT;
	for (unsigned i = 0; !err && i < m; i++)
		err = read_all(fd, arr[i].p, arr[i].size * acc->len);
	close(fd);
	return err;
}
