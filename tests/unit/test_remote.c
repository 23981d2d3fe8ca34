/* SPDX-License-Identifier: MIT */
/*
 * test_remote.c - the parts of remote reads that need no server:
 *
 *  1. source names: s3://, gs://, http(s):// split, and the URLs they
 *     become (virtual-hosted and path-style, endpoints, key encoding);
 *  2. AWS credentials: the environment, profile files, their precedence,
 *     the profile's region and endpoint, incomplete keys;
 *  3. responses, replayed from recorded header lines (nginx, S3, Swift,
 *     HTTP/2): status, Content-Range, ETag, Retry-After, and the verdict
 *     for each (206 right or wrong, 200 sliced, 416, retryable, fatal);
 *  4. S3 error bodies and the backoff's bounds;
 *  5. the job's storage.s3 / http / retry keys.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/remote.h"
#include "unit.h"

static char top[PATH_MAX];

__attribute__((format(printf, 3, 4)))
static void fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, cap, f, ap);
	va_end(ap);
}

/* --- 1. names and URLs ----------------------------------------------------- */

static char *s3_url(const char *name, const char *endpoint, const char *region,
		    int addressing, char *why)
{
	struct lsio_s3_config c = { endpoint, region, addressing };
	struct lsio_url_parts u;

	if (lsio_url_split(name, &u, why, 256))
		return NULL;
	return lsio_s3_url(&c, &u, why, 256);
}

static void test_urls(void)
{
	static const struct {
		const char *name, *endpoint, *region;
		int addressing;
		const char *want;	/* NULL: an error */
	} cases[] = {
		{ "s3://era5-data/t2m/0.0", NULL, "eu-west-1", -1,
		  "https://era5-data.s3.eu-west-1.amazonaws.com/t2m/0.0" },
		{ "s3://noaa-gfs-bdp-pds/gfs.20240101/00/atmos/f000", NULL, NULL, -1,
		  "https://noaa-gfs-bdp-pds.s3.us-east-1.amazonaws.com/gfs.20240101/00/atmos/f000" },
		/* Dots break the wildcard certificate: path-style. */
		{ "s3://my.bucket/k", NULL, "us-west-2", -1,
		  "https://s3.us-west-2.amazonaws.com/my.bucket/k" },
		{ "s3://my.bucket/k", NULL, "us-west-2", LSIO_S3_VIRTUAL, NULL },
		{ "s3://Upper/k", NULL, NULL, -1,
		  "https://s3.us-east-1.amazonaws.com/Upper/k" },
		{ "s3://b/k", NULL, NULL, LSIO_S3_PATH,
		  "https://s3.us-east-1.amazonaws.com/b/k" },
		/* A custom endpoint is path-style unless told otherwise. */
		{ "s3://bkt/a/b.bin", "http://127.0.0.1:9000", NULL, -1,
		  "http://127.0.0.1:9000/bkt/a/b.bin" },
		{ "s3://bkt/a/b.bin", "http://127.0.0.1:9000/", NULL, -1,
		  "http://127.0.0.1:9000/bkt/a/b.bin" },
		{ "s3://bkt/a/b.bin", "http://localhost:9000", NULL, LSIO_S3_VIRTUAL,
		  "http://bkt.localhost:9000/a/b.bin" },
		/* Keys are encoded as S3 signs them; '/' stays. */
		{ "s3://bkt/dir name/x+y=z%.bin", "https://minio.example", NULL, -1,
		  "https://minio.example/bkt/dir%20name/x%2By%3Dz%25.bin" },
		{ "s3://bkt/~user/a-b_c.d", "https://e.x", NULL, -1,
		  "https://e.x/bkt/~user/a-b_c.d" },
		{ "S3://bkt/k", "https://e.x", NULL, -1, "https://e.x/bkt/k" },
		{ "s3://bkt", NULL, NULL, -1, NULL },
		{ "s3://bkt/", NULL, NULL, -1, NULL },
		{ "s3:///key", NULL, NULL, -1, NULL },
	};
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *url;

		why[0] = '\0';
		url = s3_url(cases[i].name, cases[i].endpoint, cases[i].region,
			     cases[i].addressing, why);
		if (!cases[i].want)
			CHECK(!url && why[0], "%s: expected an error, got %s",
			      cases[i].name, url ? url : "(null)");
		else
			CHECK(url && !strcmp(url, cases[i].want), "%s: got %s (%s), want %s",
			      cases[i].name, url ? url : "(null)", why, cases[i].want);
		free(url);
	}
}

