/* SPDX-License-Identifier: MIT */
/*
 * job_opts.c - the job's "storage" section, driven by one option table.
 *
 * Every tunable is one entry below (after fio's option table): its key
 * and flag, type, bounds, whether "off" is allowed, where it lives in
 * struct lsio_settings and struct lsio_options, and a line of help.
 * Parsing a job's values and lsio_options_set()'s text, range checks,
 * "did you mean", merging options over the job, and the lsio tool's
 * tuning flags and their --help (through lsio_option_info) all walk this
 * table, so a new setting is one entry plus its fields.
 */
#include <ctype.h>
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

/* aws-cli's --request-payer takes "requester"; a job's true is "on". */
static const struct lsio_opt_choice payer_choices[] = {
	{ "requester", 1 }, { "on", 1 }, { "off", 0 }, { NULL, 0 }
};

static const struct lsio_opt_choice backend_choices[] = {
	{ "uring", 0 }, { "pread", 0 }, { "null", 0 }, { NULL, 0 }
};

/* The help lines are what lsio --help prints beside --FLAG METAVAR, and
 * say the same as lsio-job(5) and lsio(1) in fewer words. */
static const struct lsio_opt lsio_opts[] = {
	{ { "workers", "workers", "N",
	    "worker threads (default: one per CPU it may use)" },
	  LSIO_OPT_INT, LSIO_OPT_GLOBAL, 1, 1024, false, NULL,
	  SET(workers), OPT(workers) },
	{ { "queue_depth", "queue-depth", "N",
	    "reads in flight per worker (default: per storage class)" },
	  LSIO_OPT_INT, BOTH, 1, 4096, false, NULL,
	  SET(queue_depth), OPT(queue_depth) },
	{ { "memory", "memory", "SIZE",
	    "memory for the bytes in flight, all workers together (default: 32MiB per worker, 64MiB with remote sources)" },
	  LSIO_OPT_SIZE, LSIO_OPT_GLOBAL, 64 * KiB, INT64_MAX, false, NULL,
	  SET(memory), OPT(memory) },
	{ { "direct", "direct", "on|off|auto",
	    "O_DIRECT reads of local disks; auto reads cached ranges buffered (default: auto)" },
	  LSIO_OPT_CHOICE, BOTH, 0, 0, false, direct_choices,
	  SET(direct), OPT(direct) },
	{ { "coalesce_gap", "coalesce-gap", "SIZE",
	    "merge reads of one source at most SIZE apart; 0 or off: never (default: per storage class)" },
	  LSIO_OPT_SIZE, BOTH, 0, INT64_MAX, true, NULL,
	  SET(coalesce_gap), OPT(coalesce_gap) },
	{ { "max_request", "max-request", "SIZE",
	    "largest merged read; 0 or off: no limit" },
	  LSIO_OPT_SIZE, BOTH, 4 * KiB, INT64_MAX, true, NULL,
	  SET(max_request), OPT(max_request) },
	{ { "split", "split", "SIZE",
	    "split reads larger than SIZE into parts; 0 or off: never" },
	  LSIO_OPT_SIZE, BOTH, 4 * KiB, INT64_MAX, true, NULL,
	  SET(split), OPT(split) },
	{ { "part_size", "part-size", "SIZE",
	    "size of the parts a split read is cut into" },
	  LSIO_OPT_SIZE, BOTH, 4 * KiB, INT64_MAX, false, NULL,
	  SET(part_size), OPT(part_size) },
	{ { "backend", "backend", "NAME",
	    "how local files are read: uring (default), pread, or null (reads nothing)" },
	  LSIO_OPT_NAME, LSIO_OPT_GLOBAL, 0, 0, false, backend_choices,
	  SET(backend), OPT(backend) },
	/* "s3.KEY": KEY of the storage section's "s3" object. */
	{ { "s3.request_payer", "request-payer", "requester",
	    "s3:// requests are paid by the requester (requester-pays buckets; default: the owner)" },
	  LSIO_OPT_CHOICE, LSIO_OPT_GLOBAL, 0, 0, false, payer_choices,
	  SET(request_payer), OPT(request_payer) },
};

const struct lsio_option_info *lsio_option_info(size_t i)
{
	return i < ARRAY_SIZE(lsio_opts) ? &lsio_opts[i].info : NULL;
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
				*(const char **)to = *(const char **)from;
		} else if (*(int *)to < 0) {
			*(int *)to = *(int *)from;
		}
	}
}

/* --- one value: from JSON (a job) or text (lsio_options_set) ------------
 *
 * Both say what is wrong in why, without the value's name: the job puts
 * "job.json: storage.KEY: " before it, lsio "--FLAG: ", so a bad value
 * reads the same in both.  A value parses to an int64_t: the integer, the
 * size, or a choice's index; opt_store() puts it in place. */

static int out_of_range(const struct lsio_opt *o, const char *text,
			char *why, size_t cap)
{
	return lsio_why(why, cap, -1,
			"%s is out of range (%" PRId64 "..%" PRId64 ")", text,
			o->min, o->max);
}

