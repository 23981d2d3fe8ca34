/* SPDX-License-Identifier: MIT */
/*
 * sink_mapped.h - what the array and dataset sinks share (sink_mapped.c):
 * a file assembled through a shared mapping, and C-order arrays inside it
 * that the workers place chunks into.
 */
#ifndef LSIO_SINK_MAPPED_H
#define LSIO_SINK_MAPPED_H

#include "internal.h"

/* $TMPDIR, else /tmp: where a stream target's file is assembled. */
const char *lsio_tmpdir(void);

/* A file of len bytes mapped shared: a temporary beside the target, or,
 * for a stream target, a file with no name in $TMPDIR. */
struct lsio_mapped {
	char *temp;		/* its name; NULL when it has none (or once
				 * the owner renamed it) */
	int fd;
	uint8_t *map;		/* the whole file, NULL when unmapped */
	size_t len;
	bool keep;		/* shared by a sharded or resumable run:
				 * abort keeps it */
};

/* Create, size (its blocks reserved) and map m for target t of sink s.
 * Returns 0, or -LSIO_EOUTPUT / -ENOMEM with the message set; call
 * lsio_mapped_abort() either way when done with it. */
int lsio_mapped_open(struct lsio_sink *s, const struct lsio_target *t,
		     struct lsio_mapped *m, size_t len);

/* The same for the stable temporary of a sharded or resumable run
 * (lsio_temp_stable_name()): opened as it is when it exists. */
int lsio_mapped_open_stable(struct lsio_sink *s, const char *temp,
			    struct lsio_mapped *m, size_t len);

/* Unmap and close m, keeping the file.  Returns 0 or -LSIO_EOUTPUT (a
 * network file system reports write errors at close). */
int lsio_mapped_close(struct lsio_sink *s, struct lsio_mapped *m);

/* Unmap, close and remove m.  Idempotent. */
void lsio_mapped_abort(struct lsio_mapped *m);

/* One C-order array in a mapped file, or in memory the caller owns
 * (sink_memory.c: populated, no file). */
struct lsio_grid {
	uint8_t *data;		/* element 0 */
	const uint64_t *shape;
	uint32_t ndim;		/* the placements' rank (1 for a 0-d array) */
	const struct lsio_dtype *dtype;
	bool populated;		/* a fill touched every page of it already */
};

/* prod(shape) * itemsize, or UINT64_MAX when that overflows. */
uint64_t lsio_grid_bytes(const uint64_t *shape, uint32_t ndim,
			 uint64_t itemsize);

/* "[32, 32]", for messages. */
const char *lsio_shape_text(const uint64_t *shape, uint32_t ndim, char *buf,
			    size_t cap);

/* The sink's direct(): where chunk i's len decoded bytes may be written
 * straight into g, or NULL. */
uint8_t *lsio_grid_direct(struct lsio_sink *s, const struct lsio_grid *g,
			  uint64_t i, size_t len);

/* The sink's put(): place chunk i's n decoded bytes p into g, inside m
 * (NULL when g is populated memory with no file).  Returns 0 or a
 * negative error with the message set (first one wins). */
int lsio_grid_put(struct lsio_sink *s, const struct lsio_mapped *m,
		  const struct lsio_grid *g, uint64_t i, const uint8_t *p,
		  size_t n);

#endif /* LSIO_SINK_MAPPED_H */
