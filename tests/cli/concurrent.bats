#!/usr/bin/env bats
# concurrent.bats - one loaded job planned and run by several threads at
# once, over URLs: tests/unit/test_concurrent.c (which `make unit` runs on
# local files alone) given a directory that a real nginx on loopback
# serves, so that the planner's HEADs (a chunk read to its end) and the
# curl backend run in many threads on one struct lsio_job.  Every chunk
# and array is checked against the files' definition by the program.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	nginx_setup_file
}

teardown_file() {
	nginx_teardown_file
}

setup() {
	common_setup
	PROG=$(cd "$(dirname "$LSIO")" && pwd)/tests/test_concurrent
	# A missing program is a failure, never a skip.
	[ -x "$PROG" ] || fail "'$PROG' is missing: build first (make all)"
	[ -n "${PORT:-}" ] ||
		skip "nginx with its echo module is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	mkdir -p "$BATS_FILE_TMPDIR/t$BATS_TEST_NUMBER"
	DATA=$BATS_FILE_TMPDIR/t$BATS_TEST_NUMBER
}

# served LOCATION: nginx's URL of $DATA through LOCATION.
served() {
	echo "http://127.0.0.1:$PORT/$1/t$BATS_TEST_NUMBER"
}

@test "concurrent: one job planned and run by 8 threads, local and over http" {
	run "$PROG" "$DATA" "$(served plain)"
	assert_success
	assert_output --partial "0 failed"
	# The remote half did run: every thread's HEADs and GETs reached nginx.
	[ "$(grep -c ' /plain/t[0-9]*/f2.bin ' "$NGX/access.log")" -ge 100 ] ||
		fail "too few requests for f2.bin reached nginx"
	grep -q '^HEAD /plain/' "$NGX/access.log" ||
		fail "no HEAD: the chunks read to their end were not sized"
}

@test "concurrent: the same through a server that fails 30% of requests" {
	run "$PROG" "$DATA" "$(served flaky)"
	assert_success
	assert_output --partial "0 failed"
	grep -q ' /flaky/t[0-9]*/f[0-9].bin 503 ' "$NGX/access.log" ||
		fail "no request failed: the retries were not exercised"
}
