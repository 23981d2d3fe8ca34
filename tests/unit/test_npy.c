/* SPDX-License-Identifier: MIT */
/*
 * test_npy.c - .npy headers, byte for byte, then real arrays written by the
 * array sink and read back by numpy itself (np.load), when /usr/bin/python3
 * has numpy.  numpy is the reference: lsio must write what it reads.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

#define PYTHON "/usr/bin/python3"

static struct lsio_dtype dtype(const char *str, uint32_t size)
{
	struct lsio_dtype dt = {
		.order = str[0], .kind = str[1], .size = size,
	};

	snprintf(dt.str, sizeof(dt.str), "%s", str);
	return dt;
}

/* --- headers ---------------------------------------------------------- */

struct header_case {
	const char *descr;
	uint32_t size;
	uint32_t ndim;
	uint64_t shape[4];
	const char *dict;	/* the text before the padding */
};

static const struct header_case header_cases[] = {
	{ "<f4", 4, 2, { 3, 4 },
	  "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" },
	{ "|u1", 1, 1, { 5 },
	  "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }" },
	{ "<f8", 8, 0, { 0 },
	  "{'descr': '<f8', 'fortran_order': False, 'shape': (), }" },
	{ "<M8[ns]", 8, 3, { 2, 3, 4 },
	  "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2, 3, 4), }" },
	{ "|V16", 16, 2, { 0, 5 },
	  "{'descr': '|V16', 'fortran_order': False, 'shape': (0, 5), }" },
	{ ">i8", 8, 4, { UINT64_MAX, 1, 100000, 7 },
	  "{'descr': '>i8', 'fortran_order': False, 'shape': (18446744073709551615, 1, 100000, 7), }" },
};

static void check_header(const struct header_case *c)
{
	struct lsio_dtype dt = dtype(c->descr, c->size);
	char buf[128 + 24 * 4];
	size_t dlen = strlen(c->dict);
	int len = lsio_npy_header(&dt, c->shape, c->ndim, buf, sizeof(buf));
	unsigned hlen;

	CHECK(len > 0 && len % 64 == 0, "%s: length %d", c->dict, len);
	if (len <= 0)
		return;
	hlen = (uint8_t)buf[8] | (unsigned)(uint8_t)buf[9] << 8;
	CHECK(!memcmp(buf, "\x93NUMPY\x01\x00", 8), "%s: magic", c->dict);
	CHECK(hlen + 10 == (unsigned)len, "%s: HEADER_LEN %u", c->dict, hlen);
	CHECK(!memcmp(buf + 10, c->dict, dlen), "%s: got '%.*s'", c->dict,
	      (int)dlen, buf + 10);
	for (int k = 10 + (int)dlen; k < len - 1; k++)
		CHECK(buf[k] == ' ', "%s: padding at %d", c->dict, k);
	CHECK(buf[len - 1] == '\n', "%s: newline", c->dict);
	/* One byte less and it must refuse, not overflow. */
	CHECK(lsio_npy_header(&dt, c->shape, c->ndim, buf, (size_t)len - 1) ==
		      -LSIO_EOUTPUT, "%s: short buffer", c->dict);
}

/* More than 65535 bytes of dict: version 2.0, with a 4-byte length. */
static void check_header_v2(void)
{
	struct lsio_dtype dt = dtype("<f4", 4);
	uint32_t ndim = 25000;
	uint64_t *shape = malloc(ndim * sizeof(*shape));
	size_t cap = 128 + 24 * (size_t)ndim;
	char *buf = malloc(cap);
	uint32_t hlen;
	int len;

	for (uint32_t d = 0; d < ndim; d++)
		shape[d] = 1;
	len = lsio_npy_header(&dt, shape, ndim, buf, cap);
	CHECK(len > 65536 && len % 64 == 0, "v2: length %d", len);
	if (len > 0) {
		hlen = (uint8_t)buf[8] | (uint32_t)(uint8_t)buf[9] << 8 |
		       (uint32_t)(uint8_t)buf[10] << 16 |
		       (uint32_t)(uint8_t)buf[11] << 24;
		CHECK(!memcmp(buf, "\x93NUMPY\x02\x00", 8), "v2: magic");
		CHECK(hlen + 12 == (uint32_t)len, "v2: HEADER_LEN %u", hlen);
		CHECK(!memcmp(buf + 12, "{'descr': '<f4'", 15), "v2: dict");
		CHECK(buf[len - 1] == '\n', "v2: newline");
	}
	free(shape);
	free(buf);
}

/* --- arrays numpy reads ----------------------------------------------- */

/* A job built by hand: the job parser is not this test's subject. */
struct tjob {
	struct lsio_job job;
	struct lsio_source source;
	struct lsio_chunk chunks[4];
	uint64_t tos[LSIO_MAX_DIMS * 4];
	uint64_t boxes[LSIO_BOX_FIELDS * LSIO_MAX_DIMS * 4];
};

