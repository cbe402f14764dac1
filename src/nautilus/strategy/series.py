"""Bar series as a strategy sees them: a cursor over the current block of bars.

The engine hands bars over in blocks (backtests: tens of thousands at a time; paper trading:
one bar at a time) and moves the cursor ``i`` (row ``r`` of a block sits at ``i = r + 1``)
before each ``on_bar`` call, so a bar costs one
integer store instead of an object. ``bar.close`` etc. read the bar under the cursor (floats,
market data is measured, not booked); ``bar.ts`` is the bar's *close* time in int ns UTC.

Only bars at or before the cursor are reachable through the public API: ``history`` returns
values up to and including the current bar, and indicator handles read the current bar's value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from nautilus.strategy.indicators import IndicatorHandle

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class BarSeries:
    """Bars of one instrument and timeframe; ``i`` is the current bar of the loaded block.

    ``feeds_venue`` marks the finest series of an instrument: its bars drive the simulated
    venue's matching (higher timeframes are views of the same market and never match twice).
    """

    __slots__ = (
        "_arrays",
        "_c",
        "_h",
        "_l",
        "_o",
        "_prev",
        "_t",
        "_tail",
        "_v",
        "bars_seen",
        "feeds_venue",
        "i",
        "indicators",
        "instrument_id",
        "keep",
        "tf_ns",
        "timeframe",
    )

    def __init__(self, instrument_id: str, timeframe: str, tf_ns: int, *, keep: int = 0) -> None:
        self.instrument_id = instrument_id
        self.timeframe = timeframe
        self.tf_ns = tf_ns
        self.keep = keep
        self.i = 0
        self._prev = False
        self.bars_seen = 0
        self.feeds_venue = False
        self.indicators: list[IndicatorHandle] = []
        # position 0 is the bar shown before any block: none yet (NaN)
        self._t: list[int] = [0]
        self._o: list[float] = [math.nan]
        self._h: list[float] = [math.nan]
        self._l: list[float] = [math.nan]
        self._c: list[float] = [math.nan]
        self._v: list[float] = [math.nan]
        self._arrays: dict[str, FloatArray] = {}
        self._tail: dict[str, FloatArray] = {}

    @property
    def key(self) -> tuple[str, str]:
        return (self.instrument_id, self.timeframe)

    # -- the bar under the cursor ------------------------------------------------------

    @property
    def open(self) -> float:
        return self._o[self.i]

    @property
    def high(self) -> float:
        return self._h[self.i]

    @property
    def low(self) -> float:
        return self._l[self.i]

    @property
    def close(self) -> float:
        return self._c[self.i]

    @property
    def volume(self) -> float:
        return self._v[self.i]

    @property
    def ts(self) -> int:
        """Close time of the current bar, int ns UTC."""
        return self._t[self.i]

    @property
    def ready(self) -> bool:
        """At least one bar has been delivered."""
        return self.i > 0 or self._prev

    def history(self, field: str, n: int) -> FloatArray:
        """The last ``n`` values of ``field`` up to and including the current bar.

        Reaches back into earlier blocks only as far as ``keep`` bars (set it when subscribing).
        """
        cur = self._arrays[field][: self.i] if self._arrays else np.empty(0)
        if len(cur) >= n or field not in self._tail:
            return cur[-n:].copy()
        return np.concatenate([self._tail[field], cur])[-n:]

    # -- engine side ---------------------------------------------------------------------

    def load(self, ts: IntArray, cols: dict[str, FloatArray]) -> None:
        """Make ``ts``/``cols`` the current block and update every indicator over it.

        Position 0 of the lists holds the bar shown before this block (the previous block's
        last bar, or NaN before the first bar), so the cursor stays on it until the engine
        delivers row ``r`` of the block at position ``r + 1``: a new block never makes a later
        bar visible. Indicators run their streaming kernels over the whole block at once
        (state carried between blocks); a value at row ``r`` depends only on rows ``<= r``.
        """
        prev = self._arrays
        if prev:
            if self.keep:
                for f, arr in prev.items():
                    old = self._tail.get(f)
                    joined = arr if old is None else np.concatenate([old, arr])
                    self._tail[f] = joined[-self.keep :].copy()
            head_t, head = (
                self._t[-1],
                [self._o[-1], self._h[-1], self._l[-1], self._c[-1], self._v[-1]],
            )
        else:
            head_t, head = 0, [math.nan] * 5
        self._prev = bool(prev) or self._prev
        self._arrays = cols
        self._t = [head_t, *ts.tolist()]
        self._o = [head[0], *cols["open"].tolist()]
        self._h = [head[1], *cols["high"].tolist()]
        self._l = [head[2], *cols["low"].tolist()]
        self._c = [head[3], *cols["close"].tolist()]
        self._v = [head[4], *cols["volume"].tolist()]
        self.bars_seen += len(ts)
        self.i = 0
        for ind in self.indicators:
            ind.update_block(cols)

    def last_close(self) -> float | None:
        """Close of the current bar (None before the first)."""
        return self._c[self.i] if self.ready else None

    def __repr__(self) -> str:
        return f"BarSeries({self.instrument_id} {self.timeframe}, i={self.i})"
