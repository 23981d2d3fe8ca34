/* SPDX-License-Identifier: MIT */
/*
 * msgs.c - everything the tool prints besides data and help: errors,
 * warnings, the progress bar and statistics.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

const char *cmd_name = "lsio";

int cmd_fail(struct lsio_ctx *ctx, int err)
{
	const char *msg = lsio_ctx_message(ctx);

	cmd_progress_end();
	cmd_print_warnings(ctx);
	if (!msg || !*msg)
		msg = lsio_strerror(err);
	/* The library found the command line wrong (an option it checks,
	 * such as -o for a job without a path): say it as the options'
	 * errors are said.  A wrong job is not the command line's fault. */
	if (err == -LSIO_EUSAGE)
		return cmd_usage_error(cmd_name, "%s", msg);
	fprintf(stderr, "lsio: %s\n", msg);
	return lsio_error_is_usage(err) ? LSIO_EXIT_USAGE : LSIO_EXIT_RUNTIME;
}

int cmd_load_job(struct lsio_ctx *ctx, const char *path, const char *chunks,
		 struct lsio_job **job)
{
	int ret = lsio_job_load(ctx, path, chunks, job);

	/* A job that cannot be read is as wrong as one that cannot be
	 * parsed: a usage error either way. */
	if (ret)
		cmd_fail(ctx, ret);
	return ret ? LSIO_EXIT_USAGE : 0;
}

void cmd_print_warnings(struct lsio_ctx *ctx)
{
	const char *w;

	while ((w = lsio_ctx_next_warning(ctx)))
		fprintf(stderr, "lsio: warning: %s\n", w);
}

/* --- progress and statistics -------------------------------------------- */

static bool progress_shown;
static double progress_t0;

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *cmd_human_bytes(char *buf, size_t cap, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

void cmd_progress(void *arg, uint64_t bytes_done, uint64_t bytes_total,
		  uint64_t chunks_done, uint64_t chunks_total)
{
	char done[32], total[32], rate[32], bar[31];
	double frac = bytes_total ? (double)bytes_done / (double)bytes_total :
		      chunks_total ? (double)chunks_done / (double)chunks_total : 1;
	double secs;
	int fill = (int)(frac * 30);

	if (!progress_shown)
		progress_t0 = seconds_now();
	progress_shown = true;
	secs = seconds_now() - progress_t0;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(30 - fill));
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %3.0f%%  %s / %s  %s/s  %llu/%llu chunks ", bar,
		frac * 100, cmd_human_bytes(done, sizeof(done), (double)bytes_done),
		cmd_human_bytes(total, sizeof(total), (double)bytes_total),
		/* Too early for a rate to mean anything: say nothing. */
		secs > 0.5 ? cmd_human_bytes(rate, sizeof(rate), bytes_done / secs) : "-",
		(unsigned long long)chunks_done, (unsigned long long)chunks_total);
}

void cmd_progress_end(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}

/* "lsio: remote: 120 requests (7 retries), 12.0 MiB received", then one
 * line per host: its throughput and its requests' latency. */
static void print_remote_stats(FILE *f, const struct lsio_stats *st, double secs)
{
	char rx[32], rate[32];

	fprintf(f, "lsio: remote: %llu requests (%llu retries), %s received\n",
		(unsigned long long)st->remote_requests,
		(unsigned long long)st->remote_retries,
		cmd_human_bytes(rx, sizeof(rx), (double)st->remote_bytes));
	for (uint32_t i = 0; i < st->nhosts; i++) {
		const struct lsio_host_stats *h = &st->hosts[i];

		fprintf(f, "lsio: remote: %s: %llu requests (%llu retries), %s/s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
			h->host, (unsigned long long)h->requests,
			(unsigned long long)h->retries,
			cmd_human_bytes(rate, sizeof(rate), (double)h->bytes / secs),
			h->latency[0] * 1e3, h->latency[1] * 1e3,
			h->latency[2] * 1e3);
	}
}

void cmd_print_stats(const struct lsio_stats *st, int mode, bool to_stdout)
{
	static const char *const direct[] = { "off", "on", "auto" };
	FILE *f = to_stdout ? stdout : stderr;
	char rd[32], rq[32], rate[32];
	double secs = st->wall_seconds > 0 ? st->wall_seconds : 1e-9;

	if (mode == 2) {
		char *json = lsio_stats_json(st);

		if (json)
			fprintf(f, "%s\n", json);
		free(json);
		return;
	}
	fprintf(f, "lsio: %llu chunks, %llu requests, %s read (%s requested) in %.3f s: %s/s; cpu %.3f s; %d workers x depth %d, %s backend, direct %s\n",
		(unsigned long long)st->chunks, (unsigned long long)st->requests,
		cmd_human_bytes(rd, sizeof(rd), (double)st->bytes_read),
		cmd_human_bytes(rq, sizeof(rq), (double)st->bytes_requested),
		st->wall_seconds,
		cmd_human_bytes(rate, sizeof(rate), (double)st->bytes_requested / secs),
		st->cpu_seconds, st->workers, st->queue_depth,
		st->backend ? st->backend : "none",
		st->direct >= 0 && st->direct <= 2 ? direct[st->direct] : "auto");
	if (st->chunks_missing)
		fprintf(f, "lsio: %llu of the chunks were absent and left as the fill value\n",
			(unsigned long long)st->chunks_missing);
	if (st->remote_requests)
		print_remote_stats(f, st, secs);
}
