#!/usr/bin/env bats
# schema.bats - jobs/lsio-job.schema.json describes the format the parser
# reads: every example job validates against it, and every key the C
# parser accepts (its key tables in lib/job/*.c and lib/stage/*.c) is in
# the schema, and the other way round.
#
# Validation needs Debian's python3-jsonschema; without it those tests skip
# (with the reason) and the key checks, which need only python3, still run.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

: "${LSIO_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${LSIO:=$LSIO_TOP/build/lsio}"
PY=/usr/bin/python3
SCHEMA=$LSIO_TOP/jobs/lsio-job.schema.json

setup() {
	cd "$BATS_TEST_TMPDIR" || fail "cannot enter $BATS_TEST_TMPDIR"
	[ -x "$PY" ] || skip "$PY is missing"
}

need_jsonschema() {
	"$PY" -c 'import jsonschema' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import jsonschema (apt-get install python3-jsonschema)"
}

# The example jobs: every jobs/*.json but the schema itself.
example_jobs() {
	local f
	for f in "$LSIO_TOP"/jobs/*.json; do
		case $f in *.schema.json) continue ;; esac
		echo "$f"
	done
}

@test "schema: is JSON and declares draft 2020-12" {
	run "$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", s.get("$schema")
assert s["additionalProperties"] is False
print("ok")' "$SCHEMA"
	assert_success
	assert_output ok
}

@test "schema: is a valid draft 2020-12 schema" {
	need_jsonschema
	run "$PY" -c 'import json, sys, jsonschema
jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$SCHEMA"
	assert_success
}

@test "schema: every jobs/*.json validates" {
	need_jsonschema
	local jobs
	jobs=$(example_jobs)
	[ -n "$jobs" ] || fail "no example jobs in $LSIO_TOP/jobs"
	# shellcheck disable=SC2086
	run "$PY" -c 'import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
bad = 0
for f in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(f))):
        bad += 1
        print("%s: %s: %s" % (f, "/".join(map(str, e.absolute_path)), e.message))
sys.exit(1 if bad else 0)' "$SCHEMA" $jobs
	assert_success
}

@test "schema: rejects what lsio validate rejects, accepts what it accepts" {
	need_jsonschema
	[ -x "$LSIO" ] || fail "lsio binary '$LSIO' is missing: build first"
	# One job per line; the schema and the parser must agree on each.
	cat > cases.txt <<'EOF'
{"lsio":1,"output":{"type":"null"},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"a","ofset":1}]}
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"a","offset":"64KiB","length":"1 M"}]}
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"a","offset":"1.5K"}]}
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"a","offset":-1}]}
{"lsio":2,"output":{"type":"null"},"chunks":[]}
{"lsio":1,"output":{"type":"array","dtype":"<f4","shape":[2]},"chunks":[{"source":"a","place":{"shape":[2],"to":[0]}}]}
{"lsio":1,"output":{"type":"array","dtype":"<f3","shape":[2]},"chunks":[]}
{"lsio":1,"output":{"type":"array","dtype":"<M8[ns]","shape":[2],"fill_value":"NaT"},"chunks":[]}
{"lsio":1,"output":{"type":"array","dtype":"<f4","shape":[2],"dir":"x"},"chunks":[]}
{"lsio":1,"output":{"type":"array","dtype":"<f4","shape":[2]},"chunks":[{"source":"a"}]}
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"a","place":{"shape":[2],"to":[0]}}]}
{"lsio":1,"output":{"type":"files","dir":"d","name":"{index}-{source}"},"chunks":[{"source":"a","name":"x.bin"}]}
{"lsio":1,"output":{"type":"files","dir":"d","name":"{idx}"},"chunks":[]}
{"lsio":1,"output":{"type":"stdout"},"chunks":[{"source":"a","name":"x.bin"}]}
{"lsio":1,"output":{"type":"null"},"storage":{"workers":2,"direct":true,"coalesce_gap":"off","memory":"1GiB","backend":"pread"},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"storage":{"direct":"yes"},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"storage":{"memory":1024},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"defaults":{"stages":["zstd",{"codec":"shuffle","elementsize":4},{"codec":"bytes","endian":"big","elementsize":8}]},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"defaults":{"stages":[{"codec":"zstd","level":3}]},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"defaults":{"stages":["zsdt"]},"chunks":[]}
{"lsio":1,"output":{"type":"null"},"chunks":[{"offset":0}]}
EOF
	while IFS= read -r job; do
		printf '%s' "$job" > job.json
		schema_rc=0
		"$PY" -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])),
                    cls=jsonschema.Draft202012Validator)' "$SCHEMA" job.json 2>/dev/null ||
			schema_rc=$?
		lsio_rc=0
		"$LSIO" validate job.json >/dev/null 2>&1 || lsio_rc=$?
		if { [ "$schema_rc" -eq 0 ] && [ "$lsio_rc" -ne 0 ]; } ||
		   { [ "$schema_rc" -ne 0 ] && [ "$lsio_rc" -eq 0 ]; }; then
			fail "schema (exit $schema_rc) and lsio validate (exit $lsio_rc) disagree on: $job"
		fi
	done < cases.txt
}

# Every key in the parser's tables is somewhere in the schema, as a
# property name or an enum/const value; every property name of the schema
# is a string literal in lib/.  The tables are found by their shape (a
# "static const char *const *_keys[]" list, the option table's entries,
# each stage's .name), so the check needs no list of its own.
@test "schema: has every key the C parser accepts, and no other" {
	run "$PY" - "$SCHEMA" "$LSIO_TOP" <<'EOF'
import glob, json, os, re, sys

schema = json.load(open(sys.argv[1]))
top = sys.argv[2]
sources = sorted(glob.glob(os.path.join(top, "lib/job/*.c")) +
                 glob.glob(os.path.join(top, "lib/stage/*.c")))
text = {f: open(f).read() for f in sources}

def strings(s):
    return re.findall(r'"((?:[^"\\]|\\.)*)"', s)

# What the C code accepts.
keys = set()      # key names
values = set()    # names used as values (stage names, choices)
for f, t in text.items():
    for m in re.finditer(r'static const char \*const (\w+)\s*\[[^=]*=\s*\{(.*?)\};', t, re.S):
        name, body = m.groups()
        if name.endswith("_keys"):
            keys.update(strings(body))
        elif name.endswith("_types") or name.endswith("_format_names"):
            values.update(strings(body))
    for m in re.finditer(r'static const struct lsio_opt_choice \w+\[\]\s*=\s*\{(.*?)\};', t, re.S):
        values.update(strings(m.group(1)))
    # The storage option table: { { "key", "flag", "METAVAR", "help" },
    # LSIO_OPT_TYPE, ...
    keys.update(re.findall(r'\{\s*\{\s*"(\w+)",[^{}]*\},\s*LSIO_OPT_[A-Z]+\s*,', t))
    if "/stage/" in f:
        values.update(re.findall(r'\.name\s*=\s*"(\w+)"', t))

# Guard against the extraction silently finding nothing.
for k in ("lsio", "offset", "fill_value", "to", "order", "coalesce_gap", "elementsize", "endian", "format"):
    if k not in keys:
        sys.exit("key extraction is broken: %r not found in lib/job or lib/stage" % k)
for v in ("zstd", "crc32c", "identity", "array", "null", "auto", "uring", "numcodecs"):
    if v not in values:
        sys.exit("value extraction is broken: %r not found in lib/job or lib/stage" % v)

# What the schema names.
props, enums = set(), set()
def walk(s):
    if isinstance(s, dict):
        for k, v in s.items():
            if k == "properties":
                props.update(v)
            if k == "enum":
                enums.update(x for x in v if isinstance(x, str))
            if k == "const" and isinstance(v, str):
                enums.add(v)
            walk(v)
    elif isinstance(s, list):
        for x in s:
            walk(x)
walk(schema)

bad = []
for k in sorted(keys - props - {"codec"}):
    bad.append("key %r is accepted by the parser but not in the schema" % k)
for v in sorted(values - enums):
    bad.append("value %r is accepted by the parser but not in the schema" % v)
if "codec" not in props:
    bad.append("stage objects' \"codec\" is not in the schema")

# The stage names: the registry and the schema's list must be equal.
stage_names = set()
for f, t in text.items():
    if "/stage/" in f:
        stage_names.update(re.findall(r'\.name\s*=\s*"(\w+)"', t))
# A stage that needs parameters (delta's dtype) has no bare-name form: it
# is listed by the "codec" constant of its object instead.
listed = set(schema["$defs"]["stageName"]["enum"])
for d in schema["$defs"].values():
    codec = d.get("properties", {}).get("codec", {}) if isinstance(d, dict) else {}
    if "const" in codec:
        listed.add(codec["const"])
for s in sorted(stage_names ^ listed):
    bad.append("stage %r is %s" % (s, "not in the schema" if s in stage_names
                                   else "in the schema but not in lib/stage"))

# The other way: no schema key the parser does not know.
literals = set()
for f in glob.glob(os.path.join(top, "lib/**/*.c"), recursive=True):
    literals.update(strings(open(f).read()))
for p in sorted(props - literals):
    bad.append("schema property %r is not a string in lib/" % p)

print("\n".join(bad) if bad else "%d keys, %d values checked" % (len(keys), len(values)))
sys.exit(1 if bad else 0)
EOF
	assert_success
	assert_output --regexp '^[0-9]+ keys, [0-9]+ values checked$'
}
