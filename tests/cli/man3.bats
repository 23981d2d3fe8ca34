#!/usr/bin/env bats
# man3.bats - lsio(3), the library's pages, cannot drift from lsio.h: every
# function the header declares has a page (its own, or a .so redirect to
# its family's page) whose NAME and SYNOPSIS name it, every page is a
# function's, the pages render cleanly, and the EXAMPLES program of every
# page compiles against the build tree (the header, liblsio.a and the
# libraries lsio.pc names) and runs.  Where a page gives an example-ref
# command (the caller-buffer and callback pages: `lsio run` of the same
# job), the program's output must equal that command's byte for byte.  The
# README's "Embedding" program is lsio_run(3)'s.

load helpers
load man_helpers

MAN=$LSIO_TOP/man
HEADER=$LSIO_TOP/lib/include/lsio.h

# The fixtures every example may use, made once: the demo jobs and data,
# a Zarr array t.zarr/t (arange(24) as 4 x 6 float32 in 2 x 3 chunks)
# when python3 has zarr, and mixed.grib2 when it has ecCodes.
setup_file() {
	local d=$BATS_FILE_TMPDIR
	export DEMO=$d/demo

	"$PY" -c 'import numpy' 2>/dev/null || return 0
	(cd "$d" && demo_dir) > "$d/gen.log" 2>&1 || touch "$d/gen.failed"
	if "$PY" -c 'import zarr' 2>/dev/null; then
		"$PY" -c 'import sys, numpy as np, zarr
g = zarr.open_group(sys.argv[1], mode="w")
z = g.create_dataset("t", shape=(4, 6), chunks=(2, 3), dtype="<f4")
z[:] = np.arange(24, dtype="<f4").reshape(4, 6)' "$DEMO/t.zarr" \
			>> "$d/gen.log" 2>&1 || touch "$d/gen.failed"
	fi
	if "$PY" -c 'import eccodes' 2>/dev/null && command -v grib_copy >/dev/null; then
		"$PY" "$FIXTURES/grib_gen.py" mixed "$DEMO/mixed.grib2" \
			>> "$d/gen.log" 2>&1 || touch "$d/gen.failed"
	fi
}

# The functions lsio.h declares: each "TYPE lsio_NAME(" opening a line
# (prototypes begin in column 0; typedefs and members do not match).
header_functions() {
	sed -n 's/^[a-z][a-z0-9_ ]*[ *]\(lsio_[a-z0-9_]*\)(.*/\1/p' "$HEADER" | sort -u
}

# page_of NAME: the page that documents NAME, following a .so redirect.
page_of() {
	local target
	target=$(sed -n 's|^\.so man3/\(.*\)$|\1|p' "$MAN/$1.3" 2>/dev/null)
	echo "$MAN/${target:-$1.3}"
}

# The pages with content (not .so redirects).
main_pages() {
	grep -L '^\.so ' "$MAN"/lsio_*.3
}

# example_of PAGE: the C program of its EXAMPLES section.
example_of() {
	man_text "$1" EXAMPLES | sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;p}' |
		sed 's/^\\&//'
}

# meta_of PAGE KEY: the ".\" example-KEY: ..." line's value.
meta_of() {
	sed -n "s/^\\.\\\\\" example-$2: //p" "$1"
}

@test "man3: the header's functions are found" {
	run header_functions
	assert_success
	# A few of each kind of declaration, so a change of style in lsio.h
	# cannot make the list (and the tests below) silently empty.
	for f in lsio_run lsio_ctx_new lsio_ctx_message lsio_plan_describe \
		lsio_job_chunk_count lsio_run_callback lsio_did_you_mean; do
		assert_line "$f"
	done
}

@test "man3: every function of lsio.h has a page that declares it" {
	local f page missing=() undeclared=()
	for f in $(header_functions); do
		if [ ! -f "$MAN/$f.3" ]; then
			missing+=("$f")
			continue
		fi
		page=$(page_of "$f")
		if [ ! -f "$page" ] ||
		   ! man_text "$page" SYNOPSIS | grep -q "[ *]$f(" ||
		   ! man_text "$page" NAME | grep -qw "$f"; then
			undeclared+=("$f")
		fi
	done
	[ "${#missing[@]}" -eq 0 ] || fail "no page in man/ for: ${missing[*]}"
	[ "${#undeclared[@]}" -eq 0 ] ||
		fail "not in the NAME and SYNOPSIS of their page: ${undeclared[*]}"
}

