#!/bin/bash
# grib_file.sh - issue 12's whole-file benchmark: every message of a
# GFS-like GRIB2 file decoded to arrays, by lsio's grib2 stage (a job of one
# chunk per message, null output, --workers 1 and 2), by ecCodes (one
# /usr/bin/python3 process, codes_grib_new_from_file + codes_get_values
# over the file) and by cfgrib/xarray (cfgrib.open_datasets + load(), the
# way most users read GRIB2 in Python; python3-cfgrib from Debian).
#
# The file: 0.25 deg (1440 x 721), 104 messages of mixed packings as a GFS
# pgrb2 file mixes them: 40 simple packing (ecCodes, 12 and 16 bits), 50
# complex packing with spatial differencing of order 2 (GDAL's GRIB writer:
# ecCodes 2.28 writes order 0), 10 CCSDS (ecCodes), 4 JPEG 2000 (ecCodes).
# Each message is a different parameter or level, so cfgrib builds its
# datasets without conflicts.  Made once in $LSIO_BENCH_DIR/grib_file.
#
# Times: each process's whole wall time for lsio and cfgrib (a user's
# command); ecCodes' loop alone after import (kinder to ecCodes).  Warm
# page cache.  Targets: lsio >= 3x ecCodes, >= 10x cfgrib.
#
#   tests/bench/grib_file.sh [LSIO_BINARY]
. "$(dirname "$0")/common.bash"
bench_init grib_file

"$PY" -c 'import eccodes, osgeo.gdal' 2> /dev/null ||
	{ say "needs python3-eccodes and python3-gdal (make deps)"; exit 2; }
HAVE_CFGRIB=1
"$PY" -c 'import cfgrib, xarray' 2> /dev/null || HAVE_CFGRIB=0

