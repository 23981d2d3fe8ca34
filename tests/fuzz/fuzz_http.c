/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http.c - libFuzzer target: what a server may answer to a ranged GET,
 * through the checks every response goes through (lib/io/http_check.c).
 *
 * Input: 16 bytes (the offset and length asked for, little-endian), then
 * header lines as libcurl hands them over (one per '\n'); after the first
 * empty line, the body, read as an S3 XML error.  Besides the sanitizers,
 * the verdict is checked against what the headers said: bytes are kept only
 * from a 206 for exactly the range asked, or sliced from a 200 long enough.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Feed the header lines; returns where the body starts. */
static const char *feed_headers(struct lsio_http_resp *r, const char *p,
				const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (n == 1 || (n == 2 && p[0] == '\r'))
			return p + n;	/* the empty line ends the head */
		lsio_http_header(r, p, n);
		p += n;
	}
	return end;
}

/* What the verdict promises the caller, who then keeps the bytes. */
static void check_verdict(const struct lsio_http_resp *r, uint64_t off,
			  uint64_t len, enum lsio_http_verdict v,
			  const char *why, size_t cap)
{
	if (memchr(why, '\0', cap) == NULL)
		abort();	/* the reason must be a C string */
	switch (v) {
	case LSIO_HTTP_OK:
		if (r->status != 206 || !r->has_range || r->multipart ||
		    r->range_first != off || r->range_last != off + len - 1)
			abort();
		break;
	case LSIO_HTTP_SLICE:
		if (r->status != 200 || (r->length >= 0 &&
					 (uint64_t)r->length < off + len))
			abort();
		break;
	case LSIO_HTTP_RETRY:
		if (!lsio_http_retryable(r->status))
			abort();
		break;
	case LSIO_HTTP_FAIL:
		break;
	default:
		abort();
	}
	if (r->retry_after != -1 && !(r->retry_after >= 0))
		abort();	/* a negative or NaN wait */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsio_http_resp r;
	char why[256], code[64], msg[256], st[80];
	const char *body, *end = (const char *)data + size;
	uint64_t off, len;
	enum lsio_http_verdict v;

	if (size < 16)
		return 0;
	/* The caller's contract: len > 0, and the range is a file range. */
	off = get_le64(data) & INT64_MAX;
	len = get_le64(data + 8) % (1ull << 40) + 1;
	if (off > INT64_MAX - len)
		off = 0;
	lsio_http_resp_reset(&r);
	body = feed_headers(&r, (const char *)data + 16, end);
	memset(why, 'x', sizeof(why));
	why[sizeof(why) - 1] = '\0';
	v = lsio_http_judge(&r, off, len, why, sizeof(why));
	check_verdict(&r, off, len, v, why, sizeof(why));
	lsio_http_status_text(&r, st, sizeof(st));
	lsio_xml_error(body, (size_t)(end - body), code, sizeof(code), msg,
		       sizeof(msg));
	return 0;
}
