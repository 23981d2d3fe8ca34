"""ERA5-like Zarr stores for the benchmarks (zarr_sel.sh, reduce.sh),
written by xarray: 0.25 deg fields (721 latitudes 90 .. -90, as ERA5,
1440 longitudes 0 .. 359.75) that are smooth waves (the day's cycle,
moving systems) plus noise.  Imported by the scripts' writers, which
choose the variables, time step and encoding."""
import numpy as np
import pandas as pd
import xarray as xr

LAT = np.linspace(90, -90, 721).astype("f4")
LON = (np.arange(1440) * 0.25).astype("f4")
P = np.deg2rad(LAT.astype("f8"))[:, None]
L = np.deg2rad(LON.astype("f8"))[None, :]
# Noise made once and rolled: fresh normals for GBs of fields would be
# most of the time.
BANK = np.random.default_rng(15).normal(0, 1, (8, 721, 1440)).astype("f4")
ATTRS = {"t2m": {"units": "K", "long_name": "2 metre temperature"},
         "u10": {"units": "m s**-1", "long_name": "10 metre U wind component"}}


def t2m(k, d):
    """Step k, d days in."""
    return (273 + 30 * np.cos(P) + 5 * np.cos(L + 2 * np.pi * d) * np.cos(P)
            + 3 * np.sin(3 * L - 0.5 * d) * np.cos(5 * P + 0.1 * d)
            + 0.3 * np.roll(BANK[k % 8], 7 * k, axis=1))


def u10(k, d):
    return (10 * np.sin(2 * P) * np.cos(L - 0.1 * d)
            + 4 * np.sin(4 * L + 0.3 * d) * np.cos(3 * P)
            + 0.5 * np.roll(BANK[(k + 3) % 8], -11 * k, axis=1))


def write(path, t, freq, per_day, names, enc, slab, steps, history):
    """T steps of the variables NAMES, FREQ apart from 2023-01-01 (PER_DAY
    a day), to_zarr'd (consolidated) SLAB steps at a time: the first with
    ENC, the rest appended.  STEPS[name] = n rounds that field to
    multiples of 1/n (GRIB's binary steps)."""
    time = pd.date_range("2023-01-01", periods=t, freq=freq)
    fields = {"t2m": t2m, "u10": u10}
    for t0 in range(0, t, slab):
        n = min(slab, t - t0)
        data = {}
        for name in names:
            a = np.empty((n, 721, 1440), "f4")
            for i in range(n):
                f = fields[name](t0 + i, (t0 + i) / per_day)
                a[i] = np.round(f * steps[name]) / steps[name] if name in steps else f
            data[name] = (("time", "latitude", "longitude"), a, ATTRS[name])
        ds = xr.Dataset(
            data,
            coords={"time": ("time", time[t0:t0 + n], {"long_name": "time"}),
                    "latitude": ("latitude", LAT, {"units": "degrees_north",
                                                   "long_name": "latitude"}),
                    "longitude": ("longitude", LON, {"units": "degrees_east",
                                                     "long_name": "longitude"})},
            attrs={"Conventions": "CF-1.6", "history": history})
        if t0 == 0:
            ds.to_zarr(path, mode="w", consolidated=True, encoding=enc)
        else:
            ds.to_zarr(path, append_dim="time", consolidated=True)
