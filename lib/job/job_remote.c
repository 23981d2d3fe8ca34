/* SPDX-License-Identifier: MIT */
/*
 * job_remote.c - the parts of a job's "storage" section that say how remote
 * sources are reached: "s3" (endpoint, region, addressing, unsigned
 * requests), "http" (headers sent with every request) and "retry"
 * (attempts, deadline, timeout).  job_opts.c hands these three keys here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "job/job.h"

static const char *const section_keys[] = { "s3", "http", "retry", NULL };
/* request_payer is job_opts.c's (its table's "s3.request_payer"). */
static const char *const s3_keys[] = { "endpoint", "region", "addressing",
				       "no_sign_request", "request_payer", NULL };
static const char *const http_keys[] = { "headers", "version", NULL };
static const char *const retry_keys[] = { "attempts", "deadline", "timeout",
					  NULL };

static const struct lsio_opt_choice addressing_choices[] = {
	{ "path", LSIO_S3_PATH }, { "virtual", LSIO_S3_VIRTUAL }, { NULL, 0 }
};

void lsio_remote_settings_init(struct lsio_remote_settings *r)
{
	memset(r, 0, sizeof(*r));
	r->s3_addressing = -1;
	r->no_sign_request = -1;
	r->http_version = -1;
	r->attempts = -1;
	r->deadline = -1;
	r->timeout = -1;
}

void lsio_remote_settings_release(struct lsio_remote_settings *r)
{
	free(r->s3_endpoint);
	free(r->s3_region);
	for (uint32_t i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	lsio_remote_settings_init(r);
}

/* Keys of obj must be in keys[]; says which is not, with a guess. */
static int keys_check(struct lsio_ctx *ctx, const char *where, json_t *obj,
		      const char *const *keys)
{
	const char *key, *hint;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return lsio_fail(ctx, -LSIO_EJOB, "%s: expected an object", where);
	json_object_foreach(obj, key, v) {
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (keys[i])
			continue;
		hint = lsio_did_you_mean(key, keys);
		return lsio_fail(ctx, -LSIO_EJOB, "%s: unknown key '%s'%s%s%s",
				 where, key, hint ? " (did you mean '" : "",
				 hint ? hint : "", hint ? "'?)" : "");
	}
	return 0;
}

static int get_text(struct lsio_ctx *ctx, const char *where, const char *key,
		    json_t *v, char **out)
{
	const char *s = json_string_value(v);

	if (!s || !*s)
		return lsio_fail(ctx, -LSIO_EJOB, "%s.%s: expected a non-empty string",
				 where, key);
	free(*out);
	*out = strdup(s);
	return *out ? 0 : lsio_fail(ctx, -ENOMEM, "out of memory");
}

static int s3_endpoint_check(struct lsio_ctx *ctx, const char *where,
			     const char *ep)
{
	if (strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.endpoint: '%s' is not an http:// or https:// URL",
				 where, ep);
	if (strchr(strstr(ep, "://") + 3, '?'))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.endpoint: '%s': a query string is not allowed",
				 where, ep);
	return 0;
}

static int s3_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		    struct lsio_remote_settings *out)
{
	json_t *v;
	int ret = keys_check(ctx, where, obj, s3_keys);

	if (!ret && (v = json_object_get(obj, "endpoint"))) {
		ret = get_text(ctx, where, "endpoint", v, &out->s3_endpoint);
		if (!ret)
			ret = s3_endpoint_check(ctx, where, out->s3_endpoint);
	}
	if (!ret && (v = json_object_get(obj, "region")))
		ret = get_text(ctx, where, "region", v, &out->s3_region);
	if (!ret && (v = json_object_get(obj, "addressing"))) {
		const char *s = json_string_value(v);
		size_t i;

		for (i = 0; s && addressing_choices[i].name; i++)
			if (!strcmp(s, addressing_choices[i].name))
				break;
		if (!s || !addressing_choices[i].name)
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s.addressing: expected \"path\" or \"virtual\"", where);
		out->s3_addressing = addressing_choices[i].value;
	}
	if (!ret && (v = json_object_get(obj, "no_sign_request"))) {
		if (!json_is_boolean(v))
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s.no_sign_request: expected true or false", where);
		out->no_sign_request = json_is_true(v);
	}
	return ret;
}

