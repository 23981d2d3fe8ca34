/* SPDX-License-Identifier: MIT */
/*
 * netcdf_load.h - libnetcdf, loaded when a run first writes a NetCDF file.
 *
 * libnetcdf brings HDF5, libcurl and their dependencies (some forty
 * shared libraries), whose loading would cost every run a few
 * milliseconds that only a dataset output needs.  So lsio does not link
 * it: it dlopen()s it on first use, as io/curl_load.c does libcurl, and
 * calls it through the table lsio_nc, whose members are netCDF's
 * functions without their nc_ prefix (lsio_nc.def_var(...) for
 * nc_def_var(...)).  <netcdf.h> still gives the types, constants and
 * prototypes: each member has the type of the function it stands for.
 */
#ifndef LSIO_NETCDF_LOAD_H
#define LSIO_NETCDF_LOAD_H

#include <netcdf.h>

#include "internal.h"

/* Every libnetcdf function lsio calls: X(name without "nc_"). */
#define LSIO_NC_FUNCS(X)						\
	X(create) X(def_dim) X(def_var) X(def_var_fill)			\
	X(def_var_chunking) X(put_att) X(put_att_text) X(enddef)	\
	X(put_vara) X(close) X(strerror)

#define LSIO_NC_MEMBER(f) __typeof__(nc_##f) *f;
struct lsio_nc_api {
	LSIO_NC_FUNCS(LSIO_NC_MEMBER)
};
#undef LSIO_NC_MEMBER

/* Filled in once by lsio_netcdf_load(), read-only afterwards; all NULL
 * until it succeeded. */
extern struct lsio_nc_api lsio_nc;

/*
 * Load libnetcdf, once per process (thread-safe); later calls return what
 * the first one did.  Returns 0, or -LSIO_EOUTPUT with the reason in
 * ctx's message ("a dataset output needs libnetcdf: cannot load
 * 'libnetcdf.so.19': ..."); ctx may be NULL for no message.
 */
int lsio_netcdf_load(struct lsio_ctx *ctx);

#endif /* LSIO_NETCDF_LOAD_H */
