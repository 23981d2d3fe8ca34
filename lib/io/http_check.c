/* SPDX-License-Identifier: MIT */
/*
 * http_check.c - what an HTTP response to a ranged GET says, and whether
 * its bytes may be kept: the status line and the headers that matter
 * (Content-Range, Content-Length, Content-Type, ETag, Retry-After), a
 * verdict (keep, slice a whole-object 200, retry, fail) with a reason, the
 * <Code> and <Message> of an S3 error body, and the backoff between tries.
 * Pure functions of their input, so tests/unit/test_remote.c replays
 * recorded responses; backend_curl.c feeds them libcurl's header lines.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/curl_load.h"
#include "io/remote.h"

void lsio_http_resp_reset(struct lsio_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->range_total = UINT64_MAX;
	r->length = -1;
	r->retry_after = -1;
}

static bool parse_u64(const char **p, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	v = strtoull(*p, &end, 10);
	if (errno)
		return false;
	*p = end;
	*out = v;
	return true;
}

/* "bytes FIRST-LAST/TOTAL", "bytes *\/TOTAL" or "bytes FIRST-LAST/\*". */
static void content_range(struct lsio_http_resp *r, const char *v)
{
	uint64_t a, b, t;

	if (strncasecmp(v, "bytes", 5))
		return;
	v += 5;
	while (*v == ' ' || *v == '=')
		v++;
	if (*v == '*') {
		v++;
	} else {
		if (!parse_u64(&v, &a) || *v++ != '-' || !parse_u64(&v, &b) || b < a)
			return;
		r->has_range = true;
		r->range_first = a;
		r->range_last = b;
	}
	if (*v++ == '/' && parse_u64(&v, &t))
		r->range_total = t;
}

static void retry_after(struct lsio_http_resp *r, const char *v)
{
	uint64_t secs;
	const char *p = v;
	time_t when;

	if (parse_u64(&p, &secs) && !*p) {
		r->retry_after = (double)MIN(secs, 86400);
		return;
	}
	/* An HTTP-date.  libcurl is loaded when a response arrives; the unit
	 * tests and the fuzzer come here directly, and load it here. */
	if (lsio_curl_load(NULL))
		return;
	when = lsio_curl.getdate(v, NULL);
	if (when != -1)
		r->retry_after = MAX(0.0, difftime(when, time(NULL)));
}

/* "HTTP/1.1 206 Partial Content" or "HTTP/2 206". */
static void status_line(struct lsio_http_resp *r, const char *v)
{
	const char *p = strchr(v, ' ');
	uint64_t st;

	lsio_http_resp_reset(r);
	if (!p)
		return;
	p++;
	if (!parse_u64(&p, &st) || st > 999)
		return;
	r->status = (int)st;
	while (*p == ' ')
		p++;
	snprintf(r->reason, sizeof(r->reason), "%s", p);
}

void lsio_http_header(struct lsio_http_resp *r, const char *line, size_t n)
{
	char buf[1024], *colon, *v;

	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (!strncmp(buf, "HTTP/", 5)) {
		status_line(r, buf);
		return;
	}
	colon = strchr(buf, ':');
	if (!colon)
		return;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = '\0';
	if (!strcasecmp(buf, "content-range")) {
		content_range(r, v);
	} else if (!strcasecmp(buf, "content-length")) {
		uint64_t len;
		const char *p = v;

		if (parse_u64(&p, &len) && !*p && len <= INT64_MAX)
			r->length = (int64_t)len;
	} else if (!strcasecmp(buf, "content-type")) {
		r->multipart = !strncasecmp(v, "multipart/", 10);
	} else if (!strcasecmp(buf, "etag")) {
		snprintf(r->etag, sizeof(r->etag), "%s",
			 strlen(v) < sizeof(r->etag) ? v : "");
	} else if (!strcasecmp(buf, "retry-after")) {
		retry_after(r, v);
	} else if (!strcasecmp(buf, "x-ms-error-code")) {
		snprintf(r->ms_error, sizeof(r->ms_error), "%s", v);
		/* Azure's reason phrase is its error message, a sentence the
		 * body repeats: the status alone is clearer. */
		r->reason[0] = '\0';
	}
}

