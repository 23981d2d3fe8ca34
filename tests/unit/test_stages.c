/* SPDX-License-Identifier: MIT */
/*
 * test_stages.c - every codec and filter stage, driven through its ops.
 *
 * Reference data is written at test time by third-party encoders, never by
 * lsio: the zstd, lz4 and gzip tools, and numcodecs (Blosc, LZ4, Zstd,
 * Shuffle, GZip, Zlib) plus numpy and a pure-Python CRC-32C under
 * /usr/bin/python3.  Each fixture NAME.in decodes to NAME.out.  Then each
 * decoder gets hostile input: empty, truncated, bit-flipped, a size claim
 * beyond the limit, output beyond the limit, a wrong expected size.  Fixed
 * scratch buffers are allocated with exactly `limit` bytes, so a write
 * past the limit is caught by AddressSanitizer (run under make asan).
 *
 * A sub-test whose encoder is missing is skipped and reported (one
 * "skip:" line each); the tests that need no encoder still run, so the
 * binary never skips as a whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "stage/stage.h"
#include "unit.h"

#define PYTHON "/usr/bin/python3"

enum tool { T_ZSTD, T_LZ4, T_GZIP, T_PY, T_COUNT };

static const char *const tool_names[T_COUNT] = { "zstd", "lz4", "gzip",
						 PYTHON " with numcodecs" };
static bool tool_ok[T_COUNT];
static char dir[64];

/* Fixture flags. */
#define F_EXPECT 1u	/* decoding needs io->expect (raw lz4 block) */
#define F_CHECKED 2u	/* integrity-checked: a flip never decodes wrong */
#define F_CLAIM 4u	/* a header declares the size: refused up front */
#define F_FILTER 8u	/* a filter: any input of whole elements is valid */

struct fixture {
	const char *name;	/* NAME.in decodes to NAME.out */
	const char *stage;	/* the stage as written in a job */
	enum tool tool;
	unsigned flags;
};

#define LZ4NC "{\"codec\": \"lz4\", \"format\": \"numcodecs\"}"
#define LZ4BLOCK "{\"codec\": \"lz4\", \"format\": \"block\"}"
#define SHUFFLE(data, es)                                                  \
	{ "shuffle-" data "-" es,                                          \
	  "{\"codec\": \"shuffle\", \"elementsize\": " es "}", T_PY,          \
	  F_FILTER }
#define DELTA(t)                                                           \
	{ "delta-" t, "{\"codec\": \"delta\", \"dtype\": \"<" t "\"}", T_PY,     \
	  F_FILTER }
#define BLOSC(name) { "blosc-" name, "\"blosc\"", T_PY, F_CLAIM }
#define PY_CODECS(data)                                                    \
	{ "lz4nc-" data, LZ4NC, T_PY, F_CLAIM },                           \
	{ "lz4block-" data, LZ4BLOCK, T_PY, F_EXPECT },                    \
	{ "zstdnc-" data, "\"zstd\"", T_PY, F_CLAIM },                     \
	{ "gzipnc-" data, "\"gzip\"", T_PY, F_CHECKED },                   \
	{ "zlibnc-" data, "\"zlib\"", T_PY, F_CHECKED }

static const struct fixture fixtures[] = {
	{ "zstd-size", "\"zstd\"", T_ZSTD, F_CHECKED | F_CLAIM },
	{ "zstd-stream", "\"zstd\"", T_ZSTD, F_CHECKED },
	{ "zstd-multi", "\"zstd\"", T_ZSTD, F_CHECKED | F_CLAIM },
	{ "zstd-multi-stream", "\"zstd\"", T_ZSTD, F_CHECKED },
	{ "zstd-empty", "\"zstd\"", T_ZSTD, F_CHECKED },
	{ "zstd-nocheck", "\"zstd\"", T_ZSTD, F_CLAIM },
	{ "lz4-frame", "\"lz4\"", T_LZ4, F_CHECKED },
	{ "lz4-frame-size", "{\"codec\": \"lz4\", \"format\": \"frame\"}",
	  T_LZ4, F_CHECKED | F_CLAIM },
	{ "lz4-frame-linked", "\"lz4\"", T_LZ4, F_CHECKED },
	{ "lz4-frame-multi", "\"lz4\"", T_LZ4, F_CHECKED },
	{ "lz4-frame-nocrc", "\"lz4\"", T_LZ4, 0 },
	{ "gzip", "\"gzip\"", T_GZIP, F_CHECKED },
	{ "gzip-multi", "\"gzip\"", T_GZIP, F_CHECKED },
	{ "gzip-text", "\"gzip\"", T_GZIP, F_CHECKED },
	{ "gzip-empty", "\"gzip\"", T_GZIP, F_CHECKED },
	BLOSC("lz4-noshuffle"), BLOSC("lz4-shuffle"), BLOSC("lz4-bitshuffle"),
	BLOSC("zstd-noshuffle"), BLOSC("zstd-shuffle"),
	BLOSC("zstd-bitshuffle"), BLOSC("blosclz-noshuffle"),
	BLOSC("blosclz-shuffle"), BLOSC("blosclz-bitshuffle"),
	BLOSC("zlib-noshuffle"), BLOSC("zlib-shuffle"),
	BLOSC("zlib-bitshuffle"), BLOSC("f8"), BLOSC("random"),
	BLOSC("text"), BLOSC("empty"),
	PY_CODECS("f32"), PY_CODECS("text"), PY_CODECS("random"),
	SHUFFLE("f32", "2"), SHUFFLE("f32", "3"), SHUFFLE("f32", "8"),
	SHUFFLE("f32", "16"), SHUFFLE("text", "2"), SHUFFLE("text", "4"),
	SHUFFLE("text", "8"), SHUFFLE("text", "16"),
	{ "shuffle-f32-4", "\"shuffle\"", T_PY, F_FILTER },
	{ "bytes-big-i2",
	  "{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 2}",
	  T_PY, F_FILTER },
	{ "bytes-big-f4",
	  "{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 4}",
	  T_PY, F_FILTER },
	{ "bytes-big-f8",
	  "{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 8}",
	  T_PY, F_FILTER },
	{ "bytes-big-u8",
	  "{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 8}",
	  T_PY, F_FILTER },
	{ "bytes-little", "{\"codec\": \"bytes\", \"elementsize\": 4}", T_PY,
	  F_FILTER },
	DELTA("i1"), DELTA("i2"), DELTA("i4"), DELTA("i8"), DELTA("u1"),
	DELTA("u2"), DELTA("u4"), DELTA("u8"), DELTA("f4"), DELTA("f8"),
	{ "crc32c-f32", "\"crc32c\"", T_PY, F_CHECKED },
	{ "crc32c-text", "\"crc32c\"", T_PY, F_CHECKED },
	{ "crc32c-empty", "\"crc32c\"", T_PY, F_CHECKED },
};

