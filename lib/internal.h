/* SPDX-License-Identifier: MIT */
/*
 * internal.h - the structures the layers of liblsio share.
 *
 *   job/    parses a job file into struct lsio_job (validated, immutable)
 *   plan/   turns chunks into units of I/O (struct lsio_plan)
 *   engine/ runs units on workers; each completed chunk goes through its
 *           stage chain and into the sink on the worker that read it
 *   io/     backends: how a worker reads (io_uring, pread, null)
 *   stage/  codecs and filters, one file each
 *   sink/   where decoded chunks go (array, files, stdout, null)
 *
 * Dependencies point one way: engine -> {plan, io, stage, sink}; no backend
 * knows a stage, no stage knows a backend.
 */
#ifndef LSIO_INTERNAL_H
#define LSIO_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "lsio.h"

/* A function whose loops vectorise twice as wide with AVX2: compiled for
 * it and for the baseline, the loader picks one (target_clones).  Both
 * give the same results: the arithmetic is the same, only wider. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define LSIO_WIDE __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef LSIO_WIDE
#define LSIO_WIDE
#endif

#define LSIO_MSG_MAX 1024
#define LSIO_MAX_DIMS 32	/* numpy's limit */
#define LSIO_LEN_EOF UINT64_MAX	/* chunk length not given: to end of file */
#define LSIO_NONE UINT32_MAX	/* an absent index */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* --- context and errors (ctx.c, error.c) ---------------------------------- */

struct lsio_ctx {
	pthread_mutex_t lock;	/* workers report errors concurrently */
	char msg[LSIO_MSG_MAX];
	int err;		/* first error recorded by a worker, 0 if none */
	atomic_int cancel;
	char *warnings[16];	/* queued, freed as they are read */
	int nwarnings, next_warning;
	char *warning_out;	/* the last warning handed out */
};

/* Record an error message (printf-style) and return err (negative).  The
 * message replaces the previous one.  Thread-safe. */
