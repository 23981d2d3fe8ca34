#!/usr/bin/env bats
# malformed.bats - malformed and hostile jobs.  Each: the exit code (2 for
# an invalid job, 1 for a runtime failure), a message on stderr that names
# the problem (file:line:col, the JSON path, or the chunk index and source),
# nothing on stdout, and no output or temporary file left behind.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	common_setup
	make_file src.bin 4096		# 1024 <f4 values: four 16 x 16 chunks
	mkdir adir
}

# job_fails CODE REGEX...: `lsio run job.json` exits CODE, prints nothing on
# stdout, and a message "lsio: ..." matching every REGEX on stderr; no
# output (out.npy, out.bin, outdir, nodir) and no temporary file is left.
# An invalid job (CODE 2) must also fail `lsio validate` the same way.
# LSIO_TEST_SHOW=1 prints every message (to review their wording).
job_fails() {
	local code=$1 re
	shift
	run --separate-stderr "$LSIO" run job.json
	[ "$status" -eq "$code" ] ||
		fail "run: exit $status, expected $code; stderr: ${stderr:0:600}"
	[ -z "${LSIO_TEST_SHOW:-}" ] || printf '# %s: %s\n' "$status" "${stderr:0:300}" >&3
	[ -z "$output" ] || fail "run: stdout not empty: ${output:0:300}"
	[[ $stderr == "lsio: "* ]] || fail "run: message does not start 'lsio: ': ${stderr:0:600}"
	for re in "$@"; do
		[[ $stderr =~ $re ]] || fail "run: message does not match /$re/: ${stderr:0:600}"
	done
	assert_no_output_left . out.npy out.bin outdir nodir
	if [ "$code" -eq 2 ]; then
		run --separate-stderr "$LSIO" validate job.json
		[ "$status" -eq 2 ] ||
			fail "validate: exit $status, expected 2; stderr: ${stderr:0:600}"
		for re in "$@"; do
			[[ $stderr =~ $re ]] || fail "validate: message does not match /$re/: ${stderr:0:600}"
		done
		assert_no_output_left . out.npy out.bin outdir nodir
	fi
}

# array_job CHUNKS [OUTPUT-EXTRA]: a 16 x 16 <f4 array job into out.npy.
array_job() {
	cat > job.json <<-EOF
	{"lsio": 1,
	 "output": {"type": "array", "path": "out.npy", "dtype": "<f4", "shape": [16, 16]$2},
	 "chunks": [
	  $1
	 ]}
	EOF
}

# A chunk that is fine on its own.
GOOD='{"source": "src.bin", "offset": 0, "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'

# --- syntax --------------------------------------------------------------------

@test "not JSON at all: file:line:col" {
	echo 'this is not json' > job.json
	job_fails 2 'job\.json:1:[0-9]+: '
}

@test "a syntax error on line 3: file:3:col" {
	printf '{\n  "lsio": 1,\n  "output": {"type": "null"},,\n  "chunks": []\n}\n' > job.json
	job_fails 2 'job\.json:3:[0-9]+: '
}

@test "truncated JSON: file:line:col" {
	printf '{"lsio": 1,\n "output": {"type": "null"},\n "chunks": [{"source": "src.bin", "off' > job.json
	job_fails 2 'job\.json:3:[0-9]+: '
}

@test "an empty job file" {
	: > job.json
	job_fails 2 'job\.json(:[0-9]+:[0-9]+)?: '
}

@test "a duplicate key is rejected, not silently overwritten" {
	printf '{"lsio": 1,\n "output": {"type": "null"},\n "chunks": [],\n "output": {"type": "stdout"}}\n' > job.json
	job_fails 2 'job\.json:[0-9]+:[0-9]+: .*duplicate' 'output'
}

@test "invalid UTF-8 in a string: file:line:col" {
	printf '{"lsio": 1, "output": {"type": "null"},\n "chunks": [{"source": "src\xff\xfe.bin"}]}\n' > job.json
	job_fails 2 'job\.json:2:[0-9]+: '
}

@test "a NUL escape (\\u0000) in a string" {
	printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [{"source": "src.bin\\u0000.x"}]}\n' > job.json
	job_fails 2 'job\.json(:[0-9]+:[0-9]+)?: '
}

@test "a JSON nesting bomb (100000 levels) fails cleanly, no crash" {
	{
		printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [], "x": '
		head -c 100000 /dev/zero | tr '\0' '['
		head -c 100000 /dev/zero | tr '\0' ']'
		printf '}\n'
	} > job.json
	job_fails 2 'job\.json(:[0-9]+:[0-9]+)?: '
}