static void test_gs_http(void)
{
	struct lsio_url_parts u;
	char why[256], host[64];
	char *url;

	CHECK(!lsio_url_split("gs://era5/ar/t/0.0", &u, why, sizeof(why)) &&
	      u.kind == LSIO_URL_GS, "gs split");
	url = lsio_gs_url(NULL, &u);
	CHECK(url && !strcmp(url, "https://storage.googleapis.com/era5/ar/t/0.0"),
	      "gs url %s", url);
	free(url);
	url = lsio_gs_url("http://127.0.0.1:4443/", &u);
	CHECK(url && !strcmp(url, "http://127.0.0.1:4443/era5/ar/t/0.0"),
	      "gs emulator url %s", url);
	free(url);
	CHECK(!lsio_url_split("https://h.example/x?y=1", &u, why, sizeof(why)) &&
	      u.kind == LSIO_URL_HTTP, "https split");
	CHECK(lsio_url_split("http:///x", &u, why, sizeof(why)) && strstr(why, "no host"),
	      "http without host: %s", why);
	CHECK(lsio_url_split("ftp://h/x", &u, why, sizeof(why)), "ftp refused");
	CHECK(!lsio_url_host("https://user:pw@Data.Example:8443/a/b", host, sizeof(host)) &&
	      !strcmp(host, "data.example:8443"), "host %s", host);
	CHECK(!lsio_url_host("http://h.example?q", host, sizeof(host)) &&
	      !strcmp(host, "h.example"), "host %s", host);
	CHECK(lsio_url_host("no-scheme", host, sizeof(host)), "host of a non-URL");
}

/* --- 2. credentials ----------------------------------------------------------- */

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_DISABLED", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", NULL
};

static void env_clear(void)
{
	for (size_t i = 0; aws_vars[i]; i++)
		unsetenv(aws_vars[i]);
}

