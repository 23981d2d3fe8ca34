#!/usr/bin/env bats
# labels.bats - --sel labels and CF time against xarray: the resolver of
# lib/format/zarr_label.c and lib/format/cftime.c, run by the unit binary
# build/tests/test_label --cases on the table tests/fixtures/labels_ref.py
# prints of what xarray (with pandas and cftime) selects with .sel/.isel
# and decodes with decode_cf, so the reference is xarray's, never lsio's.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	if "$PY" -c 'import xarray, pandas, cftime' 2>/dev/null; then
		"$PY" "$FIXTURES/labels_ref.py" > "$BATS_FILE_TMPDIR/cases.txt" \
			2> "$BATS_FILE_TMPDIR/gen.log" ||
			touch "$BATS_FILE_TMPDIR/gen.failed"
	fi
}

# need_table: skip when Debian's python3 lacks xarray, pandas or cftime
# (helpers.bash's need_fixtures); fail when it has them but the table
# could not be written.  Not helpers.bash's need_xarray, which is about
# xarray_gen.py's stores.
need_table() {
	need_fixtures "xarray, pandas, cftime" "python3-xarray python3-cftime"
	CASES=$BATS_FILE_TMPDIR/cases.txt
	UNIT=$(dirname "$LSIO")/tests/test_label
	[ -x "$UNIT" ] || fail "unit test binary '$UNIT' is missing: build first"
}

@test "labels: every case of the table resolves as xarray's .sel/.isel and decodes as cftime" {
	need_table
	run "$UNIT" --cases "$CASES"
	assert_success
	assert_output --regexp '^[0-9]+ cases checked, 0 failed$'
	# Each kind is there in number: a table cut short is a failure.
	[ "$(grep -c '^sel' "$CASES")" -ge 180 ] || fail "too few sel cases"
	[ "$(grep -c '^isel' "$CASES")" -ge 10 ] || fail "too few isel cases"
	[ "$(grep -c '^time' "$CASES")" -ge 50 ] || fail "too few time cases"
	[ "$(grep -c '^fmt' "$CASES")" -ge 30 ] || fail "too few fmt cases"
	[ "$(grep -c '^bad' "$CASES")" -ge 5 ] || fail "too few bad cases"
	# Seam boxes, descending coordinates and every calendar are covered.
	grep -q $'^sel\tlon360\t.*\t-10:30\t0:140,141,142,143,0,1,' "$CASES"
	grep -q $'^sel\tlat_desc\t.*\t40:60\terror' "$CASES"
	for cal in standard proleptic_gregorian julian noleap 365_day all_leap 366_day 360_day; do
		grep -q $'\t'"$cal"$'\t' "$CASES" || fail "no case in the $cal calendar"
	done
}

@test "labels: the checker fails when the table says otherwise" {
	need_table
	# One index of the seam box, one decoded date, one label's value
	# changed: each must be reported.
	sed -e $'s/\t-10:30\t0:140,141,/\t-10:30\t0:139,141,/' \
		-e $'s/^\\(fmt\thours since 1900-01-01 00:00:0.0\tstandard\t1078422.0\t\\)2023-01-10T06/\\12023-01-10T07/' \
		-e $'s/^\\(time\tdays since 1970-01-01\tstandard\t1970-01-01\t\\)0.0/\\11.0/' \
		"$CASES" > wrong.txt
	run "$UNIT" --cases wrong.txt
	assert_failure
	assert_output --partial "lon360 '-10:30': output 0 is index 140, xarray's 139"
	assert_output --partial "'2023-01-10T06:00:00', xarray's '2023-01-10T07:00:00'"
	assert_output --partial "'1970-01-01' in 'days since 1970-01-01' standard"
	assert_output --regexp '[0-9]+ cases checked, 3 failed'
}
