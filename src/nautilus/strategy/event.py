"""``EventStrategy``: a strategy written as reactions to events (bars, fills, timers...).

The default ``on_start`` subscribes every configured instrument at the configured timeframe
into ``self.bars`` (instrument id -> :class:`~nautilus.strategy.series.BarSeries`); override
``setup`` to register indicators or more series.

>>> from nautilus.strategy.event import EventStrategy
>>> class Hold(EventStrategy):
...     '''Buys once and holds.'''
...     name = "hold"
...     def on_bar(self, bar):
...         if self.position(bar.instrument_id) == 0 and not self.open_orders():
...             self.buy(bar.instrument_id, self.config.quantity)
"""

from __future__ import annotations

from nautilus.strategy.base import Strategy
from nautilus.strategy.series import BarSeries


class EventStrategy(Strategy):
    """Event-driven strategy with one bar series per configured instrument."""

    name = "event_strategy"

    def __init__(self, config: object | None = None) -> None:
        super().__init__(config)  # type: ignore[arg-type]
        self.bars: dict[str, BarSeries] = {}

    def on_start(self) -> None:
        """Subscribe ``config.instruments`` at ``config.timeframe``, then ``setup()``."""
        for iid in self.config.instruments:
            self.bars[iid] = self.subscribe_bars(iid)
        self.setup()

    def setup(self) -> None:
        """Register indicators / extra series here (``self.bars`` is filled)."""
