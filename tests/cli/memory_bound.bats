#!/usr/bin/env bats
# memory_bound.bats - --memory bounds what a run holds in flight, however
# large the job: the stdout reorder window while a slow first chunk holds
# the stream up, and remote reads to an object's end that outgrow their
# buffer.  Jobs of 8 x --memory are read from a real nginx on loopback
# (tests/fixtures/nginx), the first chunk answered 2 s late; the peak RSS
# (/usr/bin/time -f %M) must stay within a one-chunk job's + --memory + a
# small slack (below), and the output must equal the source ranges cut
# from the files by tests/fixtures/memory_gen.py (decoded by the zstd CLI
# where the job decodes).

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx
GEN=$LSIO_TOP/tests/fixtures/memory_gen.py
MEM_MIB=8
# What lsio(1) says --memory does not count, here: per worker, the stage
# chain's two scratch buffers of the largest decoded chunk (2 x 2 x 256 KiB)
# and one early chunk beyond the window's estimate (2 x 256 KiB); and the
# allocator's and libcurl's slop (1.5 MiB).
SLACK_KIB=$((3 * 1024))

setup_file() {
	command -v nginx >/dev/null || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ] ||
		skip "nginx's echo module is not installed (apt-get install libnginx-mod-http-echo)"
	[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (apt-get install time)"
	command -v zstd >/dev/null || skip "the zstd CLI is not installed (apt-get install zstd)"
	export DATA=$BATS_FILE_TMPDIR/data NGX=$BATS_FILE_TMPDIR/nginx
	mkdir -p "$DATA"
	# 256 chunks of 256 KiB: 64 MiB, 8 x --memory.
	"$PY" "$GEN" data "$DATA" 256 262144
	read -r PORT _ _ _ < <("$NGINX_FIX/start.sh" "$NGX" "$DATA")
	export PORT BASE=http://127.0.0.1:$PORT
}

teardown_file() {
	[ -n "${NGX:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
}

setup() {
	common_setup
	[ -n "${PORT:-}" ] || fail "nginx did not start"
	# A sanitizer's quarantine of freed memory is not lsio's.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
}

# measured KIND [SLEEP]: write KIND.json (memory_gen.py job), run it with
# 2 workers and --memory, its stdout into KIND.out, its peak RSS (KiB) into
# KIND.rss.
measured() {
	"$PY" "$GEN" job "$1" "$DATA" "$BASE" "${2:-2}" "$1"
	/usr/bin/time -f %M -o "$1.rss" "$LSIO" run "$1.json" --workers 2 \
		--memory ${MEM_MIB}MiB 2> "$1.err" | cat > "$1.out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail "lsio run $1.json failed: $(cat "$1.err")"
}

# assert_within KIND SLACK_KIB: KIND's peak RSS is at most a one-chunk
# job's (the larger of two runs: it varies by some 600 KiB) + --memory +
# SLACK_KIB.  An AddressSanitizer build holds a third more (its shadow, a
# byte per eight, its redzones and its allocator's own), not lsio's.
assert_within() {
	local peak base limit
	measured tiny 0
	base=$(tail -n 1 tiny.rss)
	measured tiny 0
	base=$(( $(tail -n 1 tiny.rss) > base ? $(tail -n 1 tiny.rss) : base ))
	peak=$(tail -n 1 "$1.rss")
	limit=$((MEM_MIB * 1024 + $2))
	if ASAN_OPTIONS=help=1 "$LSIO" --version 2>&1 | grep -q AddressSanitizer; then
		limit=$((limit + limit / 3))
	fi
	limit=$((base + limit))
	echo "# $1: peak RSS $peak KiB; one chunk $base KiB; limit $limit KiB" >&3
	[ "$peak" -le "$limit" ] ||
		fail "$1: peak RSS $peak KiB > $limit KiB ($base KiB for one chunk + $MEM_MIB MiB of --memory + $2 KiB): $((peak - limit)) KiB over"
}

# assert_run KIND OUTPUT MIB SLACK_KIB [DECODER...]: KIND's job wrote
# OUTPUT (MIB MiB): its source ranges, through DECODER (zstd -dc) if given;
# and its peak RSS stayed within --memory + SLACK_KIB.
assert_run() {
	local kind=$1 out=$2 mib=$3 slack=$4
	shift 4
	measured "$kind"
	"$PY" "$GEN" source "$kind.json" "$DATA" | "${@:-cat}" > "$kind.expected"
	[ "$(stat -c %s "$kind.expected")" -eq $((mib << 20)) ]
	assert_same_bytes "$out" "$kind.expected"
	rm "$out" "$kind.expected"	# else kept until the whole run ends
	assert_within "$kind" "$slack"
}

@test "memory: stdout with a slow first chunk: the reorder window stays within --memory" {
	assert_run raw raw.out 64 "$SLACK_KIB"
}

@test "memory: stdout of zstd chunks decoded to twice their size, behind a slow first one, stays within --memory" {
	assert_run zst zst.out 64 "$SLACK_KIB" zstd -dc
}

# Objects of 2.5 MiB that decode to 1 MiB outgrow the 1 MiB buffer a read
# to the end starts in.  One such read at a time may go beyond what
# --memory leaves (an object is read whole), and a worker's scratch holds
# two decoded chunks: 2.5 MiB + 2 x 2 x 1 MiB more slack.
@test "memory: remote reads to an object's end that outgrow their buffer stay within --memory" {
	assert_run pad pad.raw 32 $((SLACK_KIB + 6656)) zstd -dc
}
