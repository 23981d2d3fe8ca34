/* SPDX-License-Identifier: MIT */
/*
 * zarr.h - what the files of the Zarr job generator share:
 *
 *   zarr_store.c   a store: read a key (or part of it), or learn it is
 *                  missing; the local directory store lives there
 *   zarr_store_remote.c  http(s)://, s3://, gs://, az:// stores: HEADs and GETs
 *                  through the remote backend (io/backend_curl.c)
 *   zarr_meta.c    .zarray / .zmetadata / zarr.json into struct zarr_array:
 *                  output dtype, fill value, the stage chain, chunk order
 *   zarr_select.c  numpy-style selections, and which part of each chunk
 *                  along each dimension they select
 *   zarr_place.c   the placements of one chunk's selected part
 *   zarr.c         lsio_zarr_job(): open the array, plan its chunks,
 *                  write the job text
 *   zarr_shard.c   sharded arrays: shard indexes first, then inner chunks
 *   zarr_list.c    lsio zarr --list
 *   zarr_dataset.c a group as xarray sees it: variables, dimension names,
 *                  attributes, coordinates
 *   zarr_info.c    lsio zarr --info: the dataset like `ncdump -h`, with
 *                  chunking, codecs and sizes
 */
#ifndef LSIO_ZARR_H
#define LSIO_ZARR_H

#include "internal.h"

/* --- stores (zarr_store.c) ------------------------------------------------ */

struct zarr_store;

/* One request of a store's batch: a key's size, or its content. */
struct zarr_req {
	const char *key;
	bool body;		/* read the key (whole, or part of it:) */
	uint32_t part;		/* body: only its first part bytes, or its
				 * last with at_end (fewer if it is shorter);
				 * 0: the whole key */
	bool at_end;
	uint64_t size;		/* its size (a part read: UINT64_MAX when
				 * the server does not say it) */
	uint8_t *buf;		/* body: malloc'd, the caller's to free */
	size_t len;
	int res;		/* 0 or -ENOENT */
};

struct zarr_store_ops {
	const char *name;
	/* Read n bytes of key at off (n == UINT64_MAX: to the end).  Returns
	 * 0 with a malloc'd buffer in *buf (*len bytes, which may be fewer
	 * than asked at the end), -ENOENT when key does not exist, or
	 * another -errno. */
	int (*read)(struct zarr_store *s, const char *key, uint64_t off,
		    uint64_t n, uint8_t **buf, size_t *len);
	/* The byte size of key: 0, -ENOENT, or -errno. */
	int (*size)(struct zarr_store *s, const char *key, uint64_t *size);
	/* Asking a key's size is a request (a remote store): the Zarr
	 * generator asks none and learns a missing chunk from its GET. */
	bool size_costs_request;
	/* Requests on n keys at once (a remote store: all in flight on one
	 * curl multi, one round trip): the size of each, or its whole
	 * content in one GET without a HEAD.  Returns 0 (each reqs[i].res 0
	 * or -ENOENT) or the error that failed them (message in the context
	 * when zarr_said()).  NULL op: zarr_store_batch() asks read and
	 * size one by one. */
	int (*batch)(struct zarr_store *s, struct zarr_req *reqs, size_t n);
	/* n ranges of key at once (a remote store: GETs in parallel): range
	 * i (offs[i], lens[i] bytes, inside the object) lands in bufs[i].
	 * Returns 0 or an error with its message in the context.  NULL op:
	 * read() each. */
	int (*read_ranges)(struct zarr_store *s, const char *key,
			   const uint64_t *offs, const uint32_t *lens,
			   uint8_t *const *bufs, uint32_t n);
	/* The names of the sub-directories of prefix ("" the root), sorted,
	 * NULL terminated, malloc'd (free with zarr_names_free).  NULL op:
	 * the store cannot list (only consolidated metadata lists it). */
	int (*list_dirs)(struct zarr_store *s, const char *prefix,
			 char ***names);
	void (*close)(struct zarr_store *s);
};

struct zarr_store {
	const struct zarr_store_ops *ops;
	char *root;		/* as the user wrote it, no trailing '/' */
	/* What the job's sources start with: a local store's root made
	 * absolute (realpath), so a job runs from any directory; NULL:
	 * the root itself (a URL). */
	char *source_root;
};

