#!/usr/bin/env bats
# remote_http.bats - reading http(s):// and gs:// sources from a real nginx
# (tests/fixtures/nginx/start.sh), started once for this file on loopback
# ports and stopped by its PID.  Every job's output is compared byte for
# byte with the same job on the local files, also through locations that
# fail 30% of their requests (503 + Retry-After, dropped connections,
# stalls), ignore Range, or are slow or bandwidth-capped.

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx

setup_file() {
	command -v nginx >/dev/null || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ] ||
		skip "nginx's echo module is not installed (apt-get install libnginx-mod-http-echo)"
	export DATA=$BATS_FILE_TMPDIR/data NGX=$BATS_FILE_TMPDIR/nginx
	/usr/bin/python3 "$NGINX_FIX/jobs.py" data "$DATA" 6 3000000 1
	read -r PORT TLS_PORT _ _ < <("$NGINX_FIX/start.sh" "$NGX" "$BATS_FILE_TMPDIR")
	export PORT TLS_PORT BASE=http://127.0.0.1:$PORT
}

teardown_file() {
	[ -n "${NGX:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
}

setup() {
	common_setup
	[ -n "${PORT:-}" ] || fail "nginx did not start"
}

# remote_job NAME LOCATION N SEED [STORAGE|- [--no-eof]]: NAME.json reads
# N random ranges through /LOCATION/, NAME.local.json the same ranges of
# the files.
remote_job() {
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$BASE/$2/data/" "$3" "$4" "${5:--}" "${@:6}" > "$1.json"
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" "$3" "$4" "${5:--}" "${@:6}" > "$1.local.json"
}

# log_count PATTERN: requests in nginx's access log matching PATTERN.
log_count() {
	grep -c -e "$1" "$NGX/access.log" || true
}

# assert_same_as_local NAME [OPTION...]: run both jobs (the remote one
# with OPTIONs), compare their outputs.
assert_same_as_local() {
	local name=$1
	shift
	"$LSIO" run "$name.local.json" > "$name.local.out" || fail "the local job failed"
	"$LSIO" run "$name.json" --stats=json "$@" > "$name.out" 2> "$name.stats" ||
		fail "lsio run $name.json failed: $(cat "$name.stats")"
	set -- "$name"
	assert_same_bytes "$1.out" "$1.local.out"
}

stat_of() {
	"$PY" -c 'import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index("{"):])
print(eval(sys.argv[2]))' "$1" "$2"
}

@test "remote: ranges over HTTP are byte-identical to local reads" {
	remote_job plain plain 300 11
	assert_same_as_local plain
	[ "$(stat_of plain.stats 'j["remote"]["retries"]')" -eq 0 ]
	# Neighbours were merged into fewer requests than chunks.
	[ "$(stat_of plain.stats 'j["requests"] < j["chunks"]')" = True ]
}

@test "remote: with 30% of requests failing (503 + Retry-After), every byte is right" {
	remote_job flaky flaky 300 12
	# One request per chunk: 300 first tries at 30% failure give ~128
	# retries; merged requests would make the count a coin flip.
	assert_same_as_local flaky --coalesce-gap off
	[ "$(stat_of flaky.stats 'j["remote"]["retries"]')" -gt 20 ]
}

@test "remote: with 30% of connections dropped without a reply, every byte is right" {
	remote_job drop drop 300 13
	before=$(log_count '^GET /drop/.* 444 ')
	# One request per chunk: 300 first tries at 30% failure give ~128
	# dropped connections; merged requests would make the count a coin flip.
	assert_same_as_local drop --coalesce-gap off
	# Counted by nginx, not by lsio: libcurl itself retries a request once
	# when a reused connection dies before replying, so lsio's own retry
	# count depends on connection reuse.
	[ $(($(log_count '^GET /drop/.* 444 ') - before)) -gt 20 ]
	[ "$(stat_of drop.stats 'j["remote"]["retries"]')" -gt 0 ]
}

@test "remote: with 30% of requests stalled past the timeout, every byte is right" {
	remote_job stall stall 120 14 '{"retry":{"timeout":1}}'
	assert_same_as_local stall
	[ "$(stat_of stall.stats 'j["remote"]["retries"]')" -gt 5 ]
}

@test "remote: with 34% mixed faults (503, drops, stalls), every byte is right" {
	remote_job chaos chaos 300 15 '{"retry":{"timeout":1,"attempts":20}}'
	assert_same_as_local chaos
	[ "$(stat_of chaos.stats 'j["remote"]["retries"]')" -gt 20 ]
}

@test "remote: slow responses and a bandwidth cap are not faults" {
	remote_job slow slow 60 16 '{"retry":{"timeout":1}}'
	assert_same_as_local slow
	[ "$(stat_of slow.stats 'j["remote"]["retries"]')" -eq 0 ]
	remote_job capped capped 40 17
	assert_same_as_local capped
	[ "$(stat_of capped.stats 'j["remote"]["retries"]')" -eq 0 ]
}

@test "remote: a server that ignores Range is sliced, with a warning" {
	remote_job norange norange 80 18
	assert_same_as_local norange
	grep -q "warning: server '127.0.0.1:$PORT' ignores Range requests" norange.stats ||
		fail "no warning: $(cat norange.stats)"
	[ "$(grep -c 'ignores Range' norange.stats)" -eq 1 ]
}

@test "remote: split chunks are read in parallel parts, straight into one buffer" {
	remote_job split capped 12 19 '{"split":"256KiB","part_size":"128KiB"}'
	assert_same_as_local split
	[ "$(stat_of split.stats 'j["requests"] > j["chunks"]')" = True ]
}

@test "remote: a chunk without a length costs one HEAD per source" {
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"chunks":[
 {"source":"$BASE/plain/data/f1.bin","offset":2990000},
 {"source":"$BASE/plain/data/f1.bin","offset":2999000},
 {"source":"$BASE/plain/data/f2.bin","offset":0,"length":10}]}
EOF
	before=$(log_count '^HEAD /plain/data/f1.bin')
	before2=$(log_count '^HEAD /plain/data/f2.bin')
	"$LSIO" run job.json > got || fail "lsio run failed"
	[ "$(log_count '^HEAD /plain/data/f1.bin')" -eq $((before + 1)) ]
	[ "$(log_count '^HEAD /plain/data/f2.bin')" -eq "$before2" ]
	{ range_bytes "$DATA/f1.bin" 2990000 10000; range_bytes "$DATA/f1.bin" 2999000 1000
	  range_bytes "$DATA/f2.bin" 0 10; } > want
	assert_same_bytes got want
}

