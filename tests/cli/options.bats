#!/usr/bin/env bats
# options.bats - the tuning options are one table, the library's: every
# option lsio_option_info() lists is a flag of every command that takes
# tuning, with the table's metavar and help in its --help, a key of
# lsio-job(5)'s STORAGE and an item of lsio(1)'s tuning options; and a bad
# value says the same after "lsio run: --FLAG: " as after a job's
# "storage.KEY: ".  The table is read from liblsio itself, by a program
# built against the build under test, not from the tool's --help.

bats_require_minimum_version 1.5.0
load helpers
load man_helpers

MAN1=$LSIO_TOP/man/lsio.1
MAN5=$LSIO_TOP/man/lsio-job.5

# The library's table, a tab-separated line per option: key, flag,
# metavar, help; into table.tsv.
library_table() {
	cat > table.c <<'EOF'
#include <lsio.h>
#include <stdio.h>

int main(void)
{
	const struct lsio_option_info *in;

	for (size_t i = 0; (in = lsio_option_info(i)); i++)
		printf("%s\t%s\t%s\t%s\n", in->key, in->flag, in->metavar,
		       in->help);
	return 0;
}
EOF
	cc_liblsio table.c table 2> cc.log || fail "table.c: $(cat cc.log)"
	./table > table.tsv || fail "the table program failed"
	[ "$(wc -l < table.tsv)" -ge 9 ] || fail "only $(wc -l < table.tsv) options: $(cat table.tsv)"
}

# help_entry CMD FLAG: the --help item of --FLAG, its wrapped lines joined
# by one space: "--FLAG METAVAR HELP".
help_entry() {
	"$LSIO" "$1" --help | awk -v flag="--$2" '
		item && /^                       [^ ]/ { sub(/^ +/, ""); line = line " " $0; next }
		item { exit }
		$1 == flag { item = 1; line = $0; sub(/^ +/, "", line) }
		END { gsub(/  +/, " ", line); print line }'
}

@test "options: every option of the library is in each command's --help, with its metavar and help" {
	library_table
	local cmd key flag metavar help got bad=()
	for cmd in run plan zarr grib bench; do
		while IFS=$'\t' read -r key flag metavar help; do
			got=$(help_entry "$cmd" "$flag")
			[ "$got" = "--$flag $metavar $help" ] ||
				bad+=("$cmd --$flag: '$got', the library says '--$flag $metavar $help'")
		done < table.tsv
	done
	[ "${#bad[@]}" -eq 0 ] || fail "$(printf '%s\n' "${bad[@]}")"
	# And the commands take no tuning flag the library does not have.
	run -0 lsio run --help
	[ "$(sed -n '/^  --workers /,/^  --no-sign-request /p' <<< "$output" | grep -c '^  --')" -eq "$(($(wc -l < table.tsv) + 1))" ] ||
		fail "run --help: the tuning block is not the library's $(wc -l < table.tsv) options: $output"
}

@test "options: every option of the library is a key of lsio-job(5) and an item of lsio(1)" {
	library_table
	local key flag metavar help missing=()
	man_text "$MAN5" STORAGE > storage.txt
	man_text "$MAN1" OPTIONS | sed -n '/^\.SS "Tuning options/,/^\.SS /p' > tuning.txt
	[ -s storage.txt ] && [ -s tuning.txt ] || fail "no STORAGE in lsio-job.5 or no tuning options in lsio.1"
	while IFS=$'\t' read -r key flag metavar help; do
		# "s3.request_payer" is request_payer under s3.
		grep -q -E "^\.BR \"${key##*.} \" \"?\(" storage.txt || missing+=("lsio-job.5: $key")
		grep -A1 '^\.TP' tuning.txt | grep -q -E "^\.B[IR] --$flag( |$)" || missing+=("lsio.1: --$flag")
	done < table.tsv
	[ "${#missing[@]}" -eq 0 ] || fail "not documented: ${missing[*]}"
}

