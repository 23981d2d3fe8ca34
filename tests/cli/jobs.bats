#!/usr/bin/env bats
# jobs.bats - every example job in jobs/ is validated, run and checked.
#
# Each job runs in a fresh directory prepared by
# tests/fixtures/make_demo_data.py (data/tiles-*.bin and the numpy-made
# expected/field.npy); relative sources resolve against that directory.
# The loop over jobs/*.json makes a new job part of the suite the moment
# it is added: it is validated and run, and -- when it has no codec stage
# -- its output is compared with what e2e_gen.py's numpy reference reader
# computes from the source files.  The four original jobs are also checked
# against the field itself.

bats_require_minimum_version 1.5.0
load helpers

JOBS=$LSIO_TOP/jobs

setup() {
	common_setup
	need_python_numpy
}

# prepare DIR: demo data in DIR, and cd there.
prepare() {
	mkdir -p "$1"
	cd "$1" || fail "cannot enter $1"
	"$PY" "$FIXTURES/make_demo_data.py" . || fail "make_demo_data.py failed"
	[ -f data/tiles-0.bin ] && [ -f expected/field.npy ] || fail "no demo data"
}

# is_job FILE: a job, not the JSON Schema of the format (which may live in
# jobs/ too).
is_job() {
	case $(basename "$1") in
	*schema*.json) return 1 ;;
	esac
	"$PY" -c 'import json,sys; j = json.load(open(sys.argv[1])); sys.exit(0 if "$schema" not in j else 1)' "$1"
}

# run_job NAME: validate and run jobs/NAME.json in a fresh directory;
# stdout goes to stdout.bin.
run_job() {
	local job=$JOBS/$1.json rc=0
	[ -f "$job" ] || fail "jobs/$1.json is gone: update jobs.bats"
	prepare "$BATS_TEST_TMPDIR/$1"
	run --separate-stderr lsio validate "$job"
	[ "$status" -eq 0 ] || fail "validate jobs/$1.json: exit $status: $stderr"
	[[ $output == "$job: valid: "* ]] || fail "validate jobs/$1.json: $output"
	"$LSIO" run "$job" > stdout.bin 2> stderr.txt || rc=$?
	[ "$rc" -eq 0 ] || fail "run jobs/$1.json: exit $rc: $(cat stderr.txt)"
	assert_no_temp .
}

