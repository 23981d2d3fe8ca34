/* SPDX-License-Identifier: MIT */
/*
 * backend_curl.c - remote reads (http, https, s3, gs, az) on libcurl multi, one
 * multi handle per worker, over the plan's remote sources (remote.c).
 *
 * Every read is one GET of one range ("Range: bytes=A-B"; S3 never serves
 * several ranges in one response), whose body the write callback copies
 * straight into the engine's buffer, never past its length.  Each response
 * is checked before a byte is kept: 206 with the Content-Range asked for;
 * a 200 (a server that ignores Range) is sliced, with a warning; anything
 * else is retried (429, 5xx, resets, empty replies, stalls) with
 * exponential backoff and full jitter, or fails at once with the server's
 * own words (403 SignatureDoesNotMatch ...).  Retries wait in this backend,
 * not in the engine, so a worker keeps its other reads going meanwhile.
 *
 * Every range of one object must come from one version of it: the first
 * ETag any response carries is pinned for the object, later requests send
 * it as If-Match (a changed object answers 412), and a response with
 * another ETag fails too (a server that ignores If-Match, or requests that
 * were already under way when the pin was set).
 *
 * Each attempt sends a header list of its own, built when it starts and
 * freed when it ends (lsio_remote_headers(), remote_auth.c): the kind's
 * headers, the If-Match, and credentials made per request (the session
 * token of the S3 keys in force, Azure's Shared Key over the request's
 * date and range).
 *
 * The multi handle keeps connections alive between requests (and
 * multiplexes HTTP/2 where the server offers it); the remote class's queue
 * depth caps connections per host and worker.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/remote_state.h"

#define ERRBODY_MAX 2048	/* enough for an S3 <Error> document */
#define POLL_MAX_MS 100		/* reap returns this often to see a stop */
#define MEMORY_WAIT_MS 2	/* a read waiting for memory asks this often */
#define BACKOFF_BASE 0.1	/* seconds: AWS SDKs' base delay */
#define BACKOFF_CAP 20.0	/* seconds: the longest wait between tries */

/* --- one worker's requests ------------------------------------------------- */

struct cdata;

/* One request: a GET of one read's range (or the planner's HEAD), over as
 * many attempts as it takes. */
struct creq {
	CURL *easy;
	struct cdata *d;
	struct lsio_io *io;	/* NULL for a HEAD */
	uint32_t source;
	uint32_t slot;		/* lsio_remote_fetch(): which of its requests */
	uint64_t off, len;
	uint64_t size;		/* HEAD: the object's size */
	int res;		/* HEAD: 0 or the error */
	bool head;
	bool to_end;		/* io->grow: the rest of the object from off */
	bool suffix;		/* the last len bytes */
	bool tail;		/* a HEAD for a suffix read's start: Azure
				 * serves no "bytes=-N" (az_tail()) */
	struct lsio_io own;		/* a batch's whole key: the buffer is ours */
	bool in_multi;		/* an attempt is running */
	uint64_t mem_need;	/* to_end: the engine had no memory for this
				 * many bytes; the request waits for it */
	bool mem_all;		/* ... which are all the object holds */
	bool if_match;		/* this attempt sent If-Match */
	bool renewed;		/* the keys were renewed for it once */
	const struct lsio_creds *keys;	/* this attempt signs with */
	struct curl_slist *hdr;	/* this attempt's headers
				 * (lsio_remote_headers()), ours */

	/* This attempt. */
	struct lsio_http_resp resp;
	enum lsio_http_verdict verdict;
	bool judged;		/* the head of the response was checked */
	bool complete;		/* a sliced 200 gave every byte wanted */
	uint64_t got;		/* bytes of the range received */
	uint64_t skip;		/* 200: bytes to drop before the range */
	uint64_t wire;		/* body bytes received */
	size_t errlen;
	char errbody[ERRBODY_MAX];
	char curl_err[CURL_ERROR_SIZE];
	char why[512];
	char msg[LSIO_MSG_MAX];

	unsigned attempt;	/* tries so far */
	uint64_t first_ns, start_ns, due_ns;
	struct creq *next;	/* free, waiting or ready list */
};

struct cdata {
	struct lsio_worker *w;
	struct lsio_remote *r;
	CURLM *multi;
	struct creq *reqs;
	unsigned nreqs;
	struct creq *free;
	struct creq *waiting;	/* retries, until due_ns */
	struct creq *ready;	/* finished, not yet handed to the engine */
	struct creq **ready_tail;
	unsigned running;	/* handles in the multi */
	uint64_t rng;
	struct host_stats *stats;	/* per host */
};

static uint64_t now_ns(void)
{
	return lsio_now_ns();
}

static void range_text(const struct creq *q, char *buf, size_t cap)
{
	if (q->head)
		snprintf(buf, cap, "HEAD");
	else if (q->suffix)
		snprintf(buf, cap, "bytes=-%llu", (unsigned long long)q->len);
	else if (q->to_end && !q->off)
		snprintf(buf, cap, "GET");	/* no Range: the whole object */
	else if (q->to_end)
		snprintf(buf, cap, "bytes=%llu-", (unsigned long long)q->off);
	else
		snprintf(buf, cap, "bytes=%llu-%llu", (unsigned long long)q->off,
			 (unsigned long long)(q->off + q->len - 1));
}

