#!/bin/bash
# array_sink.sh - issue 14's benchmark: is the array output at memory
# speed?  The stores are zarr.sh's (T x 512 x 512 float32, 1 MiB chunks,
# zarr-python 2.13, zstd level 1 and blosc lz4 + byte shuffle; reused from
# $LSIO_BENCH_DIR/zarr when there), read whole and as a 10% slab, cold and
# warm, by `lsio zarr STORE --select SEL -o OUT.npy -q` (the whole process)
# and by zarr-python (`z[sel]` + `np.save`, after import), alternating,
# medians of LSIO_BENCH_REPS runs.
#
# The same rounds measure the machine's two limits for the same bytes:
#   decode  numcodecs decoding the case's chunks (already in memory) into
#           preallocated, pre-faulted memory, one process per core, all
#           started together: output bytes / (last end - first start)
#   write   `dd if=/dev/zero of=NEW bs=1M count=N` into a new file on the
#           output's file system, no fsync: the page cache's fill rate
#   decode+write  the same processes, each pwrite()ing every chunk it
#           decoded to its place in one new file: what any program that
#           decodes these chunks and writes them through the page cache
#           can reach on these cores (the two limits above share them)
# and the rows hold lsio against the lower of the first two ("limit", the
# issue's definition) and against decode+write.
#
# Before every warm run the case's chunks are read again (this VM reclaims
# page cache left idle for seconds: DAMON), and before every run of every
# variant $(( 2 * output + 256 )) MiB of memory is touched and freed: this
# VM hands freed memory back to its host (virtio-balloon free page
# reporting) and the first touch of it afterwards costs ~2 s per GiB, which
# would otherwise decide the figures (see array_sink.md).
# LSIO_BENCH_TOUCH=0 leaves that out.
#
# Targets (issue 14): warm slab >= 2.5x zarr-python and >= 0.7x the limit;
# warm whole >= 0.8x the limit.  Cold rows and the warm whole against
# zarr-python are reference figures (issue 14 must not slow them).
#
# T = 1024 (1 GiB) by default, 2048 at LSIO_BENCH_SCALE=full;
# LSIO_BENCH_ARRAY_T=N sets it (a quick try: 64).  Outputs are written to
# $LSIO_BENCH_DIR/array_sink (the disk's file system, as a user's would be).
#
# Where the time goes: see array_sink.md next to this script.
#
#   tests/bench/array_sink.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init array_sink

T=1024
[ "$SCALE" = full ] && T=2048
T=${LSIO_BENCH_ARRAY_T:-$T}
[ "$T" -ge 10 ] 2>/dev/null || { say "LSIO_BENCH_ARRAY_T must be >= 10"; exit 2; }
SLAB="0:$((T / 10))"
zarr_need
ZARR_OUT=$BENCH_DIR/array_sink
mkdir -p "$ZARR_OUT"

# decode_limit_once STORE NCHUNKS: the decode limit for the first NCHUNKS
# chunks (common.bash's decode_files_once), printed as a runner line
# ("SECONDS BYTES 0").
decode_limit_once() {
	local i files=()
	for ((i = 0; i < $2; i++)); do files+=("$1/$i.0.0"); done
	decode_files_once "${files[@]}"
}

# decode_write_limit_once STORE NCHUNKS: decode_limit_once, each process
# also writing its decoded chunks to their places in one new file.
decode_write_limit_once() {
	DECODE_OUT=$ZARR_OUT/decode.out decode_limit_once "$@"
	rm -f "$ZARR_OUT/decode.out"
}

# write_limit_once MIB: a new file of MIB MiB through the page cache.
write_limit_once() {
	local f=$ZARR_OUT/dd.out t0 t1
	rm -f "$f"
	t0=$(date +%s.%N)
	dd if=/dev/zero of="$f" bs=1M count="$1" status=none
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(stat -c %s "$f") 0"
	rm -f "$f"
}

# zstd_per_core STORE: `zstd -b1` of its first chunk, decoded: one core's
# decompression rate with the system's libzstd (lsio's and numcodecs'), a
# cross-check of the decode limit.
zstd_per_core() {
	command -v zstd > /dev/null || return 0
	zstd -d -q -f "$1/0.0.0" -o "$WORK/chunk.raw" || return 0
	note "zstd(1) per core: \`zstd -b1 -i3\` of the first chunk, decoded (1 MiB): $(zstd -b1 -i3 "$WORK/chunk.raw" 2>&1 | tr '\r' '\n' |
		sed -n 's|.*MB/s, *\([0-9.]*\) MB/s.*|\1|p' | tail -n 1) MB/s decompression"
}

