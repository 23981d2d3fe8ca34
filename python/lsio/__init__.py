"""lsio - many small pieces of large datasets into numpy arrays, fast.

A ctypes binding of liblsio (no build step): the fastest path from a Zarr
store, a GRIB2 archive or any lsio job to a numpy array.

    import lsio
    t2m = lsio.zarr("era5.zarr/t2m", select="0:24, 100:300, :")
    box = lsio.zarr("era5.zarr", var="t2m",
                    sel={"time": "2020-01-01:2020-01-31", "latitude": "60:40"})
    t = lsio.grib("gfs.t00z.pgrb2.0p25.f000", match=":TMP:2 m above ground:")
    arr = lsio.run({"lsio": 1, "output": {...}, "chunks": [...]})
    lsio.version()

Tuning travels in the job's "storage" section (see lsio-job(5)): pass it
as keyword arguments, e.g. lsio.run(job, workers=4, memory="256MiB").
Errors raise lsio.Error with liblsio's message (file, JSON path, chunk,
URL and status, as the lsio tool prints them).  Ctrl-C cancels the run.
"""
import ctypes
import ctypes.util
import json
import os
import tempfile
import threading

import numpy as np

__all__ = ["Error", "run", "zarr", "grib", "version", "library"]


class Error(Exception):
    """A failure of liblsio: .code is its negative error, str() its message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _library_path():
    """LSIO_LIBRARY, else the directory `make install` wrote into _config,
    else the system's search (ldconfig)."""
    path = os.environ.get("LSIO_LIBRARY")
    if path:
        return path
    try:
        from . import _config
        candidate = os.path.join(_config.LIBDIR, "liblsio.so.0")
        if os.path.exists(candidate):
            return candidate
    except ImportError:
        pass
    found = ctypes.util.find_library("lsio")
    if not found:
        raise ImportError("liblsio.so is not installed (make install), "
                          "or set LSIO_LIBRARY to its path")
    return found


def _load():
    lib = ctypes.CDLL(_library_path())
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sigs = {
        "lsio_ctx_new": (vp, []),
        "lsio_ctx_free": (None, [vp]),
        "lsio_ctx_message": (cp, [vp]),
        "lsio_ctx_cancel": (None, [vp]),
        "lsio_strerror": (cp, [i]),
        "lsio_job_load_string": (i, [vp, cp, cp, ctypes.POINTER(vp)]),
        "lsio_job_free": (None, [vp]),
        "lsio_run": (i, [vp, vp, vp, vp]),
        "lsio_zarr_job": (i, [vp, cp, cp, cp, vp, ctypes.POINTER(vp)]),
        "lsio_zarr_request_job": (i, [vp, vp, vp, ctypes.POINTER(vp)]),
        "lsio_grib_job": (i, [vp, vp, vp, ctypes.POINTER(vp), vp]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    # A run straight into the array's memory, when the library has it.
    if hasattr(lib, "lsio_run_into"):
        lib.lsio_run_into.restype = i
        lib.lsio_run_into.argtypes = [vp, vp, vp, vp, ctypes.c_size_t, vp]
    if hasattr(lib, "lsio_version"):
        lib.lsio_version.restype = cp
        lib.lsio_version.argtypes = []
    # What the run writes (a reduction's shape), when the library says.
    if hasattr(lib, "lsio_job_array"):
        lib.lsio_job_array.restype = i
        lib.lsio_job_array.argtypes = [vp, vp, vp, ctypes.POINTER(_ArrayInfo)]
    return lib


class _ArrayInfo(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_char * 24),
                ("ndim", ctypes.c_uint32),
                ("shape", ctypes.c_uint64 * 32),
                ("nbytes", ctypes.c_uint64)]


_lib = None
_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]


def library():
    """The loaded liblsio (ctypes.CDLL), loaded on first use."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def version():
    """liblsio's version string."""
    lib = library()
    if hasattr(lib, "lsio_version"):
        return lib.lsio_version().decode()
    raise Error(-1, "this liblsio has no lsio_version()")


