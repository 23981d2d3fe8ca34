#!/usr/bin/env bats
# layers.bats - liblsio's modules depend on each other one way
# (tests/lint/layers.sh, also run by `make lint`), and the check itself
# catches an upward call.

bats_require_minimum_version 1.5.0
load helpers

CHECK=$LSIO_TOP/tests/lint/layers.sh

@test "layers: the build's objects depend one way" {
	local build
	build=$(dirname "$LSIO")
	[ -d "$build/lib/job" ] || fail "no objects under '$build/lib'"
	run -0 "$CHECK" "$build"
}

# obj LAYER NAME CODE: an object b/lib/LAYER/NAME.o compiled from CODE, its
# source in src/lib/LAYER/NAME.c (the check reads only objects of sources
# that exist: LAYERS_TOP=src).
obj() {
	mkdir -p "b/lib/$1" "src/lib/$1"
	printf '%s\n' "$3" > "src/lib/$1/$2.c"
	cc -c -o "b/lib/$1/$2.o" "src/lib/$1/$2.c" || fail "cannot compile $2.c"
}

@test "layers: an upward call is reported with its symbol, a downward one is not" {
	command -v cc > /dev/null || fail "no C compiler"
	export LAYERS_TOP=$PWD/src
	obj engine run 'int lsio_job_count(void); int lsio_engine_go(void) { return lsio_job_count(); }'
	obj job count 'int lsio_job_count(void) { return 1; }'
	run -0 "$CHECK" b
	obj job upward 'int lsio_engine_go(void); int lsio_job_up(void) { return lsio_engine_go(); }'
	run -1 "$CHECK" b
	assert_output --partial "lib/job/upward.o: job -> engine lsio_engine_go"
	rm src/lib/job/upward.c	# a stale object, its source gone: not read
	obj plan side 'int lsio_sink_put(void); int lsio_plan_x(void) { return lsio_sink_put(); }'
	obj sink put 'int lsio_sink_put(void) { return 0; }'
	run -1 "$CHECK" b
	assert_output --partial "plan -> sink lsio_sink_put"
}
