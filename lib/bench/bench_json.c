/* SPDX-License-Identifier: MIT */
/*
 * bench_json.c - lsio_bench_json(): a benchmark's options and results as
 * one JSON object.  fio's --output-format=json is the model: everything a
 * script needs to compare runs, nothing it must parse from text; every
 * measure is {min, median, max} over the runs, each run is kept too.
 */
#include <stdlib.h>
#include <time.h>

#include "bench.h"

static const char *const pattern_names[] = { "seq", "rand", "strided" };
static const char *const codec_names[] = { "none", "zstd", "lz4" };
static const char *const direct_names[] = { "off", "on", "auto" };

static json_t *range_json(const struct lsio_bench_range *r)
{
	return json_pack("{s:f,s:f,s:f}", "min", r->min, "median", r->median,
			 "max", r->max);
}

static json_t *options_json(const struct lsio_bench_opts *o)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:s,s:b,s:b,s:i}",
			 "dir", o->dir, "files", (json_int_t)o->files,
			 "file_size", (json_int_t)o->file_size,
			 "chunk", (json_int_t)o->chunk,
			 "pattern", pattern_names[o->pattern],
			 "gap", (json_int_t)o->gap,
			 "count", (json_int_t)o->count,
			 "seed", (json_int_t)o->seed,
			 "compress", codec_names[o->codec],
			 "cold", o->cold != LSIO_BENCH_WARM,
			 "drop_caches", o->cold == LSIO_BENCH_COLD_SYSTEM,
			 "repeat", o->repeat);
}

/* How the runs were set up, as the engine chose it (the last run's). */
static json_t *setup_json(const struct lsio_stats *st)
{
	int d = st->direct;

	return json_pack("{s:s,s:i,s:i,s:s}",
			 "backend", st->backend ? st->backend : "none",
			 "workers", st->workers, "queue_depth", st->queue_depth,
			 "direct", d >= 0 && d <= 2 ? direct_names[d] : "auto");
}

static json_t *latency_json(const struct lsio_bench_range *lat)
{
	return json_pack("{s:o,s:o,s:o,s:o}", "p50", range_json(&lat[0]),
			 "p90", range_json(&lat[1]), "p99", range_json(&lat[2]),
			 "p99.9", range_json(&lat[3]));
}

static json_t *sample_json(const struct lsio_bench_sample *s)
{
	char *text = lsio_stats_json(&s->stats);
	json_t *engine = text ? json_loads(text, 0, NULL) : NULL;

	free(text);
	return json_pack("{s:f,s:f,s:o*}", "wall_seconds", s->wall_seconds,
			 "cpu_seconds", s->cpu_seconds, "engine", engine);
}

static json_t *runs_json(const struct lsio_bench_result *r)
{
	json_t *a = json_array();

	for (int i = 0; a && i < r->runs; i++)
		json_array_append_new(a, sample_json(&r->samples[i]));
	return a;
}

static json_t *result_json(const struct lsio_bench_opts *o,
			   const struct lsio_bench_result *r)
{
	const struct lsio_stats *last = &r->samples[r->runs - 1].stats;

	return json_pack("{s:s,s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,"
			 "s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}",
			 "lsio_version", LSIO_VERSION,
			 "timestamp", (json_int_t)time(NULL),
			 "options", options_json(o),
			 "setup", setup_json(last),
			 "files_created", (json_int_t)r->files_created,
			 "chunks", (json_int_t)r->chunks,
			 "requests", (json_int_t)last->requests,
			 "bytes_decoded", (json_int_t)r->bytes_decoded,
			 "bytes_read", (json_int_t)last->bytes_read,
			 "wall_seconds", range_json(&r->wall_seconds),
			 "gib_per_s", range_json(&r->gib_per_s),
			 "read_gib_per_s", range_json(&r->read_gib_per_s),
			 "iops", range_json(&r->iops),
			 "cpu_seconds", range_json(&r->cpu_seconds),
			 "latency_seconds", latency_json(r->latency),
			 "peak_rss_bytes", (json_int_t)r->peak_rss,
			 "runs", runs_json(r));
}

char *lsio_bench_json(const struct lsio_bench_opts *o,
		      const struct lsio_bench_result *r)
{
	json_t *j;
	char *text;

	if (!r->runs)
		return NULL;
	j = result_json(o, r);
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return text;
}