static void tjob_init(struct tjob *t, const char *descr, uint32_t size,
		      uint32_t ndim, const uint64_t *shape)
{
	memset(t, 0, sizeof(*t));
	t->source.path = "mem";
	t->job.name = "test";
	t->job.sources = &t->source;
	t->job.nsources = 1;
	t->job.chunks = t->chunks;
	t->job.tos = t->tos;
	t->job.boxes = t->boxes;
	t->job.out.type = LSIO_OUT_ARRAY;
	t->job.out.format = LSIO_FMT_NPY;
	t->job.out.dtype = dtype(descr, size);
	t->job.out.ndim = ndim;
	if (ndim)
		memcpy(t->job.out.shape, shape, ndim * sizeof(*shape));
	else
		t->job.out.shape[0] = 1;	/* as the job parser sets it */
	t->job.out.fill_is_zero = true;
	t->job.to_stride = lsio_place_rank(&t->job.out);
	t->job.box_stride = LSIO_BOX_FIELDS * t->job.to_stride;
}

/* Add a chunk placed whole (from 0, count = shape) at to[], in a box of
 * its own. */
static void tjob_chunk(struct tjob *t, char order, const uint64_t *shape,
		       const uint64_t *to)
{
	uint32_t n = lsio_place_rank(&t->job.out), i = (uint32_t)t->job.nchunks++;
	struct lsio_chunk *c = &t->chunks[i];
	uint64_t *b = t->boxes + i * t->job.box_stride;

	c->box = t->job.nboxes++;
	c->order = order;
	for (uint32_t d = 0; d < n; d++) {
		b[d] = t->job.out.ndim ? shape[d] : 1;
		t->tos[i * n + d] = t->job.out.ndim ? to[d] : 0;
		b[n + d] = 0;		/* from */
		b[2 * n + d] = b[d];	/* count */
		b[3 * n + d] = 1;	/* step */
	}
}

/* Open, put every chunk (chunk 0 through direct() when it can), commit. */
static int tjob_write(struct tjob *t, const char *path,
		      const void *const *data, const size_t *len)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_sink s = { 0 };
	int err = lsio_sink_open(ctx, &t->job, path, &s);

	for (uint64_t i = 0; !err && i < t->job.nchunks; i++) {
		uint8_t *d = s.ops->direct(&s, i, len[i]);

		if (d)
			memcpy(d, data[i], len[i]);
		err = s.ops->put(&s, i, d ? d : data[i], len[i]);
	}
	if (!err)
		err = s.ops->commit(&s);
	CHECK(!err, "writing %s: %s", path, lsio_ctx_message(ctx));
	if (err)
		s.ops->abort(&s);
	s.ops->close(&s);
	lsio_ctx_free(ctx);
	return err;
}

static void write_f4(const char *dir)
{
	uint64_t shape[] = { 3, 4 }, c0[] = { 2, 4 }, to0[] = { 0, 0 };
	uint64_t c1[] = { 1, 2 }, to1[] = { 2, 0 };
	float a[8], b[2] = { 8, 9 }, nan = NAN;
	const void *data[] = { a, b };
	size_t len[] = { sizeof(a), sizeof(b) };
	char path[512];
	struct tjob t;

	for (int k = 0; k < 8; k++)
		a[k] = (float)k;
	tjob_init(&t, "<f4", 4, 2, shape);
	memcpy(t.job.out.fill, &nan, sizeof(nan));
	t.job.out.fill_is_zero = false;
	tjob_chunk(&t, 'C', c0, to0);
	tjob_chunk(&t, 'C', c1, to1);
	snprintf(path, sizeof(path), "%s/f4.npy", dir);
	tjob_write(&t, path, data, len);
}

static void write_i4_big_endian_f_order(const char *dir)
{
	uint64_t shape[] = { 2, 3 }, c0[] = { 2, 2 }, to0[] = { 0, 1 };
	/* F order: column (1, 2) then column (3, 4); big-endian bytes */
	static const uint8_t a[] = {
		0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
	};
	const void *data[] = { a };
	size_t len[] = { sizeof(a) };
	char path[512];
	struct tjob t;

	tjob_init(&t, ">i4", 4, 2, shape);
	memset(t.job.out.fill, 0xff, 4);	/* -1 */
	t.job.out.fill_is_zero = false;
	tjob_chunk(&t, 'F', c0, to0);
	snprintf(path, sizeof(path), "%s/i4.npy", dir);
	tjob_write(&t, path, data, len);
}

static void write_scalar(const char *dir)
{
	double x = 3.5;
	const void *data[] = { &x };
	size_t len[] = { sizeof(x) };
	char path[512];
	struct tjob t;

	tjob_init(&t, "<f8", 8, 0, NULL);
	tjob_chunk(&t, 'C', NULL, NULL);
	snprintf(path, sizeof(path), "%s/scalar.npy", dir);
	tjob_write(&t, path, data, len);
}

