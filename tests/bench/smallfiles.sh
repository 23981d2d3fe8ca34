#!/bin/bash
# smallfiles.sh - 1,000 files of 256 KiB, each read whole, cold cache:
# `lsio run` (one chunk per file, null output) against fio reading the same
# files with nrfiles=1000 (issue 7).  The cost here is per file (open,
# metadata, one request each) rather than per byte.
#
#   cold: lsio (defaults) vs fio io_uring direct=1 iodepth=64 (target
#         >= 0.95x, the issue's "fio's best io_uring configuration cold"),
#         and vs fio psync buffered (reference)
#
# The same 1,000 files at every scale: the issue's size is small already.
#
#   tests/bench/smallfiles.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init smallfiles

SIZE=262144
N=1000
[ "$CAN_DROP" = 1 ] || { say "nothing to do without root (cold only)"; exit 0; }

mapfile -t FILES < <(bench_data small "$N" "$SIZE")
"$PY" - "${FILES[@]}" > "$WORK/job.json" <<'EOF'
import json, sys
chunks = [{"source": f, "offset": 0, "length": 262144} for f in sys.argv[1:]]
print(json.dumps({"lsio": 1, "output": {"type": "null"}, "chunks": chunks}))
EOF

# fio names the files itself: the format makes its names lsio bench's.
fio_small=(fio --output-format=json --name=small --directory="$BENCH_DIR/small"
	--filename_format="lsio-bench.$SIZE.\$filenum" --nrfiles=$N
	--filesize=256k --bs=256k --rw=read)
variant lsio lsio "lsio run (defaults)" \
	"$LSIO" run "$WORK/job.json" -q --stats=json
variant fio_uring fio "fio io_uring direct=1 iodepth=64 nrfiles=1000" \
	"${fio_small[@]}" --ioengine=io_uring --direct=1 --iodepth=64
variant fio_psync fio "fio psync (buffered) nrfiles=1000" \
	"${fio_small[@]}" --ioengine=psync
say "cold: $N files, $REPS rounds"
alternate cold
row cold lsio fio_uring 1 0.95
row cold lsio fio_psync 1 -
row cold lsio fio_uring 4 -
runs_note 1 lsio fio_uring fio_psync
commands_note lsio fio_uring fio_psync
note "job: $N chunks, one per file (\$LSIO_BENCH_DIR/small/lsio-bench.$SIZE.{0..$((N - 1))}), null output; bytes per run: lsio $(stat_of lsio 3 median), fio $(stat_of fio_uring 3 median)"
note "GiB/s: lsio's --stats throughput and fio's bw_bytes (I/O time); \"e2e\": bytes / the whole process's wall time (opening 1,000 files included on both sides)"
results_write "1,000 files of 256 KiB read whole"
