#!/bin/bash
# headline.sh - the seed project's workload: N files of 41,214,400 bytes read
# in 262,144-byte chunks, `lsio run` (null output) against fio on the same
# bytes (issue 2, "Benchmark"; issue 7).
#
#   cold: lsio (defaults: io_uring, --direct auto) vs fio io_uring direct=1
#         iodepth=64 (target >= 0.95x), and vs fio psync, 2 jobs (reference)
#   warm: the data cached, lsio --direct auto (reads cached ranges
#         buffered) vs fio psync buffered, 2 jobs (target >= 0.9x)
#
# N is 100 at LSIO_BENCH_SCALE=full (the issue's size), 50 by default so
# that `make bench` stays well inside 30 minutes.  fio reads whole 256 KiB
# blocks only, so both sides read the 157 whole chunks of each file (the
# last 58,792 bytes of each file are read by neither).
#
#   tests/bench/headline.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init headline

SIZE=41214400
BS=262144
N=50
[ "$SCALE" = full ] && N=100

mapfile -t FILES < <(bench_data headline "$N" "$SIZE")
"$PY" - "$SIZE" "$BS" "${FILES[@]}" > "$WORK/job.json" <<'EOF'
import json, sys
size, bs, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
chunks = [{"source": f, "offset": k * bs} for f in files for k in range(size // bs)]
print(json.dumps({"lsio": 1, "output": {"type": "null"},
                  "defaults": {"length": bs}, "chunks": chunks}))
EOF

all=$(IFS=:; echo "${FILES[*]}")
half0=$(IFS=:; echo "${FILES[*]:0:N/2}")
half1=$(IFS=:; echo "${FILES[*]:N/2}")
shorthand "$all" '$FILES'
shorthand "$half0" '$HALF0'
shorthand "$half1" '$HALF1'
# A 2-thread pread pool over the same bytes: two jobs, half the files
# each.  (--numjobs=2 would make each clone read every file: twice the
# bytes, and cold, the second clone reading what the first just cached.)
psync2=(fio --output-format=json --ioengine=psync --rw=read --bs=256k
	--group_reporting --name=half0 --filename="$half0"
	--name=half1 --filename="$half1")

if [ "$CAN_DROP" = 1 ]; then
	variant lsio lsio "lsio run (defaults)" \
		"$LSIO" run "$WORK/job.json" -q --stats=json
	variant fio_uring fio "fio io_uring direct=1 iodepth=64" \
		fio --output-format=json --name=headline --ioengine=io_uring \
		--direct=1 --iodepth=64 --rw=read --bs=256k --filename="$all"
	variant fio_psync2 fio "fio psync 2 jobs (buffered)" "${psync2[@]}"
	say "cold: $N files, $REPS rounds"
	alternate cold
	row cold lsio fio_uring 1 0.95
	row cold lsio fio_psync2 1 -
	row cold lsio fio_uring 4 -
	runs_note 1 lsio fio_uring fio_psync2
	commands_note lsio fio_uring fio_psync2
fi

variants_clear
variant lsio_warm lsio "lsio run --direct auto" \
	"$LSIO" run "$WORK/job.json" -q --stats=json --direct auto
# fio drops a file's cached pages before reading it unless --invalidate=0.
variant fio_psync2_warm fio "fio psync 2 jobs (buffered)" \
	"${psync2[@]:0:2}" --invalidate=0 "${psync2[@]:2}"
variant fio_uring_warm fio "fio io_uring buffered iodepth=64" \
	fio --output-format=json --invalidate=0 --name=headline --ioengine=io_uring \
	--iodepth=64 --rw=read --bs=256k --filename="$all"
say "warm: $N files, $REPS rounds"
warm_files() {
	cat "${FILES[@]}" > /dev/null
}
WARM_HOOK=warm_files
alternate warm
row warm lsio_warm fio_psync2_warm 1 0.9
row warm lsio_warm fio_uring_warm 1 -
row warm lsio_warm fio_psync2_warm 4 -
runs_note 1 lsio_warm fio_psync2_warm fio_uring_warm
commands_note lsio_warm fio_psync2_warm fio_uring_warm
note "job: $N files × $((SIZE / BS)) chunks of 256 KiB, null output; bytes per run: lsio $(stat_of "${V_NAMES[0]}" 3 median), fio $(stat_of fio_psync2_warm 3 median); \$FILES = \$LSIO_BENCH_DIR/headline/lsio-bench.$SIZE.{0..$((N - 1))} joined by ':', \$HALF0 and \$HALF1 its two halves"
note "GiB/s: lsio's --stats throughput (bytes / engine wall time, planning excluded) and fio's bw_bytes (I/O time, set-up excluded); \"e2e\": bytes / the whole process's wall time"
results_write "$N × 41,214,400-byte files, 256 KiB chunks"
