#!/bin/bash
# array_sink_candidates.sh - the output paths issue 14 measured against
# today's (array_sink.md, "The candidates"), re-runnable: builds lsio at the
# commit they were written against with array_sink_candidates.patch
# applied (switched by environment variables: LSIO_DIO_OUT, LSIO_DIRECT_MAP,
# LSIO_POPW - experiment code, never merged), then runs each candidate
# alternately, inputs re-read before warm runs and memory touched before
# every run (see array_sink.sh), and prints medians of REPS.
#
#   tests/bench/array_sink_candidates.sh STORE SEL warm|cold [REPS]
# e.g. tests/bench/array_sink_candidates.sh $LSIO_BENCH_DIR/zarr/zstd-1024.zarr : warm 5
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
store=$1 sel=$2 temp=$3 reps=${4:-5}
base=3e3c53b
wt=${TMPDIR:-/tmp}/lsio-candidates
out=${LSIO_BENCH_DIR:-/var/tmp/lsio-bench}/array_sink
mkdir -p "$out"
if [ ! -x "$wt/build/lsio" ]; then
	git -C "$top" worktree add -f --detach "$wt" "$base" > /dev/null
	git -C "$wt" apply "$top/tests/bench/array_sink_candidates.patch"
	make -C "$wt" -j"$(nproc)" build/lsio > /dev/null
fi
n=$(ls "$store" | grep -c '^[0-9]')
[ "$sel" = : ] || n=$(echo "$sel" | awk -F: '{ print $2 - $1 }')
variants=("pwrite:X=1" "odirect:LSIO_DIO_OUT=1" "map:LSIO_DIRECT_MAP=1"
	  "map+populate:LSIO_DIRECT_MAP=1 LSIO_POPW=1")
for ((r = 0; r < reps; r++)); do
	for ((k = 0; k < 4; k++)); do
		v=${variants[(k + r) % 4]}
		if [ "$temp" = cold ]; then
			sync; echo 3 > /proc/sys/vm/drop_caches
		else
			for ((i = 0; i < n; i++)); do cat "$store/$i.0.0"; done > /dev/null
		fi
		dd if=/dev/zero of=/dev/null bs=$((2 * n + 256))M count=1 iflag=fullblock status=none
		t0=$(date +%s.%N)
		env ${v#*:} "$wt/build/lsio" zarr "$store" --select "$sel" -o "$out/c.npy" -q
		t1=$(date +%s.%N)
		echo "${v%%:*} $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
		rm -f "$out/c.npy"
	done
done | sort -k1,1 -k2,2n | awk '{ c[$1]++; v[$1, c[$1]] = $2; all[$1] = all[$1] " " sprintf("%.3f", $2) }
	END { for (k in c) printf "%-13s median %.3f s, all:%s\n", k, v[k, int((c[k] + 1) / 2)], all[k] }'
