/* SPDX-License-Identifier: MIT */
/*
 * test_job.c - the job parser: sizes, dtypes, fill values, "did you mean",
 * a table of valid and invalid jobs with the message each must give, and
 * a generated job of 200,000 chunks.
 *
 * Job texts are written with single quotes and turned into JSON by dq(),
 * so the tables stay readable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "job/job.h"
#include "unit.h"

/* The text with every ' made a ", in a buffer the caller frees. */
static char *dq(const char *text)
{
	char *s = strdup(text);

	for (char *p = s; p && *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static int load(struct lsio_ctx *ctx, const char *text, struct lsio_job **job)
{
	char *json = dq(text);
	int ret = lsio_job_load_string(ctx, json, "t.json", job);

	free(json);
	return ret;
}

/* --- sizes ------------------------------------------------------------ */

static const struct {
	const char *text;
	int ret;
	uint64_t value;
} size_cases[] = {
	{ "4096", 0, 4096 },		{ "0", 0, 0 },
	{ "off", 0, 0 },		{ "8B", 0, 8 },
	{ "4k", 0, 4096 },		{ "4K", 0, 4096 },
	{ "4KiB", 0, 4096 },		{ "4 KiB", 0, 4096 },
	{ "1kB", 0, 1000 },		{ "1KB", 0, 1000 },
	{ "2M", 0, 2 << 20 },		{ "2MiB", 0, 2 << 20 },
	{ "3MB", 0, 3000000 },		{ "1GiB", 0, 1ull << 30 },
	{ "1GB", 0, 1000000000 },	{ "1T", 0, 1ull << 40 },
	{ "2TB", 0, 2000000000000ull },	{ "16m", 0, 16 << 20 },
	{ "9223372036854775807", 0, INT64_MAX },
	{ "8589934591G", 0, 8589934591ull << 30 },
	{ "", -LSIO_EUSAGE, 0 },	{ "-1", -LSIO_EUSAGE, 0 },
	{ "1.5M", -LSIO_EUSAGE, 0 },	{ "1 ", -LSIO_EUSAGE, 0 },
	{ " 1", -LSIO_EUSAGE, 0 },	{ "1  K", -LSIO_EUSAGE, 0 },
	{ "1KiBs", -LSIO_EUSAGE, 0 },	{ "1e6", -LSIO_EUSAGE, 0 },
	{ "0x10", -LSIO_EUSAGE, 0 },	{ "M", -LSIO_EUSAGE, 0 },
	{ "1kib", -LSIO_EUSAGE, 0 },	{ "OFF", -LSIO_EUSAGE, 0 },
	{ "9223372036854775808", -LSIO_EUSAGE, 0 },
	{ "8589934592G", -LSIO_EUSAGE, 0 },
	{ "99999999999999999999999", -LSIO_EUSAGE, 0 },
};

static void test_sizes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(size_cases); i++) {
		uint64_t v = 12345;
		int ret = lsio_parse_size(size_cases[i].text, &v);

		CHECK(ret == size_cases[i].ret, "size '%s': ret %d",
		      size_cases[i].text, ret);
		if (!ret)
			CHECK(v == size_cases[i].value,
			      "size '%s': %" PRIu64, size_cases[i].text, v);
	}
}

/* --- dtypes ----------------------------------------------------------- */

static const struct {
	const char *text;
	const char *str;	/* NULL: must fail */
	uint32_t size;
} dtype_cases[] = {
	{ "<f4", "<f4", 4 },	{ "f4", "<f4", 4 },	{ "=f8", "<f8", 8 },
	{ ">i8", ">i8", 8 },	{ "u1", "|u1", 1 },	{ ">u1", "|u1", 1 },
	{ "b1", "|b1", 1 },	{ "|f4", "<f4", 4 },	{ "c16", "<c16", 16 },
	{ ">c8", ">c8", 8 },	{ "<f2", "<f2", 2 },	{ "i2", "<i2", 2 },
	{ "<M8[ns]", "<M8[ns]", 8 },	{ "m8[25s]", "<m8[25s]", 8 },
	{ ">M8[D]", ">M8[D]", 8 },	{ "V16", "|V16", 16 },
	{ "|S5", "|S5", 5 },	{ "<V3", "|V3", 3 },
	{ "f3", NULL, 0 },	{ "i3", NULL, 0 },	{ "b2", NULL, 0 },
	{ "M8", NULL, 0 },	{ "M8[xs]", NULL, 0 },	{ "M8[ns", NULL, 0 },
	{ "M4[ns]", NULL, 0 },	{ "M8[0s]", NULL, 0 },	{ "V0", NULL, 0 },
	{ "f04", NULL, 0 },	{ "<<f4", NULL, 0 },	{ "", NULL, 0 },
	{ "x4", NULL, 0 },	{ "f4 ", NULL, 0 },	{ "c4", NULL, 0 },
	{ "u16", NULL, 0 },	{ "V99999999999", NULL, 0 },
	{ "float32", NULL, 0 },	{ "<", NULL, 0 },
};

