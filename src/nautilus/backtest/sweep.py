"""Parameter sweeps of research strategies: grid, random and Bayesian (Optuna) search.

A trial is one parameter set of a registered signal strategy (``signals.SIGNAL_STRATEGIES``)
backtested by the vectorized engine; its score is any metric name of
``nautilus.analytics.METRICS`` (or ``"trades"``) on the trial's per-bar returns. Constraints
(``min_trades``, ``max_drawdown``) mark trials infeasible; the best trial is the best feasible
objective. Every report records the number of trials and the deflated Sharpe ratio of the best
trial given that number (``overfitting.deflated_sharpe_ratio``).

Execution: trials are cut into chunks of ``chunk_size`` (memory stays bounded by one chunk).
A chunk of an SMA cross on one instrument is one parallel numba launch (``grid.py``); other
single-instrument chunks run as one engine call with one column per trial (each column its own
portfolio). Multi-instrument trials run one engine call each; the trial's equity is the sum
of its cash groups. Chunks run in this process (numba threads use the local cores), in a local
process pool (``workers > 1``) or as Ray tasks (``executor="ray"``; ``ray_address`` joins a
cluster, else a local Ray is started if none is running).

>>> import numpy as np
>>> close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 400)))
>>> idx = np.arange(400, dtype=np.int64) * 86_400_000_000_000
>>> rep = grid_search(Market(idx, close), "sma_cross", {"fast": [5, 10], "slow": [20, 50]})
>>> rep.n_trials
4
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from nautilus.analytics import METRICS, metrics_table
from nautilus.analytics.kernels import FIELD_INDEX, METRIC_FIELDS
from nautilus.analytics.metrics import BENCHMARK_METRICS
from nautilus.backtest.overfitting import deflated_sharpe_ratio
from nautilus.backtest.signals import SIGNAL_STRATEGIES, strategy_signals
from nautilus.backtest.vectorized.engine import (
    VectorizedConfig,
    annual_volatility,
    as_panel,
    bar_index,
    cost_vector,
    run_signals,
)
from nautilus.backtest.vectorized.grid import ROW_TRADES, ma_table, sma_cross_grid
from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.jobs.base import Progress

ROWS: tuple[str, ...] = (*METRIC_FIELDS, "trades")


@dataclass(frozen=True, slots=True)
class Market:
    """Bars to test on: int64 ns UTC index and (bars, instruments) prices (close required)."""

    index: npt.NDArray[np.int64]
    close: npt.NDArray[np.float64]
    open: npt.NDArray[np.float64] | None = None
    high: npt.NDArray[np.float64] | None = None
    low: npt.NDArray[np.float64] | None = None
    columns: list[str] | None = None

    def __post_init__(self) -> None:
        c = as_panel(self.close, "close")
        object.__setattr__(self, "close", c)
        object.__setattr__(self, "index", bar_index(self.index, None, c.shape[0]))
        for name in ("open", "high", "low"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, as_panel(v, name, c.shape))

    @property
    def n_bars(self) -> int:
        return int(self.close.shape[0])

    def slice(self, start: int, stop: int) -> Market:
        """Bars ``[start, stop)``."""

        def cut(a: npt.NDArray[np.float64] | None) -> npt.NDArray[np.float64] | None:
            return None if a is None else a[start:stop]

        return Market(
            self.index[start:stop],
            self.close[start:stop],
            cut(self.open),
            cut(self.high),
            cut(self.low),
            self.columns,
        )


class ParamRange(FrozenConfig):
    """A search dimension: ``choices``, or ``low``..``high`` (int or float, optionally log)."""

    low: float | None = None
    high: float | None = None
    kind: Literal["int", "float"] = "int"
    log: bool = False
    choices: tuple[Any, ...] | None = None


class SweepConfig(FrozenConfig):
    """How a sweep scores, constrains, bounds and executes its trials."""

    objective: str = Field("sharpe", description="A METRICS name or 'trades'.")
    maximize: bool = True
    min_trades: int = Field(0, ge=0, description="Trials with fewer closed trades are infeasible.")
    max_drawdown: float | None = Field(
        None, gt=0, le=1, description="Trials whose drawdown is deeper (fraction) are infeasible."
    )
    max_combinations: int = Field(100_000, ge=1, description="Largest accepted number of trials.")
    chunk_size: int = Field(256, ge=1, description="Trials per kernel launch / task.")
    executor: Literal["local", "ray"] = "local"
    workers: int = Field(1, ge=1, description="Local processes (1 = this process).")
    ray_address: str | None = Field(None, description="Ray address; None = local Ray.")


@dataclass
class SweepReport:
    """Trials (one row each: params, metrics, trades, feasible) and the best feasible one."""

    method: str
    strategy: str
    objective: str
    maximize: bool
    table: pd.DataFrame
    param_names: list[str]
    n_bars: int
    periods_per_year: float
    deflated_sharpe: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_trials(self) -> int:
        return len(self.table)

    @property
    def best_index(self) -> int | None:
        score = self.table[self.objective].where(self.table["feasible"])
        if score.notna().sum() == 0:
            return None
        return int(score.idxmax() if self.maximize else score.idxmin())

    @property
    def best_params(self) -> dict[str, Any] | None:
        i = self.best_index
        if i is None:
            return None
        return {k: _plain(self.table.at[i, k]) for k in self.param_names}

    @property
    def best_value(self) -> float | None:
        i = self.best_index
        return None if i is None else float(self.table.at[i, self.objective])

    def to_dict(self, top: int = 20) -> dict[str, Any]:
        """JSON-friendly summary with the ``top`` feasible trials by objective."""
        feas = self.table[self.table["feasible"]]
        ranked = feas.sort_values(self.objective, ascending=not self.maximize).head(top)
        rows = [{k: _plain(v) for k, v in r.items()} for r in ranked.to_dict("records")]
        return {
            "method": self.method,
            "strategy": self.strategy,
            "objective": self.objective,
            "maximize": self.maximize,
            "n_trials": self.n_trials,
            "n_feasible": int(self.table["feasible"].sum()),
            "best_params": self.best_params,
            "best_value": self.best_value,
            "deflated_sharpe": self.deflated_sharpe,
            "top": rows,
            **self.extra,
        }


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def check_objective(name: str) -> None:
    """Objective must be a registered metric (not benchmark-relative) or ``trades``."""
    if name == "trades":
        return
    if name not in METRICS:
        raise ValidationError(
            f"unknown objective {name!r} (known: {', '.join(METRICS.names())})",
            code="unknown_metric",
        )
    if name in BENCHMARK_METRICS:
        raise ValidationError(f"objective {name!r} needs a benchmark", code="benchmark_required")


def _fast_path(market: Market, strategy: str, config: VectorizedConfig) -> bool:
    return strategy == "sma_cross" and market.close.shape[1] == 1


def evaluate_chunk(
    market: Market,
    strategy: str,
    params: Sequence[dict[str, Any]],
    config: VectorizedConfig,
) -> npt.NDArray[np.float64]:
    """(len(ROWS), trials) metrics and trade counts of ``params`` (see the module docstring)."""
    ppy = config.periods_per_year
    if not params:
        return np.empty((len(ROWS), 0))
    if _fast_path(market, strategy, config):
        fast = np.array([int(p["fast"]) for p in params], dtype=np.int64)
        slow = np.array([int(p["slow"]) for p in params], dtype=np.int64)
        windows, inv = np.unique(np.concatenate([fast, slow]), return_inverse=True)
        if windows.min() < 1:
            raise ValidationError("SMA windows must be >= 1", code="out_of_range")
        close = np.ascontiguousarray(market.close[:, 0])
        ma = ma_table(close, windows)
        fr = inv[: len(fast)].astype(np.int64)
        sr = inv[len(fast) :].astype(np.int64)
        # fast >= slow is an empty trial: point it at identical averages, which never cross
        sr = np.where(fast < slow, sr, fr)
        empty = np.empty(0)

        def col(a: npt.NDArray[np.float64] | None) -> npt.NDArray[np.float64]:
            return empty if a is None else np.ascontiguousarray(a[:, 0])

        vol = (
            annual_volatility(market.close, config.vol_window, ppy)[:, 0].copy()
            if config.size_type == "target_vol"
            else empty
        )
        return sma_cross_grid(
            close,
            col(market.open),
            col(market.high),
            col(market.low),
            vol,
            ma,
            fr,
            sr,
            cost_vector(config),
            config.execution == "next_open",
            False,
            True,
            ppy,
        )
    if market.close.shape[1] == 1 and not config.cash_sharing:
        n = len(params)
        sig = [strategy_signals(strategy, market.close, p) for p in params]
        ent = np.concatenate([s[0] for s in sig], axis=1)
        ext = np.concatenate([s[1] for s in sig], axis=1)

        def tile(a: npt.NDArray[np.float64] | None) -> npt.NDArray[np.float64] | None:
            return None if a is None else np.repeat(a, n, axis=1)

        res = run_signals(
            tile(market.close),
            ent,
            ext,
            open=tile(market.open),
            high=tile(market.high),
            low=tile(market.low),
            index=market.index,
            config=config,
        )
        return _rows(res.returns, res.trade_count, ppy)
    out = np.empty((len(ROWS), len(params)))
    for i, p in enumerate(params):
        ent, ext = strategy_signals(strategy, market.close, p)
        res = run_signals(
            market.close,
            ent,
            ext,
            open=market.open,
            high=market.high,
            low=market.low,
            index=market.index,
            config=config,
        )
        total = res.value.sum(axis=1)
        init = res.init_cash * res.value.shape[1]
        prev = np.concatenate([[init], total[:-1]])
        out[:, i] = _rows(
            (total / prev - 1.0).reshape(-1, 1), np.array([res.trade_count.sum()]), ppy
        )[:, 0]
    return out


def _rows(
    returns: npt.NDArray[np.float64], trades: npt.NDArray[np.int64], ppy: float
) -> npt.NDArray[np.float64]:
    table = metrics_table(returns, periods_per_year=ppy).to_numpy()
    return np.vstack([table, trades.astype(np.float64).reshape(1, -1)])


def _run_chunks(
    market: Market,
    strategy: str,
    chunks: list[list[dict[str, Any]]],
    config: VectorizedConfig,
    sweep: SweepConfig,
    progress: Progress | None,
) -> npt.NDArray[np.float64]:
    total = sum(len(c) for c in chunks)
    parts: list[npt.NDArray[np.float64]] = []
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress.update(done / max(total, 1), f"{done} of {total} trials")

    if sweep.executor == "ray":
        return _run_ray(market, strategy, chunks, config, sweep, tick)
    if sweep.workers > 1 and len(chunks) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(sweep.workers, mp_context=mp.get_context("spawn")) as pool:
            futs = [pool.submit(evaluate_chunk, market, strategy, c, config) for c in chunks]
            for fut, c in zip(futs, chunks, strict=True):
                parts.append(fut.result())
                tick(len(c))
        return np.concatenate(parts, axis=1)
    for c in chunks:
        if progress is not None and progress.cancelled:
            break
        parts.append(evaluate_chunk(market, strategy, c, config))
        tick(len(c))
    return np.concatenate(parts, axis=1) if parts else np.empty((len(ROWS), 0))


def _run_ray(
    market: Market,
    strategy: str,
    chunks: list[list[dict[str, Any]]],
    config: VectorizedConfig,
    sweep: SweepConfig,
    tick: Callable[[int], None],
) -> npt.NDArray[np.float64]:
    import ray

    if not ray.is_initialized():
        ray.init(address=sweep.ray_address, include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=0)(evaluate_chunk)
    mref = ray.put(market)
    refs = [task.remote(mref, strategy, c, config) for c in chunks]
    sizes = {r: len(c) for r, c in zip(refs, chunks, strict=True)}
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        tick(sizes[ready[0]])
    return np.concatenate(ray.get(refs), axis=1)


def _report(
    method: str,
    market: Market,
    strategy: str,
    params: list[dict[str, Any]],
    rows: npt.NDArray[np.float64],
    config: VectorizedConfig,
    sweep: SweepConfig,
    extra: dict[str, Any] | None = None,
) -> SweepReport:
    names = sorted({k for p in params for k in p})
    table = pd.DataFrame([{k: p.get(k) for k in names} for p in params[: rows.shape[1]]])
    for i, r in enumerate(ROWS):
        table[r] = rows[i]
    feasible = table["trades"] >= sweep.min_trades
    if sweep.max_drawdown is not None:
        feasible &= table["max_drawdown"] >= -sweep.max_drawdown
    table["feasible"] = feasible & table[sweep.objective].notna()
    rep = SweepReport(
        method,
        strategy,
        sweep.objective,
        sweep.maximize,
        table,
        names,
        market.n_bars,
        config.periods_per_year,
        extra=dict(extra or {}),
    )
    rep.deflated_sharpe = _deflated(rep)
    return rep


def _deflated(rep: SweepReport) -> float | None:
    i = rep.best_index
    sr = rep.table["sharpe"].to_numpy() / math.sqrt(rep.periods_per_year)
    finite = sr[np.isfinite(sr)]
    if i is None or finite.size < 2 or not math.isfinite(sr[i]):
        return None
    row = rep.table.iloc[i]
    try:
        return deflated_sharpe_ratio(
            float(sr[i]),
            rep.n_trials,
            float(finite.var(ddof=1)),
            rep.n_bars,
            float(row["skew"]),
            float(row["kurtosis"]) + 3.0,
        )
    except ValidationError:
        return None


def _chunks(params: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [params[i : i + size] for i in range(0, len(params), size)]


def grid_search(
    market: Market,
    strategy: str,
    grid: dict[str, Sequence[Any]],
    config: VectorizedConfig | None = None,
    sweep: SweepConfig | None = None,
    progress: Progress | None = None,
) -> SweepReport:
    """Every combination of ``grid``; for ``sma_cross`` pairs with ``fast >= slow`` are dropped.

    Raises ``grid_too_large`` when the full product exceeds ``sweep.max_combinations``.
    """
    cfg = config or VectorizedConfig()
    sw = sweep or SweepConfig()
    check_objective(sw.objective)
    SIGNAL_STRATEGIES.spec(strategy)
    if not grid or any(len(v) == 0 for v in grid.values()):
        raise ValidationError("every grid dimension needs at least one value", code="empty")
    size = math.prod(len(v) for v in grid.values())
    if size > sw.max_combinations:
        raise ValidationError(
            f"grid has {size} combinations, the limit is {sw.max_combinations}",
            code="grid_too_large",
            limit=sw.max_combinations,
            size=size,
        )
    keys = list(grid)
    params = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    if strategy == "sma_cross":
        params = [p for p in params if int(p["fast"]) < int(p["slow"])]
    rows = _run_chunks(market, strategy, _chunks(params, sw.chunk_size), cfg, sw, progress)
    return _report("grid", market, strategy, params, rows, cfg, sw)


def sample_params(space: dict[str, ParamRange], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` parameter sets drawn independently from ``space`` with a seeded generator."""
    rng = np.random.default_rng(seed)
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for name, r in space.items():
        if r.choices is not None:
            picks = rng.integers(0, len(r.choices), n)
            vals: list[Any] = [r.choices[i] for i in picks]
        else:
            if r.low is None or r.high is None or r.low > r.high:
                raise ValidationError(f"range {name!r} needs low <= high", code="out_of_range")
            lo, hi = float(r.low), float(r.high)
            if r.log:
                x = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
            elif r.kind == "int":
                x = rng.integers(int(lo), int(hi) + 1, n).astype(np.float64)
            else:
                x = rng.uniform(lo, hi, n)
            vals = [round(v) if r.kind == "int" else float(v) for v in x]
        for i in range(n):
            out[i][name] = vals[i]
    return out


