#!/usr/bin/env bats
# zarr_remote.bats - `lsio zarr` on remote stores: the v2 stores written by
# zarr-python (tests/fixtures/zarr_v2_gen.py) and the spec-built v3 arrays,
# sharded ones included (tests/fixtures/zarr_v3_gen.py), served by nginx
# (http:// and, through its /gsb/ location, gs://) and uploaded to Swift's
# s3api (s3://, SigV4 checked).  Every selection's .npy must be byte for
# byte the one the local store gives.  Servers start once for the file.

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx
SWIFT_FIX=$LSIO_TOP/tests/fixtures/swift

# The arrays uploaded to Swift: a few of each kind, missing chunks too.
S3_ARRAYS="v2.zarr/zstd_f4 v2.zarr/lz4_f8_F v2.zarr/blosc_lz4_shuf v3.zarr/shard_end_crc v3.zarr/shard_start_be"

setup_file() {
	export ZDIR=$BATS_FILE_TMPDIR/z NGX=$BATS_FILE_TMPDIR/nginx SW=$BATS_FILE_TMPDIR/swift
	command -v nginx > /dev/null || return 0
	"$PY" -c 'import zarr, numcodecs' 2> /dev/null || return 0
	{
		"$PY" "$FIXTURES/zarr_v2_gen.py" "$ZDIR" &&
		mkdir -p "$ZDIR/v3.zarr" &&
		echo '{"zarr_format": 3, "node_type": "group", "attributes": {}}' > "$ZDIR/v3.zarr/zarr.json" &&
		"$PY" "$FIXTURES/zarr_v3_gen.py" "$ZDIR/v3.zarr" "$ZDIR/v3"
	} > "$BATS_FILE_TMPDIR/gen.log" 2>&1 || { touch "$BATS_FILE_TMPDIR/gen.failed"; return 0; }
	read -r HTTP_PORT _ _ _ < <("$NGINX_FIX/start.sh" "$NGX" "$ZDIR")
	export HTTP_PORT
	# Swift missing is a skip; Swift installed but not starting or not
	# taking the uploads is a failure (need_swift shows the log).
	command -v swift-proxy-server > /dev/null && command -v memcached > /dev/null || return 0
	local port files
	export SWIFT_BROKEN=1
	port=$("$SWIFT_FIX/start.sh" "$SW" 2>> "$BATS_FILE_TMPDIR/swift.log") || port=
	[ -n "$port" ] || return 0
	files=$(cd "$ZDIR" && find $S3_ARRAYS -type f)
	if "$SWIFT_FIX/put.sh" -C "$ZDIR" "http://127.0.0.1:$port" zarrs $files \
		>> "$BATS_FILE_TMPDIR/swift.log" 2>&1; then
		export SWIFT_PORT=$port SWIFT_BROKEN=
	fi
}

