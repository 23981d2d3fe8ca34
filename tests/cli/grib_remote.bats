#!/usr/bin/env bats
# grib_remote.bats - `lsio grib` on remote GRIB2 files written by ecCodes
# (tests/fixtures/grib_gen.py), served by nginx (http://, with its fault
# locations) and by Swift's s3api (s3://, SigV4 checked).  Every extract
# must equal the local one byte for byte, and the access log shows what
# was asked for: adjacent messages in one request, a scan in small ranged
# GETs, never the whole object.

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx
SWIFT_FIX=$LSIO_TOP/tests/fixtures/swift
GEN=$LSIO_TOP/tests/fixtures/grib_gen.py

setup_file() {
	export GDIR=$BATS_FILE_TMPDIR/g NGX=$BATS_FILE_TMPDIR/nginx SW=$BATS_FILE_TMPDIR/swift
	command -v nginx > /dev/null || return 0
	"$PY" -c 'import eccodes' 2> /dev/null || return 0
	mkdir -p "$GDIR/idx" "$GDIR/ecmwf" "$GDIR/none" "$GDIR/run" "$GDIR/past"
	{
		"$PY" "$GEN" mixed "$GDIR/idx/m.grib2" &&
		"$PY" "$GEN" idx "$GDIR/idx/m.grib2" > "$GDIR/idx/m.grib2.idx" &&
		for h in 0 1 2 3 4 5; do
			ln -s ../idx/m.grib2 "$GDIR/run/f$h" &&
			ln -s ../idx/m.grib2.idx "$GDIR/run/f$h.idx" || exit 1
		done &&
		cp "$GDIR/idx/m.grib2" "$GDIR/past/p.grib2" &&
		{ cat "$GDIR/idx/m.grib2.idx"; echo "17:99999:d=2026120100:x:y:z:"; } > "$GDIR/past/p.grib2.idx" &&
		cp "$GDIR/idx/m.grib2" "$GDIR/ecmwf/e.grib2" &&
		"$PY" "$GEN" index "$GDIR/ecmwf/e.grib2" > "$GDIR/ecmwf/e.index" &&
		cp "$GDIR/idx/m.grib2" "$GDIR/none/s.grib2" &&
		cp "$GDIR/idx/m.grib2" "$GDIR/none/z.grib2" && : > "$GDIR/none/z.grib2.idx" &&
		"$PY" "$GEN" gfs "$BATS_FILE_TMPDIR/e3.grib2" 3 360 181 &&
		cat "$BATS_FILE_TMPDIR/e3.grib2" "$GDIR/idx/m.grib2" "$GDIR/idx/m.grib2" > "$GDIR/none/g.grib2"
	} > "$BATS_FILE_TMPDIR/gen.log" 2>&1 || { touch "$BATS_FILE_TMPDIR/gen.failed"; return 0; }
	read -r HTTP_PORT _ _ _ < <("$NGINX_FIX/start.sh" "$NGX" "$GDIR")
	export HTTP_PORT
	command -v swift-proxy-server > /dev/null && command -v memcached > /dev/null || return 0
	local port
	export SWIFT_BROKEN=1
	port=$("$SWIFT_FIX/start.sh" "$SW" 2>> "$BATS_FILE_TMPDIR/swift.log") || port=
	[ -n "$port" ] || return 0
	if "$SWIFT_FIX/put.sh" "http://127.0.0.1:$port" gribs "$GDIR/idx/m.grib2" \
		"$GDIR/idx/m.grib2.idx" "$GDIR/ecmwf/e.grib2" "$GDIR/ecmwf/e.index" \
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
	need_eccodes
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "fixture generation failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
	[ -n "${HTTP_PORT:-}" ] || fail "nginx did not start"
	clean_cloud_env
	URL=http://127.0.0.1:$HTTP_PORT
}

need_swift() {
	[ -z "${SWIFT_BROKEN:-}" ] ||
		fail "swift is installed but did not start or refused the uploads: $(tail -n 20 "$BATS_FILE_TMPDIR/swift.log" 2>/dev/null)"
	[ -n "${SWIFT_PORT:-}" ] || skip "swift is not installed (apt-get install --no-install-recommends swift swift-proxy swift-object swift-container swift-account memcached)"
	export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing
	export AWS_ENDPOINT_URL=http://127.0.0.1:$SWIFT_PORT
}

# data_gets PATH: the ranged GETs of PATH in the access log.
data_gets() {
	grep -c "^GET $1 206 " "$NGX/access.log" || true
}

