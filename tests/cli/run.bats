#!/usr/bin/env bats
# run.bats - every user-visible behaviour of `lsio run`, `lsio validate`,
# `lsio plan` and the tool's global options.  References are built from the
# source files with dd (or numpy), never from lsio's own output.

bats_require_minimum_version 1.5.0
load helpers

# --- fixture: 48 ranges of two files, in a scrambled order ------------------
#
# Writes a.bin, b.bin, the ranges (SRC/OFF/LEN arrays, one chunk each) and
#   expected.bin   the ranges concatenated in job order (dd)
#   stream.json    stdout output
#   array.json     1-D |u1 array "out.npy", chunk i placed after chunk i-1,
#                  so the array's bytes are expected.bin
#   files.json     files output into "outdir", "{index}.bin"
#   null.json      null output
# Offsets and lengths are deliberately unaligned; one chunk has no length
# (to the end of its file) and one ends exactly at the end of a.bin.
A_SIZE=$((1048576 + 123))
B_SIZE=300000

gen_fixture() {
	local i n=48 src size len off pos=0 c_stream="" c_array="" c_files="" sep="" lenkey
	make_file a.bin "$A_SIZE"
	make_file b.bin "$B_SIZE"
	RANDOM=4242
	SRC=() OFF=() LEN=()
	for ((i = 0; i < n; i++)); do
		if ((i % 3)); then src=a.bin size=$A_SIZE; else src=b.bin size=$B_SIZE; fi
		len=$(((RANDOM * 32768 + RANDOM) % 40000 + 1))
		off=$(((RANDOM * 32768 + RANDOM) % (size - len + 1)))
		case $i in
		5) len=65536 off=131072 ;;			# aligned
		7) off=$((A_SIZE - 5000)) len=5000 ;;		# the last bytes
		10) off=0 len=1 ;;				# one byte
		12) off=$((B_SIZE - 777)) len=777 ;;		# no "length": to EOF
		esac
		SRC+=("$src") OFF+=("$off") LEN+=("$len")
	done
	: > expected.bin
	for ((i = 0; i < n; i++)); do
		range_bytes "${SRC[i]}" "${OFF[i]}" "${LEN[i]}" >> expected.bin
		lenkey=", \"length\": ${LEN[i]}"
		((i == 12)) && lenkey=
		c_stream+="$sep{\"source\": \"${SRC[i]}\", \"offset\": ${OFF[i]}$lenkey, \"stages\": []}"
		c_files+="$sep{\"source\": \"${SRC[i]}\", \"offset\": ${OFF[i]}$lenkey}"
		c_array+="$sep{\"source\": \"${SRC[i]}\", \"offset\": ${OFF[i]}$lenkey, \"place\": {\"shape\": [${LEN[i]}], \"to\": [$pos]}}"
		pos=$((pos + LEN[i]))
		sep=$',\n    '
	done
	TOTAL=$pos
	N=$n
	[ "$(stat -c %s expected.bin)" -eq "$TOTAL" ] || fail "fixture: expected.bin has the wrong size"
	printf '{\n  "lsio": 1,\n  "output": {"type": "stdout"},\n  "chunks": [\n    %s\n  ]\n}\n' "$c_stream" > stream.json
	printf '{\n  "lsio": 1,\n  "output": {"type": "array", "path": "out.npy", "dtype": "|u1", "shape": [%d]},\n  "chunks": [\n    %s\n  ]\n}\n' "$TOTAL" "$c_array" > array.json
	printf '{\n  "lsio": 1,\n  "output": {"type": "files", "dir": "outdir", "name": "{index}.bin"},\n  "chunks": [\n    %s\n  ]\n}\n' "$c_files" > files.json
	printf '{\n  "lsio": 1,\n  "output": {"type": "null"},\n  "chunks": [\n    %s\n  ]\n}\n' "$c_stream" > null.json
}

# check_u1_npy FILE: FILE is a .npy whose data is expected.bin.
check_u1_npy() {
	[ -f "$1" ] || fail "'$1' was not written"
	[ "$(head -c 6 "$1" | od -An -c | tr -d ' ')" = '223NUMPY' ] ||
		fail "'$1' does not start with the .npy magic"
	[ "$(stat -c %s "$1")" -gt "$TOTAL" ] || fail "'$1' is too short"
	tail -c "$TOTAL" "$1" > "$1.data"
	cmp "$1.data" expected.bin >&2 || fail "'$1' data differs from the ranges"
	rm -f "$1.data"
}

# check_files DIR: DIR holds exactly 0.bin .. N-1.bin, each its range.
check_files() {
	local i
	[ -d "$1" ] || fail "directory '$1' was not made"
	for ((i = 0; i < N; i++)); do
		range_bytes "${SRC[i]}" "${OFF[i]}" "${LEN[i]}" > want.part
		cmp "$1/$i.bin" want.part >&2 || fail "$1/$i.bin differs from chunk $i's range"
	done
	rm -f want.part
	[ "$(find "$1" -mindepth 1 | wc -l)" -eq "$N" ] ||
		fail "'$1' holds other files: $(ls -A "$1" | grep -v '^[0-9]*\.bin$')"
}

# run_stream ARGS...: lsio run stream.json ARGS > got.bin 2> err.txt; sets rc.
run_stream() {
	rc=0
	"$LSIO" run stream.json "$@" > got.bin 2> err.txt || rc=$?
}

# parse_stats_json < TEXT: the one JSON statistics object in TEXT, as
# "key=value ..." sorted by key.
parse_stats_json() {
	"$PY" -c '
import json, sys
docs = [json.loads(l) for l in sys.stdin.read().splitlines() if l.startswith("{")]
if len(docs) != 1: sys.exit("expected one JSON object, got %d" % len(docs))
d = docs[0]
print(" ".join("%s=%s" % (k, d[k]) for k in sorted(d)))'
}

# --- the tool -----------------------------------------------------------

@test "--help: usage on stdout, exit 0, names every command" {
	run --separate-stderr lsio --help
	assert_success
	assert_output --partial 'usage: lsio'
	assert_output --regexp '(^|[^a-z])run JOB'
	assert_output --partial 'validate JOB'
	assert_output --partial 'plan JOB'
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run lsio -h
	assert_success
	assert_output --partial 'usage: lsio'
}

@test "--version: 'lsio X.Y.Z (job format 1)'" {
	run lsio --version
	assert_success
	assert_output --regexp '^lsio [0-9]+\.[0-9]+\.[0-9]+ \(job format 1\)$'
}

@test "no command: usage on stderr, exit 2" {
	run --separate-stderr lsio
	assert_failure 2
	assert_equal "$output" ""
	[[ $stderr == *"usage: lsio"* ]] || fail "stderr: $stderr"
}

