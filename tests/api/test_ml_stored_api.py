"""ML over the platform's stored data: train from stored bars and a computed feature set
through ``POST /api/v1/ml/train`` (a real worker job), predict, regimes from stored bars.

One module-scoped platform (SQLite, ArcticDB, local job runner) with synthetic sample
instruments and two years of daily bars.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from nautilus.api import create_app
from nautilus.config import DataConfig
from nautilus.data.loader import load_sample_data
from nautilus.features.engine import FeaturesEngine
from nautilus.ml import MLEngine
from nautilus.ml.regimes.base import REGIMES
from nautilus.platform import Platform

from .conftest import Headers, api_config

ML = "/api/v1/ml"
UNIVERSE = ["TEC01.XSYN", "HLT01.XSYN", "FIN01.XSYN"]
WINDOW = {"start": "2015-01-01", "end": "2030-01-01"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    config = api_config(
        tmp_path_factory.mktemp("ml-stored-api"),
        engines=("data", "features", "ml"),
        data=DataConfig(sources={"synthetic": {}}),
    )
    p = Platform(config)
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, announce=False)) as c:
        load_sample_data(platform, size=8, years=2, minute_weeks=0, real=False)
        yield c


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def _wait(platform: Platform, r: Any) -> dict[str, Any]:
    assert r.status_code == 202, r.text
    job = platform.jobs.wait(r.json()["job_id"], timeout=300)
    assert job.state.value == "succeeded", job.error
    assert job.result is not None
    return job.result


def test_train_from_a_stored_feature_set_then_predict(
    client: TestClient, platform: Platform, admin: Headers
) -> None:
    definition = {
        "name": "ml-mom",
        "features": [
            {
                "kind": "indicator",
                "name": "rsi14",
                "indicator": "rsi",
                "params": {"timeperiod": 14},
            },
            {"kind": "indicator", "name": "roc5", "indicator": "roc", "params": {"timeperiod": 5}},
            {
                "kind": "indicator",
                "name": "roc21",
                "indicator": "roc",
                "params": {"timeperiod": 21},
            },
        ],
    }
    assert client.post("/api/v1/features/sets", json=definition, headers=admin).status_code == 201
    _wait(
        platform,
        client.post(
            "/api/v1/features/sets/ml-mom/compute",
            headers=admin,
            json={"instruments": UNIVERSE, **WINDOW},
        ),
    )
    source = {"kind": "stored", "instruments": UNIVERSE, "feature_set": "ml-mom", **WINDOW}
    body = {
        "name": "stored-dir",
        "model": "direction.hgb",
        "source": source,
        "params": {"max_iter": 30},
        "n_splits": 2,
        "promote": "always",
    }
    result = _wait(platform, client.post(f"{ML}/train", json=body, headers=admin))
    assert result["promoted"] is True and result["version"] == 1
    assert 0.3 < result["oos"]["hit_rate"] < 0.7 and result["oos"]["n_splits"] == 2.0

    versions = client.get(f"{ML}/models/stored-dir/versions", headers=admin).json()
    assert versions[0]["features"] == ["rsi14", "roc5", "roc21"]
    # pooled rows: three instruments per bar, minus warm-up rows and the purged last bar
    features = platform.engine("features")
    assert isinstance(features, FeaturesEngine)
    _, stored = features.read_set("ml-mom", "TEC01.XSYN")
    complete = int(np.isfinite(stored.to_numpy()).all(axis=1).sum())
    assert versions[0]["n_rows"] == 3 * (complete - 1)

    last = stored.iloc[-1]
    row = {c: float(last[c]) for c in ["rsi14", "roc5", "roc21"]}
    r = client.post(f"{ML}/predict/stored-dir", json={"features": row}, headers=admin)
    assert r.status_code == 200, r.text
    pred = r.json()
    assert pred["model_kind"] == "direction.hgb" and pred["version"] == 1
    ml = platform.engine("ml")
    assert isinstance(ml, MLEngine)
    _, model = ml.load("stored-dir")
    expected = model.estimator.predict_proba(np.array([list(row.values())]))[0, 1]  # type: ignore[attr-defined]
    assert pred["values"][0] == pytest.approx(expected, abs=1e-12)
    assert pred["confidence"][0] == pytest.approx(abs(2 * expected - 1), abs=1e-12)


def test_stored_sources_are_checked_before_queueing(client: TestClient, admin: Headers) -> None:
    def train(source: dict[str, Any], model: str = "direction.logistic") -> Any:
        return client.post(
            f"{ML}/train", headers=admin, json={"name": "bad", "model": model, "source": source}
        )

    base = {"kind": "stored", "instruments": UNIVERSE[:1], **WINDOW}
    assert problem(train({**base, "instruments": ["NOPE.XSYN"]}), 422)["code"] == "no_stored_bars"
    short = {**base, "start": "2024-06-03", "end": "2024-07-01"}
    too_little = problem(train(short), 422)
    assert too_little["code"] == "too_little_data" and "at least 100" in too_little["detail"]
    assert problem(train({**base, "feature_set": "nosuch"}), 422)["code"] == "unknown_feature_set"
    uncomputed = problem(
        train({**base, "instruments": ["IND01.XSYN"], "feature_set": "ml-mom"}), 422
    )
    assert uncomputed["code"] == "features_not_computed"
    assert problem(train({**base, "end": "2014-01-01"}), 422)["code"] == "bad_range"
    nan = client.post(
        f"{ML}/predict/stored-dir", headers=admin, json={"features": {"rsi14": 50.0, "roc5": 0.1}}
    )
    assert problem(nan, 422)["code"] == "missing_features"


def test_regime_from_stored_bars_is_published(
    client: TestClient, platform: Platform, admin: Headers
) -> None:
    source = {"kind": "stored", "instruments": ["ENE01.XSYN"], **WINDOW}
    body = {
        "name": "stored-regime",
        "model": "regime.hmm",
        "source": source,
        "params": {"n_states": 3},
        "promote": "always",
    }
    assert _wait(platform, client.post(f"{ML}/train", json=body, headers=admin))["promoted"]
    seen: list[tuple[str, Any]] = []
    sub = platform.bus.subscribe("ml.regime.>", lambda t, m: seen.append((t, m)))
    try:
        r = client.get(f"{ML}/regime/ENE01.XSYN", params={"model": "stored-regime"}, headers=admin)
    finally:
        platform.bus.unsubscribe(sub)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["regime"] in REGIMES and out["version"] == 1
    assert sum(out["probabilities"].values()) == pytest.approx(1.0)
    data = platform.engine("data")
    bars = data.bars_frame("ENE01.XSYN", "1d", 0, 2**62)  # type: ignore[attr-defined]
    assert out["ts_event"] == int(bars.index[-1])
    assert [t for t, _ in seen] == ["ml.regime.ENE01.XSYN"]
    assert seen[0][1].regime == out["regime"]
    problem(
        client.get(f"{ML}/regime/NOPE.XSYN", params={"model": "stored-regime"}, headers=admin), 404
    )


def test_regime_history_from_stored_bars(
    client: TestClient, platform: Platform, admin: Headers
) -> None:
    r = client.get(
        f"{ML}/regime/ENE01.XSYN/history", params={"model": "stored-regime"}, headers=admin
    )
    assert r.status_code == 200, r.text
    hist = r.json()
    ml = platform.engine("ml")
    data = platform.engine("data")
    assert isinstance(ml, MLEngine)
    bars = data.bars_frame("ENE01.XSYN", "1d", 0, 2**62)  # type: ignore[attr-defined]
    direct = ml.regime_history(
        bars.index.to_numpy(), bars["close"].to_numpy(), model_name="stored-regime"
    )
    direct = direct[direct["regime"].notna()]
    assert hist["ts"] == [int(t) for t in direct.index]
    assert hist["regime"] == direct["regime"].tolist()
    assert hist["confidence"] == pytest.approx(direct["confidence"].tolist())
    # the last bar's regime is the current regime
    now = client.get(
        f"{ML}/regime/ENE01.XSYN", params={"model": "stored-regime"}, headers=admin
    ).json()
    assert hist["regime"][-1] == now["regime"] and hist["ts"][-1] == now["ts_event"]