/* Open the store rooted at uri: a local directory, or an http(s)://,
 * s3://, gs:// or az:// URL (zarr_store_remote.c).  Returns 0 or -LSIO_EJOB /
 * -ENOMEM with the message in ctx. */
int zarr_store_open(struct lsio_ctx *ctx, const char *uri,
		    const struct lsio_options *opt, struct zarr_store **store);
int zarr_store_remote_open(struct lsio_ctx *ctx, const char *uri,
			   const struct lsio_options *opt,
			   struct zarr_store **store);

/* Where walking up from uri for a parent's .zmetadata must stop: the
 * index of the '/' that ends a URL's host or bucket (strlen when there is
 * none), 1 for a local path. */
size_t zarr_store_top(const char *uri);

/* A store op's error that already has its message in the context (a
 * remote store's URL and HTTP status): lsio's own codes, not errnos. */
static inline bool zarr_said(int err)
{
	return err <= -LSIO_EJOB;
}
void zarr_store_close(struct zarr_store *s);

/* The job "source" of key: the (absolute) root, '/', the key; malloc'd. */
char *zarr_store_source(const struct zarr_store *s, const char *key);

/* Run n requests of a batch with the store's batch op, or one after the
 * other through read and size when it has none.  Returns 0 (each
 * reqs[i].res 0 or -ENOENT) or the error that stopped them. */
int zarr_store_batch(struct zarr_store *s, struct zarr_req *reqs, size_t n);

/* Read key whole: one GET without a HEAD on a remote store.  Returns 0
 * (*buf malloc'd), -ENOENT (missing), or another error as the ops do. */
int zarr_store_get(struct zarr_store *s, const char *key, uint8_t **buf,
		   size_t *len);

/* Read a whole key and parse it as JSON.  Returns 0, -ENOENT (missing), or
 * -LSIO_EJOB (unreadable or not JSON; message in ctx). */
/* Read n keys (at most ZARR_JSONS_MAX) at once - a remote store's GETs
 * all in flight - and parse each as JSON: out[i] NULL for a missing key.
 * Returns 0, or -LSIO_EJOB (unreadable or not JSON) or a store's error
 * with the message in ctx (out[] all NULL then). */
#define ZARR_JSONS_MAX 4
int zarr_store_jsons(struct lsio_ctx *ctx, struct zarr_store *s,
		     const char *const *keys, size_t n, json_t **out);

int zarr_store_json(struct lsio_ctx *ctx, struct zarr_store *s,
		    const char *key, json_t **out);

void zarr_names_free(char **names);

/* --- arrays (zarr_meta.c) --------------------------------------------------- */

enum zarr_keys { ZARR_KEYS_V2, ZARR_KEYS_DEFAULT };

/* One Zarr array, as the job generator needs it. */
struct zarr_array {
	char *path;		/* key prefix in the store, "" at the root */
	int format;		/* 2 or 3 */
	uint32_t ndim;
	uint64_t shape[LSIO_MAX_DIMS];
	uint64_t chunks[LSIO_MAX_DIMS];	/* chunk shape (shard shape when sharded) */
	struct lsio_dtype dtype;	/* the output's: numpy string */
	json_t *fill;		/* the output's fill_value (never NULL) */
	json_t *stages;		/* stage chain of a chunk (an inner chunk) */
	bool raw;		/* no compressor: a stored chunk is exactly
				 * its decoded size */
	char order;		/* memory order of a decoded (inner) chunk */
	enum zarr_keys keys;
	char sep;		/* '.' or '/' */
	bool sep_implied;	/* v2 without dimension_separator: '.' assumed */
	char *codecs;		/* a short description, for --list */

	/* sharding_indexed: chunks[] are shards of inner[] chunks. */
	bool sharded;
	uint64_t inner[LSIO_MAX_DIMS];
	bool index_at_start;
	bool index_crc;		/* the index ends with its crc32c */
	bool index_big;		/* the index's integers are big-endian */
};

/* Parse the metadata of the array at path: ".zarray" (v2) or "zarr.json"
 * (v3) as given in meta.  key names it in messages. */
int zarr_array_parse(struct lsio_ctx *ctx, const struct zarr_store *s,
		     const char *key, json_t *meta, struct zarr_array *a);
void zarr_array_release(struct zarr_array *a);

/* The key of the chunk at grid position idx (shard position when
 * sharded) into buf. Returns 0, or -ENAMETOOLONG. */
