#!/bin/bash
# grib.sh - issue 11's benchmark: `lsio grib` against the ways GRIB2 users
# pull fields out of forecast files today.
#
#   remote: a GFS-like file (0.25 deg, 1440 x 721, 300 messages of ~1.5 MB,
#           complex packing with spatial differencing, written by ecCodes)
#           with its NOAA-style .idx (from ecCodes' offsets), behind nginx at
#           20 ms per request.  Selecting 10%, 30% and 100% of the messages,
#           and one field from each of 49 such files (f000..f048, links to
#           the one file), by
#             lsio grib URL... --match RE -o out.grib2
#             a Herbie-style reference in Python: the .idx fetched, regex
#             over its lines, one ranged GET per run of consecutive
#             messages, 20 in flight (aiohttp, as Herbie's FastHerbie does
#             with threads), the parts written in order
#             curl --parallel --parallel-max 20 with the same ranges (the
#             .idx already read: curl is given the ranges)
#           Targets: lsio >= 3x the reference, >= 1x curl.
#   scan:   a local file of ~1.4 GB without an index (the file three times):
#           lsio grib --idx none --list against grib_ls (its default keys),
#           warm.  Target: >= 5x.
# Times are each process's whole wall time, medians of LSIO_BENCH_REPS.
# LSIO_BENCH_GRIB_CASES (an extended regex over the case names: "10%|49",
# "scan") runs some of the cases, to measure one change; default all.
#
#   tests/bench/grib.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init grib

NGINX_FIX=$BENCH_TOP/tests/fixtures/nginx
GEN=$BENCH_TOP/tests/fixtures/grib_gen.py
for tool in nginx curl grib_ls; do
	command -v "$tool" > /dev/null || { say "$tool is missing (make deps-bench)"; exit 2; }
done
"$PY" -c 'import aiohttp, eccodes' 2> /dev/null ||
	{ say "/usr/bin/python3 cannot import aiohttp and eccodes (make deps-bench)"; exit 2; }

D=$BENCH_DIR/grib
mkdir -p "$D/run"
if [ ! -e "$D/.done" ]; then
	say "writing $D/gfs.grib2 with ecCodes (300 messages, 1440 x 721)"
	"$PY" "$GEN" gfs "$D/gfs.grib2" 300 1440 721
	"$PY" "$GEN" idx "$D/gfs.grib2" > "$D/gfs.grib2.idx"
	for h in $(seq -f %03g 0 48); do
		ln -sf ../gfs.grib2 "$D/run/gfs.f$h"
		ln -sf ../gfs.grib2.idx "$D/run/gfs.f$h.idx"
	done
	cat "$D/gfs.grib2" "$D/gfs.grib2" "$D/gfs.grib2" > "$D/big.grib2"
	touch "$D/.done"
fi
trap '"$NGINX_FIX/stop.sh" "$WORK/nginx"; rm -rf "$WORK"' EXIT INT TERM
read -r PORT _ < <("$NGINX_FIX/start.sh" "$WORK/nginx" "$D")
URL=http://127.0.0.1:$PORT/latency

# The Herbie-style reference and the curl config of the same ranges.
cat > "$WORK/herbie.py" <<'PYEOF'
import asyncio, re, sys
import aiohttp

async def get(s, sem, url, a, b):
    async with sem:
        h = {"Range": "bytes=%d-%s" % (a, "" if b is None else b - 1)}
        async with s.get(url, headers=h) as r:
            assert r.status == 206, r.status
            return await r.read()

def runs(text, rx):
    """Herbie: regex over the .idx lines; one range per run of consecutive
    messages (the last one to the end of the object)."""
    lines = [l.split(":", 2) for l in text.splitlines() if l]
    offs = [int(l[1]) for l in lines]
    out = []
    for i, l in enumerate(lines):
        if not rx.search(":".join(l)):
            continue
        end = offs[i + 1] if i + 1 < len(offs) else None
        if out and out[-1][1] == offs[i]:
            out[-1][1] = end
        else:
            out.append([offs[i], end])
    return out

async def main(pattern, out, curlcfg, urls):
    rx = re.compile(pattern)
    sem = asyncio.Semaphore(20)
    async with aiohttp.ClientSession() as s:
        idx = await asyncio.gather(*(get(s, sem, u + ".idx", 0, None) for u in urls))
        plan = [(u, a, b) for u, t in zip(urls, idx) for a, b in runs(t.decode(), rx)]
        parts = await asyncio.gather(*(get(s, sem, u, a, b) for u, a, b in plan))
    with open(out, "wb") as f:
        for p in parts:
            f.write(p)
    if curlcfg:
        with open(curlcfg, "w") as f:
            for i, (u, a, b) in enumerate(plan):
                # "next": each URL its own range (options apply per
                # segment of the command line).
                f.write('%surl = "%s"\nrange = %d-%s\noutput = "%s.part%05d"\nsilent\nfail\n'
                        % ("next\n" if i else "", u, a, "" if b is None else b - 1, out, i))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
PYEOF

# time_of CMD...: seconds of the whole command.
time_of() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" > /dev/null 2> "$WORK/err" || { say "failed: $*"; cat "$WORK/err" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

curl_ranges() {
	curl --parallel --parallel-max 20 -s -f -K "$1" 2> "$WORK/curl.err" && cat "$2".part* > "$2" && rm -f "$2".part*
}

