/* SPDX-License-Identifier: MIT */
/*
 * dl.c - open a shared library that lsio loads on first use (libcurl,
 * libnetcdf) rather than links: see io/curl_load.h for why.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *lsio_dl_why(void)
{
	const char *why = dlerror();

	return why ? why : "unknown error";
}

/* RTLD_NOW: a missing dependency or symbol is reported here, not as a
 * crash at the first call that needs it. */
void *lsio_dl_open(const char *soname, const char *fallback, char *why,
		   size_t cap)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (h)
		return h;
	snprintf(why, cap, "cannot load '%s': %s", soname, lsio_dl_why());
	if (fallback && strcmp(soname, fallback))
		h = dlopen(fallback, RTLD_NOW | RTLD_LOCAL);
	return h;
}
