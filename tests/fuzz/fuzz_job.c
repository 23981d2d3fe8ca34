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
	rmdir(FUZZ_DIR);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];

	/* The probe reads the device; credentials come from nowhere. */
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
	atexit(remove_files);
	return 0;
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
	memcpy(text, data, size);
	text[size] = '\0';
	if (lsio_job_load_string(ctx, text, "fuzz.json", &job))
		goto out;
	lsio_job_chunk_count(job);
	lsio_job_source_count(job);
	lsio_job_output_type(job);
	if (needs_network(job))
		goto out;
	lsio_options_init(&opt);
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
