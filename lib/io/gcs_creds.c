/* SPDX-License-Identifier: MIT */
/*
 * gcs_creds.c - the access token gs:// requests carry, found as
 * google-auth (and so gcloud, gsutil, object_store) finds one: an explicit
 * GOOGLE_OAUTH_ACCESS_TOKEN, a credentials file (a service account's key,
 * which signs a JWT that Google's token endpoint trades for a token; or
 * gcloud's authorized user, whose refresh token is traded the same way),
 * then the GCE metadata server; else requests go unsigned, which public
 * buckets answer.
 *
 * A token lives an hour: remote.c asks this chain through creds_cache.c,
 * which keeps its answer for the process and asks again when less than 5
 * minutes are left, during a run too.  Every exchange is one request, 5 s to
 * connect and 10 s in all (the metadata server: 1 s and 2 s, as
 * for AWS's, since most machines have none), and no retry: a refused key
 * is refused again.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "io/remote_state.h"
#include "util/crypto.h"

#define TOKEN_URI "https://oauth2.googleapis.com/token"
#define METADATA_HOST "metadata.google.internal"
#define METADATA_PATH "/computeMetadata/v1/instance/service-accounts/default/token"
#define SCOPE "https://www.googleapis.com/auth/devstorage.read_only"
#define JWT_LIFE 3600
#define FILE_MAX (1 << 20)	/* a credentials file is < 4 KiB */

/* --- the credentials file ----------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v)
							   : NULL;
}

/* The string members keys[] of o into out[] (malloc'd); the first missing
 * one fails, named in why. */
static int take(json_t *o, const char *const *keys, char **const *out,
		size_t n, const struct lsio_gcs_creds *c, char *why, size_t cap)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = jstr(o, keys[i]);

		if (!v)
			return lsio_why(why, cap, -LSIO_ESOURCE, "'%s': no \"%s\" (a string) in a credentials file of type \"%s\"",
					c->file, keys[i], jstr(o, "type"));
		if (!(*out[i] = strdup(v)))
			return -ENOMEM;
	}
	return 0;
}

static int parse_service(struct lsio_gcs_creds *c, json_t *o, char *why,
			 size_t cap)
{
	static const char *const keys[] = { "client_email", "private_key" };
	char **const out[] = { &c->email, &c->key_pem };
	const char *kid = jstr(o, "private_key_id");

	c->kind = LSIO_GCS_SERVICE;
	if (kid && !(c->key_id = strdup(kid)))
		return -ENOMEM;
	return take(o, keys, out, 2, c, why, cap);
}

static int parse_user(struct lsio_gcs_creds *c, json_t *o, char *why,
		      size_t cap)
{
	static const char *const keys[] = { "client_id", "client_secret",
					    "refresh_token" };
	char **const out[] = { &c->client_id, &c->client_secret, &c->refresh_token };

	c->kind = LSIO_GCS_USER;
	return take(o, keys, out, 3, c, why, cap);
}

/* Read the JSON of c->file; what it is decides the kind. */
static int file_parse(struct lsio_gcs_creds *c, FILE *f, char *why, size_t cap)
{
	json_error_t jerr;
	json_t *o = json_loadf(f, 0, &jerr);
	const char *type = jstr(o, "type"), *uri = jstr(o, "token_uri");
	int ret;

	if (!o)
		return lsio_why(why, cap, -LSIO_ESOURCE, "'%s': not JSON: %s at line %d, column %d",
				c->file, jerr.text, jerr.line, jerr.column);
	if (!json_is_object(o))
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "'%s': not a JSON object", c->file);
	else if (!type)
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "'%s': no \"type\" (\"service_account\" or \"authorized_user\")",
			       c->file);
	else if (!strcmp(type, "service_account"))
		ret = parse_service(c, o, why, cap);
	else if (!strcmp(type, "authorized_user"))
		ret = parse_user(c, o, why, cap);
	else
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "'%s': credentials of type \"%s\" are not supported (only \"service_account\" and \"authorized_user\")",
			       c->file, type);
	if (!ret && !(c->token_uri = strdup(uri ? uri : TOKEN_URI)))
		ret = -ENOMEM;
	json_decref(o);
	return ret;
}