static void test_dtypes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dtype_cases); i++) {
		struct lsio_dtype dt;
		int ret = lsio_dtype_parse(dtype_cases[i].text, &dt);

		if (!dtype_cases[i].str) {
			CHECK(ret == -LSIO_EJOB, "dtype '%s' accepted as '%s'",
			      dtype_cases[i].text, dt.str);
			continue;
		}
		CHECK(ret == 0, "dtype '%s': %d", dtype_cases[i].text, ret);
		CHECK(!strcmp(dt.str, dtype_cases[i].str) &&
		      dt.size == dtype_cases[i].size &&
		      dt.order == dt.str[0] && dt.kind == dt.str[1],
		      "dtype '%s': '%s' size %u", dtype_cases[i].text, dt.str,
		      dt.size);
	}
}

/* --- fill values ------------------------------------------------------ */

static const struct {
	const char *dtype;
	const char *json;
	const char *hex;	/* expected bytes; NULL: must fail */
} fill_cases[] = {
	{ "<f4", "1.5", "0000c03f" },	{ ">f4", "1.5", "3fc00000" },
	{ "<f4", "true", "0000803f" },	{ "<f4", "null", "00000000" },
	{ "<f4", "-0.0", "00000080" },	{ "<f4", "1e39", NULL },
	{ "<f4", "'nan'", NULL },	{ "<f4", "[1]", NULL },
	{ "<f4", "'Infinity'", "0000807f" },
	{ "<f8", "'-Infinity'", "000000000000f0ff" },
	{ "<f8", "'NaN'", "000000000000f87f" },
	{ "<f2", "1.0", "003c" },	{ "<f2", "-2", "00c0" },
	{ "<f2", "0.1", "662e" },	{ "<f2", "65504", "ff7b" },
	{ "<f2", "65519", "ff7b" },	{ "<f2", "65520", NULL },
	{ "<f2", "1e-8", "0000" },	{ "<f2", "6e-8", "0100" },
	{ "<f2", "6.103515625e-05", "0004" },
	{ "<f2", "2049", "0068" },	{ "<f2", "2051", "0268" },
	{ "<f2", "'NaN'", "007e" },	{ "<f2", "'-Infinity'", "00fc" },
	{ ">f2", "1.0", "3c00" },
	{ "|u1", "255", "ff" },		{ "|u1", "256", NULL },
	{ "|u1", "-1", NULL },		{ "|u1", "1.0", "01" },
	{ "|u1", "1.5", NULL },		{ "|u1", "'NaN'", NULL },
	{ "|u1", "false", "00" },
	{ "<i2", "-2", "feff" },	{ ">i2", "-2", "fffe" },
	{ "<i2", "32768", NULL },	{ "<i2", "-32768", "0080" },
	{ "<i4", "-1e3", "18fcffff" },
	{ "<u8", "9223372036854775807", "ffffffffffffff7f" },
	{ "<u8", "1e19", "0000e8890423c78a" },
	{ "<u8", "1.8446744073709552e19", NULL },
	{ "<i8", "-9223372036854775808", "0000000000000080" },
	{ "<i8", "9.3e18", NULL },
	{ "|b1", "true", "01" },	{ "|b1", "1", "01" },
	{ "|b1", "2", NULL },		{ "|b1", "0.5", NULL },
	{ "<M8[ns]", "'NaT'", "0000000000000080" },
	{ ">M8[s]", "'NaT'", "8000000000000000" },
	{ "<m8[ns]", "5", "0500000000000000" },
	{ "<M8[ns]", "1.5", NULL },	{ "<M8[ns]", "'NaN'", NULL },
	{ "<c8", "1.5", "0000c03f00000000" },
	{ ">c16", "'NaN'", "7ff80000000000000000000000000000" },
	{ "|V4", "0", "00000000" },	{ "|V4", "1", NULL },
	{ "|S2", "null", "0000" },	{ "|S2", "'ab'", NULL },
};

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void test_fill(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fill_cases); i++) {
		char *text = dq(fill_cases[i].json), why[256] = "", hex[40];
		json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
		struct lsio_dtype dt;
		uint8_t out[16];
		int ret;

		CHECK(v && !lsio_dtype_parse(fill_cases[i].dtype, &dt),
		      "fill case %zu set-up", i);
		if (!v) {
			free(text);
			continue;
		}
		ret = lsio_fill_encode(&dt, v, out, why, sizeof(why));
		if (!fill_cases[i].hex) {
			CHECK(ret == -LSIO_EJOB && why[0],
			      "fill %s %s accepted", fill_cases[i].dtype, text);
		} else {
			hex_of(out, dt.size, hex);
			CHECK(ret == 0 && !strcmp(hex, fill_cases[i].hex),
			      "fill %s %s: ret %d, %s, want %s (%s)",
			      fill_cases[i].dtype, text, ret, hex,
			      fill_cases[i].hex, why);
		}
		json_decref(v);
		free(text);
	}
}