/* "'s3://b/k' (GET http://host/b/k bytes=0-99): why", the message that
 * names what failed. */
static void req_fail_msg(struct creq *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void req_fail_msg(struct creq *q, const char *fmt, ...)
{
	const char *name = q->d->r->job->sources[q->source].path;
	const char *url = q->d->r->src[q->source].url;
	char range[64], why[700], nbuf[LSIO_MSG_MAX / 4], ubuf[LSIO_MSG_MAX / 4];
	va_list ap;

	/* A SAS's signature is a credential: never in a message. */
	name = lsio_url_redact(name, nbuf, sizeof(nbuf));
	url = lsio_url_redact(url, ubuf, sizeof(ubuf));
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	range_text(q, range, sizeof(range));
	if (strcmp(name, url))
		snprintf(q->msg, sizeof(q->msg), "'%s' (%s %s): %s", name, url,
			 range, why);
	else
		snprintf(q->msg, sizeof(q->msg), "'%s' %s: %s", name, range, why);
}

static void ready_push(struct cdata *d, struct creq *q)
{
	q->next = NULL;
	*d->ready_tail = q;
	d->ready_tail = &q->next;
}

static void req_done(struct cdata *d, struct creq *q, int res)
{
	if (q->io) {
		q->io->res = res < 0 ? res : (int)(q->to_end ? q->got : q->len);
		q->io->msg = res < 0 ? q->msg : NULL;
	}
	q->res = res;
	ready_push(d, q);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct creq *q = arg;

	lsio_http_header(&q->resp, p, size * n);
	return size * n;
}

/* Pin etag for source s, unless a response pinned one first; returns the
 * pin in force, or NULL when out of memory. */
static struct etag_pin *pin_set(struct lsio_remote *r, uint32_t s,
				const char *etag)
{
	struct lsio_remote_src *src = &r->src[s];
	struct etag_pin *pin;

	pthread_mutex_lock(&r->lock);
	pin = atomic_load(&src->pin);
	if (!pin && (pin = calloc(1, sizeof(*pin)))) {
		snprintf(pin->etag, sizeof(pin->etag), "%s", etag);
		/* A weak ETag cannot be named in If-Match: the check stays. */
		pin->strong = lsio_etag_strong(etag);
		atomic_store(&src->pin, pin);
	}
	pthread_mutex_unlock(&r->lock);
	return pin;
}

/* The response comes from the version this run reads, or it fails. */
static void etag_check(struct creq *q)
{
	struct etag_pin *pin = atomic_load(&q->d->r->src[q->source].pin);

	if (!q->resp.etag[0])
		return;		/* nothing to tell versions apart by */
	if (!pin)
		pin = pin_set(q->d->r, q->source, q->resp.etag);
	if (!pin || !strcmp(pin->etag, q->resp.etag))
		return;
	q->verdict = LSIO_HTTP_FAIL;
	snprintf(q->why, sizeof(q->why),
		 "the object changed during the read (ETag %.100s, earlier responses %.100s): run again",
		 q->resp.etag, pin->etag);
}

/* Look at the response's head once, before its first byte is kept. */
static void judge(struct creq *q)
{
	char st[80];

	q->judged = true;
	if (q->head) {
		lsio_http_status_text(&q->resp, st, sizeof(st));
		snprintf(q->why, sizeof(q->why), "%s", st);
		q->verdict = q->resp.status == 200 ? LSIO_HTTP_OK
			   : lsio_http_retryable(q->resp.status) ? LSIO_HTTP_RETRY
			   : LSIO_HTTP_FAIL;
	} else if (q->suffix) {
		q->verdict = lsio_http_judge_suffix(&q->resp, q->len, q->why,
						    sizeof(q->why));
	} else if (q->to_end) {
		q->verdict = lsio_http_judge_rest(&q->resp, q->off, q->why,
						  sizeof(q->why));
	} else {
		q->verdict = lsio_http_judge(&q->resp, q->off, q->len, q->why,
					     sizeof(q->why));
	}
	if (q->resp.status == 412 && q->if_match) {
		lsio_http_status_text(&q->resp, st, sizeof(st));
		snprintf(q->why, sizeof(q->why),
			 "%s: the object changed during the read (it no longer has ETag %.150s): run again",
			 st, atomic_load(&q->d->r->src[q->source].pin)->etag);
	}
	if (q->verdict == LSIO_HTTP_OK || q->verdict == LSIO_HTTP_SLICE)
		etag_check(q);
	if (q->verdict == LSIO_HTTP_SLICE)
		q->skip = q->suffix ? (uint64_t)q->resp.length - q->len : q->off;
}

/* The body of an error, kept for its <Code> and <Message>. */
static size_t keep_error(struct creq *q, const char *p, size_t n)
{
	size_t room = sizeof(q->errbody) - 1 - q->errlen;

	memcpy(q->errbody + q->errlen, p, MIN(n, room));
	q->errlen += MIN(n, room);
	return n <= room ? n : 0;	/* more than an error says: stop */
}

/* The bytes from off to the object's end, when the response says: its
 * Content-Range's total, or a 200's length; 0 when it does not. */
static uint64_t rest_size(const struct creq *q)
{
	const struct lsio_http_resp *r = &q->resp;

	if (r->has_range && r->range_total != UINT64_MAX &&
	    r->range_total > q->off)
		return r->range_total - q->off;
	if (r->status == 200 && r->length >= 0 && (uint64_t)r->length > q->off)
		return (uint64_t)r->length - q->off;
	return 0;
}

/*
 * A read to the object's end: room for bytes more from the engine, all
 * the object's rest at once when its size is known.  Without memory to
 * spare now (-EAGAIN), the attempt stops here and the request waits
 * (mem_need, start_due()) until the engine has it, then starts again:
 * libcurl's pause would keep receiving into its own buffers over HTTP/2.
 */
static bool body_grow(struct creq *q, size_t bytes)
{
	uint64_t rest = rest_size(q), need = MAX(q->got + bytes, rest);
	int ret = q->io->grow(q->io, need, need == rest);

	if (!ret) {
		q->len = q->io->len;
		return true;
	}
	if (ret == -EAGAIN) {
		q->mem_need = need;
		q->mem_all = need == rest;
		return false;
	}
	q->verdict = LSIO_HTTP_FAIL;
	snprintf(q->why, sizeof(q->why), "%s",
		 q->io->msg ? q->io->msg : strerror(-ret));
	return false;
}

/* Bytes of a 200 (skip to the range, keep it, stop after it) or a 206. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct creq *q = arg;
	size_t bytes = size * n, take;

	q->wire += bytes;
	if (!q->judged)
		judge(q);
	if (q->verdict != LSIO_HTTP_OK && q->verdict != LSIO_HTTP_SLICE)
		return keep_error(q, p, bytes);
	if (q->skip) {
		take = (size_t)MIN(q->skip, bytes);
		q->skip -= take;
		p += take;
		bytes -= take;
	}
	/* Room for the whole rest at once, when the response says how much. */
	if (q->to_end && (bytes > q->len - q->got || rest_size(q) > q->len) &&
	    !body_grow(q, bytes))
		return 0;
	take = (size_t)MIN(bytes, q->len - q->got);
	if (q->io)
		memcpy(q->io->buf + q->got, p, take);
	q->got += take;
	if (take == bytes)
		return size * n;
	if (q->verdict == LSIO_HTTP_SLICE) {
		q->complete = true;	/* the rest of the object is not needed */
		return 0;
	}
	q->verdict = LSIO_HTTP_FAIL;
	snprintf(q->why, sizeof(q->why), "the server sent more bytes than its Content-Range said");
	return 0;
}