@test "unknown command: exit 2 naming it" {
	run --separate-stderr lsio frobnicate job.json
	assert_failure 2
	[[ $stderr == *"unknown command 'frobnicate'"* ]] || fail "stderr: $stderr"
}

@test "run/validate/plan --help: exit 0 and describe their options" {
	run lsio run --help
	assert_success
	for o in -o --quiet --progress --stats --workers --queue-depth --memory \
		--direct --backend --coalesce-gap --max-request --split --part-size; do
		[[ $output == *"$o"* ]] || fail "run --help does not mention $o"
	done
	run lsio validate --help
	assert_success
	assert_output --partial 'usage: lsio validate'
	run lsio plan --help
	assert_success
	assert_output --partial 'usage: lsio plan'
	assert_output --partial '--json'
}

@test "run: no job, two jobs, unknown option: exit 2" {
	gen_fixture
	run --separate-stderr lsio run
	assert_failure 2
	[[ $stderr == *"job file is needed"* ]] || fail "stderr: $stderr"
	run --separate-stderr lsio run array.json stream.json
	assert_failure 2
	[[ $stderr == *"stream.json"* ]] || fail "stderr: $stderr"
	run --separate-stderr lsio run array.json --frobnicate
	assert_failure 2
	[[ $stderr == *frobnicate* ]] || fail "stderr: $stderr"
	assert_no_output_left . out.npy
}

@test "run: bad option values: exit 2 naming the option, nothing written" {
	gen_fixture
	local bad=(
		"--workers 0" "--workers 1025" "--workers two" "--workers -1"
		"--queue-depth 0" "--queue-depth 4097" "--queue-depth 1x"
		"--memory 0" "--memory -5" "--memory 1.5MiB" "--memory 12XB"
		"--direct maybe" "--backend tape" "--coalesce-gap lots"
		"--max-request -1" "--split 1ZB" "--part-size 0" "--stats=xml"
	)
	local b opt
	for b in "${bad[@]}"; do
		opt=${b%% *}
		opt=${opt%%=*}
		run --separate-stderr lsio run array.json $b
		[ "$status" -eq 2 ] || fail "'$b': exit $status, expected 2 (stderr: $stderr)"
		[[ $stderr == *"${opt#--}"* ]] || fail "'$b': message does not name $opt: $stderr"
		assert_no_output_left . out.npy
	done
}

@test "run/plan/validate: a job file that cannot be read: exit 2 naming it" {
	local cmd
	mkdir adir
	for cmd in run plan validate; do
		run --separate-stderr lsio "$cmd" nonesuch.json
		assert_failure 2
		[[ $stderr == "lsio: cannot open 'nonesuch.json': No such file or directory" ]] ||
			fail "$cmd: stderr: $stderr"
		run --separate-stderr lsio "$cmd" adir
		assert_failure 2
		[[ $stderr == "lsio: "*"adir"* ]] || fail "$cmd: stderr: $stderr"
	done
}

@test "usage errors of every command: 'lsio CMD: message' and a hint to --help" {
	local cmd
	for cmd in run validate plan bench zarr; do
		run --separate-stderr lsio "$cmd" --frobnicate
		assert_failure 2
		assert_equal "$output" ""
		assert_equal "$stderr" "lsio $cmd: unrecognized option '--frobnicate'
Try 'lsio $cmd --help' for more information."
		# A bad value of a shared option says it the same way.
		[ "$cmd" = validate ] && continue
		run --separate-stderr lsio "$cmd" --workers 0 x
		assert_failure 2
		[[ $stderr == "lsio $cmd: --workers: 0 is out of range (1..1024)"$'\n'"Try 'lsio $cmd --help' for more information." ]] ||
			fail "$cmd: stderr: $stderr"
	done
	run --separate-stderr lsio run --output
	assert_failure 2
	[[ $stderr == "lsio run: option '--output' needs an argument"* ]] || fail "stderr: $stderr"
	run --separate-stderr lsio run -x job.json
	assert_failure 2
	[[ $stderr == "lsio run: invalid option '-x'"* ]] || fail "stderr: $stderr"
	run --separate-stderr lsio plan --json=yes job.json
	assert_failure 2
	[[ $stderr == "lsio plan: option '--json' takes no argument"* ]] || fail "stderr: $stderr"
	run --separate-stderr lsio run --s job.json
	assert_failure 2
	[[ $stderr == "lsio run: option '--s' is ambiguous: --stats, --skip-fill, --shard, --split"* ]] || fail "stderr: $stderr"
	run --separate-stderr lsio rn job.json
	assert_failure 2
	[[ $stderr == "lsio: unknown command 'rn' (did you mean 'run'?)"* ]] || fail "stderr: $stderr"
}

@test "an unknown option says which was meant: bench --size is --file-size" {
	run --separate-stderr lsio bench --size 64MiB
	assert_failure 2
	assert_equal "$stderr" "lsio bench: unrecognized option '--size' (did you mean '--file-size'?)
Try 'lsio bench --help' for more information."
	run --separate-stderr lsio run --wokers 2 job.json
	assert_failure 2
	[[ $stderr == *"(did you mean '--workers'?)"* ]] || fail "stderr: $stderr"
	# bench reads local files only: no --no-sign-request.
	run --separate-stderr lsio bench --no-sign-request
	assert_failure 2
	[[ $stderr == "lsio bench: unrecognized option '--no-sign-request'"* ]] || fail "stderr: $stderr"
	run -0 lsio bench --help
	refute_output --partial no-sign-request
}

@test "'lsio help CMD' is 'lsio CMD --help'; 'lsio help' is 'lsio --help'" {
	local cmd want
	for cmd in run validate plan bench zarr; do
		want=$("$LSIO" "$cmd" --help)
		run --separate-stderr lsio help "$cmd"
		assert_success
		assert_output "$want"
		[[ $output == "usage: lsio $cmd"* ]] || fail "help $cmd: $output"
	done
	want=$("$LSIO" --help)
	run -0 lsio help
	assert_output "$want"
	run --separate-stderr lsio help frobnicate
	assert_failure 2
	[[ $stderr == "lsio: unknown command 'frobnicate'"* ]] || fail "stderr: $stderr"
}

# --- validate ----------------------------------------------------------------

@test "validate: prints a summary, writes nothing, reads from '-'" {
	gen_fixture
	run --separate-stderr lsio validate array.json
	assert_success
	assert_output "array.json: valid: $N chunks, 2 sources, array output"
	run lsio validate stream.json
	assert_success
	assert_output "stream.json: valid: $N chunks, 2 sources, stdout output"
	run lsio validate files.json
	assert_success
	assert_output "files.json: valid: $N chunks, 2 sources, files output"
	run lsio validate null.json
	assert_success
	assert_output "null.json: valid: $N chunks, 2 sources, null output"
	run lsio validate - < array.json
	assert_success
	assert_output "<stdin>: valid: $N chunks, 2 sources, array output"
	assert_no_output_left . out.npy outdir
}

