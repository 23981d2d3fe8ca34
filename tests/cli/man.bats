#!/usr/bin/env bats
# man.bats - the manual pages render cleanly and cannot drift from the
# tool: every option the tool prints in --help is documented in lsio(1),
# every option lsio(1) documents exists, every field of `lsio plan --json`
# and `--stats=json` is described, and the examples of both pages run.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
load man_helpers

: "${LSIO_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${LSIO:=$LSIO_TOP/build/lsio}"
PY=/usr/bin/python3
MAN1=$LSIO_TOP/man/lsio.1
MAN5=$LSIO_TOP/man/lsio-job.5

setup() {
	[ -x "$LSIO" ] || fail "lsio binary '$LSIO' is missing: build first"
	cd "$BATS_TEST_TMPDIR" || fail "cannot enter $BATS_TEST_TMPDIR"
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

COMMANDS=(run validate plan bench zarr grib)

# man_options CMD: the options lsio.1 documents for CMD, one a line: the
# tags (the line after .TP) of the sections whose title names it ("lsio
# CMD", "... lsio CMD and ...", "... every command").
man_options() {
	man_text "$MAN1" | awk -v cmd="$1" '
		/^\.S[HS] / { t = $0; mine = t ~ ("lsio " cmd "([^a-z]|$)") || t ~ /every command/; next }
		/^\.TP/ { tag = 1; next }
		tag { tag = 0; if (mine) print }' |
		grep -o -E -e '(^|[ "])--?[a-zA-Z][a-z-]*' | tr -d ' "' | sort -u
}

# help_options CMD: the options CMD --help lists, one a line: each item's
# "  -x, --name" at the start of a line, not options named in the text.
help_options() {
	"$LSIO" "$1" --help | grep -E '^  -' | sed -E 's/^  ((-[a-zA-Z]), )?(--[a-z][a-z-]*).*/\2 \3/' |
		tr ' ' '\n' | grep . | sort -u
}

# Where both lists come from one table (cmd/options.c), --help is the
# table: the comparison is the man page against the code, both ways.
@test "man: every option of every command is in lsio.1, and every one there exists" {
	local cmd opt missing=() extra=() rejected=() unlike=() n=0
	for cmd in "${COMMANDS[@]}"; do
		man_options "$cmd" > "man.$cmd"
		help_options "$cmd" > "help.$cmd"
		[ -s "help.$cmd" ] || missing+=("$cmd (its --help lists no options)")
		n=$((n + $(wc -l < "help.$cmd")))
		for opt in $(comm -13 "man.$cmd" "help.$cmd"); do missing+=("$cmd $opt"); done
		for opt in $(comm -23 "man.$cmd" "help.$cmd"); do extra+=("$cmd $opt"); done
		# And the command takes each: parsing stops at the unknown
		# option after it (or at a bad value), before any work.
		for opt in $(cat "man.$cmd"); do
			case $opt in -h | --help) continue ;; esac
			run "$LSIO" "$cmd" "$opt" 1 --zz-no-such-option
			[[ $output != *"unrecognized option '$opt'"* && $output != *"invalid option '$opt'"* ]] ||
				rejected+=("$cmd $opt")
			# Usage errors are "lsio CMD: ..." with a hint.
			[[ $output == "lsio $cmd: "*"Try 'lsio $cmd --help'"* ]] || unlike+=("$cmd $opt")
		done
	done
	[ "$n" -ge 60 ] || fail "only $n options found in the commands' --help"
	[ "${#missing[@]}" -eq 0 ] || fail "taken by the command but not documented in lsio.1: ${missing[*]}"
	[ "${#extra[@]}" -eq 0 ] || fail "documented in lsio.1 but not in the command's --help: ${extra[*]}"
	[ "${#rejected[@]}" -eq 0 ] || fail "documented in lsio.1 but rejected by the command: ${rejected[*]}"
	[ "${#unlike[@]}" -eq 0 ] || fail "usage errors not \"lsio CMD: ...\" with a hint to --help: ${unlike[*]}"
}

# exit_item STATUS: the text of the EXIT STATUS item for STATUS.
exit_item() {
	man_text "$MAN1" "EXIT STATUS" | awk -v want="$1" '
		/^\.TP/ { getline; item = ($0 == ".B " want); next }
		/^\.(PP|TP)/ { item = 0 }
		item' | tr '\n' ' '
}

@test "man: EXIT STATUS says what lsio does" {
	local two one
	two=$(exit_item 2)
	one=$(exit_item 1)
	[ -n "$two" ] && [ -n "$one" ] || fail "no items for 1 and 2 in EXIT STATUS"
	# A job file that cannot be opened: 2.
	run "$LSIO" run no-such-job.json
	assert_failure 2
	[[ $two == *"job file that cannot be opened"* ]] || fail "status 2 of EXIT STATUS does not name an unopenable job file: $two"
	[[ $one != *"job file"* ]] || fail "status 1 of EXIT STATUS names the job file: $one"
	# -o with stdout output: 2, and the -o item does not say "ignored".
	printf '{"lsio": 1, "output": {"type": "stdout"}, "chunks": []}\n' > stdout.json
	run "$LSIO" run stdout.json -o x.bin
	assert_failure 2
	[[ $two == *"-o with stdout or null output"* ]] || fail "status 2 of EXIT STATUS does not name -o with stdout output: $two"
	man_text "$MAN1" OPTIONS | grep -q 'is accepted and ignored' && fail "lsio.1 says an option is accepted and ignored"
	# A signal: 128+N.
	man_text "$MAN1" "EXIT STATUS" | grep -q -F '.BI 128+ N' || fail "no 128+N item in EXIT STATUS"
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
	# Remote sources add where their credentials come from.
	echo '{"lsio": 1, "output": {"type": "stdout"}, "chunks": [
		{"source": "s3://b/k", "offset": 0, "length": 8},
		{"source": "gs://b/k", "offset": 0, "length": 8}]}' > remote.json
	env -i PATH="$PATH" HOME="$PWD" AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s \
		GOOGLE_OAUTH_ACCESS_TOKEN=t "$LSIO" plan --json -v remote.json > remote-plan.json
	"$PY" -c 'import json, sys; c = json.load(open(sys.argv[1]))["credentials"]
assert c == {"s3": "environment", "gcs": "GOOGLE_OAUTH_ACCESS_TOKEN"}, c' remote-plan.json
	assert_keys_documented remote-plan.json "PLAN OUTPUT"
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
