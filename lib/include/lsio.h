/* SPDX-License-Identifier: MIT */
/*
 * lsio.h - the one public header of liblsio.
 *
 * liblsio reads many byte ranges from local files (io_uring) and remote
 * objects, runs a short stage chain on each chunk on the core that read it,
 * and writes the result into an N-dimensional array, per-chunk files or a
 * stream.  The lsio command-line tool is a thin client of this header.
 *
 * Conventions (after liburing and zstd):
 *   - functions return 0 (or a count) on success and a negative value on
 *     failure: -errno for operating-system errors, -LSIO_E* (all > 4095) for
 *     lsio's own errors.  lsio_strerror() names both.
 *   - the human detail of the last failure (file:line:col, JSON path, chunk
 *     index, source, stage) is kept in the context: lsio_ctx_message().
 *   - the library never prints, exits or aborts on bad input.
 *   - *_new() returns a heap handle that the caller releases with *_free();
 *     *_free(NULL) is a no-op.
 *
 * Threads (each function's comment ends with its rule):
 *   - "any thread": no shared state; call it from anywhere, at any time.
 *   - "one ctx per thread": a context serves one call at a time (it holds
 *     that call's message); give each thread its own.  Runs in different
 *     threads with their own contexts go on side by side, except that
 *     dataset (NetCDF) outputs are written by libnetcdf, which is not
 *     thread-safe: commit those one at a time.
 *   - a loaded job is never written: several calls may plan and run one
 *     job at once, each in its own thread with its own context (what a
 *     plan learns of the sources, sizes and storage classes, is the
 *     plan's).  Runs at once must not share an output file or directory:
 *     give each its own (opt->output), or run into memory or a callback.
 *   - a plan is used by one call at a time.
 *   - every run starts its own worker threads and joins them before it
 *     returns; callbacks say which thread calls them.
 *
 * Versioned structures: struct lsio_options and struct lsio_stats begin
 * with their size, so that a field added in a later version (always at the
 * end) leaves programs built against an earlier lsio.h working with a
 * newer liblsio.  Options: lsio_options_init(&opt, sizeof(opt)) sets every
 * field to "not set" and opt.size to the bytes this library knows; a
 * field beyond opt.size is one the library does not have.  A size larger
 * than the library's (a program built against a newer lsio.h that did not
 * call lsio_options_init) is refused with -LSIO_EUSAGE rather than
 * silently ignoring what the caller set.  Stats: set stats.size to
 * sizeof(stats); the library fills that much of what it knows and sets
 * stats.size to the bytes it filled.  Sizes rather than opaque handles
 * with setters keep the fields plain C that a caller (and a ctypes or
 * Rust binding) reads and writes directly, as the kernel's
 * perf_event_attr and sched_attr do.
 */
#ifndef LSIO_H
#define LSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LSIO_VERSION "0.1.0"	/* MAJOR.MINOR.PATCH, as the numbers below */
#define LSIO_VERSION_MAJOR 0	/* the shared library's soname: liblsio.so.0 */
#define LSIO_VERSION_MINOR 1
#define LSIO_VERSION_PATCH 0
#define LSIO_VERSION_NUMBER (LSIO_VERSION_MAJOR * 10000 + \
			     LSIO_VERSION_MINOR * 100 + LSIO_VERSION_PATCH)
#define LSIO_JOB_FORMAT 1	/* the "lsio" key of a job file */

/* The version of the library running, which may be newer than the header
 * a program was built with: LSIO_VERSION (static string) and
 * LSIO_VERSION_NUMBER of the build of liblsio that was loaded. */
const char *lsio_version(void);
unsigned lsio_version_number(void);

/* lsio's own error codes: stable, never renumbered, above any errno. */
enum lsio_error {
	LSIO_EJOB = 4096,	/* the job is malformed or invalid (exit 2) */
	LSIO_EUSAGE,		/* a bad option or argument (exit 2) */
	LSIO_ESOURCE,		/* a source cannot be opened or is too short */
	LSIO_EDATA,		/* corrupt or truncated chunk data */
	LSIO_ESIZE,		/* decoded size differs from what was declared */
	LSIO_ECHECKSUM,		/* checksum mismatch */
	LSIO_ETOOBIG,		/* output would exceed its declared bound */
	LSIO_EBACKEND,		/* an I/O backend failed */
	LSIO_ECANCELED,		/* interrupted by lsio_ctx_cancel() */
	LSIO_EREMOTE,		/* a remote server answered with an error */
	LSIO_ENOTSUP,		/* a feature this build or kernel lacks */
	LSIO_EOUTPUT,		/* the output cannot be written */
	LSIO_ELAST
};

