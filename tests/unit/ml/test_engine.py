"""The ML engine over real ports: SQLite store, in-process bus, local job runner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry

from nautilus.bus.memory import InProcessBus
from nautilus.config import PlatformConfig
from nautilus.core.engine import ENGINES, EngineContext
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import now_ns
from nautilus.jobs.local import LocalJobRunner
from nautilus.ml import MLEngine, RegimeUpdate, TrainRequest
from nautilus.ml.drift import DriftAlert
from nautilus.ml.forecast.direction import log_loss
from nautilus.ml.jobs import PriceSource, build_training_dataset, load_prices, train_and_register
from nautilus.ml.messages import ModelStageChanged
from nautilus.persistence.db import Database


class Topics:
    """Every message published on the bus, by topic."""

    def __init__(self, bus: InProcessBus) -> None:
        self.seen: list[tuple[str, Any]] = []
        bus.subscribe(">", lambda t, m: self.seen.append((t, m)))

    def on(self, prefix: str) -> list[Any]:
        return [m for t, m in self.seen if t.startswith(prefix)]


@pytest.fixture
def bus() -> InProcessBus:
    return InProcessBus()


@pytest.fixture
def engine(tmp_path: Path, db: Database, bus: InProcessBus) -> Iterator[MLEngine]:
    runner = LocalJobRunner(db, bus, max_workers=1)
    runner.start()
    ctx = EngineContext(
        config=PlatformConfig(data_dir=tmp_path / "data"), bus=bus, db=db,
        timeseries=None,  # type: ignore[arg-type]  # the ML engine does not read it
        jobs=runner, metrics=CollectorRegistry(),
    )
    eng = MLEngine(ctx)
    eng.start()
    yield eng
    eng.stop()
    runner.stop()


SYN = PriceSource(kind="synthetic", n=900, seed=4)


def _direction(name: str, **kw: Any) -> TrainRequest:
    return TrainRequest(name=name, model="direction.logistic", source=SYN, n_splits=2, **kw)


def test_engine_is_registered() -> None:
    assert ENGINES.get("ml") is MLEngine


def test_training_job_runs_in_a_worker_and_reports_progress(
    engine: MLEngine, bus: InProcessBus
) -> None:
    topics = Topics(bus)
    job_id = engine.submit_training(_direction("syn-dir", promote="always"))
    rec = engine.ctx.jobs.wait(job_id, timeout=240)
    assert rec.state == "succeeded", rec.error
    assert rec.result is not None and rec.result["promoted"] is True
    assert 0.3 < rec.result["oos"]["hit_rate"] < 0.8
    progress = [m.progress for m in topics.on(f"jobs.{job_id}")]
    assert progress == sorted(progress) and progress[-1] == 1.0
    mv = engine.registry.get("syn-dir")
    assert mv.stage == "production" and mv.metrics["oos"] == rec.result["oos"]


@pytest.mark.slow
def test_promotion_by_a_worker_job_drops_the_cached_model(engine: MLEngine) -> None:
    train_and_register(_direction("syn-dir", promote="always"), engine.registry)
    row = build_training_dataset(_direction("x")).dropna().features.iloc[-1].to_dict()
    assert engine.predict("syn-dir", row).version == 1
    job = engine.submit_training(_direction("syn-dir", promote="always"))
    assert engine.ctx.jobs.wait(job, timeout=240).state == "succeeded"
    # the terminal job event may reach the bus a moment after the row turns terminal
    deadline = time.monotonic() + 5
    while engine.predict("syn-dir", row).version != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.predict("syn-dir", row).version == 2


def test_predict_loads_once_and_follows_promotions(engine: MLEngine, bus: InProcessBus) -> None:
    topics = Topics(bus)
    for promote in ("always", "never"):
        train_and_register(_direction("d", promote=promote), engine.registry)
    ds = build_training_dataset(_direction("d")).dropna()
    row = ds.features.iloc[-1].to_dict()
    first = engine.predict("d", row)
    assert first.version == 1 and len(first.values) == 1
    _, model = engine.registry.load("d", 1)
    p = model.predict(ds.take([len(ds) - 1]))[0]
    assert first.values[0] == pytest.approx(p, rel=1e-12)
    assert first.confidence == [pytest.approx(abs(2 * p - 1))]
    loads: list[Any] = []
    real_load = engine.registry.load
    engine.registry.load = lambda *a, **k: loads.append(a) or real_load(*a, **k)  # type: ignore[method-assign]
    engine.predict("d", row)
    assert loads == []  # cached
    engine.promote("d", 2)
    assert topics.on("ml.model.d") == [topics.on("ml.model.d")[0]]
    assert isinstance(topics.on("ml.model.d")[0], ModelStageChanged)
    assert engine.predict("d", [row, row]).version == 2
    assert len(loads) == 1
    assert engine.rollback("d").version == 1
    assert engine.predict("d", row).version == 1


def test_predict_errors(engine: MLEngine) -> None:
    with pytest.raises(NotFoundError):
        engine.predict("missing", {"a": 1.0})
    train_and_register(_direction("d", promote="always"), engine.registry)
    with pytest.raises(ValidationError, match="no version 7"):
        engine.predict("d", {"a": 1.0}, version=7)
    with pytest.raises(ValidationError, match="missing features"):
        engine.predict("d", {"ret_1": 0.01})
    row = build_training_dataset(_direction("d")).dropna().features.iloc[0].to_dict()
    row["ret_1"] = float("nan")
    with pytest.raises(ValidationError, match="NaN"):
        engine.predict("d", row)


def test_regime_current_is_published_and_causal(engine: MLEngine, bus: InProcessBus) -> None:
    topics = Topics(bus)
    req = TrainRequest(name="reg", model="regime.hmm", params={"n_states": 3, "seed": 1},
                       source=PriceSource(kind="synthetic", n=700, seed=7), promote="always")
    res = train_and_register(req, engine.registry)
    assert res["stage"] == "production"
    ts, close = load_prices(req.source)
    upd = engine.regime_current("SYN", ts, close, model_name="reg")
    assert topics.on("ml.regime.SYN") == [upd]
    assert isinstance(upd, RegimeUpdate) and upd.ts_event == int(ts[-1])
    assert sum(upd.probabilities.values()) == pytest.approx(1.0)
    hist = engine.regime_history(ts, close, model_name="reg")
    assert upd.regime == hist["regime"].iloc[-1]
    cut = engine.regime_history(ts[:500], close[:500], model_name="reg")
    pd.testing.assert_frame_equal(hist.iloc[:500], cut, check_exact=True)
    with pytest.raises(ValidationError, match="at least"):
        engine.regime_history(ts[:50], close[:50], model_name="reg")


def test_drift_alerts_on_the_bus(engine: MLEngine, bus: InProcessBus) -> None:
    topics = Topics(bus)
    train_and_register(_direction("d", promote="always"), engine.registry)
    ref = engine.registry.reference("d", 1)
    calm = engine.check_drift("d", ref.sample(300, random_state=0))
    assert not calm.any_drift and topics.on("ml.drift.d") == []
    shifted = ref.copy()
    shifted["vol_21"] = shifted["vol_21"] * 3
    rep = engine.check_drift("d", shifted)
    assert rep.drifted == ["vol_21"]
    (alert,) = topics.on("ml.drift.d")
    assert isinstance(alert, DriftAlert) and alert.features == ["vol_21"]
    y = np.tile([0.0, 1.0], 50)
    rep2 = engine.check_drift("d", ref, outcomes=y, probabilities=1 - y * 0.9 - 0.05)
    assert rep2.decayed and topics.on("ml.drift.d")[-1].kind == "performance"


def test_challenger_promoted_only_if_better_out_of_sample(engine: MLEngine) -> None:
    src = PriceSource(kind="synthetic", n=1200, seed=9, first=800)
    train_and_register(
        TrainRequest(name="c", model="direction.logistic", source=src, n_splits=2,
                     promote="always"), engine.registry,
    )
    full = src.model_copy(update={"first": None})
    req = TrainRequest(name="c", model="direction.hgb", params={"max_iter": 20}, source=full,
                       n_splits=3, promote="if_better")
    res = train_and_register(req, engine.registry)
    comp = res["comparison"]
    assert comp["on"] == "rows after production's training window"
    # production's score recomputed independently on the same fresh rows
    prod_mv, prod = engine.registry.load("c", 1) if res["promoted"] else engine.registry.load("c")
    ds = build_training_dataset(req).dropna()
    fresh = ds.take(np.flatnonzero(ds.label_start > prod_mv.train_end_ns))
    assert comp["production"]["log_loss"] == pytest.approx(
        log_loss(fresh.label, prod.predict(fresh)), rel=1e-12)
    better = comp["challenger"]["log_loss"] <= comp["production"]["log_loss"]
    assert res["promoted"] is better
    assert engine.registry.get("c").version == (2 if better else 1)


@pytest.mark.slow
def test_calendar_rule_submits_a_challenger_job(engine: MLEngine) -> None:
    req = _direction("cal", promote="always")
    train_and_register(req, engine.registry)
    assert engine.maybe_retrain(req, None, at_ns=now_ns()) is None
    job_id = engine.maybe_retrain(req, None, at_ns=now_ns() + 91 * 86_400 * 10**9)
    assert job_id is not None
    rec = engine.ctx.jobs.wait(job_id, timeout=240)
    assert rec.state == "succeeded", rec.error
    assert rec.result is not None and rec.result["comparison"]["on"] in (
        "rows after production's training window", "stored out-of-sample metrics")
