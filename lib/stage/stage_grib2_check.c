/* SPDX-License-Identifier: MIT */
/*
 * stage_grib2_check.c - "grib2_check": the chunk must be exactly one
 * GRIB2 message: "GRIB" and edition 2 in section 0, a total length equal
 * to the chunk's length, and "7777" at its end.  The bytes pass through
 * untouched (in place).
 *
 * Why a stage: `lsio grib` trusts an inventory (.idx, .index) for where
 * messages start, and an inventory can be stale or wrong.  Checking the
 * bytes on the core that read them costs nothing and no request, where a
 * check at planning time would read every message's start twice.
 *
 * {"codec": "grib2_check", "message": "12"}: the message's number in its
 * inventory, said in errors (optional).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage.h"

struct grib2_check_params {
	char message[32];
};

static int grib2_check_parse(struct lsio_ctx *ctx, const char *path,
			     json_t *obj, void **params)
{
	struct grib2_check_params *p = calloc(1, sizeof(*p));
	json_t *m = obj ? json_object_get(obj, "message") : NULL;

	if (!p)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", path);
	if (m && (!json_is_string(m) ||
		  json_string_length(m) >= sizeof(p->message))) {
		free(p);
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: message must be a string of at most %zu bytes",
				 path, sizeof(p->message) - 1);
	}
	if (m)
		snprintf(p->message, sizeof(p->message), "%s",
			 json_string_value(m));
	*params = p;
	return 0;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* What the chunk's bytes say against a GRIB2 message; NULL when they
 * are one.  len(why) is enough for every message. */
static const char *grib2_check_bytes(const uint8_t *p, size_t n, char *why,
				     size_t cap)
{
	uint64_t total;

	if (n < 16 || memcmp(p, "GRIB", 4)) {
		snprintf(why, cap, "not the start of a GRIB message (no 'GRIB' at its offset)");
		return why;
	}
	if (p[7] != 2) {
		snprintf(why, cap, "GRIB edition %u, not 2", p[7]);
		return why;
	}
	total = be64(p + 8);
	if (total != n) {
		snprintf(why, cap, "%s: section 0 says %llu bytes, the inventory %zu",
			 total > n ? "truncated message" : "message shorter than its inventory entry",
			 (unsigned long long)total, n);
		return why;
	}
	if (memcmp(p + n - 4, "7777", 4)) {
		snprintf(why, cap, "truncated message: no '7777' at its end");
		return why;
	}
	return NULL;
}

static int grib2_check_run(struct lsio_stage_io *io)
{
	const struct grib2_check_params *p = io->params;
	char why[160];

	io->out = io->in;
	io->out_len = io->in_len;
	if (!grib2_check_bytes(io->in, io->in_len, why, sizeof(why)))
		return 0;
	if (p && p->message[0])
		return lsio_stage_fail(io, -LSIO_EDATA, "message %s: %s",
				       p->message, why);
	return lsio_stage_fail(io, -LSIO_EDATA, "%s", why);
}

static const char *const grib2_check_keys[] = { "message", NULL };

const struct lsio_stage_ops lsio_stage_grib2_check = {
	.name = "grib2_check",
	.keeps_size = true,
	.keys = grib2_check_keys,
	.parse = grib2_check_parse,
	.free_params = free,
	.run = grib2_check_run,
};
