"""Builders for the execution tests: instrument, bars, quotes, book levels, event capture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nautilus.core.time import NS_PER_MINUTE, to_ns
from nautilus.execution.config import ModelChoice, SimulatedVenueConfig
from nautilus.execution.venue import SimulatedVenue
from nautilus.model.data import Bar, BookAction, BookDelta, BookSide, Quote
from nautilus.model.events import OrderEvent, OrderFilled
from nautilus.model.instrument import Instrument

AAPL = Instrument.create("AAPL.XNAS", "equity", "USD")
T0 = to_ns("2026-03-02T15:00:00Z")  # 10:00 New York
M = NS_PER_MINUTE


def bar(i: int, o: float, h: float, lo: float, c: float, v: float = 1e6) -> Bar:
    """1-minute bar ``i``: opens at ``T0 + i*M`` and closes (``ts_event``) a minute later."""
    return Bar(
        instrument_id=AAPL.id,
        timeframe="1m",
        open=o,
        high=h,
        low=lo,
        close=c,
        volume=v,
        ts_event=T0 + (i + 1) * M,
        ts_init=T0 + (i + 1) * M,
    )


def quote(ts: int, bid: float, ask: float, bid_size: float = 100, ask_size: float = 100) -> Quote:
    return Quote(
        instrument_id=AAPL.id,
        bid=bid,
        ask=ask,
        bid_size=bid_size,
        ask_size=ask_size,
        ts_event=ts,
        ts_init=ts,
    )


def level(
    ts: int, side: str, price: float, size: float, action: int = 1, oid: int = 0
) -> BookDelta:
    return BookDelta(
        instrument_id=AAPL.id,
        action=BookAction(action),
        side=BookSide.BID if side == "bid" else BookSide.ASK,
        price=price,
        size=size,
        order_id=oid,
        sequence=0,
        ts_event=ts,
        ts_init=ts,
    )


class Recorder:
    """Collects venue events; ``of(cls)`` filters, ``fills(cid)`` gives (qty, px) pairs."""

    def __init__(self) -> None:
        self.events: list[OrderEvent] = []

    def __call__(self, e: OrderEvent) -> None:
        self.events.append(e)

    def of(self, cls: type[OrderEvent], cid: str | None = None) -> list[Any]:
        return [
            e
            for e in self.events
            if isinstance(e, cls) and (cid is None or e.client_order_id == cid)
        ]

    def fills(self, cid: str | None = None) -> list[tuple[str, str]]:
        return [(str(f.last_qty), str(f.last_px)) for f in self.of(OrderFilled, cid)]


def make_venue_pair(**kw: Any) -> tuple[SimulatedVenue, Recorder]:
    """A venue over ``AAPL`` built from config keywords (models as ``(name, params)``)."""
    for key in ("latency", "fees", "fill_model"):
        if isinstance(kw.get(key), tuple):
            kw[key] = ModelChoice(name=kw[key][0], params=kw[key][1])
    if "slippage" in kw:
        kw["slippage"] = tuple(ModelChoice(name=n, params=p) for n, p in kw["slippage"])
    rec = Recorder()
    return SimulatedVenue(SimulatedVenueConfig(**kw), [AAPL], rec), rec


VenueFactory = Callable[..., tuple[SimulatedVenue, Recorder]]
