"""Backfill: chunking, resume after an interruption, outage handling, rate limit, the job kind."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nautilus.core.errors import UnavailableError
from nautilus.core.time import NS_PER_DAY
from nautilus.data.backfill import Checkpoints, RetryPolicy, run_backfill
from nautilus.data.jobs import BackfillParams, run_backfill_job
from nautilus.data.sources.synthetic import SyntheticConfig, SyntheticSource
from nautilus.data.storage import BarStore
from nautilus.model import Timeframe
from nautilus.persistence.db import Database
from nautilus.persistence.timeseries.arctic import ArcticStore

INST = "TEC02.XSYN"
START = int(pd.Timestamp("2024-10-01").value)
END = int(pd.Timestamp("2024-10-22").value)


class OutageSource(SyntheticSource):
    """The synthetic market behind a link that fails on chosen calls (``down`` = call numbers
    that raise, ``always_down`` = every call raises)."""

    name = "synthetic"

    def __init__(self, down: set[int] | None = None, always_down: bool = False,
                 **kw: Any) -> None:
        super().__init__(SyntheticConfig(), **kw)
        self.down = down or set()
        self.always_down = always_down
        self.calls = 0

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        self.calls += 1
        if self.always_down or self.calls in self.down:
            raise UnavailableError("synthetic link is down", code="disconnected")
        return super()._bars(instrument_id, timeframe, start_ns, end_ns)


class Flags:
    """A ``Progress`` for the job function run in this process."""

    def __init__(self) -> None:
        self.updates: list[tuple[float, str | None]] = []

    def update(self, fraction: float, message: str | None = None) -> None:
        self.updates.append((fraction, message))

    @property
    def cancelled(self) -> bool:
        return False


@pytest.fixture
def checkpoints(migrated_db: Database) -> Checkpoints:
    return Checkpoints(migrated_db)


def test_interrupted_then_resumed_equals_one_shot(tmp_path: Path,
                                                  checkpoints: Checkpoints) -> None:
    one_shot = BarStore(ArcticStore(tmp_path / "a"))
    res = run_backfill(SyntheticSource(), one_shot, checkpoints, INST, "1m", START, END,
                       chunk_ns=2 * NS_PER_DAY, resume=False)
    assert res.status == "completed" and res.chunks == 11

    resumed = BarStore(ArcticStore(tmp_path / "b"))
    fresh = Checkpoints(checkpoints.db)
    seen: list[float] = []
    stop_after = 4

    def progress(fraction: float, _msg: str, state: dict[str, Any]) -> None:
        seen.append(fraction)

    # Interrupt after 4 chunks; the checkpoint is in the relational store.
    first = run_backfill(SyntheticSource(), resumed, fresh, INST, "1m", START, END,
                         chunk_ns=2 * NS_PER_DAY, progress=progress, resume=False,
                         cancelled=lambda: len(seen) > stop_after)
    assert first.status == "cancelled" and START < first.next_ns < END
    # Simulate a crash after the write but before the checkpoint: rewind it one chunk, so the
    # resumed run fetches a chunk that is already stored.
    cp = fresh.get(first.checkpoint_id)
    assert cp is not None
    fresh.save(cp.id, source="synthetic", instrument_id=INST, timeframe="1m", start_ns=START,
               end_ns=END, next_ns=cp.next_ns - 2 * NS_PER_DAY, rows=cp.rows,
               rejected=cp.rejected, status="running")
    second = run_backfill(SyntheticSource(), resumed, fresh, INST, "1m", START, END,
                          chunk_ns=2 * NS_PER_DAY)
    assert second.status == "completed"
    a, b = one_shot.read(INST, "1m"), resumed.read(INST, "1m")
    assert len(a) == 15 * 390 and not b.index.duplicated().any()
    pd.testing.assert_frame_equal(a, b)
    assert seen == sorted(seen)  # progress only moves forward
    again = run_backfill(SyntheticSource(), resumed, fresh, INST, "1m", START, END,
                         chunk_ns=2 * NS_PER_DAY)
    assert again.status == "completed" and again.message == "already complete"


def test_transient_outage_is_retried_with_backoff(tmp_path: Path,
                                                  checkpoints: Checkpoints) -> None:
    src = OutageSource(down={2, 3})
    waits: list[float] = []
    res = run_backfill(src, BarStore(ArcticStore(tmp_path)), checkpoints, INST, "1d", START, END,
                       chunk_ns=7 * NS_PER_DAY, resume=False, sleep=waits.append,
                       rng=random.Random(1), policy=RetryPolicy(backoff_base_s=0.2))
    assert res.status == "completed" and res.retries == 2
    assert len(waits) == 2 and 0.1 <= waits[0] < 0.2 and 0.2 <= waits[1] < 0.4  # jittered x2
    assert src.health()["failures"] == 2


def test_repeated_unavailability_stops_within_five_seconds(tmp_path: Path,
                                                           checkpoints: Checkpoints) -> None:
    src = OutageSource(always_down=True)
    t0 = time.monotonic()
    res = run_backfill(src, BarStore(ArcticStore(tmp_path)), checkpoints, INST, "1d", START,
                       END, resume=False, policy=RetryPolicy(backoff_base_s=0.05,
                                                             backoff_max_s=0.5,
                                                             give_up_after_s=1.5))
    elapsed = time.monotonic() - t0
    assert res.status == "source_unavailable" and elapsed < 5.0
    assert "synthetic unavailable" in (res.message or "")
    cp = checkpoints.get(res.checkpoint_id)
    assert cp is not None and cp.status == "source_unavailable" and cp.next_ns == START


def test_each_chunk_takes_a_rate_limit_token(tmp_path: Path, checkpoints: Checkpoints) -> None:
    clock = [0.0]

    def sleep(s: float) -> None:
        clock[0] += s

    src = SyntheticSource(SyntheticConfig(rate_limit_per_s=2.0, rate_limit_burst=1),
                          sleep=sleep, clock=lambda: clock[0])
    res = run_backfill(src, BarStore(ArcticStore(tmp_path)), checkpoints, INST, "1d", START,
                       END, chunk_ns=3 * NS_PER_DAY, resume=False)
    assert res.chunks == 7
    assert clock[0] == pytest.approx(3.0)  # 6 waits of 0.5 s after the first (burst) token


def test_job_kind_runs_against_the_stores(tmp_path: Path, migrated_db: Database) -> None:
    params = BackfillParams(source="synthetic", instrument_id=INST, timeframe=Timeframe.D1,
                            start="2024-01-01", end="2024-07-01", chunk_days=40,
                            database_url=migrated_db.url,
                            timeseries_location=str(tmp_path / "ts"))
    flags = Flags()
    result = run_backfill_job(params, flags)
    assert result["status"] == "completed" and result["rows"] > 120
    assert flags.updates[-1][0] == 1.0
    stored = BarStore(ArcticStore(tmp_path / "ts")).read(INST, "1d")
    assert len(stored) == result["rows"]
