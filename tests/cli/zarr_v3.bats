#!/usr/bin/env bats
# zarr_v3.bats - `lsio zarr` on Zarr v3 arrays.  zarrita (npm, pinned in
# tests/fixtures/zarrita/package.json) writes bytes+zstd and bytes+blosc
# arrays; sharded, crc32c, gzip and "v2"-key arrays, which no packaged
# writer encodes, are built from the spec by tests/fixtures/zarr_v3_gen.py
# and confirmed readable by zarrita before lsio reads them.  Every
# selection's .npy must equal what zarrita's zarr.get() returns.

bats_require_minimum_version 1.5.0
load helpers

ZARRITA=$FIXTURES/zarrita

zarrita_missing() {
	if ! command -v node > /dev/null; then
		echo "node is not installed (apt-get install nodejs npm)"
	elif [ ! -d "$ZARRITA/node_modules/zarrita" ]; then
		echo "zarrita is not installed (npm ci --prefix tests/fixtures/zarrita)"
	elif ! "$PY" -c 'import numcodecs' 2> /dev/null; then
		echo "/usr/bin/python3 cannot import numcodecs (apt-get install python3-numcodecs)"
	fi
}

# zarrita ARGS...: the reference implementation (tests/fixtures/zarrita).
zarrita() {
	node "$ZARRITA/zarr_v3.mjs" "$@"
}

setup_file() {
	export ZDIR="$BATS_FILE_TMPDIR/z"
	[ -z "$(zarrita_missing)" ] || return 0
	mkdir -p "$ZDIR/zfull" "$ZDIR/exp"
	{
		zarrita write "$ZDIR/v3.zarr" &&
		"$PY" "$FIXTURES/zarr_v3_gen.py" "$ZDIR/v3.zarr" "$ZDIR" &&
		zarrita read "$ZDIR/v3.zarr" "$ZDIR/zfull" $(cat "$ZDIR/spec_arrays.txt") &&
		zarrita get "$ZDIR/v3.zarr" "$ZDIR/cases.txt" "$ZDIR/exp"
	} > "$BATS_FILE_TMPDIR/gen.log" 2>&1 || touch "$BATS_FILE_TMPDIR/gen.failed"
}

need_zarrita() {
	local why
	why=$(zarrita_missing)
	[ -z "$why" ] || skip "$why"
	[ ! -e "$BATS_FILE_TMPDIR/gen.failed" ] ||
		fail "fixture generation failed: $(cat "$BATS_FILE_TMPDIR/gen.log")"
}

@test "zarr v3: zarrita reads the spec-built sharded, crc32c and gzip arrays as built" {
	need_zarrita
	local a
	for a in $(cat "$ZDIR/spec_arrays.txt"); do
		assert_npy_equal "$ZDIR/zfull/$a.npy" "$ZDIR/truth/$a.npy"
	done
}

@test "zarr v3: random selections of zarrita's and the spec-built arrays equal zarrita's" {
	need_zarrita
	local n=0 a s r failed=
	mkdir got
	while IFS='|' read -r a s r; do
		lsio zarr "$ZDIR/v3.zarr/$a" --select "$s" -o "got/$n.npy" -q 2> err.txt ||
			failed+="case $n: $a [$s]: $(cat err.txt)"$'\n'
		echo "$a|$s|exp/$n.npy" >> cases.txt
		n=$((n + 1))
	done < "$ZDIR/cases.txt"
	[ "$n" -gt 120 ] || fail "only $n cases"
	[ -z "$failed" ] || fail "lsio failed: $failed"
	run "$PY" "$FIXTURES/zarr_compare.py" cases.txt "$ZDIR" got
	assert_success
	assert_output --partial "$n cases, 0 differ"
}

@test "zarr v3: whole arrays, sharded with the index at the start too, equal the truth" {
	need_zarrita
	local a
	for a in shard_end_crc shard_start_be shard_F_inner shard_bool_1d crc32c_v2keys crc_only_dot gzip_be; do
		lsio zarr "$ZDIR/v3.zarr/$a" -o "$a.npy" -q
		assert_npy_equal "$a.npy" "$ZDIR/truth/$a.npy"
	done
}