/* --- did you mean ----------------------------------------------------- */

static const char *const chunk_words[] = { "source", "offset", "length",
					   "stages", "place", "name", NULL };
static const char *const storage_words[] = { "workers", "queue_depth",
	"memory", "direct", "coalesce_gap", "max_request", "split",
	"part_size", "backend", NULL };
static const char *const place_words[] = { "shape", "to", "from", "count",
					   "order", NULL };
static const char *const bench_words[] = { "dir", "files", "file-size",
	"chunk", "pattern", "part-size", NULL };

static const struct {
	const char *key;
	const char *const *words;
	const char *want;
} dym_cases[] = {
	{ "ofset", chunk_words, "offset" },
	{ "lenght", chunk_words, "length" },
	{ "Offset", chunk_words, "offset" },
	{ "OFFSET", chunk_words, "offset" },
	{ "sorce", chunk_words, "source" },
	{ "stage", chunk_words, "stages" },
	{ "nmae", chunk_words, "name" },
	{ "xyz", chunk_words, NULL },
	{ "destination", chunk_words, NULL },
	{ "memroy", storage_words, "memory" },
	{ "queue-depth", storage_words, "queue_depth" },
	{ "workrs", storage_words, "workers" },
	/* A part of a word, when no word is an edit or two away. */
	{ "coalesce", storage_words, "coalesce_gap" },
	{ "gap", storage_words, "coalesce_gap" },
	{ "SIZE", storage_words, "part_size" },
	{ "size", bench_words, "file-size" },
	{ "ize", storage_words, NULL },
	{ "si", storage_words, NULL },
	{ "threads", storage_words, NULL },
	{ "tp", place_words, "to" },
	{ "shpae", place_words, "shape" },
	{ "x", place_words, NULL },
	{ "", place_words, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  place_words, NULL },
};

static void test_did_you_mean(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dym_cases); i++) {
		const char *got = lsio_did_you_mean(dym_cases[i].key,
						    dym_cases[i].words);
		const char *want = dym_cases[i].want;

		CHECK(want ? got && !strcmp(got, want) : !got,
		      "did you mean '%s': got '%s', want '%s'",
		      dym_cases[i].key, got ? got : "(null)",
		      want ? want : "(null)");
	}
}

/* --- jobs ------------------------------------------------------------- */

#define NUL_OUT "{'lsio':1,'output':{'type':'null'},"
#define ARR_OUT "{'lsio':1,'output':{'type':'array','path':'o.npy'," \
		"'dtype':'<f4','shape':[64,128]},"
#define FILES_OUT(name) "{'lsio':1,'output':{'type':'files','dir':'d'," \
			"'name':'" name "'},"
#define ONE(chunk) "'chunks':[" chunk "]}"
#define A16 "aaaaaaaaaaaaaaaa"
#define A256 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16
#define PL(to) "'place':{'shape':[32,32],'to':" to "}"

