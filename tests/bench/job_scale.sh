#!/bin/bash
# job_scale.sh - jobs of a million and ten million chunks (issue 16): the
# time to parse and plan them, JSON parsed per second, and the peak memory
# per chunk, with the binary under test and, side by side, a baseline
# binary (today's figures: main before the streaming reader).
#
# The job is what `lsio zarr --emit-job` writes for a sharded 3-D array: one
# source, a chunk object a line with its source, offset, length and
# place {shape, to} (and count at the array's far edges, which the grid
# does not divide), <u1 chunks of 2 x 2 x 2; the source is a sparse file.
# Each size is written twice: as a JSON job ("chunks" last), and as a job
# without chunks plus the same chunks in an NDJSON file (--chunks).
#
#   validate  `lsio validate JOB`: parsing alone (one core)
#   plan      `lsio plan JOB`: parsing and planning, reading no data
#   run null  `lsio run JOB --backend null -o OUT.npy`: all but the reads
#
# Targets: < 200 bytes of peak RSS a chunk (plan and run null), >= 100 MB/s
# of JSON parsed (validate), 10M chunks planned in < 10 s.
#
# Sizes: 1M chunks (default scale), 1M and 10M (LSIO_BENCH_SCALE=full);
# LSIO_BENCH_JOB_SIZES="1000" checks the script in seconds.
# The baseline binary: LSIO_BASE (default /tmp/lsio-base/build/lsio, made
# by `git worktree add /tmp/lsio-base e0fb0a4 && make -C /tmp/lsio-base`);
# without it the baseline rows are left out.  It reads no NDJSON, and a
# size whose job it would need more than half the free memory for (~1.8
# KB a chunk) is not given to it.
#
#   tests/bench/job_scale.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"

BENCH_NAME=job_scale
[ "$REPS" -ge 5 ] 2>/dev/null || { say "LSIO_BENCH_REPS must be >= 5 (medians)"; exit 2; }
[ -x "$LSIO" ] || { say "no lsio binary at '$LSIO' (make first)"; exit 2; }
[ -x /usr/bin/time ] || { say "/usr/bin/time is missing (apt-get install time)"; exit 2; }
DATA=$BENCH_DIR/job_scale
mkdir -p "$DATA"
BASE=${LSIO_BASE:-/tmp/lsio-base/build/lsio}
if [ -x "$BASE" ]; then
	cp "$BASE" "$WORK/lsio-base"
	BASE_DESC=$(git -C "$(dirname "$BASE")/.." describe --always --dirty 2>/dev/null || echo "$BASE")
	BASE=$WORK/lsio-base
else
	say "no baseline binary at '$BASE': its rows are left out"
	BASE=
fi
case $SCALE in
full) SIZES="1000000 10000000" ;;
*) SIZES="1000000" ;;
esac
SIZES=${LSIO_BENCH_JOB_SIZES:-$SIZES}	# 1000: a quick check of the script

# grid N: the chunk grid "A B C" of N chunks.
grid() {
	case $1 in
	1000) echo "10 10 10" ;;
	1000000) echo "100 100 100" ;;
	10000000) echo "250 200 200" ;;
	*) say "no grid for $1 chunks"; exit 2 ;;
	esac
}

