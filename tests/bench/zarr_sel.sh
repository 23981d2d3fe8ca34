#!/bin/bash
# zarr_sel.sh - issue 15's benchmark: an ERA5-like Zarr store written by
# xarray, asked in a user's words by `lsio zarr --var --sel -o X.nc` and by
# xarray + zarr-python (`xr.open_zarr(STORE)[vars].sel(...).to_netcdf(X)`),
# cold and warm, the two alternating, medians of LSIO_BENCH_REPS runs.
#
# The store, written once by xarray (to_zarr, consolidated, appended in
# slabs of 20 steps: ~30 s) into $LSIO_BENCH_DIR/zarr-sel and reused:
#   time       6-hourly from 2023-01-01T00, T steps, int64 "hours since
#              1900-01-01" (in chunks of 20, as the appends leave it);
#              T = 730 (half a year, 2.8 GiB) by default, 1460 (the year,
#              ~5.7 GiB) at LSIO_BENCH_SCALE=full, LSIO_BENCH_SEL_T=N for
#              a quick try (N >= 80: the box's days)
#   latitude   721, 90 .. -90 by -0.25 (descending, as ERA5)
#   longitude  1440, 0 .. 359.75 by 0.25
#   t2m        int16 packed (scale_factor 0.0018, add_offset 260.1,
#              _FillValue -32767: ERA5's NetCDF packing), zstd(1)
#   u10        float32 at ERA5's GRIB precision (multiples of 2^-10 m/s),
#              xarray's default compressor (zarr's blosc lz4 + shuffle)
#   chunks     1 x 721 x 1440 for both (2 and 4 MiB raw): one field per
#              chunk, the layout of the ERA5 copies users meet on cloud
#              (ARCO-ERA5, hourly; WeatherBench2's ERA5, 6-hourly at this
#              very 1440 x 721 grid).  It makes the point time series the
#              hard case it is there: every chunk of the variable decoded
#              for one value each.
# The fields are smooth waves (outer products of latitude and longitude
# terms, moving with time) plus noise, quantised as ERA5's are: t2m's low
# byte is as random as real 16-bit packed data (zstd(1) keeps ~88% of it),
# u10 halves under blosc.
#
# The requests (the issue's own):
#   box    --var t2m --var u10 --sel time=2023-01-10:2023-01-19
#          --sel latitude=60:40 --sel longitude=-10:30 -o box.nc
#          (40 steps x 81 x 161).  The box crosses the 0..360 axis's seam,
#          which lsio takes as one box; xarray's .sel cannot, so the peer
#          does what a user must: two .sel calls and xr.concat, the western
#          part's longitudes shifted by -360 (tests/fixtures/
#          xarray_sel_check.py's apply_sel, imported before timing).
#   east   the same with --sel longitude=10:30 (one .sel for xarray too):
#          the comparison without the seam's extra work.
#   point  --var t2m --sel latitude=51.5~ --sel longitude=-0.1~ -o point.nc
#          (the whole time axis; method="nearest" for xarray).
# Each request's NetCDF, lsio's and every peer's, is checked once against
# xarray's own .sel by tests/fixtures/xarray_sel_check.py before timing.
#
# The peers (xarray 2023.01, zarr-python 2.13, dask 2022.12, netCDF4
# 1.6; all Debian's): `xr.open_zarr(STORE)`, the default (dask: one task
# per zarr chunk, the threaded scheduler on all cores; without dask
# installed the default is chunks=None), and `xr.open_zarr(STORE,
# chunks=None)` (no dask: zarr-python reads each variable's selection in
# one call).  Each run gives two times, both after `import xarray`: from
# open_zarr on ("open_zarr included": what lsio's single command does) and
# from after it (what a user who opens once and asks many times sees);
# lsio is timed as its whole process (start-up, metadata, coordinates, the
# run, the NetCDF written).
#
# Targets (issue 15): lsio >= 5x xarray's speed in every case, warm and
# cold.  Reference rows set lsio beside what any reader of the same chunks
# stands on: cold, `cat` of the case's files (the disk); warm, numcodecs
# decoding the case's chunks from memory, one process per core
# (common.bash's decode_files_once).
#
# Before every warm run the case's chunk files are read again (this VM
# reclaims idle page cache: see array_sink.md); before every run 512 MiB of
# memory is touched and freed (LSIO_BENCH_TOUCH=0 leaves it out; this VM's
# freed memory costs ~2 s/GiB at its first touch, array_sink.md).
#
#   tests/bench/zarr_sel.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init zarr_sel

