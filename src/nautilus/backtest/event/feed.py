"""Bar data in blocks: frames to blocks, higher timeframes without look-ahead, k-way merge.

A *block* is ``(ts, cols)``: an int64 array of bar close times (ns UTC, strictly increasing)
and float64 arrays ``open high low close volume`` of the same length. Backtests never hold more
than a few blocks per stream in memory, so run length does not bound memory.

Higher timeframes: a bar of period ``P`` aggregates the base bars whose close time falls in
``(k*P - P, k*P]`` and is stamped ``k*P`` (its close). It is emitted only after the block
holding its last base bar, and the merge orders it after every base bar with a time
``<= k*P``, so a strategy sees a 1h bar only once the hour has closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.strategy.series import FIELDS, FloatArray, IntArray

Block = tuple[IntArray, dict[str, FloatArray]]
Part = tuple[int, IntArray, dict[str, FloatArray]]

DEFAULT_BLOCK_ROWS = 65_536


def frame_blocks(frame: pd.DataFrame, rows: int = DEFAULT_BLOCK_ROWS) -> Iterator[Block]:
    """Blocks of ``rows`` bars from a bar frame (``ts`` index, OHLCV columns)."""
    ts = np.asarray(frame.index.to_numpy(), dtype=np.int64)
    if len(ts) > 1 and not bool(np.all(ts[1:] > ts[:-1])):
        raise ValidationError("bar times must be strictly increasing", code="unsorted_bars")
    cols = {
        f: np.ascontiguousarray(frame[f].to_numpy(dtype=np.float64))
        if f in frame
        else np.zeros(len(ts))
        for f in FIELDS
    }
    for f in ("open", "high", "low", "close"):
        bad = ~np.isfinite(cols[f]) | (cols[f] <= 0)
        if bad.any():
            raise ValidationError(
                f"bar {f} must be finite and positive (row {int(bad.argmax())})", code="bad_bar"
            )
    for start in range(0, len(ts), rows):
        stop = start + rows
        yield ts[start:stop], {f: c[start:stop] for f, c in cols.items()}


def resample_blocks(blocks: Iterable[Block], tf_ns: int) -> Iterator[Block]:
    """Aggregate base blocks to period ``tf_ns`` bars stamped with their close (see module)."""
    carry: tuple[int, float, float, float, float, float] | None = None
    for ts, cols in blocks:
        if len(ts) == 0:
            continue
        labels = ((ts - 1) // tf_ns + 1) * tf_ns
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        ends = np.r_[starts[1:], len(ts)] - 1
        g_lab = labels[starts]
        g_o = cols["open"][starts]
        g_h = np.maximum.reduceat(cols["high"], starts)
        g_l = np.minimum.reduceat(cols["low"], starts)
        g_c = cols["close"][ends]
        g_v = np.add.reduceat(cols["volume"], starts)
        if carry is not None:
            if carry[0] == g_lab[0]:
                g_o[0] = carry[1]
                g_h[0] = max(g_h[0], carry[2])
                g_l[0] = min(g_l[0], carry[3])
                g_v[0] += carry[5]
            else:
                g_lab = np.r_[carry[0], g_lab]
                g_o, g_h, g_l = np.r_[carry[1], g_o], np.r_[carry[2], g_h], np.r_[carry[3], g_l]
                g_c, g_v = np.r_[carry[4], g_c], np.r_[carry[5], g_v]
        carry = (
            int(g_lab[-1]),
            float(g_o[-1]),
            float(g_h[-1]),
            float(g_l[-1]),
            float(g_c[-1]),
            float(g_v[-1]),
        )
        if len(g_lab) > 1:
            yield (
                g_lab[:-1].astype(np.int64),
                {
                    "open": g_o[:-1],
                    "high": g_h[:-1],
                    "low": g_l[:-1],
                    "close": g_c[:-1],
                    "volume": g_v[:-1],
                },
            )
    if carry is not None:
        lab, o, h, lo, c, v = carry
        yield (
            np.array([lab], dtype=np.int64),
            {
                "open": np.array([o]),
                "high": np.array([h]),
                "low": np.array([lo]),
                "close": np.array([c]),
                "volume": np.array([v]),
            },
        )


def merge_blocks(streams: list[Iterator[Block]]) -> Iterator[list[Part]]:
    """Merge streams into time windows: each yield holds, per stream index, the bars with
    ``ts <= horizon``, where ``horizon`` is the smallest last time buffered in any live stream
    (no later block of any stream can hold an earlier bar). Order inside a window is the
    caller's: by time, then stream index."""
    n = len(streams)
    bufs: list[Block | None] = [None] * n
    pos = [0] * n
    active = list(range(n))
    while True:
        for j in list(active):
            buf = bufs[j]
            if buf is None or pos[j] >= len(buf[0]):
                nxt = next(streams[j], None)
                while nxt is not None and len(nxt[0]) == 0:
                    nxt = next(streams[j], None)
                bufs[j] = nxt
                pos[j] = 0
                if nxt is None:
                    active.remove(j)
        if not active:
            return
        horizon = min(int(bufs[j][0][-1]) for j in active)  # type: ignore[index]
        parts: list[Part] = []
        for j in active:
            ts, cols = bufs[j]  # type: ignore[misc]
            p = pos[j]
            k = int(np.searchsorted(ts, horizon, side="right"))
            if k > p:
                parts.append((j, ts[p:k], {f: c[p:k] for f, c in cols.items()}))
                pos[j] = k
        yield parts
