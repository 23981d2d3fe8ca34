#!/usr/bin/env bats
# reduce.bats - --reduce and the job's "reduce" against numpy.
# tests/fixtures/reduce_case.py makes random array jobs (e2e_gen.py's:
# random dtypes, chunk grids, sub-boxes, chunks left out, NaN and
# infinities) with some chunks absent ("missing": "fill"), and computes the
# reduction with numpy in float64 (exact integers) from the array the job
# writes; lsio's result must match it, or name the same error.  Then: the
# same bits for any number of workers, Zarr stores written by zarr-python,
# GRIB2 decoded by ecCodes, a remote store, and the errors.
#
# Seeds are random on every run and printed on failure; LSIO_E2E_SEED=N
# replays a run.

bats_require_minimum_version 1.5.0
load helpers

CASE=$LSIO_TOP/tests/fixtures/reduce_case.py

setup_file() {
	nginx_setup_file
}

teardown_file() {
	nginx_teardown_file
}

setup() {
	random_setup
}

# reduce_one SEED NDIM [LSIO-ARGS...]: a random case, run and checked.
reduce_one() {
	local seed=$1 nd=$2 dir gen args desc rc=0 result
	shift 2
	dir=$BATS_TEST_TMPDIR/case-$seed
	gen=$("$PY" "$CASE" gen "$dir" "$seed" "$nd") ||
		fail "reduce_case.py gen failed for seed $seed: $gen"
	args=$(head -1 <<< "$gen")
	desc=$(tail -1 <<< "$gen")
	# shellcheck disable=SC2086 # args is several words
	(cd "$dir" && "$LSIO" run job.json $args -o r.npy "$@" 2> err.txt) || rc=$?
	result=$dir/r.npy
	[ "$rc" -eq 0 ] || result=$dir/err.txt
	[ "$rc" -eq 0 ] || [ ! -e "$dir/r.npy" ] || fail "a failed run left r.npy"
	out=$("$PY" "$CASE" check "$dir" "$result") ||
		fail "lsio run $args $* (exit $rc) on $desc: $out (replay: LSIO_E2E_SEED=$LSIO_E2E_SEED)"
	assert_no_temp "$dir"
}

reduce_cases() {
	local count=$1 k seed
	shift
	for ((k = 0; k < count; k++)); do
		seed=$(((LSIO_E2E_SEED * 1000 + TEST_SALT) * 10 + k))
		reduce_one "$seed" $((seed % 4 + 1)) "$@"
	done
}

@test "reduce: 12 random cases equal numpy (--workers 1)" {
	reduce_cases 12 --workers 1
}

@test "reduce: 12 random cases equal numpy (--workers 2)" {
	reduce_cases 12 --workers 2
}

@test "reduce: 12 random cases equal numpy (--workers 3, --queue-depth 2)" {
	reduce_cases 12 --workers 3 --queue-depth 2
}

# many_chunks [CT CY CX]: a float array of many small chunks (3 x 8 x 7 by
# default), where the order sums are taken in shows in the last bits.
many_chunks() {
	py '
ct, cy, cx = (int(v) for v in sys.argv[1:4])
rng = np.random.default_rng(5)
a = (rng.standard_normal((64, 24, 30)) * 1e3).astype("<f4")
a[rng.random(a.shape) < 0.05] = np.nan
np.save("truth.npy", a)
chunks = []
for i in range(0, 64, ct):
    for j in range(0, 24, cy):
        for k in range(0, 30, cx):
            b = np.ascontiguousarray(a[i:i+ct, j:j+cy, k:k+cx])
            name = "c.%d.%d.%d" % (i, j, k)
            b.tofile(name)
            chunks.append({"source": name, "place": {"shape": list(b.shape), "to": [i, j, k]}})
json.dump({"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<f4",
           "shape": [64, 24, 30], "fill_value": "NaN"}, "chunks": chunks}, open("job.json", "w"))
' "${1:-3}" "${2:-8}" "${3:-7}"
}

# same_bits OP...: each reduction of job.json the same file whatever the
# workers, queue depth and backend.
same_bits() {
	local op w
	for op in "$@"; do
		lsio run job.json --reduce "$op" --workers 1 -o w1.npy
		for w in "--workers 2" "--workers 3 --queue-depth 1" "--workers 4 --queue-depth 64" "--workers 2 --backend pread"; do
			# shellcheck disable=SC2086
			lsio run job.json --reduce "$op" $w -o wn.npy
			cmp w1.npy wn.npy || fail "$op with $w differs from --workers 1"
		done
	done
}

