"""Resampling 10M one-minute bars to 1h, 1w and 1mo: ours (numpy) vs pandas.

Ours: :func:`nautilus.data.resample.resample_bars` without a calendar (UTC grid: hours, weeks
from Monday, calendar months) and with NYSE sessions (session-aligned buckets, half days,
holidays; weeks/months of sessions); the peer: pandas ``resample(...).agg(...)`` on a
DatetimeIndex on the same UTC grid (results asserted equal). Figures: wall and CPU seconds and
input rows/s (best of ``--repeat``), with the load average. The calendar load is not timed.

Run: .venv/bin/python benchmarks/bench_resample.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.time import NS_PER_MINUTE, to_ns
from nautilus.data.resample import resample_bars, sessions_for


def minutes(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    spread = np.abs(rng.normal(0.0, 0.05, n))
    return pd.DataFrame(
        {
            "open": close + 0.01,
            "high": close + 0.01 + spread,
            "low": close - spread,
            "close": close,
            "volume": rng.integers(100, 10_000, n).astype(np.float64),
        },
        index=pd.Index(
            to_ns("2000-01-03") + NS_PER_MINUTE * np.arange(1, n + 1, dtype=np.int64), name="ts"
        ),
    )


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(wall s, CPU s, result) of the fastest of ``repeat`` runs."""
    out, t, cpu = None, float("inf"), float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < t:
            t, cpu = wall, time.process_time() - c0
    return t, cpu, out


def pandas_calendar(dt: pd.DataFrame, rule: str, step: Any) -> pd.DataFrame:
    """UTC weeks (``W-MON``) / months (``MS``) of bars ``(ts - 1m, ts]``, stamped at the end.

    pandas snaps right-closed weekly/monthly bins to the end of a day, so bucket ``ts - 1ns``
    left-closed and move the label to the period end instead.
    """
    shifted = dt.set_axis(dt.index - pd.Timedelta(1, "ns"))
    out = shifted.resample(rule, closed="left", label="left").agg(AGG).dropna()
    out.index = out.index + step
    return out


AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    frame = minutes(args.rows)
    xnys = sessions_for("XNYS")
    dt = frame.set_axis(pd.to_datetime(frame.index.to_numpy(), utc=True))
    rows: list[tuple[str, float, float, int]] = []
    ratios: list[str] = []
    for tf, rule, step in (
        ("1h", "1h", None),
        ("1w", "W-MON", pd.Timedelta(days=7)),
        ("1mo", "MS", pd.offsets.MonthBegin(1)),
    ):
        t_ours, c_ours, ours = best(lambda tf=tf: resample_bars(frame, tf), args.repeat)
        t_sess, c_sess, sess = best(lambda tf=tf: resample_bars(frame, tf, xnys), args.repeat)
        if step is None:
            t_pd, c_pd, ref = best(
                lambda: dt.resample("1h", closed="right", label="right").agg(AGG).dropna(),
                args.repeat,
            )
        else:
            t_pd, c_pd, ref = best(
                lambda rule=rule, step=step: pandas_calendar(dt, rule, step), args.repeat
            )
            ref = ref.iloc[: len(ours)]  # ours leaves out the still-running last period
        assert ours.index.tolist() == ref.index.as_unit("ns").asi8.tolist()
        np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy())
        rows += [
            (f"{tf}: ours, UTC grid", t_ours, c_ours, len(ours)),
            (f"{tf}: ours, NYSE sessions", t_sess, c_sess, len(sess)),
            (f"{tf}: pandas resample (UTC grid)", t_pd, c_pd, len(ref)),
        ]
        ratios.append(f"{tf} {t_pd / t_ours:.2f}x")
    n = args.rows
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{n:,} 1-minute bars -> 1h, 1w, 1mo; load average 1/5/15 min {load} "
        f"on {os.cpu_count()} CPUs"
    )
    print(f"{'method':<38}{'wall s':>9}{'CPU s':>8}{'Mrows/s':>10}{'bars out':>11}")
    for name, t, c, out in rows:
        print(f"{name:<38}{t:>9.3f}{c:>8.3f}{n / t / 1e6:>10.1f}{out:>11,}")
    print(f"ours vs pandas (same grid, wall): {', '.join(ratios)}")


if __name__ == "__main__":
    main()
