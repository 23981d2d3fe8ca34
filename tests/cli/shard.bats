#!/usr/bin/env bats
# shard.bats - `lsio run --shard K/N` and `--resume` without Slurm: for
# random jobs (tests/fixtures/shard_gen.py over e2e_gen.py: 1 to 4
# dimensions, random chunkings, .npy, raw, files and stdout outputs) and N
# in 1..7, the N shares run at the same time, or one after another in a
# random order, must give byte for byte what one run gives -- which in
# turn must be what e2e_gen.py's reference reader computes from the source
# files with numpy.  A share killed with SIGKILL at a random moment and
# continued with --resume, with the other shares, must give the same bytes
# (resume.bats kills whole runs).
#
# LSIO_SHARD_SEED=S replays a failing run (the failure message names S).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export SHARD_SEED=${LSIO_SHARD_SEED:-$RANDOM}
}

setup() {
	common_setup
	need_python_numpy
}

# gen SEED: a random case in ./cSEED; cd there; KIND is its output kind.
gen() {
	"$PY" "$FIXTURES/shard_gen.py" random "c$1" "$1" > "gen-$1.log" 2>&1 ||
		fail "shard_gen.py random c$1 $1: $(cat "gen-$1.log")"
	cd "c$1" || fail "no c$1"
	KIND=$(cat kind)
	CASE="case $1 ($(tr '\n' ' ' < "../gen-$1.log")) [LSIO_SHARD_SEED=$SHARD_SEED]"
}

# target NAME: where a run of KIND writes: NAME.npy, NAME.raw, the
# directory NAME, or (stdout) the file NAME.bin.
target() {
	case $KIND in
	npy) echo "$1.npy" ;;
	raw) echo "$1.raw" ;;
	files) echo "$1" ;;
	stdout) echo "$1.bin" ;;
	esac
}

# run_to NAME [ARGS...]: lsio run job.json ARGS into target NAME.
run_to() {
	local t
	t=$(target "$1")
	shift
	if [ "$KIND" = stdout ]; then
		"$LSIO" run job.json -q "$@" > "$t"
	else
		"$LSIO" run job.json -q -o "$t" "$@"
	fi
}

# single: one plain run into target "single", checked against the
# reference reader.
single() {
	run_to single || fail "$CASE: the single run failed"
	case $KIND in
	npy) assert_npy_equal single.npy expected.npy ;;
	raw) py 'a = np.load(sys.argv[1])
sys.exit(open(sys.argv[2], "rb").read() != np.ascontiguousarray(a).tobytes())' \
		expected.npy single.raw || fail "$CASE: single.raw is not expected.npy's data" ;;
	files) diff -r single expected.files >&2 || fail "$CASE: single/ differs from expected.files/" ;;
	stdout) assert_same_bytes single.bin expected.bin ;;
	esac
}

# same_as_single NAME N: target NAME (for stdout: the shares NAME-K.bin
# concatenated in K order) holds what the single run wrote.
same_as_single() {
	local k
	case $KIND in
	files) diff -r "$1" single >&2 || fail "$CASE, N=$2: $1/ differs from single/" ;;
	stdout)
		for ((k = 0; k < $2; k++)); do cat "$1-$k.bin"; done > "$1.bin"
		cmp "$1.bin" single.bin >&2 || fail "$CASE, N=$2: the shares of $1 concatenated differ from a single run" ;;
	*) cmp "$(target "$1")" "$(target single)" >&2 || fail "$CASE, N=$2: $(target "$1") differs from a single run" ;;
	esac
	assert_no_temp .
}

# shard_to NAME K N [ARGS...]: share K of N into target NAME (stdout:
# NAME-K.bin).
shard_to() {
	local name=$1 k=$2 n=$3
	shift 3
	if [ "$KIND" = stdout ]; then
		"$LSIO" run job.json -q --shard "$k/$n" "$@" > "$name-$k.bin"
	else
		"$LSIO" run job.json -q --shard "$k/$n" -o "$(target "$name")" "$@"
	fi
}

