/* SPDX-License-Identifier: MIT */
/*
 * pagecache.c - is a byte range of a file already in the page cache?
 *
 * --direct auto reads cached ranges buffered (a memory copy, ~10 GiB/s per
 * core here) and the rest with O_DIRECT (cold buffered reads are CPU-bound
 * on page faults, 2-3x slower here).  cachestat(2) (Linux 6.5) answers for
 * a whole range in one call; older kernels get a preadv2(RWF_NOWAIT) probe
 * of the range's first and last byte, which fails with EAGAIN when the page
 * is not cached.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pagecache.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted;
	uint64_t nr_recently_evicted;
};

static atomic_int cachestat_missing;

static bool byte_cached(int fd, uint64_t off)
{
	char c;
	struct iovec iov = { &c, 1 };

	return preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT) >= 0;
}

enum lsio_cached lsio_range_cached(int fd, uint64_t off, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	struct cachestat_range r = { off, len };
	struct cachestat cs;
	uint64_t pages;

	if (!len)
		return LSIO_CACHED_ALL;
	if (!atomic_load(&cachestat_missing)) {
		if (syscall(__NR_cachestat, fd, &r, &cs, 0) == 0) {
			pages = (off + len + page - 1) / page - off / page;
			if (cs.nr_cache >= pages)
				return LSIO_CACHED_ALL;
			return cs.nr_cache ? LSIO_CACHED_SOME : LSIO_CACHED_NONE;
		}
		if (errno == ENOSYS)
			atomic_store(&cachestat_missing, 1);
		else
			return LSIO_CACHED_NONE;
	}
	if (byte_cached(fd, off) && byte_cached(fd, off + len - 1))
		return LSIO_CACHED_ALL;
	return LSIO_CACHED_NONE;
}
