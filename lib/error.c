/* SPDX-License-Identifier: MIT */
/*
 * error.c - names for lsio's error codes (and errno values).
 */
#include <string.h>

#include "internal.h"

static const char *const lsio_error_names[] = {
	[LSIO_EJOB - LSIO_EJOB] = "invalid job",
	[LSIO_EUSAGE - LSIO_EJOB] = "invalid usage",
	[LSIO_ESOURCE - LSIO_EJOB] = "source unreadable",
	[LSIO_EDATA - LSIO_EJOB] = "corrupt or truncated data",
	[LSIO_ESIZE - LSIO_EJOB] = "unexpected decoded size",
	[LSIO_ECHECKSUM - LSIO_EJOB] = "checksum mismatch",
	[LSIO_ETOOBIG - LSIO_EJOB] = "output larger than declared",
	[LSIO_EBACKEND - LSIO_EJOB] = "I/O backend failure",
	[LSIO_ECANCELED - LSIO_EJOB] = "interrupted",
	[LSIO_EREMOTE - LSIO_EJOB] = "remote server error",
	[LSIO_ENOTSUP - LSIO_EJOB] = "not supported",
	[LSIO_EOUTPUT - LSIO_EJOB] = "output not writable",
};

const char *lsio_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= LSIO_EJOB && err < LSIO_ELAST)
		return lsio_error_names[err - LSIO_EJOB];
	if (err == 0)
		return "success";
	return strerror(err);
}

int lsio_error_is_usage(int err)
{
	if (err < 0)
		err = -err;
	return err == LSIO_EJOB || err == LSIO_EUSAGE;
}
