#!/usr/bin/env bats
# install.bats - `make install` into a DESTDIR, then what a user does with
# it: build tests/fixtures/embed/hello.c with nothing but pkg-config's
# flags, against the shared library and against liblsio.a, and run it.
# Its output is checked against the original bytes (dd) and against the
# lsio tool's for the same job.  liblsio.so must export exactly what
# lsio.h declares: the list comes from the compiler (gcc -aux-info), not
# from the Makefile's version script.
#
# The tree installed is the build under test ($LSIO's directory), as it
# is: make must find it up to date (nothing is rebuilt here, perhaps
# with other flags than it was built with).

bats_require_minimum_version 1.5.0
load helpers

PREFIX=/usr/local

setup_file() {
	export BUILD_DIR VERSION DEST=$BATS_FILE_TMPDIR/dest
	# Relative to the repository when inside it, as make check names
	# it: then make reads the dependency files it wrote (headers too).
	BUILD_DIR=$(cd "$(dirname "$LSIO")" && pwd)
	BUILD_DIR=${BUILD_DIR#"$LSIO_TOP"/}
	VERSION=$("$LSIO" --version | cut -d' ' -f2)
	head -c 70000 /dev/urandom > "$BATS_FILE_TMPDIR/f.bin"
}

setup() {
	common_setup
	command -v pkg-config > /dev/null ||
		skip "pkg-config is not installed (apt-get install pkg-config)"
}

# lsio_make ARGS...: make in the repository, on the build under test,
# with none of a calling make's settings (make check's MAKEFLAGS).
lsio_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make --no-print-directory -C "$LSIO_TOP" BUILD="$BUILD_DIR" "$@"
}

# install_to DIR [MAKE-ARGS...]: make install DESTDIR=DIR, failing
# (never rebuilding) when the build under test is out of date.
install_to() {
	local b=$BUILD_DIR d=$1
	shift
	(cd "$LSIO_TOP" && [ -e "$b/liblsio.so.$VERSION" ]) ||
		fail "'$b/liblsio.so.$VERSION' is missing: build first"
	lsio_make -q "$b/liblsio.so.$VERSION" "$b/liblsio.a" "$b/lsio" ||
		fail "the build in '$b' is out of date: make it first"
	lsio_make install DESTDIR="$d" PREFIX=$PREFIX "$@" > "$d.log" 2>&1 ||
		fail "make install failed: $(tail -n 5 "$d.log")"
}

# use_dest DIR: pkg-config sees the lsio.pc installed under DIR as a
# user's pkg-config would see it in $PREFIX.
use_dest() {
	export PKG_CONFIG_PATH=$1$PREFIX/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$1
}

# A program linked with a sanitized library must be built with the same
# sanitizer (make asan): the flags the installed .so's runtimes call for.
san_flags() {
	local needed
	needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	case $needed in *libasan*) printf ' -fsanitize=address' ;; esac
	case $needed in *libubsan*) printf ' -fsanitize=undefined' ;; esac
	case $needed in *libtsan*) printf ' -fsanitize=thread' ;; esac
}

# job.json reads a range of f.bin and a zstd chunk of another range to
# stdout; want holds those bytes, as dd reads them.
write_hello_job() {
	local f=$BATS_FILE_TMPDIR/f.bin
	command -v zstd > /dev/null || skip "zstd is not installed (apt-get install zstd)"
	range_bytes "$f" 30000 20000 | zstd -q -c > part.zst
	write_job <<EOF
{"lsio": 1, "output": {"type": "stdout"}, "chunks": [
 {"source": "$f", "offset": 100, "length": 5000},
 {"source": "$BATS_TEST_TMPDIR/part.zst", "stages": ["zstd"]}]}
EOF
	{ range_bytes "$f" 100 5000; range_bytes "$f" 30000 20000; } > want
}

# The functions lsio.h declares, one a line, sorted: gcc's -aux-info
# lists each declaration the compiler saw, with its file.
header_functions() {
	gcc -fsyntax-only -aux-info aux.txt -x c "$1" ||
		fail "gcc cannot read '$1'"
	sed -n 's|^/\* [^ ]*lsio\.h:[0-9]*:NC \*/ ||p' aux.txt |
		sed 's/ *(.*//; s/.*[ *]//' | sort -u
}

