#!/bin/bash
# randread.sh - 20,000 random 4 KiB reads from a 4 GiB file, cold cache
# (issue 7): `lsio run` (20,000 distinct 4 KiB-aligned chunks, seeded,
# null output) against fio reading 20,000 random 4 KiB blocks of the same
# file.
#
#   lsio (defaults: 2 workers x depth 64 = 128 in flight) vs
#     fio io_uring direct=1 iodepth=128   target >= 0.9x IOPS (equal depth)
#     fio psync, 2 jobs (buffered)         target >= 3x IOPS
#     fio psync, 1 job (buffered)          reference (depth 1)
#
# IOPS are chunks (lsio) or reads (fio) per second.  lsio's planner sorts
# the chunks and merges those closer than its coalescing gap, so it may
# issue fewer requests than it delivers chunks; fio issues one per block.
# The same sizes at every scale (the issue's).
#
#   tests/bench/randread.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init randread

SIZE=4294967296
COUNT=20000
[ "$CAN_DROP" = 1 ] || { say "nothing to do without root (cold only)"; exit 0; }

FILE=$(bench_data rand 1 "$SIZE")
"$PY" - "$FILE" "$SIZE" "$COUNT" > "$WORK/job.json" <<'EOF'
import json, random, sys
path, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
offsets = [k * 4096 for k in rng.sample(range(size // 4096), count)]
chunks = [{"offset": o} for o in offsets]
print(json.dumps({"lsio": 1, "output": {"type": "null"},
                  "defaults": {"source": path, "length": 4096},
                  "chunks": chunks}))
EOF

fio_rand=(fio --output-format=json --name=rand --filename="$FILE"
	--rw=randread --bs=4k)
variant lsio lsio "lsio run (defaults)" \
	"$LSIO" run "$WORK/job.json" -q --stats=json
variant fio_uring fio "fio io_uring direct=1 iodepth=128" \
	"${fio_rand[@]}" --io_size=$((COUNT * 4))k --ioengine=io_uring \
	--direct=1 --iodepth=128
# Two jobs, each over its own half of the file: no block read twice.
variant fio_psync2 fio "fio psync 2 jobs (buffered)" \
	"${fio_rand[@]}" --io_size=$((COUNT * 2))k --ioengine=psync \
	--numjobs=2 --size=2g --offset_increment=2g --group_reporting
variant fio_psync1 fio "fio psync 1 job (buffered)" \
	"${fio_rand[@]}" --io_size=$((COUNT * 4))k --ioengine=psync
say "cold: $COUNT random reads, $REPS rounds"
alternate cold
row cold lsio fio_uring 2 0.9
row cold lsio fio_psync2 2 3
row cold lsio fio_psync1 2 -
row cold lsio fio_uring 5 -
runs_note 2 lsio fio_uring fio_psync2 fio_psync1
commands_note lsio fio_uring fio_psync2 fio_psync1
note "job: $COUNT distinct 4 KiB-aligned chunks of \$LSIO_BENCH_DIR/rand/lsio-bench.$SIZE.0 (Python random.Random(42).sample), null output; bytes per run: lsio $(stat_of lsio 3 median), fio $(stat_of fio_uring 3 median)"
note "IOPS: lsio's --stats chunks_per_second (engine wall time) and fio's iops (I/O time); \"e2e\": chunks or reads / the whole process's wall time"
results_write "20,000 random 4 KiB reads from a 4 GiB file"