@test "grib remote: http with a NOAA .idx equals the local extract; adjacent messages are one request" {
	local re=':(10u|10v):'
	lsio grib "$GDIR/idx/m.grib2" --match "$re" -o local.grib2 -q
	: > "$NGX/access.log"
	lsio grib "$URL/plain/idx/m.grib2" --match "$re" -o remote.grib2 -q --coalesce-gap 1
	assert_same_bytes remote.grib2 local.grib2
	# 2+3 and 10+11: two ranged GETs for four messages; the .idx once,
	# whole, without a HEAD; the source's size from one HEAD.
	[ "$(data_gets /plain/idx/m.grib2)" -eq 2 ] || fail "$(cat "$NGX/access.log")"
	[ "$(grep -c '^GET /plain/idx/m.grib2.idx 200 "-"' "$NGX/access.log")" -eq 1 ]
	[ "$(grep -c '^HEAD /plain/idx/m.grib2 ' "$NGX/access.log")" -eq 1 ]
	[ "$(wc -l < "$NGX/access.log")" -eq 4 ] || fail "$(cat "$NGX/access.log")"
	grep -q '^GET /plain/idx/m.grib2 206 "bytes=1667-6824"' "$NGX/access.log" ||
		fail "$(cat "$NGX/access.log")"
}

@test "grib remote: http with an ECMWF .index, and through injected faults" {
	lsio grib "$GDIR/ecmwf/e.grib2" --match ':param=(t|2t):' -o local.grib2 -q
	lsio grib "$URL/plain/ecmwf/e.grib2" --match ':param=(t|2t):' -o remote.grib2 -q
	assert_same_bytes remote.grib2 local.grib2
	lsio grib "$URL/flaky/ecmwf/e.grib2" --match ':param=(t|2t):' -o flaky.grib2 -q
	assert_same_bytes flaky.grib2 local.grib2
	lsio grib "$URL/drop/ecmwf/e.grib2" --match ':param=(t|2t):' -o drop.grib2 -q
	assert_same_bytes drop.grib2 local.grib2
}

