#!/usr/bin/env bats
# bench.bats - `lsio bench`: files made once and reused, the patterns, the
# codecs, --repeat, --json, --create-only, and its errors.  Small: four
# files of 1 MiB in 64 KiB chunks (16 chunks a file), in $BATS_TEST_TMPDIR.

bats_require_minimum_version 1.5.0
load helpers

SMALL=(--files 4 --file-size 1MiB --chunk 64KiB -q)

# bench_json ARGS...: run lsio bench --json into out.json.
bench_json() {
	run -0 lsio bench --dir d "${SMALL[@]}" --json "$@"
	printf '%s\n' "$output" > out.json
}

@test "bench: --help names every option" {
	run -0 lsio bench --help
	for opt in --dir --files --file-size --chunk --pattern --count --seed \
		--compress --cold --repeat --json --create-only --workers; do
		assert_output --partial -- "$opt"
	done
}

@test "bench: text report has throughput, IOPS, latency, cpu and RSS" {
	run -0 lsio bench --dir d "${SMALL[@]}"
	assert_output --partial "4 files of 1.0 MiB (written now), 64.0 KiB chunks, seq"
	assert_output --partial "64 chunks in"
	for what in "GiB/s" "IOPS (chunks/s)" "cpu s" "latency p50 ms" \
		"latency p90 ms" "latency p99 ms" "latency p99.9 ms" "peak RSS"; do
		assert_output --partial "$what"
	done
}

@test "bench: --json parses and has every field" {
	bench_json
	run -0 "$PY" - <<'EOF'
import json
j = json.load(open("out.json"))
for k in ("lsio_version", "timestamp", "options", "setup", "files_created",
          "chunks", "requests", "bytes_decoded", "bytes_read", "wall_seconds",
          "gib_per_s", "read_gib_per_s", "iops", "cpu_seconds",
          "latency_seconds", "peak_rss_bytes", "runs"):
    assert k in j, k
for q in ("p50", "p90", "p99", "p99.9"):
    r = j["latency_seconds"][q]
    assert 0 < r["min"] <= r["median"] <= r["max"], (q, r)
assert j["chunks"] == 64 and j["bytes_decoded"] == 4 << 20, j
assert j["files_created"] == 4
assert j["gib_per_s"]["median"] > 0 and j["iops"]["median"] > 0
assert j["peak_rss_bytes"] > 1 << 20
assert j["options"]["pattern"] == "seq" and j["options"]["compress"] == "none"
assert j["setup"]["backend"] in ("uring", "pread")
assert len(j["runs"]) == 1 and j["runs"][0]["engine"]["chunks"] == 64
EOF
}

@test "bench: --repeat 3 gives min <= median <= max over 3 runs" {
	bench_json --repeat 3
	run -0 "$PY" - <<'EOF'
import json
j = json.load(open("out.json"))
assert len(j["runs"]) == 3 and j["options"]["repeat"] == 3
for k in ("wall_seconds", "gib_per_s", "iops", "cpu_seconds"):
    r = j[k]
    assert r["min"] <= r["median"] <= r["max"], (k, r)
walls = sorted(x["wall_seconds"] for x in j["runs"])
assert j["wall_seconds"]["median"] == walls[1]
EOF
}

@test "bench: files are reused, and remade when their size is wrong" {
	bench_json
	[ "$(json_get out.json 'j["files_created"]')" -eq 4 ]
	before=$(stat -c %Y.%i d/lsio-bench.1048576.2)
	bench_json
	[ "$(json_get out.json 'j["files_created"]')" -eq 0 ]
	[ "$(stat -c %Y.%i d/lsio-bench.1048576.2)" = "$before" ]
	truncate -s 1000 d/lsio-bench.1048576.1
	bench_json
	[ "$(json_get out.json 'j["files_created"]')" -eq 1 ]
	[ "$(stat -c %s d/lsio-bench.1048576.1)" -eq 1048576 ]
	assert_no_temp d
	[ -z "$(find d -name '*.tmp.*')" ] || fail "temporary files left in d"
}