static void write_empty(const char *dir)
{
	uint64_t shape[] = { 0, 5 };
	char path[512];
	struct tjob t;

	tjob_init(&t, "<i2", 2, 2, shape);
	snprintf(path, sizeof(path), "%s/empty.npy", dir);
	tjob_write(&t, path, NULL, NULL);
}

static void write_u1_and_m8(const char *dir)
{
	uint64_t shape[] = { 5 }, to[] = { 0 }, mshape[] = { 2 };
	static const uint8_t u[] = { 0, 1, 2, 3, 4 };
	int64_t m[] = { 1000000000, 2000000000 };
	const void *du[] = { u }, *dm[] = { m };
	size_t lu[] = { sizeof(u) }, lm[] = { sizeof(m) };
	char path[512];
	struct tjob t;

	tjob_init(&t, "|u1", 1, 1, shape);
	tjob_chunk(&t, 'C', shape, to);
	snprintf(path, sizeof(path), "%s/u1.npy", dir);
	tjob_write(&t, path, du, lu);

	tjob_init(&t, "<M8[ns]", 8, 1, mshape);
	tjob_chunk(&t, 'C', mshape, to);
	snprintf(path, sizeof(path), "%s/m8.npy", dir);
	tjob_write(&t, path, dm, lm);
}

/* numpy allows 32 dimensions: the longest header lsio writes. */
static void write_32d(const char *dir)
{
	uint64_t shape[LSIO_MAX_DIMS], to[LSIO_MAX_DIMS] = { 0 };
	uint16_t v = 0xbeef;
	const void *data[] = { &v };
	size_t len[] = { sizeof(v) };
	char path[512];
	struct tjob t;

	for (int d = 0; d < LSIO_MAX_DIMS; d++)
		shape[d] = 1;
	tjob_init(&t, "<u2", 2, LSIO_MAX_DIMS, shape);
	tjob_chunk(&t, 'C', shape, to);
	snprintf(path, sizeof(path), "%s/d32.npy", dir);
	tjob_write(&t, path, data, len);
}

static const char numpy_script[] =
	"import sys, numpy as np\n"
	"d = sys.argv[1]\n"
	"a = np.load(d + '/f4.npy')\n"
	"assert a.dtype == np.dtype('<f4') and a.shape == (3, 4), a\n"
	"assert (a[:2] == np.arange(8).reshape(2, 4)).all(), a\n"
	"assert (a[2, :2] == [8, 9]).all() and np.isnan(a[2, 2:]).all(), a\n"
	"a = np.load(d + '/i4.npy')\n"
	"assert a.dtype == np.dtype('>i4') and a.shape == (2, 3), a\n"
	"assert (a == [[-1, 1, 3], [-1, 2, 4]]).all(), a\n"
	"a = np.load(d + '/scalar.npy')\n"
	"assert a.shape == () and a.dtype == np.dtype('<f8') and a == 3.5, a\n"
	"a = np.load(d + '/empty.npy')\n"
	"assert a.shape == (0, 5) and a.dtype == np.dtype('<i2'), a\n"
	"a = np.load(d + '/u1.npy')\n"
	"assert a.dtype == np.uint8 and (a == np.arange(5)).all(), a\n"
	"a = np.load(d + '/m8.npy')\n"
	"assert a.dtype == np.dtype('<M8[ns]'), a.dtype\n"
	"assert (a == np.array([1, 2], dtype='M8[s]')).all(), a\n"
	"a = np.load(d + '/d32.npy')\n"
	"assert a.shape == (1,) * 32 and a.flat[0] == 0xbeef, a\n"
	"m = np.load(d + '/f4.npy', mmap_mode='r')\n"
	"assert m.offset % 64 == 0\n";

static bool have_numpy(void)
{
	if (access(PYTHON, X_OK))
		return false;
	return system(PYTHON " -c 'import numpy' 2>/dev/null") == 0;
}

static void check_numpy(void)
{
	char dir[] = "/tmp/test_npy.XXXXXX", cmd[4096];
	FILE *py;
	int status;

	if (!have_numpy()) {
		UNIT_SKIP_CASE("numpy round trip: no numpy in " PYTHON);
		return;
	}
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp failed");
		return;
	}
	write_f4(dir);
	write_i4_big_endian_f_order(dir);
	write_scalar(dir);
	write_empty(dir);
	write_u1_and_m8(dir);
	write_32d(dir);
	snprintf(cmd, sizeof(cmd), "%s/check.py", dir);
	py = fopen(cmd, "w");
	CHECK(py && fputs(numpy_script, py) >= 0 && !fclose(py), "%s", cmd);
	snprintf(cmd, sizeof(cmd), PYTHON " '%s/check.py' '%s'", dir, dir);
	status = system(cmd);
	CHECK(status == 0, "numpy rejected what lsio wrote (status %d)", status);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "test_npy: could not remove %s\n", dir);
}

int main(void)
{
	for (size_t k = 0; k < ARRAY_SIZE(header_cases); k++)
		check_header(&header_cases[k]);
	check_header_v2();
	check_numpy();
	return unit_done("test_npy");
}
