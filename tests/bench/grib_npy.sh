#!/bin/bash
# grib_npy.sh - issue 12's whole-file benchmark: every message of a GFS-like
# file (0.25 deg, 1440 x 721, complex packing with spatial differencing as
# GFS writes it, written by ecCodes, with its NOAA-style .idx) decoded into
# one float32 .npy of (messages, 721, 1440), by
#   lsio grib F -o out.npy --workers 1, and --workers 2 (the whole process)
#   ecCodes (python3-eccodes): codes_grib_new_from_file + codes_get_values
#     per message into a preallocated float32 array, then np.save (timed
#     after import)
#   cfgrib/xarray: cfgrib.open_datasets(F) and load() of each dataset
#     (no index file; timed after import), float32 as cfgrib gives it
# Page cache warm.  MB/s = float32 output bytes / wall time.  Runs
# alternate, rotating the order, LSIO_BENCH_REPS rounds (default 5),
# medians; the section is appended to RESULTS.md.  Not part of make check.
# Targets (issue 12): >= 3x ecCodes, >= 10x cfgrib.
#
#   tests/bench/grib_npy.sh [LSIO]   (LSIO_BENCH_DIR, LSIO_BENCH_REPS,
#                                     LSIO_BENCH_GRIB_MESSAGES: default 100)
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
LSIO=${1:-${LSIO:-$top/build/lsio}}
REPS=${LSIO_BENCH_REPS:-5}
N=${LSIO_BENCH_GRIB_MESSAGES:-100}
RESULTS=${LSIO_BENCH_RESULTS:-$top/tests/bench/RESULTS.md}
D=${LSIO_BENCH_DIR:-/var/tmp/lsio-bench}/grib_npy
PY=/usr/bin/python3
work=$(mktemp -d "${D%/*}/.grib_npy.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cp "$LSIO" "$work/lsio"	# others may rebuild the tree meanwhile
built=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" -c 'import eccodes, cfgrib, xarray' 2> /dev/null ||
	{ echo "grib_npy.sh: /usr/bin/python3 needs eccodes, cfgrib, xarray (make deps-bench)" >&2; exit 2; }

F=$D/gfs$N.grib2
mkdir -p "$D"
if [ ! -e "$F.idx" ]; then
	echo "grib_npy.sh: writing $F with ecCodes ($N messages, 1440 x 721)" >&2
	"$PY" "$top/tests/fixtures/grib_gen.py" gfs "$F" "$N" 1440 721
	"$PY" "$top/tests/fixtures/grib_gen.py" idx "$F" > "$F.idx"
fi
cat "$F" > /dev/null
OUT=$((N * 1440 * 721 * 4))

# secs CMD...: the command's wall time in seconds.
secs() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > /dev/null
	t1=$(date +%s%N)
	echo "$t0 $t1" | awk '{ printf "%.3f", ($2 - $1) / 1e9 }'
}

lsio1() { "$work/lsio" grib "$F" -o "$work/l.npy" --workers 1 -q; }
lsio2() { "$work/lsio" grib "$F" -o "$work/l.npy" --workers 2 -q; }

eccodes_t() {
	"$PY" - "$F" "$N" "$work/e.npy" <<-'EOF'
	import sys, time
	import numpy as np, eccodes as ec
	t0 = time.perf_counter()
	out = np.empty((int(sys.argv[2]), 721, 1440), np.float32)
	with open(sys.argv[1], "rb") as f:
	    for i in range(out.shape[0]):
	        h = ec.codes_grib_new_from_file(f)
	        out[i] = ec.codes_get_values(h).reshape(721, 1440)
	        ec.codes_release(h)
	np.save(sys.argv[3], out)
	print("%.3f" % (time.perf_counter() - t0))
	EOF
}

