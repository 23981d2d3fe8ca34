#!/usr/bin/env bats
# zarr_v2.bats - `lsio zarr` on Zarr v2 arrays written by zarr-python 2.13
# (Debian's python3-zarr), the reference implementation: every selection's
# .npy must equal what zarr-python returns for it (dtype, shape, values,
# NaN-aware).  The reference data are written at test time by
# tests/fixtures/zarr_v2_gen.py.

bats_require_minimum_version 1.5.0
load helpers

# One fixture for the whole file: importing zarr costs a second.
setup_file() {
	export ZDIR="$BATS_FILE_TMPDIR/z"
	if "$PY" -c 'import zarr, numcodecs' 2>/dev/null; then
		"$PY" "$FIXTURES/zarr_v2_gen.py" "$ZDIR" > "$BATS_FILE_TMPDIR/gen.log" 2>&1 ||
			touch "$BATS_FILE_TMPDIR/gen.failed"
	fi
}

# zarr_py CODE [ARGS...]: python with numpy, zarr and numcodecs imported.
zarr_py() {
	local code=$1
	shift
	"$PY" -c "import sys, os, json
import numpy as np, zarr, numcodecs
$code" "$@"
}

@test "zarr v2: random selections of every compressor, dtype, order and separator equal zarr-python's" {
	need_zarr
	local n=0 a s e failed=
	mkdir got
	while IFS='|' read -r a s e; do
		lsio zarr "$ZDIR/v2.zarr/$a" --select "$s" -o "got/$n.npy" -q 2> err.txt ||
			failed+="case $n: $a [$s]: $(cat err.txt)"$'\n'
		n=$((n + 1))
	done < "$ZDIR/cases.txt"
	[ "$n" -gt 150 ] || fail "only $n cases"
	[ -z "$failed" ] || fail "lsio failed: $failed"
	run "$PY" "$FIXTURES/zarr_compare.py" "$ZDIR/cases.txt" "$ZDIR" got
	assert_success
	assert_output --partial "$n cases, 0 differ"
}