@test "validate: an invalid job exits 2; no job or two jobs exit 2" {
	printf '{"lsio": 1, "output": {"type": "null"}, "chunkz": []}\n' > bad.json
	run --separate-stderr lsio validate bad.json
	assert_failure 2
	[[ $stderr == "lsio: bad.json: "*"chunkz"* ]] || fail "stderr: $stderr"
	run lsio validate
	assert_failure 2
	run lsio validate bad.json bad.json
	assert_failure 2
}

# --- plan ------------------------------------------------------------------

@test "plan: describes the requests, --json is JSON, -v lists more, nothing written" {
	gen_fixture
	run --separate-stderr lsio plan array.json
	assert_success
	[ -n "$output" ] || fail "plan printed nothing"
	local plain=${#output}
	run --separate-stderr lsio plan array.json -v
	assert_success
	[ "${#output}" -gt "$plain" ] || fail "-v printed no more than the plain plan"
	lsio plan array.json --json > plan.json
	"$PY" -c 'import json,sys; json.load(sys.stdin)' < plan.json ||
		fail "plan --json is not JSON: $(head -c 300 plan.json)"
	run lsio plan array.json --workers 2 --coalesce-gap off --backend pread
	assert_success
	assert_no_output_left . out.npy
}

@test "plan: a missing source is a runtime error (exit 1) naming chunk and source" {
	printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [{"source": "gone.bin"}]}\n' > job.json
	run --separate-stderr lsio plan job.json
	assert_failure 1
	[[ $stderr =~ chunk.*0.*gone\.bin ]] || fail "stderr: $stderr"
}

@test "run: an unreadable source is a runtime error (exit 1) naming chunk and source" {
	make_file ok.bin 8192
	mkdir locked
	make_file locked/s.bin 8192
	chmod 000 locked/s.bin
	printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [%s, %s, %s]}\n' \
		'{"source": "ok.bin", "length": 100}' '{"source": "ok.bin", "offset": 100}' \
		'{"source": "locked/s.bin", "length": 100}' > job.json
	if [ "$(id -u)" -eq 0 ]; then
		# Root reads anything: drop the capabilities that let it.
		command -v capsh >/dev/null || skip "root, and no capsh to drop CAP_DAC_OVERRIDE (apt-get install libcap2-bin)"
		run --separate-stderr capsh --drop=cap_dac_override,cap_dac_read_search -- -c '"$LSIO" run job.json'
	else
		run --separate-stderr "$LSIO" run job.json
	fi
	assert_failure 1
	[[ $stderr == "lsio: chunk 2: cannot open source 'locked/s.bin': Permission denied" ]] ||
		fail "stderr: $stderr"
}

# --- outputs -----------------------------------------------------------------

@test "array output: .npy holds the ranges in place; np.load reads dtype and shape" {
	need_python_numpy
	gen_fixture
	run --separate-stderr lsio run array.json
	assert_success
	check_u1_npy out.npy
	py '
a = np.load("out.npy")
want = np.fromfile("expected.bin", dtype="u1")
assert a.dtype == np.dtype("|u1"), a.dtype
assert a.shape == want.shape, (a.shape, want.shape)
assert np.array_equal(a, want)'
	assert_no_temp .
}

@test "array output: raw by extension, by format; npy by format" {
	gen_fixture
	sed 's/"path": "out.npy"/"path": "out.bin"/' array.json > raw1.json
	sed 's/"path": "out.npy"/"path": "out2.npy", "format": "raw"/' array.json > raw2.json
	sed 's/"path": "out.npy"/"path": "out3.dat", "format": "npy"/' array.json > npy.json
	run lsio run raw1.json
	assert_success
	assert_same_bytes out.bin expected.bin
	run lsio run raw2.json
	assert_success
	assert_same_bytes out2.npy expected.bin
	run lsio run npy.json
	assert_success
	check_u1_npy out3.dat
	assert_no_temp .
}

@test "array output: fill_value NaN where no chunk lands, 0 by default, numbers" {
	need_python_numpy
	make_file src.bin 4096
	# Rows 1 and 3 of a 4 x 8 <f4 array come from src.bin; rows 0, 2 never.
	for fill in '"NaN"' '0' '-2.5' '"Infinity"' '"-Infinity"' 'null' 'none'; do
		local fv=", \"fill_value\": $fill"
		[ "$fill" = none ] && fv=
		cat > job.json <<-EOF
		{"lsio": 1,
		 "output": {"type": "array", "path": "out.npy", "dtype": "<f4", "shape": [4, 8]$fv},
		 "chunks": [
		  {"source": "src.bin", "offset": 64, "length": 32, "place": {"shape": [1, 8], "to": [1, 0]}},
		  {"source": "src.bin", "offset": 1000, "length": 32, "place": {"shape": [1, 8], "to": [3, 0]}}
		 ]}
		EOF
		run --separate-stderr lsio run job.json
		[ "$status" -eq 0 ] || fail "fill_value $fill: exit $status: $stderr"
		run py '
fill = {"\"NaN\"": np.nan, "0": 0, "-2.5": -2.5, "\"Infinity\"": np.inf,
        "\"-Infinity\"": -np.inf, "null": 0, "none": 0}[sys.argv[1]]
src = open("src.bin", "rb").read()
want = np.full((4, 8), fill, dtype="<f4")
want[1] = np.frombuffer(src[64:96], dtype="<f4")
want[3] = np.frombuffer(src[1000:1032], dtype="<f4")
got = np.load("out.npy")
assert got.dtype == np.dtype("<f4") and got.shape == (4, 8), (got.dtype, got.shape)
if not np.array_equal(got, want, equal_nan=True):
    sys.exit("got\n%s\nwant\n%s" % (got, want))' "$fill"
		[ "$status" -eq 0 ] || fail "fill_value $fill: $output"
		rm -f out.npy
	done
}

@test "array output: integer and bool fill values, big-endian dtype" {
	need_python_numpy
	make_file src.bin 4096
	cat > job.json <<-EOF
	{"lsio": 1,
	 "output": {"type": "array", "path": "out.npy", "dtype": ">i2", "shape": [3, 5], "fill_value": -7},
	 "chunks": [{"source": "src.bin", "offset": 10, "length": 6, "place": {"shape": [1, 3], "to": [1, 2]}}]}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	py '
src = open("src.bin", "rb").read()
want = np.full((3, 5), -7, dtype=">i2")
want[1, 2:5] = np.frombuffer(src[10:16], dtype=">i2")
got = np.load("out.npy")
assert got.dtype == np.dtype(">i2"), got.dtype
assert np.array_equal(got, want), (got, want)'
	cat > job.json <<-EOF
	{"lsio": 1,
	 "output": {"type": "array", "path": "b.npy", "dtype": "|b1", "shape": [6], "fill_value": true},
	 "chunks": []}
	EOF
	run lsio run job.json
	assert_success
	py 'a = np.load("b.npy"); assert a.dtype == np.bool_ and a.shape == (6,) and a.all(), a'
}

