/* SPDX-License-Identifier: MIT */
/*
 * test_azure.c - the parts of Azure Blob Storage that need no server
 * (io/azure.c); Azurite checks the signatures themselves
 * (tests/cli/remote_azure.bats):
 *
 *  1. names: az://, az://CONTAINER@HOST, https on Azure's blob hosts,
 *     and what is not Azure's;
 *  2. the environment: connection strings, variables over them, bad keys;
 *  3. each source's URL and credentials (the account's own only);
 *  4. the Shared Key string-to-sign: after the example in Microsoft's
 *     "Authorize with Shared Key", and the headers a ranged GET signs;
 *  5. RFC 1123 dates and SAS signatures redacted.
 */
#include <stdlib.h>
#include <string.h>

#include "io/remote.h"
#include "unit.h"

#define DEV_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

static const char *const vars[] = {
	"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT",
	"AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN",
};

static void env_clear(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		unsetenv(vars[i]);
}

/* --- 1. names ---------------------------------------------------------------- */

static void test_split(void)
{
	static const struct {
		const char *name;
		int kind;	/* -1: an error */
		const char *bucket, *key, *host, *query;
	} cases[] = {
		{ "az://era5/t2m/0.0", LSIO_URL_AZ, "era5", "t2m/0.0", NULL, NULL },
		{ "AZ://c/k", LSIO_URL_AZ, "c", "k", NULL, NULL },
		{ "az://c@acct.blob.core.windows.net/a/b", LSIO_URL_AZ, "c", "a/b",
		  "acct.blob.core.windows.net", NULL },
		{ "az://c@acct/a", LSIO_URL_AZ, "c", "a", "acct", NULL },
		{ "az://c/k?sv=1&sig=x", LSIO_URL_AZ, "c", "k", NULL, "sv=1&sig=x" },
		{ "https://acct.blob.core.windows.net/c/d/e.zarr/0.0?sp=r&sig=abc",
		  LSIO_URL_AZ, "c", "d/e.zarr/0.0", "acct.blob.core.windows.net",
		  "sp=r&sig=abc" },
		{ "https://x.blob.core.chinacloudapi.cn/c/k", LSIO_URL_AZ, "c", "k",
		  "x.blob.core.chinacloudapi.cn", NULL },
		{ "https://example.com/c/k", LSIO_URL_HTTP, NULL, NULL, NULL, NULL },
		{ "https://blob.core.windows.net.example.com/c/k", LSIO_URL_HTTP,
		  NULL, NULL, NULL, NULL },
		{ "http://acct.blob.core.windows.net/c/k", LSIO_URL_HTTP, NULL, NULL,
		  NULL, NULL },
		{ "az://c", -1, NULL, NULL, NULL, NULL },
		{ "az://c/", -1, NULL, NULL, NULL, NULL },
		{ "az:///k", -1, NULL, NULL, NULL, NULL },
		{ "az://@acct/k", -1, NULL, NULL, NULL, NULL },
		{ "https://acct.blob.core.windows.net/c", -1, NULL, NULL, NULL, NULL },
	};
	struct lsio_url_parts u;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int ret = lsio_url_split(cases[i].name, &u, why, sizeof(why));

		if (cases[i].kind < 0) {
			CHECK(ret < 0 && strstr(why, cases[i].name), "%s: %s",
			      cases[i].name, why);
			continue;
		}
		CHECK(!ret && (int)u.kind == cases[i].kind, "%s: %d %s",
		      cases[i].name, ret, why);
		if (ret || u.kind != LSIO_URL_AZ)
			continue;
		CHECK(u.bucket_len == strlen(cases[i].bucket) &&
		      !strncmp(u.bucket, cases[i].bucket, u.bucket_len) &&
		      u.key_len == strlen(cases[i].key) &&
		      !strncmp(u.key, cases[i].key, u.key_len), "%s parts",
		      cases[i].name);
		CHECK(cases[i].host ? u.host && u.host_len == strlen(cases[i].host) &&
				      !strncmp(u.host, cases[i].host, u.host_len)
				    : !u.host, "%s host", cases[i].name);
		CHECK(cases[i].query ? u.query && !strcmp(u.query, cases[i].query)
				     : !u.query, "%s query", cases[i].name);
	}
}

/* --- 2, 3. the environment, and each source's URL ---------------------------- */

/* The URL and credentials of name under the environment. */
static int source(const char *name, bool anon, struct lsio_az_source *s,
		  char *why)
{
	struct lsio_az az;
	struct lsio_url_parts u;
	int ret = lsio_az_init(&az, why, 256);

	if (!ret)
		ret = lsio_url_split(name, &u, why, 256);
	if (!ret)
		ret = lsio_az_source(&az, name, &u, anon, s, why, 256);
	lsio_az_release(&az);
	return ret;
}