@test "bench: --create-only prints the files' paths and reads nothing" {
	run -0 lsio bench --dir d "${SMALL[@]}" --create-only
	[ "${#lines[@]}" -eq 4 ]
	for i in 0 1 2 3; do
		assert_line "d/lsio-bench.1048576.$i"
		[ "$(stat -c %s "d/lsio-bench.1048576.$i")" -eq 1048576 ]
	done
	# Random bytes, not a sparse or constant file.
	[ "$(head -c 65536 d/lsio-bench.1048576.0 | gzip -c | wc -c)" -gt 65000 ]
}

@test "bench: rand reads --count distinct chunks" {
	bench_json --pattern rand --count 10 --seed 7
	[ "$(json_get out.json 'j["chunks"]')" -eq 10 ]
	[ "$(json_get out.json 'j["bytes_decoded"]')" -eq $((10 * 65536)) ]
	# All 64 chunks exist once each: asking for all of them works ...
	bench_json --pattern rand --count 64
	[ "$(json_get out.json 'j["bytes_decoded"]')" -eq $((64 * 65536)) ]
	# ... and one more is an error.
	run -2 lsio bench --dir d "${SMALL[@]}" --pattern rand --count 65
	assert_output --partial "65 random chunks asked for, but the files hold 64"
}

@test "bench: strided:GAP reads a chunk, skips GAP" {
	bench_json --pattern strided:64KiB
	[ "$(json_get out.json 'j["chunks"]')" -eq 32 ]
	[ "$(json_get out.json 'j["options"]["gap"]')" -eq 65536 ]
	bench_json --pattern strided:192KiB
	[ "$(json_get out.json 'j["chunks"]')" -eq 16 ]
}

@test "bench: --compress zstd and lz4 write an index and decode every chunk" {
	for codec in zstd lz4; do
		bench_json --compress "$codec"
		[ "$(json_get out.json 'j["chunks"]')" -eq 64 ]
		[ "$(json_get out.json 'j["bytes_decoded"]')" -eq $((4 << 20)) ]
		# The data compresses: fewer bytes read than decoded.
		[ "$(json_get out.json 'j["bytes_read"] < j["bytes_decoded"]')" = True ]
		f=d/lsio-bench.1048576.65536.$codec.3
		[ -f "$f" ] && [ -f "$f.idx" ] || fail "no $f or its index"
		run -0 head -n 1 "$f.idx"
		assert_output "lsio-bench-index 1 $codec 1048576 65536 16"
	done
	# The codec's own tool decodes the first chunk to 64 KiB.
	len=$(sed -n 2p d/lsio-bench.1048576.65536.zstd.0.idx | cut -d' ' -f2)
	[ "$(head -c "$len" d/lsio-bench.1048576.65536.zstd.0 | zstd -dc | wc -c)" -eq 65536 ]
	# Strided compressed files skip whole chunks.
	bench_json --compress lz4 --pattern strided:128KiB
	[ "$(json_get out.json 'j["chunks"]')" -eq 24 ]
}

@test "bench: usage errors exit 2" {
	run -2 lsio bench --dir d "${SMALL[@]}" --pattern zigzag
	assert_output --partial "--pattern: expected seq, rand or strided:GAP"
	run -2 lsio bench --dir d "${SMALL[@]}" --compress brotli
	assert_output --partial "--compress: expected none, zstd or lz4"
	run -2 lsio bench --dir d "${SMALL[@]}" --files 0
	run -2 lsio bench --dir d "${SMALL[@]}" --repeat 0
	run -2 lsio bench --dir d "${SMALL[@]}" --chunk 0
	run -2 lsio bench --dir d "${SMALL[@]}" --workers 0
	run -2 lsio bench --dir d "${SMALL[@]}" extra
	run -2 lsio bench --dir d "${SMALL[@]}" --compress zstd --pattern strided:4KiB
	assert_output --partial "must be a multiple of the chunk size"
	[ ! -e d ] || fail "a usage error wrote files"
}