# make_jobs N: job-N.json, head-N.json and list-N.ndjson (reused).
make_jobs() {
	local n=$1 a b c src=$DATA/src-$1.bin
	read -r a b c < <(grid "$n")
	[ -e "$DATA/.done-$n" ] && return
	say "writing the jobs of $n chunks"
	rm -f "$src"
	truncate -s $((8 * n)) "$src"
	# The array is one element short of the grid in each dimension: the
	# last chunks along it land only their first row (count).
	awk -v a="$a" -v b="$b" -v c="$c" -v src="$src" \
	    -v json="$DATA/job-$n.json" -v list="$DATA/list-$n.ndjson" \
	    -v head="$DATA/head-$n.json" 'BEGIN {
		out = sprintf("{\"lsio\": 1,\n \"output\": {\"type\": \"array\", \"dtype\": \"|u1\", \"shape\": [%d, %d, %d]},\n", 2 * a - 1, 2 * b - 1, 2 * c - 1)
		printf "%s \"chunks\": [\n", out > json
		printf "%s \"chunks\": \"@list-%d.ndjson\"\n}\n", out, a * b * c > head
		n = a * b * c
		for (i = 0; i < a; i++) for (j = 0; j < b; j++) for (k = 0; k < c; k++) {
			cnt = ""
			if (i == a - 1 || j == b - 1 || k == c - 1)
				cnt = sprintf(", \"count\": [%d, %d, %d]", i == a - 1 ? 1 : 2, j == b - 1 ? 1 : 2, k == c - 1 ? 1 : 2)
			line = sprintf("{\"source\": \"%s\", \"offset\": %d, \"length\": 8, \"place\": {\"shape\": [2, 2, 2], \"to\": [%d, %d, %d]%s}}", src, 8 * m, 2 * i, 2 * j, 2 * k, cnt)
			print line > list
			printf "  %s%s\n", line, (++m < n ? "," : "") > json
		}
		printf " ]\n}\n" > json
	}'
	touch "$DATA/.done-$n"
}

