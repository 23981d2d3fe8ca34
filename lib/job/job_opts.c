/* SPDX-License-Identifier: MIT */
/*
 * job_opts.c - the job's "storage" section, driven by one option table.
 *
 * Every tunable is one entry below (after fio's option table): its key,
 * type, bounds, whether "off" is allowed, where it lives in struct
 * lsio_settings and struct lsio_options, and a line of help.  Parsing,
 * range checks, "did you mean" and merging command-line options over the
 * job all walk this table, so a new setting is one entry plus its fields.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "job/job.h"

#define SET(field) offsetof(struct lsio_settings, field)
#define OPT(field) offsetof(struct lsio_options, field)
#define KiB 1024ll
#define BOTH (LSIO_OPT_GLOBAL | LSIO_OPT_SCOPED)

static const struct lsio_opt_choice direct_choices[] = {
	{ "off", LSIO_DIRECT_OFF }, { "on", LSIO_DIRECT_ON },
	{ "auto", LSIO_DIRECT_AUTO }, { NULL, 0 }
};

static const struct lsio_opt_choice backend_choices[] = {
	{ "uring", 0 }, { "pread", 0 }, { "null", 0 }, { NULL, 0 }
};

static const struct lsio_opt lsio_opts[] = {
	{ "workers", LSIO_OPT_INT, LSIO_OPT_GLOBAL, 1, 1024, false, NULL,
	  SET(workers), OPT(workers),
	  "worker threads (default: one per CPU it may use)" },
	{ "queue_depth", LSIO_OPT_INT, BOTH, 1, 4096, false, NULL,
	  SET(queue_depth), OPT(queue_depth),
	  "reads in flight per worker" },
	{ "memory", LSIO_OPT_SIZE, LSIO_OPT_GLOBAL, 64 * KiB, INT64_MAX,
	  false, NULL, SET(memory), OPT(memory),
	  "bytes of read buffers in flight, all workers together" },
	{ "direct", LSIO_OPT_CHOICE, BOTH, 0, 0, false, direct_choices,
	  SET(direct), OPT(direct),
	  "O_DIRECT for local files: on, off or auto" },
	{ "coalesce_gap", LSIO_OPT_SIZE, BOTH, 0, INT64_MAX, true, NULL,
	  SET(coalesce_gap), OPT(coalesce_gap),
	  "merge reads of one source this close together (off: never)" },
	{ "max_request", LSIO_OPT_SIZE, BOTH, 4 * KiB, INT64_MAX, true, NULL,
	  SET(max_request), OPT(max_request),
	  "largest merged read (off: no limit)" },
	{ "split", LSIO_OPT_SIZE, BOTH, 4 * KiB, INT64_MAX, true, NULL,
	  SET(split), OPT(split),
	  "split reads larger than this (off: never)" },
	{ "part_size", LSIO_OPT_SIZE, BOTH, 4 * KiB, INT64_MAX, false, NULL,
	  SET(part_size), OPT(part_size),
	  "size of the parts a split read is cut into" },
	{ "backend", LSIO_OPT_NAME, LSIO_OPT_GLOBAL, 0, 0, false,
	  backend_choices, SET(backend), OPT(backend),
	  "how local files are read: uring, pread or null" },
};

const struct lsio_opt *lsio_settings_table(size_t *n)
{
	*n = ARRAY_SIZE(lsio_opts);
	return lsio_opts;
}

static void *field(void *base, size_t off)
{
	return (char *)base + off;
}

void lsio_settings_init(struct lsio_settings *s)
{
	memset(s, 0, sizeof(*s));
	lsio_remote_settings_init(&s->remote);
	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++) {
		const struct lsio_opt *o = &lsio_opts[i];

		if (o->type == LSIO_OPT_SIZE)
			*(int64_t *)field(s, o->off) = -1;
		else if (o->type != LSIO_OPT_NAME)
			*(int *)field(s, o->off) = -1;
	}
}

void lsio_settings_release(struct lsio_settings *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++)
		if (lsio_opts[i].type == LSIO_OPT_NAME)
			free(*(char **)field(s, lsio_opts[i].off));
	for (int c = 0; c < LSIO_CLASS_COUNT; c++) {
		if (s->classes[c])
			lsio_settings_release(s->classes[c]);
		free(s->classes[c]);
	}
	for (uint32_t i = 0; i < s->nprefixes; i++) {
		free(s->prefixes[i].prefix);
		lsio_settings_release(&s->prefixes[i].s);
	}
	free(s->prefixes);
	lsio_remote_settings_release(&s->remote);
	lsio_settings_init(s);
}

void lsio_settings_apply(const struct lsio_settings *s,
			 struct lsio_options *opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++) {
		const struct lsio_opt *o = &lsio_opts[i];
		void *from = field((void *)s, o->off);
		void *to = field(opt, o->opt_off);

		if (o->type == LSIO_OPT_SIZE) {
			if (*(int64_t *)to < 0)
				*(int64_t *)to = *(int64_t *)from;
		} else if (o->type == LSIO_OPT_NAME) {
			if (!*(const char **)to)
				*(const char **)to = *(char **)from;
		} else if (*(int *)to < 0) {
			*(int *)to = *(int *)from;
		}
	}
}

/* "on, off or auto", for messages. */
static void choice_list(const struct lsio_opt_choice *c, char *buf,
			size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; c[i].name && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					i == 0 ? "" : c[i + 1].name ? ", " : " or ",
					c[i].name);
}

