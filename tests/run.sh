#!/bin/bash
# Run the test suite: every unit test binary, the runner's own self-test,
# every bats CLI test, then a short run of every fuzz target.
#   tests/run.sh BUILD_DIR [unit|cli|fuzz]
# Prints one line per test and, last, "N passed, N failed, N skipped".
# A skipped test (exit 77, a unit test's "skip:" line, bats' skip, a fuzz
# target without clang) is reported as skipped, never counted as passed.
#
# The runner must be able to fail: bats exiting non-zero, a TAP stream
# without a plan, or with fewer or more results than its plan (a crash
# cut it off) all count as failures.  tests/run_selftest.sh proves it.
#
# Environment: BATS (default bats) and LSIO_CLI_DIR (default tests/cli)
# let the self-test substitute a broken bats; LSIO_FUZZ_BUILD (default
# build-fuzz; make sets it) and LSIO_FUZZ_SECONDS (default 3) are for the
# fuzz smoke test.
set -u
build=$(cd "${1:?build dir}" && pwd)
only=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
failed=()

fail_test() {
	fail=$((fail + 1))
	failed+=("$1")
	echo "FAIL    $1"
}

# $1: name, $2: exit status, $3: output, $4: what to say on success.  Exit
# 77 skips; exit 0 passes, and each "skip: REASON" line of a passing test
# is a skipped case.
judge() {
	local name=$1 rc=$2 out=$3 line
	case $rc in
	0)
		pass=$((pass + 1))
		echo "ok      $name${4:+: $4}"
		while IFS= read -r line; do
			skip=$((skip + 1))
			echo "skip    $name: ${line#skip: }"
		done < <(printf '%s\n' "$out" | grep '^skip: ')
		;;
	77)
		skip=$((skip + 1))
		echo "skip    $name: $(echo "$out" | tail -n 1)"
		;;
	*)
		fail_test "$name"
		echo "        exit status $rc"
		echo "$out" | tail -n 30 | sed 's/^/        /'
		;;
	esac
}

run_units() {
	local t out rc
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$(cd "$top" && "$t" 2>&1)
		rc=$?
		judge "unit/$(basename "$t")" "$rc" "$out"
	done
}

# Count a bats TAP stream ($1) whose bats exited with status $2.
tap_judge() {
	local tap=$1 rc=$2 line plan results=0
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tap" | head -n 1)
	while IFS= read -r line; do
		case $line in
		"ok "*"# skip"*) results=$((results + 1)); skip=$((skip + 1)); echo "skip    ${line#ok }" ;;
		"ok "*) results=$((results + 1)); pass=$((pass + 1)) ;;
		"not ok "*) results=$((results + 1)); fail_test "${line#not ok }" ;;
		"#"*) [ ${#failed[@]} -gt 0 ] && echo "        $line" ;;
		esac
	done < "$tap"
	echo "cli: $(grep -c '^ok ' "$tap") ok of ${plan:-no plan} bats tests"
	if [ -z "$plan" ]; then
		fail_test "cli: bats printed no TAP plan (1..N)"
		tail -n 5 "$tap" | sed 's/^/        /'
	elif [ "$results" -ne "$plan" ]; then
		fail_test "cli: $results results for a plan of $plan: the TAP stream was cut off"
		tail -n 5 "$tap" | sed 's/^/        /'
	fi
	# A failing test already made bats exit 1; any other exit is news.
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$tap"; then
		fail_test "cli: bats exited with status $rc"
		tail -n 5 "$tap" | sed 's/^/        /'
	fi
}

run_cli() {
	local tap rc
	export LSIO="$build/lsio" LSIO_TOP="$top"
	tap=$(mktemp)
	${BATS:-bats} --tap -r "${LSIO_CLI_DIR:-$top/tests/cli}" > "$tap" 2>&1
	rc=$?
	tap_judge "$tap" "$rc"
	rm -f "$tap"
}

# Each fuzz target for a few seconds: a smoke test that the targets build,
# start, and survive their corpus (make fuzz runs them for longer).
run_fuzz() {
	local fb=${LSIO_FUZZ_BUILD:-$top/build-fuzz} src name out rc
	for src in "$top"/tests/fuzz/fuzz_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		out=$("$top/tests/fuzz/fuzz.sh" "$fb" "${LSIO_FUZZ_SECONDS:-3}" "$name" 2>&1)
		rc=$?
		judge "fuzz/$name" "$rc" "$out" "${out#"$name: "}"
	done
}

# The self-test runs run.sh (in unit or cli mode) on broken streams.
run_self() {
	local out rc
	out=$("$top/tests/run_selftest.sh" 2>&1)
	rc=$?
	judge "self/run_selftest.sh" "$rc" "$out"
}

case $only in
all) run_units; run_self; run_cli; run_fuzz ;;
unit) run_units ;;
cli) run_cli ;;
fuzz) run_fuzz ;;
*) echo "usage: tests/run.sh BUILD_DIR [unit|cli|fuzz]" >&2; exit 2 ;;
esac

echo
for f in "${failed[@]}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + fail)) -gt 0 ]
