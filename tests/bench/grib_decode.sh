#!/bin/bash
# grib_decode.sh - GRIB2 decode speed per core, per template: lsio's grib2
# stage against ecCodes' codes_get_values (python3-eccodes, one process,
# a loop over the same message), on 1440 x 721 fields written by ecCodes
# (simple, complex, complex + spatial differencing order 0, IEEE 32,
# JPEG 2000, PNG, CCSDS) and GDAL (spatial differencing order 2).
# Throughput = float32 output bytes (4 x points x messages) / wall time.
# lsio, two ways: (1) `lsio run JOB --workers 1` on a job of N copies of
# the message with null output (decoded as <f4, kept nowhere), the whole
# process timed, start-up included; (2) the stage alone: a job of 10 N
# copies less the same job without the stage (start-up, planning and
# reading the copies), both timed, the difference divided among the
# decodes.  ecCodes: the loop alone, after import.  Runs alternate, REPS
# each, medians; the section is appended to RESULTS.md.  Not part of
# make check.
#
#   tests/bench/grib_decode.sh [LSIO]    (LSIO_BENCH_REPS, default 5)
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
LSIO=${1:-${LSIO:-$top/build/lsio}}
REPS=${LSIO_BENCH_REPS:-5}
RESULTS=${LSIO_BENCH_RESULTS:-$top/tests/bench/RESULTS.md}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cp "$LSIO" "$work/lsio"	# others may rebuild the tree meanwhile
built=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

"$PY" "$top/tests/fixtures/grib2_gen.py" "$work/g" --big > "$work/gen.log" 2>&1 ||
	{ cat "$work/gen.log" >&2; exit 1; }

# copies NAME: how many decodes make a run of about a second or more.
copies() {
	case $1 in
	*jpeg*) echo 6 ;;
	*) echo 40 ;;
	esac
}

# job NAME N [bare]: N copies of the message, null output, one worker;
# "bare": without the stage (what the run costs besides decoding).
job() {
	"$PY" - "$work/g/$1.f4.json" "$2" "${3:-}" <<-'EOF'
	import json, sys
	j = json.load(open(sys.argv[1]))
	c = j["chunks"][0]
	c.pop("place")
	if sys.argv[3]:
	    c["stages"] = []
	print(json.dumps({"lsio": 1, "output": {"type": "null"},
	                  "chunks": [c] * int(sys.argv[2])}))
	EOF
}

# secs JOB: one timed run's wall time in seconds.
secs() {
	local t0 t1
	t0=$(date +%s%N)
	"$work/lsio" run "$1" --workers 1 -q
	t1=$(date +%s%N)
	echo "$t0 $t1" | awk '{ printf "%.6f", ($2 - $1) / 1e9 }'
}

# lsio_mbs NAME N POINTS: one timed run, MB/s of float32 output.
lsio_mbs() {
	secs "$work/$1.job" | awk -v n="$2" -v p="$3" '{ printf "%.1f", n * p * 4 / $1 / 1e6 }'
}

# stage_mbs NAME N POINTS: the stage alone over 10 N decodes, MB/s.
stage_mbs() {
	local t b
	t=$(secs "$work/$1.big.job")
	b=$(secs "$work/$1.bare.job")
	echo "$t $b" | awk -v n="$2" -v p="$3" '{ printf "%.1f", 10 * n * p * 4 / ($1 - $2) / 1e6 }'
}

# eccodes_mbs NAME N: the same decodes by codes_get_values in a loop.
eccodes_mbs() {
	"$PY" - "$work/g/$1.grib2" "$2" <<-'EOF'
	import sys, time, eccodes as ec
	msg = open(sys.argv[1], "rb").read()
	n = int(sys.argv[2])
	t0 = time.perf_counter()
	for _ in range(n):
	    h = ec.codes_new_from_message(msg)
	    v = ec.codes_get_values(h)
	    ec.codes_release(h)
	dt = time.perf_counter() - t0
	print("%.1f" % (n * v.size * 4 / dt / 1e6))
	EOF
}

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

rows=
for name in $(cut -d'|' -f1 "$work/g/cases.txt"); do
	n=$(copies "$name")
	pts=$(sed -n "s/^$name|[^|]*|//p" "$work/g/cases.txt" | tr x '*' | bc)
	tmpl=$(sed -n "s/^$name|\([^|]*\)|.*/\1/p" "$work/g/cases.txt")
	job "$name" "$n" > "$work/$name.job"
	job "$name" $((10 * n)) > "$work/$name.big.job"
	job "$name" $((10 * n)) bare > "$work/$name.bare.job"
	"$work/lsio" run "$work/$name.big.job" --workers 1 -q	# warm the cache
	l= s= e=
	for r in $(seq "$REPS"); do
		if [ $((r % 2)) -eq 1 ]; then
			l+=" $(lsio_mbs "$name" "$n" "$pts")"
			s+=" $(stage_mbs "$name" "$n" "$pts")"
			e+=" $(eccodes_mbs "$name" "$n")"
		else
			e+=" $(eccodes_mbs "$name" "$n")"
			s+=" $(stage_mbs "$name" "$n" "$pts")"
			l+=" $(lsio_mbs "$name" "$n" "$pts")"
		fi
	done
	lm=$(echo "$l" | median) sm=$(echo "$s" | median) em=$(echo "$e" | median)
	ratio=$(echo "$lm $em" | awk '{ printf "%.2f", $1 / $2 }')
	sratio=$(echo "$sm $em" | awk '{ printf "%.2f", $1 / $2 }')
	rows+="| 5.$tmpl | ${name#big_} | $lm | $sm | $em | ${ratio}x | ${sratio}x | $l; $s; $e |"$'\n'
	echo "5.$tmpl ${name#big_}: lsio $lm MB/s (stage alone $sm), ecCodes $em MB/s (${ratio}x, ${sratio}x)" >&2
done

section=$(cat <<-EOF

## $(date +%Y-%m-%d) GRIB2 decode per core: lsio grib2 stage vs ecCodes (issue 12)

Machine: $(nproc) cores, $(uname -r); lsio $built. 1440 x 721 fields; MB/s of
float32 output, one core, medians of $REPS alternating runs.

| template | case | lsio MB/s (whole process) | lsio MB/s (stage alone) | ecCodes MB/s | ratio (whole) | ratio (stage) | runs (lsio; stage; ecCodes) |
|---|---|---|---|---|---|---|---|
${rows%$'\n'}

Command: \`tests/bench/grib_decode.sh\` (LSIO_BENCH_REPS=$REPS). lsio: \`lsio run JOB
--workers 1 -q\`, JOB = N copies of the message (N = 40, 6 for JPEG 2000), null
output, the whole process timed; the stage alone: the same with 10 N copies,
less the time of that job without the stage (\`"stages": []\`: start-up,
planning, reading), over the 10 N decodes; ecCodes: \`codes_new_from_message\` +
\`codes_get_values\` + \`codes_release\` N times in /usr/bin/python3 (ecCodes
2.28), the loop timed. Messages written by ecCodes (order 0 for
spatial differencing) and GDAL (sd2: order 2, 16 bits).
Load average at the start: $load0, at the end: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
)
if [ "$RESULTS" = - ]; then
	echo "$section"
else
	echo "$section" >> "$RESULTS"
fi
