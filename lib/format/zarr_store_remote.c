/* SPDX-License-Identifier: MIT */
/*
 * zarr_store_remote.c - a Zarr store behind a URL: http(s)://, s3://, gs://,
 * az://.
 *
 * Every call is a batch of requests through the remote backend's own
 * machinery (io/backend_curl.c): the same URL translation, credentials,
 * headers, response checks and retries as the job's reads, so what the
 * generator can read, the job it writes can read too.  A key's size is a
 * HEAD (404: the key is missing, which Zarr reads as fill value); a read
 * is one GET, ranged when the caller gives a length, else of the rest of
 * the key (no HEAD first: a 404 says "missing" as well), and a batch
 * (sizes, whole keys, a key's first or last bytes, mixed) is one curl
 * multi, every request in flight at once.  Chunks are never sized: the
 * generator writes one GET per chunk and a missing one is a 404 then
 * (size_costs_request).
 *
 * A remote store cannot be listed (no list_dirs): S3 could, plain HTTP
 * cannot, and consolidated metadata (.zmetadata) is how Zarr says what a
 * remote store holds.
 *
 * Failures other than a 404 are reported in the context (URL, HTTP
 * status, the server's words) and returned as lsio's own error codes,
 * which the generator passes on as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarr.h"

struct remote_store {
	struct zarr_store s;	/* first: the ops see a struct zarr_store */
	struct lsio_ctx *ctx;
	int no_sign_request;	/* --no-sign-request, -1 = not given */
	int request_payer;	/* --request-payer, -1 = not given */
	bool missing_403;	/* --missing-403: 403 is a missing key */
};

/* One batch: a job whose sources are the URLs of keys[], and the remote
 * that reaches them. */
struct batch {
	struct lsio_job job;
	struct lsio_source_facts *facts;	/* every source remote */
	struct lsio_remote *r;
};

static void batch_release(struct batch *b)
{
	lsio_remote_free(b->r);
	for (uint32_t i = 0; i < b->job.nsources; i++)
		free(b->job.sources[i].path);
	free(b->job.sources);
	free(b->facts);
	lsio_remote_settings_release(&b->job.storage.remote);
}

