"""Datasets for the ML engine: a time-ordered feature frame, an optional label, label spans.

Conventions
-----------
* ``ts`` is ``int64`` nanoseconds since the epoch, UTC, one per row, strictly increasing.
* Features at row ``t`` use only information known at the close of bar ``t`` (causal).
* ``label`` at row ``t`` is a *future* outcome; ``label_start``/``label_end`` (int ns) give the
  span of bars the label looks at, which purged cross-validation uses to remove overlap.
* Returns are log returns per bar; volatility is the standard deviation of those returns per
  bar unless a name says ``_ann`` (annualised with 252 bars per year).

>>> ds = synthetic_regime_dataset(300, seed=1)
>>> ds.features.shape[0] == ds.ts.shape[0]
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TRADING_DAYS = 252
DAY_NS = 86_400 * 1_000_000_000


@dataclass
class Dataset:
    """A feature frame indexed by row, with timestamps, an optional label and label spans."""

    ts: IntArray
    features: pd.DataFrame
    label: FloatArray | None = None
    label_start: IntArray | None = None
    label_end: IntArray | None = None
    close: FloatArray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ts = np.asarray(self.ts, dtype=np.int64)
        if len(self.features) != self.ts.shape[0]:
            raise ValidationError("features and ts differ in length", code="bad_dataset")
        if self.ts.size > 1 and np.any(np.diff(self.ts) <= 0):
            raise ValidationError("ts must be strictly increasing", code="bad_dataset")
        self.features = self.features.reset_index(drop=True)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def X(self) -> FloatArray:
        return np.ascontiguousarray(self.features.to_numpy(dtype=np.float64))

    def take(self, idx: npt.ArrayLike) -> Dataset:
        """Rows ``idx`` (positions) as a new dataset."""
        ix = np.asarray(idx, dtype=np.int64)

        def sub(a: Any) -> Any:
            return None if a is None else np.asarray(a)[ix]

        return Dataset(
            ts=self.ts[ix],
            features=self.features.iloc[ix],
            label=sub(self.label),
            label_start=sub(self.label_start),
            label_end=sub(self.label_end),
            close=sub(self.close),
            meta=dict(self.meta),
        )

    def dropna(self) -> Dataset:
        """Rows whose features (and label, if any) are all finite."""
        ok = np.isfinite(self.X).all(axis=1)
        if self.label is not None:
            ok &= np.isfinite(self.label)
        return self.take(np.flatnonzero(ok))

    def data_hash(self) -> str:
        """SHA-256 of the training matrix bytes (features, then label when present)."""
        h = hashlib.sha256(self.X.tobytes())
        if self.label is not None:
            h.update(np.ascontiguousarray(self.label, dtype=np.float64).tobytes())
        return h.hexdigest()


def check_training_data(
    ds: Dataset, *, min_rows: int, model: str, max_nan_fraction: float = 0.2,
    needs_label: bool = False,
) -> Dataset:
    """Validate ``ds`` for fitting ``model`` and return its complete rows.

    Raises ``ValidationError`` if a feature column is more than ``max_nan_fraction`` NaN, if a
    label is required and absent, or if fewer than ``min_rows`` complete rows remain.
    """
    if ds.features.shape[1] == 0:
        raise ValidationError(f"{model}: the dataset has no features", code="no_features")
    nan_frac = ds.features.isna().mean()
    heavy = nan_frac[nan_frac > max_nan_fraction]
    if len(heavy):
        cols = ", ".join(f"{c} ({v:.0%})" for c, v in heavy.items())
        raise ValidationError(
            f"{model}: features are NaN-heavy (more than {max_nan_fraction:.0%} missing): {cols}",
            code="nan_heavy_features",
        )
    if needs_label and ds.label is None:
        raise ValidationError(f"{model}: the dataset has no label", code="missing_label")
    clean = ds.dropna()
    if len(clean) < min_rows:
        raise ValidationError(
            f"{model}: too little data: {len(clean)} complete rows, at least {min_rows} needed",
            code="too_little_data",
        )
    return clean


def log_returns(close: FloatArray) -> FloatArray:
    """Log return per bar; the first value is NaN."""
    c = np.asarray(close, dtype=np.float64)
    out = np.full(c.shape, np.nan)
    out[1:] = np.diff(np.log(c))
    return out


def drawdown(close: FloatArray) -> FloatArray:
    """Close over its running maximum, minus one (0 at a new high, -0.2 at 20 % below)."""
    c = np.asarray(close, dtype=np.float64)
    return c / np.maximum.accumulate(c) - 1.0


def regime_features(close: FloatArray, vol_window: int = 21) -> pd.DataFrame:
    """Causal features for regime models: ``ret`` (log return) and ``logvol`` (log of the
    rolling ``vol_window``-bar standard deviation of log returns)."""
    r = pd.Series(log_returns(close))
    vol = r.rolling(vol_window, min_periods=vol_window).std()
    return pd.DataFrame({"ret": r.to_numpy(), "logvol": np.log(vol.to_numpy())})


def direction_features(close: FloatArray) -> pd.DataFrame:
    """Causal features for direction models: lagged returns, momentum, volatility, drawdown."""
    r = pd.Series(log_returns(close))
    lc = pd.Series(np.log(np.asarray(close, dtype=np.float64)))
    vol = r.rolling(21).std()
    return pd.DataFrame(
        {
            "ret_1": r,
            "ret_2": r.shift(1),
            "ret_5": lc.diff(5),
            "ret_21": lc.diff(21),
            "vol_21": vol,
            "vol_ratio": r.rolling(5).std() / vol,
            "dd": drawdown(np.asarray(close, dtype=np.float64)),
            "zscore_21": (lc - lc.rolling(21).mean()) / lc.rolling(21).std(),
        }
    )


def daily_ts(n: int, start: str = "2000-01-03") -> IntArray:
    """``n`` business-day timestamps (int ns UTC, midnight)."""
    idx = pd.bdate_range(start, periods=n, tz="UTC")
    return idx.asi8.astype(np.int64)


def sp500_close() -> tuple[IntArray, FloatArray]:
    """S&P 500 daily adjusted closes 1999-2018 from ``arch.data.sp500`` (ts int ns UTC, close)."""
    from arch.data import sp500

    df = sp500.load()
    ts = pd.DatetimeIndex(df.index).tz_localize("UTC").asi8.astype(np.int64)
    return ts, df["Adj Close"].to_numpy(dtype=np.float64)


REGIME_PARAMS: tuple[tuple[float, float], ...] = (
    (0.0008, 0.006),   # calm uptrend
    (-0.0010, 0.020),  # volatile downtrend
    (0.0000, 0.010),   # range
)
"""(daily drift, daily vol) of each synthetic state."""


def synthetic_regimes(
    n: int, seed: int = 0, stay: float = 0.98,
    params: tuple[tuple[float, float], ...] = REGIME_PARAMS,
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Seeded Markov regime-switching log returns: ``(returns, true_state)``.

    The state persists with probability ``stay`` per bar and otherwise jumps uniformly to
    another state; returns are Gaussian with the state's drift and vol (per bar).
    """
    rng = np.random.default_rng(seed)
    k = len(params)
    states = np.empty(n, dtype=np.int64)
    s = 0
    for i in range(n):
        if i and rng.random() > stay:
            s = (s + 1 + int(rng.integers(k - 1))) % k
        states[i] = s
    mu = np.array([p[0] for p in params])[states]
    sd = np.array([p[1] for p in params])[states]
    return mu + sd * rng.standard_normal(n), states


def synthetic_regime_dataset(n: int, seed: int = 0) -> Dataset:
    """A regime-switching price path as a regime dataset (features from :func:`regime_features`)."""
    rets, states = synthetic_regimes(n, seed)
    close = 100.0 * np.exp(np.cumsum(rets))
    ds = Dataset(ts=daily_ts(n), features=regime_features(close), close=close)
    ds.meta["true_state"] = states
    return ds


def synthetic_feature_panel(
    n_rows: int, n_features: int, seed: int = 0, signal: float = 0.1
) -> tuple[FloatArray, FloatArray]:
    """Seeded features and a forward return that depends weakly on the first two features.

    Returns ``(X, fwd_return)``; the signal-to-noise ratio is ``signal`` per unit of feature.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_rows, n_features))
    y = signal * (x[:, 0] - 0.5 * x[:, 1] * (x[:, 1] > 0)) + rng.standard_normal(n_rows)
    return x, y
