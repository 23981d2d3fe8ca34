#!/usr/bin/python3
"""reduce.sh's peers: a reduction over time as a Python user writes it,
the result saved to a .npy (as lsio's is); the seconds after the imports
printed last.

  reduce_peers.py xarray STORE mean|max OUT.npy
      xr.open_zarr(STORE)["t2m"].mean("time", dtype="float64") (or
      .max("time")), .compute(): dask's threaded scheduler on every core,
      one task per stored chunk (open_zarr's default chunks); NaN skipped
      (xarray's skipna default)
  reduce_peers.py whole STORE mean|max OUT.npy
      zarr.open(STORE/t2m)[:] whole in memory, then np.nanmean(a, axis=0,
      dtype="float64") (or np.nanmax)
  reduce_peers.py loop STORE mean|max OUT.npy
      the same in bounded memory: one stored time-chunk at a time,
      np.nansum in float64 and a count of non-NaN values (np.fmax for max)
  reduce_peers.py eccodes FILE.grib2 mean OUT.npy
      codes_get_values of each message summed into float64, then / N
"""
import sys
import time

import numpy as np

how, src, op, out = sys.argv[1:5]
if how == "xarray":
    import dask.array  # noqa: F401  (open_zarr would import it in the timing)
    import xarray as xr
elif how == "eccodes":
    import eccodes as ec
else:
    import zarr


def by_xarray():
    a = xr.open_zarr(src)["t2m"]
    r = a.mean("time", dtype="float64") if op == "mean" else a.max("time")
    return r.compute().values


def whole():
    a = zarr.open(src + "/t2m", mode="r")[:]
    return np.nanmean(a, axis=0, dtype="float64") if op == "mean" else np.nanmax(a, axis=0)


def loop():
    z = zarr.open(src + "/t2m", mode="r")
    step = z.chunks[0]
    s = np.zeros(z.shape[1:], "f8")
    n = np.zeros(z.shape[1:], "i8")
    r = np.full(z.shape[1:], np.nan, z.dtype)
    for t0 in range(0, z.shape[0], step):
        a = z[t0:t0 + step]
        if op == "mean":
            s += np.nansum(a, axis=0, dtype="f8")
            n += np.count_nonzero(~np.isnan(a), axis=0)
        else:
            np.fmax(r, np.fmax.reduce(a, axis=0), out=r)
    if op == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            r = s / n
    return r


def grib_mean():
    s, n = None, 0
    with open(src, "rb") as f:
        while (h := ec.codes_grib_new_from_file(f)) is not None:
            v = ec.codes_get_values(h)
            if s is None:
                s, shape = v, (ec.codes_get(h, "Nj"), ec.codes_get(h, "Ni"))
            else:
                s += v
            n += 1
            ec.codes_release(h)
    return (s / n).reshape(shape)


t0 = time.perf_counter()
r = {"xarray": by_xarray, "whole": whole, "loop": loop, "eccodes": grib_mean}[how]()
np.save(out, r)
print("%.6f" % (time.perf_counter() - t0))
