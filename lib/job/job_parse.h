/* SPDX-License-Identifier: MIT */
/*
 * job_parse.h - what the files of the job parser share, and nothing else
 * includes: the parser's state, its message helpers and its maps.
 *
 *   job.c         the entry points, the top level, the output, file names
 *   job_stream.c  the job read as a stream: members, lists of chunks, NDJSON
 *   job_reader.c  the window over the text; pieces of it through jansson
 *   job_fast.c    a plain chunk object read without jansson
 *   job_chunk.c   "defaults" and one chunk, field by field
 *   job_place.c   a chunk's placement: checked, kept as "to" and a box
 *   job_map.c     the maps that deduplicate sources, chains, boxes, names
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

/* --- the text, read through a window (job_reader.c) ------------------------ */

/* A refillable window over a job's text (a file, a pipe, or text in
 * memory).  buf[hi] is always NUL, a sentinel for scanners. */
struct jreader {
	struct lsio_ctx *ctx;
	const char *name;	/* for messages */
	int fd;			/* -1: the text is all in buf (not ours) */
	char *buf;
	size_t cap, pos, hi;	/* size, cursor, end of what was read */
	uint64_t base;		/* offset of buf[0] in the text */
	uint64_t origin;	/* offset of the text in the file */
	uint64_t line, col;	/* where buf[0] is: line, characters before
				 * it on its line */
	/* Offsets from which the window keeps every byte (UINT64_MAX:
	 * none): the piece being parsed, and a held list of chunks. */
	uint64_t pin, hold;
	bool eof, seekable;
};

/* A place in the text to come back to. */
struct jr_mark {
	uint64_t at, line, col;
};

#define JR_EOF 256	/* jr_peek() at the end of the text */

void jr_init_fd(struct jreader *r, struct lsio_ctx *ctx, int fd,
		const char *name);
/* text[len] is NUL; it is read in place. */
void jr_init_text(struct jreader *r, struct lsio_ctx *ctx, const char *text,
		  size_t len, const char *name);
void jr_release(struct jreader *r);

/* Read more: 1, 0 at the end, or a negative error (said). */
int jr_more(struct jreader *r);

/* The byte at the cursor, JR_EOF, or a negative error. */
int jr_peek(struct jreader *r);

/* Skip blanks (newlines too, when asked); the byte after, as jr_peek. */
int jr_skip_ws(struct jreader *r, bool newlines);

/* The cursor's offset in the text. */
uint64_t jr_at(const struct jreader *r);

/* Line and column (characters before it on its line) of offset at, which
 * is still in the window. */
void jr_linecol(const struct jreader *r, uint64_t at, uint64_t *line,
		uint64_t *col);
void jr_mark(const struct jreader *r, uint64_t at, struct jr_mark *m);

/* Back to m: in the window, or read again (r->seekable). 0 or an error. */
int jr_seek(struct jreader *r, const struct jr_mark *m);

/* The JSON value at the cursor (flags: JSON_DECODE_ANY ...), through
 * jansson, duplicate keys refused; the cursor moves past it.  0, or
 * -LSIO_EJOB with "NAME:LINE:COL: what" said. */
int jr_value(struct jreader *r, size_t flags, json_t **out);

/* jansson over prefix + the text from the cursor: 0 when it is valid
 * JSON, else its error said as jr_value does.  A scanner that meets
 * something unexpected lets jansson say what, with a prefix that puts it
 * in the same place ("[[]": after an element of a list). */
int jr_jansson(struct jreader *r, const char *prefix);

/* The same, for text known to be wrong: -LSIO_EJOB always. */
int jr_syntax(struct jreader *r, const char *prefix);

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
	/* The chunks' text when it is not the job's (an NDJSON list): its
	 * name for messages, and where it is read, for the line of the chunk
	 * at chunk_at (lines NULL: no line). */
	const char *chunks_name;
	const struct jreader *lines;
	uint64_t chunk_at;

	struct defaults def;
	struct dest dest;
	struct job_map sources, chains, vars, boxes;
	const char **var_names;	/* NULL terminated, for "did you mean" */
	size_t sources_cap, chains_cap, strings_cap;
	size_t chunks_cap, tos_cap, boxes_cap;	/* in chunks, boxes */
	uint32_t empty_chain;	/* the chain "[]", LSIO_NONE until needed */
	uint32_t last_box;	/* the box of the chunk before, or LSIO_NONE */
	uint32_t last_source;	/* its source, or LSIO_NONE */
	bool name_uses_length;	/* files output template has {length} */
	/* What job_header() has checked. */
	bool done_version, done_output, done_storage, done_defaults;
	/* The placement being parsed: shape, to, from, count, step. */
	uint64_t place[PLACE_FIELDS * LSIO_MAX_DIMS];
	/* The texts of "stages" the fast path met (job_chunk.c). */
	struct job_map stages;
	char *stages_text;
	size_t *stages_off;
	uint32_t *stages_chain;
	size_t stages_text_len, stages_text_cap, stages_cap, stages_chain_cap;
	uint32_t nstages;
};

