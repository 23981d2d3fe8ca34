#!/bin/sh
# make demo: generate a small chunked field, assemble it with lsio, and have
# numpy confirm the result.
set -eu
lsio=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/lsio-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$top/tests/fixtures/make_demo_data.py" "$dir"
cd "$dir"
echo "$ lsio plan jobs/tiles.json"
"$lsio" plan "$top/jobs/tiles.json"
echo
echo "$ lsio run jobs/tiles.json --stats"
"$lsio" run "$top/jobs/tiles.json" --stats
/usr/bin/python3 - <<'PY'
import numpy as np
got = np.load("field.npy")
want = np.load("expected/field.npy")
assert got.shape == want.shape and got.dtype == want.dtype
assert np.array_equal(got, want), "lsio's array differs from numpy's"
print("demo: lsio assembled 16 tiles from 4 files into a %s %s array;"
      " numpy agrees, bit for bit (mean %.2f K)" % (got.shape, got.dtype, got.mean()))
PY