@test "install: the library, its links, the header, lsio.pc and the man pages" {
	install_to "$DEST"
	local lib=$DEST$PREFIX/lib so
	so=$(cd "$lib" && ls liblsio.so.*.*.*)
	[ "$(readlink "$lib/liblsio.so.0")" = "$so" ] || fail "liblsio.so.0 -> $(readlink "$lib/liblsio.so.0")"
	[ "$(readlink "$lib/liblsio.so")" = liblsio.so.0 ] || fail "liblsio.so -> $(readlink "$lib/liblsio.so")"
	[ "$so" = "liblsio.so.$VERSION" ] || fail "'$so' is not named after lsio --version"
	run readelf -d "$lib/$so"
	assert_output --regexp '\(SONAME\) +Library soname: \[liblsio\.so\.0\]'
	for f in bin/lsio lib/liblsio.a include/lsio.h lib/pkgconfig/lsio.pc \
		share/man/man1/lsio.1 share/man/man5/lsio-job.5; do
		[ -f "$DEST$PREFIX/$f" ] || fail "'$PREFIX/$f' is not installed"
	done
	cmp "$DEST$PREFIX/include/lsio.h" "$LSIO_TOP/lib/include/lsio.h"
	for f in "$LSIO_TOP"/man/*.3; do
		[ -e "$f" ] || continue
		cmp "$f" "$DEST$PREFIX/share/man/man3/$(basename "$f")"
	done
	use_dest "$DEST"
	# A dynamic link needs nothing but liblsio: it names its dependencies.
	# (echo: pkg-config ends its words with a space.)
	# shellcheck disable=SC2046
	[ "$(echo $(pkg-config --libs lsio))" = "-L$DEST$PREFIX/lib -llsio" ] ||
		fail "pkg-config --libs lsio: '$(pkg-config --libs lsio)'"
	# pkgconf adds the include directories of Requires.private (libpng's,
	# openjpeg's): harmless, lsio.h includes none of them.
	local cflags
	cflags=$(pkg-config --cflags lsio)
	[ "${cflags%% *}" = "-I$DEST$PREFIX/include" ] ||
		fail "pkg-config --cflags lsio: '$cflags'"
	run pkg-config --modversion lsio
	assert_output "$VERSION"
}

@test "install: the shared library has no undefined symbol but its dependencies'" {
	install_to "$DEST"
	local so
	so=$(echo "$DEST$PREFIX"/lib/liblsio.so.*.*.*)
	# ldd -r resolves every symbol as the loader would, and says which
	# it cannot.
	run ldd -r "$so"
	assert_success
	refute_output --partial "undefined symbol"
	refute_output --partial "not found"
	refute_output --partial libcurl
	refute_output --partial libnetcdf
}

@test "install: liblsio.so and liblsio.a export exactly the functions lsio.h declares" {
	command -v gcc > /dev/null || skip "gcc is not installed (apt-get install gcc)"
	install_to "$DEST"
	header_functions "$DEST$PREFIX/include/lsio.h" > want
	# Sanity: internal functions are not there, public ones are.
	grep -qx lsio_run want || fail "lsio_run is not in lsio.h's list"
	grep -qx lsio_version want || fail "lsio_version is not in lsio.h's list"
	! grep -qx lsio_fail want || fail "lsio_fail is in lsio.h's list"
	nm -D --defined-only "$(echo "$DEST$PREFIX"/lib/liblsio.so.*.*.*)" |
		awk '{ print $NF }' | sort > got
	diff want got >&2 || fail "exported symbols (>) differ from lsio.h's functions (<)"
	# The archive's global symbols too: none of the library's own names
	# (job_at, grib_scan ...) can clash with a program that links it.
	nm -g --defined-only "$DEST$PREFIX/lib/liblsio.a" | awk 'NF == 3 { print $3 }' |
		sort > got.a
	diff want got.a >&2 || fail "liblsio.a's global symbols (>) differ from lsio.h's functions (<)"
}

@test "install: a program built with pkg-config --cflags --libs lsio runs on liblsio.so" {
	install_to "$DEST"
	use_dest "$DEST"
	write_hello_job
	# shellcheck disable=SC2046 # pkg-config's words, as a user writes it
	cc -o hello "$LSIO_TOP/tests/fixtures/embed/hello.c" $(san_flags "$DEST$PREFIX"/lib/liblsio.so.0) \
		$(pkg-config --cflags --libs lsio) || fail "cannot build hello.c"
	run readelf -d hello
	assert_output --regexp '\(NEEDED\) +Shared library: \[liblsio\.so\.0\]'
	export LD_LIBRARY_PATH=$DEST$PREFIX/lib
	run ldd hello
	assert_output --partial "liblsio.so.0 => $DEST$PREFIX/lib/liblsio.so.0"
	local major minor patch
	IFS=. read -r major minor patch <<< "$VERSION"
	run ./hello --version
	assert_success
	assert_output "$VERSION $((major * 10000 + minor * 100 + patch))"
	./hello "$(cat job.json)" > hello.out || fail "hello failed"
	"$LSIO" run job.json > lsio.out || fail "lsio run failed"
	assert_same_bytes hello.out want
	assert_same_bytes hello.out lsio.out
}

@test "install: a program linked with liblsio.a and pkg-config --static runs" {
	install_to "$DEST"
	use_dest "$DEST"
	write_hello_job
	# liblsio.a from the installed tree (-Bstatic: not the .so beside it);
	# everything else pkg-config --static names, linked as the system
	# has it.  Every symbol the archive needs must be in that list.
	local libs
	libs=$(pkg-config --static --libs lsio) || fail "pkg-config --static failed"
	# shellcheck disable=SC2046,SC2086
	cc -o hello "$LSIO_TOP/tests/fixtures/embed/hello.c" $(san_flags "$DEST$PREFIX"/lib/liblsio.so.0) \
		$(pkg-config --cflags lsio) -Wl,-Bstatic -llsio -Wl,-Bdynamic \
		${libs//-llsio/} || fail "cannot link hello.c with liblsio.a and '$libs'"
	run readelf -d hello
	refute_output --partial liblsio
	./hello "$(cat job.json)" > hello.out || fail "hello failed"
	"$LSIO" run job.json > lsio.out || fail "lsio run failed"
	assert_same_bytes hello.out want
	assert_same_bytes hello.out lsio.out
}

# Debian 12's blosc.pc names no private libraries: a fully static link
# adds those libblosc.so.1 itself needs (README, "Use it from C").
BLOSC_STATIC="-lsnappy -lstdc++ -lzstd -llz4 -lz"

@test "install: a fully static program (cc -static) runs" {
	install_to "$DEST"
	[ -z "$(san_flags "$DEST$PREFIX"/lib/liblsio.so.0)" ] ||
		skip "a sanitizer's runtime cannot be linked statically"
	use_dest "$DEST"
	write_hello_job
	local libs
	libs=$(pkg-config --static --libs lsio) || fail "pkg-config --static failed"
	# shellcheck disable=SC2046,SC2086
	cc -static -o hello "$LSIO_TOP/tests/fixtures/embed/hello.c" \
		$(pkg-config --cflags lsio) $libs $BLOSC_STATIC 2> cc.log ||
		fail "cannot link hello.c statically with '$libs $BLOSC_STATIC': $(cat cc.log)"
	run readelf -d hello
	refute_output --partial NEEDED
	./hello "$(cat job.json)" > hello.out || fail "hello failed"
	assert_same_bytes hello.out want
}

@test "install: the Python module lands on /usr/bin/python3's path and finds the library" {
	need_python_numpy
	install_to "$DEST"
	local pydir
	pydir=$("$PY" -c 'import sys; print(next(p for p in sys.path if p.startswith("'"$PREFIX"'/lib/python") and p.endswith("dist-packages")))') ||
		fail "no $PREFIX dist-packages on python3's path"
	[ -f "$DEST$pydir/lsio/__init__.py" ] || fail "not in '$pydir': $(find "$DEST" -name '*.py')"
	grep -qx "LIBDIR = $PREFIX/lib" "$DEST$pydir/lsio/_config.py" ||
		fail "_config.py: $(cat "$DEST$pydir/lsio/_config.py")"
	printf 'abcdefgh' > data.bin
	cat > job.json <<-EOF
		{"lsio": 1, "output": {"type": "array", "dtype": "|u1", "shape": [8]},
		 "chunks": [{"source": "$PWD/data.bin", "offset": 0, "length": 8,
		             "place": {"shape": [8], "to": [0]}}]}
	EOF
	LSIO_LIBRARY=$DEST$PREFIX/lib/liblsio.so.0 PYTHONPATH=$DEST$pydir run -0 "$PY" -c '
import lsio
a = lsio.run("job.json")
print(lsio.version(), a.tobytes().decode())'
	assert_output "$VERSION abcdefgh"
}

@test "install: LIBDIR is respected, and uninstall leaves no lsio file behind" {
	local d=$BATS_TEST_TMPDIR/d left lib=$PREFIX/lib64
	install_to "$d" LIBDIR=$lib
	[ -L "$d$lib/liblsio.so.0" ] || fail "no '$lib/liblsio.so.0'"
	[ -f "$d$lib/liblsio.a" ] || fail "no '$lib/liblsio.a'"
	grep -qx "libdir=$lib" "$d$lib/pkgconfig/lsio.pc" || fail "lsio.pc: $(cat "$d$lib/pkgconfig/lsio.pc")"
	# Only the Python module may be there (its place is python3's, not
	# LIBDIR's).
	[ -z "$(find "$d$PREFIX/lib" ! -type d ! -path '*/dist-packages/*' 2>/dev/null)" ] ||
		fail "'$PREFIX/lib' was written: $(find "$d$PREFIX/lib")"
	lsio_make uninstall DESTDIR="$d" PREFIX=$PREFIX LIBDIR=$lib > un.log 2>&1 ||
		fail "make uninstall failed: $(tail -n 5 un.log)"
	left=$(find "$d" ! -type d)
	[ -z "$left" ] || fail "left behind: $left"
}
