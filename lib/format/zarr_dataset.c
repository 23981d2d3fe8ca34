/* SPDX-License-Identifier: MIT */
/*
 * zarr_dataset.c - a Zarr group as xarray sees it: the arrays directly in
 * it, each with its dimension names (v2: the _ARRAY_DIMENSIONS attribute
 * xarray writes; v3: dimension_names) and attributes, the group's own
 * attributes, and which arrays are coordinates (1-D, named like their
 * dimension).
 *
 * Where the members come from, first found:
 *   - consolidated metadata: v2 .zmetadata (what xarray's to_zarr writes,
 *     at the store's root, sub-groups included), v3 consolidated_metadata
 *     in the group's zarr.json - one read, and the only way to know what a
 *     remote store holds;
 *   - the group's directory, walked (v2 .zgroup, v3 zarr.json node_type
 *     "group"): local stores only;
 *   - for STORE/GROUP, a parent's consolidated metadata naming GROUP.
 *
 * A variable's values are decoded by lsio's own job machinery
 * (zarr_var_read_doubles): the metadata here is parsed by the same code
 * (zarr_array_parse) as any extraction, so what is listed is what reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zarr.h"

/* Names listed in an "unknown variable" message, at most. */
#define NAMES_SHOWN 40

struct opener {
	struct lsio_ctx *ctx;
	const struct lsio_options *opt;
	struct zarr_dataset *ds;
	const char *uri;
	bool unlisted;	/* a group found that only a walk could read */
};

static char *path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s%s%s", a, *a && *b ? "/" : "", b) < 0)
		return NULL;
	return p;
}

static int oom(struct lsio_ctx *ctx)
{
	return lsio_fail(ctx, -ENOMEM, "out of memory");
}

/* A v3 zarr.json of node_type type. */
static bool is_node(json_t *meta, const char *type)
{
	const char *node = json_string_value(json_object_get(meta, "node_type"));

	return node && !strcmp(node, type);
}

/* --- one variable ------------------------------------------------------------ */

static void var_release(struct zarr_var *v)
{
	free(v->name);
	zarr_array_release(&v->a);
	for (uint32_t d = 0; d < LSIO_MAX_DIMS; d++)
		free(v->dims[d]);
	json_decref(v->attrs);
}

/* The dimension names of list (strings; v3 allows null), or "dim_N"
 * where it names none.  A list that does not fit the array is said and
 * ignored, as if absent. */
static int var_dims(struct opener *o, struct zarr_var *v, json_t *list,
		    const char *key)
{
	size_t n = json_array_size(list);
	bool ok = json_is_array(list) && n == v->a.ndim;

	if (list && !json_is_null(list) && !ok)
		lsio_warn(o->ctx, "store '%s': '%s': %u dimensions, but %zu dimension names: named dim_0.. instead",
			  o->ds->store->root, key, v->a.ndim, n);
	v->named = true;
	for (uint32_t d = 0; d < v->a.ndim; d++) {
		const char *s = ok ? json_string_value(json_array_get(list, d)) : NULL;

		if (s && *s) {
			v->dims[d] = strdup(s);
		} else {
			v->named = false;
			if (asprintf(&v->dims[d], "dim_%u", d) < 0)
				v->dims[d] = NULL;
		}
		if (!v->dims[d])
			return oom(o->ctx);
	}
	return 0;
}

/* attrs (a v2 .zattrs or v3 attributes, may be NULL) without xarray's
 * _ARRAY_DIMENSIONS, and the dimension names. */
static int var_attrs(struct opener *o, struct zarr_var *v, json_t *meta,
		     json_t *attrs, const char *key)
{
	json_t *names = json_object_get(meta, "dimension_names");
	int ret;

	v->attrs = json_is_object(attrs) ? json_copy(attrs) : json_object();
	if (!v->attrs)
		return oom(o->ctx);
	if (!names || json_is_null(names))
		names = json_object_get(v->attrs, "_ARRAY_DIMENSIONS");
	json_incref(names);
	json_object_del(v->attrs, "_ARRAY_DIMENSIONS");
	ret = var_dims(o, v, names, key);
	json_decref(names);
	return ret;
}

/* Add the array called name (in the group) whose metadata is meta and
 * attributes attrs (NULL: in meta, v3), both borrowed; key names it in
 * messages.  An array lsio cannot read is left out, with a warning. */