@test "a 10 MB string value: rejected, and the message stays short" {
	{
		printf '{"lsio": 1, "output": {"type": "'
		head -c 10000000 /dev/zero | tr '\0' 'x'
		printf '"}, "chunks": []}\n'
	} > job.json
	job_fails 2 'output\.type'
	[ "${#stderr}" -lt 65536 ] || fail "a ${#stderr}-byte message"
}

@test "a 10 MB source path: a runtime error, and the message stays short" {
	{
		printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [{"source": "'
		head -c 10000000 /dev/zero | tr '\0' 'x'
		printf '"}]}\n'
	} > job.json
	job_fails 1 'chunk(s\[| )0[^0-9].*xxxx'
	[ "${#stderr}" -lt 65536 ] || fail "a ${#stderr}-byte message"
}

# --- the top level --------------------------------------------------------------

@test "the top level is a list, not an object" {
	echo '[{"lsio": 1}]' > job.json
	job_fails 2 'job\.json: .*object'
}

@test "wrong \"lsio\" format version" {
	echo '{"lsio": 2, "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: .*unsupported job format version 2 \(this lsio reads 1\)'
}

@test "\"lsio\" is a string, not a number" {
	echo '{"lsio": "1", "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: lsio'
}

@test "missing \"lsio\"" {
	echo '{"output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: .*"?lsio"?.*(version|missing)|missing.*"?lsio'
}

@test "unknown top-level key, with a hint" {
	echo '{"lsio": 1, "output": {"type": "null"}, "chunks": [], "defualts": {}}' > job.json
	job_fails 2 "job\\.json: .*unknown key 'defualts' \\(did you mean 'defaults'\\?\\)"
}

@test "unknown key far from any real one: no nonsense hint" {
	echo '{"lsio": 1, "output": {"type": "null", "zzzzzzzzzz": 1}, "chunks": []}' > job.json
	job_fails 2 "job\\.json: output: unknown key 'zzzzzzzzzz'"
	[[ $stderr != *"did you mean"* ]] || fail "a hint for a key like no other: $stderr"
}

@test "missing \"chunks\"" {
	echo '{"lsio": 1, "output": {"type": "null"}}' > job.json
	job_fails 2 'job\.json: .*chunks'
}

@test "\"chunks\" is not a list" {
	echo '{"lsio": 1, "output": {"type": "null"}, "chunks": {"source": "src.bin"}}' > job.json
	job_fails 2 'job\.json: chunks: '
}

@test "missing \"output\"" {
	echo '{"lsio": 1, "chunks": []}' > job.json
	job_fails 2 'job\.json: .*output'
}

@test "an empty chunk list is valid: the output is the filled array" {
	need_python_numpy
	array_job '' ', "fill_value": 1.5'
	run --separate-stderr lsio validate job.json
	assert_success
	assert_output 'job.json: valid: 0 chunks, 0 sources, array output'
	run --separate-stderr lsio run job.json
	assert_success
	py 'a = np.load("out.npy"); assert a.shape == (16, 16) and a.dtype == np.dtype("<f4") and (a == 1.5).all(), a'
}

# --- chunk keys --------------------------------------------------------------

@test "unknown chunk key, with a hint: did you mean 'offset'" {
	array_job "$GOOD,
	  {\"source\": \"src.bin\", \"ofset\": 1024, \"length\": 1024, \"place\": {\"shape\": [16, 16], \"to\": [0, 0]}}"
	job_fails 2 "job\\.json: chunks\\[1\\]: unknown key 'ofset' \\(did you mean 'offset'\\?\\)"
}

@test "unknown place key, with a hint" {
	array_job '{"source": "src.bin", "length": 1024, "place": {"shape": [16, 16], "too": [0, 0]}}'
	job_fails 2 "chunks\\[0\\]\\.place: unknown key 'too'.*did you mean 'to'"
}

@test "a chunk without a source (and no defaults.source)" {
	array_job '{"offset": 0, "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'chunks\[0\].*source'
}

@test "negative offset" {
	array_job '{"source": "src.bin", "offset": -1024, "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.offset: '
}

@test "fractional length" {
	array_job '{"source": "src.bin", "offset": 0, "length": 1023.5, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.length: '
}

@test "size string with a bad unit" {
	array_job '{"source": "src.bin", "offset": 0, "length": "1XB", "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.length: .*1XB'
}

@test "size string that is negative" {
	array_job '{"source": "src.bin", "offset": "-4KiB", "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.offset: '
}

@test "size string beyond 2^63 (16777216TiB = 2^64)" {
	array_job '{"source": "src.bin", "offset": "16777216TiB", "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.offset: '
}

@test "offset 18446744073709551615 (beyond any JSON integer lsio takes)" {
	array_job '{"source": "src.bin", "offset": 18446744073709551615, "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json(:[0-9]+:[0-9]+: |: chunks\[0\]\.offset: )'
}

@test "offset + length overflows" {
	array_job '{"source": "src.bin", "offset": 9223372036854775807, "length": 9223372036854775807, "stages": ["identity"], "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]'
}

@test "length past the end of the file: runtime error naming chunk and source" {
	array_job "$GOOD,
	  {\"source\": \"src.bin\", \"offset\": 3584, \"length\": 1024, \"place\": {\"shape\": [16, 16], \"to\": [0, 0]}}"
	job_fails 1 'chunk(s\[| )1[^0-9].*src\.bin'
}

@test "offset past the end of the file, length to EOF: runtime error" {
	array_job "$GOOD,
	  {\"source\": \"src.bin\", \"offset\": 5000, \"place\": {\"shape\": [16, 16], \"to\": [0, 0]}}"
	job_fails 1 'chunk(s\[| )1[^0-9].*src\.bin'
}

@test "missing source file: runtime error naming chunk and source" {
	array_job "$GOOD,
	  {\"source\": \"nope.bin\", \"offset\": 0, \"length\": 1024, \"place\": {\"shape\": [16, 16], \"to\": [0, 0]}}"
	job_fails 1 'chunk(s\[| )1[^0-9].*nope\.bin'
}

@test "source is a directory: runtime error naming chunk and source" {
	array_job '{"source": "adir", "offset": 0, "length": 1024, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 1 'chunk(s\[| )0[^0-9].*adir'
}

# --- place -------------------------------------------------------------------

@test "placement outside the array names chunks[1].place.to" {
	array_job "$GOOD,
	  {\"source\": \"src.bin\", \"offset\": 1024, \"length\": 1024, \"place\": {\"shape\": [16, 16], \"to\": [0, 8]}}"
	job_fails 2 'job\.json: chunks\[1\]\.place\.to: .*outside'
}

@test "place.to so large that to + count overflows" {
	array_job '{"source": "src.bin", "length": 1024, "place": {"shape": [16, 16], "to": [9223372036854775807, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.place\.to'
}

@test "place ndim differs from the array's" {
	array_job '{"source": "src.bin", "length": 1024, "place": {"shape": [256], "to": [0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.place'
}

@test "place.from + place.count > place.shape" {
	array_job '{"source": "src.bin", "length": 1024, "place": {"shape": [16, 16], "from": [8, 0], "count": [9, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.place\.(from|count)'
}

@test "array output: a chunk without place" {
	array_job '{"source": "src.bin", "length": 1024}'
	job_fails 2 'job\.json: chunks\[0\].*place'
}

@test "array output: place without to" {
	array_job '{"source": "src.bin", "length": 1024, "place": {"shape": [16, 16]}}'
	job_fails 2 'job\.json: chunks\[0\]\.place.*to'
}

@test "defaults.place may not hold to" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<f4", "shape": [16, 16]},
	 "defaults": {"place": {"shape": [16, 16], "to": [0, 0]}},
	 "chunks": [{"source": "src.bin", "length": 1024, "place": {"to": [0, 0]}}]}
	EOF
	job_fails 2 'job\.json: defaults\.place'
}

@test "bytes differ from place x dtype (known length): a job error" {
	array_job '{"source": "src.bin", "offset": 0, "length": 1000, "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]'
}

@test "bytes differ from place x dtype (length to EOF): a runtime error, temp removed" {
	local chunks="" k
	# 15 good chunks, then one whose length (to the end of src.bin, 4096
	# bytes) is not the 1024 its place needs.
	for ((k = 0; k < 15; k++)); do
		chunks+="$GOOD,"
	done
	array_job "$chunks {\"source\": \"src.bin\", \"place\": {\"shape\": [16, 16], \"to\": [0, 0]}}"
	job_fails 1 'chunk(s\[| )15[^0-9].*src\.bin'
}

@test "stdout output: place is not allowed" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "stdout"}, "chunks": [$GOOD]}
	EOF
	job_fails 2 'job\.json: chunks\[0\]\.place'
}

@test "null output: name is not allowed" {
	echo '{"lsio": 1, "output": {"type": "null"}, "chunks": [{"source": "src.bin", "name": "x"}]}' > job.json
	job_fails 2 'job\.json: chunks\[0\]\.name'
}

@test "a zstd bomb (2 GiB from 66 KB) fails fast with null, stdout and files output, naming chunk and stage" {
	command -v zstd >/dev/null || skip "zstd is not installed"
	local t0 t1 out
	# 32 frames of 64 MiB of zeros: 2 GiB decoded, made in a moment.
	head -c 64M /dev/zero | zstd -q -c > z64.zst
	for ((k = 0; k < 32; k++)); do cat z64.zst; done > bomb.zst
	for out in '"type": "null"' '"type": "stdout"' '"type": "files", "dir": "outdir"'; do
		echo "{\"lsio\": 1, \"output\": {$out}, \"chunks\": [{\"source\": \"bomb.zst\", \"stages\": [\"zstd\"]}]}" > job.json
		t0=$(date +%s%N)
		job_fails 1 "chunk 0 \('bomb\.zst', bytes 0\+[0-9]+\): stage 1 'zstd': .*268435456 bytes.*output\.max_chunk"
		t1=$(date +%s%N)
		# Decoding all 2 GiB took 40 s and 4 GiB of memory per worker.
		[ $(((t1 - t0) / 1000000)) -lt 15000 ] || fail "$out: took $(((t1 - t0) / 1000000)) ms"
	done
}

@test "output.max_chunk bounds what a chunk may decode to" {
	command -v zstd >/dev/null || skip "zstd is not installed"
	head -c 1M /dev/zero | zstd -q -c > z1.zst
	echo '{"lsio": 1, "output": {"type": "null", "max_chunk": "1M"}, "chunks": [{"source": "z1.zst", "stages": ["zstd"]}]}' > job.json
	run -0 lsio run job.json
	sed -i 's/"1M"/"1023K"/' job.json
	job_fails 1 "chunk 0 .*stage 1 'zstd': .*1047552 bytes"
	sed -i 's/"1023K"/0/' job.json
	job_fails 2 'job\.json: output\.max_chunk: must be at least 1 byte'
	sed -i 's/0}/"lots"}/' job.json
	job_fails 2 'job\.json: output\.max_chunk'
	array_job "$GOOD" ', "max_chunk": "1M"'
	job_fails 2 "'max_chunk' is not a key of array output \(it belongs to files, stdout, null output\)"
}

# --- output ------------------------------------------------------------------

@test "bad dtype" {
	array_job "$GOOD" ', "dtype": "<f3"'
	sed -i 's/"dtype": "<f4", //' job.json
	job_fails 2 "job\\.json: output\\.dtype: .*<f3"
}

@test "output order F is not supported" {
	array_job "$GOOD" ', "order": "F"'
	job_fails 2 'job\.json: output\.order'
}

@test "output shape with 33 dimensions" {
	local dims
	dims=$(printf '1, %.0s' {1..32})1
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "|u1", "shape": [$dims]}, "chunks": []}
	EOF
	job_fails 2 'job\.json: output\.shape'
}

@test "output shape whose byte size overflows" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<f8",
	 "shape": [4294967296, 4294967296, 4294967296]}, "chunks": []}
	EOF
	job_fails 2 'job\.json: output\.shape'
}

