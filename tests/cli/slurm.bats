#!/usr/bin/env bats
# slurm.bats - `lsio run --shard slurm` in real Slurm array jobs, on a
# one-node cluster of our own (tests/fixtures/slurm/start.sh: munged,
# slurmctld and slurmd on loopback, everything in $BATS_FILE_TMPDIR).
# The job reads a Zarr array written by zarr-python; every result must be
# byte for byte the file a single `lsio run` writes, and hold the values
# zarr-python reads.  The README's batch script is run as it is written.

bats_require_minimum_version 1.5.0
load helpers

SLURM_FIX=$FIXTURES/slurm
SLURM_PKGS="slurmctld slurmd slurm-client munge"

setup_file() {
	local bin
	for bin in munged slurmctld slurmd sbatch; do
		command -v "$bin" > /dev/null ||
			skip "$bin is missing (apt-get install --no-install-recommends $SLURM_PKGS)"
	done
	[ "$(id -u)" -eq 0 ] || skip "the Slurm testbed runs its daemons as root"
	export ZDIR=$BATS_FILE_TMPDIR/z SLURM_DIR=$BATS_FILE_TMPDIR/slurm
	if "$PY" -c 'import zarr, numcodecs' 2>/dev/null; then
		"$PY" "$FIXTURES/shard_gen.py" zarr "$ZDIR" > "$BATS_FILE_TMPDIR/gen.log" 2>&1 ||
			touch "$BATS_FILE_TMPDIR/gen.failed"
	fi
	SLURM_CONF=$("$SLURM_FIX/start.sh" "$SLURM_DIR" 2> "$BATS_FILE_TMPDIR/slurm.err") ||
		skip "the Slurm testbed did not start: $(head -n 1 "$BATS_FILE_TMPDIR/slurm.err") (logs in $SLURM_DIR)"
	export SLURM_CONF
}

teardown_file() {
	[ -n "${SLURM_DIR:-}" ] && "$SLURM_FIX/stop.sh" "$SLURM_DIR"
	return 0
}

setup() {
	common_setup
	need_zarr
	# The store is the test's own: tests delete chunk files.
	cp -r "$ZDIR/store.zarr" .
	lsio zarr "$PWD/store.zarr/t" --emit-job -o out.npy > job.json
	lsio run job.json -q -o single.npy
	assert_npy_equal single.npy "$ZDIR/ref.npy"
}

# submit ARGS...: sbatch --wait from this test's directory, each task's
# output in task-N.log; exit status: the highest of the tasks'.  A job
# still running after 5 minutes is cancelled.
submit() {
	local rc=0
	timeout 300 sbatch --wait --quiet --output='task-%a.log' "$@" || rc=$?
	if [ "$rc" -eq 124 ]; then
		scancel --user=root
		echo "sbatch --wait $*: still running after 300 s" >&2
	fi
	return "$rc"
}

# batch_script FILE LINE: a batch script running LINE, which records its
# exit status in the task's log.
batch_script() {
	printf '#!/bin/bash\n%s\nrc=$?\necho "task $SLURM_ARRAY_TASK_ID: exit $rc"\nexit $rc\n' "$2" > "$1"
}

@test "slurm testbed: an array job runs one lsio per task, each task's environment set" {
	batch_script plain.sh '"$LSIO" run job.json -q -o "whole-$SLURM_ARRAY_TASK_ID.npy" &&
echo "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_MIN/$SLURM_ARRAY_TASK_COUNT" > "env-$SLURM_ARRAY_TASK_ID"'
	run submit --array=3-6 plain.sh
	assert_success
	for k in 3 4 5 6; do
		assert_same_bytes "whole-$k.npy" single.npy
		[ "$(cat "env-$k")" = "$k/3/4" ] || fail "task $k saw $(cat "env-$k")"
	done
}