static int ds_add(struct opener *o, const char *name, const char *key,
		  json_t *meta, json_t *attrs)
{
	struct zarr_dataset *ds = o->ds;
	struct zarr_var v = { 0 }, *vars;
	int ret;

	v.name = strdup(name);
	v.a.path = path_join(ds->group, name);
	if (!v.name || !v.a.path) {
		var_release(&v);
		return oom(o->ctx);
	}
	ret = zarr_array_parse(o->ctx, ds->store, key, meta, &v.a);
	if (ret == -LSIO_EJOB) {
		lsio_warn(o->ctx, "%s (variable '%s' left out)",
			  lsio_ctx_message(o->ctx), name);
		var_release(&v);
		return 0;
	}
	if (!ret)
		ret = var_attrs(o, &v, meta, attrs ? attrs :
				json_object_get(meta, "attributes"), key);
	vars = ret ? NULL : realloc(ds->vars, (ds->nvars + 1) * sizeof(*vars));
	if (!vars) {
		var_release(&v);
		return ret ? ret : oom(o->ctx);
	}
	v.is_coord = v.a.ndim == 1 && !strcmp(v.dims[0], v.name);
	ds->vars = vars;
	vars[ds->nvars++] = v;
	return 0;
}

/* --- members from consolidated metadata ----------------------------------- */

/* name if key is "PREFIXNAME/LEAF" with NAME one path component, else
 * NULL; malloc'd. */
static char *member_name(const char *key, const char *prefix, const char *leaf)
{
	size_t p = strlen(prefix), k = strlen(key), l = strlen(leaf);

	if (k <= p + l + 1 || strncmp(key, prefix, p) || strcmp(key + k - l, leaf) ||
	    key[k - l - 1] != '/')
		return NULL;
	key += p;
	k -= p + l + 1;
	if (memchr(key, '/', k))
		return NULL;
	return strndup(key, k);
}

static int set_attrs(struct opener *o, json_t *attrs)
{
	json_decref(o->ds->attrs);
	o->ds->attrs = json_is_object(attrs) ? json_incref(attrs) : json_object();
	return o->ds->attrs ? 0 : oom(o->ctx);
}

/* One entry of v2 consolidated metadata md, if it is an array directly in
 * the group (key "PREFIXNAME/.zarray"). */
static int member_v2(struct opener *o, json_t *md, const char *prefix,
		     const char *key, json_t *meta)
{
	char *name = member_name(key, prefix, ".zarray"), *ak = NULL, *label = NULL;
	int ret = 0;

	if (!name)
		return 0;
	if (asprintf(&ak, "%s%s/.zattrs", prefix, name) < 0 ||
	    asprintf(&label, "%s (in .zmetadata)", key) < 0)
		ret = oom(o->ctx);
	else
		ret = ds_add(o, name, label, meta, json_object_get(md, ak));
	free(name);
	free(ak);
	free(label);
	return ret;
}

/* v2 .zmetadata's "metadata": the arrays "GROUP/NAME/.zarray". */
static int members_v2(struct opener *o, json_t *md)
{
	char *prefix = NULL, *k = NULL;
	const char *key;
	json_t *meta;
	int ret;

	o->ds->consolidated = true;
	o->ds->format = 2;
	if (asprintf(&prefix, "%s%s", o->ds->group, *o->ds->group ? "/" : "") < 0)
		return oom(o->ctx);
	ret = asprintf(&k, "%s.zattrs", prefix) < 0 ? oom(o->ctx) :
	      set_attrs(o, json_object_get(md, k));
	free(k);
	json_object_foreach(md, key, meta) {
		if (!ret)
			ret = member_v2(o, md, prefix, key, meta);
	}
	free(prefix);
	return ret;
}

/* v3 consolidated_metadata "metadata": "NAME" (relative to the group
 * holding it, at rel inside it) -> its zarr.json. */
static int members_v3(struct opener *o, json_t *md, const char *rel)
{
	const char *key;
	json_t *meta;
	char *prefix;
	int ret = 0;

	o->ds->consolidated = true;
	o->ds->format = 3;
	if (asprintf(&prefix, "%s%s", rel, *rel ? "/" : "") < 0)
		return oom(o->ctx);
	json_object_foreach(md, key, meta) {
		size_t p = strlen(prefix);
		char *label;

		if (ret || strncmp(key, prefix, p) || !key[p] || strchr(key + p, '/') ||
		    !is_node(meta, "array"))
			continue;
		if (asprintf(&label, "%s/zarr.json (in consolidated_metadata)", key) < 0)
			ret = oom(o->ctx);
		else
			ret = ds_add(o, key + p, label, meta, NULL);
		free(label);
	}
	free(prefix);
	return ret;
}