@test "shard: N shares of random jobs, run at once or one by one in random order, equal one run (N = 1..7)" {
	local i seed n k pids order rc
	for i in $(seq 0 11); do
		seed=$((SHARD_SEED * 16 + i))
		gen "$seed"
		n=$((1 + (seed * 5 + i) % 7))
		single
		# All N at once.
		pids=()
		for ((k = 0; k < n; k++)); do
			shard_to par "$k" "$n" &
			pids+=($!)
		done
		for k in "${!pids[@]}"; do
			wait "${pids[k]}" || fail "$CASE: share $k/$n failed (run at once)"
		done
		same_as_single par "$n"
		# One by one, in a random order: an array or a files share is not
		# visible under its final name before the last share is in.
		order=$(shuf -i 0-$((n - 1)) --random-source=<(yes "$seed"))
		local done_=0
		for k in $order; do
			rc=0
			shard_to seq "$k" "$n" || rc=$?
			[ "$rc" -eq 0 ] || fail "$CASE: share $k/$n failed (one by one, order $(echo $order))"
			done_=$((done_ + 1))
			if [ "$done_" -lt "$n" ] && { [ "$KIND" = npy ] || [ "$KIND" = raw ]; }; then
				[ ! -e "$(target seq)" ] ||
					fail "$CASE: $(target seq) exists after $done_ of $n shares"
			fi
		done
		same_as_single seq "$n"
		cd ..
	done
}

@test "shard: the shares' --stats=json chunk counts add up to the job's; an array's last share commits it" {
	local i seed n k total sum last
	for i in 0 1 2 3 4 5; do
		seed=$((SHARD_SEED * 16 + i))
		gen "$seed"
		n=$((2 + i))
		total=$(json_get job.json 'len(j["chunks"])')
		sum=0
		for ((k = 0; k < n; k++)); do
			# --stats goes to stdout, or to stderr when the output is stdout.
			if [ "$KIND" = stdout ]; then
				shard_to st "$k" "$n" --stats=json 2> "stats-$k.json"
			else
				shard_to st "$k" "$n" --stats=json > "stats-$k.json"
			fi || fail "$CASE: share $k/$n failed"
			sum=$((sum + $(json_get "stats-$k.json" 'j["chunks"]')))
			# An array is committed by its last share; files and stdout by
			# each share, its own.
			last=True
			[ "$k" -lt $((n - 1)) ] && { [ "$KIND" = npy ] || [ "$KIND" = raw ]; } && last=False
			[ "$(json_get "stats-$k.json" '(j["shard"]["index"], j["shard"]["count"], j["shard"]["committed"], j["chunks_total"] == j["chunks"])')" = "($k, $n, $last, True)" ] ||
				fail "$CASE: share $k/$n's --stats: $(cat "stats-$k.json")"
		done
		[ "$sum" -eq "$total" ] || fail "$CASE: run --shard K/$n --stats chunks add up to $sum, not $total"
		cd ..
	done
}

@test "shard: lsio plan --shard K/N --json: the shares' chunks add up to the job's" {
	local i seed n k total sum
	for i in 0 1 2 3; do
		seed=$((SHARD_SEED * 16 + i))
		gen "$seed"
		n=$((2 + i))
		"$LSIO" plan job.json --json > plan.json || fail "$CASE: lsio plan failed"
		total=$(json_get plan.json 'j["chunks"]')
		[ "$total" -eq "$(json_get job.json 'len(j["chunks"])')" ] ||
			fail "$CASE: lsio plan counts $total chunks"
		sum=0
		for ((k = 0; k < n; k++)); do
			"$LSIO" plan job.json --json --shard "$k/$n" > "plan-$k.json" ||
				fail "$CASE: lsio plan --shard $k/$n failed"
			sum=$((sum + $(json_get "plan-$k.json" 'j["chunks"]')))
		done
		[ "$sum" -eq "$total" ] || fail "$CASE: plan --shard K/$n chunks add up to $sum, not $total"
		cd ..
	done
}

