#!/usr/bin/env bats
# grib.bats - `lsio grib` on GRIB2 files written by ecCodes 2.28 (Debian's
# python3-eccodes and libeccodes-tools) at test time, never by lsio:
# several grids (regular, reduced Gaussian, polar stereographic) and
# packings (simple, complex, complex + spatial differencing, CCSDS, IEEE),
# with NOAA .idx and ECMWF .index inventories built from ecCodes' own
# offsets (tests/fixtures/grib_gen.py).  Every extract must be byte for
# byte what `grib_copy -w` writes, or the slices at ecCodes' offsets.

bats_require_minimum_version 1.5.0
load helpers

GEN=$LSIO_TOP/tests/fixtures/grib_gen.py

setup_file() {
	export GDIR=$BATS_FILE_TMPDIR/g
	mkdir -p "$GDIR"
	"$PY" -c 'import eccodes' 2> /dev/null && command -v grib_copy > /dev/null || return 0
	"$PY" "$GEN" mixed "$GDIR/m.grib2" > "$BATS_FILE_TMPDIR/gen.log" 2>&1 ||
		touch "$BATS_FILE_TMPDIR/gen.failed"
}

setup() {
	common_setup
	need_eccodes
	command -v grib_copy > /dev/null ||
		skip "grib_copy is missing (apt-get install libeccodes-tools)"
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "grib_gen.py failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
	cp "$GDIR/m.grib2" .
}

# ecc_offsets FILE: "offset length" of every message, as ecCodes sees them.
ecc_offsets() {
	grib_ls -p offset:i,totalLength "$1" | awk 'NF == 2 && $1 ~ /^[0-9]+$/ { print $1, $2 }'
}

@test "grib: a scan finds every message at ecCodes' offsets, with wgrib2-style lines" {
	lsio grib m.grib2 --list -v > list
	[ "$(wc -l < list)" -eq 16 ]
	awk -F: '{ sub("len=", "", $7); print $2, $7 }' list > got
	ecc_offsets m.grib2 > want
	diff want got
	run -0 sed -n 1,3p list
	assert_line -n 0 "1:0:d=2026120100:TMP:2 m above ground:anl:len=1667:"
	assert_line -n 1 "2:1667:d=2026120100:UGRD:10 m above ground:anl:len=2575:"
	run -0 grep -c ':TMP:500 mb:6 hour fcst:' list
	assert_output 1
	run -0 grep -c ':PRMSL:mean sea level:' list
	assert_output 2
}

