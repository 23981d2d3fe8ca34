/* SPDX-License-Identifier: MIT */
/*
 * aws_creds.c - AWS credentials served over HTTP, where the AWS CLI looks
 * after the environment and the profile files (s3_auth.c) gave none and
 * the profile's roles and commands (aws_profile.c) none either: the
 * container's credentials endpoint (ECS, EKS Pod Identity), then the EC2
 * instance metadata service (IMDSv2).  Also the one request function
 * every credentials service is asked through (STS too, aws_sts.c).
 *
 * Both are one short exchange with a local service, made once when a
 * plan is made: 1 s to connect and 2 s in all per request, as botocore
 * allows, and no retry, so that a machine without the service does not
 * wait on it.  Their keys expire (in hours); keys that would expire
 * within 5 minutes are fetched again.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/remote_state.h"

#define ECS_HOST "http://169.254.170.2"
#define IMDS_ENDPOINT "http://169.254.169.254"
#define IMDS_TTL "21600"		/* seconds a session token lives */
#define CONNECT_MS 1000L
#define TIMEOUT_MS 2000L
#define REFRESH_BEFORE 300		/* seconds: fetch again when closer */

/* --- one request ------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct lsio_creds_body *x = arg;
	size_t len = size * n;

	if (x->len + len > LSIO_CREDS_BODY_MAX) {
		x->over = true;
		return 0;
	}
	memcpy(x->body + x->len, p, len);
	x->len += len;
	x->body[x->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct lsio_creds_body *x = arg;

	lsio_http_header(&x->resp, p, size * n);
	return size * n;
}

static int req_headers(const struct lsio_creds_req *q, struct curl_slist **hdr)
{
	for (size_t i = 0; i < ARRAY_SIZE(q->hdr) && q->hdr[i]; i++)
		if (lsio_slist_add(hdr, q->hdr[i]))
			return -ENOMEM;
	/* "Content-Type:" drops the form type curl gives a PUT's body. */
	if (!q->body && lsio_slist_add(hdr, "Content-Type:"))
		return -ENOMEM;
	return 0;
}

static void req_setopts(CURL *e, const struct lsio_creds_req *q,
			struct curl_slist *hdr, struct lsio_creds_body *x)
{
	lsio_curl.easy_setopt(e, CURLOPT_URL, q->url);
	lsio_curl.easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	/* A PUT with an empty body: Content-Length: 0; a POST its form. */
	if (!strcmp(q->method, "PUT") || q->body) {
		lsio_curl.easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		lsio_curl.easy_setopt(e, CURLOPT_POSTFIELDSIZE,
				      (long)(q->body ? strlen(q->body) : 0));
	}
	if (q->sigv4) {
		lsio_curl.easy_setopt(e, CURLOPT_USERNAME, q->key);
		lsio_curl.easy_setopt(e, CURLOPT_PASSWORD, q->secret);
		lsio_curl.easy_setopt(e, CURLOPT_AWS_SIGV4, q->sigv4);
	}
	lsio_curl.easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	lsio_curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	lsio_curl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			      q->connect_ms ? q->connect_ms : CONNECT_MS);
	lsio_curl.easy_setopt(e, CURLOPT_TIMEOUT_MS,
			      q->timeout_ms ? q->timeout_ms : TIMEOUT_MS);
	/* A local service: a proxy would only send the keys elsewhere. */
	if (!q->proxy_ok)
		lsio_curl.easy_setopt(e, CURLOPT_NOPROXY, "*");
	if (lsio_env("CURL_CA_BUNDLE"))
		lsio_curl.easy_setopt(e, CURLOPT_CAINFO, lsio_env("CURL_CA_BUNDLE"));
	lsio_curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	lsio_curl.easy_setopt(e, CURLOPT_WRITEDATA, x);
	lsio_curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	lsio_curl.easy_setopt(e, CURLOPT_HEADERDATA, x);
}

