#!/usr/bin/env bats
# grib2_decode.bats - the "grib2" stage on GRIB2 messages written at test
# time by ecCodes (python3-eccodes) and GDAL's GRIB writer (python3-gdal):
# every template (5.0, 5.2, 5.3 of order 0/1/2, 5.4, 5.40, 5.41, 5.42),
# bitmaps (present, previous), constant fields, missing-value management,
# lat/lon, Gaussian, reduced, Lambert and polar stereographic grids,
# scanning modes, multi-field messages; each decoded array compared value
# for value with ecCodes' codes_get_values by tests/fixtures/grib2_compare.py.
# Then corrupt, truncated and unsupported messages: a clear error, exit 1,
# no output, never a crash.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export GDIR="$BATS_FILE_TMPDIR/g"
	if "$PY" -c 'import eccodes, numpy' 2>/dev/null; then
		"$PY" "$FIXTURES/grib2_gen.py" "$GDIR" > "$BATS_FILE_TMPDIR/gen.log" 2>&1 ||
			touch "$BATS_FILE_TMPDIR/gen.failed"
	fi
}

need_grib2_fixtures() {
	need_eccodes
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "grib2_gen.py failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
}

# message NAME: the case's first message, copied here as m.grib2.
message() {
	cp "$GDIR/$1.grib2" m.grib2
}

# job_for FILE SHAPE [STAGE]: a job decoding all of FILE into out.npy.
job_for() {
	local stage=${3:-'"grib2"'} to
	to=$(echo "$2" | sed 's/[0-9][0-9]*/0/g')
	write_job <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<f4", "shape": [$2]},
	 "chunks": [{"source": "$1", "stages": [$stage], "place": {"shape": [$2], "to": [$to]}}]}
	EOF
}

@test "grib2: every template, grid, bitmap and dtype equals ecCodes' codes_get_values" {
	need_grib2_fixtures
	local n=0 name t shape dt failed=
	while IFS='|' read -r name t shape; do
		for dt in f4 f8; do
			lsio run "$GDIR/$name.$dt.json" -q 2> err.txt ||
				failed+="$name $dt: $(cat err.txt)"$'\n'
		done
		n=$((n + 1))
	done < "$GDIR/cases.txt"
	[ "$n" -ge 35 ] || fail "only $n cases"
	[ -z "$failed" ] || fail "lsio failed: $failed"
	run "$PY" "$FIXTURES/grib2_compare.py" "$GDIR" .
	assert_success
	assert_output "$((2 * n)) cases, 0 differ"
}

@test "grib2: the cases cover every template the stage decodes" {
	need_grib2_fixtures
	local t
	for t in 0 2 3 4 40 41 42; do
		cut -d'|' -f2 "$GDIR/cases.txt" | tr , '\n' | grep -qx "$t" ||
			fail "no case of template 5.$t"
	done
	grep -q '^sd_order2|' "$GDIR/cases.txt" ||
		skip "python3-gdal missing: no spatial differencing of order 1 and 2"
}

@test "grib2: a truncated message is an error naming the stage, and writes nothing" {
	need_grib2_fixtures
	message simple_b16
	head -c 500 m.grib2 > cut.grib2
	job_for cut.grib2 "19, 36"
	run lsio run job.json -q
	assert_failure 1
	assert_output --partial "stage 1 'grib2': grib2: truncated: section 0 says"
	[ ! -e out.npy ] || fail "out.npy written"
}

@test "grib2: a section length past the end is refused" {
	need_grib2_fixtures
	message simple_b16
	# Section 1's length (octets 17-20) made huge.
	printf '\x7f\xff\xff\xff' | dd of=m.grib2 bs=1 seek=16 conv=notrunc status=none
	job_for m.grib2 "19, 36"
	run lsio run job.json -q
	assert_failure 1
	assert_output --partial "section 1 at byte 16 declares 2147483647 octets"
}

# patch SECTION AT VALUE: octets AT, AT+1 (0-based in the section) of
# m.grib2's SECTION made VALUE, big-endian.
patch() {
	"$PY" - "$@" <<-'EOF'
	import sys, eccodes as ec
	sec, at, value = map(int, sys.argv[1:])
	m = bytearray(open("m.grib2", "rb").read())
	h = ec.codes_new_from_message(bytes(m))
	off = int(ec.codes_get(h, "offsetSection%d" % sec)) + at
	m[off:off + 2] = value.to_bytes(2, "big")
	open("m.grib2", "wb").write(m)
	EOF
}

@test "grib2: an unsupported data representation template is named by its number" {
	need_grib2_fixtures
	message simple_b16
	patch 5 9 50	# octets 10-11 of section 5: the template number
	job_for m.grib2 "19, 36"
	run lsio run job.json -q
	assert_failure 1
	assert_output --partial "data representation template 5.50 is not supported"
}

