/* SPDX-License-Identifier: MIT */
/*
 * crypto.h - the few cryptographic operations cloud credentials need:
 * HMAC-SHA256 (Azure's Shared Key), SHA-256, and an RS256 signature (a
 * Google service account's JWT), from the system's libcrypto (OpenSSL 3),
 * loaded on first use as libcurl is (io/curl_load.h): a run that never
 * signs never loads it.  And base64, which every one of them speaks.
 */
#ifndef LSIO_CRYPTO_H
#define LSIO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* HMAC-SHA256 of msg under key into out.  Returns 0, or -LSIO_EBACKEND
 * when libcrypto cannot be loaded (why says so). */
int lsio_hmac_sha256(const void *key, size_t key_len, const void *msg,
		     size_t n, uint8_t out[32], char *why, size_t cap);

/* SHA-256 of msg into out.  Returns 0 or -LSIO_EBACKEND (why). */
int lsio_sha256(const void *msg, size_t n, uint8_t out[32], char *why,
		size_t cap);

/* RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256") of msg under the PEM
 * private key pem.  *sig is malloc'd (*sig_len bytes).  Returns 0,
 * -LSIO_EJOB for a key libcrypto cannot read or use (why gives its
 * words), -LSIO_EBACKEND (no libcrypto), -ENOMEM. */
int lsio_rs256_sign(const char *pem, const void *msg, size_t n,
		    uint8_t **sig, size_t *sig_len, char *why, size_t cap);

/* Base64 of src (n bytes) into out, NUL-terminated: standard with '='
 * padding, or url-safe without (JWT).  Returns the length written, or
 * -1 when cap is too small.  lsio_base64_len() is the cap it needs. */
long lsio_base64_encode(const void *src, size_t n, int url_safe, char *out,
			size_t cap);
size_t lsio_base64_len(size_t n);

/* Standard or url-safe base64 (padding optional, no whitespace) into out.
 * Returns the bytes written, or -1 for bad input or a too-small cap
 * (3 bytes for 4 characters is enough). */
long lsio_base64_decode(const char *src, size_t n, uint8_t *out, size_t cap);

#endif /* LSIO_CRYPTO_H */
