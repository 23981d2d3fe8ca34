/* SPDX-License-Identifier: MIT */
#ifndef LSIO_PAGECACHE_H
#define LSIO_PAGECACHE_H

#include "internal.h"

enum lsio_cached { LSIO_CACHED_NONE, LSIO_CACHED_SOME, LSIO_CACHED_ALL };

/* How much of [off, off + len) of fd is in the page cache. */
enum lsio_cached lsio_range_cached(int fd, uint64_t off, uint64_t len);

#endif