int lsio_creds_http(const struct lsio_creds_req *q, struct lsio_creds_body *x,
		  char *why, size_t cap)
{
	char err[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	CURL *e = lsio_curl.easy_init();
	CURLcode rc;
	int ret = -1;

	memset(x, 0, sizeof(*x));
	lsio_http_resp_reset(&x->resp);
	if (!e || req_headers(q, &hdr)) {
		lsio_why(why, cap, 0, "out of memory");
		goto out;
	}
	req_setopts(e, q, hdr, x);
	lsio_curl.easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	rc = lsio_curl.easy_perform(e);
	if (x->over)
		lsio_why(why, cap, 0, "a response of more than %d bytes", LSIO_CREDS_BODY_MAX);
	else if (rc)
		lsio_why(why, cap, 0, "%s", err[0] ? err : lsio_curl.easy_strerror(rc));
	else if (x->resp.status != 200)
		lsio_http_status_text(&x->resp, why, cap);
	else
		ret = 0;
out:
	lsio_curl.slist_free_all(hdr);
	if (e)
		lsio_curl.easy_cleanup(e);
	return ret;
}

/* METHOD url with the header line hdr1 (may be NULL), once, to a local
 * service.  Returns 0 and the body in x on a 200, else -1 with "HTTP 404
 * Not Found" or curl's reason ("Connection refused") in why. */
static int http_ask(const char *method, const char *url, const char *hdr1,
		    struct lsio_creds_body *x, char *why, size_t cap)
{
	struct lsio_creds_req q = { .method = method, .url = url, .hdr = { hdr1 } };

	return lsio_creds_http(&q, x, why, cap);
}

/* --- the credentials document ------------------------------------------------ */

int64_t lsio_aws_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	return (int64_t)timegm(&tm);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v)
							   : NULL;
}

int lsio_aws_creds_set(struct lsio_creds *c, const char *id,
		     const char *secret, const char *token)
{
	free(c->access_key);
	free(c->secret_key);
	free(c->token);
	c->access_key = strdup(id);
	c->secret_key = strdup(secret);
	c->token = token ? strdup(token) : NULL;
	return c->access_key && c->secret_key && (!token || c->token) ? 0 : -ENOMEM;
}

/* {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, as both
 * services send it (IMDS adds "Code": "Success"). */
static int creds_parse(struct lsio_creds *c, const struct lsio_creds_body *x,
		       char *why, size_t cap)
{
	json_t *o = json_loadb(x->body, x->len, 0, NULL);
	const char *id = jstr(o, "AccessKeyId"), *secret = jstr(o, "SecretAccessKey");
	const char *code = jstr(o, "Code");
	int ret = -LSIO_ESOURCE;

	if (!json_is_object(o))
		lsio_why(why, cap, 0, "the response is not a JSON object");
	else if (code && strcmp(code, "Success"))
		lsio_why(why, cap, 0, "Code \"%s\"%s%s", code, jstr(o, "Message") ? ": " : "",
		     jstr(o, "Message") ? jstr(o, "Message") : "");
	else if (!id || !secret)
		lsio_why(why, cap, 0, "no %s in the response",
		     id ? "SecretAccessKey" : "AccessKeyId");
	else if ((c->expires = lsio_aws_time(jstr(o, "Expiration"))) < 0)
		lsio_why(why, cap, 0, "an Expiration that is not a time: \"%s\"",
		     jstr(o, "Expiration"));
	else
		ret = lsio_aws_creds_set(c, id, secret, jstr(o, "Token"));
	json_decref(o);
	return ret;
}

/* --- ECS / EKS container credentials ------------------------------------ */

/* Plain http may reach the keys' service only on this machine or the
 * container agents' link-local addresses, as botocore allows. */