__attribute__((format(printf, 3, 4)))
static void whyf(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

void lsio_http_status_text(const struct lsio_http_resp *r, char *buf, size_t cap)
{
	whyf(buf, cap, "HTTP %d%s%s", r->status, r->reason[0] ? " " : "",
	     r->reason);
}

static enum lsio_http_verdict judge_206(const struct lsio_http_resp *r,
					uint64_t off, uint64_t len, char *why,
					size_t cap)
{
	uint64_t last = off + len - 1;

	if (r->multipart || !r->has_range) {
		whyf(why, cap, "HTTP 206 %s for one range",
		     r->multipart ? "with several parts" : "without a Content-Range");
		return LSIO_HTTP_FAIL;
	}
	if (r->range_first == off && r->range_last == last)
		return LSIO_HTTP_OK;
	if (r->range_first == off && r->range_total != UINT64_MAX &&
	    r->range_total <= last) {
		whyf(why, cap, "the range ends past the end of the object (%llu bytes)",
		     (unsigned long long)r->range_total);
		return LSIO_HTTP_FAIL;
	}
	whyf(why, cap, "the server sent bytes %llu-%llu, not the range asked for",
	     (unsigned long long)r->range_first,
	     (unsigned long long)r->range_last);
	return LSIO_HTTP_FAIL;
}

bool lsio_etag_strong(const char *etag)
{
	size_t n = strlen(etag);

	return n >= 2 && etag[0] == '"' && etag[n - 1] == '"';
}

bool lsio_http_retryable(int status)
{
	return status == 408 || status == 429 || status == 500 ||
	       status == 502 || status == 503 || status == 504;
}

enum lsio_http_verdict lsio_http_judge(const struct lsio_http_resp *r,
				       uint64_t off, uint64_t len, char *why,
				       size_t cap)
{
	char st[80];

	lsio_http_status_text(r, st, sizeof(st));
	if (r->status == 206)
		return judge_206(r, off, len, why, cap);
	if (r->status == 200) {
		if (r->length >= 0 && (uint64_t)r->length < off + len) {
			whyf(why, cap, "the range ends past the end of the object (%lld bytes)",
			     (long long)r->length);
			return LSIO_HTTP_FAIL;
		}
		return LSIO_HTTP_SLICE;
	}
	if (r->status == 416) {
		if (r->range_total != UINT64_MAX)
			whyf(why, cap, "%s: range not satisfiable: the object has %llu bytes",
			     st, (unsigned long long)r->range_total);
		else
			whyf(why, cap, "%s: range not satisfiable", st);
		return LSIO_HTTP_FAIL;
	}
	whyf(why, cap, "%s", st);
	return lsio_http_retryable(r->status) ? LSIO_HTTP_RETRY : LSIO_HTTP_FAIL;
}

enum lsio_http_verdict lsio_http_judge_suffix(const struct lsio_http_resp *r,
					      uint64_t len, char *why,
					      size_t cap)
{
	uint64_t total = r->status == 206 ? r->range_total
			 : r->length >= 0 ? (uint64_t)r->length : UINT64_MAX;

	if ((r->status == 206 || r->status == 200) && total != UINT64_MAX &&
	    total < len) {
		whyf(why, cap, "the object has %llu bytes, fewer than the %llu asked for at its end",
		     (unsigned long long)total, (unsigned long long)len);
		return LSIO_HTTP_FAIL;
	}
	if (r->status == 206 && !r->multipart && r->has_range &&
	    total != UINT64_MAX && r->range_last + 1 == total &&
	    r->range_last - r->range_first + 1 == len)
		return LSIO_HTTP_OK;
	if (r->status == 206) {
		whyf(why, cap, "HTTP 206 without the last %llu bytes of the object",
		     (unsigned long long)len);
		return LSIO_HTTP_FAIL;
	}
	if (r->status == 200 && total == UINT64_MAX) {
		whyf(why, cap, "HTTP 200 without a Content-Length: where the last %llu bytes start is unknown",
		     (unsigned long long)len);
		return LSIO_HTTP_FAIL;
	}
	if (r->status == 200)
		return LSIO_HTTP_SLICE;
	return lsio_http_judge(r, 0, 1, why, cap);
}

/* A GET of the rest of the object from off ("Range: bytes=OFF-", or none
 * from 0): a 206 must start at off, a 200 is the whole object (sliced when
 * off > 0). */
enum lsio_http_verdict lsio_http_judge_rest(const struct lsio_http_resp *r,
					    uint64_t off, char *why, size_t cap)
{
	if (r->status == 206 && !r->multipart && r->has_range &&
	    r->range_first == off)
		return LSIO_HTTP_OK;
	if (r->status == 200 && r->length >= 0 && (uint64_t)r->length < off) {
		whyf(why, cap, "offset %llu is past the end of the object (%lld bytes)",
		     (unsigned long long)off, (long long)r->length);
		return LSIO_HTTP_FAIL;
	}
	if (r->status == 200)
		return off ? LSIO_HTTP_SLICE : LSIO_HTTP_OK;
	return lsio_http_judge(r, off, 1, why, cap);
}

void lsio_xml_text(const char *body, size_t n, const char *tag, char *out,
		   size_t cap)
{
	char open[32], close[32];
	const char *a, *b;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = memmem(body, n, open, strlen(open));
	if (!a)
		return;
	a += strlen(open);
	b = memmem(a, n - (size_t)(a - body), close, strlen(close));
	if (!b)
		return;
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;
	snprintf(out, cap, "%.*s", (int)(b - a), a);
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

void lsio_xml_error(const char *body, size_t n, char *code, size_t code_cap,
		    char *msg, size_t msg_cap)
{
	char *tail;

	lsio_xml_text(body, n, "Code", code, code_cap);
	lsio_xml_text(body, n, "Message", msg, msg_cap);
	/* Azure's message ends with lines of its request's id and time. */
	tail = strstr(msg, " RequestId:");
	if (tail)
		*tail = '\0';
}

double lsio_backoff(unsigned retry, double base, double cap, uint64_t *rng)
{
	double ceiling = base * ldexp(1.0, (int)MIN(retry, 30u));
	uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15ull;

	/* xorshift64*: a per-worker stream, no lock, no libc state. */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	x *= 2685821657736338717ull;
	return MIN(ceiling, cap) * (double)(x >> 11) / 9007199254740992.0;
}
