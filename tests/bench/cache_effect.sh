#!/bin/bash
# cache_effect.sh - issue 3's two measurements of stage chains, data warm:
#  1. the cache effect: decoding each chunk right after its read (lsio's
#     design) vs reading everything first and decoding in a second pass
#     (tests/bench/cache_bench.c, one core, zstd, 1 MiB float32 chunks);
#  2. a decode-bound job (lsio bench --compress zstd) with 1 and 2 workers.
# Appends a dated section to RESULTS.md (LSIO_BENCH_RESULTS=- prints it).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
LSIO=${LSIO:-$top/build/lsio}
dir=${LSIO_BENCH_DIR:-/var/tmp/lsio-bench}
results=${LSIO_BENCH_RESULTS:-$top/tests/bench/RESULTS.md}
chunks=${LSIO_CACHE_CHUNKS:-512}	# 512 MiB decoded: far beyond any cache
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$dir"

cc -std=c11 -D_GNU_SOURCE -O2 -o "$tmp/cache_bench" "$top/tests/bench/cache_bench.c" \
	$(pkg-config --cflags --libs libzstd) -lm
data=$dir/cache-effect.$chunks.zst
[ -f "$data.idx" ] || "$tmp/cache_bench" gen "$data" "$chunks"
cat "$data" > /dev/null	# warm: this is about memory, not the disk

# Five runs of five alternating rounds each; the median of the runs.
for i in 1 2 3 4 5; do
	"$tmp/cache_bench" run "$data" "$chunks" 5
done | tee "$tmp/cache.txt" >&2
median() { sort -n | sed -n 3p; }
in_cache=$(awk '{print $2}' "$tmp/cache.txt" | median)
two_pass=$(awk '{print $5}' "$tmp/cache.txt" | median)

# Decode-bound scaling: the same compressed files, warm, 1 then 2 workers,
# alternating.
gibs() {	# GiB/s of one lsio bench --json run
	"$LSIO" bench --dir "$dir/bench-zstd" --files 4 --file-size 64MiB \
		--chunk 1MiB --compress zstd --workers "$1" --json -q > "$tmp/b.json"
	# Decoded bytes per second (lsio bench reports the decoded size).
	/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["gib_per_s"]["median"])' "$tmp/b.json"
}
gibs 2 > /dev/null	# create the files and warm them
for i in 1 2 3 4 5; do
	echo "$(gibs 1) $(gibs 2)"
done | tee "$tmp/scale.txt" >&2
w1=$(awk '{print $1}' "$tmp/scale.txt" | median)
w2=$(awk '{print $2}' "$tmp/scale.txt" | median)

section() {
	echo
	echo "## $(date +%F) stage chains: the cache effect and worker scaling (issue 3)"
	echo
	echo "Machine: $(nproc) cores, $(uname -r). Data warm (in the page cache)."
	echo
	echo "| measurement | lsio way | other way | ratio |"
	echo "|---|---|---|---|"
	printf '| decode %d x 1 MiB zstd chunks, one core: in-cache vs two-pass | %.2f GiB/s | %.2f GiB/s | %.2fx |\n' \
		"$chunks" "$in_cache" "$two_pass" "$(awk -v a="$in_cache" -v b="$two_pass" 'BEGIN{print a/b}')"
	printf '| lsio bench --compress zstd, 1 MiB chunks: 2 workers vs 1 | %.2f GiB/s | %.2f GiB/s | %.2fx |\n' \
		"$w2" "$w1" "$(awk -v a="$w2" -v b="$w1" 'BEGIN{print a/b}')"
	echo
	echo "Commands: \`tests/bench/cache_effect.sh\` (cache_bench run FILE $chunks 5, five times;"
	echo "\`lsio bench --files 4 --file-size 64MiB --chunk 1MiB --compress zstd --workers N --json\`,"
	echo "N = 1 and 2 alternating, five times). Medians."
}
if [ "$results" = - ]; then section; else section >> "$results"; fi