DATA=$BENCH_DIR/grib_file
mkdir -p "$DATA"
FILE=$DATA/gfs-like.grib2
if [ ! -s "$FILE" ] || [ ! -s "$FILE.chunks" ]; then
	say "writing $FILE (ecCodes and GDAL, about a minute)"
	"$PY" - "$FILE" <<-'EOF'
	import os, struct, sys, tempfile
	import numpy as np
	import eccodes as ec
	from osgeo import gdal, osr
	gdal.UseExceptions()
	out = sys.argv[1]
	NI, NJ = 1440, 721
	rng = np.random.default_rng(5)
	lat = np.linspace(90, -90, NJ)[:, None]
	lon = np.linspace(0, 360 - 0.25, NI)[None, :]

	def field(k):
	    """A smooth global field with weather-like noise."""
	    a = 250 + 40 * np.cos(np.radians(lat)) + 5 * np.sin(np.radians(3 * lon + 17 * k))
	    return (a + rng.normal(0, 0.3, (NJ, NI))).astype(np.float64)

	SAMPLE = "/usr/share/eccodes/samples/GRIB2.tmpl"
	LEVELS = [1000, 975, 950, 925, 900, 850, 800, 750, 700, 650, 600, 550, 500,
	          450, 400, 350, 300, 250, 200, 150, 100, 70, 50, 30, 20, 10]
	PARAMS = ["t", "u", "v", "r", "gh", "w"]

	def label(h, k):
	    ec.codes_set(h, "typeOfFirstFixedSurface", 100)
	    ec.codes_set(h, "scaleFactorOfFirstFixedSurface", 0)
	    ec.codes_set(h, "scaledValueOfFirstFixedSurface", LEVELS[k % 26] * 100)
	    ec.codes_set(h, "shortName", PARAMS[k // 26])

	def grid(h):
	    for key, v in (("Ni", NI), ("Nj", NJ), ("iDirectionIncrementInDegrees", 0.25),
	                   ("jDirectionIncrementInDegrees", 0.25),
	                   ("latitudeOfFirstGridPointInDegrees", 90.0),
	                   ("latitudeOfLastGridPointInDegrees", -90.0),
	                   ("longitudeOfFirstGridPointInDegrees", 0.0),
	                   ("longitudeOfLastGridPointInDegrees", 359.75)):
	        ec.codes_set(h, key, v)

	def eccodes_msg(k, packing, bits):
	    with open(SAMPLE, "rb") as f:
	        h = ec.codes_new_from_file(f, ec.CODES_PRODUCT_GRIB)
	    grid(h)
	    label(h, k)
	    ec.codes_set(h, "bitsPerValue", bits)
	    ec.codes_set_values(h, field(k).ravel())
	    ec.codes_set(h, "packingType", packing)
	    m = ec.codes_get_message(h)
	    ec.codes_release(h)
	    return m

	def gdal_msg(k, tmp):
	    mem = gdal.GetDriverByName("MEM").Create("", NI, NJ, 1, gdal.GDT_Float32)
	    mem.SetGeoTransform([-0.125, 0.25, 0, 90.125, 0, -0.25])
	    srs = osr.SpatialReference()
	    srs.SetWellKnownGeogCS("WGS84")
	    mem.SetProjection(srs.ExportToWkt())
	    mem.GetRasterBand(1).WriteArray(field(k))
	    path = os.path.join(tmp, "m.grib2")
	    gdal.GetDriverByName("GRIB").CreateCopy(path, mem, options=[
	        "DATA_ENCODING=COMPLEX_PACKING", "SPATIAL_DIFFERENCING_ORDER=2",
	        "NBITS=16"])
	    # Relabelled by ecCodes: header keys only, section 7 kept as GDAL
	    # wrote it (checked below: order 2).
	    h = ec.codes_new_from_message(open(path, "rb").read())
	    label(h, k)
	    m = ec.codes_get_message(h)
	    assert ec.codes_get(h, "orderOfSpatialDifferencing") == 2
	    ec.codes_release(h)
	    return m

	plan = ([("grid_simple", 16)] * 20 + [("grid_simple", 12)] * 20 +
	        [("gdal", 16)] * 50 + [("grid_ccsds", 16)] * 10 + [("grid_jpeg", 16)] * 4)
	chunks, at = [], 0
	with tempfile.TemporaryDirectory() as tmp, open(out + ".tmp", "wb") as f:
	    for k, (packing, bits) in enumerate(plan):
	        m = gdal_msg(k, tmp) if packing == "gdal" else eccodes_msg(k, packing, bits)
	        f.write(m)
	        chunks.append("%d %d %s" % (at, len(m), packing))
	        at += len(m)
	open(out + ".chunks", "w").write("\n".join(chunks) + "\n")
	os.rename(out + ".tmp", out)
	EOF
fi
nmsg=$(wc -l < "$FILE.chunks")
size=$(stat -c %s "$FILE")

# The same file without its JPEG 2000 messages: OpenJPEG bounds lsio and
# ecCodes alike on those, and this says what the rest comes to.
NOJ=$DATA/gfs-like-nojpeg.grib2
if [ ! -s "$NOJ" ] || [ ! -s "$NOJ.chunks" ] || [ "$NOJ" -ot "$FILE" ]; then
	"$PY" - "$FILE" "$NOJ" <<-'EOF'
	import sys
	src, dst = sys.argv[1], sys.argv[2]
	data = open(src, "rb").read()
	chunks, at = [], 0
	with open(dst, "wb") as f:
	    for line in open(src + ".chunks"):
	        off, length, packing = line.split()
	        if packing == "grid_jpeg":
	            continue
	        f.write(data[int(off):int(off) + int(length)])
	        chunks.append("%d %s %s" % (at, length, packing))
	        at += int(length)
	open(dst + ".chunks", "w").write("\n".join(chunks) + "\n")
	EOF
fi

# job FILE: one chunk per message, the grib2 stage, null output.
job() {
	"$PY" - "$1" <<-'EOF'
	import json, sys
	path = sys.argv[1]
	chunks = []
	for line in open(path + ".chunks"):
	    off, length, _ = line.split()
	    chunks.append({"source": path, "offset": int(off), "length": int(length),
	                   "stages": ["grib2"]})
	print(json.dumps({"lsio": 1, "output": {"type": "null"}, "chunks": chunks}))
	EOF
}
job "$FILE" > "$WORK/file.job"
job "$NOJ" > "$WORK/nojpeg.job"

cat > "$WORK/eccodes_loop.py" <<-'EOF'
import sys, time
import eccodes as ec
t0 = time.perf_counter()
n = 0
with open(sys.argv[1], "rb") as f:
    while True:
        h = ec.codes_grib_new_from_file(f)
        if h is None:
            break
        v = ec.codes_get_values(h)
        n += v.size
        ec.codes_release(h)
print("%.6f %d" % (time.perf_counter() - t0, n))
EOF

cat > "$WORK/cfgrib_load.py" <<-'EOF'
import sys, time
import cfgrib
# indexpath "": no .idx cache on disk, so every run scans as a first one.
dss = cfgrib.open_datasets(sys.argv[1], backend_kwargs={"indexpath": ""})
n = 0
for ds in dss:
    ds.load()
    n += sum(v.size for v in ds.data_vars.values())
print(n)
EOF

# wall CMD...: the command's wall time in seconds; its output in $WORK/out.
wall() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > "$WORK/out" 2> "$WORK/err" || { say "failed: $*"; cat "$WORK/err" >&2; exit 1; }
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'
}

run_one() {
	case $1 in
	lsio1) wall "$LSIO" run "$WORK/file.job" --workers 1 -q ;;
	lsio2) wall "$LSIO" run "$WORK/file.job" --workers 2 -q ;;
	eccodes) wall "$PY" "$WORK/eccodes_loop.py" "$FILE" > /dev/null
		 cut -d' ' -f1 "$WORK/out" ;;
	cfgrib) wall "$PY" "$WORK/cfgrib_load.py" "$FILE" ;;
	nojpeg_cfgrib) wall "$PY" "$WORK/cfgrib_load.py" "$NOJ" ;;
	nojpeg_lsio1) wall "$LSIO" run "$WORK/nojpeg.job" --workers 1 -q ;;
	nojpeg_lsio2) wall "$LSIO" run "$WORK/nojpeg.job" --workers 2 -q ;;
	nojpeg_eccodes) wall "$PY" "$WORK/eccodes_loop.py" "$NOJ" > /dev/null
			cut -d' ' -f1 "$WORK/out" ;;
	esac
}