@test "grib: --match subsets of a scan equal grib_copy -w, for every grid and packing" {
	local re w
	for re in ':(UGRD|VGRD):10 m above ground:@shortName=10u/10v' \
		  ':TMP:@shortName=2t/t' ':PRMSL:@shortName=prmsl' \
		  ':RH:2 m above ground:6 hour@shortName=2r,step=6' \
		  ':HGT:500 mb:@shortName=gh'; do
		w=${re#*@} re=${re%%@*}
		lsio grib m.grib2 --match "$re" -o got.grib2 -q
		grib_copy -w "$w" m.grib2 want.grib2
		assert_same_bytes got.grib2 want.grib2
		rm got.grib2 want.grib2
	done
}

@test "grib: --match is repeatable (OR) and keeps file order" {
	lsio grib m.grib2 --match ':HGT:' --match ':UGRD:' -o got.grib2 -q
	grib_copy -w shortName=10u/gh m.grib2 want.grib2
	assert_same_bytes got.grib2 want.grib2
}

@test "grib: a NOAA .idx beside the source is used; lengths run to the next offset and the object's end" {
	"$PY" "$GEN" idx m.grib2 > m.grib2.idx
	lsio grib m.grib2 --list -v > list
	# The inventory's own words: not a scan's.
	run -0 grep -c ':10u:10 heightAboveGround:' list
	assert_output 2
	awk -F: '{ sub("len=", "", $7); print $2, $7 }' list > got
	ecc_offsets m.grib2 > want
	diff want got
	lsio grib m.grib2 --match ':(10u|10v):' -o got.grib2 -q
	grib_copy -w shortName=10u/10v m.grib2 want.grib2
	assert_same_bytes got.grib2 want.grib2
	# The last message, to the end of the object.
	lsio grib m.grib2 --match '^16:' -o last.grib2 -q
	range_bytes m.grib2 63507 1667 > want16
	assert_same_bytes last.grib2 want16
}

@test "grib: an ECMWF .index beside the source is used, as :key=value: lines" {
	"$PY" "$GEN" index m.grib2 > m.index
	run -0 lsio grib m.grib2 --list --match ':param=2t:'
	assert_line -n 0 "1:0:domain=g:date=20261201:time=0000:step=0:levtype=heightAboveGround:levelist=2:param=2t:"
	assert_line -n 1 --partial "9:32584:"
	lsio grib m.grib2 --match ':param=(2t|t):' --match ':step=6:.*:param=prmsl:' -o got.grib2 -q
	run -0 lsio grib m.grib2 --list --match ':param=(2t|t):' --match ':step=6:.*:param=prmsl:' -v
	[ "${#lines[@]}" -eq 7 ]
	local off len
	: > want.grib2
	while read -r off len; do
		range_bytes m.grib2 "$off" "$len" >> want.grib2
	done < <(printf '%s\n' "${lines[@]}" | awk -F: '{ for (i = 3; i <= NF; i++) if ($i ~ /^len=/) l = substr($i, 5); print $2, l }')
	assert_same_bytes got.grib2 want.grib2
}

@test "grib: --idx names an inventory; --idx none scans though one exists" {
	"$PY" "$GEN" index m.grib2 > other.index
	printf 'junk\n' > m.grib2.idx
	lsio grib m.grib2 --idx other.index --match ':param=10v:' -o got.grib2 -q
	grib_copy -w shortName=10v m.grib2 want.grib2
	assert_same_bytes got.grib2 want.grib2
	run -0 lsio grib m.grib2 --idx none --list
	assert_line -n 2 "3:4242:d=2026120100:VGRD:10 m above ground:anl:"
}

@test "grib: a scan's --list saved as .idx gives the same extracts" {
	lsio grib m.grib2 --idx none --list > saved.idx
	lsio grib m.grib2 --idx none --match ':TMP:' -o scan.grib2 -q
	lsio grib m.grib2 --idx saved.idx --match ':TMP:' -o idx.grib2 -q
	assert_same_bytes scan.grib2 idx.grib2
}

@test "grib: fields of one message (N.1, N.2 at one offset) are written once" {
	"$PY" "$GEN" idx m.grib2 | awk -F: 'BEGIN { OFS = ":" } $1 == 3 { print "3.1", $2, $3, "VGRD", $5, $6, ""; print "3.2", $2, $3, "WIND", $5, $6, ""; next } { print }' > m.grib2.idx
	run -0 lsio grib m.grib2 --list -v --match '^3\.'
	assert_line -n 0 --partial ':len=2583:'
	assert_line -n 1 --partial ':len=2583:'
	lsio grib m.grib2 --match '^3\.' -o got.grib2 -q
	range_bytes m.grib2 4242 2583 > want.grib2
	assert_same_bytes got.grib2 want.grib2
}

@test "grib: -o DIR/ writes one file per message, each what grib_copy writes" {
	lsio grib m.grib2 --match ':TMP:' -o out/ -q
	run -0 ls out
	assert_output "$(printf 'm.1.grib2\nm.12.grib2\nm.15.grib2\nm.4.grib2\nm.7.grib2\nm.9.grib2')"
	grib_copy -w count=4 m.grib2 want4.grib2
	assert_same_bytes out/m.4.grib2 want4.grib2
	cat out/m.1.grib2 out/m.4.grib2 out/m.7.grib2 out/m.9.grib2 out/m.12.grib2 out/m.15.grib2 > all
	grib_copy -w shortName=2t/t m.grib2 want.grib2
	assert_same_bytes all want.grib2
}

@test "grib: --emit-job runs with 'lsio run' to the identical file; adjacent messages are one request" {
	lsio grib m.grib2 --match ':(UGRD|VGRD):' --emit-job > job.json
	lsio run job.json -o piped.grib2 -q
	lsio grib m.grib2 --match ':(UGRD|VGRD):' -o direct.grib2 -q
	assert_same_bytes piped.grib2 direct.grib2
	# Messages 2+3 and 10+11 are adjacent: two requests when only gaps of a byte or less merge.
	lsio plan --coalesce-gap 1 --json job.json > plan.json
	[ "$(json_get plan.json 'j["requests"]')" -eq 2 ]
	[ "$(json_get plan.json 'j["chunks"]')" -eq 4 ]
	lsio grib m.grib2 --match ':(UGRD|VGRD):' -o - -q > stdout.grib2
	assert_same_bytes stdout.grib2 direct.grib2
}

@test "grib: several sources in one run: source order, then message order" {
	cp m.grib2 n.grib2
	lsio grib m.grib2 n.grib2 --match ':PRMSL:' -o got.grib2 -q
	grib_copy -w shortName=prmsl m.grib2 one.grib2
	cat one.grib2 one.grib2 > want.grib2
	assert_same_bytes got.grib2 want.grib2
	run -0 lsio grib m.grib2 n.grib2 --match ':PRMSL:mean sea level:anl:' --list
	assert_line -n 0 "m.grib2:5:25491:d=2026120100:PRMSL:mean sea level:anl:"
	assert_line -n 1 "n.grib2:5:25491:d=2026120100:PRMSL:mean sea level:anl:"
	printf 'n.grib2\n# a comment\nm.grib2\n' > list.txt
	run -0 lsio grib --sources list.txt --match ':PRMSL:mean sea level:anl:' --list
	assert_line -n 0 --partial "n.grib2:5:"
	# Inventories are read at once: a failing source is still named.
	run -1 lsio grib m.grib2 n.grib2 gone.grib2 m.grib2 --list
	assert_output --partial "'gone.grib2': No such file or directory"
}

@test "grib: a file that is not GRIB exits 1 naming it, nothing written" {
	head -c 5000 /etc/services > notgrib
	run -1 lsio grib notgrib --idx none -o got.grib2
	assert_output --partial "'notgrib': not a GRIB file"
	[ ! -e got.grib2 ]
	assert_no_temp .
}

@test "grib: a truncated file exits 1 naming message and offset (scan and index)" {
	head -c 30000 m.grib2 > t.grib2
	run -1 lsio grib t.grib2 --list
	assert_output --partial "'t.grib2': message 7 at offset 28763: truncated message"
	"$PY" "$GEN" idx m.grib2 | head -n 7 > t.grib2.idx
	run -1 lsio grib t.grib2 --match '^7:' -o got.grib2
	assert_output --partial "message 7: truncated message"
	assert_output --partial "'t.grib2', bytes 28763+"
	[ ! -e got.grib2 ]
	assert_no_temp .
}

@test "grib: an index past the object's end, or off a message's start, exits 1 and writes nothing" {
	"$PY" "$GEN" idx m.grib2 > m.grib2.idx
	echo "17:99999:d=2026120100:x:y:z:" >> m.grib2.idx
	run -1 lsio grib m.grib2 --match ':10u:' -o got.grib2
	assert_output --partial "'m.grib2': message 17 at offset 99999: index 'm.grib2.idx' points past the end of the object (65174 bytes)"
	"$PY" "$GEN" idx m.grib2 | sed 's/^3:4242:/3:4243:/' > m.grib2.idx
	run -1 lsio grib m.grib2 --match '^3:' -o got.grib2
	assert_output --partial "'m.grib2', bytes 4243+2582): stage 1 'grib2_check': message 3: not the start of a GRIB message"
	run -1 lsio grib m.grib2 --match ':10[uv]:' -o dir/
	[ ! -e got.grib2 ] && [ ! -e dir ]
	printf 'not an index\n' > m.grib2.idx
	run -1 lsio grib m.grib2 --list
	assert_output --partial "index 'm.grib2.idx' of 'm.grib2': line 1: not 'N:OFFSET:...'"
	assert_no_temp .
}

@test "grib: usage errors exit 2; no match exits 1" {
	run -2 lsio grib m.grib2 -o x.grib2 --dtype '<f8'
	assert_output --partial "--dtype goes with -o X.npy"
	run -2 lsio grib m.grib2 -o x.npy --dtype '<i4'
	assert_output --partial "--dtype '<i4': decoded values are '<f4' or '<f8'"
	run -2 lsio grib m.grib2 -o x.npy --coords --emit-job
	run -2 lsio grib m.grib2 --list --coords
	[ ! -e x.npy ] && [ ! -e x.grib2 ]
	run -2 lsio grib m.grib2 --match '(' -o x.grib2
	assert_output --partial "--match '(':"
	run -2 lsio grib -o x.grib2
	run -2 lsio grib m.grib2
	run -2 lsio grib m.grib2 --list -o x.grib2
	run -2 lsio grib m.grib2 n.grib2 --idx a.idx --list
	run -2 lsio grib m.grib2 --emit-job --workers 2
	run -1 lsio grib m.grib2 --match 'nothing' -o x.grib2
	assert_output --partial "'m.grib2': no message matches (of 16)"
	run -1 lsio grib missing.grib2 --list
	assert_output --partial "'missing.grib2': No such file or directory"
	run -0 lsio grib --help
	assert_output --partial "--match RE"
}