@test "remote: a chunk that may be missing is one GET to the object's end, no HEAD; a 404 leaves the fill value" {
	write_job <<EOF
{"lsio":1,"output":{"type":"array","path":"out.npy","dtype":"|u1","shape":[4000005],"fill_value":7},
 "defaults":{"missing":"fill"},"chunks":[
 {"source":"$BASE/plain/data/f1.bin","place":{"shape":[3000000],"to":[0]}},
 {"source":"$BASE/norange/data/f2.bin","offset":2000000,"place":{"shape":[1000000],"to":[3000000]}},
 {"source":"$BASE/plain/data/nope.bin","place":{"shape":[5],"to":[4000000]}}]}
EOF
	: > "$NGX/access.log"
	"$LSIO" run job.json -q --stats=json > stats.json || fail "lsio run failed"
	[ "$(log_count '^HEAD')" -eq 0 ]
	# From 0, a plain GET (an empty object answers it; "bytes=0-" it may not).
	[ "$(log_count '^GET /plain/data/f1.bin 200 "-"')" -eq 1 ]
	[ "$(log_count '^GET /norange/data/f2.bin 200 "bytes=2000000-"')" -eq 1 ]
	[ "$(log_count '^GET /plain/data/nope.bin 404')" -eq 1 ]
	[ "$(stat_of stats.json 'j["chunks_missing"]')" -eq 1 ]
	{ cat "$DATA/f1.bin"; range_bytes "$DATA/f2.bin" 2000000 1000000; printf '\7\7\7\7\7'; } > want
	"$PY" -c 'import numpy, sys; sys.stdout.buffer.write(numpy.load(sys.argv[1]).tobytes())' out.npy > got
	assert_same_bytes got want
}

