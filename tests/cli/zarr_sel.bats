#!/usr/bin/env bats
# zarr_sel.bats - `lsio zarr STORE --var V --sel DIM=LABELS --isel
# DIM=INDICES -o OUT.nc|OUT.npy` on Zarr groups as xarray writes them
# (tests/fixtures/xarray_gen.py), each request checked against what xarray
# computes for it (tests/fixtures/xarray_sel_check.py: ds[vars].isel().sel()
# opened from the same store, compared with xarray.open_dataset of lsio's
# NetCDF: values, coordinates, attributes, packed storage) - never against
# lsio itself.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	xarray_setup_file 'xarray, zarr, cftime, netCDF4'
}

teardown_file() {
	xarray_teardown_file
}

need_nc() {
	need_fixtures "xarray, zarr, cftime, netCDF4" \
		"python3-xarray python3-cftime python3-netcdf4"
}

# request STORE OUT ARGS...: lsio writes OUT, and xarray agrees with it.
request() {
	local store=$1 out=$2
	shift 2
	lsio zarr "$store" "$@" -o "$out" -q || fail "lsio zarr $store $* -o $out failed"
	run "$PY" "$FIXTURES/xarray_sel_check.py" "$store" "$out" "$@"
	[ "$status" -eq 0 ] || fail "$*: $output"
}

@test "zarr --sel: a box and a time range of two variables, one NetCDF, as xarray's .sel" {
	need_nc
	request "$XDIR/era5.zarr" box.nc --var t2m --var u10 \
		--sel time=2023-01-10:2023-01-15 --sel latitude=60:40 \
		--sel longitude=10:30
	# Several variables, one plan: one run of the job.
	lsio zarr "$XDIR/era5.zarr" --var t2m --var u10 --sel latitude=60:40 \
		-o x.nc --emit-job > job.json
	run grep -c '"var": "u10"' job.json
	[ "$output" -gt 0 ]
}

@test "zarr --sel: descending latitude, exact and nearest labels, dates to the hour" {
	need_nc
	request "$XDIR/era5.zarr" p.nc --var t2m --sel time=2023-01-10T12 \
		--sel latitude=51.5~ --sel longitude=-0.1~
	request "$XDIR/era5.zarr" e.nc --var u10 --sel latitude=50 \
		--sel time=2023-01-03
	request "$XDIR/era5.zarr" d.nc --sel latitude=-30:-60
}

@test "zarr --sel: a longitude box across the seam is one box, both conventions" {
	need_nc
	request "$XDIR/era5.zarr" seam.nc --var u10 --sel longitude=-10:30 \
		--sel latitude=60:40
	request "$XDIR/era5_pm180.zarr" seam2.nc --var u10 --sel longitude=170:190
	# The same box in space from both stores: equal values (t2m: u10
	# lacks different chunks in each).
	lsio zarr "$XDIR/era5.zarr" --var t2m --sel longitude=-10:30 -o a.npy -q
	lsio zarr "$XDIR/era5_pm180.zarr" --var t2m --sel longitude=-10:30 -o b.npy -q
	"$PY" -c 'import numpy as np, sys; a, b = np.load("a.npy"), np.load("b.npy"); sys.exit(not np.array_equal(a, b, equal_nan=True))'
}

@test "zarr --sel: a seam box whose two sides share a chunk reads and decodes it once" {
	need_nc
	# cal_noleap.zarr: longitude 0..315 in one chunk; -45:45 is its last
	# value and its first two, the chunk listed once per side.
	lsio zarr "$XDIR/cal_noleap.zarr" --var tas --sel longitude=-45:45 \
		-o s.nc -q --stats=json > stats.json
	run "$PY" "$FIXTURES/xarray_sel_check.py" "$XDIR/cal_noleap.zarr" s.nc \
		--var tas --sel longitude=-45:45
	[ "$status" -eq 0 ] || fail "$output"
	lsio zarr "$XDIR/cal_noleap.zarr" --var tas --sel longitude=0:45 \
		-o e.nc -q --stats=json > east.json
	# tas's one chunk is listed once per side (the coordinates time and
	# latitude are chunks too): the second placed from the first's
	# decode, and no byte read twice - as many as the box east of the
	# seam reads.
	[ "$(json_get stats.json 'j["chunks"], j["chunks_reused"]')" = "(4, 1)" ] ||
		fail "$(cat stats.json)"
	[ "$(json_get stats.json 'j["bytes_read"]')" = "$(json_get east.json 'j["bytes_read"]')" ] ||
		fail "bytes read: $(cat stats.json) against $(cat east.json)"
}

@test "zarr --isel and --sel together; every data variable by default; .npy of one" {
	need_nc
	request "$XDIR/era5.zarr" i.nc --isel time=0:4 --sel latitude=10:-10
	request "$XDIR/era5.zarr" one.npy --var t2m --isel time=-1 \
		--sel latitude=60:40
	request "$XDIR/cal_noleap.zarr" nl.nc --sel time=2024-02-27:2024-03-02
	request "$XDIR/cal_360_day.zarr" d360.nc --sel time=2023-02-29:2023-03-01
}

