/* SPDX-License-Identifier: MIT */
/*
 * remote.c - the remote sources of a plan: their URLs (s3://, gs:// and az://
 * translated), hosts, credentials and request settings, made once by the
 * planner and shared read-only by every worker's curl backend
 * (backend_curl.c); and the statistics the workers merge into it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/remote_state.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DEFAULT_ATTEMPTS 10
#define DEFAULT_DEADLINE 300.0
#define DEFAULT_TIMEOUT 30.0
/* Azure's REST version every request names: one Azurite serves too. */
#define AZ_VERSION "2021-08-06"

/* --- the remote sources of a plan ---------------------------------------- */

/* The version of an object a run reads: set once, by the first response
 * that names one, then only read. */


int lsio_slist_add(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = lsio_curl.slist_append(*l, line);

	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

/* The job's own headers go to every kind of source. */
static int headers_build(struct lsio_remote *r)
{
	const struct lsio_remote_settings *rs = &r->job->storage.remote;

	for (int k = 0; k < LSIO_URL_KINDS; k++)
		for (uint32_t i = 0; i < rs->nheaders; i++)
			if (lsio_slist_add(&r->hdr[k], rs->headers[i]))
				return -ENOMEM;
	return 0;
}

static bool no_sign(const struct lsio_remote *r, const struct lsio_options *opt)
{
	if (opt && opt->no_sign_request >= 0)
		return opt->no_sign_request > 0;
	return r->job->storage.remote.no_sign_request > 0;
}

/* Requester-pays buckets: the header goes on every s3:// request, and
 * libcurl signs it with the rest of the x-amz-* headers. */
static bool requester_pays(const struct lsio_remote *r,
			   const struct lsio_options *opt)
{
	if (opt && opt->request_payer >= 0)
		return opt->request_payer > 0;
	return r->job->storage.request_payer > 0;
}

/* The AWS chain: the environment and the profile files, then the
 * container's and the instance's endpoints. */
static int aws_chain(struct lsio_creds *c, char *why, size_t cap)
{
	int ret = lsio_aws_creds_find(c, why, cap);

	if (!ret)
		ret = lsio_aws_creds_fetch(c, why, cap);
	return ret;
}

/* What the AWS chain reads besides its files. */
static const char *const aws_env[] = { "AWS_", "HOME=", NULL };

/* Credentials for s3:// sources (and the profile's region and endpoint);
 * a missing key is reported when the first request would be sent, so
 * lsio plan works without one. */
static int s3_creds(struct lsio_remote *r, const struct lsio_options *opt)
{
	char why[LSIO_MSG_MAX / 2] = "";
	int ret;

	/* The profile's region and endpoint apply, signed or not; its
	 * errors are the chain's, reported below. */
	lsio_aws_creds_find(&r->aws, NULL, 0);
	if (no_sign(r, opt)) {
		snprintf(r->aws.from, sizeof(r->aws.from), "none: unsigned requests (no_sign_request)");
		return 0;
	}
	ret = lsio_creds_get(aws_chain, aws_env, &r->s3_keys, why, sizeof(why));
	if (ret < 0)
		return lsio_fail(r->ctx, ret == -ENOMEM ? ret : -LSIO_ESOURCE,
				 "AWS credentials: %s", why);
	if (!ret) {
		/* Why the instance metadata gave none, when it was asked. */
		r->ready_err = -LSIO_ESOURCE;
		snprintf(r->ready_msg, sizeof(r->ready_msg),
			 "no AWS credentials to sign requests for s3:// sources: %s%sset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or use --no-sign-request for a public bucket",
			 why, *why ? "; " : "");
		snprintf(r->aws.from, sizeof(r->aws.from), "none%s%.360s%s",
			 *why ? " (" : "", why, *why ? ")" : "");
		r->s3_keys = NULL;
	}
	return 0;
}

/* SigV4 for region, and the headers libcurl does not add itself. */
static int s3_signing(struct lsio_remote *r, const char *region)
{
	const struct lsio_creds *keys = lsio_creds_now(r->s3_keys);
	size_t n = strlen(region) + 16;

	if (!keys)
		return 0;
	r->sigv4 = malloc(n);
	if (!r->sigv4)
		return -ENOMEM;
	snprintf(r->sigv4, n, "aws:amz:%s:s3", region);
	/* S3 insists on the payload's hash; a GET's payload is empty. */
	/* The session token goes with each request (backend_curl.c): keys
	 * renewed during the run bring another. */
	return lsio_slist_add(&r->hdr[LSIO_URL_S3], "x-amz-content-sha256: " EMPTY_SHA256);
}

/* Google's chain (gcs_creds.c) as creds_cache.c keeps it: the token, its
 * expiry and where it came from (anonymous: why, as "none"). */
static int gcs_chain(struct lsio_creds *k, char *why, size_t cap)
{
	struct lsio_gcs_creds c;
	int ret = lsio_gcs_creds_find(&c, why, cap);

	if (ret > 0) {
		k->token = c.token;
		c.token = NULL;
		k->expires = c.expires;
		snprintf(k->from, sizeof(k->from), "%s", c.from);
	} else if (!ret) {
		snprintf(why, cap, "%s", c.from);
	}
	lsio_gcs_creds_release(&c);
	return ret;
}

static const char *const gcs_env[] = { "GOOGLE_", "GCE_", "NO_GCE_CHECK=",
				       "CLOUDSDK_", "HOME=", NULL };

/* The token gs:// requests carry, each its own (backend_curl.c): a token
 * renewed during the run replaces it. */
static int gs_setup(struct lsio_remote *r, const struct lsio_options *opt)
{
	char why[LSIO_MSG_MAX / 2] = "";
	int ret;

	if (no_sign(r, opt)) {
		snprintf(r->gs_none, sizeof(r->gs_none), "none: anonymous requests (no_sign_request)");
		return 0;
	}
	ret = lsio_creds_get(gcs_chain, gcs_env, &r->gs_keys, why, sizeof(why));
	if (ret < 0)
		return lsio_fail(r->ctx, ret == -ENOMEM ? ret : -LSIO_ESOURCE,
				 "GCS credentials: %s", why);
	if (!ret) {
		snprintf(r->gs_none, sizeof(r->gs_none), "%.380s", why);
		r->gs_keys = NULL;
	}
	return 0;
}

/* Azure's environment, and the version header every Azure request sends;
 * the credentials themselves are each source's (az_source()). */
static int az_setup(struct lsio_remote *r)
{
	char why[LSIO_MSG_MAX / 2] = "";
	int ret = lsio_az_init(&r->az, why, sizeof(why));

	if (ret)
		return lsio_fail(r->ctx, ret == -ENOMEM ? ret : -LSIO_ESOURCE,
				 "azure credentials: %s", why);
	return lsio_slist_add(&r->hdr[LSIO_URL_AZ], "x-ms-version: " AZ_VERSION);
}

static int host_index(struct lsio_remote *r, const char *url, uint32_t *out)
{
	char host[256];
	char **hosts;

	if (lsio_url_host(url, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	for (uint32_t i = 0; i < r->nhosts; i++) {
		if (!strcmp(r->hosts[i], host)) {
			*out = i;
			return 0;
		}
	}
	hosts = realloc(r->hosts, (r->nhosts + 1) * sizeof(*hosts));
	if (!hosts)
		return -ENOMEM;
	r->hosts = hosts;
	hosts[r->nhosts] = strdup(host);
	if (!hosts[r->nhosts])
		return -ENOMEM;
	*out = r->nhosts++;
	return 0;
}

/* The endpoint in a variable such as STORAGE_EMULATOR_HOST, which may come
 * without a scheme ("localhost:4443"). */
static char *endpoint_env(const char *var)
{
	const char *v = lsio_env(var);
	char *out;

	if (!v)
		return NULL;
	if (strstr(v, "://"))
		return strdup(v);
	out = malloc(strlen(v) + 8);
	if (out)
		sprintf(out, "http://%s", v);
	return out;
}

struct url_env {
	struct lsio_s3_config s3;
	char *gs_endpoint;
	bool az_anon;		/* no_sign_request */
};

/* An Azure source's URL and credentials; the first one's are what
 * plan -v says. */
static char *az_source(struct lsio_remote *r, struct lsio_remote_src *rs,
		       const char *name, const struct lsio_url_parts *u,
		       const struct url_env *ue, char *why, size_t cap)
{
	struct lsio_az_source as;
	char note[128];

	if (lsio_az_source(&r->az, name, u, ue->az_anon, &as, why, cap))
		return NULL;
	rs->az_auth = (uint8_t)as.auth;
	if (!r->az_from[0]) {
		if (ue->az_anon)
			snprintf(note, sizeof(note), "no_sign_request");
		else if (!as.ours && r->az.account)
			snprintf(note, sizeof(note), "the environment's credentials are for account %.60s",
				 r->az.account);
		lsio_az_creds_text(&r->az, as.auth,
				   ue->az_anon || (!as.ours && r->az.account) ? note : NULL,
				   r->az_from, sizeof(r->az_from));
	}
	return as.url;
}

static int source_url(struct lsio_remote *r, uint32_t s,
		      const struct url_env *ue)
{
	struct lsio_remote_src *rs = &r->src[s];
	const char *name = r->job->sources[s].path;
	struct lsio_url_parts u;
	char why[512], buf[512];

	if (lsio_url_split(name, &u, why, sizeof(why)))
		return lsio_fail(r->ctx, -LSIO_ESOURCE, "source %s", why);
	rs->kind = (uint8_t)u.kind;
	if (u.kind == LSIO_URL_S3)
		rs->url = lsio_s3_url(&ue->s3, &u, why, sizeof(why));
	else if (u.kind == LSIO_URL_GS)
		rs->url = lsio_gs_url(ue->gs_endpoint, &u);
	else if (u.kind == LSIO_URL_AZ)
		rs->url = az_source(r, rs, name, &u, ue, why, sizeof(why));
	else
		rs->url = strdup(name);
	if (!rs->url)
		return (u.kind == LSIO_URL_S3 || u.kind == LSIO_URL_AZ) &&
		       strcmp(why, "out of memory")
			? lsio_fail(r->ctx, -LSIO_ESOURCE, "source '%s': %s",
				    lsio_url_redact(name, buf, sizeof(buf)), why)
			: lsio_fail(r->ctx, -ENOMEM, "out of memory");
	return host_index(r, rs->url, &rs->host) ? -ENOMEM : 0;
}

static bool job_has_kind(const struct lsio_job *job,
			 const struct lsio_source_facts *facts,
			 const char *scheme)
{
	size_t n = strlen(scheme);

	for (uint32_t s = 0; s < job->nsources; s++)
		if (lsio_facts_remote(&facts[s]) &&
		    !strncasecmp(job->sources[s].path, scheme, n))
			return true;
	return false;
}

/* Region and endpoint: the job, then the environment, then the profile. */
static int s3_env(struct lsio_remote *r, const struct lsio_options *opt,
		  struct lsio_s3_config *c)
{
	const struct lsio_remote_settings *rs = &r->job->storage.remote;
	const char *v;
	int ret = s3_creds(r, opt);

	if (ret)
		return ret;
	c->region = rs->s3_region;
	if (!c->region && !(c->region = lsio_env("AWS_REGION")) &&
	    !(c->region = lsio_env("AWS_DEFAULT_REGION")))
		c->region = r->aws.region ? r->aws.region : "us-east-1";
	v = rs->s3_endpoint;
	if (!v && !(v = lsio_env("AWS_ENDPOINT_URL_S3")) && !(v = lsio_env("AWS_ENDPOINT_URL")))
		v = r->aws.endpoint;
	c->endpoint = v;
	if (requester_pays(r, opt) &&
	    lsio_slist_add(&r->hdr[LSIO_URL_S3], "x-amz-request-payer: requester"))
		return -ENOMEM;
	return s3_signing(r, c->region) ? -ENOMEM : 0;
}

/* Every name is a URL lsio can read: checked before any credentials are
 * fetched, so that a typo never waits on a metadata service.  *az: some
 * are Azure's. */
static int names_check(struct lsio_remote *r,
		       const struct lsio_source_facts *facts, bool *az)
{
	struct lsio_url_parts u;
	char why[512];

	*az = false;
	for (uint32_t s = 0; s < r->job->nsources; s++) {
		if (!lsio_facts_remote(&facts[s]))
			continue;
		if (lsio_url_split(r->job->sources[s].path, &u, why, sizeof(why)))
			return lsio_fail(r->ctx, -LSIO_ESOURCE, "source %s", why);
		*az |= u.kind == LSIO_URL_AZ;
	}
	return 0;
}

static int url_env_init(struct lsio_remote *r,
			const struct lsio_source_facts *facts,
			const struct lsio_options *opt, bool az,
			struct url_env *ue)
{
	int ret = 0;

	memset(ue, 0, sizeof(*ue));
	ue->az_anon = no_sign(r, opt);
	if (az)
		ret = az_setup(r);
	ue->s3.addressing = r->job->storage.remote.s3_addressing;
	if (!ret && job_has_kind(r->job, facts, "s3://"))
		ret = s3_env(r, opt, &ue->s3);
	if (!ret && job_has_kind(r->job, facts, "gs://")) {
		ue->gs_endpoint = endpoint_env("STORAGE_EMULATOR_HOST");
		ret = gs_setup(r, opt);
	}
	return ret;
}

int lsio_remote_new(struct lsio_ctx *ctx, const struct lsio_job *job,
		    const struct lsio_source_facts *facts,
		    const struct lsio_options *opt, struct lsio_remote **out)
{
	const struct lsio_remote_settings *rs = &job->storage.remote;
	struct lsio_remote *r;
	struct url_env ue;
	bool any = false, az;
	int ret;

	*out = NULL;
	for (uint32_t s = 0; s < job->nsources && !any; s++)
		any = lsio_facts_remote(&facts[s]);
	if (!any)
		return 0;
	/* The first remote source loads libcurl: local runs never do. */
	ret = lsio_curl_load(ctx);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->src = calloc(job->nsources, sizeof(*r->src)))) {
		free(r);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	r->ctx = ctx;
	r->job = job;
	pthread_mutex_init(&r->lock, NULL);
	r->attempts = rs->attempts > 0 ? (unsigned)rs->attempts : DEFAULT_ATTEMPTS;
	r->deadline = rs->deadline > 0 ? rs->deadline : DEFAULT_DEADLINE;
	r->timeout = rs->timeout > 0 ? rs->timeout : DEFAULT_TIMEOUT;
	r->http11 = rs->http_version == LSIO_HTTP_1_1;
	r->missing_403 = rs->missing_403;
	r->depth = 128;
	r->netrc = lsio_env("NETRC");
	r->cainfo = lsio_env("CURL_CA_BUNDLE");
	ret = headers_build(r) ? lsio_fail(ctx, -ENOMEM, "out of memory") : 0;
	memset(&ue, 0, sizeof(ue));
	if (!ret)
		ret = names_check(r, facts, &az);
	if (!ret)
		ret = url_env_init(r, facts, opt, az, &ue);
	for (uint32_t s = 0; s < job->nsources && !ret; s++)
		if (lsio_facts_remote(&facts[s]))
			ret = source_url(r, s, &ue);
	free(ue.gs_endpoint);
	if (!ret) {
		r->stats = calloc(MAX(r->nhosts, 1), sizeof(*r->stats));
		r->warned = calloc(MAX(r->nhosts, 1), sizeof(*r->warned));
		if (!r->stats || !r->warned)
			ret = lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	if (ret) {
		lsio_remote_free(r);
		return ret == -ENOMEM ? lsio_fail(ctx, ret, "out of memory") : ret;
	}
	*out = r;
	return 0;
}

void lsio_remote_free(struct lsio_remote *r)
{
	if (!r)
		return;
	for (uint32_t s = 0; s < r->job->nsources; s++) {
		free(r->src[s].url);
		free(atomic_load(&r->src[s].pin));
	}
	free(r->src);
	for (uint32_t i = 0; i < r->nhosts; i++)
		free(r->hosts[i]);
	free(r->hosts);
	free(r->warned);
	free(r->stats);
	for (int k = 0; k < LSIO_URL_KINDS; k++)
		lsio_curl.slist_free_all(r->hdr[k]);
	lsio_az_release(&r->az);
	lsio_creds_release(&r->aws);
	free(r->sigv4);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void lsio_remote_set_depth(struct lsio_remote *r, unsigned depth)
{
	if (r && depth)
		r->depth = depth;
}

const char *lsio_remote_host(const struct lsio_remote *r, uint32_t source)
{
	return r->hosts[r->src[source].host];
}

/* What plan -v calls each kind of source's credentials (plain http has
 * none of its own: .netrc and the job's headers). */
static const struct { int kind; const char *name; } creds_kinds[] = {
	{ LSIO_URL_S3, "s3" }, { LSIO_URL_GS, "gcs" }, { LSIO_URL_AZ, "azure" },
};

int lsio_remote_creds(const struct lsio_remote *r, unsigned i,
		      const char **name, char *buf, size_t cap)
{
	const struct lsio_creds *k;
	const char *none;
	char when[32] = "";
	struct tm tm;
	int kind;
	time_t t;

	if (i >= ARRAY_SIZE(creds_kinds))
		return -1;
	kind = creds_kinds[i].kind;
	*name = creds_kinds[i].name;
	if (!r)
		return 0;
	if (kind == LSIO_URL_AZ) {	/* each source's own: azure.c */
		snprintf(buf, cap, "%s", r->az_from);
		return r->az_from[0] != '\0';
	}
	k = lsio_creds_now(kind == LSIO_URL_S3 ? r->s3_keys : r->gs_keys);
	none = kind == LSIO_URL_S3 ? r->aws.from : r->gs_none;
	if (!k) {
		snprintf(buf, cap, "%s", none);
		return *none != '\0';
	}
	if (k->expires) {
		t = (time_t)k->expires;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(buf, cap, "%s%s%s%s", k->from,
		 kind == LSIO_URL_S3 && k->token ? ", with a session token" : "",
		 !when[0] ? "" : kind == LSIO_URL_S3 ? ", expiring " : ", token expiring ",
		 when);
	return 1;
}

int lsio_remote_ready(struct lsio_remote *r)
{
	if (!r || !r->ready_err)
		return 0;
	return lsio_fail_first(r->ctx, r->ready_err, "%s", r->ready_msg);
}

/* --- statistics ------------------------------------------------------------------ */

static void host_out(struct lsio_host_stats *o, const char *name,
		     const struct host_stats *hs)
{
	snprintf(o->host, sizeof(o->host), "%s", name);
	o->requests = hs->requests;
	o->retries = hs->retries;
	o->bytes = hs->bytes;
	o->latency[0] = lsio_latency_quantile(&hs->lat, 0.5);
	o->latency[1] = lsio_latency_quantile(&hs->lat, 0.9);
	o->latency[2] = lsio_latency_quantile(&hs->lat, 0.99);
	o->first_byte = lsio_latency_quantile(&hs->first_byte, 0.5);
}

void lsio_remote_stats(struct lsio_remote *r, struct lsio_stats *st)
{
	const uint32_t slots = ARRAY_SIZE(st->hosts);
	struct host_stats *other;
	uint32_t used = 0, nother = 0;

	if (!r)
		return;
	other = calloc(1, sizeof(*other));
	pthread_mutex_lock(&r->lock);
	for (uint32_t h = 0; h < r->nhosts; h++)
		used += r->stats[h].requests > 0;
	for (uint32_t h = 0; h < r->nhosts; h++) {
		const struct host_stats *hs = &r->stats[h];

		st->remote_requests += hs->requests;
		st->remote_retries += hs->retries;
		st->remote_bytes += hs->bytes;
		if (!hs->requests)
			continue;
		/* More hosts than slots: the last slot sums the rest. */
		if (used <= slots || st->nhosts < slots - 1) {
			host_out(&st->hosts[st->nhosts++], r->hosts[h], hs);
		} else if (other) {
			other->requests += hs->requests;
			other->retries += hs->retries;
			other->bytes += hs->bytes;
			lsio_latency_merge(&other->lat, &hs->lat);
			nother++;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (nother)
		host_out(&st->hosts[st->nhosts++], "(other)", other);
	free(other);
}
