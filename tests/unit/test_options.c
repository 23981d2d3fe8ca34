/* SPDX-License-Identifier: MIT */
/*
 * test_options.c - the tuning options through lsio.h alone:
 *   - lsio_option_info: every entry complete, its flag its key with '-'
 *     for '_', one line of help, NULL past the last;
 *   - lsio_options_set: a table of texts, by key and by flag, with the
 *     value each must give or the reason it must say, and opt untouched
 *     on failure;
 *   - the same value in a job's "storage" section: the job's message is
 *     "t.json: storage.KEY: " and the very reason lsio_options_set gave.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsio.h"
#include "unit.h"

#define OFF(f) offsetof(struct lsio_options, f)

#define SIZE_WHY(t) "invalid size '" t "' (expected bytes, or a number and a unit such as \"64KiB\")"

/* Texts that parse: the field at off then holds want (an int or an
 * int64_t; for backend, the library's own string equal to the text).
 * json is the same value in a job, which must take it too. */
static const struct {
	const char *key, *text, *json;
	size_t off;
	int64_t want;
} good[] = {
	{ "workers", "8", "8", OFF(workers), 8 },
	{ "workers", "1024", "1024", OFF(workers), 1024 },
	{ "queue-depth", "64", "64", OFF(queue_depth), 64 },
	{ "memory", "256MiB", "\"256MiB\"", OFF(memory), 256 << 20 },
	{ "memory", "64KiB", "65536", OFF(memory), 64 << 10 },
	{ "direct", "on", "true", OFF(direct), LSIO_DIRECT_ON },
	{ "direct", "off", "\"off\"", OFF(direct), LSIO_DIRECT_OFF },
	{ "direct", "auto", "\"auto\"", OFF(direct), LSIO_DIRECT_AUTO },
	{ "coalesce_gap", "off", "\"off\"", OFF(coalesce_gap), 0 },
	{ "coalesce-gap", "0", "0", OFF(coalesce_gap), 0 },
	{ "coalesce-gap", "1", "1", OFF(coalesce_gap), 1 },
	{ "coalesce-gap", "1MiB", "\"1 MiB\"", OFF(coalesce_gap), 1 << 20 },
	{ "max-request", "off", "0", OFF(max_request), 0 },
	{ "max_request", "8KiB", "\"8k\"", OFF(max_request), 8 << 10 },
	{ "split", "4KiB", "4096", OFF(split), 4 << 10 },
	{ "part_size", "8MiB", "\"8MiB\"", OFF(part_size), 8 << 20 },
	{ "backend", "pread", "\"pread\"", OFF(backend), 0 },
	{ "backend", "null", "\"null\"", OFF(backend), 0 },
	{ "s3.request_payer", "requester", "\"requester\"", OFF(request_payer), 1 },
	{ "s3.request_payer", "on", "true", OFF(request_payer), 1 },
	{ "s3.request_payer", "off", "false", OFF(request_payer), 0 },
};

/* Texts that do not: the reason, exactly.  json, when not NULL, is the
 * same value in a job, whose message must end in the same reason. */
