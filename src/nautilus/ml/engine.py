"""The ML engine: training jobs, cached in-process inference, regimes and drift on the bus.

Public methods (the API router calls these and nothing else):

* :meth:`MLEngine.submit_training` -> job id of an ``ml.train`` job;
* :meth:`MLEngine.predict` -> :class:`Prediction` from the production (or a given) version,
  loaded once and cached; the cache is dropped on ``ml.model.<name>`` stage changes;
* :meth:`MLEngine.regime_history` / :meth:`MLEngine.regime_current` -> filtered (causal)
  ensemble regimes of a close series; ``regime_current`` publishes ``ml.regime.<instrument>``;
* :meth:`MLEngine.check_drift` -> :class:`~nautilus.ml.drift.DriftReport`, publishing a
  :class:`~nautilus.ml.drift.DriftAlert` on ``ml.drift.<model>`` when drift is found;
* :meth:`MLEngine.maybe_retrain` -> job id when the retraining rule fires, else None;
* :meth:`MLEngine.models`, :meth:`MLEngine.versions`, :meth:`MLEngine.promote`,
  :meth:`MLEngine.rollback`.

Times are int ns UTC; close series are per-bar prices ordered by time.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import msgspec
import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.bus.base import Subscription
from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import now_ns
from nautilus.ml.base import MODELS, Model
from nautilus.ml.dataset import Dataset, regime_features
from nautilus.ml.drift import (
    DriftAlert,
    DriftReport,
    DriftThresholds,
    RetrainRule,
    input_drift,
    performance_decay,
    retrain_reason,
)
from nautilus.ml.forecast.direction import ReturnRegressor, _Classifier, confidence
from nautilus.ml.jobs import TrainParams, TrainRequest, timeseries_location
from nautilus.ml.messages import ModelStageChanged, RegimeUpdate
from nautilus.ml.regimes.ensemble import RegimeEnsemble
from nautilus.ml.regimes.hmm import HMMRegimeModel
from nautilus.ml.regimes.rules import RuleRegimeDetector
from nautilus.ml.registry import ModelRegistry, ModelVersion
from nautilus.ml.stored import StoredData


class Prediction(msgspec.Struct, frozen=True, kw_only=True):
    """Model output per input row; ``confidence`` (|2p-1|) for direction classifiers."""

    model: str
    version: int
    model_kind: str
    values: list[float]
    confidence: list[float] | None = None


def _feature_matrix(model: Model, features: Any) -> pd.DataFrame:
    """Accept a DataFrame, one mapping (a single row) or a list of mappings."""
    if isinstance(features, pd.DataFrame):
        frame = features
    elif isinstance(features, dict):
        frame = pd.DataFrame([features])
    elif isinstance(features, list) and all(isinstance(r, dict) for r in features):
        frame = pd.DataFrame(features)
    else:
        raise ValidationError(
            "features must be a mapping, a list of mappings or a DataFrame", code="invalid_features"
        )
    missing = [c for c in model.feature_names if c not in frame.columns]
    if missing:
        raise ValidationError(f"missing features: {', '.join(missing)}", code="missing_features")
    return frame[model.feature_names].astype(np.float64).reset_index(drop=True)


def _rows_matrix(model: Model, features: Any) -> npt.NDArray[np.float64] | None:
    """A float64 matrix straight from a mapping or a list of mappings (the low-latency path,
    no DataFrame), else None."""
    if isinstance(features, dict):
        rows: list[Any] = [features]
    elif isinstance(features, list) and features and all(isinstance(r, dict) for r in features):
        rows = features
    else:
        return None
    names = model.feature_names
    try:
        return np.array([[float(r[c]) for c in names] for r in rows], dtype=np.float64)
    except KeyError as exc:
        raise ValidationError(f"missing features: {exc.args[0]}", code="missing_features") from None
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"features must be numbers: {exc}", code="invalid_features") from None


def _warm(model: Model) -> None:
    """Compile the lean predictor and its numba kernel now, not on the first request."""
    if isinstance(model, _Classifier) and model.lean is not None:
        model.predict_proba(np.zeros((1, len(model.feature_names))))
    elif isinstance(model, ReturnRegressor) and model.lean is not None:
        model.predict_values(np.zeros((1, len(model.feature_names))))


@ENGINES.register("ml")
class MLEngine(Engine):
    """Regimes, forecasts, model registry, validation and drift (see the module docstring)."""

    name: ClassVar[str] = "ml"

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.registry = ModelRegistry(ctx.db, ctx.config.data_dir)
        self._cache: dict[tuple[str, int | None], tuple[ModelVersion, Model]] = {}
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []

    def start(self) -> None:
        self._subs = [
            self.ctx.bus.subscribe("ml.model.>", self._on_stage_change),
            self.ctx.bus.subscribe("jobs.*", self._on_job_event),
        ]
        super().start()

    def stop(self) -> None:
        for sub in self._subs:
            self.ctx.bus.unsubscribe(sub)
        self._subs = []
        with self._lock:
            self._cache.clear()
        super().stop()

    def status(self) -> dict[str, Any]:
        with self._lock:
            cached = len(self._cache)
        return super().status() | {"cached_models": cached}

    def _on_job_event(self, _topic: str, msg: Any) -> None:
        # a training job in a worker may have promoted a version: drop every cached model
        kind = getattr(msg, "kind", None) if not isinstance(msg, dict) else msg.get("kind")
        state = getattr(msg, "state", None) if not isinstance(msg, dict) else msg.get("state")
        if kind == "ml.train" and state == "succeeded":
            with self._lock:
                self._cache.clear()

    def _on_stage_change(self, _topic: str, msg: Any) -> None:
        name = msg.model if isinstance(msg, ModelStageChanged) else msg.get("model")
        with self._lock:
            for key in [k for k in self._cache if k[0] == name]:
                del self._cache[key]

    # -- training ---------------------------------------------------------------------------

    def submit_training(self, request: TrainRequest, *, owner_id: str | None = None) -> str:
        """Queue an ``ml.train`` job; returns its id (progress arrives on ``jobs.<id>``).

        Checked before anything is queued, each a 422 naming what is wrong (they are named in
        the request body, not in the path): the model kind and, for a stored source, the
        range, that every instrument has stored bars and that the feature set exists in the
        source's timeframe and is computed for every instrument. The feature set version is
        pinned at submission.
        """
        from sqlalchemy.engine import make_url

        if request.model not in MODELS:
            raise ValidationError(
                f"unknown model kind {request.model!r} (known: {', '.join(MODELS.names())})",
                code="unknown_model_kind",
                parameter="model",
            )
        cfg = self.ctx.config
        url = self.ctx.db.url
        extra: dict[str, Any] = {}
        if isinstance(request.source, StoredData):
            location = timeseries_location(cfg)
            secret = cfg.timeseries.backend == "postgres" and make_url(location).password
            extra = {
                "timeseries_backend": cfg.timeseries.backend,
                "timeseries_location": None if secret else location,
                "feature_set_version": self._check_stored(request.source, request.model),
            }
        params = TrainParams(
            **request.model_dump(),
            data_dir=str(cfg.data_dir.resolve()),
            # job params are persisted and listed: never store a password in them
            database_url=url if make_url(url).password is None else None,
            **extra,
        )
        return self.ctx.jobs.submit("ml.train", params.model_dump(mode="json"), owner_id=owner_id)

    def _check_stored(self, src: StoredData, model: str) -> int | None:
        """Validate a stored source against the store; the pinned feature set version."""
        from nautilus.data.storage import BarStore
        from nautilus.features.sets import FeatureSetCatalog, feature_key

        start, end = src.window_ns()
        store = self.ctx.timeseries
        bars = BarStore(store)
        counts = {
            i: len(bars.read(i, src.timeframe, start, end, columns=["close"]))
            if bars.exists(i, src.timeframe)
            else 0
            for i in src.instruments
        }
        missing = [i for i, n in counts.items() if n == 0]
        if missing:
            raise ValidationError(
                f"no stored {src.timeframe} bars in [{src.start}, {src.end}) for "
                f"{', '.join(missing[:10])}"
                + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""),
                code="no_stored_bars",
                instruments=missing[:100],
            )
        need = MODELS.get(model).min_rows
        if sum(counts.values()) < need:
            raise ValidationError(
                f"{model}: too little data: {sum(counts.values())} stored bars in the window, "
                f"at least {need} needed",
                code="too_little_data",
            )
        if src.feature_set is None:
            return None
        try:
            version, definition = FeatureSetCatalog(store).get(
                src.feature_set, src.feature_set_version
            )
        except NotFoundError as exc:
            raise ValidationError(exc.detail, code=exc.code, parameter="feature_set") from None
        if definition.timeframe != src.timeframe:
            raise ValidationError(
                f"feature set {src.feature_set!r} is on {definition.timeframe} bars, the "
                f"source on {src.timeframe}",
                code="timeframe_mismatch",
            )
        uncomputed = [
            i for i in src.instruments if not store.exists(feature_key(src.feature_set, version, i))
        ]
        if uncomputed:
            raise ValidationError(
                f"feature set {src.feature_set!r} v{version} is not computed for "
                f"{', '.join(uncomputed[:10])}",
                code="features_not_computed",
                instruments=uncomputed[:100],
            )
        return version

    # -- registry ---------------------------------------------------------------------------

    def models(self) -> list[str]:
        return self.registry.names()

    def versions(self, name: str) -> list[ModelVersion]:
        return self.registry.versions(name)

    def promote(self, name: str, version: int) -> ModelVersion:
        mv = self.registry.promote(name, version)
        self._announce(mv)
        return mv

    def rollback(self, name: str) -> ModelVersion:
        mv = self.registry.rollback(name)
        self._announce(mv)
        return mv

    def _announce(self, mv: ModelVersion) -> None:
        self.ctx.bus.publish(
            f"ml.model.{mv.name}",
            ModelStageChanged(model=mv.name, version=mv.version, stage=mv.stage, ts_event=now_ns()),
        )

    # -- inference --------------------------------------------------------------------------

    def load(self, name: str, version: int | None = None) -> tuple[ModelVersion, Model]:
        """The cached ``(metadata, model)`` (production when ``version`` is None)."""
        key = (name, version)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        loaded = self.registry.load(name, version)
        _warm(loaded[1])
        with self._lock:
            self._cache[key] = loaded
        return loaded

    def is_cached(self, name: str, version: int | None = None) -> bool:
        """Whether :meth:`load` would answer from memory (no disk or database read)."""
        with self._lock:
            return (name, version) in self._cache

    def predict(self, model_name: str, features: Any, version: int | None = None) -> Prediction:
        """Predict with ``model_name`` on feature rows (mapping, list of mappings, DataFrame).

        Raises NotFoundError for an unknown model/version, ValidationError for missing
        features.
        """
        mv, model = self.load(model_name, version)
        if isinstance(model, _Classifier | ReturnRegressor):
            x = _rows_matrix(model, features)
            if x is None:
                x = _feature_matrix(model, features).to_numpy()
            if not np.isfinite(x).all():
                raise ValidationError("features contain NaN or inf", code="non_finite_features")
            if isinstance(model, ReturnRegressor):
                return Prediction(
                    model=model_name,
                    version=mv.version,
                    model_kind=mv.model_kind,
                    values=model.predict_values(x).tolist(),
                )
            p = model.predict_proba(x)
            return Prediction(
                model=model_name,
                version=mv.version,
                model_kind=mv.model_kind,
                values=p.tolist(),
                confidence=confidence(p).tolist(),
            )
        frame = _feature_matrix(model, features)
        ds = Dataset(ts=np.arange(len(frame), dtype=np.int64), features=frame)
        vals = model.predict(ds)
        return Prediction(
            model=model_name,
            version=mv.version,
            model_kind=mv.model_kind,
            values=[float(v) for v in vals],
        )

    # -- regimes ----------------------------------------------------------------------------

    def regime_history(
        self,
        ts: npt.ArrayLike,
        close: npt.ArrayLike,
        *,
        model_name: str,
        version: int | None = None,
        hmm_weight: float = 0.6,
    ) -> pd.DataFrame:
        """Filtered ensemble regimes per bar (see :class:`RegimeEnsemble`), index ``ts``."""
        mv, model = self.load(model_name, version)
        if not isinstance(model, HMMRegimeModel):
            raise ValidationError(f"{model_name} is not a regime model", code="not_regime_model")
        c = np.asarray(close, dtype=np.float64)
        ds = Dataset(ts=np.asarray(ts, dtype=np.int64), features=regime_features(c), close=c)
        rules = RuleRegimeDetector()
        if len(ds) < rules.min_rows:
            raise ValidationError(
                f"regimes need at least {rules.min_rows} bars, got {len(ds)}",
                code="too_little_data",
            )
        out = RegimeEnsemble(model, rules, hmm_weight).regimes(ds)
        out["hmm_regime"] = pd.Series(model.predict(ds), index=out.index)
        out["rules_regime"] = rules.predict(ds)
        out.attrs["model_version"] = mv.version
        return out

    def regime_current(
        self,
        instrument: str,
        ts: npt.ArrayLike,
        close: npt.ArrayLike,
        *,
        model_name: str,
        version: int | None = None,
        publish: bool = True,
    ) -> RegimeUpdate:
        """The regime at the last bar; published on ``ml.regime.<instrument>``."""
        from nautilus.ml.regimes.base import REGIMES

        hist = self.regime_history(ts, close, model_name=model_name, version=version)
        last = hist.iloc[-1]
        if last["regime"] is None:
            raise ValidationError("the series is still warming up", code="too_little_data")

        def name(code: float) -> str:
            return REGIMES[int(code)] if np.isfinite(code) else "unknown"

        msg = RegimeUpdate(
            instrument=instrument,
            regime=str(last["regime"]),
            confidence=float(last["confidence"]),
            probabilities={r: float(last[r]) for r in REGIMES},
            hmm_regime=name(float(last["hmm_regime"])),
            rules_regime=name(float(last["rules_regime"])),
            model=model_name,
            version=int(hist.attrs["model_version"]),
            ts_event=int(hist.index[-1]),
            ts_init=now_ns(),
        )
        if publish:
            self.ctx.bus.publish(f"ml.regime.{instrument}", msg)
        return msg

    # -- drift ------------------------------------------------------------------------------

    def check_drift(
        self,
        model_name: str,
        live_features: pd.DataFrame,
        *,
        outcomes: npt.ArrayLike | None = None,
        probabilities: npt.ArrayLike | None = None,
        thresholds: DriftThresholds | None = None,
        version: int | None = None,
    ) -> DriftReport:
        """Input drift against the version's training features and, given ``outcomes`` and
        ``probabilities``, performance decay against its out-of-sample metrics (training
        metrics when none). Publishes :class:`DriftAlert` on ``ml.drift.<model>``."""
        mv, _ = self.load(model_name, version)
        reference = self.registry.reference(model_name, mv.version)
        report = input_drift(reference, live_features, thresholds)
        ts = now_ns()
        if report.drifted:
            self.ctx.bus.publish(
                f"ml.drift.{model_name}",
                DriftAlert(
                    model=model_name,
                    version=mv.version,
                    kind="input",
                    features=report.drifted,
                    details={k: report.features[k] for k in report.drifted},
                    ts_event=ts,
                ),
            )
        if outcomes is not None and probabilities is not None:
            baseline = mv.metrics.get("oos") or mv.metrics.get("train", {})
            _, summary, decayed = performance_decay(outcomes, probabilities, baseline, thresholds)
            report.performance, report.decayed = summary, decayed
            if decayed:
                self.ctx.bus.publish(
                    f"ml.drift.{model_name}",
                    DriftAlert(
                        model=model_name,
                        version=mv.version,
                        kind="performance",
                        features=[],
                        details=summary,
                        ts_event=ts,
                    ),
                )
        return report

    def maybe_retrain(
        self,
        request: TrainRequest,
        report: DriftReport | None,
        *,
        at_ns: int | None = None,
        owner_id: str | None = None,
    ) -> str | None:
        """Submit a challenger training job (promoted only if better) when the rule fires."""
        mv = self.registry.get(request.name)
        trained = mv.created_at
        reason = retrain_reason(
            request.rule,
            report,
            int(trained.timestamp() * 1e9),
            at_ns if at_ns is not None else now_ns(),
        )
        if reason is None:
            return None
        req = request.model_copy(update={"promote": "if_better"})
        return self.submit_training(req, owner_id=owner_id)


__all__ = ["MLEngine", "Prediction", "RetrainRule"]