@test "grib2: an unsupported grid template is named by its number" {
	need_grib2_fixtures
	message simple_b16
	patch 3 12 90	# octets 13-14 of section 3
	job_for m.grib2 "19, 36"
	run lsio run job.json -q
	assert_failure 1
	assert_output --partial "grid definition template 3.90 is not supported"
}

@test "grib2: a corrupt library payload is an error naming the template" {
	need_grib2_fixtures
	local t
	for t in jpeg png ccsds; do
		message $t
		# Overwrite the middle of section 7 (the last 300 bytes hold it).
		local size=$(stat -c %s m.grib2)
		head -c 200 /dev/urandom | dd of=m.grib2 bs=1 seek=$((size - 250)) conv=notrunc status=none
		job_for m.grib2 "19, 36"
		run lsio run job.json -q
		# Random bytes may still decode (CCSDS has no check): then the
		# run succeeds; it must never crash.
		[ "$status" -le 1 ] || fail "$t: exit $status: $output"
		if [ "$status" -eq 1 ]; then
			assert_output --regexp "template 5\.4[012] \((JPEG 2000|PNG|CCSDS)\)"
		fi
	done
}

# set_drs OCTET VALUE: section 5's octet (1-based, as WMO numbers them) of
# m.grib2 set to VALUE, the message otherwise as ecCodes wrote it.
set_drs() {
	"$PY" - m.grib2 "$1" "$2" <<-'PYEOF'
	import struct, sys
	path, octet, value = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	m = bytearray(open(path, "rb").read())
	pos = 16
	while m[pos + 4] != 5:
	    pos += struct.unpack(">I", m[pos:pos + 4])[0]
	m[pos + octet - 1] = value
	open(path, "wb").write(m)
	PYEOF
}

@test "grib2: CCSDS parameters libaec cannot take are refused before it runs" {
	need_grib2_fixtures
	local case
	# Block size (octet 23) 0 made libaec 1.0.6 write past its buffer;
	# 12 is no CCSDS block size; the restricted code set (flags octet 22,
	# bit 16) above 4 bits made it leak; RSI (octets 24-25) 0.
	for case in "23 0 block size 0" "23 12 block size 12" \
		    "22 30 flags octet 30" "24 0 reference sample interval"; do
		message ccsds
		set -- $case
		set_drs "$1" "$2"
		[ "$1" != 24 ] || set_drs 25 0
		job_for m.grib2 "19, 36"
		run lsio run job.json -q
		assert_failure 1
		assert_output --partial "template 5.42 (CCSDS): ${*:3}"
		[ ! -e out.npy ] || fail "out.npy written for $case"
	done
}

@test "grib2: the wrong placement shape says how many points the grid has" {
	need_grib2_fixtures
	message simple_b16
	job_for m.grib2 "20, 36"
	run lsio run job.json -q
	assert_failure 1
	assert_output --partial "the grid has 684 points"
}

@test "grib2: field beyond a message's fields, and a bad field parameter" {
	need_grib2_fixtures
	message multi
	job_for m.grib2 "19, 36" '{"codec": "grib2", "field": 3}'
	run lsio run job.json -q
	assert_failure 1
	assert_output --partial "the message has 2 fields, field 3 was asked for"
	job_for m.grib2 "19, 36" '{"codec": "grib2", "field": 0}'
	run lsio run job.json -q
	assert_failure 2
	assert_output --partial "grib2 field must be an integer from 1"
}

@test "grib2: every truncation and every flipped byte of a message fails cleanly or decodes" {
	need_grib2_fixtures
	local name n status status_bad=
	for name in simple_bitmap complex_bitmap sd_order2_missing ieee64 multi_prev_bitmap; do
		[ -e "$GDIR/$name.grib2" ] || continue
		message $name
		"$PY" - "$name" <<-'EOF'
		import os, random, sys
		m = open("m.grib2", "rb").read()
		random.seed(sys.argv[1])
		os.makedirs("bad", exist_ok=True)
		for i in range(40):
		    b = bytearray(m)
		    if i < 10:
		        b = b[:random.randrange(len(m))]
		    else:
		        for _ in range(1 + i % 4):
		            b[random.randrange(len(b))] = random.randrange(256)
		    open("bad/%d" % i, "wb").write(b)
		EOF
		for n in $(seq 0 39); do
			job_for "bad/$n" "$(sed -n "s/^$name|[^|]*|//p" "$GDIR/cases.txt" | tr x ,)"
			status=0
			lsio run job.json -q 2> err.txt || status=$?
			[ "$status" -le 1 ] || status_bad+="$name bad/$n: exit $status: $(cat err.txt)"$'\n'
		done
		rm -rf bad
	done
	[ -z "$status_bad" ] || fail "$status_bad"
}