@test "shard: --shard rejects what is not K/N with 0 <= K < N, and slurm outside an array job" {
	local bad
	"$PY" "$FIXTURES/shard_gen.py" random c 1 > /dev/null
	cd c
	for bad in 1/1 4/3 -1/3 0/0 x 1/ /2 "1/2/3" "" 01x/2; do
		run -2 --separate-stderr "$LSIO" run job.json -q --shard "$bad" -o bad.npy
		[ "$status" -eq 2 ] || fail "--shard '$bad': status $status, expected 2 (usage)"
		[ -n "$stderr" ] || fail "--shard '$bad': no message"
	done
	unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_COUNT
	run -2 --separate-stderr "$LSIO" run job.json -q --shard slurm -o bad.npy
	[[ $stderr == *SLURM_ARRAY_TASK_ID* ]] || fail "message does not name SLURM_ARRAY_TASK_ID: $stderr"
	[ "$status" -eq 2 ] || fail "--shard slurm outside an array job: status $status, expected 2"
	# In an array job, task 6 of 5..8 is share 1 of 4.
	SLURM_ARRAY_TASK_ID=6 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_COUNT=4 \
		"$LSIO" run job.json -q --shard slurm -o a.npy
	"$LSIO" run job.json -q --shard 1/4 -o b.npy
	[ ! -e a.npy ] && [ ! -e b.npy ] || fail "one share of 4 committed the array"
	[ ! -e bad.npy ] || fail "a rejected --shard wrote bad.npy"
}

# The kill-and-resume job: 96 tiles compressed with zstd, each followed by
# 400 byte swaps (the values unchanged), read one at a time: a run lasts
# ~1 s here, a third of it long enough to be killed in the middle.
SLOW=(--workers 1 --queue-depth 1 --coalesce-gap 0)
tiles_job() {
	"$PY" "$FIXTURES/shard_gen.py" tiles . 24 4 400 > gen.log 2>&1 ||
		fail "shard_gen.py tiles: $(cat gen.log)"
}

# slow_ms ARGS...: the milliseconds a slow run of ARGS takes (into
# timing.npy, removed after).
slow_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$LSIO" run job.json -q "${SLOW[@]}" "$@" -o timing.npy
	t1=$(date +%s%N)
	rm -f timing.npy
	echo $(( (t1 - t0) / 1000000 ))
}

# kill_resume MS ARGS...: a slow run of ARGS --resume (it journals what
# it has written), SIGKILLed after MS ms, then run again with --resume,
# lsio's default tuning and --stats=json into resume.json.  Status 1 when
# the first run finished before the kill (nothing else done then).
kill_resume() {
	local ms=$1 pid rc=0
	shift
	"$LSIO" run job.json -q "${SLOW[@]}" --resume "$@" &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || rc=$?
	[ "$rc" -eq 137 ] || return 1
	[ ! -e out.npy ] || fail "out.npy exists after a kill at $ms ms"
	"$LSIO" run job.json -q --resume --stats=json "$@" > resume.json ||
		fail "lsio run --resume $* failed after a kill at $ms ms"
}

@test "shard: a share killed at a random moment and resumed, with the other shares, equals one run" {
	local full ms try
	tiles_job
	"$LSIO" run job.json -q -o single.npy
	full=$(slow_ms)
	"$LSIO" run job.json -q --shard 0/3 -o out.npy
	for try in 1 2 3 4; do
		ms=$((full / 3 * (10 + RANDOM % 70) / 100 / try))
		kill_resume "$ms" --shard 1/3 -o out.npy && break
		[ "$try" -lt 4 ] || fail "share 1/3 finished before every kill"
	done
	[ ! -e out.npy ] || fail "out.npy exists with share 2/3 not run"
	"$LSIO" run job.json -q --shard 2/3 -o out.npy
	assert_same_bytes out.npy single.npy
	assert_no_temp .
}

@test "shard: --resume with nothing to resume is a plain run" {
	"$PY" "$FIXTURES/shard_gen.py" random c 4 > /dev/null
	cd c
	"$LSIO" run job.json -q -o single.npy
	"$LSIO" run job.json -q --resume -o out.npy
	assert_same_bytes out.npy single.npy
	assert_no_temp .
}
