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

# assert_single FILE: FILE holds a single run's bytes and zarr-python's
# values, and no temporary is left behind.
assert_single() {
	assert_same_bytes "$1" single.npy
	assert_npy_equal "$1" "$ZDIR/ref.npy"
	assert_no_temp .
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

@test "slurm: 4 array tasks with --shard slurm fill one .npy identical to a single run" {
	batch_script shard.sh '"$LSIO" run job.json --shard slurm -q -o out.npy'
	run submit --array=0-3 shard.sh
	cat task-*.log >&2
	assert_success
	assert_single out.npy
	# The same from an array not starting at 0 (K = ID - MIN).
	rm out.npy
	run submit --array=5-7 shard.sh
	assert_success
	assert_single out.npy
}

# fail_one_task missing|corrupt: run shard.sh in 4 tasks with one chunk
# file of the store missing, or its bytes replaced by as many random ones
# (zstd fails on them); exactly one task fails (its log names the chunk's
# file), the array job fails, and no out.npy appears.  Sets FAILED to the
# failed task's index, then puts the chunk file back.
fail_one_task() {
	local chunk=store.zarr/t/3.1.2 k
	cp "$chunk" saved.chunk
	case $1 in
	missing) rm "$chunk" ;;
	corrupt) head -c "$(stat -c %s "$chunk")" /dev/urandom > "$chunk" ;;
	esac
	batch_script shard.sh '"$LSIO" run job.json --shard slurm -q -o out.npy'
	run submit --array=0-3 shard.sh
	cat task-*.log >&2
	assert_failure
	[ ! -e out.npy ] || fail "out.npy exists although a task failed"
	run grep -l "exit [1-9]" task-0.log task-1.log task-2.log task-3.log
	[ "${#lines[@]}" -eq 1 ] || fail "$1 chunk: expected one failed task, got: $output"
	FAILED=${output#task-}
	FAILED=${FAILED%.log}
	grep -q "3\.1\.2" "task-$FAILED.log" ||
		fail "task $FAILED's log does not name the chunk: $(cat "task-$FAILED.log")"
	for k in 0 1 2 3; do
		[ "$k" = "$FAILED" ] || grep -q "exit 0" "task-$k.log" ||
			fail "task $k did not succeed: $(cat "task-$k.log")"
	done
	cp saved.chunk "$chunk"
}

@test "slurm: a task failing on a corrupt chunk leaves no output; re-running that task with --resume commits" {
	fail_one_task corrupt
	# Only the failed task runs again, with its own share: K/4 given, as
	# --shard slurm in a one-task array would be 0/1.
	batch_script again.sh '"$LSIO" run job.json --shard "$SLURM_ARRAY_TASK_ID/4" --resume -q -o out.npy'
	run submit --array="$FAILED" again.sh
	cat "task-$FAILED.log" >&2
	assert_success
	assert_single out.npy
}

@test "slurm: after a failed task, the whole array re-submitted with --resume commits" {
	fail_one_task corrupt
	batch_script again.sh '"$LSIO" run job.json --shard slurm --resume -q -o out.npy'
	run submit --array=0-3 again.sh
	cat task-*.log >&2
	assert_success
	assert_single out.npy
}

@test "slurm: a missing chunk file fails only the task whose share has it; re-run, that task commits" {
	fail_one_task missing
	batch_script again.sh '"$LSIO" run job.json --shard "$SLURM_ARRAY_TASK_ID/4" --resume -q -o out.npy'
	run submit --array="$FAILED" again.sh
	assert_success
	assert_single out.npy
}

@test "slurm: a one-task array resubmitted with --shard slurm after a 4-task run never commits a wrong array" {
	fail_one_task corrupt
	# --shard slurm in --array=K is part 0 of 1: the parts of a 4-part run
	# are not its own.  Either it finishes the whole array correctly or it
	# fails and leaves no out.npy; never a partial array under that name.
	batch_script again.sh '"$LSIO" run job.json --shard slurm --resume -q -o out.npy'
	run submit --array="$FAILED" again.sh
	cat "task-$FAILED.log" >&2
	if [ "$status" -eq 0 ]; then
		assert_same_bytes out.npy single.npy
	else
		[ ! -e out.npy ] || fail "out.npy exists after a failed resume"
	fi
}

@test "slurm: --shard slurm takes the array's step: tasks 1,3,5,7 are parts 0..3" {
	batch_script shard.sh '"$LSIO" run job.json --shard slurm -q -o out.npy'
	run submit --array=1-7:2 shard.sh
	cat task-*.log >&2
	assert_success
	assert_single out.npy
}

# readme_block NAME: the code between the README's NAME markers, as it is
# written.
readme_block() {
	sed -n "/^<!-- $1 -->\$/,/^<!-- \/$1 -->\$/p" "$LSIO_TOP/README.md" |
		sed '/^<!--/d; /^```/d'
}

@test "slurm: the README's batch script runs as written; after a failed task, its retry line commits a single run's array" {
	local line words i job= out= chunk=store.zarr/t/3.1.2 k failed= retry
	readme_block slurm-example > readme.sh
	grep -q '^#SBATCH --array=0-3$' readme.sh || fail "no '#SBATCH --array=0-3' in README's example: $(cat readme.sh)"
	line=$(grep '^lsio run ' readme.sh) || fail "no 'lsio run' line in README's example"
	read -r -a words <<< "$line"
	job=${words[2]}
	for ((i = 3; i < ${#words[@]}; i++)); do
		[ "${words[i]}" = -o ] && out=${words[i + 1]}
	done
	[ -n "$out" ] || fail "README's 'lsio run' line has no -o: $line"
	[[ $line == *"--shard slurm"* ]] || fail "README's 'lsio run' line has no --shard slurm: $line"
	retry=$(readme_block slurm-retry)
	[[ $retry == "sbatch --array=2 "* ]] || fail "README's retry line is not 'sbatch --array=2 ...': $retry"
	mv job.json "$job"
	mkdir bin
	ln -s "$LSIO" bin/lsio
	export PATH=$PWD/bin:$PATH
	# First with one task failing: no output.
	cp "$chunk" saved.chunk
	head -c "$(stat -c %s "$chunk")" /dev/urandom > "$chunk"
	run timeout 300 sbatch --wait --quiet readme.sh
	assert_failure
	[ ! -e "$out" ] || fail "$out exists although a task failed"
	for k in 0 1 2 3; do
		grep -q "3\.1\.2" "t2m-$k.log" && failed+=$k
	done
	[ "${#failed}" -eq 1 ] || fail "expected one failed task, got '$failed': $(cat t2m-*.log)"
	# Then the README's retry line for that task (it names task 2).
	cp saved.chunk "$chunk"
	run timeout 300 bash -c "${retry/--array=2/--array=$failed} --wait --quiet"
	cat t2m-*.log >&2
	assert_success
	assert_single "$out"
}
