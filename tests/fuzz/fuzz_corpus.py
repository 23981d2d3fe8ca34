#!/usr/bin/python3
"""fuzz_corpus.py: write the seed corpora of the fuzz targets into
tests/fuzz/corpus/TARGET/ (run from anywhere; the output is committed, so
this runs only when a seed should change).

Valid inputs come from third-party writers - numcodecs and the zstd, lz4
and gzip tools - never from lsio itself, wrapped in each target's input
format (see the comment at the top of each tests/fuzz/fuzz_*.c).  Every
seed is small: the fuzzer mutates seeds, it does not need big ones.
"""
import json
import os
import re
import struct
import subprocess
import sys

import numcodecs
import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")

# fuzz_stages.c's variants[], by name.
V = {name: i for i, name in enumerate([
    "identity", "zstd", "lz4", "lz4-numcodecs", "lz4-block", "gzip", "zlib",
    "blosc", "crc32c", "shuffle2", "shuffle4", "shuffle8", "shuffle3",
    "bytes-big2", "bytes-big4", "bytes-big8", "bytes-little4", "delta-i1",
    "delta-i2", "delta-i4", "delta-i8", "delta-u2", "delta-f4", "delta-f8",
    "grib2-f4", "grib2-f8-field2", "grib2_check"])}


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def tool(args, data):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def stage_seed(name, stages, want, payload, fixed=False, cap=0):
    """One fuzz_stages input: the chain (decode order), the declared size."""
    if not isinstance(payload, bytes):
        payload = np.ascontiguousarray(payload).tobytes()  # numcodecs' arrays
    head = bytes([(len(stages) - 1) | (4 if fixed else 0) | cap << 3])
    head += bytes(V[s] for s in stages) + struct.pack("<I", want)[:3]
    write("fuzz_stages", name, head + payload)


def stage_seeds():
    rng = np.random.default_rng(7)
    f32 = (280 + 10 * np.sin(np.arange(512) * 0.05)).astype("<f4")
    raw = f32.tobytes()
    i4 = np.cumsum(rng.integers(-5, 5, 512)).astype("<i4")
    text = b"the quick brown fox jumps over the lazy dog " * 24

    stage_seed("zstd-f32", ["zstd"], len(raw), tool(["zstd", "-q", "-c"], raw), fixed=True)
    # From a pipe: the frame does not declare its content size.
    stage_seed("zstd-stream", ["zstd"], 0, tool(["zstd", "-q", "-c", "-"], text), cap=1)
    stage_seed("zstd-two-frames", ["zstd"], 0,
               tool(["zstd", "-q", "-c"], text[:300]) + tool(["zstd", "-q", "-c"], text[300:]))
    stage_seed("lz4-frame", ["lz4"], len(text), tool(["lz4", "-q", "-c"], text))
    nc = numcodecs.LZ4().encode(raw)
    stage_seed("lz4-numcodecs", ["lz4-numcodecs"], len(raw), nc, fixed=True)
    stage_seed("lz4-block", ["lz4-block"], len(raw), nc[4:])
    stage_seed("gzip", ["gzip"], len(text), tool(["gzip", "-c", "-n"], text))
    stage_seed("zlib", ["zlib"], len(raw), numcodecs.Zlib(level=5).encode(raw), cap=2)
    for cname, shuffle in (("lz4", 1), ("zstd", 2), ("blosclz", 0), ("zlib", 1)):
        b = numcodecs.Blosc(cname=cname, clevel=5, shuffle=shuffle).encode(f32)
        stage_seed("blosc-%s-%d" % (cname, shuffle), ["blosc"], len(raw), b, fixed=True)
    # Too small to compress: blosc stores it (the memcpyed flag).
    stage_seed("blosc-stored", ["blosc"], 64,
               numcodecs.Blosc(cname="lz4", shuffle=0).encode(rng.bytes(64)))
    stage_seed("crc32c", ["crc32c"], 256, raw[:256] + struct.pack("<I", crc32c(raw[:256])))
    shuffled = numcodecs.Shuffle(elementsize=4).encode(f32)
    stage_seed("zstd-shuffle4-bytes-big4", ["zstd", "shuffle4", "bytes-big4"], len(raw),
               tool(["zstd", "-q", "-c"], numcodecs.Shuffle(elementsize=4).encode(
                   f32.astype(">f4")).tobytes()), fixed=True)
    stage_seed("shuffle8", ["shuffle8"], 512, numcodecs.Shuffle(elementsize=8).encode(raw[:512]))
    stage_seed("shuffle3", ["shuffle3"], 300, numcodecs.Shuffle(elementsize=3).encode(text[:300]))
    stage_seed("zlib-delta-i4", ["zlib", "delta-i4"], len(i4.tobytes()),
               numcodecs.Zlib().encode(numcodecs.Delta(dtype="<i4").encode(i4)))
    stage_seed("delta-i2", ["delta-i2"], 200,
               numcodecs.Delta(dtype="<i2").encode(i4[:100].astype("<i2")).tobytes())
    stage_seed("delta-f8", ["delta-f8"], 400,
               numcodecs.Delta(dtype="<f8").encode(f32[:50].astype("<f8")).tobytes())
    b8 = f32[:64].astype(">f8").tobytes()
    stage_seed("crc32c-bytes-big8", ["crc32c", "bytes-big8"], len(b8),
               b8 + struct.pack("<I", crc32c(b8)))
    blob = numcodecs.Blosc(cname="zstd", shuffle=1).encode(shuffled)
    stage_seed("blosc-shuffle4-gzip", ["gzip", "blosc", "shuffle4"], len(raw),
               tool(["gzip", "-c", "-n"], blob))
    stage_seed("identity", ["identity"], 0, text[:64])