@test "reduce: the same bits whatever the workers and queue depth" {
	many_chunks
	same_bits sum:0 mean:0,2 std:0 var:1 min:0 max:2 count:0,1
	run -0 py '
a = np.load("truth.npy").astype("f8")
m = np.load("w1.npy")
r = np.count_nonzero(~np.isnan(a), axis=(0, 1))
print(m.dtype.str, m.shape, np.array_equal(m, r))'
	assert_output "<i8 (30,) True"
}

@test "reduce: the same bits for chunks of one value an element (a stack of fields), folded into the total" {
	many_chunks 1 24 30
	same_bits mean:0 std:0 max:0 sum:0,1
	run -0 py '
a = np.load("truth.npy").astype("f8")
print(np.allclose(np.load("w1.npy"), np.nansum(a, axis=(0, 1)), rtol=1e-12))'
	assert_output "True"
}

@test "reduce: --shard K/N parts, in any order or at once, merge into numpy's answer; the same bits every time" {
	many_chunks
	lsio run job.json --reduce std:0,2 --shard 2/3 -o s.npy -q
	[ ! -e s.npy ] || fail "s.npy appeared before every part was done"
	lsio run job.json --reduce std:0,2 --shard 0/3 -o s.npy 2> warn.txt
	grep -q "part 0 of 3 is done; 's.npy' appears when part 1 is too" warn.txt ||
		fail "no note of the part it waits for: $(cat warn.txt)"
	lsio run job.json --reduce std:0,2 --shard 1/3 --workers 1 -o s.npy -q
	mv s.npy first.npy
	for k in 0 1 2; do lsio run job.json --reduce std:0,2 --shard $k/3 --workers 3 -o s.npy -q & done
	wait
	cmp first.npy s.npy
	assert_no_temp .
	[ -z "$(ls -A | grep -e '\.reduce' -e lsio-run)" ] || fail "states left: $(ls -A)"
	run -0 py '
a = np.load("truth.npy").astype("f8")
print(np.allclose(np.load("s.npy"), np.nanstd(a, axis=(0, 2)), rtol=1e-12))'
	assert_output "True"
	# A part run again with --resume once its state is written does nothing.
	lsio run job.json --reduce max:1 --shard 0/2 --resume -o m.npy -q
	run -0 lsio run job.json --reduce max:1 --shard 0/2 --resume -o m.npy
	assert_output --partial "part 0 of 2 of this reduction is done already"
	lsio run job.json --reduce max:1 --shard 1/2 --resume -o m.npy -q
	run -0 py 'print(np.array_equal(np.load("m.npy"), np.nanmax(np.load("truth.npy"), axis=1), equal_nan=True))'
	assert_output "True"
}

@test "reduce: the job's \"reduce\", string and object forms, and --reduce over it" {
	many_chunks
	py 'j = json.load(open("job.json")); j["output"]["reduce"] = "mean:0"; json.dump(j, open("s.json", "w"))'
	py 'j = json.load(open("job.json")); j["output"]["reduce"] = {"op": "var", "axes": [0, -1], "ddof": 1}; json.dump(j, open("o.json", "w"))'
	lsio run s.json -o s.npy
	lsio run o.json -o o.npy
	lsio run s.json --reduce max:1 -o m.npy
	run -0 py '
a = np.load("truth.npy").astype("f8")
print(np.allclose(np.load("s.npy"), np.nanmean(a, axis=0), rtol=1e-12, equal_nan=True),
      np.allclose(np.load("o.npy"), np.nanvar(a, axis=(0, 2), ddof=1), rtol=1e-10),
      np.array_equal(np.load("m.npy"), np.nanmax(np.load("truth.npy"), axis=1), equal_nan=True))'
	assert_output "True True True"
}

