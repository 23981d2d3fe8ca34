/* SPDX-License-Identifier: MIT */
/*
 * job_info.c - read-only questions a caller may ask of a loaded job.
 */
#include "internal.h"

uint64_t lsio_job_source_count(const struct lsio_job *job)
{
	return job->nsources;
}

const char *lsio_job_output_type(const struct lsio_job *job)
{
	static const char *const names[] = {
		[LSIO_OUT_ARRAY] = "array",
		[LSIO_OUT_FILES] = "files",
		[LSIO_OUT_STDOUT] = "stdout",
		[LSIO_OUT_NULL] = "null",
		[LSIO_OUT_DATASET] = "dataset",
	};

	return names[job->out.type];
}

/* A scan: only failures ask, once. */
uint64_t lsio_job_first_chunk(const struct lsio_job *job, uint32_t s)
{
	for (uint64_t i = 0; i < job->nchunks; i++)
		if (job->chunks[i].source == s)
			return i;
	return 0;
}
