#!/bin/bash
# Run libFuzzer targets built by `make fuzz-build` (BUILD/fuzz/fuzz_*).
#   tests/fuzz/fuzz.sh --probe [CC]          can CC link a libFuzzer target?
#   tests/fuzz/fuzz.sh BUILD SECONDS [TARGET...]
# Each target runs for SECONDS over its committed seed corpus
# (tests/fuzz/corpus/TARGET) and what earlier runs found
# (BUILD/fuzz/corpus-TARGET, never committed).  Prints one line per target
# with its executions; a crash leaves BUILD/fuzz/TARGET-crash-* and the
# sanitizer's report.  Exits 0, 1 when a target failed, or 77 (skip) when
# there is no clang with libFuzzer here.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

# 0 when $1 links a libFuzzer program; else say why and return 77.
probe() {
	local cc=${1:-clang} tmp rc
	if ! command -v "$cc" > /dev/null; then
		echo "no '$cc': install clang and libclang-rt-dev to fuzz"
		return 77
	fi
	tmp=$(mktemp -d) || return 1
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' > "$tmp/p.c"
	"$cc" -fsanitize=fuzzer,address,undefined "$tmp/p.c" -o "$tmp/p" 2> /dev/null
	rc=$?
	rm -rf "$tmp"
	if [ "$rc" -ne 0 ]; then
		echo "'$cc' cannot link -fsanitize=fuzzer (install libclang-rt-dev)"
		return 77
	fi
	return 0
}

# One target for $2 seconds; prints "NAME: N execs in S s (R/s), ..." or
# the end of the sanitizer's report.
run_one() {
	local dir=$1 secs=$2 name=$3 bin=$1/$3 log rc runs took files dict
	if [ ! -x "$bin" ]; then
		echo "$name: not built ($bin): run make fuzz-build"
		return 1
	fi
	mkdir -p "$dir/corpus-$name"
	log=$dir/$name.log
	# A dictionary of the format's words, when the target has one.
	dict=()
	[ -f "$top/tests/fuzz/$name.dict" ] && dict=(-dict="$top/tests/fuzz/$name.dict")
	# -timeout: an input that takes 10 s is a hang; -rss_limit_mb: an
	# input that needs 2 GiB is a bug, not a big input.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/$name-" -print_final_stats=1 \
		"${dict[@]}" "$dir/corpus-$name" "$top/tests/fuzz/corpus/$name" > "$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$name: FAILED (exit $rc); the whole log: $log"
		# The target's own message and the sanitizer's report.
		grep -v '^#[0-9]\|^INFO:\|^MS:\|^stat::' "$log" | head -n 40
		grep -m 1 'Test unit written to' "$log"
		return 1
	fi
	runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log")
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	files=$(find "$dir/corpus-$name" "$top/tests/fuzz/corpus/$name" -type f 2> /dev/null | wc -l)
	echo "$name: ${runs:-?} execs in ${took:-?} s ($(( ${runs:-0} / (${took:-0} > 0 ? took : 1) )) exec/s), corpus $files files, no crash"
}

if [ "${1:-}" = --probe ]; then
	probe "${2:-clang}"
	exit
fi
dir=${1:?build dir}/fuzz
secs=${2:-60}
shift 2
if [ ! -d "$dir" ]; then
	probe clang > /dev/null || { probe clang; exit 77; }
fi
[ $# -gt 0 ] || set -- $(cd "$top/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
bad=0
for t in "$@"; do
	run_one "$dir" "$secs" "$t" || bad=1
done
exit $bad