/* Exit codes of the lsio tool, documented in lsio(1). */
#define LSIO_EXIT_OK 0
#define LSIO_EXIT_RUNTIME 1
#define LSIO_EXIT_USAGE 2

struct lsio_ctx;	/* error message, cancellation flag */
struct lsio_job;	/* a parsed, validated job */
struct lsio_plan;	/* the I/O requests a job turns into */

/* --- context -------------------------------------------------------- */

/* Returns a new context, or NULL when out of memory.  Any thread. */
struct lsio_ctx *lsio_ctx_new(void);
/* Any thread, once no call uses ctx. */
void lsio_ctx_free(struct lsio_ctx *ctx);

/* The detail of the last failure, "" when there was none.  Owned by ctx,
 * valid until the next call that fails.  One ctx per thread (the thread
 * that made the call). */
const char *lsio_ctx_message(const struct lsio_ctx *ctx);

/* Warnings ("the uring backend is unavailable (...): using pread") are
 * queued here; each call returns the next one or NULL.  Owned by ctx.  One
 * ctx per thread (not while a run on ctx goes on). */
const char *lsio_ctx_next_warning(struct lsio_ctx *ctx);

/* Ask a running job to stop; async-signal-safe.  lsio_run() then returns
 * -LSIO_ECANCELED and leaves no output behind.  Any thread, and from a
 * signal handler. */
void lsio_ctx_cancel(struct lsio_ctx *ctx);

/* A static, never-NULL description of an error code (either sign).  Any
 * thread. */
const char *lsio_strerror(int err);

/* 1 when err means "the job or the command line is wrong" (exit 2).  Any
 * thread. */
int lsio_error_is_usage(int err);

/* "Did you mean": the word of words (NULL terminated) closest to key, for
 * a misspelt key, option or name - one edit away, two for keys of six
 * letters or more (ignoring case; a swap of neighbours is one edit), else
 * the first word that key is a '-' or '_' separated part of ("size" ->
 * "file-size").  Returns one of words, or NULL when none is close.  Any
 * thread. */
const char *lsio_did_you_mean(const char *key, const char *const *words);

/* --- options ------------------------------------------------------------ */

enum lsio_direct { LSIO_DIRECT_UNSET = -1, LSIO_DIRECT_OFF = 0,
		   LSIO_DIRECT_ON = 1, LSIO_DIRECT_AUTO = 2 };

/* Settings that override the job's "storage" section.  Integers < 0 and
 * NULL pointers mean "not set: use the job's value or the planner's
 * default".  For coalesce_gap, max_request and split, 0 means "off".
 * Start from lsio_options_init(); new fields are added at the end. */
struct lsio_options {
	size_t size;		/* bytes of this struct the library knows:
				 * set by lsio_options_init() */
	int workers;		/* threads, default one per usable CPU */
	int queue_depth;	/* requests in flight per worker */
	int64_t memory;		/* bytes of I/O buffers in flight, all workers */
	int direct;		/* enum lsio_direct */
	int64_t coalesce_gap;	/* merge reads of one file this close */
	int64_t max_request;	/* cap on a merged read */
	int64_t split;		/* split reads larger than this ... */
	int64_t part_size;	/* ... into parts of this size */
	const char *backend;	/* "uring", "pread" or "null" */
	const char *output;	/* replaces the job's output path or dir */
	int no_sign_request;	/* s3:// without signing (public buckets) */
	int missing_403;	/* lsio zarr: a chunk's HTTP 403 means absent
				 * (buckets without ListBucket), not an error */

	/* Run part shard_index of shard_count (0 <= index < count; count 0
	 * or 1: the whole job).  Parts are disjoint and together the job;
	 * an array output is filled by all of them and appears under its
	 * name when the last part finishes (see lsio(1), SHARDS). */
	int shard_index;
	int shard_count;
	/* Keep a journal of completed chunks beside the temporary output,
	 * and continue the run a killed one left (array and files output). */
	int resume;

	/* Called about ten times a second from the thread that called
	 * lsio_run(), never from a worker. May be NULL. */
	void (*progress)(void *arg, uint64_t bytes_done, uint64_t bytes_total,
			 uint64_t chunks_done, uint64_t chunks_total);
	void *progress_arg;