@test "array output: empty chunk list gives the filled array" {
	need_python_numpy
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<u2", "shape": [3, 4, 5], "fill_value": 513}, "chunks": []}
	EOF
	run lsio validate job.json
	assert_success
	assert_output --partial "valid: 0 chunks"
	run lsio run job.json
	assert_success
	py 'a = np.load("out.npy"); assert a.dtype == np.dtype("<u2") and a.shape == (3, 4, 5) and (a == 513).all(), a'
}

@test "array output: a 0-d array and an array with a zero-length dimension" {
	need_python_numpy
	make_file src.bin 64
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "s.npy", "dtype": "<i8", "shape": []},
	 "chunks": [{"source": "src.bin", "offset": 8, "length": 8, "place": {"shape": [], "to": []}}]}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	py 'a = np.load("s.npy"); src = open("src.bin","rb").read()
assert a.shape == () and a == np.frombuffer(src[8:16], "<i8")[0], a'
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "z.npy", "dtype": "<f8", "shape": [4, 0]}, "chunks": []}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	py 'a = np.load("z.npy"); assert a.shape == (4, 0) and a.dtype == np.dtype("<f8"), a'
}

@test "array output: sizes with units in offset and length" {
	make_file src.bin 200000
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.bin", "dtype": "|u1", "shape": [5120]},
	 "chunks": [
	  {"source": "src.bin", "offset": "1KiB", "length": "1 KiB", "place": {"shape": [1024], "to": [0]}},
	  {"source": "src.bin", "offset": "2kB", "length": "1K", "place": {"shape": [1024], "to": [1024]}},
	  {"source": "src.bin", "offset": "100000B", "length": "1k", "place": {"shape": [1024], "to": [2048]}},
	  {"source": "src.bin", "offset": "0.1MB", "length": 2048, "place": {"shape": [2048], "to": [3072]}}
	 ]}
	EOF
	# "0.1MB" is not a whole number: the job is invalid.
	run --separate-stderr lsio run job.json
	assert_failure 2
	[[ $stderr == *"chunks[3].offset"* ]] || fail "stderr: $stderr"
	sed -i 's/"0.1MB"/"150000"/' job.json
	run --separate-stderr lsio run job.json
	assert_success
	{ range_bytes src.bin 1024 1024; range_bytes src.bin 2000 1024
	  range_bytes src.bin 100000 1024; range_bytes src.bin 150000 2048; } > want.bin
	assert_same_bytes out.bin want.bin
}

@test "array output: defaults (source, length, place) apply; a chunk's own keys win" {
	make_file src.bin 65536
	make_file other.bin 4096
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.bin", "dtype": "<u2", "shape": [4, 256]},
	 "defaults": {"source": "src.bin", "length": 512, "place": {"shape": [1, 256]}},
	 "chunks": [
	  {"offset": 0, "place": {"to": [0, 0]}},
	  {"offset": 4096, "place": {"to": [1, 0]}},
	  {"source": "other.bin", "offset": 1024, "place": {"to": [2, 0]}},
	  {"offset": 8192, "length": 256, "place": {"shape": [1, 128], "to": [3, 128]}},
	  {"offset": 9000, "length": 256, "place": {"shape": [1, 128], "to": [3, 0]}}
	 ]}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	{ range_bytes src.bin 0 512; range_bytes src.bin 4096 512
	  range_bytes other.bin 1024 512; range_bytes src.bin 9000 256
	  range_bytes src.bin 8192 256; } > want.bin
	assert_same_bytes out.bin want.bin
}

@test "array output: place.from/count select a sub-box of a chunk" {
	make_file src.bin 4096
	# A 4 x 6 |u1 chunk at offset 100; its rows 1..2, columns 2..4 land at
	# [0, 1] of a 2 x 4 array; column 0 stays at the fill value 9.
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.bin", "dtype": "|u1", "shape": [2, 4], "fill_value": 9},
	 "chunks": [{"source": "src.bin", "offset": 100, "length": 24,
	             "place": {"shape": [4, 6], "from": [1, 2], "count": [2, 3], "to": [0, 1]}}]}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	{ printf '\011'; range_bytes src.bin $((100 + 6 + 2)) 3
	  printf '\011'; range_bytes src.bin $((100 + 12 + 2)) 3; } > want.bin
	assert_same_bytes out.bin want.bin
}

@test "array output: place.order F reads a Fortran-order chunk" {
	need_python_numpy
	make_file src.bin 4096
	# A 3 x 4 <i2 chunk stored column by column at offset 40, and a C-order
	# one at offset 200, side by side in a 3 x 8 array.
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "<i2", "shape": [3, 8]},
	 "chunks": [
	  {"source": "src.bin", "offset": 40, "length": 24, "place": {"shape": [3, 4], "order": "F", "to": [0, 0]}},
	  {"source": "src.bin", "offset": 200, "length": 24, "place": {"shape": [3, 4], "order": "C", "to": [0, 4]}}
	 ]}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	py '
src = open("src.bin", "rb").read()
want = np.empty((3, 8), "<i2")
want[:, :4] = np.frombuffer(src[40:64], "<i2").reshape((3, 4), order="F")
want[:, 4:] = np.frombuffer(src[200:224], "<i2").reshape((3, 4))
got = np.load("out.npy")
assert np.array_equal(got, want), (got, want)'
}

@test "-o overrides the array path; the job's path is not written" {
	gen_fixture
	mkdir sub
	run --separate-stderr lsio run array.json -o sub/other.npy
	assert_success
	check_u1_npy sub/other.npy
	[ ! -e out.npy ] || fail "the job's own path was written too"
	run --separate-stderr lsio run --output=x.npy array.json
	assert_success
	check_u1_npy x.npy
	assert_no_temp .
}

@test "-o PATH: with no \"format\" in the job, the format follows PATH's extension" {
	gen_fixture
	# The job says "out.npy" (npy by extension); -o names a raw file.
	run --separate-stderr lsio run array.json -o out.raw
	assert_success
	[ ! -e out.npy ] || fail "the job's own path was written"
	[ "$(stat -c %s out.raw)" -eq "$TOTAL" ] ||
		fail "out.raw has $(stat -c %s out.raw) bytes, expected $TOTAL raw bytes (an .npy header?)"
	assert_same_bytes out.raw expected.bin
	# And the other way round: a raw job written to -o x.npy is an .npy.
	sed 's/"path": "out.npy"/"path": "out.bin"/' array.json > raw.json
	run --separate-stderr lsio run raw.json -o x.npy
	assert_success
	check_u1_npy x.npy
}

