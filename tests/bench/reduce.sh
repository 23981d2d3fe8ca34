#!/bin/bash
# reduce.sh - issue 18's benchmark: reductions computed while reading,
# `lsio zarr|grib ... --reduce OP:0 -o X.npy`, against what a Python or CDO
# user runs for the same answer.  Medians of LSIO_BENCH_REPS alternating
# runs (the order rotated each round); peak RSS of every run (GNU time's
# %M: the whole process, a Python peer's imports included).
#
# Zarr: an ERA5-like store written by xarray (tests/bench/era5_like.py:
# to_zarr, Zarr v2, consolidated, appended a day at a time) into
# $LSIO_BENCH_DIR/reduce:
#   t2m        float32 (time, latitude, longitude), hourly from 2023-01-01,
#              721 x 1440 (0.25 deg), chunks 24 x 181 x 360 (a day of a
#              quarter by a quarter of the globe, 6.0 MiB raw), blosc zstd
#              level 3 with byte shuffle (~2.7x); fill value NaN
#              (xarray's), no NaN in the data
#              T = 192 steps (8 days, 0.8 GB) by default, 744 (January,
#              3.1 GB) at LSIO_BENCH_SCALE=full; LSIO_BENCH_REDUCE_T=N for
#              a quick try (N >= 2)
#   values     smooth waves (the day's cycle, moving systems) plus noise,
#              at ERA5's GRIB precision (multiples of 2^-9 K)
# The mean over time (float64) and the max over time (float32), each by
#   lsio       lsio zarr $STORE/t2m --reduce mean:0 -o OUT.npy -q (default
#              workers: one per core), the whole process timed
#   xarray     xr.open_zarr($STORE)["t2m"].mean("time", dtype="float64")
#              .compute() (or .max("time")) with dask's default threaded
#              scheduler on every core and the stored chunks as dask's
#              (open_zarr's default; chunks={"time": -1} would only make
#              fewer, larger tasks of the same reads), then np.save
#   zarr whole zarr-python's z[:] then np.nanmean(axis=0, dtype=f8) (or
#              np.nanmax): the whole array in memory
#   zarr loop  zarr-python one stored time-chunk at a time, np.nansum into
#              float64 and a count (np.fmax for max): bounded memory
# (the peers: tests/bench/reduce_peers.py, timed after their imports from
# the open on), cold (`echo 3 > /proc/sys/vm/drop_caches` before every
# run; root only) and warm (the store's files read with cat before every
# run: this VM reclaims idle page cache, array_sink.md).  Before every run
# 512 MiB of memory is touched and freed (LSIO_BENCH_TOUCH=0 leaves it
# out; freed memory costs a host fault at its first touch here).
#
# GRIB2: the mean of one field (2 m temperature, 1440 x 721, complex
# packing with spatial differencing, 12 bits) over N hourly messages
# written by ecCodes (tests/fixtures/grib_gen.py series): N = 100 by
# default, 240 at full scale, LSIO_BENCH_REDUCE_MESSAGES=N; page cache warm.
#   lsio       lsio grib F --reduce mean:0 -o OUT.npy -q
#   CDO        cdo -s timmean F OUT.grib2 (CDO writes GRIB2 simple packing)
#   ecCodes    codes_get_values of each message summed in float64, / N,
#              np.save (reduce_peers.py eccodes)
#
# Every output is checked against lsio's before anything is timed: the
# means to float rounding (CDO's to its output's packing step), the
# maxima exactly.
#
# Targets (issue 18): lsio >= 5x xarray + dask, its peak RSS <= the
# output + 100 MB; >= 3x CDO.
#
#   tests/bench/reduce.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init reduce

T=192 N=100
[ "$SCALE" = full ] && T=744 N=240
T=${LSIO_BENCH_REDUCE_T:-$T}
N=${LSIO_BENCH_REDUCE_MESSAGES:-$N}
{ [ "$T" -ge 2 ] && [ "$N" -ge 2 ]; } 2>/dev/null ||
	{ say "LSIO_BENCH_REDUCE_T and LSIO_BENCH_REDUCE_MESSAGES must be >= 2"; exit 2; }
