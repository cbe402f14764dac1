"""Training data from the platform's time-series store: stored bars and computed feature sets.

A :class:`StoredData` source names instruments, a bar timeframe, a date range and optionally
a computed feature set (:mod:`nautilus.features.sets`). Per instrument the dataset is built
as of each bar:

* bars are read from the store (``[start, end)``, int ns UTC); nothing is fetched;
* features are the feature set's stored values joined *as of* each bar time (the last value
  at or before the bar; NaN before the first), or, without a set, the family's built-in
  causal features of the close (:func:`~nautilus.ml.dataset.direction_features` ...);
* labels look forward from the close of bar ``t`` (fixed horizon or triple barrier) and the
  rows whose horizon runs past the end of the window have no label (purged), so nothing after
  ``end`` is used.

Several instruments are pooled row by row in time order (instruments within a bar in the
order given); each row's timestamp is the bar time plus the instrument's position in
nanoseconds, which keeps timestamps unique while the label spans stay the real bar times the
purged walk-forward uses. ``meta["rows_per_bar"]`` (the instrument count) turns an embargo in
bars into rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import asof_index, to_ns
from nautilus.ml.dataset import Dataset, direction_features, log_returns, regime_features
from nautilus.ml.validation import fixed_horizon_labels, triple_barrier_labels

if TYPE_CHECKING:
    from nautilus.persistence.timeseries.base import TimeSeriesStore

MAX_TRAIN_INSTRUMENTS = 1000
"""Most instruments one training request may pool."""


class StoredData(FrozenConfig):
    """Bars (and optionally a computed feature set) from the platform's time-series store."""

    kind: Literal["stored"] = "stored"
    instruments: list[str] = Field(
        ...,
        min_length=1,
        max_length=MAX_TRAIN_INSTRUMENTS,
        description="instrument ids, e.g. AAPL.XNAS",
    )
    timeframe: Literal["1d", "1h", "1m"] = "1d"
    start: str = Field(..., description="ISO date/time (UTC if no offset) or int ns UTC")
    end: str = Field(..., description="exclusive end: ISO date/time or int ns UTC")
    feature_set: str | None = Field(
        None,
        description="computed feature set name; default: "
        "the model family's built-in price features",
    )
    feature_set_version: int | None = Field(None, ge=1, description="default: the latest")

    def window_ns(self) -> tuple[int, int]:
        """``(start_ns, end_ns)``; 422 ``bad_range`` when unparsable or empty."""
        try:
            start, end = to_ns(self.start), to_ns(self.end)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"bad start/end: {exc}", code="bad_range") from None
        if end <= start:
            raise ValidationError(
                f"end ({self.end}) must be after start ({self.start})", code="bad_range"
            )
        return start, end


class LabelSpec(FrozenConfig):
    """How supervised labels are made (the training request's label fields)."""

    label: Literal["fixed_horizon", "triple_barrier"] = "fixed_horizon"
    horizon: int = 1
    barrier_multiple: float = 1.0