@test "remote: an object read to its end is bounded by its decoded size; an offset past its end is named" {
	write_job <<EOF
{"lsio":1,"output":{"type":"array","path":"x.npy","dtype":"|u1","shape":[1000]},
 "chunks":[{"source":"$BASE/plain/data/f1.bin","missing":"fill","place":{"shape":[1000],"to":[0]}}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "'$BASE/plain/data/f1.bin' goes on past 1050576 bytes from offset 0, the limit for this chunk (output.max_chunk; for an array, twice its decoded size + 1 MiB)"
	[ ! -e x.npy ]
	write_job <<EOF
{"lsio":1,"output":{"type":"array","path":"x.npy","dtype":"|u1","shape":[1]},
 "chunks":[{"source":"$BASE/plain/data/f1.bin","offset":3000001,"missing":"fill","place":{"shape":[1],"to":[0]}}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "'$BASE/plain/data/f1.bin' bytes=3000001-: HTTP 416"
	assert_output --partial "the object has 3000000 bytes"
}

@test "remote: a run measures its host's latency; the next plan derives the coalescing gap from it" {
	remote_job lat latency 40 7
	run -0 lsio plan lat.json
	assert_output --partial "127.0.0.1:$PORT: not measured yet, assumed 30.0 ms to the first byte"
	"$LSIO" run lat.json -q > /dev/null
	read -r host us when < "$XDG_CACHE_HOME/lsio/hosts"
	[ "$host" = "127.0.0.1:$PORT" ]
	[ "$us" -ge 18000 ] && [ "$us" -lt 200000 ]	# /latency/ waits 20 ms
	run -0 lsio plan lat.json
	assert_output --regexp "127.0.0.1:$PORT: measured [0-9.]+ ms to the first byte, [0-9-]+ [0-9:]+ -> a gap of [0-9]+ KiB"
	# 1 GiB/s x 20 ms / (2 workers x 128): 80 KiB.
	LSIO_REMOTE_LATENCY_MS=20 run -0 lsio plan lat.json --json --workers 2
	echo "$output" > plan.json
	[ "$("$PY" -c 'import json,sys; p=json.load(open("plan.json")); print([c for c in p["classes"] if c["class"]=="remote"][0]["settings"]["coalesce_gap"])')" -eq 81920 ]
	LSIO_HOST_CACHE=off run -0 lsio plan lat.json
	assert_output --partial "not measured yet"
}

@test "remote: each host's gap comes from its own latency" {
	# Two names for one server are two hosts: a slow one and a fast one.
	mkdir -p "$XDG_CACHE_HOME/lsio"
	printf '127.0.0.1:%s 20000 %s\nlocalhost:%s 100 %s\n' "$PORT" "$(date +%s)" \
		"$PORT" "$(date +%s)" > "$XDG_CACHE_HOME/lsio/hosts"
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"chunks":[
 {"source":"$BASE/plain/data/f1.bin","offset":0,"length":65536},
 {"source":"$BASE/plain/data/f1.bin","offset":114688,"length":65536},
 {"source":"http://localhost:$PORT/plain/data/f1.bin","offset":0,"length":65536},
 {"source":"http://localhost:$PORT/plain/data/f1.bin","offset":114688,"length":65536}]}
EOF
	# 1 GiB/s x 20 ms / 256 = 80 KiB bridges the 48 KiB gap; 0.1 ms does not.
	run -0 "$LSIO" plan job.json --json --workers 2
	echo "$output" > plan.json
	[ "$(json_get plan.json 'j["requests"]')" -eq 3 ]
	LSIO_HOST_CACHE=off run -0 "$LSIO" plan job.json --json --workers 2
	echo "$output" > plan.json
	[ "$(json_get plan.json 'j["requests"]')" -eq 2 ]	# 30 ms assumed for both
}

@test "remote: 404 fails at once, naming the URL and the status" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"$BASE/plain/data/nope.bin","offset":0,"length":100}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: chunk 0: '$BASE/plain/data/nope.bin' bytes=0-99: HTTP 404 Not Found"
	[ "$(log_count '^GET /plain/data/nope.bin 404 "bytes=0-99"')" -eq 1 ]
}

@test "remote: 416 names the URL, the range and the object's size" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"$BASE/plain/data/f0.bin","offset":5000000,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "'$BASE/plain/data/f0.bin' bytes=5000000-5000009: HTTP 416"
	assert_output --partial "the object has 3000000 bytes"
}

