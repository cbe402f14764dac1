"""``load_sample_data``: the demo's market data, stored once.

Stores the real daily history shipped in installed packages (S&P 500, NASDAQ Composite,
Microsoft; :mod:`nautilus.data.sample`) and the synthetic universe (>= 50 instruments, daily
bars over ``years`` and 1-minute bars over the last ``minute_weeks`` weeks), registers every
instrument in the catalogue, and writes the ``sample_data`` marker. A second call finds the
marker and returns at once (``{"skipped": True, ...}``).

Rows are validated like any ingest (no calendar gap check: the synthetic market trades every
weekday, which would report NYSE holidays as off-calendar bars and cost a calendar load).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nautilus.core.engine import Engine
from nautilus.data.sample import sample_bars, sample_instruments

MARKER = "sample_data"
ProgressCallback = Callable[[float, str], None]


def _engine(platform_or_engine: Any) -> Any:
    from nautilus.data.engine import DataEngine

    if isinstance(platform_or_engine, DataEngine):
        return platform_or_engine
    if isinstance(platform_or_engine, Engine):
        raise TypeError(f"load_sample_data needs the data engine, not {platform_or_engine!r}")
    engine = platform_or_engine.engine("data")
    if not isinstance(engine, DataEngine):
        raise TypeError("the platform's 'data' engine is not a DataEngine")
    return engine


def load_sample_data(platform_or_engine: Any, progress: ProgressCallback | None = None, *,
                     size: int = 55, years: int = 10, minute_weeks: int = 3,
                     real: bool = True) -> dict[str, Any]:
    """Store the sample data once; returns counts and the time taken (seconds).

    ``platform_or_engine`` is a started :class:`~nautilus.platform.Platform` or the
    :class:`~nautilus.data.engine.DataEngine`. ``progress(fraction, message)`` is called after
    each stored series.
    """
    engine = _engine(platform_or_engine)
    done = engine.markers.get(MARKER)
    if done is not None:
        return {**done, "skipped": True}
    t0 = time.perf_counter()
    real_ids = {i.id for i in sample_instruments(real=real, size=0)} if real else set()
    instruments = list(sample_instruments(real=real, size=size))
    for inst in instruments:
        engine.catalog.upsert([inst], source="sample" if inst.id in real_ids else "synthetic")
    total = (len(real_ids) + size * (2 if minute_weeks > 0 else 1))
    series = rows = rejected = 0
    for inst, frame, tf in sample_bars(real=real, size=size, years=years,
                                       minute_weeks=minute_weeks):
        src = "sample" if inst.id in real_ids else "synthetic"
        report = engine.ingest_bars(inst.id, tf, frame, source=src, check_gaps=False)
        series += 1
        rows += report.stored
        rejected += report.rejected_count
        if progress is not None:
            progress(min(1.0, series / total), f"{inst.id} {tf}: {report.stored} bars")
    result = {"instruments": len(instruments), "series": series, "rows": rows,
              "rejected": rejected, "seconds": round(time.perf_counter() - t0, 3)}
    engine.markers.set(MARKER, result)
    return {**result, "skipped": False}