/* The credentials a kind of source is signed with, NULL for none. */
static struct lsio_creds_entry *keys_of(const struct lsio_remote *r, int kind)
{
	if (kind == LSIO_URL_S3)
		return r->sigv4 ? r->s3_keys : NULL;
	return kind == LSIO_URL_GS ? r->gs_keys : NULL;
}

static void easy_common(struct cdata *d, struct creq *q)
{
	const struct lsio_remote *r = d->r;
	struct lsio_remote_src *s = &r->src[q->source];
	CURL *e = q->easy;
	long secs = (long)ceil(r->timeout);

	lsio_curl.easy_setopt(e, CURLOPT_URL, s->url);
	lsio_curl.easy_setopt(e, CURLOPT_PRIVATE, q);
	lsio_curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	lsio_curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	lsio_curl.easy_setopt(e, CURLOPT_WRITEDATA, q);
	lsio_curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	lsio_curl.easy_setopt(e, CURLOPT_HEADERDATA, q);
	lsio_curl.easy_setopt(e, CURLOPT_ERRORBUFFER, q->curl_err);
	lsio_curl.easy_setopt(e, CURLOPT_HTTPHEADER, q->hdr);
	/* HTTP/2 multiplexes a worker's requests on one connection where a
	 * TLS server offers it: PIPEWAIT makes a request wait for that
	 * connection rather than open its own.  Plain http is HTTP/1.1,
	 * where waiting would queue requests behind one another instead of
	 * opening the connections they need. */
	lsio_curl.easy_setopt(e, CURLOPT_HTTP_VERSION, r->http11
			 ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	lsio_curl.easy_setopt(e, CURLOPT_PIPEWAIT,
			 r->http11 || strncmp(s->url, "https:", 6) ? 0L : 1L);
	lsio_curl.easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	/* A stall, not a slow transfer, is what times a request out. */
	lsio_curl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(r->timeout * 1000));
	lsio_curl.easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	lsio_curl.easy_setopt(e, CURLOPT_LOW_SPEED_TIME, MAX(secs, 1L));
	if (r->cainfo)
		lsio_curl.easy_setopt(e, CURLOPT_CAINFO, r->cainfo);
	if (q->keys && s->kind == LSIO_URL_S3) {
		/* Set apart: an access key may hold a ':' (Swift's
		 * "account:user"), which CURLOPT_USERPWD would split. */
		lsio_curl.easy_setopt(e, CURLOPT_USERNAME, q->keys->access_key);
		lsio_curl.easy_setopt(e, CURLOPT_PASSWORD, q->keys->secret_key);
		lsio_curl.easy_setopt(e, CURLOPT_AWS_SIGV4, r->sigv4);
	}
	/* A signed request must not follow a redirect: its signature names
	 * the original host. */
	lsio_curl.easy_setopt(e, CURLOPT_FOLLOWLOCATION,
			      s->kind != LSIO_URL_S3 && s->kind != LSIO_URL_AZ ? 1L : 0L);
	lsio_curl.easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	if (s->kind == LSIO_URL_HTTP) {
		lsio_curl.easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (r->netrc)
			lsio_curl.easy_setopt(e, CURLOPT_NETRC_FILE, r->netrc);
	}
}