static bool container_host_ok(const char *url)
{
	static const char *const ok[] = { "localhost", "[::1]", "169.254.170.2",
		"169.254.170.23", "[fd00:ec2::23]" };
	char host[256];
	size_t n;

	if (!strncasecmp(url, "https://", 8))
		return true;
	if (strncasecmp(url, "http://", 7) || lsio_url_host(url, host, sizeof(host)))
		return false;
	n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	host[n] = '\0';	/* without the port */
	if (!strncmp(host, "127.", 4))	/* 127.0.0.0/8, not a name */
		return strspn(host, "0123456789.") == n;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(host, ok[i]))
			return true;
	return false;
}

/* The Authorization header: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS
 * Pod Identity, read each time: it is rotated) over
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. */
static int container_auth(char *line, size_t cap, char *why, size_t wcap)
{
	const char *file = lsio_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = lsio_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char buf[4096];
	FILE *f;
	size_t n;

	line[0] = '\0';
	if (file) {
		f = fopen(file, "re");
		if (!f)
			return lsio_why(why, wcap, -LSIO_ESOURCE, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s': %s",
					file, strerror(errno));
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		tok = buf;
	}
	if (tok && strpbrk(tok, "\r\n"))
		return lsio_why(why, wcap, -LSIO_ESOURCE, "the container authorization token has a line break");
	if (tok)
		snprintf(line, cap, "Authorization: %s", tok);
	return 0;
}

int lsio_aws_from_container(struct lsio_creds *c, char *why, size_t cap)
{
	const char *full = lsio_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *rel = lsio_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	char url[2048], auth[4200], msg[512];
	struct lsio_creds_body *x;
	int ret;

	if (!full && !rel)
		return 0;
	if (rel)	/* the relative one wins, as in botocore */
		snprintf(url, sizeof(url), "%s%s%s", ECS_HOST,
			 rel[0] == '/' ? "" : "/", rel);
	else
		snprintf(url, sizeof(url), "%s", full);
	snprintf(c->from, sizeof(c->from), "container credentials (ECS) at %.200s", url);
	if (!rel && !container_host_ok(url))
		return lsio_why(why, cap, -LSIO_ESOURCE, "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s': only https, or plain http to this machine or 169.254.170.2/.23",
				url);
	ret = container_auth(auth, sizeof(auth), why, cap);
	if (ret)
		return ret;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	ret = http_ask("GET", url, auth[0] ? auth : NULL, x, msg, sizeof(msg));
	if (!ret)
		ret = creds_parse(c, x, msg, sizeof(msg));
	free(x);
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return lsio_why(why, cap, -LSIO_ESOURCE, "%s: %s", c->from, msg);
	return 1;
}

/* --- EC2 instance metadata, IMDSv2 ---------------------------------------- */

static bool imds_disabled(void)
{
	const char *v = lsio_env("AWS_EC2_METADATA_DISABLED");

	return v && !strcasecmp(v, "true");
}

/* The first line of the role listing: the instance profile's role. */
static int imds_role(const struct lsio_creds_body *x, char *role, size_t cap)
{
	size_t n = strcspn(x->body, "\r\n");

	if (!n || n >= cap || strchr(x->body, '/'))
		return -1;
	memcpy(role, x->body, n);
	role[n] = '\0';
	return 0;
}

/* The session token's header line into tok; "" for IMDSv1, which a
 * service without tokens answers the PUT with 403, 404 or 405 (botocore's
 * fallback), unless AWS_EC2_METADATA_V1_DISABLED=true. */
static int imds_token(const char *ep, struct lsio_creds_body *x, char *tok,
		      size_t tcap, char *msg, size_t cap)
{
	const char *v1_off = lsio_env("AWS_EC2_METADATA_V1_DISABLED");
	char url[1024];
	size_t n;

	snprintf(url, sizeof(url), "%s/latest/api/token", ep);
	if (http_ask("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TTL,
		     x, msg, cap)) {
		int st = x->resp.status;

		if ((st != 403 && st != 404 && st != 405) ||
		    (v1_off && !strcasecmp(v1_off, "true")))
			return -LSIO_ESOURCE;
		tok[0] = '\0';
		return 0;
	}
	n = strcspn(x->body, "\r\n");
	if (!n || n > 1000)
		return lsio_why(msg, cap, -LSIO_ESOURCE, "PUT /latest/api/token: no token in the response");
	snprintf(tok, tcap, "X-aws-ec2-metadata-token: %.*s", (int)n, x->body);
	return 0;
}

