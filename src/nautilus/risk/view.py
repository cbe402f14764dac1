"""An in-memory :class:`~nautilus.execution.pretrade.TradingView`: what-if checks, the CLI,
benchmarks and tests use it where no execution engine supplies the live view.

Positions are kept in a netting :class:`~nautilus.model.position.PositionBook` and fed with
fills; the account's balances move with the fills. Prices are Decimal with their ns UTC time;
the clock is a settable int ns UTC.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus.model.account import Account, CashAccount
from nautilus.model.events import OrderFilled
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.model.position import OmsType, Position, PositionBook


class InMemoryView:
    """A settable trading view of one account.

    >>> from nautilus.model.instrument import Instrument
    >>> v = InMemoryView("A-1", cash="100000")
    >>> v.add_instrument(Instrument.create("AAPL.XNAS", "equity", "USD"))
    >>> v.set_price("AAPL.XNAS", "190.50", ts_ns=0)
    >>> v.reference_price("AAPL.XNAS")
    (Decimal('190.50'), 0)
    """

    def __init__(self, account_id: str, *, strategy_id: str | None = None,
                 account: Account | None = None, cash: object = None,
                 currency: str = "USD") -> None:
        self.account_id = account_id
        self.strategy_id = strategy_id
        self._account = account if account is not None else CashAccount(account_id, currency)
        if cash is not None:
            self._account.deposit(cash)
        self.instruments: dict[str, Instrument] = {}
        self.prices: dict[str, tuple[Decimal, int]] = {}
        self.book = PositionBook(OmsType.NETTING)
        self.orders: dict[str, Order] = {}
        self.clock_ns = 0

    def now_ns(self) -> int:
        return self.clock_ns

    def instrument(self, instrument_id: str) -> Instrument | None:
        return self.instruments.get(instrument_id)

    def reference_price(self, instrument_id: str) -> tuple[Decimal, int] | None:
        return self.prices.get(instrument_id)

    def account(self) -> Account:
        return self._account

    def positions(self) -> list[Position]:
        return [p for p in self.book.positions.values() if p.signed_qty]  # the open ones

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def add_instrument(self, instrument: Instrument) -> None:
        self.instruments[instrument.id] = instrument

    def set_price(self, instrument_id: str, price: object, *, ts_ns: int | None = None) -> None:
        px = price if isinstance(price, Decimal) else Decimal(str(price))
        self.prices[instrument_id] = (px, self.clock_ns if ts_ns is None else ts_ns)

    def apply_fill(self, fill: OrderFilled) -> Decimal:
        """Apply a fill to the positions and the account; returns the realized P&L."""
        inst = self.instruments[fill.instrument_id]
        pnl = self.book.apply_fill(fill, inst)
        self._account.apply_fill(fill, inst, pnl)
        return pnl