@test "remote: a range past the end of the object fails, never gives short data" {
	for loc in plain norange; do
		write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"chunks":[{"source":"$BASE/$loc/data/f0.bin","offset":2999990,"length":20}]}
EOF
		run "$LSIO" run job.json
		assert_failure 1
		assert_output --partial "bytes=2999990-3000009: the range ends past the end of the object (3000000 bytes)"
	done
}

@test "remote: Retry-After is honoured and retries stop at storage.retry.attempts" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"retry":{"attempts":3}},
 "chunks":[{"source":"$BASE/busy/data/f0.bin","offset":0,"length":10}]}
EOF
	start=$(date +%s%N)
	run "$LSIO" run job.json
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_failure 1
	assert_output --partial "HTTP 503 Service Temporarily Unavailable; gave up after 3 attempts"
	assert_output --partial "(storage.retry.attempts)"
	[ "$(log_count '^GET /busy/data/f0.bin')" -eq 3 ]
	# Two waits of Retry-After: 1.
	[ "$elapsed" -ge 1900 ] || fail "gave up after $elapsed ms: Retry-After ignored"
}

@test "remote: storage.retry.deadline bounds the time spent retrying" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"retry":{"attempts":50,"deadline":1.5}},
 "chunks":[{"source":"$BASE/busy/data/f1.bin","offset":0,"length":10}]}
EOF
	start=$(date +%s%N)
	run "$LSIO" run job.json
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_failure 1
	assert_output --partial "gave up after 2 attempts"
	assert_output --partial "(storage.retry.deadline)"
	[ "$elapsed" -lt 3000 ] || fail "took $elapsed ms"
}

@test "remote: the parts of one chunk must come from one version (ETag)" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"split":"64KiB","part_size":"64KiB"},
 "chunks":[{"source":"$BASE/etag/data/f0.bin","offset":0,"length":1000000}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --regexp "^lsio: chunk 0: '$BASE/etag/data/f0.bin' bytes=[0-9]+-[0-9]+: .*the object changed during the read .*: run again$"
}

@test "remote: chunks of one object read in separate requests must come from one version too" {
	# /etag/ answers every request with another ETag: the second request
	# carries the first ETag as If-Match, and nginx answers 412.
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"workers":1,"queue_depth":1,"coalesce_gap":"off"},
 "chunks":[{"source":"$BASE/etag/data/f0.bin","offset":0,"length":1000},
           {"source":"$BASE/etag/data/f0.bin","offset":500000,"length":1000}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --regexp "^lsio: chunk 1: '$BASE/etag/data/f0.bin' bytes=500000-500999: HTTP 412 Precondition Failed: the object changed during the read \(it no longer has ETag \"[^\"]+\"\): run again$"
}

@test "remote: a file replaced between two requests fails (If-Match: 412), never mixes versions" {
	local obj=$BATS_FILE_TMPDIR/chg/v.bin rc=0 pid
	mkdir -p "${obj%/*}"
	head -c 262144 /dev/urandom > "$obj"
	touch -d @1000000000 "$obj"
	cp "$obj" old.bin
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"storage":{"workers":1,"queue_depth":1,"coalesce_gap":"off"},
 "chunks":[{"source":"$BASE/plain/chg/v.bin","offset":0,"length":131072},
           {"source":"$BASE/plain/chg/v.bin","offset":131072,"length":131072}]}