@test "-o gives the path an array job leaves out; without it: 'output.path: missing'" {
	gen_fixture
	sed 's/"path": "out.npy", //' array.json > nopath.json
	grep -q '"path"' nopath.json && fail "fixture still has a path"
	run --separate-stderr lsio run nopath.json
	assert_failure 2
	[[ $stderr == *"output.path"* ]] || fail "stderr: $stderr"
	assert_no_output_left .
	run --separate-stderr lsio run nopath.json -o given.npy
	assert_success
	check_u1_npy given.npy
}

@test "-o overrides the files output directory" {
	gen_fixture
	run --separate-stderr lsio run files.json -o elsewhere
	assert_success
	check_files elsewhere
	[ ! -e outdir ] || fail "the job's own dir was made too"
}

@test "run - reads the job from stdin; errors then name <stdin>" {
	gen_fixture
	run --separate-stderr lsio run - < array.json
	assert_success
	check_u1_npy out.npy
	rm out.npy
	printf '{"lsio": 1,\n "output": {"type": "null"},\n "chunks": [}\n' > broken.json
	run --separate-stderr lsio run - < broken.json
	assert_failure 2
	[[ $stderr =~ \<stdin\>:3:[0-9]+: ]] || fail "stderr: $stderr"
	run --separate-stderr lsio validate - < broken.json
	assert_failure 2
	[[ $stderr =~ \<stdin\>:3:[0-9]+: ]] || fail "stderr: $stderr"
}

@test "relative sources resolve against the current directory, not the job's" {
	gen_fixture
	mkdir jobs run
	cp array.json jobs/
	# jobs/ has no a.bin: resolving against the job's directory would fail.
	cp a.bin b.bin expected.bin run/
	cd run
	run --separate-stderr lsio run ../jobs/array.json
	assert_success
	check_u1_npy out.npy
	[ ! -e ../jobs/out.npy ] || fail "output written next to the job"
}

@test "a successful run replaces an existing output; a failed one keeps it" {
	gen_fixture
	echo old > out.npy
	run --separate-stderr lsio run array.json
	assert_success
	check_u1_npy out.npy
	echo old > out.npy
	sed 's/"a.bin"/"gone.bin"/' array.json > bad.json
	run --separate-stderr lsio run bad.json
	assert_failure 1
	[ "$(cat out.npy)" = old ] || fail "a failed run changed the existing output"
	assert_no_temp .
	# A failure found while writing: chunk 12 reads to the end of b.bin
	# (777 bytes) but its place now wants 776.
	"$PY" -c '
import json
j = json.load(open("array.json"))
assert "length" not in j["chunks"][12]
j["chunks"][12]["place"]["shape"] = [776]
json.dump(j, open("late.json", "w"))'
	run --separate-stderr lsio run late.json --workers 1
	assert_failure 1
	[[ $stderr =~ chunk\ 12[^0-9].*b\.bin ]] || fail "stderr: $stderr"
	[ "$(cat out.npy)" = old ] || fail "a run that failed midway changed the existing output"
	assert_no_temp .
}

@test "stdout output: chunks in job order, byte for byte (dd reference)" {
	gen_fixture
	run_stream
	[ "$rc" -eq 0 ] || fail "exit $rc: $(cat err.txt)"
	assert_same_bytes got.bin expected.bin
	assert_no_temp .
}

@test "stdout output: same bytes with 1..4 workers, depth 1, both real backends" {
	gen_fixture
	local args
	for args in "--workers 1" "--workers 2" "--workers 3" "--workers 4" \
		"--workers 4 --queue-depth 1" "--backend pread --workers 3" \
		"--backend uring --queue-depth 1" "--coalesce-gap off" "--coalesce-gap 1MiB"; do
		run_stream $args
		[ "$rc" -eq 0 ] || fail "$args: exit $rc: $(cat err.txt)"
		cmp got.bin expected.bin >&2 || fail "$args: stdout differs from the ranges"
	done
}

@test "stdout output: a closed pipe is a runtime error (exit 1), not a hang" {
	gen_fixture
	local rc=0
	set +o pipefail
	rc=$( { "$LSIO" run stream.json 2> err.txt; echo $? > rc.txt; } | head -c 10 > /dev/null; cat rc.txt)
	[ "$rc" -eq 1 ] || fail "exit $rc, expected 1 (stderr: $(cat err.txt))"
	grep -q '^lsio: ' err.txt || fail "no message: $(cat err.txt)"
}

@test "files of /proc and /sys (st_size 0 or 4096) without a length are read to their end, like cat" {
	local f
	# /proc/self/status says 0 bytes; it holds its reader's status.
	echo '{"lsio": 1, "output": {"type": "stdout"}, "chunks": [{"source": "/proc/self/status"}]}' > p.json
	run --separate-stderr lsio run p.json
	assert_success
	[[ $output == "Name:"*"lsio"*"Pid:"* ]] || fail "not the status of lsio: ${output:0:200}"
	# With an offset, to the end; a file much longer than the first read
	# (/proc/kallsyms: megabytes), also through pread and into files.
	if [ "$(cat /proc/kallsyms | wc -c)" -gt 200000 ]; then
		cat /proc/kallsyms > kallsyms.ref
		tail -c +1001 kallsyms.ref > tail.ref
		echo '{"lsio": 1, "output": {"type": "files", "dir": "outdir"}, "chunks": [{"source": "/proc/kallsyms"}, {"source": "/proc/kallsyms", "offset": 1000}]}' > k.json
		for b in uring pread; do
			lsio run k.json --backend "$b"
			assert_same_bytes outdir/0 kallsyms.ref
			assert_same_bytes outdir/1 tail.ref
		done
	fi
	# sysfs says 4096 bytes whatever a file holds.
	for f in /sys/devices/system/cpu/online /sys/kernel/mm/transparent_hugepage/enabled; do
		[ -r "$f" ] || continue
		cat "$f" > sys.ref
		echo "{\"lsio\": 1, \"output\": {\"type\": \"stdout\"}, \"chunks\": [{\"source\": \"$f\"}]}" > s.json
		lsio run s.json > sys.out
		assert_same_bytes sys.out sys.ref
	done
}

@test "a file of /proc read to its end stops at output.max_chunk, saying to give a length" {
	echo '{"lsio": 1, "output": {"type": "null", "max_chunk": 100}, "chunks": [{"source": "/proc/self/status"}]}' > p.json
	run -1 lsio run p.json
	assert_output "lsio: chunk 0: '/proc/self/status' goes on past 100 bytes from offset 0, the limit for one chunk (output.max_chunk): give the chunk a length"
	# A length is read as given, however st_size is 0.
	echo '{"lsio": 1, "output": {"type": "stdout"}, "chunks": [{"source": "/proc/self/status", "length": 5}]}' > p.json
	run -0 lsio run p.json
	assert_output "Name:"
}

