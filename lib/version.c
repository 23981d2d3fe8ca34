/* SPDX-License-Identifier: MIT */
/*
 * version.c - the version of the library that runs.  A program linked
 * with liblsio.so.MAJOR may run against a newer MINOR or PATCH than the
 * lsio.h it was compiled with; these say which (after zstd's
 * ZSTD_versionString and ZSTD_versionNumber).
 */
#include "internal.h"

const char *lsio_version(void)
{
	return LSIO_VERSION;
}

unsigned lsio_version_number(void)
{
	return LSIO_VERSION_NUMBER;
}