EOF
	# The first chunk's write blocks on the FIFO (a pipe holds 64 KiB) until
	# this test reads: the second request cannot start before then.
	mkfifo out.fifo
	"$LSIO" run job.json > out.fifo 2> err.txt &
	pid=$!
	exec 8< out.fifo
	for _ in $(seq 400); do
		[ "$(log_count ' /plain/chg/v.bin 206 "bytes=0-131071"')" -eq 1 ] && break
		sleep 0.05
	done
	[ "$(log_count ' /plain/chg/v.bin 206 "bytes=0-131071"')" -eq 1 ] ||
		fail "the first request never came: $(cat err.txt)"
	# A new version: nginx's ETag is the file's mtime and size.
	head -c 262144 /dev/urandom > new.bin
	touch -d @1000000100 new.bin
	mv new.bin "$obj"
	cat <&8 > out.bin
	exec 8<&-
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc, expected 1: $(cat err.txt)"
	run cat err.txt
	assert_output "lsio: chunk 1: '$BASE/plain/chg/v.bin' bytes=131072-262143: HTTP 412 Precondition Failed: the object changed during the read (it no longer has ETag \"3b9aca00-40000\"): run again"
	[ "$(log_count ' /plain/chg/v.bin 412 "bytes=131072-262143"')" -eq 1 ] ||
		fail "no 412 in the log"
	# What was written before the failure is the old version's first chunk.
	head -c 131072 old.bin > old0.bin
	assert_same_bytes out.bin old0.bin
}

