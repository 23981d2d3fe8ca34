#!/usr/bin/env bats
# man.bats - the manual pages render cleanly and cannot drift from the
# tool: every option the tool prints in --help is documented in lsio(1),
# every option lsio(1) documents exists, every field of `lsio plan --json`
# and `--stats=json` is described, and the examples of both pages run.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

: "${LSIO_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${LSIO:=$LSIO_TOP/build/lsio}"
PY=/usr/bin/python3
MAN1=$LSIO_TOP/man/lsio.1
MAN5=$LSIO_TOP/man/lsio-job.5

setup() {
	[ -x "$LSIO" ] || fail "lsio binary '$LSIO' is missing: build first"
	cd "$BATS_TEST_TMPDIR" || fail "cannot enter $BATS_TEST_TMPDIR"
}

# man_text FILE [SECTION]: the troff source (of one .SH section) with the
# escapes the pages use for ASCII characters undone.
man_text() {
	if [ -n "${2:-}" ]; then
		sed -n "/^\.SH \"\{0,1\}$2\"\{0,1\}\$/,/^\.SH /p" "$1"
	else
		cat "$1"
	fi | sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}

# render FILE: troff warnings of the page, on stdout (nothing when clean).
render_warnings() {
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null
	else
		groff -man -Tutf8 -ww -z "$1" 2>&1
	fi
}

need_renderer() {
	command -v man >/dev/null || command -v groff >/dev/null ||
		skip "neither man nor groff is installed"
}

# A directory with the example jobs and their data, and lsio on PATH.
demo_dir() {
	"$PY" -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"
	mkdir -p demo/bin
	"$PY" "$LSIO_TOP/tests/fixtures/make_demo_data.py" demo ||
		fail "make_demo_data.py failed"
	cp -r "$LSIO_TOP/jobs" demo/jobs
	ln -s "$LSIO" demo/bin/lsio
}

@test "man: lsio.1 renders without warnings" {
	need_renderer
	run render_warnings "$MAN1"
	assert_success
	assert_output ''
	if command -v groff >/dev/null; then
		run groff -man -Tutf8 -ww -z "$MAN1"
		assert_success
		assert_output ''
	fi
}

@test "man: lsio-job.5 renders without warnings" {
	need_renderer
	run render_warnings "$MAN5"
	assert_success
	assert_output ''
	if command -v groff >/dev/null; then
		run groff -man -Tutf8 -ww -z "$MAN5"
		assert_success
		assert_output ''
	fi
}

@test "man: every option of 'run --help' and 'plan --help' is in lsio.1" {
	local cmd opt help='' opts missing=()
	for cmd in run plan; do
		run "$LSIO" "$cmd" --help
		assert_success
		help+=$output$'\n'
	done
	# Long options, and the short ones written "  -x, --long".
	opts=($(printf '%s' "$help" | grep -o -e '--[a-z][a-z-]*' -e '^ *-[a-zA-Z],' |
		tr -d ' ,' | sort -u))
	[ "${#opts[@]}" -ge 15 ] || fail "only ${#opts[@]} options found in --help: ${opts[*]}"
	# Each must head an item of its own: the tag line after a .TP.
	local tags
	tags=$(man_text "$MAN1" OPTIONS | awk '/^\.TP/ { getline; print }')
	for opt in "${opts[@]}"; do
		grep -q -E -e "(^|[^a-z-])$opt([^a-z-]|\$)" <<<"$tags" || missing+=("$opt")
	done
	[ "${#missing[@]}" -eq 0 ] || fail "no item in OPTIONS of lsio.1 for: ${missing[*]}"
}

@test "man: every long option lsio.1 documents exists" {
	local help opt extra=()
	help=$("$LSIO" run --help; "$LSIO" plan --help; "$LSIO" validate --help
	       "$LSIO" bench --help; "$LSIO" zarr --help; "$LSIO" grib --help; "$LSIO" --help)
	for opt in $(man_text "$MAN1" OPTIONS | grep -o -e '--[a-z][a-z-]*' | sort -u); do
		grep -q -F -e "$opt" <<<"$help" || extra+=("$opt")
	done
	[ "${#extra[@]}" -eq 0 ] || fail "in lsio.1 but in no --help: ${extra[*]}"
}