static void write_text(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	fmt(path, sizeof(path), "%s/.aws/%s", top, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int find(struct lsio_creds *c, char *why)
{
	why[0] = '\0';
	return lsio_aws_creds_find(c, why, 256);
}

static void test_creds(void)
{
	struct lsio_creds c;
	char why[256], path[PATH_MAX];

	fmt(path, sizeof(path), "%s/.aws", top);
	mkdir(path, 0700);
	setenv("HOME", top, 1);
	env_clear();

	/* Nothing anywhere: no keys, and no error. */
	CHECK(find(&c, why) == 0 && !c.access_key, "none: %s", why);
	lsio_creds_release(&c);

	write_text("credentials",
		   "# comment\n[default]\naws_access_key_id = AKIDEFAULT\n"
		   "aws_secret_access_key=secret/default+key\n\n"
		   "[work]\n  aws_access_key_id = test:tester \n"
		   "aws_secret_access_key = testing\naws_session_token = TOKEN\n"
		   "[half]\naws_access_key_id = ONLYID\n");
	write_text("config",
		   "[default]\nregion = eu-central-1\n"
		   "[profile work]\nregion = us-west-2\n"
		   "s3 =\n  endpoint_url = http://nested.example\n"
		   "endpoint_url = http://127.0.0.1:9000\n"
		   "[profile cfgonly]\naws_access_key_id = CFGID\n"
		   "aws_secret_access_key = cfgsecret\n");

	CHECK(find(&c, why) == 1 && !strcmp(c.access_key, "AKIDEFAULT") &&
	      !strcmp(c.secret_key, "secret/default+key") && !c.token &&
	      c.region && !strcmp(c.region, "eu-central-1") &&
	      strstr(c.from, "profile 'default'"),
	      "default profile: %s %s", c.access_key, c.from);
	lsio_creds_release(&c);

	setenv("AWS_PROFILE", "work", 1);
	CHECK(find(&c, why) == 1 && !strcmp(c.access_key, "test:tester") &&
	      !strcmp(c.secret_key, "testing") && c.token && !strcmp(c.token, "TOKEN") &&
	      c.region && !strcmp(c.region, "us-west-2") &&
	      c.endpoint && !strcmp(c.endpoint, "http://127.0.0.1:9000"),
	      "work profile: %s region %s endpoint %s", c.access_key, c.region,
	      c.endpoint);
	lsio_creds_release(&c);

	/* The environment wins over the profile; the profile's region stays. */
	setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	CHECK(find(&c, why) == 1 && !strcmp(c.access_key, "ENVID") &&
	      !strcmp(c.secret_key, "envsecret") && !c.token &&
	      !strcmp(c.from, "environment") && !strcmp(c.region, "us-west-2"),
	      "env over profile: %s from %s", c.access_key, c.from);
	lsio_creds_release(&c);
	setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
	CHECK(find(&c, why) == 1 && c.token && !strcmp(c.token, "ENVTOKEN"),
	      "env token");
	lsio_creds_release(&c);

	/* Half a key pair is an error, not a silent fallback. */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	CHECK(find(&c, why) < 0 && strstr(why, "AWS_SECRET_ACCESS_KEY"), "half env: %s", why);
	env_clear();
	setenv("AWS_PROFILE", "half", 1);
	CHECK(find(&c, why) < 0 && strstr(why, "aws_secret_access_key"), "half profile: %s", why);

	/* Keys in the config file only, under "[profile NAME]". */
	setenv("AWS_PROFILE", "cfgonly", 1);
	CHECK(find(&c, why) == 1 && !strcmp(c.access_key, "CFGID"), "config keys: %s", why);
	lsio_creds_release(&c);

	setenv("AWS_PROFILE", "nosuch", 1);
	CHECK(find(&c, why) < 0 && strstr(why, "nosuch"), "missing profile: %s", why);

	/* Other files, named by the environment. */
	env_clear();
	fmt(path, sizeof(path), "%s/.aws/config", top);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);	/* the config as creds */
	setenv("AWS_PROFILE", "profile cfgonly", 1);
	CHECK(find(&c, why) == 1 && !strcmp(c.access_key, "CFGID"),
	      "AWS_SHARED_CREDENTIALS_FILE: %s", why);
	lsio_creds_release(&c);
	env_clear();
#undef REFUSED
}

/* --- 3. responses ------------------------------------------------------------- */

/* Feed a recorded head, "\n"-separated, as libcurl would line by line. */
static void replay(struct lsio_http_resp *r, const char *head)
{
	char line[512];

	lsio_http_resp_reset(r);
	while (*head) {
		size_t n = strcspn(head, "\n");

		fmt(line, sizeof(line), "%.*s\r\n", (int)n, head);
		lsio_http_header(r, line, strlen(line));
		head += n + (head[n] == '\n');
	}
}

/* A GET of the rest of the object from off (a chunk without a length). */
/* The services' side (aws_creds.c) without a service: what is refused
 * before any request.  tests/cli/remote_s3.bats talks to one. */
static int fetch(struct lsio_creds *c, char *why)
{
	memset(c, 0, sizeof(*c));
	why[0] = 'x';
	return lsio_aws_creds_fetch(c, why, 256);
}

static void test_creds_fetch(void)
{
#define REFUSED "container credentials (ECS) at http://127.0.0.1:1/creds: "
	struct lsio_creds c;
	char why[256], path[PATH_MAX];

	env_clear();
	setenv("AWS_EC2_METADATA_DISABLED", "True", 1);
	CHECK(fetch(&c, why) == 0 && !c.access_key &&
	      !strcmp(why, "AWS_EC2_METADATA_DISABLED=True: instance metadata not asked"),
	      "nothing configured: %s", why);
	/* Plain http elsewhere would hand the token to that host. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds", 1);
	CHECK(fetch(&c, why) == -LSIO_ESOURCE && strstr(why, "only https, or plain http to"),
	      "full URI elsewhere: %s", why);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.10.example/x", 1);
	CHECK(fetch(&c, why) == -LSIO_ESOURCE && strstr(why, "only https, or plain http to"),
	      "a name that starts like loopback: %s", why);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "file:///etc/passwd", 1);
	CHECK(fetch(&c, why) == -LSIO_ESOURCE && strstr(why, "only https, or plain http to"),
	      "file URI: %s", why);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1", 1);
	CHECK(fetch(&c, why) == -LSIO_ESOURCE && strstr(why, "line break"),
	      "token with CRLF: %s", why);
	fmt(path, sizeof(path), "%s/no-such-token", top);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
	CHECK(fetch(&c, why) == -LSIO_ESOURCE && strstr(why, "no-such-token"),
	      "token file missing: %s", why);
	/* Nothing listens on port 1: the source and its URL, once. */
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	CHECK(fetch(&c, why) == -LSIO_ESOURCE &&
	      !strncmp(why, REFUSED, strlen(REFUSED)) && strlen(why) > strlen(REFUSED),
	      "refused: %s", why);
	lsio_creds_release(&c);
	env_clear();
#undef REFUSED
}

/* STS's XML and endpoint, credential_process's JSON, and which profiles
 * lsio_aws_creds_find leaves to them (aws_sts.c, aws_process.c). */
static void test_sts_process(void)
{
	static const char ok[] =
		"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
		"<AssumeRoleResult><Credentials>\n"
		"  <SessionToken>\n   FwoG&amp;Zq+/=\n  </SessionToken>\n"
		"  <SecretAccessKey>wJalr/K7MDENG</SecretAccessKey>\n"
		"  <Expiration>2036-12-07T10:00:00Z</Expiration>\n"
		"  <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
		"</Credentials></AssumeRoleResult></AssumeRoleResponse>\n";
	static const char denied[] =
		"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
		"<Message>User &quot;x&quot; is not authorized</Message></Error></ErrorResponse>";
	static const char soon[] = "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S"
		"</SecretAccessKey><Expiration>soon</Expiration>";
	struct lsio_creds c = { 0 };
	struct lsio_sts_call q = { .region = "eu-west-1" };
	char why[256], url[256], region[64];

	CHECK(lsio_sts_parse(ok, strlen(ok), &c, why, sizeof(why)) == 0 &&
	      !strcmp(c.access_key, "ASIAEXAMPLE") && !strcmp(c.secret_key, "wJalr/K7MDENG") &&
	      !strcmp(c.token, "FwoG&Zq+/=") && c.expires == 2112256800,
	      "STS credentials: %s %s %lld", c.access_key, c.token, (long long)c.expires);
	CHECK(lsio_sts_parse(denied, strlen(denied), &c, why, sizeof(why)) == -LSIO_ESOURCE &&
	      !strcmp(why, "AccessDenied: User \"x\" is not authorized"), "STS error: %s", why);
	CHECK(lsio_sts_parse("<AccessKeyId>A</AccessKeyId>", 28, &c, why, sizeof(why)) ==
	      -LSIO_ESOURCE && !strcmp(why, "no SecretAccessKey in the response"),
	      "no secret: %s", why);
	CHECK(lsio_sts_parse(soon, strlen(soon), &c, why, sizeof(why)) == -LSIO_ESOURCE &&
	      strstr(why, "\"soon\""), "bad expiration: %s", why);
	lsio_creds_release(&c);

	env_clear();
	lsio_sts_endpoint(&(struct lsio_sts_call){ 0 }, url, sizeof(url), region, sizeof(region));
	CHECK(!strcmp(url, "https://sts.amazonaws.com") && !strcmp(region, "us-east-1"),
	      "no region: %s %s", url, region);
	lsio_sts_endpoint(&q, url, sizeof(url), region, sizeof(region));
	CHECK(!strcmp(url, "https://sts.eu-west-1.amazonaws.com") && !strcmp(region, "eu-west-1"),
	      "the profile's region: %s %s", url, region);
	setenv("AWS_REGION", "ap-south-1", 1);
	q.endpoint = "http://profile.example/";
	lsio_sts_endpoint(&q, url, sizeof(url), region, sizeof(region));
	CHECK(!strcmp(url, "http://profile.example") && !strcmp(region, "ap-south-1"),
	      "the profile's endpoint_url: %s %s", url, region);
	setenv("AWS_ENDPOINT_URL", "http://all.example", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:8/", 1);
	lsio_sts_endpoint(&q, url, sizeof(url), region, sizeof(region));
	CHECK(!strcmp(url, "http://127.0.0.1:8"), "AWS_ENDPOINT_URL_STS first: %s", url);
	env_clear();

#define DOC(s) s, strlen(s), &c, why, sizeof(why)
	CHECK(lsio_aws_process_parse(DOC("{\"Version\": 1, \"AccessKeyId\": \"K\", "
					 "\"SecretAccessKey\": \"S\"}")) == 0 &&
	      !strcmp(c.access_key, "K") && !c.token && c.expires == 0, "process keys: %s", why);
	CHECK(lsio_aws_process_parse(DOC("{\"Version\": 2, \"AccessKeyId\": \"K\", "
					 "\"SecretAccessKey\": \"S\"}")) == -LSIO_ESOURCE &&
	      strstr(why, "\"Version\": 1"), "version 2: %s", why);
	CHECK(lsio_aws_process_parse(DOC("{\"Version\": 1, \"AccessKeyId\": \"K\"}")) ==
	      -LSIO_ESOURCE && strstr(why, "SecretAccessKey"), "no secret: %s", why);
	CHECK(lsio_aws_process_parse(DOC("Version: 1")) == -LSIO_ESOURCE &&
	      strstr(why, "not JSON"), "not JSON: %s", why);
#undef DOC
	lsio_creds_release(&c);

	/* A role, a web identity or a command in the profile: find leaves
	 * them (and the config file's keys) to lsio_aws_creds_fetch. */
	write_text("credentials", "[proc]\naws_access_key_id = CREDID\naws_secret_access_key = s\n");
	write_text("config", "[profile role]\nrole_arn = arn:r\nsource_profile = proc\n"
		   "aws_access_key_id = ROLEID\naws_secret_access_key = s\n"
		   "[profile proc]\ncredential_process = false\n"
		   "[profile cmd]\ncredential_process = false\n"
		   "aws_access_key_id = CFGID\naws_secret_access_key = s\n");
	setenv("AWS_PROFILE", "role", 1);
	CHECK(find(&c, why) == 0 && !c.access_key, "role_arn first: %s", c.access_key);
	lsio_creds_release(&c);
	setenv("AWS_PROFILE", "proc", 1);
	CHECK(find(&c, why) == 1 && !strcmp(c.access_key, "CREDID"),
	      "credentials file before credential_process: %s", why);
	lsio_creds_release(&c);
	setenv("AWS_PROFILE", "cmd", 1);
	CHECK(find(&c, why) == 0 && !c.access_key, "credential_process before config keys");
	lsio_creds_release(&c);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/t", 1);
	setenv("AWS_ROLE_ARN", "arn:w", 1);
	setenv("AWS_PROFILE", "proc", 1);
	CHECK(find(&c, why) == 0 && !c.access_key, "web identity before profile keys");
	lsio_creds_release(&c);
	env_clear();
}

static void test_judge_rest(struct lsio_http_resp *r)
{
	static const struct {
		const char *head;
		uint64_t off;
		enum lsio_http_verdict want;
		const char *why;
	} cases[] = {
		{ "HTTP/1.1 200 OK\nContent-Length: 10\n", 0, LSIO_HTTP_OK, NULL },
		{ "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n", 0, LSIO_HTTP_OK, NULL },
		{ "HTTP/1.1 200 OK\nContent-Length: 10\n", 4, LSIO_HTTP_SLICE, NULL },
		{ "HTTP/1.1 200 OK\nContent-Length: 10\n", 11, LSIO_HTTP_FAIL,
		  "past the end of the object (10 bytes)" },
		{ "HTTP/1.1 206 Partial Content\nContent-Range: bytes 4-9/10\n", 4,
		  LSIO_HTTP_OK, NULL },
		{ "HTTP/1.1 206 Partial Content\nContent-Range: bytes 0-9/10\n", 4,
		  LSIO_HTTP_FAIL, "not the range asked for" },
		{ "HTTP/1.1 416 Range Not Satisfiable\nContent-Range: bytes */10\n", 12,
		  LSIO_HTTP_FAIL, "has 10 bytes" },
		{ "HTTP/1.1 404 Not Found\n", 0, LSIO_HTTP_FAIL, "404" },
		{ "HTTP/1.1 503 Slow Down\n", 0, LSIO_HTTP_RETRY, "503" },
	};
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum lsio_http_verdict v;

		replay(r, cases[i].head);
		why[0] = '\0';
		v = lsio_http_judge_rest(r, cases[i].off, why, sizeof(why));
		CHECK(v == cases[i].want, "rest case %zu: verdict %d, want %d (%s)",
		      i, v, cases[i].want, why);
		if (cases[i].why)
			CHECK(strstr(why, cases[i].why),
			      "rest case %zu: reason '%s' lacks '%s'", i, why,
			      cases[i].why);
	}
	/* The last 68 bytes ("bytes=-68"), as a shard index is read. */
	replay(r, "HTTP/1.1 206 Partial Content\nContent-Range: bytes 932-999/1000\n");
	CHECK(lsio_http_judge_suffix(r, 68, why, sizeof(why)) == LSIO_HTTP_OK, "suffix 206");
	replay(r, "HTTP/1.1 206 Partial Content\nContent-Range: bytes 0-49/50\n");
	CHECK(lsio_http_judge_suffix(r, 68, why, sizeof(why)) == LSIO_HTTP_FAIL &&
	      strstr(why, "has 50 bytes, fewer than the 68"), "suffix past the start: %s", why);
	replay(r, "HTTP/1.1 206 Partial Content\nContent-Range: bytes 900-967/1000\n");
	CHECK(lsio_http_judge_suffix(r, 68, why, sizeof(why)) == LSIO_HTTP_FAIL,
	      "a 206 not at the end");
	replay(r, "HTTP/1.1 200 OK\nContent-Length: 1000\n");
	CHECK(lsio_http_judge_suffix(r, 68, why, sizeof(why)) == LSIO_HTTP_SLICE,
	      "a 200 is sliced");
	replay(r, "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n");
	CHECK(lsio_http_judge_suffix(r, 68, why, sizeof(why)) == LSIO_HTTP_FAIL,
	      "a 200 of unknown length");
	replay(r, "HTTP/1.1 404 Not Found\n");
	CHECK(lsio_http_judge_suffix(r, 68, why, sizeof(why)) == LSIO_HTTP_FAIL &&
	      strstr(why, "404"), "404: %s", why);
}

static void test_responses(void)
{
	static const struct {
		const char *head;
		uint64_t off, len;
		enum lsio_http_verdict want;
		const char *why;	/* a part of the reason, or NULL */
	} cases[] = {
		/* nginx, a single range */
		{ "HTTP/1.1 206 Partial Content\nServer: nginx/1.22.1\n"
		  "Content-Type: application/octet-stream\nContent-Length: 1000\n"
		  "Last-Modified: Sat, 21 Nov 2026 15:00:00 GMT\nConnection: keep-alive\n"
		  "ETag: \"6b01b0e8-989680\"\nContent-Range: bytes 100-1099/10000000\n",
		  100, 1000, LSIO_HTTP_OK, NULL },
		/* S3 over HTTP/2: no reason phrase, lower-case names */
		{ "HTTP/2 206 \ncontent-range: bytes 0-65535/1048576\n"
		  "etag: \"d41d8cd98f00b204e9800998ecf8427e\"\ncontent-length: 65536\n",
		  0, 65536, LSIO_HTTP_OK, NULL },
		/* A different range than asked */
		{ "HTTP/1.1 206 Partial Content\nContent-Range: bytes 0-999/5000\n",
		  100, 900, LSIO_HTTP_FAIL, "sent bytes 0-999" },
		/* The object is shorter than the range */
		{ "HTTP/1.1 206 Partial Content\nContent-Range: bytes 4000-4999/5000\n",
		  4000, 2000, LSIO_HTTP_FAIL, "5000 bytes" },
		{ "HTTP/1.1 206 Partial Content\nContent-Length: 10\n",
		  0, 10, LSIO_HTTP_FAIL, "without a Content-Range" },
		{ "HTTP/1.1 206 Partial Content\n"
		  "Content-Type: multipart/byteranges; boundary=00000000000000000001\n",
		  0, 10, LSIO_HTTP_FAIL, "several parts" },
		/* A server that ignores Range: slice, unless too short */
		{ "HTTP/1.1 200 OK\nContent-Length: 10000000\nAccept-Ranges: bytes\n",
		  9999000, 1000, LSIO_HTTP_SLICE, NULL },
		{ "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n",
		  5, 5, LSIO_HTTP_SLICE, NULL },
		{ "HTTP/1.1 200 OK\nContent-Length: 500\n",
		  400, 200, LSIO_HTTP_FAIL, "500 bytes" },
		/* 416 names the object's size */
		{ "HTTP/1.1 416 Requested Range Not Satisfiable\n"
		  "Content-Range: bytes */10000000\n",
		  20000000, 10, LSIO_HTTP_FAIL, "has 10000000 bytes" },
		{ "HTTP/1.1 416 Requested Range Not Satisfiable\n",
		  20000000, 10, LSIO_HTTP_FAIL, "not satisfiable" },
		/* Worth another try */
		{ "HTTP/1.1 503 Slow Down\nRetry-After: 2\n", 0, 1, LSIO_HTTP_RETRY, "503 Slow Down" },
		{ "HTTP/1.1 429 Too Many Requests\n", 0, 1, LSIO_HTTP_RETRY, "429" },
		{ "HTTP/1.1 500 Internal Server Error\n", 0, 1, LSIO_HTTP_RETRY, NULL },
		{ "HTTP/1.1 502 Bad Gateway\n", 0, 1, LSIO_HTTP_RETRY, NULL },
		{ "HTTP/2 504 \n", 0, 1, LSIO_HTTP_RETRY, "HTTP 504" },
		{ "HTTP/1.1 408 Request Timeout\n", 0, 1, LSIO_HTTP_RETRY, NULL },
		/* Never worth another try */
		{ "HTTP/1.1 403 Forbidden\nContent-Type: application/xml\n", 0, 1,
		  LSIO_HTTP_FAIL, "HTTP 403 Forbidden" },
		{ "HTTP/1.1 404 Not Found\n", 0, 1, LSIO_HTTP_FAIL, "404 Not Found" },
		{ "HTTP/1.1 400 Bad Request\n", 0, 1, LSIO_HTTP_FAIL, NULL },
		{ "HTTP/1.1 401 Unauthorized\n", 0, 1, LSIO_HTTP_FAIL, NULL },
		/* A redirect followed: the last response counts */
		{ "HTTP/1.1 302 Found\nLocation: /b\nContent-Range: bytes 0-0/1\n\n"
		  "HTTP/1.1 206 Partial Content\nContent-Range: bytes 10-19/100\n",
		  10, 10, LSIO_HTTP_OK, NULL },
	};
	struct lsio_http_resp r;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum lsio_http_verdict v;

		replay(&r, cases[i].head);
		why[0] = '\0';
		v = lsio_http_judge(&r, cases[i].off, cases[i].len, why, sizeof(why));
		CHECK(v == cases[i].want, "case %zu: verdict %d, want %d (%s)", i, v,
		      cases[i].want, why);
		if (cases[i].why)
			CHECK(strstr(why, cases[i].why), "case %zu: reason '%s' lacks '%s'",
			      i, why, cases[i].why);
	}

	test_judge_rest(&r);
	replay(&r, "HTTP/1.1 206 Partial Content\nETag: \"abc\"\n"
		   "Content-Range: bytes 0-9/100\nContent-Length: 10\n");
	CHECK(!strcmp(r.etag, "\"abc\"") && r.length == 10 && r.range_total == 100 &&
	      r.status == 206 && !strcmp(r.reason, "Partial Content"), "fields");
	CHECK(lsio_etag_strong(r.etag), "a strong ETag");
	replay(&r, "HTTP/1.1 206 Partial Content\netag:   W/\"abc\"  \n");
	CHECK(!strcmp(r.etag, "W/\"abc\"") && !lsio_etag_strong(r.etag),
	      "a weak ETag, spaces trimmed: '%s'", r.etag);
	replay(&r, "HTTP/1.1 206 Partial Content\n");
	CHECK(!r.etag[0] && r.retry_after < 0 && r.length < 0, "absent fields");
	replay(&r, "HTTP/1.1 503 Service Unavailable\nRetry-After: 7\n");
	CHECK(r.retry_after == 7, "Retry-After seconds: %g", r.retry_after);
	replay(&r, "HTTP/1.1 503 Service Unavailable\n"
		   "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\n");
	CHECK(r.retry_after == 0, "Retry-After in the past: %g", r.retry_after);
	replay(&r, "HTTP/1.1 503 Service Unavailable\nRetry-After: soon\n");
	CHECK(r.retry_after < 0, "Retry-After unparsable: %g", r.retry_after);
}

