#!/bin/sh
# codecs.sh - single-core decode throughput of lsio's stages on a 1 MiB
# chunk of float32 data (a smooth field plus noise), next to the codecs'
# own benchmarks on the same bytes (zstd -b, lz4 -b).  The compressed
# inputs come from the zstd, lz4 and gzip tools and numcodecs, as in the
# unit tests.  Not part of `make check`.
#
#   tests/bench/codecs.sh [SECONDS]    seconds per measurement, default 3
set -eu

secs=${1:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The driver is built from the stage sources alone, optimised as `make`.
cc -std=c11 -D_GNU_SOURCE -O2 -pthread -I"$top/lib" -I"$top/lib/include" \
	-o "$tmp/codec_bench" "$top/tests/bench/codec_bench.c" \
	"$top"/lib/stage/*.c "$top/lib/ctx.c" "$top/lib/error.c" \
	"$top/lib/job/units.c" \
	$(pkg-config --cflags --libs jansson libzstd liblz4 zlib blosc libdeflate) -lm
cd "$tmp"
./codec_bench gen data.bin 1

# The fastest decode speed a codec's own -b mode reports, in MB/s.
cli_speed() {
	"$@" 2>&1 | tr '\r' '\n' | grep 'MB/s.*MB/s' | tail -n 1 |
		sed 's/.*,[ ]*\([0-9.]*\) MB\/s[ ]*$/\1/'
}

ratio() {
	awk -v a="$(wc -c < data.bin)" -v b="$(wc -c < "$1")" \
		'BEGIN { printf "%.2f", a / b }'
}

# name, stage, compressed file, reference speed (or -)
row() {
	speed=$(./codec_bench run "$2" "$3" data.bin "$secs")
	if [ "$4" = - ]; then
		printf '%-26s %6s %9s %9s\n' "$1" "$(ratio "$3")" "$speed" -
	else
		printf '%-26s %6s %9s %9s  (%.2fx)\n' "$1" "$(ratio "$3")" \
			"$speed" "$4" "$(awk -v a="$speed" -v b="$4" \
			'BEGIN { print a / b }')"
	fi
}

echo "1 MiB float32 chunk, one core, MB/s of decoded bytes ($(nproc) cores, $(uname -m))"
printf '%-26s %6s %9s %9s\n' stage ratio lsio "codec -b"

zstd -q -3 --no-check data.bin -o z3.zst
zstd -q -3 data.bin -o z3c.zst
zstd -q -3 -c < data.bin > z3s.zst
zb=$(cli_speed zstd -b3 -i"$secs" data.bin)
row "zstd -3" '"zstd"' z3.zst "$zb"
row "zstd -3, xxh64 check" '"zstd"' z3c.zst "$zb"
row "zstd -3, streamed" '"zstd"' z3s.zst "$zb"

lb=$(cli_speed lz4 -b1 -i"$secs" data.bin)
lz4 -q -1 -c data.bin > l1.lz4
lz4 -q -1 --no-frame-crc --content-size -c data.bin > l1n.lz4
if $py -c 'import numcodecs' 2>/dev/null; then
	$py -c "
from numcodecs import LZ4, Blosc, Zlib, Shuffle, Zstd
import numpy as np
raw = open('data.bin', 'rb').read()
a = np.frombuffer(raw, '<f4')
open('l1.nc', 'wb').write(LZ4().encode(raw))
open('bl.blosc', 'wb').write(Blosc('lz4', 5, Blosc.SHUFFLE).encode(a))
open('bz.blosc', 'wb').write(Blosc('zstd', 5, Blosc.SHUFFLE).encode(a))
open('bb.blosc', 'wb').write(Blosc('lz4', 5, Blosc.BITSHUFFLE).encode(a))
open('s4.shuf', 'wb').write(Shuffle(4).encode(raw))
open('z6.zlib', 'wb').write(Zlib(6).encode(raw))
"
	row "lz4 numcodecs (block)" '{"codec":"lz4","format":"numcodecs"}' l1.nc "$lb"
fi
row "lz4 frame, xxh32 check" '"lz4"' l1.lz4 "$lb"
row "lz4 frame, no check" '"lz4"' l1n.lz4 "$lb"

gzip -6 -c data.bin > g6.gz
row "gzip -6" '"gzip"' g6.gz -
if [ -f l1.nc ]; then
	row "zlib 6 (numcodecs)" '"zlib"' z6.zlib -
	row "blosc lz4 shuffle" '"blosc"' bl.blosc -
	row "blosc zstd shuffle" '"blosc"' bz.blosc -
	row "blosc lz4 bitshuffle" '"blosc"' bb.blosc -
	row "shuffle 4" '"shuffle"' s4.shuf -
fi
$py -c "
import numpy as np
a = np.fromfile('data.bin', '<f4')
a.astype('>f4').tofile('be.f4')
np.diff(a.view('<i4'), prepend=0).astype('<i4').tofile('d.i4')
" 2>/dev/null && row "bytes big-endian 4" \
	'{"codec":"bytes","endian":"big","elementsize":4}' be.f4 - &&
	row "delta <i4" '{"codec":"delta","dtype":"<i4"}' d.i4 -
cp data.bin crc.in
$py -c "
import struct
d = open('data.bin', 'rb').read()
t = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    t.append(c)
c = 0xFFFFFFFF
for x in d:
    c = (c >> 8) ^ t[(c ^ x) & 0xFF]
open('crc.in', 'ab').write(struct.pack('<I', c ^ 0xFFFFFFFF))
" && row "crc32c" '"crc32c"' crc.in -
