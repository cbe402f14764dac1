"""Backfill: fetch a long history from a source in time chunks into bar storage, resumably.

* The range ``[start_ns, end_ns)`` (ns UTC, bar close times) is cut into chunks of
  ``chunk_ns``. After each chunk is validated and upserted, the checkpoint row
  (``data_backfill_checkpoints``) records ``next_ns``; a later run with the same (source,
  instrument, timeframe, range) resumes there. Storage is upsert-only, so a chunk fetched twice
  (a crash between the write and the checkpoint) never duplicates a bar.
* Every chunk takes a token from the source's token bucket (HTTP sources take theirs per
  request inside :mod:`nautilus.data.http`, which also retries 429/5xx with backoff).
* A chunk that fails with ``UnavailableError`` or ``RateLimitedError`` is retried with
  exponential backoff and jitter (``base * 2**attempt`` x a factor in [0.5, 1), capped); when
  the failures of one chunk have lasted ``give_up_after_s`` (default 4 s) or ``max_attempts``
  is reached the run stops with status ``source_unavailable``, the checkpoint kept.
* Status values: ``running``, ``completed``, ``cancelled``, ``source_unavailable``, ``failed``.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from nautilus.bus.base import message_type
from nautilus.core.errors import NautilusError, RateLimitedError, UnavailableError
from nautilus.core.time import NS_PER_DAY
from nautilus.data.base import DataSource
from nautilus.data.resample import Sessions
from nautilus.data.storage import BarStore
from nautilus.data.tables import BackfillCheckpointRow
from nautilus.data.validation import ingest
from nautilus.model import Timeframe
from nautilus.persistence.db import Database

ProgressFn = Callable[[float, str, dict[str, Any]], None]


def default_chunk_ns(timeframe: Timeframe | str) -> int:
    """Chunk length: 5 days of 1-minute bars, 30 days intraday, 5 years of daily bars."""
    tf = Timeframe(timeframe)
    if tf.ns <= Timeframe.M1.ns:
        return 5 * NS_PER_DAY
    if tf.ns < Timeframe.D1.ns:
        return 30 * NS_PER_DAY
    return 5 * 365 * NS_PER_DAY


def checkpoint_id(source: str, instrument_id: str, timeframe: str, start_ns: int,
                  end_ns: int) -> str:
    raw = f"{source}|{instrument_id}|{timeframe}|{start_ns}|{end_ns}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Checkpoint:
    id: str
    next_ns: int
    rows: int
    rejected: int
    status: str
    message: str | None


class Checkpoints:
    """Backfill checkpoints in the relational store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, cp_id: str) -> Checkpoint | None:
        with self.db.session() as s:
            row = s.get(BackfillCheckpointRow, cp_id)
            if row is None:
                return None
            return Checkpoint(row.id, row.next_ns, row.rows, row.rejected, row.status,
                              row.message)

    def save(self, cp_id: str, *, source: str, instrument_id: str, timeframe: str,
             start_ns: int, end_ns: int, next_ns: int, rows: int, rejected: int, status: str,
             message: str | None = None) -> None:
        with self.db.session() as s:
            row = s.get(BackfillCheckpointRow, cp_id)
            if row is None:
                row = BackfillCheckpointRow(id=cp_id, source=source, instrument_id=instrument_id,
                                            timeframe=timeframe, start_ns=start_ns,
                                            end_ns=end_ns)
                s.add(row)
            row.next_ns, row.rows, row.rejected = next_ns, rows, rejected
            row.status, row.message, row.updated_at = status, message, datetime.now(UTC)


