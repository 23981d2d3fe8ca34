#!/bin/bash
# The test runner's own test: tests/run.sh must fail when a test fails,
# crashes, or is cut off - else a green "make check" proves nothing.  Each
# case runs run.sh on a made-up build directory or on a stand-in for bats
# that prints a given TAP stream, and checks its exit status and summary.
#   tests/run_selftest.sh        (tests/run.sh runs it; exits 0 or 1)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lsio-run-selftest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
bad=0

# expect NAME WANT_RC SUMMARY_PATTERN MODE [ENV=VALUE...]: run run.sh on
# $tmp/build in MODE with the environment given.
expect() {
	local name=$1 want=$2 pattern=$3 mode=$4 out rc
	shift 4
	out=$(env "$@" "$top/tests/run.sh" "$tmp/build" "$mode" 2>&1)
	rc=$?
	if [ "$want" = fail ] && [ "$rc" -eq 0 ]; then
		echo "FAIL    $name: run.sh passed"
	elif [ "$want" = pass ] && [ "$rc" -ne 0 ]; then
		echo "FAIL    $name: run.sh failed (status $rc)"
	elif ! printf '%s\n' "$out" | tail -n 1 | grep -q -- "$pattern"; then
		echo "FAIL    $name: last line is not '$pattern'"
	else
		echo "ok      $name"
		return
	fi
	printf '%s\n' "$out" | tail -n 8 | sed 's/^/        /'
	bad=1
}

# A stand-in for bats that prints $2 (a TAP stream) and exits with $3.
fake_bats() {
	printf '#!/bin/sh\nprintf "%s"\nexit %s\n' "$2" "$3" > "$tmp/$1"
	chmod +x "$tmp/$1"
	echo "BATS=$tmp/$1"
}

mkdir -p "$tmp/build/tests" "$tmp/cli"

# --- the TAP stream of bats ----------------------------------------------
expect "complete stream passes" pass "^2 passed, 0 failed, 0 skipped$" cli \
	"$(fake_bats whole '1..2\nok 1 a\nok 2 b\n' 0)"
expect "stream cut off before its plan's count fails" fail "^2 passed, 1 failed" cli \
	"$(fake_bats cut '1..3\nok 1 a\nok 2 b\n' 0)"
expect "stream without a plan fails" fail "^1 passed, 1 failed" cli \
	"$(fake_bats noplan 'ok 1 a\n' 0)"
expect "more results than planned fails" fail "failed" cli \
	"$(fake_bats extra '1..1\nok 1 a\nok 2 b\n' 0)"
expect "bats exiting non-zero without a failed test fails" fail "^1 passed, 1 failed" cli \
	"$(fake_bats crash '1..1\nok 1 a\n' 1)"
expect "a skip is a skip" fail "^0 passed, 0 failed, 1 skipped$" cli \
	"$(fake_bats skip '1..1\nok 1 a # skip no server\n' 0)"

# --- a real bats on real test files --------------------------------------
printf '@test "fails" {\n\tfalse\n}\n@test "passes" {\n\ttrue\n}\n' > "$tmp/cli/f.bats"
expect "a failing bats test fails" fail "^1 passed, 1 failed, 0 skipped$" cli \
	LSIO_CLI_DIR="$tmp/cli"
sed -i 's/false/true/' "$tmp/cli/f.bats"
expect "passing bats tests pass" pass "^2 passed, 0 failed, 0 skipped$" cli \
	LSIO_CLI_DIR="$tmp/cli"

# --- unit test binaries --------------------------------------------------
unit() {
	rm -f "$tmp"/build/tests/test_*
	printf '#!/bin/sh\n%s\n' "$2" > "$tmp/build/tests/test_$1"
	chmod +x "$tmp/build/tests/test_$1"
}
unit ok 'echo fine'
expect "a passing unit test passes" pass "^1 passed, 0 failed, 0 skipped$" unit
unit fails 'exit 1'
expect "a failing unit test fails" fail "^0 passed, 1 failed" unit
unit crashes 'kill -SEGV $$'
expect "a crashing unit test fails" fail "^0 passed, 1 failed" unit
unit case 'echo "skip: numpy round trip: no numpy"'
expect "a skipped case is reported and counted" pass "^1 passed, 0 failed, 1 skipped$" unit
unit skips 'echo no tool; exit 77'
expect "nothing but skips is no pass" fail "^0 passed, 0 failed, 1 skipped$" unit

# --- fuzz targets ----------------------------------------------------------
# Not built (with clang) or no clang (a skip): never a pass.
expect "a fuzz target that was not built is no pass" fail "^0 passed" fuzz \
	LSIO_FUZZ_BUILD="$tmp/no-such-build"

exit $bad