@test "zarr v2: --emit-job piped to 'lsio run -' writes the identical file" {
	need_zarr
	local a s
	for a in "lz4_f8_F|2:21:3, -1" "blosc_blosclz_noshuf_F|:, 5" "zlib_i2|::2, ::3" "scalar_0d|"; do
		s=${a#*|} a=${a%%|*}
		lsio zarr "$ZDIR/v2.zarr/$a" --select "$s" -o direct.npy -q
		lsio zarr "$ZDIR/v2.zarr/$a" --select "$s" -o piped.npy --emit-job -q > job.json
		lsio validate job.json
		lsio run - -q < job.json
		assert_same_bytes piped.npy direct.npy
		rm -f piped.npy direct.npy
	done
	# Without -o the job has no path: 'lsio run -o' supplies it.
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" --select '1:9' --emit-job > nopath.json
	run grep -c '"path"' nopath.json
	assert_output 0
	lsio run nopath.json -o viarun.npy -q
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" --select '1:9' -o direct.npy -q
	assert_same_bytes viarun.npy direct.npy
}

@test "zarr v2: --emit-job of a relative store runs from another directory" {
	need_zarr
	local here=$PWD
	# Emitted where the store is a relative path ...
	(cd "$ZDIR/.." && "$LSIO" zarr "${ZDIR##*/}/v2.zarr/./zstd_f4/" --select '1:9' \
		-o "$here/viajob.npy" --emit-job -q) > job.json || fail "--emit-job failed"
	run -0 json_get job.json 'all(c["source"].startswith("/") for c in j["chunks"])'
	assert_output True
	run -0 json_get job.json 'j["chunks"][0]["source"].startswith("'"$(realpath "$ZDIR")"'/v2.zarr/zstd_f4/")'
	assert_output True
	# ... and run from a directory where that path means nothing.
	mkdir elsewhere
	(cd elsewhere && "$LSIO" run ../job.json -q) || fail "the job does not run elsewhere"
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" --select '1:9' -o direct.npy -q
	assert_same_bytes viajob.npy direct.npy
}

@test "zarr v2: never-written chunks are left out of the job and read as the fill value" {
	need_zarr
	local chunks files
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" --emit-job > job.json
	chunks=$(json_get job.json 'len(j["chunks"])')
	files=$(find "$ZDIR/v2.zarr/zstd_f4" -type f ! -name '.*' | wc -l)
	[ "$chunks" -eq "$files" ] || fail "$chunks job entries for $files chunk files"
	[ "$chunks" -lt 20 ] || fail "no chunk was deleted: the fixture is wrong"
	assert_equal "$(json_get job.json 'j["output"]["fill_value"]')" NaN
}

@test "zarr v2: --list shows every array with dtype, shape, chunks, fill value and codecs" {
	need_zarr
	run lsio zarr "$ZDIR/v2.zarr" --list
	assert_success
	assert_line --index 0 --regexp '^ARRAY +ZARR +DTYPE +SHAPE +CHUNKS +FILL +CODECS$'
	assert_line --regexp '^blosc_zstd_bitshuf +v2 +<i4 +9x10x11x6 +4x3x5x6 +-7 +blosc\(zstd, bitshuffle, clevel 3\)$'
	assert_line --regexp '^shuffle_lz4_F +v2 +<u4 +20x20x4 +6x7x4 +3 +shuffle\(4\), lz4$'
	assert_line --regexp '^datetime +v2 +<M8\[ns\] +26x5 +4x5 +0 +zstd\(level 1\)$'
	assert_line --regexp '^zlib_i2 +v2 +<i2 +31x29 +6x6 +null +zlib\(level 1\)$'
	assert_line --regexp '^scalar_0d +v2 +<f8 +\(\) +\(\) +NaN +none$'
	assert_line --regexp '^delta_shuffle_f8_F +v2 +<f8 +20x12 +6x5 +NaN +delta\(<f8\), shuffle\(8\), zlib\(level 1\)$'
	assert_line --regexp '^quantize_bitround +v2 +<f4 +30x10 +8x4 +NaN +quantize\(digits 3\), bitround\(keepbits 10\), blosc\(zstd, shuffle, clevel 3\)$'
	[ "${#lines[@]}" -eq 25 ] || fail "expected a header and 24 arrays, got ${#lines[@]} lines"
	# One array listed on its own.
	run lsio zarr "$ZDIR/v2.zarr/gzip_u1" --list
	assert_success
	assert_line --index 1 --regexp '^\. +v2 +\|u1 +100x7 +30x7 +255 +gzip\(level 5\)$'
}

@test "zarr v2: --list of a group without arrays is the header alone, cleanly" {
	need_zarr
	zarr_py 'g = zarr.open_group("empty.zarr", mode="w"); g.create_group("sub")'
	zarr_py 'g = zarr.open_group("cons.zarr", mode="w"); zarr.consolidate_metadata("cons.zarr")'
	for z in empty.zarr cons.zarr; do
		# A sanitizer build says "null pointer passed as argument 1"
		# on stderr if the empty list reaches qsort.
		run --separate-stderr lsio zarr "$z" --list
		assert_success
		assert_output --regexp '^ARRAY +ZARR +DTYPE +SHAPE +CHUNKS +FILL +CODECS$'
		assert_equal "$stderr" ""
	done
}

@test "zarr v2: consolidated metadata lists and opens arrays whose .zarray is gone" {
	need_zarr
	zarr_py '
g = zarr.open_group("c.zarr", mode="w")
a = g.create_dataset("a", shape=(10, 6), chunks=(4, 4), dtype="<f4", compressor=numcodecs.Zstd(1))
a[:] = np.arange(60, dtype="<f4").reshape(10, 6)
s = g.create_group("sub")
b = s.create_dataset("b", shape=(7,), chunks=(3,), dtype=">i2", fill_value=-2,
                     compressor=None)
b[2:5] = [7, 8, 9]
zarr.consolidate_metadata("c.zarr")
'
	# Only .zmetadata knows these arrays now.
	rm c.zarr/a/.zarray c.zarr/sub/b/.zarray
	run lsio zarr c.zarr --list
	assert_success
	assert_line --regexp '^a +v2 +<f4 +10x6 +4x4 +0\.0 +zstd\(level 1\)$'
	assert_line --regexp '^sub/b +v2 +>i2 +7 +3 +-2 +none$'
	lsio zarr c.zarr/a --select '3:9, 1::2' -o a.npy
	lsio zarr c.zarr/sub/b -o b.npy
	py 'np.save("a_ref.npy", np.arange(60, dtype="<f4").reshape(10, 6)[3:9, 1::2])
np.save("b_ref.npy", np.array([-2, -2, 7, 8, 9, -2, -2], dtype=">i2"))'
	assert_npy_equal a.npy a_ref.npy
	assert_npy_equal b.npy b_ref.npy
}

@test "zarr v2: nested chunk keys without a dimension_separator (zarr-python < 2.8) are found, with a warning" {
	need_zarr
	zarr_py '
z = zarr.open("n.zarr", mode="w", shape=(6, 8), chunks=(3, 3), dtype="<i4", dimension_separator="/")
z[:] = np.arange(48).reshape(6, 8)
m = json.load(open("n.zarr/.zarray"))
del m["dimension_separator"]
json.dump(m, open("n.zarr/.zarray", "w"))
np.save("n_ref.npy", np.arange(48, dtype="<i4").reshape(6, 8)[1:5, 2:])
'
	run --separate-stderr lsio zarr n.zarr --select '1:5, 2:' -o n.npy
	assert_success
	assert_equal "$stderr" "lsio: warning: store 'n.zarr': '.zarray' gives no dimension_separator, but chunk keys are nested ('0/0'): reading them so"
	assert_npy_equal n.npy n_ref.npy
}

@test "zarr v2: metadata lsio cannot read exits 2 naming the store and the key" {
	need_zarr
	zarr_py '
def mk(name, **kw):
    z = zarr.open(name, mode="w", shape=(8, 8), chunks=(4, 4), **kw)
    if z.dtype.kind not in "UOV":
        z[:] = 1
mk("bz2.zarr", dtype="<f4", compressor=numcodecs.BZ2(1))
mk("fso.zarr", dtype="<f4", filters=[numcodecs.FixedScaleOffset(0, 10, "<f4", astype="<i2")])
mk("delta.zarr", dtype="<i2", filters=[numcodecs.Delta("<i2", astype="<i1")])
mk("str.zarr", dtype="<U4")
mk("rec.zarr", dtype=[("a", "<i4"), ("b", "<f4")], fill_value=None)
'
	run -2 lsio zarr bz2.zarr -o x.npy
	assert_output "lsio: store 'bz2.zarr': '.zarray': unsupported compressor 'bz2' (lsio reads zstd, lz4, blosc, gzip, zlib or none)"
	run -2 lsio zarr fso.zarr -o x.npy
	assert_output "lsio: store 'fso.zarr': '.zarray': unsupported filter 'fixedscaleoffset' (lsio undoes shuffle, delta, quantize and bitround)"
	run -2 lsio zarr delta.zarr -o x.npy
	assert_output --partial "store 'delta.zarr': '.zarray': unsupported filter 'delta' (dtype '<i2', astype '|i1')"
	run -2 lsio zarr str.zarr -o x.npy
	assert_output "lsio: store 'str.zarr': '.zarray': unsupported data type '<U4'"
	run -2 lsio zarr rec.zarr -o x.npy
	assert_output --partial "store 'rec.zarr': '.zarray': unsupported data type"
	mkdir plain
	run -2 lsio zarr plain -o x.npy
	assert_output "lsio: store 'plain': not a Zarr array or group (no .zarray, .zgroup or zarr.json)"
	run -2 lsio zarr missing.zarr -o x.npy
	assert_output "lsio: store 'missing.zarr': No such file or directory"
	printf '{"zarr_format": 2, "shape": [4' > plain/.zarray
	run -2 lsio zarr plain -o x.npy
	assert_output --regexp "^lsio: store 'plain': '.zarray': not JSON: line 1 column [0-9]+: "
	echo '{"zarr_format": 2, "shape": [4], "chunks": [2], "dtype": "<f4", "compressor": null, "fill_value": 0, "order": "K", "filters": null}' > plain/.zarray
	run -2 lsio zarr plain -o x.npy
	assert_output "lsio: store 'plain': '.zarray': order: expected \"C\" or \"F\""
	run -2 lsio zarr "$ZDIR/v2.zarr" -o x.npy
	assert_output --partial "store '$ZDIR/v2.zarr': a Zarr group, not an array"
	[ ! -e x.npy ] || fail "an output was written"
}

@test "zarr v2: bad selections exit 2 with numpy's reasons" {
	need_zarr
	local a="$ZDIR/v2.zarr/zstd_f4" k="store '$ZDIR/v2.zarr/zstd_f4': '.zarray': selection"
	run -2 lsio zarr "$a" --select '40' -o x.npy
	assert_output "lsio: $k '40': index 40 is out of bounds for dimension 0 with size 40"
	run -2 lsio zarr "$a" --select ':, -38' -o x.npy
	assert_output "lsio: $k ':, -38': index -38 is out of bounds for dimension 1 with size 37"
	run -2 lsio zarr "$a" --select '1, 2, 3' -o x.npy
	assert_output "lsio: $k '1, 2, 3': too many indices: the array has 2 dimensions, the selection 3"
	run -2 lsio zarr "$a" --select '1:x' -o x.npy
	assert_output "lsio: $k '1:x': '1:x' is not a slice start:stop:step"
	run -2 lsio zarr "$a" --select 'a' -o x.npy
	assert_output "lsio: $k 'a': 'a' is not an integer, a slice or '...'"
	run -2 lsio zarr "$a" --select '::0' -o x.npy
	assert_output "lsio: $k '::0': '::0': slice step cannot be zero"
	run -2 lsio zarr "$a" --select '::-1' -o x.npy
	assert_output "lsio: $k '::-1': '::-1': negative steps are not supported"
	run -2 lsio zarr "$a" --select '..., 1, ...' -o x.npy
	assert_output "lsio: $k '..., 1, ...': only one '...' is allowed"
	run -2 lsio zarr "$a" --select '1,,2' -o x.npy
	assert_output "lsio: $k '1,,2': item 2 is empty"
	# numpy reads brackets as a list of indices: refused, never misread.
	run -2 lsio zarr "$a" --select '[0,5]' -o x.npy
	assert_output --partial "lists of indices ('[...]', numpy's fancy indexing) are not supported"
	[ ! -e x.npy ] || fail "an output was written"
}

@test "zarr v2: one element of a larger chunk is a 0-d array, as numpy gives" {
	need_zarr
	lsio zarr "$ZDIR/v2.zarr/one_chunk" --select '1, 2' -o x.npy
	zarr_py 'np.save("x_ref.npy", zarr.open(sys.argv[1], "r")[1, 2])' "$ZDIR/v2.zarr/one_chunk"
	assert_npy_equal x.npy x_ref.npy
	run py 'print(np.load("x.npy").shape)'
	assert_output "()"
}

@test "zarr v2: out-of-range slices clamp like numpy, and an empty selection is an empty array" {
	need_zarr
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" --select '5:2, -100:100' -o e.npy
	run py 'a = np.load("e.npy"); print(a.shape, a.dtype.str)'
	assert_output "(0, 37) <f4"
	lsio zarr "$ZDIR/v2.zarr/zstd_f4" --select '-100:100, 30:1000:3' -o c.npy
	zarr_py 'np.save("c_ref.npy", zarr.open(sys.argv[1], "r")[-100:100, 30:1000:3])' "$ZDIR/v2.zarr/zstd_f4"
	assert_npy_equal c.npy c_ref.npy
}

@test "zarr v2: steps and integers after the last range read each chunk once and are exact" {
	need_zarr
	local a=$ZDIR/v2.zarr/lz4_f8_F s
	for s in '3, :, 2' '::2, 1::3' ':, ::4, 1'; do
		lsio zarr "$a" --select "$s" --emit-job -o t.npy > job.json
		# one entry per chunk: no chunk is listed (read, decoded) twice
		run py 'j = json.load(open("job.json")); c = [(x["source"], x.get("offset", 0)) for x in j["chunks"]]; print(len(c) - len(set(c)))'
		assert_output 0
		run --separate-stderr lsio run job.json
		assert_success
		assert_equal "$stderr" ""
		zarr_py 'np.save("t_ref.npy", eval("zarr.open(sys.argv[1], \"r\")[%s]" % sys.argv[2]))' "$a" "$s"
		assert_npy_equal t.npy t_ref.npy
	done
}

@test "zarr v2: a corrupt chunk fails at run time (exit 1) and leaves no output" {
	need_zarr
	cp -r "$ZDIR/v2.zarr/one_chunk" bad.zarr
	head -c 50 /dev/urandom > bad.zarr/0.0
	run -1 lsio zarr bad.zarr -o bad.npy
	assert_output --partial "bad.zarr/0.0"
	assert_no_output_left . bad.npy
}

@test "zarr v2: blosc chunks with bytes after the frame (as z5 writes them) read as zarr-python reads them" {
	need_zarr
	zarr_py '
a = zarr.open("z5.zarr", mode="w", shape=(50, 40), chunks=(16, 16), dtype="<f4",
              compressor=numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE))
a[:] = np.random.default_rng(7).normal(size=(50, 40)).astype("<f4")
for k in os.listdir("z5.zarr"):
    if not k.startswith("."):
        with open(os.path.join("z5.zarr", k), "ab") as f:
            f.write(bytes(range(16)))
np.save("ref.npy", zarr.open("z5.zarr", "r")[3:47, 5:])
'
	lsio zarr z5.zarr --select '3:47, 5:' -o got.npy -q
	assert_npy_equal got.npy ref.npy
	# A frame cut short stays an error, naming the chunk.
	head -c 100 z5.zarr/1.1 > cut && mv cut z5.zarr/1.1
	run -1 lsio zarr z5.zarr -o bad.npy -q
	assert_output --partial "z5.zarr/1.1"
	assert_output --partial "truncated"
}

