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
zarr_need

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
for comp in zstd blosc; do
	zarr_store_ready "$comp"
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