@test "output shape with a negative dimension" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<f8", "shape": [4, -1]}, "chunks": []}
	EOF
	job_fails 2 'job\.json: output\.shape'
}

@test "bad fill_value" {
	array_job "$GOOD" ', "fill_value": "banana"'
	job_fails 2 'job\.json: output\.fill_value'
}

@test "bad output format" {
	array_job "$GOOD" ', "format": "tiff"'
	job_fails 2 'job\.json: output\.format'
}

@test "unknown output type" {
	echo '{"lsio": 1, "output": {"type": "tape"}, "chunks": []}' > job.json
	job_fails 2 "job\\.json: output\\.type: .*'tape'"
}

@test "misspelt output type, with a hint" {
	echo '{"lsio": 1, "output": {"type": "aray", "path": "out.npy", "dtype": "<f4", "shape": [1]}, "chunks": []}' > job.json
	job_fails 2 "job\\.json: output\\.type: .*'aray'.*did you mean 'array'"
}

@test "array path in a directory that does not exist: runtime error, no dir made" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "nodir/out.npy", "dtype": "<f4", "shape": [16, 16]},
	 "chunks": [$GOOD]}
	EOF
	job_fails 1 'nodir/out\.npy'
}

@test "array path is an existing directory: usage error (exit 2), directory untouched" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "adir", "dtype": "<f4", "shape": [16, 16]},
	 "chunks": [$GOOD]}
	EOF
	# exit 2 at run time: the job is valid, the path is not one to write
	run -2 "$LSIO" run job.json
	assert_output --partial "cannot write 'adir': it is a directory (lsio writes regular files, character devices, FIFOs and '-')"
	assert_no_output_left . out.npy
	[ -d adir ] && [ -z "$(ls -A adir)" ] || fail "adir changed: $(ls -lA adir)"
}