CASES=${LSIO_BENCH_GRIB_CASES:-.}
want_case() {
	grep -Eq -- "$CASES" <<< "$1"
}

# compare CASE RE URL...: lsio, the reference and curl, REPS times each,
# alternating; the outputs must be identical.
compare() {
	local c=$1 re=$2 r l h k n
	shift 2
	want_case "$c" || return 0
	"$PY" "$WORK/herbie.py" "$re" "$WORK/curl.grib2" "$WORK/curl.cfg" "$@"
	n=$(grep -c '^url' "$WORK/curl.cfg")
	: > "$WORK/l" ; : > "$WORK/h" ; : > "$WORK/k"
	for ((r = 0; r < REPS; r++)); do
		quiet_wait
		time_of "$LSIO" grib "$@" --match "$re" -o "$WORK/lsio.grib2" -q >> "$WORK/l"
		time_of "$PY" "$WORK/herbie.py" "$re" "$WORK/herbie.grib2" "" "$@" >> "$WORK/h"
		time_of curl_ranges "$WORK/curl.cfg" "$WORK/curl.grib2" >> "$WORK/k"
	done
	cmp "$WORK/lsio.grib2" "$WORK/herbie.grib2" && cmp "$WORK/lsio.grib2" "$WORK/curl.grib2" ||
		{ say "$c: outputs differ"; exit 1; }
	l=$(median < "$WORK/l") h=$(median < "$WORK/h") k=$(median < "$WORK/k")
	local mb
	mb=$(stat -c %s "$WORK/lsio.grib2" | awk '{ printf "%.0f", $1 / 1e6 }')
	ROWS+=("| $(date +%F) | $c ($mb MB, $n runs of messages) | $l s | Herbie-style (aiohttp, 20 in flight) | $h s | $(awk -v a="$l" -v b="$h" 'BEGIN { printf "%.2f", b / a }') | ≥ 3 | $(awk -v a="$l" -v b="$h" 'BEGIN { print (b / a >= 3 ? "**met**" : "**MISSED**") }') |")
	ROWS+=("| $(date +%F) | $c | $l s | curl --parallel-max 20, same ranges | $k s | $(awk -v a="$l" -v b="$k" 'BEGIN { printf "%.2f", b / a }') | ≥ 1 | $(awk -v a="$l" -v b="$k" 'BEGIN { print (b / a >= 1 ? "**met**" : "**MISSED**") }') |")
	note "$c, every run (s), lsio / reference / curl: $(tr '\n' ' ' < "$WORK/l")/ $(tr '\n' ' ' < "$WORK/h")/ $(tr '\n' ' ' < "$WORK/k")"
}

TABLE_HEAD="| date | case | lsio (median) | peer | peer (median) | peer time / lsio time | target | |"
# 10%: u and v at 15 of the 50 levels (pairs adjacent); 30%: u and v at
# every level; 100%: everything.
L15=$(seq 100000 -2000 72000 | awk '{ printf "%s%d", (NR > 1 ? "|" : ""), $1 / 100 }')
compare "10% of 300 messages" ":(u|v):($L15) isobaricInhPa:" "$URL/gfs.grib2"
compare "30% of 300 messages" ":(u|v):" "$URL/gfs.grib2"
compare "100% of 300 messages" "." "$URL/gfs.grib2"
mapfile -t RUN < <(for h in $(seq -f %03g 0 48); do echo "$URL/run/gfs.f$h"; done)
compare "one field of each of 49 files" ":t:500 isobaricInhPa:" "${RUN[@]}"

# The scan, warm.
want_case "local scan" || { results_write "GRIB2 extraction over HTTP at 20 ms per request (issue 11; cases: $CASES)"; exit 0; }
cat "$D/big.grib2" > /dev/null
: > "$WORK/l" ; : > "$WORK/g"
for ((r = 0; r < REPS; r++)); do
	quiet_wait
	time_of "$LSIO" grib "$D/big.grib2" --idx none --list >> "$WORK/l"
	time_of grib_ls "$D/big.grib2" >> "$WORK/g"
done
l=$(median < "$WORK/l") g=$(median < "$WORK/g")
ROWS+=("| $(date +%F) | local scan, $(stat -c %s "$D/big.grib2" | awk '{ printf "%.2f", $1 / 1e9 }') GB, 900 messages, warm | $l s | grib_ls (default keys) | $g s | $(awk -v a="$l" -v b="$g" 'BEGIN { printf "%.1f", b / a }') | ≥ 5 | $(awk -v a="$l" -v b="$g" 'BEGIN { print (b / a >= 5 ? "**met**" : "**MISSED**") }') |")
note "scan, every run (s), lsio / grib_ls: $(tr '\n' ' ' < "$WORK/l")/ $(tr '\n' ' ' < "$WORK/g")"
note "commands: \`lsio grib URL... --match RE -o out.grib2 -q\`; \`python3 herbie.py RE out URL...\` (written by this script: aiohttp, the .idx of each URL, one GET per run of consecutive messages, 20 in flight); \`curl --parallel --parallel-max 20 -K ranges\` then the parts concatenated; \`lsio grib big.grib2 --idx none --list\`; \`grib_ls big.grib2\`. nginx's /latency/ location adds 20 ms to every request."
results_write "GRIB2 extraction over HTTP at 20 ms per request, and the local scan (issue 11)"