# A bad value for each option: the job's storage value is a JSON integer
# where the text is one, else a string.
BAD=(
	"workers 0" "workers 1025" "queue_depth 4097" "memory 1x"
	"memory 1024" "memory off" "direct aut" "direct maybe"
	"coalesce_gap lots" "max_request 100" "split 1ZB" "part_size off"
	"part_size 0" "backend pred" "backend tape" "s3.request_payer owner"
)

@test "options: a bad value says the same on the command line and in a job's storage" {
	library_table
	local key flag metavar help value json cli job n=0 unlike=() untried=()
	for b in "${BAD[@]}"; do
		key=${b%% *} value=${b#* }
		flag=${key##*.} flag=${flag//_/-}
		[[ $value =~ ^-?[0-9]+$ ]] && json=$value || json="\"$value\""
		# "s3.KEY": KEY of storage.s3.
		[[ $key != *.* ]] || json="{\"${key#*.}\": $json}"
		printf '{"lsio": 1, "storage": {"%s": %s}, "output": {"type": "null"}, "chunks": []}\n' \
			"${key%%.*}" "$json" > job.json
		run --separate-stderr lsio run job.json
		assert_failure 2
		job=${stderr#"lsio: job.json: storage.$key: "}
		[ "$job" != "$stderr" ] || fail "$key $value: the job says '$stderr'"
		printf '{"lsio": 1, "output": {"type": "null"}, "chunks": []}\n' > ok.json
		run --separate-stderr lsio run ok.json "--$flag" "$value"
		assert_failure 2
		[[ $stderr == *$'\n'"Try 'lsio run --help' for more information." ]] ||
			fail "--$flag $value: no hint: $stderr"
		cli=${stderr%%$'\n'*}
		cli=${cli#"lsio run: --$flag: "}
		[ "$cli" = "$job" ] || unlike+=("--$flag $value: '$cli', the job: '$job'")
		n=$((n + 1))
	done
	[ "${#unlike[@]}" -eq 0 ] || fail "$(printf '%s\n' "${unlike[@]}")"
	# Every option of the table has a bad value above.
	while IFS=$'\t' read -r key flag metavar help; do
		printf '%s\n' "${BAD[@]}" | grep -q "^$key " || untried+=("$key")
	done < table.tsv
	[ "${#untried[@]}" -eq 0 ] || fail "no bad value tried for: ${untried[*]}"
	[ "$n" -ge 9 ] || fail "only $n values tried"
}

@test "options: a good value on the command line is the job's: the same plan" {
	local args=(--workers 3 --queue-depth 7 --memory 8MiB --direct off
		    --coalesce-gap 1MiB --max-request 64KiB --split 32KiB
		    --part-size 16KiB --backend pread)
	head -c 300000 /dev/urandom > src.bin
	printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [%s]}\n' \
		'{"source": "src.bin", "offset": 0, "length": 100000}, {"source": "src.bin", "offset": 120000, "length": 100000}' > cli.json
	sed 's/"output"/"storage": {"workers": 3, "queue_depth": 7, "memory": "8MiB", "direct": "off", "coalesce_gap": "1MiB", "max_request": "64KiB", "split": "32KiB", "part_size": "16KiB", "backend": "pread"}, "output"/' \
		cli.json > job.json
	LSIO_PROBE_LATENCY_US=100 lsio plan --json -v cli.json "${args[@]}" > cli.plan
	LSIO_PROBE_LATENCY_US=100 lsio plan --json -v job.json > job.plan
	diff cli.plan job.plan || fail "the plans differ"
	# And they are not the defaults: the options took effect.
	LSIO_PROBE_LATENCY_US=100 lsio plan --json -v cli.json > default.plan
	! cmp -s cli.plan default.plan || fail "the options changed nothing in the plan"
	run -0 "$PY" - cli.plan <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
s = p["classes"][0]["settings"]
got = (p["workers"], p["memory_bytes"], p["backend"], p["direct"],
       s["queue_depth"], s["coalesce_gap"], s["max_request"], s["split"],
       s["part_size"])
want = (3, 8 << 20, "pread", "off", 7, 1 << 20, 64 << 10, 32 << 10, 16 << 10)
sys.exit(0 if got == want else "plan: %s, expected %s" % (got, want))
EOF
}