static void attempt_reset(struct creq *q)
{
	q->mem_need = 0;
	lsio_http_resp_reset(&q->resp);
	q->verdict = LSIO_HTTP_FAIL;
	q->judged = q->complete = false;
	q->got = q->skip = q->wire = 0;
	q->errlen = 0;
	q->curl_err[0] = q->why[0] = '\0';
}

/* This attempt's headers, built afresh (a signature names its date). */
static int attempt_headers(struct cdata *d, struct creq *q, const char *range)
{
	const struct lsio_remote *r = d->r;
	char bytes[80];
	int ret;

	lsio_curl.slist_free_all(q->hdr);
	q->hdr = NULL;
	/* The keys in force now: renewed ones bring another token. */
	q->keys = lsio_creds_now(keys_of(r, r->src[q->source].kind));
	snprintf(bytes, sizeof(bytes), "bytes=%s", range ? range : "");
	ret = lsio_remote_headers(r, q->source, q->head ? "HEAD" : "GET",
				  range ? bytes : NULL, q->keys, &q->hdr, q->why,
				  sizeof(q->why));
	q->if_match = false;
	for (struct curl_slist *l = q->hdr; l; l = l->next)
		q->if_match |= !strncasecmp(l->data, "If-Match:", 9);
	return ret;
}

static void attempt_end_headers(struct creq *q)
{
	lsio_curl.slist_free_all(q->hdr);
	q->hdr = NULL;
}

static int attempt_start(struct cdata *d, struct creq *q)
{
	char range[64];
	CURLMcode mc;
	int ret;

	if (!q->easy && !(q->easy = lsio_curl.easy_init()))
		return -ENOMEM;
	attempt_reset(q);
	/* To the end from 0: a plain GET, which an empty object also
	 * answers (S3 refuses "bytes=0-" on one with a 416). */
	if (q->to_end)
		snprintf(range, sizeof(range), "%llu-",
			 (unsigned long long)q->off);
	else if (q->suffix)
		snprintf(range, sizeof(range), "-%llu",
			 (unsigned long long)q->len);
	else
		snprintf(range, sizeof(range), "%llu-%llu",
			 (unsigned long long)q->off,
			 (unsigned long long)(q->off + q->len - 1));
	ret = attempt_headers(d, q, q->head || (q->to_end && !q->off) ? NULL : range);
	if (ret)
		return ret;
	easy_common(d, q);
	if (q->head) {
		lsio_curl.easy_setopt(q->easy, CURLOPT_NOBODY, 1L);
		lsio_curl.easy_setopt(q->easy, CURLOPT_RANGE, NULL);
	} else {
		lsio_curl.easy_setopt(q->easy, CURLOPT_HTTPGET, 1L);
		lsio_curl.easy_setopt(q->easy, CURLOPT_RANGE,
				 q->to_end && !q->off ? NULL : range);
	}
	q->attempt++;
	q->start_ns = now_ns();
	mc = lsio_curl.multi_add_handle(d->multi, q->easy);
	if (mc != CURLM_OK)
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	q->in_multi = true;
	d->running++;
	return 0;
}

/* Start a request (attempt 1); on failure it is ready at once.  Azure
 * takes no suffix range: a suffix read of an Azure source starts with a
 * HEAD (az_tail() then reads the range it ends with). */
static void req_start(struct cdata *d, struct creq *q)
{
	int ret;

	q->first_ns = now_ns();
	q->attempt = 0;
	q->renewed = false;
	q->tail = q->suffix && d->r->src[q->source].kind == LSIO_URL_AZ;
	if (q->tail) {
		q->head = true;
		q->suffix = false;
	}
	ret = attempt_start(d, q);
	if (ret) {
		req_fail_msg(q, "cannot start the request: %s",
			     q->why[0] ? q->why : strerror(-ret));
		req_done(d, q, -LSIO_EBACKEND);
	}
}

/* After the nth failed try: wait and try again, or give up. */
static void retry(struct cdata *d, struct creq *q, const char *why)
{
	const struct lsio_remote *r = d->r;
	uint64_t now = now_ns();
	double delay = q->resp.retry_after >= 0
		? q->resp.retry_after
		: lsio_backoff(q->attempt - 1, BACKOFF_BASE, BACKOFF_CAP, &d->rng);
	double spent = (double)(now - q->first_ns) / 1e9;

	if (q->attempt >= r->attempts || spent + delay > r->deadline) {
		req_fail_msg(q, "%s; gave up after %u attempt%s in %.1f s (%s)",
			     why, q->attempt, q->attempt == 1 ? "" : "s", spent,
			     q->attempt >= r->attempts ? "storage.retry.attempts"
						       : "storage.retry.deadline");
		req_done(d, q, -LSIO_EREMOTE);
		return;
	}
	q->due_ns = now + (uint64_t)(delay * 1e9);
	q->next = d->waiting;
	d->waiting = q;
}

/* Failures worth another try: the connection, not the request, failed. */
static bool curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

/* "HTTP 403 Forbidden: SignatureDoesNotMatch: The request signature ..."
 * (a HEAD has no body: Azure's x-ms-error-code then), and which
 * credentials were refused. */
