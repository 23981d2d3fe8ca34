# common.bash - what the comparison scripts in tests/bench/ share.  Sourced,
# never run (run.sh runs every *.sh here, so this file is not one).
#
# A script registers variants (lsio and its peers), then `alternate` runs
# them in turn, REPS times, rotating the order each round so that neither
# side always runs first after the cache drop or while a neighbour on this
# shared machine is busy.  `row` turns the medians into a Markdown table
# row with the ratio lsio/peer and whether the target is met;
# `results_write` appends the dated section to RESULTS.md.
#
# Environment:
#   LSIO_BENCH_DIR     data directory (default /var/tmp/lsio-bench; must not
#                      be tmpfs: the disk is the point).  Files are reused.
#   LSIO_BENCH_SCALE   "default" (fits `make bench` in < 30 min) or "full"
#                      (the issues' sizes)
#   LSIO_BENCH_REPS    runs per variant, default 5 (medians need >= 5)
#   LSIO_BENCH_RESULTS the Markdown file to append to (default RESULTS.md
#                      here); "-" prints the section instead

set -eu
set -o pipefail

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LSIO=${1:-${LSIO:-$BENCH_TOP/build/lsio}}
LSIO=$(cd "$(dirname "$LSIO")" && pwd)/$(basename "$LSIO")
BENCH_DIR=${LSIO_BENCH_DIR:-/var/tmp/lsio-bench}
SCALE=${LSIO_BENCH_SCALE:-default}
REPS=${LSIO_BENCH_REPS:-5}
RESULTS=${LSIO_BENCH_RESULTS:-$BENCH_TOP/tests/bench/RESULTS.md}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
BENCH_T0=$(date +%s)
# The source tree is shared: freeze the binary under test, so a rebuild
# during the run cannot mix two versions in one comparison.
: "${LSIO_BUILT:=$(git -C "$BENCH_TOP" describe --always --dirty 2>/dev/null || echo unknown)}"
if [ -x "$LSIO" ]; then
	cp "$LSIO" "$WORK/lsio"
	LSIO=$WORK/lsio
fi

declare -a V_NAMES=()
declare -A V_KIND=() V_CMD=() V_SHOW=() V_LABEL=() SHORT=()
ROWS=()
NOTES=()
CAN_DROP=0

say() {
	printf '%s: %s\n' "$BENCH_NAME" "$*" >&2
}

# bench_init NAME: check the tools and the data directory.
bench_init() {
	BENCH_NAME=$1
	case $SCALE in default|full) ;; *) say "LSIO_BENCH_SCALE must be default or full"; exit 2 ;; esac
	[ "$REPS" -ge 5 ] 2>/dev/null || { say "LSIO_BENCH_REPS must be >= 5 (medians)"; exit 2; }
	[ -x "$LSIO" ] || { say "no lsio binary at '$LSIO' (make first)"; exit 2; }
	command -v fio >/dev/null || { say "fio is missing (make deps-bench)"; exit 2; }
	mkdir -p "$BENCH_DIR"
	if [ "$(stat -f -c %T "$BENCH_DIR")" = tmpfs ]; then
		say "warning: '$BENCH_DIR' is tmpfs: cold figures would be memory figures; set LSIO_BENCH_DIR"
	fi
	if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
		CAN_DROP=1
	else
		say "not root: cold comparisons are skipped (they drop the page cache)"
	fi
}

drop_caches() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

# bench_data SUBDIR FILES SIZE: make (or reuse) the data with lsio bench;
# prints the paths.
bench_data() {
	"$LSIO" bench --dir "$BENCH_DIR/$1" --files "$2" --file-size "$3" \
		--create-only -q
}

# The machine, for the section header.
machine() {
	local src dev model fs
	src=$(df --output=source "$BENCH_DIR" | tail -n 1)
	dev=$(basename "$src")
	if [ -e "/sys/class/block/$dev/partition" ]; then
		dev=$(basename "$(readlink -f "/sys/class/block/$dev/..")")
	fi
	model=$(cat "/sys/block/$dev/device/model" 2>/dev/null | xargs || true)
	if [ -z "$model" ]; then
		case $(readlink -f "/sys/block/$dev/device/driver" 2>/dev/null) in
		*virtio*) model=virtio ;;
		*) model=unknown ;;
		esac
	fi
	fs=$(findmnt -n -o FSTYPE --target "$BENCH_DIR" 2>/dev/null || stat -f -c %T "$BENCH_DIR")
	printf '%s cores (%s), kernel %s, disk %s (%s, %s), %s GiB RAM' \
		"$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" \
		"$(uname -r)" "$model" "$dev" "$fs" \
		"$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
}