int zarr_chunk_key(const struct zarr_array *a, const uint64_t *idx,
		   char *buf, size_t cap);


/* Fail with "store 'ROOT': 'KEY': MESSAGE"; returns err. */
int zarr_fail(struct lsio_ctx *ctx, int err, const struct zarr_store *s,
	      const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* --- selections (zarr_select.c) --------------------------------------------- */

/* What a selection takes along one dimension: the indices start + j*step
 * for j < n, then (a longitude box across its coordinate's seam, e.g.
 * -10..30 on a 0..360 axis) start2 + j*step for j < n2, placed after them.
 * An integer selects one index and drops the dimension. */
struct zarr_dimsel {
	uint64_t start, step, n;
	bool drop;
	uint64_t start2, n2;	/* n2 == 0: one segment */
};

/* How many indices the selection takes along the dimension. */
static inline uint64_t zarr_dimsel_count(const struct zarr_dimsel *s)
{
	return s->n + s->n2;
}

/* Parse text ("0:24, -1, ::2", "" or NULL for everything) against an array
 * of the given shape.  Errors are -LSIO_EJOB with why filled. */
int zarr_select_parse(const char *text, const uint64_t *shape, uint32_t ndim,
		      struct zarr_dimsel *sel, char *why, size_t why_cap);

/* The selected indices inside one chunk along one dimension: count
 * indices from local index from, every sel->step, landing at output index
 * to (and on). */
struct zarr_span {
	uint64_t chunk;		/* chunk index along the dimension */
	uint64_t from, count, to;
};

/* The spans of sel over chunks of csize along one dimension, in order.
 * *spans is malloc'd (NULL when nothing is selected). Returns 0 or
 * -ENOMEM. */
int zarr_spans(const struct zarr_dimsel *sel, uint64_t csize,
	       struct zarr_span **spans, size_t *n);

/* --- placements (zarr_place.c) ------------------------------------------- */

/* One placement in the job's terms: output dimensions only (rank 1 for a
 * 0-d output), with steps. */
struct zarr_place {
	uint32_t ndim;
	char order;
	uint64_t shape[LSIO_MAX_DIMS], from[LSIO_MAX_DIMS];
	uint64_t count[LSIO_MAX_DIMS], to[LSIO_MAX_DIMS];
	uint64_t step[LSIO_MAX_DIMS];
};

/* The one placement of the selected part of a chunk of shape cshape
 * (memory order order), whose span along dimension d is span[d]. */
void zarr_place_of(const uint64_t *cshape, uint32_t ndim, char order,
		   const struct zarr_dimsel *sel,
		   const struct zarr_span *const *span, struct zarr_place *p);

/* --- the generator (zarr.c, zarr_shard.c) ---------------------------------- */

#define ZARR_KEY_MAX 4096

/* One lsio_zarr_job() call. */
struct zarr_gen {
	struct lsio_ctx *ctx;
	const struct lsio_options *opt;	/* may be NULL */
	struct zarr_store *store;
	struct zarr_array a;
	char meta_key[ZARR_KEY_MAX];	/* the array's metadata, for messages */
	const char *select;
	struct zarr_dimsel sel[LSIO_MAX_DIMS];
	uint64_t csize[LSIO_MAX_DIMS];	/* chunks as read: inner ones if sharded */
	struct zarr_span *spans[LSIO_MAX_DIMS];
	size_t nspans[LSIO_MAX_DIMS];
	struct lsio_strbuf chunks;	/* the entries' text */
	uint64_t nentries;
	uint64_t placed;	/* output elements the entries cover */
	/* A remote store: an entry for every chunk, without its length
	 * ("missing": "fill"), one GET each and no HEAD. */
	bool blind;
	/* The chunk being written. */
	char *source;		/* JSON-quoted */
	uint64_t off, len;
	/* Several variables in one job (zarr_request.c): each entry's
	 * place.var, JSON-quoted; its own stage chain (JSON) when it is not
	 * the job's default one; its place.order when that may differ. */
	const char *var;
	/* The array's dimension names when the store gives them (the output
	 * names them, so --reduce can), else NULL. */
	char *const *dims;
	const char *entry_stages;
	bool entry_order;
};

/* Write the entries of one stored chunk: bytes [off, off + len) of key
 * (len UINT64_MAX: the whole key, whatever its length, if it exists),
 * whose selected part along dimension d is sp[d]. Returns 0 or an error. */
int zarr_gen_chunk(struct zarr_gen *g, const struct zarr_span *const *sp,
		   const char *key, uint64_t off, uint64_t len);

/* The entries of a sharded array (zarr_shard.c). */
int zarr_gen_sharded(struct zarr_gen *g);

/* With g->sel[] set: the spans of every dimension (0, 1 when nothing is
 * selected, or an error); then the entries of every chunk they touch. */
int zarr_gen_spans(struct zarr_gen *g);
int zarr_gen_entries(struct zarr_gen *g);

/* The job's "output" (an array of the selection's shape; path may be
 * NULL) and "defaults" (the chain, missing, order) as JSON text, malloc'd;
 * NULL when out of memory. */
char *zarr_gen_output(struct zarr_gen *g, const char *path);
char *zarr_gen_defaults(struct zarr_gen *g);

/* The job's text from its output and defaults (JSON text, malloc'd, both
 * freed here; NULL: out of memory) and its entries.  Returns 0 and
 * *job, or -ENOMEM. */
int zarr_job_text(struct lsio_ctx *ctx, const struct lsio_options *opt,
		  char *out, char *def, const struct lsio_strbuf *entries,
		  char **job);

/* Step pos[] through [0, n[d]) in C order; false after the last. */
bool zarr_odometer_next(size_t *pos, const size_t *n, uint32_t ndim);

/* --- datasets (zarr_dataset.c) ------------------------------------------------ */

/* One array of a group, as xarray sees it. */
struct zarr_var {
	char *name;		/* path of the array relative to the group, e.g. "t2m" */
	struct zarr_array a;	/* its metadata (zarr_array_parse); a.path is
				 * its key prefix in the store */
	/* _ARRAY_DIMENSIONS (v2 .zattrs) or dimension_names (v3); never
	 * NULL: "dim_N" for dimension N when the store names none. */
	char *dims[LSIO_MAX_DIMS];
	bool named;		/* the store named every dimension */
	json_t *attrs;		/* .zattrs (v2, without _ARRAY_DIMENSIONS) / v3
				 * attributes; never NULL */
	bool is_coord;		/* 1-D and named like its only dimension
				 * (xarray's rule) */
};

/* A Zarr group: the arrays directly in it (not in its sub-groups). */
struct zarr_dataset {
	struct zarr_store *store;
	char *group;		/* "" for the store's root */
	json_t *attrs;		/* the group's attributes; never NULL */
	struct zarr_var *vars;	/* sorted by name */
	size_t nvars;
	bool consolidated;	/* metadata came from .zmetadata / v3
				 * consolidated_metadata */
	int format;		/* 2 or 3 */
};

/* Open the group at uri: STORE, or STORE/GROUP.  Its members come from
 * consolidated metadata (v2 .zmetadata at the group or at a parent, v3
 * consolidated_metadata in the group's zarr.json) when there is some,
 * else from walking the group's directory (local stores only: a remote
 * store without consolidated metadata is -LSIO_EJOB, saying so).  An
 * array lsio cannot read (a string dtype, an unknown codec) is left out
 * with a warning in ctx.  Returns 0 and *ds (free with
 * zarr_dataset_free), or a negative error with the message in ctx. */
int zarr_dataset_open(struct lsio_ctx *ctx, const char *uri,
		      const struct lsio_options *opt, struct zarr_dataset **ds);
void zarr_dataset_free(struct zarr_dataset *ds);

/* The variable called name: 0 and *v, or -LSIO_EJOB with "did you mean"
 * in ctx. */
int zarr_dataset_var(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
		     const char *name, const struct zarr_var **v);

/* The coordinate variable of dimension dim, or NULL when it has none. */
const struct zarr_var *zarr_dataset_coord(const struct zarr_dataset *ds,
					  const char *dim);

/* Read a whole 1-D variable (a coordinate) as doubles, decoded by lsio
 * itself: a job run through the library, its output in a temporary file
 * in $TMPDIR (unlinked).  Integers beyond 2^53 lose precision; NaT is
 * NaN.  opt may be NULL (its output path and progress are not used).
 * Returns 0 with *values malloc'd (the caller frees it) and *n, or a
 * negative error with the message in ctx. */
int zarr_var_read_doubles(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
			  const struct zarr_var *v, const struct lsio_options *opt,
			  double **values, uint64_t *n);

#endif /* LSIO_ZARR_H */
