#!/bin/bash
# remote.sh - remote reads over HTTP from a local nginx that adds 20 ms to
# every request (echo_sleep: an object store's time to first byte), issue 5.
#
#   ranges: 2,000 ranges of 64 KiB (distinct, 64 KiB-aligned, random) from
#           20 files of 64 MiB: lsio run (null output) with coalescing off
#           (one GET per range, like the peers; at the remote class's
#           depth of 64 per worker, and at 128) and with its defaults
#           (neighbours merged), against /usr/bin/python3 fsspec
#           HTTPFileSystem.cat_ranges (target: lsio >= 3x) and
#           curl --parallel --parallel-max 64 (target: lsio >= 1x).
#   large:  one 1 GiB object served at 100 MB/s per connection (as S3
#           serves one stream) after 20 ms: lsio's split into 8 MiB parts
#           read in parallel, against lsio --split off and curl, each one
#           GET (target: split >= 1x).
#
# Throughput is bytes / the process's whole wall time ("e2e") for every
# tool, start-up and planning included; peak RSS (GNU time's %M) of each.
# nginx serves copies of the files in /dev/shm (when it has room), so the
# network path is what is measured: a cold benchmark elsewhere dropping
# the page cache would otherwise put a disk under some runs.  The same
# sizes at every scale.
#
#   tests/bench/remote.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init remote

NGINX_FIX=$BENCH_TOP/tests/fixtures/nginx
for tool in nginx curl /usr/bin/time; do
	command -v "$tool" >/dev/null || { say "$tool is missing (make deps-bench)"; exit 2; }
done
"$PY" -c 'import fsspec, aiohttp' 2>/dev/null ||
	{ say "/usr/bin/python3 cannot import fsspec and aiohttp (make deps-bench)"; exit 2; }

SHM=
trap '"$NGINX_FIX/stop.sh" "$WORK/nginx"; rm -rf "$WORK" ${SHM:+"$SHM"}' EXIT INT TERM
mapfile -t FILES < <(bench_data remote 20 64MiB)
mapfile -t BIG < <(bench_data remote-large 1 1GiB)
ROOT=$BENCH_DIR
need=$(du -sk "$BENCH_DIR/remote" "$BENCH_DIR/remote-large" | awk '{ s += $1 } END { print s }')
if [ "$(df -k --output=avail /dev/shm 2>/dev/null | tail -n 1)" -gt $((need + 1048576)) ] 2>/dev/null; then
	SHM=$(mktemp -d /dev/shm/lsio-remote-bench.XXXXXX)
	cp -r "$BENCH_DIR/remote" "$BENCH_DIR/remote-large" "$SHM/"
	ROOT=$SHM
	SERVED="copies in /dev/shm"
else
	say "warning: /dev/shm has no room for the data: nginx serves it from $BENCH_DIR"
	SERVED="\$LSIO_BENCH_DIR (no room in /dev/shm)"
fi
read -r PORT TLS_PORT _ < <("$NGINX_FIX/start.sh" "$WORK/nginx" "$ROOT")
export CURL_CA_BUNDLE=$WORK/nginx/cert.pem	# nginx's own certificate
# What lsio runs measure of the host (the remote gap's latency) stays here.
export XDG_CACHE_HOME=$WORK/cache
BASE=http://127.0.0.1:$PORT
say "nginx on port $PORT serving $ROOT"