/* --- reference data ----------------------------------------------------- */

static const char *const gen_zstd =
	"zstd -q -f f32.bin -o zstd-size.in && cp f32.bin zstd-size.out &&"
	" zstd -q -c < f32.bin > zstd-stream.in && cp f32.bin zstd-stream.out &&"
	" zstd -q -19 -c text.bin > t.zst && cat zstd-size.in t.zst > zstd-multi.in &&"
	" cat f32.bin text.bin > zstd-multi.out &&"
	" zstd -q -c < text.bin > ts.zst &&"
	" cat zstd-stream.in ts.zst zstd-size.in > zstd-multi-stream.in &&"
	" cat f32.bin text.bin f32.bin > zstd-multi-stream.out &&"
	" zstd -q -c empty.bin > zstd-empty.in && cp empty.bin zstd-empty.out &&"
	" zstd -q --no-check -c f32.bin > zstd-nocheck.in &&"
	" cp f32.bin zstd-nocheck.out";

static const char *const gen_lz4 =
	"lz4 -q -c f32.bin > lz4-frame.in && cp f32.bin lz4-frame.out &&"
	" lz4 -q --content-size -c f32.bin > lz4-frame-size.in &&"
	" cp f32.bin lz4-frame-size.out &&"
	" lz4 -q -B4 -BD -BX -c f32.bin > lz4-frame-linked.in &&"
	" cp f32.bin lz4-frame-linked.out &&"
	" lz4 -q -9 -c text.bin > t.lz4 && cat lz4-frame.in t.lz4 > lz4-frame-multi.in &&"
	" cat f32.bin text.bin > lz4-frame-multi.out &&"
	" lz4 -q --no-frame-crc -c text.bin > lz4-frame-nocrc.in &&"
	" cp text.bin lz4-frame-nocrc.out";

static const char *const gen_gzip =
	"gzip -c f32.bin > gzip.in && cp f32.bin gzip.out &&"
	" gzip -1 -c text.bin > t.gz && cat gzip.in t.gz > gzip-multi.in &&"
	" cat f32.bin text.bin > gzip-multi.out &&"
	" gzip -9 -c < text.bin > gzip-text.in && cp text.bin gzip-text.out &&"
	" gzip -c empty.bin > gzip-empty.in && cp empty.bin gzip-empty.out";