def grib2_message(packing, bits=16, bitmap=False, ni=8, nj=6):
    """One ecCodes-written GRIB2 message of an ni x nj lat/lon grid (values
    first, then packingType: ecCodes 2.28, see TESTBEDS.md)."""
    import eccodes as ec
    with open("/usr/share/eccodes/samples/regular_ll_sfc_grib2.tmpl", "rb") as f:
        h = ec.codes_new_from_file(f, ec.CODES_PRODUCT_GRIB)
    for k, v in (("Ni", ni), ("Nj", nj), ("iDirectionIncrementInDegrees", 360.0 / ni),
                 ("jDirectionIncrementInDegrees", 180.0 / (nj - 1)),
                 ("latitudeOfFirstGridPointInDegrees", 90.0),
                 ("latitudeOfLastGridPointInDegrees", -90.0),
                 ("longitudeOfFirstGridPointInDegrees", 0.0),
                 ("longitudeOfLastGridPointInDegrees", 360.0 - 360.0 / ni)):
        ec.codes_set(h, k, v)
    # Smooth, as grib2_gen.py's fields: ecCodes 2.28 aborts when a PNG
    # comes out larger than the packed values.
    x = np.linspace(0, 6 * np.pi, ni * nj)
    v = 250 + 30 * np.sin(x) * np.cos(x / 3) + np.random.default_rng(3).normal(0, 0.5, ni * nj)
    if bitmap:
        ec.codes_set(h, "bitmapPresent", 1)
        ec.codes_set(h, "missingValue", 9999.0)
        v[::5] = 9999.0
    ec.codes_set(h, "bitsPerValue", bits)
    ec.codes_set_values(h, v)
    ec.codes_set(h, "packingType", packing)
    m = ec.codes_get_message(h)
    ec.codes_release(h)
    return m


def grib2_two_fields(m1, m2):
    """Sections 4-7 of m2 after m1's: two fields in one message (NCEP's U
    and V), for the field-2 variant."""
    pos = 16
    while m2[pos + 4] < 4:  # to m2's section 4
        pos += struct.unpack(">I", m2[pos:pos + 4])[0]
    body = m1[16:-4] + m2[pos:-4] + b"7777"
    return m1[:8] + struct.pack(">Q", 16 + len(body)) + body


