#!/bin/bash
# layers.sh BUILD_DIR - check that liblsio's modules depend on each other
# one way:
#
#   {format, bench} -> engine -> {plan, sink} -> io -> job -> stage -> util
#
# from the objects themselves (nm): every symbol an object of layer A uses
# and an object of layer B defines is an edge A -> B, which must point
# down (plan and sink, siblings, may not use each other).  This is
# DESIGN.md's "engine -> {plan, io, stage, sink} -> job -> util" made
# linear where the code showed why: the job parses stage chains (stages
# are codecs that know no job: below it), the planner asks remote hosts
# through io (which knows no plan: below it), and the format generators
# read coordinates by running jobs (clients of the engine, like the CLI).
# lib/ctx.c and lib/error.c are util.  Prints every edge that breaks the
# order, with its symbol, and exits 1.
set -euo pipefail
build=${1:?usage: layers.sh BUILD_DIR}
top=${LAYERS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}	# whose sources

# The objects of today's sources (a moved file leaves a stale one behind).
objects() {
	local o src
	find "$build/lib" -name '*.o' | sort | while read -r o; do
		src=$top/${o#"$build"/}
		[ ! -f "${src%.o}.c" ] || echo "$o"
	done
}

# rank of a layer; siblings share a rank.
rank() {
	case $1 in
	util) echo 0 ;; stage) echo 1 ;; job) echo 2 ;; io) echo 3 ;;
	plan|sink) echo 4 ;; engine) echo 5 ;; format|bench) echo 6 ;;
	*) echo 9 ;;
	esac
}

layer_of() {	# build/lib/plan/plan.o -> plan; build/lib/ctx.o -> util
	local rel=${1#"$build"/lib/}
	case $rel in
	*/*) echo "${rel%%/*}" ;;
	*) echo util ;;
	esac
}

defs=$(mktemp)
trap 'rm -f "$defs"' EXIT
for o in $(objects); do
	l=$(layer_of "$o")
	nm --defined-only -g "$o" | awk -v l="$l" '$2 ~ /[TDBRC]/ { print $3, l }'
done | sort -u > "$defs"

bad=0
for o in $(objects); do
	from=$(layer_of "$o")
	nm -u "$o" | awk '{ print $2 }' | sort -u | join - "$defs" | while read -r sym to; do
		[ "$from" = "$to" ] && continue
		rf=$(rank "$from") rt=$(rank "$to")
		[ "$rt" -lt "$rf" ] && continue
		echo "${o#"$build"/}: $from -> $to $sym"
	done
done | sort -u > "$defs.out"
if [ -s "$defs.out" ]; then
	echo "layers: dependencies that do not point down:" >&2
	cat "$defs.out" >&2
	bad=1
fi
rm -f "$defs.out"
exit $bad
