#!/bin/bash
# valgrind.sh REPLAY [MUTANTS] - the grib2 seeds of fuzz_stages, each
# mutated MUTANTS times (default 1000: 1 to 8 bytes of the message
# overwritten at random, or the message cut short), run under valgrind
# memcheck by REPLAY (make fuzz-valgrind builds it: fuzz_stages.c without
# libFuzzer or sanitizers).  Unlike AddressSanitizer, valgrind sees every
# write the uninstrumented libraries (OpenJPEG, libpng, libaec) make.
# Exits 1 when valgrind reports an error or a definite leak.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
replay=$1
mutants=${2:-1000}
command -v valgrind > /dev/null || { echo "no valgrind: apt-get install valgrind"; exit 77; }
work=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$work" "$log"' EXIT
/usr/bin/python3 - "$top/tests/fuzz/corpus/fuzz_stages" "$work" "$mutants" <<'PY'
import os, random, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(12)
k = 0
for name in sorted(os.listdir(src)):
    if "grib2" not in name:
        continue
    seed = open(os.path.join(src, name), "rb").read()
    head = 1 + (seed[0] & 3) + 1 + 3  # fuzz_stages.c's input header
    for i in range(n):
        b = bytearray(seed)
        if i % 10 == 9:
            b = b[:rng.randrange(head, len(b))]
        else:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(head, len(b))] = rng.randrange(256)
        open(os.path.join(out, "%s.%d" % (name, i)), "wb").write(b)
        k += 1
print(k, "inputs", file=sys.stderr)
PY
valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	"$replay" "$work"/* 2> "$log" && rc=0 || rc=$?
n=$(ls "$work" | wc -l)
if [ "$rc" -ne 0 ]; then
	echo "valgrind: errors over $n inputs (exit $rc):"
	head -n 60 "$log"
else
	echo "valgrind: $n inputs, no error"
fi
exit "$rc"