@test "files output: one file per chunk, named by the template, no temp dir left" {
	gen_fixture
	run --separate-stderr lsio run files.json
	assert_success
	check_files outdir
	assert_no_temp .
}

@test "files output: {source} {offset} {length} placeholders, chunk 'name', default '{index}'" {
	make_file src.bin 10000
	make_file two.bin 3000
	cat > job.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "tiles/", "name": "t-{source}-{offset}-{length}.part"},
	 "chunks": [
	  {"source": "src.bin", "offset": 17, "length": 1000},
	  {"source": "./two.bin", "offset": "1KiB", "length": 10},
	  {"source": "src.bin", "offset": 5000, "length": 300, "name": "special.raw"}
	 ]}
	EOF
	run --separate-stderr lsio run job.json
	assert_success
	range_bytes src.bin 17 1000 > w0
	range_bytes two.bin 1024 10 > w1
	range_bytes src.bin 5000 300 > w2
	assert_same_bytes tiles/t-src.bin-17-1000.part w0
	assert_same_bytes tiles/t-two.bin-1024-10.part w1
	assert_same_bytes tiles/special.raw w2
	[ "$(ls -A tiles | wc -l)" -eq 3 ] || fail "extra files: $(ls -A tiles)"
	cat > job2.json <<-EOF
	{"lsio": 1, "output": {"type": "files", "dir": "plain"},
	 "chunks": [{"source": "src.bin", "offset": 1, "length": 2}, {"source": "src.bin", "length": 3}]}
	EOF
	run --separate-stderr lsio run job2.json
	assert_success
	range_bytes src.bin 1 2 > v0
	range_bytes src.bin 0 3 > v1
	assert_same_bytes plain/0 v0
	assert_same_bytes plain/1 v1
	[ "$(ls -A plain | wc -l)" -eq 2 ] || fail "extra files: $(ls -A plain)"
}

@test "null output: reads everything, writes nothing" {
	mkdir w
	cd w
	gen_fixture
	ls -A > ../before.txt
	"$LSIO" run null.json > ../stdout.txt 2> ../stderr.txt || fail "exit $?: $(cat ../stderr.txt)"
	[ ! -s ../stdout.txt ] || fail "null output wrote to stdout"
	ls -A > ../after.txt
	diff ../before.txt ../after.txt >&2 || fail "null output created files"
	# It does read: a missing source still fails.
	sed 's/"b.bin"/"gone.bin"/' null.json > bad.json
	run --separate-stderr lsio run bad.json
	assert_failure 1
	[[ $stderr == *gone.bin* ]] || fail "stderr: $stderr"
}

# --- tuning -----------------------------------------------------------------

@test "--backend uring and pread give the same, correct output; null keeps the layout" {
	gen_fixture
	local b
	for b in uring pread; do
		run --separate-stderr lsio run array.json -o "$b.npy" --backend "$b"
		[ "$status" -eq 0 ] || fail "--backend $b: exit $status: $stderr"
		check_u1_npy "$b.npy"
	done
	cmp uring.npy pread.npy >&2 || fail "uring and pread outputs differ"
	# The null backend reads nothing (the buffer content is undefined):
	# the array it writes has the same header and size, no more.
	run --separate-stderr lsio run array.json -o null.npy --backend null
	assert_success
	[ "$(stat -c %s null.npy)" -eq "$(stat -c %s uring.npy)" ] || fail "null backend: wrong size"
	cmp -n "$(($(stat -c %s uring.npy) - TOTAL))" null.npy uring.npy >&2 ||
		fail "null backend: different .npy header"
	for b in uring pread null; do
		run_stream --backend "$b"
		[ "$rc" -eq 0 ] || fail "stdout, --backend $b: exit $rc: $(cat err.txt)"
		[ "$(stat -c %s got.bin)" -eq "$TOTAL" ] || fail "stdout, --backend $b: wrong length"
		[ "$b" = null ] || cmp got.bin expected.bin >&2 || fail "stdout, --backend $b: differs"
	done
}

@test "--direct on|off|auto give the same, correct output (unaligned ranges)" {
	gen_fixture
	local d
	for d in on off auto; do
		run --separate-stderr lsio run array.json -o "d-$d.npy" --direct "$d"
		[ "$status" -eq 0 ] || fail "--direct $d: exit $status: $stderr"
		check_u1_npy "d-$d.npy"
		run --separate-stderr lsio run array.json -o "p-$d.npy" --direct "$d" --backend pread
		[ "$status" -eq 0 ] || fail "--direct $d --backend pread: exit $status: $stderr"
		check_u1_npy "p-$d.npy"
	done
}

@test "--workers 1..4 and --queue-depth 1 give the same, correct array" {
	gen_fixture
	local w
	for w in 1 2 3 4; do
		run --separate-stderr lsio run array.json -o "w$w.npy" --workers "$w"
		[ "$status" -eq 0 ] || fail "--workers $w: exit $status: $stderr"
		check_u1_npy "w$w.npy"
	done
	run --separate-stderr lsio run array.json -o q1.npy --queue-depth 1 --workers 1
	assert_success
	check_u1_npy q1.npy
	run --separate-stderr lsio run files.json -o fq --queue-depth 1 --workers 3
	assert_success
	check_files fq
}

@test "--memory 64KiB: still correct (buffers recycled)" {
	gen_fixture
	# Every chunk of the fixture is at most 64 KiB.
	run --separate-stderr lsio run array.json -o m.npy --memory 64KiB --workers 2
	[ "$status" -eq 0 ] || fail "exit $status: $stderr"
	check_u1_npy m.npy
	run_stream --memory 64KiB --workers 2 --queue-depth 4
	[ "$rc" -eq 0 ] || fail "stdout: exit $rc: $(cat err.txt)"
	assert_same_bytes got.bin expected.bin
	run --separate-stderr lsio run files.json --memory 64KiB
	[ "$status" -eq 0 ] || fail "files: exit $status: $stderr"
	check_files outdir
}

@test "--coalesce-gap, --max-request, --split/--part-size: same, correct output" {
	gen_fixture
	local args k=0	# not i: bats' run changes $i
	for args in "--coalesce-gap off" "--coalesce-gap 0" "--coalesce-gap 4MiB" \
		"--coalesce-gap 1MiB --max-request 8KiB" "--max-request off" \
		"--split 8KiB --part-size 4KiB" "--split 4KiB --part-size 4KiB --direct on" \
		"--split off"; do
		k=$((k + 1))
		run --separate-stderr lsio run array.json -o "t$k.npy" $args
		[ "$status" -eq 0 ] || fail "$args: exit $status: $stderr"
		check_u1_npy "t$k.npy"
	done
}

