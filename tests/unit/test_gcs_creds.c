/* SPDX-License-Identifier: MIT */
/*
 * test_gcs_creds.c - the JWT a service account trades for a token
 * (io/gcs_creds.c): its header and claims exactly as Google's token
 * endpoint reads them, base64url without padding, and a signature that
 * `openssl dgst -sha256 -verify` accepts with the public half of a key the
 * openssl command made.  And what plan -v says of each kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "io/remote.h"
#include "util/crypto.h"
#include "unit.h"

/* The whole of a small file, NUL-terminated; NULL when unreadable. */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t cap = 0;

	if (f && getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	if (f)
		fclose(f);
	return text;
}

/* Part i (0, 1, 2) of jwt, base64url-decoded into out; its length or -1. */
static long part(const char *jwt, int i, uint8_t *out, size_t cap)
{
	const char *p = jwt;

	while (i-- && p)
		p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL;
	if (!p)
		return -1;
	return lsio_base64_decode(p, strcspn(p, "."), out, cap);
}

static void test_jwt(const char *dir)
{
	static const char head[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k-1\"}";
	static const char claims[] =
		"{\"iss\":\"r@p.iam.gserviceaccount.com\","
		"\"scope\":\"https://www.googleapis.com/auth/devstorage.read_only\","
		"\"aud\":\"https://oauth2.googleapis.com/token\","
		"\"iat\":1765000000,\"exp\":1765003600}";
	struct lsio_gcs_creds c = { .kind = LSIO_GCS_SERVICE };
	char path[512], cmd[1024], why[512], *jwt = NULL;
	uint8_t buf[4096];
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	c.key_pem = read_all(path);
	c.email = strdup("r@p.iam.gserviceaccount.com");
	c.key_id = strdup("k-1");
	c.token_uri = strdup("https://oauth2.googleapis.com/token");
	CHECK(c.key_pem && !lsio_gcs_jwt(&c, 1765000000, &jwt, why, sizeof(why)), "%s", why);
	if (!jwt)
		goto out;
	CHECK(!strchr(jwt, '=') && !strchr(jwt, '+') && !strchr(jwt, '/'), "not base64url: %s", jwt);
	n = part(jwt, 0, buf, sizeof(buf));
	CHECK(n == (long)strlen(head) && !memcmp(buf, head, n), "header %.*s", (int)n, buf);
	n = part(jwt, 1, buf, sizeof(buf));
	CHECK(n == (long)strlen(claims) && !memcmp(buf, claims, n), "claims %.*s", (int)n, buf);
	/* The signature, checked by the openssl command over "head.claims". */
	n = part(jwt, 2, buf, sizeof(buf));
	CHECK(n == 256, "a signature of %ld bytes", n);
	snprintf(path, sizeof(path), "%s/sig", dir);
	f = fopen(path, "we");
	if (f) {
		fwrite(buf, 1, n > 0 ? (size_t)n : 0, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/signed", dir);
	f = fopen(path, "we");
	if (f) {
		fwrite(jwt, 1, strrchr(jwt, '.') - jwt, f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "cd %s && openssl dgst -sha256 -verify pub.pem -signature sig signed >/dev/null",
		 dir);
	CHECK(!system(cmd), "openssl does not verify the JWT's signature: %s", jwt);
	/* Without a key id the header has no kid; a bad key is the file's fault. */
	free(jwt);
	free(c.key_id);
	c.key_id = NULL;
	CHECK(!lsio_gcs_jwt(&c, 1765000000, &jwt, why, sizeof(why)) &&
	      part(jwt, 0, buf, sizeof(buf)) == 27 && !memcmp(buf, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", 27),
	      "%s", jwt);
	free(jwt);
	free(c.key_pem);
	c.key_pem = strdup("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
	CHECK(lsio_gcs_jwt(&c, 1765000000, &jwt, why, sizeof(why)) == -LSIO_ESOURCE && !jwt &&
	      strstr(why, "cannot read the private key"), "%s", why);
out:
	lsio_gcs_creds_release(&c);
}

static void test_describe(void)
{
	struct lsio_gcs_creds c = { .kind = LSIO_GCS_SERVICE, .expires = 1765003600 };
	char buf[512];

	snprintf(c.from, sizeof(c.from), "service account r@p from 'sa.json'");
	lsio_gcs_creds_describe(&c, buf, sizeof(buf));
	CHECK(!strcmp(buf, "service account r@p from 'sa.json', token expiring 2025-12-06T06:46:40Z"),
	      "%s", buf);
	c.kind = LSIO_GCS_TOKEN;
	c.expires = 0;
	snprintf(c.from, sizeof(c.from), "GOOGLE_OAUTH_ACCESS_TOKEN");
	lsio_gcs_creds_describe(&c, buf, sizeof(buf));
	CHECK(!strcmp(buf, "GOOGLE_OAUTH_ACCESS_TOKEN"), "%s", buf);
}

int main(void)
{
	char dir[] = "/tmp/lsio-gcs-XXXXXX", cmd[1024];

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp failed");
		return unit_done("test_gcs_creds");
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null && "
		 "openssl pkey -in key.pem -pubout -out pub.pem", dir);
	CHECK(!system(cmd), "the openssl command failed: %s", cmd);
	test_jwt(dir);
	test_describe();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(!system(cmd), "%s", cmd);
	return unit_done("test_gcs_creds");
}
