/* SPDX-License-Identifier: MIT */
/*
 * s3_auth.c - from a source name to the URL that is requested, and the AWS
 * credentials that sign it.
 *
 * s3://bucket/key becomes an https URL on AWS (virtual-hosted) or on the
 * endpoint of an S3-compatible store (path-style); gs://bucket/key becomes
 * a path on storage.googleapis.com, whose XML API serves ranged GETs the
 * same way.  Credentials follow the AWS CLI: the environment first, then
 * the profile in ~/.aws/credentials and ~/.aws/config (unless the
 * profile names a role, a web identity or a command first: those are
 * aws_profile.c's).  Nothing here sends a request; libcurl signs each one
 * (CURLOPT_AWS_SIGV4).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/remote.h"

#define AWS_DEFAULT_REGION "us-east-1"
#define GCS_ENDPOINT "https://storage.googleapis.com"

__attribute__((format(printf, 3, 4)))
static void whyf(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!why || !cap)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* --- URLs ----------------------------------------------------------------- */

static bool has_scheme(const char *name, const char *scheme)
{
	size_t n = strlen(scheme);

	return !strncasecmp(name, scheme, n) && !strncmp(name + n, "://", 3);
}

/* bucket/key after "s3://" or "gs://". */
static int split_bucket(const char *name, const char *rest,
			struct lsio_url_parts *u, char *why, size_t cap)
{
	const char *slash = strchr(rest, '/');

	if (!slash || slash == rest || !slash[1]) {
		whyf(why, cap, "'%s': expected %.2s://BUCKET/KEY", name, name);
		return -LSIO_EJOB;
	}
	u->bucket = rest;
	u->bucket_len = (size_t)(slash - rest);
	u->key = slash + 1;
	u->key_len = strlen(slash + 1);
	return 0;
}

int lsio_url_split(const char *name, struct lsio_url_parts *u, char *why,
		   size_t cap)
{
	const char *rest;

	memset(u, 0, sizeof(*u));
	if (has_scheme(name, "s3") || has_scheme(name, "gs")) {
		u->kind = tolower((unsigned char)name[0]) == 's' ? LSIO_URL_S3
								 : LSIO_URL_GS;
		return split_bucket(name, name + 5, u, why, cap);
	}
	if (has_scheme(name, "az"))
		return lsio_az_split(name, u, why, cap);
	if (has_scheme(name, "http") || has_scheme(name, "https")) {
		u->kind = LSIO_URL_HTTP;
		rest = strstr(name, "://") + 3;
		if (!*rest || *rest == '/' || *rest == '?' || *rest == '#') {
			whyf(why, cap, "'%s': the URL has no host", name);
			return -LSIO_EJOB;
		}
		if (has_scheme(name, "https") &&
		    lsio_az_blob_host(rest, strcspn(rest, "/?#")))
			return lsio_az_split(name, u, why, cap);
		return 0;
	}
	whyf(why, cap, "'%s': not an http://, https://, s3://, gs:// or az:// URL",
	     name);
	return -LSIO_EJOB;
}

/* Bucket names AWS can serve as a host name under its wildcard
 * certificate: 3 to 63 lower-case letters, digits and hyphens (a dot
 * would not match *.s3.amazonaws.com). */
static bool bucket_dns_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i]) &&
		    b[i] != '-')
			return false;
	return true;
}

size_t lsio_url_key_encode(char *out, const char *key, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (isalnum(ch) || strchr("-_.~/", ch)) {
			out[len++] = (char)ch;
		} else {
			out[len++] = '%';
			out[len++] = hex[ch >> 4];
			out[len++] = hex[ch & 15];
		}
	}
	out[len] = '\0';
	return len;
}

/* "scheme://" and the rest of an endpoint, without a trailing '/'. */
static void endpoint_split(const char *ep, size_t *scheme_len, size_t *len)
{
	const char *p = strstr(ep, "://");

	*scheme_len = p ? (size_t)(p + 3 - ep) : 0;
	*len = strlen(ep);
	while (*len > *scheme_len && ep[*len - 1] == '/')
		(*len)--;
}

char *lsio_s3_url(const struct lsio_s3_config *c, const struct lsio_url_parts *u,
		  char *why, size_t cap)
{
	const char *region = c->region && *c->region ? c->region : AWS_DEFAULT_REGION;
	char aws[128];
	const char *ep = c->endpoint;
	size_t slen, elen, n;
	bool virt;
	char *url;

	if (!ep) {
		snprintf(aws, sizeof(aws), "https://s3.%s.amazonaws.com", region);
		ep = aws;
	}
	virt = c->addressing == LSIO_S3_VIRTUAL ||
	       (c->addressing < 0 && !c->endpoint &&
		bucket_dns_ok(u->bucket, u->bucket_len));
	if (virt && !bucket_dns_ok(u->bucket, u->bucket_len)) {
		whyf(why, cap, "bucket '%.*s' cannot be addressed virtual-hosted: use path-style",
		     (int)u->bucket_len, u->bucket);
		return NULL;
	}
	endpoint_split(ep, &slen, &elen);
	n = elen + u->bucket_len + 3 * u->key_len + 4;
	url = malloc(n);
	if (!url) {
		whyf(why, cap, "out of memory");
		return NULL;
	}
	if (virt)
		n = (size_t)sprintf(url, "%.*s%.*s.%.*s/", (int)slen, ep,
				    (int)u->bucket_len, u->bucket,
				    (int)(elen - slen), ep + slen);
	else
		n = (size_t)sprintf(url, "%.*s/%.*s/", (int)elen, ep,
				    (int)u->bucket_len, u->bucket);
	lsio_url_key_encode(url + n, u->key, u->key_len);
	return url;
}