@test "zarr v2: an uncompressed chunk of the wrong size is a data error (exit 1) naming store and key" {
	need_zarr
	zarr_py '
a = zarr.open("raw.zarr", mode="w", shape=(20, 10), chunks=(8, 5), dtype="<i4",
              compressor=None)
a[:] = np.arange(200, dtype="<i4").reshape(20, 10)
'
	lsio zarr raw.zarr -o ok.npy -q
	zarr_py 'np.save("ref.npy", zarr.open("raw.zarr", "r")[:])'
	assert_npy_equal ok.npy ref.npy
	# zarr-python refuses such chunks too (they do not reshape).
	head -c 100 raw.zarr/1.1 > cut && mv cut raw.zarr/1.1
	run -1 lsio zarr raw.zarr -o bad.npy
	assert_output --partial "store 'raw.zarr': '1.1': "
	assert_output --partial "100 bytes, but an uncompressed chunk of 8x5 <i4 is 160 bytes"
	assert_no_output_left . bad.npy
	# Longer than it should be is as wrong.
	cat raw.zarr/0.1 raw.zarr/0.1 > long && mv long raw.zarr/1.1
	run -1 lsio zarr raw.zarr -o bad.npy
	assert_output --partial "store 'raw.zarr': '1.1': 320 bytes"
	run ! zarr_py 'zarr.open("raw.zarr", "r")[:]'
}

