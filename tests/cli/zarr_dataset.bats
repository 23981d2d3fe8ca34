#!/usr/bin/env bats
# zarr_dataset.bats - `lsio zarr STORE --info [--json]` on Zarr groups as
# xarray writes them (tests/fixtures/xarray_gen.py: ERA5-like stores with
# descending latitude, 0..360 and -180..180 longitude, CF time in three
# calendars, packed int16, a group, no consolidated metadata, no dimension
# names) and a v3 dataset zarrita writes with dimension_names.  What lsio
# says is checked against xarray, zarr-python and zarrita
# (tests/fixtures/zarr_info_compare.py, zarr_v3.mjs describe) - dims and
# sizes, attributes, dtypes, chunks, chunks present, stored and decoded
# sizes, coordinates' values - never against lsio itself.  Remote groups
# are served by nginx.

bats_require_minimum_version 1.5.0
load helpers

ZARRITA=$FIXTURES/zarrita
# The unit test binary beside lsio prints a variable's values as
# zarr_var_read_doubles reads them (--values STORE VAR).
VALUES=$(dirname "$LSIO")/tests/test_zarr_dataset

setup_file() {
	xarray_setup_file 'xarray, zarr, cftime'
}

teardown_file() {
	xarray_teardown_file
}

# info_agrees STORE [GROUP]: --info --json of STORE[/GROUP] agrees with
# xarray and zarr-python.
info_agrees() {
	local at=$1${2:+/$2}
	lsio zarr "$at" --info --json -q > info.json || fail "--info --json of '$at' failed"
	run "$PY" "$FIXTURES/zarr_info_compare.py" info.json "$@"
	[ "$status" -eq 0 ] || fail "$at: $output"
	[[ $output == *" variables agree" ]] || fail "$at: $output"
}

@test "zarr --info --json: every xarray-written store agrees with xarray and zarr-python" {
	need_xarray
	local s
	for s in era5.zarr era5_pm180.zarr cal_noleap.zarr cal_360_day.zarr plain.zarr nodims.zarr; do
		info_agrees "$XDIR/$s"
	done
	info_agrees "$XDIR/era5.zarr" sub
	# Not vacuous: the store's facts are there to agree with.
	lsio zarr "$XDIR/era5.zarr" --info --json > era5.json
	run -0 json_get era5.json '(j["consolidated"], j["dims"], j["variables"]["u10"]["chunks_present"], j["variables"]["u10"]["chunks_total"], j["variables"]["latitude"]["order"], j["variables"]["longitude"]["first"], j["variables"]["t2m"]["dtype"], j["variables"]["t2m"]["fill_value"])'
	assert_output "(True, {'time': 32, 'latitude': 73, 'longitude': 144}, 14, 16, 'descending', 0.0, '<i2', -32767)"
	lsio zarr "$XDIR/era5_pm180.zarr" --info --json > pm.json
	run -0 json_get pm.json '(j["variables"]["longitude"]["first"], j["variables"]["longitude"]["last"])'
	assert_output "(-180.0, 177.5)"
	lsio zarr "$XDIR/plain.zarr" --info --json > plain.json
	[ "$(json_get plain.json 'j["consolidated"]')" = False ]
}

