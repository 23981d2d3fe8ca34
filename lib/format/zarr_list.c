/* SPDX-License-Identifier: MIT */
/*
 * zarr_list.c - lsio_zarr_list(): the arrays of a store, one line each.
 *
 * Consolidated metadata (.zmetadata at the root) is the whole answer when
 * it is there - one read, which is what it is for.  Otherwise groups are
 * walked (v2 .zgroup, v3 zarr.json node_type "group"); arrays are not
 * entered, so chunk directories are never listed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zarr.h"

#define LIST_DEPTH_MAX 64

enum { COL_PATH, COL_ZARR, COL_DTYPE, COL_SHAPE, COL_CHUNKS, COL_FILL,
       COL_CODECS, NCOLS };

static const char *const col_names[NCOLS] = {
	"ARRAY", "ZARR", "DTYPE", "SHAPE", "CHUNKS", "FILL", "CODECS"
};

struct lister {
	struct lsio_ctx *ctx;
	struct zarr_store *store;
	char *(*rows)[NCOLS];
	size_t nrows;
};

static char *dims_text(const uint64_t *v, uint32_t n)
{
	char buf[LSIO_MAX_DIMS * 21 + 3];
	size_t len = 0;

	if (!n)
		return strdup("()");
	for (uint32_t d = 0; d < n; d++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%llu",
					d ? "x" : "", (unsigned long long)v[d]);
	return strdup(buf);
}

static char *chunks_text(const struct zarr_array *a)
{
	char *inner, *outer, *text;

	if (!a->sharded)
		return dims_text(a->chunks, a->ndim);
	inner = dims_text(a->inner, a->ndim);
	outer = dims_text(a->chunks, a->ndim);
	text = inner && outer && asprintf(&text, "%s in %s shards", inner, outer) >= 0 ?
	       text : NULL;
	free(inner);
	free(outer);
	return text;
}

static char *fill_text(json_t *fill)
{
	if (json_is_string(fill))
		return strdup(json_string_value(fill));
	return json_dumps(fill, JSON_ENCODE_ANY | JSON_COMPACT);
}

static int list_add(struct lister *l, const char *path,
		    const struct zarr_array *a)
{
	char *(*rows)[NCOLS] = realloc(l->rows, (l->nrows + 1) * sizeof(*rows));
	char **r;

	if (!rows)
		return lsio_fail(l->ctx, -ENOMEM, "out of memory");
	l->rows = rows;
	r = rows[l->nrows++];
	r[COL_PATH] = strdup(*path ? path : ".");
	r[COL_ZARR] = strdup(a->format == 2 ? "v2" : "v3");
	r[COL_DTYPE] = strdup(a->dtype.str);
	r[COL_SHAPE] = dims_text(a->shape, a->ndim);
	r[COL_CHUNKS] = chunks_text(a);
	r[COL_FILL] = fill_text(a->fill);
	r[COL_CODECS] = strdup(a->codecs);
	for (int c = 0; c < NCOLS; c++)
		if (!r[c])
			return lsio_fail(l->ctx, -ENOMEM, "out of memory");
	return 0;
}

/* Parse meta (a reference is taken) as the array at path; key names it. */
static int list_array(struct lister *l, const char *path, const char *key,
		      json_t *meta)
{
	struct zarr_array a = { 0 };
	int ret;

	a.path = strdup(path);
	ret = a.path ? zarr_array_parse(l->ctx, l->store, key, meta, &a) :
		       lsio_fail(l->ctx, -ENOMEM, "out of memory");
	if (!ret)
		ret = list_add(l, path, &a);
	zarr_array_release(&a);
	json_decref(meta);
	return ret;
}

static int list_consolidated(struct lister *l, json_t *zm)
{
	json_t *md = json_object_get(zm, "metadata"), *v;
	const char *key;
	int ret = 0;

	if (!json_is_object(md))
		return zarr_fail(l->ctx, -LSIO_EJOB, l->store, ".zmetadata",
				 "no \"metadata\" object");
	json_object_foreach(md, key, v) {
		size_t n = strlen(key);
		char *path;

		if (n < 7 || strcmp(key + n - 7, ".zarray") ||
		    (n > 7 && key[n - 8] != '/'))
			continue;
		path = strndup(key, n > 7 ? n - 8 : 0);
		ret = path ? list_array(l, path, key, json_incref(v)) :
			     lsio_fail(l->ctx, -ENOMEM, "out of memory");
		free(path);
		if (ret)
			break;
	}
	return ret;
}

static char *join_key(const char *prefix, const char *name)
{
	char *k;

	if (asprintf(&k, "%s%s%s", prefix, *prefix ? "/" : "", name) < 0)
		return NULL;
	return k;
}

