# helpers.bash - what every lsio CLI test shares.
#
# tests/run.sh exports LSIO (the binary under test) and LSIO_TOP (the
# repository); run by hand, both default to this checkout's build.  Every
# test works only inside its own $BATS_TEST_TMPDIR.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

: "${LSIO_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${LSIO:=$LSIO_TOP/build/lsio}"
PY=/usr/bin/python3
FIXTURES=$LSIO_TOP/tests/fixtures
export LSIO LSIO_TOP PY FIXTURES

common_setup() {
	# A missing binary is a failure, never a skip.
	[ -x "$LSIO" ] || fail "lsio binary '$LSIO' is missing: build first"
	cd "$BATS_TEST_TMPDIR" || fail "cannot enter $BATS_TEST_TMPDIR"
	# What runs measure of remote hosts (io/host_cache.c) stays here.
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/.cache
	# The tests' own environment (LSIO_STATFS, ...; util/testenv.c).
	export LSIO_TEST_HOOKS=1
}

setup() {
	common_setup
}

# lsio ARGS...: the binary under test.
lsio() {
	"$LSIO" "$@"
}

# cc_liblsio SRC OUT: compile a program of lsio.h alone against the build
# under test: its liblsio.a, the libraries its lsio.pc names (-llsio is
# the archive here), and the sanitizer the archive was built with (make
# asan, make tsan).
cc_liblsio() {
	local build libs san=()

	build=$(cd "$(dirname "$LSIO")" && pwd)
	libs=$(PKG_CONFIG_PATH=$build pkg-config --static --libs lsio) ||
		fail "pkg-config cannot read $build/lsio.pc"
	libs=${libs//-llsio/}
	if nm "$build/liblsio.a" 2>/dev/null | grep -q ' __asan_'; then
		san=(-fsanitize=address,undefined)
	elif nm "$build/liblsio.a" 2>/dev/null | grep -q ' __tsan_'; then
		san=(-fsanitize=thread)
	fi
	# shellcheck disable=SC2086 # the libraries are words
	cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -I "$LSIO_TOP/lib/include" \
		"$1" "$build/liblsio.a" $libs -o "$2"
}

# random_setup: setup() of the tests of random cases: numpy, and seeds
# random on every run (LSIO_E2E_SEED=N replays one), each test its own
# (TEST_SALT), the same however the tests are filtered.
random_setup() {
	common_setup
	need_python_numpy
	: "${LSIO_E2E_SEED:=$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')}"
	TEST_SALT=$(($(cksum <<< "$BATS_TEST_NAME" | cut -d' ' -f1) % 1000))
}

# Skip (with the reason) when Debian's python3 cannot import numpy.
need_python_numpy() {
	"$PY" -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"
}

# need_eccodes: skip (with the reason) when Debian's python3 cannot import
# ecCodes, the GRIB2 reference.
need_eccodes() {
	"$PY" -c 'import eccodes, numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import eccodes (apt-get install python3-eccodes)"
}

# need_fixtures "MODULES" "PACKAGES": skip (with the reason) when Debian's
# python3 cannot import MODULES (apt-get install PACKAGES); fail when the
# file's setup_file could not write its fixtures (it touches gen.failed
# and logs to gen.log in $BATS_FILE_TMPDIR).
need_fixtures() {
	"$PY" -c "import $1" 2>/dev/null ||
		skip "/usr/bin/python3 cannot import $1 (apt-get install $2)"
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "fixture generation failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
}

# need_zarr: zarr-python's fixtures (zarr_v2_gen.py ...).
need_zarr() {
	need_fixtures "zarr, numcodecs" "python3-zarr python3-numcodecs"
}

# need_xarray: xarray's (xarray_gen.py; its calendars need cftime).
need_xarray() {
	need_fixtures "xarray, zarr, cftime" "python3-xarray python3-cftime"
}

# xarray_setup_file MODULES: a setup_file writing xarray_gen.py's stores
# into $XDIR (when Debian's python3 can import MODULES; need_fixtures
# reports what is missing) and, when nginx is installed, serving them
# ($HTTP_PORT; logs in $NGX).  xarray_teardown_file stops it.
xarray_setup_file() {
	export XDIR="$BATS_FILE_TMPDIR/x" NGX="$BATS_FILE_TMPDIR/nginx"
	"$PY" -c "import $1" 2>/dev/null || return 0
	"$PY" "$FIXTURES/xarray_gen.py" "$XDIR" > "$BATS_FILE_TMPDIR/gen.log" 2>&1 ||
		{ touch "$BATS_FILE_TMPDIR/gen.failed"; return 0; }
	nginx_serve "$XDIR" && export HTTP_PORT=$PORT
	return 0
}

# nginx_serve ROOT: when nginx and its echo module are installed, start
# tests/fixtures/nginx serving ROOT on loopback (logs in $NGX), exporting
# PORT; stop it with "$FIXTURES/nginx/stop.sh" "$NGX".  Returns 1 when
# they are not installed (the caller skips with the reason).
nginx_serve() {
	command -v nginx > /dev/null || return 1
	[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ] || return 1
	read -r PORT _ _ _ < <("$FIXTURES/nginx/start.sh" "$NGX" "$1")
	export PORT
}

# nginx_setup_file, nginx_teardown_file: a file's setup_file and
# teardown_file serving $BATS_FILE_TMPDIR when nginx can (PORT set; logs
# in $NGX).  The tests that need it skip, with the reason, without PORT.
nginx_setup_file() {
	export NGX=$BATS_FILE_TMPDIR/nginx
	nginx_serve "$BATS_FILE_TMPDIR" || true
}

nginx_teardown_file() {
	[ -n "${PORT:-}" ] && "$FIXTURES/nginx/stop.sh" "$NGX"
	return 0
}

xarray_teardown_file() {
	[ -n "${HTTP_PORT:-}" ] && "$FIXTURES/nginx/stop.sh" "$NGX"
	return 0
}

# clean_cloud_env: no credentials, endpoints or config from the machine
# reach a test; HOME is the test's own (no ~/.aws).
clean_cloud_env() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
		AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
		AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE STORAGE_EMULATOR_HOST \
		GOOGLE_OAUTH_ACCESS_TOKEN AWS_CONTAINER_CREDENTIALS_FULL_URI \
		AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT \
		AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME \
		AWS_ENDPOINT_URL_STS AWS_EC2_METADATA_V1_DISABLED \
		GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG GCE_METADATA_HOST \
		AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN \
		AZURE_STORAGE_CONNECTION_STRING
	# Never the instance metadata of the machine running the tests.
	export AWS_EC2_METADATA_DISABLED=true NO_GCE_CHECK=True
	export HOME=$BATS_TEST_TMPDIR
}

