#!/bin/bash
# zarr.sh - issue 6's benchmark: a float32 Zarr v2 array of 1 MiB chunks,
# written by zarr-python 2.13 (Debian's python3-zarr) with zstd and with
# blosc-lz4 (byte shuffle), read whole and as a 10% slab (the first tenth
# of the time axis) by `lsio zarr` and by zarr-python itself, into a .npy,
# cold and warm, the two alternating, medians of LSIO_BENCH_REPS runs.
#
# Targets (issue 6): lsio >= 5x zarr-python's throughput warm, >= 2x cold,
# and lsio's peak RSS no more than the output plus its memory budget.
#
# Both sides are timed from the command line's point of view: lsio is the
# whole process (metadata, job generation, run, the .npy written and
# renamed); zarr-python is `z[sel]` plus `np.save`, measured inside the
# process after `import zarr` (so its start-up is not counted against it).
# Throughput is output bytes over that time.
#
# The array is T x 512 x 512 float32 with chunks 1 x 512 x 512 (1 MiB):
# T = 2048 (2 GiB) at LSIO_BENCH_SCALE=full, 1024 (1 GiB) by default.  The
# data is a smooth field plus noise, which zstd shrinks to about half.
# LSIO_BENCH_ZARR_T=N sets T directly (a quick try: 64).
#
#   tests/bench/zarr.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init zarr

T=1024
[ "$SCALE" = full ] && T=2048
T=${LSIO_BENCH_ZARR_T:-$T}
SLAB="0:$((T / 10))"
"$PY" -c 'import zarr, numcodecs' 2>/dev/null ||
	{ say "/usr/bin/python3 cannot import zarr (apt-get install python3-zarr)"; exit 2; }

# make_store NAME COMPRESSOR: write (or reuse) the array; prints its path.
make_store() {
	local dir=$BENCH_DIR/zarr/$1-$T.zarr
	if [ ! -e "$dir/.done" ]; then
		say "writing $dir with zarr-python ($T MiB)"
		rm -rf "$dir"
		"$PY" - "$dir" "$T" "$2" <<'EOF' >&2
import sys, numpy as np, numcodecs, zarr
path, t, comp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = numcodecs.Zstd(1) if comp == "zstd" else numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE)
z = zarr.open(path, mode="w", shape=(t, 512, 512), chunks=(1, 512, 512),
              dtype="<f4", compressor=c, fill_value="NaN")
y, x = np.mgrid[0:512, 0:512] / 512.0
rng = np.random.default_rng(6)
for t0 in range(0, t, 64):
    k = np.arange(t0, min(t, t0 + 64))[:, None, None]
    f = 280 + 15 * np.sin(6.3 * x + k / 50.0) * np.cos(3.1 * y)
    f += rng.normal(0, 0.3, f.shape)
    z[t0:t0 + len(k)] = np.round(f, 2).astype("<f4")
EOF
		touch "$dir/.done"
	fi
	echo "$dir"
}

# The runners print "SECONDS BYTES PEAK_RSS_BYTES" for one read.
lsio_zarr_once() {
	local out=$WORK/lsio.npy t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$WORK/rss" "$LSIO" zarr "$1" --select "$2" -o "$out" -q
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(stat -c %s "$out") $(($(tail -n 1 "$WORK/rss") * 1024))"
	rm -f "$out"
}

zarr_python_once() {
	"$PY" - "$1" "$2" "$WORK/zarr.npy" <<'EOF'
import resource, sys, time, numpy as np, zarr
path, sel, out = sys.argv[1:4]
z = zarr.open(path, mode="r")
t0 = time.perf_counter()
a = eval("z[%s]" % sel)
np.save(out, a)
t1 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
import os
print(t1 - t0, os.path.getsize(out), rss)
os.remove(out)
EOF
}

# zrun NAME cold|warm: one run, appended as common.bash's vals line
# ("GiB/s IOPS bytes e2e-GiB/s e2e-IOPS": here both rates are end to end)
# and the peak RSS to NAME.rss.
zrun() {
	local name=$1 s b r
	[ "$2" = cold ] && drop_caches
	read -r s b r < <(eval "${V_CMD[$name]}") ||
		{ say "$name failed: ${V_SHOW[$name]}"; exit 1; }
	awk -v s="$s" -v b="$b" 'BEGIN { g = b / s / 2^30; printf "%.6f 0 %d %.6f 0\n", g, b, g }' \
		>> "$WORK/$name.vals"
	echo "$r" >> "$WORK/$name.rss"
}

zalternate() {
	for name in "${V_NAMES[@]}"; do : > "$WORK/$name.rss"; done
	alternate_with zrun "$1"
}

median_rss_mib() {
	sort -n "$WORK/$1.rss" | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 2^20 }'
}

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
for comp in zstd blosc; do
	store=$(make_store "$comp" "$comp")
	zarr_check_same "$store" "$store" "$SLAB"
	label=$([ $comp = zstd ] && echo "zstd(1)" || echo "blosc lz4+shuffle")
	shorthand "$store" "\$LSIO_BENCH_DIR/zarr/$comp-$T.zarr"
	for what in whole slab; do
		sel=$([ $what = whole ] && echo ":" || echo "$SLAB")
		for temp in cold warm; do
			[ $temp = cold ] && [ "$CAN_DROP" = 0 ] && continue
			variants_clear
			variant "lsio_${comp}_${what}_$temp" lsio "lsio zarr" \
				lsio_zarr_once "$store" "$sel"
			variant "py_${comp}_${what}_$temp" lsio "zarr-python 2.13" \
				zarr_python_once "$store" "$sel"
			[ $temp = warm ] && cat "$store"/*.* > /dev/null
			say "$temp, $comp, $what ($sel), $REPS rounds"
			zalternate $temp
			row "$temp $label $what ($sel)" "lsio_${comp}_${what}_$temp" \
				"py_${comp}_${what}_$temp" 4 "$([ $temp = warm ] && echo 5 || echo 2)"
			note "$temp $label $what: peak RSS median lsio $(median_rss_mib "lsio_${comp}_${what}_$temp") MiB, zarr-python $(median_rss_mib "py_${comp}_${what}_$temp") MiB, output $(($(stat_of "lsio_${comp}_${what}_$temp" 3 median) >> 20)) MiB (lsio's default budget: 32 MiB of buffers per worker)"
			note "$temp $label $what, every run (GiB/s), in the order run: lsio $(stat_of "lsio_${comp}_${what}_$temp" 4 all); zarr-python $(stat_of "py_${comp}_${what}_$temp" 4 all)"
		done
	done
done
note "array: ${T}x512x512 float32, chunks 1x512x512 (1 MiB), written by zarr-python 2.13; slab = [$SLAB] (10%); throughput = .npy bytes / time: lsio's whole process, zarr-python's \`z[sel]\` + \`np.save\` after import"
note "the arrays' fill value is NaN and every chunk is stored, so lsio's job says fill_value null (its chunks cover the output: no fill pass before the reads)"
note "commands: \`lsio zarr STORE --select SEL -o OUT.npy -q\`; \`python3 -c 'z = zarr.open(STORE); np.save(OUT, z[SEL])'\`"
note "load average at the start: $LOAD0, at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (on $(nproc) cores: above that, other work shared the machine and the figures are noisier)"
results_write "Zarr v2 arrays, lsio zarr vs zarr-python 2.13"
