"""The ``ml.train`` job: build a dataset, score the model out of sample, fit, register,
optionally promote.

Steps (progress in brackets): dataset [0.05] -> purged walk-forward out-of-sample scores
[0.05-0.8] -> final fit on all rows [0.9] -> register (``failed`` if the fit did not converge)
-> promotion by ``promote``:

* ``never`` -- stays a candidate;
* ``always`` -- promoted (unless failed);
* ``if_better`` -- promoted only if it beats the production version out of sample: both are
  scored on the rows after production's training window (out of sample for both, using the
  challenger's walk-forward predictions); when there are none, the stored out-of-sample
  metrics are compared. The metric and margin come from ``rule``.

The job runs in a worker process, so it is told where the registry lives: the ML engine
fills in ``data_dir`` and (when it carries no password) ``database_url``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.jobs.base import JOB_KINDS, Progress
from nautilus.ml.base import MODELS, Model, build_model
from nautilus.ml.dataset import (
    Dataset,
    daily_ts,
    direction_features,
    log_returns,
    regime_features,
    sp500_close,
    synthetic_regimes,
)
from nautilus.ml.drift import RetrainRule, challenger_wins
from nautilus.ml.forecast.direction import hit_rate, log_loss
from nautilus.ml.forecast.volatility import (
    HARRV,
    GarchForecaster,
    mse,
    qlike,
    realized_variance_frame,
)
from nautilus.ml.registry import ModelRegistry, ModelVersion
from nautilus.ml.stored import LabelSpec, StoredData, build_stored_dataset, supervised_labels
from nautilus.ml.validation import (
    classification_scores,
    purged_walk_forward,
    walk_forward_scores,
)

if TYPE_CHECKING:
    from nautilus.persistence.timeseries.base import TimeSeriesStore


class PriceSource(FrozenConfig):
    """Where the training prices come from: the bundled S&P 500 daily series (1999-2018) or a
    seeded synthetic regime-switching path."""

    kind: Literal["sp500", "synthetic"] = "sp500"
    n: int = Field(2000, ge=50, le=200_000, description="synthetic bars")
    seed: int = Field(0, ge=0)
    first: int | None = Field(None, ge=50, description="keep only the first N bars")
    last: int | None = Field(None, ge=50, description="then keep only the last N bars")


class TrainRequest(FrozenConfig):
    """What a user asks to train (the API request body)."""

    name: str = Field(..., min_length=1, max_length=128, description="registry name")
    model: str = Field(..., description="registered model kind, e.g. direction.hgb")
    params: dict[str, Any] = Field(default_factory=dict, description="model parameters")
    source: Annotated[PriceSource | StoredData, Field(discriminator="kind")] = PriceSource()
    label: Literal["fixed_horizon", "triple_barrier"] = "fixed_horizon"
    horizon: int = Field(1, ge=1, le=252, description="label horizon / vertical barrier, bars")
    barrier_multiple: float = Field(1.0, gt=0, description="triple barrier width, x vol")
    n_splits: int = Field(4, ge=1, le=50, description="walk-forward splits")
    embargo: int = Field(5, ge=0, le=1000, description="bars embargoed after each test block")
    promote: Literal["never", "always", "if_better"] = "never"
    rule: RetrainRule = RetrainRule()


class TrainParams(TrainRequest):
    """Job parameters: the request plus where the registry lives (set by the engine).

    ``database_url`` (and a server-side ``timeseries_location``) is only carried when it
    holds no password (job params are stored and listed); otherwise the worker resolves the
    store from the platform config (:func:`nautilus.config.load_config`: config file and
    ``NAUTILUS_*`` environment). ``feature_set_version`` pins the version of a stored
    source's feature set when the job was submitted.
    """

    data_dir: str | None = None
    database_url: str | None = None
    timeseries_backend: Literal["arctic", "postgres"] = "arctic"
    timeseries_location: str | None = None
    feature_set_version: int | None = None


def load_prices(src: PriceSource) -> tuple[np.ndarray, np.ndarray]:
    """``(ts int ns UTC, close)`` of the source."""
    if src.kind == "sp500":
        ts, close = sp500_close()
    else:
        rets, _ = synthetic_regimes(src.n, src.seed)
        ts, close = daily_ts(src.n), 100.0 * np.exp(np.cumsum(rets))
    if src.first is not None:
        ts, close = ts[: src.first], close[: src.first]
    if src.last is not None:
        ts, close = ts[-src.last :], close[-src.last :]
    return ts, close


def model_family(kind: str) -> str:
    """``regime`` / ``volatility`` / ``direction`` / ``return`` from the model's tags."""
    tags = MODELS.spec(kind).tags
    for fam in ("regime", "volatility", "direction", "return"):
        if fam in tags:
            return fam
    raise ValidationError(f"model {kind!r} has no known family tag", code="unknown_family")