int lsio_fail(struct lsio_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like lsio_fail, but the first error of a run wins: later ones are
 * dropped, so a worker's root cause is not overwritten by the fallout. */
int lsio_fail_first(struct lsio_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The value of an environment variable, NULL when unset or empty (as the
 * AWS, Google and Azure tools read theirs: an empty one is not set). */
static inline const char *lsio_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Queue a warning for the caller to print. Thread-safe. */
void lsio_warn(struct lsio_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline bool lsio_canceled(struct lsio_ctx *ctx)
{
	return atomic_load_explicit(&ctx->cancel, memory_order_relaxed) != 0;
}

/* Overflow-checked arithmetic: return false when the result overflows. */
static inline bool lsio_mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}
static inline bool lsio_add_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

/* --- versioned public structures (abi.c) ------------------------------------ */

/* A caller's options as this library's struct: NULL stays NULL; else
 * *opt is checked (its size: set by lsio_options_init, no larger than
 * ours), copied into *copy over the defaults and *opt pointed at copy.
 * Every public function that takes options starts with it.  Returns 0 or
 * -LSIO_EUSAGE with the message set. */
int lsio_options_import(struct lsio_ctx *ctx,
			const struct lsio_options **opt,
			struct lsio_options *copy);

/* The check lsio_options_import makes of opt's size, with the reason in
 * why: 0 or -LSIO_EUSAGE. */
int lsio_options_size_why(const struct lsio_options *opt, char *why,
			  size_t cap);

/* A caller's stats before a run: NULL or a size of at least the first
 * version's.  Returns 0 or -LSIO_EUSAGE with the message set. */
int lsio_stats_check(struct lsio_ctx *ctx, const struct lsio_stats *st);

/* Copy what the library knows (all of *from) into the caller's *to, no
 * more than to->size bytes, and set to->size to what was copied. */
void lsio_stats_export(const struct lsio_stats *from, struct lsio_stats *to);

/* The caller's *from as this library's struct: its first from->size
 * bytes, zeros after. */
void lsio_stats_import(const struct lsio_stats *from, struct lsio_stats *to);

/* --- text (util/strbuf.c) --------------------------------------------------- */

/* A growing text buffer, NUL-terminated once anything is in it; zero it
 * to start.  A failed allocation sets oom and later calls do nothing. */
struct lsio_strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void lsio_strbuf_printf(struct lsio_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lsio_strbuf_add(struct lsio_strbuf *b, const char *s, size_t n);
void lsio_strbuf_release(struct lsio_strbuf *b);

/* --- what lsio's own tests pretend (util/testenv.c) ---------------------------- */

enum lsio_hook {
	LSIO_HOOK_SYSFS_ROOT,	/* sysfs lookups start here, not at /sys */
	LSIO_HOOK_PROBE_US,	/* the latency probe's result, microseconds */
	LSIO_HOOK_STATFS,	/* "TYPE[:BLKSIZE[:NAME]]", a recorded statfs */
	LSIO_HOOK_REMOTE_MS,	/* every remote host's latency, milliseconds */
};

/* The hook's value, or NULL: unset, empty, or LSIO_TEST_HOOKS is not 1. */
const char *lsio_test_hook(enum lsio_hook hook);

/* --- libraries loaded on first use (util/dl.c) ----------------------------- */

/* dlopen() soname, else fallback (when not NULL and another name).  NULL
 * when neither loads, with "cannot load 'SONAME': why" in why. */
void *lsio_dl_open(const char *soname, const char *fallback, char *why,
		   size_t cap);

/* dlerror(), or "unknown error". */
const char *lsio_dl_why(void);

/* Write why something failed into why (cap bytes, cut short if need be;
 * nothing when why is NULL) and return err, so that a failure is one
 * statement (util/why.c). */
int lsio_why(char *why, size_t cap, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* --- data types and units (job/units.c, sink/npy.c) ----------------------- */

/* A numpy-style dtype: "<f4", "|u1", ">i8", "<M8[ns]", "|V16", "|b1". */
struct lsio_dtype {
	char str[24];	/* as numpy writes it in a .npy header */
	char order;	/* '<', '>' or '|' */
	char kind;	/* b i u f c M m V S */
	uint32_t size;	/* bytes per element */
};

/* Parse a dtype string; returns 0 or -LSIO_EJOB. "f4" means native-order
 * ("<f4" here), "u1" means "|u1". */
int lsio_dtype_parse(const char *text, struct lsio_dtype *dt);

/* IEEE half precision (float16) from its bits, and to them (rounded to
 * nearest, ties to even).  The compilers' _Float16 is not everywhere. */
double lsio_half_to_double(uint32_t h);
uint16_t lsio_double_to_half(double v);

/* One number of dt (host order) at p as a double: 0, or -1 when dt is no
 * integer or floating-point type. */
int lsio_number_double(const struct lsio_dtype *dt, const void *p, double *out);

/* Encode a fill value (a JSON number, "NaN", "Infinity", "-Infinity", true,
 * false or null meaning zero) as one element of dt into out (>= dt->size
 * bytes).  Returns 0 or -LSIO_EJOB with a reason in why. */
int lsio_fill_encode(const struct lsio_dtype *dt, json_t *value,
		     uint8_t *out, char *why, size_t why_cap);

/* Repeat one encoded element (fill, fill_cap bytes of it; zeros past
 * them) over p[0..len), len a multiple of itemsize. */
void lsio_fill_repeat(uint8_t *p, size_t len, const uint8_t *fill,
		      size_t fill_cap, size_t itemsize);

enum lsio_storage_class {
	LSIO_CLASS_SSD,
	LSIO_CLASS_HDD,
	LSIO_CLASS_MEMORY,	/* tmpfs, ramfs: page cache only */
	LSIO_CLASS_NETFS,	/* NFS, CephFS, SMB */
	LSIO_CLASS_PARALLELFS,	/* Lustre, GPFS, BeeGFS */
	LSIO_CLASS_REMOTE,	/* http(s), s3, gs */
	LSIO_CLASS_COUNT
};

/* --- jobs (job/job.c, job/job_opts.c) -------------------------------------- */

struct lsio_stage_ops;

struct lsio_stage_spec {
	const struct lsio_stage_ops *ops;
	void *params;		/* parsed by ops->parse, freed by ops->free_params */
};

/* Stage chains are deduplicated: a million chunks share a few chains. */
struct lsio_chain {
	uint32_t n;
	struct lsio_stage_spec *stages;
	char *text;		/* canonical JSON, for dedup and messages */
};

struct lsio_source {
	char *path;		/* as written in the job */
};

/* What a plan learns of a job's source (plan->facts, one per source):
 * kept in the plan, not the job, so that a loaded job is never written
 * and several plans of it may be made and run at once. */
struct lsio_source_facts {
	uint64_t size;		/* file size, 0 until known; UINT64_MAX when
				 * unknown (a URL no chunk needs the size of,
				 * a file of /proc or /sys) */
	uint32_t class_id;	/* enum lsio_storage_class */
	uint32_t params_id;	/* into plan->params: class and prefix */
	uint32_t dio_align;	/* O_DIRECT offset/length alignment, 0 = none */
	bool absent;		/* no such file, and every chunk of it says
				 * "missing": "fill": nothing is read */
	bool unused;		/* no chunk of this part (--shard) reads it:
				 * never stat'ed, opened or asked for */
};

static inline bool lsio_facts_remote(const struct lsio_source_facts *f)
{
	return f->class_id == LSIO_CLASS_REMOTE;
}

/* A placement of a decoded chunk into the output array: the chunk has
 * shape[]; along dimension d its elements from[d] + k * step[d], for k in
 * [0, count[d]), land at to[d] + k.  Steps let one decode serve a strided
 * selection: a chunk is decoded once, whatever the selection takes of it.
 * Only "to" differs from chunk to chunk, as a rule (the edges of a grid
 * differ in count): each chunk's lives in job->tos, and shape, from, count
 * and step are one of the few boxes of job->boxes that chunks share, so a
 * chunk costs 8 bytes per dimension, not a fixed struct. */
struct lsio_place {
	uint32_t ndim;		/* the rank of the array it lands in */
	char order;		/* 'C' or 'F': the chunk's memory order */
	const uint64_t *shape, *to, *from, *count, *step;
};

/* A box of job->boxes: shape, from, count and step, rank values each. */
#define LSIO_BOX_FIELDS 4

struct lsio_chunk {
	uint64_t offset;
	uint64_t length;	/* LSIO_LEN_EOF: to the source's end, which
				 * its plan knows (lsio_chunk_len) unless
				 * only reading tells (/proc, some URLs) */
	uint32_t source;	/* index into job->sources */
	uint32_t chain;		/* index into job->chains */
	/* Only files output names chunks, only array and dataset output
	 * place them: one field serves both. */
	union {
		uint32_t name;	/* files output: offset into job->strings,
				 * or LSIO_NONE for the template */
		uint32_t box;	/* array, dataset output: its placement's box
				 * in job->boxes; its "to" is job->tos at its
				 * index x job->to_stride */
	};
	char order;		/* placement order, 'C' or 'F' */
	uint8_t missing;	/* enum lsio_missing */
	uint16_t var;		/* dataset output: the variable it lands in
				 * (padding otherwise: 32 bytes either way) */
};

/* A chunk whose source is absent: an error, or the array's fill value
 * where it would land (a Zarr chunk never written).  Absent is a file that
 * does not exist or HTTP 404, and with FILL_403 also 403 (an S3 bucket
 * without ListBucket permission answers so for a key it does not hold). */
enum lsio_missing { LSIO_MISSING_ERROR, LSIO_MISSING_FILL,
		    LSIO_MISSING_FILL_403 };

enum lsio_output_type { LSIO_OUT_ARRAY, LSIO_OUT_FILES, LSIO_OUT_STDOUT,
			LSIO_OUT_NULL, LSIO_OUT_DATASET };
/* AUTO: .npy when the final path (after -o) ends in ".npy", else raw. */
enum lsio_array_format { LSIO_FMT_AUTO, LSIO_FMT_NPY, LSIO_FMT_RAW };

#define LSIO_MAX_VARS UINT16_MAX	/* a chunk's var is a uint16_t */

/* An attribute of a dataset or of one of its variables, checked and
 * encoded when the job is loaded: text, or n numbers of one dtype in
 * host byte order. */
struct lsio_attr {
	char *name;
	bool text;		/* data is n bytes of text (no NUL) */
	struct lsio_dtype dtype;	/* numbers: their element type */
	size_t n;
	uint8_t *data;
};

/* One variable of a dataset output: an array of its own, which chunks
 * are placed into (their place.var) or whose inline "values" fill it. */
struct lsio_var {
	char *name;
	struct lsio_dtype dtype;
	uint32_t ndim;
	uint64_t shape[LSIO_MAX_DIMS];	/* shape[0] is 1 when ndim is 0 */
	char **dims;		/* ndim dimension names */
	uint8_t fill[16];	/* one encoded element */
	bool fill_is_zero;
	bool has_fill;		/* fill_value given: the file's _FillValue */
	struct lsio_attr *attrs;
	uint32_t nattrs;
	uint8_t *values;	/* "values", encoded (prod(shape) elements),
				 * or NULL */
};

/* A reduction of an array output over some of its dimensions ("reduce"):
 * the output is the reduced array, computed while reading (sink_reduce.c). */
enum lsio_reduce_op { LSIO_REDUCE_NONE, LSIO_REDUCE_SUM, LSIO_REDUCE_MEAN,
		      LSIO_REDUCE_MIN, LSIO_REDUCE_MAX, LSIO_REDUCE_COUNT,
		      LSIO_REDUCE_VAR, LSIO_REDUCE_STD };

struct lsio_reduce {
	enum lsio_reduce_op op;
	uint32_t axes;		/* bit d: dimension d is reduced away */
	uint32_t ddof;		/* var, std: divide by count - ddof */
	bool skip_fill;		/* values equal to the fill value are missing
				 * (CF's _FillValue), as NaN always is */
	/* A dataset's: the dimensions reduced, by name, "time,level" (each
	 * variable is reduced over those it has; axes is unused). */
	char names[256];
};


/* Parse "OP[:AXES]" (AXES "0,2", negative from the end, or the names in
 * dims when not NULL: "time"; none: all) for an array of rank ndim into r.
 * Returns 0 or -LSIO_EUSAGE with a reason in why.  The names of the
 * operations, for messages: */
int lsio_reduce_parse(const char *text, uint32_t ndim,
		      char *const *dims, struct lsio_reduce *r, char *why,
		      size_t cap);
const char *lsio_reduce_name(enum lsio_reduce_op op);
/* --reduce text (and --skip-fill) as a job's "reduce": the text, or an
 * object saying skip_fill; NULL when out of memory. */
/* The reduction a run of job with opt (imported; may be NULL) computes:
 * --reduce and --skip-fill over the output's "reduce".  Returns 0 or
 * -LSIO_EUSAGE with the message set. */
int lsio_reduce_resolve(struct lsio_ctx *ctx, const struct lsio_job *job,
			const struct lsio_options *opt, struct lsio_reduce *r);
json_t *lsio_reduce_json(const char *text, int skip_fill);

/* Parse a list of ndim dimension names, each a NetCDF name and none
 * twice, into *out (malloc'd; lsio_dims_free).  Returns 0, -LSIO_EJOB or
 * -ENOMEM with the message set. */
int lsio_json_dims(struct lsio_ctx *ctx, const char *where, json_t *v,
		   uint32_t ndim, char ***out);
void lsio_dims_free(char **dims, uint32_t ndim);

struct lsio_output {
	enum lsio_output_type type;
	char *path;		/* array, dataset: the file to write */
	char *dir;		/* files: the directory */
	char *name;		/* files: name template, NULL = "{index}" */
	enum lsio_array_format format;
	struct lsio_dtype dtype;
	uint32_t ndim;
	uint64_t shape[LSIO_MAX_DIMS];
	uint8_t fill[16];	/* one encoded element */
	bool fill_is_zero;
	bool no_prefill;	/* array: "prefill": false, the chunks cover
				 * it; absent ones get the fill value */
	uint64_t max_chunk;	/* files, stdout, null: bytes a chunk may
				 * decode to; 0 = LSIO_MAX_CHUNK */
	/* dataset: the variables (chunk.var indexes them) and the global
	 * attributes; dtype, shape and fill above are unused. */
	struct lsio_var *vars;
	uint32_t nvars;
	struct lsio_attr *attrs;
	uint32_t nattrs;
	bool netcdf_named;	/* "format": "netcdf4": any path will do */
	struct lsio_reduce reduce;	/* array: op NONE, or reduced */
	char **dims;		/* array: ndim names ("dims"), or NULL */
};

/* Whether chunks are placed into arrays: array and dataset output. */
static inline bool lsio_output_places(const struct lsio_output *out)
{
	return out->type == LSIO_OUT_ARRAY || out->type == LSIO_OUT_DATASET;
}

/* The dimensions of variable v that r reduces (bit d: v->dims[d]). */
uint32_t lsio_reduce_var_axes(const struct lsio_reduce *r,
			      const struct lsio_var *v);

/* Placements have the output's rank, but rank 1 for a 0-d output, whose
 * out->shape[0] is then 1: one element of a larger chunk needs a "from". */
static inline uint32_t lsio_place_rank(const struct lsio_output *out)
{
	return out->ndim ? out->ndim : 1;
}

/* The same for a dataset's variable. */
static inline uint32_t lsio_var_rank(const struct lsio_var *v)
{
	return v->ndim ? v->ndim : 1;
}

/* Without output.max_chunk, the most one chunk may take in memory where no
 * placement bounds it: a few 256 MiB decodes a second still fail fast on
 * a compression bomb, and few real chunks are larger. */
#define LSIO_MAX_CHUNK ((uint64_t)256 << 20)

struct lsio_storage_prefix;

/* The job's storage.s3, storage.http and storage.retry (job/job_remote.c):
 * how remote sources are reached.  NULL or < 0 when not given. */
struct lsio_remote_settings {
	char *s3_endpoint;	/* "http://127.0.0.1:9000", overrides the env */
	char *s3_region;
	int s3_addressing;	/* enum lsio_s3_addressing, -1 = by endpoint */
	int no_sign_request;	/* S3: send unsigned requests, -1 = not given */
	char **headers;		/* "Name: value", sent with every request */
	uint32_t nheaders;
	int attempts;		/* tries per request, retries included */
	double deadline;	/* seconds for all tries of one request */
	double timeout;		/* seconds a request may receive nothing */
	int http_version;	/* enum lsio_http_version, -1 = auto */
	bool missing_403;	/* the generators' batches: a 403 is a
				 * missing key, like a 404 (lsio zarr
				 * --missing-403) */
};

enum lsio_s3_addressing { LSIO_S3_PATH, LSIO_S3_VIRTUAL };
/* AUTO: HTTP/2 over TLS where the server offers it (one connection, many
 * streams), HTTP/1.1 otherwise; 1_1: HTTP/1.1 always (a connection per
 * request in flight). */
enum lsio_http_version { LSIO_HTTP_AUTO, LSIO_HTTP_1_1 };

void lsio_remote_settings_init(struct lsio_remote_settings *r);
void lsio_remote_settings_release(struct lsio_remote_settings *r);

/* Parse storage.KEY for KEY "s3", "http" or "retry" (where is "job.json:
 * storage").  Returns 0, a negative error with the message set, or 1 when
 * KEY is none of them. */
int lsio_remote_settings_parse(struct lsio_ctx *ctx, const char *where,
			       const char *key, json_t *v,
			       struct lsio_remote_settings *out);

/* A generated job's "storage" line for how opt reads s3:// sources
 * (unsigned, requester pays), so that the job reads as the command did;
 * nothing when opt asks neither. */
void lsio_job_s3_text(const struct lsio_options *opt, struct lsio_strbuf *b);

/* The job's "storage" section: -1 (or NULL) when not given.  The same
 * struct holds a "classes" or "prefixes" entry (only scoped keys set). */
struct lsio_settings {
	int workers, queue_depth, direct;
	int request_payer;	/* storage.s3.request_payer: 1 requester pays */
	int64_t memory, coalesce_gap, max_request, split, part_size;
	const char *backend;	/* static: a name of the option table's */
	struct lsio_settings *classes[LSIO_CLASS_COUNT];	/* or NULL */
	struct lsio_storage_prefix *prefixes;
	uint32_t nprefixes;
	struct lsio_remote_settings remote;	/* top level only */
};

/* Settings for every source whose path starts with prefix. */
struct lsio_storage_prefix {
	char *prefix;
	struct lsio_settings s;
};

struct lsio_job {
	char *name;		/* job file name, for messages */
	struct lsio_output out;
	struct lsio_settings storage;

	struct lsio_source *sources;
	uint32_t nsources;
	struct lsio_chunk *chunks;
	uint64_t nchunks;
	struct lsio_chain *chains;
	uint32_t nchains;
	/* Placements (array, dataset output): chunk i lands at tos[i x
	 * to_stride], rank values, and its shape, from, count and step are
	 * the box boxes[chunk.box x box_stride]; the strides are for the
	 * largest rank. */
	uint64_t *tos;
	uint64_t *boxes;
	uint32_t nboxes;
	uint32_t to_stride, box_stride;
	char *strings;			/* NUL-separated chunk names */
	size_t strings_len;
};

/* The first chunk that reads source s, to name it in messages (job_info.c). */
uint64_t lsio_job_first_chunk(const struct lsio_job *job, uint32_t s);

/* A 64-bit hash of what the job reads and writes (job_info.c): runs of
 * one job agree on it, so parts of a sharded or resumed run find the
 * same temporary output.  Returns 0 or -ENOMEM. */
int lsio_job_fingerprint(const struct lsio_job *job, uint64_t *out);

/* Sizes in a job: a non-negative integer or a string with units.  Returns 0
 * or -LSIO_EJOB with a message naming path. */
int lsio_json_size(struct lsio_ctx *ctx, const char *path, json_t *v,
		   uint64_t *out);
/* The same with the reason in why (no path): what a caller that names the
 * value its own way (job_opts.c: a job's key or lsio's --flag) says. */
int lsio_json_size_why(json_t *v, uint64_t *out, char *why, size_t cap);
/* A size written as text ("64KiB"; not "off"), the same way. */
int lsio_size_why(const char *text, uint64_t *out, char *why, size_t cap);

/* d as a person would write it: the shortest text that reads back as the
 * same double, "1.0" rather than "1" (job/units.c).  Returns buf. */
const char *lsio_real_text(double d, char *buf, size_t cap);

/* A view of chunk c's placement (c points into job->chunks); false when
 * it has none. */
bool lsio_chunk_place(const struct lsio_job *job, const struct lsio_chunk *c,
		      struct lsio_place *view);

/* The file name of chunk i for files output: its own "name", or the
 * output's template expanded (lib/job/job.c). */
int lsio_chunk_name(const struct lsio_job *job, uint64_t i, char *buf,
		    size_t cap);

/* The element type of the array chunk c is placed in: its variable's for
 * a dataset output, the output's otherwise. */
const struct lsio_dtype *lsio_chunk_dtype(const struct lsio_job *job,
					  const struct lsio_chunk *c);

/* Whether path is a name out may write: an array output never writes a
 * NetCDF name (".nc", ".nc4"), a dataset output only such a name unless
 * its "format" says netcdf4: no bytes under a misleading name.  0, or -1
 * with the reason (naming path) in why. */
int lsio_output_path_check(const struct lsio_output *out, const char *path,
			   char *why, size_t cap);

/* Decoded byte size of a chunk's destination: prod(place.shape) * itemsize,
 * or 0 when the chunk has no placement. */
uint64_t lsio_chunk_decoded_size(const struct lsio_job *job,
				 const struct lsio_chunk *c);

/* --- stages (stage/stage.c and one file per stage) ------------------------ */

/* A growable buffer owned by a worker; grows rarely (amortised), so the hot
 * path does not allocate. A fixed buffer (the sink's memory) cannot grow. */
struct lsio_scratch {
	uint8_t *p;
	size_t cap;
	bool fixed;
};

/* Make s hold at least n bytes. Returns 0, -ENOMEM, or -LSIO_ETOOBIG for a
 * fixed buffer that is too small. */
int lsio_scratch_reserve(struct lsio_scratch *s, size_t n);
void lsio_scratch_release(struct lsio_scratch *s);

/* One call of a stage on one chunk. */
struct lsio_stage_io {
	const void *params;
	void *state;		/* the worker's per-stage state, or NULL */
	uint8_t *in;		/* input; writable: a stage may work in place */
	size_t in_len;
	struct lsio_scratch *scratch;	/* where to write a new output */
	size_t limit;		/* never produce more than this many bytes */
	size_t expect;		/* exact decoded size wanted, 0 = unknown */
	/* The output array's element type when this stage's output is the
	 * chunk's final form bound for an array, else NULL: a stage that
	 * makes numbers (grib2) writes them in it. */
	const struct lsio_dtype *dtype;
	uint8_t *out;		/* result: in (in place) or scratch->p */
	size_t out_len;
	char *why;		/* on failure: what was expected vs found */
	size_t why_cap;
};

struct lsio_stage_ops {
	const char *name;
	/* Output is as long as input (filters: shuffle, bytes): the final
	 * decoded size then holds for the stage before it too. */
	bool keeps_size;
	/* Parameter keys besides "codec" (NULL terminated), for validation
	 * and "did you mean". */
	const char *const *keys;
	/* Parse parameters; obj is NULL for a bare name.  Returns 0 or
	 * -LSIO_EJOB with a message naming path (e.g. "chunks[3].stages[1]"). */
	int (*parse)(struct lsio_ctx *ctx, const char *path, json_t *obj,
		     void **params);
	void (*free_params)(void *params);
	/* Per-worker state such as decoder contexts; both may be NULL. */
	void *(*state_new)(void);
	void (*state_free)(void *state);
	/* Transform io->in into io->out.  Returns 0 or a negative error with
	 * the detail in io->why. Must never write past io->limit bytes. */
	int (*run)(struct lsio_stage_io *io);
};

/* The registry: NULL when name is unknown. */
const struct lsio_stage_ops *lsio_stage_find(const char *name);
/* All registered stage names, NULL terminated (for "did you mean"). */
const char *const *lsio_stage_names(void);
/* Number of registered stages and the i-th one (for per-worker state). */
size_t lsio_stage_count(void);
const struct lsio_stage_ops *lsio_stage_at(size_t i);

/* Parse a stage list (JSON array) into a chain. Returns 0 or -LSIO_EJOB. */
int lsio_chain_parse(struct lsio_ctx *ctx, const char *path, json_t *list,
		     struct lsio_chain *chain);
void lsio_chain_release(struct lsio_chain *chain);

/* --- plans (plan/plan.c, plan/storage.c) ---------------------------------- */

/* Where a run's decoded chunks go: the job's output, or the caller's
 * memory (lsio_run_into) or function (lsio_run_callback).  Chosen per run
 * and carried by the plan, so the job stays as it was loaded. */
enum lsio_dest_kind { LSIO_DEST_JOB, LSIO_DEST_MEMORY, LSIO_DEST_CALLBACK };

struct lsio_dest {
	enum lsio_dest_kind kind;
	uint8_t *buf;		/* memory: the caller's array */
	size_t cap;
	lsio_chunk_fn fn;	/* callback, and its argument */
	void *arg;
};

/* The tunables of one storage class (0 = off for gap/max/split). */
struct lsio_class_params {
	uint64_t coalesce_gap;
	uint64_t max_request;
	uint64_t split;
	uint64_t part_size;
	uint32_t queue_depth;
	uint32_t align;		/* O_DIRECT alignment, 0 = buffered */
	bool offset_order;	/* sort by offset (HDD) */
	bool gap_derived;	/* coalesce_gap is the model's, not set */
	int direct;		/* enum lsio_direct */
};

const char *lsio_class_name(enum lsio_storage_class c);

/* lsio_plan_new() for a run whose chunks go to dest (NULL: the job's
 * output); the plan keeps a copy of *dest (plan/plan.c). */
int lsio_plan_new_dest(struct lsio_ctx *ctx, const struct lsio_job *job,
		       const struct lsio_options *opt,
		       const struct lsio_dest *dest, struct lsio_plan **out);

/* The settings that apply to reads of source s. */
static inline const struct lsio_class_params *
lsio_source_params(const struct lsio_plan *p, uint32_t s);

/* One unit of I/O: a contiguous span of one source read into one buffer,
 * in nparts requests, serving chunks unit_chunks[first .. first+count). */
struct lsio_unit {
	uint64_t off;		/* aligned start of the span */
	uint64_t len;		/* span length (aligned when direct) */
	uint64_t first;		/* into plan->unit_chunks */
	uint32_t count;		/* chunks served */
	uint32_t source;
	uint32_t nparts;	/* >1 when split; parts are part_size long */
	uint8_t direct;		/* read with O_DIRECT */
	uint8_t overlap;	/* chunks share bytes: stages must not work in
				 * place on the unit's buffer */
	uint8_t to_eof;		/* one chunk, read to the file's end: len is
				 * the first read, the buffer grows */
};

/* The part of a job one process runs (plan/shard.c), and what a sharded or
 * resumable output needs to find its shared temporary. */
struct lsio_shard {
	uint32_t k, n;		/* part k of n; n 1: the whole job */
	bool resume;		/* journal the run; continue a killed one */
	uint8_t *take;		/* bit i: this part runs chunk i; NULL: all */
	uint64_t ntaken;	/* chunks this part runs */
	/* Files, stdout and null output: the part is chunks [first, end). */
	uint64_t first, end;
	/* Array output: the rows [rows[0], rows[1]) of the leading dimension
	 * this part owns: it writes their fill value (the only writer of
	 * those pages, but for placements that stray across). */
	uint64_t rows[2];
	uint64_t fingerprint;	/* lsio_job_fingerprint(), with n mixed in */
};

static inline bool lsio_shard_takes(const struct lsio_shard *sh, uint64_t i)
{
	return !sh->take || (sh->take[i >> 3] >> (i & 7) & 1);
}

/* Whether the output is shared with other parts or kept for a resume:
 * its temporary has a stable name and survives a failure. */
static inline bool lsio_shard_stable(const struct lsio_shard *sh)
{
	return sh->n > 1 || sh->resume;
}

/* Work out opt's part of p's job into p->shard (plan/shard.c).  Returns 0
 * or -LSIO_EUSAGE / -ENOMEM with the message set. */
int lsio_shard_plan(struct lsio_plan *p, const struct lsio_options *opt);
void lsio_shard_release(struct lsio_shard *sh);

struct lsio_plan {
	struct lsio_ctx *ctx;
	const struct lsio_job *job;	/* not owned; never written */
	/* Per job source, what this plan learnt of it: the job stays as
	 * loaded, so plans of one job may be made and run at once. */
	struct lsio_source_facts *facts;
	struct lsio_options opt;	/* merged: CLI over job over defaults */
	struct lsio_class_params cls[LSIO_CLASS_COUNT];	/* per class */
	char class_why[LSIO_CLASS_COUNT][320];	/* why a class was chosen */
	/* Per source: params[facts->params_id], the class's settings with a
	 * "prefixes" entry on top; (1 + nprefixes) x LSIO_CLASS_COUNT. */
	struct lsio_class_params *params;
	struct lsio_settings cli;	/* the command line's tuning, a layer */

	struct lsio_unit *units;
	uint64_t nunits;
	uint64_t chunks_absent;	/* chunks of absent sources: in no unit */
	uint64_t remote_merge_cap;	/* merged remote units at most this */
	/* Per source, the derived remote gap of its host (its own measured
	 * latency), NULL when the job has no remote source. */
	uint64_t *host_gap;
	uint32_t *unit_chunks;	/* chunk indexes (< LSIO_NONE), grouped by
				 * unit */
	uint64_t nrequests;	/* sum of nparts */
	uint64_t bytes_requested;	/* sum of chunk lengths */
	uint64_t bytes_read;	/* sum of unit lengths */
	uint64_t max_unit_len;
	uint64_t part_size;
	struct lsio_remote *remote;	/* URL sources (io/backend_curl.c), or NULL */
	struct lsio_shard shard;	/* the part of the job this run does */
	struct lsio_dest dest;	/* where its chunks go: the job's output
				 * unless lsio_plan_new_dest() said */
	bool ordered;		/* units follow job order (stdout, reduce) */
	struct lsio_reduce reduce;	/* the job's, or --reduce's */
	bool null_backend;	/* no real reads: no O_DIRECT either */
	bool depth_chosen;	/* the user set workers or queue depth */
};

static inline const struct lsio_class_params *
lsio_source_params(const struct lsio_plan *p, uint32_t s)
{
	return &p->params[p->facts[s].params_id];
}

static inline bool lsio_source_remote(const struct lsio_plan *p, uint32_t s)
{
	return lsio_facts_remote(&p->facts[s]);
}

/* Chunk c's length in plan p: its own, or for a chunk read to its
 * source's end, what the plan learnt of that end; LSIO_LEN_EOF when
 * only reading tells (and for chunks p does not read). */
static inline uint64_t lsio_chunk_len(const struct lsio_plan *p,
				      const struct lsio_chunk *c)
{
	const struct lsio_source_facts *f = &p->facts[c->source];

	if (c->length != LSIO_LEN_EOF || f->absent || f->unused ||
	    f->size == UINT64_MAX)
		return c->length;
	return c->offset <= f->size ? f->size - c->offset : 0;
}

/* --- I/O backends (io/backend.c and one file per backend) ----------------- */

/* What a backend sees of a worker; the engine embeds it in its own state. */
struct lsio_worker {
	int id;
	struct lsio_ctx *ctx;
	void *backend_data;	/* the backend's per-worker state */
	const int *files;	/* fds to register, or NULL */
	unsigned nfiles;
	struct lsio_remote *remote;	/* the plan's URL sources, or NULL */
	atomic_int *stop;	/* set when the run fails: stop waiting */
	int wait_ms;		/* reap(wait) blocks at most this long; -1 =
				 * until a completion (remote backends) */
};

/* One read in flight. The engine continues short reads itself. */
struct lsio_io {
	uint8_t *buf;		/* where the bytes land */
	uint64_t off;		/* file offset */
	uint32_t len;		/* bytes wanted */
	int fd;
	int file_index;		/* registered file index, -1 if none */
	int buf_index;		/* registered buffer index, -1 if none */
	int res;		/* bytes read or -errno, set on completion */
	void *owner;		/* engine's bookkeeping */
	uint32_t source;	/* job source index (remote backends) */
	const char *msg;	/* on failure: the backend's detail or NULL */
	/* A remote read of unknown length, to the object's end: buf holds
	 * len bytes, and grow(io, need, all) makes room for need (updating
	 * buf and len; all: need is all the object holds, no more room will
	 * be asked for) or fails with a negative error and its message set;
	 * -EAGAIN is "no memory to spare now": the backend asks again later.
	 * NULL: exactly len bytes.  res is then the bytes received; a
	 * missing object is -ENOENT (HTTP 404), a refused one -EACCES (403),
	 * so the engine can tell "absent" from "failed". */
	int (*grow)(struct lsio_io *io, uint64_t need, bool all);
};

/* A backend in the manner of fio's ioengine_ops: one instance per worker. */
/* What a backend is, for the engine and the planner to ask rather than
 * compare names (fio's ioengine flags). */
#define LSIO_BACKEND_NO_READS 1u	/* reads nothing: opens no file, sends
					 * no request (null: measures lsio) */
#define LSIO_BACKEND_REMOTE 2u		/* reads URLs, not file descriptors */

struct lsio_backend_ops {
	const char *name;
	unsigned flags;			/* LSIO_BACKEND_* */
	/* The backend to use instead when init() fails (io_uring disabled by
	 * a seccomp policy or an old kernel: pread), or NULL. */
	const char *fallback;
	/* Set up w->backend_data for depth requests in flight; buffers
	 * [bufs[i], bufs[i] + buf_len) may be registered.  Returns 0 or
	 * -errno (the engine then falls back to pread with a warning). */
	int (*init)(struct lsio_worker *w, unsigned depth, uint8_t **bufs,
		    unsigned nbufs, size_t buf_len);
	/* Queue a read.  Returns 0 when queued, 1 when completed at once
	 * (io->res set), or -errno. */
	int (*queue)(struct lsio_worker *w, struct lsio_io *io);
	/* Submit what was queued. Returns >= 0 or -errno. */
	int (*submit)(struct lsio_worker *w);
	/* Collect up to max completions into done[]; wait for at least one
	 * when wait is true.  Returns the count or -errno. */
	int (*reap)(struct lsio_worker *w, bool wait, struct lsio_io **done,
		    unsigned max);
	void (*cleanup)(struct lsio_worker *w);
};

/* The registry: NULL when name is unknown. */
const struct lsio_backend_ops *lsio_backend_find(const char *name);

/* --- remote sources (io/backend_curl.c, io/s3_auth.c) --------------------- */

struct lsio_remote;

/* Resolve every source of job whose facts say remote (s3://, gs:// and
 * az:// become https URLs), credentials, headers and retry settings, from opt
 * over job->storage over the environment.  No request is sent; job (not
 * facts) must outlive the remote.  Returns 0 and *out (NULL when no source
 * is remote), or -LSIO_EJOB / -LSIO_ESOURCE / -ENOMEM. */
int lsio_remote_new(struct lsio_ctx *ctx, const struct lsio_job *job,
		    const struct lsio_source_facts *facts,
		    const struct lsio_options *opt, struct lsio_remote **out);
void lsio_remote_free(struct lsio_remote *r);

/* Connections per host and worker (the remote class's queue depth). */
void lsio_remote_set_depth(struct lsio_remote *r, unsigned depth);

/* "host:port" that source (a URL) is read from: its endpoint for s3://. */
const char *lsio_remote_host(const struct lsio_remote *r, uint32_t source);

/* Where the credentials of the i-th kind of remote source (*kind: "s3",
 * "gcs", "azure") come from: for s3:// "environment", "instance metadata
 * (IMDSv2) at URL, role R, expiring ...", for gs:// "service account
 * EMAIL from 'FILE', token expiring ...", for Azure "shared key for
 * account A (AZURE_STORAGE_CONNECTION_STRING)" (the first source's), or
 * "none (why)"; never a secret.  Returns 1, 0 when r has no source of
 * that kind, -1 past the last kind. */
int lsio_remote_creds(const struct lsio_remote *r, unsigned i,
		      const char **kind, char *buf, size_t cap);

/* For messages: url itself, or when its query holds a sig= (a SAS's
 * signature) a copy in out with the signature replaced by REDACTED
 * (io/azure.c). */
const char *lsio_url_redact(const char *url, char *out, size_t cap);

/* 0 when requests can be sent, else the reason (no credentials ...). */
int lsio_remote_ready(struct lsio_remote *r);

/* Learn the size of the n sources srcs[] with one HEAD each, in parallel,
 * into sizes[].  Returns 0 or a negative error (message set). */
int lsio_remote_stat(struct lsio_remote *r, const uint32_t *srcs, uint32_t n,
		     uint64_t *sizes);

/* The GETs ios[i] describe (source, off, len, buf: exactly len bytes land
 * in buf), in parallel, with the checks and retries of every remote read.
 * With res, a 404 is res[i] = -ENOENT and anything else fails them all
 * (message set); without, a 404 fails too. */
int lsio_remote_fetch(struct lsio_remote *r, struct lsio_io *ios, uint32_t n,
		      int *res);

/* One request of lsio_remote_batch(). */
enum lsio_remote_op {
	LSIO_REMOTE_HEAD,	/* the size of source, into size */
	LSIO_REMOTE_RANGE,	/* the GET io describes */
	LSIO_REMOTE_WHOLE,	/* a GET of the whole object, no HEAD first */
	LSIO_REMOTE_SUFFIX,	/* the last io->len bytes ("bytes=-N"), no
				 * HEAD first; size says the object's */
};

struct lsio_remote_req {
	enum lsio_remote_op op;
	uint32_t source;	/* HEAD, WHOLE */
	struct lsio_io *io;	/* RANGE, SUFFIX */
	uint64_t off;		/* WHOLE: the object from here to its end */
	uint64_t size;		/* the object's size: a HEAD's, or as a
				 * GET's response says it, or UINT64_MAX */
	uint8_t *buf;		/* WHOLE: the body, malloc'd, the caller's */
	size_t len;
	int res;		/* 0, or -ENOENT (HTTP 404) with missing_ok */
};

/* Run n requests of any kind at once (up to 128 in flight on one curl
 * multi: one round trip for a batch of small ones), with the checks and
 * retries of every remote read.  Without missing_ok a 404 fails the batch
 * like any other failure: a negative error, URL and status in the
 * message. */
int lsio_remote_batch(struct lsio_remote *r, struct lsio_remote_req *reqs,
		      uint32_t n, bool missing_ok);

/* What earlier runs measured of host ("host:port"): the median time to a
 * response's first byte in *ns, measured at *when (unix time; 0 when
 * LSIO_REMOTE_LATENCY_MS forced it).  0, or -ENOENT when unknown
 * (io/host_cache.c). */
int lsio_host_latency(const char *host, uint64_t *ns, int64_t *when);

/* Remember the first-byte latency of st's hosts for the next plan. */
void lsio_host_latency_save(const struct lsio_stats *st);

/* Add the remote counters (requests, retries, bytes, hosts) to st. */
void lsio_remote_stats(struct lsio_remote *r, struct lsio_stats *st);

/* --- sinks (sink/sink.c and one file per sink) ----------------------------- */

struct lsio_sink;

/* An output shared by the parts of a sharded run or kept for a resume
 * (sink/sink_part.c).  open: the journal of s->shard's part beside temp,
 * s->jstate saying what is written already.  finish: the part's data is
 * synced and its journal says done.  commit, after finish (and after the
 * data file is closed): the last part to finish renames temp to final
 * (else s->deferred).
 * abort: record what is written, keep temp.  close: free. */
int lsio_part_open(struct lsio_sink *s, const char *temp, int data_fd,
		   bool data_is_dir);
/* Parts share a temporary beside a file: "-", a FIFO or a device cannot
 * be shared (-LSIO_EUSAGE, said).  Asked before the target is opened,
 * which for a FIFO would wait for a reader. */
int lsio_part_target_check(struct lsio_sink *s);
/* The parts k of sh for which done(arg, k) is false, as "1, 3" into buf;
 * returns how many (0: every part is done). */
uint32_t lsio_parts_missing(const struct lsio_shard *sh,
			    bool (*done)(void *arg, uint32_t k), void *arg,
			    char *buf, size_t cap);
/* This part is done and the output waits for the parts in pending
 * ("1, 3"): s->deferred, and a warning that says so. */
void lsio_part_wait_note(struct lsio_sink *s, const char *pending);
int lsio_part_finish(struct lsio_sink *s);
/* label: mark temp's descriptor fd as this job's output.  committed: a
 * resumed part finds no temp and final so marked (a warning says so). */
void lsio_part_label(struct lsio_sink *s, int fd);
bool lsio_part_committed(struct lsio_sink *s, const char *temp,
			 const char *final);
int lsio_part_commit(struct lsio_sink *s, const char *temp, const char *final);
/* Remove the part's journal (files output: each part commits alone). */
void lsio_part_forget(struct lsio_sink *s, const char *temp);
void lsio_part_abort(struct lsio_sink *s);
void lsio_part_close(struct lsio_sink *s);

/* --- the journal of a resumable or sharded run (sink/journal.c) --- */

struct lsio_journal;

/* What a journal said when it was opened. */
struct lsio_journal_state {
	uint64_t fingerprint;	/* the job's, with the part count mixed in */
	uint64_t nchunks;
	bool resume;		/* read it (else start a fresh one) */
	uint8_t *done;		/* out: bit i, chunk i is written; the
				 * caller's, nchunks / 8 + 1 bytes */
	uint64_t ndone;		/* out: bits set */
	bool filled;		/* out: the part's fill value is written */
};

/* Open (create) the journal at path for part k of n, whose output's data
 * is data_fd (a directory's for files output: data_is_dir).  With
 * st->resume a journal of the same job and part is replayed into st;
 * otherwise, or for another job's, it starts empty.  Returns 0 or -errno. */
int lsio_journal_open(const char *path, int data_fd, bool data_is_dir,
		      uint32_t k, uint32_t n, struct lsio_journal_state *st,
		      struct lsio_journal **j);
/* Chunk written (any thread; memory only).  Returns 0 or -ENOMEM. */
int lsio_journal_add(struct lsio_journal *j, uint64_t chunk);
/* Sync the data, then record the chunks added since the last flush. */
int lsio_journal_flush(struct lsio_journal *j);
/* Record that the fill value, or the whole part, is written. */
int lsio_journal_filled(struct lsio_journal *j);
int lsio_journal_done(struct lsio_journal *j);
void lsio_journal_close(struct lsio_journal *j);
/* Whether the journal at path records part k of n of that job as done. */
bool lsio_journal_complete(const char *path, uint64_t fp, uint64_t nchunks,
			   uint32_t k, uint32_t n);


struct lsio_sink_ops {
	const char *name;
	/* Create the output under a temporary name. */
	int (*open)(struct lsio_sink *s);
	/* Optional: the contiguous destination of chunk i when its decoded
	 * bytes can be written straight into the output, else NULL. */
	uint8_t *(*direct)(struct lsio_sink *s, uint64_t i, size_t len);
	/* Deliver chunk i's decoded bytes.  Called concurrently from workers
	 * for different chunks. Returns 0 or a negative error (with the
	 * message set in s->ctx). */
	int (*put)(struct lsio_sink *s, uint64_t i, const uint8_t *p, size_t n);
	/* Optional: chunk i's source is absent, its box holds the fill value
	 * (instead of put() with the fill value's bytes). */
	int (*put_fill)(struct lsio_sink *s, uint64_t i);
	/* Optional: the whole memory of the array (variable var of a
	 * dataset), C order: array, memory and dataset sinks. */
	uint8_t *(*data)(struct lsio_sink *s, uint32_t var);
	/* Make the output visible (rename into place). */
	int (*commit)(struct lsio_sink *s);
	/* Remove everything written. Safe after a failed open. */
	void (*abort)(struct lsio_sink *s);
	void (*close)(struct lsio_sink *s);	/* free memory */
};

struct lsio_sink {
	const struct lsio_sink_ops *ops;
	struct lsio_ctx *ctx;
	const struct lsio_job *job;
	const char *path;	/* output path/dir after --output override */
	int stdout_fd;		/* for the stream sink (normally 1) */
	uint64_t window;	/* stream sink: reorder window in chunks */
	const struct lsio_shard *shard;	/* the part run: the engine's plan's,
					 * else whole (lsio_sink_open) */
	struct lsio_shard whole;
	/* A sharded or resumable run's journal and what it said at open:
	 * chunks already written (NULL when the sink keeps none). */
	struct lsio_journal *journal;
	struct lsio_journal_state jstate;
	bool deferred;		/* commit(): this part is done, the output
				 * appears when the other parts are */
	bool part_ended;	/* the part finished, or abort() kept its
				 * work: the journal is complete */
	bool complete;		/* open() found the output in place, this
				 * job's (--resume after the commit): the
				 * run has nothing to do */
	size_t window_bytes;	/* stream sink: ... and in bytes, 0: unbounded */
	/* Where chunks go instead of the job's output, preset by the caller
	 * (the engine: the plan's); NULL is the job's output. */
	const struct lsio_dest *dest;
	/* The reduction to compute instead of the array (the plan's, which
	 * --reduce may have set), or NULL: the job's output's. */
	const struct lsio_reduce *reduce;
	/* Chunks of absent sources are put() as their fill value even when
	 * the output holds it already (the callback hands every chunk on). */
	bool put_absent;
	atomic_uint_fast64_t bytes_out;
	void *priv;		/* the sink's own state */
};

/* What sinks that keep nothing to commit or remove (null, callback,
 * memory) share (sink/sink_null.c): commit succeeds, abort and close
 * have nothing to do. */
int lsio_sink_commit_nothing(struct lsio_sink *s);
void lsio_sink_release_nothing(struct lsio_sink *s);

/* Pick the sink for the job's output type and open it. */
int lsio_sink_open(struct lsio_ctx *ctx, const struct lsio_job *job,
		   const char *path_override, struct lsio_sink *s);

/* The stream sink accepts chunk i only once every chunk below
 * i - window has been written; workers ask before claiming work. */
uint64_t lsio_sink_stream_next(struct lsio_sink *s);

/* Room in the stream sink's window (window_bytes) for chunk i, about n
 * bytes once decoded, asked before decoding it: 0 with *reserved the bytes
 * set aside (0 when chunk i is the next to write, or nothing bounds the
 * window), or -EAGAIN when the window is full: decode it later.  Give the
 * reservation back with lsio_sink_stream_settle() once the chunk was put
 * (or failed).  Other sinks always have room. */
int lsio_sink_stream_reserve(struct lsio_sink *s, uint64_t i, size_t n,
			     size_t *reserved);
void lsio_sink_stream_settle(struct lsio_sink *s, size_t reserved);

/* What an output path is (sink/sink_target.c).  A regular file or a new
 * path is replaced by renaming a temporary over path (symlinks followed);
 * "-", a character device or a FIFO is written through fd. */
struct lsio_target {
	char *path;		/* the file to replace, or NULL: stream */
	int fd;			/* stream: where to write */
	bool stream;
	bool own_fd;		/* fd was opened here (not stdout) */
};

/* Resolve path; a directory, block device or socket is -LSIO_EUSAGE,
 * with the message set.  Release with lsio_target_release(). */
int lsio_target_open(struct lsio_ctx *ctx, const char *path, int stdout_fd,
		     struct lsio_target *t);
void lsio_target_release(struct lsio_target *t);

/* write() all n bytes, continuing after EINTR. Returns 0 or -errno. */
int lsio_write_all(int fd, const void *p, size_t n);

/* A temporary's name template (malloc'd, ending in XXXXXX) beside path,
 * or inside it when inside is true (a directory): ".BASE.lsio-HOST-PID-"
 * so that lsio_temp_sweep() can tell a dead run's from a live one's. */
char *lsio_temp_name(const char *path, bool inside);

/* The temporary every part of a sharded (or resumable) run of one job
 * shares, id being the job's fingerprint: ".BASE.lsio-run.ID" beside
 * path (inside it when inside), malloc'd. */
char *lsio_temp_stable_name(const char *path, bool inside, uint64_t id);

/* Create tmpl (from lsio_temp_name) exclusively as a file (returns its
 * fd) or a directory (returns 0); -1 with errno on failure. */
int lsio_temp_create(char *tmpl, bool dir);

/* Remove the temporary directory name (relative to dirfd) and the files
 * in it. */
void lsio_temp_remove_dir(int dirfd, const char *name);

/* Remove the temporaries of path (as lsio_temp_name names them) that a
 * process on this host left when it died. */
void lsio_temp_sweep(const char *path, bool inside);

/* Copy a decoded chunk (C or F order, as p->order says) into a C-order
 * array of shape ashape with itemsize bytes per element, following p.
 * The caller has checked that n == prod(p->shape) * itemsize and that
 * the box lies inside the array. */
void lsio_place_copy(uint8_t *array, const uint64_t *ashape, uint32_t ndim,
		     size_t itemsize, const struct lsio_place *p,
		     const uint8_t *chunk);

/* The byte offset in the decoded chunk of p's first element, and in
 * stride[d] the bytes between elements p visits along dimension d. */
uint64_t lsio_place_src_strides(const struct lsio_place *p, size_t itemsize,
				uint64_t *stride);

/* Write a .npy header for dt and shape into buf (cap >= 128 + 24*ndim).
 * Returns the header length (a multiple of 64) or -LSIO_EOUTPUT. */
int lsio_npy_header(const struct lsio_dtype *dt, const uint64_t *shape,
		    uint32_t ndim, char *buf, size_t cap);

/* Write a whole .npy (header, then n bytes of data) to fd.  Returns 0,
 * -LSIO_EOUTPUT (no header for this shape) or -errno. */
int lsio_npy_write_fd(int fd, const struct lsio_dtype *dt,
		      const uint64_t *shape, uint32_t ndim, const void *data,
		      size_t n);

/* Write a whole .npy (header, then n bytes of data) into a new temporary
 * beside path, for the caller to rename over path (or unlink).  Returns 0
 * with the temporary's malloc'd name in *temp, or -errno / -LSIO_EOUTPUT
 * with the message in ctx and nothing left behind. */
int lsio_npy_write_temp(struct lsio_ctx *ctx, const char *path,
			const struct lsio_dtype *dt, const uint64_t *shape,
			uint32_t ndim, const void *data, size_t n, char **temp);

#endif /* LSIO_INTERNAL_H */