# The ranges, as an lsio job (both ways), an fsspec list and a curl config.
"$PY" - "$BENCH_DIR" "$BASE" "$WORK" "${FILES[@]}" "$TLS_PORT" <<'EOF'
import json, os, random, sys
top, base, work, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:-1]
r = random.Random(42)
K = 65536
ranges = []
for f in files:
    url = base + "/latency/" + os.path.relpath(f, top)
    slots = r.sample(range(os.path.getsize(f) // K), 100)
    ranges += [(url, s * K) for s in slots]
r.shuffle(ranges)
chunks = [{"source": u, "offset": o, "length": K} for u, o in ranges]
job = {"lsio": 1, "output": {"type": "null"}, "chunks": chunks}
json.dump(job, open(work + "/job.json", "w"))
job["storage"] = {"coalesce_gap": "off"}
json.dump(job, open(work + "/job-nogap.json", "w"))
json.dump([[u, o, o + K] for u, o in ranges], open(work + "/ranges.json", "w"))
# The same over TLS, where the server offers HTTP/2, and kept to HTTP/1.1.
tls = base.replace("http://127.0.0.1:", "https://localhost:").rsplit(":", 1)[0] + ":" + sys.argv[-1]
for name, version in (("h2", "auto"), ("h11", "1.1")):
    job["chunks"] = [dict(c, source=c["source"].replace(base, tls)) for c in chunks]
    job["storage"] = {"coalesce_gap": "off", "http": {"version": version}}
    json.dump(job, open(work + "/job-%s.json" % name, "w"))
with open(work + "/curl.cfg", "w") as c:
    for i, (u, o) in enumerate(ranges):
        c.write('%surl = "%s"\nrange = "%d-%d"\noutput = "/dev/null"\n'
                % ("next\n" if i else "", u, o, o + K - 1))
EOF
"$PY" - "$BIG" "$BASE/objstore/$(realpath --relative-to="$BENCH_DIR" "${BIG[0]}")" "$WORK" <<'EOF'
import json, os, sys
path, url, work = sys.argv[1:]
n = os.path.getsize(path)
job = {"lsio": 1, "output": {"type": "null"}, "chunks": [{"source": url, "offset": 0, "length": n}]}
json.dump(job, open(work + "/big.json", "w"))
job["storage"] = {"split": "off"}
json.dump(job, open(work + "/big-single.json", "w"))
open(work + "/big.url", "w").write(url)
EOF

# The peers print what `lsio run --stats=json` prints, over their own
# wall time, so the harness reads all alike.
cat > "$WORK/fsspec_cat.py" <<'EOF'
import json, sys, time
import fsspec
ranges = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
fs = fsspec.filesystem("http")
out = fs.cat_ranges([u for u, s, e in ranges], [s for u, s, e in ranges],
                    [e for u, s, e in ranges])
wall = time.perf_counter() - t0
n = sum(len(b) for b in out)
if n != sum(e - s for u, s, e in ranges):
    sys.exit("fsspec returned %d bytes" % n)
print(json.dumps({"throughput_bytes_per_second": n / wall,
                  "chunks_per_second": len(out) / wall,
                  "bytes_requested": n, "chunks": len(out)}))
EOF
cat > "$WORK/curl_timed.sh" <<'EOF'
#!/bin/bash
# curl_timed.sh BYTES CHUNKS CURL_ARGS...: run curl, print its rate.
bytes=$1 chunks=$2
shift 2
t0=$(date +%s.%N)
curl -s -f "$@" || exit 1
awk -v t0="$t0" -v t1="$(date +%s.%N)" -v b="$bytes" -v c="$chunks" 'BEGIN {
	w = t1 - t0
	printf "{\"throughput_bytes_per_second\": %f, \"chunks_per_second\": %f, \"bytes_requested\": %d, \"chunks\": %d}\n", b / w, c / w, b, c }'
EOF
chmod +x "$WORK/curl_timed.sh"

# rss_variant NAME KIND LABEL CMD...: a variant whose peak RSS (KiB) goes
# to NAME.rss, one line per run.
rss_variant() {
	local name=$1 kind=$2 label=$3
	shift 3
	variant "$name" "$kind" "$label" /usr/bin/time -f %M -a -o "$WORK/$name.rss" "$@"
}

rss_note() {
	local name s=""
	for name in "$@"; do
		s+="$name $("$PY" -c 'import statistics, sys
v = [int(l) for l in open(sys.argv[1]) if l.strip().isdigit()]
print("%.0f MiB" % (statistics.median(v) / 1024))' "$WORK/$name.rss"); "
	done
	note "peak RSS (median of the runs, GNU time %M): ${s%; }"
}

NBYTES=$((2000 * 65536))
shorthand "/usr/bin/time -f %M -a -o" "time -o"
rss_variant lsio_nogap lsio "lsio run, coalescing off" \
	"$LSIO" run "$WORK/job-nogap.json" -q --stats=json
rss_variant lsio_qd128 lsio "lsio run, coalescing off, --queue-depth 128" \
	"$LSIO" run "$WORK/job-nogap.json" -q --stats=json --queue-depth 128
rss_variant lsio lsio "lsio run (defaults)" \
	"$LSIO" run "$WORK/job.json" -q --stats=json
rss_variant fsspec lsio "fsspec HTTPFileSystem.cat_ranges" \
	"$PY" "$WORK/fsspec_cat.py" "$WORK/ranges.json"
rss_variant curl lsio "curl --parallel --parallel-max 64" \
	"$WORK/curl_timed.sh" "$NBYTES" 2000 --parallel --parallel-max 64 -K "$WORK/curl.cfg"
say "ranges: 2,000 x 64 KiB over 20 ms, $REPS rounds"
# A user's second run: the first measured the host's latency.
"$LSIO" run "$WORK/job-nogap.json" -q
HOST_LINE=$(cat "$XDG_CACHE_HOME/lsio/hosts")
alternate warm
row "2,000 x 64 KiB, +20 ms" lsio_nogap fsspec 4 3
row "2,000 x 64 KiB, +20 ms" lsio_nogap curl 4 1
row "2,000 x 64 KiB, +20 ms" lsio_qd128 fsspec 4 3
row "2,000 x 64 KiB, +20 ms" lsio_qd128 curl 4 1
row "2,000 x 64 KiB, +20 ms" lsio fsspec 4 3
row "2,000 x 64 KiB, +20 ms" lsio curl 4 1
runs_note 4 lsio_nogap lsio_qd128 lsio fsspec curl
read -r AMP NREQ GAP < <("$PY" - "$WORK/lsio.last.json" "$WORK/job.json" "$LSIO" <<'EOF'
import json, subprocess, sys
st = json.loads(open(sys.argv[1]).read())
plan = json.loads(subprocess.run([sys.argv[3], "plan", "--json", sys.argv[2]],
                                 capture_output=True, text=True, check=True).stdout)
gap = [c for c in plan["classes"] if c["class"] == "remote"][0]["settings"]["coalesce_gap"]
print("%.3f %d %d" % (st["bytes_read"] / st["bytes_requested"], st["requests"], gap))
EOF
)
note "lsio (defaults): read amplification $AMP (bytes read / bytes wanted; target <= 1.3: $(awk -v a="$AMP" 'BEGIN { print (a <= 1.3 ? "**met**" : "**MISSED**") }')), $NREQ requests for 2,000 ranges, coalesce gap $((GAP / 1024)) KiB = 1 GiB/s x the host's first-byte latency / requests in flight; the host cache after the warm-up run: \`$HOST_LINE\` (host, microseconds, time)"
rss_note lsio_nogap lsio_qd128 lsio fsspec curl
commands_note lsio_nogap lsio_qd128 lsio fsspec curl
note "ranges: 100 distinct 64 KiB-aligned 64 KiB ranges (random.Random(42)) of each of 20 files of 64 MiB (\$LSIO_BENCH_DIR/remote), shuffled, served from $SERVED through nginx's /latency/ location (echo_sleep 0.02); lsio's defaults merge ranges closer than the remote gap, derived from the host's latency measured by an earlier run (one warm-up run before the rounds)"

variants_clear
rss_variant lsio_h2 lsio "lsio run over https, HTTP/2 (one connection per worker, streams multiplexed)" \
	"$LSIO" run "$WORK/job-h2.json" -q --stats=json
rss_variant lsio_h11 lsio "lsio run over https, storage.http.version 1.1 (a connection per request in flight)" \
	"$LSIO" run "$WORK/job-h11.json" -q --stats=json
say "https: HTTP/2 against HTTP/1.1, $REPS rounds"
alternate warm
row "2,000 x 64 KiB over https, +20 ms, coalescing off" lsio_h2 lsio_h11 4 1
runs_note 4 lsio_h2 lsio_h11
rss_note lsio_h2 lsio_h11
commands_note lsio_h2 lsio_h11
note "https: the same ranges through nginx's TLS port (\`listen ssl http2\`); the default (auto) negotiates HTTP/2 by ALPN and multiplexes, \`storage.http.version: 1.1\` opens a connection per request in flight (128 per worker); the faster is the default"

variants_clear
BIGN=$(stat -c %s "${BIG[0]}")
rss_variant lsio_split lsio "lsio run (split into 8 MiB parts)" \
	"$LSIO" run "$WORK/big.json" -q --stats=json
rss_variant lsio_single lsio "lsio run --split off (one GET)" \
	"$LSIO" run "$WORK/big-single.json" -q --stats=json
rss_variant curl_single lsio "curl (one GET)" \
	"$WORK/curl_timed.sh" "$BIGN" 1 -o /dev/null "$(cat "$WORK/big.url")"
say "large: one 1 GiB object at 100 MB/s per connection, $REPS rounds"
alternate warm
row "1 GiB object, 100 MB/s per connection" lsio_split lsio_single 4 1
row "1 GiB object, 100 MB/s per connection" lsio_split curl_single 4 1
runs_note 4 lsio_split lsio_single curl_single
rss_note lsio_split lsio_single curl_single
commands_note lsio_split lsio_single curl_single
note "GiB/s e2e: bytes / the process's whole wall time (start-up, planning, and for fsspec the import, included); the 1 GiB object is one chunk, so lsio holds it in one buffer (its RSS)"
results_write "HTTP ranges with 20 ms latency, and a 1 GiB object (issues 5, 13)"