/* --- members from the directory ---------------------------------------------- */

static int walk_fail(struct opener *o)
{
	return lsio_fail(o->ctx, -LSIO_EJOB,
			 "store '%s': a remote group is read from its consolidated metadata, and this one has none (no .zmetadata, no consolidated_metadata in zarr.json): consolidate it (zarr.consolidate_metadata(), xarray's to_zarr(consolidated=True)) or name one array (STORE/ARRAY)",
			 o->uri);
}

/* One child directory of the group: an array when it holds .zarray (v2)
 * or a zarr.json of node_type "array" (v3); anything else is skipped. */
static int walk_child(struct opener *o, const char *child, const char *name)
{
	char *keys[3] = { path_join(child, ".zarray"), path_join(child, ".zattrs"),
			  path_join(child, "zarr.json") };
	json_t *m[3] = { NULL, NULL, NULL };
	int ret = keys[0] && keys[1] && keys[2] ? 0 : oom(o->ctx);

	if (!ret)
		ret = zarr_store_jsons(o->ctx, o->ds->store,
				       (const char *const *)keys, 3, m);
	if (!ret && m[0])
		ret = ds_add(o, name, keys[0], m[0], m[1]);
	else if (!ret && is_node(m[2], "array"))
		ret = ds_add(o, name, keys[2], m[2], NULL);
	for (int i = 0; i < 3; i++) {
		free(keys[i]);
		json_decref(m[i]);
	}
	return ret;
}

/* The group's members from its directory.  A store that cannot list: a
 * parent's consolidated metadata may still name the group (-ENOENT). */
static int members_walk(struct opener *o)
{
	struct zarr_store *s = o->ds->store;
	char **names = NULL;
	int ret;

	if (!s->ops->list_dirs) {
		o->unlisted = true;
		return -ENOENT;
	}
	ret = s->ops->list_dirs(s, o->ds->group, &names);
	if (ret)
		ret = zarr_fail(o->ctx, -LSIO_ESOURCE, s, o->ds->group,
				"cannot list: %s", strerror(-ret));
	for (size_t i = 0; !ret && names[i]; i++) {
		char *child = path_join(o->ds->group, names[i]);

		ret = child ? walk_child(o, child, names[i]) : oom(o->ctx);
		free(child);
	}
	zarr_names_free(names);
	return ret;
}

/* --- finding the group ---------------------------------------------------------- */

static int array_fail(struct opener *o)
{
	const char *slash = strrchr(o->uri, '/');
	int n = slash ? (int)(slash - o->uri) : 0;

	return lsio_fail(o->ctx, -LSIO_EJOB,
			 "store '%s': a Zarr array, not a group: name its group%s%.*s%s",
			 o->uri, n ? " ('" : "", n, o->uri, n ? "')" : "");
}

/* A v3 group's zarr.json: its consolidated metadata, or a walk. */
static int open_v3_group(struct opener *o, json_t *meta)
{
	json_t *cm = json_object_get(json_object_get(meta, "consolidated_metadata"),
				     "metadata");
	int ret = set_attrs(o, json_object_get(meta, "attributes"));

	o->ds->format = 3;
	if (ret)
		return ret;
	if (json_is_object(cm))
		return members_v3(o, cm, "");
	return members_walk(o);
}

/* A v2 group without consolidated metadata: .zattrs, and a walk. */
static int open_v2_group(struct opener *o)
{
	json_t *attrs = NULL;
	int ret = zarr_store_json(o->ctx, o->ds->store, ".zattrs", &attrs);

	o->ds->format = 2;
	if (ret && ret != -ENOENT)
		return ret;
	ret = set_attrs(o, attrs);
	json_decref(attrs);
	return ret ? ret : members_walk(o);
}

/* The keys one at a time, until one is there: a bucket without
 * ListBucket answers 403 for a key it does not hold (missing only with
 * --missing-403), so a refusal must not hide the key that is there.  A
 * refusal before the first key found names its key. */
static int metadata_one_by_one(struct opener *o, const char *const *keys,
			       size_t n, json_t **m)
{
	int ret = -ENOENT;

	for (size_t i = 0; ret == -ENOENT && i < n; i++)
		ret = zarr_store_json(o->ctx, o->ds->store, keys[i], &m[i]);
	return ret == -ENOENT ? 0 : ret;
}

