#!/usr/bin/env bats
# job_stream.bats - a job is read as a stream, its chunks one at a time
# (lib/job/job_stream.c): every way of writing the same chunks gives the
# same array as numpy builds from the source, byte for byte; errors name
# the file, line and column however deep they are; a job of many chunks
# takes little memory.

bats_require_minimum_version 1.5.0
load helpers

# The array: <u2, 5 x 6 x 8, from chunks of 2 x 3 x 4 (the last row of
# chunks is cut to 1 x 3 x 4: a box of its own).  Chunk k is 48 bytes of
# src.bin at 64 k (gaps between them).
setup() {
	common_setup
	need_python_numpy
	make_file src.bin 2048
	py '
chunks = []
k = 0
for i in range(0, 5, 2):
    for j in range(0, 6, 3):
        for l in range(0, 8, 4):
            pl = {"to": [i, j, l]}
            if i + 2 > 5:
                pl["count"] = [1, 3, 4]
            chunks.append({"offset": 64 * k, "length": 48, "place": pl})
            k += 1
head = {"lsio": 1,
        "output": {"type": "array", "dtype": "<u2", "shape": [5, 6, 8]},
        "defaults": {"source": "src.bin", "place": {"shape": [2, 3, 4]}}}
json.dump(dict(head, chunks=chunks), open("job.json", "w"), indent=1)
with open("list.ndjson", "w") as f:
    for c in chunks:
        f.write(json.dumps(c) + "\n")
json.dump(head, open("head.json", "w"))
# The reference, from the source alone.
src = np.fromfile("src.bin", dtype="<u2")
ref = np.zeros((5, 6, 8), dtype="<u2")
for k, c in enumerate(chunks):
    a = src[32 * k:32 * k + 24].reshape(2, 3, 4)
    n = c["place"].get("count", [2, 3, 4])
    i, j, l = c["place"]["to"]
    ref[i:i + n[0], j:j + n[1], l:l + n[2]] = a[:n[0], :n[1], :n[2]]
np.save("ref.npy", ref)
'
	lsio run job.json -o want.npy || fail "the reference job does not run"
	assert_npy_equal want.npy ref.npy
}

# reorder KEYS...: job.json with its top-level members in that order, to
# stdout.
reorder() {
	py '
j = json.load(open("job.json"))
print(json.dumps({k: j[k] for k in sys.argv[1:]}, indent=1))
' "$@"
}

# run_piped JOB OUT: `lsio run -` with JOB on a pipe, into OUT.
run_piped() {
	run --separate-stderr bash -c 'cat "$1" | "$LSIO" run - -o "$2"' - "$1" "$2"
}

@test "chunks before output: a file is read twice, a pipe's list is held" {
	reorder chunks lsio output defaults > first.json
	lsio run first.json -o a.npy || fail "run failed"
	assert_same_bytes a.npy want.npy
	run_piped first.json b.npy
	assert_success
	assert_same_bytes b.npy want.npy
}

@test "defaults after chunks: a file is read again, a pipe is refused" {
	reorder lsio output chunks defaults > late.json
	lsio run late.json -o a.npy || fail "run failed"
	assert_same_bytes a.npy want.npy
	run_piped late.json b.npy
	assert_failure 2
	assert_equal "$stderr" 'lsio: <stdin>: "defaults" after "chunks" in a job read from a pipe: write "chunks" last (or read the job from a file)'
	[ ! -e b.npy ] || fail "output written"
}

@test "chunks as NDJSON: \"@FILE\" beside the job, --chunks FILE, --chunks -" {
	mkdir dir other
	py 'j = json.load(open("head.json")); j["chunks"] = "@list.ndjson"
j["defaults"]["source"] = "../src.bin"; json.dump(j, open("dir/job.json", "w"))'
	cp list.ndjson dir/
	# "@list.ndjson" is beside the job, wherever lsio runs from.
	(cd other && "$LSIO" run ../dir/job.json -o a.npy) || fail "@FILE run failed"
	assert_same_bytes other/a.npy want.npy
	run --separate-stderr lsio run head.json --chunks list.ndjson -o b.npy
	assert_success
	assert_same_bytes b.npy want.npy
	run --separate-stderr bash -c '"$LSIO" run head.json --chunks - -o c.npy < list.ndjson'
	assert_success
	assert_same_bytes c.npy want.npy
	# --chunks replaces the job's own.
	run --separate-stderr lsio run job.json --chunks list.ndjson -o d.npy
	assert_success
	assert_same_bytes d.npy want.npy
}

@test "NDJSON: blank lines and CRLF are fine; the plan is the JSON list's" {
	lsio plan job.json --json -v --workers 2 > want.json
	{ echo; sed 's/$/\r/' list.ndjson; echo; echo '   '; } > spaced.ndjson
	lsio plan head.json --chunks spaced.ndjson --json -v --workers 2 > got.json
	assert_same_bytes got.json want.json
	reorder chunks output defaults lsio > first.json
	lsio plan first.json --json -v --workers 2 > got2.json
	assert_same_bytes got2.json want.json
}