# warm_inputs: read the case's chunks again (see the top).
warm_inputs() {
	local i
	for ((i = 0; i < CASE_CHUNKS; i++)); do
		cat "$store/$i.0.0"
	done > /dev/null
}

# touch_memory: touch and free twice the case's output and 256 MiB more
# (see the top), so no variant meets memory its host has taken back.
touch_memory() {
	dd if=/dev/zero of=/dev/null bs=$((2 * CASE_CHUNKS + 256))M count=1 \
		iflag=fullblock status=none
}
[ "${LSIO_BENCH_TOUCH:-1}" = 0 ] || RUN_HOOK=touch_memory
WARM_HOOK=warm_inputs

# lower NAME NAME: the variant with the lower median (GiB/s).
lower() {
	awk -v a="$(stat_of "$1" 4 median)" -v b="$(stat_of "$2" 4 median)" \
		-v x="$1" -v y="$2" 'BEGIN { print (a <= b ? x : y) }'
}

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
for comp in zstd blosc; do
	zarr_store_ready "$comp"
	[ $comp = zstd ] && zstd_per_core "$store"
	for what in whole slab; do
		sel=$([ $what = whole ] && echo ":" || echo "$SLAB")
		n=$([ $what = whole ] && echo "$T" || echo $((T / 10)))
		CASE_CHUNKS=$n
		for temp in cold warm; do
			[ $temp = cold ] && [ "$CAN_DROP" = 0 ] && continue
			c=${comp}_${what}_$temp
			variants_clear
			variant "lsio_$c" lsio "lsio zarr" lsio_zarr_once "$store" "$sel"
			variant "py_$c" lsio "zarr-python 2.13" zarr_python_once "$store" "$sel"
			if [ $temp = warm ]; then
				variant "dec_$c" lsio "decode limit ($(nproc) procs)" \
					decode_limit_once "$store" "$n"
				variant "wr_$c" lsio "write limit (dd, new file)" \
					write_limit_once "$n"
				variant "dw_$c" lsio "decode+write limit ($(nproc) procs)" \
					decode_write_limit_once "$store" "$n"
			fi
			say "$temp, $comp, $what ($sel), $REPS rounds"
			zalternate $temp
			if [ $temp = cold ]; then
				row "cold $label $what" "lsio_$c" "py_$c" 4 -
			else
				row "warm $label $what" "lsio_$c" "py_$c" 4 \
					"$([ $what = slab ] && echo 2.5 || echo -)"
				row "warm $label $what limits" "dec_$c" "wr_$c" 4 -
				row "warm $label $what vs the limit" "lsio_$c" \
					"$(lower "dec_$c" "wr_$c")" 4 \
					"$([ $what = slab ] && echo 0.7 || echo 0.8)"
				row "warm $label $what vs decode+write" "lsio_$c" \
					"dw_$c" 4 -
			fi
			note "$temp $label $what: peak RSS median lsio $(median_rss_mib "lsio_$c") MiB, zarr-python $(median_rss_mib "py_$c") MiB"
			runs=""
			for v in "${V_NAMES[@]}"; do
				runs+="$v $(stat_of "$v" 4 all); "
			done
			note "$temp $label $what, every run (GiB/s), in the order run: ${runs%; }"
		done
	done
done
note "array: ${T}x512x512 float32, chunks 1x512x512 (1 MiB), written by zarr-python 2.13; slab = [$SLAB] (10%); throughput = .npy bytes / time: lsio's whole process, zarr-python's \`z[sel]\` + \`np.save\` after import"
note "before every run: $([ -n "${RUN_HOOK:-}" ] && echo "\`dd if=/dev/zero of=/dev/null bs=(2N+256)M count=1 iflag=fullblock\` (N MiB = the output's data): memory touched and freed, see the top of array_sink.sh" || echo "no memory touched (LSIO_BENCH_TOUCH=0)"); before every warm run: the case's chunks read again with cat"
note "decode limit: numcodecs \`codec.decode(chunk, out=...)\` of the case's chunks (read into memory first) into pre-faulted memory, $(nproc) processes started together (blosc single-threaded in each); write limit: \`dd if=/dev/zero of=NEW bs=1M count=N\` (N MiB = the output's data, no fsync) in \$LSIO_BENCH_DIR/array_sink; the row \"decode limit\" is decode/write, and \"vs the limit\" compares with the lower of the two; decode+write: the decode limit's processes also \`os.pwrite\` each decoded chunk to its place in one new file"
note "commands: \`lsio zarr STORE --select SEL -o OUT.npy -q\`; \`python3 -c 'z = zarr.open(STORE); np.save(OUT, z[SEL])'\`"
note "load average at the start: $LOAD0, at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (on $(nproc) cores)"
results_write "array output at memory speed (issue 14): lsio zarr vs zarr-python 2.13 and the machine's limits"