"$PY" -c 'import xarray, dask.array, zarr, numcodecs, pandas, eccodes' 2>/dev/null ||
	{ say "/usr/bin/python3 cannot import xarray, dask, zarr and eccodes (make deps-bench)"; exit 2; }
command -v cdo > /dev/null || { say "cdo is missing (make deps-bench)"; exit 2; }
PEERS=$BENCH_TOP/tests/bench/reduce_peers.py
D=$BENCH_DIR/reduce
STORE=$D/era5-t2m-$T.zarr
F=$D/t2m-$N.grib2
ZBYTES=$((T * 721 * 1440 * 4))
GBYTES=$((N * 721 * 1440 * 4))
mkdir -p "$D"
shorthand "$STORE" "\$STORE"
shorthand "$F" "\$F"
shorthand "$BENCH_TOP/" ""

# make_era5: write (or reuse) the store with xarray.
make_era5() {
	[ -e "$STORE/.done" ] && return 0
	rm -rf "$STORE"
	say "writing $STORE with xarray ($T steps, $((ZBYTES >> 20)) MiB raw)"
	"$PY" - "$BENCH_TOP/tests/bench" "$STORE" "$T" <<'EOF' >&2
import sys, numcodecs
sys.path.insert(0, sys.argv[1])
import era5_like
enc = {"time": {"units": "hours since 1900-01-01", "calendar": "standard",
                "dtype": "int64"},
       "t2m": {"chunks": (24, 181, 360),
               "compressor": numcodecs.Blosc("zstd", 3, numcodecs.Blosc.SHUFFLE)}}
# t2m at ERA5's GRIB precision near 273 K (multiples of 2^-9 K).
era5_like.write(sys.argv[2], int(sys.argv[3]), "H", 24, ["t2m"], enc, 24,
                {"t2m": 512}, "written by lsio's tests/bench/reduce.sh")
EOF
	touch "$STORE/.done"
}

make_grib() {
	[ -e "$F" ] && return 0
	say "writing $F with ecCodes ($N messages of 1440 x 721)"
	"$PY" "$BENCH_TOP/tests/fixtures/grib_gen.py" series "$F.part" "$N" 1440 721
	mv "$F.part" "$F"
}

# zarr_variants OP TEMP: register the case's four commands, each writing
# its answer to $WORK/OP.TOOL.npy (kept for the checks).
zarr_variants() {
	local c=$1_$2 how label
	variants_clear
	variant "lsio_$c" lsio "lsio zarr --reduce $1:0" timed_once "$ZBYTES" \
		"$LSIO" zarr "$STORE/t2m" --reduce "$1:0" -o "$WORK/$1.lsio.npy" -q
	for how in xarray loop whole; do
		case $how in
		xarray) label="xarray + dask .$1(\"time\")" ;;
		loop) label="zarr-python chunk loop + numpy" ;;
		whole) label="zarr-python z[:] + np.nan$1" ;;
		esac
		variant "${how}_$c" lsio "$label" timed_once "$ZBYTES" \
			"$PY" "$PEERS" $how "$STORE" "$1" "$WORK/$1.$how.npy"
	done
}

grib_variants() {
	variants_clear
	variant lsio_grib lsio "lsio grib --reduce mean:0" timed_once "$GBYTES" \
		"$LSIO" grib "$F" --reduce mean:0 -o "$WORK/grib.lsio.npy" -q
	variant cdo_grib lsio "CDO $(cdo --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1) timmean" \
		timed_once "$GBYTES" cdo -s timmean "$F" "$WORK/grib.cdo.grib2"
	variant ec_grib lsio "ecCodes codes_get_values loop + numpy" timed_once "$GBYTES" \
		"$PY" "$PEERS" eccodes "$F" mean "$WORK/grib.eccodes.npy"
}

# run_all: every registered command once, untimed (for the checks).
run_all() {
	local v
	for v in "${V_NAMES[@]}"; do
		eval "${V_CMD[$v]}" > /dev/null || { say "$v failed: ${V_SHOW[$v]}"; exit 1; }
	done
}