@test "reduce: --skip-fill leaves the fill value out as xarray's masking does" {
	py '
a = np.arange(24, dtype="<i4").reshape(4, 6) % 5
a.tofile("a.raw")
a[:2].tofile("half.raw")
json.dump({"lsio": 1, "output": {"type": "array", "path": "o.npy", "dtype": "<i4", "shape": [4, 6],
           "fill_value": 7}, "chunks": [{"source": "half.raw", "place": {"shape": [2, 6], "to": [0, 0]}},
           {"source": "gone.raw", "missing": "fill", "place": {"shape": [2, 6], "to": [2, 0]}}]},
          open("j.json", "w"))
json.dump({"lsio": 1, "output": {"type": "array", "path": "o.npy", "dtype": "<i4", "shape": [4, 6],
           "fill_value": 0}, "chunks": [{"source": "a.raw", "place": {"shape": [4, 6], "to": [0, 0]}}]},
          open("k.json", "w"))'
	lsio run k.json --reduce mean:0 -o all.npy
	lsio run k.json --reduce mean:0 --skip-fill -o skip.npy
	run -0 py '
a = (np.arange(24).reshape(4, 6) % 5).astype("f8")
m = np.where(a == 0, np.nan, a)
print(np.array_equal(np.load("all.npy"), a.mean(axis=0)),
      np.allclose(np.load("skip.npy"), np.nanmean(m, axis=0), rtol=1e-15, equal_nan=True))'
	assert_output "True True"
	# An absent chunk counts as its fill value, or not at all.
	lsio run j.json --reduce sum:0 -o s.npy
	lsio run j.json --reduce sum:0 --skip-fill -o t.npy
	run -0 py 'print(np.load("s.npy").tolist(), np.load("s.npy").dtype.str, np.load("t.npy").tolist())'
	assert_output "[15, 17, 19, 21, 18, 15] <i8 [1, 3, 5, 7, 4, 1]"
}

@test "reduce: a Zarr store written by zarr-python (missing chunks, NaN fill) equals numpy over zarr-python's array" {
	need_zarr
	py '
import zarr, numcodecs
rng = np.random.default_rng(3)
a = (rng.standard_normal((30, 17, 23)) * 10 + 280).astype("<f4")
a[rng.random(a.shape) < 0.02] = np.nan
z = zarr.open("t.zarr", mode="w", shape=a.shape, chunks=(4, 8, 10), dtype="<f4",
              fill_value=np.nan, write_empty_chunks=False, compressor=numcodecs.Blosc("zstd", 3, numcodecs.Blosc.SHUFFLE))
z[:] = a
z[8:12, 8:16, 10:20] = np.nan  # whole chunks: zarr-python leaves them unwritten
i = zarr.open("i.zarr", mode="w", shape=(12, 9), chunks=(5, 4), dtype="<i2", fill_value=-9,
              write_empty_chunks=False, compressor=numcodecs.Zstd(1))
i[:] = (np.arange(108).reshape(12, 9) % 17).astype("<i2")
i[5:10, 0:4] = -9'
	ls t.zarr | grep -qv '^8\.1\.1$' || fail "no chunk files"
	[ ! -e t.zarr/2.1.1 ] || fail "zarr-python wrote the NaN chunk"
	lsio zarr t.zarr --reduce mean:0 -o m.npy -q
	lsio zarr t.zarr --select '3:27, :, 5:' --reduce std:0,2 -o s.npy -q
	lsio zarr t.zarr --reduce max -o x.npy -q
	lsio zarr i.zarr --reduce sum:1 -o i.npy -q
	lsio zarr i.zarr --reduce mean:0 --skip-fill -o j.npy -q
	run -0 py '
import zarr
a = zarr.open("t.zarr", mode="r")[:].astype("f8")
i = zarr.open("i.zarr", mode="r")[:]
j = np.where(i == -9, np.nan, i.astype("f8"))
print(np.allclose(np.load("m.npy"), np.nanmean(a, axis=0), rtol=1e-12, equal_nan=True),
      np.allclose(np.load("s.npy"), np.nanstd(a[3:27, :, 5:], axis=(0, 2)), rtol=1e-10),
      float(np.load("x.npy")) == float(np.nanmax(a)), np.load("x.npy").shape,
      np.array_equal(np.load("i.npy"), i.astype("i8").sum(axis=1)),
      np.allclose(np.load("j.npy"), np.nanmean(j, axis=0), rtol=1e-15))'
	assert_output "True True True () True True"
}

