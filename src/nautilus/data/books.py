"""``BooksEngine``: live L2 order books per instrument, and their depth.

Books are kept from the ``BookDelta`` messages on ``data.book.<instrument>`` (the topic the
WebSocket streams as ``book.<instrument>``), whoever publishes them. When a book is asked for
that nobody feeds, the engine pulls the recent deltas (the last ``window_s`` seconds, then
what happened since the previous pull) from the first enabled data source with the ``book``
capability and publishes them on that topic, so the REST depth and the stream agree.

Prices and sizes leave the engine as ``Decimal`` rounded to the instrument's tick and lot.

    engine.depth("TEC01.XSYN", 5)["bids"][0]    # {"price": Decimal("99.99"), "size": ...}
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

from nautilus.bus.base import Subscription
from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import UnavailableError
from nautilus.data.base import Capability
from nautilus.execution.orderbook import LevelBook
from nautilus.model import BookDelta, BookSide, Instrument

BOOK_TOPIC = "data.book"
"""Bus prefix of book deltas: ``data.book.<instrument_id>``."""
NS = 1_000_000_000


def _quantize(value: float, step: Decimal) -> Decimal:
    """``value`` as a Decimal multiple of ``step`` (the instrument's tick or lot)."""
    if step <= 0:
        return Decimal(repr(value))
    return (Decimal(repr(value)) / step).to_integral_value() * step


@ENGINES.register("books")
class BooksEngine(Engine):
    """Order books from ``data.book.*`` deltas; depth, spread, mid and imbalance on request."""

    name = "books"
    depends_on = ("data",)

    def __init__(self, ctx: EngineContext, window_s: float = 60.0) -> None:
        super().__init__(ctx)
        self.window_s = window_s
        self.books: dict[str, LevelBook] = {}
        self._pulled: dict[str, int] = {}
        self._lock = threading.RLock()
        self._sub: Subscription | None = None

    def start(self) -> None:
        self._sub = self.ctx.bus.subscribe(f"{BOOK_TOPIC}.>", self._on_delta)
        super().start()

    def stop(self) -> None:
        if self._sub is not None:
            self.ctx.bus.unsubscribe(self._sub)
            self._sub = None
        super().stop()

    def _on_delta(self, _topic: str, msg: Any) -> None:
        if not isinstance(msg, BookDelta):
            return
        with self._lock:
            if msg.instrument_id not in self._pulled:  # pulled books apply their own deltas
                self._apply(msg)

    def _apply(self, delta: BookDelta) -> None:
        book = self.books.get(delta.instrument_id)
        if book is None:
            book = self.books[delta.instrument_id] = LevelBook(delta.instrument_id)
        book.apply(delta)

    def _data(self) -> Any:
        data = self.ctx.engines.get("data")
        if data is None:
            raise UnavailableError("the data engine is not running", code="engine_not_running")
        return data

    def _pull(self, instrument_id: str) -> None:
        """Publish the deltas a book source has for ``instrument_id`` since the last pull."""
        data = self._data()
        now = time.time_ns()
        start = self._pulled.get(instrument_id, now - int(self.window_s * NS))
        if now <= start:
            return
        for info in data.list_sources():
            if not info["enabled"] or Capability.BOOK.value not in info["capabilities"]:
                continue
            deltas = data.source(info["name"]).book_deltas(instrument_id, start, now)
            with self._lock:
                self._pulled[instrument_id] = now
                for delta in deltas:
                    self._apply(delta)
            topic = f"{BOOK_TOPIC}.{instrument_id}"
            for delta in deltas:  # for the stream (book.<instrument>)
                self.ctx.bus.publish(topic, delta)
            return

    def depth(self, instrument_id: str, n: int = 10) -> dict[str, Any]:
        """The top ``n`` levels a side with spread, mid and imbalance (over those levels).

        Raises:
            NotFoundError: ``unknown_symbol`` for an instrument no source knows.
            UnavailableError: the data engine is not running here.
        """
        instrument: Instrument = self._data().instrument(instrument_id)
        with self._lock:
            fed = instrument_id in self.books and instrument_id not in self._pulled
        if not fed:
            self._pull(instrument_id)
        with self._lock:
            book = self.books.get(instrument_id) or LevelBook(instrument_id)
            bids = book.levels(BookSide.BID, n)
            asks = book.levels(BookSide.ASK, n)
            imbalance = book.imbalance(n)
            ts, sequence = book.ts_last, book.sequence
        tick, lot = instrument.tick_size, instrument.lot_size

        def side(levels: list[tuple[float, float]]) -> list[dict[str, Decimal]]:
            return [{"price": _quantize(p, tick), "size": _quantize(s, lot)} for p, s in levels]

        out_bids, out_asks = side(bids), side(asks)
        best_bid = out_bids[0]["price"] if out_bids else None
        best_ask = out_asks[0]["price"] if out_asks else None
        both = best_bid is not None and best_ask is not None
        return {
            "instrument_id": instrument_id,
            "ts": ts,
            "sequence": sequence,
            "depth": n,
            "bids": out_bids,
            "asks": out_asks,
            "spread": best_ask - best_bid if both else None,  # type: ignore[operator]
            "mid": (best_ask + best_bid) / 2 if both else None,  # type: ignore[operator]
            "imbalance": imbalance,
        }
