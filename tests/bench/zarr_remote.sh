#!/bin/bash
# zarr_remote.sh - issue 13's benchmark: Zarr v2 arrays written by
# zarr-python 2.13 (zstd, and blosc lz4 + shuffle), served by the project's
# nginx at 20 ms per request (its /latency/ location: an object store's
# time to first byte), read by `lsio zarr` and by zarr-python through
# fsspec's HTTP store (FSStore), the two alternating, medians of
# LSIO_BENCH_REPS runs: the whole array, a 10% slab of the first axis, and
# the time series at one point.
#
# Targets (issue 13): lsio's requests <= zarr-python's in every case; the
# whole array and the slab >= 4x zarr-python.
#
# Both sides are timed from the metadata on: lsio's whole process (start-up,
# metadata, the job, the run, the .npy renamed); zarr-python's `zarr.open`
# (its .zarray round trip), `z[sel]` and `np.save`, after `import zarr`
# (Python's start-up not counted against it).
# Requests and bytes per read come from nginx's log, in one extra run of
# each outside the timed rounds.
#
# The array is 256 x 512 x 512 float32 (256 MiB) in chunks of 2 x 128 x 128
# (128 KiB raw; 2,048 chunks), a smooth field plus noise, about half of it
# after zstd; 64 chunks of it are never written (fill value), as a real
# store's gaps.
#
#   tests/bench/zarr_remote.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init zarr_remote

NGINX_FIX=$BENCH_TOP/tests/fixtures/nginx
"$PY" -c 'import zarr, numcodecs, fsspec, aiohttp' 2>/dev/null ||
	{ say "/usr/bin/python3 cannot import zarr, fsspec and aiohttp (make deps-bench)"; exit 2; }
command -v nginx >/dev/null || { say "nginx is missing (make deps)"; exit 2; }

STORES=$BENCH_DIR/zarr-remote
trap '"$NGINX_FIX/stop.sh" "$WORK/nginx"' EXIT INT TERM

# make_store COMPRESSOR: write (or reuse) the array with zarr-python.
make_store() {
	local dir=$STORES/$1.zarr
	if [ ! -e "$dir/.done" ]; then
		say "writing $dir with zarr-python"
		rm -rf "$dir"
		"$PY" - "$dir" "$1" <<'EOF' >&2
import os, sys, numpy as np, numcodecs, zarr
path, comp = sys.argv[1], sys.argv[2]
c = numcodecs.Zstd(1) if comp == "zstd" else numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE)
z = zarr.open(path, mode="w", shape=(256, 512, 512), chunks=(2, 128, 128),
              dtype="<f4", compressor=c, fill_value=-9999.0)
y, x = np.mgrid[0:512, 0:512] / 512.0
rng = np.random.default_rng(13)
for t0 in range(0, 256, 32):
    k = np.arange(t0, t0 + 32)[:, None, None]
    f = 280 + 15 * np.sin(6.3 * x + k / 50.0) * np.cos(3.1 * y)
    f += rng.normal(0, 0.3, f.shape)
    z[t0:t0 + 32] = np.round(f, 2).astype("<f4")