static int int_check(const struct lsio_opt *o, int64_t i, int64_t *v,
		     char *why, size_t cap)
{
	char text[24];

	if (i < o->min || i > o->max) {
		snprintf(text, sizeof(text), "%" PRId64, i);
		return out_of_range(o, text, why, cap);
	}
	*v = i;
	return 0;
}

static int int_text(const struct lsio_opt *o, const char *s, int64_t *v,
		    char *why, size_t cap)
{
	char *end;
	long long i;

	errno = 0;
	i = strtoll(s, &end, 10);
	if (end == s || *end || isspace((unsigned char)*s))
		return lsio_why(why, cap, -1, "expected an integer, got '%s'",
				s);
	if (errno == ERANGE)
		return out_of_range(o, s, why, cap);
	return int_check(o, i, v, why, cap);
}

static int size_off(const struct lsio_opt *o, int64_t *v, char *why,
		    size_t cap)
{
	if (!o->off_ok)
		return lsio_why(why, cap, -1, "cannot be 'off'");
	*v = 0;
	return 0;
}

static int size_check(const struct lsio_opt *o, uint64_t n, int64_t *v,
		      char *why, size_t cap)
{
	if (n == 0 && o->off_ok) {
		*v = 0;
		return 0;
	}
	if ((int64_t)n < o->min)
		return lsio_why(why, cap, -1,
				"%" PRIu64 " is below the minimum %" PRId64 "%s",
				n, o->min,
				o->off_ok ? " (0 or \"off\" turns it off)" : "");
	*v = (int64_t)n;
	return 0;
}

static int size_text(const struct lsio_opt *o, const char *s, int64_t *v,
		     char *why, size_t cap)
{
	uint64_t n;

	if (!strcmp(s, "off"))
		return size_off(o, v, why, cap);
	if (lsio_size_why(s, &n, why, cap))
		return -1;
	return size_check(o, n, v, why, cap);
}

static int size_json(const struct lsio_opt *o, json_t *j, int64_t *v,
		     char *why, size_t cap)
{
	uint64_t n;

	if (json_is_string(j) && !strcmp(json_string_value(j), "off"))
		return size_off(o, v, why, cap);
	if (lsio_json_size_why(j, &n, why, cap))
		return -1;
	return size_check(o, n, v, why, cap);
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

/* s is not one of o's choices (NULL: the value is no string at all). */
static int bad_choice(const struct lsio_opt *o, const char *s, char *why,
		      size_t cap)
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
		return lsio_why(why, cap, -1,
				"unknown value '%s' (did you mean '%s'?)", s,
				hint);
	if (s)
		return lsio_why(why, cap, -1,
				"unknown value '%s' (expected %s)", s, list);
	return lsio_why(why, cap, -1, "expected %s", list);
}

static bool choice_find(const struct lsio_opt *o, const char *s,
			int64_t *v)
{
	for (size_t i = 0; s && o->choices[i].name; i++)
		if (!strcmp(o->choices[i].name, s)) {
			*v = (int64_t)i;
			return true;
		}
	return false;
}

static int choice_json(const struct lsio_opt *o, json_t *j, int64_t *v,
		       char *why, size_t cap)
{
	const char *s = json_string_value(j);	/* NULL for no string */

	/* true/false read as on/off, where those are choices. */
	if (json_is_boolean(j) &&
	    choice_find(o, json_is_true(j) ? "on" : "off", v))
		return 0;
	if (choice_find(o, s, v))
		return 0;
	return bad_choice(o, s, why, cap);
}

static int opt_json(const struct lsio_opt *o, json_t *j, int64_t *v,
		    char *why, size_t cap)
{
	switch (o->type) {
	case LSIO_OPT_INT:
		if (!json_is_integer(j))
			return lsio_why(why, cap, -1, "expected an integer");
		return int_check(o, json_integer_value(j), v, why, cap);
	case LSIO_OPT_SIZE:
		return size_json(o, j, v, why, cap);
	default:
		return choice_json(o, j, v, why, cap);
	}
}

static int opt_text(const struct lsio_opt *o, const char *s, int64_t *v,
		    char *why, size_t cap)
{
	switch (o->type) {
	case LSIO_OPT_INT:
		return int_text(o, s, v, why, cap);
	case LSIO_OPT_SIZE:
		return size_text(o, s, v, why, cap);
	default:
		return choice_find(o, s, v) ? 0 : bad_choice(o, s, why, cap);
	}
}

/* A value from opt_json or opt_text into its field (of struct
 * lsio_settings or struct lsio_options: the types are the same). */
static void opt_store(const struct lsio_opt *o, void *dst, int64_t v)
{
	switch (o->type) {
	case LSIO_OPT_INT:
		*(int *)dst = (int)v;
		break;
	case LSIO_OPT_SIZE:
		*(int64_t *)dst = v;
		break;
	case LSIO_OPT_CHOICE:
		*(int *)dst = o->choices[v].value;
		break;
	case LSIO_OPT_NAME:
		*(const char **)dst = o->choices[v].name;
		break;
	}
}