# variant NAME KIND LABEL CMD...: register a command.  KIND says how to
# read its output: lsio (lsio run --stats=json) or fio (--output-format=json);
# LABEL names it in the table.
variant() {
	local name=$1 kind=$2 show k
	V_LABEL[$name]=$3
	shift 3
	V_NAMES+=("$name")
	V_KIND[$name]=$kind
	V_CMD[$name]=$(printf '%q ' "$@")
	show=$(printf "%q " "$@")
	show=${show% }
	# Longest first: one list may begin with another.
	while IFS= read -r k; do
		[ -n "$k" ] && show=${show//"$k"/${SHORT[$k]}}
	done < <(for k in "${!SHORT[@]}"; do printf '%d\t%s\n' "${#k}" "$k"; done |
		 sort -rn | cut -f 2-)
	show=${show//"$LSIO"/lsio}
	show=${show//"$WORK"/.}
	show=${show//"$BENCH_DIR"/\$LSIO_BENCH_DIR}
	V_SHOW[$name]=$show
}

# shorthand TEXT NAME: show TEXT (a long file list) as NAME in commands.
shorthand() {
	SHORT[$1]=$2
}

variants_clear() {
	V_NAMES=()
}

# metric KIND FILE WALL: one run's "GiB/s IOPS bytes e2e-GiB/s e2e-IOPS":
# the tool's own figures (I/O time only), then the same over the process's
# whole wall time (start-up and planning included).
metric() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
kind, path, wall = sys.argv[1], sys.argv[2], float(sys.argv[3])
text = open(path).read()
j = json.loads(text[text.index('{'):])
if kind == 'fio':
    jobs = j['jobs']
    bw = sum(x['read']['bw_bytes'] for x in jobs)
    iops = sum(x['read']['iops'] for x in jobs)
    io = sum(x['read']['io_bytes'] for x in jobs)
    ios = sum(x['read']['total_ios'] for x in jobs)
else:
    bw = j['throughput_bytes_per_second']
    iops = j['chunks_per_second']
    io = j['bytes_requested']
    ios = j['chunks']
print('%.6f %.1f %d %.6f %.1f' % (bw / 2**30, iops, io, io / wall / 2**30, ios / wall))
EOF
}

run_variant() {
	local name=$1 cold=$2 out=$WORK/out.json t0 t1
	[ "$cold" = cold ] && drop_caches
	[ "$cold" = warm ] && [ -n "${WARM_HOOK:-}" ] && $WARM_HOOK
	t0=$(date +%s.%N)
	if ! eval "${V_CMD[$name]}" > "$out" 2> "$WORK/err"; then
		say "$name failed: ${V_SHOW[$name]}"
		cat "$WORK/err" >&2
		exit 1
	fi
	t1=$(date +%s.%N)
	metric "${V_KIND[$name]}" "$out" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		>> "$WORK/$name.vals"
	cp "$out" "$WORK/$name.last.json"	# for notes on the last run
}

# Percent of CPU time idle over half a second.
cpu_idle() {
	local a b
	read -r -a a < /proc/stat
	sleep 0.5
	read -r -a b < /proc/stat
	awk -v i1="${a[4]}" -v i2="${b[4]}" \
		-v t1="$((a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7]))" \
		-v t2="$((b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7]))" \
		'BEGIN { printf "%d", (t2 > t1 ? 100 * (i2 - i1) / (t2 - t1) : 100) }'
}

# Others share this machine: before a round, wait (up to 20 s) for it to
# be at least 75% idle, and count the rounds that started busy.
QUIET_WAITS=0 BUSY_ROUNDS=0 ROUNDS=0
quiet_wait() {
	local t
	ROUNDS=$((ROUNDS + 1))
	for ((t = 0; t < 40; t++)); do
		[ "$(cpu_idle)" -ge 75 ] && return 0
		QUIET_WAITS=$((QUIET_WAITS + 1))
	done
	BUSY_ROUNDS=$((BUSY_ROUNDS + 1))
}

# alternate cold|warm: every variant REPS times, in turn, the order rotated
# each round.  WARM_HOOK (a command), when set, runs before each warm run:
# another user's cache drop (or this VM's proactive reclaim, see
# array_sink.md) must not turn a warm run cold.  zalternate also runs
# RUN_HOOK, when set, just before every run.
alternate() {
	alternate_with run_variant "$1"
}

# alternate_with FUNC ARG...: REPS rounds of FUNC NAME ARG... over every
# variant, each round starting one variant later, after the machine has
# quietened; each variant's .vals starts empty.
alternate_with() {
	local fn=$1 n=${#V_NAMES[@]} r i
	shift
	for name in "${V_NAMES[@]}"; do : > "$WORK/$name.vals"; done
	for ((r = 0; r < REPS; r++)); do
		quiet_wait
		for ((i = 0; i < n; i++)); do
			"$fn" "${V_NAMES[(i + r) % n]}" "$@"
		done
	done
}

# zarr_check_same STORE_OR_URL LOCAL_STORE SEL: lsio zarr's SEL of STORE
# equals zarr-python's of LOCAL_STORE: a benchmark of wrong answers is
# worth nothing.
zarr_check_same() {
	"$LSIO" zarr "$1" --select "$3" -o "$WORK/check.npy" -q
	"$PY" - "$2" "$3" "$WORK/check.npy" <<'EOF'
import sys, numpy as np, zarr
a = eval("zarr.open(sys.argv[1], 'r')[%s]" % sys.argv[2])
b = np.load(sys.argv[3])
assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True), "lsio differs from zarr-python"
EOF
	rm -f "$WORK/check.npy"
}

# stat_of NAME FIELD median|min|max|all; FIELD 1 GiB/s, 2 IOPS, 3 bytes,
# 4 GiB/s and 5 IOPS over the process's wall time
stat_of() {
	"$PY" - "$WORK/$1.vals" "$2" "$3" <<'EOF'
import statistics, sys
path, field, what = sys.argv[1], int(sys.argv[2]) - 1, sys.argv[3]
v = [float(l.split()[field]) for l in open(path) if l.strip()]
fmt = (lambda x: '%.3f' % x) if field in (0, 3) else (lambda x: '%.0f' % x)
if what == 'all':
    print(' '.join(fmt(x) for x in v))
else:
    print(fmt({'median': statistics.median, 'min': min, 'max': max}[what](v)))
EOF
}

# row CASE LSIO_NAME PEER_NAME FIELD TARGET: a table row; TARGET is the
# ratio lsio/peer the issue asks for, or "-" for a reference figure.
row() {
	local c=$1 a=$2 b=$3 f=$4 t=$5 ma mb ratio met unit
	ma=$(stat_of "$a" "$f" median)
	mb=$(stat_of "$b" "$f" median)
	ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	if [ "$t" = - ]; then
		met="(reference)"
		t="-"
	elif awk -v r="$ratio" -v t="$t" 'BEGIN { exit !(r >= t) }'; then
		met="**met**"
		t="≥ $t"
	else
		met="**MISSED**"
		t="≥ $t"
	fi
	case $f in 1) unit=GiB/s ;; 2) unit=IOPS ;; 4) unit="GiB/s e2e" ;; 5) unit="IOPS e2e" ;; esac
	ROWS+=("| $(date +%F) | $c: ${V_LABEL[$a]} | $ma $unit | ${V_LABEL[$b]} | $mb $unit | $ratio | $t | $met |")
	LAST_RATIO=$ratio
}