char *lsio_gs_url(const char *endpoint, const struct lsio_url_parts *u)
{
	const char *ep = endpoint && *endpoint ? endpoint : GCS_ENDPOINT;
	size_t slen, elen;
	char *url;
	int n;

	endpoint_split(ep, &slen, &elen);
	url = malloc(elen + u->bucket_len + 3 * u->key_len + 4);
	if (!url)
		return NULL;
	n = sprintf(url, "%.*s/%.*s/", (int)elen, ep, (int)u->bucket_len,
		    u->bucket);
	lsio_url_key_encode(url + n, u->key, u->key_len);
	return url;
}

int lsio_url_host(const char *url, char *host, size_t cap)
{
	const char *p = strstr(url, "://"), *end, *at;

	if (!p || !cap)
		return -1;
	p += 3;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));	/* user:password@ */
	if (at)
		p = at + 1;
	if (end == p)
		return -1;
	snprintf(host, cap, "%.*s", (int)(end - p), p);
	for (char *h = host; *h; h++)
		*h = (char)tolower((unsigned char)*h);
	return 0;
}

/* --- INI files ------------------------------------------------------------ */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line of an INI file: a "[section]" (sets *in), or "key = value"
 * inside the wanted section.  Indented lines under a key with no value
 * ("s3 =" followed by "  endpoint_url = ...") belong to that key. */
static char *ini_line(char *line, const char *section, const char *key,
		      bool *in, bool *found, bool *nested)
{
	bool indented = line[0] == ' ' || line[0] == '\t';
	char *s = trim(line), *eq, *k, *v;

	if (!*s || *s == '#' || *s == ';')
		return NULL;
	if (*s == '[') {
		char *close = strchr(s, ']');

		if (close)
			*close = '\0';
		*in = !strcmp(trim(s + 1), section);
		*found |= *in;
		*nested = false;
		return NULL;
	}
	if (!*in || !(eq = strchr(s, '=')))
		return NULL;
	if (indented && *nested)
		return NULL;
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	*nested = !*v;
	if (strcasecmp(k, key) || !*v)
		return NULL;
	return strdup(v);
}

char *lsio_ini_get(const char *path, const char *section, const char *key,
		   bool *found_section)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	char line[4096], *value = NULL;
	bool in = false, found = false, nested = false;

	while (f && !value && fgets(line, sizeof(line), f))
		value = ini_line(line, section, key, &in, &found, &nested);
	if (f)
		fclose(f);
	if (found_section)
		*found_section = found;
	return value;
}

/* --- credentials ------------------------------------------------------------ */

/* $HOME/.aws/NAME unless the variable names another file. */
static void aws_file(char *buf, size_t cap, const char *var, const char *name)
{
	const char *home = lsio_env("HOME");

	if (lsio_env(var))
		snprintf(buf, cap, "%s", lsio_env(var));
	else
		snprintf(buf, cap, "%s/.aws/%s", home ? home : ".", name);
}

