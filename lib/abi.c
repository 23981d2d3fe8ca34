/* SPDX-License-Identifier: MIT */
/*
 * abi.c - the public structures that carry their size (struct lsio_options
 * in, struct lsio_stats out), so that a program built against an older
 * lsio.h keeps working with a newer library: what the caller's struct
 * lacks is "not set" on the way in and left out on the way out.  Fields
 * are only ever added at the end.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* The first versions' sizes: anything smaller was not made by
 * lsio_options_init() (or is no lsio_stats the caller sized). */
#define OPTIONS_SIZE_V1 (offsetof(struct lsio_options, progress_arg) + \
			 sizeof(void *))
#define STATS_SIZE_V1 (offsetof(struct lsio_stats, committed) + sizeof(int))

static void options_defaults(struct lsio_options *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->workers = -1;
	o->queue_depth = -1;
	o->memory = -1;
	o->direct = LSIO_DIRECT_UNSET;
	o->coalesce_gap = -1;
	o->max_request = -1;
	o->split = -1;
	o->part_size = -1;
	o->no_sign_request = -1;
	o->missing_403 = -1;
	o->skip_fill = -1;
	o->request_payer = -1;
}

void lsio_options_init(struct lsio_options *opt, size_t size)
{
	struct lsio_options o;

	options_defaults(&o);
	o.size = MIN(size, sizeof(o));
	memcpy(opt, &o, o.size);
}

int lsio_options_size_why(const struct lsio_options *opt, char *why,
			  size_t cap)
{
	if (opt->size >= OPTIONS_SIZE_V1 && opt->size <= sizeof(*opt))
		return 0;
	return lsio_why(why, cap, -LSIO_EUSAGE,
			"struct lsio_options of %zu bytes: this library knows %zu; start from lsio_options_init(&opt, sizeof(opt))",
			opt->size, sizeof(*opt));
}

int lsio_options_import(struct lsio_ctx *ctx,
			const struct lsio_options **opt,
			struct lsio_options *copy)
{
	const struct lsio_options *in = *opt;
	char why[LSIO_MSG_MAX];

	if (!in)
		return 0;
	if (lsio_options_size_why(in, why, sizeof(why)))
		return lsio_fail(ctx, -LSIO_EUSAGE, "%s", why);
	options_defaults(copy);
	memcpy(copy, in, in->size);
	copy->size = sizeof(*copy);
	*opt = copy;
	return 0;
}

int lsio_stats_check(struct lsio_ctx *ctx, const struct lsio_stats *st)
{
	if (!st || st->size >= STATS_SIZE_V1)
		return 0;
	return lsio_fail(ctx, -LSIO_EUSAGE,
			 "struct lsio_stats of %zu bytes: set stats.size to sizeof(struct lsio_stats) (%zu here)",
			 st->size, sizeof(*st));
}

void lsio_stats_export(const struct lsio_stats *from, struct lsio_stats *to)
{
	size_t n = MIN(to->size, sizeof(*from));

	memcpy(to, from, n);
	to->size = n;
}

void lsio_stats_import(const struct lsio_stats *from, struct lsio_stats *to)
{
	memset(to, 0, sizeof(*to));
	memcpy(to, from, MIN(from->size, sizeof(*to)));
	to->size = sizeof(*to);
}
