/* SPDX-License-Identifier: MIT */
/*
 * npy.c - the header of a .npy file, so that numpy can np.load() (or
 * np.memmap) an array lsio wrote.
 *
 * The format (numpy's NEP 1): the magic "\x93NUMPY", a version byte pair,
 * the header length (2 bytes little-endian in version 1.0, 4 in 2.0), then
 * a Python dict literal padded with spaces and ended by '\n' so that the
 * data starts at a multiple of 64 bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define NPY_ALIGN 64
#define NPY_V1_MAX 65535u	/* the largest header length of version 1.0 */

/* Append to buf like snprintf; false when it does not fit. */
static bool npy_append(char *buf, size_t cap, size_t *len, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));

static bool npy_append(char *buf, size_t cap, size_t *len, const char *fmt,
		       ...)
{
	va_list ap;
	int r;

	if (*len >= cap)
		return false;
	va_start(ap, fmt);
	r = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= cap - *len)
		return false;
	*len += (size_t)r;
	return true;
}

/* The dict, as numpy's own writer spells it: a 1-D shape is "(5,)". */
static bool npy_dict(const struct lsio_dtype *dt, const uint64_t *shape,
		     uint32_t ndim, char *buf, size_t cap, size_t *len)
{
	bool ok;

	*len = 0;
	ok = npy_append(buf, cap, len,
			"{'descr': '%s', 'fortran_order': False, 'shape': (",
			dt->str);
	for (uint32_t d = 0; ok && d < ndim; d++)
		ok = npy_append(buf, cap, len, "%s%" PRIu64, d ? ", " : "",
				shape[d]);
	if (ok && ndim == 1)
		ok = npy_append(buf, cap, len, ",");
	return ok && npy_append(buf, cap, len, "), }");
}

int lsio_npy_header(const struct lsio_dtype *dt, const uint64_t *shape,
		    uint32_t ndim, char *buf, size_t cap)
{
	size_t dict_len, prefix = 10, total;
	uint32_t hlen;

	/* Build the dict where a version 2.0 header would put it, then
	 * move it down if version 1.0 will do. */
	if (cap < 12 || !npy_dict(dt, shape, ndim, buf + 12, cap - 12,
				  &dict_len))
		return -LSIO_EOUTPUT;
	total = (prefix + dict_len + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	if (total - prefix > NPY_V1_MAX) {
		prefix = 12;
		total = (prefix + dict_len + 1 + NPY_ALIGN - 1) / NPY_ALIGN *
			NPY_ALIGN;
	}
	if (total > cap || total > INT_MAX)
		return -LSIO_EOUTPUT;
	memmove(buf + prefix, buf + 12, dict_len);
	memset(buf + prefix + dict_len, ' ', total - prefix - dict_len - 1);
	buf[total - 1] = '\n';

	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = prefix == 10 ? 1 : 2;
	buf[7] = 0;
	hlen = (uint32_t)(total - prefix);
	for (size_t k = 0; k < prefix - 8; k++)
		buf[8 + k] = (char)(hlen >> (8 * k));
	return (int)total;
}

int lsio_npy_write_fd(int fd, const struct lsio_dtype *dt,
		      const uint64_t *shape, uint32_t ndim, const void *data,
		      size_t n)
{
	char head[128 + 24 * 8];
	int hlen = ndim <= 8 ? lsio_npy_header(dt, shape, ndim, head,
						sizeof(head)) : -LSIO_EOUTPUT;

	if (hlen < 0)
		return hlen;
	hlen = lsio_write_all(fd, head, (size_t)hlen);
	return hlen ? hlen : lsio_write_all(fd, data, n);
}

int lsio_npy_write_temp(struct lsio_ctx *ctx, const char *path,
			const struct lsio_dtype *dt, const uint64_t *shape,
			uint32_t ndim, const void *data, size_t n, char **temp)
{
	int fd, ret;

	*temp = lsio_temp_name(path, false);
	if (!*temp)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	if (ndim > 8)
		ret = lsio_fail(ctx, -LSIO_EOUTPUT, "'%s': no .npy header for this shape",
				path);
	else if ((fd = lsio_temp_create(*temp, false)) < 0)
		return lsio_fail(ctx, -errno, "cannot create a file beside '%s': %s",
				 path, strerror(errno));
	else {
		ret = lsio_npy_write_fd(fd, dt, shape, ndim, data, n);
		if (close(fd) && !ret)
			ret = -errno;
		if (ret) {
			unlink(*temp);
			ret = lsio_fail(ctx, ret, "cannot write '%s': %s", *temp,
					strerror(-ret));
		}
	}
	if (ret) {
		free(*temp);
		*temp = NULL;
	}
	return ret;
}
