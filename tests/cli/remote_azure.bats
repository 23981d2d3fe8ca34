#!/usr/bin/env bats
# remote_azure.bats - Azure Blob Storage sources (az://, and the
# connection string's BlobEndpoint) against Azurite, Microsoft's Azure
# Storage emulator (tests/fixtures/azurite/start.sh), which checks Shared
# Key signatures and SAS tokens as Azure does.  The blobs are uploaded, and
# the SAS tokens made, by Microsoft's SDK (@azure/storage-blob,
# tests/fixtures/azurite/blob.mjs); every read is compared byte for byte
# with the local files, zarr-python's and ecCodes' files included.
# Azurite's account is devstoreaccount1 with its published key.

bats_require_minimum_version 1.5.0
load helpers

AZ_FIX=$LSIO_TOP/tests/fixtures/azurite
NGINX_FIX=$LSIO_TOP/tests/fixtures/nginx
DEV_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

setup_file() {
	export AZ=$BATS_FILE_TMPDIR/azurite DATA=$BATS_FILE_TMPDIR/data
	[ -x "$AZ_FIX/node_modules/.bin/azurite-blob" ] || return 0
	AZ_PORT=$("$AZ_FIX/start.sh" "$AZ") || return 1
	export AZ_PORT
	export AZ_EP=http://127.0.0.1:$AZ_PORT/devstoreaccount1
	export AZ_CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$DEV_KEY;BlobEndpoint=$AZ_EP;"
	"$PY" "$NGINX_FIX/jobs.py" data "$DATA/plain" 3 1500000 11
	mkdir -p "$DATA/plain/sub dir" && head -c 70000 /dev/urandom > "$DATA/plain/sub dir/a+b.bin"
	AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN node "$AZ_FIX/blob.mjs" upload lsio "$DATA/plain"
	AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN node "$AZ_FIX/blob.mjs" upload lsiopub "$DATA/plain" public
	# nginx in front, injecting faults (PROXY_PORT), when installed.
	command -v nginx > /dev/null || return 0
	export NGX=$BATS_FILE_TMPDIR/nginx
	read -r _ _ PROXY_PORT _ < <("$NGINX_FIX/start.sh" "$NGX" "$BATS_FILE_TMPDIR" "$AZ_PORT")
	export PROXY_PORT
}

teardown_file() {
	[ -n "${PROXY_PORT:-}" ] && "$NGINX_FIX/stop.sh" "$NGX"
	[ -n "${AZ:-}" ] && "$AZ_FIX/stop.sh" "$AZ"
	return 0
}

setup() {
	common_setup
	[ -x "$AZ_FIX/node_modules/.bin/azurite-blob" ] ||
		skip "Azurite is not installed (tests/deps-npm.sh: npm ci in tests/fixtures/azurite)"
	[ -n "${AZ_PORT:-}" ] || fail "azurite did not start: $(cat "$AZ/azurite.log" 2>/dev/null)"
	clean_cloud_env
}

# sdk ARGS...: Microsoft's SDK with Azurite's connection string.
sdk() {
	AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN node "$AZ_FIX/blob.mjs" "$@"
}

# az_job NAME PREFIX N SEED: NAME.json reads N random ranges of the
# uploaded files named PREFIX + file, NAME.local.json the same ranges of
# the local files.
az_job() {
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA/plain" "$2" "$3" "$4" > "$1.json"
	"$PY" "$NGINX_FIX/jobs.py" job "$DATA/plain" "$DATA/plain/" "$3" "$4" > "$1.local.json"
}

assert_same_as_local() {
	"$LSIO" run "$1.local.json" > "$1.local.out" || fail "the local job failed"
	"$LSIO" run "$1.json" > "$1.out" 2> "$1.err" ||
		fail "lsio run $1.json failed: $(cat "$1.err")"
	assert_same_bytes "$1.out" "$1.local.out"
}

# assert_range SOURCE FILE OFFSET LENGTH: lsio reads LENGTH bytes at
# OFFSET of SOURCE (job.json), the bytes of the local FILE there.
assert_range() {
	write_job <<EOF
{"lsio":1,"output":{"type":"stdout"},
 "chunks":[{"source":"$1","offset":$3,"length":$4}]}
EOF
	"$LSIO" run job.json > got || fail "lsio run failed"
	range_bytes "$2" "$3" "$4" > want
	assert_same_bytes got want
}

