/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the two halves of lsio_bench share: the data files
 * (bench_files.c) and the workload built and run over them (bench.c).
 */
#ifndef LSIO_BENCH_H
#define LSIO_BENCH_H

#include "internal.h"

/* Where one compressed chunk lies in its file. */
struct lsio_bench_span {
	uint64_t off, len;
};

struct lsio_bench_file {
	char *path;
	/* Compressed files: one span per chunk, from the sidecar index;
	 * NULL for plain files, whose chunks follow from the options. */
	struct lsio_bench_span *spans;
	uint64_t nspans;
};

struct lsio_bench_set {
	struct lsio_bench_file *files;
	uint32_t n;
	uint32_t created;	/* files written (not reused) */
};

/* Chunks of a file of size bytes cut in chunk-sized pieces (the last one
 * may be short). */
static inline uint64_t lsio_bench_chunks_per_file(uint64_t size,
						  uint64_t chunk)
{
	return size / chunk + (size % chunk != 0);
}

/* Make or reuse every file of o under o->dir.  Returns 0 or a negative
 * error with the message set; set is released by the caller either way. */
int lsio_bench_set_prepare(struct lsio_ctx *ctx,
			   const struct lsio_bench_opts *o,
			   struct lsio_bench_set *set);
void lsio_bench_set_release(struct lsio_bench_set *set);

#endif
