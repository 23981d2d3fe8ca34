#!/bin/bash
# zarr_remote.sh - issue 13's benchmark: Zarr v2 arrays written by
# zarr-python 2.13 (zstd, and blosc lz4 + shuffle) and a sharded Zarr v3
# array, served by the project's nginx at 20 ms per request (its /latency/
# location: an object store's time to first byte), read by `lsio zarr` and
# by a peer, the two alternating, medians of LSIO_BENCH_REPS runs: the
# whole array, a 10% slab of the first axis, and the time series at one
# point.  The v2 peer is zarr-python through fsspec's HTTP store (FSStore);
# the v3 peer is zarrita (npm, tests/fixtures/zarrita: zarr-python 2.13
# cannot read v3) through @zarrita/storage's FetchStore in node.
#
# Targets (issue 13): lsio's requests <= the peer's in every case; the
# whole array and the slab >= 4x the peer.
#
# Both sides are timed from the metadata on: lsio's whole process (start-up,
# metadata, the job, the run, the .npy renamed); zarr-python's `zarr.open`
# (its .zarray round trip), `z[sel]` and `np.save`, after `import zarr`
# (Python's start-up not counted against it; fsspec and aiohttp, which
# FSStore imports, are); zarrita's `zarr.open.v3` (its zarr.json round
# trip), `zarr.get` and the .npy written, after the imports and after its
# fetch and compressors are loaded (node's start-up not counted).
# Requests and bytes per read come from nginx's log, in one extra run of
# each outside the timed rounds.
#
# The array is T x 512 x 512 float32 (T = 256: 256 MiB, 2,048 chunks) in
# chunks of 2 x 128 x 128 (128 KiB raw), a smooth field plus noise, about
# half of it after zstd; T / 4 chunks of it (64) are never written (fill
# value), as a real store's gaps.  The sharded v3 array holds the same
# values, its inner chunks the same 2 x 128 x 128 (bytes + zstd(1)), the
# same ones absent, in shards of 16 x 256 x 256 (32 inner chunks,
# the index at the end with crc32c, as zarr-python 3 writes by default),
# built by tests/fixtures/zarr_v3_gen.py's writer and read back whole by
# zarrita, equal to the numpy source, when built.
#
#   tests/bench/zarr_remote.sh [LSIO_BINARY]
#
# LSIO_BENCH_ZARR_REMOTE_T=N sets T (a multiple of 16; a quick try: 32);
# LSIO_BENCH_ZARR_REMOTE_STORES the stores read (default "zstd blosc
# shard").  The stores are written once into $LSIO_BENCH_DIR/zarr-remote
# (zarr-remote-T for another T) and reused.
. "$(dirname "$0")/common.bash"
bench_init zarr_remote

T=${LSIO_BENCH_ZARR_REMOTE_T:-256}
if ! [ "$T" -ge 16 ] 2>/dev/null || [ $((T % 16)) -ne 0 ]; then
	say "LSIO_BENCH_ZARR_REMOTE_T must be a multiple of 16"
	exit 2
fi
CASES=${LSIO_BENCH_ZARR_REMOTE_STORES:-zstd blosc shard}
for store in $CASES; do
	case $store in zstd|blosc|shard) ;; *) say "unknown store '$store' (zstd, blosc, shard)"; exit 2 ;; esac
done
SLAB=0:$(((T + 9) / 10))

NGINX_FIX=$BENCH_TOP/tests/fixtures/nginx
ZARRITA=$BENCH_TOP/tests/fixtures/zarrita
"$PY" -c 'import zarr, numcodecs, fsspec, aiohttp' 2>/dev/null ||
	{ say "/usr/bin/python3 cannot import zarr, fsspec and aiohttp (make deps-bench)"; exit 2; }
command -v nginx >/dev/null || { say "nginx is missing (make deps)"; exit 2; }
case " $CASES " in
*" shard "*)
	if ! command -v node >/dev/null || [ ! -d "$ZARRITA/node_modules/zarrita" ]; then
		say "node or zarrita is missing (make deps; or LSIO_BENCH_ZARR_REMOTE_STORES='zstd blosc')"
		exit 2
	fi
	ZARRITA_V="zarrita $(node -p "require('$ZARRITA/node_modules/zarrita/package.json').version") + FetchStore (node $(node --version))"
	;;
esac

STORES=$BENCH_DIR/zarr-remote$([ "$T" = 256 ] || echo "-$T")
trap '"$NGINX_FIX/stop.sh" "$WORK/nginx"' EXIT INT TERM

