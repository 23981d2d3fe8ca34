/* SPDX-License-Identifier: MIT */
/*
 * remote_auth.c - the headers of each attempt of a remote request: the
 * kind's shared lines (remote.c), the pinned ETag's If-Match, and the
 * credentials that must be made per request: the session token of the S3
 * keys or the GCS token in force (renewed during a run), and Azure's
 * Shared Key, which signs each request's date and range, so its
 * Authorization is made here, once per attempt.  The curl backend owns the list for that attempt alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/remote_state.h"

#define AZ_STS_MAX 8192		/* a string-to-sign: headers and URL */
#define AZ_LINES_MAX 64

/* Sign an Azure request with the account's Shared Key: x-ms-date (and
 * x-ms-range) join the list, then the Authorization made over all of it. */
static int az_sign(const struct lsio_remote *r, uint32_t s, const char *method,
		   const char *range, struct curl_slist **list, char *why,
		   size_t cap)
{
	const char *lines[AZ_LINES_MAX];
	char date[40], line[320], xr[96], *sts;
	size_t n = 0;
	long len;
	int ret;

	lsio_az_date((int64_t)time(NULL), date, sizeof(date));
	snprintf(line, sizeof(line), "x-ms-date: %s", date);
	if (lsio_slist_add(list, line))
		return -ENOMEM;
	/* Azure's own range header, for the forms it takes (a suffix read
	 * of an Azure source is a HEAD, then a range: backend_curl.c). */
	if (range && range[6] != '-') {
		snprintf(xr, sizeof(xr), "x-ms-range: %s", range);
		if (lsio_slist_add(list, xr))
			return -ENOMEM;
	}
	for (struct curl_slist *l = *list; l && n < AZ_LINES_MAX - 1; l = l->next)
		lines[n++] = l->data;
	snprintf(xr, sizeof(xr), "Range: %s", range ? range : "");
	if (range)
		lines[n++] = xr;	/* libcurl adds it from CURLOPT_RANGE */
	sts = malloc(AZ_STS_MAX);
	if (!sts)
		return -ENOMEM;
	len = lsio_az_string_to_sign(method, lines, n, r->az.account,
				     r->src[s].url, sts, AZ_STS_MAX);
	ret = len < 0 ? -LSIO_EJOB : lsio_az_authorization(&r->az, sts, (size_t)len,
							   line, sizeof(line), why, cap);
	if (len < 0)
		snprintf(why, cap, "the request is too large to sign");
	free(sts);
	if (!ret && lsio_slist_add(list, line))
		ret = -ENOMEM;
	return ret;
}

int lsio_remote_headers(const struct lsio_remote *r, uint32_t source,
			const char *method, const char *range,
			const struct lsio_creds *keys,
			struct curl_slist **out, char *why, size_t cap)
{
	const struct lsio_remote_src *src = &r->src[source];
	struct etag_pin *pin = atomic_load(&src->pin);
	char line[LSIO_ETAG_MAX + 4096];
	int ret = 0;

	*out = NULL;
	for (struct curl_slist *l = r->hdr[src->kind]; l && !ret; l = l->next)
		ret = lsio_slist_add(out, l->data);
	if (!ret && keys && keys->token) {
		snprintf(line, sizeof(line), src->kind == LSIO_URL_GS
			 ? "Authorization: Bearer %s" : "x-amz-security-token: %s",
			 keys->token);
		ret = lsio_slist_add(out, line);
	}
	if (!ret && pin && pin->strong) {
		snprintf(line, sizeof(line), "If-Match: %s", pin->etag);
		ret = lsio_slist_add(out, line);
	}
	if (!ret && src->kind == LSIO_URL_AZ && src->az_auth == LSIO_AZ_KEY)
		ret = az_sign(r, source, method, range, out, why, cap);
	if (ret == -ENOMEM)
		snprintf(why, cap, "out of memory");
	if (ret) {
		lsio_curl.slist_free_all(*out);
		*out = NULL;
	}
	return ret;
}

void lsio_remote_auth_hint(const struct lsio_remote *r, uint32_t source,
			   int status, char *buf, size_t cap)
{
	const struct lsio_remote_src *src = &r->src[source];
	char text[200];

	buf[0] = '\0';
	if (src->kind != LSIO_URL_AZ || (status != 401 && status != 403))
		return;
	lsio_az_creds_text(&r->az, src->az_auth, NULL, text, sizeof(text));
	snprintf(buf, cap, " (azure credentials: %s)", text);
}