static const struct {
	const char *key, *text, *json, *why;
} bad[] = {
	{ "workers", "0", "0", "0 is out of range (1..1024)" },
	{ "workers", "1025", "1025", "1025 is out of range (1..1024)" },
	{ "workers", "-1", "-1", "-1 is out of range (1..1024)" },
	{ "workers", "99999999999999999999", NULL,
	  "99999999999999999999 is out of range (1..1024)" },
	/* A job's integer is a JSON integer: "expected an integer". */
	{ "workers", "two", NULL, "expected an integer, got 'two'" },
	{ "workers", "4x", NULL, "expected an integer, got '4x'" },
	{ "workers", "", NULL, "expected an integer, got ''" },
	{ "workers", " 4", NULL, "expected an integer, got ' 4'" },
	{ "queue_depth", "4097", "4097", "4097 is out of range (1..4096)" },
	{ "memory", "1KiB", "\"1KiB\"", "1024 is below the minimum 65536" },
	{ "memory", "0", "0", "0 is below the minimum 65536" },
	{ "memory", "off", "\"off\"", "cannot be 'off'" },
	{ "memory", "1x", "\"1x\"", SIZE_WHY("1x") },
	{ "memory", "-5", "\"-5\"", SIZE_WHY("-5") },
	{ "direct", "aut", "\"aut\"", "unknown value 'aut' (did you mean 'auto'?)" },
	{ "direct", "maybe", "\"maybe\"",
	  "unknown value 'maybe' (expected off, on or auto)" },
	{ "max_request", "100", "100",
	  "100 is below the minimum 4096 (0 or \"off\" turns it off)" },
	{ "split", "1ZB", "\"1ZB\"", SIZE_WHY("1ZB") },
	{ "part-size", "0", "0", "0 is below the minimum 4096" },
	{ "part-size", "off", "\"off\"", "cannot be 'off'" },
	{ "backend", "io_uring", "\"io_uring\"",
	  "unknown value 'io_uring' (expected uring, pread or null)" },
	{ "backend", "pred", "\"pred\"", "unknown value 'pred' (did you mean 'pread'?)" },
	{ "s3.request_payer", "owner", "\"owner\"",
	  "unknown value 'owner' (expected requester, on or off)" },
	{ "s3.request_payer", "1", NULL, "unknown value '1' (expected requester, on or off)" },
	/* keys: the hint in the spelling of the key */
	{ "memroy", "1G", "\"1G\"", "unknown key 'memroy' (did you mean 'memory'?)" },
	{ "queue-dpeth", "1", NULL,
	  "unknown key 'queue-dpeth' (did you mean 'queue-depth'?)" },
	{ "threads", "1", "1", "unknown key 'threads'" },
	/* not a tuning option: a field set in the struct itself */
	{ "output", "x.npy", NULL, "unknown key 'output'" },
};

static void test_info(void)
{
	const struct lsio_option_info *in;
	size_t i;

	for (i = 0; (in = lsio_option_info(i)); i++) {
		char flag[64];
		size_t n;

		CHECK(in->key && in->flag && in->metavar && in->help,
		      "option %zu: a field is NULL", i);
		if (!in->key || !in->flag || !in->metavar || !in->help)
			continue;
		/* "s3.request_payer": a key of storage.s3, flag request-payer */
		snprintf(flag, sizeof(flag), "%s",
			 strrchr(in->key, '.') ? strrchr(in->key, '.') + 1 : in->key);
		for (char *p = flag; *p; p++)
			if (*p == '_')
				*p = '-';
		CHECK(!strcmp(flag, in->flag), "%s: flag '%s'", in->key,
		      in->flag);
		n = strlen(in->help);
		CHECK(n > 10 && !strchr(in->help, '\n') &&
		      in->help[n - 1] != '.', "%s: help '%s'", in->key,
		      in->help);
		CHECK(*in->metavar, "%s: no metavar", in->key);
	}
	CHECK(i == 10, "%zu options, expected 10", i);
	CHECK(!lsio_option_info(i) && !lsio_option_info(SIZE_MAX),
	      "past the last: not NULL");
}

static int64_t field_value(const struct lsio_options *o, size_t off)
{
	const char *p = (const char *)o + off;

	if (off == OFF(memory) || off == OFF(coalesce_gap) ||
	    off == OFF(max_request) || off == OFF(split) ||
	    off == OFF(part_size))
		return *(const int64_t *)(const void *)p;
	return *(const int *)(const void *)p;
}

/* Load a null-output job whose storage is {key (with '_'): json}, or for
 * "s3.key" {"s3": {key: json}}; its return value, and the message in
 * ctx. */
static int load_storage(struct lsio_ctx *ctx, const char *key,
			const char *json, char *name, size_t cap)
{
	struct lsio_job *j = NULL;
	char job[512], value[256];
	const char *dot;
	int ret;

	snprintf(name, cap, "%s", key);
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	dot = strchr(name, '.');
	if (dot)
		snprintf(value, sizeof(value), "{\"%s\": %s}", dot + 1, json);
	else
		snprintf(value, sizeof(value), "%s", json);
	snprintf(job, sizeof(job),
		 "{\"lsio\": 1, \"output\": {\"type\": \"null\"}, \"storage\": {\"%.*s\": %s}, \"chunks\": []}",
		 dot ? (int)(dot - name) : (int)strlen(name), name, value);
	ret = lsio_job_load_string(ctx, job, "t.json", &j);
	lsio_job_free(j);
	return ret;
}

