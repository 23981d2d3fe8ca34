/* SPDX-License-Identifier: MIT */
/*
 * crypto.c - HMAC-SHA256, SHA-256 and RS256 through libcrypto, dlopen()ed
 * on first use (crypto.h), and base64 by hand (a table and a loop: not
 * worth a library call).  libcrypto's prototypes come from its headers:
 * each member of the table has the type of the function it stands for.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "internal.h"
#include "util/crypto.h"

#define CRYPTO_SONAME "libcrypto.so.3"
#define CRYPTO_SONAME_FALLBACK "libcrypto.so"

#define CRYPTO_FUNCS(X)							\
	X(HMAC) X(SHA256) X(EVP_sha256) X(BIO_new_mem_buf) X(BIO_free)	\
	X(PEM_read_bio_PrivateKey) X(EVP_PKEY_free) X(EVP_MD_CTX_new)	\
	X(EVP_MD_CTX_free) X(EVP_DigestSignInit) X(EVP_DigestSign)	\
	X(ERR_get_error) X(ERR_error_string_n)

#define CRYPTO_MEMBER(f) __typeof__(f) *f;
static struct {
	CRYPTO_FUNCS(CRYPTO_MEMBER)
} lib;
#undef CRYPTO_MEMBER

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_msg[LSIO_MSG_MAX / 2];
static int load_err;

/* Every function or none, as curl_load.c. */
static void load(void)
{
	char why[LSIO_MSG_MAX / 4] = "";
	void *h = lsio_dl_open(CRYPTO_SONAME, CRYPTO_SONAME_FALLBACK, why,
			       sizeof(why));

	load_err = -LSIO_EBACKEND;
	if (!h) {
		snprintf(load_msg, sizeof(load_msg), "signing needs libcrypto (OpenSSL 3): %s", why);
		return;
	}
#define CRYPTO_RESOLVE(f)						\
	lib.f = (__typeof__(lib.f))dlsym(h, #f);			\
	if (!lib.f)							\
		goto missing;
	CRYPTO_FUNCS(CRYPTO_RESOLVE)
#undef CRYPTO_RESOLVE
	load_err = 0;
	return;
missing:
	snprintf(load_msg, sizeof(load_msg), "signing needs libcrypto (OpenSSL 3): %s",
		 lsio_dl_why());
	memset(&lib, 0, sizeof(lib));
}

static int loaded(char *why, size_t cap)
{
	pthread_once(&load_once, load);
	if (load_err && why)
		snprintf(why, cap, "%s", load_msg);
	return load_err;
}

int lsio_hmac_sha256(const void *key, size_t key_len, const void *msg,
		     size_t n, uint8_t out[32], char *why, size_t cap)
{
	unsigned int len = 32;
	int ret = loaded(why, cap);

	if (ret)
		return ret;
	if (!lib.HMAC(lib.EVP_sha256(), key, (int)key_len, msg, n, out, &len)) {
		snprintf(why, cap, "HMAC-SHA256 failed");
		return -LSIO_EBACKEND;
	}
	return 0;
}

int lsio_sha256(const void *msg, size_t n, uint8_t out[32], char *why,
		size_t cap)
{
	int ret = loaded(why, cap);

	if (ret)
		return ret;
	lib.SHA256(msg, n, out);
	return 0;
}

/* libcrypto's own words for what went wrong last. */
static void crypto_why(const char *what, char *why, size_t cap)
{
	char err[256] = "";
	unsigned long e = lib.ERR_get_error();

	if (e)
		lib.ERR_error_string_n(e, err, sizeof(err));
	while (lib.ERR_get_error())
		;
	snprintf(why, cap, "%s%s%s", what, *err ? ": " : "", err);
}

int lsio_rs256_sign(const char *pem, const void *msg, size_t n,
		    uint8_t **sig, size_t *sig_len, char *why, size_t cap)
{
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	size_t len = 0;
	int ret = loaded(why, cap);

	*sig = NULL;
	if (ret)
		return ret;
	ret = -LSIO_EJOB;
	bio = lib.BIO_new_mem_buf(pem, -1);
	if (bio)
		key = lib.PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!key) {
		crypto_why("cannot read the private key", why, cap);
		goto out;
	}
	md = lib.EVP_MD_CTX_new();
	if (!md || lib.EVP_DigestSignInit(md, NULL, lib.EVP_sha256(), NULL, key) != 1 ||
	    lib.EVP_DigestSign(md, NULL, &len, msg, n) != 1) {
		crypto_why("cannot sign with the private key", why, cap);
		goto out;
	}
	ret = -ENOMEM;
	*sig = malloc(len);
	if (!*sig)
		goto out;
	if (lib.EVP_DigestSign(md, *sig, &len, msg, n) != 1) {
		crypto_why("cannot sign with the private key", why, cap);
		free(*sig);
		*sig = NULL;
		ret = -LSIO_EJOB;
		goto out;
	}
	*sig_len = len;
	ret = 0;
out:
	lib.EVP_MD_CTX_free(md);
	lib.EVP_PKEY_free(key);
	if (bio)
		lib.BIO_free(bio);
	return ret;
}

/* --- base64 --------------------------------------------------------------- */

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t lsio_base64_len(size_t n)
{
	return (n + 2) / 3 * 4 + 1;
}

long lsio_base64_encode(const void *src, size_t n, int url_safe, char *out,
			size_t cap)
{
	const char *t = url_safe ? b64_url : b64_std;
	const uint8_t *s = src;
	size_t o = 0;

	if (cap < lsio_base64_len(n))
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (left > 2)
			v |= s[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		if (left > 1)
			out[o++] = t[v >> 6 & 63];
		else if (!url_safe)
			out[o++] = '=';
		if (left > 2)
			out[o++] = t[v & 63];
		else if (!url_safe)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

static int b64_value(char c)
{
	const char *p;

	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	p = c ? strchr(b64_std, c) : NULL;
	return p ? (int)(p - b64_std) : -1;
}

long lsio_base64_decode(const char *src, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	while (n && src[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(src[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}