	/* Reduce an array output instead of writing it whole: "OP[:AXES]"
	 * (sum, mean, min, max, count, var or std over the dimensions AXES,
	 * "0,2"; none: all), as the job's output "reduce" in lsio-job(5),
	 * which this replaces.  NULL: the job's. */
	const char *reduce;
	/* With a reduction: 1, values equal to the array's fill value are
	 * missing, as NaN always is; 0, they count; -1: as the job says. */
	int skip_fill;
	/* 1: s3:// requests say the requester pays (requester-pays
	 * buckets: "x-amz-request-payer: requester", signed); 0: not; -1:
	 * as the job's storage.s3.request_payer says.  A tuning option:
	 * lsio_options_set(opt, "request-payer", "requester"). */
	int request_payer;
};

/* Sets every field to "not set" and opt->size to the smaller of size
 * (the caller's sizeof(*opt)) and the library's: a field past opt->size
 * is one this library lacks.  Writes no more than size bytes.  Any
 * thread. */
void lsio_options_init(struct lsio_options *opt, size_t size);

/* Parse a size such as "4096", "256KiB", "1MiB", "4k", "1GB"; "off" is 0.
 * Returns 0 and sets *out, or -LSIO_EUSAGE.  Any thread. */
int lsio_parse_size(const char *text, uint64_t *out);

/* One of the tuning options, the fields of struct lsio_options (workers
 * to backend) that a job's "storage" section sets too.  One table in the
 * library holds them: their keys, bounds, choices and help, for jobs,
 * lsio_options_set() and the lsio tool's flags and --help alike.  The
 * library owns these; fields are only ever added at the end, so never
 * allocate or copy one: read it through the pointer. */
struct lsio_option_info {
	const char *key;	/* "queue_depth": the job's storage key */
	const char *flag;	/* "queue-depth": the key with '-' for '_',
				 * as lsio's --queue-depth */
	const char *metavar;	/* what the value is: "N", "SIZE",
				 * "on|off|auto", "NAME" */
	const char *help;	/* one line, lower case, no full stop, that
				 * says the default */
};

/* The i-th tuning option (from 0), or NULL past the last: loop until
 * NULL.  Static data.  Any thread. */
const struct lsio_option_info *lsio_option_info(size_t i);

/* Set one tuning option of opt (from lsio_options_init()) from text, as
 * a job's "storage" section would: key is an option's key or flag
 * ("queue_depth" or "queue-depth"); text is checked against the option's
 * type, bounds and choices: a whole number ("8"), a size ("64KiB"; "off"
 * or 0 where the option can be off), or a choice ("auto"; a backend
 * points opt->backend at the library's static name).  Returns 0, or
 * -LSIO_EUSAGE with why (cap bytes, cut short if need be; may be NULL)
 * saying what is wrong with the value or the key, in the words a job's
 * error gives after its "storage.KEY: " ("0 is out of range (1..1024)",
 * "unknown value 'aut' (did you mean 'auto'?)", "unknown key 'memroy'
 * (did you mean 'memory'?)"); opt is then unchanged.  Any thread. */
int lsio_options_set(struct lsio_options *opt, const char *key,
		     const char *text, char *why, size_t cap);

/* --- jobs ----------------------------------------------------------------- */

/* Load and validate a job from a file ("-" is stdin).  On failure the
 * context message names the file and line:column, or the JSON path.
 * Returns 0 and a job the caller frees, or a negative error.  One ctx per
 * thread (the same for lsio_job_load and lsio_job_load_string). */
int lsio_job_load_file(struct lsio_ctx *ctx, const char *path,
		       struct lsio_job **job);

/* The same, with the chunks read from the file chunks instead ("-" is
 * stdin): one chunk object a line (NDJSON), which replace the job's own
 * "chunks" (the job may then leave them out).  chunks NULL: the job's.
 * Job and chunks cannot both be stdin (-LSIO_EUSAGE). */
int lsio_job_load(struct lsio_ctx *ctx, const char *path, const char *chunks,
		  struct lsio_job **job);

/* The same from text in memory; name is used in messages.  A chunks file
 * it names ("chunks": "@list.ndjson") is looked for from the current
 * directory. */
int lsio_job_load_string(struct lsio_ctx *ctx, const char *text,
			 const char *name, struct lsio_job **job);
/* Any thread, once no plan or run uses job. */
void lsio_job_free(struct lsio_job *job);

/* Number of chunks in a job.  Any thread. */
uint64_t lsio_job_chunk_count(const struct lsio_job *job);