@test "man3: every page is a function's of lsio.h" {
	local page name stale=()
	for page in "$MAN"/*.3; do
		name=$(basename "$page" .3)
		header_functions | grep -qx "$name" || stale+=("$name")
	done
	[ "${#stale[@]}" -eq 0 ] || fail "pages of no function in lsio.h: ${stale[*]}"
}

@test "man3: the pages render without warnings" {
	need_renderer
	local page out bad=()
	for page in $(main_pages); do
		out=$(render_warnings "$page")
		[ -z "$out" ] || bad+=("$(basename "$page"): $out")
	done
	[ "${#bad[@]}" -eq 0 ] || fail "$(printf '%s\n' "${bad[@]}")"
}

@test "man3: every page has an EXAMPLES program and a command to run it" {
	local page none=()
	for page in $(main_pages); do
		example_of "$page" | grep -q '^int main(' &&
			[ -n "$(meta_of "$page" run)" ] || none+=("$(basename "$page")")
	done
	[ "${#none[@]}" -eq 0 ] || fail "no example program or example-run: ${none[*]}"
}

@test "man3: the EXAMPLES programs compile, run, and give what lsio run gives" {
	need_python_numpy
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "fixtures failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
	local page name dir cmd ref needs skipped=() compared=0
	for page in $(main_pages); do
		name=$(basename "$page" .3)
		needs=$(meta_of "$page" needs)
		case $needs in
		zarr) [ -e "$DEMO/t.zarr" ] ||
			{ skipped+=("$name (python3 cannot import zarr)"); continue; } ;;
		grib) [ -e "$DEMO/mixed.grib2" ] ||
			{ skipped+=("$name (no python3 eccodes or grib_copy)"); continue; } ;;
		esac
		# A directory of its own: outputs of one example cannot pass
		# another's check.
		dir=$BATS_TEST_TMPDIR/$name
		mkdir "$dir"
		ln -s "$DEMO"/* "$dir"/
		example_of "$page" > "$dir/example.c"
		cc_liblsio "$dir/example.c" "$dir/example" 2> "$dir/cc.log" ||
			fail "$name: the example does not compile: $(cat "$dir/cc.log")"
		cmd=$(meta_of "$page" run)
		(cd "$dir" && PATH=$DEMO/bin:$PATH bash -c "$cmd") > "$dir/out" 2> "$dir/err" ||
			fail "$name: '$cmd' failed: $(cat "$dir/err")"
		ref=$(meta_of "$page" ref)
		[ -n "$ref" ] || continue
		(cd "$dir" && PATH=$DEMO/bin:$PATH bash -c "$ref") > "$dir/ref" 2> "$dir/err" ||
			fail "$name: the reference '$ref' failed: $(cat "$dir/err")"
		[ -s "$dir/ref" ] || fail "$name: the reference '$ref' printed nothing"
		cmp "$dir/out" "$dir/ref" ||
			fail "$name: the example's output differs from '$ref'"
		compared=$((compared + 1))
	done
	# The caller-buffer and callback pages at least are compared.
	for name in lsio_run_into lsio_run_callback; do
		meta_of "$MAN/$name.3" ref | grep -q 'lsio run' ||
			fail "$name.3: its example is not compared with lsio run"
	done
	[ "$compared" -ge 2 ] || fail "only $compared examples compared"
	[ "${#skipped[@]}" -eq 0 ] || skip "examples not run: ${skipped[*]}"
}

@test "man3: the README's Embedding program is lsio_run(3)'s" {
	sed -n '/^## Embedding/,/^## /p' "$LSIO_TOP/README.md" |
		sed -n '/^```c$/,/^```$/{/^```/d;p}' > readme.c
	[ -s readme.c ] || fail "no C program under '## Embedding' in README.md"
	example_of "$MAN/lsio_run.3" > page.c
	diff -u page.c readme.c || fail "README.md and lsio_run.3 differ"
}
