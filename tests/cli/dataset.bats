#!/usr/bin/env bats
# dataset.bats - the dataset output: several variables written as one
# NetCDF-4 file through libnetcdf (lib/sink/sink_dataset.c).  Sources and
# expected arrays are written by numpy here; what lsio wrote is read back
# by xarray (python3-xarray over python3-netcdf4), raw (decode_cf=False)
# and decoded as xarray decodes CF, and compared with numpy's arrays and
# with xarray's own decoding of a dataset built from them.

bats_require_minimum_version 1.5.0
load helpers

# need_netcdf_reader: skip (with the reason) when Debian's python3 cannot
# read NetCDF-4 with xarray.
need_netcdf_reader() {
	need_fixtures "numpy, xarray, netCDF4" "python3-xarray python3-netcdf4"
}

# An ERA5-like box: t2m (f4, two chunks, one raw, one zstd), u10 (f8, one
# chunk at an offset), sp (i2 packed with scale_factor/add_offset, one
# chunk per time step, the last one never written), and the coordinates
# latitude (descending), longitude and time (CF hours) as inline values.
# want.npz holds what each variable must hold, raw.
make_era5() {
	"$PY" - <<'EOF' || fail "cannot write the sources"
import subprocess
import numpy as np
rng = np.random.default_rng(15)
nt, ny, nx = 4, 5, 6
t2m = (rng.standard_normal((nt, ny, nx)) * 10 + 280).astype('<f4')
t2m[:2].tofile('t2m-a.bin')
t2m[2:].tofile('t2m-b.raw')
subprocess.run(['zstd', '-q', '-f', 't2m-b.raw', '-o', 't2m-b.zst'], check=True)
u10 = rng.standard_normal((nt, ny, nx))
with open('u10.bin', 'wb') as f:
    f.write(b'HEADER' * 10)
    f.write(u10.astype('<f8').tobytes())
sp = rng.integers(-30000, 30000, (nt, ny, nx), dtype='<i2')
for t in range(nt - 1):
    sp[t].tofile('sp-%d.bin' % t)
sp[nt - 1] = -32767
np.savez('want.npz', t2m=t2m, u10=u10, sp=sp,
         latitude=np.linspace(60, 40, ny).astype('<f4'),
         longitude=np.arange(nx) * 0.25 - 0.5,
         time=np.array([0, 6, 12, 18], dtype='<i4'))
EOF
	write_job era5.json <<'EOF'
{"lsio": 1,
 "output": {"type": "dataset", "path": "box.nc",
   "attrs": {"Conventions": "CF-1.8", "history": "lsio dataset.bats"},
   "variables": [
     {"name": "t2m", "dtype": "<f4", "shape": [4, 5, 6],
      "dims": ["time", "latitude", "longitude"], "fill_value": "NaN",
      "attrs": {"units": "K", "long_name": "2 metre temperature"}},
     {"name": "u10", "dtype": "<f8", "shape": [4, 5, 6],
      "dims": ["time", "latitude", "longitude"], "attrs": {"units": "m s**-1"}},
     {"name": "sp", "dtype": "<i2", "shape": [4, 5, 6],
      "dims": ["time", "latitude", "longitude"], "fill_value": -32767,
      "attrs": {"scale_factor": 0.01, "add_offset": 1000.0, "units": "hPa"}},
     {"name": "latitude", "dtype": "<f4", "shape": [5], "dims": ["latitude"],
      "values": [60, 55, 50, 45, 40], "attrs": {"units": "degrees_north"}},
     {"name": "longitude", "dtype": "<f8", "shape": [6], "dims": ["longitude"],
      "values": [-0.5, -0.25, 0, 0.25, 0.5, 0.75], "attrs": {"units": "degrees_east"}},
     {"name": "time", "dtype": "<i4", "shape": [4], "dims": ["time"],
      "values": [0, 6, 12, 18],
      "attrs": {"units": "hours since 2023-01-10 00:00:00", "calendar": "proleptic_gregorian"}}]},
 "defaults": {"place": {"var": "sp", "shape": [1, 5, 6]}},
 "chunks": [
   {"source": "t2m-a.bin", "place": {"var": "t2m", "shape": [2, 5, 6], "to": [0, 0, 0]}},
   {"source": "t2m-b.zst", "stages": ["zstd"],
    "place": {"var": "t2m", "shape": [2, 5, 6], "to": [2, 0, 0]}},
   {"source": "u10.bin", "offset": 60,
    "place": {"var": "u10", "shape": [4, 5, 6], "to": [0, 0, 0]}},
   {"source": "sp-0.bin", "place": {"to": [0, 0, 0]}},
   {"source": "sp-1.bin", "place": {"to": [1, 0, 0]}},
   {"source": "sp-2.bin", "place": {"to": [2, 0, 0]}},
   {"source": "sp-3.bin", "missing": "fill", "place": {"to": [3, 0, 0]}}]}
EOF
}