/* The bytes of the field opt_store() writes. */
static size_t opt_size(const struct lsio_opt *o)
{
	if (o->type == LSIO_OPT_SIZE)
		return sizeof(int64_t);
	return o->type == LSIO_OPT_NAME ? sizeof(char *) : sizeof(int);
}

/* The option key names in scope: its key, or (flag) its flag. */
static const struct lsio_opt *opt_find(const char *key, unsigned scope,
				       bool flag)
{
	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++) {
		const struct lsio_option_info *in = &lsio_opts[i].info;

		if ((lsio_opts[i].scope & scope) &&
		    !strcmp(flag ? in->flag : in->key, key))
			return &lsio_opts[i];
	}
	return NULL;
}

/* "unknown key 'memroy' (did you mean 'memory'?)", in why; the hint in
 * the spelling key uses (flag: with '-'). */
static int unknown_key(const char *key, unsigned scope, bool flag,
		       char *why, size_t cap)
{
	const char *words[ARRAY_SIZE(lsio_opts) + 1];
	const char *hint;
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts); i++)
		if (lsio_opts[i].scope & scope)
			words[n++] = flag ? lsio_opts[i].info.flag
					  : lsio_opts[i].info.key;
	words[n] = NULL;
	hint = lsio_did_you_mean(key, words);
	if (hint)
		return lsio_why(why, cap, -1,
				"unknown key '%s' (did you mean '%s'?)", key,
				hint);
	return lsio_why(why, cap, -1, "unknown key '%s'", key);
}

int lsio_options_set(struct lsio_options *opt, const char *key,
		     const char *text, char *why, size_t cap)
{
	bool flag = key && strchr(key, '-');
	const struct lsio_opt *o;
	int64_t v;
	int ret;

	if (!opt || !key || !text)
		return lsio_why(why, cap, -LSIO_EUSAGE,
				"lsio_options_set: no %s",
				!opt ? "options" : !key ? "key" : "value");
	ret = lsio_options_size_why(opt, why, cap);
	if (ret)
		return ret;
	o = opt_find(key, LSIO_OPT_GLOBAL, flag);
	if (!o) {
		unknown_key(key, LSIO_OPT_GLOBAL, flag, why, cap);
		return -LSIO_EUSAGE;
	}
	/* A field past opt->size is one the caller's struct lacks. */
	if (o->opt_off + opt_size(o) > opt->size)
		return lsio_why(why, cap, -LSIO_EUSAGE,
				"'%s' is past the end of a struct lsio_options of %zu bytes",
				key, opt->size);
	if (opt_text(o, text, &v, why, cap))
		return -LSIO_EUSAGE;
	opt_store(o, field(opt, o->opt_off), v);
	return 0;
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

/* The table's "s3.KEY" entries: KEY of the object under key ("s3"),
 * which job_remote.c lets through. */
static int nested_parse(struct lsio_ctx *ctx, const char *where,
			const char *key, json_t *obj, struct lsio_settings *out)
{
	char why[LSIO_MSG_MAX / 2];
	size_t n = strlen(key);

	for (size_t i = 0; i < ARRAY_SIZE(lsio_opts) && json_is_object(obj); i++) {
		const struct lsio_opt *o = &lsio_opts[i];
		json_t *v;
		int64_t val;

		if (strncmp(o->info.key, key, n) || o->info.key[n] != '.' ||
		    !(v = json_object_get(obj, o->info.key + n + 1)))
			continue;
		if (opt_json(o, v, &val, why, sizeof(why)))
			return lsio_fail(ctx, -LSIO_EJOB, "%s.%s: %s", where,
					 o->info.key, why);
		opt_store(o, field(out, o->off), val);
	}
	return 0;
}

/* Parse one object of settings at where ("job.json: storage"); the
 * per-class and per-prefix objects use the scoped keys only. */
static int settings_parse_object(struct lsio_ctx *ctx, const char *where,
				 json_t *obj, unsigned scope,
				 struct lsio_settings *out)
{
	char why[LSIO_MSG_MAX / 2];
	const char *key;
	json_t *v;
	int ret;

	if (!json_is_object(obj))
		return lsio_fail(ctx, -LSIO_EJOB, "%s: expected an object",
				 where);
	json_object_foreach(obj, key, v) {
		const struct lsio_opt *o = opt_find(key, scope, false);
		int64_t val;

		if (o && strchr(o->info.key, '.'))
			o = NULL;	/* "s3.x" is only ever s3's x */

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
			ret = nested_parse(ctx, where, key, v, out);
			if (ret)
				return ret;
			ret = lsio_remote_settings_parse(ctx, where, key, v,
							 &out->remote);
			if (ret <= 0) {
				if (ret)
					return ret;
				continue;
			}
		}
		if (!o) {
			unknown_key(key, scope, false, why, sizeof(why));
			return lsio_fail(ctx, -LSIO_EJOB, "%s: %s", where, why);
		}
		if (opt_json(o, v, &val, why, sizeof(why)))
			return lsio_fail(ctx, -LSIO_EJOB, "%s.%s: %s", where,
					 key, why);
		opt_store(o, field(out, o->off), val);
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
