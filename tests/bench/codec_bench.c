/* SPDX-License-Identifier: MIT */
/*
 * codec_bench.c - single-core decode throughput of one stage, driven
 * through its ops the way a worker runs it (one decoder context, one
 * scratch buffer reused for every chunk), for tests/bench/codecs.sh.
 *
 *   codec_bench gen FILE MIB
 *       write MIB MiB of float32 data: a smooth 2-D field plus noise
 *   codec_bench run STAGE IN OUT [SECONDS]
 *       decode IN with STAGE (JSON, e.g. '"zstd"') again and again for
 *       SECONDS (default 3) in rounds; check once that it gives OUT; print
 *       the fastest round in MB/s of decoded bytes (as zstd -b does)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "stage/stage.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0) {
		rewind(f);
		p = malloc(len ? (size_t)len : 1);
		if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
			free(p);
			p = NULL;
		}
		*n = (size_t)len;
	}
	fclose(f);
	return p;
}

/* A field like a reanalysis temperature (kelvin), 1024 values per row:
 * smooth in both directions plus noise, quantised to 1/256 K as data
 * unpacked from GRIB's 16-bit packing is, so the lowest mantissa bits are
 * zero and the rest are noisy. */
static int gen(const char *path, long mib)
{
	size_t n = (size_t)mib << 18;
	float *a = malloc(n * sizeof(*a));
	uint64_t s = 88172645463325252ull;
	FILE *f = fopen(path, "wb");
	int ret = 1;

	if (!a || !f)
		goto out;
	for (size_t i = 0; i < n; i++) {
		double x = (double)(i % 1024), y = (double)(i / 1024);

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		double v = 280.0 + 15.0 * sin(x * 0.013) * cos(y * 0.021) +
			   3.0 * sin((x + y) * 0.11) +
			   0.1 * ((double)(s >> 11) / 9007199254740992.0 - 0.5);

		a[i] = (float)(floor(v * 256.0 + 0.5) / 256.0);
	}
	ret = fwrite(a, sizeof(*a), n, f) != n;
out:
	if (f && fclose(f))
		ret = 1;
	free(a);
	return ret;
}

static int parse(struct lsio_ctx *ctx, const char *text,
		 struct lsio_chain *chain)
{
	char list[512];
	json_error_t jerr;
	json_t *j;
	int ret;

	snprintf(list, sizeof(list), "[%s]", text);
	j = json_loads(list, 0, &jerr);
	if (!j)
		return lsio_fail(ctx, -LSIO_EJOB, "%s", jerr.text);
	ret = lsio_chain_parse(ctx, "stage", j, chain);
	json_decref(j);
	return ret;
}

/* One decode of in, as a worker calls the stage. */
static int decode(const struct lsio_stage_spec *s, void *state, uint8_t *in,
		  size_t in_len, size_t out_len, struct lsio_scratch *scratch,
		  struct lsio_stage_io *io, char *why, size_t why_cap)
{
	memset(io, 0, sizeof(*io));
	io->params = s->params;
	io->state = state;
	io->in = in;
	io->in_len = in_len;
	io->scratch = scratch;
	io->limit = out_len;
	io->expect = out_len;
	io->why = why;
	io->why_cap = why_cap;
	return s->ops->run(io);
}

static int run(const char *stage, const char *in_path, const char *out_path,
	       double seconds)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_scratch scratch = { NULL, 0, false };
	struct lsio_chain chain;
	struct lsio_stage_io io;
	size_t in_len, out_len;
	uint8_t *in = slurp(in_path, &in_len);
	uint8_t *want = slurp(out_path, &out_len);
	uint8_t *work = malloc(in_len ? in_len : 1);
	const struct lsio_stage_spec *s;
	void *state = NULL;
	double best = 1e30, start = now();
	char why[256] = "";
	long reps;

	if (!ctx || !in || !want || !work || parse(ctx, stage, &chain)) {
		fprintf(stderr, "codec_bench: %s: %s\n", stage,
			ctx ? lsio_ctx_message(ctx) : "out of memory");
		return 1;
	}
	s = &chain.stages[0];
	if (s->ops->state_new)
		state = s->ops->state_new();
	memcpy(work, in, in_len);
	if (decode(s, state, work, in_len, out_len, &scratch, &io, why,
		   sizeof(why)) || io.out_len != out_len ||
	    memcmp(io.out, want, out_len)) {
		fprintf(stderr, "codec_bench: %s: wrong decode: %s\n", stage,
			why);
		return 1;
	}
	/* Rounds of ~0.1 s.  Stages may work in place, so every decode gets
	 * a fresh copy of the input, made before its clock starts (in lsio
	 * the bytes come fresh from a read). */
	reps = MAX(1L, (long)(1e8 / (double)MAX(out_len, (size_t)1)));
	while (now() - start < seconds) {
		double t = 0;

		for (long r = 0; r < reps; r++) {
			double t0;

			memcpy(work, in, in_len);
			t0 = now();
			decode(s, state, work, in_len, out_len, &scratch, &io,
			       why, sizeof(why));
			t += now() - t0;
		}
		best = MIN(best, t / (double)reps);
	}
	printf("%.0f\n", (double)out_len / best / 1e6);
	if (s->ops->state_free)
		s->ops->state_free(state);
	lsio_chain_release(&chain);
	lsio_scratch_release(&scratch);
	lsio_ctx_free(ctx);
	free(in);
	free(want);
	free(work);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], atol(argv[3]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3], argv[4],
			   argc == 6 ? atof(argv[5]) : 3.0);
	fprintf(stderr, "usage: codec_bench gen FILE MIB\n"
			"       codec_bench run STAGE IN OUT [SECONDS]\n");
	return 2;
}