@test "reduce: the mean of GRIB2 fields equals ecCodes' values averaged (bitmaps: NaN missing)" {
	need_eccodes
	"$PY" "$FIXTURES/grib_npy.py" gen g > gen.log 2>&1 || fail "$(cat gen.log)"
	lsio grib g/packs.grib2 --reduce mean:0 -o m.npy -q
	lsio grib g/packs.grib2 --reduce max:0 --dtype '<f8' -o x.npy -q
	run -0 py '
import eccodes as ec
fields = []
with open("g/packs.grib2", "rb") as f:
    while (h := ec.codes_grib_new_from_file(f)) is not None:
        v = ec.codes_get_values(h).astype("f8")
        if ec.codes_get(h, "bitmapPresent"):
            v[v == ec.codes_get(h, "missingValue")] = np.nan
        fields.append(v.reshape(ec.codes_get(h, "Nj"), ec.codes_get(h, "Ni")))
        ec.codes_release(h)
a = np.stack(fields)
m = np.load("m.npy"); x = np.load("x.npy")
# the field values are float32 (lsio -o X.npy default): their mean within its rounding
print(m.shape, np.allclose(m, np.nanmean(a.astype("f4").astype("f8"), axis=0), rtol=1e-6, equal_nan=True),
      np.allclose(x, np.nanmax(a, axis=0), rtol=1e-12, equal_nan=True))'
	assert_output "(19, 36) True True"
}

@test "reduce: dimensions by name (--var, --sel) equal xarray's .sel().max(\"time\")" {
	need_xarray
	py '
import xarray as xr, pandas as pd
t = pd.date_range("2020-01-01", periods=48, freq="6H")
rng = np.random.default_rng(0)
ds = xr.Dataset({"t2m": (("time", "lat", "lon"), rng.standard_normal((48, 10, 12)).astype("f4"))},
                coords={"time": t, "lat": np.linspace(-45, 45, 10), "lon": np.arange(12) * 30.0})
ds.to_zarr("x.zarr", mode="w", encoding={"t2m": {"chunks": (8, 5, 6)}})'
	lsio zarr x.zarr --var t2m --sel time=2020-01-03:2020-01-08 --reduce max:time -o tmax.npy -q
	lsio zarr x.zarr --var t2m --sel lat=-20:20 --reduce std:lat,lon -o s.npy -q
	run -0 py '
import xarray as xr
ds = xr.open_zarr("x.zarr")
print(np.array_equal(np.load("tmax.npy"), ds.t2m.sel(time=slice("2020-01-03", "2020-01-08")).max("time").values),
      np.allclose(np.load("s.npy"), ds.t2m.sel(lat=slice(-20, 20)).astype("f8").std(("lat", "lon")).values, rtol=1e-10))'
	assert_output "True True"
	run -2 lsio zarr x.zarr --var t2m --reduce mean:tiem -o m.npy
	assert_output --partial "no dimension 'tiem': did you mean 'time'?"
}

@test "reduce: a NetCDF file (-o X.nc) is xarray's Dataset reduction: coordinates of reduced dimensions dropped, cell_methods said" {
	need_xarray
	py '
import xarray as xr, pandas as pd
t = pd.date_range("2020-01-01", periods=48, freq="6H")
rng = np.random.default_rng(1)
ds = xr.Dataset({"t2m": (("time", "lat", "lon"), rng.standard_normal((48, 10, 12)).astype("f4")),
                 "u10": (("time", "lat", "lon"), rng.standard_normal((48, 10, 12)).astype("f4")),
                 "orog": (("lat", "lon"), rng.standard_normal((10, 12)).astype("f4"))},
                coords={"time": t, "lat": np.linspace(-45, 45, 10), "lon": np.arange(12) * 30.0})
ds.t2m.attrs["units"] = "K"
ds.to_zarr("x.zarr", mode="w", encoding={"t2m": {"chunks": (8, 5, 6)}, "u10": {"chunks": (1, 10, 12)}})'
	lsio zarr x.zarr --var t2m --var u10 --var orog --sel time=2020-01-03:2020-01-08 --reduce max:time -o m.nc -q
	lsio zarr x.zarr --var t2m --sel lat=-20:20 --reduce mean:time,lon -o s.nc -q
	run -0 py '
import xarray as xr
ds = xr.open_zarr("x.zarr")
m = xr.open_dataset("m.nc")
want = ds[["t2m", "u10", "orog"]].sel(time=slice("2020-01-03", "2020-01-08")).max("time")
print(sorted(m.dims.items()), sorted(m.data_vars), "time" in m.variables)
print(all(np.array_equal(m[v].values, want[v].values) for v in ("t2m", "u10", "orog")),
      np.array_equal(m.lat.values, want.lat.values), m.t2m.attrs.get("units"), m.t2m.attrs.get("cell_methods"),
      m.orog.attrs.get("cell_methods"))
s = xr.open_dataset("s.nc")
w = ds.t2m.sel(lat=slice(-20, 20)).astype("f8").mean(("time", "lon"))
print(s.t2m.dims, s.t2m.dtype, np.allclose(s.t2m.values, w.values, rtol=1e-12), s.t2m.attrs["cell_methods"])'
	assert_line --index 0 "[('lat', 10), ('lon', 12)] ['orog', 't2m', 'u10'] False"
	assert_line --index 1 "True True K time: maximum None"
	assert_line --index 2 "('lat',) float64 True time: lon: mean"
	run -2 lsio zarr x.zarr --var t2m --reduce mean:tiem -o m.nc
	assert_output --partial "no variable has a dimension 'tiem': did you mean 'time'?"
	run -2 lsio zarr x.zarr --var t2m --reduce mean:0 -o m.nc
	assert_output --partial "a dataset's dimensions are named, not numbered"
}