/* --- 4. error bodies and backoff ---------------------------------------------- */

static void test_xml_backoff(void)
{
	static const char body[] =
		"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>SignatureDoesNotMatch</Code>"
		"<Message>The request signature we calculated does not match the "
		"signature you provided.\nCheck your key and signing method.</Message>"
		"<RequestId>tx1</RequestId></Error>";
	char code[64], msg[256];
	uint64_t rng = 42;
	double max = 0;

	lsio_xml_error(body, strlen(body), code, sizeof(code), msg, sizeof(msg));
	CHECK(!strcmp(code, "SignatureDoesNotMatch"), "code %s", code);
	CHECK(!strncmp(msg, "The request signature", 21) && !strchr(msg, '\n'),
	      "message %s", msg);
	lsio_xml_error("<html>404</html>", 16, code, sizeof(code), msg, sizeof(msg));
	CHECK(!code[0] && !msg[0], "no XML error");
	lsio_xml_error("<Error><Code>Slow", 17, code, sizeof(code), msg, sizeof(msg));
	CHECK(!code[0], "a cut-off body");

	for (unsigned retry = 0; retry < 12; retry++) {
		double ceiling = retry < 8 ? 0.1 * (1 << retry) : 20;

		ceiling = ceiling > 20 ? 20 : ceiling;
		for (int k = 0; k < 200; k++) {
			double d = lsio_backoff(retry, 0.1, 20, &rng);

			CHECK(d >= 0 && d < ceiling, "retry %u: %g not in [0, %g)", retry, d, ceiling);
			if (retry == 11)
				max = d > max ? d : max;
		}
	}
	/* Full jitter spreads over the whole window. */
	CHECK(max > 15, "the largest of 200 delays under a 20 s cap: %g", max);
}

