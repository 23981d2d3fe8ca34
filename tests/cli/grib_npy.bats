#!/usr/bin/env bats
# grib_npy.bats - `lsio grib ... -o X.npy [--dtype <f8] [--coords]` on
# GRIB2 files ecCodes writes at test time (tests/fixtures/grib_npy.py):
# the decoded fields stacked (fields, ny, nx) compared value for value with
# ecCodes' codes_get_values (several packings, bitmaps, a message of two
# fields, several sources), lat.npy/lon.npy compared with ecCodes'
# latitudes/longitudes keys on every grid lsio computes, and the errors:
# fields on different grids, grids without coordinates.

bats_require_minimum_version 1.5.0
load helpers

NPY=$LSIO_TOP/tests/fixtures/grib_npy.py

setup_file() {
	export GDIR=$BATS_FILE_TMPDIR/g
	"$PY" -c 'import eccodes, numpy' 2> /dev/null || return 0
	"$PY" "$NPY" gen "$GDIR" > "$BATS_FILE_TMPDIR/gen.log" 2>&1 ||
		touch "$BATS_FILE_TMPDIR/gen.failed"
}

setup() {
	common_setup
	need_eccodes
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "grib_npy.py gen failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
}

# same_values GRIB NPY [SKIP...]: NPY holds GRIB's fields as ecCodes
# decodes them (fields numbered in SKIP left out).
same_values() {
	run "$PY" "$NPY" values "$@"
	assert_success
	assert_output ok
}

@test "grib -o X.npy: every packing and bitmap, stacked, equals ecCodes (<f4 and <f8)" {
	cp "$GDIR/packs.grib2" .
	run -0 lsio grib packs.grib2 -o t.npy -q
	run -0 py 'a = np.load("t.npy"); print(a.dtype.str, a.shape, int(np.isnan(a).sum()) > 0)'
	assert_output "<f4 (9, 19, 36) True"
	same_values packs.grib2 t.npy
	run -0 lsio grib packs.grib2 -o t8.npy --dtype '<f8' -q
	run -0 py 'print(np.load("t8.npy").dtype.str)'
	assert_output "<f8"
	same_values packs.grib2 t8.npy
	assert_no_temp .
}

@test "grib -o X.npy: --match chooses the slices, in message order" {
	cp "$GDIR/packs.grib2" .
	run -0 lsio grib packs.grib2 --match '^[258]:' -o t.npy -q
	same_values packs.grib2 t.npy 1 3 4 6 7 9
}

@test "grib -o X.npy: each field of a message of two is its own slice (scan and .idx)" {
	cp "$GDIR/multi.grib2" .
	run -0 lsio grib multi.grib2 --idx none --list
	assert_line --index 1 --regexp '^2\.1:[0-9]+:'
	assert_line --index 2 --regexp '^2\.2:[0-9]+:'
	run -0 lsio grib multi.grib2 --idx none -o scan.npy -q
	same_values multi.grib2 scan.npy
	"$PY" "$NPY" idx multi.grib2 > multi.grib2.idx
	run -0 lsio grib multi.grib2 -o idx.npy -q
	same_values multi.grib2 idx.npy
	run -0 lsio grib multi.grib2 --match '^2\.2:' -o second.npy -q
	same_values multi.grib2 second.npy 1 2 4
	run -0 lsio grib multi.grib2 --match '^2\.2:' -o second.npy --emit-job
	assert_output --partial '{"codec": "grib2", "field": 2}'
	cp "$GDIR/bigmulti.grib2" .
	"$PY" "$NPY" idx bigmulti.grib2 > bigmulti.grib2.idx
	run -0 lsio grib bigmulti.grib2 --match '^2\.2:' -o big.npy -q
	same_values bigmulti.grib2 big.npy 1 2
}

@test "grib -o X.npy: several sources stack in source order" {
	cp "$GDIR/packs.grib2" "$GDIR/more.grib2" .
	run -0 lsio grib more.grib2 packs.grib2 -o t.npy -q
	cat more.grib2 packs.grib2 > both.grib2
	same_values both.grib2 t.npy
}

@test "grib -o X.npy: --emit-job | lsio run - writes what lsio grib writes" {
	cp "$GDIR/packs.grib2" .
	run -0 lsio grib packs.grib2 -o direct.npy --dtype '<f8' -q
	lsio grib packs.grib2 -o piped.npy --dtype '<f8' --emit-job > job.json
	run -0 lsio run - -q < job.json
	assert_same_bytes direct.npy piped.npy
}

