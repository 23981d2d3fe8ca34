/* SPDX-License-Identifier: MIT */
/*
 * backend.c - the registry of I/O backends, in the manner of fio's engines.
 */
#include <string.h>

#include "internal.h"

extern const struct lsio_backend_ops lsio_backend_uring;
extern const struct lsio_backend_ops lsio_backend_pread;
extern const struct lsio_backend_ops lsio_backend_null;

static const struct lsio_backend_ops *const lsio_backends[] = {
	&lsio_backend_uring,
	&lsio_backend_pread,
	&lsio_backend_null,
};

const struct lsio_backend_ops *lsio_backend_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(lsio_backends); i++)
		if (!strcmp(lsio_backends[i]->name, name))
			return lsio_backends[i];
	return NULL;
}