note() {
	NOTES+=("$*")
}

# runs_note FIELD NAME...: every run's figure (1 GiB/s, 2 IOPS), for the
# record.
runs_note() {
	local f=$1 name s=""
	shift
	for name in "$@"; do
		s+="$name $(stat_of "$name" "$f" all); "
	done
	note "every run ($([ "$f" = 1 ] && echo GiB/s || echo IOPS)), in the order run: ${s%; }"
}

commands_note() {
	local name
	for name in "$@"; do
		NOTES+=("\`$name\`: \`${V_SHOW[$name]}\`")
	done
}

# results_write TITLE: the dated section, appended to RESULTS.md.
results_write() {
	local out=$WORK/section.md line
	{
		printf '\n### %s %s: %s\n\n' "$(date +%F)" "$BENCH_NAME" "$1"
		printf 'Machine: %s. lsio %s. Scale: %s, %s runs per variant, alternated; %s s; %s of %s rounds started with the machine busy (< 75%% idle after 20 s of waiting); load average at the end %s.\n\n' \
			"$(machine)" "$LSIO_BUILT" "$SCALE" "$REPS" \
			"$(($(date +%s) - BENCH_T0))" "$BUSY_ROUNDS" "$ROUNDS" \
			"$(cut -d' ' -f1-3 /proc/loadavg)"
		printf '%s\n' "${TABLE_HEAD:-| date | case | lsio (median) | peer | peer (median) | lsio/peer | target | |}"
		printf '%s\n' "${TABLE_SEP:-|---|---|---|---|---|---|---|---|}"
		for line in "${ROWS[@]}"; do printf '%s\n' "$line"; done
		printf '\n'
		for line in "${NOTES[@]}"; do printf -- '- %s\n' "$line"; done
	} > "$out"
	if [ "$RESULTS" = - ]; then
		cat "$out"
	else
		cat "$out" >> "$RESULTS"
		cat "$out" >&2
	fi
}