# check_zarr OP: every peer's answer is lsio's (the means to float64
# rounding: the same float32 values summed in another order).
check_zarr() {
	local how
	run_all
	for how in xarray whole loop; do
		"$PY" - "$1" "$WORK/$1.lsio.npy" "$WORK/$1.$how.npy" <<-'EOF' ||
		import sys, numpy as np
		op, a, b = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3])
		same = a.dtype == b.dtype and a.shape == b.shape == (721, 1440) and (
		    np.allclose(a, b, rtol=1e-12, atol=0) if op == "mean" else np.array_equal(a, b))
		sys.exit(0 if same and a.dtype == ("<f8" if op == "mean" else "<f4") else 1)
		EOF
			{ say "$how's $1 differs from lsio's"; exit 1; }
	done
}

# check_grib: ecCodes' mean is lsio's to float32 rounding (lsio averages
# the values as float32, its default dtype); CDO's within half its
# output's packing step.
check_grib() {
	run_all
	"$PY" - "$WORK/grib.lsio.npy" "$WORK/grib.eccodes.npy" "$WORK/grib.cdo.grib2" <<-'EOF' ||
	import sys, numpy as np, eccodes as ec
	a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
	if not (a.dtype == b.dtype == "<f8" and a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=0)):
	    sys.exit("ecCodes' mean differs from lsio's")
	with open(sys.argv[3], "rb") as f:
	    h = ec.codes_grib_new_from_file(f)
	    c = ec.codes_get_values(h).reshape(a.shape)
	    step = 2.0 ** ec.codes_get(h, "binaryScaleFactor") / 10.0 ** ec.codes_get(h, "decimalScaleFactor")
	    more = ec.codes_grib_new_from_file(f)
	if more is not None or not np.all(np.abs(c - a) <= step / 2 + 1e-6 * np.abs(a)):
	    sys.exit("CDO's timmean differs from lsio's mean")
	EOF
		{ say "the GRIB means differ"; exit 1; }
}

# commands NAME...: the variants' commands as a user types them.
commands() {
	local v s=""
	for v in "$@"; do
		s+="\`${V_SHOW[$v]#timed_once * }\`; "
	done
	echo "${s%; }"
}

# rss_row CASE NAME OUT_BYTES: lsio's median peak RSS against the issue's
# limit, the output + 100 MB.
rss_row() {
	local r lim met
	r=$(sort -n "$WORK/$2.rss" | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 1e6 }')
	lim=$(awk -v o="$3" 'BEGIN { printf "%.0f", o / 1e6 + 100 }')
	met=$(awk -v r="$r" -v l="$lim" 'BEGIN { print (r <= l ? "**met**" : "**MISSED**") }')
	ROWS+=("| $(date +%F) | $1: lsio's peak RSS | $r MB | the output + 100 MB | $lim MB | $(awk -v r="$r" -v l="$lim" 'BEGIN { printf "%.2f", l / r }') | ≥ 1 | $met |")
}

# every_run_note CASE NAME...: the runs' seconds and the median peak RSS.
every_run_note() {
	local c=$1 v runs="" rss=""
	shift
	for v in "$@"; do
		runs+="$v $(secs "$v"); "
		rss+="$v $(median_rss_mib "$v") MiB, "
	done
	note "$c: peak RSS median ${rss%, }; every run (s), in the order run: ${runs%; }"
}

# The inputs, read again before every warm run (WARM_HOOK).
warm_store() {
	cat "$STORE"/.z* "$STORE"/*/.z* "$STORE"/*/[0-9]* > /dev/null
}
warm_grib() {
	cat "$F" > /dev/null
}
[ "${LSIO_BENCH_TOUCH:-1}" = 0 ] || RUN_HOOK="touch_mib 512"
TABLE_HEAD="| date | case | lsio (median) | peer | peer (median) | speed-up (peer/lsio) | target | |"
LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)