/* The group at the store's root: 0, -ENOENT when there is no Zarr
 * metadata there (or only what a walk could read, and the store cannot
 * list), or an error.  One round trip for all four keys. */
static int open_here(struct opener *o)
{
	static const char *const keys[] = { ".zmetadata", "zarr.json", ".zgroup", ".zarray" };
	json_t *m[ARRAY_SIZE(keys)] = { NULL };
	json_t *md;
	int ret = zarr_store_jsons(o->ctx, o->ds->store, keys, ARRAY_SIZE(keys), m);

	if (ret && ret != -LSIO_EJOB)
		ret = metadata_one_by_one(o, keys, ARRAY_SIZE(keys), m);
	if (ret)
		return ret;
	md = json_object_get(m[0], "metadata");
	if (m[3] || is_node(m[1], "array"))
		ret = array_fail(o);
	else if (json_is_object(md))
		ret = members_v2(o, md);
	else if (m[1])
		ret = open_v3_group(o, m[1]);
	else if (m[2])
		ret = open_v2_group(o);
	else
		ret = -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		json_decref(m[i]);
	return ret;
}

/* What the consolidated metadata of a parent (.zmetadata's "metadata" md,
 * zarr.json's consolidated_metadata "metadata" cm) says rel is: 2 a v2
 * group, 3 a v3 group, -ENOENT nothing, or an error (an array). */
static int parent_says(struct opener *o, json_t *md, json_t *cm, const char *rel)
{
	json_t *g = json_object_get(cm, rel);
	char *array = NULL, *group = NULL;
	int ret = -ENOENT;

	if (asprintf(&array, "%s/.zarray", rel) < 0 ||
	    asprintf(&group, "%s/.zgroup", rel) < 0)
		ret = oom(o->ctx);
	else if (json_object_get(md, array) || is_node(g, "array"))
		ret = array_fail(o);
	else if (json_object_get(md, group))
		ret = 2;
	else if (is_node(g, "group"))
		ret = 3;
	free(array);
	free(group);
	return ret;
}

/* GROUP as a member of consolidated metadata in the store at root: its
 * .zmetadata naming "rel/.zgroup", or its zarr.json's
 * consolidated_metadata naming rel a group.  -ENOENT when neither. */
static int open_in_parent(struct opener *o, const char *root, const char *rel)
{
	static const char *const keys[] = { ".zmetadata", "zarr.json" };
	json_t *m[2] = { NULL, NULL }, *md, *cm;
	struct zarr_store *s;
	int ret = zarr_store_open(o->ctx, root, o->opt, &s);

	if (!ret && zarr_store_jsons(o->ctx, s, keys, 2, m))
		ret = -ENOENT;	/* unreadable here: not this way */
	md = json_object_get(m[0], "metadata");
	cm = json_object_get(json_object_get(m[1], "consolidated_metadata"), "metadata");
	if (!ret)
		ret = parent_says(o, md, cm, rel);
	if (ret == 2 || ret == 3) {
		zarr_store_close(o->ds->store);
		o->ds->store = s;
		s = NULL;
		free(o->ds->group);
		o->ds->group = strdup(rel);
		if (!o->ds->group)
			ret = oom(o->ctx);
		else if (ret == 2)
			ret = members_v2(o, md);
		else if (!(ret = set_attrs(o, json_object_get(json_object_get(cm, rel),
								"attributes"))))
			ret = members_v3(o, cm, rel);
	}
	zarr_store_close(s);
	json_decref(m[0]);
	json_decref(m[1]);
	return ret;
}

/* Walk up from uri: "a.zarr/g" may be the group g of a.zarr's consolidated
 * metadata (never above a URL's host or bucket). */
static int open_up(struct opener *o)
{
	char *root = strdup(o->ds->store->root);
	size_t n, top;
	int ret = -ENOENT;

	if (!root)
		return oom(o->ctx);
	top = zarr_store_top(root);
	for (n = strlen(root); ret == -ENOENT && n-- > top;) {
		if (root[n] != '/')
			continue;
		root[n] = 0;
		ret = open_in_parent(o, root, root + n + 1);
		root[n] = '/';
	}
	free(root);
	return ret;
}

/* Nothing found: a group only a walk could read (a remote one), or no
 * store at all, or no group. */