static int file_load(struct lsio_gcs_creds *c, const char *path, char *why,
		     size_t cap)
{
	FILE *f;
	int ret;

	if (!(c->file = strdup(path)))
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return lsio_why(why, cap, -LSIO_ESOURCE, "cannot read '%s': %s", path,
				strerror(errno));
	ret = file_parse(c, f, why, cap);
	fclose(f);
	if (ret)
		return ret;
	if (c->kind == LSIO_GCS_SERVICE)
		snprintf(c->from, sizeof(c->from), "service account %.120s from '%.200s'",
			 c->email, path);
	else
		snprintf(c->from, sizeof(c->from), "authorized user (refresh token) from '%.250s'",
			 path);
	return 0;
}

/* gcloud's application default credentials, when the file exists. */
static char *adc_path(void)
{
	const char *dir = lsio_env("CLOUDSDK_CONFIG"), *home = lsio_env("HOME");
	char path[4096];

	if (dir)
		snprintf(path, sizeof(path), "%s/application_default_credentials.json", dir);
	else if (home)
		snprintf(path, sizeof(path), "%s/.config/gcloud/application_default_credentials.json",
			 home);
	else
		return NULL;
	return access(path, F_OK) ? NULL : strdup(path);
}

/* --- the JWT ------------------------------------------------------------ */

/* base64url of s (n bytes) appended to the string *out. */
static int b64_append(char **out, const void *s, size_t n)
{
	size_t have = *out ? strlen(*out) : 0, need = lsio_base64_len(n) + 2;
	char *p = realloc(*out, have + need);

	if (!p)
		return -ENOMEM;
	*out = p;
	if (have)
		p[have++] = '.';
	lsio_base64_encode(s, n, 1, p + have, need);
	return 0;
}

static int json_append(char **out, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int ret = s ? b64_append(out, s, strlen(s)) : -ENOMEM;

	free(s);
	json_decref(o);
	return ret;
}

int lsio_gcs_jwt(const struct lsio_gcs_creds *c, int64_t now, char **jwt,
		 char *why, size_t cap)
{
	json_t *head = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	char *s = NULL;
	int ret;

	if (head && c->key_id)
		json_object_set_new(head, "kid", json_string(c->key_id));
	ret = json_append(&s, head);
	if (!ret)
		ret = json_append(&s, json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", c->email,
						"scope", SCOPE, "aud", c->token_uri,
						"iat", (json_int_t)now,
						"exp", (json_int_t)(now + JWT_LIFE)));
	if (!ret)
		ret = lsio_rs256_sign(c->key_pem, s, strlen(s), &sig, &sig_len, why, cap);
	if (ret == -LSIO_EJOB)	/* the file's fault, not the job's */
		ret = -LSIO_ESOURCE;
	if (!ret)
		ret = b64_append(&s, sig, sig_len);
	free(sig);
	if (ret)
		free(s);
	*jwt = ret ? NULL : s;
	return ret;
}

/* --- the token exchange -------------------------------------------------- */

/* One request to url (aws_creds.c's exchange): a POST of form to a token
 * endpoint when given, else a GET of the metadata server, which is local
 * (1 s to connect, 2 s in all, no proxy).  0 when it was answered (any
 * status: refused() reads a refusal). */
static int ask(const char *url, const char *form, struct lsio_creds_body *x,
	       char *why, size_t cap)
{
	struct lsio_creds_req q = {
		.method = form ? "POST" : "GET", .url = url, .body = form,
		.hdr = { form ? NULL : "Metadata-Flavor: Google" },
		.connect_ms = form ? 5000 : 0, .timeout_ms = form ? 10000 : 0,
		.proxy_ok = form != NULL,
	};

	if (!lsio_creds_http(&q, x, why, cap) || (x->resp.status && !x->over))
		return 0;
	return -LSIO_ESOURCE;
}

/* "HTTP 400 Bad Request: invalid_grant: Invalid JWT Signature." from a
 * refusal: OAuth's {"error", "error_description"}, else the body's start. */
