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
 * local file, or http(s)://, s3://, gs:// through the remote backend), a
 * file being a key in its directory.
 */
#ifndef LSIO_GRIB_H
#define LSIO_GRIB_H

#include "internal.h"
#include "zarr.h"

/* One line of an inventory: a message (or one field of a message of
 * several, "211.2", which shares its offset). */
struct grib_msg {
	char num[24];		/* "12", "211.2" */
	uint64_t off, len;	/* len: to the next message's offset */
	char *text;		/* the line after "N:OFFSET:", e.g.
				 * "d=2026120100:TMP:2 m above ground:anl:" */
	bool selected;
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

/* Scan the source's messages (grib_scan.c). */
int grib_scan(struct lsio_ctx *ctx, struct grib_src *s);

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
