#!/usr/bin/env bats
# decode_once.bats - a chunk is read and decoded once, however many of its
# elements a selection takes: in-place stages (delta, byte swap, checksum
# strip) run once over a buffer, or the values come out wrong.  The data
# are written by zarr-python (v2) and checked against what it returns.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	"$PY" -c 'import zarr, numcodecs' 2>/dev/null || return 0
	cd "$BATS_FILE_TMPDIR" || return 1
	"$PY" -c '
import numpy as np, zarr, numcodecs
a = zarr.open("delta.zarr", mode="w", shape=(20, 20), chunks=(10, 10),
              dtype="<i4", compressor=None,
              filters=[numcodecs.Delta(dtype="<i4")])
a[:] = np.arange(400, dtype="<i4").reshape(20, 20) * 18 + 7
b = zarr.open("delta_f8.zarr", mode="w", shape=(30,), chunks=(12,),
              dtype="<f8", compressor=None,
              filters=[numcodecs.Delta(dtype="<f8")])
b[:] = np.arange(30, dtype="<f8") ** 3 / 7
' > gen.log 2>&1 || touch gen.failed
}

# same_as_zarr STORE SELECTION: lsio's .npy of the selection equals
# zarr-python's, element for element.
same_as_zarr() {
	lsio zarr "$BATS_FILE_TMPDIR/$1" --select "$2" -o got.npy -q
	py 'import zarr
np.save("want.npy", eval("zarr.open(sys.argv[1], \"r\")[%s]" % sys.argv[2]))' \
		"$BATS_FILE_TMPDIR/$1" "$2"
	assert_npy_equal got.npy want.npy
}

@test "decode once: v2 Delta without a compressor, stepped selections" {
	need_zarr
	local s
	for s in '::2, ::3' '3:17:4, 5' '1::2' ':, 7' '..., 4' '0:20:7, 1:20:6'; do
		same_as_zarr delta.zarr "$s"
	done
	same_as_zarr delta_f8.zarr '::2'
	same_as_zarr delta_f8.zarr '1:29:5'
	# the issue's numbers: [7 25 43 61 ...] along a row, not [7 117 1800 ...]
	lsio zarr "$BATS_FILE_TMPDIR/delta.zarr" --select '0, 0:4' -o row.npy -q
	run py 'print(np.load("row.npy").tolist())'
	assert_output "[7, 25, 43, 61]"
}

@test "decode once: one element of a chunk is a 0-d array" {
	need_zarr
	same_as_zarr delta.zarr '12, 17'
	same_as_zarr delta.zarr '-1, -1'
	same_as_zarr delta_f8.zarr '13'
}

@test "decode once: a job that lists one chunk twice decodes each from its own bytes" {
	need_zarr
	write_job <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "dup.npy", "dtype": "<i4", "shape": [6]},
	 "defaults": {"source": "$BATS_FILE_TMPDIR/delta.zarr/0.0",
	              "stages": [{"codec": "delta", "dtype": "<i4"}]},
	 "chunks": [
	  {"place": {"shape": [100], "to": [0], "count": [3]}},
	  {"place": {"shape": [100], "to": [3], "from": [10], "count": [3]}}]}
	EOF
	lsio run job.json -q
	run py 'print(np.load("dup.npy").tolist())'
	assert_output "[7, 25, 43, 367, 385, 403]"
}

@test "decode once: a strided placement in a hand-written job" {
	printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b' > b12.bin
	write_job <<-'EOF'
	{"lsio": 1, "output": {"type": "array", "path": "s.npy", "dtype": "|u1", "shape": [2, 2]},
	 "chunks": [{"source": "b12.bin",
	             "place": {"shape": [3, 4], "to": [0, 0], "from": [0, 1], "count": [2, 2], "step": [2, 2]}}]}
	EOF
	lsio run job.json -q
	run od -An -tu1 s.npy --skip-bytes=128
	assert_output "   1   3   9  11"
	# a step that leaves the chunk is refused when the job is loaded
	sed -i 's/"count": \[2, 2\]/"count": [2, 3]/' job.json
	run -2 lsio run job.json
	assert_output --partial "place.count"
	assert_output --partial "step 2"
}
