"""The ``data.backfill`` job kind: a resumable backfill run in a job worker.

The worker opens the platform's stores itself from the params (``database_url``,
``timeseries`` backend and location): the engine's :meth:`DataEngine.submit_backfill` fills
them in. Progress goes to the job record and, through the runner, to ``jobs.<id>`` on the bus.
A run that ends ``source_unavailable`` or ``cancelled`` still *succeeds* as a job with that
``status`` in its result (the checkpoint is kept; submit again to resume).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.time import to_ns
from nautilus.data.base import DATA_SOURCES
from nautilus.data.resample import sessions_for
from nautilus.jobs.base import JOB_KINDS, Progress
from nautilus.model import Timeframe

BACKFILL_JOB = "data.backfill"


class BackfillParams(FrozenConfig):
    """What to backfill and where the platform's stores are."""

    source: str = Field(description="DATA_SOURCES name, e.g. 'yahoo'.")
    source_config: dict[str, Any] = Field(default_factory=dict,
                                          description="Settings for the source's config model.")
    instrument_id: str = Field(min_length=3, max_length=64)
    timeframe: Timeframe = Timeframe.D1
    start: str = Field(description="ISO date/time or int ns UTC (as text).")
    end: str = Field(description="ISO date/time or int ns UTC (as text); exclusive.")
    chunk_days: float | None = Field(None, gt=0, le=36500)
    resume: bool = True
    check_gaps: bool = False
    database_url: str
    timeseries_backend: Literal["arctic", "postgres"] = "arctic"
    timeseries_location: str = Field(description="ArcticDB folder or PostgreSQL URL.")
    calendar: str = "XNYS"


def parse_time(value: str) -> int:
    """int ns UTC from an ISO string or a decimal ns string."""
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() else to_ns(text)


@JOB_KINDS.register(BACKFILL_JOB, config=BackfillParams, tags=("data",))
def run_backfill_job(params: BackfillParams, progress: Progress) -> dict[str, Any]:
    """Backfill ``instrument_id`` from ``source`` into the platform's bar storage."""
    from nautilus.data import sources as _sources  # noqa: F401 - fills DATA_SOURCES here
    from nautilus.data.backfill import Checkpoints, run_backfill
    from nautilus.data.storage import BarStore
    from nautilus.persistence.db import Database
    from nautilus.persistence.timeseries.base import TimeSeriesStore

    cls = DATA_SOURCES.get(params.source)
    source = cls(cls.config_class.model_validate(params.source_config))
    db = Database(params.database_url)
    store: TimeSeriesStore
    if params.timeseries_backend == "postgres":
        from nautilus.persistence.timeseries.postgres import PostgresStore

        store = PostgresStore(params.timeseries_location)
    else:
        from nautilus.persistence.timeseries.arctic import ArcticStore

        store = ArcticStore(Path(params.timeseries_location))
    try:
        result = run_backfill(
            source, BarStore(store), Checkpoints(db), params.instrument_id, params.timeframe,
            parse_time(params.start), parse_time(params.end),
            chunk_ns=int(params.chunk_days * 86_400 * 10**9) if params.chunk_days else None,
            resume=params.resume,
            sessions=sessions_for(params.calendar) if params.check_gaps else None,
            progress=lambda f, msg, _state: progress.update(f, msg),
            cancelled=lambda: progress.cancelled,
        )
    finally:
        source.close()
        store.close()
        db.dispose()
    return result.as_dict()