make_era5
WARM_HOOK=warm_store
for op in mean max; do
	zarr_variants $op warm
	say "zarr $op: checking the peers' answers against lsio's"
	check_zarr $op
	if [ $op = mean ]; then ZCMDS=$(commands "${V_NAMES[@]}"); fi
	for temp in cold warm; do
		[ $temp = cold ] && [ "$CAN_DROP" = 0 ] && continue
		c=${op}_$temp
		zarr_variants $op $temp
		for v in "${V_NAMES[@]}"; do : > "$WORK/$v.rss"; done
		say "zarr, $temp, $op over time, $REPS rounds"
		alternate_with srun $temp
		srow "$temp $op over time" "lsio_$c" "xarray_$c" 5
		srow "$temp $op over time" "lsio_$c" "loop_$c" -
		srow "$temp $op over time" "lsio_$c" "whole_$c" -
		rss_row "$temp $op over time" "lsio_$c" $((721 * 1440 * $([ $op = mean ] && echo 8 || echo 4)))
		every_run_note "zarr $temp $op" "${V_NAMES[@]}"
	done
done

WARM_HOOK=warm_grib RUN_HOOK=""
make_grib
grib_variants
say "grib: checking ecCodes' and CDO's means against lsio's"
check_grib
for v in "${V_NAMES[@]}"; do : > "$WORK/$v.rss"; done
say "grib, warm, mean of $N messages, $REPS rounds"
alternate_with srun warm
srow "warm mean of $N GRIB2 messages" lsio_grib cdo_grib 3
srow "warm mean of $N GRIB2 messages" lsio_grib ec_grib -
every_run_note "grib warm mean" "${V_NAMES[@]}"

note "store: \$STORE = \$LSIO_BENCH_DIR/reduce/$(basename "$STORE"), $(du -sm "$STORE" | cut -f 1) MiB on disk, written by xarray $(dpkg-query -W -f '${Version}' python3-xarray 2>/dev/null) (to_zarr, Zarr v2, consolidated, appended a day at a time): t2m float32 ($T, 721, 1440) = $((ZBYTES / 1000000)) MB, chunks 24 x 181 x 360, blosc zstd(3) + shuffle, smooth waves plus noise in steps of 2^-9 K"
note "commands (lsio: the whole process; the Python peers after their imports, from the open on; ./ is a temporary directory): $ZCMDS; max the same with max; tests/bench/reduce_peers.py says what each peer runs (xarray $(dpkg-query -W -f '${Version}' python3-xarray 2>/dev/null), dask $("$PY" -c 'import dask; print(dask.__version__)'), zarr $("$PY" -c 'import zarr; print(zarr.__version__)'), numpy $("$PY" -c 'import numpy; print(numpy.__version__)'))"
note "dask: open_zarr's default chunks (the stored 24 x 181 x 360: one task per chunk) and the default threaded scheduler ($(nproc) threads)"
note "cold: \`sync; echo 3 > /proc/sys/vm/drop_caches\` before every run (lsio's binary and libraries cold too; Python's imports are not timed); warm: the store's files read with cat before every run; before every run: $([ "${LSIO_BENCH_TOUCH:-1}" = 0 ] && echo "no memory touched (LSIO_BENCH_TOUCH=0)" || echo "512 MiB of memory touched and freed")"
note "GRIB2: \$F = \$LSIO_BENCH_DIR/reduce/$(basename "$F") ($(du -m "$F" | cut -f 1) MB): $N messages of 2 m temperature, 1440 x 721, hourly steps, complex packing with spatial differencing, 12 bits, written by ecCodes (tests/fixtures/grib_gen.py series); page cache warm (read with cat before every run); commands: $(commands "${V_NAMES[@]}")"
note "checked before timing: every peer's mean equals lsio's (Zarr: rtol 1e-12; ecCodes: rtol 1e-6, lsio averaging the float32 values; CDO's GRIB2 output within half its packing step) and every max exactly"
note "load average at the start: $LOAD0, at the end: $(cut -d ' ' -f 1-3 /proc/loadavg) (on $(nproc) cores)"
results_write "reductions while reading, lsio --reduce vs xarray + dask, zarr-python + numpy, CDO and ecCodes (issue 18)"
