#!/usr/bin/env bats
# python.bats - the Python module (python/lsio, ctypes over liblsio.so)
# with Debian's python3 and numpy: its arrays equal zarr-python's and
# xarray's values element for element and the lsio tool's output byte for
# byte; its errors carry liblsio's message.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	xarray_setup_file 'xarray, zarr, cftime'
}

teardown_file() {
	xarray_teardown_file
}

setup() {
	common_setup
	LIBLSIO=$(dirname "$LSIO")/liblsio.so.0
	[ -e "$LIBLSIO" ] || fail "no shared library beside the binary: '$LIBLSIO'"
	export LSIO_LIBRARY=$LIBLSIO PYTHONPATH=$LSIO_TOP/python
}

# pyrun CODE: run CODE with the module imported as lsio, numpy as np.
pyrun() {
	"$PY" -c "import lsio, numpy as np, sys; $1"
}

@test "python: lsio.zarr of an array and a selection equal zarr-python's values and the tool's .npy" {
	need_zarr
	"$PY" - <<-'EOF'
		import numpy as np, zarr
		a = zarr.open("z.zarr", mode="w", shape=(40, 30, 20), chunks=(7, 11, 20),
		              dtype="f4", fill_value=-1, compressor=zarr.Zstd(level=1))
		a[:37] = np.random.default_rng(1).standard_normal((37, 30, 20)).astype("f4")
	EOF
	lsio zarr z.zarr --select '3:20, 5, ::2' -o tool.npy
	pyrun '
import zarr
z = zarr.open("z.zarr")
a = lsio.zarr("z.zarr")
assert a.dtype == z.dtype and a.shape == z.shape and (a == z[:]).all()
b = lsio.zarr("z.zarr", select="3:20, 5, ::2", workers=1)
assert (b == z[3:20, 5, ::2]).all()
t = np.load("tool.npy")
assert t.dtype == b.dtype and t.shape == b.shape and t.tobytes() == b.tobytes()
'
}

@test "python: reduce= equals xarray's reductions, and the tool's --reduce byte for byte" {
	need_xarray
	lsio zarr "$XDIR/era5.zarr" --var u10 --sel time=2023-01-10:2023-01-15 --reduce std:time -o tool.npy -q
	pyrun '
import xarray as xr
ds = xr.open_zarr("'"$XDIR"'/era5.zarr")
u = ds.u10.sel(time=slice("2023-01-10", "2023-01-15"))
m = lsio.zarr("'"$XDIR"'/era5.zarr", var="u10", sel={"time": "2023-01-10:2023-01-15"},
              reduce="mean:latitude,longitude")
want = u.astype("f8").mean(("latitude", "longitude")).values
assert m.dtype == np.float64 and m.shape == want.shape, (m.dtype, m.shape)
assert np.allclose(m, want, rtol=1e-12, equal_nan=True), (m[:3], want[:3])
s = lsio.zarr("'"$XDIR"'/era5.zarr", var="u10", sel={"time": "2023-01-10:2023-01-15"},
              reduce="std:time", workers=1)
assert s.tobytes() == np.load("tool.npy").tobytes()
job = {"lsio": 1, "output": {"type": "array", "dtype": "<i2", "shape": [2, 3], "fill_value": 4},
       "chunks": []}
c = lsio.run(job, reduce="sum:0")
assert c.dtype == np.int64 and c.tolist() == [8, 8, 8], c
k = lsio.run(job, reduce="count", skip_fill=True)
assert k.shape == () and int(k) == 0, k
'
}

@test "python: lsio.zarr(var=, sel=) equals xarray's .sel, NaN where it has NaN" {
	need_xarray
	pyrun '
import xarray as xr
ds = xr.open_zarr("'"$XDIR"'/era5.zarr")
want = ds.u10.sel(time=slice("2023-01-10", "2023-01-15"),
                  latitude=slice(60, 40), longitude=slice(10, 30)).values
got = lsio.zarr("'"$XDIR"'/era5.zarr", var="u10",
                sel={"time": "2023-01-10:2023-01-15", "latitude": "60:40",
                     "longitude": "10:30"})
assert got.shape == want.shape, (got.shape, want.shape)
assert np.array_equal(got, want, equal_nan=True)
'
}

@test "python: lsio.run of a job (dict, text, file) equals the tool's run of it" {
	need_python_numpy
	"$PY" "$FIXTURES/parts_gen.py" g 3 || fail "parts_gen.py failed"
	lsio run g/job.json -o tool.npy
	pyrun '
import json
ref = np.load("tool.npy")
job = json.load(open("g/job.json"))
for form in (job, json.dumps(job), "g/job.json"):
    a = lsio.run(form, workers=2, memory="8MiB")
    assert a.dtype == ref.dtype and a.shape == ref.shape
    assert a.tobytes() == ref.tobytes()
assert (a == np.load("g/ref.npy")).all()
'
}

@test "python: errors raise lsio.Error with liblsio's message" {
	need_python_numpy
	run -0 pyrun '
try:
    lsio.run({"lsio": 1, "output": {"type": "array", "dtype": "<f4", "shape": [2]},
              "chunks": [{"source": "missing.bin", "place": {"shape": [2], "to": [0]}}]})
except lsio.Error as e:
    print("code", e.code, "message", e)
try:
    lsio.run({"lsio": 1, "output": {"type": "array", "dtype": "<f4", "shape": [2]},
              "chunks": [{"sorce": "x"}]})
except lsio.Error as e:
    print("code", e.code, "message", e)
try:
    lsio.zarr("nowhere.zarr")
except lsio.Error as e:
    print("zarr:", e)
'
	assert_line --partial "cannot open source 'missing.bin'"
	assert_line --partial "unknown key 'sorce' (did you mean 'source'?)"
	assert_line --partial "zarr: "
	assert_line --partial "nowhere.zarr"
}

@test "python: lsio.grib of ecCodes' GRIB2 equals codes_get_values and the tool's .npy; reduce=, errors" {
	need_python_numpy
	need_eccodes
	local npy=$LSIO_TOP/tests/fixtures/grib_npy.py
	"$PY" "$npy" gen g > gen.log 2>&1 || fail "grib_npy.py gen failed: $(cat gen.log)"
	run -0 pyrun '
a = lsio.grib("g/packs.grib2")
np.save("all.npy", a)
m = lsio.grib(["g/packs.grib2"], match=["^[258]:"], dtype="<f8", workers=1)
np.save("m.npy", m)
r = lsio.grib("g/packs.grib2", reduce="mean:0")
print(a.dtype.str, a.shape, m.dtype.str, m.shape, r.shape)
np.save("r.npy", r)'
	assert_output "<f4 (9, 19, 36) <f8 (3, 19, 36) (19, 36)"
	run "$PY" "$npy" values g/packs.grib2 all.npy
	assert_output ok
	run "$PY" "$npy" values g/packs.grib2 m.npy 1 3 4 6 7 9
	assert_output ok
	lsio grib g/packs.grib2 -o tool.npy -q
	lsio grib g/packs.grib2 --reduce mean:0 -o tool-r.npy -q
	run -0 pyrun 'print(np.array_equal(np.load("all.npy"), np.load("tool.npy"), equal_nan=True),
      np.array_equal(np.load("r.npy"), np.load("tool-r.npy"), equal_nan=True))'
	assert_output "True True"
	run -0 pyrun '
try:
    lsio.grib("g/packs.grib2", match="^999:")
except lsio.Error as e:
    print("error:", e)'
	assert_output --partial "error: "
	assert_output --partial "packs.grib2"
}