# assert_raw_equal NC NPZ: every array of NPZ is the variable of that name
# in NC, read raw (decode_cf=False): same dtype, shape and values (NaN
# equal to NaN).
assert_raw_equal() {
	run "$PY" - "$1" "$2" <<'EOF'
import sys
import numpy as np, xarray as xr
raw = xr.open_dataset(sys.argv[1], decode_cf=False)
want = np.load(sys.argv[2])
bad = []
for name in want.files:
    w = want[name]
    if name not in raw.variables:
        bad.append("%s: missing" % name)
        continue
    g = raw[name].values
    if g.dtype != w.dtype.newbyteorder("="):
        bad.append("%s: dtype %s, numpy wrote %s" % (name, g.dtype, w.dtype))
    elif not np.array_equal(g, w, equal_nan=w.dtype.kind == "f"):
        bad.append("%s: values differ: %s vs %s" % (name, g.ravel()[:8], w.ravel()[:8]))
print("; ".join(bad) or "ok")
sys.exit(1 if bad else 0)
EOF
	assert_success
	assert_output ok
}

@test "dataset: several variables and inline coordinates, read back by xarray, raw and decoded" {
	need_netcdf_reader
	make_era5
	run -0 lsio run era5.json
	assert_output ''
	assert_raw_equal box.nc want.npz
	run "$PY" - <<'EOF'
import numpy as np, xarray as xr
want = np.load("want.npz")
raw = xr.open_dataset("box.nc", decode_cf=False)
for v in ("t2m", "u10", "sp"):
    assert raw[v].dims == ("time", "latitude", "longitude"), raw[v].dims
for c in ("latitude", "longitude", "time"):
    assert raw[c].dims == (c,), (c, raw[c].dims)
a = raw.sp.attrs
# CF and xarray: _FillValue in the packed type, the packing attributes
# in the unpacked one (double).
assert a["_FillValue"] == -32767 and a["_FillValue"].dtype == np.int16, a
assert a["scale_factor"] == 0.01 and a["scale_factor"].dtype == np.float64, a
assert a["add_offset"] == 1000.0 and a["add_offset"].dtype == np.float64, a
assert raw.t2m.attrs["_FillValue"].dtype == np.float32, raw.t2m.attrs
assert "_FillValue" not in raw.u10.attrs, raw.u10.attrs
assert raw.attrs == {"Conventions": "CF-1.8", "history": "lsio dataset.bats"}, raw.attrs

ds = xr.open_dataset("box.nc")
# The packed int16 as CF says to decode it, computed here from the
# attributes: NaN where _FillValue, raw * scale_factor + add_offset.
sp = want["sp"]
decoded = np.where(sp == -32767, np.nan, sp * 0.01 + 1000.0)
np.testing.assert_allclose(ds.sp.values, decoded, rtol=1e-6)
assert np.isnan(ds.sp.values[3]).all() and not np.isnan(ds.sp.values[:3]).any()
times = np.datetime64("2023-01-10T00", "ns") + want["time"].astype("timedelta64[h]")
assert (ds.time.values == times).all(), ds.time.values
assert set(ds.coords) == {"latitude", "longitude", "time"}, ds.coords
assert set(ds.data_vars) == {"t2m", "u10", "sp"}, ds.data_vars

# The same dataset built by numpy and decoded by xarray itself.
dims = ("time", "latitude", "longitude")
ref = xr.Dataset(
    {"t2m": (dims, want["t2m"], {"units": "K", "long_name": "2 metre temperature",
                                 "_FillValue": np.float32("nan")}),
     "u10": (dims, want["u10"], {"units": "m s**-1"}),
     "sp": (dims, sp, {"scale_factor": 0.01, "add_offset": 1000.0, "units": "hPa",
                       "_FillValue": np.int16(-32767)})},
    coords={"latitude": ("latitude", want["latitude"], {"units": "degrees_north"}),
            "longitude": ("longitude", want["longitude"], {"units": "degrees_east"}),
            "time": ("time", want["time"], {"units": "hours since 2023-01-10 00:00:00",
                                            "calendar": "proleptic_gregorian"})},
    attrs={"Conventions": "CF-1.8", "history": "lsio dataset.bats"})
xr.testing.assert_identical(ds.load(), xr.decode_cf(ref))
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "dataset: ncdump -h shows the dimensions, types and attributes" {
	command -v ncdump >/dev/null || skip "ncdump is not installed (apt-get install netcdf-bin)"
	need_netcdf_reader
	make_era5
	run -0 lsio run era5.json
	run -0 ncdump -h box.nc
	assert_line --regexp '^	time = 4 ;$'
	assert_line --regexp '^	latitude = 5 ;$'
	assert_line --regexp '^	short sp\(time, latitude, longitude\) ;$'
	assert_line --regexp '^		sp:_FillValue = -32767s ;$'
	assert_line --regexp '^		sp:scale_factor = 0\.01 ;$'
	assert_line --regexp '^	float latitude\(latitude\) ;$'
	assert_line --regexp '^	int time\(time\) ;$'
	assert_line --regexp '^		:Conventions = "CF-1\.8" ;$'
}

@test "dataset: NaN and integer fill values where no chunk lands, an absent chunk, prefill false" {
	need_netcdf_reader
	py '
a = np.arange(6, dtype="<f4").reshape(2, 3) + 0.5
n = np.arange(6, dtype="<i2").reshape(2, 3) * 7
a.tofile("a0.bin"); n.tofile("n0.bin")
nan = np.full((2, 3), np.nan, "<f4")
np.savez("want.npz", a=np.concatenate([a, nan]),
         n=np.concatenate([np.full((2, 3), -1, "<i2"), n]))
# With "prefill": false only the absent chunk gets the fill value:
# what no chunk covers is 0.
np.savez("want-noprefill.npz", a=np.concatenate([a, nan]),
         n=np.concatenate([np.zeros((2, 3), "<i2"), n]))'
	write_job <<'EOF'
{"lsio": 1,
 "output": {"type": "dataset", "path": "f.nc", "variables": [
   {"name": "a", "dtype": "<f4", "shape": [4, 3], "dims": ["y", "x"], "fill_value": "NaN"},
   {"name": "n", "dtype": "<i2", "shape": [4, 3], "dims": ["y", "x"], "fill_value": -1}]},
 "chunks": [
   {"source": "a0.bin", "place": {"var": "a", "shape": [2, 3], "to": [0, 0]}},
   {"source": "absent.bin", "missing": "fill", "place": {"var": "a", "shape": [2, 3], "to": [2, 0]}},
   {"source": "n0.bin", "place": {"var": "n", "shape": [2, 3], "to": [2, 0]}}]}
EOF
	run -0 lsio run job.json --stats=json
	[ "$(json_get <(printf '%s' "$output") 'j["chunks_missing"]')" -eq 1 ]
	assert_raw_equal f.nc want.npz
	run "$PY" -c 'import numpy as np, xarray as xr
n = xr.open_dataset("f.nc").n.values
assert np.isnan(n[:2]).all() and (n[2:] == np.arange(6).reshape(2, 3) * 7).all(), n
print("ok")'
	assert_output ok
	sed 's/"path": "f.nc",/"path": "f.nc", "prefill": false,/' job.json > noprefill.json
	run -0 lsio run noprefill.json
	assert_raw_equal f.nc want-noprefill.npz
}

@test "dataset: big-endian dtypes, a scalar and an empty variable" {
	need_netcdf_reader
	py '
np.arange(6, dtype=">i4").reshape(2, 3).tofile("be-i4.bin")
(np.arange(6) / 3).astype(">f8").tofile("be-f8.bin")
np.savez("want.npz", b=np.arange(6, dtype="<i4").reshape(2, 3),
         f=(np.arange(6, dtype="<f8") / 3).reshape(2, 3),
         y=np.array([1.5, -2.25], "<f4"), s=np.array(5.5),
         z=np.zeros((0, 3), "<u2"))'
	write_job <<'EOF'
{"lsio": 1,
 "output": {"type": "dataset", "path": "be.nc", "variables": [
   {"name": "b", "dtype": ">i4", "shape": [2, 3], "dims": ["y", "x"], "fill_value": -9999,
    "attrs": {"valid_range": [-100, 100]}},
   {"name": "f", "dtype": ">f8", "shape": [2, 3], "dims": ["y", "x"]},
   {"name": "y", "dtype": ">f4", "shape": [2], "dims": ["y"], "values": [1.5, -2.25]},
   {"name": "s", "dtype": "<f8", "shape": [], "values": [5.5]},
   {"name": "z", "dtype": "<u2", "shape": [0, 3], "dims": ["empty", "x"]}]},
 "chunks": [
   {"source": "be-i4.bin", "place": {"var": "b", "shape": [2, 3], "to": [0, 0]}},
   {"source": "be-f8.bin", "place": {"var": "f", "shape": [2, 3], "to": [0, 0]}}]}
EOF
	run -0 lsio run job.json
	assert_raw_equal be.nc want.npz
	run "$PY" -c 'import numpy as np, xarray as xr
a = xr.open_dataset("be.nc", decode_cf=False).b.attrs
assert a["_FillValue"] == -9999 and a["_FillValue"].dtype == np.int32, a
assert list(a["valid_range"]) == [-100, 100] and a["valid_range"].dtype == np.int32, a
print("ok")'
	assert_output ok
}

@test "dataset: -o gives the path; a .nc name needs a dataset output, a dataset output a .nc name" {
	need_netcdf_reader
	make_era5
	run -0 lsio run era5.json -o other.nc
	assert_raw_equal other.nc want.npz
	[ ! -e box.nc ] || fail "the job's own path was written too"
	# An array output never writes raw bytes under a NetCDF name.
	printf '\001\002\003\004' > four.bin
	write_job array.json <<'EOF'
{"lsio": 1, "output": {"type": "array", "path": "four.npy", "dtype": "|u1", "shape": [4]},
 "chunks": [{"source": "four.bin", "place": {"shape": [4], "to": [0]}}]}
EOF
	run -2 lsio run array.json -o x.nc
	assert_output --partial "'x.nc': an array output writes .npy or raw bytes; a NetCDF file needs a \"dataset\" output"
	run -2 lsio run array.json -o X.NC
	sed 's/four.npy/four.nc/' array.json > array-nc.json
	run -2 lsio validate array-nc.json
	assert_output "lsio: array-nc.json: output.path: 'four.nc': an array output writes .npy or raw bytes; a NetCDF file needs a \"dataset\" output"
	# A dataset output is NetCDF-4: a name that says otherwise is refused...
	run -2 lsio run era5.json -o box.npy
	assert_output --partial "'box.npy': a dataset output writes NetCDF-4: name it .nc (or give \"format\": \"netcdf4\")"
	sed 's/"box.nc"/"box.bin"/' era5.json > bin.json
	run -2 lsio validate bin.json
	assert_output --partial "bin.json: output.path: 'box.bin': a dataset output writes NetCDF-4"
	# ... unless the job says the format.
	sed 's/"path": "box.nc"/"path": "box.bin", "format": "netcdf4"/' era5.json > fmt.json
	run -0 lsio run fmt.json
	assert_raw_equal box.bin want.npz
	assert_no_output_left . box.npy x.nc X.NC four.nc
}

@test "dataset: a symlink's target is replaced, /dev/null and a FIFO are written through, '-' is stdout" {
	need_netcdf_reader
	make_era5
	sed 's/"path": "box.nc"/"path": "box.nc", "format": "netcdf4"/' era5.json > fmt.json
	mkdir real
	ln -s real/t.nc link.nc
	run -0 lsio run era5.json -o link.nc
	[ -L link.nc ] || fail "the symlink was replaced"
	assert_raw_equal real/t.nc want.npz
	run -0 lsio run fmt.json -o /dev/null
	[ -c /dev/null ] || fail "/dev/null is no longer a character device"
	mkfifo pipe.nc
	cat pipe.nc > from-fifo.nc &
	run -0 lsio run era5.json -o pipe.nc
	wait
	[ -p pipe.nc ] || fail "the FIFO was replaced"
	assert_raw_equal from-fifo.nc want.npz
	mkdir tmp
	TMPDIR=$PWD/tmp "$LSIO" run fmt.json -o - > stdout.nc || fail "-o - failed"
	assert_raw_equal stdout.nc want.npz
	[ -z "$(ls -A tmp)" ] || fail "left in TMPDIR: $(ls -A tmp)"
	[ ! -e ./- ] || fail "a file named '-' was written"
	assert_no_temp .
}

@test "dataset: job errors name the JSON path" {
	local base='"lsio": 1, "output": {"type": "dataset", "path": "o.nc", "variables": [
	  {"name": "t2m", "dtype": "<f4", "shape": [2, 3], "dims": ["y", "x"]},
	  {"name": "lat", "dtype": "<f4", "shape": [2], "dims": ["y"], "values": [1, 2]}'
	check() {
		printf '{%s%s}\n' "$base" "$1" > job.json
		run -2 lsio validate job.json
		assert_output "lsio: job.json: $2"
	}
	check ']}, "chunks": [{"source": "a", "place": {"var": "t2n", "shape": [2, 3], "to": [0, 0]}}]' \
		"chunks[0].place.var: no variable 't2n' (did you mean 't2m'?)"
	check ']}, "chunks": [{"source": "a", "place": {"shape": [2, 3], "to": [0, 0]}}]' \
		'chunks[0].place: missing "var" (and no defaults.place.var): the variable the chunk is placed in'
	check ']}, "chunks": [{"source": "a", "place": {"var": "t2m", "shape": [2, 3], "to": [1, 0]}}]' \
		"chunks[0].place.to: placement outside variable 't2m': dimension 0: 1 + 2 > 2"
	check ']}, "chunks": [{"source": "a", "place": {"var": "t2m", "shape": [2], "to": [0]}}]' \
		"chunks[0].place.shape: 1 dimensions, but variable 't2m' has 2"
	check ']}, "chunks": [{"source": "a", "place": {"var": "lat", "shape": [2], "to": [0]}}]' \
		"chunks[0].place.var: variable 'lat' has inline \"values\": no chunk is placed in it"
	check ', {"name": "v", "dtype": "<f4", "shape": [2, 3], "dims": ["y"]}]}, "chunks": []' \
		'output.variables[2].dims: expected a list of 2 dimension names, one per dimension of "shape"'
	check ', {"name": "v", "dtype": "<f4", "shape": [3], "dims": ["y"]}]}, "chunks": []' \
		"output.variables[2].dims[0]: dimension 'y' is 3 long here, but 2 in variable 't2m'"
	check ', {"name": "v", "dtype": "<f4", "shape": [3], "dims": ["v"], "values": [1, 2]}]}, "chunks": []' \
		'output.variables[2].values: 2 values, but "shape" holds 3 elements'
	check ', {"name": "v", "dtype": "<f4", "shape": [2], "dims": ["v"], "values": [1, "x"]}]}, "chunks": []' \
		'output.variables[2].values[1]: expected a number, "NaN", "Infinity" or "-Infinity"'
	check ', {"name": "v", "dtype": "<c8", "shape": [2], "dims": ["v"]}]}, "chunks": []' \
		"output.variables[2].dtype: '<c8' has no NetCDF type (a dataset variable is i1, u1, i2, u2, i4, u4, i8, u8, f4 or f8)"
	check ', {"name": "t2m", "dtype": "<f4", "shape": [2], "dims": ["y"]}]}, "chunks": []' \
		"output.variables[2].name: 't2m' is also the name of variables[0]"
	check ', {"name": "a/b", "dtype": "<f4", "shape": [2], "dims": ["y"]}]}, "chunks": []' \
		"output.variables[2].name: 'a/b' is not a NetCDF name (a letter, digit or '_' first; no '/', no control characters, no trailing space)"
	check ', {"name": "v", "dtype": "<i2", "shape": [2], "dims": ["y"], "attrs": {"_FillValue": 1}}]}, "chunks": []' \
		"output.variables[2].attrs._FillValue: give it as the variable's \"fill_value\""
	check ', {"name": "v", "dtype": "<i2", "shape": [2], "dims": ["y"], "attrs": {"valid_range": [0, 70000]}}]}, "chunks": []' \
		"output.variables[2].attrs.valid_range[1]: 70000 is out of range for '<i2'"
	check ', {"name": "v", "dtype": "<i2", "shape": [2], "dims": ["y"], "attrs": {"flags": [1, true]}}]}, "chunks": []' \
		'output.variables[2].attrs.flags[1]: expected a number'
	check ', {"name": "v", "dtype": "<f4", "shape": [2], "dims": ["y"], "attrs": {"missing_value": "none"}}]}, "chunks": []' \
		"output.variables[2].attrs.missing_value: expected a number, \"NaN\", \"Infinity\" or \"-Infinity\" (in the variable's type)"
	check '], "attrs": {"bad": {"x": 1}}}, "chunks": []' \
		'output.attrs.bad: expected a string, a number or a list of numbers'
	check '], "varaibles": []}, "chunks": []' \
		"output: unknown key 'varaibles' (did you mean 'variables'?)"
	check '], "dtype": "<f4"}, "chunks": []' \
		"output: 'dtype' is not a key of dataset output (it belongs to array output)"
	check '], "format": "npy"}, "chunks": []' \
		'output.format: expected "netcdf4"'
}

@test "dataset: a failed run leaves nothing behind: a corrupt chunk, a write past the file size limit, an attribute libnetcdf refuses" {
	need_netcdf_reader
	make_era5
	# A corrupt zstd chunk: the run fails while reading.
	head -c 40 t2m-b.zst > cut.zst
	sed 's/"t2m-b.zst"/"cut.zst"/' era5.json > cut.json
	run -1 lsio run cut.json
	assert_output --partial "chunk 1 ('cut.zst'"
	assert_no_output_left . box.nc
	# Past RLIMIT_FSIZE: the variables fit (4 MiB), the NetCDF file
	# does not; HDF5 fails while the file is written, on commit.
	py 'np.arange(1 << 20, dtype="<f4").tofile("m.bin")'
	write_job big.json <<'EOF'
{"lsio": 1, "output": {"type": "dataset", "path": "m.nc", "variables": [
   {"name": "v", "dtype": "<f4", "shape": [1048576], "dims": ["x"]}]},
 "chunks": [{"source": "m.bin", "place": {"var": "v", "shape": [1048576], "to": [0]}}]}
EOF
	run --separate-stderr bash -c 'ulimit -f 4100 && exec "$LSIO" run big.json'
	[ "$status" -eq 1 ] || fail "exit $status, expected 1 (stderr: $stderr)"
	[[ $stderr == "lsio: cannot write 'm.nc': variable 'v': data: NetCDF: HDF error (File too large)" ]] ||
		fail "stderr: $stderr"
	assert_no_output_left . m.nc
	# An attribute name libnetcdf reserves: refused when it is written.
	sed 's/"history": "lsio dataset.bats"/"_NCProperties": "x"/' era5.json > reserved.json
	run -1 lsio run reserved.json
	assert_output "lsio: cannot write 'box.nc': attribute '_NCProperties': NetCDF: String match to name in use"
	assert_no_output_left . box.nc
	# An existing file is left as it was.
	echo old > box.nc
	run -1 lsio run reserved.json
	[ "$(cat box.nc)" = old ] || fail "box.nc was changed by a failed run"
	assert_no_temp .
}

# A 256 MiB variable: the commit's NetCDF write takes long enough to be
# caught in the act.
make_big_dataset() {
	py 'np.ones(1 << 26, dtype="<f4").tofile("big.bin")'
	write_job big.json <<'EOF'
{"lsio": 1, "output": {"type": "dataset", "path": "big.nc", "variables": [
   {"name": "v", "dtype": "<f4", "shape": [67108864], "dims": ["x"], "fill_value": 0}]},
 "defaults": {"source": "big.bin", "place": {"var": "v", "shape": [1048576]}},
 "chunks": [
EOF
	local k sep=""
	for ((k = 0; k < 64; k++)); do
		printf '%s{"offset": %d, "length": 4194304, "place": {"to": [%d]}}' "$sep" \
			$((k * 4194304)) $((k * 1048576)) >> big.json
		sep=$',\n'
	done
	printf ']}\n' >> big.json
}

@test "dataset: SIGINT while the NetCDF file is written: exit 130, the writer gone, nothing left" {
	make_big_dataset
	local pid child="" k rc=0
	env --default-signal=INT "$LSIO" run big.json 2> err.txt &
	pid=$!
	# The writer is lsio's child: wait for it to exist.
	for ((k = 0; k < 2000; k++)); do
		child=$(pgrep -P "$pid" || true)
		[ -n "$child" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	[ -n "$child" ] || { wait "$pid" || rc=$?; fail "no writer process seen (exit $rc): $(cat err.txt)"; }
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ] || fail "exit $rc, expected 130: $(cat err.txt)"
	grep -q 'lsio: .*interrupted' err.txt || fail "no 'interrupted' message: $(cat err.txt)"
	! kill -0 "$child" 2>/dev/null || fail "the writer ($child) outlived lsio"
	assert_no_output_left . big.nc
}

@test "dataset: SIGINT while chunks are read: exit 130, nothing left" {
	make_big_dataset
	local pid k rc=0
	# One worker, 4 KiB O_DIRECT reads where the file system has them:
	# seconds of reading.
	local args=(--workers 1 --queue-depth 1 --backend pread --coalesce-gap off
		    --split 4KiB --part-size 4KiB --direct on)
	dd if=big.bin of=/dev/null iflag=direct bs=4096 count=1 status=none 2>/dev/null ||
		args[-1]=off
	env --default-signal=INT "$LSIO" run big.json "${args[@]}" --progress 2> err.txt &
	pid=$!
	for ((k = 0; k < 250; k++)); do
		[ -s err.txt ] && break
		sleep 0.02
	done
	grep -q chunks err.txt || fail "no progress shown: $(cat err.txt)"
	[ -z "$(pgrep -P "$pid" || true)" ] || fail "the NetCDF writer started before the chunks were read"
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ] || fail "exit $rc, expected 130: $(tr '\r' '\n' < err.txt | tail -3)"
	assert_no_output_left . big.nc
}

# libs_trace FILE CMD...: CMD with the dynamic linker's library trace in
# FILE.PID.
libs_trace() {
	local out=$1
	shift
	LD_DEBUG=libs LD_DEBUG_OUTPUT=$out "$@"
}

@test "dataset: libnetcdf is loaded by a dataset run only" {
	need_netcdf_reader
	make_era5
	printf '\001\002\003\004' > four.bin
	write_job array.json <<'EOF'
{"lsio": 1, "output": {"type": "array", "path": "four.npy", "dtype": "|u1", "shape": [4]},
 "chunks": [{"source": "four.bin", "place": {"shape": [4], "to": [0]}}]}
EOF
	libs_trace trace.array "$LSIO" run array.json || fail "the array run failed"
	libs_trace trace.validate "$LSIO" validate era5.json > /dev/null || fail "validate failed"
	libs_trace trace.plan "$LSIO" plan era5.json > /dev/null || fail "plan failed"
	for t in array validate plan; do
		grep -q 'calling init: .*libc\.so' trace.$t.* || fail "no ld.so trace of $t"
	done
	run grep -l 'libnetcdf\|libhdf5' trace.array.* trace.validate.* trace.plan.*
	[ "$status" -eq 1 ] || fail "libnetcdf was loaded: $output"
	libs_trace trace.dataset "$LSIO" run era5.json || fail "the dataset run failed"
	grep -q 'calling init: .*libnetcdf' trace.dataset.* || fail "libnetcdf was not loaded"
	assert_raw_equal box.nc want.npz
}

@test "dataset: a libnetcdf that cannot be loaded fails the run before it reads, exit 1, nothing left" {
	need_netcdf_reader
	make_era5
	mkdir broken
	: > broken/libnetcdf.so.19
	: > broken/libnetcdf.so
	run -1 env LD_LIBRARY_PATH="$PWD/broken" "$LSIO" run era5.json
	assert_output --regexp "^lsio: a dataset output needs libnetcdf: cannot load 'libnetcdf[.a-z0-9]*': $PWD/broken/libnetcdf[.a-z0-9]*: file too short$"
	assert_no_output_left . box.nc
}

@test "dataset: the dataset example of lsio-job.5 is a valid job" {
	sed -n '/^\.SS "dataset:/,/^\.SS /p' "$LSIO_TOP/man/lsio-job.5" |
		sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;p}' |
		sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g' > example.json
	[ -s example.json ] || fail "no example in the dataset section of lsio-job.5"
	run -0 lsio validate example.json
	assert_output --partial 'dataset output'
}