@test "grib --coords: lat.npy and lon.npy equal ecCodes' on lat/lon, Gaussian, Lambert (sphere, ellipsoid) and polar grids" {
	local g failed=
	for g in ll ll_scan40 ll_scanc0 ll_scan20 ll_basic gauss lambert lambert_secant lambert_wgs84 lambert_grs80 polar polar_south; do
		mkdir "$g"
		lsio grib "$GDIR/$g.grib2" -o "$g/v.npy" --coords -q 2> err.txt ||
			{ failed+="$g: $(cat err.txt)"$'\n'; continue; }
		"$PY" "$NPY" values "$GDIR/$g.grib2" "$g/v.npy" > out.txt ||
			failed+="$g values: $(cat out.txt)"$'\n'
		"$PY" "$NPY" coords "$GDIR/$g.grib2" "$g" > out.txt ||
			failed+="$g coords: $(cat out.txt)"$'\n'
	done
	[ -z "$failed" ] || fail "$failed"
	run -0 py 'import sys
v, la = np.load("lambert/v.npy"), np.load("lambert/lat.npy")
print(v.shape, la.shape, la.dtype.str)'
	assert_output "(2, 40, 60) (40, 60) <f8"
	assert_no_temp .
}

@test "grib --coords: a symlinked lat.npy has its target replaced, a FIFO lon.npy is written through" {
	lsio grib "$GDIR/ll.grib2" -o plain.npy --coords -q
	mv lat.npy want_lat.npy
	mv lon.npy want_lon.npy
	mkdir real
	echo old > real/lat.npy
	ln -s real/lat.npy lat.npy
	mkfifo lon.npy
	timeout 20 cat lon.npy > got_lon.npy &
	local reader=$!
	timeout 20 "$LSIO" grib "$GDIR/ll.grib2" -o v.npy --coords -q
	wait "$reader"
	[ -L lat.npy ] && [ -p lon.npy ]
	assert_same_bytes real/lat.npy want_lat.npy
	assert_same_bytes got_lon.npy want_lon.npy
	assert_no_temp .
}

@test "grib --coords: a grid without coordinates exits 2 naming it, and writes nothing" {
	run -2 lsio grib "$GDIR/rotated.grib2" -o v.npy --coords
	assert_output --partial "--coords: grid 3.1: coordinates are supported for grids 3.0, 3.20, 3.30 and 3.40"
	run -2 lsio grib "$GDIR/polar_wgs84.grib2" -o v.npy --coords
	assert_output --partial "grid 3.20: coordinates on an ellipsoid (shape of the earth 5, code table 3.2) are not supported"
	run -2 lsio grib "$GDIR/reduced.grib2" -o v.npy --coords
	assert_output --partial "--coords: grid 3.40 6114 points is reduced"
	assert_no_output_left . v.npy lat.npy lon.npy
	# Without --coords a reduced grid is one row per field.
	run -0 lsio grib "$GDIR/reduced.grib2" -o v.npy -q
	same_values "$GDIR/reduced.grib2" v.npy
	run -0 py 'print(np.load("v.npy").shape)'
	assert_output "(1, 6114)"
}

@test "grib -o X.npy: fields on different grids exit 2 naming both, and write nothing" {
	cp "$GDIR/two_grids.grib2" .
	run -2 lsio grib two_grids.grib2 -o t.npy
	assert_output --partial "message 2 of 'two_grids.grib2' is on grid 3.30 60x40, message 1 of 'two_grids.grib2' is on 3.0 36x19"
	run -2 lsio grib "$GDIR/ll.grib2" "$GDIR/lambert.grib2" -o t.npy --emit-job
	assert_output --partial "is on grid 3.30 60x40, message 1 of '$GDIR/ll.grib2' is on 3.0 144x73"
	assert_no_output_left . t.npy
	# One grid chosen: fine.
	run -0 lsio grib two_grids.grib2 --match '^1:' -o t.npy -q
	same_values two_grids.grib2 t.npy 2
}

@test "grib -o X.npy: an inventory entry off a message's start exits 1 naming it, and writes nothing" {
	cp "$GDIR/multi.grib2" .
	"$PY" "$NPY" idx multi.grib2 | sed 's/^3:\([0-9]*\):/3:1\1:/' > multi.grib2.idx
	run -1 lsio grib multi.grib2 --match '^3:' -o t.npy
	assert_output --regexp "'multi.grib2': message 3 at offset 1[0-9]+: "
	"$PY" "$NPY" idx multi.grib2 | sed 's/^1:0:/1:7:/' > multi.grib2.idx
	run -1 lsio grib multi.grib2 --match '^1:' -o t.npy
	assert_output --partial "'multi.grib2': message 1 at offset 7: not the start of a GRIB message"
	assert_no_output_left . t.npy
}
