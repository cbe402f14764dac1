"""``SignalStrategy``: targets from dataframe columns, traded by the event engine.

A signal strategy writes one causal function, :meth:`SignalStrategy.targets`, from a bar frame
(int64 ``ts`` index = bar close in ns UTC, OHLCV columns) to a float Series of targets: units
held (``kind = "units"``, signed) or fractions of equity (``kind = "weights"``); NaN = hold.
The value at bar ``t`` may use bars up to ``t`` only. The event engine evaluates it block by
block (with ``lookback`` bars of history in front of each block) and, at each bar's close,
when the target changes, sends a market order for the difference between target and position,
filled by the venue on the next bar; the vectorized engine runs the same targets with
``run_targets(..., config=VectorizedConfig(execution="next_open"))``
(see :meth:`SignalStrategy.vectorized_targets`), so one strategy runs both ways.
"""

from __future__ import annotations

import abc
import math
from decimal import ROUND_DOWN, Decimal
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import FIELDS, BarSeries


class SignalStrategy(EventStrategy):
    """Targets from columns; see the module docstring."""

    name = "signal_strategy"
    kind: ClassVar[Literal["units", "weights"]] = "units"
    lookback: ClassVar[int] = 0

    def __init__(self, config: object | None = None) -> None:
        super().__init__(config)
        self._targets: dict[str, list[float]] = {}
        self._offset: dict[str, int] = {}
        self._seen: dict[str, int] = {}
        self._last: dict[str, float] = {}

    @abc.abstractmethod
    def targets(self, bars: pd.DataFrame) -> pd.Series:
        """Target per bar (units or weights, NaN = hold), causal in the bars."""

    def on_start(self) -> None:
        for iid in self.config.instruments:
            self.bars[iid] = self.subscribe_bars(iid, keep=self.lookback)
        self.setup()

    def _block_targets(self, bar: BarSeries) -> None:
        tail = bar._tail if bar.keep else {}
        n_tail = len(tail.get("close", ()))
        cols = {
            f: np.concatenate([tail[f], bar._arrays[f]]) if n_tail else bar._arrays[f]
            for f in FIELDS
        }
        # bar times of the history tail are not kept; targets must not depend on them
        ts = np.concatenate(
            [np.full(n_tail, -1, dtype=np.int64), np.asarray(bar._t[1:], dtype=np.int64)]
        )
        frame = pd.DataFrame(cols, index=pd.Index(ts, name="ts"))
        self._targets[bar.instrument_id] = np.asarray(
            self.targets(frame), dtype=np.float64
        ).tolist()
        self._offset[bar.instrument_id] = n_tail
        self._seen[bar.instrument_id] = bar.bars_seen

    def on_bar(self, bar: BarSeries) -> None:
        iid = bar.instrument_id
        if self._seen.get(iid) != bar.bars_seen:
            self._block_targets(bar)
        target = self._targets[iid][bar.i - 1 + self._offset[iid]]
        if math.isnan(target) or target == self._last.get(iid) or self.open_orders(iid):
            return
        self._last[iid] = target
        self.trade_to(iid, target, bar.close)

    def trade_to(self, instrument_id: str, target: float, price: float) -> None:
        """Market order towards ``target`` (units, or a weight of equity at ``price``)."""
        inst = self.instrument(instrument_id)
        units = target if self.kind == "units" else target * self.equity() / price
        lots = (Decimal(repr(units)) / inst.lot_size).to_integral_value(rounding=ROUND_DOWN)
        self.target_position(instrument_id, lots * inst.lot_size)

    def vectorized_targets(self, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Targets of every instrument as one (bars x instruments) frame for ``run_targets``."""
        return pd.DataFrame(
            {iid: np.asarray(self.targets(f), dtype=np.float64) for iid, f in frames.items()},
            index=next(iter(frames.values())).index,
        )