# --- files output ----------------------------------------------------------------

@test "files output: two chunks with the same name, both named" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "outdir"},
	 "chunks": [{"source": "src.bin", "length": 10, "name": "same.bin"},
	            {"source": "src.bin", "length": 10, "name": "other.bin"},
	            {"source": "src.bin", "offset": 10, "length": 10, "name": "same.bin"}]}
	EOF
	job_fails 2 'same\.bin' '(chunks\[0\]|chunk 0)[^0-9]' '(chunks\[2\]|chunk 2)([^0-9]|$)'
}

@test "files output: a template that gives two chunks one name" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "outdir", "name": "{source}"},
	 "chunks": [{"source": "src.bin", "length": 10}, {"source": "src.bin", "offset": 10, "length": 10}]}
	EOF
	job_fails 2 'src\.bin' '(chunks\[0\]|chunk 0)[^0-9]' '(chunks\[1\]|chunk 1)([^0-9]|$)'
}

@test "files output: a name with '/'" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "outdir"},
	 "chunks": [{"source": "src.bin", "length": 10}, {"source": "src.bin", "length": 10, "name": "../escape.bin"}]}
	EOF
	job_fails 2 'job\.json: chunks\[1\]\.name'
	[ ! -e escape.bin ] || fail "wrote outside the directory"
}

