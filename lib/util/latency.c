/* SPDX-License-Identifier: MIT */
/*
 * latency.c - a log-linear histogram of chunk latencies (HdrHistogram's
 * idea, 32 linear sub-buckets per power of two: within 3%), one per
 * worker so recording takes no lock; merged when the run ends.  Also
 * the clocks the engine and lsio bench time themselves with.
 */
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "util/latency.h"

static unsigned bucket_of(uint64_t ns)
{
	unsigned log, sub;

	if (ns < LSIO_LAT_SUB)
		return (unsigned)ns;
	log = 63u - (unsigned)__builtin_clzll(ns);	/* >= 5 */
	sub = (unsigned)(ns >> (log - 5)) & (LSIO_LAT_SUB - 1);
	return MIN((log - 4) * LSIO_LAT_SUB + sub, LSIO_LAT_BUCKETS - 1);
}

static uint64_t bucket_value(unsigned b)
{
	unsigned log = b / LSIO_LAT_SUB, sub = b % LSIO_LAT_SUB;

	if (!log)
		return sub;
	return (uint64_t)(LSIO_LAT_SUB + sub) << (log - 1);
}

double lsio_now_seconds(void)
{
	return (double)lsio_now_ns() / 1e9;
}

double lsio_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

uint64_t lsio_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void lsio_latency_add(struct lsio_latency *h, uint64_t ns)
{
	h->count[bucket_of(ns)]++;
	h->total++;
}

void lsio_latency_merge(struct lsio_latency *into, const struct lsio_latency *h)
{
	for (unsigned i = 0; i < LSIO_LAT_BUCKETS; i++)
		into->count[i] += h->count[i];
	into->total += h->total;
}

double lsio_latency_quantile(const struct lsio_latency *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->total), seen = 0;

	for (unsigned i = 0; i < LSIO_LAT_BUCKETS && h->total; i++) {
		seen += h->count[i];
		if (seen > want)
			return (double)bucket_value(i) / 1e9;
	}
	return 0;
}