def grib2_gdal_sd(order):
    """GDAL's GRIB writer: complex packing with real spatial differencing."""
    import tempfile
    from osgeo import gdal, osr
    gdal.UseExceptions()
    mem = gdal.GetDriverByName("MEM").Create("", 8, 6, 1, gdal.GDT_Float32)
    mem.SetGeoTransform([0, 45, 0, 90, 0, -30])
    srs = osr.SpatialReference()
    srs.SetWellKnownGeogCS("WGS84")
    mem.SetProjection(srs.ExportToWkt())
    a = (250 + 30 * np.sin(np.arange(48) * 0.3)).reshape(6, 8)
    a[2, 3] = -999.0
    mem.GetRasterBand(1).SetNoDataValue(-999.0)
    mem.GetRasterBand(1).WriteArray(a)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sd.grib2")
        gdal.GetDriverByName("GRIB").CreateCopy(path, mem, options=[
            "DATA_ENCODING=COMPLEX_PACKING",
            "SPATIAL_DIFFERENCING_ORDER=%d" % order, "NBITS=12"])
        return open(path, "rb").read()


def grib2_seeds():
    """8 x 6 grids of every packing the grib2 stage decodes, written by
    ecCodes (GDAL for spatial differencing of order 1 and 2).  PNG's are
    36 x 19: a PNG of a small grid is larger than its packed values."""
    n = 8 * 6
    for packing, bits in (("grid_simple", 16), ("grid_simple", 12), ("grid_simple", 0),
                          ("grid_complex", 16), ("grid_complex_spatial_differencing", 16),
                          ("grid_ieee", 32), ("grid_ccsds", 16), ("grid_ccsds", 24),
                          ("grid_png", 16), ("grid_png", 12), ("grid_jpeg", 16)):
        name = "grib2-%s-%d" % (packing[5:], bits)
        shape = (36, 19) if packing == "grid_png" else (8, 6)
        npts = shape[0] * shape[1]
        m = grib2_message(packing, bits, False, *shape)
        stage_seed(name, ["grib2-f4"], 4 * npts, m, fixed=True)
        stage_seed(name + "-bitmap", ["grib2-f4"], 4 * npts,
                   grib2_message(packing, bits, True, *shape))
        stage_seed(name + "-field2", ["grib2-f8-field2"], 8 * npts,
                   grib2_two_fields(grib2_message(packing, bits, True, *shape), m), cap=1)
    m = grib2_message("grid_simple", 16)
    stage_seed("grib2_check-grib2", ["grib2_check", "grib2-f4"], 4 * n, m)
    stage_seed("grib2_check", ["grib2_check"], len(m), m)
    stage_seed("zstd-grib2", ["zstd", "grib2-f4"], 4 * n,
               tool(["zstd", "-q", "-c"], grib2_message("grid_complex", 12)))
    for order in (1, 2):
        stage_seed("grib2-gdal-sd%d" % order, ["grib2-f4"], 4 * n, grib2_gdal_sd(order))


def http_seed(name, off, length, text):
    """One fuzz_http input: the range asked for, then the response."""
    write("fuzz_http", name, struct.pack("<QQ", off, length - 1) + text.encode())


