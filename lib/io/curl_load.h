/* SPDX-License-Identifier: MIT */
/*
 * curl_load.h - libcurl, loaded when the first remote source needs it.
 *
 * libcurl brings some thirty shared libraries (gnutls, nettle, krb5, ldap,
 * ssh2 ...) whose loading costs a few milliseconds per process, which
 * local-only runs never need.  So lsio does not link libcurl: it dlopen()s
 * it on first use and calls it through the table lsio_curl, whose members
 * are curl's functions without their curl_ prefix
 * (lsio_curl.easy_setopt(...) for curl_easy_setopt(...)).  <curl/curl.h>
 * still gives the types, constants and prototypes: each member has the
 * type of the function it stands for.
 */
#ifndef LSIO_CURL_LOAD_H
#define LSIO_CURL_LOAD_H

#include <curl/curl.h>

#include "internal.h"

/* Every libcurl function lsio calls: X(name without "curl_"). */
#define LSIO_CURL_FUNCS(X)						\
	X(global_init) X(getdate) X(easy_strerror)			\
	X(easy_init) X(easy_setopt) X(easy_perform) X(easy_getinfo) X(easy_cleanup)	\
	X(slist_append) X(slist_free_all)				\
	X(multi_init) X(multi_setopt) X(multi_add_handle)		\
	X(multi_remove_handle) X(multi_perform) X(multi_info_read)	\
	X(multi_poll) X(multi_cleanup)

#define LSIO_CURL_MEMBER(f) __typeof__(curl_##f) *f;
struct lsio_curl_api {
	LSIO_CURL_FUNCS(LSIO_CURL_MEMBER)
};
#undef LSIO_CURL_MEMBER

/* Filled in once by lsio_curl_load(), read-only afterwards; all NULL
 * until it succeeded. */
extern struct lsio_curl_api lsio_curl;

/*
 * Load libcurl and curl_global_init() it, once per process (thread-safe);
 * later calls return what the first one did.  Returns 0, or -LSIO_EBACKEND
 * with the reason in ctx's message ("remote sources need libcurl: cannot
 * load 'libcurl-gnutls.so.4': ..."); ctx may be NULL for no message.
 */
int lsio_curl_load(struct lsio_ctx *ctx);

#endif /* LSIO_CURL_LOAD_H */
