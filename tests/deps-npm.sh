#!/bin/sh
# Install the npm packages the tests need (zarrita, a Zarr v3 writer and
# reader), pinned by tests/fixtures/zarrita/package-lock.json.  Node and
# npm come from Debian only when the machine has none.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)/fixtures/zarrita
if ! command -v npm >/dev/null 2>&1; then
	"$(dirname "$0")/deps.sh" nodejs npm
fi
[ -d "$dir/node_modules/zarrita" ] && exit 0
echo "lsio: installing zarrita (npm ci in tests/fixtures/zarrita)"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