static const struct {
	const char *text;
	int ret;
	const char *msg;	/* a substring of the message */
} job_cases[] = {
	/* valid */
	{ NUL_OUT "'chunks':[]}", 0, "" },
	{ NUL_OUT ONE("{'source':'a.bin'}"), 0, "" },
	{ NUL_OUT ONE("{'source':'a','offset':'4KiB','length':'1 MiB','stages':['identity']}"), 0, "" },
	{ NUL_OUT ONE("{'source':'a','stages':[{'codec':'identity'}]}"), 0, "" },
	{ NUL_OUT "'defaults':{'source':'a','length':16},'chunks':[{},{'offset':16}]}", 0, "" },
	{ "{'lsio':1,'output':{'type':'stdout'},'chunks':[{'source':'a'}]}", 0, "" },
	{ ARR_OUT ONE("{'source':'a','length':4096," PL("[32,96]") "}"), 0, "" },
	{ ARR_OUT ONE("{'source':'a'," PL("[0,0]") ",'stages':['identity']}"), 0, "" },
	{ FILES_OUT("{source}_{offset}.bin") "'chunks':[{'source':'x/a','offset':1},{'source':'b','offset':1}]}", 0, "" },
	{ NUL_OUT "'storage':{'workers':4,'queue_depth':64,'memory':'256MiB','direct':true,'coalesce_gap':'off','max_request':'2MiB','split':0,'part_size':'8MiB','backend':'null'},'chunks':[]}", 0, "" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f8','shape':[],'fill_value':'NaN'},'chunks':[]}", 0, "" },
	/* JSON syntax */
	{ "{'lsio':1,\n'chunks':[}", -LSIO_EJOB, "t.json:2:" },
	{ "{'lsio':1,'lsio':1}", -LSIO_EJOB, "duplicate object key" },
	{ "", -LSIO_EJOB, "t.json:" },
	{ "[]", -LSIO_EJOB, "t.json: expected a JSON object at the top level" },
	{ NUL_OUT ONE("{'source':'a','offset':99999999999999999999}"), -LSIO_EJOB, "too big integer" },
	/* top level */
	{ "{'output':{'type':'null'},'chunks':[]}", -LSIO_EJOB, "t.json: missing \"lsio\"" },
	{ "{'lsio':2,'output':{'type':'null'},'chunks':[]}", -LSIO_EJOB, "t.json: unsupported job format version 2 (this lsio reads 1)" },
	{ "{'lsio':'1','output':{'type':'null'},'chunks':[]}", -LSIO_EJOB, "t.json: lsio: expected the job format version" },
	{ NUL_OUT "'chunk':[]}", -LSIO_EJOB, "t.json: unknown key 'chunk' (did you mean 'chunks'?)" },
	{ NUL_OUT "'version':3,'chunks':[]}", -LSIO_EJOB, "t.json: unknown key 'version'" },
	{ "{'lsio':1,'chunks':[]}", -LSIO_EJOB, "t.json: missing \"output\"" },
	{ NUL_OUT "'chunks':{}}", -LSIO_EJOB, "t.json: chunks: expected a list" },
	{ NUL_OUT "'defaults':{}}", -LSIO_EJOB, "t.json: missing \"chunks\"" },
	/* output */
	{ "{'lsio':1,'output':'x.npy','chunks':[]}", -LSIO_EJOB, "t.json: output: expected an object" },
	{ "{'lsio':1,'output':{'type':'arary'},'chunks':[]}", -LSIO_EJOB, "output.type: unknown output type 'arary' (did you mean 'array'?)" },
	{ "{'lsio':1,'output':{'type':'files','path':'x'},'chunks':[]}", -LSIO_EJOB, "output: 'path' is not a key of files output (it belongs to array output)" },
	{ "{'lsio':1,'output':{'type':'array','shape':[1]},'chunks':[]}", -LSIO_EJOB, "output: missing \"dtype\"" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f3','shape':[1]},'chunks':[]}", -LSIO_EJOB, "output.dtype: unknown dtype '<f3'" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]},'chunks':[]}", -LSIO_EJOB, "output.shape: expected a list of at most 32" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[4611686018427387904,2]},'chunks':[]}", -LSIO_EJOB, "output.shape: the array is too large" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[1,-1]},'chunks':[]}", -LSIO_EJOB, "output.shape[1]: -1 is negative" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[1],'order':'F'},'chunks':[]}", -LSIO_EJOB, "output.order: expected \"C\"" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'u1','shape':[1],'fill_value':300},'chunks':[]}", -LSIO_EJOB, "output.fill_value: 300 is out of range for '|u1'" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[1],'fill_value':'nan'},'chunks':[]}", -LSIO_EJOB, "output.fill_value: expected a number" },
	{ "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[1],'format':'hdf5'},'chunks':[]}", -LSIO_EJOB, "output.format: expected \"npy\" or \"raw\"" },
	{ "{'lsio':1,'output':{'type':'null','dtype':'<f4'},'chunks':[]}", -LSIO_EJOB, "'dtype' is not a key of null output" },
	{ "{'lsio':1,'output':{'tpye':'null'},'chunks':[]}", -LSIO_EJOB, "t.json: output: unknown key 'tpye' (did you mean 'type'?)" },
	{ "{'lsio':1,'output':{'type':'stdout'},'chunks':[{'source':'a','place':{}}]}", -LSIO_EJOB, "chunks[0].place: only array output places chunks" },
	/* storage */
	{ NUL_OUT "'storage':{'workers':0},'chunks':[]}", -LSIO_EJOB, "t.json: storage.workers: 0 is out of range (1..1024)" },
	{ NUL_OUT "'storage':{'memroy':'1G'},'chunks':[]}", -LSIO_EJOB, "t.json: storage: unknown key 'memroy' (did you mean 'memory'?)" },
	{ NUL_OUT "'storage':{'direct':'aut'},'chunks':[]}", -LSIO_EJOB, "storage.direct: unknown value 'aut' (did you mean 'auto'?)" },
	{ NUL_OUT "'storage':{'memory':'off'},'chunks':[]}", -LSIO_EJOB, "storage.memory: cannot be 'off'" },
	{ NUL_OUT "'storage':{'backend':'io_uring'},'chunks':[]}", -LSIO_EJOB, "storage.backend: unknown value 'io_uring' (expected uring, pread or null)" },
	{ NUL_OUT "'storage':{'part_size':100},'chunks':[]}", -LSIO_EJOB, "storage.part_size: 100 is below the minimum 4096" },
	{ NUL_OUT "'storage':{'queue_depth':'8'},'chunks':[]}", -LSIO_EJOB, "storage.queue_depth: expected an integer" },
	{ NUL_OUT "'storage':[],'chunks':[]}", -LSIO_EJOB, "t.json: storage: expected an object" },
	/* chunks */
	{ NUL_OUT "'chunks':[7]}", -LSIO_EJOB, "t.json: chunks[0]: expected an object" },
	{ NUL_OUT "'chunks':[{'source':'a'},{'source':'a','ofset':4}]}", -LSIO_EJOB, "t.json: chunks[1]: unknown key 'ofset' (did you mean 'offset'?)" },
	{ NUL_OUT ONE("{'offset':0}"), -LSIO_EJOB, "chunks[0]: missing \"source\" (and no defaults.source)" },
	{ NUL_OUT ONE("{'source':''}"), -LSIO_EJOB, "chunks[0].source: expected a path" },
	{ NUL_OUT ONE("{'source':'a','offset':-1}"), -LSIO_EJOB, "chunks[0].offset: -1 is negative" },
	{ NUL_OUT ONE("{'source':'a','offset':1.5}"), -LSIO_EJOB, "chunks[0].offset: '1.5' is not a whole number" },
	/* Integral reals are named as reals, not as the integer they equal. */
	{ NUL_OUT ONE("{'source':'a','length':1.0}"), -LSIO_EJOB, "chunks[0].length: '1.0' is not a whole number: write it without a decimal point or exponent" },
	{ NUL_OUT ONE("{'source':'a','length':1e2}"), -LSIO_EJOB, "chunks[0].length: '100.0' is not a whole number" },
	{ NUL_OUT ONE("{'source':'a','length':0.1}"), -LSIO_EJOB, "chunks[0].length: '0.1' is not a whole number" },
	{ NUL_OUT ONE("{'source':'a','length':1e300}"), -LSIO_EJOB, "chunks[0].length: '1e+300' is not a whole number" },
	{ NUL_OUT ONE("{'source':'a','length':'12 parsecs'}"), -LSIO_EJOB, "chunks[0].length: invalid size '12 parsecs'" },
	{ NUL_OUT ONE("{'source':'a','length':'off'}"), -LSIO_EJOB, "chunks[0].length: invalid size 'off'" },
	{ NUL_OUT ONE("{'source':'a','offset':9223372036854775807,'length':1}"), -LSIO_EJOB, "chunks[0]: offset 9223372036854775807 + length 1 is past the largest file offset" },
	{ NUL_OUT ONE("{'source':'a','offset':'9223372036854775808'}"), -LSIO_EJOB, "chunks[0].offset: invalid size" },
	{ NUL_OUT ONE("{'source':'a','stages':['identiy']}"), -LSIO_EJOB, "chunks[0].stages[0]: unknown stage 'identiy' (did you mean 'identity'?)" },
	{ NUL_OUT ONE("{'source':'a','stages':'identity'}"), -LSIO_EJOB, "chunks[0].stages: expected a list of stages" },
	{ NUL_OUT ONE("{'source':'a','stages':[{'codec':'identity','level':3}]}"), -LSIO_EJOB, "stage 'identity' has no parameter 'level'" },
	{ NUL_OUT ONE("{'source':'a','name':'x'}"), -LSIO_EJOB, "chunks[0].name: only files output names chunks" },
	/* defaults */
	{ NUL_OUT "'defaults':{'lenght':4},'chunks':[]}", -LSIO_EJOB, "t.json: defaults: unknown key 'lenght' (did you mean 'length'?)" },
	{ NUL_OUT "'defaults':{'stages':['nope']},'chunks':[]}", -LSIO_EJOB, "t.json: defaults.stages[0]: unknown stage 'nope'" },
	{ NUL_OUT "'defaults':{'place':{'shape':[1]}},'chunks':[]}", -LSIO_EJOB, "t.json: defaults.place: only array output places chunks" },
	{ ARR_OUT "'defaults':{'place':{'to':[0,0]}},'chunks':[]}", -LSIO_EJOB, "defaults.place.to: differs per chunk" },
	{ ARR_OUT "'defaults':{'place':{'shape':[8,8],'count':[9,1]}},'chunks':[]}", -LSIO_EJOB, "defaults.place.count: dimension 0: from 0 + count 9 > shape 8" },
	/* place */
	{ ARR_OUT ONE("{'source':'a'}"), -LSIO_EJOB, "chunks[0]: missing \"place\"" },
	{ NUL_OUT ONE("{'source':'a'," PL("[0,0]") "}"), -LSIO_EJOB, "chunks[0].place: only array output places chunks" },
	{ ARR_OUT "'chunks':[{'source':'a'," PL("[0,0]") "},{'source':'a','place':{'shape':[64,64],'to':[0,96]}}]}", -LSIO_EJOB, "t.json: chunks[1].place.to: placement outside the array: dimension 1: 96 + 64 > 128" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[1,2,3],'to':[0,0]}}"), -LSIO_EJOB, "chunks[0].place.shape: 3 dimensions, but the output has 2" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[1,2]}}"), -LSIO_EJOB, "chunks[0].place: missing \"to\"" },
	{ ARR_OUT ONE("{'source':'a','place':{'to':[0,0]}}"), -LSIO_EJOB, "chunks[0].place: missing \"shape\" (and no defaults.place.shape)" },
	{ ARR_OUT ONE("{'source':'a','place':{'shpae':[1,1],'to':[0,0]}}"), -LSIO_EJOB, "chunks[0].place: unknown key 'shpae' (did you mean 'shape'?)" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[64,8],'to':[0,0],'from':[10,0],'count':[60,8]}}"), -LSIO_EJOB, "chunks[0].place.count: dimension 0: from 10 + count 60 > shape 64" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[64,8],'to':[0,0],'from':[0,9]}}"), -LSIO_EJOB, "chunks[0].place.from: dimension 1: 9 > shape 8" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[2,2],'to':[0,'x']}}"), -LSIO_EJOB, "chunks[0].place.to[1]: invalid size 'x'" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[2,2],'to':[0,0],'order':'K'}}"), -LSIO_EJOB, "chunks[0].place.order: expected \"C\" or \"F\"" },
	{ ARR_OUT ONE("{'source':'a','length':100," PL("[0,0]") "}"), -LSIO_EJOB, "chunks[0].length: 100 bytes, but the decoded chunk is 4096" },
	{ ARR_OUT ONE("{'source':'a','place':{'shape':[4611686018427387904,4],'to':[0,0],'count':[1,1]}}"), -LSIO_EJOB, "chunks[0].place.shape: the decoded chunk is too large" },
	/* files output names */
	{ FILES_OUT("{index}.bin") "'chunks':[{'source':'a','name':'a'},{'source':'b','name':'a'}]}", -LSIO_EJOB, "t.json: chunks[1].name: duplicate file name 'a' (also chunks[0])" },
	{ FILES_OUT("x.bin") "'chunks':[{'source':'a'},{'source':'b'}]}", -LSIO_EJOB, "t.json: chunks[1]: duplicate file name 'x.bin' (also chunks[0])" },
	{ FILES_OUT("{indx}.bin") "'chunks':[]}", -LSIO_EJOB, "output.name: unknown placeholder '{indx}' (did you mean '{index}'?)" },
	{ FILES_OUT("{size}.bin") "'chunks':[]}", -LSIO_EJOB, "output.name: unknown placeholder '{size}'; expected {index}, {source}, {offset} or {length}" },
	{ FILES_OUT("{index.bin") "'chunks':[]}", -LSIO_EJOB, "output.name: '{' without '}'" },
	{ FILES_OUT("a/{index}") "'chunks':[]}", -LSIO_EJOB, "output.name: a file name cannot contain '/'" },
	{ FILES_OUT("{index}") "'chunks':[{'source':'a','name':'..'}]}", -LSIO_EJOB, "chunks[0].name: '..' is not a file name" },
	{ FILES_OUT("{index}") "'chunks':[{'source':'a','name':'b/c'}]}", -LSIO_EJOB, "chunks[0].name: file name 'b/c' contains '/'" },
	{ FILES_OUT("{index}_{length}") "'chunks':[{'source':'a','length':4},{'source':'a'}]}", -LSIO_EJOB, "chunks[1]: the file name template uses {length}, but the chunk has no length" },
	{ FILES_OUT("{source}") "'chunks':[{'source':'dir/'}]}", -LSIO_EJOB, "chunks[0]: the file name is empty" },
	{ FILES_OUT("{index}") "'chunks':[{'source':'a','name':'" A256 "'}]}", -LSIO_EJOB, "chunks[0].name: file name longer than 255 bytes" },
};