/* Number of distinct sources a job reads.  Any thread. */
uint64_t lsio_job_source_count(const struct lsio_job *job);

/* The output type: "array", "dataset", "files", "stdout" or "null" (static
 * string).  Any thread. */
const char *lsio_job_output_type(const struct lsio_job *job);

/* The array a run of an array job writes: its element type as numpy
 * writes it ("<f4"), its rank and shape, and its size in bytes. */
struct lsio_array_info {
	char dtype[24];
	uint32_t ndim;
	uint64_t shape[32];
	uint64_t nbytes;
};

/* What a run of job with opt (NULL: defaults) writes when its output is
 * an array: the output's, or with a reduction (the job's "reduce", or
 * opt->reduce) the reduced array - what lsio_run_into() needs room for.
 * Returns 0, or -LSIO_EUSAGE (message set) when the output is not an
 * array or the reduction does not fit it.  One ctx per thread. */
int lsio_job_array(struct lsio_ctx *ctx, const struct lsio_job *job,
		   const struct lsio_options *opt, struct lsio_array_info *info);

/* --- plans ---------------------------------------------------------------- */

/* Resolve sources (stat, classify) and plan the requests, reading no data.
 * Returns 0 and a plan the caller frees, or a negative error.  One ctx per
 * thread; job may be in other plans and runs meanwhile, in other threads
 * (the plan keeps a pointer to it: free the plan first). */
int lsio_plan_new(struct lsio_ctx *ctx, const struct lsio_job *job,
		  const struct lsio_options *opt, struct lsio_plan **plan);
/* Any thread, once no call uses plan. */
void lsio_plan_free(struct lsio_plan *plan);

#define LSIO_DESCRIBE_JSON 1u	/* JSON instead of a table */
#define LSIO_DESCRIBE_VERBOSE 2u	/* every request and the chunks it serves */

/* A description of the plan, malloc'd; the caller frees it.  NULL when out
 * of memory.  Any thread, while no lsio_plan_run() uses plan. */
char *lsio_plan_describe(const struct lsio_plan *plan, unsigned flags);

/* --- running ---------------------------------------------------------- */

/* What a run did.  Set size to sizeof(struct lsio_stats) before the call;
 * new fields are added at the end. */
struct lsio_stats {
	size_t size;			/* in: the caller's sizeof; out: the
					 * bytes the library filled */
	uint64_t chunks;		/* chunks completed */
	uint64_t requests;		/* read requests issued */
	uint64_t bytes_requested;	/* sum of chunk lengths */
	uint64_t bytes_read;		/* bytes read from storage */
	uint64_t bytes_out;		/* bytes written to the output */
	double wall_seconds;
	double cpu_seconds;		/* user + system, whole process */
	int workers;
	int queue_depth;
	const char *backend;		/* static string */
	int direct;			/* enum lsio_direct in effect */
	/* Chunk latency, from the claim of its read to the end of its
	 * stages, in seconds: p50, p90, p99, p99.9 (within 3%). */
	double latency[4];

	/* Remote sources; all zero when the job has none. */
	uint64_t remote_requests;	/* HTTP requests sent, retries and
					 * the planner's HEADs included */
	uint64_t remote_retries;	/* requests that were retries */
	uint64_t remote_bytes;		/* received: headers and bodies */
	uint32_t nhosts;
	struct lsio_host_stats {
		char host[64];			/* "host:port"; the last
						 * slot may be "(other)" */
		uint64_t requests, retries, bytes;
		double latency[3];		/* per request: p50 p90 p99,
						 * seconds */
		double first_byte;		/* median time to a response's
						 * first byte, seconds */
	} hosts[8];
	uint64_t chunks_missing;	/* of chunks, those whose source was
					 * absent and "missing" said fill */
	uint64_t chunks_reused;		/* of chunks, those listing the same
					 * bytes as the one before them,
					 * placed from its decode */
	uint64_t chunks_resumed;	/* of chunks, those a killed run had
					 * completed (--resume): not read */
	uint64_t chunks_total;		/* chunks of this part (--shard) or
					 * of the job */
	int shard_index, shard_count;	/* the part run; count 1: whole */
	int committed;			/* the output is in place (a part
					 * that is not the last: 0) */
};

/* Plan and run a job.  Output is written under a temporary name and renamed
 * into place only when every chunk succeeded; on failure or cancellation
 * nothing is left behind.  opt and stats may be NULL; stats is filled
 * after a failure too.  Returns 0 or a negative error (message in ctx);
 * -LSIO_EUSAGE for an opt or stats whose size is wrong.  One ctx per
 * thread; opt->progress is called from this thread. */