# make_file NAME SIZE: SIZE random bytes in NAME.
make_file() {
	head -c "$2" /dev/urandom > "$1" || fail "cannot make '$1'"
	[ "$(stat -c %s "$1")" -eq "$2" ] || fail "'$1' is not $2 bytes"
}

# make_sparse NAME SIZE: a sparse file of SIZE bytes (reads as zeros).
make_sparse() {
	rm -f "$1"
	truncate -s "$2" "$1" || fail "cannot make '$1'"
}

# range_bytes FILE OFFSET LENGTH: the bytes at OFFSET, to stdout.
range_bytes() {
	dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" \
		bs=64K status=none
}

# write_job [NAME]: the job text from stdin into NAME (default job.json).
write_job() {
	cat > "${1:-job.json}"
}

# Temporary files or directories lsio leaves under DIR (there must be none).
temp_leftovers() {
	find "$1" \( -name '.*.lsio-*' -o -name '.lsio-*' -o -name '*.lsio-*' \) -print
}

# assert_no_temp DIR: no lsio temporary file or directory anywhere under DIR.
assert_no_temp() {
	local left
	left=$(temp_leftovers "${1:-.}")
	[ -z "$left" ] || fail "temporary files left behind: $left"
}

# assert_no_output_left DIR [TARGET...]: no temporary file under DIR and
# none of the TARGETs (relative to DIR) exists.
assert_no_output_left() {
	local dir=${1:-.} t
	shift || true
	assert_no_temp "$dir"
	for t in "$@"; do
		[ ! -e "$dir/$t" ] || fail "output '$t' left behind after a failure"
	done
}

# assert_same_bytes A B: the files are byte for byte equal.
assert_same_bytes() {
	[ -f "$1" ] || fail "'$1' does not exist"
	[ -f "$2" ] || fail "'$2' does not exist"
	cmp "$1" "$2" >&2 || fail "'$1' and '$2' differ"
}

# assert_long_run_same NAME: NAME.json read one request at a time (a run
# long enough to outlive short-lived credentials) gives the bytes of
# NAME.local.json.
assert_long_run_same() {
	"$LSIO" run "$1.local.json" > "$1.local.out" || fail "the local job failed"
	"$LSIO" run "$1.json" --workers 1 --queue-depth 1 --split off > "$1.out" 2> "$1.err" ||
		fail "the run failed: $(cat "$1.err")"
	assert_same_bytes "$1.out" "$1.local.out"
}

# py CODE [ARGS...]: run python code with numpy (sys.argv[1:] are ARGS).
py() {
	local code=$1
	shift
	"$PY" -c "import sys, json
import numpy as np
$code" "$@"
}

# assert_npy_equal GOT EXPECTED: np.load reads both .npy files and they
# hold the same array: dtype (with byte order), shape, and values -- for
# float and complex np.array_equal with NaN equal to NaN, for every other
# dtype (ints, bool, strings, void, datetimes) the very same bytes.
assert_npy_equal() {
	local out
	out=$(py '
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
if a.dtype != b.dtype: sys.exit("dtype %s, expected %s" % (a.dtype.str, b.dtype.str))
if a.shape != b.shape: sys.exit("shape %s, expected %s" % (a.shape, b.shape))
if a.dtype.kind in "fc":
    if np.array_equal(a, b, equal_nan=True): sys.exit(0)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
else:
    if a.tobytes() == b.tobytes(): sys.exit(0)
    same = (a.view(np.uint8).reshape(a.shape + (-1,)) ==
            b.view(np.uint8).reshape(b.shape + (-1,))).all(axis=-1)
bad = np.argwhere(~same)
sys.exit("%d of %d elements differ, first at %s: got %r, expected %r" % (
    len(bad), a.size, bad[0].tolist(), a[tuple(bad[0])], b[tuple(bad[0])]))
' "$1" "$2" 2>&1) || fail "$1 vs $2: $out"
}

# json_get FILE EXPR: print a python expression over the JSON in FILE (j).
json_get() {
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