class _Ctx:
    def __init__(self):
        self.lib = library()
        self.ctx = self.lib.lsio_ctx_new()
        if not self.ctx:
            raise MemoryError("lsio_ctx_new")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lib.lsio_ctx_free(self.ctx)

    def check(self, ret):
        if ret < 0:
            msg = self.lib.lsio_ctx_message(self.ctx)
            text = msg.decode(errors="replace") if msg else ""
            if not text:
                text = self.lib.lsio_strerror(ret).decode()
            raise Error(ret, text)
        return ret

    def call_cancellable(self, fn, *args):
        """fn(*args) on a thread, so that Ctrl-C here cancels the run
        (lsio_ctx_cancel) instead of waiting for it."""
        box = {}

        def target():
            box["ret"] = fn(*args)

        t = threading.Thread(target=target, daemon=True)
        t.start()
        try:
            while t.is_alive():
                t.join(0.1)
        except KeyboardInterrupt:
            self.lib.lsio_ctx_cancel(self.ctx)
            t.join()
            raise
        return box["ret"]

    def take_text(self, ptr):
        try:
            return ctypes.string_at(ptr).decode()
        finally:
            _libc.free(ptr)


def _as_job(job):
    """A job as a dict: a dict, JSON text, or a path to a job file."""
    if isinstance(job, dict):
        return dict(job)
    if isinstance(job, (bytes, str)) and str(job).lstrip().startswith("{"):
        return json.loads(job)
    with open(job) as f:
        return json.load(f)


def _with_storage(job, tuning):
    if tuning:
        storage = dict(job.get("storage", {}))
        storage.update({k.replace("-", "_"): v for k, v in tuning.items()})
        job["storage"] = storage
    return job


def _with_reduce(job, reduce, skip_fill):
    """The job with its output reduced: reduce "OP[:AXES]" as `lsio run
    --reduce` takes it (AXES numbers, or names from var=)."""
    if reduce is None and not skip_fill:
        return job
    if reduce is None:
        raise Error(-1, "skip_fill= goes with reduce=")
    out = dict(job.get("output", {}))
    if skip_fill:
        op, _, axes = reduce.partition(":")
        spec = {"op": op, "skip_fill": True}
        if axes:
            spec["axes"] = [int(a) if a.lstrip("-").isdigit() else a
                            for a in axes.split(",")]
        out["reduce"] = spec
    else:
        out["reduce"] = reduce
    return dict(job, output=out)


def _array_for(ctx, handle, out):
    """An empty numpy array of what running the job writes."""
    if not hasattr(ctx.lib, "lsio_job_array"):
        return np.empty(tuple(out.get("shape", [])),
                        dtype=np.dtype(out["dtype"]))
    info = _ArrayInfo()
    ctx.check(ctx.lib.lsio_job_array(ctx.ctx, handle, None,
                                     ctypes.byref(info)))
    return np.empty(tuple(info.shape[:info.ndim]),
                    dtype=np.dtype(info.dtype.decode()))


def _run_array(ctx, job):
    """Run an array job (a dict) into a new numpy array."""
    out = job.get("output", {})
    if out.get("type", "array") != "array":
        raise Error(-1, "lsio.run returns arrays: the job's output is %r"
                    % out.get("type"))
    lib = ctx.lib
    if hasattr(lib, "lsio_run_into"):
        job = dict(job, output=dict(out, path="-"))
        handle = _load_job(ctx, job)
        try:
            arr = _array_for(ctx, handle, out)
            ctx.check(ctx.call_cancellable(
                lib.lsio_run_into, ctx.ctx, handle, None,
                arr.ctypes.data if arr.size else None, arr.nbytes, None))
        finally:
            lib.lsio_job_free(handle)
        return arr
    # An older liblsio: through a temporary .npy file.
    with tempfile.TemporaryDirectory(prefix="lsio-") as tmp:
        path = os.path.join(tmp, "out.npy")
        handle = _load_job(ctx, dict(job, output=dict(out, path=path,
                                                      format="npy")))
        try:
            ctx.check(ctx.call_cancellable(lib.lsio_run, ctx.ctx, handle,
                                           None, None))
        finally:
            lib.lsio_job_free(handle)
        return np.load(path)


def _load_job(ctx, job):
    handle = ctypes.c_void_p()
    ctx.check(ctx.lib.lsio_job_load_string(
        ctx.ctx, json.dumps(job).encode(), b"<python>", ctypes.byref(handle)))
    return handle


def run(job, reduce=None, skip_fill=False, **tuning):
    """Run an array job (a dict, JSON text or a job file's path) and return
    its array.  reduce="mean:0" (sum, mean, min, max, count, var, std over
    dimensions, as `lsio run --reduce`) returns the reduction instead,
    computed while reading; skip_fill=True makes the fill value missing too.
    Other keyword arguments are storage settings (workers=4,
    memory="256MiB", direct="off", ...)."""
    job = _with_reduce(_with_storage(_as_job(job), tuning), reduce,
                       skip_fill)
    with _Ctx() as ctx:
        return _run_array(ctx, job)


