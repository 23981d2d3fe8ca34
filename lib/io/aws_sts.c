/* SPDX-License-Identifier: MIT */
/*
 * aws_sts.c - AWS STS, the service that turns one identity into a role's
 * temporary keys: AssumeRoleWithWebIdentity (an OIDC token, unsigned, as
 * EKS and GitHub Actions hand out) and AssumeRole (signed with SigV4 by
 * the source credentials, which libcurl does for a POST's form too).
 *
 * One form POST per call, STS's XML read for <Credentials> or <Error>.
 * No retry: a refused role stays refused, and a retry storm against STS
 * would only get the caller throttled.  aws_profile.c decides when to
 * call; aws_creds.c's lsio_creds_http sends.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/remote_state.h"

#define STS_VERSION "2011-06-15"
#define STS_GLOBAL "https://sts.amazonaws.com"
#define STS_CONNECT_MS 5000L
#define STS_TIMEOUT_MS 30000L
#define TOKEN_MAX 8192		/* session tokens are < 2 KiB */

void lsio_sts_endpoint(const struct lsio_sts_call *q, char *url, size_t cap,
		       char *region, size_t rcap)
{
	const char *r = lsio_env("AWS_REGION");
	const char *ep = lsio_env("AWS_ENDPOINT_URL_STS");
	size_t n;

	if (!r)
		r = lsio_env("AWS_DEFAULT_REGION");
	if (!r && q->region && *q->region)
		r = q->region;
	if (!ep)
		ep = lsio_env("AWS_ENDPOINT_URL");
	if (!ep)
		ep = q->endpoint;
	/* Without a region the global endpoint, which signs as us-east-1. */
	snprintf(region, rcap, "%s", r ? r : "us-east-1");
	if (ep)
		snprintf(url, cap, "%s", ep);
	else if (r)
		snprintf(url, cap, "https://sts.%s.amazonaws.com", r);
	else
		snprintf(url, cap, "%s", STS_GLOBAL);
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		url[--n] = '\0';
}

/* --- the request ------------------------------------------------------------ */

