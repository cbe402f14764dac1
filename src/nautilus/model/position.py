"""Positions built from fills, in netting or hedging mode, with exact Decimal P&L.

Conventions:

- ``signed_qty`` is positive for a long, negative for a short, zero when flat.
- ``open_cost`` is the sum of ``qty * px`` of the quantity still open (always ``>= 0``);
  ``avg_px_open = open_cost / |signed_qty|``.
- Realized P&L of a reduction of ``q`` at ``px``: ``sign * (q * px - cost_removed) * multiplier``
  where ``cost_removed = open_cost * q / |signed_qty|`` rounded half-even to the money
  precision (``price_precision + size_precision`` decimals, the exact precision of a
  ``qty * px`` product). A full close removes the whole remaining ``open_cost``, so over a round
  trip the realized P&L is exactly ``sells - buys`` (times the multiplier); rounding can only
  move cents between partial closes, never create or lose them.
- ``realized_pnl`` is gross of commissions; ``commission`` is the sum of fill commissions in
  the instrument currency (positive = cost); ``net_realized_pnl`` subtracts it.
- Netting: one position per instrument; a fill that crosses zero closes the position and opens
  a new one (a new ``position_id``) with the remainder; the fill's commission stays with the
  position it closed. Hedging: a fill goes to ``fill.position_id`` (or opens a position named
  after its client order id), so longs and shorts of one instrument coexist.
- Fills are deduplicated by venue ``trade_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from nautilus.core.errors import ValidationError
from nautilus.core.money import quantize
from nautilus.model.events import OrderFilled
from nautilus.model.instrument import Instrument

ZERO = Decimal(0)


class PositionSide(StrEnum):
    FLAT = "flat"
    LONG = "long"
    SHORT = "short"


class OmsType(StrEnum):
    """How fills map to positions: one net position per instrument, or many (hedging)."""

    NETTING = "netting"
    HEDGING = "hedging"


@dataclass(slots=True, eq=False)
class Position:
    """A position in one instrument. Amounts are Decimal in ``currency``; times int ns UTC."""

    position_id: str
    instrument_id: str
    currency: str
    multiplier: Decimal = Decimal(1)
    money_precision: int = 8
    signed_qty: Decimal = ZERO
    open_cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    commission: Decimal = ZERO
    peak_qty: Decimal = ZERO
    ts_opened: int = 0
    ts_closed: int | None = None
    ts_last: int = 0
    trade_ids: set[str] = field(default_factory=set)

    @property
    def side(self) -> PositionSide:
        if self.signed_qty > 0:
            return PositionSide.LONG
        if self.signed_qty < 0:
            return PositionSide.SHORT
        return PositionSide.FLAT

    @property
    def quantity(self) -> Decimal:
        """Absolute open quantity."""
        return abs(self.signed_qty)

    @property
    def is_open(self) -> bool:
        return self.signed_qty != 0

    @property
    def avg_px_open(self) -> Decimal | None:
        """Average open price of the quantity still open (``None`` when flat)."""
        if self.signed_qty == 0:
            return None
        return self.open_cost / abs(self.signed_qty)

    @property
    def net_realized_pnl(self) -> Decimal:
        return self.realized_pnl - self.commission

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """P&L of the open quantity marked at ``mark`` (exact)."""
        if self.signed_qty == 0:
            return ZERO
        sign = 1 if self.signed_qty > 0 else -1
        return sign * (mark * abs(self.signed_qty) - self.open_cost) * self.multiplier

    def total_pnl(self, mark: Decimal) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl(mark)

    def notional(self, mark: Decimal) -> Decimal:
        """Signed market value of the open quantity at ``mark``."""
        return self.signed_qty * mark * self.multiplier

    def apply_qty(
        self, side_sign: int, qty: Decimal, px: Decimal, ts: int
    ) -> tuple[Decimal, Decimal]:
        """Apply ``qty`` (> 0) bought (``side_sign`` +1) or sold (-1) at ``px``.

        Returns ``(realized_pnl, remainder)``: the P&L realized by this fill and the part of
        ``qty`` beyond a full close, which this position does not take (the caller opens the
        opposite position with it).
        """
        if qty <= 0:
            raise ValidationError(
                f"fill quantity must be positive, got {qty}", code="invalid_quantity"
            )
        if self.signed_qty == 0 and self.ts_closed is None and not self.trade_ids:
            self.ts_opened = ts
        self.ts_last = ts
        if self.signed_qty == 0 or (self.signed_qty > 0) == (side_sign > 0):
            self.signed_qty += side_sign * qty
            self.open_cost += qty * px
            self.peak_qty = max(self.peak_qty, abs(self.signed_qty))
            self.ts_closed = None
            return ZERO, ZERO
        held = abs(self.signed_qty)
        closed = min(qty, held)
        if closed == held:
            cost_removed = self.open_cost
        else:
            cost_removed = quantize(self.open_cost * closed / held, self.money_precision)
        sign = 1 if self.signed_qty > 0 else -1
        pnl = sign * (closed * px - cost_removed) * self.multiplier
        self.realized_pnl += pnl
        self.open_cost -= cost_removed
        self.signed_qty += side_sign * closed
        if self.signed_qty == 0:
            self.open_cost = ZERO
            self.ts_closed = ts
        return pnl, qty - closed


class PositionBook:
    """All positions of one account, fed with fills.

    >>> from nautilus.model.instrument import Instrument
    >>> from nautilus.model.events import OrderFilled, OrderSide, OrderType
    >>> inst = Instrument.create("AAPL.XNAS", "equity", "USD")
    >>> book = PositionBook(OmsType.NETTING)
    >>> def fill(tid, side, qty, px):
    ...     return OrderFilled(client_order_id=tid, instrument_id=inst.id, ts_event=0, ts_init=0,
    ...         venue_order_id="V", trade_id=tid, side=side, order_type=OrderType.MARKET,
    ...         last_qty=Decimal(qty), last_px=Decimal(px), currency="USD")
    >>> _ = book.apply_fill(fill("T1", OrderSide.BUY, "10", "100.00"), inst)
    >>> book.apply_fill(fill("T2", OrderSide.SELL, "4", "101.50"), inst)
    Decimal('6.00')
    """

    def __init__(self, oms_type: OmsType | str = OmsType.NETTING) -> None:
        self.oms_type = OmsType(oms_type)
        self.positions: dict[str, Position] = {}
        self._net: dict[str, str] = {}
        self._counter: dict[str, int] = {}
        self._trade_ids: set[str] = set()

    def _new(self, instrument: Instrument, position_id: str | None = None) -> Position:
        if position_id is None:
            n = self._counter.get(instrument.id, 0) + 1
            self._counter[instrument.id] = n
            position_id = f"{instrument.id}-{n}"
        pos = Position(
            position_id=position_id,
            instrument_id=instrument.id,
            currency=instrument.currency,
            multiplier=instrument.multiplier,
            money_precision=instrument.price_precision + instrument.size_precision,
        )
        self.positions[position_id] = pos
        return pos

    def net_position(self, instrument_id: str) -> Position | None:
        """The current netting position of ``instrument_id`` (may be flat)."""
        pid = self._net.get(instrument_id)
        return self.positions.get(pid) if pid else None

    def net_qty(self, instrument_id: str) -> Decimal:
        """Signed open quantity over all positions of ``instrument_id``."""
        return sum(
            (p.signed_qty for p in self.positions.values() if p.instrument_id == instrument_id),
            ZERO,
        )

    def open_positions(self, instrument_id: str | None = None) -> list[Position]:
        return [
            p
            for p in self.positions.values()
            if p.is_open and (instrument_id is None or p.instrument_id == instrument_id)
        ]

    def apply_fill(self, fill: OrderFilled, instrument: Instrument) -> Decimal:
        """Apply ``fill``; returns the realized P&L it produced (0 for a duplicate trade id)."""
        if fill.trade_id in self._trade_ids:
            return ZERO
        if fill.instrument_id != instrument.id:
            raise ValidationError(
                f"fill for {fill.instrument_id} applied with {instrument.id}",
                code="instrument_mismatch",
            )
        self._trade_ids.add(fill.trade_id)
        commission = (
            fill.commission if fill.commission_currency in ("", instrument.currency) else ZERO
        )
        pos = self._target(fill, instrument)
        pnl, remainder = pos.apply_qty(fill.side.sign, fill.last_qty, fill.last_px, fill.ts_event)
        pos.trade_ids.add(fill.trade_id)
        pos.commission += commission
        if remainder > 0:
            flipped = self._new(
                instrument,
                None if self.oms_type is OmsType.NETTING else f"{pos.position_id}-F{fill.trade_id}",
            )
            flipped.apply_qty(fill.side.sign, remainder, fill.last_px, fill.ts_event)
            flipped.trade_ids.add(fill.trade_id)
            if self.oms_type is OmsType.NETTING:
                self._net[instrument.id] = flipped.position_id
        return pnl

    def _target(self, fill: OrderFilled, instrument: Instrument) -> Position:
        if self.oms_type is OmsType.NETTING:
            pos = self.net_position(instrument.id)
            if pos is None or (not pos.is_open and pos.trade_ids):
                pos = self._new(instrument)
                self._net[instrument.id] = pos.position_id
            return pos
        pid = fill.position_id or f"{instrument.id}-{fill.client_order_id}"
        existing = self.positions.get(pid)
        return existing if existing is not None else self._new(instrument, pid)

    def realized_pnl(self, instrument_id: str | None = None) -> Decimal:
        return sum(
            (
                p.realized_pnl
                for p in self.positions.values()
                if instrument_id is None or p.instrument_id == instrument_id
            ),
            ZERO,
        )

    def unrealized_pnl(self, marks: dict[str, Decimal]) -> Decimal:
        """Sum of unrealized P&L of open positions at ``marks`` (instrument id -> price)."""
        return sum((p.unrealized_pnl(marks[p.instrument_id]) for p in self.open_positions()), ZERO)