teardown_file() {
	[ -n "${HTTP_PORT:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
	[ -d "$SW" ] && "$SWIFT_FIX/stop.sh" "$SW"
	return 0
}

setup() {
	common_setup
	command -v nginx > /dev/null || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	"$PY" -c 'import zarr, numcodecs' 2> /dev/null ||
		skip "/usr/bin/python3 cannot import zarr (apt-get install python3-zarr python3-numcodecs)"
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "fixture generation failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
	[ -n "${HTTP_PORT:-}" ] || fail "nginx did not start"
	clean_cloud_env
}

need_swift() {
	[ -z "${SWIFT_BROKEN:-}" ] ||
		fail "swift is installed but did not start or refused the uploads: $(tail -n 20 "$BATS_FILE_TMPDIR/swift.log" 2>/dev/null)"
	[ -n "${SWIFT_PORT:-}" ] || skip "swift is not installed (apt-get install --no-install-recommends swift swift-proxy swift-object swift-container swift-account memcached)"
	export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing
	export AWS_ENDPOINT_URL=http://127.0.0.1:$SWIFT_PORT
}

# same_as_local URL_ROOT ARRAY|SELECTION...: each selection read through
# URL_ROOT/ARRAY equals the local store's, byte for byte.
same_as_local() {
	local root=$1 a s n=0
	shift
	for a in "$@"; do
		s=${a#*|} a=${a%%|*}
		lsio zarr "$ZDIR/$a" --select "$s" -o local.npy -q ||
			fail "local $a [$s] failed"
		lsio zarr "$root/$a" --select "$s" -o remote.npy -q 2> err ||
			fail "$root/$a [$s] failed: $(cat err)"
		cmp -s local.npy remote.npy || fail "$root/$a [$s] differs from the local store's"
		rm -f local.npy remote.npy
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# The cases of zarr_v2_gen.py / zarr_v3_gen.py, as ARRAY|SELECTION.
cases() {
	local a s e
	while IFS='|' read -r a s e; do
		[ -d "$ZDIR/$1/$a" ] && printf '%s\n' "$1/$a|$s"
	done < "$2"
}

@test "zarr remote: http: every v2 case (all compressors, orders, separators, missing chunks) equals the local store" {
	local -a c
	mapfile -t c < <(cases v2.zarr "$ZDIR/cases.txt")
	same_as_local "http://127.0.0.1:$HTTP_PORT/plain" "${c[@]}"
}

@test "zarr remote: http: every v3 case, sharded with the index at either end, equals the local store" {
	local -a c
	mapfile -t c < <(cases v3.zarr "$ZDIR/v3/cases.txt")
	same_as_local "http://127.0.0.1:$HTTP_PORT/plain" "${c[@]}"
}

@test "zarr remote: one GET per chunk and two for the metadata, no HEAD; absent chunks are fill, as zarr-python reads them" {
	local url=http://127.0.0.1:$HTTP_PORT/plain/v2.zarr/zstd_f4
	lsio zarr "$url" --emit-job -q > job.json
	"$PY" -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert j["defaults"]["missing"] == "fill", j["defaults"]
assert j["output"]["prefill"] is False, "the chunks cover the array: no fill pass first"
assert not any("length" in c for c in j["chunks"]), "a chunk with a length: it was asked for"
assert len(j["chunks"]) == 20, len(j["chunks"])' job.json
	# The plan says what only the run can know, and sends no request.
	: > "$NGX/access.log"
	run -0 lsio plan job.json
	assert_output --partial "20 chunks without a length: each read to its object's end"
	assert_output --partial "20 chunks may find their source absent"
	[ ! -s "$NGX/access.log" ]
	: > "$NGX/access.log"
	lsio zarr "$url" -o remote.npy -q --stats=json > stats.json
	# 40x37 in 8x10 chunks: 5 x 4 keys, of which the fixture deleted some.
	[ "$(grep -c '^HEAD' "$NGX/access.log")" -eq 0 ]
	[ "$(grep -c '^GET /plain/v2.zarr/zstd_f4/[0-9]' "$NGX/access.log")" -eq 20 ]
	# Its metadata: .zarray and zarr.json asked at once (v2 or v3?).
	[ "$(grep -vc '^GET /plain/v2.zarr/zstd_f4/[0-9]' "$NGX/access.log")" -eq 2 ]
	grep -q '^GET /plain/v2.zarr/zstd_f4/.zarray 200' "$NGX/access.log"
	grep -q '^GET /plain/v2.zarr/zstd_f4/zarr.json 404' "$NGX/access.log"
	local missing
	missing=$(json_get stats.json 'j["chunks_missing"]')
	[ "$missing" -eq "$(grep -c '^GET /plain/v2.zarr/zstd_f4/[0-9].* 404 ' "$NGX/access.log")" ]
	[ "$missing" -gt 0 ]
	"$PY" - "$ZDIR/v2.zarr/zstd_f4" remote.npy <<'PY'
import sys, numpy as np, zarr
want = zarr.open(sys.argv[1], mode="r")[...]
got = np.load(sys.argv[2])
assert got.dtype == want.dtype and got.shape == want.shape
assert np.array_equal(got, want, equal_nan=True), "differs from zarr-python"
PY
}

@test "zarr remote: a 403 for an absent chunk (a bucket without ListBucket) is an error unless --missing-403" {
	# /nolist/ answers 403 where the file does not exist.
	local url=http://127.0.0.1:$HTTP_PORT/nolist/v2.zarr/zstd_f4
	run -1 lsio zarr "$url" -o x.npy
	assert_output --regexp "chunk [0-9]+: '$url/[0-9]+\.[0-9]+' GET: HTTP 403 Forbidden"
	[ ! -e x.npy ]
	lsio zarr "$url" -o remote.npy -q --missing-403
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" -o local.npy -q
	assert_same_bytes remote.npy local.npy
	lsio zarr "$url" --missing-403 --emit-job -q > job.json
	[ "$(json_get job.json 'j["defaults"]["missing"]')" = fill-403 ]
	# A v3 array there: its .zarray probe is refused too.
	url=http://127.0.0.1:$HTTP_PORT/nolist/v3.zarr/shard_end_crc
	run -1 lsio zarr "$url" -o x.npy
	assert_output --partial "'$url/.zarray' GET: HTTP 403 Forbidden"
	lsio zarr "$url" -o v3.npy -q --missing-403
	lsio zarr "$ZDIR/v3.zarr/shard_end_crc" -o v3local.npy -q
	assert_same_bytes v3.npy v3local.npy
}

@test "zarr remote: an array whose chunks are all absent warns, and is all fill value" {
	local url=http://127.0.0.1:$HTTP_PORT/plain/v2.zarr/zstd_f4
	lsio zarr "$url" --emit-job -q | sed 's#zstd_f4/#zstd_f4/no-such-#' > job.json
	run -0 lsio run job.json -o x.npy
	assert_output --partial "warning: all 20 chunks were absent"
	"$PY" - x.npy <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1])
assert (a == a.flat[0]).all() or np.isnan(a).all()
PY
}

@test "zarr remote: sharded: every shard index in one parallel batch, each one GET of the index alone, no HEAD" {
	local url=http://127.0.0.1:$HTTP_PORT/plain/v3.zarr/shard_end_crc n
	: > "$NGX/access.log"
	lsio zarr "$url" -o remote.npy -q
	lsio zarr "$ZDIR/v3.zarr/shard_end_crc" -o local.npy -q
	assert_same_bytes remote.npy local.npy
	[ "$(grep -c '^HEAD' "$NGX/access.log")" -eq 0 ]
	# 30x22 in 10x8 shards: 3 x 3 indexes, each the shard's last 2x2x16+4 bytes.
	n=$(grep -c '^GET /plain/v3.zarr/shard_end_crc/c/[0-9]/[0-9] [0-9]* "bytes=-68"' "$NGX/access.log")
	[ "$n" -eq 9 ]
	# In flight together: HTTP/1.1 gives each its own connection.
	[ "$(grep '"bytes=-68"' "$NGX/access.log" | awk '{ print $(NF - 1) }' | sort -u | wc -l)" -ge 2 ]
	# An index at the shard's start is its first bytes.
	: > "$NGX/access.log"
	lsio zarr "http://127.0.0.1:$HTTP_PORT/plain/v3.zarr/shard_start_be" -o start.npy -q
	[ "$(grep -c '^HEAD' "$NGX/access.log")" -eq 0 ]
	grep -q '^GET /plain/v3.zarr/shard_start_be/c/0/0/0 206 "bytes=0-' "$NGX/access.log"
}

@test "zarr remote: --emit-job of sharded and nested arrays runs with 'lsio run' to the identical file" {
	local a s root=http://127.0.0.1:$HTTP_PORT/plain
	for a in "v3.zarr/shard_F_inner|3:20:2, -3" "v3.zarr/shard_start_be|::2" "v2.zarr/blosc_lz4_shuf|5:60, 3:30"; do
		s=${a#*|} a=${a%%|*}
		lsio zarr "$root/$a" --select "$s" -o direct.npy -q
		lsio zarr "$root/$a" --select "$s" -o piped.npy --emit-job -q | lsio run - -q
		assert_same_bytes piped.npy direct.npy
		rm -f piped.npy direct.npy
	done
}

@test "zarr remote: a store that is not there exits 2 naming the URL and the keys" {
	local url=http://127.0.0.1:$HTTP_PORT/plain/nope.zarr/t2m
	run -2 lsio zarr "$url" -o x.npy
	assert_output --partial "store '$url'"
	assert_output --partial "no .zarray, .zgroup or zarr.json"
}

@test "zarr remote: a server that refuses a chunk's HEAD fails (exit 1) with the URL and status" {
	# /hdr/ answers 403 without the X-Lsio-Token header.
	local url=http://127.0.0.1:$HTTP_PORT/hdr/v2.zarr/zstd_f4
	run -1 lsio zarr "$url" -o x.npy
	assert_output --partial "$url/.zarray"
	assert_output --partial "HTTP 403"
}

@test "zarr remote: a remote store is not listed without consolidated metadata" {
	run -1 lsio zarr "http://127.0.0.1:$HTTP_PORT/plain/v2.zarr" --list
	assert_output --partial "cannot list a remote store: give STORE/ARRAY, or consolidate metadata"
}

@test "zarr remote: gs:// through STORAGE_EMULATOR_HOST with a bearer token equals the local store" {
	export STORAGE_EMULATOR_HOST=127.0.0.1:$HTTP_PORT GOOGLE_OAUTH_ACCESS_TOKEN=gs-t0k3n
	same_as_local gs://gsb "v2.zarr/zstd_f4|3:30, ::3" "v3.zarr/shard_end_crc|1:-1"
}

@test "zarr remote: s3:// (SigV4, Swift) equals the local store, v2 and sharded v3" {
	need_swift
	same_as_local s3://zarrs "v2.zarr/zstd_f4|" "v2.zarr/zstd_f4|-8, 2:30" \
		"v2.zarr/lz4_f8_F|1:20, ::2, 1" "v2.zarr/blosc_lz4_shuf|5:60, 3:30" \
		"v3.zarr/shard_end_crc|" "v3.zarr/shard_start_be|2:15, 1:8"
}

@test "zarr remote: s3:// --emit-job runs with 'lsio run'; wrong keys fail with the status" {
	need_swift
	lsio zarr s3://zarrs/v3.zarr/shard_start_be --select '::2' --emit-job -q > job.json
	lsio run job.json -o run.npy -q
	lsio zarr "$ZDIR/v3.zarr/shard_start_be" --select '::2' -o local.npy -q
	assert_same_bytes run.npy local.npy
	export AWS_SECRET_ACCESS_KEY=wrong
	run -1 lsio zarr s3://zarrs/v2.zarr/zstd_f4 -o x.npy
	assert_output --partial "HTTP 403"
}

@test "zarr remote: s3:// keys from the instance metadata are fetched once for all of lsio zarr's plans" {
	need_swift
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED
	mkdir im
	"$PY" "$LSIO_TOP/tests/fixtures/imds.py" "$PWD/im" test:tester testing > im/out 2>&1 3>&- &
	local pid=$!
	for _ in $(seq 200); do
		[ -f im/port ] && break
		sleep 0.05
	done
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$(cat im/port)
	# Metadata batches, then the chunks: several plans, one exchange.
	lsio zarr "$ZDIR/v3.zarr/shard_start_be" --select '2:15, 1:8' -o local.npy -q
	run lsio zarr s3://zarrs/v3.zarr/shard_start_be --select '2:15, 1:8' -o remote.npy -q
	kill "$pid"
	assert_success
	assert_same_bytes remote.npy local.npy
	[ "$(grep -c "security-credentials/lsio-test-role" im/log)" -eq 1 ] ||
		fail "the keys were fetched more than once: $(cat im/log)"
	[ "$(grep -c "PUT /latest/api/token" im/log)" -eq 1 ] || fail "$(cat im/log)"
}