static const char *const gen_py =
	"import struct, numpy as np\n"
	"from numcodecs import Blosc, LZ4, Zstd, Shuffle, GZip, Zlib, Delta, blosc\n"
	"blosc.use_threads = False  # threads may reorder blocks: keep runs alike\n"
	"raw = {n: open(n + '.bin', 'rb').read() for n in ('f32', 'text', 'random')}\n"
	"a = np.frombuffer(raw['f32'], dtype='<f4')\n"
	"def put(name, enc, dec):\n"
	"    open(name + '.in', 'wb').write(bytes(enc))\n"
	"    open(name + '.out', 'wb').write(bytes(dec))\n"
	"shuf = (('noshuffle', Blosc.NOSHUFFLE), ('shuffle', Blosc.SHUFFLE),\n"
	"        ('bitshuffle', Blosc.BITSHUFFLE))\n"
	"for c in ('lz4', 'zstd', 'blosclz', 'zlib'):\n"
	"    for s, v in shuf:\n"
	"        put('blosc-%s-%s' % (c, s), Blosc(cname=c, clevel=5, shuffle=v).encode(a), a.tobytes())\n"
	"d = a.astype('<f8')\n"
	"put('blosc-f8', Blosc('lz4', 9, Blosc.SHUFFLE, blocksize=16384).encode(d), d.tobytes())\n"
	"put('blosc-random', Blosc('lz4', 5, Blosc.NOSHUFFLE).encode(np.frombuffer(raw['random'], 'u1')), raw['random'])\n"
	"put('blosc-text', Blosc('zstd', 5, Blosc.BITSHUFFLE).encode(np.frombuffer(raw['text'], 'u1')), raw['text'])\n"
	"put('blosc-empty', Blosc().encode(np.zeros(0, 'u1')), b'')\n"
	"# z5 (zarr_implementations' z5py data) leaves 16 bytes after the frame\n"
	"e = Blosc('zstd', 5, Blosc.SHUFFLE).encode(a) + bytes(range(16))\n"
	"put('blosc-trailing', e, Blosc().decode(e))\n"
	"for n, r in raw.items():\n"
	"    e = LZ4().encode(r)\n"
	"    put('lz4nc-' + n, e, r)\n"
	"    put('lz4block-' + n, e[4:], r)\n"
	"    put('zstdnc-' + n, Zstd(level=3).encode(r), r)\n"
	"    put('gzipnc-' + n, GZip(level=5).encode(r), r)\n"
	"    put('zlibnc-' + n, Zlib(level=5).encode(r), r)\n"
	"for es in (2, 3, 4, 8, 16):\n"
	"    for n in ('f32', 'text'):\n"
	"        r = raw[n][:len(raw[n]) // es * es]\n"
	"        put('shuffle-%s-%d' % (n, es), Shuffle(elementsize=es).encode(r), r)\n"
	"for t in ('i2', 'f4', 'f8', 'u8'):\n"
	"    v = a.astype('<' + t)\n"
	"    put('bytes-big-' + t, v.astype('>' + t).tobytes(), v.tobytes())\n"
	"put('bytes-little', raw['f32'], raw['f32'])\n"
	"for t in ('i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f4', 'f8'):\n"
	"    v = a.astype('<' + t) if t[0] == 'f' else (a * 100).astype('<i8').astype('<' + t)\n"
	"    c = Delta(dtype='<' + t)\n"
	"    e = c.encode(v)\n"
	"    put('delta-' + t, e, c.decode(e))\n"
	"tab = []\n"
	"for i in range(256):\n"
	"    c = i\n"
	"    for _ in range(8):\n"
	"        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1\n"
	"    tab.append(c)\n"
	"def crc32c(b):\n"
	"    c = 0xFFFFFFFF\n"
	"    for x in b:\n"
	"        c = (c >> 8) ^ tab[(c ^ x) & 0xFF]\n"
	"    return c ^ 0xFFFFFFFF\n"
	"assert crc32c(b'123456789') == 0xE3069283\n"
	"for n, r in (('f32', raw['f32']), ('text', raw['text']), ('empty', b'')):\n"
	"    put('crc32c-' + n, r + struct.pack('<I', crc32c(r)), r)\n";

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int write_file(const char *name, const void *p, size_t n)
{
	char path[128];
	FILE *f;
	size_t put;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	put = fwrite(p, 1, n, f);
	return fclose(f) || put != n ? -EIO : 0;
}

/* The raw inputs the encoders compress: a smooth float32 field plus
 * noise (what scientific arrays look like), English-like text of an odd
 * length, incompressible bytes, and nothing. */
static int write_inputs(void)
{
	static const char *const words[] = { "chunk ", "the ", "array ",
		"of ", "float ", "decode ", "in ", "cache ", "and ", "core " };
	static float f32[65536];
	char text[1001];
	uint8_t random[4096];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(f32); i++) {
		double noise = (double)(rng() >> 11) / 9007199254740992.0 - 0.5;

		f32[i] = (float)(280.0 + 10.0 * sin(i % 256 * 0.05) *
				 cos(i / 256 * 0.03) + 0.05 * noise);
	}
	while (n < sizeof(text)) {
		const char *w = words[rng() % ARRAY_SIZE(words)];

		for (; *w && n < sizeof(text); w++)
			text[n++] = *w;
	}
	for (i = 0; i < sizeof(random); i++)
		random[i] = (uint8_t)(rng() >> 56);
	if (write_file("f32.bin", f32, sizeof(f32)) ||
	    write_file("text.bin", text, sizeof(text)) ||
	    write_file("random.bin", random, sizeof(random)) ||
	    write_file("empty.bin", "", 0) ||
	    write_file("gen.py", gen_py, strlen(gen_py)))
		return -1;
	return 0;
}

static int sh(const char *cmd)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "cd '%s' && { %s; }", dir, cmd);
	return system(buf);
}