def build_training_dataset(req: TrainRequest, store: TimeSeriesStore | None = None) -> Dataset:
    """The dataset the model family trains on, with label spans for supervised families.

    A :class:`~nautilus.ml.stored.StoredData` source reads ``store`` (the platform's
    time-series store).
    """
    fam = model_family(req.model)
    spec = LabelSpec(label=req.label, horizon=req.horizon, barrier_multiple=req.barrier_multiple)
    if isinstance(req.source, StoredData):
        if store is None:
            raise ValidationError(
                "stored training data needs the time-series store", code="no_timeseries_store"
            )
        pinned = getattr(req, "feature_set_version", None)
        return build_stored_dataset(req.source, fam, spec, store, pinned)
    ts, close = load_prices(req.source)
    if fam == "regime":
        return Dataset(ts=ts, features=regime_features(close), close=close)
    if fam == "volatility":
        return Dataset(ts=ts, features=realized_variance_frame(log_returns(close)), close=close)
    label, t0, t1 = supervised_labels(ts, close, spec, fam)
    return Dataset(
        ts=ts,
        features=direction_features(close),
        label=label,
        label_start=t0,
        label_end=t1,
        close=close,
    )


def _regression_scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "mse": float(np.mean((y - p) ** 2)),
        "corr": float(np.corrcoef(y, p)[0, 1]) if y.size > 2 else float("nan"),
    }


def out_of_sample(
    req: TrainRequest, ds: Dataset, progress: Progress | None = None
) -> tuple[dict[str, float], pd.Series | None]:
    """Out-of-sample scores of ``req.model`` on ``ds`` and (supervised) the OOS predictions
    indexed by ``ts``."""
    fam = model_family(req.model)
    if fam in ("direction", "return"):
        clean = ds.dropna()
        if clean.label_start is None or clean.label_end is None:
            raise ValidationError("supervised training needs label spans", code="missing_label")
        # an embargo in bars is that many rows per pooled instrument
        embargo = req.embargo * int(ds.meta.get("rows_per_bar", 1))
        splits = purged_walk_forward(
            clean.label_start,
            clean.label_end,
            req.n_splits,
            embargo,
            min_train=MODELS.get(req.model).min_rows,
        )
        scorer = classification_scores if fam == "direction" else _regression_scores

        def tick(i: int, n: int) -> None:
            if progress is not None:
                progress.update(0.05 + 0.75 * i / n, f"walk-forward split {i}/{n}")

        res = walk_forward_scores(
            lambda: build_model(req.model, req.params), clean, splits, scorer, tick
        )
        pred = pd.Series(res.oos_pred, index=clean.ts).dropna()
        return res.mean_scores() | {"n_splits": float(len(splits))}, pred
    split = int(len(ds) * 0.8)
    model = build_model(req.model, req.params)
    if isinstance(model, GarchForecaster):
        r = ds.features[model.config.returns_column].to_numpy()
        r = r[np.isfinite(r)]
        return model.evaluate_oos(r, int(r.shape[0] * 0.8)), None
    model.fit(ds.take(np.arange(split)))
    test = ds.take(np.arange(split, len(ds)))
    if isinstance(model, HARRV):
        f = model.predict(test)[:-1]
        realized = test.features[model.config.rv_column].to_numpy()[1:]
        return {"qlike": qlike(realized, f), "mse": mse(realized, f)}, None
    hmm = getattr(model, "hmm", None)
    if hmm is not None:
        x = test.dropna().X
        return {"log_likelihood_per_obs": float(hmm.score(x) / max(x.shape[0], 1))}, None
    return {}, None


def _fresh_row_scores(
    fam: str, prod: Model, prod_mv: ModelVersion, ds: Dataset, challenger_pred: pd.Series
) -> tuple[dict[str, float], dict[str, float]] | None:
    """Scores of production and challenger on rows after production's training window."""
    clean = ds.dropna()
    if fam != "direction" or prod_mv.train_end_ns is None or clean.label_start is None:
        return None
    mask = (clean.label_start > prod_mv.train_end_ns) & np.isin(clean.ts, challenger_pred.index)
    if mask.sum() < 20:
        return None
    fresh = clean.take(np.flatnonzero(mask))
    y = np.asarray(fresh.label)
    pp = prod.predict(fresh)
    pc = challenger_pred.loc[fresh.ts].to_numpy()
    return (
        {"hit_rate": hit_rate(y, pp), "log_loss": log_loss(y, pp)},
        {"hit_rate": hit_rate(y, pc), "log_loss": log_loss(y, pc)},
    )