# --- Zarr arrays (zarr.sh, array_sink.sh) -----------------------------------

# zarr_need: zarr-python is the peer and writes the stores.
zarr_need() {
	"$PY" -c 'import zarr, numcodecs' 2>/dev/null ||
		{ say "/usr/bin/python3 cannot import zarr (apt-get install python3-zarr)"; exit 2; }
}

# make_store NAME COMPRESSOR: write (or reuse) the T x 512 x 512 float32
# array ($T: the caller's) with zarr-python; prints its path.
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

# zarr_store_ready COMP: make (or reuse) the COMP store and check that lsio
# reads its $SLAB as zarr-python does; sets store and label.
zarr_store_ready() {
	store=$(make_store "$1" "$1")
	zarr_check_same "$store" "$store" "$SLAB"
	label=$([ "$1" = zstd ] && echo "zstd(1)" || echo "blosc lz4+shuffle")
	shorthand "$store" "\$LSIO_BENCH_DIR/zarr/$1-$T.zarr"
}

# The runners print "SECONDS BYTES PEAK_RSS_BYTES" for one read; the output
# goes to $ZARR_OUT (default $WORK).
lsio_zarr_once() {
	local out=${ZARR_OUT:-$WORK}/lsio.npy t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$WORK/rss" "$LSIO" zarr "$1" --select "$2" -o "$out" -q
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(stat -c %s "$out") $(($(tail -n 1 "$WORK/rss") * 1024))"
	rm -f "$out"
}

zarr_python_once() {
	"$PY" - "$1" "$2" "${ZARR_OUT:-$WORK}/zarr.npy" <<'EOF'
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
	[ "$2" = warm ] && [ -n "${WARM_HOOK:-}" ] && $WARM_HOOK
	[ -n "${RUN_HOOK:-}" ] && $RUN_HOOK
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

# decode_files_once FILE...: the decode limit of these Zarr v2 chunk files,
# each decoded with the compressor of the .zarray beside it: read into
# memory first, decoded into preallocated, pre-faulted memory by one
# process per core, all started together (blosc single-threaded in each);
# printed as a runner line, "SECONDS BYTES 0" (SECONDS from the first start
# to the last end, BYTES decoded).  With DECODE_OUT set, each process also
# pwrite()s every chunk it decoded to its place in that new file (the
# chunk's place in the list times the largest chunk's size).
decode_files_once() {
	"$PY" - "$(nproc)" "$@" <<'EOF'
import json, multiprocessing as mp, os, sys, time
import numcodecs, numpy as np
n = int(sys.argv[1])
numcodecs.blosc.use_threads = False  # one core per process
numcodecs.blosc.set_nthreads(1)
arrays, work = {}, []
for path in sys.argv[2:]:
    d = os.path.dirname(path)
    if d not in arrays:
        meta = json.load(open(os.path.join(d, ".zarray")))
        arrays[d] = (numcodecs.get_codec(meta["compressor"]),
                     int(np.prod(meta["chunks"])) * np.dtype(meta["dtype"]).itemsize)
    work.append(arrays[d] + (open(path, "rb").read(),))
size = max(w[1] for w in work)

dest = os.environ.get("DECODE_OUT")
fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_TRUNC) if dest else -1

def decode(j, barrier, q):
    mine = work[j::n]
    out = np.ones(len(mine) * size, np.uint8)  # faulted in before timing
    barrier.wait()
    t0 = time.perf_counter()
    for i, (codec, k, b) in enumerate(mine):
        o = out[i * size:i * size + k]
        codec.decode(b, out=o)
        if fd >= 0:  # chunk j + i * n of the list, as lsio places it
            os.pwrite(fd, o, (j + i * n) * size)
    q.put((t0, time.perf_counter()))

ctx = mp.get_context("fork")
barrier, q = ctx.Barrier(n), ctx.Queue()
ps = [ctx.Process(target=decode, args=(j, barrier, q)) for j in range(n)]
for p in ps:
    p.start()
t = [q.get() for _ in ps]
for p in ps:
    p.join()
print(max(e for _, e in t) - min(s for s, _ in t), sum(w[1] for w in work), 0)
EOF
}