static void make_references(void)
{
	static const char *const probe[T_COUNT] = {
		"command -v zstd", "command -v lz4", "command -v gzip",
		PYTHON " -c 'import numcodecs, numpy'" };
	static const char *const *const gen[T_COUNT] = { &gen_zstd, &gen_lz4,
							 &gen_gzip, NULL };

	for (int t = 0; t < T_COUNT; t++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1", probe[t]);
		tool_ok[t] = sh(cmd) == 0;
		if (!tool_ok[t]) {
			UNIT_SKIP_CASE("%s fixtures: %s not found",
				       tool_names[t], tool_names[t]);
			continue;
		}
		CHECK(sh(gen[t] ? *gen[t] : PYTHON " gen.py") == 0,
		      "%s could not write the reference data", tool_names[t]);
	}
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "test_stages: could not remove %s\n", dir);
}

static uint8_t *slurp(const char *name, const char *ext, size_t *n)
{
	char path[128];
	uint8_t *p;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	p = malloc(len ? (size_t)len : 1);
	if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* --- driving a stage ---------------------------------------------------- */

/* One decoder context per stage for the whole test, as a worker keeps
 * them: errors on one chunk must not spoil the next. */
static void *states[32];

static void *stage_state(const struct lsio_stage_ops *ops)
{
	for (size_t i = 0; i < lsio_stage_count(); i++)
		if (lsio_stage_at(i) == ops) {
			if (!states[i] && ops->state_new)
				states[i] = ops->state_new();
			return states[i];
		}
	return NULL;
}

static void free_states(void)
{
	for (size_t i = 0; i < lsio_stage_count(); i++)
		if (states[i])
			lsio_stage_at(i)->state_free(states[i]);
}

enum scratch_kind {
	GROW,	/* an empty growable scratch: must stay within the limit */
	FIXED,	/* exactly `limit` bytes that cannot grow: the destination */
};

struct result {
	int ret;
	uint8_t *out;		/* a copy of the output, malloc'd */
	size_t out_len;
	char why[256];
};

static void result_release(struct result *r)
{
	free(r->out);
	r->out = NULL;
}

/* Run spec's stage on a private copy of in (stages may work in place),
 * with exact-size heap buffers so AddressSanitizer sees any overrun. */
static struct result run(const struct lsio_stage_spec *spec, const uint8_t *in,
			 size_t in_len, size_t limit, size_t expect,
			 enum scratch_kind kind)
{
	struct lsio_scratch scratch = { NULL, 0, false };
	struct lsio_stage_io io = { 0 };
	struct result r = { 0 };

	if (kind == FIXED) {
		scratch.p = malloc(limit ? limit : 1);
		scratch.cap = limit;
		scratch.fixed = true;
	}
	io.params = spec->params;
	io.state = stage_state(spec->ops);
	io.in = malloc(in_len ? in_len : 1);
	memcpy(io.in, in, in_len);
	io.in_len = in_len;
	io.scratch = &scratch;
	io.limit = limit;
	io.expect = expect;
	io.why = r.why;
	io.why_cap = sizeof(r.why);
	r.ret = spec->ops->run(&io);
	if (!r.ret) {
		CHECK(io.out_len <= limit, "%s: %zu bytes out, limit %zu",
		      spec->ops->name, io.out_len, limit);
		CHECK(io.out == io.in || io.out == scratch.p || !io.out_len,
		      "%s: output is neither in place nor in the scratch",
		      spec->ops->name);
		r.out = malloc(io.out_len + 1);
		memcpy(r.out, io.out, io.out_len);
		r.out_len = io.out_len;
	} else {
		CHECK(r.ret < 0 && r.why[0], "%s: failure %d without a reason",
		      spec->ops->name, r.ret);
	}
	/* A growable scratch stays near the limit (lsio_scratch_reserve
	 * rounds up by half, for amortised growth). */
	CHECK(kind == FIXED || scratch.cap <= limit + limit / 2,
	      "%s: scratch grew to %zu bytes, limit %zu", spec->ops->name,
	      scratch.cap, limit);
	if (kind == FIXED)
		free(scratch.p);
	else
		lsio_scratch_release(&scratch);
	free(io.in);
	return r;
}

static int parse_stage(struct lsio_ctx *ctx, const char *text,
		       struct lsio_chain *chain)
{
	char list[256];
	json_error_t jerr;
	json_t *j;
	int ret;

	snprintf(list, sizeof(list), "[%s]", text);
	j = json_loads(list, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return -LSIO_EJOB;
	ret = lsio_chain_parse(ctx, "chunks[0].stages", j, chain);
	json_decref(j);
	return ret;
}

/* --- per-fixture checks --------------------------------------------------- */

struct ref {
	const struct fixture *fx;
	const struct lsio_stage_spec *spec;
	const uint8_t *in, *out;
	size_t in_len, out_len;
	size_t expect;		/* what io->expect normally is */
};

static void check_decodes(const struct ref *t)
{
	static const struct {
		enum scratch_kind kind;
		size_t extra;	/* limit = out_len + extra */
	} ways[] = { { GROW, 0 }, { FIXED, 0 }, { GROW, 100000 },
		     { FIXED, 4096 } };

	for (size_t i = 0; i < ARRAY_SIZE(ways); i++)
		for (int e = 0; e < 2; e++) {
			size_t expect = e ? t->out_len : t->expect;
			struct result r = run(t->spec, t->in, t->in_len,
					      t->out_len + ways[i].extra,
					      expect, ways[i].kind);

			CHECK(!r.ret, "%s: way %zu: %s", t->fx->name, i, r.why);
			CHECK(r.ret || (r.out_len == t->out_len &&
					!memcmp(r.out, t->out, r.out_len)),
			      "%s: way %zu: decoded %zu bytes, not the %zu expected",
			      t->fx->name, i, r.out_len, t->out_len);
			result_release(&r);
		}
}

/* Output one byte larger than the limit is refused, and a size that a
 * header declares is refused before decoding. */
static void check_too_big(const struct ref *t)
{
	for (int k = GROW; k <= FIXED && t->out_len; k++) {
		struct result r = run(t->spec, t->in, t->in_len, t->out_len - 1,
				      t->expect, (enum scratch_kind)k);

		CHECK(r.ret == -LSIO_ETOOBIG, "%s: limit %zu: got %d (%s)",
		      t->fx->name, t->out_len - 1, r.ret, r.why);
		CHECK(!(t->fx->flags & F_CLAIM) || strstr(r.why, " declare"),
		      "%s: a declared size was not refused up front: %s",
		      t->fx->name, r.why);
		if (getenv("VERBOSE") && k == FIXED)
			printf("  %s too big: %s\n", t->fx->name, r.why);
		result_release(&r);
	}
}

static void check_wrong_expect(const struct ref *t)
{
	struct result r = run(t->spec, t->in, t->in_len, t->out_len + 1,
			      t->out_len + 1, FIXED);

	CHECK(r.ret == -LSIO_ESIZE || r.ret == -LSIO_EDATA,
	      "%s: expected %zu bytes: got %d (%s)", t->fx->name,
	      t->out_len + 1, r.ret, r.why);
	if (getenv("VERBOSE"))
		printf("  %s wrong size: %s\n", t->fx->name, r.why);
	result_release(&r);
}

static void check_empty(const struct ref *t)
{
	struct result r = run(t->spec, t->in, 0, t->out_len, t->expect, FIXED);

	if (t->fx->flags & F_FILTER)
		CHECK(!r.ret && !r.out_len, "%s: empty: %s", t->fx->name,
		      r.why);
	else
		CHECK(r.ret == -LSIO_EDATA || r.ret == -LSIO_ESIZE,
		      "%s: empty input: got %d (%s)", t->fx->name, r.ret,
		      r.why);
	result_release(&r);
}

static void check_truncated(const struct ref *t)
{
	size_t cuts[16] = { 1, 2, 5, t->in_len / 2, t->in_len - 1,
			    t->in_len - 2, t->in_len - 4, t->in_len - 5 };

	for (size_t i = 8; i < ARRAY_SIZE(cuts); i++)
		cuts[i] = rng() % t->in_len;
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		struct result r;

		if (!cuts[i] || cuts[i] >= t->in_len)
			continue;
		r = run(t->spec, t->in, cuts[i], t->out_len, t->expect, FIXED);
		CHECK(r.ret < 0, "%s: cut to %zu of %zu bytes: decoded %zu",
		      t->fx->name, cuts[i], t->in_len, r.out_len);
		if (getenv("VERBOSE") && i == 4)
			printf("  %s truncated: %s\n", t->fx->name, r.why);
		result_release(&r);
	}
}

/* Flip one bit in the header bytes, the trailer bytes and a few in
 * between: never a crash nor a write past the limit; when the format is
 * checked, never wrong data. */
static void check_flips(const struct ref *t)
{
	uint8_t *in = malloc(t->in_len);
	size_t n = t->in_len, pos, flips = 96;

	/* FLIPS=N for a longer (fuzzing) run. */
	if (getenv("FLIPS"))
		flips = strtoul(getenv("FLIPS"), NULL, 10);
	memcpy(in, t->in, n);
	for (size_t i = 0; i < flips; i++) {
		struct result r;
		uint8_t bit = (uint8_t)(1u << (rng() % 8));

		if (i < 32)
			pos = i % n;
		else if (i < 48)
			pos = n - 1 - (i - 32) % n;
		else
			pos = rng() % n;
		in[pos] ^= bit;
		r = run(t->spec, in, n, t->out_len, t->expect,
			i % 2 ? GROW : FIXED);
		in[pos] ^= bit;
		CHECK(r.ret <= 0, "%s: positive result", t->fx->name);
		CHECK(!(t->fx->flags & F_CHECKED) || r.ret ||
		      (r.out_len == t->out_len &&
		       !memcmp(r.out, t->out, r.out_len)),
		      "%s: bit 0x%02x of byte %zu flipped: wrong data accepted",
		      t->fx->name, bit, pos);
		result_release(&r);
	}
	free(in);
}

static void test_fixture(struct lsio_ctx *ctx, const struct fixture *fx)
{
	struct lsio_chain chain;
	struct ref t = { .fx = fx };
	uint8_t *in, *out;

	if (!tool_ok[fx->tool])
		return;
	in = slurp(fx->name, ".in", &t.in_len);
	out = slurp(fx->name, ".out", &t.out_len);
	CHECK(in && out, "%s: no reference data", fx->name);
	CHECK(!parse_stage(ctx, fx->stage, &chain), "%s: %s", fx->name,
	      lsio_ctx_message(ctx));
	if (in && out && chain.n == 1) {
		t.spec = &chain.stages[0];
		t.in = in;
		t.out = out;
		t.expect = fx->flags & F_EXPECT ? t.out_len : 0;
		check_decodes(&t);
		check_too_big(&t);
		check_wrong_expect(&t);
		check_empty(&t);
		if (!(fx->flags & F_FILTER)) {
			check_truncated(&t);
			check_flips(&t);
		}
		/* The worker's context still works after all that. */
		check_decodes(&t);
		lsio_chain_release(&chain);
	}
	free(in);
	free(out);
}

/* --- crafted headers, parameters, CRC vectors ----------------------------- */

static const struct lsio_stage_spec *spec_of(struct lsio_ctx *ctx,
					     const char *text,
					     struct lsio_chain *chain)
{
	if (parse_stage(ctx, text, chain) || chain->n != 1)
		return NULL;
	return &chain->stages[0];
}

/* Headers that claim more than the limit, patched into real data. */
static void test_claims(struct lsio_ctx *ctx)
{
	struct lsio_chain c1, c2;
	const struct lsio_stage_spec *lz4 = spec_of(ctx, LZ4NC, &c1);
	const struct lsio_stage_spec *blosc = spec_of(ctx, "\"blosc\"", &c2);
	size_t n, m;
	uint8_t *p = slurp("lz4nc-f32", ".in", &n);
	uint8_t *q = slurp("blosc-lz4-shuffle", ".in", &m);
	struct result r;

	if (p && lz4) {
		memset(p, 0xff, 4);
		r = run(lz4, p, n, 1 << 20, 0, FIXED);
		CHECK(r.ret == -LSIO_ETOOBIG, "lz4 claim: %s", r.why);
		result_release(&r);
	}
	if (q && blosc) {
		memcpy(q + 4, "\xf0\xff\xff\x7f", 4);	/* nbytes */
		r = run(blosc, q, m, 1 << 20, 0, GROW);
		CHECK(r.ret == -LSIO_ETOOBIG, "blosc claim: %s", r.why);
		result_release(&r);
		memcpy(q + 12, "\x01\x00\x00\x00", 4);	/* cbytes */
		r = run(blosc, q, m, 1 << 20, 0, GROW);
		CHECK(r.ret == -LSIO_EDATA, "blosc cbytes: %s", r.why);
		result_release(&r);
	}
	free(p);
	free(q);
	lsio_chain_release(&c1);
	lsio_chain_release(&c2);
}

/* Bytes after a complete Blosc frame are ignored, as numcodecs does; a
 * frame cut short is still an error; header sizes are unsigned. */
static void test_blosc_frame(struct lsio_ctx *ctx)
{
	struct lsio_chain c;
	const struct lsio_stage_spec *blosc = spec_of(ctx, "\"blosc\"", &c);
	size_t n, m;
	uint8_t *in = slurp("blosc-trailing", ".in", &n);
	uint8_t *out = slurp("blosc-trailing", ".out", &m);
	struct result r;

	CHECK(in && out && blosc && n > 32, "blosc-trailing: no reference data");
	if (in && out && blosc && n > 32) {
		r = run(blosc, in, n, m, m, FIXED);
		CHECK(!r.ret && r.out_len == m && !memcmp(r.out, out, m),
		      "blosc with 16 trailing bytes: %s", r.why);
		result_release(&r);
		r = run(blosc, in, n - 17, m, m, FIXED);
		CHECK(r.ret == -LSIO_EDATA && strstr(r.why, "truncated"),
		      "blosc frame cut by one byte: %d (%s)", r.ret, r.why);
		result_release(&r);
		memcpy(in + 4, "\x00\x00\x00\xf0", 4);	/* nbytes 0xf0000000 */
		r = run(blosc, in, n - 16, 1 << 20, 0, GROW);
		CHECK(r.ret == -LSIO_ETOOBIG && strstr(r.why, " 4026531840 bytes"),
		      "blosc nbytes >= 2^31: %s", r.why);
		result_release(&r);
	}
	free(in);
	free(out);
	lsio_chain_release(&c);
}

/* liblz4's error names are said in plain words. */
static void test_lz4_words(struct lsio_ctx *ctx)
{
	struct lsio_chain c;
	const struct lsio_stage_spec *lz4 = spec_of(ctx, "\"lz4\"", &c);
	static const uint8_t text[] = "hello, not a frame";
	struct result r;

	CHECK(lz4, "lz4: %s", lsio_ctx_message(ctx));
	if (!lz4)
		return;
	r = run(lz4, text, sizeof(text) - 1, 4096, 0, GROW);
	CHECK(r.ret == -LSIO_EDATA &&
	      strstr(r.why, "not an LZ4 frame at byte 0 (magic number 0x6c6c6568, expected 0x184d2204)") &&
	      !strstr(r.why, "_"),
	      "lz4 on text: %d (%s)", r.ret, r.why);
	result_release(&r);
	lsio_chain_release(&c);
}

/* A flipped stored checksum is a checksum error, not "corrupt data". */
static void test_checksums(struct lsio_ctx *ctx)
{
	static const struct {
		const char *fixture, *stage;
		size_t from_end;	/* where the stored checksum is */
		enum tool tool;
	} v[] = {
		{ "zstd-size", "\"zstd\"", 1, T_ZSTD },
		{ "lz4-frame", "\"lz4\"", 1, T_LZ4 },
		{ "gzip", "\"gzip\"", 8, T_GZIP },
		{ "zlibnc-f32", "\"zlib\"", 1, T_PY },
		{ "crc32c-f32", "\"crc32c\"", 1, T_PY },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct lsio_chain c;
		const struct lsio_stage_spec *s;
		struct result r;
		size_t n;
		uint8_t *p;

		if (!tool_ok[v[i].tool])
			continue;
		p = slurp(v[i].fixture, ".in", &n);
		s = spec_of(ctx, v[i].stage, &c);
		CHECK(p && s && n > v[i].from_end, "%s: no data", v[i].fixture);
		if (p && s && n > v[i].from_end) {
			p[n - v[i].from_end] ^= 0x10;
			r = run(s, p, n, 1 << 20, 0, GROW);
			CHECK(r.ret == -LSIO_ECHECKSUM, "%s: got %d (%s)",
			      v[i].fixture, r.ret, r.why);
			if (getenv("VERBOSE"))
				printf("  %s checksum: %s\n", v[i].fixture,
				       r.why);
			result_release(&r);
		}
		free(p);
		lsio_chain_release(&c);
	}
}

static void test_block_needs_size(struct lsio_ctx *ctx)
{
	struct lsio_chain c;
	const struct lsio_stage_spec *s = spec_of(ctx, LZ4BLOCK, &c);
	struct result r;

	CHECK(s, "lz4 block: %s", lsio_ctx_message(ctx));
	if (!s)
		return;
	r = run(s, (const uint8_t *)"\x10hello", 6, 100, 0, GROW);
	CHECK(r.ret == -LSIO_EJOB && strstr(r.why, "give the chunk a place"),
	      "lz4 block without a size: %d %s", r.ret, r.why);
	result_release(&r);
	lsio_chain_release(&c);
}

static void test_params(struct lsio_ctx *ctx)
{
	static const struct {
		const char *stage, *message;
	} bad[] = {
		{ "{\"codec\": \"lz4\", \"format\": \"blok\"}",
		  "chunks[0].stages[0]: lz4 format must be 'frame', 'numcodecs' or 'block'" },
		{ "{\"codec\": \"lz4\", \"format\": 3}", "lz4 format must be" },
		{ "{\"codec\": \"lz4\", \"fromat\": \"block\"}",
		  "stage 'lz4' has no parameter 'fromat'" },
		{ "{\"codec\": \"shuffle\", \"elementsize\": 0}",
		  "chunks[0].stages[0]: elementsize must be an integer" },
		{ "{\"codec\": \"shuffle\", \"elementsize\": \"4\"}",
		  "elementsize must be" },
		{ "{\"codec\": \"bytes\", \"endian\": \"middle\"}",
		  "bytes endian must be 'little' or 'big'" },
		{ "{\"codec\": \"bytes\", \"elementsize\": 3}",
		  "bytes elementsize must be 1, 2, 4 or 8" },
		{ "{\"codec\": \"bytes\", \"elementsize\": 16}",
		  "elementsize must be an integer from 1 to 8" },
		{ "{\"codec\": \"zstd\", \"level\": 3}",
		  "stage 'zstd' has no parameter 'level'" },
		{ "\"zstandard\"", "unknown stage 'zstandard'" },
		{ "\"delta\"", "delta needs \"dtype\"" },
		{ "{\"codec\": \"delta\", \"dtype\": \"<i4\", \"astype\": \"<i2\"}",
		  "delta astype '<i2' differs from dtype '<i4' (not supported)" },
		{ "{\"codec\": \"delta\", \"dtype\": \">i4\"}",
		  "delta dtype must be a little-endian integer, f4 or f8, not '>i4'" },
		{ "{\"codec\": \"delta\", \"dtype\": \"<c8\"}", "delta dtype must be" },
		{ "{\"codec\": \"delta\", \"dtype\": \"int\"}",
		  "delta dtype: not a numpy dtype" },
	};
	static const char *const good[] = {
		"\"lz4\"", "{\"codec\": \"lz4\", \"format\": \"block\"}",
		"\"shuffle\"", "{\"codec\": \"shuffle\", \"elementsize\": 8}",
		"\"bytes\"", "{\"codec\": \"bytes\", \"endian\": \"little\"}",
		"\"zstd\"", "\"gzip\"", "\"zlib\"", "\"blosc\"", "\"crc32c\"",
		"{\"codec\": \"delta\", \"dtype\": \"<f8\", \"astype\": \"f8\"}",
		"{\"codec\": \"delta\", \"dtype\": \"u1\"}",
	};
	struct lsio_chain c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK(parse_stage(ctx, bad[i].stage, &c) == -LSIO_EJOB &&
		      strstr(lsio_ctx_message(ctx), bad[i].message),
		      "%s: message '%s'", bad[i].stage, lsio_ctx_message(ctx));
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		CHECK(!parse_stage(ctx, good[i], &c), "%s: %s", good[i],
		      lsio_ctx_message(ctx));
		lsio_chain_release(&c);
	}
}

