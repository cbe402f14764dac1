"""The ``backtest.event`` job kind: an event-driven backtest of a registered strategy.

Bars come from the seeded synthetic market (``source="synthetic"``, instruments of
``nautilus.data.sources.synthetic.universe``) or from the platform's time-series store
(``source="store"``, read under ``data_dir``), streamed month by month so a long run holds
only a window of bars. Progress is reported per block (fraction of the date range); the
result is the run's summary, the first orders/fills and a thinned equity curve; with
``results_dir`` the full results are written there too (``EventBacktestResult.save``).

>>> from nautilus.jobs.base import JOB_KINDS
>>> "backtest.event" in JOB_KINDS
True
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.backtest.event.engine import EventBacktest, EventBacktestConfig, ProgressFn
from nautilus.backtest.event.feed import Block, frame_blocks
from nautilus.backtest.event.results import EventBacktestResult
from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.core.time import to_ns
from nautilus.jobs.base import JOB_KINDS, Progress
from nautilus.model.data import Timeframe
from nautilus.model.instrument import AssetClass, Instrument
from nautilus.strategy.base import build_strategy

MONTH_NS = 31 * 86_400 * 1_000_000_000


class EventBacktestParams(FrozenConfig):
    """Parameters of ``backtest.event`` (dates are ISO, UTC; the end is exclusive)."""

    strategy: str = Field("ema_cross", description="A STRATEGIES name.")
    params: dict[str, Any] = Field(default_factory=dict, description="Strategy parameters.")
    symbols: tuple[str, ...] = Field(("TEC01.XSYN",), min_length=1, max_length=50)
    start: str = "2024-01-02"
    end: str = "2024-02-01"
    timeframe: Timeframe = Field(Timeframe.M1, description="Strategy timeframe.")
    source: Literal["synthetic", "store"] = "synthetic"
    data_dir: str | None = Field(None, description="Platform data dir (source=store).")
    data_seed: int = Field(7, description="Seed of the synthetic market.")
    backtest: EventBacktestConfig = EventBacktestConfig()
    results_dir: str | None = Field(None, description="Write the full results here.")


def base_timeframe(tf: Timeframe) -> Timeframe:
    """The stored timeframe a strategy timeframe is built from (1m intraday, else 1d)."""
    return Timeframe.M1 if tf.ns < Timeframe.D1.ns else Timeframe.D1


def synthetic_instruments(symbols: tuple[str, ...]) -> list[Instrument]:
    from nautilus.data.sources.synthetic import universe

    known = {i.id: i for i in universe(110)}
    missing = [s for s in symbols if s not in known]
    if missing:
        raise ValidationError(
            f"unknown synthetic instruments: {missing}", code="unknown_instrument"
        )
    return [known[s] for s in symbols]


def synthetic_blocks(
    instrument_id: str, tf: Timeframe, start_ns: int, end_ns: int, seed: int, rows: int
) -> Iterator[Block]:
    """Synthetic bars generated month by month (never the whole range at once)."""
    from nautilus.data.sources.synthetic import daily_bars, minute_bars

    make = minute_bars if tf is Timeframe.M1 else daily_bars
    t = start_ns
    while t < end_ns:
        stop = min(t + MONTH_NS, end_ns)
        frame = make(instrument_id, t, stop, seed)
        if len(frame):
            yield from frame_blocks(frame, rows)
        t = stop


def store_blocks(
    data_dir: str, instrument_id: str, tf: Timeframe, start_ns: int, end_ns: int, rows: int
) -> Iterator[Block]:
    from nautilus.data.storage import BarStore
    from nautilus.persistence.timeseries.arctic import ArcticStore

    store = ArcticStore(Path(data_dir) / "timeseries")
    try:
        bars = BarStore(store)
        t = start_ns
        while t < end_ns:
            stop = min(t + MONTH_NS, end_ns)
            frame = bars.read_or_empty(instrument_id, tf, t, stop)
            if len(frame):
                yield from frame_blocks(frame, rows)
            t = stop
    finally:
        store.close()


def run_event_backtest(
    params: EventBacktestParams, progress: ProgressFn | None = None
) -> EventBacktestResult:
    """Build strategy, instruments and block streams from ``params`` and run."""
    start_ns, end_ns = to_ns(params.start), to_ns(params.end)
    if end_ns <= start_ns:
        raise ValidationError("end must be after start", code="empty_range")
    strat_params = {
        **params.params,
        "instruments": list(params.symbols),
        "timeframe": params.timeframe.value,
    }
    strategy = build_strategy(params.strategy, strat_params)
    base = base_timeframe(params.timeframe)
    rows = params.backtest.block_rows
    if params.source == "synthetic":
        instruments = synthetic_instruments(params.symbols)
    else:
        if not params.data_dir:
            raise ValidationError("source=store needs data_dir", code="missing_data_dir")
        instruments = [Instrument.create(s, AssetClass.EQUITY, "USD") for s in params.symbols]
    engine = EventBacktest(strategy, instruments, params.backtest)
    for inst in instruments:
        iid = inst.id
        if params.source == "synthetic":

            def factory(iid: str = iid) -> Iterator[Block]:
                return synthetic_blocks(iid, base, start_ns, end_ns, params.data_seed, rows)
        else:
            data_dir = params.data_dir or ""

            def factory(iid: str = iid, data_dir: str = data_dir) -> Iterator[Block]:
                return store_blocks(data_dir, iid, base, start_ns, end_ns, rows)

        engine.add_bars(iid, base, factory)
    result = engine.run(progress, start_ns=start_ns, end_ns=end_ns)
    if result.bars == 0:
        raise ValidationError(
            f"no bars for {list(params.symbols)} in {params.start}..{params.end}", code="no_data"
        )
    return result


@JOB_KINDS.register("backtest.event", config=EventBacktestParams, tags=("backtest",))
def run_event_backtest_job(params: EventBacktestParams, progress: Progress) -> dict[str, Any]:
    """Event-driven backtest of a registered strategy; the summary and first rows."""
    import nautilus.strategy.library  # noqa: F401 - registers the shipped strategies

    cancelled = False

    def report(fraction: float, message: str) -> None:
        nonlocal cancelled
        progress.update(fraction, message)
        if progress.cancelled:
            cancelled = True
            raise _Cancelled

    try:
        result = run_event_backtest(params, report)
    except _Cancelled:
        return {"cancelled": True}
    if params.results_dir:
        result.save(params.results_dir)
    progress.update(1.0, f"{result.bars} bars, {len(result.order_rows)} orders")
    out = result.to_dict(max_rows=500, max_points=1000)
    out["results_dir"] = params.results_dir
    out["bars_per_second"] = round(result.bars_per_second, 1)
    return _jsonable(out)


class _Cancelled(Exception):
    """Raised from the progress hook to leave the loop when the job is cancelled."""


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return obj