@test "reduce: over HTTP from nginx, the same bits as the local store" {
	need_zarr
	[ -n "${PORT:-}" ] || skip "nginx with the echo module is not installed"
	py '
import zarr, numcodecs
a = np.linspace(0, 1, 20 * 30, dtype="<f8").reshape(20, 30)
z = zarr.open(sys.argv[1], mode="w", shape=a.shape, chunks=(3, 7), dtype="<f8",
              fill_value=np.nan, write_empty_chunks=False, compressor=numcodecs.Zstd(3))
z[:] = a
z[0:3, 0:7] = np.nan' "$BATS_FILE_TMPDIR/h.zarr"
	lsio zarr "$BATS_FILE_TMPDIR/h.zarr" --reduce var:0 -o local.npy -q
	lsio zarr "http://127.0.0.1:$PORT/plain/h.zarr" --reduce var:0 -o remote.npy -q
	cmp local.npy remote.npy
}

@test "reduce: clear errors, nothing written" {
	many_chunks
	run -2 lsio run job.json --reduce maen:0 -o r.npy
	assert_output --partial "--reduce 'maen:0': unknown operation 'maen': did you mean 'mean'?"
	run -2 lsio run job.json --reduce mean:3 -o r.npy
	assert_output --partial "axis 3 is outside an array of 3 dimensions"
	run -2 lsio run job.json --reduce mean:0,0 -o r.npy
	assert_output --partial "axis 0 is given twice"
	run -2 lsio run job.json --reduce mean:x -o r.npy
	assert_output --partial "the array names no dimensions (its output has no \"dims\"): give axes as numbers"
	run -2 lsio run job.json --reduce mean:0 --shard 0/2 -o -
	assert_output --partial "--shard: '-' is not a file"
	py 'j = json.load(open("job.json")); j["output"]["reduce"] = {"op": "mean", "axis": [0]}; json.dump(j, open("bad.json", "w"))'
	run -2 lsio run bad.json -o r.npy
	assert_output --partial "reduce"
	assert_output --partial "'axis'"
	assert_output --partial "did you mean 'axes'"
	py 'j = json.load(open("job.json")); j["output"] = {"type": "null"}; [c.pop("place") for c in j["chunks"]]; json.dump(j, open("null.json", "w"))'
	run -2 lsio run null.json --reduce mean
	assert_output --partial "only an array or a dataset can be reduced"
	[ ! -e r.npy ] || fail "r.npy was written"
	assert_no_temp .
}

@test "reduce: to stdout, and through --emit-job" {
	need_zarr
	py '
import zarr
z = zarr.open("e.zarr", mode="w", shape=(6, 4), chunks=(2, 2), dtype="<f4", fill_value=np.nan)
z[:] = np.arange(24, dtype="<f4").reshape(6, 4)'
	lsio zarr e.zarr --reduce mean:0 -o - -q > m.npy
	lsio zarr e.zarr --reduce min:1 --skip-fill --emit-job -o e.npy > job.json
	run -0 py 'print(json.load(open("job.json"))["output"]["reduce"])'
	assert_output "{'op': 'min', 'axes': [1], 'skip_fill': True}"
	lsio run job.json
	run -0 py 'print(np.load("m.npy").tolist(), np.load("e.npy").tolist())'
	assert_output "[10.0, 11.0, 12.0, 13.0] [0.0, 4.0, 8.0, 12.0, 16.0, 20.0]"
}