static void test_job_table(struct lsio_ctx *ctx)
{
	for (size_t i = 0; i < ARRAY_SIZE(job_cases); i++) {
		struct lsio_job *job = NULL;
		int ret = load(ctx, job_cases[i].text, &job);
		const char *msg = lsio_ctx_message(ctx);

		CHECK(ret == job_cases[i].ret,
		      "job case %zu: ret %d, want %d: %s", i, ret,
		      job_cases[i].ret, ret ? msg : "");
		if (ret)
			CHECK(strstr(msg, job_cases[i].msg),
			      "job case %zu: message '%s' lacks '%s'", i, msg,
			      job_cases[i].msg);
		CHECK(!ret == !!job, "job case %zu: job pointer", i);
		lsio_job_free(job);
	}
}

/* --- what a valid job holds -------------------------------------------- */

static void test_job_contents(struct lsio_ctx *ctx)
{
	struct lsio_job *job;
	struct lsio_place pl;
	int ret;

	ret = load(ctx, "{'lsio':1,'output':{'type':'array','path':'o.raw',"
		   "'dtype':'>i2','shape':[10,20],'fill_value':-2},"
		   "'defaults':{'source':'s.bin','stages':['identity'],"
		   "'place':{'shape':[4,8],'from':[1,0],'order':'F'}},"
		   "'chunks':[{'offset':0,'length':64,'place':{'to':[0,0]}},"
		   "{'source':'t.bin','place':{'to':[6,12],'order':'C','count':[2,8]}},"
		   "{'offset':'1K','place':{'to':[3,3]},'stages':[]}]}", &job);
	CHECK(ret == 0, "contents: %s", lsio_ctx_message(ctx));
	if (ret)
		return;
	CHECK(job->nchunks == 3 && lsio_job_chunk_count(job) == 3, "nchunks");
	CHECK(job->nsources == 2 && !strcmp(job->sources[0].path, "s.bin") &&
	      !strcmp(job->sources[1].path, "t.bin"), "sources");
	CHECK(job->chunks[2].source == 0, "default source shared");
	CHECK(job->nchains == 2 && job->chunks[0].chain == job->chunks[1].chain &&
	      job->chunks[2].chain != job->chunks[0].chain, "chains");
	CHECK(job->out.format == LSIO_FMT_AUTO && !strcmp(job->out.dtype.str, ">i2"),
	      "format, dtype");
	CHECK(job->out.fill[0] == 0xff && job->out.fill[1] == 0xfe &&
	      !job->out.fill_is_zero, "fill");
	CHECK(job->chunks[2].offset == 1024 &&
	      job->chunks[2].length == LSIO_LEN_EOF, "offset, length");
	CHECK(lsio_chunk_place(job, &job->chunks[0], &pl) && pl.ndim == 2 &&
	      pl.order == 'F' && pl.shape[0] == 4 && pl.shape[1] == 8 &&
	      pl.from[0] == 1 && pl.count[0] == 3 && pl.count[1] == 8,
	      "place of chunk 0");
	CHECK(lsio_chunk_place(job, &job->chunks[1], &pl) && pl.order == 'C' &&
	      pl.to[0] == 6 && pl.to[1] == 12 && pl.count[0] == 2, "place of chunk 1");
	CHECK(lsio_chunk_decoded_size(job, &job->chunks[1]) == 64, "decoded size");
	/* Chunks 0 and 2 differ only in "to": they share a box. */
	CHECK(job->nboxes == 2 && job->chunks[0].box == job->chunks[2].box &&
	      job->chunks[1].box != job->chunks[0].box &&
	      job->to_stride == 2 && job->box_stride == 8, "boxes");
	lsio_job_free(job);

	ret = load(ctx, "{'lsio':1,'output':{'type':'array','dtype':'<f4','shape':[2]}," "'chunks':[]}", &job);
	CHECK(ret == 0 && job->out.format == LSIO_FMT_AUTO && !job->out.path &&
	      job->out.fill_is_zero, "array without path");
	lsio_job_free(job);
}