static void test_sources(void)
{
	static const struct {
		const char *conn, *account, *key, *sas, *name;
		bool anon;
		const char *url;	/* NULL: an error, why holds err */
		int auth;
		const char *err;
	} cases[] = {
		{ NULL, "acct", DEV_KEY, NULL, "az://c/a b+c/d.bin", false,
		  "https://acct.blob.core.windows.net/c/a%20b%2Bc/d.bin", LSIO_AZ_KEY, NULL },
		{ "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;AccountName=devstoreaccount1;AccountKey=" DEV_KEY,
		  NULL, NULL, NULL, "az://c/k", false,
		  "http://127.0.0.1:10000/devstoreaccount1/c/k", LSIO_AZ_KEY, NULL },
		{ "UseDevelopmentStorage=true", NULL, NULL, NULL, "az://c/k", false,
		  "http://127.0.0.1:10000/devstoreaccount1/c/k", LSIO_AZ_KEY, NULL },
		{ "DefaultEndpointsProtocol=http;AccountName=a1;EndpointSuffix=core.chinacloudapi.cn",
		  NULL, NULL, NULL, "az://c/k", false,
		  "http://a1.blob.core.chinacloudapi.cn/c/k", LSIO_AZ_ANON, NULL },
		/* The SAS wins over the key; '?' or not. */
		{ NULL, "acct", DEV_KEY, "?sv=2021&sig=s%2B", "az://c/k", false,
		  "https://acct.blob.core.windows.net/c/k?sv=2021&sig=s%2B", LSIO_AZ_SAS, NULL },
		{ "AccountName=acct;SharedAccessSignature=sv=1&sig=q", NULL, NULL, NULL,
		  "az://c/k", false, "https://acct.blob.core.windows.net/c/k?sv=1&sig=q",
		  LSIO_AZ_SAS, NULL },
		/* ... and a SAS in the name over both. */
		{ NULL, "acct", DEV_KEY, "sv=2&sig=env",
		  "https://acct.blob.core.windows.net/c/k?sv=1&sig=url", false,
		  "https://acct.blob.core.windows.net/c/k?sv=1&sig=url", LSIO_AZ_SAS_URL, NULL },
		/* Another account's source gets none of the environment's. */
		{ NULL, "acct", DEV_KEY, NULL, "https://other.blob.core.windows.net/c/k",
		  false, "https://other.blob.core.windows.net/c/k", LSIO_AZ_ANON, NULL },
		{ NULL, "acct", DEV_KEY, NULL, "az://c@other/k", false,
		  "https://other.blob.core.windows.net/c/k", LSIO_AZ_ANON, NULL },
		{ NULL, "acct", DEV_KEY, NULL, "az://c@acct.blob.core.windows.net/k", false,
		  "https://acct.blob.core.windows.net/c/k", LSIO_AZ_KEY, NULL },
		{ NULL, "acct", DEV_KEY, "sv=1&sig=x", "az://c/k", true,
		  "https://acct.blob.core.windows.net/c/k", LSIO_AZ_ANON, NULL },
		{ NULL, NULL, NULL, NULL, "az://c/k", false, NULL, 0,
		  "which storage account?" },
		{ NULL, NULL, DEV_KEY, NULL, "az://c/k", false, NULL, 0,
		  "AZURE_STORAGE_KEY without AZURE_STORAGE_ACCOUNT" },
		{ NULL, "acct", "not base64!", NULL, "az://c/k", false, NULL, 0,
		  "the account key in AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY is not base64" },
		{ "AccountName=a;AccountKey", NULL, NULL, NULL, "az://c/k", false, NULL, 0,
		  "AZURE_STORAGE_CONNECTION_STRING: a part is not Name=Value" },
	};
	struct lsio_az_source s;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int ret;

		env_clear();
		if (cases[i].conn)
			setenv("AZURE_STORAGE_CONNECTION_STRING", cases[i].conn, 1);
		if (cases[i].account)
			setenv("AZURE_STORAGE_ACCOUNT", cases[i].account, 1);
		if (cases[i].key)
			setenv("AZURE_STORAGE_KEY", cases[i].key, 1);
		if (cases[i].sas)
			setenv("AZURE_STORAGE_SAS_TOKEN", cases[i].sas, 1);
		why[0] = '\0';
		ret = source(cases[i].name, cases[i].anon, &s, why);
		if (!cases[i].url) {
			CHECK(ret < 0 && strstr(why, cases[i].err), "case %zu: %d '%s'",
			      i, ret, why);
			continue;
		}
		CHECK(!ret && !strcmp(s.url, cases[i].url) && (int)s.auth == cases[i].auth,
		      "case %zu: %d %s, auth %d (%s)", i, ret, ret ? "" : s.url,
		      ret ? -1 : (int)s.auth, why);
		if (!ret)
			free(s.url);
	}
	/* The variables win over the connection string; secrets never
	 * reach the description. */
	{
		struct lsio_az az;
		char text[200];

		env_clear();
		setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=" DEV_KEY, 1);
		setenv("AZURE_STORAGE_ACCOUNT", "b", 1);
		CHECK(!lsio_az_init(&az, why, sizeof(why)) && !strcmp(az.account, "b") &&
		      az.key_len == 64, "variables over the connection string");
		lsio_az_creds_text(&az, LSIO_AZ_KEY, NULL, text, sizeof(text));
		CHECK(!strcmp(text, "shared key for account b (AZURE_STORAGE_CONNECTION_STRING)"),
		      "%s", text);
		lsio_az_release(&az);
	}
	env_clear();
}

