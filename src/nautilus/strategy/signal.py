"""``SignalStrategy``: targets from dataframe columns, traded by either backtest engine.

A signal strategy writes one causal function, :meth:`SignalStrategy.targets`, from a bar frame
(int64 ``ts`` index = bar close in ns UTC, OHLCV columns) to a float Series of targets: units
held (``kind = "units"``, signed) or fractions of equity (``kind = "weights"``); NaN = hold.
The value at bar ``t`` may use bars up to ``t`` only.

Event-driven: the targets are evaluated block by block (with ``lookback`` bars of history in
front of each block). At bar ``t``'s close, once every instrument has delivered its bar ``t``,
each instrument whose target differs from its last traded target gets a market order for the
difference between target and position (units, or weight x equity at the close / the close,
floored towards zero to the lot); the venue fills it at bar ``t + 1``'s open.

Vectorized: :meth:`SignalStrategy.run_vectorized` feeds the same targets, masked to the bars
where they change, to ``run_targets`` under
:func:`~nautilus.backtest.vectorized.parity.venue_fill_config` of the event run's venue, so the
two runs give the same fills and equity (see that module for the shared fill assumptions).
"""

from __future__ import annotations

import abc
import math
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import FIELDS, BarSeries

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nautilus.backtest.event import EventBacktestConfig
    from nautilus.backtest.vectorized.results import BacktestResult
    from nautilus.model.instrument import Instrument


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
        self._pending: dict[str, float] = {}
        self._pending_ts = -1
        self._n_instruments = 0

    @abc.abstractmethod
    def targets(self, bars: pd.DataFrame) -> pd.Series:
        """Target per bar (units or weights, NaN = hold), causal in the bars."""

    def on_start(self) -> None:
        for iid in self.config.instruments:
            self.bars[iid] = self.subscribe_bars(iid, keep=self.lookback)
        self._n_instruments = len(self.bars)
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
        ts = bar.ts
        if ts != self._pending_ts:
            # an instrument had no bar at the pending time: decide without it
            self._decide()
            self._pending_ts = ts
        self._pending[iid] = self._targets[iid][bar.i - 1 + self._offset[iid]]
        if len(self._pending) == self._n_instruments:
            self._decide()

    def _decide(self) -> None:
        """Trade the pending targets, all against one equity (every mark at the same close)."""
        pending = self._pending
        if not pending:
            return
        equity = self.equity() if self.kind == "weights" else 0.0
        for iid, target in pending.items():
            if math.isnan(target) or target == self._last.get(iid) or self.open_orders(iid):
                continue
            self._last[iid] = target
            self._trade_to(iid, target, self.bars[iid].close, equity)
        pending.clear()

    def trade_to(self, instrument_id: str, target: float, price: float) -> None:
        """Market order towards ``target`` (units, or a weight of equity at ``price``)."""
        self._trade_to(
            instrument_id, target, price, self.equity() if self.kind == "weights" else 0.0
        )

    def _trade_to(self, instrument_id: str, target: float, price: float, equity: float) -> None:
        lot = self.instrument(instrument_id).lot_size
        units = target if self.kind == "units" else target * equity / price
        # the vectorized kernels' lot rule (costs.floor_lot): towards zero, 1e-9 lot of slack
        lots = math.floor(abs(units) / float(lot) + 1e-9)
        self.target_position(instrument_id, Decimal(lots if units >= 0 else -lots) * lot)

    def vectorized_targets(self, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Targets of every instrument as one (bars x instruments) frame for ``run_targets``."""
        return pd.DataFrame(
            {iid: np.asarray(self.targets(f), dtype=np.float64) for iid, f in frames.items()},
            index=next(iter(frames.values())).index,
        )

    def traded_targets(
        self, frames: dict[str, pd.DataFrame]
    ) -> tuple[pd.DataFrame, npt.NDArray[np.bool_]]:
        """The targets the event engine acts on and the bars where it acts.

        A target counts where it is not NaN and differs from the instrument's last such
        target (the first one always counts); every other cell is NaN (hold). The bool array
        marks the bars with at least one counting target (``run_targets``' ``rebalance``).
        """
        raw = self.vectorized_targets(frames)
        t = raw.to_numpy()
        last = raw.ffill().shift(1).to_numpy()
        acts = ~np.isnan(t) & ((t != last) | np.isnan(last))
        return raw.where(acts), acts.any(axis=1)

    def run_vectorized(
        self,
        frames: dict[str, pd.DataFrame],
        instruments: Iterable[Instrument],
        config: EventBacktestConfig | None = None,
    ) -> BacktestResult:
        """Run the targets through the vectorized engine under the fill assumptions of an
        event-driven run with ``config`` (same bars: aligned frames with ``open`` and
        ``close``). Columns are in ``frames`` order, cash is shared."""
        from nautilus.backtest.event import EventBacktestConfig
        from nautilus.backtest.vectorized.engine import run_targets
        from nautilus.backtest.vectorized.parity import venue_fill_config

        cfg = config or EventBacktestConfig()
        by_id = {i.id: i for i in instruments}
        vcfg = venue_fill_config(cfg.venue, [by_id[k] for k in frames], cfg.initial_cash)
        index = next(iter(frames.values())).index
        if any(not f.index.equals(index) for f in frames.values()):
            raise ValidationError("frames must share one bar index", code="misaligned")
        target, rebalance = self.traded_targets(frames)
        return run_targets(
            pd.DataFrame({k: f["close"].to_numpy() for k, f in frames.items()}, index=index),
            target,
            kind=self.kind,
            rebalance=rebalance,
            open=pd.DataFrame({k: f["open"].to_numpy() for k, f in frames.items()}, index=index),
            index=index.to_numpy(),
            config=vcfg,
        )