static void error_text(struct creq *q, char *buf, size_t cap)
{
	char code[96], msg[256], hint[256];
	size_t n;

	lsio_xml_error(q->errbody, q->errlen, code, sizeof(code), msg, sizeof(msg));
	if (!code[0])
		snprintf(code, sizeof(code), "%s", q->resp.ms_error);
	lsio_remote_auth_hint(q->d->r, q->source, q->resp.status, hint, sizeof(hint));
	if (code[0])
		snprintf(buf, cap, "%s: %s%s%s", q->why, code, msg[0] ? ": " : "", msg);
	else
		snprintf(buf, cap, "%s", q->why);
	n = strlen(buf);
	snprintf(buf + n, cap - n, "%s", hint);
}

static void warn_slice(struct cdata *d, struct creq *q)
{
	struct lsio_remote *r = d->r;
	uint32_t h = r->src[q->source].host;

	if (atomic_exchange(&r->warned[h], 1))
		return;
	/* Every part of a split read then costs the object's start again. */
	lsio_warn(r->ctx, "server '%s' ignores Range requests: whole objects are downloaded and sliced (first: '%s'); --split off avoids downloading them once per part",
		  r->hosts[h], r->job->sources[q->source].path);
}

static void account(struct cdata *d, struct creq *q, bool ok)
{
	struct host_stats *hs = &d->stats[d->r->src[q->source].host];
	curl_off_t hdr = 0, first = 0;
	long hsize = 0;

	if (lsio_curl.easy_getinfo(q->easy, CURLINFO_HEADER_SIZE, &hsize) == CURLE_OK)
		hdr = hsize;
	hs->requests++;
	hs->retries += q->attempt > 1;
	hs->bytes += q->wire + (uint64_t)hdr;
	if (ok)
		lsio_latency_add(&hs->lat, now_ns() - q->start_ns);
	if (ok && lsio_curl.easy_getinfo(q->easy, CURLINFO_STARTTRANSFER_TIME_T,
				    &first) == CURLE_OK && first > 0)
		lsio_latency_add(&hs->first_byte, (uint64_t)first * 1000);
}

/* The HEAD of an Azure suffix read answered: read the object's last len
 * bytes as a plain range, pinned to the ETag the HEAD saw. */
static void az_tail(struct cdata *d, struct creq *q)
{
	uint64_t size = (uint64_t)q->resp.length;
	int ret;

	q->head = q->tail = false;
	if (size < q->len) {
		req_fail_msg(q, "the object has %llu bytes, fewer than the %llu asked for at its end",
			     (unsigned long long)size, (unsigned long long)q->len);
		req_done(d, q, -LSIO_EREMOTE);
		return;
	}
	q->off = size - q->len;
	ret = attempt_start(d, q);
	if (ret) {
		req_fail_msg(q, "cannot start the request: %s",
			     q->why[0] ? q->why : strerror(-ret));
		req_done(d, q, -LSIO_EBACKEND);
	}
}

static void finish_ok(struct cdata *d, struct creq *q)
{
	if (q->tail) {
		az_tail(d, q);
		return;
	}
	if (q->head) {
		q->size = (uint64_t)q->resp.length;
		req_done(d, q, 0);
		return;
	}
	if (q->verdict == LSIO_HTTP_SLICE)
		warn_slice(d, q);
	req_done(d, q, 0);
}

/* A refusal the engine may read as "absent" (a chunk's "missing"). */
static int status_errno(int status)
{
	return status == 404 ? -ENOENT : status == 403 ? -EACCES
					  : -LSIO_EREMOTE;
}

/* The attempt stopped for the engine's memory: not a failure, and not
 * one of the request's tries. */
static void memory_wait(struct cdata *d, struct creq *q)
{
	q->attempt--;
	q->due_ns = now_ns();
	q->next = d->waiting;
	d->waiting = q;
}

/* The store refused the credentials as expired (they outlived their
 * expiry, or were revoked early: S3's ExpiredToken, a 401 from GCS):
 * renew them, once per request, and try again at once.  True when the
 * request was put back. */
static bool renew_expired(struct cdata *d, struct creq *q)
{
	int kind = d->r->src[q->source].kind;
	char code[64], msg[8];

	if (!q->keys || q->renewed)
		return false;
	if (kind == LSIO_URL_S3) {
		if (q->resp.status != 400 && q->resp.status != 403)
			return false;
		lsio_xml_error(q->errbody, q->errlen, code, sizeof(code), msg, sizeof(msg));
		if (strcmp(code, "ExpiredToken") && strcmp(code, "TokenRefreshRequired"))
			return false;
	} else if (q->resp.status != 401) {
		return false;
	}
	lsio_creds_stale(keys_of(d->r, kind), q->keys);
	q->renewed = true;
	q->due_ns = now_ns();
	q->next = d->waiting;
	d->waiting = q;
	return true;
}

/* Why the keys could not be renewed, after the server's words. */
static void renew_text(struct cdata *d, struct creq *q, char *text, size_t cap)
{
	char why[LSIO_MSG_MAX / 2];
	size_t n = strlen(text);

	if (q->renewed && n < cap &&
	    lsio_creds_renew_failure(keys_of(d->r, d->r->src[q->source].kind),
				     why, sizeof(why)))
		snprintf(text + n, cap - n, "; renewing the credentials from %s failed: %s",
			 q->keys->from, why);
}