/* --- 4. the string-to-sign ------------------------------------------------- */

static void test_string_to_sign(void)
{
	/* After the example in Microsoft's spec: a container's metadata, with x-ms-date and
	 * x-ms-version (and the query parameters sorted). */
	const char *ex[] = {
		"x-ms-version: 2009-09-19",
		"x-ms-date: Sun, 11 Oct 2009 21:49:13 GMT",
	};
	const char *want_ex =
		"GET\n\n\n\n\n\n\n\n\n\n\n\n"
		"x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\n"
		"x-ms-version:2009-09-19\n"
		"/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20";
	/* A ranged, pinned GET of a blob through Azurite's path-style URL:
	 * Range and If-Match in their places, x-ms-* headers lower-cased and
	 * sorted with their white space folded, others ignored. */
	const char *get[] = {
		"X-MS-Version: 2021-08-06",
		"Accept: */*",
		"x-ms-range:   bytes=0-99",
		"If-Match: \"0x8D\"",
		"x-ms-date: Mon, 07 Dec 2026 04:00:00 GMT",
		"x-ms-meta-a:  two   spaces ",
		"Range: bytes=0-99",
		"Content-Length: 0",
	};
	const char *want_get =
		"GET\n\n\n\n\n\n\n\n\"0x8D\"\n\n\nbytes=0-99\n"
		"x-ms-date:Mon, 07 Dec 2026 04:00:00 GMT\n"
		"x-ms-meta-a:two spaces\n"
		"x-ms-range:bytes=0-99\n"
		"x-ms-version:2021-08-06\n"
		"/devstoreaccount1/devstoreaccount1/c/a%20b.bin";
	char out[1024];
	long n;

	n = lsio_az_string_to_sign("GET", ex, 2, "myaccount",
				   "https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata&timeout=20",
				   out, sizeof(out));
	CHECK(n == (long)strlen(want_ex) && !strcmp(out, want_ex), "example: [%s]", out);
	n = lsio_az_string_to_sign("GET", get, sizeof(get) / sizeof(*get),
				   "devstoreaccount1",
				   "http://127.0.0.1:10000/devstoreaccount1/c/a%20b.bin",
				   out, sizeof(out));
	CHECK(n == (long)strlen(want_get) && !strcmp(out, want_get), "get: [%s]", out);
	/* A parameter given twice: its values joined by ',', decoded. */
	n = lsio_az_string_to_sign("HEAD", NULL, 0, "a",
				   "https://a.blob.core.windows.net/c/k?b=2&A=x%2Fy&b=1",
				   out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "HEAD\n\n\n\n\n\n\n\n\n\n\n\n/a/c/k\na:x/y\nb:2,1"),
	      "params: [%s]", out);
	CHECK(lsio_az_string_to_sign("GET", ex, 2, "myaccount",
				     "https://myaccount.blob.core.windows.net/c", out, 40) == -1,
	      "too small");
}

/* --- 5. dates and redaction ------------------------------------------------ */

static void test_misc(void)
{
	char buf[256];

	lsio_az_date(1255297753, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Sun, 11 Oct 2009 21:49:13 GMT"), "%s", buf);
	CHECK(!strcmp(lsio_url_redact("az://c/k?sv=1&sig=abc%2B&sp=r", buf, sizeof(buf)),
		      "az://c/k?sv=1&sig=REDACTED&sp=r"), "%s", buf);
	CHECK(!strcmp(lsio_url_redact("https://h/c/k?sig=x", buf, sizeof(buf)),
		      "https://h/c/k?sig=REDACTED"), "%s", buf);
	CHECK(!strcmp(lsio_url_redact("https://h/sig=x/k?design=1", buf, sizeof(buf)),
		      "https://h/sig=x/k?design=1"), "no signature");
}

int main(void)
{
	test_split();
	test_sources();
	test_string_to_sign();
	test_misc();
	return unit_done("test_azure");
}