/* "&name=value" with value form-encoded (unreserved bytes as they are). */
static void form_add(char *out, size_t *len, const char *name,
		     const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = *len;

	n += (size_t)sprintf(out + n, "%s%s=", n ? "&" : "", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (isalnum(*p) || strchr("-_.~", *p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
	*len = n;
}

static size_t form_room(const struct lsio_sts_call *q)
{
	const char *v[] = { q->role_arn, q->session, q->token, q->external_id,
			    q->duration };
	size_t n = 256;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		n += v[i] ? 3 * strlen(v[i]) + 32 : 0;
	return n;
}

/* The form: Action, Version, RoleArn, RoleSessionName and the rest. */
static char *form_build(const struct lsio_sts_call *q)
{
	char session[64];
	char *out = malloc(form_room(q));
	size_t len = 0;

	if (!out)
		return NULL;
	out[0] = '\0';
	snprintf(session, sizeof(session), "lsio-%ld", (long)getpid());
	form_add(out, &len, "Action",
		 q->token ? "AssumeRoleWithWebIdentity" : "AssumeRole");
	form_add(out, &len, "Version", STS_VERSION);
	form_add(out, &len, "RoleArn", q->role_arn);
	form_add(out, &len, "RoleSessionName", q->session ? q->session : session);
	if (q->token)
		form_add(out, &len, "WebIdentityToken", q->token);
	if (q->external_id)
		form_add(out, &len, "ExternalId", q->external_id);
	if (q->duration)
		form_add(out, &len, "DurationSeconds", q->duration);
	return out;
}

static void xml_get(const char *body, size_t n, const char *tag, char *out,
		    size_t cap);

/* What STS said besides its status: "HTTP 403 Forbidden: AccessDenied:
 * Not authorized to perform sts:AssumeRole". */
static int sts_error(const struct lsio_creds_body *x, const char *status,
		     char *why, size_t cap)
{
	char code[128], msg[512];

	xml_get(x->body, x->len, "Code", code, sizeof(code));
	xml_get(x->body, x->len, "Message", msg, sizeof(msg));
	return lsio_why(why, cap, -LSIO_ESOURCE, "%s%s%s%s%s", status,
			code[0] ? ": " : "", code, msg[0] ? ": " : "", msg);
}

static int sts_send(const struct lsio_sts_call *q, const char *url,
		    const char *region, struct lsio_creds *c,
		    struct lsio_creds_body *x, char *why, size_t cap)
{
	struct lsio_creds_req req = { .method = "POST", .url = url,
		.hdr = { "Accept: application/xml" },
		.connect_ms = STS_CONNECT_MS, .timeout_ms = STS_TIMEOUT_MS,
		.proxy_ok = true };
	char sigv4[96], status[256], *tok = NULL;
	int ret;

	req.body = form_build(q);
	if (!req.body)
		return -ENOMEM;
	if (q->src) {
		snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:sts", region);
		req.sigv4 = sigv4;
		req.key = q->src->access_key;
		req.secret = q->src->secret_key;
		/* The source's session token goes with it, and is signed. */
		if (q->src->token &&
		    asprintf(&tok, "x-amz-security-token: %s", q->src->token) < 0) {
			free((char *)req.body);
			return -ENOMEM;
		}
		req.hdr[1] = tok;
	}
	ret = lsio_creds_http(&req, x, status, sizeof(status));
	free((char *)req.body);
	free(tok);
	if (ret)
		return sts_error(x, status, why, cap);
	return lsio_sts_parse(x->body, x->len, c, why, cap);
}

int lsio_sts_call(const struct lsio_sts_call *q, struct lsio_creds *c,
		  char *url, size_t ucap, char *why, size_t cap)
{
	struct lsio_creds_body *x;
	char region[64];
	int ret;

	lsio_sts_endpoint(q, url, ucap, region, sizeof(region));
	if (lsio_curl_load(NULL))
		return lsio_why(why, cap, -LSIO_ESOURCE, "libcurl is not available");
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	ret = sts_send(q, url, region, c, x, why, cap);
	free(x);
	return ret ? ret : 1;
}

/* --- the response ------------------------------------------------------------- */

/* XML's five entities, in place. */
static void xml_unescape(char *s)
{
	static const char *const ent[][2] = { { "&amp;", "&" }, { "&lt;", "<" },
		{ "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" } };
	char *out = s;

	while (*s) {
		size_t i = 0;

		while (*s == '&' && i < ARRAY_SIZE(ent) &&
		       strncmp(s, ent[i][0], strlen(ent[i][0])))
			i++;
		if (*s == '&' && i < ARRAY_SIZE(ent)) {
			*out++ = ent[i][1][0];
			s += strlen(ent[i][0]);
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

static void xml_get(const char *body, size_t n, const char *tag, char *out,
		    size_t cap)
{
	lsio_xml_text(body, n, tag, out, cap);
	xml_unescape(out);
}

int lsio_sts_parse(const char *body, size_t n, struct lsio_creds *c,
		   char *why, size_t cap)
{
	char id[256], secret[256], exp[64], code[128], msg[512];
	char *token = malloc(TOKEN_MAX);
	int ret = -LSIO_ESOURCE;

	if (!token)
		return -ENOMEM;
	xml_get(body, n, "Code", code, sizeof(code));
	xml_get(body, n, "Message", msg, sizeof(msg));
	xml_get(body, n, "AccessKeyId", id, sizeof(id));
	xml_get(body, n, "SecretAccessKey", secret, sizeof(secret));
	xml_get(body, n, "SessionToken", token, TOKEN_MAX);
	xml_get(body, n, "Expiration", exp, sizeof(exp));
	if (code[0])
		lsio_why(why, cap, 0, "%s%s%s", code, msg[0] ? ": " : "", msg);
	else if (!id[0] || !secret[0])
		lsio_why(why, cap, 0, "no %s in the response",
			 id[0] ? "SecretAccessKey" : "AccessKeyId");
	else if (lsio_aws_time(exp[0] ? exp : NULL) < 0)
		lsio_why(why, cap, 0, "an Expiration that is not a time: \"%s\"", exp);
	else if (!(ret = lsio_aws_creds_set(c, id, secret, token[0] ? token : NULL)))
		c->expires = lsio_aws_time(exp[0] ? exp : NULL);
	free(token);
	return ret;
}
