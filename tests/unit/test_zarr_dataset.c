/* SPDX-License-Identifier: MIT */
/*
 * test_zarr_dataset.c - Zarr groups as datasets (format/zarr_dataset.c):
 * stores written here key by key, uncompressed, so every byte is known:
 *
 *   - a v2 group walked, the same with .zmetadata, a group named only in
 *     its parent's .zmetadata, a v3 group walked and with inline
 *     consolidated_metadata: the same variables, dimension names (dim_N
 *     where none), attributes without _ARRAY_DIMENSIONS, coordinates;
 *   - an array lsio cannot read is left out with a warning;
 *   - an unknown variable says "did you mean"; an array, a missing store
 *     and a directory that is no group are refused (-LSIO_EJOB);
 *   - coordinates read back as doubles through a job: big-endian f8,
 *     u1, datetime64 with NaT, a missing chunk as the fill value.
 *
 * With arguments, `test_zarr_dataset --values STORE VAR` prints VAR's
 * values as zarr_var_read_doubles gives them, one a line (%.17g), for
 * tests/cli/zarr_dataset.bats to compare with xarray's.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/zarr.h"
#include "unit.h"

static char top[256];

static void put(const char *dir, const char *key, const void *data, size_t n)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", top, dir, key);
	for (slash = strchr(path + strlen(top) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, n, f) == n, "cannot write '%s'", path);
	if (f)
		fclose(f);
}

static void put_text(const char *dir, const char *key, const char *text)
{
	put(dir, key, text, strlen(text));
}

/* --- the stores ------------------------------------------------------------------ */

#define LAT_ZARRAY "{\"zarr_format\": 2, \"shape\": [4], \"chunks\": [3], \"dtype\": \">f8\", \"compressor\": null, \"filters\": null, \"fill_value\": \"NaN\", \"order\": \"C\"}"
#define LAT_ZATTRS "{\"_ARRAY_DIMENSIONS\": [\"lat\"], \"units\": \"degrees_north\"}"
#define V_ZARRAY "{\"zarr_format\": 2, \"shape\": [4, 2], \"chunks\": [4, 2], \"dtype\": \"<i2\", \"compressor\": null, \"filters\": null, \"fill_value\": -1, \"order\": \"C\"}"
#define V_ZATTRS "{\"_ARRAY_DIMENSIONS\": [\"lat\", \"x\"], \"scale_factor\": 0.5}"
#define N_ZARRAY "{\"zarr_format\": 2, \"shape\": [3], \"chunks\": [2], \"dtype\": \"|u1\", \"compressor\": null, \"filters\": null, \"fill_value\": 7, \"order\": \"C\"}"
#define T_ZARRAY "{\"zarr_format\": 2, \"shape\": [2], \"chunks\": [2], \"dtype\": \"<M8[s]\", \"compressor\": null, \"filters\": null, \"fill_value\": null, \"order\": \"C\"}"
#define T_ZATTRS "{\"_ARRAY_DIMENSIONS\": [\"t\"]}"
#define S_ZARRAY "{\"zarr_format\": 2, \"shape\": [2], \"chunks\": [2], \"dtype\": \"<U4\", \"compressor\": null, \"filters\": null, \"fill_value\": \"\", \"order\": \"C\"}"

/* lat (big-endian f8, descending, 2 chunks), v (2-D, no chunk), n (u1,
 * no dimension names, its 2nd chunk missing), t (datetime64 with NaT),
 * s (a string array, unreadable). */