static int list_walk(struct lister *l, const char *prefix, int depth);

static int list_children(struct lister *l, const char *prefix, int depth)
{
	char **names = NULL;
	int ret;

	if (!l->store->ops->list_dirs)
		return zarr_fail(l->ctx, -LSIO_ENOTSUP, l->store, prefix,
				 "cannot list a remote store: give STORE/ARRAY, or consolidate metadata (.zmetadata)");
	if (depth >= LIST_DEPTH_MAX)
		return 0;
	ret = l->store->ops->list_dirs(l->store, prefix, &names);
	if (ret)
		ret = zarr_fail(l->ctx, -LSIO_ESOURCE, l->store, prefix,
				"cannot list: %s", strerror(-ret));
	for (size_t i = 0; !ret && names[i]; i++) {
		char *sub = join_key(prefix, names[i]);

		ret = sub ? list_walk(l, sub, depth + 1) :
			    lsio_fail(l->ctx, -ENOMEM, "out of memory");
		free(sub);
	}
	zarr_names_free(names);
	return ret;
}

/* The node at prefix: an array is listed, a group walked, anything else
 * skipped (or, at the top, refused). */
static int list_walk(struct lister *l, const char *prefix, int depth)
{
	static const char *const names[] = { ".zarray", "zarr.json", ".zgroup" };
	json_t *meta;
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *key = join_key(prefix, names[i]);
		const char *node;

		if (!key)
			return lsio_fail(l->ctx, -ENOMEM, "out of memory");
		ret = zarr_store_json(l->ctx, l->store, key, &meta);
		if (ret == -ENOENT) {
			free(key);
			continue;
		}
		node = json_string_value(json_object_get(meta, "node_type"));
		if (!ret && (i == 2 || (i == 1 && node && !strcmp(node, "group")))) {
			json_decref(meta);
			ret = list_children(l, prefix, depth);
		} else if (!ret) {
			ret = list_array(l, prefix, key, meta);
		}
		free(key);
		return ret;
	}
	if (depth)
		return 0;
	return zarr_fail(l->ctx, -LSIO_EJOB, l->store, NULL,
			 "not a Zarr array or group (no .zarray, .zgroup or zarr.json)");
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp((*(char *const(*)[NCOLS])a)[COL_PATH],
		      (*(char *const(*)[NCOLS])b)[COL_PATH]);
}

static char *list_format(struct lister *l)
{
	size_t w[NCOLS], len = 0;
	char *text, *p;

	/* A group without arrays has no rows, and rows is NULL: qsort's
	 * pointer must not be, even for no elements. */
	if (l->nrows > 1)
		qsort(l->rows, l->nrows, sizeof(*l->rows), row_cmp);
	for (int c = 0; c < NCOLS; c++) {
		w[c] = strlen(col_names[c]);
		for (size_t r = 0; r < l->nrows; r++)
			w[c] = MAX(w[c], strlen(l->rows[r][c]));
		len += w[c] + 2;
	}
	text = p = malloc((l->nrows + 1) * (len + 1) + 1);
	if (!text)
		return NULL;
	for (size_t r = 0; r <= l->nrows; r++) {
		for (int c = 0; c < NCOLS; c++) {
			const char *s = r ? l->rows[r - 1][c] : col_names[c];

			/* The last column is not padded: no trailing blanks. */
			p += sprintf(p, "%-*s%s", c + 1 < NCOLS ? (int)w[c] : 0, s,
				     c + 1 < NCOLS ? "  " : "");
		}
		/* cppcheck-suppress uninitdata ; sprintf wrote up to p */
		*p++ = '\n';
	}
	*p = 0;
	return text;
}

int lsio_zarr_list(struct lsio_ctx *ctx, const char *store,
		   const struct lsio_options *opt, char **text)
{
	struct lister l = { .ctx = ctx };
	struct lsio_options known;
	json_t *zm = NULL;
	int ret;

	*text = NULL;
	ret = lsio_options_import(ctx, &opt, &known);
	if (!ret)
		ret = zarr_store_open(ctx, store, opt, &l.store);
	if (!ret) {
		ret = zarr_store_json(ctx, l.store, ".zmetadata", &zm);
		if (!ret)
			ret = list_consolidated(&l, zm);
		else if (ret == -ENOENT)
			ret = list_walk(&l, "", 0);
		json_decref(zm);
	}
	if (!ret) {
		*text = list_format(&l);
		if (!*text)
			ret = lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	for (size_t r = 0; r < l.nrows; r++)
		for (int c = 0; c < NCOLS; c++)
			free(l.rows[r][c]);
	free(l.rows);
	zarr_store_close(l.store);
	return ret;
}