# requests PATH: how many requests for PATH Azurite has seen.
requests() {
	grep -c "RequestURL=http://127.0.0.1/devstoreaccount1/$1 " "$AZ/debug.log" || true
}

@test "azure: shared key from the connection string; random ranges equal local reads" {
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	az_job conn az://lsio/ 80 21
	assert_same_as_local conn
	run "$LSIO" plan -v conn.json
	assert_success
	assert_line "azure credentials: shared key for account devstoreaccount1 (AZURE_STORAGE_CONNECTION_STRING)"
	refute_output --partial "$DEV_KEY"
}

@test "azure: shared key from AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, the endpoint from BlobEndpoint" {
	export AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=$AZ_EP"
	export AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=$DEV_KEY
	az_job env az://lsio/ 60 22
	assert_same_as_local env
	run "$LSIO" plan -v env.json
	assert_line "azure credentials: shared key for account devstoreaccount1 (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY)"
	refute_output --partial "$DEV_KEY"
	# A blob name with a space and a '+' is encoded, and signed so.
	assert_range "az://lsio/sub dir/a+b.bin" "$DATA/plain/sub dir/a+b.bin" 100 60000
}

@test "azure: the account named in the URL (az://CONTAINER@ACCOUNT/BLOB) is the environment's" {
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	az_job at az://lsio@devstoreaccount1/ 20 23
	# The account alone: its endpoint is built, not BlobEndpoint.
	run "$LSIO" plan at.json
	assert_success
	assert_output --partial "devstoreaccount1.blob.core.windows.net"
	run "$LSIO" plan -v at.json
	assert_line "azure credentials: shared key for account devstoreaccount1 (AZURE_STORAGE_CONNECTION_STRING)"
}

@test "azure: a container SAS made by the SDK, in AZURE_STORAGE_SAS_TOKEN and in the URL" {
	local sas
	sas=$(sdk sas lsio)
	[[ $sas == *sig=* ]] || fail "no SAS: $sas"
	export AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=$AZ_EP;AccountName=devstoreaccount1"
	export AZURE_STORAGE_SAS_TOKEN="?$sas"
	az_job sasenv az://lsio/ 50 24
	assert_same_as_local sasenv
	run "$LSIO" plan -v sasenv.json
	assert_line "azure credentials: SAS token for account devstoreaccount1 (AZURE_STORAGE_SAS_TOKEN)"
	refute_output --partial "${sas##*sig=}"
	unset AZURE_STORAGE_SAS_TOKEN
	assert_range "az://lsio/f1.bin?$sas" "$DATA/plain/f1.bin" 5000 300000
	run "$LSIO" plan -v job.json
	assert_line "azure credentials: SAS token (in the URL)"
	assert_output --partial "sp=rl&sig=REDACTED' 5000+300000"
	refute_output --partial "${sas##*sig=}"
	run "$LSIO" plan --json -v job.json
	assert_success
	refute_output --partial "${sas##*sig=}"
	# A refused SAS: the message names the URL, never its signature.
	sed -i 's/sig=[^"&]*/sig=AAAA/' job.json
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --partial "sig=REDACTED"
	# Azure says AuthenticationFailed, Azurite AuthorizationFailure.
	assert_output --regexp "HTTP 403: (AuthenticationFailed|AuthorizationFailure): "
	refute_output --partial "sig=AAAA"
}