static int open_none(struct opener *o)
{
	struct zarr_store *s = o->ds->store;
	char **names = NULL;
	int ret = s->ops->list_dirs ? s->ops->list_dirs(s, "", &names) : 0;

	zarr_names_free(names);
	if (o->unlisted)
		return walk_fail(o);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return lsio_fail(o->ctx, -LSIO_EJOB, "store '%s': %s", s->root,
				 strerror(-ret));
	return lsio_fail(o->ctx, -LSIO_EJOB,
			 "store '%s': not a Zarr group (no .zmetadata, zarr.json or .zgroup)",
			 s->root);
}

static int var_cmp(const void *a, const void *b)
{
	return strcmp(((const struct zarr_var *)a)->name,
		      ((const struct zarr_var *)b)->name);
}

int zarr_dataset_open(struct lsio_ctx *ctx, const char *uri,
		      const struct lsio_options *opt, struct zarr_dataset **out)
{
	struct zarr_dataset *ds = calloc(1, sizeof(*ds));
	struct opener o = { .ctx = ctx, .opt = opt, .ds = ds, .uri = uri };
	int ret;

	*out = NULL;
	if (!ds || !(ds->group = strdup("")) || !(ds->attrs = json_object())) {
		zarr_dataset_free(ds);
		return oom(ctx);
	}
	ret = zarr_store_open(ctx, uri, opt, &ds->store);
	if (!ret)
		ret = open_here(&o);
	if (ret == -ENOENT)
		ret = open_up(&o);
	if (ret == -ENOENT)
		ret = open_none(&o);
	if (ret) {
		zarr_dataset_free(ds);
		return ret;
	}
	if (ds->nvars > 1)
		qsort(ds->vars, ds->nvars, sizeof(*ds->vars), var_cmp);
	*out = ds;
	return 0;
}

void zarr_dataset_free(struct zarr_dataset *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->nvars; i++)
		var_release(&ds->vars[i]);
	free(ds->vars);
	free(ds->group);
	json_decref(ds->attrs);
	zarr_store_close(ds->store);
	free(ds);
}

/* --- looking up --------------------------------------------------------------- */

/* The "no variable" message: the nearest name, and the names there are. */
static int var_missing(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
		       const char *name)
{
	const char **words = calloc(ds->nvars + 1, sizeof(*words));
	struct lsio_strbuf names = { 0 };
	const char *hint;
	int ret;

	for (size_t i = 0; i < ds->nvars; i++) {
		if (words)
			words[i] = ds->vars[i].name;
		if (i < NAMES_SHOWN)
			lsio_strbuf_printf(&names, "%s%s", i ? ", " : "", ds->vars[i].name);
	}
	if (ds->nvars > NAMES_SHOWN)
		lsio_strbuf_printf(&names, ", ... (%zu in all)", ds->nvars);
	hint = words ? lsio_did_you_mean(name, words) : NULL;
	ret = zarr_fail(ctx, -LSIO_EJOB, ds->store, ds->group,
			"no variable '%s'%s%s%s; %s%s", name,
			hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "",
			ds->nvars ? "variables: " : "the group has no variables",
			names.p ? names.p : "");
	free(words);
	lsio_strbuf_release(&names);
	return ret;
}

int zarr_dataset_var(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
		     const char *name, const struct zarr_var **v)
{
	struct zarr_var key = { .name = (char *)name };

	*v = ds->nvars ? bsearch(&key, ds->vars, ds->nvars, sizeof(*ds->vars), var_cmp) : NULL;
	return *v ? 0 : var_missing(ctx, ds, name);
}

const struct zarr_var *zarr_dataset_coord(const struct zarr_dataset *ds,
					  const char *dim)
{
	for (size_t i = 0; i < ds->nvars; i++)
		if (ds->vars[i].is_coord && !strcmp(ds->vars[i].name, dim))
			return &ds->vars[i];
	return NULL;
}

/* --- reading a coordinate ------------------------------------------------------ */

