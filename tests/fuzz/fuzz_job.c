/* SPDX-License-Identifier: MIT */
/*
 * fuzz_job.c - libFuzzer target: a job's text through the loader and the
 * planner with the null backend, as `lsio plan` takes it: validation,
 * sizes and units, the storage section, placements, file name templates,
 * then classification, coalescing, splitting and alignment, and the plan's
 * description.  No data is read.
 *
 * Input: the job text.  Sources that exist are three sparse files this
 * target creates in FUZZ_DIR (/dev/shm/lsio-fuzz-job/{a,b,empty}: 1 MiB,
 * 64 MiB, 0 bytes; the seeds name them); any other source is stat'ed and
 * most fail ("cannot open source").  The storage probe is off (it would
 * read), and a URL source whose size the planner would ask a server for
 * (a chunk without a length) stops the run after loading: no network.
 *
 * The loader reads a job as a stream, most chunks with a scanner of its
 * own (lib/job/job_fast.c): a text it accepts must be JSON that jansson
 * accepts whole, or the scanner let something through (abort).  The same
 * input is then read as NDJSON chunks (one object a line) of a fixed
 * array job, as `lsio plan JOB --chunks FILE` reads them: through a file
 * in FUZZ_DIR, which the scanner reads through its window.  A job whose
 * "chunks": "@FILE" could read outside the current directory or wait on
 * a device ("@/dev/stdin", "..") is not tried.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "plan/storage.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DIR "/dev/shm/lsio-fuzz-job"

/* The fixed job the input's NDJSON chunks go into: every key of a chunk
 * means something there (a place, stages, sources that exist). */
static const char head_job[] =
	"{\"lsio\": 1, \"output\": {\"type\": \"array\", \"dtype\": \"<u2\", "
	"\"shape\": [64, 64]}, \"defaults\": {\"source\": \"" FUZZ_DIR "/a\", "
	"\"place\": {\"shape\": [8, 8]}}}";

static char head_path[64], ndjson_path[64];

static const struct {
	const char *name;
	off_t size;
} files[] = {
	{ "a", 1 << 20 },
	{ "b", 64 << 20 },
	{ "empty", 0 },
};

/* Another fuzz_job may share the files: make them idempotently, and
 * tolerate their removal (a source that fails is just an error). */
static void remove_files(void)
{
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), FUZZ_DIR "/%s", files[i].name);
		unlink(path);
	}
	unlink(head_path);
	unlink(ndjson_path);
	rmdir(FUZZ_DIR);
}

static int write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write(fd, data, size) == (ssize_t)size;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];

	/* The probe reads the device; credentials come from nowhere. */
	setenv("LSIO_TEST_HOOKS", "1", 1);	/* util/testenv.c */
	setenv("LSIO_PROBE_LATENCY_US", "-1", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	mkdir(FUZZ_DIR, 0700);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int fd;

		snprintf(path, sizeof(path), FUZZ_DIR "/%s", files[i].name);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && ftruncate(fd, files[i].size))
			abort();
		if (fd >= 0)
			close(fd);
	}
	/* This process's own: another fuzz_job may run beside it. */
	snprintf(head_path, sizeof(head_path), FUZZ_DIR "/head.%d.json",
		 (int)getpid());
	snprintf(ndjson_path, sizeof(ndjson_path), FUZZ_DIR "/chunks.%d.ndjson",
		 (int)getpid());
	if (write_file(head_path, head_job, strlen(head_job)))
		abort();
	atexit(remove_files);
	return 0;
}

/* The input as the NDJSON chunks of head_job: loaded (the planner is
 * the JSON job's to drive). */
static void load_ndjson(struct lsio_ctx *ctx, const uint8_t *data,
			size_t size)
{
	struct lsio_job *job = NULL;

	if (!write_file(ndjson_path, data, size))
		lsio_job_load(ctx, head_path, ndjson_path, &job);
	lsio_job_free(job);
}

/* Would planning ask a server for a size (a HEAD)? */
static bool needs_network(const struct lsio_job *job)
{
	for (uint64_t i = 0; i < job->nchunks; i++) {
		const struct lsio_chunk *c = &job->chunks[i];

		if (c->length == LSIO_LEN_EOF &&
		    lsio_storage_is_url(job->sources[c->source].path))
			return true;
	}
	return false;
}

/* An accepted job is valid JSON as a whole, keys not repeated. */
static void check_json(const char *text, size_t size)
{
	json_error_t e;
	json_t *v = json_loadb(text, size, JSON_REJECT_DUPLICATES, &e);

	if (!v)
		abort();
	json_decref(v);
}

/* "@FILE" that could read outside FUZZ_DIR, or wait on a terminal. */
static bool names_outside(const uint8_t *data, size_t size)
{
	return memchr(data, '@', size) &&
	       (memmem(data, size, "@/", 2) || memmem(data, size, "..", 2) ||
		memmem(data, size, "@\\", 2));
}

/* What `lsio plan` and a files output do with a planned job. */
static void use_plan(struct lsio_job *job, struct lsio_plan *plan)
{
	char name[256];

	free(lsio_plan_describe(plan, 0));
	free(lsio_plan_describe(plan, LSIO_DESCRIBE_JSON | LSIO_DESCRIBE_VERBOSE));
	if (job->out.type != LSIO_OUT_FILES)
		return;
	for (uint64_t i = 0; i < job->nchunks && i < 64; i++)
		lsio_chunk_name(job, i, name, sizeof(name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct lsio_job *job = NULL;
	struct lsio_plan *plan = NULL;
	struct lsio_options opt;
	char *text = malloc(size + 1);

	if (!ctx || !text)
		goto out;
	load_ndjson(ctx, data, size);
	if (names_outside(data, size))
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	if (lsio_job_load_string(ctx, text, "fuzz.json", &job))
		goto out;
	check_json(text, strlen(text));
	lsio_job_chunk_count(job);
	lsio_job_source_count(job);
	lsio_job_output_type(job);
	if (needs_network(job))
		goto out;
	lsio_options_init(&opt, sizeof(opt));
	opt.backend = "null";
	if (!lsio_plan_new(ctx, job, &opt, &plan))
		use_plan(job, plan);
out:
	lsio_plan_free(plan);
	lsio_job_free(job);
	lsio_ctx_free(ctx);
	free(text);
	return 0;
}
