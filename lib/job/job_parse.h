/* SPDX-License-Identifier: MIT */
/*
 * job_parse.h - what the files of the job parser share, and nothing else
 * includes: the parser's state, its message helpers and its maps.
 *
 *   job.c        the top level, the output, file names, loading
 *   job_chunk.c  "defaults" and one chunk (from a JSON tree)
 *   job_map.c    the maps that deduplicate sources, chains and names
 */
#ifndef LSIO_JOB_PARSE_H
#define LSIO_JOB_PARSE_H

#include "internal.h"
#include "job/job.h"

#define NO_INDEX UINT64_MAX
#define PLACE_FIELDS 5	/* shape, to, from, count, step */

/* --- a string -> index map, for deduplication (job_map.c) ------------------ */

/* The keys themselves live elsewhere (the job's sources, chains, a name
 * arena, the placement boxes); key() finds the one an index names: a
 * string, or key_len bytes.  Open addressing, linear probing, at most half
 * full. */
struct job_map {
	struct job_map_slot {
		uint32_t hash;
		uint32_t idx1;	/* index + 1; 0 = empty */
	} *slots;
	size_t mask, n;
	const char *(*key)(const void *arg, uint32_t idx);
	const void *arg;
	size_t key_len;		/* 0: keys are strings */
};

/* FNV-1a of len bytes, and of a string. */
uint32_t job_hash(const void *key, size_t len);
uint32_t job_hash_str(const char *s);

/* Whether key (len bytes: a string without its NUL, or key_len bytes; of
 * hash job_hash(key, len)) is in m; its index in *idx. */
bool job_map_find(const struct job_map *m, const void *key, size_t len,
		  uint32_t hash, uint32_t *idx);

/* The same for a string key. */
bool job_map_lookup(const struct job_map *m, const char *key, uint32_t hash,
		    uint32_t *idx);

/* Add idx, which the caller knows is absent.  0 or -ENOMEM. */
int job_map_insert(struct job_map *m, uint32_t hash, uint32_t idx);
void job_map_release(struct job_map *m);

/* Grow *p (of *cap elements of size) to hold need elements: 0 or
 * -ENOMEM. */
int job_grow(void *p, size_t size, size_t *cap, size_t need);

/* --- the parser ------------------------------------------------------------ */

/* What "defaults" gives every chunk that does not say otherwise. */
struct defaults {
	const char *source;	/* borrowed from the JSON tree, or NULL */
	uint32_t source_idx;	/* LSIO_NONE until a chunk uses it */
	uint64_t length;	/* LSIO_LEN_EOF when not given */
	uint32_t chain;		/* LSIO_NONE when not given */
	char order;		/* place.order, 0 when not given */
	uint8_t missing;	/* enum lsio_missing */
	uint32_t var;		/* place.var (dataset), LSIO_NONE when not
				 * given */
	uint32_t rank;		/* the rank shape/from/count/step have */
	bool has_shape, has_from, has_count, has_step;
	uint64_t shape[LSIO_MAX_DIMS], from[LSIO_MAX_DIMS];
	uint64_t count[LSIO_MAX_DIMS], step[LSIO_MAX_DIMS];
};

/* The array the chunk being parsed lands in: the output's, or a dataset
 * variable's. */
struct dest {
	uint32_t ndim, rank, itemsize;
	const uint64_t *shape;
	const char *var;	/* the variable's name; NULL: array output */
};

struct job_parser {
	struct lsio_ctx *ctx;
	struct lsio_job *job;
	const char *base;	/* "chunks", "defaults", "output" or NULL */
	uint64_t index;		/* chunk index, or NO_INDEX */
	char path[LSIO_MSG_MAX];	/* job_where() formats into this */

	struct defaults def;
	struct dest dest;
	struct job_map sources, chains, vars, boxes;
	const char **var_names;	/* NULL terminated, for "did you mean" */
	size_t sources_cap, chains_cap, strings_cap;
	size_t chunks_cap, tos_cap, boxes_cap;	/* in chunks, boxes */
	uint32_t last_box;	/* the box of the chunk before, or LSIO_NONE */
	/* The placement being parsed: shape, to, from, count, step. */
	uint64_t place[PLACE_FIELDS * LSIO_MAX_DIMS];
	uint32_t empty_chain;	/* the chain "[]", LSIO_NONE until needed */
	bool name_uses_length;	/* files output template has {length} */
};

/* Indexed by enum lsio_output_type, NULL terminated. */
extern const char *const job_out_types[];

/* "NAME: chunks[3].place.to" (sub may be NULL): formatted only for a
 * message, since a job may have a million chunks.  Returns p->path. */
const char *job_where(struct job_parser *p, const char *sub);

/* Set the message "WHERE: ..." and return -LSIO_EJOB. */
int job_fail(struct job_parser *p, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "NAME: out of memory"; returns -ENOMEM. */
int job_oom(struct job_parser *p);

/* What messages name from now on: base ("chunks") and an index (or
 * NO_INDEX). */
void job_at(struct job_parser *p, const char *base, uint64_t index);

bool job_in_list(const char *s, const char *const *list);

/* "unknown key 'KEY'", with a "did you mean" from keys. */
int job_unknown_key(struct job_parser *p, const char *sub, const char *key,
		    const char *const *keys);

/* Every key of obj is one of keys (NULL terminated). */
int job_check_keys(struct job_parser *p, const char *sub, json_t *obj,
		   const char *const *keys);

/* A size (an integer, or a string with units) into *out. */
int job_size(struct job_parser *p, const char *sub, json_t *v, uint64_t *out);

/* A non-empty string, or NULL after setting the message ("expected
 * WHAT"). */
const char *job_string(struct job_parser *p, const char *sub, json_t *v,
		       const char *what);

/* A copy of s in *out: 0 or -ENOMEM (said). */
int job_strdup(struct job_parser *p, const char *s, char **out);

/* One character of allowed ("C" or "CF") into *order. */
int job_order(struct job_parser *p, const char *sub, json_t *v,
	      const char *allowed, char *order);

/* --- defaults and chunks (job_chunk.c) ----------------------------------- */

/* The job's "defaults" (NULL: none). */
int job_parse_defaults(struct job_parser *p, json_t *obj);

/* The job's "chunks" (NULL: missing), then the files' names. */
int job_parse_chunks(struct job_parser *p, json_t *list);

/* A new parser's defaults ("not given") and maps. */
void job_chunk_init(struct job_parser *p);

/* --- file names (job.c) --------------------------------------------------- */

/* Every chunk's file name is valid and unique (files output). */
int job_check_names(struct job_parser *p);

#endif /* LSIO_JOB_PARSE_H */