static int refused(const struct lsio_creds_body *x, char *why, size_t cap)
{
	json_t *o = json_loadb(x->body, x->len, 0, NULL);
	const char *e = jstr(o, "error"), *d = jstr(o, "error_description");
	char st[96];

	lsio_http_status_text(&x->resp, st, sizeof(st));
	if (e)
		lsio_why(why, cap, 0, "%s: %s%s%s", st, e, d ? ": " : "", d ? d : "");
	else
		lsio_why(why, cap, 0, "%s%s%.200s", st, x->len ? ": " : "", x->body);
	json_decref(o);
	return -LSIO_ESOURCE;
}

/* An access token goes into a header line: printable, no spaces. */
static bool token_ok(const char *t)
{
	for (; *t; t++)
		if (*t <= ' ' || *t > '~')
			return false;
	return true;
}

/* {"access_token", "expires_in", "token_type": "Bearer"}. */
static int token_parse(struct lsio_gcs_creds *c, const struct lsio_creds_body *x,
		       char *why, size_t cap)
{
	json_t *o = json_loadb(x->body, x->len, 0, NULL);
	const char *tok = jstr(o, "access_token"), *type = jstr(o, "token_type");
	json_t *life = json_object_get(o, "expires_in");
	int ret = -LSIO_ESOURCE;

	if (!json_is_object(o))
		lsio_why(why, cap, 0, "the response is not a JSON object");
	else if (!tok || !token_ok(tok))
		lsio_why(why, cap, 0, "no usable \"access_token\" in the response");
	else if (type && strcasecmp(type, "Bearer"))
		lsio_why(why, cap, 0, "a token of type \"%.40s\", not \"Bearer\"", type);
	else
		ret = (c->token = strdup(tok)) ? 0 : -ENOMEM;
	if (!ret)
		c->expires = json_is_number(life)
			? (int64_t)time(NULL) + (int64_t)json_number_value(life) : 0;
	json_decref(o);
	return ret;
}

/* value, form-urlencoded, appended to buf. */
static void form_add(char *buf, size_t cap, const char *name, const char *value)
{
	size_t n = strlen(buf);

	n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s=", n ? "&" : "", name);
	for (const unsigned char *p = (const unsigned char *)value; *p && n + 4 < cap; p++)
		n += (size_t)(isalnum(*p) || strchr("-._~", *p)
			? snprintf(buf + n, cap - n, "%c", *p)
			: snprintf(buf + n, cap - n, "%%%02X", *p));
}

