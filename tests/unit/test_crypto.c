/* SPDX-License-Identifier: MIT */
/*
 * test_crypto.c - util/crypto.c against published vectors and the
 * openssl command: HMAC-SHA256 (RFC 4231), SHA-256 (FIPS 180-2), base64
 * (RFC 4648, both alphabets, every length to 64), and RS256 signatures
 * compared byte for byte with `openssl dgst -sha256 -sign` (PKCS#1 v1.5
 * is deterministic) over a key the openssl command generates, plus a key
 * that is not one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/crypto.h"
#include "unit.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_digests(void)
{
	uint8_t md[32];
	char h[65], why[256];

	CHECK(!lsio_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md, why, sizeof(why)),
	      "%s", why);
	hex(md, 32, h);
	CHECK(!strcmp(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), "%s", h);
	CHECK(!lsio_sha256("abc", 3, md, why, sizeof(why)), "%s", why);
	hex(md, 32, h);
	CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "%s", h);
}

static void test_base64(void)
{
	static const struct { const char *in, *std, *url; } v[] = {
		{ "", "", "" }, { "f", "Zg==", "Zg" }, { "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" }, { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=", "-_8" },
	};
	uint8_t raw[64], back[64];
	char out[128];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		size_t n = strlen(v[i].in);

		CHECK(lsio_base64_encode(v[i].in, n, 0, out, sizeof(out)) == (long)strlen(v[i].std) &&
		      !strcmp(out, v[i].std), "'%s' -> '%s'", v[i].in, out);
		CHECK(lsio_base64_encode(v[i].in, n, 1, out, sizeof(out)) == (long)strlen(v[i].url) &&
		      !strcmp(out, v[i].url), "'%s' -> '%s' (url)", v[i].in, out);
		CHECK(lsio_base64_decode(v[i].std, strlen(v[i].std), back, sizeof(back)) == (long)n &&
		      !memcmp(back, v[i].in, n), "decode '%s'", v[i].std);
		CHECK(lsio_base64_decode(v[i].url, strlen(v[i].url), back, sizeof(back)) == (long)n &&
		      !memcmp(back, v[i].in, n), "decode '%s'", v[i].url);
	}
	for (size_t n = 0; n <= sizeof(raw); n++) {
		for (size_t i = 0; i < n; i++)
			raw[i] = (uint8_t)(i * 37 + n);
		CHECK(lsio_base64_encode(raw, n, 0, out, sizeof(out)) >= 0, "%zu", n);
		CHECK(lsio_base64_decode(out, strlen(out), back, sizeof(back)) == (long)n &&
		      !memcmp(raw, back, n), "round trip of %zu bytes", n);
	}
	CHECK(lsio_base64_encode("abc", 3, 0, out, 4) == -1, "no room");
	CHECK(lsio_base64_decode("Zm9v!", 5, back, sizeof(back)) == -1, "bad character");
	CHECK(lsio_base64_decode("Z", 1, back, sizeof(back)) == -1, "one character");
	CHECK(lsio_base64_decode("Zm9vYmFy", 8, back, 5) == -1, "too small");
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);

	*n = f && buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

static void test_rs256(void)
{
	char dir[] = "/tmp/lsio-crypto-XXXXXX", cmd[1024], why[512];
	const char *msg = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ0ZXN0In0";
	uint8_t *sig = NULL;
	size_t sig_len = 0, want_len = 0, pem_len;
	char *pem, *want;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null && "
		 "printf '%%s' '%s' > msg && openssl dgst -sha256 -sign key.pem -out sig msg", dir, msg);
	if (system(cmd)) {
		CHECK(0, "the openssl command failed: %s", cmd);
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s/key.pem", dir);
	pem = slurp(cmd, &pem_len);
	snprintf(cmd, sizeof(cmd), "%s/sig", dir);
	want = slurp(cmd, &want_len);
	CHECK(!lsio_rs256_sign(pem, msg, strlen(msg), &sig, &sig_len, why, sizeof(why)), "%s", why);
	CHECK(sig && sig_len == want_len && want_len == 256 && !memcmp(sig, want, sig_len),
	      "signature differs from openssl's (%zu vs %zu bytes)", sig_len, want_len);
	free(sig);
	CHECK(lsio_rs256_sign("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
			      msg, strlen(msg), &sig, &sig_len, why, sizeof(why)) == -LSIO_EJOB &&
	      !sig && strstr(why, "cannot read the private key"), "%s", why);
	free(pem);
	free(want);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(!system(cmd), "%s", cmd);
}

int main(void)
{
	test_digests();
	test_base64();
	test_rs256();
	return unit_done("test_crypto");
}
