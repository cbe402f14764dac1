"""Alpha158 over 500 instruments x 2,520 days: our expression engine vs plain pandas.

The pandas side is the straightforward implementation: a long (instrument, date) frame,
``groupby("instrument")`` + ``rolling`` per feature (``rolling.apply`` with numpy for the
argmax/argmin features, a groupby-apply for the two-series correlations). Both sides compute
all 158 features on the same seeded synthetic panel and keep only a per-feature checksum, so
neither holds 158 full arrays. Agreement is checked on every feature.

Run: .venv/bin/python benchmarks/bench_alpha158_vs_pandas.py [--instruments 500] [--days 2520]
     [--pandas-subset]  (time pandas on a representative subset and scale by feature count)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from nautilus.factors.alpha158 import ALPHA158, WINDOWS
from nautilus.factors.library import compute_many
from nautilus.factors.panel import Panel, synthetic_panel

E = 1e-12
SUBSET = ("KMID", "KSFT2", "ROC20", "MA20", "STD20", "BETA20", "RSQR20", "RESI20", "MAX20",
          "QTLU20", "RANK20", "RSV20", "IMAX20", "CORR20", "CORD20", "CNTP20", "SUMP20",
          "VMA20", "WVMA20", "VSUMD20")


def pandas_features(long: pd.DataFrame, only: set[str] | None = None
                    ) -> Iterator[tuple[str, pd.Series]]:
    """Alpha158 from a long frame sorted by (instrument, date), one feature at a time."""
    g = long.groupby("instrument", sort=False)
    o, h, lo, c, v, vw = (long[k] for k in ("open", "high", "low", "close", "volume", "vwap"))

    def want(name: str) -> bool:
        return only is None or name in only

    def roll(s: pd.Series, d: int) -> pd.core.window.rolling.RollingGroupby:
        return s.groupby(long["instrument"], sort=False).rolling(d)

    def flat(s: pd.Series) -> pd.Series:
        return s.droplevel(0)

    top, bot = np.maximum(o, c), np.minimum(o, c)
    kbar = {
        "KMID": lambda: (c - o) / o, "KLEN": lambda: (h - lo) / o,
        "KMID2": lambda: (c - o) / (h - lo + E), "KUP": lambda: (h - top) / o,
        "KUP2": lambda: (h - top) / (h - lo + E), "KLOW": lambda: (bot - lo) / o,
        "KLOW2": lambda: (bot - lo) / (h - lo + E), "KSFT": lambda: (2 * c - h - lo) / o,
        "KSFT2": lambda: (2 * c - h - lo) / (h - lo + E), "OPEN0": lambda: o / c,
        "HIGH0": lambda: h / c, "LOW0": lambda: lo / c, "VWAP0": lambda: vw / c,
    }
    for name, fn in kbar.items():
        if want(name):
            yield name, fn()
    c1, v1 = g["close"].shift(1), g["volume"].shift(1)
    ok = c.notna() & c1.notna()
    up = (c > c1).astype(float).where(ok)
    dn = (c < c1).astype(float).where(ok)
    gain, loss, move = np.maximum(c - c1, 0), np.maximum(c1 - c, 0), (c - c1).abs()
    vgain, vloss, vmove = np.maximum(v - v1, 0), np.maximum(v1 - v, 0), (v - v1).abs()
    wv = (c / c1 - 1).abs() * v
    t = g.cumcount().astype(float)
    logv = np.log(v + 1)
    ratio_c, ratio_v = c / c1, np.log(v / v1 + 1)

    def pair(a: pd.Series, b: pd.Series, d: int, how: str = "corr") -> pd.Series:
        # groupby-rolling has no two-series cov/corr, so apply per instrument
        frame = pd.DataFrame({"a": a, "b": b, "i": long["instrument"]})
        return frame.groupby("i", sort=False, group_keys=False)[["a", "b"]].apply(
            lambda x: getattr(x["a"].rolling(d), how)(x["b"]))

    for d in WINDOWS:
        def mean(s: pd.Series, d: int = d) -> pd.Series:
            return flat(roll(s, d).mean())

        def ssum(s: pd.Series, d: int = d) -> pd.Series:
            return flat(roll(s, d).sum())

        def std(s: pd.Series, d: int = d) -> pd.Series:
            return flat(roll(s, d).std())

        def slope(d: int = d) -> pd.Series:
            return pair(c, t, d, "cov") / flat(roll(t, d).var())

        def argx(s: pd.Series, fn: Callable[[np.ndarray], int], d: int = d) -> pd.Series:
            return flat(roll(s, d).apply(lambda x: fn(x) + 1, raw=True))

        feats: dict[str, Callable[[], pd.Series]] = {
            "ROC": lambda d=d: g["close"].shift(d) / c,
            "MA": lambda: mean(c) / c,
            "STD": lambda: std(c) / c,
            "BETA": lambda: slope() / c,
            "RSQR": lambda d=d: pair(c, t, d) ** 2,
            "RESI": lambda d=d: (c - (mean(c) + slope() * (t - mean(t)))) / c,
            "MAX": lambda d=d: flat(roll(h, d).max()) / c,
            "MIN": lambda d=d: flat(roll(lo, d).min()) / c,
            "QTLU": lambda d=d: flat(roll(c, d).quantile(0.8)) / c,
            "QTLD": lambda d=d: flat(roll(c, d).quantile(0.2)) / c,
            "RANK": lambda d=d: flat(roll(c, d).rank(pct=True)),
            "RSV": lambda d=d: (c - flat(roll(lo, d).min()))
            / (flat(roll(h, d).max()) - flat(roll(lo, d).min()) + E),
            "IMAX": lambda d=d: argx(h, np.argmax) / d,
            "IMIN": lambda d=d: argx(lo, np.argmin) / d,
            "IMXD": lambda d=d: (argx(h, np.argmax) - argx(lo, np.argmin)) / d,
            "CORR": lambda d=d: pair(c, logv, d),
            "CORD": lambda d=d: pair(ratio_c, ratio_v, d),
            "CNTP": lambda: mean(up),
            "CNTN": lambda: mean(dn),
            "CNTD": lambda: mean(up) - mean(dn),
            "SUMP": lambda: ssum(gain) / (ssum(move) + E),
            "SUMN": lambda: ssum(loss) / (ssum(move) + E),
            "SUMD": lambda: (ssum(gain) - ssum(loss)) / (ssum(move) + E),
            "VMA": lambda: mean(v) / (v + E),
            "VSTD": lambda: std(v) / (v + E),
            "WVMA": lambda: std(wv) / (mean(wv) + E),
            "VSUMP": lambda: ssum(vgain) / (ssum(vmove) + E),
            "VSUMN": lambda: ssum(vloss) / (ssum(vmove) + E),
            "VSUMD": lambda: (ssum(vgain) - ssum(vloss)) / (ssum(vmove) + E),
        }
        for op, fn in feats.items():
            if want(f"{op}{d}"):
                yield f"{op}{d}", fn()


def long_frame(panel: Panel) -> pd.DataFrame:
    """The panel as a long frame sorted by (instrument, date), the layout pandas users keep."""
    df = panel.to_long(["open", "high", "low", "close", "volume", "vwap"])
    return df.sort_values(["instrument", "date"], kind="stable").reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instruments", type=int, default=500)
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--pandas-subset", action="store_true",
                    help=f"time pandas on {len(SUBSET)} representative features and scale")
    args = ap.parse_args()
    panel = synthetic_panel(args.days, args.instruments, seed=42)
    names = list(ALPHA158)
    print(f"Alpha158: {len(names)} features, {args.instruments} instruments x {args.days} days")

    # Warm the numba kernels (compiled once and cached on disk) outside the timing.
    list(compute_many([f"alpha158.{n}" for n in names], synthetic_panel(80, 3, seed=1)))

    ours: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    for key, arr in compute_many([f"alpha158.{n}" for n in names], panel):
        ours[key.split(".", 1)[1]] = arr[-5:].copy()  # keep the last rows for the check
    t_ours = time.perf_counter() - t0
    print(f"ours   (numba + expression engine, all {len(names)}): {t_ours:8.2f} s")

    long = long_frame(panel)
    only = set(SUBSET) if args.pandas_subset else None
    t0 = time.perf_counter()
    worst = 0.0
    count = 0
    n, m = args.days, args.instruments
    for name, series in pandas_features(long, only):
        # the long frame is instrument-major: reshape to (instruments, days), then transpose
        tail = series.sort_index().to_numpy().reshape(m, n).T[-5:]
        np.testing.assert_allclose(ours[name], tail, rtol=1e-6, atol=1e-8, equal_nan=True,
                                   err_msg=name)
        worst = max(worst, float(np.nanmax(np.abs(ours[name] - tail), initial=0.0)))
        count += 1
    t_pandas = time.perf_counter() - t0
    scale = len(names) / count
    label = f"subset of {count}, scaled x{scale:.2f}" if only else f"all {count}"
    print(f"pandas (groupby + rolling, {label}):        {t_pandas * scale:8.2f} s")
    print(f"speed-up ours vs pandas: {t_pandas * scale / t_ours:6.1f}x   "
          f"(max |diff| on checked rows {worst:.2e})")
    if only:
        t0 = time.perf_counter()
        list(compute_many([f"alpha158.{s}" for s in SUBSET], panel))
        t_sub = time.perf_counter() - t0
        print(f"same subset, ours: {t_sub:.2f} s vs pandas {t_pandas:.2f} s "
              f"({t_pandas / t_sub:.1f}x)")


if __name__ == "__main__":
    main()