static void put_v2_arrays(const char *dir)
{
	static const uint8_t lat0[24] = { 0x40, 0x24, 0, 0, 0, 0, 0, 0,	/* 10 */
					  0x40, 0x14, 0, 0, 0, 0, 0, 0,	/* 5 */
					  0, 0, 0, 0, 0, 0, 0, 0 };	/* 0 */
	static const uint8_t lat1[24] = { 0xc0, 0x14, 0, 0, 0, 0, 0, 0 };	/* -5 */
	static const uint8_t n0[2] = { 200, 3 };
	static const uint8_t t0[16] = { 60, 0, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 0x80 };	/* NaT */

	put_text(dir, "lat/.zarray", LAT_ZARRAY);
	put_text(dir, "lat/.zattrs", LAT_ZATTRS);
	put(dir, "lat/0", lat0, sizeof(lat0));
	put(dir, "lat/1", lat1, sizeof(lat1));
	put_text(dir, "v/.zarray", V_ZARRAY);
	put_text(dir, "v/.zattrs", V_ZATTRS);
	put_text(dir, "n/.zarray", N_ZARRAY);
	put(dir, "n/0", n0, sizeof(n0));
	put_text(dir, "t/.zarray", T_ZARRAY);
	put_text(dir, "t/.zattrs", T_ZATTRS);
	put(dir, "t/0", t0, sizeof(t0));
	put_text(dir, "s/.zarray", S_ZARRAY);
	put_text(dir, "junk/readme", "not an array");
}

static const char *const zmetadata =
	"{\"zarr_consolidated_format\": 1, \"metadata\": {"
	"\".zgroup\": {\"zarr_format\": 2}, \".zattrs\": {\"title\": \"walked\"},"
	"\"lat/.zarray\": " LAT_ZARRAY ", \"lat/.zattrs\": " LAT_ZATTRS ","
	"\"v/.zarray\": " V_ZARRAY ", \"v/.zattrs\": " V_ZATTRS ","
	"\"n/.zarray\": " N_ZARRAY ", \"t/.zarray\": " T_ZARRAY ","
	"\"t/.zattrs\": " T_ZATTRS ", \"s/.zarray\": " S_ZARRAY ","
	"\"g/.zgroup\": {\"zarr_format\": 2}, \"g/.zattrs\": {\"title\": \"in g\"},"
	"\"g/lat/.zarray\": " LAT_ZARRAY ", \"g/lat/.zattrs\": " LAT_ZATTRS "}}";

static void put_stores(void)
{
	put_text("v2.zarr", ".zgroup", "{\"zarr_format\": 2}");
	put_text("v2.zarr", ".zattrs", "{\"title\": \"walked\"}");
	put_v2_arrays("v2.zarr");
	put_v2_arrays("cons.zarr");
	put_text("cons.zarr", ".zmetadata", zmetadata);
	/* g is a group only in .zmetadata (no .zgroup of its own): what a
	 * remote store that cannot be listed looks like */
	put_text("cons.zarr/g", "lat/.zarray", LAT_ZARRAY);
	put_text("cons.zarr/g", "lat/.zattrs", LAT_ZATTRS);
	put_text("cons.zarr/g", "ignored/.zarray", N_ZARRAY);
	put_text("nogroup", "x.txt", "not zarr");
}

#define V3_LAT "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [4], \"data_type\": \"float64\", " \
	"\"chunk_grid\": {\"name\": \"regular\", \"configuration\": {\"chunk_shape\": [3]}}, " \
	"\"chunk_key_encoding\": {\"name\": \"default\", \"configuration\": {\"separator\": \"/\"}}, " \
	"\"codecs\": [{\"name\": \"bytes\", \"configuration\": {\"endian\": \"big\"}}], " \
	"\"fill_value\": \"NaN\", \"dimension_names\": [\"lat\"], \"attributes\": {\"units\": \"degrees_north\"}}"
#define V3_V "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [4, 2], \"data_type\": \"int16\", " \
	"\"chunk_grid\": {\"name\": \"regular\", \"configuration\": {\"chunk_shape\": [4, 2]}}, " \
	"\"chunk_key_encoding\": {\"name\": \"default\", \"configuration\": {\"separator\": \"/\"}}, " \
	"\"codecs\": [{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}], " \
	"\"fill_value\": -1, \"dimension_names\": [\"lat\", null], \"attributes\": {\"scale_factor\": 0.5}}"