def supervised_labels(
    ts: np.ndarray, close: np.ndarray, spec: LabelSpec, family: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(label, label_start, label_end)``: the 0/1 up-move label for ``direction``, the
    forward log return for ``return``; NaN where the horizon passes the last bar."""
    if spec.label == "triple_barrier":
        vol = pd.Series(log_returns(close)).rolling(21).std().to_numpy()
        lab, ret, t0, t1 = triple_barrier_labels(
            ts,
            close,
            vol,
            profit_take=spec.barrier_multiple,
            stop_loss=spec.barrier_multiple,
            max_holding=spec.horizon,
        )
        y = np.where(np.isfinite(lab), (ret > 0).astype(float), np.nan)
    else:
        y, ret, t0, t1 = fixed_horizon_labels(ts, close, spec.horizon)
    return (y if family == "direction" else ret), t0, t1


def asof_join(values: pd.DataFrame, at_ns: np.ndarray) -> pd.DataFrame:
    """Rows of ``values`` (index int ns, sorted) as known at each ``at_ns``: the last row at
    or before it, all-NaN before the first."""
    known = np.asarray(values.index, dtype=np.int64)
    idx = asof_index(known, np.asarray(at_ns, dtype=np.int64))
    data = values.to_numpy(dtype=np.float64)
    out = np.full((idx.shape[0], data.shape[1]), np.nan)
    ok = idx >= 0
    out[ok] = data[idx[ok]]
    return pd.DataFrame(out, columns=[str(c) for c in values.columns])


def _builtin_features(family: str, close: np.ndarray) -> pd.DataFrame:
    if family == "regime":
        return regime_features(close)
    if family == "volatility":
        from nautilus.ml.forecast.volatility import realized_variance_frame

        return realized_variance_frame(log_returns(close))
    return direction_features(close)


def feature_set_reader(
    store: TimeSeriesStore, name: str, version: int
) -> Callable[[str, int, int], pd.DataFrame]:
    """Reads the stored values of set ``name`` v``version`` for an instrument and range."""
    from nautilus.features.sets import feature_key

    def read(instrument: str, start_ns: int, end_ns: int) -> pd.DataFrame:
        key = feature_key(name, version, instrument)
        if not store.exists(key):
            raise NotFoundError(
                f"feature set {name!r} v{version} is not computed for {instrument!r}",
                code="features_not_computed",
                instrument_id=instrument,
            )
        return store.read(key, start_ns=start_ns, end_ns=end_ns)

    return read


_Part = tuple[
    np.ndarray, pd.DataFrame, np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray
]
"""One instrument's ``(ts, features, label, label_start, label_end, close)``."""


def build_stored_dataset(
    src: StoredData,
    family: str,
    spec: LabelSpec,
    store: TimeSeriesStore,
    feature_set_version: int | None = None,
) -> Dataset:
    """The dataset of the module docstring (``feature_set_version`` pins the set version)."""
    from nautilus.data.storage import BarStore

    start, end = src.window_ns()
    if family in ("regime", "volatility") and len(src.instruments) > 1:
        raise ValidationError(
            f"{family} models train on one instrument, got {len(src.instruments)}",
            code="one_instrument_only",
        )
    read_set = None
    if src.feature_set is not None:
        version = feature_set_version or src.feature_set_version
        if version is None:
            from nautilus.features.sets import FeatureSetCatalog

            version, _ = FeatureSetCatalog(store).get(src.feature_set)
        read_set = feature_set_reader(store, src.feature_set, version)
    bars = BarStore(store)
    parts: list[_Part] = []
    for inst in src.instruments:
        frame = bars.read_or_empty(inst, src.timeframe, start, end)
        if len(frame) == 0:
            raise ValidationError(
                f"{inst} has no stored {src.timeframe} bars in [{src.start}, {src.end})",
                code="no_stored_bars",
                instrument_id=inst,
            )
        ts = np.asarray(frame.index, dtype=np.int64)
        close = frame["close"].to_numpy(dtype=np.float64)
        feats = (
            asof_join(read_set(inst, start, end), ts)
            if read_set is not None
            else _builtin_features(family, close)
        )
        if family in ("direction", "return"):
            y, t0, t1 = supervised_labels(ts, close, spec, family)
            parts.append((ts, feats, y, t0, t1, close))
        else:
            parts.append((ts, feats, None, None, None, close))
    if len(parts) == 1:
        one = parts[0]
        return Dataset(
            ts=one[0],
            features=one[1],
            label=one[2],
            label_start=one[3],
            label_end=one[4],
            close=one[5],
            meta={"rows_per_bar": 1, "instruments": src.instruments},
        )
    return _pool(parts, src.instruments)


def _pool(parts: list[_Part], instruments: list[str]) -> Dataset:
    cols = list(parts[0][1].columns)
    # rows by bar time, then by the instrument's position in the request
    ts = np.concatenate([p[0] + i for i, p in enumerate(parts)])
    order = np.argsort(ts, kind="stable")

    def cat(k: int) -> np.ndarray:
        return np.concatenate([np.asarray(p[k]) for p in parts])[order]

    feats = pd.DataFrame(
        np.concatenate([p[1][cols].to_numpy(dtype=np.float64) for p in parts])[order], columns=cols
    )
    return Dataset(
        ts=ts[order],
        features=feats,
        label=cat(2),
        label_start=cat(3),
        label_end=cat(4),
        close=cat(5),
        meta={"rows_per_bar": len(parts), "instruments": instruments},
    )


__all__ = [
    "MAX_TRAIN_INSTRUMENTS",
    "LabelSpec",
    "StoredData",
    "asof_join",
    "build_stored_dataset",
    "feature_set_reader",
    "supervised_labels",
]
