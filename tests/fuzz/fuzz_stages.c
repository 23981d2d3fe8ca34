/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stages.c - libFuzzer target: every stage decoder, alone and in
 * chains of up to four, driven through its struct lsio_stage_ops as
 * lib/engine/chain.c drives it (no job, no I/O: thousands of runs a
 * second).
 *
 * Input:
 *   byte 0     bits 0-1: stages in the chain - 1; bit 2: the last stage
 *              writes into a fixed buffer of exactly the decoded size (as
 *              into the sink's memory); bits 3-4: the scratch buffers'
 *              capacity before the run (0, 4 KiB, 64 KiB, the decoded
 *              size), as a worker's keep the largest size seen
 *   bytes 1-N  one per stage: an index into variants[] below
 *   3 bytes    the decoded size the placement declares, little-endian,
 *              16 bits of it, 0 = unknown (a files or stdout output)
 *   the rest   the chunk's bytes
 *
 * Scratch and input buffers have exactly the size they claim, so a write
 * past io->limit or a read past the input is caught by AddressSanitizer;
 * every byte a stage says it produced is read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every stage, with the parameters that change how it decodes. */
static const char *const variants[] = {
	"\"identity\"",
	"\"zstd\"",
	"\"lz4\"",
	"{\"codec\": \"lz4\", \"format\": \"numcodecs\"}",
	"{\"codec\": \"lz4\", \"format\": \"block\"}",
	"\"gzip\"",
	"\"zlib\"",
	"\"blosc\"",
	"\"crc32c\"",
	"{\"codec\": \"shuffle\", \"elementsize\": 2}",
	"{\"codec\": \"shuffle\", \"elementsize\": 4}",
	"{\"codec\": \"shuffle\", \"elementsize\": 8}",
	"{\"codec\": \"shuffle\", \"elementsize\": 3}",
	"{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 2}",
	"{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 4}",
	"{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 8}",
	"{\"codec\": \"bytes\", \"endian\": \"little\", \"elementsize\": 4}",
	"{\"codec\": \"delta\", \"dtype\": \"<i1\"}",
	"{\"codec\": \"delta\", \"dtype\": \"<i2\"}",
	"{\"codec\": \"delta\", \"dtype\": \"<i4\"}",
	"{\"codec\": \"delta\", \"dtype\": \"<i8\"}",
	"{\"codec\": \"delta\", \"dtype\": \"<u2\", \"astype\": \"<u2\"}",
	"{\"codec\": \"delta\", \"dtype\": \"<f4\"}",
	"{\"codec\": \"delta\", \"dtype\": \"<f8\"}",
	"{\"codec\": \"grib2\", \"dtype\": \"<f4\"}",
	"{\"codec\": \"grib2\", \"dtype\": \"<f8\", \"field\": 2}",
	"\"grib2_check\"",
};

#define NVARIANTS ARRAY_SIZE(variants)
#define MAX_STAGES 4
/* chain.c allows 4 GiB when no size is declared, and 1 MiB more than twice
 * the size to a stage before the last.  The bounds work alike at any size,
 * and under AddressSanitizer a large buffer costs an mmap per run, so here
 * sizes are small: declared up to 64 KiB, else bounded at 256 KiB. */
#define MAX_WANT (((size_t)1 << 16) - 1)
#define MAX_DECODED ((size_t)256 << 10)
#define SLACK ((size_t)64 << 10)

static struct lsio_chain chains[NVARIANTS];	/* one stage each */
static volatile uint8_t sink;	/* outputs are read into it */
static bool verbose;	/* LSIO_FUZZ_VERBOSE=1: say what each stage did */
static void *states[NVARIANTS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct lsio_ctx *ctx = lsio_ctx_new();

	verbose = getenv("LSIO_FUZZ_VERBOSE") != NULL;
	for (size_t i = 0; i < NVARIANTS; i++) {
		char text[256];
		json_t *list;
		const struct lsio_stage_ops *ops;

		snprintf(text, sizeof(text), "[%s]", variants[i]);
		list = json_loads(text, 0, NULL);
		if (!list || lsio_chain_parse(ctx, "variants", list, &chains[i]))
			abort();	/* the table above is wrong */
		json_decref(list);
		/* Decoder contexts live as long as a worker: reused. */
		ops = chains[i].stages[0].ops;
		states[i] = ops->state_new ? ops->state_new() : NULL;
	}
	lsio_ctx_free(ctx);
	return 0;
}

/* As chain.c: may a stage before the last produce a little more? */
static size_t intermediate_limit(size_t want)
{
	if (!want || want > MAX_DECODED / 2)
		return MAX_DECODED;
	return 2 * want + SLACK;
}

static bool size_known_after(const uint8_t *idx, uint32_t n, uint32_t k)
{
	for (uint32_t j = k + 1; j < n; j++)
		if (!chains[idx[j]].stages[0].ops->keeps_size)
			return false;
	return true;
}

/* Read every byte the stage says it produced, and check its promises. */
static void check_output(const struct lsio_stage_io *io)
{
	if (io->out_len && !io->out)
		abort();
	/* Passing the input through (identity) writes nothing; the chain
	 * checks the final size.  Whatever was written respects the limit. */
	if (io->out != io->in && io->out_len > io->limit)
		abort();
	if (io->scratch->fixed && io->out != io->in &&
	    io->out_len > io->scratch->cap)
		abort();
	for (size_t i = 0; i < io->out_len; i++)
		sink ^= io->out[i];
}

struct run {
	const uint8_t *idx;
	uint32_t n;
	size_t want;
	bool fixed_dest;
	struct lsio_scratch scratch[2];
	struct lsio_scratch dest;
};

static int run_chain(struct run *r, uint8_t *p, size_t len)
{
	char why[256];

	for (uint32_t k = 0; k < r->n; k++) {
		const struct lsio_stage_spec *spec = &chains[r->idx[k]].stages[0];
		bool last = k + 1 == r->n;
		bool exact = r->want && size_known_after(r->idx, r->n, k);
		struct lsio_stage_io io = {
			.params = spec->params,
			.state = states[r->idx[k]],
			.in = p,
			.in_len = len,
			.limit = exact ? r->want : intermediate_limit(r->want),
			.expect = exact ? r->want : 0,
			.why = why,
			.why_cap = sizeof(why),
		};
		int ret;

		/* Never the buffer being read: a stage must not read what it
		 * writes (chain.c's ping-pong). */
		if (last && r->fixed_dest)
			io.scratch = &r->dest;
		else
			io.scratch = p == r->scratch[0].p ? &r->scratch[1]
							  : &r->scratch[0];
		why[0] = '\0';
		ret = spec->ops->run(&io);
		if (verbose)
			fprintf(stderr, "stage %u '%s': %d %s: %zu bytes\n", k + 1,
				spec->ops->name, ret, why, ret ? 0 : io.out_len);
		if (ret)
			return ret;
		check_output(&io);
		p = io.out;
		len = io.out_len;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 4096, 65536, 0 };
	uint8_t idx[MAX_STAGES], *in;
	struct run r = { .idx = idx };
	size_t head, len, cap;

	if (size < 1)
		return 0;
	r.n = 1 + (data[0] & 3);
	head = 1 + r.n + 3;
	if (size < head)
		return 0;
	for (uint32_t k = 0; k < r.n; k++)
		idx[k] = data[1 + k] % NVARIANTS;
	r.want = (data[1 + r.n] | data[2 + r.n] << 8 |
		  (size_t)data[3 + r.n] << 16) & MAX_WANT;
	r.fixed_dest = r.want && (data[0] & 4);
	cap = (data[0] >> 3 & 3) == 3 ? r.want : caps[data[0] >> 3 & 3];
	len = size - head;
	/* Exactly len bytes, writable: stages may work in place. */
	in = malloc(len ? len : 1);
	if (!in)
		return 0;
	memcpy(in, data + head, len);
	if (cap && (lsio_scratch_reserve(&r.scratch[0], cap) ||
		    lsio_scratch_reserve(&r.scratch[1], cap)))
		goto out;
	if (r.fixed_dest) {
		r.dest.p = malloc(r.want);
		r.dest.cap = r.want;
		r.dest.fixed = true;
		if (!r.dest.p)
			goto out;
	}
	run_chain(&r, in, len);
out:
	free(r.dest.p);
	lsio_scratch_release(&r.scratch[0]);
	lsio_scratch_release(&r.scratch[1]);
	free(in);
	return 0;
}
