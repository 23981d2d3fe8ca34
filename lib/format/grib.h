/* SPDX-License-Identifier: MIT */
/*
 * grib.h - what the files of the GRIB2 job generator share:
 *
 *   grib_inv.c    inventories: a NOAA/wgrib2 .idx, an ECMWF open-data
 *                 .index (JSON lines), found next to the source or named
 *   grib_scan.c   no inventory: walk the messages' sections 0-4 and write
 *                 the wgrib2-style line of each field (grib_words.c)
 *   grib_words.c  the words of a line: NCEP abbreviations, levels
 *                 (code table 4.5), forecast times (code table 4.4)
 *   grib.c        lsio_grib_job() and lsio_grib_list(): match, then write
 *                 the job or the list
 *
 * Sources are read through the Zarr generator's stores (zarr_store.c: a
 * local file, or http(s)://, s3://, gs://, az:// through the remote backend), a
 * file being a key in its directory.
 */
#ifndef LSIO_GRIB_H
#define LSIO_GRIB_H

#include "internal.h"
#include "zarr.h"

/* The octets of section 3 a grid's shape and coordinates need: every
 * supported template's fixed part (3.30's ends at octet 81). */
#define GRIB_SEC3_MAX 96

/* The grid a field is on, from its section 3: what the decoded values'
 * shape and coordinates come from. */
struct grib_grid {
	uint8_t sec3[GRIB_SEC3_MAX];	/* from octet 1 */
	uint32_t sec3_len;	/* octets kept (<= the section's length) */
	bool known;
};

/* One line of an inventory: a message (or one field of a message of
 * several, "211.2", which shares its offset). */
struct grib_msg {
	char num[24];		/* "12", "211.2" */
	uint64_t off, len;	/* len: to the next message's offset */
	char *text;		/* the line after "N:OFFSET:", e.g.
				 * "d=2026120100:TMP:2 m above ground:anl:" */
	bool selected;
	struct grib_grid grid;	/* a scan's, or read for -o X.npy */
};

/* One source and its inventory. */
struct grib_src {
	const char *uri;	/* as the user wrote it */
	struct zarr_store *store;	/* the source's directory */
	char *key;		/* the source's name in it */
	uint64_t size;
	char *inv;		/* where the inventory came from, or NULL:
				 * a scan */
	struct grib_msg *msgs;
	size_t nmsgs, cap;
	/* Looked for by grib_srcs_open() beside a remote source: the text
	 * of its inventory, and which one it is; NULL: none (a scan). */
	bool looked;
	uint8_t *found;
	size_t found_len;
	int found_which;	/* 0: SOURCE.idx, 1: the .index */
};

/* Open the n sources uris[] into srcs[] and learn their sizes; with idx
 * NULL, also fetch the inventories beside the remote ones.  A host's
 * sources are asked at once, each source's HEAD beside its .idx GET (one
 * round trip for a model run's 49 files), then the .index of those
 * without an .idx.  Returns 0 or an error with the message in ctx. */
int grib_srcs_open(struct lsio_ctx *ctx, struct grib_src *srcs, uint32_t n,
		   const char *const *uris, const char *idx,
		   const struct lsio_options *opt);
void grib_src_release(struct grib_src *s);

/* Append a message; text is copied.  Returns 0 or -ENOMEM. */
int grib_src_add(struct grib_src *s, const char *num, uint64_t off,
		 const char *text, size_t text_len);

/* The inventory: idx is NULL (discover SOURCE.idx, then the .index
 * beside it, else scan), "none" (scan) or a path or URL.  Fills s->msgs
 * with offsets and lengths, checked against the object's size. */
int grib_inventory(struct lsio_ctx *ctx, struct grib_src *s, const char *idx,
		   const struct lsio_options *opt);

/* Scan the source's messages (grib_scan.c), recording each field's
 * grid as the walk passes its section 3. */
int grib_scan(struct lsio_ctx *ctx, struct grib_src *s);

/* The size of the window a scan reads at a message's start: its
 * sections 0-5 unless section 2 or 3 is large. */
#define GRIB_SCAN_WINDOW 4096

/* The grid of message i of s (field N of "M.N"), read from the source:
 * the message's sections up to that field's section 4, a window of a few
 * KiB (one ranged GET remotely).  pre (malloc'd, taken over, may be
 * NULL): the message's first pre_len bytes, already read.  Thread-safe
 * for distinct i.  Returns 0 or an error naming source, message and
 * offset. */
int grib_msg_grid(struct lsio_ctx *ctx, struct grib_src *s, size_t i,
		  uint8_t *pre, size_t pre_len);

/* The field number of an inventory entry: N of "M.N", else 1. */
uint32_t grib_field_of(const struct grib_msg *m);

/* --- grids and coordinates (grib_coords.c) --------------------------------- */

/* A grid's words for messages: "3.30 1799x1059" ("3.40 4320 points" for a
 * reduced grid). */
void grib_grid_words(const struct grib_grid *g, char *buf, size_t cap);

/* The shape values of a field on g take, as the grib2 stage writes
 * them: (Nj, Ni) ((Ni, Nj) when j points are consecutive), or
 * (npoints) for a reduced grid.  Returns ndim, 0 with why when the
 * grid cannot be read. */
uint32_t grib_grid_shape(const struct grib_grid *g, uint64_t shape[2],
			 char *why, size_t cap);

/* The latitude and longitude (degrees) of each of g's points, in the
 * order its values are stored, as ecCodes' latitudes and longitudes
 * keys give them: lat and lon hold npoints doubles each.  Templates
 * 3.0, 3.20 (on a sphere), 3.30 and 3.40.  Returns 0, or -LSIO_EJOB
 * naming what is not supported. */
int grib_grid_coords(const struct grib_grid *g, double *lat, double *lon,
		     char *why, size_t cap);

/* The coordinates of grid g for lsio_grib_coords_write(): lat.npy and
 * lon.npy in the directory of output.  Returns 0, or -LSIO_EJOB naming
 * the grid that has none, -ENOMEM. */
int grib_coords_new(struct lsio_ctx *ctx, const struct grib_grid *g,
		    const char *output, struct lsio_grib_coords **out);

/* "SOURCE: message N at offset OFF: MESSAGE" as the context's message;
 * returns err. */
int grib_fail(struct lsio_ctx *ctx, int err, const struct grib_src *s,
	      const char *num, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* --- the words of an inventory line (grib_words.c) ------------------------ */

/* NCEP's abbreviation of a parameter, or NULL. */
const char *grib_param_name(unsigned discipline, unsigned category,
			    unsigned number);

/* A fixed surface (code table 4.5) as wgrib2 words it: "2 m above
 * ground", "500 mb", "surface"; a layer when type2 is not 255. */
void grib_level_words(unsigned type1, double v1, bool v1_missing,
		      unsigned type2, double v2, bool v2_missing, char *buf,
		      size_t cap);

/* A forecast time as wgrib2 words it: "anl", "6 hour fcst"; with a
 * statistical process (stat >= 0, code table 4.10) over len units,
 * "0-6 hour acc fcst". */
void grib_time_words(unsigned unit, uint64_t t, int stat, unsigned len_unit,
		     uint64_t len, char *buf, size_t cap);

#endif /* LSIO_GRIB_H */
