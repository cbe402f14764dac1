"""Training datasets from the time-series store: stored bars, feature sets joined as of each
bar, labels that never look past the end of the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.data.storage import BarStore
from nautilus.features.sets import FeatureSetCatalog, FeatureSetDefinition, compute_set
from nautilus.ml.dataset import daily_ts, direction_features
from nautilus.ml.jobs import PriceSource, TrainParams, TrainRequest, build_training_dataset
from nautilus.ml.stored import LabelSpec, StoredData, asof_join, build_stored_dataset
from nautilus.persistence.timeseries.arctic import ArcticStore

N = 400
TS = daily_ts(N, start="2020-01-01")
INSTRUMENTS = ["AAA.XSYN", "BBB.XSYN"]


def _bars(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(0.01 * rng.standard_normal(N)))
    return pd.DataFrame(
        {
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": np.full(N, 1000.0),
        },
        index=pd.Index(TS, name="ts"),
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArcticStore]:
    st = ArcticStore(Path(tmp_path_factory.mktemp("ts")))
    bars = BarStore(st)
    for i, inst in enumerate(INSTRUMENTS):
        bars.upsert(inst, "1d", _bars(i))
    definition = FeatureSetDefinition.model_validate(
        {
            "name": "mom",
            "features": [
                {
                    "kind": "indicator",
                    "name": "rsi5",
                    "indicator": "rsi",
                    "params": {"timeperiod": 5},
                },
                {
                    "kind": "indicator",
                    "name": "roc3",
                    "indicator": "roc",
                    "params": {"timeperiod": 3},
                },
            ],
        }
    )
    version, _ = FeatureSetCatalog(st).define(definition)
    compute_set(definition, version, INSTRUMENTS, lambda i: bars.read(i, "1d"), {}, st)
    yield st
    st.close()


def _src(**kw: object) -> StoredData:
    base: dict[str, object] = {
        "instruments": INSTRUMENTS[:1],
        "start": "2020-03-02",
        "end": "2021-01-01",
    }
    return StoredData.model_validate(base | kw)


def test_feature_set_rows_are_joined_as_of_each_bar(store: ArcticStore) -> None:
    src = _src(feature_set="mom")
    ds = build_stored_dataset(src, "direction", LabelSpec(), store)
    start, end = src.window_ns()
    in_window = (TS >= start) & (TS < end)
    assert ds.ts.tolist() == TS[in_window].tolist()
    stored = store.read("features/mom/1/AAA.XSYN")
    np.testing.assert_array_equal(ds.features.to_numpy(), stored.loc[TS[in_window]].to_numpy())
    assert list(ds.features.columns) == ["rsi5", "roc3"]
    # the label is the next bar's direction; the last bar of the window has none, although
    # the store holds later bars: nothing after ``end`` is used
    close = _bars(0)["close"].to_numpy()[in_window]
    np.testing.assert_array_equal(ds.label[:-1], (close[1:] > close[:-1]).astype(float))
    assert np.isnan(ds.label[-1]) and TS[in_window][-1] < TS[-1]
    assert ds.label_end[0] == ds.ts[1] and ds.meta["rows_per_bar"] == 1


def test_builtin_features_without_a_set_and_return_labels(store: ArcticStore) -> None:
    ds = build_stored_dataset(_src(), "return", LabelSpec(horizon=5), store)
    close = ds.close
    pd.testing.assert_frame_equal(ds.features, direction_features(close))
    np.testing.assert_allclose(ds.label[:-5], np.log(close[5:] / close[:-5]), atol=1e-14)
    assert np.isnan(ds.label[-5:]).all()


def test_instruments_pool_in_time_order_with_real_label_spans(store: ArcticStore) -> None:
    ds = build_stored_dataset(
        _src(instruments=INSTRUMENTS, feature_set="mom"), "direction", LabelSpec(), store
    )
    one = build_stored_dataset(
        _src(instruments=INSTRUMENTS[1:], feature_set="mom"), "direction", LabelSpec(), store
    )
    assert len(ds) == 2 * len(one) and ds.meta["rows_per_bar"] == 2
    # the second instrument's rows sit 1 ns after the first's, its label spans are bar times
    np.testing.assert_array_equal(ds.ts[1::2], one.ts + 1)
    np.testing.assert_array_equal(ds.label_start[1::2], one.label_start)
    np.testing.assert_array_equal(ds.features.to_numpy()[1::2], one.features.to_numpy())
    np.testing.assert_array_equal(ds.label[1::2], one.label)


def test_asof_join_takes_the_last_known_row() -> None:
    values = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.Index([10, 20, 30]))
    out = asof_join(values, np.array([5, 10, 15, 29, 30, 99]))
    np.testing.assert_array_equal(out["x"].to_numpy(), [np.nan, 1.0, 1.0, 2.0, 3.0, 3.0])


def test_bad_stored_sources_are_422s(store: ArcticStore) -> None:
    with pytest.raises(ValidationError, match="no stored 1d bars") as exc:
        build_stored_dataset(_src(instruments=["NOPE.XSYN"]), "direction", LabelSpec(), store)
    assert exc.value.code == "no_stored_bars"
    with pytest.raises(ValidationError, match="one instrument"):
        build_stored_dataset(_src(instruments=INSTRUMENTS), "regime", LabelSpec(), store)
    with pytest.raises(ValidationError) as bad:
        _src(start="2021-01-01", end="2020-01-01").window_ns()
    assert bad.value.code == "bad_range"
    with pytest.raises(NotFoundError):
        build_stored_dataset(_src(feature_set="nosuch"), "direction", LabelSpec(), store)


def test_training_request_takes_either_source(store: ArcticStore) -> None:
    req = TrainRequest.model_validate(
        {
            "name": "m",
            "model": "direction.logistic",
            "source": {
                "kind": "stored",
                "instruments": INSTRUMENTS,
                "start": "2020-01-01",
                "end": "2021-06-01",
                "feature_set": "mom",
            },
        }
    )
    assert isinstance(req.source, StoredData)
    assert isinstance(TrainRequest(name="m", model="regime.hmm").source, PriceSource)
    params = TrainParams(**req.model_dump(), feature_set_version=1)
    ds = build_training_dataset(params, store)
    assert ds.meta["instruments"] == INSTRUMENTS and len(ds.dropna()) > 500
    with pytest.raises(ValidationError, match="time-series store"):
        build_training_dataset(req)
