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
	struct lsio_aws_creds aws;	/* the profile's region and endpoint */
	struct lsio_creds_entry *s3_keys;	/* what s3:// is signed with */
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
			const struct lsio_aws_creds *keys,
			struct curl_slist **out, char *why, size_t cap);

/* What a refusal (401, 403) of source's request should add: which
 * credentials were sent, "" when nothing. */
void lsio_remote_auth_hint(const struct lsio_remote *r, uint32_t source,
			   int status, char *buf, size_t cap);

#endif /* LSIO_REMOTE_STATE_H */
