#!/usr/bin/env bats
# remote_s3.bats - s3:// sources against an S3 server that really checks
# SigV4 signatures: OpenStack Swift with its s3api middleware
# (tests/fixtures/swift/start.sh), started once for this file, with an
# nginx in front (tests/fixtures/nginx/start.sh) that keeps Host and
# either injects faults (PROXY) or counts requests (CLEAN).  Swift's user
# is test:tester (an access key with a colon), secret "testing".

bats_require_minimum_version 1.5.0
load helpers

NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx
SWIFT_FIX=$LSIO_TOP/tests/fixtures/swift

setup_file() {
	local why
	for bin in swift-proxy-server swift-object-server swift-ring-builder memcached; do
		command -v "$bin" >/dev/null ||
			skip "$bin is missing (apt-get install --no-install-recommends swift swift-proxy swift-object swift-container swift-account memcached)"
	done
	command -v nginx >/dev/null || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	export DATA=$BATS_FILE_TMPDIR/data SW=$BATS_FILE_TMPDIR/swift NGX=$BATS_FILE_TMPDIR/nginx
	/usr/bin/python3 "$NGINX_FIX/jobs.py" data "$DATA" 4 2000000 2
	SWIFT_PORT=$("$SWIFT_FIX/start.sh" "$SW") || return 1
	"$SWIFT_FIX/put.sh" "http://127.0.0.1:$SWIFT_PORT" lsio "$DATA"/*.bin
	read -r _ _ PROXY_PORT CLEAN_PORT < <("$NGINX_FIX/start.sh" "$NGX" "$BATS_FILE_TMPDIR" "$SWIFT_PORT")
	export SWIFT_PORT PROXY_PORT CLEAN_PORT
}

teardown_file() {
	[ -n "${NGX:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
	[ -n "${SW:-}" ] && "$SWIFT_FIX/stop.sh" "$SW"
}

setup() {
	common_setup
	[ -n "${SWIFT_PORT:-}" ] && [ -n "${CLEAN_PORT:-}" ] || fail "swift or nginx did not start"
	# Only what a test sets: no credentials from the machine running it.
	clean_cloud_env
}

keys() {
	export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=${1:-testing}
}

# s3_job NAME PORT N SEED [STORAGE_EXTRA]: NAME.json reads N random ranges
# of s3://lsio/ through the endpoint http://127.0.0.1:PORT, NAME.local.json
# the same ranges of the local files.
s3_job() {
	local storage="{\"s3\":{\"endpoint\":\"http://127.0.0.1:$2\"}${5:+,$5}}"
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "s3://lsio/" "$3" "$4" "$storage" > "$1.json"
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" "$3" "$4" > "$1.local.json"
}

assert_same_as_local() {
	"$LSIO" run "$1.local.json" > "$1.local.out" || fail "the local job failed"
	"$LSIO" run "$1.json" --stats=json > "$1.out" 2> "$1.stats" ||
		fail "lsio run $1.json failed: $(cat "$1.stats")"
	assert_same_bytes "$1.out" "$1.local.out"
}

log_count() {
	grep -c -e "$1" "$NGX/access.log" || true
}

# assert_refused JOB MESSAGE [VAR=VALUE...]: lsio run JOB (with the
# variables) exits 1 saying MESSAGE, and sends the store no request.
assert_refused() {
	local job=$1 msg=$2 before
	shift 2
	before=$(log_count " $CLEAN_PORT ")
	run env "$@" "$LSIO" run "$job"
	assert_failure 1
	assert_output "$msg"
	[ "$(log_count " $CLEAN_PORT ")" -eq "$before" ] || fail "the store was asked: $output"
}

# stat_of FILE EXPR: EXPR over the --stats=json object (j) in FILE.
stat_of() {
	"$PY" -c 'import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index("{"):])
print(eval(sys.argv[2]))' "$1" "$2"
}

@test "s3: signed reads, path-style through storage.s3.endpoint, equal local reads" {
	keys
	s3_job signed "$SWIFT_PORT" 150 31
	assert_same_as_local signed
}

@test "s3: AWS_ENDPOINT_URL and region, with a job that names neither" {
	keys
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "s3://lsio/" 40 32 > env.json
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" 40 32 > env.local.json
	AWS_ENDPOINT_URL=http://127.0.0.1:$SWIFT_PORT AWS_REGION=us-east-1 assert_same_as_local env
	# Signed for another region: Swift refuses.
	run env AWS_ENDPOINT_URL=http://127.0.0.1:$SWIFT_PORT AWS_REGION=eu-west-1 \
		"$LSIO" run env.json
	assert_failure 1
	assert_output --partial "HTTP 4"
}

@test "s3: virtual-hosted addressing (http://BUCKET.localhost:PORT/KEY)" {
	keys
	s3_job virt "$SWIFT_PORT" 40 33
	sed -i "s|\"endpoint\": \"http://127.0.0.1:$SWIFT_PORT\"|\"endpoint\": \"http://localhost:$SWIFT_PORT\", \"addressing\": \"virtual\"|" virt.json
	grep -q '"virtual"' virt.json || fail "the job was not edited"
	assert_same_as_local virt
	[ "$(stat_of virt.stats 'j["remote"]["hosts"][0]["host"]')" = "lsio.localhost:$SWIFT_PORT" ]
}

@test "s3: a wrong secret fails at once with SignatureDoesNotMatch, one request" {
	keys wrong
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"s3":{"endpoint":"http://127.0.0.1:$CLEAN_PORT"}},
 "chunks":[{"source":"s3://lsio/f0.bin","offset":1000,"length":5000}]}
EOF
	before=$(log_count "^GET /lsio/f0.bin .* $CLEAN_PORT ")
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "lsio: chunk 0: 's3://lsio/f0.bin' (http://127.0.0.1:$CLEAN_PORT/lsio/f0.bin bytes=1000-5999): HTTP 403 Forbidden: SignatureDoesNotMatch: The request signature we calculated does not match"
	[ "$(log_count "^GET /lsio/f0.bin .* $CLEAN_PORT ")" -eq $((before + 1)) ]
}

@test "s3: an unknown access key fails at once with the server's code" {
	export AWS_ACCESS_KEY_ID=nobody:none AWS_SECRET_ACCESS_KEY=x
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"s3":{"endpoint":"http://127.0.0.1:$SWIFT_PORT"}},
 "chunks":[{"source":"s3://lsio/f0.bin","offset":0,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --regexp "HTTP 403 Forbidden: (InvalidAccessKeyId|AccessDenied|SignatureDoesNotMatch)"
}

@test "s3: the session token is sent, and signed" {
	keys
	export AWS_SESSION_TOKEN=session-t0k3n
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},"storage":{"s3":{"endpoint":"http://127.0.0.1:$CLEAN_PORT"}},
 "chunks":[{"source":"s3://lsio/f1.bin","offset":777,"length":3000}]}
EOF
	"$LSIO" run job.json > got || fail "lsio run failed"
	range_bytes "$DATA/f1.bin" 777 3000 > want
	assert_same_bytes got want
	line=$(grep "^GET /lsio/f1.bin .*\"bytes=777-3776\".* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line == *'"session-t0k3n"'* ]] || fail "no token in: $line"
	[[ $line == *SignedHeaders=*x-amz-security-token* ]] || fail "the token is not signed: $line"
	[[ $line == *Credential=test:tester/* ]] || fail "the access key lost its colon: $line"
}

@test "s3: credentials from AWS_PROFILE files; the environment wins over them" {
	mkdir -p .aws
	printf '[default]\naws_access_key_id = test:tester\naws_secret_access_key = wrong\n[lsio]\naws_access_key_id = test:tester\naws_secret_access_key = testing\n' > .aws/credentials
	printf '[profile lsio]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:%s\n' "$SWIFT_PORT" > .aws/config
	# Chunks with lengths: a GET's error has a body to quote, a HEAD's not.
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "s3://lsio/" 30 34 - --no-eof > prof.json
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" 30 34 - --no-eof > prof.local.json
	# The profile gives the keys and the endpoint (endpoint_url).
	AWS_PROFILE=lsio assert_same_as_local prof
	# The default profile has the wrong secret.
	run env AWS_ENDPOINT_URL=http://127.0.0.1:$SWIFT_PORT "$LSIO" run prof.json
	assert_failure 1
	assert_output --partial "SignatureDoesNotMatch"
	# Keys in the environment win over the profile's right ones.
	run env AWS_PROFILE=lsio AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=bad "$LSIO" run prof.json
	assert_failure 1
	assert_output --partial "SignatureDoesNotMatch"
	run env AWS_PROFILE=nosuch "$LSIO" run prof.json
	assert_failure 1
	assert_output --partial "AWS_PROFILE 'nosuch' is in neither"
}

@test "s3: no credentials: a clear message and no request; --no-sign-request sends none" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"s3":{"endpoint":"http://127.0.0.1:$CLEAN_PORT"}},
 "chunks":[{"source":"s3://lsio/f2.bin","offset":0,"length":10}]}
EOF
	before=$(log_count "/lsio/f2.bin .* $CLEAN_PORT ")
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: no AWS credentials to sign requests for s3:// sources: AWS_EC2_METADATA_DISABLED=true: instance metadata not asked; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or use --no-sign-request for a public bucket"
	[ "$(log_count "/lsio/f2.bin .* $CLEAN_PORT ")" -eq "$before" ]
	# lsio plan needs no credentials.
	run "$LSIO" plan job.json
	assert_success
	# Unsigned: Swift takes it for one of its own (not S3) requests, which
	# it refuses; lsio says so at once.
	run "$LSIO" run job.json --no-sign-request
	assert_failure 1
	assert_output "lsio: chunk 0: 's3://lsio/f2.bin' (http://127.0.0.1:$CLEAN_PORT/lsio/f2.bin bytes=0-9): HTTP 400 Bad Request"
	line=$(grep "^GET /lsio/f2.bin .* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line == *'"-" "-"'* ]] || fail "an unsigned request carried auth headers: $line"
	# The same from the job.
	"$PY" -c 'import json; j = json.load(open("job.json")); j["storage"]["s3"]["no_sign_request"] = True; json.dump(j, open("job.json", "w"))'
	keys
	before=$(log_count "^GET /lsio/f2.bin .* $CLEAN_PORT \"-\" \"-\"")
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "HTTP 400 Bad Request"
	[ "$(log_count "^GET /lsio/f2.bin .* $CLEAN_PORT \"-\" \"-\"")" -eq $((before + 1)) ]
}

@test "s3: a missing object is 404 NoSuchKey, at once" {
	keys
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},"storage":{"s3":{"endpoint":"http://127.0.0.1:$CLEAN_PORT"}},
 "chunks":[{"source":"s3://lsio/missing.bin","offset":0,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "'s3://lsio/missing.bin' (http://127.0.0.1:$CLEAN_PORT/lsio/missing.bin bytes=0-9): HTTP 404 Not Found: NoSuchKey"
	[ "$(log_count "^GET /lsio/missing.bin .* $CLEAN_PORT ")" -eq 1 ]
}

@test "s3: through a fault-injecting proxy that keeps Host, every byte is right" {
	keys
	s3_job chaos "$PROXY_PORT" 150 35 '"retry":{"timeout":1,"attempts":20}'
	assert_same_as_local chaos
	[ "$(stat_of chaos.stats 'j["remote"]["retries"]')" -gt 10 ]
}

@test "s3: split parts of large chunks, signed each, through the proxy" {
	keys
	s3_job split "$PROXY_PORT" 20 36 '"split":"256KiB","part_size":"128KiB","retry":{"timeout":1,"attempts":20}'
	assert_same_as_local split
	[ "$(stat_of split.stats 'j["requests"] > j["chunks"]')" = True ]
}

# --- credentials served over HTTP: ECS container endpoint, EC2 IMDSv2 -----

IMDS_FIX=$LSIO_TOP/tests/fixtures/imds.py

# imds_start MODE: tests/fixtures/imds.py on loopback, handing out Swift's
# keys with the session token imds-t0k3n (Swift's s3api ignores a token it
# did not issue, so the token is sent and signed yet harmless); sets IM
# (its directory: log, mode) and IMDS_URL.
imds_start() {
	IM=$BATS_TEST_TMPDIR/imds
	mkdir -p "$IM"
	echo "${1:-ok}" > "$IM/mode"
	fixture_start "$IM" "$IMDS_FIX" test:tester testing imds-t0k3n
	IMDS_PID=$FIXTURE_PID
	IMDS_URL=http://127.0.0.1:$(cat "$IM/port")
}

# fixture_start DIR SCRIPT [ARGS]: a loopback server of tests/fixtures
# (SCRIPT DIR ARGS) in the background, until it has written DIR/port;
# FIXTURE_PID is its process.
fixture_start() {
	local dir=$1 script=$2
	shift 2
	"$PY" "$script" "$dir" "$@" > "$dir/out" 2>&1 3>&- &
	FIXTURE_PID=$!
	for _ in $(seq 200); do
		[ -f "$dir/port" ] && break
		sleep 0.05
	done
	[ -f "$dir/port" ] || fail "$(basename "$script") did not start: $(cat "$dir/out")"
}

teardown() {
	local pid
	for pid in "${IMDS_PID:-}" "${STS_PID:-}"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# creds_job NAME: NAME.json reads 40 ranges of s3://lsio/ through the
# counting proxy (its log shows the signed headers), NAME.local.json the same.
creds_job() {
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "s3://lsio/" 40 "$2" \
		"{\"s3\":{\"endpoint\":\"http://127.0.0.1:$CLEAN_PORT\"}}" --no-eof > "$1.json"
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" 40 "$2" - --no-eof > "$1.local.json"
}

# assert_token_signed [TOKEN]: the last signed GET of the counting proxy
# carries the session token (imds-t0k3n), signed.
assert_token_signed() {
	local line
	line=$(grep "^GET /lsio/.* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line == *"\"${1:-imds-t0k3n}\""* ]] || fail "no session token ${1:-imds-t0k3n} in: $line"
	[[ $line == *SignedHeaders=*x-amz-security-token* ]] || fail "the token is not signed: $line"
	[[ $line == *Credential=test:tester/* ]] || fail "not the served key: $line"
}

@test "creds: EC2 instance metadata (IMDSv2): token, role, keys; reads equal local reads" {
	imds_start
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL/
	creds_job imds 41
	assert_same_as_local imds
	assert_token_signed
	# IMDSv2: a token first, then the role, then its keys, with the token.
	run cat "$IM/log"
	assert_line --index 0 "PUT /latest/api/token ttl=21600"
	assert_line --index 1 "GET /latest/meta-data/iam/security-credentials/ token=imds-session-abc"
	assert_line --index 2 "GET /latest/meta-data/iam/security-credentials/lsio-test-role token=imds-session-abc"
	[ "${#lines[@]}" -eq 3 ] || fail "one exchange per run expected: $output"
	# lsio plan -v names the source, never the secret or the token.
	run "$LSIO" plan -v imds.json
	assert_success
	assert_line --regexp "^s3 credentials: instance metadata \(IMDSv2\) at $IMDS_URL, role lsio-test-role, with a session token, expiring 20[0-9-]{8}T[0-9:]{8}Z$"
	refute_output --partial testing
	refute_output --partial imds-t0k3n
}

@test "creds: ECS container credentials with the Authorization token; they win over IMDS" {
	imds_start
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=$IMDS_URL/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-secret
	creds_job ecs 42
	assert_same_as_local ecs
	assert_token_signed
	run cat "$IM/log"
	assert_output "GET /ecs/creds auth=ecs-secret"
	run "$LSIO" plan -v ecs.json
	assert_success
	assert_line --regexp "^s3 credentials: container credentials \(ECS\) at $IMDS_URL/ecs/creds, with a session token, expiring "
	# A wrong token: the endpoint's answer, once, exit status 1, no S3 request.
	: > "$IM/log"
	assert_refused ecs.json "lsio: AWS credentials: container credentials (ECS) at $IMDS_URL/ecs/creds: HTTP 403 Forbidden" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong
	run cat "$IM/log"
	assert_output "GET /ecs/creds auth=wrong"
	# The token from a file (EKS Pod Identity) wins over the variable.
	echo ecs-secret > tokfile
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$PWD/tokfile \
		assert_same_as_local ecs
	# Plain http to another host would send the token there: refused.
	run env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds "$LSIO" plan ecs.json
	assert_failure 1
	assert_output --partial "AWS_CONTAINER_CREDENTIALS_FULL_URI 'http://192.0.2.1/creds': only https, or plain http to this machine"
	# Keys in the environment win over both: no request to the endpoints.
	: > "$IM/log"
	keys
	assert_same_as_local ecs
	[ ! -s "$IM/log" ] || fail "credentials fetched despite the environment's: $(cat "$IM/log")"
}

@test "creds: IMDS that answers 404 or never: one clear error, no S3 request" {
	imds_start 404
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL
	creds_job fail 43
	assert_refused fail.json "lsio: no AWS credentials to sign requests for s3:// sources: instance metadata (IMDSv2) at $IMDS_URL: HTTP 404 Not Found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or use --no-sign-request for a public bucket"
	run "$LSIO" plan -v fail.json
	assert_success
	assert_line "s3 credentials: none (instance metadata (IMDSv2) at $IMDS_URL: HTTP 404 Not Found)"
	# A service that never answers costs its timeout (2 s), once.
	echo hang > "$IM/mode"
	: > "$IM/log"
	start=$(date +%s)
	run "$LSIO" run fail.json
	assert_failure 1
	[ $(($(date +%s) - start)) -lt 6 ] || fail "waited $(($(date +%s) - start)) s on the metadata service"
	assert_output --regexp "^lsio: no AWS credentials to sign requests for s3:// sources: instance metadata \(IMDSv2\) at $IMDS_URL: Operation timed out after [0-9]+ milliseconds"
	[ "$(grep -c "^PUT /latest/api/token" "$IM/log")" -eq 1 ] || fail "retried: $(cat "$IM/log")"
	# A bad name fails before any service is asked.
	: > "$IM/log"
	write_job <<EOF2
{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"s3://bucket-only","offset":0,"length":1}]}
EOF2
	run "$LSIO" plan job.json
	assert_failure 1
	assert_output "lsio: source 's3://bucket-only': expected s3://BUCKET/KEY"
	[ ! -s "$IM/log" ] || fail "IMDS asked for a bad name: $(cat "$IM/log")"
	# Nothing listens: refused at once.
	run env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 "$LSIO" run fail.json
	assert_failure 1
	assert_output --partial "instance metadata (IMDSv2) at http://127.0.0.1:1: "
}

@test "creds: a metadata service without tokens (405 to the PUT): IMDSv1, unless AWS_EC2_METADATA_V1_DISABLED" {
	imds_start v1
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL
	creds_job v1 45
	assert_same_as_local v1
	run cat "$IM/log"
	assert_line --index 1 "GET /latest/meta-data/iam/security-credentials/ token=None"
	run "$LSIO" plan -v v1.json
	assert_line --regexp "^s3 credentials: instance metadata \(IMDSv1\) at $IMDS_URL, role lsio-test-role"
	AWS_EC2_METADATA_V1_DISABLED=true run "$LSIO" run v1.json
	assert_failure 1
	assert_output --partial "instance metadata (IMDSv2) at $IMDS_URL: HTTP 405"
}

@test "creds: AWS_EC2_METADATA_DISABLED=true asks no instance metadata" {
	imds_start
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL AWS_EC2_METADATA_DISABLED=TRUE
	creds_job off 44
	run "$LSIO" run off.json
	assert_failure 1
	assert_output "lsio: no AWS credentials to sign requests for s3:// sources: AWS_EC2_METADATA_DISABLED=TRUE: instance metadata not asked; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or use --no-sign-request for a public bucket"
	[ ! -s "$IM/log" ] || fail "IMDS was asked: $(cat "$IM/log")"
	run "$LSIO" plan -v off.json
	assert_line "s3 credentials: none (AWS_EC2_METADATA_DISABLED=TRUE: instance metadata not asked)"
	# --no-sign-request asks no service either.
	unset AWS_EC2_METADATA_DISABLED
	run "$LSIO" plan -v off.json --no-sign-request
	assert_success
	assert_line "s3 credentials: none: unsigned requests (no_sign_request)"
	[ ! -s "$IM/log" ] || fail "IMDS was asked: $(cat "$IM/log")"
}

@test "creds: keys that expire within 5 minutes are fetched again" {
	imds_start near
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL
	creds_job near 45
	run "$LSIO" plan -v near.json
	assert_success
	[ "$(grep -c "security-credentials/lsio-test-role" "$IM/log")" -eq 2 ] ||
		fail "not fetched again: $(cat "$IM/log")"
	exp=$(sed -n 's/^s3 credentials: .*, expiring \(.*\)$/\1/p' <<< "$output")
	left=$(( $(date -d "$exp" +%s) - $(date +%s) ))
	[ "$left" -gt 3000 ] || fail "the near keys were kept: $exp ($left s left)"
	assert_same_as_local near
}

# --- STS: web identity, assume-role profiles; credential_process --------

STS_FIX=$LSIO_TOP/tests/fixtures/sts.py
WEB_ROLE=arn:aws:iam::123456789012:role/lsio-web
READ_ROLE=arn:aws:iam::123456789012:role/lsio-read

# sts_start: tests/fixtures/sts.py on loopback (AssumeRoleWithWebIdentity
# and AssumeRole, handing out Swift's keys with the token sts-t0k3n, the
# AssumeRole signature checked); sets ST (its directory: log, mode,
# web-token) and STS_URL, and points AWS_ENDPOINT_URL_STS at it.
sts_start() {
	ST=$BATS_TEST_TMPDIR/sts
	mkdir -p "$ST"
	fixture_start "$ST" "$STS_FIX"
	STS_PID=$FIXTURE_PID
	STS_URL=http://127.0.0.1:$(cat "$ST/port")
	export AWS_ENDPOINT_URL_STS=$STS_URL
	touch "$ST/log"
}

sts_count() {
	wc -l < "$ST/log"
}

@test "creds: web identity token through STS AssumeRoleWithWebIdentity; env keys win, profile keys lose" {
	sts_start
	echo eyJ-web-t0k3n > "$ST/web-token"
	printf 'eyJ-web-t0k3n\n' > token
	export AWS_WEB_IDENTITY_TOKEN_FILE=$PWD/token AWS_ROLE_ARN=$WEB_ROLE AWS_ROLE_SESSION_NAME=bats-web
	# Static keys of the default profile come after web identity: wrong
	# ones here would fail the reads.
	mkdir -p .aws
	printf '[default]\naws_access_key_id = test:tester\naws_secret_access_key = wrong\n' > .aws/credentials
	creds_job web 51
	assert_same_as_local web
	assert_token_signed sts-t0k3n
	run cat "$ST/log"
	assert_output "WEB role=$WEB_ROLE session=bats-web token=eyJ-web-t0k3n"
	run "$LSIO" plan -v web.json
	assert_success
	assert_line --regexp "^s3 credentials: web identity token $PWD/token, role $WEB_ROLE via STS $STS_URL, with a session token, expiring 20[0-9-]{8}T[0-9:]{8}Z$"
	refute_output --partial sts-t0k3n
	refute_output --partial eyJ-web
	# Without a session name: lsio-PID.
	unset AWS_ROLE_SESSION_NAME
	: > "$ST/log"
	run "$LSIO" plan web.json
	assert_success
	run cat "$ST/log"
	assert_output --regexp "^WEB role=$WEB_ROLE session=lsio-[0-9]+ token=eyJ-web-t0k3n$"
	# A token STS refuses: its Code and Message, once, no S3 request.
	echo expired > token
	: > "$ST/log"
	assert_refused web.json "lsio: AWS credentials: web identity token $PWD/token, role $WEB_ROLE via STS $STS_URL: HTTP 400 Bad Request: InvalidIdentityToken: Couldn't verify the token"
	[ "$(sts_count)" -eq 1 ] || fail "retried: $(cat "$ST/log")"
	# No token file: said, no request.
	: > "$ST/log"
	run env AWS_WEB_IDENTITY_TOKEN_FILE="$PWD/none" "$LSIO" plan web.json
	assert_failure 1
	assert_output "lsio: AWS credentials: cannot read the web identity token file '$PWD/none': No such file or directory"
	[ "$(sts_count)" -eq 0 ]
	# Keys in the environment come first: STS is not asked.
	keys
	assert_same_as_local web
	[ "$(sts_count)" -eq 0 ] || fail "STS asked despite the environment's keys: $(cat "$ST/log")"
	# The same from a profile's web_identity_token_file and role_arn.
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
	echo eyJ-web-t0k3n > token
	printf '[profile wi]\nweb_identity_token_file = %s\nrole_arn = %s\nrole_session_name = from-profile\n' \
		"$PWD/token" "$WEB_ROLE" > .aws/config
	AWS_PROFILE=wi assert_same_as_local web
	run cat "$ST/log"
	assert_output "WEB role=$WEB_ROLE session=from-profile token=eyJ-web-t0k3n"
}

# The profiles of the assume-role tests: src has keys sts.py knows
# (AKIDSOURCE), role assumes READ_ROLE with them, chain assumes another
# role with role's keys; the loops and the broken ones fail.
role_profiles() {
	mkdir -p .aws
	cat > .aws/credentials <<-EOF
	[src]
	aws_access_key_id = AKIDSOURCE
	aws_secret_access_key = source-secret
	[badsrc]
	aws_access_key_id = AKIDSOURCE
	aws_secret_access_key = not-the-secret
	EOF
	cat > .aws/config <<-EOF
	[profile role]
	role_arn = $READ_ROLE
	source_profile = src
	external_id = ext-1
	duration_seconds = 900
	role_session_name = bats-role
	[profile chain]
	role_arn = arn:aws:iam::123456789012:role/lsio-chained
	source_profile = role
	[profile badrole]
	role_arn = $READ_ROLE
	source_profile = badsrc
	[profile loop-a]
	role_arn = $READ_ROLE
	source_profile = loop-b
	[profile loop-b]
	role_arn = $READ_ROLE
	source_profile = loop-a
	[profile nosrc]
	role_arn = $READ_ROLE
	source_profile = missing
	[profile ecsrole]
	role_arn = $READ_ROLE
	credential_source = EcsContainer
	[profile sso]
	sso_start_url = https://example.awsapps.com/start
	sso_region = us-east-1
	EOF
}

@test "creds: profile assume-role signed by source_profile's keys (SigV4 checked), chained; loops and refusals are one clear error" {
	sts_start
	role_profiles
	creds_job role 52
	AWS_PROFILE=role assert_same_as_local role
	assert_token_signed sts-t0k3n
	run cat "$ST/log"
	assert_output "ASSUME role=$READ_ROLE session=bats-role key=AKIDSOURCE sig=ok token=None ext=ext-1 dur=900"
	run env AWS_PROFILE=role "$LSIO" plan -v role.json
	assert_success
	assert_line --regexp "^s3 credentials: profile 'role': assume role $READ_ROLE with source profile 'src' via STS $STS_URL, with a session token, expiring 20"
	refute_output --partial source-secret
	# Chained: the second AssumeRole is signed with the first's keys and
	# carries its session token.
	: > "$ST/log"
	AWS_PROFILE=chain assert_same_as_local role
	run cat "$ST/log"
	assert_line --index 0 --partial "ASSUME role=$READ_ROLE session=bats-role key=AKIDSOURCE sig=ok"
	assert_line --index 1 --regexp "^ASSUME role=arn:aws:iam::123456789012:role/lsio-chained session=lsio-[0-9]+ key=test:tester sig=ok token=sts-t0k3n ext=None dur=None$"
	[ "${#lines[@]}" -eq 2 ]
	# The profile's role comes before a web identity (botocore's order).
	: > "$ST/log"
	echo eyJ > token
	run -0 env AWS_WEB_IDENTITY_TOKEN_FILE="$PWD/token" AWS_ROLE_ARN=$WEB_ROLE \
		AWS_PROFILE=role "$LSIO" plan role.json
	run cat "$ST/log"
	assert_output --regexp "^ASSUME role=$READ_ROLE "
	# A wrong source secret: STS's refusal, once, no S3 request.
	: > "$ST/log"
	assert_refused role.json "lsio: AWS credentials: profile 'badrole': assume role $READ_ROLE with source profile 'badsrc' via STS $STS_URL: HTTP 403 Forbidden: SignatureDoesNotMatch: The request signature we calculated does not match" \
		AWS_PROFILE=badrole
	[ "$(sts_count)" -eq 1 ] || fail "retried: $(cat "$ST/log")"
	# AccessDenied, its entity decoded.
	echo deny > "$ST/mode"
	: > "$ST/log"
	assert_refused role.json "lsio: AWS credentials: profile 'role': assume role $READ_ROLE with source profile 'src' via STS $STS_URL: HTTP 403 Forbidden: AccessDenied: Not authorized to perform sts:AssumeRole & more" \
		AWS_PROFILE=role
	[ "$(sts_count)" -eq 1 ] || fail "retried: $(cat "$ST/log")"
	rm "$ST/mode"
	# A source_profile loop, a missing source: said before any request.
	: > "$ST/log"
	run env AWS_PROFILE=loop-a "$LSIO" plan role.json
	assert_failure 1
	assert_output "lsio: AWS credentials: profile 'loop-a': source_profile loop: 'loop-a' -> 'loop-b' -> 'loop-a'"
	run env AWS_PROFILE=nosrc "$LSIO" plan role.json
	assert_failure 1
	assert_output "lsio: AWS credentials: profile 'nosrc': source profile 'missing' is in neither the credentials nor the config file"
	[ "$(sts_count)" -eq 0 ] || fail "STS asked: $(cat "$ST/log")"
	# SSO: not supported, and said so.
	run env AWS_PROFILE=sso "$LSIO" plan role.json
	assert_failure 1
	assert_output --partial "lsio: AWS credentials: profile 'sso': SSO profiles (sso_start_url, sso_session) are not supported"
}

@test "creds: credential_source EcsContainer: the container's keys sign the AssumeRole" {
	sts_start
	imds_start
	role_profiles
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=$IMDS_URL/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-secret
	creds_job ecsrole 53
	AWS_PROFILE=ecsrole assert_same_as_local ecsrole
	assert_token_signed sts-t0k3n
	run cat "$ST/log"
	assert_output --regexp "^ASSUME role=$READ_ROLE session=lsio-[0-9]+ key=test:tester sig=ok token=imds-t0k3n ext=None dur=None$"
	run env AWS_PROFILE=ecsrole "$LSIO" plan -v ecsrole.json
	assert_line --regexp "^s3 credentials: profile 'ecsrole': assume role $READ_ROLE with credential source 'EcsContainer' via STS $STS_URL, with a session token"
}

@test "creds: credential_process: keys from its JSON; a failing command, bad JSON, a command that leaves a process behind" {
	mkdir -p .aws bin
	exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	cat > bin/good <<-EOF
	#!/bin/sh
	echo "called with \$*" >> "$PWD/calls"
	printf '{"Version": 1, "AccessKeyId": "test:tester", "SecretAccessKey": "testing", "SessionToken": "proc-t0k3n", "Expiration": "$exp"}\n'
	EOF
	printf '#!/bin/sh\necho "vault: permission denied" >&2\necho "second line" >&2\nexit 3\n' > bin/fail
	printf '#!/bin/sh\necho "{\\"Version\\": 1, \\"AccessKeyId\\": \\"x\\""\n' > bin/badjson
	printf '#!/bin/sh\necho "{\\"AccessKeyId\\": \\"x\\", \\"SecretAccessKey\\": \\"y\\"}"\n' > bin/noversion
	# Prints its keys and leaves a process behind that holds its stdout.
	printf '#!/bin/sh\n%s/good\nsleep 5 &\n' "$PWD/bin" > bin/daemon
	printf '#!/bin/sh\nexit 0\n' > bin/silent
	chmod +x bin/*
	printf "[profile proc]\ncredential_process = %s/bin/good --role 'a b'\n" "$PWD" > .aws/config
	# A profile per script, and keysfirst with keys as well (below).
	for p in fail badjson noversion daemon silent; do
		printf '[profile %s]\ncredential_process = %s/bin/%s\n' "$p" "$PWD" "$p"
	done >> .aws/config
	printf '[profile keysfirst]\ncredential_process = %s/bin/fail\n' "$PWD" >> .aws/config
	printf '[keysfirst]\naws_access_key_id = test:tester\naws_secret_access_key = testing\n' > .aws/credentials
	creds_job proc 54
	AWS_PROFILE=proc assert_same_as_local proc
	assert_token_signed proc-t0k3n
	# Run by the shell, as the AWS SDK for Go does: the quoted argument is one.
	run cat calls
	assert_output "called with --role a b"
	run env AWS_PROFILE=proc "$LSIO" plan -v proc.json
	assert_line "s3 credentials: profile 'proc': credential_process, with a session token, expiring $exp"
	refute_output --partial proc-t0k3n
	# Each failing profile: exit status 1 and the line, as a regexp.
	local want=(
		"fail" "exited with status 3: vault: permission denied$"
		"badjson" ": its output is not JSON: .+$"
		"noversion" ": its output has no \"Version\": 1$"
		"silent" ": its output is not JSON: .+$")
	for ((i = 0; i < ${#want[@]}; i += 2)); do
		run env AWS_PROFILE="${want[i]}" "$LSIO" run proc.json
		assert_failure 1
		assert_output --regexp "^lsio: AWS credentials: profile '${want[i]}': credential_process ?${want[i + 1]}"
	done
	# What it leaves behind does not keep lsio waiting.
	start=$(date +%s)
	AWS_PROFILE=daemon assert_same_as_local proc
	[ $(($(date +%s) - start)) -lt 4 ] || fail "waited $(($(date +%s) - start)) s on the command's leftovers"
	# The credentials file's keys come before the command (botocore's order).
	AWS_PROFILE=keysfirst assert_same_as_local proc
}

@test "s3: --request-payer and storage.s3.request_payer send x-amz-request-payer, signed; Swift accepts it" {
	keys
	creds_job payer 55
	"$LSIO" run payer.local.json > payer.local.out
	"$LSIO" run payer.json --request-payer requester > payer.out || fail "lsio run --request-payer failed"
	assert_same_bytes payer.out payer.local.out
	line=$(grep "^GET /lsio/.* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line == *SignedHeaders=*x-amz-request-payer* ]] || fail "x-amz-request-payer not sent and signed: $line"
	# Not asked: not sent.
	"$LSIO" run payer.json > payer.out
	line=$(grep "^GET /lsio/.* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line != *x-amz-request-payer* ]] || fail "sent unasked: $line"
	# The job's key does the same; --request-payer off overrides it.
	sed 's/"s3": *{/"s3": {"request_payer": true, /' payer.json > payer-job.json
	grep -q '"request_payer": true' payer-job.json || fail "no request_payer in: $(cat payer-job.json)"
	"$LSIO" run payer-job.json > payer.out
	assert_same_bytes payer.out payer.local.out
	line=$(grep "^GET /lsio/.* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line == *SignedHeaders=*x-amz-request-payer* ]] || fail "the job's request_payer not sent: $line"
	"$LSIO" run payer-job.json --request-payer off > payer.out
	line=$(grep "^GET /lsio/.* $CLEAN_PORT " "$NGX/access.log" | tail -n 1)
	[[ $line != *x-amz-request-payer* ]] || fail "--request-payer off sent it: $line"
	# Bad values: the same words on the command line and in the job.
	run --separate-stderr "$LSIO" run payer.json --request-payer owner
	assert_failure 2
	[[ $stderr == "lsio run: --request-payer: unknown value 'owner' (expected requester, on or off)"* ]] || fail "$stderr"
	sed 's/"s3": *{/"s3": {"request_payer": "owner", /' payer.json > bad.json
	run "$LSIO" run bad.json
	assert_failure 2
	assert_output "lsio: bad.json: storage.s3.request_payer: unknown value 'owner' (expected requester, on or off)"
}

# The tokens the counting proxy saw, in the order of its log, each once.
tokens_seen() {
	grep "^GET /lsio/.* $CLEAN_PORT " "$NGX/access.log" |
		sed -n 's/.*"\(imds-t0k3n-[0-9]*\|expired-token\)".*/\1/p' | uniq
}