static int set_int(struct lsio_ctx *ctx, const char *path,
		   const struct lsio_opt *o, json_t *v, void *dst)
{
	json_int_t i;

	if (!json_is_integer(v))
		return lsio_fail(ctx, -LSIO_EJOB, "%s: expected an integer",
				 path);
	i = json_integer_value(v);
	if (i < o->min || i > o->max)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: %" JSON_INTEGER_FORMAT
				 " is out of range (%" PRId64 "..%" PRId64 ")",
				 path, i, o->min, o->max);
	*(int *)dst = (int)i;
	return 0;
}

static int set_size(struct lsio_ctx *ctx, const char *path,
		    const struct lsio_opt *o, json_t *v, void *dst)
{
	uint64_t n;
	int ret;

	if (json_is_string(v) && !strcmp(json_string_value(v), "off")) {
		if (!o->off_ok)
			return lsio_fail(ctx, -LSIO_EJOB,
					 "%s: cannot be 'off'", path);
		*(int64_t *)dst = 0;
		return 0;
	}
	ret = lsio_json_size(ctx, path, v, &n);
	if (ret)
		return ret;
	if (n == 0 && o->off_ok) {
		*(int64_t *)dst = 0;
		return 0;
	}
	if ((int64_t)n < o->min)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: %" PRIu64 " is below the minimum %" PRId64
				 "%s", path, n, o->min,
				 o->off_ok ? " (0 or \"off\" turns it off)" : "");
	*(int64_t *)dst = (int64_t)n;
	return 0;
}

static int bad_choice(struct lsio_ctx *ctx, const char *path,
		      const struct lsio_opt *o, const char *s)
{
	const char *names[16];
	const char *hint;
	char list[128];
	size_t n = 0;

	for (; n < ARRAY_SIZE(names) - 1 && o->choices[n].name; n++)
		names[n] = o->choices[n].name;
	names[n] = NULL;
	choice_list(o->choices, list, sizeof(list));
	hint = s ? lsio_did_you_mean(s, names) : NULL;
	if (hint)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: unknown value '%s' (did you mean '%s'?)",
				 path, s, hint);
	if (s)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: unknown value '%s' (expected %s)", path,
				 s, list);
	return lsio_fail(ctx, -LSIO_EJOB, "%s: expected %s", path, list);
}

static int set_choice(struct lsio_ctx *ctx, const char *path,
		      const struct lsio_opt *o, json_t *v, void *dst)
{
	const char *s = NULL;
	size_t i;

	/* true/false read as on/off, where those are choices. */
	if (json_is_boolean(v))
		s = json_is_true(v) ? "on" : "off";
	else if (json_is_string(v))
		s = json_string_value(v);
	for (i = 0; s && o->choices[i].name; i++)
		if (!strcmp(o->choices[i].name, s))
			break;
	if (!s || !o->choices[i].name)
		return bad_choice(ctx, path, o,
				  json_is_string(v) ? s : NULL);
	if (o->type == LSIO_OPT_CHOICE) {
		*(int *)dst = o->choices[i].value;
		return 0;
	}
	free(*(char **)dst);
	*(char **)dst = strdup(s);
	if (!*(char **)dst)
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", path);
	return 0;
}

static const struct lsio_opt *opt_find(const char *key, unsigned scope)
{
	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++)
		if ((lsio_opts[i].scope & scope) &&
		    !strcmp(lsio_opts[i].key, key))
			return &lsio_opts[i];
	return NULL;
}

static int unknown_key(struct lsio_ctx *ctx, const char *where,
		       const char *key, unsigned scope)
{
	const char *keys[ARRAY_SIZE(lsio_opts) + 1];
	const char *hint;
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++)
		if (lsio_opts[i].scope & scope)
			keys[n++] = lsio_opts[i].key;
	keys[n] = NULL;
	hint = lsio_did_you_mean(key, keys);
	if (hint)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: unknown key '%s' (did you mean '%s'?)",
				 where, key, hint);
	return lsio_fail(ctx, -LSIO_EJOB, "%s: unknown key '%s'", where, key);
}

static int settings_parse_object(struct lsio_ctx *ctx, const char *where,
				 json_t *obj, unsigned scope,
				 struct lsio_settings *out);

/* "classes": {"ssd": {...}, "hdd": {...}}: per storage class. */
static int classes_parse(struct lsio_ctx *ctx, const char *where, json_t *v,
			 struct lsio_settings *out)
{
	const char *names[LSIO_CLASS_COUNT + 1], *key, *hint;
	char path[LSIO_MSG_MAX];
	json_t *obj;
	int c;

