#!/usr/bin/env bats
# outputs.bats - where -o points, as curl and zstd treat it: a regular
# file (or a new path) is replaced atomically; "-", a character device
# and a FIFO are written straight through; a symlink's target is
# replaced, the link stays; a directory or other special file is an
# error that changes nothing.  As root, a tool that renamed over its
# output path would replace /dev/null for the whole machine: the devices
# here are private nodes made inside the test's own directory.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	common_setup
	printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b' > b12.bin
	write_job array.json <<-'EOF'
	{"lsio": 1, "output": {"type": "array", "path": "out.npy", "dtype": "|u1", "shape": [3, 4]},
	 "chunks": [{"source": "b12.bin", "place": {"shape": [3, 4], "to": [0, 0]}}]}
	EOF
	write_job files.json <<-'EOF'
	{"lsio": 1, "output": {"type": "files", "dir": "fo"},
	 "defaults": {"source": "b12.bin", "length": 4},
	 "chunks": [{"offset": 0, "name": "a"}, {"offset": 4, "name": "b"},
	            {"offset": 8, "name": "c"}]}
	EOF
}

# is_npy FILE: np.load reads FILE as the 3x4 array 0..11.
is_npy() {
	run py 'a = np.load(sys.argv[1]); print(a.dtype.str, a.shape, a.ravel().tolist())' "$1"
	assert_output "|u1 (3, 4) [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"
}

@test "outputs: a character device is written through and stays a device" {
	mknod mynull c 1 3
	lsio run array.json -o mynull
	[ -c mynull ] || fail "the device was replaced: $(ls -l mynull)"
	assert_no_temp .
	mknod fo_null c 1 3
	mkdir fo && mknod fo/b c 1 3
	lsio run files.json
	[ -c fo/b ] || fail "the chunk's device was replaced: $(ls -l fo/b)"
	[ "$(od -An -tu1 fo/a)" = "   0   1   2   3" ] || fail "fo/a: $(od -An -tu1 fo/a)"
}

@test "outputs: '-' is the .npy, header included, on stdout; no file named '-'" {
	lsio run array.json -o - > got.npy
	is_npy got.npy
	[ ! -e ./- ] || fail "a file named '-' was written"
	# raw when the job says so
	sed -i 's/"shape": \[3, 4\]}/"shape": [3, 4], "format": "raw"}/' array.json
	run -0 bash -c '"$LSIO" run array.json -o - | od -An -tu1 | tr -s " "'
	assert_output " 0 1 2 3 4 5 6 7 8 9 10 11"
}

@test "outputs: /dev/fd/1 writes to the descriptor the shell set up" {
	lsio run array.json -o /dev/fd/1 > via_fd.npy
	# by extension a path not ending in .npy is raw
	[ "$(od -An -tu1 via_fd.npy | tr -s ' ')" = " 0 1 2 3 4 5 6 7 8 9 10 11" ] ||
		fail "got: $(od -An -tu1 via_fd.npy)"
	[ -L /dev/fd ] || [ -d /dev/fd ] || fail "/dev/fd was replaced"
}

@test "outputs: a FIFO is written through to its reader" {
	mkfifo pipe.npy
	# bounded: a FIFO replaced by a file would leave the reader waiting
	timeout 20 cat pipe.npy > from_pipe.npy &
	timeout 20 "$LSIO" run array.json -o pipe.npy
	[ -p pipe.npy ] || { timeout 1 sh -c 'echo > pipe.npy'; fail "the FIFO was replaced"; }
	wait
	is_npy from_pipe.npy
}

@test "outputs: a symlink's target is replaced atomically; the link stays" {
	mkdir real
	echo old > real/t.npy
	ln -s real/t.npy link.npy
	lsio run array.json -o link.npy
	[ -L link.npy ] || fail "the symlink was replaced by a file"
	is_npy real/t.npy
	assert_no_temp .
	# a dangling link: its target is created
	ln -s real/new.npy dangling.npy
	lsio run array.json -o dangling.npy
	[ -L dangling.npy ] || fail "the dangling symlink was replaced"
	is_npy real/new.npy
	# per-chunk files through links
	mkdir fo
	echo old > real/b
	ln -s ../real/b fo/b
	lsio run files.json
	[ -L fo/b ] || fail "fo/b is no longer a link"
	[ "$(od -An -tu1 real/b)" = "   4   5   6   7" ] || fail "real/b: $(od -An -tu1 real/b)"
	assert_no_temp .
}

@test "outputs: a directory, a block device or a socket is exit 2 and changes nothing" {
	mkdir adir
	run -2 lsio run array.json -o adir
	assert_output --partial "cannot write 'adir': it is a directory (lsio writes regular files, character devices, FIFOs and '-')"
	[ -z "$(ls -A adir)" ] || fail "something was written into adir"
	mknod blk b 7 250
	run -2 lsio run array.json -o blk
	assert_output --partial "it is a block device"
	[ -b blk ] || fail "the block device was replaced"
	assert_no_temp .
}

@test "outputs: a files commit checks every name first: a directory in the way changes nothing" {
	mkdir fo
	echo old-a > fo/a
	echo old-c > fo/c
	mkdir fo/b
	run -2 lsio run files.json
	assert_output --partial "fo/b': it is a directory"
	[ "$(cat fo/a)" = old-a ] || fail "fo/a was replaced or lost: $(ls -la fo)"
	[ "$(cat fo/c)" = old-c ] || fail "fo/c was replaced or lost"
	assert_no_temp .
	# with the directory gone, every old file is replaced
	rmdir fo/b
	lsio run files.json
	[ "$(od -An -tu1 fo/c)" = "   8   9  10  11" ] || fail "fo/c: $(od -An -tu1 fo/c)"
	assert_no_temp .
}

@test "outputs: temporaries a killed run left are removed by the next run, a live run's are kept" {
	local host
	host=$(hostname | tr '/.-' '___' | cut -c1-32)
	# PID 2147483647 cannot exist; $$ (this shell) is alive
	touch ".out.npy.lsio-$host-2147483647-aaaaaa" ".out.npy.lsio-$host-$$-bbbbbb" \
		".other.npy.lsio-$host-2147483647-cccccc"
	lsio run array.json
	is_npy out.npy
	[ ! -e ".out.npy.lsio-$host-2147483647-aaaaaa" ] || fail "a dead run's temporary was kept"
	[ -e ".out.npy.lsio-$host-$$-bbbbbb" ] || fail "a live run's temporary was removed"
	[ -e ".other.npy.lsio-$host-2147483647-cccccc" ] || fail "another target's temporary was removed"
	mkdir -p fo/".lsio-$host-2147483647-dddddd"
	touch fo/".lsio-$host-2147483647-dddddd/a"
	lsio run files.json
	[ ! -e fo/".lsio-$host-2147483647-dddddd" ] || fail "a dead run's temporary directory was kept"
}