/* A try ended: keep it, try again, or fail. */
static void attempt_end(struct cdata *d, struct creq *q, CURLcode rc)
{
	char text[LSIO_MSG_MAX];

	lsio_curl.multi_remove_handle(d->multi, q->easy);
	attempt_end_headers(q);
	q->in_multi = false;
	d->running--;
	if (!q->judged && q->resp.status)
		judge(q);
	account(d, q, rc == CURLE_OK || q->complete);
	if (q->mem_need && rc == CURLE_WRITE_ERROR) {
		memory_wait(d, q);
		return;
	}
	if (q->complete || (rc == CURLE_OK && (q->verdict == LSIO_HTTP_OK ||
					       q->verdict == LSIO_HTTP_SLICE))) {
		if (q->head && q->resp.length < 0) {
			req_fail_msg(q, "HTTP %d without a Content-Length: the size is unknown",
				     q->resp.status);
			req_done(d, q, -LSIO_EREMOTE);
		} else if (!q->head && !q->to_end && q->got != q->len) {
			req_fail_msg(q, "the object ended after %llu of the %llu bytes asked for",
				     (unsigned long long)q->got, (unsigned long long)q->len);
			req_done(d, q, -LSIO_EREMOTE);
		} else {
			finish_ok(d, q);
		}
		return;
	}
	if ((rc == CURLE_OK || rc == CURLE_WRITE_ERROR) && q->judged &&
	    q->verdict != LSIO_HTTP_OK && q->verdict != LSIO_HTTP_SLICE) {
		if (renew_expired(d, q))
			return;
		error_text(q, text, sizeof(text));
		renew_text(d, q, text, sizeof(text));
		if (q->verdict == LSIO_HTTP_RETRY) {
			retry(d, q, text);
			return;
		}
		req_fail_msg(q, "%s", text);
		req_done(d, q, status_errno(q->resp.status));
		return;
	}
	snprintf(text, sizeof(text), "%s", q->curl_err[0] ? q->curl_err
							   : lsio_curl.easy_strerror(rc));
	if (curl_transient(rc)) {
		retry(d, q, text);
		return;
	}
	req_fail_msg(q, "%s", text);
	req_done(d, q, -LSIO_EREMOTE);
}

/* A request waiting for memory asks the engine again: 0 when it got it,
 * -EAGAIN when not yet (it asks again later), or the read's error. */
static int memory_ask(struct creq *q, uint64_t now)
{
	int ret = q->io->grow(q->io, q->mem_need, q->mem_all);

	if (ret == -EAGAIN) {
		q->due_ns = now + MEMORY_WAIT_MS * 1000000ull;
		return ret;
	}
	if (ret < 0) {
		req_fail_msg(q, "%s", q->io->msg ? q->io->msg : strerror(-ret));
		return ret;
	}
	q->len = q->io->len;
	q->mem_need = 0;
	return 0;
}

static void start_due(struct cdata *d)
{
	uint64_t now = now_ns();
	struct creq **pp = &d->waiting, *q;
	int ret;

	while ((q = *pp)) {
		if (q->due_ns > now ||
		    (q->mem_need && (ret = memory_ask(q, now)) == -EAGAIN)) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		if (q->mem_need) {	/* memory_ask() failed it */
			req_done(d, q, -LSIO_EREMOTE);
			continue;
		}
		ret = attempt_start(d, q);
		if (ret) {
			req_fail_msg(q, "cannot start the request: %s",
				     q->why[0] ? q->why : strerror(-ret));
			req_done(d, q, -LSIO_EBACKEND);
		}
	}
}

/* Let libcurl move every transfer along, then collect the finished. */
static void drive(struct cdata *d)
{
	struct CURLMsg *m;
	int left, still;

	start_due(d);
	lsio_curl.multi_perform(d->multi, &still);
	while ((m = lsio_curl.multi_info_read(d->multi, &left))) {
		struct creq *q = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		lsio_curl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		attempt_end(d, q, m->data.result);
	}
}

/* How long poll may sleep: until the next retry is due, at most cap. */
static int poll_ms(const struct cdata *d, int cap)
{
	uint64_t now = now_ns(), until = UINT64_MAX;

	for (const struct creq *q = d->waiting; q; q = q->next)
		until = MIN(until, q->due_ns);
	if (until == UINT64_MAX)
		return cap;
	if (until <= now)
		return 0;
	return (int)MIN((until - now + 999999) / 1000000, (uint64_t)cap);
}

/* The run is failing: finish every request at once, unread. */
static void abandon(struct cdata *d)
{
	for (struct creq *q; (q = d->waiting);) {
		d->waiting = q->next;
		req_done(d, q, -ECANCELED);
	}
	for (unsigned i = 0; i < d->nreqs && d->running; i++) {
		struct creq *q = &d->reqs[i];

		if (!q->in_multi)
			continue;
		lsio_curl.multi_remove_handle(d->multi, q->easy);
		attempt_end_headers(q);
		q->in_multi = false;
		d->running--;
		req_done(d, q, -ECANCELED);
	}
}