	for (c = 0; c < LSIO_CLASS_COUNT; c++)
		names[c] = lsio_class_name(c);
	names[c] = NULL;
	if (!json_is_object(v))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.classes: expected an object of storage classes", where);
	json_object_foreach(v, key, obj) {
		for (c = 0; c < LSIO_CLASS_COUNT && strcmp(names[c], key); c++)
			;
		if (c == LSIO_CLASS_COUNT) {
			hint = lsio_did_you_mean(key, names);
			return lsio_fail(ctx, -LSIO_EJOB,
				"%s.classes: unknown storage class '%s'%s%s%s", where, key,
				hint ? " (did you mean '" : " (ssd, hdd, memory, netfs, parallelfs or remote",
				hint ? hint : "", hint ? "'?)" : ")");
		}
		out->classes[c] = malloc(sizeof(*out->classes[c]));
		if (!out->classes[c])
			return lsio_fail(ctx, -ENOMEM, "out of memory");
		lsio_settings_init(out->classes[c]);
		snprintf(path, sizeof(path), "%s.classes.%s", where, key);
		if (settings_parse_object(ctx, path, obj, LSIO_OPT_SCOPED,
					  out->classes[c]))
			return -LSIO_EJOB;
	}
	return 0;
}

/* "prefixes": {"/scratch/": {...}}: for sources whose path starts so. */
static int prefixes_parse(struct lsio_ctx *ctx, const char *where, json_t *v,
			  struct lsio_settings *out)
{
	char path[LSIO_MSG_MAX];
	const char *key;
	json_t *obj;

	if (!json_is_object(v))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s.prefixes: expected an object of path prefixes", where);
	out->prefixes = calloc(json_object_size(v) + 1, sizeof(*out->prefixes));
	if (!out->prefixes)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	json_object_foreach(v, key, obj) {
		struct lsio_storage_prefix *px = &out->prefixes[out->nprefixes];

		lsio_settings_init(&px->s);
		px->prefix = strdup(key);
		out->nprefixes++;
		if (!px->prefix)
			return lsio_fail(ctx, -ENOMEM, "out of memory");
		snprintf(path, sizeof(path), "%s.prefixes[\"%s\"]", where, key);
		if (settings_parse_object(ctx, path, obj, LSIO_OPT_SCOPED, &px->s))
			return -LSIO_EJOB;
	}
	return 0;
}

/* Parse one object of settings at where ("job.json: storage"); the
 * per-class and per-prefix objects use the scoped keys only. */
static int settings_parse_object(struct lsio_ctx *ctx, const char *where,
				 json_t *obj, unsigned scope,
				 struct lsio_settings *out)
{
	char path[LSIO_MSG_MAX];
	const char *key;
	json_t *v;
	int ret;

	if (!json_is_object(obj))
		return lsio_fail(ctx, -LSIO_EJOB, "%s: expected an object",
				 where);
	json_object_foreach(obj, key, v) {
		const struct lsio_opt *o = opt_find(key, scope);
		void *dst;

		if (scope == LSIO_OPT_GLOBAL && !strcmp(key, "classes")) {
			ret = classes_parse(ctx, where, v, out);
			if (ret)
				return ret;
			continue;
		}
		if (scope == LSIO_OPT_GLOBAL && !strcmp(key, "prefixes")) {
			ret = prefixes_parse(ctx, where, v, out);
			if (ret)
				return ret;
			continue;
		}
		/* "s3", "http", "retry": how remote sources are reached. */
		if (scope == LSIO_OPT_GLOBAL && !o) {
			ret = lsio_remote_settings_parse(ctx, where, key, v,
							 &out->remote);
			if (ret <= 0) {
				if (ret)
					return ret;
				continue;
			}
		}
		if (!o)
			return unknown_key(ctx, where, key, scope);
		snprintf(path, sizeof(path), "%s.%s", where, key);
		dst = field(out, o->off);
		switch (o->type) {
		case LSIO_OPT_INT:
			ret = set_int(ctx, path, o, v, dst);
			break;
		case LSIO_OPT_SIZE:
			ret = set_size(ctx, path, o, v, dst);
			break;
		default:
			ret = set_choice(ctx, path, o, v, dst);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

int lsio_settings_parse(struct lsio_ctx *ctx, const char *name,
			json_t *storage, struct lsio_settings *out)
{
	char where[LSIO_MSG_MAX / 2];	/* leaves room for ".key" */

	snprintf(where, sizeof(where), "%s: storage", name);
	return settings_parse_object(ctx, where, storage, LSIO_OPT_GLOBAL,
				     out);
}

/* --- storage class names (the planner's classes, the table's scopes) --- */

const char *lsio_class_name(enum lsio_storage_class c)
{
	static const char *const names[LSIO_CLASS_COUNT] = {
		[LSIO_CLASS_SSD] = "ssd",
		[LSIO_CLASS_HDD] = "hdd",
		[LSIO_CLASS_MEMORY] = "memory",
		[LSIO_CLASS_NETFS] = "netfs",
		[LSIO_CLASS_PARALLELFS] = "parallelfs",
		[LSIO_CLASS_REMOTE] = "remote",
	};

	if ((unsigned)c >= LSIO_CLASS_COUNT)
		return "unknown";
	return names[c];
}
