#!/usr/bin/env bats
# lsio plan per storage class, with recorded environments.
#
# The expected request counts are worked out by hand from the defaults
# table in lsio(1) (STORAGE CLASSES), not taken from lsio's own output:
# a job of eight 4 KiB chunks 12 KiB apart (gaps of 8 KiB) and one 20 MiB
# chunk at 32 MiB, in one 64 MiB file:
#   ssd        gap 16K merges the 8; 20M > split 8M -> 2M parts: 1 + 10 = 11
#   hdd        gap 1M merges the 8; 32M away is past the gap; no split: 2
#   memory     gap 4K < 8K: 8 apart; no split: 8 + 1 = 9
#   netfs      gap 256K merges the 8; 20M > 16M -> 8M parts: 1 + 3 = 4
#   parallelfs stripe 4M: gap 1M merges the 8; 20M > 4M -> 4M parts: 1 + 5 = 6

load helpers

setup() {
	common_setup
	# Real data (not sparse), so the latency probe has blocks to read.
	make_file data.bin $((64 << 20))
	"$PY" - <<'PY'
import json
chunks = [{"source": "data.bin", "offset": k * 12288, "length": 4096} for k in range(8)]
chunks.append({"source": "data.bin", "offset": 32 << 20, "length": 20 << 20})
json.dump({"lsio": 1, "output": {"type": "null"}, "chunks": chunks}, open("job.json", "w"))
PY
}

# plan_field FIELD [CLASS]: a number from `lsio plan --json` (the plan's,
# or a class's).
plan_field() {
	"$PY" -c '
import json, sys
plan = json.load(open("plan.json"))
field, cls = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
if cls is None:
    print(plan[field])
else:
    print([c for c in plan["classes"] if c["class"] == cls][0][field])
' "$@"
}

plan_json() {
	run lsio plan job.json --json "$@"
	assert_success
	echo "$output" > plan.json
}

@test "ssd (probe says 0.1 ms): merged small reads, 20 MiB split into 2 MiB parts" {
	LSIO_PROBE_LATENCY_US=100 plan_json
	assert_equal "$(plan_field requests ssd)" 11
	assert_equal "$(plan_field requests)" 11
	assert_equal "$(plan_field chunks ssd)" 9
	# Eight 4 KiB chunks over an 88 KiB span, plus the 20 MiB chunk.
	assert_equal "$(plan_field bytes_requested)" $((8 * 4096 + (20 << 20)))
	assert_equal "$(plan_field bytes_read)" $((7 * 12288 + 4096 + (20 << 20)))
	run plan_field why ssd
	assert_output --partial "ssd"
}

@test "hdd (probe says 8 ms on a rotational disk): wide merging, no split" {
	LSIO_PROBE_LATENCY_US=8000 plan_json
	run plan_field requests hdd
	[ "$status" -eq 0 ] || skip "this disk reports rotational=0: the probe is not consulted, no hdd to emulate"
	assert_equal "$output" 2
	run plan_field why hdd
	assert_output --partial "8.00 ms"
}

@test "memory (recorded tmpfs statfs): no merging through 8 KiB, no split" {
	LSIO_STATFS=0x01021994::tmpfs plan_json
	assert_equal "$(plan_field requests memory)" 9
	run plan_field why memory
	assert_output --partial "tmpfs"
}

@test "the tests' hooks (a recorded statfs) are ignored without LSIO_TEST_HOOKS=1" {
	LSIO_STATFS=0x6969::nfs4 plan_json
	assert_equal "$(plan_field class netfs)" netfs
	LSIO_TEST_HOOKS= LSIO_STATFS=0x6969::nfs4 plan_json
	run plan_field class netfs
	refute_output netfs
}

@test "netfs (recorded NFS statfs): 256 KiB gap, 8 MiB parts above 16 MiB" {
	LSIO_STATFS=0x6969::nfs4 plan_json
	assert_equal "$(plan_field requests netfs)" 4
}

@test "parallelfs (recorded Lustre statfs, 4 MiB stripes): stripe-sized parts" {
	LSIO_STATFS=0x0bd00bd0:4194304:lustre plan_json
	assert_equal "$(plan_field requests parallelfs)" 6
	run plan_field why parallelfs
	assert_output --partial "4096 KiB"
}

@test "--coalesce-gap off: one unit per chunk (the split still applies)" {
	LSIO_PROBE_LATENCY_US=100 plan_json --coalesce-gap off
	assert_equal "$(plan_field requests)" $((8 + 10))
	LSIO_PROBE_LATENCY_US=100 plan_json --coalesce-gap off --split off
	assert_equal "$(plan_field requests)" 9
}

@test "--max-request caps merging; off removes the cap" {
	# 16 KiB cap: a 4 KiB chunk every 12 KiB fits two per request.
	LSIO_PROBE_LATENCY_US=100 plan_json --max-request 16KiB --split off
	assert_equal "$(plan_field requests)" $((4 + 1))
	LSIO_PROBE_LATENCY_US=100 plan_json --max-request off --coalesce-gap 64MiB --split off
	assert_equal "$(plan_field requests)" 1
}

@test "storage.classes and storage.prefixes override; the command line wins" {
	"$PY" - <<'PY'
import json
job = json.load(open("job.json"))
job["storage"] = {"coalesce_gap": "off",
                  "classes": {"ssd": {"coalesce_gap": "16KiB", "split": "off"}}}
json.dump(job, open("class.json", "w"))
job["storage"]["prefixes"] = {"data": {"coalesce_gap": 0}}
json.dump(job, open("prefix.json", "w"))
PY
	LSIO_PROBE_LATENCY_US=100 run lsio plan class.json --json
	assert_success
	echo "$output" > plan.json
	assert_equal "$(plan_field requests)" 2	# the class merges; no split
	LSIO_PROBE_LATENCY_US=100 run lsio plan prefix.json --json
	echo "$output" > plan.json
	assert_equal "$(plan_field requests)" 9	# the prefix turns merging off
	LSIO_PROBE_LATENCY_US=100 run lsio plan prefix.json --json --coalesce-gap 1MiB
	echo "$output" > plan.json
	assert_equal "$(plan_field requests)" 2	# the command line wins
}

@test "plan -v lists every request with the chunks it serves" {
	LSIO_PROBE_LATENCY_US=100 run lsio plan job.json -v
	assert_success
	assert_line --partial "'data.bin' 0+"
	assert_line --regexp "<- 0 1 2 3 4 5 6 7$"
	assert_line --regexp "\[10 parts\].* <- 8$"
}

@test "plan reads no data and a missing source is a runtime error naming it" {
	echo '{"lsio":1,"output":{"type":"null"},"chunks":[{"source":"nope.bin"}]}' > missing.json
	run lsio plan missing.json
	assert_failure 1
	assert_output --partial "chunk 0: cannot open source 'nope.bin'"
}