static void test_job_names(struct lsio_ctx *ctx)
{
	struct lsio_job *job;
	char name[LSIO_NAME_MAX + 1];
	int ret;

	ret = load(ctx, FILES_OUT("{source}@{offset}+{length}-{index}")
		   "'chunks':[{'source':'/d/a.grib','offset':10,'length':5},"
		   "{'source':'b','name':'own.bin'}]}", &job);
	CHECK(ret == 0, "names: %s", lsio_ctx_message(ctx));
	if (ret)
		return;
	CHECK(lsio_chunk_name(job, 0, name, sizeof(name)) == 13 &&
	      !strcmp(name, "a.grib@10+5-0"), "template name '%s'", name);
	CHECK(lsio_chunk_name(job, 1, name, sizeof(name)) == 7 &&
	      !strcmp(name, "own.bin"), "own name '%s'", name);
	CHECK(lsio_chunk_name(job, 0, name, 5) == -LSIO_ETOOBIG, "small buffer");
	CHECK(!strcmp(job->out.dir, "d"), "dir");
	lsio_job_free(job);
}

static void test_settings(struct lsio_ctx *ctx)
{
	struct lsio_options opt;
	struct lsio_job *job;
	int ret;

	ret = load(ctx, NUL_OUT "'storage':{'workers':4,'memory':'256MiB',"
		   "'direct':'auto','coalesce_gap':'off','split':'4 MiB',"
		   "'backend':'pread'},'chunks':[]}", &job);
	CHECK(ret == 0, "settings: %s", lsio_ctx_message(ctx));
	if (ret)
		return;
	CHECK(job->storage.workers == 4 && job->storage.queue_depth == -1 &&
	      job->storage.memory == 256 << 20 &&
	      job->storage.direct == LSIO_DIRECT_AUTO &&
	      job->storage.coalesce_gap == 0 && job->storage.max_request == -1 &&
	      job->storage.split == 4 << 20 && job->storage.part_size == -1 &&
	      !strcmp(job->storage.backend, "pread"), "settings values");
	memset(&opt, 0xff, sizeof(opt));	/* every field "unset" (-1) */
	opt.backend = NULL;
	opt.output = NULL;
	opt.workers = 8;
	lsio_settings_apply(&job->storage, &opt);
	CHECK(opt.workers == 8 && opt.memory == 256 << 20 &&
	      opt.queue_depth == -1 && opt.direct == LSIO_DIRECT_AUTO &&
	      opt.backend && !strcmp(opt.backend, "pread"),
	      "settings applied under options");
	lsio_job_free(job);
}