@test "NDJSON errors: file:line:col for syntax, file:line: chunks[i] for the rest" {
	sed '3s/"length": 48,/"length": 48/' list.ndjson > syntax.ndjson
	run --separate-stderr lsio plan head.json --chunks syntax.ndjson
	assert_failure 2
	# jansson's column: the last character of the token it did not want.
	col=$(sed -n 3p syntax.ndjson | awk '{ print index($0, "48 \"place\"") + 9 }')
	assert_equal "$stderr" "lsio: syntax.ndjson:3:$col: '}' expected near '\"place\"'"

	sed '5s/"to": \[[0-9, ]*\]/"to": [0, 9, 0]/' list.ndjson > outside.ndjson
	run --separate-stderr lsio plan head.json --chunks outside.ndjson
	assert_failure 2
	assert_equal "$stderr" "lsio: outside.ndjson:5: chunks[4].place.to: placement outside the array: dimension 1: 9 + 3 > 6"

	{ head -2 list.ndjson; echo '{"offset": 0, "length": 48, "place": {"to": [0, 0, 0]}} {}'; } > two.ndjson
	run --separate-stderr lsio plan head.json --chunks two.ndjson
	assert_failure 2
	col=$(sed -n 3p two.ndjson | awk '{ print index($0, "} {") + 2 }')
	assert_equal "$stderr" "lsio: two.ndjson:3:$col: text after the chunk (one chunk a line)"

	run --separate-stderr lsio plan head.json --chunks nosuch.ndjson
	assert_failure 2
	assert_equal "$stderr" "lsio: cannot open 'nosuch.ndjson': No such file or directory"

	run --separate-stderr bash -c '"$LSIO" plan - --chunks - < head.json'
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "lsio plan: the job and its chunks cannot both be read from standard input"
}

# big_job N: a job of N chunks into an N x 8 <u1 array, one chunk a line,
# from a sparse source: what a generator writes.
big_job() {
	make_sparse big.bin $(($1 * 8))
	awk -v n="$1" 'BEGIN {
		printf "{\"lsio\": 1,\n \"output\": {\"type\": \"array\", \"dtype\": \"|u1\", \"shape\": [%d, 8]},\n", n
		printf " \"defaults\": {\"source\": \"big.bin\", \"place\": {\"shape\": [1, 8]}},\n \"chunks\": [\n"
		for (i = 0; i < n; i++)
			printf "  {\"offset\": %d, \"length\": 8, \"place\": {\"to\": [%d, 0]}}%s\n", 8 * i, i, i < n - 1 ? "," : ""
		printf " ]\n}\n"
	}' > big.json
}

# expect_syntax FILE: the message python's json gives for FILE, as lsio
# words it: "FILE:LINE:COL:" (the column of the offending character).
python_position() {
	"$PY" -c '
import json, sys
try:
    json.load(open(sys.argv[1]))
except json.JSONDecodeError as e:
    print("%d:%d" % (e.lineno, e.colno))' "$1"
}

@test "a syntax error deep in a large job names its line and column (file and pipe)" {
	big_job 60000
	# Chunk 50000 (line 50005) loses a key's quotes: ',,' is the error.
	sed '50005s/"length": 8,/"length": 8,,/' big.json > bad.json
	pos=$(python_position bad.json)
	[ -n "$pos" ] || fail "python does not see the error"
	run --separate-stderr lsio validate bad.json
	assert_failure 2
	assert_equal "$stderr" "lsio: bad.json:$pos: string or '}' expected near ','"
	run --separate-stderr bash -c 'cat bad.json | "$LSIO" validate -'
	assert_failure 2
	assert_equal "$stderr" "lsio: <stdin>:$pos: string or '}' expected near ','"
	# And where the scanner, not a chunk, finds it: between two chunks.
	sed '40003s/},$/}/' big.json > bad2.json
	pos=$(python_position bad2.json)
	run --separate-stderr lsio validate bad2.json
	assert_failure 2
	assert_equal "$stderr" "lsio: bad2.json:$pos: ']' expected near '{'"
}

@test "a validation error deep in a large job: its JSON path; an unknown key: did you mean" {
	big_job 60000
	sed '45005s/"place"/"plaec"/' big.json > typo.json
	run --separate-stderr lsio validate typo.json
	assert_failure 2
	assert_equal "$stderr" "lsio: typo.json: chunks[45000]: unknown key 'plaec' (did you mean 'place'?)"
	sed '45005s/"to": \[45000, 0\]/"to": [45000, 1]/' big.json > out.json
	run --separate-stderr lsio validate out.json
	assert_failure 2
	assert_equal "$stderr" "lsio: out.json: chunks[45000].place.to: placement outside the array: dimension 1: 1 + 8 > 8"
}

@test "a top-level key twice is refused, \"chunks\" too" {
	printf '{"lsio": 1, "output": {"type": "null"}, "chunks": [],\n "chunks": []}\n' > dup.json
	run --separate-stderr lsio validate dup.json
	assert_failure 2
	assert_equal "$stderr" "lsio: dup.json:2:9: duplicate object key near '\"chunks\"'"
	printf '{"chunks": [], "lsio": 1, "output": {"type": "null"}, "lsio": 1}\n' > dup2.json
	run --separate-stderr lsio validate dup2.json
	assert_failure 2
	assert_equal "$stderr" "lsio: dup2.json:1:60: duplicate object key near '\"lsio\"'"
}

@test "200,000 chunks take less than 200 bytes of memory each" {
	[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (apt-get install time)"
	! ldd "$LSIO" 2>/dev/null | grep -q 'libasan\|libtsan' ||
		skip "a sanitizer build: its shadow memory is not lsio's to count"
	big_job 200000
	run --separate-stderr /usr/bin/time -f '%M' "$LSIO" plan big.json
	assert_success
	kib=${stderr##*$'\n'}
	# Most of it is the process itself: well under 200 bytes a chunk.
	[ "$kib" -lt $((200000 * 200 / 1024)) ] ||
		fail "peak RSS $kib KiB for 200000 chunks: more than 200 bytes a chunk"
}