@test "zarr v2: tuning options and --stats reach the run" {
	need_zarr
	run --separate-stderr lsio zarr "$ZDIR/v2.zarr/f4_4d" --select '1:5' -o s.npy \
		--workers 1 --queue-depth 4 --backend pread --coalesce-gap 0 --stats=json
	assert_success
	echo "$output" > stats.json
	[ "$(json_get stats.json 'j["workers"]')" = 1 ] || fail "stats: $output"
	zarr_py 'np.save("s_ref.npy", zarr.open(sys.argv[1], "r")[1:5])' "$ZDIR/v2.zarr/f4_4d"
	assert_npy_equal s.npy s_ref.npy
}

@test "zarr: usage errors exit 2" {
	run -2 lsio zarr
	assert_output --partial "a store (or STORE/ARRAY) is needed"
	run -2 lsio zarr a.zarr
	assert_output --partial "-o OUT.npy is needed"
	run -2 lsio zarr a.zarr --list --select 1
	assert_output --partial "--list takes no --select"
	run -2 lsio zarr a.zarr --emit-job --workers 2
	assert_output --partial "--emit-job prints the job"
	run -2 lsio zarr a.zarr b.zarr -o x.npy
	assert_output --partial "one store only"
	run -2 lsio zarr a.zarr --stats=xml -o x.npy
	assert_output --partial "--stats takes text or json"
	run -0 lsio zarr --help
	assert_output --partial "usage: lsio zarr STORE[/ARRAY]"
	run -0 lsio --help
	assert_output --partial "zarr STORE"
}

