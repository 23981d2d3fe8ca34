#!/usr/bin/env bats
# curl_load.bats - lsio is not linked with libcurl: it loads it when a job
# first has a remote source (lib/io/curl_load.c).  What the dynamic linker
# does is read from its own trace (LD_DEBUG=libs), not from lsio; remote
# reads go to a real nginx (tests/fixtures/nginx/start.sh) and are checked
# against dd's bytes of the same file.

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx

setup_file() {
	export DATA=$BATS_FILE_TMPDIR/data NGX=$BATS_FILE_TMPDIR/nginx
	mkdir -p "$DATA"
	head -c 300000 /dev/urandom > "$DATA/f.bin"
	PORT=
	if command -v nginx >/dev/null &&
		[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ]; then
		read -r PORT _ _ _ < <("$NGINX_FIX/start.sh" "$NGX" "$DATA")
	fi
	export PORT
}

teardown_file() {
	[ -n "${NGX:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
}

# need_nginx: skip (with the reason) when the fixture could not start.
need_nginx() {
	command -v nginx >/dev/null ||
		skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ] ||
		skip "nginx's echo module is not installed (apt-get install libnginx-mod-http-echo)"
	[ -n "${PORT:-}" ] || fail "nginx did not start"
}

# range_job NAME SOURCE: NAME.json reads two ranges of SOURCE to stdout;
# NAME.want holds them, as dd reads them from the local file.
range_job() {
	write_job "$1.json" <<EOF
{"lsio":1,"output":{"type":"stdout"},"chunks":[
 {"source":"$2","offset":1000,"length":5000},
 {"source":"$2","offset":200000,"length":7000}]}
EOF
	{ range_bytes "$DATA/f.bin" 1000 5000; range_bytes "$DATA/f.bin" 200000 7000; } > "$1.want"
}

# libs_trace FILE CMD...: run CMD with the dynamic linker's library trace
# in FILE.PID (ld.so's own output, apart from lsio's stderr).
libs_trace() {
	local out=$1
	shift
	LD_DEBUG=libs LD_DEBUG_OUTPUT=$out "$@"
}

@test "curl_load: a local run, a plan and --version never load libcurl" {
	range_job local "$DATA/f.bin"
	libs_trace trace.run "$LSIO" run local.json > local.out || fail "lsio run failed"
	assert_same_bytes local.out local.want
	libs_trace trace.plan "$LSIO" plan local.json > /dev/null || fail "lsio plan failed"
	libs_trace trace.version "$LSIO" --version > /dev/null || fail "lsio --version failed"
	# The traces are there (so their silence about libcurl means something).
	for t in run plan version; do
		grep -q 'calling init: .*libc\.so' trace.$t.* || fail "no ld.so trace of $t: $(ls)"
	done
	run grep -H 'libcurl' trace.run.* trace.plan.* trace.version.*
	[ "$status" -eq 1 ] || fail "libcurl was loaded: $output"
}

@test "curl_load: a remote run loads libcurl, and reads the right bytes" {
	need_nginx
	range_job remote "http://127.0.0.1:$PORT/plain/f.bin"
	libs_trace trace "$LSIO" run remote.json > remote.out || fail "lsio run failed"
	assert_same_bytes remote.out remote.want
	grep -q 'calling init: .*libcurl' trace.* || fail "libcurl was not loaded: $(cat trace.*)"
}

@test "curl_load: a libcurl that cannot be loaded fails the remote job with its name, exit 1" {
	# Nothing listens on port 1: the failure comes before any request.
	range_job remote "http://127.0.0.1:1/f.bin"
	mkdir broken
	# Empty files under both sonames lsio tries (the one it was built
	# with, libcurl-gnutls.so.4 on Debian, then libcurl.so.4).
	: > broken/libcurl-gnutls.so.4
	: > broken/libcurl.so.4
	LD_LIBRARY_PATH=$PWD/broken run -1 "$LSIO" run remote.json
	assert_output --regexp "^lsio: remote sources need libcurl: cannot load 'libcurl[-a-z]*\.so\.4': $PWD/broken/libcurl[-a-z]*\.so\.4: file too short$"
	# A local job in the same environment does not notice.
	range_job local "$DATA/f.bin"
	LD_LIBRARY_PATH=$PWD/broken "$LSIO" run local.json > local.out || fail "the local run failed"
	assert_same_bytes local.out local.want
}

@test "curl_load: when the libcurl lsio was built with cannot be loaded, libcurl.so.4 is" {
	need_nginx
	range_job remote "http://127.0.0.1:$PORT/plain/f.bin"
	libs_trace trace "$LSIO" run remote.json > /dev/null || fail "lsio run failed"
	soname=$(sed -n 's/.*find library=\(libcurl[^ ]*\) .*/\1/p' trace.* | head -n 1)
	[ -n "$soname" ] || fail "no libcurl in the trace: $(cat trace.*)"
	[ "$soname" != libcurl.so.4 ] || skip "lsio was built with libcurl.so.4: there is no fallback"
	/sbin/ldconfig -p | grep -q 'libcurl\.so\.4 ' ||
		skip "libcurl.so.4 is not installed (apt-get install libcurl4)"
	mkdir broken
	: > "broken/$soname"
	rm -f trace.*
	LD_LIBRARY_PATH=$PWD/broken libs_trace trace "$LSIO" run remote.json > remote.out ||
		fail "lsio run failed"
	assert_same_bytes remote.out remote.want
	grep -q 'calling init: .*/libcurl\.so\.4' trace.* || fail "libcurl.so.4 was not loaded: $(cat trace.*)"
}