names=(lsio1 lsio2 eccodes nojpeg_lsio1 nojpeg_lsio2 nojpeg_eccodes)
[ "$HAVE_CFGRIB" = 1 ] && names+=(cfgrib nojpeg_cfgrib)
# Warm the page cache, and check that every decoder saw every point.
cat "$FILE" > /dev/null
"$LSIO" run "$WORK/file.job" --workers 1 -q
"$PY" "$WORK/eccodes_loop.py" "$FILE" > "$WORK/n.ecc"
points=$(cut -d' ' -f2 "$WORK/n.ecc")
[ "$points" -eq $((nmsg * 1440 * 721)) ] || { say "ecCodes decoded $points points"; exit 1; }
if [ "$HAVE_CFGRIB" = 1 ]; then
	"$PY" "$WORK/cfgrib_load.py" "$FILE" > "$WORK/n.cfg" 2> /dev/null
	[ "$(cat "$WORK/n.cfg")" -eq "$points" ] || { say "cfgrib loaded $(cat "$WORK/n.cfg") points, ecCodes $points"; exit 1; }
fi

declare -A T=()
for ((r = 0; r < REPS; r++)); do
	quiet_wait
	n=${#names[@]}
	for ((i = 0; i < n; i++)); do
		k=${names[(i + r) % n]}
		T[$k]+=" $(run_one "$k")"
	done
done

med() {
	tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

TABLE_HEAD="| date | case | lsio (median) | peer | peer (median) | peer time / lsio time | target | |"
# rows PREFIX WHAT: lsio with 1 and 2 workers against each peer measured.
rows() {
	local w l p peer tgt ratio met label
	for w in 1 2; do
		l=$(echo "${T[${1}lsio$w]}" | med)
		for peer in eccodes cfgrib; do
			[ -n "${T[$1$peer]:-}" ] || continue
			p=$(echo "${T[$1$peer]}" | med)
			tgt=$([ "$peer" = eccodes ] && echo 3 || echo 10)
			ratio=$(awk -v a="$p" -v b="$l" 'BEGIN { printf "%.2f", a / b }')
			met=$(awk -v r="$ratio" -v t="$tgt" 'BEGIN { print (r >= t ? "**met**" : "**MISSED**") }')
			label=$([ "$peer" = eccodes ] && echo "ecCodes codes_get_values loop" || echo "cfgrib open_datasets + load()")
			ROWS+=("| $(date +%F) | $2, --workers $w | $l s | $label | $p s | $ratio | ≥ $tgt | $met |")
		done
	done
}
rows "" "$nmsg messages, $((size / 1048576)) MB"
rows nojpeg_ "the same without its 4 JPEG 2000 messages"
for k in "${names[@]}"; do
	note "$k, every run (s):${T[$k]}"
done
note "file: 1440 x 721 (0.25 deg), $nmsg messages, $size bytes: 40 simple packing (ecCodes; 20 of 16 bits, 20 of 12), 50 complex packing + spatial differencing order 2 (GDAL's GRIB writer, 16 bits; relabelled by ecCodes), 10 CCSDS (ecCodes, 16 bits), 4 JPEG 2000 (ecCodes, 16 bits); each message another parameter or level"
note "commands: \`lsio run file.job --workers W -q\` (the job: one chunk per message, \`\"stages\": [\"grib2\"]\` (<f4), null output; whole process timed); \`python3 eccodes_loop.py FILE\` (codes_grib_new_from_file + codes_get_values + codes_release over the file; the loop alone timed, after import); \`python3 cfgrib_load.py FILE\` (\`cfgrib.open_datasets(FILE, backend_kwargs={'indexpath': ''})\` then \`load()\` of each dataset; whole process timed, as a user runs it). Every decoder's point count checked equal before timing."
[ "$HAVE_CFGRIB" = 1 ] || note "cfgrib: not installed here (python3-cfgrib, python3-xarray: make deps-bench); no cfgrib rows"
results_write "whole-file GRIB2 decode, lsio grib2 stage vs ecCodes and cfgrib (issue 12)"