# make_store zstd|blosc|shard: write (or reuse) the array: with
# zarr-python for v2, with zarr_v3_gen.py's writer for the sharded v3 one,
# which zarrita must then read as the numpy source says.
make_store() {
	local dir=$STORES/$1.zarr
	[ -e "$dir/.done" ] && return 0
	say "writing $dir ($T x 512 x 512)"
	rm -rf "$dir"
	mkdir -p "$STORES"
	"$PY" - "$dir" "$1" "$T" "$BENCH_TOP/tests/fixtures" "$WORK/truth.npy" <<'EOF' >&2
import os, sys, numpy as np, numcodecs
path, kind, t = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = t // 2 * 16  # chunks of 2 x 128 x 128
# A real store's gaps: chunks never written read as the fill value.
gaps = np.random.default_rng(7).choice(n, n // 32, replace=False)


def slabs():
    """The array, 32 steps at a time: a smooth field plus noise."""
    y, x = np.mgrid[0:512, 0:512] / 512.0
    rng = np.random.default_rng(13)
    for t0 in range(0, t, 32):
        k = np.arange(t0, min(t, t0 + 32))[:, None, None]
        f = 280 + 15 * np.sin(6.3 * x + k / 50.0) * np.cos(3.1 * y)
        f += rng.normal(0, 0.3, f.shape)
        yield t0, np.round(f, 2).astype("<f4")


if kind == "shard":
    sys.path.insert(0, sys.argv[4])
    import zarr_v3_gen as g
    data = np.empty((t, 512, 512), "<f4")
    for t0, f in slabs():
        data[t0:t0 + len(f)] = f
    zstd1 = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}
    codecs = [g.sharding([2, 128, 128], [g.BYTES_LE, zstd1], [g.BYTES_LE, g.CRC], "end")]
    absent = set(int(i) for i in gaps)
    truth = g.store_array(os.path.dirname(path), os.path.basename(path), data,
                          [16, 256, 256], codecs, -9999.0, -9999.0, "default", "/",
                          lambda lo: lo[0] // 2 * 16 + lo[1] // 128 * 4 + lo[2] // 128 in absent)
    np.save(sys.argv[5], truth)
    sys.exit(0)
import zarr
c = numcodecs.Zstd(1) if kind == "zstd" else numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE)
z = zarr.open(path, mode="w", shape=(t, 512, 512), chunks=(2, 128, 128),
              dtype="<f4", compressor=c, fill_value=-9999.0)
for t0, f in slabs():
    z[t0:t0 + len(f)] = f
for i in gaps:
    ti, rest = divmod(int(i), 16)
    os.remove(os.path.join(path, "%d.%d.%d" % (ti, rest // 4, rest % 4)))
EOF
	if [ "$1" = shard ]; then
		node "$ZARRITA/zarr_v3.mjs" read "$STORES" "$WORK" shard.zarr
		"$PY" - "$WORK/truth.npy" "$WORK/shard.zarr.npy" <<'EOF' ||
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), "zarrita differs"
EOF
			{ say "zarrita does not read $dir as its numpy source"; exit 1; }
		rm -f "$WORK/truth.npy" "$WORK/shard.zarr.npy"
	fi
	touch "$dir/.done"
}

for store in $CASES; do make_store "$store"; done
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

# zarrita's own time, from zarr.open.v3 to the .npy written.
zarrita_once() {
	local out=$WORK/zarrita.npy s
	s=$(node "$ZARRITA/zarr_v3.mjs" fetch-get "$1" "$2" "$out") || return 1
	echo "$s $(stat -c %s "$out")"
	rm -f "$out"
}

# zarrita_check_same URL SEL: lsio zarr's SEL of the v3 array at URL equals
# zarrita's, element for element (zarr_check_same's rule for v2).
zarrita_check_same() {
	"$LSIO" zarr "$1" --select "$2" -o "$WORK/check.npy" -q
	node "$ZARRITA/zarr_v3.mjs" fetch-get "$1" "$2" "$WORK/zcheck.npy" > /dev/null
	"$PY" - "$WORK/zcheck.npy" "$WORK/check.npy" <<'EOF'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True), "lsio differs from zarrita"
EOF
	rm -f "$WORK/check.npy" "$WORK/zcheck.npy"
}

zrun() {
	local name=$1 s b
	if ! read -r s b < <(eval "${V_CMD[$name]}") || [ -z "$b" ]; then
		say "$name failed: ${V_SHOW[$name]}"
		exit 1
	fi
	awk -v s="$s" -v b="$b" 'BEGIN { g = b / s / 2^30; printf "%.6f 0 %d %.6f %.6f\n", g, b, g, 1 / s }' \
		>> "$WORK/$name.vals"
}

# traffic CMD...: "REQUESTS HEADS BYTES CONNECTIONS" one run of CMD cost,
# from nginx's logs.
traffic() {
	: > "$WORK/nginx/bytes.log"
	: > "$WORK/nginx/access.log"
	"$@" > /dev/null || { say "failed: $*"; exit 1; }
	printf '%s %d\n' \
		"$(awk '{ n++; h += $1 == "HEAD"; b += $4 } END { printf "%d %d %d", n, h, b }' \
			"$WORK/nginx/bytes.log")" \
		"$(awk '{ print $(NF - 1) }' "$WORK/nginx/access.log" | sort -u | wc -l)"
}

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
# One run first: it measures the host's latency for the plans after it,
# as any earlier run on the host would have.
read -r first _ <<< "$CASES"
"$LSIO" zarr "$BASE/$first.zarr" --select "0:2" -o "$WORK/warmup.npy" -q
for store in $CASES; do
	url=$BASE/$store.zarr
	case $store in
	zstd) label="zstd(1)" peer=py pname=zarr-python ;;
	blosc) label="blosc lz4+shuffle" peer=py pname=zarr-python ;;
	shard) label="sharded v3" peer=zarrita pname=zarrita ;;
	esac
	shorthand "$url" "\$URL/$store.zarr"
	for what in whole slab point; do
		case $what in
		whole) sel=":" ;;
		slab) sel=$SLAB ;;
		point) sel=":, 200, 300" ;;
		esac
		if [ "$peer" = py ]; then
			zarr_check_same "$url" "$STORES/$store.zarr" "$sel"
		else
			zarrita_check_same "$url" "$sel"
		fi
		read -r lreq lhead lbytes lconn < <(traffic lsio_once "$url" "$sel")
		read -r preq phead pbytes pconn < <(traffic "${peer}_once" "$url" "$sel")
		variants_clear
		variant "lsio_${store}_$what" lsio "lsio zarr" lsio_once "$url" "$sel"
		if [ "$peer" = py ]; then
			variant "py_${store}_$what" lsio "zarr-python 2.13 + fsspec HTTP" py_once "$url" "$sel"
		else
			variant "zarrita_${store}_$what" lsio "$ZARRITA_V" zarrita_once "$url" "$sel"
		fi
		say "$store, $what ($sel), $REPS rounds"
		alternate_with zrun
		# The point series is 512 bytes: reads per second, not GiB/s.
		# The v2 point has a target of 1 (lsio no slower); the v3 point
		# is a reference.
		field=4 target=4
		if [ $what = point ]; then
			field=5 target=-
			[ "$peer" = py ] && target=1
		fi
		row "$label $what ($sel)" "lsio_${store}_$what" "${peer}_${store}_$what" "$field" "$target"
		note "$label $what: requests lsio $lreq ($lhead HEAD), $pname $preq ($phead HEAD): $([ "$lreq" -le "$preq" ] && echo "**met** (<=)" || echo "**MISSED**"); bytes received lsio $((lbytes >> 10)) KiB, $pname $((pbytes >> 10)) KiB; connections lsio $lconn, $pname $pconn"
		note "$label $what, every run (GiB/s; reads/s for the point), in the order run: lsio $(stat_of "lsio_${store}_$what" 4 all) ($(stat_of "lsio_${store}_$what" 5 all)); $pname $(stat_of "${peer}_${store}_$what" 4 all) ($(stat_of "${peer}_${store}_$what" 5 all))"
	done
