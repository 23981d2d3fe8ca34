/* SPDX-License-Identifier: MIT */
/*
 * unit.h - the few macros the table-driven unit tests share.
 * A test binary exits 0 when all checks pass, 1 when one fails, 77 to skip
 * (the liburing convention).  A binary skips as a whole only when nothing
 * in it could run; one case whose facility is truly absent (an encoder,
 * numpy, a disk file system) is skipped with UNIT_SKIP_CASE, which prints
 * "skip: REASON" for tests/run.sh to report and count.  A failure to set
 * up (no writable temporary directory) is a failure, never a skip.
 */
#ifndef LSIO_UNIT_H
#define LSIO_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_checks;
static int unit_skips;

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

/* One case cannot run here: say why on a line of its own. */
#define UNIT_SKIP_CASE(...)                                                 \
	do {                                                                \
		unit_skips++;                                               \
		fflush(stderr);                                             \
		printf("skip: ");                                           \
		printf(__VA_ARGS__);                                        \
		putchar('\n');                                              \
		fflush(stdout);                                             \
	} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed, %d cases skipped\n", name,
	       unit_checks, unit_failures, unit_skips);
	return unit_failures ? 1 : 0;
}

#endif