int lsio_run(struct lsio_ctx *ctx, const struct lsio_job *job,
	     const struct lsio_options *opt, struct lsio_stats *stats);

/* Run an existing plan (from lsio_plan_new with the same job), into the
 * job's output.  One ctx per thread. */
int lsio_plan_run(struct lsio_ctx *ctx, struct lsio_plan *plan,
		  struct lsio_stats *stats);

/* Run a job whose output is an array into memory the caller owns instead
 * of its file: the array, in C order, of the output's dtype and shape,
 * without a .npy header, is assembled in buf (cap bytes), filled with the
 * output's fill value first (also when the job says "prefill": false);
 * workers decode straight into it where a chunk covers a contiguous run.
 * The job's output path and opt->output are not used.  Returns 0, or a
 * negative error: -LSIO_EUSAGE when the output is not an array (a dataset
 * holds several: write it to a file, or take its chunks with
 * lsio_run_callback) or with --shard or --resume options;
 * -LSIO_ETOOBIG when cap is smaller than the array (the message names
 * both sizes).  After a failure buf holds a part of the array.  One ctx
 * per thread; do not touch buf until it returns. */
int lsio_run_into(struct lsio_ctx *ctx, const struct lsio_job *job,
		  const struct lsio_options *opt, void *buf, size_t cap,
		  struct lsio_stats *stats);

/* Called with chunk index's decoded bytes (data, len: valid only during
 * the call), on the worker thread that decoded it: several workers call it
 * at once, for different chunks, in no particular order, so it must be
 * thread-safe.  Return 0 to go on; anything else stops the run. */
typedef int (*lsio_chunk_fn)(void *arg, uint64_t index, const void *data,
			     size_t len);

/* Run a job handing each decoded chunk to fn instead of writing the job's
 * output (any output type; nothing is written).  A chunk's bytes are
 * those its stages produce: for an array or dataset output the decoded
 * chunk, of the shape of its placement, before it is placed.  A chunk
 * whose source is absent ("missing": "fill") comes as its placement's
 * fill value; such chunks may come from the calling thread, before the
 * workers start.  With opt->shard_count > 1, only the part's chunks come.
 * Every chunk comes once (a chunk that lists the same bytes as the one
 * before it gets the same decoded bytes).  A non-zero return from fn
 * stops the run: lsio_run_callback returns that value when it is
 * negative, else -LSIO_ECANCELED; the message names the chunk.  Returns 0
 * or a negative error; -LSIO_EUSAGE with --resume or opt->output.  One
 * ctx per thread. */
int lsio_run_callback(struct lsio_ctx *ctx, const struct lsio_job *job,
		      const struct lsio_options *opt, lsio_chunk_fn fn,
		      void *arg, struct lsio_stats *stats);

/* The statistics as a JSON object, malloc'd; the caller frees it.  NULL
 * when out of memory.  Any thread. */
char *lsio_stats_json(const struct lsio_stats *stats);

/* --- bench ------------------------------------------------------------------
 *
 * A synthetic workload without writing a job, in the manner of fio and of
 * `zstd -b`: create (or reuse) files under a directory, build a job for an
 * access pattern, run it `repeat` times and summarise.  `lsio bench` is a
 * thin client of these three functions.
 *
 * struct lsio_bench_opts and struct lsio_bench_result hold an lsio_options
 * and lsio_stats by value and are not versioned themselves: a program that
 * uses them is rebuilt with each version of lsio.
 */

enum lsio_bench_pattern {
	LSIO_BENCH_SEQ,		/* every chunk of every file, in order */
	LSIO_BENCH_RAND,	/* distinct chunk-aligned chunks, random order */
	LSIO_BENCH_STRIDED	/* a chunk, a gap, a chunk ... in each file */
};

enum lsio_bench_codec { LSIO_BENCH_NONE, LSIO_BENCH_ZSTD, LSIO_BENCH_LZ4 };

/* What each run finds in the page cache. */
enum lsio_bench_cold {
	LSIO_BENCH_WARM,	/* whatever is there (after the first run: all) */
	LSIO_BENCH_COLD,	/* none of the files: each is written back and
				 * dropped (fsync, POSIX_FADV_DONTNEED), as
				 * fio's invalidate=1 does; no root needed */
	LSIO_BENCH_COLD_SYSTEM	/* the whole machine's cache dropped
				 * (/proc/sys/vm/drop_caches): root only, and
				 * everyone else's cache goes too */
};