done
note "array: ${T}x512x512 float32 in 2x128x128 chunks (128 KiB raw, $((T * 8)) keys, $((T / 4)) never written), written by zarr-python 2.13; served by nginx's /latency/ location (echo_sleep 0.02 before every answer) from \$LSIO_BENCH_DIR/$(basename "$STORES"); \$URL = http://127.0.0.1:PORT/latency"
case " $CASES " in
*" shard "*)
	note "sharded v3 (shard.zarr): the same values, its inner chunks the same 2x128x128 (bytes + zstd(1)), the same $((T / 4)) absent, in $((T * 4 / 16)) shards of 16x256x256 (32 inner chunks each, index at the end with crc32c, as zarr-python 3 writes by default), built from the spec by tests/fixtures/zarr_v3_gen.py's store_array and read back whole by zarrita equal to its numpy source when built; each selection's lsio output equal to zarrita's, element for element, before it is timed"
	note "zarrita at its best: FetchStore with useSuffixRequest (each shard index one \`bytes=-N\` GET; the default is a HEAD, then the range: a second round trip per shard) and \`zarr.open.v3\` (\`zarr.open\` asks for .zattrs and .zarray first); zarr.get asks for every index, then every inner chunk (one GET each), at once"
	;;
esac
note "throughput = .npy bytes / time: lsio's whole process, zarr-python's \`zarr.open\` + \`z[sel]\` + \`np.save\` after \`import zarr\` (FSStore's import of fsspec and aiohttp inside it), zarrita's \`zarr.open.v3\` + \`zarr.get\` + the .npy written after import, its fetch (undici) and compressors (wasm) loaded first (all pay the metadata round trip); the point series has no throughput target (its time is 16 round trips of 20 ms for zarr-python, its 128 chunks read at once by both)"
note "commands: \`lsio zarr \$URL/STORE --select SEL -o OUT.npy -q\`; \`python3 -c 'z = zarr.open(zarr.storage.FSStore(URL)); np.save(OUT, z[SEL])'\`; \`node tests/fixtures/zarrita/zarr_v3.mjs fetch-get \$URL/shard.zarr SEL OUT.npy\`; requests and bytes from nginx's log in one more run of each"
note "load average at the start: $LOAD0, at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (on $(nproc) cores)"
results_write "Zarr v2 and sharded v3 over HTTP at 20 ms per request, lsio zarr vs zarr-python 2.13 + fsspec and zarrita + FetchStore (issue 13)"