@test "grib remote: a scan reads sections with small ranged GETs, never the whole object" {
	lsio grib "$GDIR/none/s.grib2" --list -v > local.list
	: > "$NGX/access.log"
	lsio grib "$URL/plain/none/s.grib2" --list -v > remote.list
	diff local.list remote.list
	# 16 small messages (1.6 to 8 KiB): 4 KiB at the first, then windows
	# of 16 average messages, each holding the next messages' sections:
	# a few ranged GETs, not one a message, none the whole object, no
	# byte twice.
	local n size
	size=$(stat -c %s "$GDIR/none/s.grib2")
	n=$(data_gets /plain/none/s.grib2)
	[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "$n GETs: $(cat "$NGX/access.log")"
	! grep "^GET /plain/none/s.grib2 200" "$NGX/access.log"
	grep '^GET /plain/none/s.grib2 206 "bytes=0-4095"' "$NGX/access.log"
	grep '^GET /plain/none/s.grib2 206' "$NGX/access.log" |
		awk -F'"' -v size="$size" '{ split(substr($2, 7), r, "-"); n = r[2] - r[1] + 1; t += n; if (n >= size) bad = 1 } END { exit bad || t > size }' ||
		fail "a scan read the whole object, or bytes twice: $(cat "$NGX/access.log")"
	# An empty .idx is an inventory of nothing, remotely as locally.
	lsio grib "$GDIR/none/z.grib2" --list > local.z
	lsio grib "$URL/plain/none/z.grib2" --list > remote.z
	[ ! -s local.z ] && [ ! -s remote.z ]
	lsio grib "$URL/plain/none/s.grib2" --match ':VGRD:' -o remote.grib2 -q
	lsio grib "$GDIR/none/s.grib2" --match ':VGRD:' -o local.grib2 -q
	assert_same_bytes remote.grib2 local.grib2
}

@test "grib remote: a scan guesses that messages of one length go on: their windows at once" {
	# Three messages of one length (~96 KiB), then 32 small ones.
	lsio grib "$GDIR/none/g.grib2" --list -v > local.list
	: > "$NGX/access.log"
	lsio grib "$URL/plain/none/g.grib2" --list -v > remote.list
	diff local.list remote.list
	local len
	len=$("$PY" "$GEN" idx "$GDIR/none/g.grib2" | awk -F: 'NR == 2 { print $2 }')
	# After two of one length, the third and the seven after it are asked
	# for at once: 4 lengths in, no message starts (a guess, proven wrong
	# there) - yet the list is right.
	grep -q "^GET /plain/none/g.grib2 206 \"bytes=$((4 * len))-" "$NGX/access.log" ||
		fail "no guessed window at $((4 * len)): $(cat "$NGX/access.log")"
	! "$PY" "$GEN" idx "$GDIR/none/g.grib2" | grep -q ":$((4 * len)):"
	! grep "^GET /plain/none/g.grib2 200" "$NGX/access.log"
	[ "$(data_gets /plain/none/g.grib2)" -le 12 ] || fail "$(cat "$NGX/access.log")"
}

@test "grib remote: the inventories of several URLs are asked for at once, each on its own connection" {
	local u=() h
	for h in 0 1 2 3 4 5; do u+=("$URL/plain/run/f$h"); done
	: > "$NGX/access.log"
	lsio grib "${u[@]}" --match ':10u:' -o run.grib2 -q
	grib_copy -w shortName=10u "$GDIR/idx/m.grib2" one.grib2
	cat one.grib2 one.grib2 one.grib2 one.grib2 one.grib2 one.grib2 > want.grib2
	assert_same_bytes run.grib2 want.grib2
	# A HEAD and an .idx GET per source, then one ranged GET each.
	[ "$(grep -c '^HEAD /plain/run/f[0-5] 200' "$NGX/access.log")" -eq 6 ]
	[ "$(grep -c '^GET /plain/run/f[0-5].idx 200' "$NGX/access.log")" -eq 6 ]
	[ "$(grep -c '^GET /plain/run/f[0-5] 206' "$NGX/access.log")" -eq 6 ]
	[ "$(wc -l < "$NGX/access.log")" -eq 18 ] || fail "$(cat "$NGX/access.log")"
	# All twelve inventory requests in flight at once: each the first
	# request of its connection (queued ones would follow on one).
	[ "$(grep -E '^(HEAD|GET) /plain/run/f[0-5](\.idx)? 200 ' "$NGX/access.log" |
		awk '$NF == 1' | wc -l)" -eq 12 ] || fail "$(cat "$NGX/access.log")"
}

@test "grib remote: an index past the object's end exits 1 naming source, message and offset, nothing written" {
	run -1 lsio grib "$URL/plain/past/p.grib2" --match ':10u:' -o got.grib2
	assert_output --partial "'$URL/plain/past/p.grib2': message 17 at offset 99999: index '$URL/plain/past/p.grib2.idx' points past the end of the object (65174 bytes)"
	[ ! -e got.grib2 ]
	assert_no_temp .
}

@test "grib remote: several URLs in one run, in source order" {
	lsio grib "$URL/plain/idx/m.grib2" "$URL/plain/ecmwf/e.grib2" \
		--match ':(PRMSL|prmsl):' --match ':param=prmsl:' -o both.grib2 -q
	grib_copy -w shortName=prmsl "$GDIR/idx/m.grib2" one.grib2
	cat one.grib2 one.grib2 > want.grib2
	assert_same_bytes both.grib2 want.grib2
}

@test "grib remote: a server that ignores Range is said in a warning; a missing object exits 1" {
	run -0 lsio grib "$URL/norange/idx/m.grib2" --match ':10u:' -o nr.grib2
	assert_output --partial "ignores Range requests"
	lsio grib "$GDIR/idx/m.grib2" --match ':10u:' -o local.grib2 -q
	assert_same_bytes nr.grib2 local.grib2
	run -1 lsio grib "$URL/plain/idx/nope.grib2" --list
	assert_output --partial "nope.grib2': No such file or directory"
}

@test "grib remote: s3:// (SigV4 checked) with .idx and .index equals the local extract" {
	need_swift
	lsio grib "$GDIR/idx/m.grib2" --match ':(10u|t):' -o local.grib2 -q
	lsio grib s3://gribs/m.grib2 --match ':(10u|t):' -o s3.grib2 -q
	assert_same_bytes s3.grib2 local.grib2
	lsio grib "$GDIR/ecmwf/e.grib2" --match ':param=10v:' -o local2.grib2 -q
	lsio grib s3://gribs/e.grib2 --match ':param=10v:' -o s3b.grib2 -q
	assert_same_bytes s3b.grib2 local2.grib2
	run -0 lsio grib s3://gribs/m.grib2 --idx none --list
	[ "${#lines[@]}" -eq 16 ]
}

@test "grib remote: -o X.npy over http equals the local decode and ecCodes; grids in small reads" {
	local re=':(2t|10u|10v|prmsl):'
	lsio grib "$GDIR/idx/m.grib2" --match "$re" -o local.npy -q
	run -0 "$PY" "$LSIO_TOP/tests/fixtures/grib_npy.py" values "$GDIR/idx/m.grib2" local.npy 4 6 7 8 12 14 15 16
	assert_output ok
	: > "$NGX/access.log"
	lsio grib "$URL/plain/idx/m.grib2" --match "$re" -o remote.npy -q
	assert_same_bytes remote.npy local.npy
	# Eight grids of at most 4 KiB each, then the messages (runs merged).
	local small
	small=$(grep '^GET /plain/idx/m.grib2 206' "$NGX/access.log" |
		awk -F'"' '{ split(substr($2, 7), r, "-"); if (r[2] - r[1] + 1 <= 4096) n++ } END { print n + 0 }')
	[ "$small" -ge 8 ] || fail "$(cat "$NGX/access.log")"
	! grep "^GET /plain/idx/m.grib2 200" "$NGX/access.log"
	# A scan knows the grids already: no read beyond the scan's and the job's.
	local scan job
	: > "$NGX/access.log"
	lsio grib "$URL/plain/none/s.grib2" --list > /dev/null
	scan=$(data_gets /plain/none/s.grib2)
	: > "$NGX/access.log"
	lsio grib "$URL/plain/none/s.grib2" --match ':(TMP:2 m above ground|UGRD|VGRD|PRMSL):' -o scan.npy -q
	assert_same_bytes scan.npy local.npy
	# The job reads four runs of messages at most (1-3, 5, 9-11, 13).
	job=$(($(data_gets /plain/none/s.grib2) - scan))
	[ "$job" -ge 1 ] && [ "$job" -le 4 ] || fail "$scan scan GETs, $job more: $(cat "$NGX/access.log")"
}