/* Uneven lengths for the filters, whatever the encoders do. */
static void test_filter_lengths(struct lsio_ctx *ctx)
{
	struct lsio_chain c1, c2;
	const struct lsio_stage_spec *shuf = spec_of(ctx, "\"shuffle\"", &c1);
	const struct lsio_stage_spec *bytes = spec_of(ctx,
		"{\"codec\": \"bytes\", \"endian\": \"big\", \"elementsize\": 4}",
		&c2);
	struct result r;

	CHECK(shuf && bytes, "filters: %s", lsio_ctx_message(ctx));
	if (!shuf || !bytes)
		return;
	r = run(shuf, (const uint8_t *)"0123456789", 10, 10, 0, GROW);
	CHECK(r.ret == -LSIO_EDATA, "shuffle of 10 bytes: %s", r.why);
	result_release(&r);
	r = run(bytes, (const uint8_t *)"012345", 6, 6, 0, GROW);
	CHECK(r.ret == -LSIO_EDATA, "bytes of 6: %s", r.why);
	result_release(&r);
	r = run(bytes, (const uint8_t *)"01234567", 8, 8, 0, GROW);
	CHECK(!r.ret && !memcmp(r.out, "32107654", 8), "bytes swap: %s", r.why);
	result_release(&r);
	lsio_chain_release(&c1);
	lsio_chain_release(&c2);
}