/* The three requests: session token, role name, the role's keys.  On
 * failure msg says which step and what came back. */
static int imds_steps(struct lsio_creds *c, const char *ep,
		      struct lsio_creds_body *x, char *msg, size_t cap)
{
	char url[1024], tok[1100], role[128];

	if (imds_token(ep, x, tok, sizeof(tok), msg, cap))
		return -LSIO_ESOURCE;
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/", ep);
	if (http_ask("GET", url, tok[0] ? tok : NULL, x, msg, cap))
		return -LSIO_ESOURCE;
	if (imds_role(x, role, sizeof(role)))
		return lsio_why(msg, cap, -LSIO_ESOURCE, "no role in %s", url + strlen(ep));
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/%s",
		 ep, role);
	if (http_ask("GET", url, tok[0] ? tok : NULL, x, msg, cap))
		return -LSIO_ESOURCE;
	snprintf(c->from, sizeof(c->from), "instance metadata (IMDSv%d) at %.150s, role %.64s",
		 tok[0] ? 2 : 1, ep, role);
	return creds_parse(c, x, msg, cap);
}

int lsio_aws_from_imds(struct lsio_creds *c, char *why, size_t cap)
{
	const char *v = lsio_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char ep[512], msg[512];
	struct lsio_creds_body *x;
	size_t n;
	int ret;

	if (imds_disabled())	/* said, for "no credentials" to say why */
		return lsio_why(why, cap, 0, "AWS_EC2_METADATA_DISABLED=%s: instance metadata not asked",
				lsio_env("AWS_EC2_METADATA_DISABLED"));
	n = (size_t)snprintf(ep, sizeof(ep), "%s", v ? v : IMDS_ENDPOINT);
	while (n > 8 && ep[n - 1] == '/')
		ep[--n] = '\0';
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	ret = imds_steps(c, ep, x, msg, sizeof(msg));
	free(x);
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return lsio_why(why, cap, -LSIO_ESOURCE, "instance metadata (IMDSv2) at %.200s: %s", ep, msg);
	return 1;
}

/* --- the chain's remote part ------------------------------------------------ */

static int fetch_once(struct lsio_creds *c, char *why, size_t cap)
{
	int ret = lsio_aws_profile_creds(c, why, cap);

	if (!ret)
		ret = lsio_aws_from_container(c, why, cap);
	if (ret)
		return ret;
	ret = lsio_aws_from_imds(c, why, cap);
	return ret == -LSIO_ESOURCE ? 0 : ret;
}

int lsio_aws_creds_fetch(struct lsio_creds *c, char *why, size_t cap)
{
	int ret;

	int64_t expires;

	lsio_why(why, cap, 0, "%s", "");
	if (lsio_curl_load(NULL))
		return 0;
	ret = fetch_once(c, why, cap);
	/* Keys about to expire: the service hands out new ones some minutes
	 * before; when it does not, the old ones serve while they last. */
	if (ret == 1 && c->expires &&
	    c->expires - (int64_t)time(NULL) < REFRESH_BEFORE) {
		expires = c->expires;
		if (fetch_once(c, NULL, 0) != 1)
			c->expires = expires;
	}
	if (ret == 1 && c->expires && c->expires <= (int64_t)time(NULL)) {
		lsio_why(why, cap, 0, "%s: the keys expired %lld s ago", c->from,
		     (long long)(time(NULL) - c->expires));
		ret = -LSIO_ESOURCE;
	}
	return ret;
}
