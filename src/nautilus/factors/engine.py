"""The factors engine: evaluate factors over a universe of stored bars, as a job or in process.

* :meth:`FactorsEngine.submit_evaluation` checks every factor first (an unknown name is 404,
  an expression that does not parse is 422 with the 0-based ``position`` and the ``token``),
  then queues the ``factors.evaluate`` job over a :class:`~nautilus.factors.sources.
  StorePanelSource` pointing at this platform's stores. Progress arrives on ``jobs.<id>``; when
  the job ends the engine publishes :class:`FactorsEvaluated` on ``factors.<name>``.
* :meth:`FactorsEngine.evaluate` runs the same evaluation in this process through the data
  engine (store first, then the configured sources) - for the CLI and small universes.
* Results are JSON (see :func:`evaluation_result`): per factor the IC / rank IC summaries
  (mean, std, IR, annualised IR, t-stat, hit rate), mean forward return per quantile, the
  top-minus-bottom spread, top/bottom quantile turnover, rank autocorrelation, the IC decay
  over horizons 1..``decay_horizons`` and the per-date series; plus the factor correlation
  matrix (time-mean of the per-date Spearman correlation). :func:`result_plot` and
  :func:`result_report` render PNG plots and the HTML tear sheet from that JSON.

Conventions: dates are bar close times, int ns UTC; factor values at row ``t`` use only data
known at the close of ``t`` and are scored against ``close[t + horizon] / close[t] - 1``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import msgspec
import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.bus.base import Subscription, message_type
from nautilus.core.config import FrozenConfig
from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import now_ns
from nautilus.factors import evaluation, plots
from nautilus.factors.job import SyntheticPanelSource, build_panel, describe_panel
from nautilus.factors.library import FACTORS, Factor, resolve
from nautilus.factors.panel import Panel
from nautilus.factors.sources import MAX_UNIVERSE, StorePanelSource, panel_from_engine, parse_range
from nautilus.jobs.base import JOB_KINDS, JobRecord, Progress

EVALUATE_JOB = "factors.evaluate"
MAX_FACTORS = 50
NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
PLOT_KINDS = ("ic", "rank_ic", "quantiles", "decay", "correlation")


class FactorEvaluationRequest(FrozenConfig):
    """What to evaluate: factors (registered names or expressions) over a stored universe."""

    name: str = Field("adhoc", pattern=NAME_PATTERN,
                      description="factor set name; completion is published on factors.<name>")
    factors: list[str] = Field(..., min_length=1, max_length=MAX_FACTORS,
                               description="registered factor names or expressions")
    instruments: list[str] = Field(..., min_length=2, max_length=MAX_UNIVERSE)
    start: str = Field(description="first bar close: ISO date/time (UTC) or int ns")
    end: str = Field(description="exclusive end: ISO date/time (UTC) or int ns")
    timeframe: Literal["1d"] = "1d"
    horizon: int = Field(1, ge=1, le=63, description="forward-return horizon, rows")
    n_quantiles: int = Field(5, ge=2, le=10)
    decay_horizons: int = Field(10, ge=1, le=20, description="IC decay horizons 1..n")


class FactorEvaluationParams(FrozenConfig):
    """Params of the ``factors.evaluate`` job."""

    name: str = Field("adhoc", pattern=NAME_PATTERN)
    factors: list[str] = Field(..., min_length=1, max_length=MAX_FACTORS)
    panel: SyntheticPanelSource | StorePanelSource = Field(
        default_factory=SyntheticPanelSource,
        description="synthetic (the default when 'kind' is left out) or stored bars")
    horizon: int = Field(1, ge=1, le=63)
    n_quantiles: int = Field(5, ge=2, le=10)
    decay_horizons: int = Field(10, ge=1, le=20)


@message_type
class FactorsEvaluated(msgspec.Struct, frozen=True, kw_only=True):
    """Published on ``factors.<name>`` when a ``factors.evaluate`` job ends."""

    name: str
    job_id: str
    state: str
    factors: list[str]
    error: str | None = None
    ts_event: int


def _num(x: Any) -> float | None:
    v = float(x)
    return v if np.isfinite(v) else None


def _nums(values: Any) -> list[float | None]:
    arr = np.asarray(values, dtype=np.float64)
    return [v if np.isfinite(v) else None for v in arr.tolist()]


def _mean(s: pd.Series) -> float | None:
    v = s.to_numpy(dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def _factor_json(res: Mapping[str, Any]) -> dict[str, Any]:
    qret: pd.DataFrame = res["quantile_returns"]
    decay: pd.DataFrame = res["decay"]
    return {
        "ic": {k: _num(v) for k, v in res["ic_summary"].items()},
        "rank_ic": {k: _num(v) for k, v in res["rank_ic_summary"].items()},
        "quantile_mean": {str(k): _num(v) for k, v in res["quantile_mean"].items()},
        "spread_mean": _mean(res["spread"]),
        "turnover_top_mean": _mean(res["turnover_top"]),
        "turnover_bottom_mean": _mean(res["turnover_bottom"]),
        "rank_autocorrelation_mean": _mean(res["rank_autocorrelation"]),
        "decay": {"horizon": [int(h) for h in decay.index],
                  "ic": _nums(decay["ic"]), "rank_ic": _nums(decay["rank_ic"])},
        "series": {
            "ic": _nums(res["ic"]), "rank_ic": _nums(res["rank_ic"]),
            "quantile_returns": {str(c): _nums(qret[c]) for c in qret.columns},
            "turnover_top": _nums(res["turnover_top"]),
            "turnover_bottom": _nums(res["turnover_bottom"]),
        },
    }


def evaluation_result(factors: list[Factor], panel: Panel, *, horizon: int, n_quantiles: int,
                      decay_horizons: int,
                      progress: Callable[[float, str], None] | None = None,
                      cancelled: Callable[[], bool] = lambda: False) -> dict[str, Any]:
    """Evaluate ``factors`` over ``panel`` into the JSON result (see the module docstring).

    A factor the panel cannot serve (a missing field, say) gets ``{"error", "code"}`` and does
    not sink the others.
    """
    close = panel["close"]
    out: dict[str, Any] = {}
    values: dict[str, np.ndarray] = {}
    for i, factor in enumerate(factors):
        if cancelled():
            break
        try:
            vals = factor.compute(panel)
        except ValidationError as exc:
            out[factor.name] = {"error": exc.detail, "code": exc.code}
        else:
            res = evaluation.evaluate_factor(vals, close, panel.dates, horizon=horizon,
                                             n_quantiles=n_quantiles,
                                             decay_horizons=decay_horizons)
            out[factor.name] = _factor_json(res)
            values[factor.name] = vals
        if progress is not None:
            progress((i + 1) / len(factors), f"evaluated {factor.name}")
    corr = evaluation.factor_correlation(values) if len(values) > 1 else None
    names = list(values)
    return {
        "dates": [int(d) for d in panel.dates],
        "horizon": horizon,
        "n_quantiles": n_quantiles,
        "factors": out,
        "correlation": {"factors": names,
                        "matrix": [_nums(row) for row in corr.to_numpy()] if corr is not None
                        else [[1.0]] if names else []},
        "cancelled": cancelled(),
    }


@JOB_KINDS.register(EVALUATE_JOB, config=FactorEvaluationParams, tags=("factors",))
def run_factor_evaluation(params: FactorEvaluationParams, progress: Progress) -> dict[str, Any]:
    """Build the panel, evaluate every factor (progress after each), return the JSON result."""
    if isinstance(params, dict):
        params = FactorEvaluationParams.model_validate(params)
    factors = [resolve(f) for f in params.factors]
    progress.update(0.0, "building panel")
    panel = build_panel(params.panel, progress)
    result = evaluation_result(
        factors, panel, horizon=params.horizon, n_quantiles=params.n_quantiles,
        decay_horizons=params.decay_horizons,
        progress=lambda f, m: progress.update(0.2 + 0.8 * f, m),
        cancelled=lambda: progress.cancelled)
    return {"name": params.name, "panel": describe_panel(params.panel, panel), **result}


def _factor_entry(result: Mapping[str, Any], factor: str) -> dict[str, Any]:
    entry = result.get("factors", {}).get(factor)
    if entry is None:
        known = ", ".join(result.get("factors", {})) or "none"
        raise NotFoundError(f"factor {factor!r} is not in this evaluation (has: {known})",
                            code="unknown_factor", factor=factor)
    if "error" in entry:
        raise ValidationError(f"factor {factor!r} could not be evaluated: {entry['error']}",
                              code=entry.get("code", "factor_failed"), factor=factor)
    return dict(entry)


def _series(values: list[float | None], dates: pd.DatetimeIndex, name: str) -> pd.Series:
    return pd.Series(np.array([np.nan if v is None else v for v in values]), index=dates,
                     name=name)


def _tear_sheet(result: Mapping[str, Any], factor: str) -> dict[str, Any]:
    """The pandas objects :mod:`nautilus.factors.plots` takes, rebuilt from the JSON result."""
    entry = _factor_entry(result, factor)
    dates = pd.DatetimeIndex(pd.to_datetime(result["dates"], unit="ns", utc=True), name="date")
    s = entry["series"]
    qret = pd.DataFrame({q: _series(v, dates, q) for q, v in s["quantile_returns"].items()})
    decay = pd.DataFrame({"ic": [np.nan if v is None else v for v in entry["decay"]["ic"]],
                          "rank_ic": [np.nan if v is None else v
                                      for v in entry["decay"]["rank_ic"]]},
                         index=pd.Index(entry["decay"]["horizon"], name="horizon"))

    def summary(d: Mapping[str, float | None]) -> dict[str, float]:
        return {k: float("nan") if v is None else float(v) for k, v in d.items()}

    return {
        "ic": _series(s["ic"], dates, "ic"), "rank_ic": _series(s["rank_ic"], dates, "rank_ic"),
        "ic_summary": summary(entry["ic"]), "rank_ic_summary": summary(entry["rank_ic"]),
        "quantile_returns": qret, "quantile_mean": qret.mean(), "decay": decay,
        "horizon": int(result["horizon"]),
    }


def _correlation(result: Mapping[str, Any]) -> pd.DataFrame | None:
    corr = result.get("correlation") or {}
    names = corr.get("factors") or []
    if len(names) < 2:
        return None
    mat = np.array([[np.nan if v is None else v for v in row] for row in corr["matrix"]])
    return pd.DataFrame(mat, index=names, columns=names)


def result_plot(result: Mapping[str, Any], kind: str, factor: str | None = None) -> bytes:
    """A PNG of one evaluation result: ``ic``, ``rank_ic``, ``quantiles``, ``decay`` (need
    ``factor``) or ``correlation`` (needs at least two evaluated factors)."""
    if kind not in PLOT_KINDS:
        raise ValidationError(f"unknown plot {kind!r} (allowed: {', '.join(PLOT_KINDS)})",
                              code="unknown_plot", allowed=list(PLOT_KINDS))
    if kind == "correlation":
        corr = _correlation(result)
        if corr is None:
            raise ValidationError("a correlation plot needs at least two evaluated factors",
                                  code="too_few_factors")
        return plots.correlation_heatmap(corr)
    if factor is None:
        raise ValidationError(f"the {kind} plot needs a factor", code="missing_factor")
    sheet = _tear_sheet(result, factor)
    if kind == "ic":
        return plots.ic_plot(sheet["ic"], title=f"IC: {factor}")
    if kind == "rank_ic":
        return plots.ic_plot(sheet["rank_ic"], title=f"Rank IC: {factor}")
    if kind == "quantiles":
        return plots.quantile_plot(sheet["quantile_returns"], title=f"Quantiles: {factor}")
    return plots.decay_plot(sheet["decay"], title=f"IC decay: {factor}")


def result_report(result: Mapping[str, Any], factor: str) -> str:
    """The self-contained HTML tear sheet of one factor of an evaluation result."""
    return plots.html_report(factor, _tear_sheet(result, factor), _correlation(result))


@ENGINES.register("factors")
class FactorsEngine(Engine):
    """Factor evaluation over stored data (see the module docstring)."""

    name: ClassVar[str] = "factors"
    depends_on: ClassVar[tuple[str, ...]] = ("data",)

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self.completed = 0

    def start(self) -> None:
        self._subs = [self.ctx.bus.subscribe("jobs.*", self._on_job_event)]
        super().start()

    def stop(self) -> None:
        for sub in self._subs:
            self.ctx.bus.unsubscribe(sub)
        self._subs = []
        super().stop()

    def status(self) -> dict[str, Any]:
        return super().status() | {"factors": len(FACTORS), "evaluations_completed":
                                   self.completed}

    def _on_job_event(self, _topic: str, msg: Any) -> None:
        get = msg.get if isinstance(msg, dict) else lambda k: getattr(msg, k, None)
        if get("kind") != EVALUATE_JOB or get("state") not in ("succeeded", "failed",
                                                                "cancelled"):
            return
        record = self.ctx.jobs.get(str(get("job_id")))
        name = str(record.params.get("name", "adhoc"))
        with self._lock:
            self.completed += 1
        self.ctx.bus.publish(f"factors.{name}", FactorsEvaluated(
            name=name, job_id=record.id, state=record.state.value,
            factors=list(record.params.get("factors", [])),
            error=(record.error or "").split("\n", 1)[0] or None, ts_event=now_ns()))

    # -- catalogue ----------------------------------------------------------------------------

    def list_factors(self, tag: str | None = None) -> list[dict[str, Any]]:
        """Registered factors (name, description, expression, fields, tags, params schema)."""
        out = [s.obj.describe() for s in FACTORS.specs()]
        return [d for d in out if tag is None or tag in d["tags"]]

    def check(self, factors: list[str]) -> list[Factor]:
        """Resolve names and parse expressions: 404 ``unknown_factor``, 422 ``expr_syntax``
        (with ``position`` and ``token``) and the other expression errors."""
        return [resolve(f) for f in factors]

    # -- evaluation ---------------------------------------------------------------------------

    def _data(self) -> Any:
        from nautilus.data.engine import DataEngine

        return self.ctx.engine("data", DataEngine)

    def panel(self, instruments: list[str], start_ns: int, end_ns: int,
              timeframe: str = "1d") -> Panel:
        """The panel of the universe's bars through the data engine."""
        return panel_from_engine(self._data(), instruments, start_ns, end_ns, timeframe)

    def evaluate(self, request: FactorEvaluationRequest,
                 progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
        """Evaluate in this process (same JSON as the job; no bus message)."""
        factors = self.check(request.factors)
        start_ns, end_ns = parse_range(request.start, request.end)
        panel = self.panel(request.instruments, start_ns, end_ns, request.timeframe)
        result = evaluation_result(factors, panel, horizon=request.horizon,
                                   n_quantiles=request.n_quantiles,
                                   decay_horizons=request.decay_horizons, progress=progress)
        return {"name": request.name,
                "panel": {"kind": "store", "n_dates": panel.shape[0],
                          "n_instruments": panel.shape[1], "instruments": panel.instruments,
                          "timeframe": request.timeframe, "first_date": int(panel.dates[0]),
                          "last_date": int(panel.dates[-1])},
                **result}

    def store_location(self) -> dict[str, Any]:
        """Where a worker finds this platform's stores (never a password in the DB URL)."""
        from sqlalchemy.engine import make_url

        cfg = self.ctx.config
        backend = cfg.timeseries.backend
        if backend == "postgres":
            location = cfg.timeseries.url or cfg.database_url or ""
        else:
            location = str((cfg.data_dir / "timeseries").resolve())
        url = self.ctx.db.url
        return {"database_url": url if make_url(url).password is None else None,
                "timeseries_backend": backend, "timeseries_location": location}

    def submit_evaluation(self, request: FactorEvaluationRequest, *,
                          owner_id: str | None = None) -> str:
        """Check the factors, then queue ``factors.evaluate``; returns the job id."""
        self.check(request.factors)
        parse_range(request.start, request.end)
        panel = StorePanelSource(instruments=request.instruments, start=request.start,
                                 end=request.end, timeframe=request.timeframe,
                                 **self.store_location())
        params = FactorEvaluationParams(
            name=request.name, factors=request.factors, panel=panel, horizon=request.horizon,
            n_quantiles=request.n_quantiles, decay_horizons=request.decay_horizons)
        return self.ctx.jobs.submit(EVALUATE_JOB, params.model_dump(mode="json"),
                                    owner_id=owner_id)

    def evaluation(self, job_id: str) -> JobRecord:
        """The job record of an evaluation (404 for another kind of job)."""
        record = self.ctx.jobs.get(job_id)
        if record.kind != EVALUATE_JOB:
            raise NotFoundError(f"job {job_id!r} is not a factor evaluation",
                                code="evaluation_not_found")
        return record

    def evaluation_result(self, job_id: str) -> dict[str, Any]:
        """The JSON result of a finished evaluation (409 ``not_finished`` before it ends)."""
        from nautilus.core.errors import ConflictError

        record = self.evaluation(job_id)
        if record.result is None:
            raise ConflictError(f"evaluation {job_id} is {record.state.value}"
                                + (f": {record.error.splitlines()[0]}" if record.error else ""),
                                code="not_finished", state=record.state.value)
        return record.result
