/* SPDX-License-Identifier: MIT */
/*
 * unit.h - the few macros the table-driven unit tests share.
 * A test binary exits 0 when all checks pass, 1 when one fails, 77 to skip
 * (the liburing convention).
 */
#ifndef LSIO_UNIT_H
#define LSIO_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		unit_checks++;                                              \
		if (!(cond)) {                                              \
			unit_failures++;                                    \
			fprintf(stderr, "%s:%d: check failed: %s: ",        \
				__FILE__, __LINE__, #cond);                 \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

#define UNIT_SKIP 77

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
