/* SPDX-License-Identifier: MIT */
#ifndef LSIO_LATENCY_H
#define LSIO_LATENCY_H

#include "internal.h"

#define LSIO_LAT_SUB 32u
#define LSIO_LAT_BUCKETS (60u * LSIO_LAT_SUB)

struct lsio_latency {
	uint64_t count[LSIO_LAT_BUCKETS];
	uint64_t total;
};

uint64_t lsio_now_ns(void);		/* CLOCK_MONOTONIC */
double lsio_now_seconds(void);
double lsio_cpu_seconds(void);		/* user + system, whole process */
void lsio_latency_add(struct lsio_latency *h, uint64_t ns);
void lsio_latency_merge(struct lsio_latency *into, const struct lsio_latency *h);
/* The q-quantile (0..1) in seconds; 0 when empty. */
double lsio_latency_quantile(const struct lsio_latency *h, double q);

#endif
