/* SPDX-License-Identifier: MIT */
/*
 * remote_state.h - the remote sources of a plan (remote.c), as the curl
 * backend's workers (backend_curl.c) read them: per source its URL, host
 * and pinned ETag, per host its counters, and the settings every request
 * is made with.  Private to lib/io.
 */
#ifndef LSIO_REMOTE_STATE_H
#define LSIO_REMOTE_STATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "io/curl_load.h"
#include "io/remote.h"
#include "util/latency.h"

struct etag_pin {
	char etag[LSIO_ETAG_MAX];
	bool strong;		/* If-Match can name it */
};

struct lsio_remote_src {
	char *url;		/* the http(s) URL requested; NULL: local */
	uint32_t host;		/* index into hosts */
	uint8_t kind;		/* enum lsio_url_kind */
	uint8_t az_auth;	/* enum lsio_az_auth */
	_Atomic(struct etag_pin *) pin;	/* NULL until a response has an ETag */
};

/* One host's counters: per worker while running, merged at the end. */
struct host_stats {
	uint64_t requests, retries, bytes;
	struct lsio_latency lat;
	struct lsio_latency first_byte;	/* the host's latency, for the
					 * next plan (host_cache.c) */
};

struct lsio_remote {
	struct lsio_ctx *ctx;
	const struct lsio_job *job;
	struct lsio_remote_src *src;	/* per job source */
	char **hosts;
	uint32_t nhosts;
	atomic_int *warned;	/* per host: "ignores Range" said once */

	struct curl_slist *hdr[LSIO_URL_KINDS];	/* per enum lsio_url_kind,
						 * shared */
	struct lsio_creds aws;	/* the profile's region and endpoint */
	struct lsio_creds_entry *s3_keys;	/* what s3:// is signed with */
	struct lsio_creds_entry *gs_keys;	/* gs:// sources' token */
	char gs_none[384];	/* no token: why ("none: anonymous ...") */
	struct lsio_az az;
	char az_from[160];	/* plan -v: the Azure credentials used, "" =
				 * no Azure source */
	char *sigv4;		/* "aws:amz:REGION:s3", NULL = unsigned */
	bool http11;		/* storage.http.version "1.1" */
	bool missing_403;	/* batches: 403 is missing, as 404 */
	int ready_err;		/* why no request may be sent, 0 = none */
	char ready_msg[LSIO_MSG_MAX];
	const char *netrc;	/* $NETRC, or NULL for ~/.netrc */
	const char *cainfo;	/* $CURL_CA_BUNDLE */

	unsigned attempts;
	double deadline, timeout;
	unsigned depth;		/* connections per host and worker */

	pthread_mutex_t lock;	/* guards the merged statistics */
	struct host_stats *stats;	/* nhosts */
};

/* --- the services credentials come from (aws_creds.c; gcs_creds.c too) - */

#define LSIO_CREDS_BODY_MAX (64 << 10)	/* a credentials document is < 2 KiB */

/* One request to a credentials service. */
struct lsio_creds_req {
	const char *method;	/* "GET", "PUT" (an empty body) or "POST" */
	const char *url;
	const char *hdr[3];	/* header lines, NULL after the last */
	const char *body;	/* a POST's form, NULL = none */
	const char *sigv4;	/* "aws:amz:REGION:sts": signed by key, secret */
	const char *key, *secret;
	long connect_ms, timeout_ms;	/* 0: 1 s and 2 s, a local service's */
	bool proxy_ok;		/* false: never through a proxy (local) */
};

/* What came back: the head and up to LSIO_CREDS_BODY_MAX bytes of body,
 * error responses' too. */
struct lsio_creds_body {
	struct lsio_http_resp resp;
	char body[LSIO_CREDS_BODY_MAX + 1];	/* '\0'-terminated */
	size_t len;
	bool over;		/* more than LSIO_CREDS_BODY_MAX: no document */
};

/* Send q once.  Returns 0 on a 200, else -1 with "HTTP 403 Forbidden" or
 * curl's reason ("Connection refused") in why; x holds what came. */
int lsio_creds_http(const struct lsio_creds_req *q, struct lsio_creds_body *x,
		  char *why, size_t cap);

/* "2026-12-07T09:30:00Z" (also with fractions of a second) as seconds
 * since 1970; 0 when s is NULL, -1 when unreadable. */
int64_t lsio_aws_time(const char *s);

/* Replace c's keys with copies (token may be NULL).  0 or -ENOMEM. */
int lsio_aws_creds_set(struct lsio_creds *c, const char *id,
		       const char *secret, const char *token);

/* The container's credentials (ECS), and the instance's (IMDS): 1 found,
 * 0 not configured (or IMDS disabled), -LSIO_ESOURCE with why naming the
 * service and its URL, -ENOMEM.  They set c->from. */
int lsio_aws_from_container(struct lsio_creds *c, char *why, size_t cap);
int lsio_aws_from_imds(struct lsio_creds *c, char *why, size_t cap);

/* Append line to *list.  Returns 0, or -ENOMEM (the list is kept). */
int lsio_slist_add(struct curl_slist **list, const char *line);

/*
 * The header lines of one attempt of a request to source (remote_auth.c):
 * the kind's shared ones, If-Match when an ETag is pinned (strong), and
 * what authorizes this very request: the session token of the S3 keys it
 * signs with (keys, NULL when unsigned; renewed keys bring another),
 * Azure's Shared Key (which signs its date and range).  method is "GET" or "HEAD", range "bytes=A-B" (as libcurl
 * sends it from CURLOPT_RANGE) or NULL.  *out is the caller's, to free
 * with slist_free_all once the attempt ends.  Returns 0, -ENOMEM, or
 * another negative error with the reason in why.
 */
int lsio_remote_headers(const struct lsio_remote *r, uint32_t source,
			const char *method, const char *range,
			const struct lsio_creds *keys,
			struct curl_slist **out, char *why, size_t cap);

/* What a refusal (401, 403) of source's request should add: which
 * credentials were sent, "" when nothing. */
void lsio_remote_auth_hint(const struct lsio_remote *r, uint32_t source,
			   int status, char *buf, size_t cap);

#endif /* LSIO_REMOTE_STATE_H */