@test "bench: --dir defaults to \$LSIO_BENCH_DIR" {
	LSIO_BENCH_DIR=$PWD/envdir run -0 lsio bench "${SMALL[@]}" --create-only
	assert_line "$PWD/envdir/lsio-bench.1048576.0"
}

@test "bench: an unwritable directory is a runtime error (exit 1)" {
	touch notadir
	run -1 lsio bench --dir notadir/d "${SMALL[@]}"
	assert_output --partial "notadir"
}

# cached_pages FILE: how many of FILE's pages are in the page cache.
cached_pages() {
	fincore --noheadings --output PAGES "$1" | tr -d ' '
}

# Any user may ask for it: no root, no drop_caches.
@test "bench: --cold drops the benchmark's own files from the page cache, nothing else" {
	run -0 lsio bench --dir d "${SMALL[@]}" --create-only
	if [ "$(stat -f -c %T d)" = tmpfs ]; then
		# Pages that are the only copy stay: say the runs are warm.
		run --separate-stderr lsio bench --dir d "${SMALL[@]}" --cold --repeat 2
		assert_success
		[[ $stderr == "lsio: warning: cold run: 'd/lsio-bench.1048576.0' is still"*"page cache"* ]] ||
			fail "stderr: $stderr"
		return
	fi
	command -v fincore >/dev/null || skip "no fincore (util-linux) to look at the page cache"
	local all=$((1048576 / $(getconf PAGESIZE)))
	make_file other.bin $((1024 * 1024))
	# Everything cached: the files just written and read, and a bystander.
	cat d/lsio-bench.* other.bin | cksum > sums.txt
	for f in d/lsio-bench.* other.bin; do
		[ "$(cached_pages "$f")" -eq "$all" ] || fail "$f is not cached to begin with: $(cached_pages "$f") pages"
	done
	# O_DIRECT reads leave the page cache as the drop left it.
	bench_json --cold --direct on
	# The rest of the machine's cache is not the benchmark's to drop.
	[ "$(cached_pages other.bin)" -eq "$all" ] || fail "other.bin was dropped too: $(cached_pages other.bin) pages left"
	for f in d/lsio-bench.*; do
		[ "$(cached_pages "$f")" -eq 0 ] || fail "$f still has $(cached_pages "$f") pages cached"
	done
	[ "$(json_get out.json 'j["options"]["cold"]')" = True ]
	[ "$(json_get out.json 'j["options"]["drop_caches"]')" = False ]
}

@test "bench: --drop-caches without root is a usage error (exit 2)" {
	local as=()
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "root, and no setpriv to drop privileges"
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		# nobody must reach the binary and a directory to write in.
		"${as[@]}" test -x "$LSIO" || skip "user 65534 cannot run '$LSIO'"
	fi
	run -2 "${as[@]}" "$LSIO" bench --dir "$BATS_TEST_TMPDIR/cold" "${SMALL[@]}" --drop-caches
	assert_output --partial "dropping the whole page cache needs root"
	[ ! -e "$BATS_TEST_TMPDIR/cold" ] || fail "files written before the error"
}

@test "bench: --drop-caches as root drops the cache before each run" {
	[ "$(id -u)" -eq 0 ] || skip "not root"
	[ -w /proc/sys/vm/drop_caches ] || skip "/proc/sys/vm/drop_caches is not writable here"
	bench_json --drop-caches --repeat 2
	[ "$(json_get out.json 'j["options"]["cold"]')" = True ]
	[ "$(json_get out.json 'j["options"]["drop_caches"]')" = True ]
	[ "$(json_get out.json 'len(j["runs"])')" -eq 2 ]
}