@test "jobs/ holds example jobs" {
	local n=0 f
	for f in "$JOBS"/*.json; do
		[ -f "$f" ] && is_job "$f" && n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n jobs in $JOBS"
}

@test "every jobs/*.json validates, runs, and matches numpy's reading of its sources" {
	local f name type rc checked=0 total=0
	for f in "$JOBS"/*.json; do
		is_job "$f" || continue
		name=$(basename "$f" .json)
		total=$((total + 1))
		run_job "$name"
		type=$(json_get "$f" 'j["output"]["type"]')
		# The output must exist where the job says.
		case $type in
		array)
			local path
			path=$(json_get "$f" 'j["output"]["path"]')
			[ -f "$path" ] || fail "jobs/$name.json: no output '$path'"
			;;
		files)
			local dir
			dir=$(json_get "$f" 'j["output"]["dir"]')
			[ -d "$dir" ] || fail "jobs/$name.json: no directory '$dir'"
			;;
		stdout)
			[ -s stdout.bin ] || [ "$(json_get "$f" 'len(j["chunks"])')" -eq 0 ] ||
				fail "jobs/$name.json: nothing on stdout"
			;;
		null)
			[ ! -s stdout.bin ] || fail "jobs/$name.json: null output wrote to stdout"
			;;
		*)	fail "jobs/$name.json: output type '$type' unknown to this test" ;;
		esac
		# The reference, from the source files with numpy (exit 3: a codec
		# stage this reader does not decode).
		rc=0
		"$PY" "$FIXTURES/e2e_gen.py" expect "$f" ref > ref.txt 2>&1 || rc=$?
		if [ "$rc" -eq 3 ]; then
			echo "# jobs/$name.json: run, output not compared ($(cat ref.txt))" >&3
			cd "$BATS_TEST_TMPDIR"
			continue
		fi
		[ "$rc" -eq 0 ] || fail "jobs/$name.json: reference reader failed: $(cat ref.txt)"
		case $type in
		array)
			local fmt
			fmt=$(json_get "$f" 'j["output"].get("format", "npy" if j["output"]["path"].endswith(".npy") else "raw")')
			if [ "$fmt" = npy ]; then
				assert_npy_equal "$path" ref/expected.npy
			else
				py 'b = np.load("ref/expected.npy"); assert open(sys.argv[1], "rb").read() == b.tobytes()' "$path" ||
					fail "jobs/$name.json: raw output differs"
			fi
			;;
		files)
			diff -r "$dir" ref/expected.files >&2 || fail "jobs/$name.json: files differ from the reference"
			;;
		stdout)
			cmp stdout.bin ref/expected.bin >&2 || fail "jobs/$name.json: stdout differs from the reference"
			;;
		esac
		checked=$((checked + 1))
		cd "$BATS_TEST_TMPDIR"
	done
	[ "$total" -ge 1 ] || fail "no jobs found"
	[ "$checked" -ge 1 ] || fail "no job's output was compared"
}

@test "jobs/tiles.json: field.npy equals the field make_demo_data.py wrote" {
	run_job tiles
	assert_npy_equal field.npy expected/field.npy
}

@test "jobs/window.json: window.npy equals field[32:160, 48:208]" {
	run_job window
	py 'f = np.load("expected/field.npy"); np.save("want.npy", np.ascontiguousarray(f[32:160, 48:208]))'
	assert_npy_equal window.npy want.npy
}

@test "jobs/tiles-to-files.json: each file holds its 64 x 64 tile of the field" {
	run_job tiles-to-files
	# Tile (row, col) of the field, as <f4 bytes: file tiles-ROW.bin holds
	# row ROW's tiles at offsets col * 16 KiB.
	py '
f = np.load("expected/field.npy")
for name, r, c in (("rowtiles-0.bin-0.f4", 0, 0), ("rowtiles-0.bin-16384.f4", 0, 1),
                   ("last-tile.f4", 3, 3)):
    want = np.ascontiguousarray(f[r*64:(r+1)*64, c*64:(c+1)*64]).astype("<f4").tobytes()
    got = open("tiles/" + name, "rb").read()
    assert got == want, "tiles/%s is not tile (%d, %d)" % (name, r, c)'
	[ "$(ls -A tiles | wc -l)" -eq 3 ] || fail "tiles/ holds: $(ls -A tiles)"
}

@test "jobs/cat.json: stdout is tiles-1.bin then the first 4 KiB of tiles-0.bin" {
	run_job cat
	{ cat data/tiles-1.bin; head -c 4096 data/tiles-0.bin; } > want.bin
	assert_same_bytes stdout.bin want.bin
	# and, independently, the field's bytes
	py '
f = np.load("expected/field.npy").astype("<f4")
row1 = b"".join(np.ascontiguousarray(f[64:128, c*64:(c+1)*64]).tobytes() for c in range(4))
tile00 = np.ascontiguousarray(f[0:64, 0:64]).tobytes()
assert open("stdout.bin", "rb").read() == row1 + tile00[:4096]'
}

@test "jobs/field-blosc.json: Blosc tiles written by numcodecs decode to the field" {
	"$PY" -c 'import numcodecs' 2>/dev/null || skip "/usr/bin/python3 has no numcodecs"
	run_job field-blosc
	assert_npy_equal field-blosc.npy expected/field.npy
}

@test "jobs/field-zstd-shuffle-bytes.json: zstd, shuffle, big-endian tiles decode to the field" {
	"$PY" -c 'import numcodecs' 2>/dev/null || skip "/usr/bin/python3 has no numcodecs"
	run_job field-zstd-shuffle-bytes
	assert_npy_equal field-zstd.npy expected/field.npy
}