static int batch_init(struct remote_store *rs, const char *const *keys,
		      uint32_t n, struct batch *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	lsio_remote_settings_init(&b->job.storage.remote);
	b->job.storage.remote.no_sign_request = rs->no_sign_request;
	b->job.storage.request_payer = rs->request_payer;
	b->job.storage.remote.missing_403 = rs->missing_403;
	b->job.sources = calloc(MAX(n, 1u), sizeof(*b->job.sources));
	b->facts = calloc(MAX(n, 1u), sizeof(*b->facts));
	if (!b->job.sources || !b->facts) {
		batch_release(b);
		return lsio_fail(rs->ctx, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < n; i++) {
		struct lsio_source *src = &b->job.sources[i];

		src->path = zarr_store_source(&rs->s, keys[i]);
		if (!src->path) {
			batch_release(b);
			return lsio_fail(rs->ctx, -ENOMEM, "out of memory");
		}
		b->facts[i].class_id = LSIO_CLASS_REMOTE;
		b->facts[i].size = UINT64_MAX;
		b->job.nsources++;
	}
	ret = lsio_remote_new(rs->ctx, &b->job, b->facts, NULL, &b->r);
	if (ret)
		batch_release(b);
	return ret;
}

static int remote_batch(struct zarr_store *s, struct zarr_req *reqs,
			size_t n);

/* One HEAD: a batch of one size request. */
static int remote_size(struct zarr_store *s, const char *key, uint64_t *size)
{
	struct zarr_req q = { .key = key };
	int ret = remote_batch(s, &q, 1);

	*size = q.size;
	return ret ? ret : q.res;
}

/* A GET of n bytes at off, or (n == UINT64_MAX) of the rest of the object
 * from off: one request either way, no HEAD (a 404 says "missing"). */
static int remote_read(struct zarr_store *s, const char *key, uint64_t off,
		       uint64_t n, uint8_t **buf, size_t *len)
{
	struct remote_store *rs = (struct remote_store *)s;
	struct lsio_io io = { .fd = -1, .file_index = -1, .buf_index = -1,
			      .off = off };
	struct lsio_remote_req rq = { .op = LSIO_REMOTE_RANGE, .io = &io };
	struct batch b;
	int ret;

	*buf = NULL;
	*len = 0;
	if (n == UINT64_MAX) {
		rq = (struct lsio_remote_req){ .op = LSIO_REMOTE_WHOLE, .off = off };
	} else if (n > UINT32_MAX) {	/* a job's reads are at most 4 GiB */
		return lsio_fail(rs->ctx, -LSIO_ETOOBIG,
				 "'%s': %llu bytes is more than one read may be",
				 key, (unsigned long long)n);
	} else if (!(io.buf = malloc(n ? n : 1))) {
		return lsio_fail(rs->ctx, -ENOMEM, "out of memory");
	}
	io.len = (uint32_t)(rq.op == LSIO_REMOTE_RANGE ? n : 0);
	ret = batch_init(rs, &key, 1, &b);
	if (!ret) {
		ret = lsio_remote_batch(b.r, &rq, 1, true);
		batch_release(&b);
	}
	if (ret || rq.res) {
		free(io.buf);
		free(rq.buf);
		return ret ? ret : rq.res;
	}
	*buf = rq.op == LSIO_REMOTE_WHOLE ? rq.buf : io.buf;
	*len = rq.op == LSIO_REMOTE_WHOLE ? rq.len : (size_t)n;
	return 0;
}

/* The remote request for q: a HEAD, a whole GET, or a part of the key -
 * its first bytes (a ranged GET) or its last ("bytes=-N"), no HEAD. */
static int batch_req_of(struct remote_store *rs, struct zarr_req *q,
			struct lsio_remote_req *rq, struct lsio_io *io,
			uint32_t src)
{
	q->buf = NULL;
	rq->source = src;
	rq->op = !q->body ? LSIO_REMOTE_HEAD : !q->part ? LSIO_REMOTE_WHOLE
		 : q->at_end ? LSIO_REMOTE_SUFFIX : LSIO_REMOTE_RANGE;
	if (!q->part || !q->body)
		return 0;
	q->buf = malloc(q->part);
	if (!q->buf)
		return lsio_fail(rs->ctx, -ENOMEM, "out of memory");
	*io = (struct lsio_io){ .buf = q->buf, .len = q->part, .source = src,
				.fd = -1, .file_index = -1, .buf_index = -1 };
	rq->io = io;
	return 0;
}

static void batch_result(struct zarr_req *q, const struct lsio_remote_req *rq,
			 const struct lsio_io *io)
{
	q->res = rq->res;
	if (rq->op == LSIO_REMOTE_WHOLE) {
		q->buf = rq->buf;
		q->len = rq->len;
	} else if (q->body) {
		q->len = rq->res ? 0 : io->len;
	}
	q->size = rq->size;
	if (q->res && q->body) {
		free(q->buf);
		q->buf = NULL;
	}
}

static int remote_batch(struct zarr_store *s, struct zarr_req *reqs,
			size_t n)
{
	struct remote_store *rs = (struct remote_store *)s;
	struct lsio_remote_req *rq;
	struct lsio_io *ios;
	const char **keys;
	struct batch b;
	int ret = 0;

	if (n > UINT32_MAX)
		return -EOVERFLOW;
	rq = calloc(MAX(n, 1), sizeof(*rq));
	keys = calloc(MAX(n, 1), sizeof(*keys));
	ios = calloc(MAX(n, 1), sizeof(*ios));
	if (!rq || !keys || !ios) {
		free(rq);
		free(keys);
		free(ios);
		return lsio_fail(rs->ctx, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !ret; i++) {
		keys[i] = reqs[i].key;
		ret = batch_req_of(rs, &reqs[i], &rq[i], &ios[i], (uint32_t)i);
	}
	if (!ret)
		ret = batch_init(rs, keys, (uint32_t)n, &b);
	if (!ret) {
		ret = lsio_remote_batch(b.r, rq, (uint32_t)n, true);
		for (size_t i = 0; i < n; i++)
			batch_result(&reqs[i], &rq[i], &ios[i]);
		batch_release(&b);
	}
	for (size_t i = 0; ret && i < n; i++) {
		free(reqs[i].buf);
		reqs[i].buf = NULL;
	}
	free(keys);
	free(rq);
	free(ios);
	return ret;
}

/* One batch, one source: the remote's machinery keeps them in flight. */
static int remote_read_ranges(struct zarr_store *s, const char *key,
			      const uint64_t *offs, const uint32_t *lens,
			      uint8_t *const *bufs, uint32_t n)
{
	struct remote_store *rs = (struct remote_store *)s;
	struct lsio_io *ios = calloc(MAX(n, 1u), sizeof(*ios));
	struct batch b;
	int ret;

	if (!ios)
		return lsio_fail(rs->ctx, -ENOMEM, "out of memory");
	ret = batch_init(rs, &key, 1, &b);
	if (ret) {
		free(ios);
		return ret;
	}
	for (uint32_t i = 0; i < n; i++)
		ios[i] = (struct lsio_io){ .buf = bufs[i], .off = offs[i],
					   .len = lens[i], .fd = -1,
					   .file_index = -1, .buf_index = -1 };
	ret = lsio_remote_fetch(b.r, ios, n, NULL);
	batch_release(&b);
	free(ios);
	return ret;
}

static void remote_close(struct zarr_store *s)
{
	free(s->root);
	free(s);
}

static const struct zarr_store_ops zarr_store_remote = {
	.name = "remote",
	.read = remote_read,
	.size = remote_size,
	.size_costs_request = true,
	.batch = remote_batch,
	.read_ranges = remote_read_ranges,
	.list_dirs = NULL,	/* only consolidated metadata lists it */
	.close = remote_close,
};

int zarr_store_remote_open(struct lsio_ctx *ctx, const char *uri,
			   const struct lsio_options *opt,
			   struct zarr_store **store)
{
	struct remote_store *rs = calloc(1, sizeof(*rs));
	size_t n;

	*store = NULL;
	if (!rs || !(rs->s.root = strdup(uri))) {
		free(rs);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	n = strlen(rs->s.root);
	while (n > 1 && rs->s.root[n - 1] == '/')
		rs->s.root[--n] = 0;
	rs->s.ops = &zarr_store_remote;
	rs->ctx = ctx;
	rs->no_sign_request = opt ? opt->no_sign_request : -1;
	rs->request_payer = opt ? opt->request_payer : -1;
	rs->missing_403 = opt && opt->missing_403 > 0;
	*store = &rs->s;
	return 0;
}