static struct cdata *cdata_new(struct lsio_worker *w, struct lsio_remote *r,
			       unsigned depth)
{
	struct cdata *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->w = w;
	d->r = r;
	d->nreqs = depth;
	d->reqs = calloc(depth, sizeof(*d->reqs));
	d->stats = calloc(MAX(r->nhosts, 1), sizeof(*d->stats));
	d->multi = lsio_curl.multi_init();
	d->ready_tail = &d->ready;
	d->rng = now_ns() ^ ((uint64_t)(w ? w->id + 1 : 0) << 32) ^ (uintptr_t)d;
	if (!d->reqs || !d->stats || !d->multi) {
		if (d->multi)
			lsio_curl.multi_cleanup(d->multi);
		free(d->reqs);
		free(d->stats);
		free(d);
		return NULL;
	}
	lsio_curl.multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)r->depth);
	lsio_curl.multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	for (unsigned i = 0; i < depth; i++) {
		d->reqs[i].d = d;
		d->reqs[i].next = d->free;
		d->free = &d->reqs[i];
	}
	return d;
}

/* Merge this worker's counters into the plan's, then free everything. */
static void cdata_free(struct cdata *d)
{
	struct lsio_remote *r;

	if (!d)
		return;
	r = d->r;
	pthread_mutex_lock(&r->lock);
	for (uint32_t h = 0; h < r->nhosts; h++) {
		r->stats[h].requests += d->stats[h].requests;
		r->stats[h].retries += d->stats[h].retries;
		r->stats[h].bytes += d->stats[h].bytes;
		lsio_latency_merge(&r->stats[h].lat, &d->stats[h].lat);
		lsio_latency_merge(&r->stats[h].first_byte,
				   &d->stats[h].first_byte);
	}
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < d->nreqs; i++) {
		free(d->reqs[i].own.buf);
		if (!d->reqs[i].easy)
			continue;
		lsio_curl.multi_remove_handle(d->multi, d->reqs[i].easy);
		attempt_end_headers(&d->reqs[i]);
		lsio_curl.easy_cleanup(d->reqs[i].easy);
	}
	lsio_curl.multi_cleanup(d->multi);
	free(d->reqs);
	free(d->stats);
	free(d);
}

/* --- the backend ----------------------------------------------------------- */

static int curl_init_worker(struct lsio_worker *w, unsigned depth,
			    uint8_t **bufs, unsigned nbufs, size_t buf_len)
{
	if (!w->remote)
		return -EINVAL;
	w->backend_data = cdata_new(w, w->remote, depth);
	return w->backend_data ? 0 : -ENOMEM;
}

static int curl_queue(struct lsio_worker *w, struct lsio_io *io)
{
	struct cdata *d = w->backend_data;
	struct creq *q = d->free;

	io->msg = NULL;
	if (!io->len) {
		io->res = 0;
		return 1;
	}
	if (!q)
		return -EBUSY;
	d->free = q->next;
	q->io = io;
	q->head = false;
	q->to_end = io->grow != NULL;
	q->suffix = false;
	q->source = io->source;
	q->off = io->off;
	q->len = io->len;
	req_start(d, q);
	return 0;
}

static int curl_submit(struct lsio_worker *w)
{
	drive(w->backend_data);
	return 0;
}

/* Hand finished GETs to the engine; their slots become free. */
static int hand_out(struct cdata *d, struct lsio_io **done, unsigned max)
{
	unsigned n = 0;

	while (d->ready && n < max) {
		struct creq *q = d->ready;

		d->ready = q->next;
		if (!d->ready)
			d->ready_tail = &d->ready;
		done[n++] = q->io;
		q->io = NULL;
		q->next = d->free;
		d->free = q;
	}
	return (int)n;
}

static bool stop_asked(const struct cdata *d)
{
	const struct lsio_worker *w = d->w;

	return lsio_canceled(d->r->ctx) ||
	       (w && w->stop && atomic_load_explicit(w->stop, memory_order_relaxed));
}

static int curl_reap(struct lsio_worker *w, bool wait, struct lsio_io **done,
		     unsigned max)
{
	struct cdata *d = w->backend_data;
	uint64_t t0 = now_ns();
	int budget = w->wait_ms >= 0 ? w->wait_ms : POLL_MAX_MS, n, left;

	for (;;) {
		drive(d);
		if (stop_asked(d))
			abandon(d);
		n = hand_out(d, done, max);
		if (n || !wait)
			return n;
		left = budget - (int)((now_ns() - t0) / 1000000);
		if (left <= 0)
			return 0;
		lsio_curl.multi_poll(d->multi, NULL, 0, (int)poll_ms(d, left), NULL);
	}
}

static void curl_cleanup(struct lsio_worker *w)
{
	cdata_free(w->backend_data);
	w->backend_data = NULL;
}

const struct lsio_backend_ops lsio_backend_curl = {
	.flags = LSIO_BACKEND_REMOTE,
	.name = "curl",
	.init = curl_init_worker,
	.queue = curl_queue,
	.submit = curl_submit,
	.reap = curl_reap,
	.cleanup = curl_cleanup,
};

/* --- the planner's HEADs, and the generators' requests ------------------- */

/* A batch's whole key lands in a buffer of the request's own, doubled as
 * the bytes arrive: indexes and metadata are small, 1 GiB at most. */
static int own_grow(struct lsio_io *io, uint64_t need, bool all)
{
	uint64_t cap = MIN(MAX(MAX((uint64_t)io->len * 2, need), 64u << 10),
			   1u << 30);
	uint8_t *b;

	if (need > cap) {
		io->msg = "more than 1 GiB: too large to read whole";
		return -LSIO_ETOOBIG;
	}
	b = realloc(io->buf, cap);
	if (!b)
		return -ENOMEM;
	io->buf = b;
	io->len = (uint32_t)cap;
	return 0;
}