/* "array", "files" ... */
const char *job_out_type(enum lsio_output_type t);

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

/* An array output's "reduce" (job_reduce.c); v may be NULL. */
int job_reduce(struct job_parser *p, json_t *v);

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
int job_order_str(struct job_parser *p, const char *sub, const char *s,
		  const char *allowed, char *order);

/* --- a chunk as the fast path reads it (job_fast.c) ----------------------- */

/* What a chunk object says, when it says it plainly: strings of printable
 * ASCII without escapes (not empty), whole numbers, lists of at most
 * LSIO_MAX_DIMS sizes.  Pointers are into the text. */
struct chunk_in {
	const char *source, *name, *stages;	/* or NULL */
	size_t source_len, name_len, stages_len;	/* stages: its text */
	char missing[16], order[4], var[64];	/* "" when not given */
	bool has_offset, has_length, has_place;
	uint64_t offset, length;
	int8_t ndims[PLACE_FIELDS];	/* place's lists: -1 when not given */
	uint64_t dims[PLACE_FIELDS][LSIO_MAX_DIMS];
	json_t *stages_json;	/* the caller's parse of a new "stages" */
};

enum { FAST_OK, FAST_MORE, FAST_NO };

/* Read the chunk object at p (text up to end, *end NUL) into in: FAST_OK
 * with *after just past it, FAST_MORE when the text ends first (more may
 * follow), FAST_NO when the object is not one of the plain ones, or not
 * valid JSON: jansson reads it then. */
int job_fast_chunk(const char *p, const char *end, struct chunk_in *in,
		   const char **after);

/* --- defaults and chunks (job_chunk.c, job_place.c) ---------------------- */

/* The job's "defaults" (NULL: none), and its "place". */
int job_parse_defaults(struct job_parser *p, json_t *obj);
int job_default_place(struct job_parser *p, json_t *obj);

/* Chunk i, from a JSON tree or from what the fast path read. */
int job_parse_chunk(struct job_parser *p, uint64_t i, json_t *obj);
int job_parse_chunk_in(struct job_parser *p, uint64_t i, struct chunk_in *in);

/* Its placement: the "place" object (NULL: not given), or the fast
 * path's. */
int job_chunk_place(struct job_parser *p, json_t *obj, struct lsio_chunk *c);
int job_chunk_place_in(struct job_parser *p, const struct chunk_in *in,
		       struct lsio_chunk *c);

/* Is the "stages" text s[0..len) known (then valid JSON), and in which
 * slot?  Add it, with its chain (LSIO_NONE: not parsed yet). */
int job_stages_seen(struct job_parser *p, const char *s, size_t len,
		    uint32_t *slot);
int job_stages_add(struct job_parser *p, const char *s, size_t len,
		   uint32_t chain, uint32_t *slot);

/* Before the first chunk, once the output is known (placements have its
 * largest rank), and after the last (arrays shrink to fit). */
void job_chunks_begin(struct job_parser *p);
void job_place_begin(struct job_parser *p);
void job_chunks_end(struct job_parser *p);

/* Drop every chunk and what they added (sources, chains, names, boxes):
 * they are to be read again. */
void job_chunks_forget(struct job_parser *p);

/* The job's "chunks" as a JSON tree (NULL: missing), then the files'
 * names. */
int job_parse_chunks(struct job_parser *p, json_t *list);

/* A new parser's defaults ("not given") and maps; what they hold. */
void job_chunk_init(struct job_parser *p);
void job_chunk_release(struct job_parser *p);

/* --- the job, read as a stream (job_stream.c) ---------------------------- */

struct job_input {
	const char *path;	/* the job's file: "@list" is beside it; NULL
				 * for text or standard input (the current
				 * directory) */
	const char *chunks;	/* NDJSON chunks replacing the job's ("-":
				 * standard input), or NULL */
};

/* Read the job's text from r into p->job, and check it. */
int job_stream_parse(struct job_parser *p, struct jreader *r,
		     const struct job_input *in);

/* --- the top level (job.c) ------------------------------------------------- */

/* Check what of the top level root holds and was not checked yet, in
 * order: "lsio", the keys, "output", "storage", "defaults".  Before
 * final, what is missing may still come. */
int job_header(struct job_parser *p, json_t *root, bool final);

/* --- file names (job.c) --------------------------------------------------- */

/* Every chunk's file name is valid and unique (files output). */
int job_check_names(struct job_parser *p);

#endif /* LSIO_JOB_PARSE_H */