@test "storage settings in the job apply; command-line options override them" {
	need_python_numpy
	gen_fixture
	sed 's/"lsio": 1,/"lsio": 1, "storage": {"workers": 3, "queue_depth": 5, "backend": "pread", "memory": "1MiB", "direct": "off", "coalesce_gap": "off"},/' \
		array.json > st.json
	run --separate-stderr lsio run st.json --stats=json
	assert_success
	check_u1_npy out.npy
	run parse_stats_json <<< "$output"$'\n'"$stderr"
	assert_success
	assert_output --partial "workers=3"
	assert_output --partial "queue_depth=5"
	assert_output --partial "backend=pread"
	assert_output --partial "direct=off"
	run --separate-stderr lsio run st.json --stats=json --workers 2 --queue-depth 7 -o o2.npy
	assert_success
	run parse_stats_json <<< "$output"$'\n'"$stderr"
	assert_success
	assert_output --partial "workers=2"
	assert_output --partial "queue_depth=7"
}

# --- reporting ---------------------------------------------------------------

@test "--stats: a summary of chunks, requests, bytes and time; data streams stay clean" {
	gen_fixture
	run --separate-stderr lsio run array.json --stats
	assert_success
	local all="$output$stderr"
	[[ $all =~ (^|[^0-9])$N\ chunks ]] || fail "no '$N chunks' in: $all"
	[[ $all == *requests* ]] || fail "no request count in: $all"
	[[ $all =~ [0-9.]+\ s ]] || fail "no time in: $all"
	check_u1_npy out.npy
	# With stdout output the statistics must not mix into the data.
	run_stream --stats
	[ "$rc" -eq 0 ] || fail "exit $rc: $(cat err.txt)"
	assert_same_bytes got.bin expected.bin
	grep -q "$N chunks" err.txt || fail "stats not on stderr: $(cat err.txt)"
	run_stream --stats=text
	[ "$rc" -eq 0 ] || fail "exit $rc: $(cat err.txt)"
	assert_same_bytes got.bin expected.bin
	grep -q "$N chunks" err.txt || fail "--stats=text not on stderr: $(cat err.txt)"
}

@test "--stats=json: one JSON object with the run's counts and settings" {
	need_python_numpy
	gen_fixture
	run --separate-stderr lsio run array.json --stats=json --workers 2 --queue-depth 3 --backend pread
	assert_success
	check_u1_npy out.npy
	printf '%s\n%s\n' "$output" "$stderr" | grep '^{' > stats.json ||
		fail "no JSON object printed: $output $stderr"
	/usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' < stats.json ||
		fail "not JSON: $(cat stats.json)"
	run "$PY" -c '
import json, sys
d = json.load(open("stats.json"))
want = {"chunks": int(sys.argv[1]), "bytes_requested": int(sys.argv[2]),
        "workers": 2, "queue_depth": 3, "backend": "pread"}
bad = {k: (d.get(k), v) for k, v in want.items() if d.get(k) != v}
if bad: sys.exit("got/want: %s" % bad)
for k in ("requests", "bytes_read", "wall_seconds"):
    if not isinstance(d.get(k), (int, float)): sys.exit("no number %s" % k)
if d["requests"] < 1 or d["bytes_read"] < d["bytes_requested"] * 0:
    sys.exit("implausible counts: %s" % d)' "$N" "$TOTAL"
	assert_success
	# stdout output: data on stdout, JSON on stderr.
	run_stream --stats=json
	[ "$rc" -eq 0 ] || fail "exit $rc: $(cat err.txt)"
	assert_same_bytes got.bin expected.bin
	grep '^{' err.txt | /usr/bin/python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["chunks"] == int(sys.argv[1]), d' "$N" ||
		fail "--stats=json with stdout output: $(cat err.txt)"
}

@test "--stats json is --stats=json, before or after the job; --stats alone is text" {
	gen_fixture
	local args
	for args in "array.json --stats json" "--stats json array.json" "--stats=json array.json"; do
		run --separate-stderr lsio run $args -q
		assert_success
		[[ $output == "{"*'"chunks": '"$N"* || $output == "{"*'"chunks":'"$N"* ]] ||
			fail "'$args': $output"
	done
	for args in "array.json --stats" "--stats array.json" "--stats text array.json"; do
		run --separate-stderr lsio run $args -q
		assert_success
		[[ $output == "lsio: $N chunks, "* ]] || fail "'$args': $output"
	done
	# Only a format is taken: a job named like anything else stays a job.
	cp array.json xml
	run --separate-stderr lsio run --stats xml -q
	assert_success
	# A job file called json is ./json after --stats.
	cp array.json json
	run --separate-stderr lsio run --stats ./json -q
	assert_success
	[[ $output == "lsio: $N chunks, "* ]] || fail "$output"
}

@test "--quiet: nothing on stderr, even with --progress; no bar when stderr is no terminal" {
	gen_fixture
	run_stream
	[ "$rc" -eq 0 ] || fail "exit $rc"
	[ ! -s err.txt ] || fail "stderr (not a terminal) not empty without --progress: $(cat err.txt)"
	run --separate-stderr lsio run array.json --quiet --progress
	assert_success
	assert_equal "$stderr" ""
	check_u1_npy out.npy
	run_stream -q --progress
	[ "$rc" -eq 0 ] || fail "exit $rc"
	[ ! -s err.txt ] || fail "stderr not empty: $(cat err.txt)"
	assert_same_bytes got.bin expected.bin
}

# --- interruption ------------------------------------------------------------

# A job that takes seconds: 2000 chunks of 64 KiB over a 128 MiB file
# (real blocks, not sparse: holes would read at memory speed), read with
# one worker, one read in flight, split into 4 KiB O_DIRECT reads: ~32000
# requests that each wait for the disk.
make_big_job() {
	local k sep="" chunks="" out
	head -c $((128 * 1024 * 1024)) /dev/zero > big.bin
	if [ "$1" = files ]; then
		out='{"type": "files", "dir": "bigdir"}'
		for ((k = 0; k < 2000; k++)); do
			chunks+="$sep{\"offset\": $((k * 65536))}"
			sep=$',\n'
		done
	else
		out='{"type": "array", "path": "big.npy", "dtype": "|u1", "shape": ['$((2000 * 65536))'],
		      "fill_value": 1}'
		for ((k = 0; k < 2000; k++)); do
			chunks+="$sep{\"offset\": $((k * 65536)), \"place\": {\"shape\": [65536], \"to\": [$((k * 65536))]}}"
			sep=$',\n'
		done
	fi
	cat > big.json <<-EOF
	{"lsio": 1,
	 "output": $out,
	 "defaults": {"source": "big.bin", "length": "64KiB"},
	 "chunks": [
	$chunks
	 ]}
	EOF
	BIG_ARGS=(--workers 1 --queue-depth 1 --backend pread --coalesce-gap off
		  --split 4KiB --part-size 4KiB --direct on)
	# Where O_DIRECT is not supported (tmpfs), read buffered instead.
	dd if=big.bin of=/dev/null iflag=direct bs=4096 count=1 status=none 2>/dev/null ||
		BIG_ARGS=(--workers 1 --queue-depth 1 --backend pread --coalesce-gap off
			  --split 4KiB --part-size 4KiB --direct off)
}