/* Set q up for reqs[i]. */
static void batch_req(struct creq *q, struct lsio_remote_req *rq, uint32_t i)
{
	q->slot = i;
	q->head = rq->op == LSIO_REMOTE_HEAD;
	q->suffix = rq->op == LSIO_REMOTE_SUFFIX;
	q->io = rq->op == LSIO_REMOTE_RANGE || q->suffix ? rq->io : NULL;
	if (rq->op == LSIO_REMOTE_WHOLE) {
		q->own = (struct lsio_io){ .source = rq->source, .off = rq->off,
					   .fd = -1, .file_index = -1,
					   .buf_index = -1, .grow = own_grow };
		q->io = &q->own;
	}
	q->to_end = q->io && q->io->grow;
	q->source = q->io ? q->io->source : rq->source;
	q->off = q->io ? q->io->off : 0;
	q->len = q->io ? q->io->len : 0;
}

/* A finished request of a batch: its result into reqs[], or the batch's
 * error. */
static int batch_done(struct lsio_remote *r, struct creq *q,
		      struct lsio_remote_req *reqs, bool missing_ok)
{
	struct lsio_remote_req *rq = &reqs[q->slot];

	rq->res = 0;
	if (q->io == &q->own) {
		/* An empty object is a buffer too: found, not missing. */
		rq->buf = q->res ? NULL : q->own.buf ? q->own.buf : malloc(1);
		rq->len = q->res ? 0 : (size_t)q->got;
		if (q->res)
			free(q->own.buf);
		q->own.buf = NULL;
		if (!q->res && !rq->buf)
			return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	}
	if (q->res && missing_ok && (q->resp.status == 404 ||
				     (q->resp.status == 403 && r->missing_403)))
		rq->res = -ENOENT;
	else if (q->res)
		return lsio_fail(r->ctx, -LSIO_EREMOTE, "%s", q->msg);
	else if (q->head)
		rq->size = q->size;
	else if (q->resp.status == 206)
		rq->size = q->resp.range_total;	/* UINT64_MAX: not said */
	else
		rq->size = q->resp.length >= 0 ? (uint64_t)q->resp.length
					       : UINT64_MAX;
	return 0;
}

int lsio_remote_batch(struct lsio_remote *r, struct lsio_remote_req *reqs,
		      uint32_t n, bool missing_ok)
{
	unsigned depth = MIN(n, 128u);
	struct cdata *d;
	uint32_t next = 0, done = 0;
	int ret = n ? lsio_remote_ready(r) : 0;

	if (ret || !n)
		return ret;
	d = cdata_new(NULL, r, depth);
	if (!d)
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	while (done < n && !ret) {
		struct creq *q;

		while (d->free && next < n) {
			struct lsio_remote_req *rq = &reqs[next];

			if (rq->op == LSIO_REMOTE_RANGE && !rq->io->len && !rq->io->grow) {
				rq->io->res = rq->res = 0;	/* nothing to ask for */
				next++;
				done++;
				continue;
			}
			q = d->free;
			d->free = q->next;
			batch_req(q, rq, next++);
			req_start(d, q);
		}
		drive(d);
		while ((q = d->ready)) {
			d->ready = q->next;
			if (!d->ready)
				d->ready_tail = &d->ready;
			done++;
			if (!ret)
				ret = batch_done(r, q, reqs, missing_ok);
			q->io = NULL;
			q->next = d->free;
			d->free = q;
		}
		if (!ret && lsio_canceled(r->ctx))
			ret = lsio_fail(r->ctx, -LSIO_ECANCELED, "interrupted");
		if (done < n && !ret && !d->ready)
			lsio_curl.multi_poll(d->multi, NULL, 0, poll_ms(d, POLL_MAX_MS), NULL);
	}
	cdata_free(d);
	return ret;
}

/* HEADs (ios NULL: the sizes into sizes[]) or the GETs of ios[], as a
 * batch. */
static int remote_batch(struct lsio_remote *r, const uint32_t *srcs,
			struct lsio_io *ios, uint32_t n, int *res,
			uint64_t *sizes)
{
	struct lsio_remote_req *reqs = calloc(MAX(n, 1u), sizeof(*reqs));
	int ret;

	if (!reqs)
		return lsio_fail(r->ctx, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		reqs[i].op = ios ? LSIO_REMOTE_RANGE : LSIO_REMOTE_HEAD;
		reqs[i].io = ios ? &ios[i] : NULL;
		reqs[i].source = ios ? ios[i].source : srcs[i];
	}
	ret = lsio_remote_batch(r, reqs, n, res != NULL);
	for (uint32_t i = 0; !ret && res && i < n; i++)
		res[i] = reqs[i].res;
	for (uint32_t i = 0; !ret && sizes && i < n; i++)
		sizes[i] = reqs[i].size;
	free(reqs);
	return ret;
}

int lsio_remote_stat(struct lsio_remote *r, const uint32_t *srcs, uint32_t n,
		     uint64_t *sizes)
{
	return remote_batch(r, srcs, NULL, n, NULL, sizes);
}

int lsio_remote_fetch(struct lsio_remote *r, struct lsio_io *ios, uint32_t n,
		      int *res)
{
	return remote_batch(r, NULL, ios, n, res, NULL);
}
