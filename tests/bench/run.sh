#!/bin/bash
# run.sh - the benchmark suite, `make bench`: a quick `lsio bench`, then
# every comparison script in tests/bench/ (every *.sh but this one), in
# name order.  Each comparison appends its dated section to RESULTS.md.
#
#   tests/bench/run.sh [LSIO_BINARY] [--full]
#
# --full (or LSIO_BENCH_SCALE=full) runs the issues' full sizes.  The
# binary reaches the scripts as $LSIO, not as an argument: scripts take
# their own arguments.  A missed target is a result, not a failure; the
# exit status is non-zero only when a script fails.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
LSIO=$top/build/lsio
for arg in "$@"; do
	case $arg in
	--full) export LSIO_BENCH_SCALE=full ;;
	*) LSIO=$arg ;;
	esac
done
LSIO=$(cd "$(dirname "$LSIO")" && pwd)/$(basename "$LSIO")
[ -x "$LSIO" ] || { echo "no lsio binary at '$LSIO' (make first)" >&2; exit 2; }
# Others may rebuild the tree meanwhile: the whole suite runs one binary.
frozen=$(mktemp -d)
trap 'rm -rf "$frozen"' EXIT
cp "$LSIO" "$frozen/lsio"
LSIO_BUILT=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
LSIO=$frozen/lsio
export LSIO LSIO_BUILT
: "${LSIO_BENCH_DIR:=/var/tmp/lsio-bench}"
export LSIO_BENCH_DIR
failed=()
t0=$(date +%s)

echo "lsio benchmarks: scale ${LSIO_BENCH_SCALE:-default}, data in $LSIO_BENCH_DIR"
# lsio bench itself, as a user would run it (not recorded): files made
# once and reused; --cold drops only their own pages, so needs no root.
echo "== lsio bench --files 4 --file-size 64MiB --repeat 5 --cold"
"$LSIO" bench --dir "$LSIO_BENCH_DIR/bench" --files 4 --file-size 64MiB \
	--repeat 5 --cold -q || failed+=("lsio bench")

for script in "$top"/tests/bench/*.sh; do
	[ "$(basename "$script")" = run.sh ] && continue
	s0=$(date +%s)
	echo "== $(basename "$script")"
	if ! "$script"; then
		failed+=("$(basename "$script")")
	fi
	echo "   ($(($(date +%s) - s0)) s)"
done

total=$(($(date +%s) - t0))
echo
echo "benchmarks done in $((total / 60)) min $((total % 60)) s; figures in tests/bench/RESULTS.md"
[ "$total" -gt 1800 ] && echo "warning: over the 30-minute budget of 'make bench'"
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
	exit 1
fi