def train_and_register(
    req: TrainRequest,
    registry: ModelRegistry,
    progress: Progress | None = None,
    store: TimeSeriesStore | None = None,
) -> dict[str, Any]:
    """Run the steps of the module docstring; return the job result."""

    def step(f: float, msg: str) -> None:
        if progress is not None:
            progress.update(f, msg)

    step(0.0, "building dataset")
    ds = build_training_dataset(req, store)
    step(0.05, "out-of-sample validation")
    oos, challenger_pred = out_of_sample(req, ds, progress)
    step(0.85, "final fit")
    model = build_model(req.model, req.params)
    error = None
    try:
        model.fit(ds)
    except (ValidationError, NotFoundError):
        raise
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    fam = model_family(req.model)
    train_ds = ds.dropna() if fam in ("direction", "return") else ds
    mv = registry.register(
        req.name, model, train_ds, model_kind=req.model, metrics={"oos": oos}, error=error
    )
    step(0.95, f"registered version {mv.version} ({mv.stage})")
    result: dict[str, Any] = {
        "name": mv.name,
        "version": mv.version,
        "stage": mv.stage,
        "oos": oos,
        "error": mv.error,
    }
    if mv.stage == "failed" or req.promote == "never":
        result["promoted"] = False
        step(1.0, "done")
        return result
    promote = req.promote == "always"
    if req.promote == "if_better":
        try:
            prod_mv, prod = registry.load(req.name)
        except (NotFoundError, ConflictError):
            prod_mv, prod = None, None
        if prod_mv is None or prod is None:
            promote = True
            result["comparison"] = "no production version"
        else:
            fresh = None
            if challenger_pred is not None:
                fresh = _fresh_row_scores(fam, prod, prod_mv, ds, challenger_pred)
            if fresh is not None:
                p_score, c_score = fresh
                result["comparison"] = {
                    "production": p_score,
                    "challenger": c_score,
                    "on": "rows after production's training window",
                }
            else:
                p_score = dict(prod_mv.metrics.get("oos", {}))
                c_score = oos
                result["comparison"] = {
                    "production": p_score,
                    "challenger": c_score,
                    "on": "stored out-of-sample metrics",
                }
            m = req.rule.metric
            promote = challenger_wins(
                req.rule, float(c_score.get(m, np.nan)), float(p_score.get(m, np.nan))
            )
    if promote:
        registry.promote(req.name, mv.version)
        result["stage"] = "production"
    result["promoted"] = promote
    step(1.0, "done")
    return result


@JOB_KINDS.register("ml.train", config=TrainParams, tags=("ml",))
def run_train(params: TrainParams, progress: Progress) -> dict[str, Any]:
    """Train, validate out of sample and register a model (see the module docstring)."""
    from pathlib import Path

    from nautilus.persistence.db import Database

    if isinstance(params, dict):
        params = TrainParams.model_validate(params)
    url, data_dir = params.database_url, params.data_dir
    location = params.timeseries_location
    stored = isinstance(params.source, StoredData)
    if url is None or data_dir is None or (stored and location is None):
        from nautilus.config import load_config

        cfg = load_config()
        url = url or cfg.sqlalchemy_url
        data_dir = data_dir or str(cfg.data_dir)
        location = location or timeseries_location(cfg)
    db = Database(url)
    store = open_timeseries(params.timeseries_backend, location) if stored else None
    try:
        return train_and_register(params, ModelRegistry(db, Path(data_dir)), progress, store)
    finally:
        if store is not None:
            store.close()
        db.dispose()


def timeseries_location(cfg: Any) -> str:
    """Where the platform's time-series store lives: the embedded store's folder or the
    server-side store's URL."""
    if cfg.timeseries.backend == "postgres":
        return str(cfg.timeseries.url or cfg.database_url or "")
    return str((cfg.data_dir / "timeseries").resolve())


def open_timeseries(backend: str, location: str | None) -> TimeSeriesStore:
    """The time-series store at ``location`` (a worker opens its own)."""
    from pathlib import Path

    if not location:
        raise ValidationError("no time-series store configured", code="no_timeseries_store")
    if backend == "postgres":
        from nautilus.persistence.timeseries.postgres import PostgresStore

        return PostgresStore(location)
    from nautilus.persistence.timeseries.arctic import ArcticStore

    return ArcticStore(Path(location))
