/* SPDX-License-Identifier: MIT */
/*
 * testenv.c - the environment lsio's own tests set to pretend what this
 * machine is not (a sysfs tree, a probe's result, a recorded statfs, a
 * remote host's latency).  Every such variable is named here, and read
 * only when LSIO_TEST_HOOKS=1 is set too: a user's environment never
 * changes what lsio measures, and the library's normal path reads none.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const hook_names[] = {
	[LSIO_HOOK_SYSFS_ROOT] = "LSIO_SYSFS_ROOT",
	[LSIO_HOOK_PROBE_US] = "LSIO_PROBE_LATENCY_US",
	[LSIO_HOOK_STATFS] = "LSIO_STATFS",
	[LSIO_HOOK_REMOTE_MS] = "LSIO_REMOTE_LATENCY_MS",
};

const char *lsio_test_hook(enum lsio_hook hook)
{
	const char *on = getenv("LSIO_TEST_HOOKS"), *v;

	if (!on || strcmp(on, "1"))
		return NULL;
	v = getenv(hook_names[hook]);
	return v && *v ? v : NULL;
}