def http_seeds():
    http_seed("206-ok", 4096, 8192, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4096-12287/1048576\r\nContent-Length: 8192\r\nETag: \"abc123\"\r\n\r\n")
    http_seed("206-h2-wrong-range", 0, 100, "HTTP/2 206\r\ncontent-range: bytes 10-109/*\r\ncontent-length: 100\r\n\r\n")
    http_seed("206-past-end", 1000, 100, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 1000-1049/1050\r\n\r\n")
    http_seed("206-multipart", 0, 10, "HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=x\r\n\r\n")
    http_seed("200-whole", 10, 10, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nETag: W/\"1\"\r\n\r\n")
    http_seed("redirect-then-206", 0, 5, "HTTP/1.1 302 Found\r\nLocation: http://x/\r\n\nHTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/5\r\n\r\n")
    http_seed("416", 100, 1, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */50\r\n\r\n")
    http_seed("503-retry-after", 0, 1, "HTTP/1.1 503 Slow Down\r\nRetry-After: 3\r\n\r\n")
    http_seed("429-retry-date", 0, 1, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n")
    http_seed("403-s3-xml", 0, 1, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match\nthe signature you provided.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>")
    http_seed("404-gcs", 0, 1, "HTTP/2 404\r\n\r\n<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")


FUZZ_DIR = "/dev/shm/lsio-fuzz-job"  # fuzz_job.c's files a, b and empty


def job_seed(name, job):
    text = job if isinstance(job, str) else json.dumps(job, indent=1)
    write("fuzz_job", name, text.encode())


def job_seeds():
    # The jobs in jobs/, their sources moved to the files fuzz_job makes.
    for f in sorted(os.listdir(os.path.join(TOP, "jobs"))):
        if not f.endswith(".json") or f.endswith(".schema.json"):
            continue
        text = open(os.path.join(TOP, "jobs", f)).read()
        text = re.sub(r'"data/tiles-[0-9].bin"', '"%s/a"' % FUZZ_DIR, text)
        text = re.sub(r'"data/[^"]*"', '"%s/b"' % FUZZ_DIR, text)
        job_seed("jobs-" + f[:-5], text)
    a, b, e = (FUZZ_DIR + "/" + n for n in ("a", "b", "empty"))
    job_seed("missing-source", {"lsio": 1, "output": {"type": "null"},
                                "chunks": [{"source": "no/such/file", "length": 10}]})
    job_seed("storage", {
        "lsio": 1, "output": {"type": "null"},
        "storage": {"workers": 2, "queue_depth": 8, "memory": "64MiB",
                    "direct": "auto", "coalesce_gap": "64KiB",
                    "max_request": "1MiB", "split": "256KiB",
                    "part_size": "64KiB", "backend": "pread",
                    "classes": {"memory": {"coalesce_gap": "off", "direct": "off"},
                                "ssd": {"queue_depth": 64}},
                    "prefixes": {"/dev/shm/": {"split": "128KiB"}}},
        "chunks": [{"source": b, "offset": 0, "length": "1MiB"},
                   {"source": b, "offset": "1MiB", "length": 100},
                   {"source": b, "offset": 1048676, "length": 4000},
                   {"source": b, "offset": 1000, "length": 5000},
                   {"source": a, "offset": 4095, "length": 2},
                   {"source": a},
                   {"source": e}]})
    job_seed("remote", {
        "lsio": 1, "output": {"type": "files", "dir": "out", "name": "{index}-{source}.bin"},
        "storage": {"s3": {"endpoint": "http://127.0.0.1:9", "region": "eu-west-1",
                           "addressing": "path", "no_sign_request": True},
                    "http": {"headers": {"Authorization": "Bearer abc"}},
                    "retry": {"attempts": 3, "deadline": 10.5, "timeout": 2},
                    "coalesce_gap": "1MiB"},
        "chunks": [{"source": "http://127.0.0.1:9/x.bin", "offset": 0, "length": 100},
                   {"source": "http://127.0.0.1:9/x.bin", "offset": 200, "length": 100},
                   {"source": "s3://bucket/key/a.bin", "offset": "1GiB", "length": "8MiB"},
                   {"source": "gs://bucket/o", "offset": 0, "length": 1,
                    "name": "gs-one.bin"}]})
    job_seed("stdout-stages", {
        "lsio": 1, "output": {"type": "stdout"},
        "defaults": {"length": "4KiB", "stages": [{"codec": "lz4", "format": "numcodecs"}]},
        "chunks": [{"source": a, "offset": 8192},
                   {"source": a, "offset": 0, "stages": ["zstd", {"codec": "shuffle", "elementsize": 8},
                                                           {"codec": "bytes", "endian": "big", "elementsize": 8}]},
                   {"source": a, "offset": 4096, "stages": [{"codec": "delta", "dtype": "<i4"}, "crc32c", "gzip", "zlib", "blosc"]}]})
    job_seed("array-f-order", {
        "lsio": 1,
        "output": {"type": "array", "path": "out.npy", "dtype": ">i8",
                   "shape": [3, 4, 5], "fill_value": -1, "format": "npy"},
        "defaults": {"place": {"shape": [3, 4, 5], "order": "F"}},
        "chunks": [{"source": a, "offset": 0, "length": 480, "place": {"to": [0, 0, 0]}},
                   {"source": a, "offset": 480, "length": 480,
                    "place": {"to": [1, 1, 1], "from": [1, 1, 1], "count": [2, 3, 4]}}]})
    job_seed("dataset", {
        "lsio": 1,
        "output": {"type": "dataset", "path": "out.nc",
                   "attrs": {"Conventions": "CF-1.8", "levels": [1, 2.5]},
                   "variables": [
                       {"name": "t2m", "dtype": "<i2", "shape": [2, 3, 4],
                        "dims": ["time", "latitude", "longitude"], "fill_value": -32767,
                        "attrs": {"scale_factor": 0.0018, "add_offset": 260.1,
                                  "valid_range": [-32000, 32000], "units": "K"}},
                       {"name": "u10", "dtype": ">f8", "shape": [2, 3, 4],
                        "dims": ["time", "latitude", "longitude"], "fill_value": "NaN"},
                       {"name": "latitude", "dtype": "<f4", "shape": [3], "dims": ["latitude"],
                        "values": [60, 59.75, "NaN"]},
                       {"name": "scalar", "dtype": "|u1", "shape": [], "values": [7]}]},
        "defaults": {"place": {"var": "t2m", "shape": [1, 3, 4]}, "missing": "fill"},
        "chunks": [{"source": a, "offset": 0, "length": 24, "place": {"to": [0, 0, 0]}},
                   {"source": a, "offset": 24, "length": 24, "place": {"to": [1, 0, 0]}},
                   {"source": a, "offset": 48, "length": 192,
                    "place": {"var": "u10", "shape": [2, 3, 4], "to": [0, 0, 0]}}]})


def zarr_seed(name, meta, select, blob=b""):
    """One fuzz_zarr input: metadata, NUL, selection, NUL, the blob."""
    text = meta if isinstance(meta, str) else json.dumps(meta)
    write("fuzz_zarr", name, text.encode() + b"\0" + select.encode() + b"\0" + blob)


def zarr_v2_seeds():
    """.zarray as zarr-python writes it, and one of its chunks."""
    import tempfile
    import zarr
    cases = [
        ("v2-blosc-f4", dict(shape=(10, 12), chunks=(4, 5), dtype="<f4", fill_value=float("nan")), "1:9, ::3"),
        ("v2-zstd-delta-i2-F", dict(shape=(6, 7), chunks=(3, 7), dtype="<i2", order="F",
                                    compressor=numcodecs.Zstd(1),
                                    filters=[numcodecs.Delta(dtype="<i2")]), "..., 2"),
        ("v2-nested-zlib-u1", dict(shape=(5, 4, 3), chunks=(2, 2, 3), dtype="|u1",
                                   dimension_separator="/", compressor=numcodecs.Zlib(1)), "-1, 1:3"),
        ("v2-raw-i8", dict(shape=(20,), chunks=(8,), dtype="<i8", compressor=None, fill_value=-1), "3:17:4"),
        ("v2-lz4-shuffle-c8", dict(shape=(4, 4), chunks=(4, 2), dtype="<c8",
                                   compressor=numcodecs.LZ4(),
                                   filters=[numcodecs.Shuffle(elementsize=8)]), ""),
    ]
    with tempfile.TemporaryDirectory() as d:
        for name, kw, sel in cases:
            a = zarr.open_array(os.path.join(d, name), mode="w", **kw)
            a[...] = np.arange(a.size).reshape(a.shape).astype(a.dtype)
            meta = open(os.path.join(d, name, ".zarray")).read()
            first = sorted(f for f in os.listdir(os.path.join(d, name)) if not f.startswith("."))[0]
            path = os.path.join(d, name, first)
            while os.path.isdir(path):
                path = os.path.join(path, sorted(os.listdir(path))[0])
            zarr_seed(name, meta, sel, open(path, "rb").read())
    zarr_seed("v2-scalar", {"zarr_format": 2, "shape": [], "chunks": [], "dtype": "<f8",
                            "compressor": None, "fill_value": "Infinity", "order": "C",
                            "filters": None}, "", struct.pack("<d", 1.5))


BYTES_LE = {"name": "bytes", "configuration": {"endian": "little"}}
BYTES_BE = {"name": "bytes", "configuration": {"endian": "big"}}


def v3_meta(shape, chunks, dtype, codecs, fill=0, enc="default", sep="/"):
    return {"zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": enc, "configuration": {"separator": sep}},
            "fill_value": fill, "codecs": codecs, "attributes": {}}


def shard_blob(inner_chunks, at_start, big, crc, missing=()):
    """Inner chunks (bytes each, C order) and their index, as the v3
    sharding_indexed codec lays them out."""
    n = len(inner_chunks)
    ilen = 16 * n + (4 if crc else 0)
    off = ilen if at_start else 0
    body, index = b"", b""
    fmt = ">QQ" if big else "<QQ"
    for i, c in enumerate(inner_chunks):
        if i in missing:
            index += struct.pack(fmt, 2**64 - 1, 2**64 - 1)
            continue
        index += struct.pack(fmt, off + len(body), len(c))
        body += c
    if crc:
        index += struct.pack("<I", crc32c(index))
    return index + body if at_start else body + index


def zarr_v3_seeds():
    zarr_seed("v3-zstd-f4", v3_meta([10, 12], [4, 6], "float32",
              [BYTES_LE, {"name": "zstd", "configuration": {"level": 1, "checksum": False}}], "NaN"),
              "1:7, ::2", tool(["zstd", "-q", "-c"], np.arange(24, dtype="<f4").tobytes()))
    gz = tool(["gzip", "-c", "-n"], np.arange(15, dtype=">i2").tobytes())
    zarr_seed("v3-transpose-gzip-crc", v3_meta([5, 6], [5, 3], "int16",
              [{"name": "transpose", "configuration": {"order": [1, 0]}}, BYTES_BE,
               {"name": "gzip", "configuration": {"level": 5}}, {"name": "crc32c"}], -7,
              enc="v2", sep="."), "2:5, 1", gz + struct.pack("<I", crc32c(gz)))
    inner = [np.full((2, 2), i, dtype="<u4").tobytes() for i in range(4)]
    for name, at_start, big, crc, missing, sel in (
            ("v3-shard-end-crc", False, False, True, (), "1:7, 2:6"),
            ("v3-shard-start-big", True, True, False, (2,), "..."),
            ("v3-shard-end-missing", False, False, True, (0, 3), "3, :")):
        index_codecs = [BYTES_BE if big else BYTES_LE] + ([{"name": "crc32c"}] if crc else [])
        meta = v3_meta([8, 8], [4, 4], "uint32", [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 2], "codecs": [BYTES_LE], "index_codecs": index_codecs,
            "index_location": "start" if at_start else "end"}}])
        zarr_seed(name, meta, sel, shard_blob(inner, at_start, big, crc, missing))