@test "remote: connection refused is retried, an unknown host is not" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"retry":{"attempts":2}},
 "chunks":[{"source":"http://127.0.0.1:1/x.bin","offset":0,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "'http://127.0.0.1:1/x.bin' bytes=0-9: Failed to connect"
	assert_output --partial "gave up after 2 attempts"
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"http://host.invalid/x.bin","offset":0,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: chunk 0: 'http://host.invalid/x.bin' bytes=0-9: Could not resolve host: host.invalid"
}

@test "remote: HTTP/2 over TLS, connections reused, CURL_CA_BUNDLE for the certificate" {
	remote_job h2 plain 100 20
	sed -i "s|$BASE|https://localhost:$TLS_PORT|g" h2.json
	run "$LSIO" run h2.json
	assert_failure 1
	# OpenSSL's and GnuTLS's libcurl word it differently
	assert_output --regexp "SSL certificate problem|certificate verification failed"
	before=$(log_count " HTTP/2.0 localhost $TLS_PORT ")
	CURL_CA_BUNDLE=$NGX/cert.pem "$LSIO" run h2.json > h2.out
	"$LSIO" run h2.local.json > h2.local.out
	assert_same_bytes h2.out h2.local.out
	after=$(log_count " HTTP/2.0 localhost $TLS_PORT ")
	[ "$after" -gt "$before" ] || fail "no HTTP/2 request in the log"
	# Streams share connections: some request was not its connection's first.
	grep " HTTP/2.0 localhost $TLS_PORT " "$NGX/access.log" | awk '$NF > 1' | grep -q . ||
		fail "no connection served more than one request"
}

@test "remote: storage.http.version \"1.1\" keeps a TLS server to HTTP/1.1; other values are refused" {
	remote_job h1 plain 40 21
	sed -i "s|$BASE|https://localhost:$TLS_PORT|g" h1.json
	"$PY" -c 'import json, sys
j = json.load(open(sys.argv[1])); j["storage"] = {"http": {"version": "1.1"}}
json.dump(j, open(sys.argv[1], "w"))' h1.json
	h2=$(log_count " HTTP/2.0 localhost $TLS_PORT ")
	h1=$(log_count " HTTP/1.1 localhost $TLS_PORT ")
	CURL_CA_BUNDLE=$NGX/cert.pem "$LSIO" run h1.json > h1.out
	"$LSIO" run h1.local.json > h1.local.out
	assert_same_bytes h1.out h1.local.out
	[ "$(log_count " HTTP/2.0 localhost $TLS_PORT ")" -eq "$h2" ]
	[ "$(log_count " HTTP/1.1 localhost $TLS_PORT ")" -gt "$h1" ]
	sed -i 's/"1.1"/"3"/' h1.json
	run -2 "$LSIO" validate h1.json
	assert_output --partial 'storage.http.version: expected "auto" or "1.1"'
}

@test "remote: connections are kept alive and reused, at most the depth per host" {
	remote_job reuse plain 90 24 '{"coalesce_gap":"off"}' --no-eof
	before=$(wc -l < "$NGX/access.log")
	"$LSIO" run reuse.json --workers 1 --queue-depth 3 > reuse.out || fail "lsio run failed"
	tail -n +$((before + 1)) "$NGX/access.log" > log
	"$LSIO" run reuse.local.json > reuse.local.out
	assert_same_bytes reuse.out reuse.local.out
	[ "$(grep -c '^GET /plain/data/' log)" -ge 80 ] || fail "only $(wc -l < log) requests"
	conns=$(awk '{ print $(NF - 1) }' log | sort -u | wc -l)
	[ "$conns" -le 3 ] || fail "$conns connections for depth 3"
}

@test "remote: .netrc credentials (NETRC names the file)" {
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"chunks":[{"source":"$BASE/auth/data/f3.bin","offset":7,"length":100}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "HTTP 401 Unauthorized"
	printf 'machine 127.0.0.1\nlogin user\npassword secret\n' > netrc
	NETRC=$PWD/netrc "$LSIO" run job.json > got
	range_bytes "$DATA/f3.bin" 7 100 > want
	assert_same_bytes got want
}

@test "remote: the job's storage.http.headers go with every request" {
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"chunks":[{"source":"$BASE/hdr/data/f4.bin","offset":70,"length":1000}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "HTTP 403 Forbidden"
	"$PY" -c 'import json; j = json.load(open("job.json")); j["storage"] = {"http": {"headers": {"X-Lsio-Token": "t0k3n"}}}; json.dump(j, open("job.json", "w"))'
	"$LSIO" run job.json > got
	range_bytes "$DATA/f4.bin" 70 1000 > want
	assert_same_bytes got want
}

@test "remote: gs:// through STORAGE_EMULATOR_HOST with GOOGLE_OAUTH_ACCESS_TOKEN" {
	# Not the machine's gcloud credentials: they would be traded at Google.
	clean_cloud_env
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"chunks":[
 {"source":"gs://gsb/data/f5.bin","offset":100,"length":5000},
 {"source":"gs://gsb/data/f5.bin","offset":2999000}]}
EOF
	STORAGE_EMULATOR_HOST=127.0.0.1:$PORT run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "'gs://gsb/data/f5.bin' (http://127.0.0.1:$PORT/gsb/data/f5.bin HEAD): HTTP 401"
	STORAGE_EMULATOR_HOST=127.0.0.1:$PORT GOOGLE_OAUTH_ACCESS_TOKEN=gs-t0k3n \
		"$LSIO" run job.json > got
	{ range_bytes "$DATA/f5.bin" 100 5000; range_bytes "$DATA/f5.bin" 2999000 1000; } > want
	assert_same_bytes got want
}

@test "remote: a job mixing local files and URLs, into an array" {
	need_python_numpy
	# 16 chunks of a 64x64 float32 array: half local, half remote.
	"$PY" - "$DATA" "$BASE" <<'EOF'
import json, sys
import numpy as np
data, base = sys.argv[1:]
a = np.arange(64 * 64, dtype="<f4").reshape(64, 64) * 0.5
chunks_l, chunks_r = [], []
for i in range(4):
    for j in range(4):
        name = "t%d%d.raw" % (i, j)
        a[i*16:(i+1)*16, j*16:(j+1)*16].tofile("%s/%s" % (data, name))
        c = {"place": {"to": [i * 16, j * 16]}}
        chunks_l.append(dict(c, source="%s/%s" % (data, name)))
        src = "%s/plain/data/%s" % (base, name) if (i + j) % 2 else "%s/%s" % (data, name)
        chunks_r.append(dict(c, source=src))
np.save("want.npy", a)
head = {"lsio": 1, "output": {"type": "array", "path": "got.npy", "dtype": "<f4", "shape": [64, 64]},
        "defaults": {"place": {"shape": [16, 16]}}}
json.dump(dict(head, chunks=chunks_r), open("mixed.json", "w"))
EOF
	"$LSIO" run mixed.json --stats=json > mixed.stats || fail "lsio run failed"
	assert_npy_equal got.npy want.npy
	# No chunk has a length: a HEAD and a GET per remote source.
	[ "$(stat_of mixed.stats 'j["remote"]["requests"]')" -eq 16 ] ||
		fail "not 16 remote requests: $(cat mixed.stats)"
}

@test "remote: --stats reports requests, retries, bytes and per-host latency" {
	remote_job st flaky 100 21 '{"coalesce_gap":"off"}' --no-eof
	"$LSIO" run st.json --stats=json > /dev/null 2> st.stats
	run "$PY" -c 'import json, sys
j = json.loads(open("st.stats").read())
r = j["remote"]
h = r["hosts"][0]
assert r["requests"] == h["requests"] and r["requests"] - r["retries"] <= j["requests"], (r, j)
assert r["retries"] > 0 and h["retries"] == r["retries"], r
assert h["host"] == "127.0.0.1:" + sys.argv[1], h
assert r["bytes_received"] >= j["bytes_read"], (r, j["bytes_read"])
lat = h["request_latency_seconds"]
assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"], lat
assert h["throughput_bytes_per_second"] > 0
print("ok")' "$PORT"
	assert_success
	assert_output ok
	"$LSIO" run st.json --stats 2> text.stats > /dev/null
	grep -q "^lsio: remote: [0-9]* requests ([0-9]* retries), .* received$" text.stats ||
		fail "no remote line: $(cat text.stats)"
	grep -q "^lsio: remote: 127.0.0.1:$PORT: .* latency p50 .* ms, p90 .* ms, p99 .* ms$" text.stats ||
		fail "no host line: $(cat text.stats)"
}

@test "remote: lsio plan shows the remote class and sends no request" {
	remote_job pl plain 50 22 - --no-eof
	before=$(wc -l < "$NGX/access.log")
	run "$LSIO" plan pl.json
	assert_success
	assert_output --partial "remote"
	run "$LSIO" plan --json pl.json --workers 2
	assert_success
	echo "$output" > plan.json
	# Unmeasured: 1 GiB/s x 30 ms / (2 workers x 128 in flight), 120 KiB.
	[ "$(json_get plan.json '[c["settings"]["coalesce_gap"] for c in j["classes"] if c["class"] == "remote"][0]')" -eq 122880 ]
	[ "$(json_get plan.json '[c["settings"]["queue_depth"] for c in j["classes"] if c["class"] == "remote"][0]')" -eq 128 ]
	[ "$(wc -l < "$NGX/access.log")" -eq "$before" ]
}

@test "remote: the null backend sends no GET" {
	remote_job nb plain 50 23 - --no-eof
	before=$(log_count '^GET ')
	run bash -c '"$LSIO" run nb.json --backend null > /dev/null'
	assert_success
	[ "$(log_count '^GET ')" -eq "$before" ]
}

@test "remote: bad URLs are named" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"s3://bucket-only","offset":0,"length":1}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: source 's3://bucket-only': expected s3://BUCKET/KEY"
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"http:///nohost","offset":0,"length":1}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: source 'http:///nohost': the URL has no host"
}