static void test_crc32c_vectors(void)
{
	static const struct {
		const char *data;
		size_t len;
		uint32_t crc;
	} v[] = {
		{ "", 0, 0 },
		{ "123456789", 9, 0xe3069283 },
		{ "a", 1, 0xc1d04330 },
		/* RFC 3720, B.4: 32 bytes of zeros, of ones */
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
		  32, 0x8a9136aa },
		{ "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
		  "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
		  32, 0x62a8ab43 },
		{ "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
		  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
		  32, 0x46dd794e },
	};
	bool hw = lsio_crc32c_hw_available();
	uint8_t buf[300];

	if (!hw)
		UNIT_SKIP_CASE("crc32c hardware path: no SSE4.2");
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		CHECK(lsio_crc32c_sw(0, v[i].data, v[i].len) == v[i].crc,
		      "software crc32c of vector %zu", i);
		CHECK(!hw || lsio_crc32c_hw(0, v[i].data, v[i].len) == v[i].crc,
		      "hardware crc32c of vector %zu", i);
		CHECK(lsio_crc32c(0, v[i].data, v[i].len) == v[i].crc,
		      "crc32c of vector %zu", i);
	}
	/* Both paths agree on every length and alignment, and chain. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(rng() >> 40);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n += 7) {
			uint32_t s = lsio_crc32c_sw(0, buf + off, n);

			CHECK(!hw || lsio_crc32c_hw(0, buf + off, n) == s,
			      "crc32c paths differ at %zu+%zu", off, n);
			CHECK(lsio_crc32c_sw(lsio_crc32c_sw(0, buf + off, n / 3),
					     buf + off + n / 3, n - n / 3) == s,
			      "crc32c does not chain at %zu+%zu", off, n);
		}
}

static void test_registry(void)
{
	static const char *const names[] = { "identity", "zstd", "lz4",
		"gzip", "zlib", "blosc", "shuffle", "bytes", "crc32c",
		"delta" };
	static const char keepers[] = "identity shuffle bytes delta";

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct lsio_stage_ops *ops = lsio_stage_find(names[i]);

		CHECK(ops && !strcmp(ops->name, names[i]) && ops->run,
		      "stage '%s' not registered", names[i]);
		/* The engine holds the stage before a size-keeping one to
		 * the final size: only the filters may say so. */
		CHECK(!ops || ops->keeps_size == (strstr(keepers, names[i]) != NULL),
		      "stage '%s': keeps_size is wrong", names[i]);
	}
	CHECK(lsio_stage_count() <= ARRAY_SIZE(states), "states[] too small");
}

int main(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();

	test_registry();
	test_crc32c_vectors();
	test_params(ctx);
	test_block_needs_size(ctx);
	test_lz4_words(ctx);
	test_filter_lengths(ctx);
	strcpy(dir, "/tmp/lsio-test-stages-XXXXXX");
	if (!mkdtemp(dir) || write_inputs()) {
		perror("test_stages: temporary directory");
		return 1;
	}
	make_references();
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		test_fixture(ctx, &fixtures[i]);
	if (tool_ok[T_PY]) {
		test_claims(ctx);
		test_blosc_frame(ctx);
	}
	test_checksums(ctx);
	free_states();
	lsio_ctx_free(ctx);
	if (!getenv("KEEP"))
		remove_dir();
	return unit_done("test_stages");
}