def random_search(
    market: Market,
    strategy: str,
    space: dict[str, ParamRange],
    n_trials: int,
    seed: int = 0,
    config: VectorizedConfig | None = None,
    sweep: SweepConfig | None = None,
    progress: Progress | None = None,
) -> SweepReport:
    """``n_trials`` parameter sets sampled from ``space`` (seeded), scored like a grid."""
    cfg = config or VectorizedConfig()
    sw = sweep or SweepConfig()
    check_objective(sw.objective)
    if n_trials > sw.max_combinations:
        raise ValidationError(
            f"{n_trials} trials exceed the limit of {sw.max_combinations}",
            code="grid_too_large",
            limit=sw.max_combinations,
        )
    params = sample_params(space, n_trials, seed)
    rows = _run_chunks(market, strategy, _chunks(params, sw.chunk_size), cfg, sw, progress)
    return _report("random", market, strategy, params, rows, cfg, sw, {"seed": seed})


def bayesian_search(
    market: Market,
    strategy: str,
    space: dict[str, ParamRange],
    n_trials: int,
    seed: int = 0,
    config: VectorizedConfig | None = None,
    sweep: SweepConfig | None = None,
    progress: Progress | None = None,
) -> SweepReport:
    """Optuna TPE search (seeded) over ``space``; infeasible trials score worst."""
    import optuna

    cfg = config or VectorizedConfig()
    sw = sweep or SweepConfig()
    check_objective(sw.objective)
    if n_trials > sw.max_combinations:
        raise ValidationError(
            f"{n_trials} trials exceed the limit of {sw.max_combinations}",
            code="grid_too_large",
            limit=sw.max_combinations,
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    params: list[dict[str, Any]] = []
    cols: list[npt.NDArray[np.float64]] = []
    obj = ROWS.index(sw.objective)
    worst = -1e300 if sw.maximize else 1e300

    def objective(trial: Any) -> float:
        p: dict[str, Any] = {}
        for name, r in space.items():
            if r.choices is not None:
                p[name] = trial.suggest_categorical(name, list(r.choices))
            elif r.kind == "int":
                p[name] = trial.suggest_int(name, int(r.low or 0), int(r.high or 0), log=r.log)
            else:
                p[name] = trial.suggest_float(
                    name, float(r.low or 0), float(r.high or 0), log=r.log
                )
        row = evaluate_chunk(market, strategy, [p], cfg)[:, 0]
        params.append(p)
        cols.append(row)
        if progress is not None:
            progress.update(len(params) / n_trials, f"{len(params)} of {n_trials} trials")
            if progress.cancelled:
                trial.study.stop()
        ok = row[ROW_TRADES] >= sw.min_trades and math.isfinite(row[obj])
        if sw.max_drawdown is not None:
            ok = ok and row[FIELD_INDEX["max_drawdown"]] >= -sw.max_drawdown
        return float(row[obj]) if ok else worst

    study = optuna.create_study(
        direction="maximize" if sw.maximize else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
    )
    study.optimize(objective, n_trials=n_trials)
    rows = np.stack(cols, axis=1) if cols else np.empty((len(ROWS), 0))
    return _report("bayesian", market, strategy, params, rows, cfg, sw, {"seed": seed})


def trial_returns(
    market: Market,
    strategy: str,
    params: Sequence[dict[str, Any]],
    config: VectorizedConfig | None = None,
) -> npt.NDArray[np.float64]:
    """(bars, trials) per-bar returns of each parameter set, e.g. for the PBO statistic."""
    cfg = config or VectorizedConfig()
    cols = []
    for p in params:
        ent, ext = strategy_signals(strategy, market.close, p)
        res = run_signals(
            market.close,
            ent,
            ext,
            open=market.open,
            high=market.high,
            low=market.low,
            index=market.index,
            config=cfg,
        )
        total = res.value.sum(axis=1)
        prev = np.concatenate([[res.init_cash * res.value.shape[1]], total[:-1]])
        cols.append(total / prev - 1.0)
    return np.stack(cols, axis=1)