@test "azure: a public container is read anonymously; a private one fails clearly without credentials" {
	export AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=$AZ_EP;AccountName=devstoreaccount1"
	az_job pub az://lsiopub/ 40 25
	assert_same_as_local pub
	run "$LSIO" plan -v pub.json
	assert_line "azure credentials: none: anonymous"
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},
 "chunks":[{"source":"az://lsio/f0.bin","offset":0,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --regexp "^lsio: chunk 0: 'az://lsio/f0.bin' \\($AZ_EP/lsio/f0.bin bytes=0-9\\): HTTP (403|404): [A-Za-z]+: .* \\(azure credentials: none: anonymous\\)$"
}

@test "azure: --no-sign-request sends no credentials, even with a key in the environment" {
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	az_job nosign az://lsiopub/ 20 26
	"$LSIO" run nosign.local.json > nosign.local.out
	"$LSIO" run nosign.json --no-sign-request > nosign.out
	assert_same_bytes nosign.out nosign.local.out
	run "$LSIO" plan -v --no-sign-request nosign.json
	assert_line "azure credentials: none: anonymous (no_sign_request)"
	sed 's#az://lsiopub/#az://lsio/#' nosign.json > priv.json
	run "$LSIO" run priv.json --no-sign-request
	assert_failure 1
	assert_output --partial "(azure credentials: none: anonymous)"
}

@test "azure: a wrong key fails at once naming the credentials, one request" {
	export AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=$AZ_EP"
	export AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=d3Jvbmcga2V5IG9mIDY0IGJ5dGVzIHdyb25nIGtleSBvZiA2NCBieXRlcyB3cm9uZyBrZXk=
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},
 "chunks":[{"source":"az://lsio/f2.bin","offset":1000,"length":5000}]}
EOF
	before=$(requests lsio/f2.bin)
	run "$LSIO" run job.json
	assert_failure 1
	assert_output --regexp "^lsio: chunk 0: 'az://lsio/f2.bin' \\($AZ_EP/lsio/f2.bin bytes=1000-5999\\): HTTP 403: AuthorizationFailure: Server failed to authenticate the request.*\\(azure credentials: shared key for account devstoreaccount1 \\(AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY\\)\\)$"
	[ "$(requests lsio/f2.bin)" -eq $((before + 1)) ]
	# A HEAD (to the blob's end: its size) has only x-ms-error-code.
	sed -i 's/,"length":5000//' job.json
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: 'az://lsio/f2.bin' ($AZ_EP/lsio/f2.bin HEAD): HTTP 403: AuthorizationFailure (azure credentials: shared key for account devstoreaccount1 (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY))"
	[ "$(requests lsio/f2.bin)" -eq $((before + 2)) ]
	# A key that is not base64 is refused before any request.
	export AZURE_STORAGE_KEY='not base64!'
	run "$LSIO" run job.json
	assert_failure
	assert_output --partial "azure credentials: the account key in AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY is not base64"
	[ "$(requests lsio/f2.bin)" -eq $((before + 2)) ]
}

@test "azure: through a proxy injecting 503s, drops and stalls, each retry signed anew, every byte is right" {
	command -v nginx > /dev/null || skip "nginx is not installed (apt-get install nginx-light libnginx-mod-http-echo)"
	[ -n "${PROXY_PORT:-}" ] || fail "nginx did not start"
	export AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=http://127.0.0.1:$PROXY_PORT/devstoreaccount1"
	export AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=$DEV_KEY
	az_job chaos az://lsio/ 150 27
	"$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); j["storage"] = {"retry": {"timeout": 1, "attempts": 20}}; json.dump(j, open(sys.argv[1], "w"))' chaos.json
	"$LSIO" run chaos.local.json > chaos.local.out
	"$LSIO" run chaos.json --stats=json > chaos.out 2> chaos.stats || fail "$(cat chaos.stats)"
	assert_same_bytes chaos.out chaos.local.out
	retries=$("$PY" -c 'import json, sys
t = open(sys.argv[1]).read()
print(json.loads(t[t.index("{"):])["remote"]["retries"])' chaos.stats)
	[ "$retries" -gt 10 ] || fail "only $retries retries"
}

@test "azure: a missing blob is 404 BlobNotFound, at once" {
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},
 "chunks":[{"source":"az://lsio/missing.bin","offset":0}]}
EOF
	run "$LSIO" run job.json
	assert_failure 1
	assert_output "lsio: 'az://lsio/missing.bin' ($AZ_EP/lsio/missing.bin HEAD): HTTP 404: BlobNotFound"
	[ "$(requests lsio/missing.bin)" -eq 1 ]
}

