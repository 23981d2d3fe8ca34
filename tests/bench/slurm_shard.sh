#!/bin/bash
# slurm_shard.sh - issue 16's overhead of sharding: one array job (float32
# tiles of 256 x 256, zstd, shard_gen.py's `tiles`) run three ways, warm,
# alternating, medians of LSIO_BENCH_REPS runs:
#   single   one process: `lsio run job.json -o out.npy`
#   local4   4 processes at once: `lsio run job.json --shard K/4 -o out.npy`
#   slurm4   a 4-task Slurm array on a one-node cluster of our own
#            (tests/fixtures/slurm/start.sh): `sbatch --array=0-3` of a
#            script running `lsio run job.json --shard slurm -o out.npy`,
#            timed from sbatch until out.npy exists under its name and the
#            job has left the queue (polled every 20 ms: `sbatch --wait`
#            would round up to its 2 s polling)
# Every way writes the same file: checked with cmp once before timing.  On
# this 2-core machine the expected ratio is ~1x: the figures are the cost
# of sharding (each task plans the whole job and maps the shared output)
# and of Slurm's scheduling, not a speed-up.
#
# The data: LSIO_BENCH_SLURM_MIB MiB of float32 (default 2048; 4096 at
# LSIO_BENCH_SCALE=full) in 8 files under $LSIO_BENCH_DIR/slurm-shard,
# written once (numcodecs' zstd) and reused.  Needs root (the Slurm
# daemons) and `make deps` (slurmctld slurmd slurm-client munge).
#
#   tests/bench/slurm_shard.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init slurm_shard

MIB=2048
[ "$SCALE" = full ] && MIB=4096
MIB=${LSIO_BENCH_SLURM_MIB:-$MIB}
TASKS=4
for bin in munged slurmctld slurmd sbatch; do
	command -v "$bin" > /dev/null || { say "$bin is missing (make deps)"; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { say "the Slurm testbed runs its daemons as root"; exit 2; }
"$PY" -c 'import numcodecs' 2>/dev/null || { say "/usr/bin/python3 cannot import numcodecs (make deps)"; exit 2; }

DATA=$BENCH_DIR/slurm-shard/$MIB
if [ ! -e "$DATA/.done" ]; then
	say "writing $DATA ($MIB MiB of tiles, zstd)"
	rm -rf "$DATA"
	"$PY" "$BENCH_TOP/tests/fixtures/shard_gen.py" tiles "$DATA" "$MIB" 8 >&2
	touch "$DATA/.done"
fi

SLURM_DIR=$WORK/slurm
trap '"$BENCH_TOP/tests/fixtures/slurm/stop.sh" "$SLURM_DIR"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
SLURM_CONF=$("$BENCH_TOP/tests/fixtures/slurm/start.sh" "$SLURM_DIR") ||
	{ say "the Slurm testbed did not start"; exit 1; }
export SLURM_CONF LSIO

# Every run writes into $WORK/run (the job's sources are absolute there).
RUN=$WORK/run
mkdir -p "$RUN"
sed "s|\"source\": \"|\"source\": \"$DATA/|" "$DATA/job.json" > "$RUN/job.json"
printf '#!/bin/bash\nexec "$LSIO" run job.json --shard slurm -q --stats=json -o out.npy > "stats-$SLURM_ARRAY_TASK_ID.json"\n' \
	> "$RUN/shard.sh"

single() {
	"$LSIO" run "$RUN/job.json" -q -o "$RUN/out.npy"
}

local4() {
	local k pids=()
	for ((k = 0; k < TASKS; k++)); do
		"$LSIO" run "$RUN/job.json" --shard "$k/$TASKS" -q -o "$RUN/out.npy" &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k" || return 1; done
}

slurm4() {
	local id
	id=$(cd "$RUN" && sbatch --parsable --array=0-$((TASKS - 1)) \
		--output=task-%a.log shard.sh) || return 1
	id=${id%%;*}
	while [ ! -e "$RUN/out.npy" ] || [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ]; do
		if [ ! -e "$RUN/out.npy" ] && [ -z "$(squeue -h -j "$id" -o %i 2>/dev/null)" ]; then
			say "array job $id left the queue without out.npy"
			cat "$RUN"/task-*.log >&2
			return 1
		fi
		sleep 0.02
	done
}

# srun_once NAME: one timed run of NAME, its output removed first; the
# vals line of common.bash with rates over the whole wall time.
srun_once() {
	local name=$1 t0 t1
	rm -f "$RUN/out.npy"
	t0=$(date +%s.%N)
	eval "${V_CMD[$name]}" || { say "$name failed"; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v n="$BYTES" -v c="$CHUNKS" 'BEGIN {
		w = b - a; printf "%.6f %.1f %d %.6f %.1f\n", n / w / 2^30, c / w, n, n / w / 2^30, c / w }' \
		>> "$WORK/$name.vals"
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >> "$WORK/$name.secs"
}

# The three ways write the same bytes.
single
mv "$RUN/out.npy" "$WORK/single.npy"
for way in local4 slurm4; do
	"$way" || { say "$way failed"; exit 1; }
	cmp "$RUN/out.npy" "$WORK/single.npy" || { say "$way's out.npy differs from a single run's"; exit 1; }
	rm -f "$RUN/out.npy"
done
BYTES=$(stat -c %s "$WORK/single.npy")
CHUNKS=$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["chunks"]))' "$RUN/job.json")
rm -f "$WORK/single.npy"

variant single lsio "1 process" single
variant local4 lsio "$TASKS processes --shard K/$TASKS" local4
variant slurm4 lsio "$TASKS Slurm array tasks --shard slurm" slurm4
alternate_with srun_once

TABLE_HEAD="| date | case | sharded (median) | peer | peer (median) | sharded/peer | target | |"
row "$MIB MiB tiles, warm" local4 single 4 -
row "$MIB MiB tiles, warm" slurm4 single 4 -
row "$MIB MiB tiles, warm" slurm4 local4 4 -
for name in single local4 slurm4; do
	note "$name, every run (s), in the order run: $(tr '\n' ' ' < "$WORK/$name.secs")"
done
note "commands: single \`lsio run job.json -q -o out.npy\`; local4 \`lsio run job.json --shard K/$TASKS -q -o out.npy\` x $TASKS at once; slurm4 \`sbatch --array=0-$((TASKS - 1)) shard.sh\` (\`lsio run job.json --shard slurm -q -o out.npy\`), until out.npy exists and the job has left the queue"
note "slurm4's tasks' own lsio wall times (s) in the last run: $(cat "$RUN"/stats-*.json | "$PY" -c 'import json, sys; print(" ".join("%.3f" % json.loads(l)["wall_seconds"] for l in sys.stdin if l.strip()))')"
note "data: $MIB MiB of float32 (256 x 256 tiles, $CHUNKS chunks, zstd(1) by numcodecs) in 8 files, $(du -sm "$DATA" | cut -f 1) MiB on disk, warm (page cache); output $((BYTES / 1048576)) MiB; Slurm 22.05 one node ($(nproc) CPUs, CR_Core: one task per CPU, so $(nproc) of the $TASKS tasks run at a time), each task lsio's default workers"
results_write "$TASKS-way sharding, one process against $TASKS processes and a $TASKS-task Slurm array"