median_rss_mib() {
	sort -n "$WORK/$1.rss" | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 2^20 }'
}

# --- Runs timed in seconds (zarr_sel.sh, reduce.sh) --------------------------

# timed_once BYTES CMD...: one run of CMD under GNU time, as a runner line
# "SECONDS BYTES PEAK_RSS_BYTES": SECONDS is the whole process's wall time,
# or the number CMD prints as the last line of its stdout when it prints
# one (a Python peer timing itself after its imports); BYTES is the
# caller's (what the rate is of).
timed_once() {
	local b=$1 t0 t1 s
	shift
	t0=$(date +%s.%N)
	s=$(/usr/bin/time -f %M -o "$WORK/rss" "$@" 2> "$WORK/err") ||
		{ cat "$WORK/err" >&2; return 1; }
	t1=$(date +%s.%N)
	s=$(tail -n 1 <<< "$s")
	[ -n "$s" ] || s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	echo "$s $b $(($(tail -n 1 "$WORK/rss") * 1024))"
}

# touch_mib N: touch and free N MiB of memory (a RUN_HOOK: this VM hands
# freed memory back to its host, and the first touch of it afterwards is
# a host fault, array_sink.md; every variant then starts from the same).
touch_mib() {
	dd if=/dev/zero of=/dev/null bs="$1"M count=1 iflag=fullblock status=none
}

# srun NAME cold|warm: one run of a runner printing "SECONDS BYTES
# PEAK_RSS_BYTES [SECONDS_WITH_OPEN]"; NAME.vals gets "SECONDS BYTES",
# NAME.rss the peak RSS, and NAME_open.vals the time with the open when
# the runner gives one.  Run by alternate_with; the .rss and _open.vals
# are the caller's to empty.
srun() {
	local name=$1 s b r so
	[ "$2" = cold ] && drop_caches
	[ "$2" = warm ] && [ -n "${WARM_HOOK:-}" ] && $WARM_HOOK
	[ -n "${RUN_HOOK:-}" ] && $RUN_HOOK
	if ! read -r s b r so < <(eval "${V_CMD[$name]}") || [ -z "$r" ]; then
		say "$name failed: ${V_SHOW[$name]}"
		exit 1
	fi
	echo "$s $b" >> "$WORK/$name.vals"
	echo "$r" >> "$WORK/$name.rss"
	[ -z "$so" ] || echo "$so $b" >> "$WORK/${name}_open.vals"
}

# secs NAME: every run's seconds, in the order run.
secs() {
	awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 }' "$WORK/$1.vals"
}

median_s() {
	sort -g "$WORK/$1.vals" | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'
}

# srow CASE LSIO_NAME PEER_NAME TARGET: a row of median seconds and the
# speed-up (the peer's time over lsio's), TARGET the speed-up asked for or
# "-" for a reference figure.
srow() {
	local ma mb ratio met
	ma=$(median_s "$2")
	mb=$(median_s "$3")
	ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
	if [ "$4" = - ]; then
		met="(reference)"
	elif awk -v r="$ratio" -v t="$4" 'BEGIN { exit !(r >= t) }'; then
		met="**met**"
	else
		met="**MISSED**"
	fi
	ROWS+=("| $(date +%F) | $1 | $ma s | ${V_LABEL[$3]} | $mb s | $ratio | $([ "$4" = - ] || echo "≥ ")$4 | $met |")
}