T=730
[ "$SCALE" = full ] && T=1460
T=${LSIO_BENCH_SEL_T:-$T}
[ "$T" -ge 80 ] 2>/dev/null || { say "LSIO_BENCH_SEL_T must be >= 80 (the box asks for 10-19 January)"; exit 2; }
"$PY" -c 'import xarray, zarr, numcodecs, netCDF4, pandas' 2>/dev/null ||
	{ say "/usr/bin/python3 cannot import xarray, zarr and netCDF4 (make deps)"; exit 2; }
if "$PY" -c 'import dask.array' 2>/dev/null; then
	DASK=$("$PY" -c 'import dask; print("dask " + dask.__version__)')
else
	DASK=""
	say "no dask (python3-dask, make deps-bench): xarray's default open_zarr is chunks=None, measured once"
fi
FIXTURES=$BENCH_TOP/tests/fixtures
STORE=$BENCH_DIR/zarr-sel/era5-6h-$T.zarr
# ~3.75 MiB a step on disk; a slab of the write in memory besides.
NEED_MIB=$((T * 4 + 1024))

# make_era5: write (or reuse) the store with xarray.
make_era5() {
	local avail
	[ -e "$STORE/.done" ] && return 0
	mkdir -p "$(dirname "$STORE")"
	rm -rf "$STORE"
	avail=$(df -m --output=avail "$(dirname "$STORE")" | tail -n 1)
	if [ "$avail" -lt "$NEED_MIB" ]; then
		say "$avail MiB free in $(dirname "$STORE"), the store needs ~$NEED_MIB: set LSIO_BENCH_SEL_T lower (now $T) or LSIO_BENCH_DIR"
		exit 2
	fi
	say "writing $STORE with xarray ($T steps, ~$((T * 15 / 4)) MiB)"
	"$PY" - "$BENCH_TOP/tests/bench" "$STORE" "$T" <<'EOF' >&2
import sys, numcodecs
sys.path.insert(0, sys.argv[1])
import era5_like
enc = {"time": {"units": "hours since 1900-01-01", "calendar": "standard",
                "dtype": "int64"},
       "t2m": {"dtype": "int16", "scale_factor": 0.0018, "add_offset": 260.1,
               "_FillValue": -32767, "chunks": (1, 721, 1440),
               "compressor": numcodecs.Zstd(1)},
       "u10": {"chunks": (1, 721, 1440)}}
era5_like.write(sys.argv[2], int(sys.argv[3]), "6H", 4, ["t2m", "u10"], enc, 20,
                {"u10": 1024}, "written by lsio's tests/bench/zarr_sel.sh")
EOF
	touch "$STORE/.done"
}

# The runners print "SECONDS BYTES PEAK_RSS_BYTES [SECONDS_WITH_OPEN]" for
# one request; the output goes to $SEL_OUT (default $WORK, removed after).
lsio_sel_once() {
	local out=${SEL_OUT:-$WORK/lsio.nc} t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$WORK/rss" "$LSIO" zarr "$STORE" "$@" -o "$out" -q || return 1
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(stat -c %s "$out") $(($(tail -n 1 "$WORK/rss") * 1024))"
	[ -n "${SEL_OUT:-}" ] || rm -f "$out"
}

# xr_sel_once default|none ARGS...: xarray's open_zarr (chunks left to
# xarray, or None), then the same request as lsio's ARGS.
xr_sel_once() {
	"$PY" - "$FIXTURES" "$STORE" "${SEL_OUT:-$WORK/xr.nc}" "$@" <<'EOF'
import os, resource, sys, time
sys.path.insert(0, sys.argv[1])
import xarray as xr
from xarray_sel_check import apply_sel
store, out, chunks, args = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
names = [args[i + 1] for i in range(0, len(args), 2) if args[i] == "--var"]
sels = [args[i + 1].split("=", 1) for i in range(0, len(args), 2) if args[i] == "--sel"]
kw = {} if chunks == "default" else {"chunks": None}
t0 = time.perf_counter()
ds = xr.open_zarr(store, **kw)
t1 = time.perf_counter()
ds = ds[names]
for dim, spec in sels:
    ds = apply_sel(ds, dim, spec)
ds.to_netcdf(out)
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(t2 - t1, os.path.getsize(out), rss, t2 - t0)
if "SEL_OUT" not in os.environ:
    os.remove(out)
EOF
}