/* An HTTP token (RFC 9110): what a header name may be made of. */
static bool header_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static int header_add(struct lsio_ctx *ctx, const char *where,
		      const char *name, json_t *v,
		      struct lsio_remote_settings *out)
{
	const char *value = json_string_value(v);
	size_t n;

	if (!header_name_ok(name))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.headers: '%s' is not a valid header name", where, name);
	if (!value || strpbrk(value, "\r\n"))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.headers.%s: expected a string on one line", where, name);
	/* lsio asks for its own ranges, and signs its own requests. */
	if (!strcasecmp(name, "range") || !strcasecmp(name, "host"))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.headers: '%s' is set by lsio itself", where, name);
	n = strlen(name) + strlen(value) + 3;
	out->headers[out->nheaders] = malloc(n);
	if (!out->headers[out->nheaders])
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	snprintf(out->headers[out->nheaders++], n, "%s: %s", name, value);
	return 0;
}

static int http_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		      struct lsio_remote_settings *out)
{
	json_t *h, *v;
	const char *name;
	int ret = keys_check(ctx, where, obj, http_keys);

	if (!ret && (v = json_object_get(obj, "version"))) {
		const char *s = json_string_value(v);

		if (!s || (strcmp(s, "auto") && strcmp(s, "1.1")))
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s.version: expected \"auto\" or \"1.1\"", where);
		out->http_version = strcmp(s, "auto") ? LSIO_HTTP_1_1 : LSIO_HTTP_AUTO;
	}
	h = json_object_get(obj, "headers");
	if (ret || !h)
		return ret;
	if (!json_is_object(h))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.headers: expected an object of header names and values",
				 where);
	out->headers = calloc(json_object_size(h) + 1, sizeof(*out->headers));
	if (!out->headers)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	json_object_foreach(h, name, v) {
		ret = header_add(ctx, where, name, v, out);
		if (ret)
			return ret;
	}
	return 0;
}

/* A positive number of seconds. */
static int get_seconds(struct lsio_ctx *ctx, const char *where,
		       const char *key, json_t *v, double *out)
{
	if (!json_is_number(v) || json_number_value(v) <= 0 ||
	    json_number_value(v) > 86400)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.%s: expected seconds, a number above 0 and at most 86400",
				 where, key);
	*out = json_number_value(v);
	return 0;
}

static int retry_parse(struct lsio_ctx *ctx, const char *where, json_t *obj,
		       struct lsio_remote_settings *out)
{
	json_t *v;
	int ret = keys_check(ctx, where, obj, retry_keys);

	if (!ret && (v = json_object_get(obj, "attempts"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100)
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s.attempts: expected an integer from 1 to 100", where);
		out->attempts = (int)json_integer_value(v);
	}
	if (!ret && (v = json_object_get(obj, "deadline")))
		ret = get_seconds(ctx, where, "deadline", v, &out->deadline);
	if (!ret && (v = json_object_get(obj, "timeout")))
		ret = get_seconds(ctx, where, "timeout", v, &out->timeout);
	return ret;
}

int lsio_remote_settings_parse(struct lsio_ctx *ctx, const char *where,
			       const char *key, json_t *v,
			       struct lsio_remote_settings *out)
{
	char path[LSIO_MSG_MAX];

	snprintf(path, sizeof(path), "%s.%s", where, key);
	if (!strcmp(key, section_keys[0]))
		return s3_parse(ctx, path, v, out);
	if (!strcmp(key, section_keys[1]))
		return http_parse(ctx, path, v, out);
	if (!strcmp(key, section_keys[2]))
		return retry_parse(ctx, path, v, out);
	return 1;
}

void lsio_job_s3_text(const struct lsio_options *opt, struct lsio_strbuf *b)
{
	bool unsigned_ = opt && opt->no_sign_request > 0;
	bool payer = opt && opt->request_payer > 0;

	if (!unsigned_ && !payer)
		return;
	lsio_strbuf_printf(b, "  \"storage\": {\"s3\": {%s%s%s}},\n",
			   unsigned_ ? "\"no_sign_request\": true" : "",
			   unsigned_ && payer ? ", " : "",
			   payer ? "\"request_payer\": true" : "");
}
