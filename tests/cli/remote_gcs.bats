#!/usr/bin/env bats
# remote_gcs.bats - gs:// sources read with the credentials google-auth
# would use: a service account's key (a JWT signed RS256, traded for a
# token), gcloud's authorized user (a refresh token traded likewise), its
# application default credentials file, the GCE metadata server, an
# explicit GOOGLE_OAUTH_ACCESS_TOKEN, or none (anonymous).
#
# The token endpoint is tests/fixtures/gcs_token.py, which checks the JWT's
# signature with the public half of a key openssl makes for this run
# (PyJWT and python3-cryptography do the checking, not lsio) and hands out
# a token; nginx (tests/fixtures/nginx, its /gsj/ location, reached as
# STORAGE_EMULATOR_HOST) serves the bucket "gsj" only to requests bearing
# that token.  So a read that returns the right bytes proves the whole
# flow.  nginx and the key are made once for the file, the token endpoint
# once per test (its log counts that test's requests).

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx
EMAIL=reader@lsio-test.iam.gserviceaccount.com
KID=0123456789abcdef0123456789abcdef01234567

setup_file() {
	command -v nginx >/dev/null || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	"$PY" -c 'import jwt, cryptography' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import jwt (apt-get install python3-jwt python3-cryptography)"
	export DATA=$BATS_FILE_TMPDIR/data NGX=$BATS_FILE_TMPDIR/nginx KEYS=$BATS_FILE_TMPDIR/keys
	mkdir -p "$KEYS"
	# A key of this run's own: none is ever committed.
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/sa.pem" 2>/dev/null
	openssl pkey -in "$KEYS/sa.pem" -pubout -out "$KEYS/sa.pub" 2>/dev/null
	/usr/bin/python3 "$NGINX_FIX/jobs.py" data "$DATA" 4 2000000 7
	read -r PORT _ _ _ < <("$NGINX_FIX/start.sh" "$NGX" "$BATS_FILE_TMPDIR")
	export PORT
}