TABLE_HEAD="| date | case | lsio zarr (median) | peer | peer (median) | speed-up (peer/lsio) | target | |"

# The case's chunk files (WARM_HOOK) and memory touched (RUN_HOOK).
warm_chunks() {
	cat "${CHUNKS[@]}" > /dev/null
}
WARM_HOOK=warm_chunks
[ "${LSIO_BENCH_TOUCH:-1}" = 0 ] || RUN_HOOK="touch_mib 512"

# The floors any reader of the case's chunks stands on, printed as a
# runner's line ("SECONDS BYTES 0"): cold, the chunk files read by cat (the
# disk); warm, common.bash's decode_files_once of the data chunks: numcodecs
# (lsio's libzstd and libblosc underneath) decoding them from memory, one
# process per core.
disk_floor_once() {
	local t0 t1
	t0=$(date +%s.%N)
	cat "${CHUNKS[@]}" > /dev/null
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') 0 0"
}


# chunk_files VAR FIRST LAST: the chunk files of steps FIRST .. LAST, added
# to DATA.
chunk_files() {
	local i
	for ((i = $2; i <= $3; i++)); do DATA+=("$STORE/$1/$i.0.0"); done
}

# check_case ARGS...: lsio's NetCDF and each peer's equal xarray's .sel of
# the same request, before anything is timed.
check_case() {
	local how
	for how in lsio default $([ -n "$DASK" ] && echo none); do
		if [ $how = lsio ]; then
			SEL_OUT=$WORK/check.nc lsio_sel_once "$@" > /dev/null
		else
			SEL_OUT=$WORK/check.nc xr_sel_once $how "$@" > /dev/null
		fi
		"$PY" "$FIXTURES/xarray_sel_check.py" "$STORE" "$WORK/check.nc" "$@" ||
			{ say "$how's output differs from xarray's .sel: $*"; exit 1; }
		rm -f "$WORK/check.nc"
	done
}