@test "zarr v2: a selection of more chunks than a job holds is refused at once, saying how many" {
	need_zarr
	zarr_py 'zarr.open("big.zarr", mode="w", shape=(10**13, 10**6), chunks=(1000, 1000), dtype="f4")'
	run -2 lsio zarr big.zarr -o b.npy
	assert_output "lsio: store 'big.zarr': '.zarray': selection '' touches 10000000000000 chunks (10000000000 x 1000); a job holds at most 16777216: select less, or in parts"
	# a step wider than a chunk touches one chunk per index
	run -2 lsio zarr big.zarr --select '::5000, 0' -o b.npy
	assert_output --partial "touches 2000000000 chunks (2000000000 x 1)"
	[ ! -e b.npy ] || fail "an output was written"
}

@test "zarr v2: Ctrl-C while the job is being generated stops it (exit 130), nothing written" {
	need_zarr
	# 16 million chunks, none written: listing them takes over a minute
	zarr_py 'zarr.open("many.zarr", mode="w", shape=(4000, 4000), chunks=(1, 1), dtype="u1")'
	# a background job starts with SIGINT ignored: restore the default
	env --default-signal=INT "$LSIO" zarr many.zarr -o m.npy -q 2> err.txt &
	local pid=$! rc=0
	sleep 1
	kill -INT "$pid"
	# bounded: a generator that ignores the signal is still running
	timeout 20 tail --pid="$pid" -f /dev/null || { kill -KILL "$pid"; fail "still running 20 s after SIGINT"; }
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ] || fail "exit $rc, expected 130: $(cat err.txt)"
	assert_no_output_left . m.npy
}
