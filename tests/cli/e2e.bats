#!/usr/bin/env bats
# e2e.bats - end to end against numpy.  tests/fixtures/e2e_gen.py writes
# random source files and a random chunk list (C-order arrays of 1-4
# dimensions, random dtypes, chunk grids with padded edge chunks, sub-box
# selections, chunks scattered over several files with gaps, a few chunks
# left out) and computes expected.npy from the source files with numpy
# alone.  lsio runs the job; np.load reads its output, which must have the
# expected dtype, shape and values.
#
# Seeds are random on every run and printed on failure; LSIO_E2E_SEED=N
# replays a run.

bats_require_minimum_version 1.5.0
load helpers

GEN=$LSIO_TOP/tests/fixtures/e2e_gen.py

setup() {
	random_setup
}

# e2e_cases COUNT NDIM [LSIO-ARGS...]: COUNT random cases of NDIM
# dimensions (0: a random NDIM per case), each run with LSIO-ARGS.
e2e_cases() {
	local count=$1 ndim=$2 k seed nd desc
	shift 2
	for ((k = 0; k < count; k++)); do
		seed=$(((LSIO_E2E_SEED * 1000 + TEST_SALT) * 10 + k))
		nd=$ndim
		((nd > 0)) || nd=$((seed % 4 + 1))
		e2e_one "$seed" "$nd" "$@"
	done
}

# e2e_one SEED NDIM [LSIO-ARGS...]: generate, run, compare.
e2e_one() {
	local seed=$1 nd=$2 dir desc rc=0
	shift 2
	dir=$BATS_TEST_TMPDIR/case-$seed
	desc=$("$PY" "$GEN" gen "$dir" "$seed" "$nd") ||
		fail "e2e_gen.py gen failed for seed $seed: $desc"
	(cd "$dir" && "$LSIO" run job.json "$@" > stdout.txt 2> stderr.txt) || rc=$?
	[ "$rc" -eq 0 ] ||
		fail "lsio run $* exit $rc on $desc (replay: LSIO_E2E_SEED=$LSIO_E2E_SEED): $(cat "$dir/stderr.txt")"
	(assert_npy_equal "$dir/out.npy" "$dir/expected.npy") ||
		fail "lsio run $* on $desc: wrong output (replay: LSIO_E2E_SEED=$LSIO_E2E_SEED)"
	assert_no_temp "$dir"
}

@test "e2e 1-D: 3 random cases, --workers 1" {
	e2e_cases 3 1 --workers 1
}

@test "e2e 1-D: 3 random cases, --workers 2" {
	e2e_cases 3 1 --workers 2
}

@test "e2e 2-D: 3 random cases, --workers 1" {
	e2e_cases 3 2 --workers 1
}

@test "e2e 2-D: 3 random cases, --workers 2" {
	e2e_cases 3 2 --workers 2
}

@test "e2e 3-D: 3 random cases, --workers 1" {
	e2e_cases 3 3 --workers 1
}

@test "e2e 3-D: 3 random cases, --workers 2" {
	e2e_cases 3 3 --workers 2
}

@test "e2e 4-D: 3 random cases, --workers 1" {
	e2e_cases 3 4 --workers 1
}

@test "e2e 4-D: 3 random cases, --workers 2" {
	e2e_cases 3 4 --workers 2
}

@test "e2e, --coalesce-gap off: 3 random cases of 1-4 dimensions" {
	e2e_cases 3 0 --coalesce-gap off --workers 2
}

@test "e2e, --direct on: 3 random cases of 1-4 dimensions" {
	e2e_cases 3 0 --direct on --workers 2
}

@test "e2e, --backend pread --queue-depth 1 --coalesce-gap 1MiB: 3 random cases" {
	e2e_cases 3 0 --backend pread --queue-depth 1 --coalesce-gap 1MiB
}

@test "e2e, --split 4KiB --part-size 4KiB --max-request 8KiB: 2 random cases" {
	e2e_cases 2 0 --split 4KiB --part-size 4KiB --max-request 8KiB --workers 2
}

@test "e2e, raw output (path out.raw): the bytes of the expected array, C order" {
	local k seed nd dir desc
	for ((k = 0; k < 3; k++)); do
		seed=$(((LSIO_E2E_SEED * 1000 + TEST_SALT) * 10 + k))
		nd=$((k + 2))
		dir=$BATS_TEST_TMPDIR/case-$seed
		desc=$("$PY" "$GEN" gen "$dir" "$seed" "$nd") || fail "gen failed: $desc"
		cd "$dir"
		sed -i 's/"path": "out.npy"/"path": "out.raw"/' job.json
		grep -q '"path": "out.raw"' job.json || fail "cannot set the raw path"
		run --separate-stderr lsio run job.json
		[ "$status" -eq 0 ] || fail "exit $status on $desc: $stderr"
		run py '
b = np.load("expected.npy")
raw = open("out.raw", "rb").read()
if len(raw) != b.nbytes: sys.exit("%d bytes, expected %d" % (len(raw), b.nbytes))
a = np.frombuffer(raw, dtype=b.dtype).reshape(b.shape)
ok = np.array_equal(a, b, equal_nan=True) if b.dtype.kind in "fc" else raw == b.tobytes()
sys.exit(0 if ok else "values differ")'
		[ "$status" -eq 0 ] || fail "$desc: $output (replay: LSIO_E2E_SEED=$LSIO_E2E_SEED)"
		cd "$BATS_TEST_TMPDIR"
	done
}
