/* SPDX-License-Identifier: MIT */
/*
 * stage.c - the stage registry, stage-chain parsing, worker scratch
 * buffers, and the identity stage.
 *
 * A stage is written in a job as a bare name ("zstd") or as an object
 * {"codec": NAME, ...parameters}.  Every stage is one const ops struct,
 * listed once in lsio_stages[] below (no constructor tricks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage.h"

static int identity_run(struct lsio_stage_io *io)
{
	io->out = io->in;
	io->out_len = io->in_len;
	return 0;
}

const struct lsio_stage_ops lsio_stage_identity = {
	.name = "identity",
	.keeps_size = true,
	.run = identity_run,
};

static const struct lsio_stage_ops *const lsio_stages[] = {
	&lsio_stage_identity,
	LSIO_STAGE_CODECS
};

static const char *lsio_stage_name_list[ARRAY_SIZE(lsio_stages) + 1];

const struct lsio_stage_ops *lsio_stage_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(lsio_stages); i++)
		if (!strcmp(lsio_stages[i]->name, name))
			return lsio_stages[i];
	return NULL;
}

const char *const *lsio_stage_names(void)
{
	/* Filled on every call: idempotent, so racing callers agree. */
	for (size_t i = 0; i < ARRAY_SIZE(lsio_stages); i++)
		lsio_stage_name_list[i] = lsio_stages[i]->name;
	return lsio_stage_name_list;
}

size_t lsio_stage_count(void)
{
	return ARRAY_SIZE(lsio_stages);
}

const struct lsio_stage_ops *lsio_stage_at(size_t i)
{
	return i < ARRAY_SIZE(lsio_stages) ? lsio_stages[i] : NULL;
}

int lsio_scratch_reserve(struct lsio_scratch *s, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (n <= s->cap)
		return 0;
	if (s->fixed)
		return -LSIO_ETOOBIG;
	/* Grow geometrically so a run of growing chunks reallocates rarely. */
	cap = MAX(n, s->cap + s->cap / 2);
	p = realloc(s->p, cap);
	if (!p)
		return -ENOMEM;
	s->p = p;
	s->cap = cap;
	return 0;
}

void lsio_scratch_release(struct lsio_scratch *s)
{
	if (!s->fixed)
		free(s->p);
	s->p = NULL;
	s->cap = 0;
}

static int unknown_stage(struct lsio_ctx *ctx, const char *path,
			 const char *name)
{
	const char *hint = lsio_did_you_mean(name, lsio_stage_names());

	if (hint)
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: unknown stage '%s' (did you mean '%s'?)",
				 path, name, hint);
	return lsio_fail(ctx, -LSIO_EJOB, "%s: unknown stage '%s'", path,
			 name);
}

/* Every key of a stage object must be "codec" or one the stage takes. */
static int check_stage_keys(struct lsio_ctx *ctx, const char *path,
			    json_t *obj, const struct lsio_stage_ops *ops)
{
	static const char *const none[] = { NULL };
	const char *const *keys = ops->keys ? ops->keys : none;
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *hint;
		size_t i;

		if (!strcmp(key, "codec"))
			continue;
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (keys[i])
			continue;
		hint = lsio_did_you_mean(key, keys);
		if (hint)
			return lsio_fail(ctx, -LSIO_EJOB,
				"%s: stage '%s' has no parameter '%s' (did you mean '%s'?)",
				path, ops->name, key, hint);
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: stage '%s' has no parameter '%s'", path,
				 ops->name, key);
	}
	return 0;
}

static int stage_parse(struct lsio_ctx *ctx, const char *path, json_t *v,
		       struct lsio_stage_spec *spec)
{
	const char *name;
	json_t *obj = NULL;

	if (json_is_string(v)) {
		name = json_string_value(v);
	} else if (json_is_object(v)) {
		json_t *codec = json_object_get(v, "codec");

		if (!json_is_string(codec))
			return lsio_fail(ctx, -LSIO_EJOB,
				"%s: a stage object needs \"codec\": a stage name",
				path);
		name = json_string_value(codec);
		obj = v;
	} else {
		return lsio_fail(ctx, -LSIO_EJOB,
			"%s: a stage is a name or an object with \"codec\"",
			path);
	}
	spec->ops = lsio_stage_find(name);
	if (!spec->ops)
		return unknown_stage(ctx, path, name);
	if (obj && check_stage_keys(ctx, path, obj, spec->ops))
		return -LSIO_EJOB;
	spec->params = NULL;
	if (spec->ops->parse)
		return spec->ops->parse(ctx, path, obj, &spec->params);
	return 0;
}

int lsio_chain_parse(struct lsio_ctx *ctx, const char *path, json_t *list,
		     struct lsio_chain *chain)
{
	char sub[256];
	size_t i;
	json_t *v;
	int ret;

	memset(chain, 0, sizeof(*chain));
	if (!json_is_array(list))
		return lsio_fail(ctx, -LSIO_EJOB,
				 "%s: expected a list of stages", path);
	chain->stages = calloc(json_array_size(list) + 1, sizeof(*chain->stages));
	chain->text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
	if (!chain->stages || !chain->text) {
		lsio_chain_release(chain);
		return lsio_fail(ctx, -ENOMEM, "%s: out of memory", path);
	}
	json_array_foreach(list, i, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		ret = stage_parse(ctx, sub, v, &chain->stages[i]);
		if (ret) {
			lsio_chain_release(chain);
			return ret;
		}
		chain->n++;
	}
	return 0;
}

void lsio_chain_release(struct lsio_chain *chain)
{
	for (uint32_t i = 0; i < chain->n; i++)
		if (chain->stages[i].ops->free_params)
			chain->stages[i].ops->free_params(chain->stages[i].params);
	free(chain->stages);
	free(chain->text);
	memset(chain, 0, sizeof(*chain));
}