@test "zarr --sel: errors name the dimension, the range and what to write; nothing written" {
	need_nc
	run -2 lsio zarr "$XDIR/era5.zarr" --var t2n -o x.nc
	[[ $output == *"t2m"* ]]
	run -2 lsio zarr "$XDIR/era5.zarr" --sel latitud=60:40 -o x.nc
	[[ $output == *"did you mean 'latitude'"* ]]
	run -2 lsio zarr "$XDIR/era5.zarr" --sel latitude=40:60 -o x.nc
	[[ $output == *"60:40"* ]]
	run -2 lsio zarr "$XDIR/era5.zarr" --sel time=2023-13-01 -o x.nc
	[[ $output == *"2023-13-01"* ]]
	run -2 lsio zarr "$XDIR/era5.zarr" --sel latitude=60:40 -o x.npy
	[[ $output == *"--var"* ]]
	run -2 lsio zarr "$XDIR/era5.zarr" --select 0:2 --var t2m -o x.npy
	[ ! -e x.nc ] && [ ! -e x.npy ]
}

@test "zarr --sel: a remote group (consolidated, over HTTP): the same as xarray, one GET a chunk, no HEAD" {
	need_nc
	[ -n "${HTTP_PORT:-}" ] || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	local url=http://127.0.0.1:$HTTP_PORT/plain/era5.zarr
	: > "$NGX/access.log"
	lsio zarr "$url" --var t2m --var u10 --sel time=2023-01-10:2023-01-15 \
		--sel latitude=60:40 --sel longitude=-10:30 -o r.nc -q
	run "$PY" "$FIXTURES/xarray_sel_check.py" "$XDIR/era5.zarr" r.nc --var t2m \
		--var u10 --sel time=2023-01-10:2023-01-15 --sel latitude=60:40 \
		--sel longitude=-10:30
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(grep -c '^HEAD' "$NGX/access.log")" -eq 0 ] || fail "HEAD requests: $(cat "$NGX/access.log")"
	# Each data chunk the box touches is read once (u10's two deleted
	# chunks answer 404: the fill value).
	grep -E '^GET /plain/era5.zarr/(t2m|u10)/[0-9]' "$NGX/access.log" | awk '{ print $2 }' | sort > gets
	[ "$(wc -l < gets)" -ge 4 ] || fail "no chunk GETs in the log: $(cat "$NGX/access.log")"
	[ -z "$(uniq -d gets)" ] || fail "chunks read twice: $(uniq -d gets)"
}

@test "zarr --sel: Zarr v3 dimension_names (written by zarrita): labels, a noleap date; equal to zarrita's indices" {
	[ -d "$FIXTURES/zarrita/node_modules" ] || skip "zarrita is not installed (make deps)"
	node "$FIXTURES/zarrita/zarr_v3.mjs" dataset v3.zarr || fail "zarrita could not write the dataset"
	# lat 60 30 0 -30 -60 (descending), lon 0 60 .. 300, time noleap days
	# 0 31 59 since 2000-01-01: this selection is tas[1, 1:4, 1:4].
	lsio zarr v3.zarr --var tas --sel time=2000-02-01 --sel lat=30:-30 \
		--sel lon=60:180 -o got.npy -q
	mkdir -p ref
	echo 'tas|1, 1:4, 1:4' > cases
	node "$FIXTURES/zarrita/zarr_v3.mjs" get v3.zarr cases ref || fail "zarrita get failed"
	"$PY" -c 'import numpy as np, sys; a, b = np.load("got.npy"), np.load("ref/0.npy")
sys.exit(not (a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)))' ||
		fail "lsio differs from zarrita"
}

@test "zarr --sel: the examples of lsio.1 and README run on xarray's store and agree with xarray" {
	need_nc
	local line n=0 args out i
	{
		# lsio.1's "$ lsio zarr ... \e" examples, continuation lines joined
		sed -n '/^\.SS "lsio zarr"/,/^\.S[SH] /p' "$LSIO_TOP/man/lsio.1" |
			awk '/^\$ lsio zarr/ || cont { line = line (cont ? " " : "") $0; cont = /\\e$/;
			     if (!cont) { print line; line = "" } }' |
			sed -e 's/^\$ //' -e 's/\\e / /g' -e 's/\\-/-/g'
		# README's, "\" continuations joined, comments cut
		awk '/^lsio zarr/ || cont { line = line (cont ? " " : "") $0; cont = /\\$/;
		     if (!cont) { print line; line = "" } }' "$LSIO_TOP/README.md" |
			sed -e 's/\\ / /g' -e 's/ *#.*//'
	} | grep -e '--sel ' | tr -s ' ' > examples.txt
	while IFS= read -r line; do
		n=$((n + 1))
		read -ra args <<< "${line#lsio zarr }"
		(cd "$XDIR" && "$LSIO" zarr "${args[@]}" -q) || fail "example '$line' failed"
		for ((i = 0; i < ${#args[@]}; i++)); do
			[ "${args[i]}" = -o ] && out=${args[i + 1]}
		done
		run "$PY" "$FIXTURES/xarray_sel_check.py" "$XDIR/${args[0]}" "$XDIR/$out" \
			$(printf '%s\n' "${args[@]:1}" | paste -sd ' ' | sed -e 's/-o [^ ]*//')
		[ "$status" -eq 0 ] || fail "example '$line': $output"
	done < examples.txt
	[ "$n" -ge 4 ] || fail "only $n examples: $(cat examples.txt)"
}
