#!/usr/bin/env bats
# resume.bats - --resume after SIGKILL, damaged and foreign journals, a
# failed part of a sharded run finished later, and the usage errors of
# --shard and --resume.  Outputs are compared with what numpy alone built
# (tests/fixtures/parts_gen.py); slow runs read through a real nginx on
# loopback whose /latency/ location answers every request 20 ms late.

bats_require_minimum_version 1.5.0
load helpers

GEN=$LSIO_TOP/tests/fixtures/parts_gen.py
# One request in flight: ~20 ms a chunk, so a run of 100+ chunks lasts
# seconds and a kill lands in the middle of it.
SLOW=(--coalesce-gap off --queue-depth 1 --workers 1)

setup_file() {
	nginx_setup_file
}

teardown_file() {
	nginx_teardown_file
}

need_nginx() {
	[ -n "${PORT:-}" ] ||
		skip "nginx with its echo module is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
}

# gen SEED [big]: the job in ./g, read through nginx's /latency/ (which
# serves $BATS_FILE_TMPDIR: the files live there, ./g links to them).
gen() {
	need_python_numpy
	local rel=t$BATS_TEST_NUMBER/g
	"$PY" "$GEN" "$BATS_FILE_TMPDIR/$rel" "$1" \
		"http://127.0.0.1:$PORT/latency/$rel/" "${2:-}" ||
		fail "parts_gen.py failed"
	ln -s "$BATS_FILE_TMPDIR/$rel" g
}

# json_field FILE KEY: one number of a --stats=json line.
json_field() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

@test "resume: SIGKILL at random moments, then --resume: the array numpy built, fewer bytes read" {
	need_nginx
	gen 11 big
	cd g
	for delay in 1.3 2.1 2.9; do
		rm -f out.npy .out.npy.lsio-run.*
		"$LSIO" run job.json --resume "${SLOW[@]}" -q &
		local pid=$!
		sleep "$delay"
		kill -KILL "$pid"
		wait "$pid" || true
		[ ! -e out.npy ] || fail "a killed run left out.npy"
		ls .out.npy.lsio-run.*.0-of-1 > /dev/null || fail "no journal after the kill"
		lsio run job.json --resume "${SLOW[@]}" --stats=json > stats.json
		cmp out.npy ref.npy || fail "resumed after $delay s: not the array numpy built"
		[ "$(json_field stats.json chunks_resumed)" -gt 0 ] ||
			fail "resumed after $delay s: nothing resumed: $(cat stats.json)"
		[ "$(json_field stats.json bytes_read)" -lt "$(stat -c %s data.bin)" ] ||
			fail "resumed after $delay s: read everything again: $(cat stats.json)"
		[ -z "$(ls -A | grep lsio-run)" ] || fail "temporaries left: $(ls -A)"
	done
}

@test "resume: files output, killed then resumed: every file, nothing left over" {
	need_nginx
	gen 11 big
	cd g
	"$LSIO" run files.json --resume "${SLOW[@]}" -q &
	local pid=$!
	sleep 1.7
	kill -KILL "$pid"
	wait "$pid" || true
	lsio run files.json --resume "${SLOW[@]}" --stats=json > stats.json
	diff -r out ref || fail "files differ"
	[ "$(json_field stats.json chunks_resumed)" -gt 0 ] || fail "$(cat stats.json)"
	[ -z "$(ls -A out | grep lsio)" ] || fail "temporaries left: $(ls -A out)"
}

@test "resume: a torn journal tail, and another job's journal, are not trusted" {
	need_python_numpy
	"$PY" "$GEN" g 4 || fail "parts_gen.py failed"
	cd g
	# Part 0 of 2 done alone keeps its journal (DONE last) and the
	# temporary: tear the last record as a crash mid-write would.
	lsio run job.json --shard 0/2 --resume -q
	local j
	j=$(ls .out.npy.lsio-run.*.0-of-2) || fail "no journal"
	truncate -s -3 "$j"	# the DONE record torn
	lsio run job.json --shard 0/2 --resume -q
	lsio run job.json --shard 1/2 --resume -q
	cmp out.npy ref.npy
	# Another job writing the same path: its own temporary, never this
	# one's journal.
	"$PY" - <<-'EOF'
		import json
		j = json.load(open("job.json"))
		j["output"]["fill_value"] = 3.0
		json.dump(j, open("other.json", "w"))
	EOF
	lsio run other.json --shard 0/2 --resume -q
	[ "$(ls .out.npy.lsio-run.*.0-of-2 | wc -l)" -eq 1 ] || fail "$(ls -A)"
	lsio run job.json --resume -q
	cmp out.npy ref.npy
}