teardown_file() {
	[ -n "${NGX:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
	return 0
}

setup() {
	common_setup
	[ -n "${PORT:-}" ] || fail "nginx did not start"
	[ -s "$KEYS/sa.pub" ] || fail "openssl did not make the test key"
	clean_cloud_env
	export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
	token_start
}

teardown() {
	if [ -n "${TOK_PID:-}" ]; then
		kill "$TOK_PID" 2>/dev/null || true
		wait "$TOK_PID" 2>/dev/null || true
	fi
}

# token_start: the token endpoint on loopback; TD is its directory (log,
# mode), TOKEN_URL its token URL.
token_start() {
	TD=$BATS_TEST_TMPDIR/token
	mkdir -p "$TD"
	"$PY" "$FIXTURES/gcs_token.py" "$TD" "$KEYS/sa.pub" "$EMAIL" "$KID" > "$TD/out" 2>&1 3>&- &
	TOK_PID=$!
	for _ in $(seq 200); do
		[ -f "$TD/port" ] && break
		sleep 0.05
	done
	[ -f "$TD/port" ] || fail "gcs_token.py did not start: $(cat "$TD/out")"
	TOKEN_URL=http://127.0.0.1:$(cat "$TD/port")/token
}

# sa_file NAME [KEY_FILE]: a service account's JSON key file, as the
# Cloud console writes it, for the key (default the test key).
sa_file() {
	"$PY" - "$1" "${2:-$KEYS/sa.pem}" "$EMAIL" "$KID" "$TOKEN_URL" <<'EOF'
import json, sys
out, key, email, kid, uri = sys.argv[1:]
json.dump({"type": "service_account", "project_id": "lsio-test",
           "private_key_id": kid, "private_key": open(key).read(),
           "client_email": email, "client_id": "1234567890",
           "auth_uri": "https://accounts.google.com/o/oauth2/auth",
           "token_uri": uri}, open(out, "w"), indent=2)
EOF
}

# user_file NAME: gcloud auth application-default login's file.
user_file() {
	mkdir -p "$(dirname "$1")"
	cat > "$1" <<EOF
{"client_id": "lsio-client", "client_secret": "lsio-secret",
 "refresh_token": "1//lsio-refresh", "type": "authorized_user",
 "token_uri": "$TOKEN_URL"}
EOF
}

# gs_job NAME N SEED [--no-eof]: NAME.json reads N random ranges of
# gs://gsj/data/, NAME.local.json the same ranges of the files.  With
# --no-eof every range has a length (no HEAD: unsigned plans work).
gs_job() {
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "gs://gsj/data/" "$2" "$3" - "${@:4}" > "$1.json"
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" "$2" "$3" - "${@:4}" > "$1.local.json"
}

# assert_gs_same NAME: the remote job's bytes are the local job's.
assert_gs_same() {
	"$LSIO" run "$1.local.json" > "$1.local.out" || fail "the local job failed"
	"$LSIO" run "$1.json" > "$1.out" 2> "$1.err" || fail "lsio run $1.json failed: $(cat "$1.err")"
	assert_same_bytes "$1.out" "$1.local.out"
}

# token_requests: the token endpoint's requests in this test.
token_requests() {
	[ -f "$TD/log" ] && wc -l < "$TD/log" || echo 0
}

# bearer_count TOKEN: nginx's /gsj/ requests that carried TOKEN.
bearer_count() {
	grep -c "^[A-Z]* /gsj/.*\"Bearer $1\"" "$NGX/access.log" || true
}

# assert_flow CREDS TOKEN LOG N SEED: a job of N random ranges read with
# GOOGLE_APPLICATION_CREDENTIALS=CREDS equals the local files, nginx saw
# TOKEN, and the token endpoint's log is the one line LOG: one token for
# the whole run.
assert_flow() {
	local before
	gs_job flow "$4" "$5"
	before=$(bearer_count "$2")
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/$1 assert_gs_same flow
	[ "$(bearer_count "$2")" -gt "$before" ] || fail "nginx saw no request with the token $2"
	run cat "$TD/log"
	assert_output "$3"
}

@test "gcs: a service account's key, traded for a token, reads ranges equal to the local files" {
	sa_file sa.json
	# The JWT is checked by PyJWT with the public key.
	assert_flow sa.json ya29.sa-lsio "POST /token jwt-bearer ok" 120 31
}

@test "gcs: plan -v names the service account and the expiry, never the key or the token" {
	sa_file sa.json
	gs_job p 5 32 --no-eof
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json run "$LSIO" plan -v p.json
	assert_success
	assert_line --regexp "^gcs credentials: service account $EMAIL from '$PWD/sa.json', token expiring 20[0-9-]{8}T[0-9:]{8}Z$"
	refute_output --partial "ya29."
	refute_output --partial "PRIVATE KEY"
	refute_output --partial "$(sed -n 2p "$KEYS/sa.pem")"
	GOOGLE_OAUTH_ACCESS_TOKEN=secret-t0k3n run "$LSIO" plan -v p.json
	assert_success
	assert_line "gcs credentials: GOOGLE_OAUTH_ACCESS_TOKEN"
	refute_output --partial secret-t0k3n
	run "$LSIO" plan -v p.json
	assert_success
	assert_line "gcs credentials: none: anonymous requests"
	user_file user.json
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/user.json run "$LSIO" plan -v p.json
	assert_success
	assert_line --regexp "^gcs credentials: authorized user \(refresh token\) from '$PWD/user.json', token expiring "
	refute_output --partial lsio-secret
	refute_output --partial lsio-refresh
}

@test "gcs: an authorized user's refresh token (GOOGLE_APPLICATION_CREDENTIALS)" {
	user_file user.json
	assert_flow user.json ya29.user-lsio "POST /token refresh_token ok" 40 33
}

@test "gcs: gcloud's application default credentials file under HOME, and CLOUDSDK_CONFIG" {
	user_file "$HOME/.config/gcloud/application_default_credentials.json"
	gs_job adc 30 34
	assert_gs_same adc
	[ "$(token_requests)" -eq 1 ]
	run "$LSIO" plan -v adc.json
	assert_line --partial "from '$HOME/.config/gcloud/application_default_credentials.json'"
	# CLOUDSDK_CONFIG moves gcloud's directory, as in google-auth.
	sa_file sa.json
	mkdir cfg
	mv sa.json cfg/application_default_credentials.json
	CLOUDSDK_CONFIG=$PWD/cfg run "$LSIO" plan -v adc.json
	assert_success
	assert_line --regexp "^gcs credentials: service account $EMAIL from '$PWD/cfg/"
	# GOOGLE_APPLICATION_CREDENTIALS comes before the well-known file.
	printf '{"type": "external_account"}' > other.json
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/other.json run "$LSIO" run adc.json
	assert_failure 1
	assert_output --partial "other.json"
}

@test "gcs: GOOGLE_OAUTH_ACCESS_TOKEN comes first: no token request" {
	sa_file sa.json
	gs_job pre 10 35
	# The explicit token is sent even though the key would work: nginx
	# refuses it, and the token endpoint is never asked.
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json GOOGLE_OAUTH_ACCESS_TOKEN=not-for-gsj \
		run "$LSIO" run pre.json
	assert_failure 1
	assert_output --partial "HTTP 401"
	[ "$(token_requests)" -eq 0 ]
	[ "$(bearer_count not-for-gsj)" -gt 0 ]
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json GOOGLE_OAUTH_ACCESS_TOKEN=ya29.gce-lsio \
		assert_gs_same pre
	[ "$(token_requests)" -eq 0 ]
}

@test "gcs: a token endpoint refusing the key is one clear error and one request" {
	sa_file sa.json
	echo refuse > "$TD/mode"
	gs_job bad 40 36
	local n0
	n0=$(wc -l < "$NGX/access.log")
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json run "$LSIO" run bad.json
	assert_failure 1
	assert_output --partial "GCS credentials: service account $EMAIL from '$PWD/sa.json': token request to $TOKEN_URL: HTTP 400 Bad Request: invalid_grant: Invalid JWT Signature."
	[ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
	[ "$(token_requests)" -eq 1 ]
	# Nothing was asked of the bucket.
	[ "$(wc -l < "$NGX/access.log")" -eq "$n0" ] || fail "requests were sent: $(tail -n +$((n0 + 1)) "$NGX/access.log")"
	# A key the token endpoint does not know: its signature fails PyJWT's check.
	rm -f "$TD/mode"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null
	sa_file sa2.json other.pem
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa2.json run "$LSIO" run bad.json
	assert_failure 1
	assert_output --partial "token request to $TOKEN_URL: HTTP 400 Bad Request: invalid_grant: InvalidSignatureError"
	[ "$(token_requests)" -eq 2 ]
}

@test "gcs: a token endpoint that is not there is one clear error" {
	sa_file sa.json
	gs_job gone 5 37
	teardown
	TOK_PID=
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json run "$LSIO" run gone.json
	assert_failure 1
	assert_output --regexp "GCS credentials: service account $EMAIL from '$PWD/sa.json': token request to $TOKEN_URL: .*(refused|connect)"
}

@test "gcs: a malformed, unreadable or unsupported credentials file names the file and what is wrong" {
	gs_job f 5 38
	local cases=(
		'{"type": "service_account", "client_email": "x@y"}|no "private_key"'
		'{"type": "service_account", "private_key": "k"}|no "client_email"'
		'{"type": "authorized_user", "client_id": "c", "client_secret": "s"}|no "refresh_token"'
		'{"type": "external_account"}|credentials of type "external_account" are not supported'
		'{"client_email": "x@y"}|no "type"'
		'["service_account"]|not a JSON object'
		'{"type": "service_account",|not JSON: '
	) c
	for c in "${cases[@]}"; do
		printf '%s' "${c%%|*}" > bad.json
		GOOGLE_APPLICATION_CREDENTIALS=$PWD/bad.json run "$LSIO" run f.json
		assert_failure
		assert_output --partial "GCS credentials: '$PWD/bad.json': ${c#*|}"
	done
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/missing.json run "$LSIO" run f.json
	assert_failure 1
	assert_output --partial "GCS credentials: cannot read '$PWD/missing.json': No such file or directory"
	# A private key libcrypto cannot read: no request is made with it.
	printf -- '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' > junk.pem
	sa_file junk.json junk.pem
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/junk.json run "$LSIO" run f.json
	assert_failure 1
	assert_output --partial "GCS credentials: service account $EMAIL from '$PWD/junk.json': private_key: cannot read the private key"
	[ "$(token_requests)" -eq 0 ]
}

@test "gcs: without credentials requests go unsigned: a public path reads, the private bucket says 401" {
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "gs://plain/data/" 30 39 > pub.json
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" 30 39 > pub.local.json
	assert_gs_same pub
	gs_job priv 5 40 --no-eof
	run "$LSIO" run priv.json
	assert_failure 1
	assert_output --partial "HTTP 401"
	# --no-sign-request wins over a key that would work.
	sa_file sa.json
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json run "$LSIO" run priv.json --no-sign-request
	assert_failure 1
	assert_output --partial "HTTP 401"
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json run "$LSIO" plan -v priv.json --no-sign-request
	assert_line "gcs credentials: none: anonymous requests (no_sign_request)"
	[ "$(token_requests)" -eq 0 ]
}

@test "gcs: the GCE metadata server (GCE_METADATA_HOST), unless NO_GCE_CHECK=True" {
	gs_job gce 30 41 --no-eof
	unset NO_GCE_CHECK
	GCE_METADATA_HOST=127.0.0.1:$(cat "$TD/port") assert_gs_same gce
	run cat "$TD/log"
	assert_output "GET /computeMetadata/v1/instance/service-accounts/default/token flavor=Google"
	GCE_METADATA_HOST=127.0.0.1:$(cat "$TD/port") run "$LSIO" plan -v gce.json
	assert_line --regexp "^gcs credentials: GCE metadata server at 127.0.0.1:[0-9]+, token expiring "
	GCE_METADATA_HOST=127.0.0.1:$(cat "$TD/port") NO_GCE_CHECK=True run "$LSIO" plan -v gce.json
	assert_line "gcs credentials: none: anonymous requests"
	# No metadata server there: anonymous, saying why.
	GCE_METADATA_HOST=127.0.0.1:1 run "$LSIO" plan -v gce.json
	assert_success
	assert_line --regexp "^gcs credentials: none: anonymous requests \(GCE metadata server at 127.0.0.1:1: token request to http://127.0.0.1:1/computeMetadata/.*\)$"
}

@test "gcs: lsio zarr gs:// through a service account equals the local store" {
	"$PY" -c 'import zarr, numcodecs' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import zarr (apt-get install python3-zarr python3-numcodecs)"
	local z=$BATS_FILE_TMPDIR/data/g.zarr
	[ -d "$z" ] || "$PY" - "$z" <<'EOF'
import sys
import numpy as np
import zarr
g = zarr.open_group(sys.argv[1], mode="w")
a = g.create_dataset("t", shape=(50, 37), chunks=(16, 16), dtype="<f4")
a[:] = np.arange(50 * 37, dtype="<f4").reshape(50, 37) / 7
zarr.consolidate_metadata(sys.argv[1])
EOF
	sa_file sa.json
	lsio zarr "$z/t" --select "3:40, ::2" -o local.npy -q
	GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json lsio zarr gs://gsj/data/g.zarr/t \
		--select "3:40, ::2" -o remote.npy -q
	cmp local.npy remote.npy
	# Every metadata read and the chunks: one token for the process.
	[ "$(token_requests)" -eq 1 ]
}

@test "gcs: a token expiring during a run is renewed; later requests carry the new one" {
	sa_file sa.json
	export GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json
	echo rotate > "$TD/mode"
	# 30 reads of 0.15 s one at a time: 4.5 s; the token (302 s) is
	# within 300 s of its expiry after 2 s.
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "gs://gsjslow/data/" 30 38 - --no-eof > rot.json
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" 30 38 - --no-eof > rot.local.json
	assert_long_run_same rot
	n=$(grep -c "jwt-bearer ok" "$TD/log")
	[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "$n token requests: $(cat "$TD/log")"
	[ "$(bearer_count ya29.sa-lsio-1)" -gt 0 ] && [ "$(bearer_count ya29.sa-lsio-2)" -gt 0 ] ||
		fail "not both tokens: $(grep -o '"Bearer [^"]*"' "$NGX/access.log" | uniq -c)"
}

@test "gcs: a token the store refuses (401) is renewed once for the run, not per request" {
	sa_file sa.json
	export GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json
	echo revoke > "$TD/mode"
	gs_job rev 40 39 --no-eof
	assert_gs_same rev
	[ "$(grep -c "jwt-bearer ok" "$TD/log")" -eq 2 ] || fail "$(cat "$TD/log")"
	[ "$(bearer_count ya29.revoked)" -gt 0 ] || fail "the revoked token was never sent"
}