@test "man: every command of 'lsio --help' is in COMMANDS of lsio.1" {
	local cmd missing=()
	run "$LSIO" --help
	assert_success
	for cmd in $(printf '%s\n' "$output" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'); do
		man_text "$MAN1" COMMANDS | grep -q "^\.BI \"$cmd " || missing+=("$cmd")
	done
	[ "${#missing[@]}" -eq 0 ] || fail "commands not in lsio.1: ${missing[*]}"
}

# Every key of a JSON document (recursively) must be named with .B in the
# given section of lsio.1.
assert_keys_documented() {
	local json=$1 section=$2
	man_text "$MAN1" "$section" > section.txt
	run "$PY" - "$json" section.txt <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
named = set(re.findall(r'^\.BR? ([\w.]*\w)', text, re.M))
keys = set()
def walk(v):
    if isinstance(v, dict):
        keys.update(v)
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(doc)
missing = sorted(keys - named)
print("undocumented: " + " ".join(missing) if missing else "%d keys documented" % len(keys))
sys.exit(1 if missing else 0)
EOF
	assert_success
}

@test "man: every field of 'lsio plan --json -v' is in PLAN OUTPUT" {
	demo_dir
	cd demo
	"$LSIO" plan --json -v jobs/tiles.json > ../plan.json
	cd ..
	assert_keys_documented plan.json "PLAN OUTPUT"
}

@test "man: every field of '--stats=json' is in STATISTICS" {
	demo_dir
	cd demo
	"$LSIO" run jobs/tiles.json -q --stats=json -o stats-test.npy > ../stats.json
	cd ..
	assert_keys_documented stats.json STATISTICS
}

@test "man: the EXAMPLES of lsio.1 run" {
	demo_dir
	local line n=0
	man_text "$MAN1" EXAMPLES | sed -n 's/^\$ //p' > examples.txt
	grep -q '^lsio validate jobs/' examples.txt || fail "no 'lsio validate jobs/...' example"
	grep -q '^lsio plan ' examples.txt || fail "no 'lsio plan' example"
	grep -q '^lsio run ' examples.txt || fail "no 'lsio run' example"
	while IFS= read -r line; do
		case $line in lsio\ *) ;; *) fail "an example that is not an lsio command: $line" ;; esac
		n=$((n + 1))
		run bash -c 'cd demo && PATH=$PWD/bin:$PATH && set -o pipefail && eval "$1"' _ "$line"
		[ "$status" -eq 0 ] || fail "example '$line' exited $status: $output"
	done < examples.txt
	[ "$n" -ge 5 ] || fail "only $n examples"
	[ -s demo/field.npy ] || fail "the examples wrote no field.npy"
}

@test "man: the complete EXAMPLE of lsio-job.5 is a valid job" {
	man_text "$MAN5" EXAMPLE | sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;p}' > example.json
	[ -s example.json ] || fail "no example job in lsio-job.5"
	run "$LSIO" validate example.json
	assert_success
	assert_output --partial 'valid: 4 chunks, 2 sources, array output'
}

@test "man: the worked placement example of lsio-job.5 gives the array it shows" {
	"$PY" -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"
	# The first .EX block of the worked example is the job, the second
	# the picture of the chunk and of p.npy.
	man_text "$MAN5" PLACEMENT |
		sed -n '/^\.SS "A worked example"/,$p' > worked.txt
	awk '/^\.EX/{n++; in_ex=1; next} /^\.EE/{in_ex=0; next} in_ex && n==1' worked.txt > job.json
	awk '/^\.EX/{n++; in_ex=1; next} /^\.EE/{in_ex=0; next} in_ex && n==2' worked.txt > picture.txt
	"$PY" -c 'open("b12.bin", "wb").write(bytes(range(12)))'
	run "$LSIO" run job.json
	assert_success
	run "$PY" - <<'EOF'
import json, re, sys
import numpy as np
# The right-hand column of the picture: the last 6 numbers of rows 2..5.
rows = [list(map(int, re.findall(r'\d+', l)))[-6:] for l in open("picture.txt").read().splitlines()[1:5]]
got = np.load("p.npy")
if got.tolist() != rows:
    sys.exit("C order: p.npy is %s, lsio-job.5 shows %s" % (got.tolist(), rows))
job = json.load(open("job.json"))
job["chunks"][0]["place"]["order"] = "F"
json.dump(job, open("job-f.json", "w"))
print("ok")
EOF
	assert_success
	run "$LSIO" run job-f.json
	assert_success
	# "rows 2 and 3 of p.npy start with 4 7 10 and 5 8 11"
	grep -q 'start with 4 7 10 and 5 8 11' "$MAN5" || fail "the F-order sentence of lsio-job.5 changed"
	run "$PY" -c 'import numpy as np; print(np.load("p.npy")[2:, :3].tolist())'
	assert_success
	assert_output '[[4, 7, 10], [5, 8, 11]]'
}
