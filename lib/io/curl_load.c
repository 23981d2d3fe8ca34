/* SPDX-License-Identifier: MIT */
/*
 * curl_load.c - dlopen() libcurl on first use (see curl_load.h for why).
 *
 * The soname is the one the build found (LSIO_CURL_SONAME, from the
 * Makefile: libcurl-gnutls.so.4 on Debian); libcurl.so.4, the same API
 * over another TLS library, is tried when that one cannot be loaded.
 * The library is never unloaded: its handles live as long as the process.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "io/curl_load.h"

#ifndef LSIO_CURL_SONAME
#define LSIO_CURL_SONAME "libcurl.so.4"
#endif
#define CURL_SONAME_FALLBACK "libcurl.so.4"

struct lsio_curl_api lsio_curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_err;
static char load_msg[LSIO_MSG_MAX];

static void *open_curl(void)
{
	char why[LSIO_MSG_MAX / 2];
	void *h = lsio_dl_open(LSIO_CURL_SONAME, CURL_SONAME_FALLBACK, why,
			       sizeof(why));

	if (!h)
		snprintf(load_msg, sizeof(load_msg),
			 "remote sources need libcurl: %s", why);
	return h;
}

/* Every function or none: lsio_curl is set only when all resolved.
 * dlerror() names the file and the symbol. */
static int resolve(void *h, struct lsio_curl_api *api)
{
#define LSIO_CURL_RESOLVE(f)						\
	api->f = (__typeof__(api->f))dlsym(h, "curl_" #f);		\
	if (!api->f)							\
		goto missing;
	LSIO_CURL_FUNCS(LSIO_CURL_RESOLVE)
#undef LSIO_CURL_RESOLVE
	return 0;
missing:
	snprintf(load_msg, sizeof(load_msg), "remote sources need libcurl: %s",
		 lsio_dl_why());
	return -1;
}

static void load(void)
{
	struct lsio_curl_api api;
	CURLcode rc;
	void *h = open_curl();

	load_err = -LSIO_EBACKEND;
	if (!h)
		return;
	if (resolve(h, &api)) {
		dlclose(h);
		return;
	}
	rc = api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc) {
		snprintf(load_msg, sizeof(load_msg), "libcurl: %s",
			 api.easy_strerror(rc));
		return;
	}
	lsio_curl = api;
	load_err = 0;
}

int lsio_curl_load(struct lsio_ctx *ctx)
{
	pthread_once(&load_once, load);
	if (load_err && ctx)
		return lsio_fail(ctx, load_err, "%s", load_msg);
	return load_err;
}