static int dup_into(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int lsio_aws_env_keys(struct lsio_creds *c, char *why, size_t cap)
{
	const char *id = lsio_env("AWS_ACCESS_KEY_ID");
	const char *secret = lsio_env("AWS_SECRET_ACCESS_KEY");

	if (!id && !secret)
		return 0;
	if (!id || !secret) {
		whyf(why, cap, "%s is set but %s is not",
		     id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		     id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -LSIO_EJOB;
	}
	free(c->access_key);
	free(c->secret_key);
	free(c->token);
	c->access_key = c->secret_key = c->token = NULL;
	if (dup_into(&c->access_key, id) || dup_into(&c->secret_key, secret) ||
	    dup_into(&c->token, lsio_env("AWS_SESSION_TOKEN")))
		return -ENOMEM;
	snprintf(c->from, sizeof(c->from), "environment");
	return 1;
}

/* The keys of one section of one file; 1 found, 0 not, < 0 incomplete. */
static int creds_from_file(struct lsio_creds *c, const char *path,
			   const char *section, const char *profile, bool *seen,
			   char *why, size_t cap)
{
	bool found = false;
	char *id = lsio_ini_get(path, section, "aws_access_key_id", &found);
	char *secret = lsio_ini_get(path, section, "aws_secret_access_key", NULL);

	*seen |= found;
	if (!id && !secret)
		return 0;
	if (!id || !secret) {
		whyf(why, cap, "profile '%s' in '%s' has %s but no %s", profile,
		     path, id ? "aws_access_key_id" : "aws_secret_access_key",
		     id ? "aws_secret_access_key" : "aws_access_key_id");
		free(id);
		free(secret);
		return -LSIO_EJOB;
	}
	free(c->access_key);
	free(c->secret_key);
	free(c->token);
	c->access_key = id;
	c->secret_key = secret;
	c->token = lsio_ini_get(path, section, "aws_session_token", NULL);
	snprintf(c->from, sizeof(c->from), "profile '%s' in '%s'", profile, path);
	return 1;
}

/* The files, and the config file's section of profile. */
struct aws_files {
	char creds[1024], config[1024], section[300];
};

static void files_init(struct aws_files *f, const char *profile)
{
	aws_file(f->creds, sizeof(f->creds), "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	aws_file(f->config, sizeof(f->config), "AWS_CONFIG_FILE", "config");
	snprintf(f->section, sizeof(f->section), "%s%s",
		 strcmp(profile, "default") ? "profile " : "", profile);
}

const char *lsio_aws_profile(void)
{
	return lsio_env("AWS_PROFILE") ? lsio_env("AWS_PROFILE") : "default";
}

char *lsio_aws_profile_get(const char *profile, const char *key, bool *seen)
{
	struct aws_files f;
	bool found = false;
	char *v;

	files_init(&f, profile);
	v = lsio_ini_get(f.creds, profile, key, &found);
	if (seen)
		*seen |= found;
	found = false;
	if (!v)
		v = lsio_ini_get(f.config, f.section, key, &found);
	if (seen)
		*seen |= found;
	return v;
}

/* The keys the credentials file has for profile, then those of the
 * config file; file says which (0 both, 1 credentials, 2 config). */
static int profile_keys(struct lsio_creds *c, const char *profile,
			int file, bool *seen, char *why, size_t cap)
{
	struct aws_files f;
	int ret = 0;

	files_init(&f, profile);
	if (file != 2)
		ret = creds_from_file(c, f.creds, profile, profile, seen, why, cap);
	if (!ret && file != 1)
		ret = creds_from_file(c, f.config, f.section, profile, seen, why, cap);
	return ret;
}

int lsio_aws_profile_keys(struct lsio_creds *c, const char *profile,
			  char *why, size_t cap)
{
	bool seen = false;

	return profile_keys(c, profile, 0, &seen, why, cap);
}

static bool profile_has(const char *profile, const char *key)
{
	char *v = lsio_aws_profile_get(profile, key, NULL);

	free(v);
	return v != NULL;
}

/* What the AWS CLI asks before the profile's static keys: a role to
 * assume, a web identity token, SSO (aws_profile.c says which). */
static bool profile_defers(const char *profile)
{
	return profile_has(profile, "role_arn") ||
	       (lsio_env("AWS_WEB_IDENTITY_TOKEN_FILE") && lsio_env("AWS_ROLE_ARN")) ||
	       profile_has(profile, "web_identity_token_file") ||
	       profile_has(profile, "sso_start_url") ||
	       profile_has(profile, "sso_session");
}

int lsio_aws_creds_find(struct lsio_creds *c, char *why, size_t cap)
{
	const char *profile = lsio_aws_profile();
	struct aws_files f;
	bool seen = false;
	int ret;

	memset(c, 0, sizeof(*c));
	files_init(&f, profile);
	c->region = lsio_ini_get(f.config, f.section, "region", &seen);
	c->endpoint = lsio_ini_get(f.config, f.section, "endpoint_url", NULL);
	ret = lsio_aws_env_keys(c, why, cap);
	if (!ret && profile_defers(profile))
		return 0;
	/* The credentials file's keys, the profile's credential_process
	 * (lsio_aws_creds_fetch runs it), the config file's keys. */
	if (!ret)
		ret = profile_keys(c, profile, 1, &seen, why, cap);
	if (!ret && profile_has(profile, "credential_process"))
		return 0;
	if (!ret)
		ret = profile_keys(c, profile, 2, &seen, why, cap);
	if (!ret && lsio_env("AWS_PROFILE") && !seen) {
		whyf(why, cap, "AWS_PROFILE '%s' is in neither '%s' nor '%s'",
		     profile, f.creds, f.config);
		ret = -LSIO_EJOB;
	}
	if (ret < 0)
		lsio_creds_release(c);
	return ret;
}

void lsio_creds_release(struct lsio_creds *c)
{
	free(c->access_key);
	free(c->secret_key);
	free(c->token);
	free(c->region);
	free(c->endpoint);
	c->access_key = c->secret_key = c->token = c->region = c->endpoint = NULL;
}