/* --- 5. the job's keys ----------------------------------------------------- */

static int load(const char *storage, struct lsio_job **job, struct lsio_ctx *ctx)
{
	char text[2048];

	fmt(text, sizeof(text),
	    "{\"lsio\":1,\"output\":{\"type\":\"null\"},\"storage\":%s,\"chunks\":[]}",
	    storage);
	*job = NULL;
	return lsio_job_load_string(ctx, text, "job.json", job);
}

static void test_job_keys(void)
{
	static const struct {
		const char *storage;
		const char *error;	/* NULL: valid */
	} cases[] = {
		{ "{\"s3\":{\"endpoint\":\"http://127.0.0.1:9000\",\"region\":\"eu-west-1\","
		  "\"addressing\":\"virtual\",\"no_sign_request\":true},"
		  "\"http\":{\"headers\":{\"X-Token\":\"a b\",\"User-Agent\":\"x/1\"}},"
		  "\"retry\":{\"attempts\":3,\"deadline\":2.5,\"timeout\":1}}", NULL },
		{ "{\"s3\":{\"endpoint\":\"ftp://x\"}}", "storage.s3.endpoint" },
		{ "{\"s3\":{\"region\":\"\"}}", "storage.s3.region" },
		{ "{\"s3\":{\"adressing\":\"path\"}}", "did you mean 'addressing'" },
		{ "{\"s3\":{\"addressing\":\"vhost\"}}", "storage.s3.addressing" },
		{ "{\"s3\":{\"no_sign_request\":\"yes\"}}", "no_sign_request" },
		{ "{\"s3\":[]}", "storage.s3: expected an object" },
		{ "{\"http\":{\"headers\":{\"Bad Name\":\"x\"}}}", "not a valid header name" },
		{ "{\"http\":{\"headers\":{\"X\":\"a\\r\\nInjected: 1\"}}}", "one line" },
		{ "{\"http\":{\"headers\":{\"Range\":\"bytes=0-1\"}}}", "set by lsio" },
		{ "{\"http\":{\"headers\":[\"X: y\"]}}", "storage.http.headers" },
		{ "{\"retry\":{\"attempts\":0}}", "storage.retry.attempts" },
		{ "{\"retry\":{\"attempts\":1.5}}", "storage.retry.attempts" },
		{ "{\"retry\":{\"deadline\":-1}}", "storage.retry.deadline" },
		{ "{\"retry\":{\"timeout\":\"30s\"}}", "storage.retry.timeout" },
		{ "{\"retry\":{\"tries\":3}}", "unknown key 'tries'" },
		{ "{\"classes\":{\"remote\":{\"retry\":{}}}}", "unknown key 'retry'" },
	};
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_job *job;

	for (size_t i = 0; ctx && i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = load(cases[i].storage, &job, ctx);

		if (!cases[i].error)
			CHECK(!ret, "case %zu: %s", i, lsio_ctx_message(ctx));
		else
			CHECK(ret == -LSIO_EJOB && strstr(lsio_ctx_message(ctx), cases[i].error),
			      "case %zu: %d '%s' lacks '%s'", i, ret,
			      lsio_ctx_message(ctx), cases[i].error);
		if (!ret && i == 0) {
			const struct lsio_remote_settings *rs = &job->storage.remote;

			CHECK(rs->s3_addressing == LSIO_S3_VIRTUAL && rs->no_sign_request == 1 &&
			      !strcmp(rs->s3_endpoint, "http://127.0.0.1:9000") &&
			      !strcmp(rs->s3_region, "eu-west-1") && rs->nheaders == 2 &&
			      !strcmp(rs->headers[0], "X-Token: a b") && rs->attempts == 3 &&
			      rs->deadline == 2.5 && rs->timeout == 1, "parsed values");
		}
		lsio_job_free(job);
	}
	lsio_ctx_free(ctx);
}

static int rm_tree(const char *path)
{
	char cmd[PATH_MAX + 16];

	fmt(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

int main(void)
{
	fmt(top, sizeof(top), "%s/lsio-test-remote-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 1;
	}
	test_urls();
	test_gs_http();
	test_creds();
	test_creds_fetch();
	test_sts_process();
	test_responses();
	test_xml_backoff();
	test_job_keys();
	rm_tree(top);
	return unit_done("test_remote");
}