/* --- loading files and stdin -------------------------------------------- */

static void test_files(struct lsio_ctx *ctx)
{
	char path[] = "/tmp/test_job_XXXXXX";
	struct lsio_job *job = NULL;
	char *text;
	FILE *f;
	int fd, ret;

	ret = lsio_job_load_file(ctx, "no-such-job.json", &job);
	CHECK(ret == -ENOENT && !job && !strcmp(lsio_ctx_message(ctx),
		"cannot open 'no-such-job.json': No such file or directory"),
	      "missing file: %d %s", ret, lsio_ctx_message(ctx));
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	text = dq(NUL_OUT "'chunks':[\n{'source':'a'},\n{'source':1}]}");
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	ret = lsio_job_load_file(ctx, path, &job);
	CHECK(ret == -LSIO_EJOB && strstr(lsio_ctx_message(ctx), path) &&
	      strstr(lsio_ctx_message(ctx), ": chunks[1].source: expected"),
	      "file: %s", lsio_ctx_message(ctx));
	ret = lsio_job_load_file(ctx, "/tmp", &job);
	CHECK(ret == -EISDIR, "directory: %d %s", ret, lsio_ctx_message(ctx));
	/* "-" is stdin, named "<stdin>" in messages. */
	CHECK(freopen(path, "r", stdin) != NULL, "freopen");
	ret = lsio_job_load_file(ctx, "-", &job);
	CHECK(ret == -LSIO_EJOB && !strncmp(lsio_ctx_message(ctx),
		"<stdin>: chunks[1].source", 25), "stdin: %s",
	      lsio_ctx_message(ctx));
	unlink(path);
}