@test "resume: a second run of the same part while the first runs is refused" {
	need_nginx
	gen 12 big
	cd g
	"$LSIO" run job.json --resume "${SLOW[@]}" -q &
	local pid=$!
	sleep 0.5
	run -1 lsio run job.json --resume "${SLOW[@]}"
	assert_output --partial "another run of this part is writing"
	wait "$pid" || fail "the first run failed"
	cmp out.npy ref.npy
	"$PY" - <<-'EOF'
		import json
		j = json.load(open("files.json"))
		j["chunks"] = j["chunks"][:40]
		json.dump(j, open("files40.json", "w"))
	EOF
	"$LSIO" run files40.json --resume "${SLOW[@]}" -q &
	pid=$!
	sleep 0.5
	run -1 lsio run files40.json --resume "${SLOW[@]}"
	assert_output --partial "another run of this part is writing"
	wait "$pid" || fail "the first files run failed"
	for i in $(seq 0 39); do cmp "out/c$i.bin" "ref/c$i.bin"; done
	[ "$(ls out | wc -l)" -eq 40 ] || fail "$(ls -A out)"
}

@test "shard: a failed part leaves no array; run again, the last part commits" {
	need_python_numpy
	"$PY" "$GEN" g 5 || fail "parts_gen.py failed"
	cd g
	mv data.bin data.away
	run -1 lsio run job.json --shard 1/3
	assert_output --partial "data.bin"
	mv data.away data.bin
	lsio run job.json --shard 0/3 -q
	lsio run job.json --shard 2/3
	[ ! -e out.npy ] || fail "committed with part 1 missing"
	run -0 lsio run job.json --shard 2/3
	assert_output --partial "appears when part 1 is"
	lsio run job.json --shard 1/3 --resume --stats=json > stats.json
	cmp out.npy ref.npy
	[ "$("$PY" -c 'import json; print(json.load(open("stats.json"))["shard"]["committed"])')" = True ]
	[ -z "$(ls -A | grep lsio-run)" ] || fail "temporaries left: $(ls -A)"
}

@test "shard, resume: usage errors say what is wrong and write nothing" {
	need_python_numpy
	"$PY" "$GEN" g 6 || fail "parts_gen.py failed"
	cd g
	run -2 lsio run job.json --shard 3/3
	assert_output --partial "expected K/N with 0 <= K < N"
	run -2 lsio run job.json --shard 1
	assert_output --partial "got '1'"
	run -2 env -u SLURM_ARRAY_TASK_ID "$LSIO" run job.json --shard slurm
	assert_output --partial "SLURM_ARRAY_TASK_ID is not set"
	run -2 env SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3 \
		"$LSIO" run job.json --shard slurm
	assert_output --partial "task 7 of an array of 3"
	# A FIFO and standard output cannot be shared by parts: refused,
	# written through never, the FIFO still a FIFO.
	mkfifo fifo
	run -2 lsio run job.json --shard 0/2 -o fifo
	assert_output --partial "'fifo' is not a file"
	[ -p fifo ] || fail "fifo is no longer a FIFO"
	run -2 lsio run job.json --resume -o -
	assert_output --partial "'-' is not a file"
	run -2 lsio run stdout.json --resume
	assert_output --partial "--resume: a stdout output keeps nothing to resume from"
	[ -z "$(ls -A | grep lsio-run)" ] || fail "temporaries left: $(ls -A)"
}

@test "shard: a symlink's target gets the array, the link stays a link" {
	need_python_numpy
	"$PY" "$GEN" g 9 || fail "parts_gen.py failed"
	cd g
	mkdir real
	ln -s real/arr.npy link.npy
	lsio run job.json --shard 0/2 -o link.npy -q
	[ ! -e real/arr.npy ] || fail "committed with part 1 missing"
	lsio run job.json --shard 1/2 -o link.npy -q
	[ -L link.npy ] || fail "link.npy was replaced"
	cmp real/arr.npy ref.npy
	[ -z "$(ls -A . real | grep lsio-run)" ] || fail "temporaries left: $(ls -A . real)"
}

@test "shard slurm: the part is (ID - MIN) / STEP of COUNT" {
	need_python_numpy
	"$PY" "$GEN" g 7 || fail "parts_gen.py failed"
	cd g
	for id in 10 13 16; do
		SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_STEP=3 \
			SLURM_ARRAY_TASK_COUNT=3 "$LSIO" run job.json --shard slurm -q
	done
	cmp out.npy ref.npy
}

@test "shard: stdout parts concatenated in part order are the whole run" {
	need_python_numpy
	"$PY" "$GEN" g 8 || fail "parts_gen.py failed"
	cd g
	lsio run stdout.json > whole.bin
	for k in 0 1 2 3 4; do lsio run stdout.json --shard $k/5; done > parts.bin
	cmp whole.bin parts.bin
	cmp whole.bin data.bin
}