/* Element i of raw data of dtype dt as a double. */
static double element(const uint8_t *p, const struct lsio_dtype *dt)
{
	uint8_t b[8];
	uint64_t u = 0;
	union { float f; uint32_t u; } f32;
	double d;

	memcpy(b, p, dt->size);
	if (dt->order == '>')
		for (uint32_t i = 0; i < dt->size / 2; i++) {
			uint8_t t = b[i];

			b[i] = b[dt->size - 1 - i];
			b[dt->size - 1 - i] = t;
		}
	for (uint32_t i = dt->size; i-- > 0;)	/* little-endian now */
		u = u << 8 | b[i];
	switch (dt->kind) {
	case 'f':
		if (dt->size == 2)
			return lsio_half_to_double((uint32_t)u);
		if (dt->size == 4) {
			f32.u = (uint32_t)u;
			return f32.f;
		}
		memcpy(&d, &u, 8);
		return d;
	case 'i':
	case 'M':
	case 'm':
		if (dt->size < 8 && (u >> (dt->size * 8 - 1)))
			u |= ~0ull << (dt->size * 8);	/* sign-extend */
		if (dt->kind != 'i' && (int64_t)u == INT64_MIN)
			return NAN;	/* NaT */
		return (double)(int64_t)u;
	default:	/* 'u', 'b' */
		return (double)u;
	}
}

/* The raw file the job wrote: n elements of the variable's dtype. */
static int read_raw(struct lsio_ctx *ctx, const char *path,
		    const struct zarr_var *v, double *values, uint64_t n)
{
	const struct lsio_dtype *dt = &v->a.dtype;
	size_t len = (size_t)n * dt->size, got = 0;
	uint8_t *buf = malloc(len ? len : 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t r = 1;

	if (!buf || fd < 0) {
		ret = !buf ? oom(ctx) : lsio_fail(ctx, -errno, "'%s': %s", path,
						  strerror(errno));
		goto out;
	}
	while (got < len && (r = read(fd, buf + got, len - got)) > 0)
		got += (size_t)r;
	if (r < 0 || got != len) {
		ret = lsio_fail(ctx, -LSIO_EDATA, "'%s': %zu bytes of %zu", path,
				got, len);
		goto out;
	}
	for (uint64_t i = 0; i < n; i++)
		values[i] = element(buf + i * dt->size, dt);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* The variable's whole array as a job (output: path), run. */
static int run_job(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
		   const struct zarr_var *v, const struct lsio_options *opt,
		   const char *path)
{
	char *uri = path_join(ds->store->root, v->a.path), *text = NULL;
	struct lsio_job *job = NULL;
	struct lsio_options o;
	int ret;

	if (!uri)
		return oom(ctx);
	if (opt)
		o = *opt;
	else
		lsio_options_init(&o, sizeof(o));
	o.output = NULL;	/* the caller's -o is not this file */
	o.progress = NULL;
	o.reduce = NULL;	/* nor its reduction these values */
	o.skip_fill = -1;
	ret = lsio_zarr_job(ctx, uri, NULL, path, &o, &text);
	if (!ret)
		ret = lsio_job_load_string(ctx, text, "<coordinate job>", &job);
	if (!ret)
		ret = lsio_run(ctx, job, &o, NULL);
	lsio_job_free(job);
	free(text);
	free(uri);
	return ret;
}

int zarr_var_read_doubles(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
			  const struct zarr_var *v, const struct lsio_options *opt,
			  double **values, uint64_t *n)
{
	const char *tmp = getenv("TMPDIR");
	char *path = NULL;
	int fd, ret;

	*values = NULL;
	*n = 0;
	if (v->a.ndim != 1 || !strchr("biufMm", v->a.dtype.kind))
		return zarr_fail(ctx, -LSIO_EJOB, ds->store, v->a.path,
				 "'%s' is not a 1-D array of numbers (%u dimensions, %s)",
				 v->name, v->a.ndim, v->a.dtype.str);
	if (v->a.shape[0] > SIZE_MAX / 8)
		return lsio_fail(ctx, -LSIO_ETOOBIG, "'%s': %llu values",
				 v->name, (unsigned long long)v->a.shape[0]);
	*values = malloc(v->a.shape[0] ? v->a.shape[0] * sizeof(double) : 1);
	if (!*values ||
	    asprintf(&path, "%s/lsio-coord-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		free(*values);
		*values = NULL;
		return oom(ctx);
	}
	fd = mkstemp(path);
	if (fd < 0) {
		ret = lsio_fail(ctx, -errno, "cannot make a temporary file '%s': %s",
				path, strerror(errno));
	} else {
		close(fd);
		ret = v->a.shape[0] ? run_job(ctx, ds, v, opt, path) : 0;
		if (!ret)
			ret = read_raw(ctx, path, v, *values, v->a.shape[0]);
		unlink(path);
	}
	free(path);
	if (ret) {
		free(*values);
		*values = NULL;
		return ret;
	}
	*n = v->a.shape[0];
	return 0;
}