@test "files output: a name of '..'" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "outdir"},
	 "chunks": [{"source": "src.bin", "length": 10, "name": ".."}]}
	EOF
	job_fails 2 'job\.json: chunks\[0\]\.name'
}

@test "files output: a name longer than 255 bytes" {
	local long
	long=$(head -c 300 /dev/zero | tr '\0' 'n')
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "outdir"},
	 "chunks": [{"source": "src.bin", "length": 10, "name": "$long"}]}
	EOF
	job_fails 2 'job\.json: chunks\[0\]\.name'
}

@test "files output: unknown placeholder in the template, the known ones listed" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "outdir", "name": "{idx}.bin"},
	 "chunks": [{"source": "src.bin", "length": 10}]}
	EOF
	job_fails 2 'job\.json: output\.name: .*idx.*index'
}

# --- stages ---------------------------------------------------------------------

@test "unknown stage, with a hint" {
	array_job '{"source": "src.bin", "length": 1024, "stages": ["identiy"], "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 "job\\.json: chunks\\[0\\]\\.stages.*'identiy'.*did you mean 'identity'"
}

@test "unknown stage in defaults" {
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "null"}, "defaults": {"stages": ["frobnicate"]},
	 "chunks": [{"source": "src.bin"}]}
	EOF
	job_fails 2 "job\\.json: defaults\\.stages.*frobnicate"
}

@test "stage object without codec" {
	array_job '{"source": "src.bin", "length": 1024, "stages": [{"level": 3}], "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.stages.*codec'
}

@test "stages is not a list" {
	array_job '{"source": "src.bin", "length": 1024, "stages": "identity", "place": {"shape": [16, 16], "to": [0, 0]}}'
	job_fails 2 'job\.json: chunks\[0\]\.stages'
}

# --- storage -----------------------------------------------------------------

@test "storage: unknown key, with a hint" {
	echo '{"lsio": 1, "storage": {"worker": 2}, "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 "job\\.json: storage: unknown key 'worker' \\(did you mean 'workers'\\?\\)"
}

@test "storage.workers out of range" {
	echo '{"lsio": 1, "storage": {"workers": 0}, "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: storage\.workers'
}

@test "storage.direct and storage.backend: unknown values" {
	echo '{"lsio": 1, "storage": {"direct": "maybe"}, "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: storage\.direct'
	echo '{"lsio": 1, "storage": {"backend": "tape"}, "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: storage\.backend'
}

@test "storage.memory is not a size" {
	echo '{"lsio": 1, "storage": {"memory": "lots"}, "output": {"type": "null"}, "chunks": []}' > job.json
	job_fails 2 'job\.json: storage\.memory'
}