/* The POST body that trades c for a token. */
static int grant(const struct lsio_gcs_creds *c, char **form, char *why,
		 size_t cap)
{
	char *jwt = NULL;
	size_t n;
	int ret = 0;

	if (c->kind == LSIO_GCS_SERVICE) {
		ret = lsio_gcs_jwt(c, (int64_t)time(NULL), &jwt, why, cap);
		if (ret)
			return ret;
	}
	n = 3 * (strlen(jwt ? jwt : "") + strlen(c->client_id ? c->client_id : "") +
		 strlen(c->client_secret ? c->client_secret : "") +
		 strlen(c->refresh_token ? c->refresh_token : "")) + 256;
	*form = calloc(1, n);
	if (!*form)
		ret = -ENOMEM;
	else if (jwt) {
		form_add(*form, n, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
		form_add(*form, n, "assertion", jwt);
	} else {
		form_add(*form, n, "grant_type", "refresh_token");
		form_add(*form, n, "client_id", c->client_id);
		form_add(*form, n, "client_secret", c->client_secret);
		form_add(*form, n, "refresh_token", c->refresh_token);
	}
	free(jwt);
	return ret;
}

int lsio_gcs_token_fetch(struct lsio_gcs_creds *c, char *why, size_t cap)
{
	struct lsio_creds_body *x = NULL;
	char *form = NULL, msg[512] = "";
	int ret;

	if (c->kind != LSIO_GCS_METADATA &&
	    (ret = grant(c, &form, msg, sizeof(msg)))) {
		if (ret != -ENOMEM)	/* the key: no request was made */
			lsio_why(why, cap, 0, "%s: private_key: %s", c->from, msg);
		return ret;
	}
	ret = lsio_curl_load(NULL) ? lsio_why(msg, sizeof(msg), -LSIO_EBACKEND, "libcurl cannot be loaded")
				   : 0;
	if (!ret && !(x = malloc(sizeof(*x))))
		ret = -ENOMEM;
	if (!ret)
		ret = ask(c->token_uri, form, x, msg, sizeof(msg));
	if (!ret && x->resp.status != 200)
		ret = refused(x, msg, sizeof(msg));
	if (!ret) {
		free(c->token);
		c->token = NULL;
		ret = token_parse(c, x, msg, sizeof(msg));
	}
	free(form);
	free(x);
	if (ret && ret != -ENOMEM)
		lsio_why(why, cap, 0, "%s: token request to %s: %s", c->from,
			 c->token_uri, msg);
	return ret;
}

/* --- the chain ------------------------------------------------------------ */

static bool metadata_off(void)
{
	const char *v = lsio_env("NO_GCE_CHECK");

	return v && !strcasecmp(v, "true");
}

/* The metadata server: a machine outside GCE has none, which is no error
 * (creds_cache.c remembers it for the process). */
static int from_metadata(struct lsio_gcs_creds *c, char *why, size_t cap)
{
	const char *host = lsio_env("GCE_METADATA_HOST");
	char url[1024];
	int ret;

	snprintf(url, sizeof(url), "http://%.900s" METADATA_PATH, host ? host : METADATA_HOST);
	if (!(c->token_uri = strdup(url)))
		return -ENOMEM;
	c->kind = LSIO_GCS_METADATA;
	snprintf(c->from, sizeof(c->from), "GCE metadata server at %.300s",
		 host ? host : METADATA_HOST);
	ret = lsio_gcs_token_fetch(c, why, cap);
	if (ret != -LSIO_ESOURCE)
		return ret ? ret : 1;
	c->kind = LSIO_GCS_NONE;
	snprintf(c->from, sizeof(c->from), "none: anonymous requests (%.340s)", why);
	return 0;
}

int lsio_gcs_creds_find(struct lsio_gcs_creds *c, char *why, size_t cap)
{
	const char *tok = lsio_env("GOOGLE_OAUTH_ACCESS_TOKEN");
	const char *file = lsio_env("GOOGLE_APPLICATION_CREDENTIALS");
	char *adc = NULL;
	int ret;

	memset(c, 0, sizeof(*c));
	lsio_why(why, cap, 0, "%s", "");
	if (tok) {
		c->kind = LSIO_GCS_TOKEN;
		snprintf(c->from, sizeof(c->from), "GOOGLE_OAUTH_ACCESS_TOKEN");
		return (c->token = strdup(tok)) ? 1 : -ENOMEM;
	}
	if (file || (adc = adc_path())) {
		ret = file_load(c, file ? file : adc, why, cap);
		free(adc);
		if (!ret)
			ret = lsio_gcs_token_fetch(c, why, cap);
		return ret ? ret : 1;
	}
	if (!metadata_off())
		return from_metadata(c, why, cap);
	snprintf(c->from, sizeof(c->from), "none: anonymous requests");
	return 0;
}

void lsio_gcs_creds_describe(const struct lsio_gcs_creds *c, char *buf,
			     size_t cap)
{
	char when[32] = "";
	struct tm tm;
	time_t t = (time_t)c->expires;

	if (c->expires && c->kind != LSIO_GCS_NONE) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(buf, cap, "%s%s%s", c->from, when[0] ? ", token expiring " : "", when);
}

void lsio_gcs_creds_release(struct lsio_gcs_creds *c)
{
	char **secret[] = { &c->key_pem, &c->client_secret, &c->refresh_token,
			    &c->token };

	/* The secrets are wiped, not only freed. */
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (*secret[i])
			explicit_bzero(*secret[i], strlen(*secret[i]));
	free(c->file);
	free(c->email);
	free(c->key_pem);
	free(c->key_id);
	free(c->client_id);
	free(c->client_secret);
	free(c->refresh_token);
	free(c->token_uri);
	free(c->token);
	memset(c, 0, sizeof(*c));
}
