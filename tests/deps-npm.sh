#!/bin/sh
# Install the npm packages the tests need, each set pinned by its
# package-lock.json: zarrita (a Zarr v3 writer and reader) in
# tests/fixtures/zarrita; Azurite (Microsoft's Azure Storage emulator) and
# @azure/storage-blob (Microsoft's SDK) in tests/fixtures/azurite.  Node
# and npm come from Debian only when the machine has none.
set -eu
fix=$(cd "$(dirname "$0")" && pwd)/fixtures
if ! command -v npm >/dev/null 2>&1; then
	"$(dirname "$0")/deps.sh" nodejs npm
fi
for set in zarrita:zarrita azurite:azurite; do
	dir=$fix/${set%%:*}
	[ -d "$dir/node_modules/${set#*:}" ] && continue
	echo "lsio: installing ${set%%:*}'s npm packages (npm ci in tests/fixtures/${set%%:*})"
	npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
done
