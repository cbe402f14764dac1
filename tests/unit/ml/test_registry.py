"""Model registry: versions, artefacts, lineage, stages, promote / roll back, failures."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import nautilus
from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.ml.dataset import Dataset, daily_ts
from nautilus.ml.forecast.direction import DirectionConfig, LogisticDirection
from nautilus.ml.registry import ModelRegistry
from nautilus.ml.tables import ModelVersionRow


def _dataset(seed: int, n: int = 300) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = (x[:, 0] + rng.standard_normal(n) > 0).astype(float)
    return Dataset(ts=daily_ts(n), features=pd.DataFrame(x, columns=["a", "b", "c"]), label=y)


def _fit(seed: int) -> tuple[LogisticDirection, Dataset]:
    ds = _dataset(seed)
    return LogisticDirection(DirectionConfig(calibration="none")).fit(ds), ds


def test_register_writes_artefact_metadata_and_lineage(registry: ModelRegistry) -> None:
    model, ds = _fit(0)
    mv = registry.register("spx-dir", model, ds, model_kind="direction.logistic",
                           metrics={"oos": {"log_loss": 0.6}})
    assert (mv.version, mv.stage) == (1, "candidate")
    folder = registry.root / "spx-dir" / "1"
    assert (folder / "model.joblib").exists()
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["version"] == 1 and meta["features"] == ["a", "b", "c"]
    expected_hash = hashlib.sha256(ds.X.tobytes())
    expected_hash.update(ds.label.tobytes())  # type: ignore[union-attr]
    assert mv.data_hash == expected_hash.hexdigest() == meta["data_hash"]
    assert mv.code_version == nautilus.__version__
    assert (mv.train_start_ns, mv.train_end_ns) == (int(ds.ts[0]), int(ds.ts[-1]))
    assert mv.params["calibration"] == "none"
    assert mv.metrics["oos"] == {"log_loss": 0.6}
    assert mv.metrics["train"]["hit_rate"] == pytest.approx(model.train_metrics["hit_rate"])
    # the row is in the relational store
    with registry.db.session() as s:
        row = s.scalar(select(ModelVersionRow).where(ModelVersionRow.name == "spx-dir"))
        assert row is not None and row.data_hash == mv.data_hash
    # the loaded model predicts exactly as the fitted one
    _, loaded = registry.load("spx-dir", 1)
    np.testing.assert_array_equal(loaded.predict(ds), model.predict(ds))
    pd.testing.assert_frame_equal(registry.reference("spx-dir", 1), ds.features)


def test_promote_archives_old_and_rollback_restores(registry: ModelRegistry) -> None:
    for seed in (1, 2, 3):
        m, ds = _fit(seed)
        registry.register("m", m, ds, model_kind="direction.logistic")
    registry.promote("m", 1)
    assert registry.get("m").version == 1
    p2 = registry.promote("m", 2)
    assert p2.previous_production == 1
    stages = {v.version: v.stage for v in registry.versions("m")}
    assert stages == {1: "archived", 2: "production", 3: "candidate"}
    registry.promote("m", 3)
    back = registry.rollback("m")
    assert back.version == 2
    stages = {v.version: v.stage for v in registry.versions("m")}
    assert stages == {1: "archived", 2: "production", 3: "archived"}
    back = registry.rollback("m")
    assert back.version == 1
    with pytest.raises(ConflictError, match="no rollback target"):
        registry.rollback("m")
    assert sum(v.stage == "production" for v in registry.versions("m")) == 1


def test_unconverged_or_erroring_fit_is_failed_and_never_production(
    registry: ModelRegistry,
) -> None:
    m, ds = _fit(4)
    m.converged = False
    mv = registry.register("m", m, ds, model_kind="direction.logistic")
    assert mv.stage == "failed" and "did not converge" in (mv.error or "")
    assert not (registry.root / "m" / "1" / "model.joblib").exists()
    with pytest.raises(ConflictError, match="cannot be promoted"):
        registry.promote("m", 1)
    with pytest.raises(ConflictError):
        registry.load("m", 1)
    m2, ds2 = _fit(5)
    mv2 = registry.register("m", m2, ds2, model_kind="direction.logistic", error="LinAlgError")
    assert mv2.stage == "failed" and mv2.version == 2


def test_unknown_names_and_versions(registry: ModelRegistry) -> None:
    with pytest.raises(NotFoundError, match="unknown model"):
        registry.get("nope")
    with pytest.raises(NotFoundError, match="unknown model"):
        registry.load("nope")
    m, ds = _fit(6)
    registry.register("x", m, ds, model_kind="direction.logistic")
    with pytest.raises(ValidationError, match="no version 9"):
        registry.get("x", 9)
    with pytest.raises(NotFoundError, match="no production version"):
        registry.load("x")
    with pytest.raises(ValidationError):
        registry.register("../evil", m, ds, model_kind="direction.logistic")
    assert registry.names() == ["x"]


def test_failed_garch_fit_is_recorded_failed(registry: ModelRegistry) -> None:
    from nautilus.ml.dataset import sp500_close
    from nautilus.ml.forecast.volatility import (
        GarchConfig,
        GarchForecaster,
        realized_variance_frame,
    )

    ts, close = sp500_close()
    r = np.diff(np.log(close[-800:]))
    ds = Dataset(ts=ts[-799:], features=realized_variance_frame(r))
    bad = GarchForecaster(GarchConfig(max_iter=2)).fit(ds)
    mv = registry.register("vol", bad, ds, model_kind="vol.garch")
    assert mv.stage == "failed"
    good = GarchForecaster(GarchConfig()).fit(ds)
    assert good.converged
    mv2 = registry.register("vol", good, ds, model_kind="vol.garch")
    assert registry.promote("vol", mv2.version).stage == "production"
    with pytest.raises(ConflictError):
        registry.promote("vol", mv.version)