@test "azure: no account anywhere: az:// says which variables to set" {
	write_job <<EOF
{"lsio":1,"output":{"type":"null"},
 "chunks":[{"source":"az://lsio/f0.bin","offset":0,"length":10}]}
EOF
	run "$LSIO" run job.json
	assert_failure
	assert_output --partial "'az://lsio/f0.bin': which storage account? Set AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_CONNECTION_STRING"
	export AZURE_STORAGE_KEY=$DEV_KEY
	run "$LSIO" run job.json
	assert_failure
	assert_output --partial "AZURE_STORAGE_KEY without AZURE_STORAGE_ACCOUNT"
}

@test "azure: lsio zarr az:// of a store zarr-python wrote equals zarr-python's own read" {
	need_zarr
	"$PY" -c '
import sys, numpy as np, zarr, numcodecs
g = zarr.open_group(sys.argv[1], mode="w")
a = g.create_dataset("t", shape=(50, 37), chunks=(16, 10), dtype="<f4",
                     compressor=numcodecs.Zstd(level=3), fill_value=-1)
a[:] = np.arange(50 * 37, dtype="<f4").reshape(50, 37) / 7
a[40:, 30:] = -1  # absent chunks read as the fill value
b = g.create_dataset("i", shape=(1000,), chunks=(128,), dtype=">i8",
                     compressor=numcodecs.Blosc("lz4", shuffle=1))
b[:] = np.arange(1000) ** 2
' z.zarr
	sdk upload zarrs "$PWD/z.zarr" > /dev/null
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	local sel
	for sel in "t|3:45, ::3" "t|" "t|-5:, 29:" "i|100:900:7"; do
		lsio zarr "az://zarrs/${sel%%|*}" --select "${sel#*|}" -o got.npy -q
		"$PY" -c '
import sys, numpy as np, zarr
a = zarr.open(sys.argv[1], mode="r")[sys.argv[2]]
np.save(sys.argv[4], eval("a[" + (sys.argv[3] or ":") + "]"))
' z.zarr "${sel%%|*}" "${sel#*|}" want.npy
		assert_npy_equal got.npy want.npy
	done
}

@test "azure: sharded Zarr v3 with the index at the end (Azure has no suffix ranges: HEAD, then the range) equals the local store" {
	need_zarr
	mkdir -p z3/v3.zarr
	echo '{"zarr_format": 3, "node_type": "group", "attributes": {}}' > z3/v3.zarr/zarr.json
	"$PY" "$FIXTURES/zarr_v3_gen.py" z3/v3.zarr z3/v3 > gen.log 2>&1 || fail "$(cat gen.log)"
	sdk upload zarr3 "$PWD/z3" > /dev/null
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	local a
	for a in shard_end_crc shard_bool_1d_endtwin shard_start_be; do
		lsio zarr "z3/v3.zarr/$a" -o local.npy -q
		lsio zarr "az://zarr3/v3.zarr/$a" -o remote.npy -q
		assert_same_bytes remote.npy local.npy
	done
	# Each shard index at the end: a HEAD, then a GET of its range.
	[ "$(grep -c 'RequestMethod=HEAD RequestURL=http://127.0.0.1/devstoreaccount1/zarr3/v3.zarr/shard_end_crc/c/' "$AZ/debug.log")" -gt 0 ]
}

@test "azure: lsio grib az:// of ecCodes' GRIB2 with its .idx equals the local extract" {
	need_eccodes
	mkdir g
	"$PY" "$FIXTURES/grib_gen.py" mixed g/m.grib2
	"$PY" "$FIXTURES/grib_gen.py" idx g/m.grib2 > g/m.grib2.idx
	sdk upload gribs "$PWD/g" > /dev/null
	export AZURE_STORAGE_CONNECTION_STRING=$AZ_CONN
	lsio grib g/m.grib2 --match ':(10u|10v|t):' -o local.grib2 -q
	lsio grib az://gribs/m.grib2 --match ':(10u|10v|t):' -o remote.grib2 -q
	assert_same_bytes remote.grib2 local.grib2
	[ "$(grib_count -f remote.grib2 2>/dev/null || echo 1)" -gt 0 ]
	# Without an inventory: the messages are scanned with ranged GETs.
	mkdir n && cp g/m.grib2 n/s.grib2
	lsio grib n/s.grib2 --list > local.list
	sdk upload gribscan "$PWD/n" > /dev/null
	lsio grib az://gribscan/s.grib2 --list > remote.list
	diff local.list remote.list
}