struct lsio_bench_opts {
	const char *dir;	/* the files' directory, made when missing */
	uint32_t files;		/* number of files, >= 1 */
	uint64_t file_size;	/* bytes per file (before compression), >= 1 */
	uint64_t chunk;		/* bytes per chunk (before compression), >= 1 */
	int pattern;		/* enum lsio_bench_pattern */
	uint64_t gap;		/* strided: bytes skipped after each chunk;
				 * compressed files: a multiple of chunk */
	uint64_t count;		/* rand: chunks to read; 0 = as many as seq */
	uint64_t seed;		/* rand: the same seed reads the same chunks */
	int codec;		/* enum lsio_bench_codec: each chunk compressed
				 * on its own, offsets in a sidecar index */
	int cold;		/* enum lsio_bench_cold */
	int repeat;		/* runs, >= 1 */
	struct lsio_options run;	/* tuning and progress of each run */
	/* Called about ten times a second while files are written, with
	 * bytes and files done and to do; may be NULL. */
	void (*create_progress)(void *arg, uint64_t bytes_done,
				uint64_t bytes_total, uint64_t files_done,
				uint64_t files_total);
	void *create_progress_arg;
};

/* min, median and max over the runs. */
struct lsio_bench_range {
	double min, median, max;
};

/* One run: the time lsio_run() took (planning included, as a caller pays
 * it) and the engine's own statistics. */
struct lsio_bench_sample {
	double wall_seconds;
	double cpu_seconds;		/* user + system over the same span */
	struct lsio_stats stats;
};

struct lsio_bench_result {
	int runs;
	uint32_t files_created;		/* 0 when every file was reused */
	uint64_t chunks;		/* per run */
	uint64_t bytes_decoded;		/* chunk bytes after decoding, per run */
	struct lsio_bench_range wall_seconds;	/* lsio_run(): plan + run */
	struct lsio_bench_range gib_per_s;	/* decoded GiB (2^30) / wall */
	struct lsio_bench_range read_gib_per_s;	/* GiB read from storage / wall */
	struct lsio_bench_range iops;		/* chunks / wall */
	struct lsio_bench_range cpu_seconds;	/* user + system */
	struct lsio_bench_range latency[4];	/* p50 p90 p99 p99.9, seconds */
	uint64_t peak_rss;		/* bytes (getrusage), whole process */
	struct lsio_bench_sample *samples;	/* runs entries, owned here */
};

/* Defaults: 8 files of 64 MiB, 256 KiB chunks, seq, no compression, seed 1,
 * one run, options "not set".  Any thread. */
void lsio_bench_opts_init(struct lsio_bench_opts *o);

/* Create (or reuse) the files; when paths is not NULL, *paths becomes a
 * malloc'd NULL-terminated array of the data files' paths (one allocation:
 * free(*paths) frees all).  Returns 0 or a negative error:
 * -LSIO_EUSAGE for bad options, -errno when a file cannot be written,
 * -LSIO_ECANCELED after lsio_ctx_cancel().  One ctx per thread. */
int lsio_bench_prepare(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		       char ***paths);

/* Prepare, then run the workload o->repeat times.  LSIO_BENCH_COLD_SYSTEM
 * needs root: otherwise -LSIO_EUSAGE before anything is written.  A cold
 * run whose files stay partly cached (tmpfs; pages another process maps
 * or locks) queues a warning.  The result is the
 * caller's, released with lsio_bench_result_release() (also after a
 * failure).  One ctx per thread; a cold run drops the files' cache, which
 * other threads reading them feel. */
int lsio_bench_run(struct lsio_ctx *ctx, const struct lsio_bench_opts *o,
		   struct lsio_bench_result *res);
/* Any thread. */
void lsio_bench_result_release(struct lsio_bench_result *res);

/* Options and result as one JSON object (after fio's JSON output),
 * malloc'd; the caller frees it.  NULL when out of memory.  Any thread. */
char *lsio_bench_json(const struct lsio_bench_opts *o,
		      const struct lsio_bench_result *res);

/* --- zarr ------------------------------------------------------------------ */