# A real store's gaps: chunks never written read as the fill value.
r = np.random.default_rng(7)
for i in r.choice(2048, 64, replace=False):
    t, rest = divmod(int(i), 16)
    os.remove(os.path.join(path, "%d.%d.%d" % (t, rest // 4, rest % 4)))
EOF
		touch "$dir/.done"
	fi
}

for comp in zstd blosc; do make_store $comp; done
read -r PORT _ < <("$NGINX_FIX/start.sh" "$WORK/nginx" "$STORES")
BASE=http://127.0.0.1:$PORT/latency
export XDG_CACHE_HOME=$WORK/cache	# what lsio measures of the host
say "nginx on port $PORT serving $STORES at 20 ms per request"

# The runners print "SECONDS BYTES" for one read.
lsio_once() {
	local out=$WORK/lsio.npy t0 t1
	t0=$(date +%s.%N)
	"$LSIO" zarr "$1" --select "$2" -o "$out" -q || return 1
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(stat -c %s "$out")"
	rm -f "$out"
}

py_once() {
	"$PY" - "$1" "$2" "$WORK/py.npy" <<'EOF'
import os, sys, time, numpy as np, zarr
url, sel, out = sys.argv[1:4]
t0 = time.perf_counter()
z = zarr.open(zarr.storage.FSStore(url, mode="r"), mode="r")
a = eval("z[%s]" % sel)
np.save(out, a)
t1 = time.perf_counter()
print(t1 - t0, os.path.getsize(out))
os.remove(out)
EOF
}

zrun() {
	local name=$1 s b
	read -r s b < <(eval "${V_CMD[$name]}") && [ -n "$b" ] ||
		{ say "$name failed: ${V_SHOW[$name]}"; exit 1; }
	awk -v s="$s" -v b="$b" 'BEGIN { g = b / s / 2^30; printf "%.6f 0 %d %.6f %.6f\n", g, b, g, 1 / s }' \
		>> "$WORK/$name.vals"
}

# traffic CMD...: "REQUESTS HEADS BYTES" one run of CMD cost, from nginx.
traffic() {
	: > "$WORK/nginx/bytes.log"
	"$@" > /dev/null || { say "failed: $*"; exit 1; }
	awk '{ n++; h += $1 == "HEAD"; b += $4 } END { printf "%d %d %d\n", n, h, b }' \
		"$WORK/nginx/bytes.log"
}

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
# One run first: it measures the host's latency for the plans after it,
# as any earlier run on the host would have.
"$LSIO" zarr "$BASE/zstd.zarr" --select "0:2" -o "$WORK/warmup.npy" -q
for comp in zstd blosc; do
	url=$BASE/$comp.zarr
	label=$([ $comp = zstd ] && echo "zstd(1)" || echo "blosc lz4+shuffle")
	shorthand "$url" "\$URL/$comp.zarr"
	for what in whole slab point; do
		case $what in
		whole) sel=":" ;;
		slab) sel="0:26" ;;
		point) sel=":, 200, 300" ;;
		esac
		zarr_check_same "$url" "$STORES/$comp.zarr" "$sel"
		read -r lreq lhead lbytes < <(traffic lsio_once "$url" "$sel")
		read -r preq phead pbytes < <(traffic py_once "$url" "$sel")
		variants_clear
		variant "lsio_${comp}_$what" lsio "lsio zarr" lsio_once "$url" "$sel"
		variant "py_${comp}_$what" lsio "zarr-python 2.13 + fsspec HTTP" py_once "$url" "$sel"
		say "$comp, $what ($sel), $REPS rounds"
		alternate_with zrun
		# The point series is 512 bytes: reads per second, not GiB/s.
		row "$label $what ($sel)" "lsio_${comp}_$what" "py_${comp}_$what" \
			"$([ $what = point ] && echo 5 || echo 4)" "$([ $what = point ] && echo 1 || echo 4)"
		note "$label $what: requests lsio $lreq ($lhead HEAD), zarr-python $preq ($phead HEAD): $([ "$lreq" -le "$preq" ] && echo "**met** (<=)" || echo "**MISSED**"); bytes received lsio $((lbytes >> 10)) KiB, zarr-python $((pbytes >> 10)) KiB"
		note "$label $what, every run (GiB/s; reads/s for the point), in the order run: lsio $(stat_of "lsio_${comp}_$what" 4 all) ($(stat_of "lsio_${comp}_$what" 5 all)); zarr-python $(stat_of "py_${comp}_$what" 4 all) ($(stat_of "py_${comp}_$what" 5 all))"
	done
done
note "array: 256x512x512 float32 in 2x128x128 chunks (128 KiB raw, 2,048 keys, 64 never written), written by zarr-python 2.13; served by nginx's /latency/ location (echo_sleep 0.02 before every answer) from \$LSIO_BENCH_DIR/zarr-remote; \$URL = http://127.0.0.1:PORT/latency"
note "throughput = .npy bytes / time: lsio's whole process, zarr-python's \`zarr.open\` + \`z[sel]\` + \`np.save\` after import (both pay the metadata round trip); the point series has no throughput target (its time is 16 round trips of 20 ms for zarr-python, its 128 chunks read at once by both)"
note "commands: \`lsio zarr \$URL/STORE --select SEL -o OUT.npy -q\`; \`python3 -c 'z = zarr.open(zarr.storage.FSStore(URL)); np.save(OUT, z[SEL])'\`; requests and bytes from nginx's log in one more run of each"
note "load average at the start: $LOAD0, at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (on $(nproc) cores)"
results_write "Zarr v2 over HTTP at 20 ms per request, lsio zarr vs zarr-python 2.13 + fsspec (issue 13)"
