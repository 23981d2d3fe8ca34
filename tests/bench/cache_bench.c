/* SPDX-License-Identifier: MIT */
/*
 * cache_bench.c - the cache effect behind lsio's design, measured.
 *
 * N zstd-compressed chunks of float32 data sit in one file (warm in the
 * page cache).  Two ways to decode them all, one core each:
 *   in-cache:  read a chunk, decode it at once (what lsio's workers do):
 *              the compressed bytes are still in L1/L2 when the decoder
 *              reads them, and both buffers are reused.
 *   two-pass:  read every chunk into memory, then decode them all in a
 *              second pass into one big output (read everything, then
 *              process): every byte makes an extra round trip to RAM.
 * Usage: cache_bench gen FILE CHUNKS | cache_bench run FILE CHUNKS ROUNDS
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#define CHUNK (1u << 20)	/* decoded bytes per chunk */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A smooth field plus noise, quantised: compresses like real model output. */
static void field(float *f, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		f[i] = (float)(280.0 + 15.0 * __builtin_sin((double)i / 4000.0) +
			       (double)((seed >> 16) & 0xff) / 256.0);
	}
}

static int gen(const char *path, unsigned chunks)
{
	FILE *out = fopen(path, "wb"), *idx;
	char idx_path[4096];
	float *f = malloc(CHUNK);
	size_t cap = ZSTD_compressBound(CHUNK);
	void *z = malloc(cap);

	snprintf(idx_path, sizeof(idx_path), "%s.idx", path);
	idx = fopen(idx_path, "w");
	if (!out || !idx || !f || !z)
		return 1;
	for (unsigned c = 0; c < chunks; c++) {
		size_t n;

		field(f, CHUNK / sizeof(float), c + 1);
		n = ZSTD_compress(z, cap, f, CHUNK, 3);
		if (ZSTD_isError(n) || fwrite(z, 1, n, out) != n)
			return 1;
		fprintf(idx, "%zu\n", n);
	}
	fclose(idx);
	return fclose(out) ? 1 : 0;
}

static size_t *load_index(const char *path, unsigned chunks, size_t *total)
{
	char idx_path[4096];
	size_t *len = calloc(chunks, sizeof(*len));
	FILE *idx;

	snprintf(idx_path, sizeof(idx_path), "%s.idx", path);
	idx = fopen(idx_path, "r");
	*total = 0;
	for (unsigned c = 0; idx && c < chunks; c++) {
		if (fscanf(idx, "%zu", &len[c]) != 1)
			return NULL;
		*total += len[c];
	}
	if (idx)
		fclose(idx);
	return idx ? len : NULL;
}

static double in_cache(int fd, const size_t *len, unsigned chunks,
		       ZSTD_DCtx *dctx, uint8_t *in, uint8_t *out)
{
	double t0 = now();
	off_t off = 0;

	for (unsigned c = 0; c < chunks; c++) {
		if (pread(fd, in, len[c], off) != (ssize_t)len[c] ||
		    ZSTD_decompressDCtx(dctx, out, CHUNK, in, len[c]) != CHUNK)
			return -1;
		off += (off_t)len[c];
	}
	return now() - t0;
}

static double two_pass(int fd, const size_t *len, unsigned chunks,
		       size_t total, ZSTD_DCtx *dctx, uint8_t *all_in,
		       uint8_t *all_out)
{
	double t0 = now();
	size_t off = 0;

	if (pread(fd, all_in, total, 0) != (ssize_t)total)
		return -1;
	for (unsigned c = 0; c < chunks; c++) {
		if (ZSTD_decompressDCtx(dctx, all_out + (size_t)c * CHUNK, CHUNK,
					all_in + off, len[c]) != CHUNK)
			return -1;
		off += len[c];
	}
	return now() - t0;
}

static int run(const char *path, unsigned chunks, unsigned rounds)
{
	size_t total, *len = load_index(path, chunks, &total);
	int fd = open(path, O_RDONLY);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	uint8_t *in = malloc(ZSTD_compressBound(CHUNK)), *out = malloc(CHUNK);
	uint8_t *all_in = malloc(total), *all_out = malloc((size_t)chunks * CHUNK);
	double best_a = 1e9, best_b = 1e9, gib = (double)chunks * CHUNK / (1u << 30);

	if (!len || fd < 0 || !in || !out || !all_in || !all_out)
		return 1;
	/* Fault every page in once: both sides then reuse warm memory. */
	memset(all_in, 0, total);
	memset(all_out, 0, (size_t)chunks * CHUNK);
	for (unsigned r = 0; r < rounds; r++) {	/* alternate the two */
		double a = in_cache(fd, len, chunks, dctx, in, out);
		double b = two_pass(fd, len, chunks, total, dctx, all_in, all_out);

		if (a < 0 || b < 0)
			return 1;
		best_a = a < best_a ? a : best_a;
		best_b = b < best_b ? b : best_b;
	}
	printf("in-cache %.3f GiB/s  two-pass %.3f GiB/s  ratio %.2f\n",
	       gib / best_a, gib / best_b, best_b / best_a);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "run"))
		return run(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	fprintf(stderr, "usage: cache_bench gen FILE CHUNKS | run FILE CHUNKS ROUNDS\n");
	return 2;
}
