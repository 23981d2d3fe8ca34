#!/bin/bash
# Run the test suite: every unit test binary, then every bats CLI test.
#   tests/run.sh BUILD_DIR [unit|cli]
# Prints one line per test and, last, "N passed, N failed, N skipped".
# A skipped test (exit 77, or bats' skip) is reported as skipped, never
# counted as passed.
set -u
build=$(cd "${1:?build dir}" && pwd)
only=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
failed=()

if [ "$only" != cli ]; then
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		out=$(cd "$top" && "$t" 2>&1)
		rc=$?
		case $rc in
		0) pass=$((pass + 1)); echo "ok      unit/$name" ;;
		77) skip=$((skip + 1)); echo "skip    unit/$name: $(echo "$out" | tail -n 1)" ;;
		*) fail=$((fail + 1)); failed+=("unit/$name"); echo "FAIL    unit/$name"; echo "$out" | tail -n 30 | sed 's/^/        /' ;;
		esac
	done
fi

if [ "$only" != unit ]; then
	export LSIO="$build/lsio" LSIO_TOP="$top"
	tap=$(mktemp)
	bats --tap -r "$top/tests/cli" > "$tap" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*"# skip"*) skip=$((skip + 1)); echo "skip    ${line#ok }" ;;
		"ok "*) pass=$((pass + 1)) ;;
		"not ok "*) fail=$((fail + 1)); failed+=("${line#not ok }"); echo "FAIL    ${line#not ok }" ;;
		"#"*) [ ${#failed[@]} -gt 0 ] && echo "        $line" ;;
		esac
	done < "$tap"
	echo "cli: $(grep -c '^ok ' "$tap") ok of $(sed -n 's/^1\.\.//p' "$tap" | head -n 1) bats tests"
	rm -f "$tap"
fi

echo
for f in "${failed[@]}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + fail)) -gt 0 ]