/* Jobs that extract a selection of a Zarr v2 or v3 array into an array
 * output (a .npy when the path ends in ".npy").  The job uses only the
 * public job format: loading *job with lsio_job_load_string() and
 * running it is all `lsio zarr` does.
 *
 * array: a store path and, inside it, the array's path ("data.zarr/t2m");
 * a directory that holds .zarray or zarr.json, or a member named in a
 * parent's consolidated .zmetadata.
 * select: numpy basic indexing per dimension - an integer (negative from
 * the end; the dimension is dropped), start:stop[:step] (step > 0), ':',
 * '...'; omitted trailing dimensions are ':'.  NULL or "" selects all.
 * output: the output path written into the job, or NULL (then the job
 * needs one from lsio_options.output).
 *
 * Chunks that were never written are left out of the job: the output is
 * created filled with the array's fill value (null means 0).  Sharded v3
 * arrays have their shard indexes read here; the job then reads only the
 * inner chunks the selection needs.
 *
 * Returns 0 and a malloc'd job text the caller frees, or a negative
 * error: -LSIO_EJOB (exit 2) for metadata that is not Zarr or uses a data
 * type, codec or layout lsio cannot read, and for a bad selection, with a
 * message naming the store and the key; -LSIO_EDATA / -LSIO_ECHECKSUM
 * for a corrupt shard index.
 * opt (may be NULL): only no_sign_request is used here, for the metadata
 * and chunk-existence requests to a public bucket; it is also written
 * into the job's storage section so the job runs the same way.  One ctx
 * per thread (the same for every lsio_zarr_* and lsio_grib_* function). */
int lsio_zarr_job(struct lsio_ctx *ctx, const char *array, const char *select,
		  const char *output, const struct lsio_options *opt,
		  char **job);

/* What `lsio zarr STORE --var V --sel DIM=LABELS --isel DIM=INDICES -o
 * OUT` extracts from a Zarr group, as xarray's ds[vars].isel(...).sel(...)
 * would.  Lists are NULL-terminated and may be NULL. */
struct lsio_zarr_request {
	const char *store;		/* STORE or STORE/GROUP */
	const char *const *vars;	/* variable names; none: every data
					 * variable that has all the
					 * selected dimensions */
	const char *const *sel;		/* "DIM=LABELS": "latitude=60:40",
					 * "time=2023-01-10", "lon=-0.1~" */
	const char *const *isel;	/* "DIM=INDICES": "time=0:24" */
	const char *output;		/* X.nc or X.nc4: a NetCDF dataset of
					 * the variables and their
					 * coordinates; else one variable as
					 * .npy (raw without .npy); may be
					 * NULL (then lsio_options.output) */
};

/* The job of a request: one plan for every variable.  Labels are resolved
 * against the dimension's coordinate (read first): inclusive LO:HI on
 * ascending and descending coordinates, V exact, V~ nearest, dates for CF
 * time coordinates (units "<unit> since <date>", the standard, gregorian,
 * proleptic_gregorian, noleap, 365_day, all_leap, 366_day and 360_day
 * calendars), and a longitude box across the coordinate's seam (-10:30 on
 * a 0..360 axis) as one box.  Returns 0 and a malloc'd job text, or a
 * negative error with the message in ctx: -LSIO_EUSAGE (exit 2) for an
 * unknown variable or dimension (with "did you mean"), a label outside
 * the coordinate, a date that does not parse, several variables for a
 * .npy; -LSIO_EJOB for metadata lsio cannot read.  One ctx per thread. */
int lsio_zarr_request_job(struct lsio_ctx *ctx,
			  const struct lsio_zarr_request *req,
			  const struct lsio_options *opt, char **job);

/* A table of the arrays in a store (or the one array it is): path, Zarr
 * format, dtype, shape, chunks and codecs, one line each, sorted by path.
 * Returns 0 and malloc'd text the caller frees, or a negative error.  One
 * ctx per thread. */
int lsio_zarr_list(struct lsio_ctx *ctx, const char *store,
		   const struct lsio_options *opt, char **text);

/* What a Zarr group holds, as xarray sees it and `ncdump -h` would show
 * it: its dimensions (names from _ARRAY_DIMENSIONS or dimension_names,
 * dim_N where there are none) with their sizes, its variables (dtype,
 * dimensions, attributes, fill value, chunks and shards, codecs, decoded
 * size; on a local store also the chunks present and their stored size;
 * for a coordinate its first and last values and their order, read
 * through a job run here) and its attributes.  store: STORE or
 * STORE/GROUP, local or remote (a remote group needs consolidated
 * metadata).  json: a JSON document (lsio(1) describes its fields)
 * instead of text.  Arrays lsio cannot read are left out with a warning.
 * Returns 0 and malloc'd text the caller frees, or a negative error:
 * -LSIO_EJOB for what is not a readable Zarr group.  One ctx per thread. */