static void test_good(struct lsio_ctx *ctx)
{
	char name[64], why[256], text[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct lsio_options o;
		int ret;

		lsio_options_init(&o, sizeof(o));
		why[0] = '\0';
		/* A copy the library must not keep a pointer to. */
		snprintf(text, sizeof(text), "%s", good[i].text);
		ret = lsio_options_set(&o, good[i].key, text, why,
				       sizeof(why));
		memset(text, 0, sizeof(text));
		CHECK(ret == 0, "%s=%s: %d (%s)", good[i].key, good[i].text,
		      ret, why);
		if (good[i].off == OFF(backend))
			CHECK(o.backend && !strcmp(o.backend, good[i].text),
			      "%s=%s: backend not the library's name",
			      good[i].key, good[i].text);
		else
			CHECK(field_value(&o, good[i].off) == good[i].want,
			      "%s=%s: %lld, expected %lld", good[i].key,
			      good[i].text,
			      (long long)field_value(&o, good[i].off),
			      (long long)good[i].want);
		ret = load_storage(ctx, good[i].key, good[i].json, name,
				   sizeof(name));
		CHECK(ret == 0, "storage.%s = %s: %s", name, good[i].json,
		      lsio_ctx_message(ctx));
	}
}

/* The reason, and opt untouched; the job's message the same reason after
 * "t.json: storage.KEY: " (an unknown key: "t.json: storage: "). */
static void test_bad(struct lsio_ctx *ctx)
{
	char name[64], why[256], want[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lsio_options o, before;
		int ret;

		lsio_options_init(&o, sizeof(o));
		before = o;
		why[0] = '\0';
		ret = lsio_options_set(&o, bad[i].key, bad[i].text, why,
				       sizeof(why));
		CHECK(ret == -LSIO_EUSAGE && !strcmp(why, bad[i].why),
		      "%s=%s: %d '%s', expected '%s'", bad[i].key,
		      bad[i].text, ret, why, bad[i].why);
		CHECK(!memcmp(&o, &before, sizeof(o)),
		      "%s=%s: opt changed on failure", bad[i].key,
		      bad[i].text);
		if (!bad[i].json)
			continue;
		ret = load_storage(ctx, bad[i].key, bad[i].json, name,
				   sizeof(name));
		if (!strncmp(bad[i].why, "unknown key", 11))
			snprintf(want, sizeof(want), "t.json: storage: %s",
				 bad[i].why);
		else
			snprintf(want, sizeof(want), "t.json: storage.%s: %s",
				 name, bad[i].why);
		CHECK(ret == -LSIO_EJOB && !strcmp(lsio_ctx_message(ctx), want),
		      "storage.%s = %s: '%s', expected '%s'", name,
		      bad[i].json, lsio_ctx_message(ctx), want);
	}
}

/* What is no option: NULLs, a struct lsio_options not sized by
 * lsio_options_init, a NULL why. */
static void test_refused(void)
{
	struct lsio_options o;
	char why[256] = "";

	lsio_options_init(&o, sizeof(o));
	CHECK(lsio_options_set(NULL, "workers", "1", why, sizeof(why)) ==
	      -LSIO_EUSAGE, "NULL opt");
	CHECK(lsio_options_set(&o, NULL, "1", why, sizeof(why)) ==
	      -LSIO_EUSAGE, "NULL key");
	CHECK(lsio_options_set(&o, "workers", NULL, why, sizeof(why)) ==
	      -LSIO_EUSAGE && !strcmp(why, "lsio_options_set: no value"),
	      "NULL text: %s", why);
	CHECK(lsio_options_set(&o, "workers", "0", NULL, 0) == -LSIO_EUSAGE,
	      "NULL why");
	CHECK(lsio_options_set(&o, "workers", "0", why, 8) == -LSIO_EUSAGE &&
	      !strcmp(why, "0 is ou"), "why cut short: '%s'", why);
	o.size = 0;
	CHECK(lsio_options_set(&o, "workers", "2", why, sizeof(why)) ==
	      -LSIO_EUSAGE && strstr(why, "lsio_options_init") &&
	      o.workers == -1, "unsized: %s", why);
}

int main(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();

	if (!ctx)
		return 1;
	test_info();
	test_good(ctx);
	test_bad(ctx);
	test_refused();
	lsio_ctx_free(ctx);
	return unit_done("test_options");
}