/* --- a big generated job --------------------------------------------------- */

#define BIG_CHUNKS 200000
#define BIG_SOURCES 100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Chunk i: 10 x 100 floats from source i % 100000 at (i / 100000) * 4000,
 * landing at row block i / 100, column block i % 100; three chains. */
static char *big_job(bool files)
{
	static const char *const stages[] = { "", ",'stages':['identity','identity']",
					      ",'stages':[]" };
	size_t cap = (size_t)BIG_CHUNKS * 160 + 4096, len;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	len = (size_t)sprintf(s, files ?
		"{'lsio':1,'output':{'type':'files','dir':'out','name':'{source}_{offset}'},"
		"'defaults':{'stages':['identity']},'chunks':[" :
		"{'lsio':1,'output':{'type':'array','path':'big.npy','dtype':'<f4','shape':[20000,10000]},"
		"'defaults':{'stages':['identity'],'place':{'shape':[10,100]}},'chunks':[");
	for (int i = 0; i < BIG_CHUNKS; i++) {
		len += (size_t)sprintf(s + len,
			"%s{'source':'/data/f%05d.bin','offset':%d,'length':4000%s",
			i ? "," : "", i % BIG_SOURCES, (i / BIG_SOURCES) * 4000,
			stages[i % 3]);
		if (!files)
			len += (size_t)sprintf(s + len, ",'place':{'to':[%d,%d]}",
					       (i / 100) * 10, (i % 100) * 100);
		s[len++] = '}';
	}
	strcpy(s + len, "]}");
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static void test_big(struct lsio_ctx *ctx, bool files)
{
	char *text = big_job(files), name[LSIO_NAME_MAX + 1];
	struct lsio_job *job = NULL;
	struct lsio_place pl;
	double t;
	int ret;

	CHECK(text, "big job text");
	if (!text)
		return;
	t = now();
	ret = lsio_job_load_string(ctx, text, "big.json", &job);
	t = now() - t;
	printf("test_job: %d chunks (%s output) parsed in %.3f s\n", BIG_CHUNKS,
	       files ? "files" : "array", t);
	CHECK(ret == 0, "big job: %s", lsio_ctx_message(ctx));
	if (!ret) {
		CHECK(job->nchunks == BIG_CHUNKS, "big nchunks");
		CHECK(job->nsources == BIG_SOURCES, "big nsources %u", job->nsources);
		CHECK(job->nchains == 3, "big nchains %u", job->nchains);
		CHECK(job->chunks[123457].source == 23457 &&
		      job->chunks[123457].offset == 4000, "big chunk");
		if (files)
			CHECK(lsio_chunk_name(job, 123457, name, sizeof(name)) > 0 &&
			      !strcmp(name, "f23457.bin_4000"), "big name '%s'", name);
		else
			CHECK(lsio_chunk_place(job, &job->chunks[123457], &pl) &&
			      pl.to[0] == 12340 && pl.to[1] == 5700 &&
			      pl.count[1] == 100, "big place");
	}
	lsio_job_free(job);
	free(text);
}

int main(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();

	if (!ctx)
		return 1;
	test_sizes();
	test_dtypes();
	test_fill();
	test_did_you_mean();
	test_job_table(ctx);
	test_job_contents(ctx);
	test_job_names(ctx);
	test_settings(ctx);
	test_files(ctx);
	test_big(ctx, false);
	test_big(ctx, true);
	lsio_ctx_free(ctx);
	return unit_done("test_job");
}
