/* SPDX-License-Identifier: MIT */
/*
 * test_version.c - LSIO_VERSION, its three numbers and the library's own
 * lsio_version() and lsio_version_number() say the same thing.  The
 * Makefile takes the soname's MAJOR from LSIO_VERSION, so a header whose
 * LSIO_VERSION_MAJOR disagrees would name the wrong shared library.
 */
#include <stdio.h>
#include <string.h>

#include "lsio.h"
#include "unit.h"

int main(void)
{
	char want[32];

	snprintf(want, sizeof(want), "%d.%d.%d", LSIO_VERSION_MAJOR,
		 LSIO_VERSION_MINOR, LSIO_VERSION_PATCH);
	CHECK(!strcmp(want, LSIO_VERSION), "LSIO_VERSION '%s', numbers '%s'",
	      LSIO_VERSION, want);
	CHECK(!strcmp(lsio_version(), LSIO_VERSION), "lsio_version() '%s'",
	      lsio_version());
	CHECK(lsio_version_number() == LSIO_VERSION_NUMBER,
	      "lsio_version_number() %u", lsio_version_number());
	CHECK(LSIO_VERSION_MINOR < 100 && LSIO_VERSION_PATCH < 100,
	      "MINOR and PATCH must stay below 100 in LSIO_VERSION_NUMBER");
	return unit_done("test_version");
}
