"""ML engine benchmark: inference latency, HMM regime fit, gradient-boosted walk-forward.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ml.py [--instruments 50]``

1. Single-row in-process inference through ``MLEngine.predict`` (production version loaded
   once and cached) for a calibrated gradient-boosted direction model: p50 / p99 latency,
   next to the bare sklearn ``predict_proba`` call.
2. Gaussian-HMM regime fit (4 states, full covariance) on 20 years of S&P 500 daily data
   (``arch.data.sp500``), plus the causal forward filter over the whole series.
3. Purged walk-forward (5 splits, 1-day labels, 5-bar embargo) of a calibrated
   HistGradientBoosting direction model pooled over N instruments x 10 years of synthetic
   features (8 features per row). The target is 500 instruments; by default a reduced
   panel runs and wall time and memory are extrapolated linearly in rows (HGB histogram
   building and the calibration refits are linear in rows at fixed iterations), which the
   output states.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd


def peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_inference(n_calls: int) -> dict[str, float]:
    from prometheus_client import CollectorRegistry

    from nautilus.bus.memory import InProcessBus
    from nautilus.config import PlatformConfig
    from nautilus.core.engine import EngineContext
    from nautilus.ml import MLEngine, TrainRequest
    from nautilus.ml.jobs import PriceSource, build_training_dataset, train_and_register
    from nautilus.persistence.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.migrate()
        ctx = EngineContext(config=PlatformConfig(data_dir=Path(tmp)), bus=InProcessBus(), db=db,
                            timeseries=None, jobs=None, metrics=CollectorRegistry())  # type: ignore[arg-type]
        eng = MLEngine(ctx)
        eng.start()
        req = TrainRequest(name="spx-dir", model="direction.hgb", params={"max_iter": 100},
                           source=PriceSource(kind="sp500"), n_splits=1, promote="always")
        train_and_register(req, eng.registry)
        rows = build_training_dataset(req).dropna().features.tail(n_calls)
        records = rows.to_dict("records")
        eng.predict("spx-dir", records[0])  # load + cache
        lat = np.empty(len(records))
        for i, rec in enumerate(records):
            t = time.perf_counter()
            eng.predict("spx-dir", rec)
            lat[i] = time.perf_counter() - t
        _, model = eng.registry.load("spx-dir")
        x = rows.to_numpy()
        raw = np.empty(len(records))
        for i in range(len(records)):
            t = time.perf_counter()
            model.estimator.predict_proba(x[i : i + 1])  # type: ignore[attr-defined]
            raw[i] = time.perf_counter() - t
        eng.stop()
        db.dispose()
    return {
        "calls": float(len(records)),
        "engine_p50_ms": float(np.percentile(lat, 50) * 1e3),
        "engine_p99_ms": float(np.percentile(lat, 99) * 1e3),
        "sklearn_p50_ms": float(np.percentile(raw, 50) * 1e3),
        "sklearn_p99_ms": float(np.percentile(raw, 99) * 1e3),
    }


def bench_hmm() -> dict[str, float]:
    from nautilus.ml.dataset import Dataset, regime_features, sp500_close
    from nautilus.ml.regimes.hmm import HMMRegimeConfig, HMMRegimeModel

    ts, close = sp500_close()
    ds = Dataset(ts=ts, features=regime_features(close), close=close)
    t = time.perf_counter()
    m = HMMRegimeModel(HMMRegimeConfig(n_states=4, seed=0)).fit(ds)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    m.regime_proba(ds)
    filt_s = time.perf_counter() - t
    return {"rows": float(len(ds)), "fit_s": fit_s, "filter_s": filt_s,
            "converged": float(m.converged), "em_iterations": m.train_metrics["n_iter"]}


def bench_walk_forward(n_instruments: int, years: int, target: int) -> dict[str, float]:
    from nautilus.ml.dataset import Dataset, daily_ts, synthetic_feature_panel
    from nautilus.ml.forecast.direction import DirectionConfig, GradientBoostedDirection
    from nautilus.ml.validation import (
        classification_scores,
        purged_walk_forward,
        walk_forward_scores,
    )

    days = 252 * years
    n_feat = 8
    x, y = synthetic_feature_panel(days * n_instruments, n_feat, seed=0, signal=0.1)
    day_ts = daily_ts(days)
    # rows ordered by date, instruments within a date; ts made unique by an instrument offset
    ts = np.repeat(day_ts, n_instruments) + np.tile(np.arange(n_instruments), days)
    t1 = np.repeat(np.r_[day_ts[1:], day_ts[-1] + 86_400 * 10**9], n_instruments)
    ds = Dataset(ts=ts, features=pd.DataFrame(x, columns=[f"f{i}" for i in range(n_feat)]),
                 label=(y > 0).astype(float), label_start=ts, label_end=t1)
    rss0 = peak_rss_mb()
    splits = purged_walk_forward(ds.label_start, ds.label_end, n_splits=5,
                                 embargo=5 * n_instruments)
    t = time.perf_counter()
    res = walk_forward_scores(
        lambda: GradientBoostedDirection(DirectionConfig(max_iter=100)), ds, splits,
        classification_scores,
    )
    wall = time.perf_counter() - t
    rss = peak_rss_mb()
    scale = target / n_instruments
    return {
        "instruments": float(n_instruments), "rows": float(len(ds)), "splits": float(len(splits)),
        "wall_s": wall, "peak_rss_mb": rss, "rss_before_mb": rss0,
        "extrapolated_wall_s_500": wall * scale,
        "extrapolated_peak_rss_mb_500": rss0 + (rss - rss0) * scale,
        "oos_hit_rate": res.mean_scores()["hit_rate"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instruments", type=int, default=50)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, cores {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.1f} (shared machine: figures are contended)")
    inf = bench_inference(args.calls)
    print("inference (single row, in-process):", {k: round(v, 3) for k, v in inf.items()})
    hmm = bench_hmm()
    print("HMM regime fit, S&P 500 1999-2018:", {k: round(v, 3) for k, v in hmm.items()})
    wf = bench_walk_forward(args.instruments, args.years, 500)
    print(f"walk-forward GBM ({args.instruments} instruments x {args.years} years; 500 "
          "extrapolated linearly in rows):", {k: round(v, 3) for k, v in wf.items()})


if __name__ == "__main__":
    main()
