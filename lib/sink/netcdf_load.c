/* SPDX-License-Identifier: MIT */
/*
 * netcdf_load.c - dlopen() libnetcdf on first use (see netcdf_load.h for
 * why), as io/curl_load.c does libcurl.
 *
 * The soname is the one the build found (LSIO_NETCDF_SONAME, from the
 * Makefile: libnetcdf.so.19 on Debian 12); libnetcdf.so, the development
 * link to whichever version is installed, is tried when that one cannot
 * be loaded: every function lsio calls is in netCDF's stable C API.  The
 * library is never unloaded.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "sink/netcdf_load.h"

#ifndef LSIO_NETCDF_SONAME
#define LSIO_NETCDF_SONAME "libnetcdf.so"
#endif
#define NETCDF_SONAME_FALLBACK "libnetcdf.so"

struct lsio_nc_api lsio_nc;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_err;
static char load_msg[LSIO_MSG_MAX];

/* Every function or none: lsio_nc is set only when all resolved.
 * dlerror() names the file and the symbol. */
static int resolve(void *h, struct lsio_nc_api *api)
{
#define LSIO_NC_RESOLVE(f)						\
	api->f = (__typeof__(api->f))dlsym(h, "nc_" #f);		\
	if (!api->f)							\
		goto missing;
	LSIO_NC_FUNCS(LSIO_NC_RESOLVE)
#undef LSIO_NC_RESOLVE
	return 0;
missing:
	snprintf(load_msg, sizeof(load_msg),
		 "a dataset output needs libnetcdf: %s", lsio_dl_why());
	return -1;
}

static void load(void)
{
	char why[LSIO_MSG_MAX / 2];
	struct lsio_nc_api api;
	void *h = lsio_dl_open(LSIO_NETCDF_SONAME, NETCDF_SONAME_FALLBACK, why,
			       sizeof(why));

	load_err = -LSIO_EOUTPUT;
	if (!h) {
		snprintf(load_msg, sizeof(load_msg),
			 "a dataset output needs libnetcdf: %s", why);
		return;
	}
	if (resolve(h, &api)) {
		dlclose(h);
		return;
	}
	lsio_nc = api;
	load_err = 0;
}

int lsio_netcdf_load(struct lsio_ctx *ctx)
{
	pthread_once(&load_once, load);
	if (load_err && ctx)
		return lsio_fail(ctx, load_err, "%s", load_msg);
	return load_err;
}
