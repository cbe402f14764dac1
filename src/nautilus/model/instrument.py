"""Instruments: what can be priced, held and traded.

An ``InstrumentId`` is ``SYMBOL.VENUE`` (``AAPL.XNAS``, ``EURUSD.IDEALPRO``, ``CPIAUCSL.FRED``).
Prices and quantities of an instrument are ``Decimal`` multiples of its ``tick_size`` and
``lot_size``; ``price_precision``/``size_precision`` are the decimals those imply.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

import msgspec

from nautilus.bus.base import message_type
from nautilus.core.errors import ValidationError
from nautilus.core.money import check_increment, to_decimal


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    INDEX = "index"
    FX = "fx"
    FUTURE = "future"
    OPTION = "option"
    CRYPTO = "crypto"
    BOND = "bond"
    ECONOMIC = "economic"


@lru_cache(maxsize=256)
def _decimals(step: Decimal) -> int:
    # cached: equal Decimals hash alike and normalise to the same exponent, and the
    # matching engine reads an instrument's precision on every price it converts
    exp = step.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def parse_instrument_id(value: str) -> tuple[str, str]:
    """``'AAPL.XNAS'`` -> ``('AAPL', 'XNAS')``; the venue is the part after the last dot."""
    symbol, dot, venue = value.rpartition(".")
    if not dot or not symbol or not venue:
        raise ValidationError(
            f"instrument id {value!r} must be SYMBOL.VENUE (e.g. AAPL.XNAS)",
            code="bad_instrument_id",
        )
    return symbol, venue


@message_type
class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """Static description of a tradable or observable instrument.

    ``tick_size`` and ``lot_size`` are Decimal; ``multiplier`` scales price × quantity to notional
    (contract size for futures/options); ``calendar`` names the trading calendar (``XNYS``,
    ``24/7``, ``24/5``).
    """

    id: str
    symbol: str
    venue: str
    asset_class: AssetClass
    currency: str
    tick_size: Decimal = Decimal("0.01")
    lot_size: Decimal = Decimal("1")
    min_quantity: Decimal = Decimal("0")
    min_notional: Decimal = Decimal("0")
    multiplier: Decimal = Decimal("1")
    calendar: str = "XNYS"
    name: str = ""
    sector: str | None = None
    exchange_tz: str = "America/New_York"

    @classmethod
    def create(
        cls, instrument_id: str, asset_class: AssetClass | str, currency: str, **kw: object
    ) -> Instrument:
        """Build from ``SYMBOL.VENUE`` with Decimal coercion of the size fields.

        >>> Instrument.create("AAPL.XNAS", "equity", "USD").price_precision
        2
        """
        symbol, venue = parse_instrument_id(instrument_id)
        for k in ("tick_size", "lot_size", "min_quantity", "min_notional", "multiplier"):
            if k in kw:
                kw[k] = to_decimal(kw[k], field=k)
        inst = cls(
            id=instrument_id,
            symbol=symbol,
            venue=venue,
            asset_class=AssetClass(asset_class),
            currency=currency.upper(),
            **kw,  # type: ignore[arg-type]
        )
        if inst.tick_size <= 0 or inst.lot_size <= 0 or inst.multiplier <= 0:
            raise ValidationError(
                "tick_size, lot_size and multiplier must be positive", code="bad_instrument"
            )
        return inst

    @property
    def price_precision(self) -> int:
        return _decimals(self.tick_size)

    @property
    def size_precision(self) -> int:
        return _decimals(self.lot_size)

    def make_price(self, value: object) -> Decimal:
        """A Decimal price on this instrument's tick grid (ValidationError otherwise)."""
        return check_increment(to_decimal(value, field="price"), self.tick_size, field="price")

    def make_qty(self, value: object) -> Decimal:
        """A Decimal quantity on this instrument's lot grid (ValidationError otherwise)."""
        return check_increment(to_decimal(value, field="quantity"), self.lot_size, field="quantity")

    def notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        return quantity * price * self.multiplier