@test "creds: keys expiring during a run are renewed; later requests carry the new token" {
	imds_start rotate
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL
	# 40 reads of 0.15 s one at a time: 6 s, and the keys (302 s left
	# when served) are within 300 s of expiry after 2 s.
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "s3://lsio/" 40 46 \
		"{\"s3\":{\"endpoint\":\"http://127.0.0.1:$CLEAN_PORT\"},\"http\":{\"headers\":{\"X-Test-Sleep\":\"0.15\"}}}" \
		--no-eof > rot.json
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA" "$DATA/" 40 46 - --no-eof > rot.local.json
	: > "$NGX/access.log"
	assert_long_run_same rot
	n=$(grep -c "security-credentials/lsio-test-role" "$IM/log")
	[ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "$n fetches of the keys: $(cat "$IM/log")"
	run tokens_seen
	assert_line --index 0 imds-t0k3n-1
	assert_line --index 1 imds-t0k3n-2
	# Signed with the token it carries: Swift accepted every request.
	run awk '$1 == "GET" && $3 !~ /^20[06]$/' "$NGX/access.log"
	assert_output ''
}

@test "creds: a store that says ExpiredToken: the keys renewed once, the read tried again" {
	imds_start stale
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL
	creds_job stale 47
	: > "$NGX/access.log"
	assert_same_as_local stale
	# The first set (an hour left) was refused: fetched again once, not per request.
	[ "$(grep -c "security-credentials/lsio-test-role" "$IM/log")" -eq 2 ] ||
		fail "not renewed exactly once: $(cat "$IM/log")"
	run tokens_seen
	assert_line --index 0 expired-token
	assert_line --index 1 imds-t0k3n-2
	# Keys the source gives expired again: the store's words and the source's.
	echo ok > "$IM/mode"
	run env AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=test:tester \
		AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=expired-token "$LSIO" run stale.json
	assert_failure 1
	assert_output --partial "HTTP 400 Bad Request: ExpiredToken: The provided token has expired."
}