@test "zarr --info: a coordinate's values, read by lsio, equal xarray's as stored" {
	need_xarray
	[ -x "$VALUES" ] || fail "'$VALUES' is missing: build first"
	local s v
	for s in era5.zarr:latitude era5.zarr:longitude era5.zarr:time era5_pm180.zarr:longitude \
		cal_noleap.zarr:time cal_360_day.zarr:time plain.zarr:x plain.zarr:y; do
		v=${s#*:} s=${s%%:*}
		"$VALUES" --values "$XDIR/$s" "$v" > got.txt || fail "$s $v: $(cat got.txt)"
		"$PY" - "$XDIR/$s" "$v" got.txt <<'PY' || fail "$s $v differs from xarray"
import sys, warnings
import numpy as np, xarray as xr
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ds = xr.open_zarr(sys.argv[1], decode_cf=False)
want = ds[sys.argv[2]].values.astype("f8")
got = np.loadtxt(sys.argv[3], dtype="f8", ndmin=1)
assert want.size > 2 and np.array_equal(got, want), (got[:5], want[:5])
PY
	done
}

@test "zarr --info: text like ncdump -h, with xarray's dims, variables and attributes" {
	need_xarray
	run -0 lsio zarr "$XDIR/era5.zarr" --info
	printf '%s\n' "$output" > info.txt
	# What the text must hold, in CDL, from xarray and zarr-python.
	"$PY" - "$XDIR/era5.zarr" > want.txt <<'PY'
import sys, json, zarr, xarray as xr
ds = xr.open_zarr(sys.argv[1], decode_cf=False)
cdl = {"int16": "short", "float32": "float", "int64": "int64", "float64": "double"}
def val(v):
    return json.dumps(v) if isinstance(v, str) else ", ".join(map(str, v)) if isinstance(v, list) else str(v)
print("dimensions:")
for d, n in ds.sizes.items():
    print("\t%s = %d ;" % (d, n))
for name, v in ds.variables.items():
    print("\t%s %s(%s) ;" % (cdl[str(v.dtype)], name, ", ".join(v.dims)))
    for k, a in v.attrs.items():
        if k != "_FillValue":
            print("\t\t%s:%s = %s ;" % (name, k, val(a)))
print("// global attributes:")
for k, a in ds.attrs.items():
    print("\t\t:%s = %s ;" % (k, val(a)))
z = zarr.open_group(sys.argv[1], mode="r")["u10"]
stored = z.nbytes_stored - len(z.store["u10/.zarray"]) - len(z.store["u10/.zattrs"])
print("\t\t// %d of %d chunks present (%.1f%%), stored %d bytes, decoded %d bytes (%.2fx)" % (
    z.nchunks_initialized, z.nchunks, 100 * z.nchunks_initialized / z.nchunks,
    stored, z.nbytes, z.nbytes / stored))
PY
	[ "$(wc -l < want.txt)" -gt 20 ] || fail "the expectation is too short: $(cat want.txt)"
	local line missing=()
	while IFS= read -r line; do
		grep -qxF -- "$line" info.txt || missing+=("$line")
	done < want.txt
	[ "${#missing[@]}" -eq 0 ] || fail "not in the --info text: $(printf '[%s] ' "${missing[@]}")"
	# Dimensions in xarray's order, coordinates before data variables.
	assert_line --index 0 --regexp "^zarr .*/era5.zarr \{	// Zarr v2, consolidated metadata$"
	[ "$(grep -n 'latitude(latitude)' info.txt | cut -d: -f1)" -lt "$(grep -n ' t2m(' info.txt | cut -d: -f1)" ]
	assert_line "		// values 90.0 to -90.0, descending"
	assert_line "		// <i2, shape 32x73x144, chunks 8x40x72, zstd(level 1), fill -32767"
	[ "${lines[-1]}" = "}" ]
}

@test "zarr --info: a v3 group zarrita wrote, dimension_names (a null one: dim_N) and attributes as zarrita reads them" {
	command -v node > /dev/null || skip "node is not installed (apt-get install nodejs npm)"
	[ -d "$ZARRITA/node_modules/zarrita" ] ||
		skip "zarrita is not installed (npm ci --prefix tests/fixtures/zarrita)"
	node "$ZARRITA/zarr_v3.mjs" dataset v3.zarr || fail "zarrita could not write the dataset"
	node "$ZARRITA/zarr_v3.mjs" describe v3.zarr lat lon time tas anon bare > want.json ||
		fail "zarrita could not read the dataset"
	run --separate-stderr lsio zarr v3.zarr --info --json
	assert_success
	printf '%s\n' "$output" > got.json
	# anon names its second dimension only, bare none: both have a dim_0.
	[[ $stderr == *"dimension 'dim_0' is 4 long in one variable and 2 in 'bare'"* ]] ||
		fail "no warning of the two dim_0: $stderr"
	run "$PY" - got.json want.json <<'PY'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
def same(what, a, b):
    if a != b:
        bad.append("%s: lsio %r, zarrita %r" % (what, a, b))
same("format", got["zarr_format"], 3)
same("attrs", got["attrs"], want["attrs"])
same("variables", sorted(got["variables"]), sorted(want["variables"]))
dims = {}
for name, w in want["variables"].items():
    g = got["variables"][name]
    names = w["dims"] or [None] * len(w["shape"])
    names = [n if n is not None else "dim_%d" % d for d, n in enumerate(names)]
    for k in ("dtype", "shape", "attrs", "fill_value", "chunks"):
        same(name + " " + k, g[k], w[k])
    same(name + " dims", g["dims"], names)
    same(name + " coordinate", g["coordinate"], names == [name])
    for k in ("first", "last"):
        if k in w:
            same(name + " " + k, g[k], w[k])
    for d, n in zip(names, w["shape"]):
        dims.setdefault(d, n)
same("time/lat/lon", {k: got["dims"][k] for k in ("time", "lat", "lon")}, {"time": 3, "lat": 5, "lon": 6})
same("lat order", got["variables"]["lat"]["order"], "descending")
print("\n".join(bad) if bad else "%d variables agree" % len(want["variables"]))
sys.exit(1 if bad else 0)
PY
	assert_success
	assert_output "6 variables agree"
}

@test "zarr --info: a remote group is described from its consolidated metadata alone, as xarray sees it" {
	need_xarray
	[ -n "${HTTP_PORT:-}" ] || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	local url=http://127.0.0.1:$HTTP_PORT/plain g
	for g in "era5.zarr|" "era5.zarr|sub"; do
		local s=${g%%|*} grp=${g#*|}
		: > "$NGX/access.log"
		lsio zarr "$url/$s${grp:+/$grp}" --info --json -q > remote.json ||
			fail "--info of $url/$s${grp:+/$grp} failed"
		# No HEAD, no listing, no chunk of a data variable: the metadata,
		# and the coordinates' chunks.
		[ "$(grep -c '^HEAD' "$NGX/access.log")" -eq 0 ] || fail "HEAD requests: $(cat "$NGX/access.log")"
		! grep -E "^GET /plain/$s/(${grp:+$grp/})?(t2m|u10|sst)/[0-9]" "$NGX/access.log" ||
			fail "a data variable's chunk was read"
		grep -q "^GET /plain/$s/.zmetadata 200" "$NGX/access.log" || fail "no .zmetadata read"
		[ "$(json_get remote.json 'j["consolidated"], j["group"]')" = "(True, '$grp')" ] ||
			fail "$(json_get remote.json 'j["consolidated"], j["group"]')"
		# The same check against xarray, the store named by its local path.
		"$PY" -c 'import json, sys
j = json.load(open(sys.argv[1])); j["store"] = sys.argv[2]
json.dump(j, open("info.json", "w"))' remote.json "$XDIR/$s"
		run "$PY" "$FIXTURES/zarr_info_compare.py" info.json "$XDIR/$s" $grp
		[ "$status" -eq 0 ] || fail "$url/$s $grp: $output"
	done
	[ "$(json_get remote.json '[v["chunks_present"] for v in j["variables"].values()]')" = "[None, None, None, None]" ]
	# Without consolidated metadata: exit 2, saying what is needed.
	for s in plain.zarr nodims.zarr; do
		run -2 lsio zarr "$url/$s" --info
		assert_output --partial "store '$url/$s': a remote group is read from its consolidated metadata, and this one has none"
		assert_output --partial "to_zarr(consolidated=True)"
	done
	# A bucket without ListBucket (403 for an absent key): the .zmetadata
	# that is there is found, and the 403 of one that is not is an error
	# naming it, unless --missing-403.
	url=http://127.0.0.1:$HTTP_PORT/nolist
	lsio zarr "$url/era5.zarr" --info --json -q > nolist.json
	[ "$(json_get nolist.json 'sorted(j["variables"])')" = "['latitude', 'longitude', 't2m', 'time', 'u10']" ]
	run -1 lsio zarr "$url/plain.zarr" --info
	assert_output --partial "'$url/plain.zarr/.zmetadata' GET: HTTP 403 Forbidden"
	run -2 lsio zarr "$url/plain.zarr" --info --missing-403
	assert_output --partial "a remote group is read from its consolidated metadata, and this one has none"
}

@test "zarr --info: what is not a readable group is exit 2, saying why" {
	need_xarray
	run -2 lsio zarr "$XDIR/era5.zarr/t2m" --info
	assert_output "lsio: store '$XDIR/era5.zarr/t2m': a Zarr array, not a group: name its group ('$XDIR/era5.zarr')"
	run -2 lsio zarr "$XDIR/no-such.zarr" --info
	assert_output "lsio: store '$XDIR/no-such.zarr': No such file or directory"
	run -2 lsio zarr "$XDIR" --info
	assert_output "lsio: store '$XDIR': not a Zarr group (no .zmetadata, zarr.json or .zgroup)"
	# A variable lsio cannot read is left out, said, and the rest shown.
	cp -r "$XDIR/plain.zarr" p.zarr
	"$PY" -c 'import zarr; g = zarr.open_group("p.zarr"); a = g.create_dataset("name", shape=(2,), dtype="<U4"); a[:] = ["ab", "cd"]'
	run --separate-stderr lsio zarr p.zarr --info
	assert_success
	[[ $stderr == *"unsupported data type '<U4' (variable 'name' left out)"* ]] || fail "stderr: $stderr"
	assert_line "	int v(y, x) ;"
	run --separate-stderr lsio zarr p.zarr --info -q
	assert_success
	[ -z "$stderr" ] || fail "-q, yet: $stderr"
}

@test "zarr --info: usage errors exit 2" {
	run -2 lsio zarr x.zarr --json
	assert_output --partial "lsio zarr: --json goes with --info"
	run -2 lsio zarr x.zarr --info -o x.npy
	assert_output --partial "lsio zarr: --info takes no --select, -o or --emit-job"
	run -2 lsio zarr x.zarr --info --list
	assert_output --partial "lsio zarr: --list takes no --select, -o, --emit-job or --info"
	run -2 lsio zarr x.zarr --info --select 0
	assert_output --partial "Try 'lsio zarr --help'"
}

@test "zarr --info: the examples of lsio.1 and README run on xarray's store, and lsio.1 names every JSON field" {
	need_xarray
	local line n=0
	{
		sed -n '/^\.SS "lsio zarr"/,/^\.S[SH] /p' "$LSIO_TOP/man/lsio.1" |
			sed -n 's/^\$ //p' | sed -e 's/\\-/-/g'
		grep -o '^lsio zarr [^#]*--info[^#]*' "$LSIO_TOP/README.md"
	} | grep -e '--info' > examples.txt
	while IFS= read -r line; do
		n=$((n + 1))
		run bash -c 'cd "$1" && eval "$2"' _ "$XDIR" "${line/lsio /\"\$LSIO\" }"
		[ "$status" -eq 0 ] || fail "example '$line' exited $status: $output"
		[[ $output == *"latitude"* ]] || fail "example '$line' did not describe the store: $output"
	done < examples.txt
	[ "$n" -ge 3 ] || fail "only $n examples: $(cat examples.txt)"
	# Every key of the document (not data: attribute, dimension and
	# variable names) is a .B or .BR of ZARR INFO.
	lsio zarr "$XDIR/era5.zarr" --info --json > doc.json
	sed -n '/^\.SH ZARR INFO/,/^\.SH /p' "$LSIO_TOP/man/lsio.1" > section.txt
	run "$PY" - doc.json section.txt <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
named = set()
for line in re.findall(r'^\.BR? (.*)$', open(sys.argv[2]).read(), re.M):
    named |= set(re.findall(r'\w+', line))
keys = set(doc) | {k for v in doc["variables"].values() for k in v}
missing = sorted(keys - named)
print("undocumented: " + " ".join(missing) if missing else "%d keys documented" % len(keys))
sys.exit(1 if missing else 0)
PY
	assert_success
}