static void put_v3(const char *dir, bool consolidated)
{
	static const uint8_t lat0[24] = { 0x40, 0x24, 0, 0, 0, 0, 0, 0,
					  0x40, 0x14, 0, 0, 0, 0, 0, 0 };
	static const uint8_t lat1[24] = { 0xc0, 0x14, 0, 0, 0, 0, 0, 0 };

	put_text(dir, "zarr.json", consolidated ?
		 "{\"zarr_format\": 3, \"node_type\": \"group\", \"attributes\": {\"title\": \"v3\"}, "
		 "\"consolidated_metadata\": {\"kind\": \"inline\", \"must_understand\": false, \"metadata\": {"
		 "\"lat\": " V3_LAT ", \"v\": " V3_V ", \"sub\": {\"zarr_format\": 3, \"node_type\": \"group\"},"
		 "\"sub/lat\": " V3_LAT "}}}" :
		 "{\"zarr_format\": 3, \"node_type\": \"group\", \"attributes\": {\"title\": \"v3\"}}");
	put_text(dir, "lat/zarr.json", V3_LAT);
	put(dir, "lat/c/0", lat0, sizeof(lat0));
	put(dir, "lat/c/1", lat1, sizeof(lat1));
	put_text(dir, "v/zarr.json", V3_V);
	put_text(dir, "sub/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
	put_text(dir, "sub/lat/zarr.json", V3_LAT);
}

/* --- checks ------------------------------------------------------------------------ */

static bool str_is(json_t *v, const char *s)
{
	return json_string_value(v) && !strcmp(json_string_value(v), s);
}

static struct zarr_dataset *open_ds(struct lsio_ctx *ctx, const char *rel)
{
	struct zarr_dataset *ds = NULL;
	char uri[512];
	int ret;

	snprintf(uri, sizeof(uri), "%s/%s", top, rel);
	ret = zarr_dataset_open(ctx, uri, NULL, &ds);
	CHECK(!ret && ds, "%s: %d %s", rel, ret, lsio_ctx_message(ctx));
	return ret ? NULL : ds;
}

static void check_values(struct lsio_ctx *ctx, const struct zarr_dataset *ds,
			 const char *name, const double *want, uint64_t n)
{
	const struct zarr_var *v;
	double *got = NULL;
	uint64_t len = 0;
	int ret = zarr_dataset_var(ctx, ds, name, &v);

	if (!ret)
		ret = zarr_var_read_doubles(ctx, ds, v, NULL, &got, &len);
	CHECK(!ret && len == n, "%s: %d (%s), %llu values", name, ret,
	      lsio_ctx_message(ctx), (unsigned long long)len);
	for (uint64_t i = 0; !ret && i < n && i < len; i++)
		CHECK(got[i] == want[i] || (isnan(got[i]) && isnan(want[i])),
		      "%s[%llu] = %g, want %g", name, (unsigned long long)i, got[i], want[i]);
	free(got);
}

/* What every form of the v2 store holds. */
static void check_v2(struct lsio_ctx *ctx, const char *rel, bool consolidated)
{
	static const double lat[] = { 10, 5, 0, -5 }, n[] = { 200, 3, 7 };
	static const double t[] = { 60, NAN };
	struct zarr_dataset *ds = open_ds(ctx, rel);
	const struct zarr_var *v;
	const char *w, *warned = NULL;

	if (!ds)
		return;
	while ((w = lsio_ctx_next_warning(ctx)))
		if (strstr(w, "'s' left out") && strstr(w, "<U4"))
			warned = w;
	CHECK(warned, "%s: no warning that 's' is left out", rel);
	CHECK(ds->nvars == 4 && !strcmp(ds->vars[0].name, "lat") &&
	      !strcmp(ds->vars[1].name, "n") && !strcmp(ds->vars[2].name, "t") &&
	      !strcmp(ds->vars[3].name, "v"), "%s: %zu variables", rel, ds->nvars);
	CHECK(ds->consolidated == consolidated && ds->format == 2, "%s: consolidated %d",
	      rel, ds->consolidated);
	CHECK(str_is(json_object_get(ds->attrs, "title"), "walked"),
	      "%s: group attributes", rel);
	if (ds->nvars != 4)
		goto out;
	v = &ds->vars[3];
	CHECK(!strcmp(v->dims[0], "lat") && !strcmp(v->dims[1], "x") && v->named &&
	      !v->is_coord, "%s: v's dims", rel);
	CHECK(!json_object_get(v->attrs, "_ARRAY_DIMENSIONS") &&
	      json_real_value(json_object_get(v->attrs, "scale_factor")) == 0.5,
	      "%s: v's attributes", rel);
	CHECK(!strcmp(ds->vars[1].dims[0], "dim_0") && !ds->vars[1].named &&
	      !ds->vars[1].is_coord && json_object_size(ds->vars[1].attrs) == 0,
	      "%s: n is not named", rel);
	CHECK(ds->vars[0].is_coord && ds->vars[2].is_coord, "%s: lat and t are coordinates", rel);
	CHECK(zarr_dataset_coord(ds, "lat") == &ds->vars[0] && !zarr_dataset_coord(ds, "x") &&
	      !zarr_dataset_coord(ds, "v"), "%s: coordinates by dimension", rel);
	CHECK(zarr_dataset_var(ctx, ds, "lta", &v) == -LSIO_EJOB && !v &&
	      strstr(lsio_ctx_message(ctx), "no variable 'lta' (did you mean 'lat'?)") &&
	      strstr(lsio_ctx_message(ctx), "variables: lat, n, t, v"),
	      "%s: unknown variable: %s", rel, lsio_ctx_message(ctx));
	check_values(ctx, ds, "lat", lat, 4);
	check_values(ctx, ds, "n", n, 3);
	check_values(ctx, ds, "t", t, 2);
	CHECK(zarr_dataset_var(ctx, ds, "v", &v) == 0 &&
	      zarr_var_read_doubles(ctx, ds, v, NULL, &(double *){ NULL }, &(uint64_t){ 0 }) == -LSIO_EJOB,
	      "%s: a 2-D variable is no coordinate", rel);
out:
	zarr_dataset_free(ds);
}

static void check_v3(struct lsio_ctx *ctx, const char *rel, bool consolidated)
{
	static const double lat[] = { 10, 5, 0, -5 };
	struct zarr_dataset *ds = open_ds(ctx, rel);

	if (!ds)
		return;
	CHECK(ds->nvars == 2 && ds->format == 3 && ds->consolidated == consolidated,
	      "%s: %zu variables, consolidated %d", rel, ds->nvars, ds->consolidated);
	CHECK(str_is(json_object_get(ds->attrs, "title"), "v3"),
	      "%s: group attributes", rel);
	if (ds->nvars == 2) {
		const struct zarr_var *v = &ds->vars[1];

		CHECK(ds->vars[0].is_coord && !strcmp(v->dims[0], "lat") &&
		      !strcmp(v->dims[1], "dim_1") && !v->named,
		      "%s: dimension_names with a null", rel);
		CHECK(json_real_value(json_object_get(v->attrs, "scale_factor")) == 0.5,
		      "%s: attributes", rel);
		check_values(ctx, ds, "lat", lat, 4);
	}
	zarr_dataset_free(ds);
}

/* A group named only in its parent's .zmetadata: its members are those
 * the metadata lists, read from the parent's store. */
static void check_in_parent(struct lsio_ctx *ctx)
{
	static const double none[] = { NAN, NAN, NAN, NAN };
	struct zarr_dataset *ds = open_ds(ctx, "cons.zarr/g");

	if (!ds)
		return;
	CHECK(ds->nvars == 1 && ds->consolidated && !strcmp(ds->group, "g") &&
	      !strcmp(ds->vars[0].name, "lat") && !strcmp(ds->vars[0].a.path, "g/lat") &&
	      str_is(json_object_get(ds->attrs, "title"), "in g"),
	      "cons.zarr/g: %zu variables, group '%s'", ds->nvars, ds->group);
	/* no chunk written: all fill value */
	check_values(ctx, ds, "lat", none, 4);
	zarr_dataset_free(ds);
}

static void check_refusals(struct lsio_ctx *ctx)
{
	static const struct {
		const char *rel, *says;
	} cases[] = {
		{ "v2.zarr/lat", "a Zarr array, not a group" },
		{ "cons.zarr/v", "a Zarr array, not a group" },
		{ "v3c.zarr/lat", "a Zarr array, not a group" },
		{ "nothere.zarr", "No such file or directory" },
		{ "nogroup", "not a Zarr group" },
	};
	struct zarr_dataset *ds;
	char uri[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(uri, sizeof(uri), "%s/%s", top, cases[i].rel);
		CHECK(zarr_dataset_open(ctx, uri, NULL, &ds) == -LSIO_EJOB && !ds &&
		      strstr(lsio_ctx_message(ctx), cases[i].says),
		      "%s: %s", cases[i].rel, lsio_ctx_message(ctx));
	}
}

static void check_info(struct lsio_ctx *ctx)
{
	char uri[512], *text = NULL;

	snprintf(uri, sizeof(uri), "%s/v2.zarr", top);
	CHECK(!lsio_zarr_info(ctx, uri, NULL, false, &text) && text &&
	      strstr(text, "\tlat = 4 ;\n") && strstr(text, "\tdouble lat(lat) ;\n") &&
	      strstr(text, "\t\t// values 10.0 to -5.0, descending\n") &&
	      strstr(text, "\t\t// 2 of 2 chunks present (100.0%), stored 48 bytes, decoded 32 bytes") &&
	      strstr(text, "\t\t// 0 of 1 chunks present (0.0%), stored 0 bytes, decoded 16 bytes\n") &&
	      strstr(text, "\t\t:title = \"walked\" ;\n"),
	      "info text: %s", text ? text : lsio_ctx_message(ctx));
	free(text);
}

/* --values STORE VAR */
static int print_values(const char *store, const char *name)
{
	struct lsio_ctx *ctx = lsio_ctx_new();
	struct zarr_dataset *ds = NULL;
	const struct zarr_var *v;
	double *x = NULL;
	uint64_t n = 0;
	int ret = ctx ? zarr_dataset_open(ctx, store, NULL, &ds) : -ENOMEM;

	if (!ret)
		ret = zarr_dataset_var(ctx, ds, name, &v);
	if (!ret)
		ret = zarr_var_read_doubles(ctx, ds, v, NULL, &x, &n);
	for (uint64_t i = 0; !ret && i < n; i++)
		printf("%.17g\n", x[i]);
	if (ret)
		fprintf(stderr, "test_zarr_dataset: %s\n", ctx ? lsio_ctx_message(ctx) : "no memory");
	free(x);
	zarr_dataset_free(ds);
	lsio_ctx_free(ctx);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct lsio_ctx *ctx;
	char cmd[300];

	if (argc == 4 && !strcmp(argv[1], "--values"))
		return print_values(argv[2], argv[3]);
	snprintf(top, sizeof(top), "%s/lsio-ds-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ctx = lsio_ctx_new();
	if (!mkdtemp(top) || !ctx) {
		perror("mkdtemp");
		return 1;
	}
	put_stores();
	put_v3("v3.zarr", false);
	put_v3("v3c.zarr", true);
	check_v2(ctx, "v2.zarr", false);
	check_v2(ctx, "cons.zarr", true);
	check_in_parent(ctx);
	check_v3(ctx, "v3.zarr", false);
	check_v3(ctx, "v3c.zarr", true);
	check_refusals(ctx);
	check_info(ctx);
	lsio_ctx_free(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	CHECK(system(cmd) == 0, "cannot remove %s", top);
	return unit_done("test_zarr_dataset");
}