def label_seed(name, units, calendar, spec, coord, is_lon=0):
    write("fuzz_labels", name, b"\0".join(x.encode() for x in (units, calendar, spec)) +
          b"\0" + bytes([is_lon]) + np.asarray(coord, "<f8").tobytes())


def label_seeds():
    """Coordinates as numpy and cftime write them, specs as a user types."""
    import cftime
    label_seed("lat-desc", "", "", "60:40", np.arange(90, -90.1, -2.5))
    label_seed("lat-f32-nearest", "", "", "51.5~", np.linspace(90, -90, 73).astype("f4"))
    label_seed("lon-seam-step", "", "", "-10:30:2", np.arange(0, 360, 2.5), 1)
    label_seed("lon-nearest", "", "", "-0.1~", np.arange(-180, 180, 0.25), 1)
    label_seed("isel", "", "", "-9::2", np.arange(10.0))
    h = "hours since 1900-01-01 00:00:0.0"
    t0 = cftime.date2num(cftime.datetime(2023, 1, 1, calendar="standard"), h,
                         calendar="standard")
    label_seed("time-6h", h, "", "2023-01-10T06:30:2023-01-15:2", t0 + np.arange(124) * 6.0)
    d = "days since 2000-01-01 00:00 +01:00"
    label_seed("time-360-nearest", d, "360_day", "2000-02-30T06~",
               cftime.date2num(cftime.datetime(2000, 2, 1, calendar="360_day"), d,
                               calendar="360_day") + np.arange(40.0))
    label_seed("time-noleap-month", "days since 2000-01-01", "noleap", "2001-02",
               np.arange(360.0, 460.0))


def main():
    label_seeds()
    zarr_v2_seeds()
    zarr_v3_seeds()
    job_seeds()
    http_seeds()
    stage_seeds()
    grib2_seeds()


if __name__ == "__main__":
    sys.exit(main())
