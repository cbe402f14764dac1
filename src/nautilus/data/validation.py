"""Ingest validation of bar frames: a report of rejected rows (with reasons) and calendar gaps.

Checks, in this order (a row gets the first reason that applies):

* ``out_of_order``: a timestamp earlier than one already seen above it in the input (an input
  that is entirely descending is reversed first and is not flagged);
* ``non_finite_price`` / ``non_finite_volume`` / ``non_positive_price`` / ``negative_volume`` /
  ``inconsistent_ohlc`` (high below max(open, close), low above min(open, close)) /
  ``duplicate_ts`` (the last row of a repeated timestamp wins) — see
  :func:`nautilus.data.base.clean_bars`;
* gaps: close times the instrument's calendar expects between the first and last accepted bar
  (ns UTC, bar ``ts`` = close time) that the frame lacks, grouped into runs. Bars at times the
  calendar does not expect are counted as ``off_calendar`` (kept: a venue may trade on a day
  the calendar does not know).

>>> import numpy as np, pandas as pd
>>> f = pd.DataFrame({"open": [1.0, 1.0], "high": [2.0, 0.5], "low": [0.5, 0.4],
...                   "close": [1.5, 1.0], "volume": [1.0, 1.0]},
...                  index=pd.Index(np.array([1, 2], dtype=np.int64), name="ts"))
>>> good, report = validate_bars(f, "1m")
>>> len(good), report.rejected[0].reason
(1, 'inconsistent_ohlc')
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from nautilus.bus.base import message_type
from nautilus.data.base import RejectedRow, clean_bars
from nautilus.data.resample import Sessions, expected_closes
from nautilus.model import BAR_COLUMNS, Timeframe

MAX_LISTED = 1000
"""Rejected rows and gaps listed in a report at most (the counts always cover all)."""


@message_type
class Gap(msgspec.Struct, frozen=True, kw_only=True):
    """Expected bars missing between ``start_ns`` and ``end_ns`` (both close times, ns UTC)."""

    start_ns: int
    end_ns: int
    missing: int


@message_type
class IngestReport(msgspec.Struct, frozen=True, kw_only=True):
    """What an ingest did: rows received, accepted, stored; rejected rows; calendar gaps."""

    instrument_id: str
    timeframe: str
    source: str
    received: int
    accepted: int
    stored: int = 0
    rejected_count: int = 0
    reasons: dict[str, int] = {}
    rejected: list[RejectedRow] = []
    gaps: list[Gap] = []
    missing_bars: int = 0
    off_calendar: int = 0
    first_ts: int | None = None
    last_ts: int | None = None

    def summary(self) -> dict[str, Any]:
        """Counts only (for logs, job results, progress messages)."""
        return {"instrument_id": self.instrument_id, "timeframe": self.timeframe,
                "source": self.source, "received": self.received, "accepted": self.accepted,
                "stored": self.stored, "rejected": self.rejected_count,
                "reasons": dict(self.reasons), "gaps": len(self.gaps),
                "missing_bars": self.missing_bars, "off_calendar": self.off_calendar}


def _out_of_order(ts: np.ndarray) -> np.ndarray:
    """Rows whose ts is below the running maximum of the rows before them."""
    if len(ts) < 2:
        return np.zeros(len(ts), dtype=bool)
    prev_max = np.maximum.accumulate(ts)[:-1]
    flags = np.zeros(len(ts), dtype=bool)
    flags[1:] = ts[1:] < prev_max
    return flags


def find_gaps(ts: np.ndarray, expected: np.ndarray) -> tuple[list[Gap], int, int]:
    """``(gaps, missing count, off-calendar count)`` of sorted ``ts`` against ``expected``."""
    missing_mask = ~np.isin(expected, ts, assume_unique=True)
    off = int((~np.isin(ts, expected, assume_unique=True)).sum())
    miss = np.flatnonzero(missing_mask)
    if len(miss) == 0:
        return [], 0, off
    breaks = np.flatnonzero(np.diff(miss) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(miss) - 1]])
    gaps = [Gap(start_ns=int(expected[miss[s]]), end_ns=int(expected[miss[e]]),
                missing=int(e - s + 1)) for s, e in zip(starts, ends, strict=True)]
    return gaps, len(miss), off


def validate_bars(frame: pd.DataFrame, timeframe: Timeframe | str,
                  sessions: Sessions | None = None, *, instrument_id: str = "",
                  source: str = "") -> tuple[pd.DataFrame, IngestReport]:
    """Split ``frame`` into storable bars and an :class:`IngestReport` (module docstring)."""
    tf = Timeframe(timeframe)
    received = len(frame)
    ts = np.asarray(frame.index, dtype=np.int64)
    if received > 1 and bool(np.all(ts[1:] < ts[:-1])):
        frame, ts = frame.iloc[::-1], ts[::-1]
    late = _out_of_order(ts)
    rejected: list[RejectedRow] = []
    if late.any():
        values = frame.reindex(columns=list(BAR_COLUMNS)).to_numpy(dtype=np.float64)[late]
        rejected = [
            RejectedRow(ts=int(t), reason="out_of_order",
                        values={k: (float(x) if math.isfinite(x) else None)
                                for k, x in zip(BAR_COLUMNS, row, strict=True)})
            for t, row in zip(ts[late], values, strict=True)
        ]
        frame = frame.loc[~late]
    clean, bad = clean_bars(frame)
    rejected.extend(bad)
    reasons: dict[str, int] = {}
    for r in rejected:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    good_ts = clean.index.to_numpy()
    gaps: list[Gap] = []
    missing = off = 0
    if sessions is not None and len(good_ts):
        expected = expected_closes(sessions, tf, int(good_ts[0]), int(good_ts[-1]) + 1)
        gaps, missing, off = find_gaps(good_ts, expected)
    report = IngestReport(
        instrument_id=instrument_id, timeframe=tf.value, source=source, received=received,
        accepted=len(clean), rejected_count=len(rejected), reasons=reasons,
        rejected=rejected[:MAX_LISTED], gaps=gaps[:MAX_LISTED], missing_bars=missing,
        off_calendar=off,
        first_ts=int(good_ts[0]) if len(good_ts) else None,
        last_ts=int(good_ts[-1]) if len(good_ts) else None,
    )
    return clean, report


def ingest(store: Any, frame: pd.DataFrame, instrument_id: str, timeframe: Timeframe | str,
           *, source: str = "", sessions: Sessions | None = None,
           strict: bool = False) -> IngestReport:
    """Validate ``frame`` and upsert its good rows into ``store`` (a ``BarStore``) in one write.

    With ``strict`` a batch with any rejected row stores nothing (the report says why);
    otherwise the good rows are stored and the bad ones reported. Either way nothing is
    half-written: the store sees one upsert of already-validated rows or none.
    """
    good, report = validate_bars(frame, timeframe, sessions, instrument_id=instrument_id,
                                 source=source)
    if strict and report.rejected_count:
        return report
    stored = store.upsert(instrument_id, timeframe, good, metadata={"source": source})
    return msgspec.structs.replace(report, stored=stored)