cfgrib_t() {
	"$PY" - "$F" <<-'EOF' 2> /dev/null
	import sys, time
	import cfgrib
	t0 = time.perf_counter()
	for ds in cfgrib.open_datasets(sys.argv[1], backend_kwargs={"indexpath": ""}):
	    ds.load()
	print("%.3f" % (time.perf_counter() - t0))
	EOF
}

# Same values: lsio's array against ecCodes' (float32 of the same doubles).
lsio1
eccodes_t > /dev/null
"$PY" -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.shape == b.shape and np.allclose(a, b, rtol=2.5e-7, atol=0) else 1)' \
	"$work/l.npy" "$work/e.npy" || { echo "grib_npy.sh: lsio and ecCodes differ" >&2; exit 1; }

declare -A runs=([l1]= [l2]= [ec]= [cf]=)
order=(l1 l2 ec cf)
for r in $(seq "$REPS"); do
	for k in $(seq 0 3); do
		v=${order[$(((k + r) % 4))]}
		case $v in
		l1) runs[l1]+=" $(secs lsio1)" ;;
		l2) runs[l2]+=" $(secs lsio2)" ;;
		ec) runs[ec]+=" $(eccodes_t)" ;;
		cf) runs[cf]+=" $(cfgrib_t)" ;;
		esac
	done
	echo "grib_npy.sh: round $r: l1${runs[l1]##* } l2${runs[l2]##* } ec${runs[ec]##* } cf${runs[cf]##* }" >&2
done

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
mbs() { awk -v b="$OUT" -v t="$1" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }
declare -A med
for v in l1 l2 ec cf; do
	med[$v]=$(echo "${runs[$v]}" | median)
done
ratio() { awk -v a="${med[$1]}" -v b="${med[$2]}" 'BEGIN { printf "%.2f", b / a }'; }

section=$(cat <<-EOF

## $(date +%Y-%m-%d) GRIB2 whole file to .npy: lsio grib -o X.npy vs ecCodes and cfgrib (issue 12)

Machine: $(nproc) cores, $(uname -r); lsio $built. $N messages of 1440 x 721
(template 5.3, complex packing with spatial differencing, as ecCodes 2.28
writes it: tests/fixtures/grib_gen.py gfs), $(du -m "$F" | cut -f1) MB; output $((OUT / 1000000)) MB of float32;
page cache warm; medians of $REPS rotating rounds.

| tool | median s | MB/s | lsio (2 workers) vs it | runs (s) |
|---|---|---|---|---|
| lsio grib --workers 1 | ${med[l1]} | $(mbs "${med[l1]}") | $(ratio l2 l1)x | ${runs[l1]} |
| lsio grib --workers 2 | ${med[l2]} | $(mbs "${med[l2]}") | 1.00x | ${runs[l2]} |
| ecCodes codes_get_values loop | ${med[ec]} | $(mbs "${med[ec]}") | $(ratio l2 ec)x | ${runs[ec]} |
| cfgrib open_datasets + load | ${med[cf]} | $(mbs "${med[cf]}") | $(ratio l2 cf)x | ${runs[cf]} |

lsio 1 worker vs ecCodes: $(ratio l1 ec)x (target 3x); vs cfgrib: $(ratio l1 cf)x (target 10x).
Command: \`tests/bench/grib_npy.sh\` (LSIO_BENCH_REPS=$REPS). lsio: \`lsio grib F -o
out.npy --workers W -q\` with F's .idx beside it, the whole process timed
(inventory, grids, decode, the .npy written); ecCodes: the loop into a
float32 array and \`np.save\`, timed after import; cfgrib $("$PY" -c 'import cfgrib; print(cfgrib.__version__)'):
\`cfgrib.open_datasets(F, backend_kwargs={"indexpath": ""})\` and \`load()\`,
timed after import (nothing written).  lsio's array equals ecCodes' to
float32 rounding (checked before timing).
Load average at the start: $load0, at the end: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
)
if [ "$RESULTS" = - ]; then
	echo "$section"
else
	echo "$section" >> "$RESULTS"
fi