@message_type
class BackfillProgress(msgspec.Struct, frozen=True, kw_only=True):
    """Published on ``data.backfill.<checkpoint_id>`` after each chunk (times ns UTC)."""

    checkpoint_id: str
    status: str
    instrument_id: str
    timeframe: str
    source: str
    fraction: float
    message: str
    rows: int
    next_ns: int
    ts_event: int


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff of a failing chunk; ``give_up_after_s`` bounds how long one chunk is retried."""

    max_attempts: int = 6
    backoff_base_s: float = 0.25
    backoff_max_s: float = 2.0
    give_up_after_s: float = 4.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        return float(base * (0.5 + 0.5 * rng.random()))


@dataclass
class BackfillResult:
    """Outcome of one run (``rows`` = bars stored by all runs of this checkpoint)."""

    checkpoint_id: str
    status: str
    source: str
    instrument_id: str
    timeframe: str
    start_ns: int
    end_ns: int
    next_ns: int
    rows: int = 0
    rejected: int = 0
    chunks: int = 0
    retries: int = 0
    message: str | None = None
    gaps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "extra"} | self.extra


def run_backfill(source: DataSource, bars: BarStore, checkpoints: Checkpoints,
                 instrument_id: str, timeframe: Timeframe | str, start_ns: int, end_ns: int,
                 *, chunk_ns: int | None = None, resume: bool = True,
                 sessions: Sessions | None = None, policy: RetryPolicy | None = None,
                 progress: ProgressFn | None = None,
                 cancelled: Callable[[], bool] = lambda: False,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> BackfillResult:
    """Run (or resume) a backfill; see the module docstring. Never raises for a source
    outage: the result's ``status`` says how it ended. Other errors propagate after the
    checkpoint is marked ``failed``."""
    from nautilus.data.http import HttpSource

    tf = Timeframe(timeframe).value
    step = chunk_ns or default_chunk_ns(tf)
    pol = policy or RetryPolicy()
    rnd = rng or random.Random()
    cp_id = checkpoint_id(source.name, instrument_id, tf, start_ns, end_ns)
    cp = checkpoints.get(cp_id) if resume else None
    res = BackfillResult(cp_id, "running", source.name, instrument_id, tf, start_ns, end_ns,
                         start_ns)
    if cp is not None:
        res.next_ns, res.rows, res.rejected = cp.next_ns, cp.rows, cp.rejected
        if cp.status == "completed":
            res.status, res.message = "completed", "already complete"
            return res
    span = max(1, end_ns - start_ns)

    def save(status: str, message: str | None = None) -> BackfillResult:
        res.status, res.message = status, message
        checkpoints.save(cp_id, source=source.name, instrument_id=instrument_id, timeframe=tf,
                         start_ns=start_ns, end_ns=end_ns, next_ns=res.next_ns, rows=res.rows,
                         rejected=res.rejected, status=status, message=message)
        if progress is not None:
            progress((res.next_ns - start_ns) / span, message or status, res.as_dict())
        return res

    save("running")
    paced = not isinstance(source, HttpSource)
    while res.next_ns < end_ns:
        if cancelled():
            return save("cancelled", "cancelled")
        chunk_end = min(res.next_ns + step, end_ns)
        attempt, first_failure = 0, None
        while True:
            try:
                if paced:
                    source.rate_limit.acquire(timeout=source.config.acquire_timeout_s)
                batch = source.fetch_bars(instrument_id, tf, res.next_ns, chunk_end)
                break
            except (UnavailableError, RateLimitedError) as exc:
                now = clock()
                first_failure = now if first_failure is None else first_failure
                wait = pol.delay(attempt, rnd)
                if isinstance(exc, RateLimitedError):
                    wait = max(wait, exc.retry_after)
                attempt += 1
                if (attempt >= pol.max_attempts
                        or now - first_failure + wait > pol.give_up_after_s):
                    return save("source_unavailable",
                                f"{source.name} unavailable after {attempt} attempts: "
                                f"{exc.detail}")
                res.retries += 1
                sleep(wait)
                if cancelled():
                    return save("cancelled", "cancelled")
            except NautilusError as exc:
                save("failed", f"{exc.code}: {exc.detail}")
                raise
        report = ingest(bars, batch.frame, instrument_id, tf, source=source.name,
                        sessions=sessions)
        res.rows += report.stored
        res.rejected += len(batch.rejected) + report.rejected_count
        res.gaps += len(report.gaps)
        res.chunks += 1
        res.next_ns = chunk_end
        save("running", f"{res.rows} bars to {res.next_ns}")
    return save("completed", f"{res.rows} bars stored")