# once BIN CMD... : one run; appends "SECONDS PEAK_RSS_KIB" to $WORK/$name.
once() {
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$WORK/rss" "$@" > /dev/null 2> "$WORK/err" ||
		{ say "failed: $*"; cat "$WORK/err" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(tail -n 1 "$WORK/rss")"
}

# case_add NAME LABEL BYTES N CMD...: a variant of N chunks whose job text
# is BYTES long.
declare -A C_LABEL=() C_BYTES=() C_N=() C_CMD=()
CASES=()
case_add() {
	local name=$1
	CASES+=("$name")
	C_LABEL[$name]=$2
	C_BYTES[$name]=$3
	C_N[$name]=$4
	shift 4
	C_CMD[$name]=$(printf '%q ' "$@")
}

# med NAME FIELD: the median of field 1 (seconds) or 2 (KiB) of its runs.
med() {
	sort -g -k "$2,$2" "$WORK/$1.runs" | awk -v f="$2" '{ v[NR] = $f } END { print v[int((NR + 1) / 2)] }'
}

free_kib() {
	awk '/MemAvailable/ { print $2 }' /proc/meminfo
}

for n in $SIZES; do
	make_jobs "$n"
	jbytes=$(stat -c %s "$DATA/job-$n.json")
	lbytes=$(stat -c %s "$DATA/list-$n.ndjson")
	out=$WORK/out.npy
	for who in new base; do
		bin=$LSIO
		if [ "$who" = base ]; then
			bin=$BASE
			[ -n "$bin" ] || continue
			if [ $((n * 18 / 10)) -gt $(($(free_kib) / 2)) ]; then
				note "baseline: $n chunks left out (it would need ~$((n * 18 / 10 / 1024)) MiB, more than half the free memory)"
				continue
			fi
		fi
		case_add "$who-validate-$n" "$who, validate, JSON" "$jbytes" "$n" \
			"$bin" validate "$DATA/job-$n.json"
		case_add "$who-plan-$n" "$who, plan, JSON" "$jbytes" "$n" \
			"$bin" plan "$DATA/job-$n.json"
		case_add "$who-run-$n" "$who, run --backend null, JSON" "$jbytes" "$n" \
			"$bin" run "$DATA/job-$n.json" --backend null -o "$out" -q
		[ "$who" = new ] || continue
		case_add "$who-nvalidate-$n" "$who, validate, NDJSON" "$lbytes" "$n" \
			"$bin" validate "$DATA/head-$n.json"
		case_add "$who-nplan-$n" "$who, plan, NDJSON (--chunks)" "$lbytes" "$n" \
			"$bin" plan "$DATA/head-$n.json" --chunks "$DATA/list-$n.ndjson"
		case_add "$who-nrun-$n" "$who, run --backend null, NDJSON (--chunks)" "$lbytes" "$n" \
			"$bin" run "$DATA/head-$n.json" --chunks "$DATA/list-$n.ndjson" --backend null -o "$out" -q
	done
done

# Every case REPS times, in turn, the order rotated each round, each round
# after the machine has quietened (common.bash).
for name in "${CASES[@]}"; do : > "$WORK/$name.runs"; done
for ((r = 0; r < REPS; r++)); do
	quiet_wait
	for ((i = 0; i < ${#CASES[@]}; i++)); do
		name=${CASES[(i + r) % ${#CASES[@]}]}
		eval "once ${C_CMD[$name]}" >> "$WORK/$name.runs"
		rm -f "$WORK/out.npy"
	done
done

TABLE_HEAD="| date | chunks | binary, command, job | wall (median) | MB/s of job text | peak RSS (median) | bytes / chunk | target | |"
TABLE_SEP="|---|---|---|---|---|---|---|---|---|"
for name in "${CASES[@]}"; do
	s=$(med "$name" 1)
	kib=$(med "$name" 2)
	n=${C_N[$name]}
	mbs=$(awk -v b="${C_BYTES[$name]}" -v s="$s" 'BEGIN { printf "%.0f", b / s / 1e6 }')
	bpc=$(awk -v k="$kib" -v n="$n" 'BEGIN { printf "%.0f", k * 1024 / n }')
	target="-" met=""
	case $name in
	new-validate-*|new-nvalidate-*)
		target="≥ 100 MB/s"
		met=$(awk -v m="$mbs" 'BEGIN { print (m >= 100 ? "**met**" : "**MISSED**") }') ;;
	new-plan-10000000|new-nplan-10000000)
		target="< 10 s, < 200 B/chunk"
		met=$(awk -v s="$s" -v b="$bpc" 'BEGIN { print (s < 10 && b < 200 ? "**met**" : "**MISSED**") }') ;;
	new-plan-*|new-nplan-*|new-run-*|new-nrun-*)
		target="< 200 B/chunk"
		met=$(awk -v b="$bpc" 'BEGIN { print (b < 200 ? "**met**" : "**MISSED**") }') ;;
	base-*)
		met="(today's figure)" ;;
	esac
	ROWS+=("| $(date +%F) | $n | ${C_LABEL[$name]} | $(printf '%.3f' "$s") s | $mbs | $((kib / 1024)) MiB | $bpc | $target | $met |")
done
for name in "${CASES[@]}"; do
	NOTES+=("\`$name\` ($(awk '{ printf "%s%.3f s %d KiB", (NR > 1 ? ", " : ""), $1, $2 }' "$WORK/$name.runs")): \`$(eval "printf '%s ' ${C_CMD[$name]}" | sed -e "s|$WORK/lsio-base|lsio-base|g" -e "s|$LSIO|lsio|g" -e "s|$BENCH_DIR|\$LSIO_BENCH_DIR|g" -e "s|$WORK|.|g" -e 's/ $//')\`")
done
note "new: lsio $LSIO_BUILT; base: $([ -n "$BASE" ] && echo "lsio $BASE_DESC" || echo none)"
note "job: the 3-D grid of $(grid "${SIZES%% *}" | tr ' ' 'x') (and 250x200x200 at full scale) <u1 chunks of 2x2x2 into an array one element short of it in each dimension; JSON $(stat -c %s "$DATA/job-${SIZES%% *}.json") bytes for ${SIZES%% *} chunks, NDJSON $(stat -c %s "$DATA/list-${SIZES%% *}.ndjson"); written by this script's awk into \$LSIO_BENCH_DIR/job_scale"
note "wall: the whole process (start-up included), \`date\` around \`/usr/bin/time -f %M\` (peak RSS); MB/s: the job's text (JSON, or NDJSON) over that wall time; bytes/chunk: peak RSS / chunks, the process's own memory (libraries, the window, the output's mapped pages for run) included"
results_write "jobs of ${SIZES// / and } chunks: parse, plan, memory per chunk"