class _ZarrRequest(ctypes.Structure):
    _fields_ = [("store", ctypes.c_char_p),
                ("vars", ctypes.POINTER(ctypes.c_char_p)),
                ("sel", ctypes.POINTER(ctypes.c_char_p)),
                ("isel", ctypes.POINTER(ctypes.c_char_p)),
                ("output", ctypes.c_char_p)]


def _cstrings(items):
    if not items:
        return None
    arr = (ctypes.c_char_p * (len(items) + 1))()
    for k, s in enumerate(items):
        arr[k] = s.encode()
    arr[len(items)] = None
    return arr


def _pairs(d):
    if d is None:
        return []
    if isinstance(d, dict):
        return ["%s=%s" % (k, v) for k, v in d.items()]
    return list(d)


def zarr(store, select=None, var=None, sel=None, isel=None, reduce=None,
         skip_fill=False, **tuning):
    """A Zarr array (or one variable of a group) as a numpy array.

    store: "data.zarr/t2m" for an array (select: numpy-style text such as
    "0:24, 100:300, :"), or a group with var= and labelled sel= / isel=
    (dicts such as {"time": "2020-01-01:2020-01-31", "lon": "-0.1~"}),
    as `lsio zarr` takes them.  reduce="mean:time" and skip_fill= as for
    run().  Local paths and http(s)://, s3://, gs://, az:// URLs."""
    with _Ctx() as ctx:
        text = ctypes.c_void_p()
        if var is None and sel is None and isel is None:
            ctx.check(ctx.lib.lsio_zarr_job(
                ctx.ctx, store.encode(), select.encode() if select else None,
                b"-", None, ctypes.byref(text)))
        else:
            if select is not None:
                raise Error(-1, "select= is for an array; a group takes "
                            "var=, sel= and isel=")
            names = [var] if isinstance(var, str) else list(var or [])
            if len(names) != 1:
                raise Error(-1, "lsio.zarr returns one array: name one var=")
            keep = [_cstrings(names), _cstrings(_pairs(sel)),
                    _cstrings(_pairs(isel))]
            req = _ZarrRequest(store.encode(), keep[0], keep[1], keep[2],
                               b"out.npy")
            ctx.check(ctx.lib.lsio_zarr_request_job(
                ctx.ctx, ctypes.byref(req), None, ctypes.byref(text)))
        job = _with_storage(json.loads(ctx.take_text(text)), tuning)
        return _run_array(ctx, _with_reduce(job, reduce, skip_fill))


class _GribRequest(ctypes.Structure):
    _fields_ = [("sources", ctypes.POINTER(ctypes.c_char_p)),
                ("nsources", ctypes.c_uint32),
                ("idx", ctypes.c_char_p),
                ("match", ctypes.POINTER(ctypes.c_char_p)),
                ("nmatch", ctypes.c_uint32),
                ("output", ctypes.c_char_p),
                ("lengths", ctypes.c_int),
                ("dtype", ctypes.c_char_p),
                ("coords", ctypes.c_int)]


def _strings(x):
    return [x] if isinstance(x, str) else list(x or [])


def grib(sources, match=None, idx=None, dtype=None, reduce=None,
         skip_fill=False, **tuning):
    """GRIB2 fields as one numpy array (fields, ny, nx), NaN where a value
    is missing: the messages of sources (a path or URL, or a list of them,
    in output order) whose inventory line matches one of the regular
    expressions in match (a string or a list; none: every message), as
    `lsio grib SOURCE... --match RE -o X.npy` decodes them.  idx: the
    inventory (None: SOURCE.idx, else an ECMWF .index, else a scan of the
    messages; "none": always scan).  dtype "<f4" (None) or "<f8".
    reduce= and skip_fill= as for run(), e.g. reduce="mean:0" for the mean
    of the fields.  Local paths and http(s)://, s3://, gs://, az:// URLs."""
    srcs, matches = _strings(sources), _strings(match)
    if not srcs:
        raise Error(-1, "lsio.grib needs at least one source")
    with _Ctx() as ctx:
        text = ctypes.c_void_p()
        keep = [_cstrings(srcs), _cstrings(matches)]
        req = _GribRequest(keep[0], len(srcs), idx.encode() if idx else None,
                           keep[1], len(matches), b"out.npy", 0,
                           dtype.encode() if dtype else None, 0)
        ctx.check(ctx.lib.lsio_grib_job(ctx.ctx, ctypes.byref(req), None,
                                        ctypes.byref(text), None))
        job = _with_storage(json.loads(ctx.take_text(text)), tuning)
        return _run_array(ctx, _with_reduce(job, reduce, skip_fill))