# interrupt SIGNAL [IGNORED]: start the big job (with IGNORED ignored, as
# nohup does), wait until it is running (progress shown), send SIGNAL, and
# check: lsio died of SIGNAL (128+N), said so, and left nothing behind.
interrupt() {
	local sig=$1 pid rc=0 k want
	want=$((128 + $(kill -l "$sig")))
	rm -f err.txt
	# A script's background job starts with SIGINT ignored: undo that, as
	# a terminal's Ctrl-C reaches a foreground lsio.
	if [ -n "${2:-}" ]; then
		(trap '' "$2"; exec env --default-signal=INT,QUIT "$LSIO" run big.json "${BIG_ARGS[@]}" --progress 2> err.txt) &
	else
		env --default-signal=INT,QUIT "$LSIO" run big.json "${BIG_ARGS[@]}" --progress 2> err.txt &
	fi
	pid=$!
	for ((k = 0; k < 250; k++)); do
		[ -s err.txt ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || rc=$?
		fail "the job ended (exit $rc) before it could be interrupted: $(tr '\r' '\n' < err.txt | tail -3)"
	fi
	grep -q 'chunks' err.txt || fail "--progress showed no progress bar in seconds: $(cat err.txt)"
	if [ -n "${2:-}" ]; then
		kill -"$2" "$pid"
		sleep 0.3
		kill -0 "$pid" 2>/dev/null || fail "SIG$2 was ignored when lsio started, yet it ended lsio"
	fi
	kill -"$sig" "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq "$want" ] || fail "SIG$sig: exit $rc, expected $want (stderr: $(tr '\r' '\n' < err.txt | tail -3))"
	grep -q 'lsio: .*interrupted' err.txt || fail "no 'interrupted' message: $(tr '\r' '\n' < err.txt | tail -3)"
	assert_no_output_left . big.npy bigdir
}

@test "SIGINT mid-run: exit 130, no array and no temporary file left" {
	make_big_job array
	interrupt INT
}

@test "SIGTERM mid-run: exit 143, no array and no temporary file left" {
	make_big_job array
	interrupt TERM
}

@test "SIGHUP mid-run: exit 129, no array and no temporary file left" {
	make_big_job array
	interrupt HUP
}

@test "SIGQUIT and SIGUSR1 mid-run: 128+N, nothing left" {
	make_big_job array
	interrupt USR1
	interrupt QUIT
}

@test "a signal ignored when lsio started (nohup) stays ignored" {
	make_big_job array
	interrupt TERM HUP
}

@test "past the file size limit (SIGXFSZ): exit 1, 'File too large', nothing left" {
	make_file src.bin $((1024 * 1024))
	write_job <<-EOF
	{"lsio": 1,
	 "output": {"type": "array", "path": "out.npy", "dtype": "|u1", "shape": [1048576]},
	 "chunks": [{"source": "src.bin", "offset": 0, "length": 1048576,
	             "place": {"shape": [1048576], "to": [0]}}]}
	EOF
	# 64 KiB: the array's header fits, its data does not.
	run --separate-stderr bash -c 'ulimit -f 64 && exec "$LSIO" run job.json'
	[ "$status" -eq 1 ] || fail "exit $status, expected 1 (stderr: $stderr)"
	[[ $stderr == *"File too large"* ]] || fail "stderr: $stderr"
	assert_no_output_left . out.npy
}

@test "SIGINT mid-run of a files job: the directory it made is gone" {
	make_big_job files
	run lsio validate big.json
	assert_success
	assert_output --partial "files output"
	interrupt INT
}

@test "missing: an absent file is an error unless the chunk says \"missing\": \"fill\"; then the fill value stays" {
	printf '\001\000\000\000\002\000\000\000' > a.bin
	write_job <<'EOF'
{"lsio": 1, "output": {"type": "array", "path": "o.npy", "dtype": "<i4", "shape": [4], "fill_value": -7},
 "chunks": [{"source": "a.bin", "place": {"shape": [2], "to": [0]}},
            {"source": "b.bin", "missing": "fill", "place": {"shape": [2], "to": [2]}}]}
EOF
	run -0 lsio run job.json --stats=json
	[ "$(json_get <(printf '%s' "$output") 'j["chunks_missing"]')" -eq 1 ]
	py 'assert np.load("o.npy").tolist() == [1, 2, -7, -7]'
	sed 's/"missing": "fill", //' job.json > err.json
	run -1 lsio run err.json -o e.npy
	assert_output "lsio: chunk 1: cannot open source 'b.bin': No such file or directory"
	[ ! -e e.npy ]
}

@test "missing: only array output has a fill value; other values are refused with the JSON path" {
	write_job <<'EOF'
{"lsio": 1, "output": {"type": "stdout"}, "defaults": {"missing": "fill"}, "chunks": []}
EOF
	run -2 lsio validate job.json
	assert_output --partial "defaults.missing: \"fill\" needs an array output"
	write_job <<'EOF'
{"lsio": 1, "output": {"type": "array", "path": "o.npy", "dtype": "<i4", "shape": [1]},
 "chunks": [{"source": "a.bin", "missing": "skip", "place": {"shape": [1], "to": [0]}}]}
EOF
	run -2 lsio validate job.json
	assert_output --partial "chunks[0].missing: expected \"error\", \"fill\" or \"fill-403\""
}

@test "missing: with \"prefill\": false the fill value goes only where a chunk is absent" {
	printf '\001\000\000\000\002\000\000\000' > a.bin
	write_job <<'EOF'
{"lsio": 1, "output": {"type": "array", "path": "o.npy", "dtype": "<i4", "shape": [6], "fill_value": -7, "prefill": false},
 "defaults": {"missing": "fill"},
 "chunks": [{"source": "a.bin", "place": {"shape": [2], "to": [0]}},
            {"source": "b.bin", "place": {"shape": [2], "to": [2]}}]}
EOF
	lsio run job.json -q
	# Elements no chunk covers stay zero: prefill false says there are none.
	py 'assert np.load("o.npy").tolist() == [1, 2, -7, -7, 0, 0], np.load("o.npy").tolist()'
	sed 's/"prefill": false/"prefill": 0/' job.json > bad.json
	run -2 lsio validate bad.json
	assert_output --partial "output.prefill: expected true or false"
}