make_era5
shorthand "$STORE" "\$STORE"
LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
BOX=(--var t2m --var u10 --sel time=2023-01-10:2023-01-19 --sel latitude=60:40)
# 10-19 January, 6-hourly from 1 January: steps 36 .. 75.
for what in box east point; do
	case $what in
	box) args=("${BOX[@]}" --sel longitude=-10:30) ;;
	east) args=("${BOX[@]}" --sel longitude=10:30) ;;
	point) args=(--var t2m --sel latitude=51.5~ --sel longitude=-0.1~) ;;
	esac
	DATA=()
	if [ $what = point ]; then
		chunk_files t2m 0 $((T - 1))
	else
		chunk_files t2m 36 75
		chunk_files u10 36 75
	fi
	CHUNKS=("$STORE"/.z* "$STORE"/time/* "$STORE"/latitude/* "$STORE"/longitude/* "${DATA[@]}")
	say "$what: checking lsio's and xarray's outputs against xarray's .sel"
	check_case "${args[@]}"
	for temp in cold warm; do
		[ $temp = cold ] && [ "$CAN_DROP" = 0 ] && continue
		c=${what}_$temp
		variants_clear
		variant "lsio_$c" lsio "lsio zarr" lsio_sel_once "${args[@]}"
		variant "xr_$c" lsio "xarray open_zarr()${DASK:+ ($DASK)}" \
			xr_sel_once default "${args[@]}"
		[ -n "$DASK" ] && variant "xrnd_$c" lsio "xarray open_zarr(chunks=None)" \
			xr_sel_once none "${args[@]}"
		if [ $temp = cold ]; then
			variant "floor_$c" lsio "the disk: cat of its chunk files" disk_floor_once
		else
			variant "floor_$c" lsio "decode: its chunks by numcodecs, $(nproc) procs" \
				decode_files_once "${DATA[@]}"
		fi
		for v in "${V_NAMES[@]}"; do
			: > "$WORK/$v.rss"
			: > "$WORK/${v}_open.vals"
		done
		V_LABEL[xr_${c}_open]="${V_LABEL[xr_$c]}, open_zarr included"
		say "$temp, $what, $REPS rounds"
		alternate_with srun $temp
		srow "$temp $what" "lsio_$c" "xr_${c}_open" 5
		srow "$temp $what" "lsio_$c" "xr_$c" 5
		[ -n "$DASK" ] && srow "$temp $what" "lsio_$c" "xrnd_$c" 5
		srow "$temp $what, the floor" "lsio_$c" "floor_$c" -
		rss="" runs=""
		for v in "${V_NAMES[@]}"; do
			[ "${v#floor_}" = "$v" ] &&
				rss+="$v $(median_rss_mib "$v") MiB, "
			runs+="$v $(secs "$v")"
			[ -s "$WORK/${v}_open.vals" ] && runs+=" (with open_zarr $(secs "${v}_open"))"
			runs+="; "
		done
		note "$temp $what: output $(($(cut -d ' ' -f 2 "$WORK/lsio_$c.vals" | head -n 1) >> 10)) KiB (lsio's NetCDF); peak RSS median: ${rss%, } (xarray's: the whole Python process, imports included)"
		note "$temp $what, every run (s), in the order run: ${runs%; }"
	done
	read -r entries distinct < <("$LSIO" zarr "$STORE" "${args[@]}" -o "$WORK/x.nc" --emit-job |
		"$PY" -c 'import json, sys; c = json.load(sys.stdin)["chunks"]; print(len(c), len({x["source"] for x in c}))')
	note "$what: \`lsio zarr \$STORE ${args[*]} -o $what.nc -q\`; its job: $entries chunk entries, $distinct distinct chunks"
done
note "store: \$STORE = \$LSIO_BENCH_DIR/zarr-sel/$(basename "$STORE"), $(du -sm "$STORE" | cut -f 1) MiB on disk: written by xarray $(dpkg-query -W -f '${Version}' python3-xarray 2>/dev/null) (to_zarr, consolidated, Zarr v2, appended 20 steps at a time); time $T steps 6-hourly from 2023-01-01T00 (int64 hours since 1900-01-01), latitude 721 (90 .. -90), longitude 1440 (0 .. 359.75); t2m int16 packed (scale_factor 0.0018, add_offset 260.1, _FillValue -32767) zstd(1), u10 float32 (multiples of 2^-10) blosc lz4 + shuffle; chunks 1 x 721 x 1440 (2 and 4 MiB raw) as ARCO-ERA5 and WeatherBench2's ERA5; smooth waves plus noise"
note "cases: box = 40 steps x 81 latitudes x 161 longitudes of t2m and u10 (80 chunks, 240 MiB decoded), the longitudes across the 0..360 seam; east = the same box at 10..30 E (81 longitudes, no seam); point = t2m's whole time axis at one point ($T chunks, $((T * 2)) MiB decoded)"
note "peer: \`xr.open_zarr(STORE[, chunks=None])[vars]\`, then for each --sel \`apply_sel(ds, dim, spec)\` of tests/fixtures/xarray_sel_check.py (\`ds.sel(dim=slice(lo, hi))\`, \`method=\"nearest\"\` for V~; across the seam two .sel and \`xr.concat\`), then \`.to_netcdf(OUT)\`; timed after \`import xarray\` from open_zarr (\"open_zarr included\") and from after it; lsio: the whole process \`lsio zarr STORE ARGS -o OUT.nc -q\`"
note "before every warm run the case's chunk files (and the coordinates and metadata) are read with cat; before every run: $([ -n "${RUN_HOOK:-}" ] && echo "512 MiB of memory touched and freed (\`dd bs=512M count=1\`)" || echo "no memory touched (LSIO_BENCH_TOUCH=0)"); cold: \`echo 3 > /proc/sys/vm/drop_caches\` before every run (lsio's start-up and shared libraries cold too; Python's imports are not timed)"
note "load average at the start: $LOAD0, at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (on $(nproc) cores)"
results_write "an ERA5-like store asked by coordinates, lsio zarr --sel -o X.nc vs xarray + zarr-python (issue 15)"