@test "zarr v3: a sharded selection reads only the inner chunks it needs, at the index's offsets" {
	need_zarrita
	lsio zarr "$ZDIR/v3.zarr/shard_end_crc" --select '2:13, 9:15' --emit-job > job.json
	run py '
j = json.load(open("job.json"))
top = sys.argv[1]
# Every inner chunk of the selection that the shard indexes list: the
# selection spans inner rows 0..2 (5 rows each) and columns 2..3 (4 each).
want = set()
for r in range(0, 3):
    for c in range(2, 4):
        shard = "%s/c/%d/%d" % (top, r // 2, c // 2)
        try:
            b = open(shard, "rb").read()
        except FileNotFoundError:
            continue
        idx = np.frombuffer(b[-(4 * 16 + 4):-4], "<u8").reshape(2, 2, 2)
        off, n = idx[r % 2, c % 2]
        if off != 2**64 - 1:
            want.add((shard, int(off), int(n)))
got = set((c["source"], c.get("offset", 0), c["length"]) for c in j["chunks"])
assert got == want, (sorted(got), sorted(want))
assert len(got) == len(j["chunks"])
print(len(got), "inner chunks")
' "$ZDIR/v3.zarr/shard_end_crc"
	assert_success
	lsio run job.json -o s.npy -q
	py 'np.save("ref.npy", np.load(sys.argv[1])[2:13, 9:15])' "$ZDIR/truth/shard_end_crc.npy"
	assert_npy_equal s.npy ref.npy
}

@test "zarr v3: --emit-job piped to 'lsio run -' writes the identical file" {
	need_zarrita
	local a s
	for a in "shard_F_inner|3:20:2, -3" "transpose_F|:, 4, 1:" "zstd_be_f8|::4" "crc32c_v2keys|-1"; do
		s=${a#*|} a=${a%%|*}
		lsio zarr "$ZDIR/v3.zarr/$a" --select "$s" -o direct.npy -q
		lsio zarr "$ZDIR/v3.zarr/$a" --select "$s" -o piped.npy --emit-job -q | lsio run - -q
		assert_same_bytes piped.npy direct.npy
		rm -f piped.npy direct.npy
	done
}

@test "zarr v3: --list shows codecs, shards and fill values" {
	need_zarrita
	run lsio zarr "$ZDIR/v3.zarr" --list
	assert_success
	assert_line --regexp '^shard_end_crc +v3 +<f4 +30x22 +5x4 in 10x8 shards +NaN +sharding\(index at end \+ crc32c: bytes\(little\), zstd\(level 3\)\)$'
	assert_line --regexp '^shard_start_be +v3 +<i4 +17x9x4 +4x3x2 in 8x6x4 shards +-3 +sharding\(index at start: bytes\(big\), gzip\(level 5\)\)$'
	assert_line --regexp '^transpose_F +v3 +<i2 +13x11x6 +4x5x6 +-5 +transpose, bytes\(little\), zstd\(level 1\)$'
	assert_line --regexp '^blosc_i4 +v3 +<i4 +20x11x7 +6x4x3 +-1 +bytes\(little\), blosc\(lz4, shuffle\)$'
	assert_line --regexp '^crc_only_dot +v3 +<f8 +12x7 +5x3 +Infinity +bytes\(little\), crc32c$'
}

# v3 ARRAY_JSON: a v3 array "a.zarr" with that metadata and no chunks.
v3_array() {
	mkdir -p a.zarr
	cat > a.zarr/zarr.json
}

@test "zarr v3: fill values as bit patterns, and no chunk at all" {
	need_python_numpy
	v3_array <<-'EOF'
	{"zarr_format": 3, "node_type": "array", "shape": [3, 2], "data_type": "float32",
	 "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}},
	 "chunk_key_encoding": {"name": "default"}, "fill_value": "0x40490fdb",
	 "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
	EOF
	lsio zarr a.zarr -o pi.npy
	py 'np.save("ref.npy", np.full((3, 2), np.frombuffer(bytes.fromhex("db0f4940"), "<f4")[0]))'
	assert_npy_equal pi.npy ref.npy
	sed -i 's/"float32"/"float64"/; s/0x40490fdb/0xfff0000000000000/' a.zarr/zarr.json
	lsio zarr a.zarr --select '1:' -o inf.npy
	py 'np.save("ref.npy", np.full((2, 2), -np.inf))'
	assert_npy_equal inf.npy ref.npy
}

@test "zarr v3: metadata lsio cannot read exits 2 naming the store and the key" {
	local head='"zarr_format": 3, "node_type": "array", "shape": [4, 4], "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}}, "chunk_key_encoding": {"name": "default"}, "fill_value": 0'
	echo "{$head, \"data_type\": \"int32\", \"codecs\": [{\"name\": \"bytes\"}, {\"name\": \"lzma\"}]}" | v3_array
	run -2 lsio zarr a.zarr -o x.npy
	assert_output "lsio: store 'a.zarr': 'zarr.json': unsupported codec 'lzma' (lsio reads bytes, transpose, zstd, gzip, blosc, crc32c, sharding_indexed)"
	echo "{$head, \"data_type\": \"string\", \"codecs\": [{\"name\": \"bytes\"}]}" | v3_array
	run -2 lsio zarr a.zarr -o x.npy
	assert_output "lsio: store 'a.zarr': 'zarr.json': unsupported data type 'string'"
	echo "{$head, \"data_type\": \"int8\", \"codecs\": [{\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0]}}, {\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0]}}, {\"name\": \"bytes\"}]}" | v3_array
	lsio zarr a.zarr -o twice.npy		# two reversals are the identity
	echo "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [4, 4, 4], \"chunk_grid\": {\"name\": \"regular\", \"configuration\": {\"chunk_shape\": [2, 2, 2]}}, \"chunk_key_encoding\": {\"name\": \"default\"}, \"fill_value\": 0, \"data_type\": \"int8\", \"codecs\": [{\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0, 2]}}, {\"name\": \"bytes\"}]}" | v3_array
	run -2 lsio zarr a.zarr -o x.npy
	assert_output "lsio: store 'a.zarr': 'zarr.json': transpose: only the identity and the full reversal (F order) are supported"
	echo "{$head, \"data_type\": \"int8\", \"codecs\": [{\"name\": \"zstd\"}, {\"name\": \"bytes\"}]}" | v3_array
	run -2 lsio zarr a.zarr -o x.npy
	assert_output "lsio: store 'a.zarr': 'zarr.json': codecs: 'zstd' before the array-to-bytes codec"
	echo "{$head, \"data_type\": \"int8\", \"codecs\": [{\"name\": \"sharding_indexed\", \"configuration\": {\"chunk_shape\": [3, 2], \"codecs\": [{\"name\": \"bytes\"}], \"index_codecs\": [{\"name\": \"bytes\"}]}}]}" | v3_array
	run -2 lsio zarr a.zarr -o x.npy
	assert_output --partial "the shard shape must be a multiple of chunk_shape"
	mkdir g.zarr
	echo '{"zarr_format": 3, "node_type": "group", "attributes": {}}' > g.zarr/zarr.json
	run -2 lsio zarr g.zarr -o x.npy
	assert_output "lsio: store 'g.zarr': a Zarr group, not an array: name one of its arrays ('lsio zarr g.zarr --list' shows them)"
	[ ! -e x.npy ] || fail "an output was written"
}

@test "zarr v3: a corrupt shard index fails (exit 1) naming the shard" {
	need_zarrita
	cp -r "$ZDIR/v3.zarr/shard_end_crc" s.zarr
	# Flip a byte of the index (the last 68 bytes) of one shard.
	py 'p = "s.zarr/c/0/0"; b = bytearray(open(p, "rb").read()); b[-10] ^= 0xff; open(p, "wb").write(b)'
	run -1 lsio zarr s.zarr -o x.npy
	assert_output --regexp "^lsio: store 's.zarr': 'c/0/0': shard index crc32c: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$"
	[ ! -e x.npy ] || fail "an output was written"
}

@test "zarr v3: bytes big-endian then crc32c, no compressor: steps decode each chunk once" {
	need_zarrita
	local s
	for s in '::2, ::3' '1::2, 2' '5, 1:11:4' '12, 10' ':, ::2'; do
		lsio zarr "$ZDIR/v3.zarr/be_crc_raw" --select "$s" -o got.npy -q
		py 'np.save("want.npy", eval("np.load(sys.argv[1])[%s]" % sys.argv[2]))' \
			"$ZDIR/zfull/be_crc_raw.npy" "$s"
		assert_npy_equal got.npy want.npy
	done
}
