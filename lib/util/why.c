/* SPDX-License-Identifier: MIT */
/*
 * why.c - the one formatter of "why" buffers: the pure parsers (CF time,
 * labels) say what was wrong in a caller's buffer and return the error in
 * one statement.
 */
#include <stdarg.h>

#include "internal.h"

int lsio_why(char *why, size_t cap, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && cap) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return err;
}