int lsio_zarr_info(struct lsio_ctx *ctx, const char *store,
		   const struct lsio_options *opt, bool json, char **text);

/* --- grib ------------------------------------------------------------------ */

/* What `lsio grib` extracts: the messages of GRIB2 sources whose inventory
 * line matches.  An inventory is a NOAA/wgrib2 .idx ("N:OFFSET:d=...:VAR:
 * LEVEL:FCST:"), an ECMWF open-data .index (JSON lines with _offset and
 * _length; its line reads "N:OFFSET:key=value:...:"), or, when there is
 * none, a scan of the messages' sections 0-4 that writes wgrib2-style
 * lines.  Sources are paths or http(s)://, s3://, gs://, az:// URLs. */
struct lsio_grib_request {
	const char *const *sources;	/* in output order, nsources >= 1 */
	uint32_t nsources;
	/* NULL: SOURCE.idx, else SOURCE with .grib2 replaced by .index,
	 * else a scan; "none": always scan; else the inventory's path or
	 * URL (one source only). */
	const char *idx;
	/* POSIX extended regular expressions matched against each line
	 * "N:OFFSET:TEXT"; a message is chosen when any matches; none:
	 * every message. */
	const char *const *match;
	uint32_t nmatch;
	/* The job's output: a path ending in '/' or an existing directory
	 * (one file per message, SOURCE.N.grib2), a path ending in .npy
	 * (decoded values), else one file of the
	 * messages' bytes concatenated in source order, then message order
	 * ("-": standard output).  NULL: no path in the job (the concatenated
	 * form, for lsio_options.output). */
	const char *output;
	int lengths;		/* lsio_grib_list: add "len=N" to each line */
	/* -o X.npy: the values' dtype, "<f4" (NULL) or "<f8" */
	const char *dtype;
	/* -o X.npy: also the grid's coordinates (lsio_grib_job's coords) */
	int coords;
};

/* The latitudes and longitudes of the chosen messages' grid, to be
 * written beside the values once they are (lsio_grib_coords_write). */
struct lsio_grib_coords;

/* A job that reads the chosen messages: adjacent ones merge into one
 * request (the planner's coalescing), and each is checked to be the GRIB2
 * message the inventory says (stage grib2_check) as it is read.  The job
 * uses only the public job format.  opt (may be NULL): no_sign_request,
 * for the inventory and scan requests, written into the job.
 * An output ending in .npy decodes the chosen fields (stage grib2) into
 * an array (fields, ny, nx) of req->dtype, NaN where a value is missing;
 * each chosen message's sections 0-4 are read to learn its grid, and
 * fields on different grids are -LSIO_EJOB.  With req->coords and coords
 * not NULL, *coords (free with lsio_grib_coords_free) holds the grid's
 * coordinates, or -LSIO_EJOB says why the grid has none here.
 * Returns 0 and a malloc'd job text the caller frees, or a negative
 * error: -LSIO_EUSAGE for a bad regex or request; -LSIO_ESOURCE for a
 * source or inventory that cannot be read, or no message chosen;
 * -LSIO_EDATA for an inventory pointing past the object's end or a file
 * that is not GRIB2, naming source, message and offset.  One ctx per
 * thread. */
int lsio_grib_job(struct lsio_ctx *ctx, const struct lsio_grib_request *req,
		  const struct lsio_options *opt, char **job,
		  struct lsio_grib_coords **coords);

/* Write lat.npy and lon.npy (float64, the values' 2-D shape, the order
 * of the values) beside the .npy output, each under a temporary name
 * renamed into place.  Returns 0, or -errno with the message in ctx.  One
 * ctx per thread. */
int lsio_grib_coords_write(struct lsio_ctx *ctx,
			   const struct lsio_grib_coords *c);
/* Any thread. */
void lsio_grib_coords_free(struct lsio_grib_coords *c);

/* The chosen messages' inventory lines, one a line ("SOURCE:" before each
 * when there are several sources): a single source's list is a valid
 * .idx.  Returns 0 and malloc'd text the caller frees, or as above.  One
 * ctx per thread. */
int lsio_grib_list(struct lsio_ctx *ctx, const struct lsio_grib_request *req,
		   const struct lsio_options *opt, char **text);

#ifdef __cplusplus
}
#endif
#endif /* LSIO_H */
