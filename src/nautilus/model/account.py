"""Accounts: multi-currency cash balances and margin accounts, updated from fills.

All amounts are ``Decimal`` in the named currency. A balance has ``total`` (what the account
owns), ``locked`` (reserved for open orders or held as margin) and ``free = total - locked``.
Commissions are positive costs (negative = rebate) and are debited from
``fill.commission_currency`` (the fill's currency when empty).

- :class:`CashAccount`: a buy debits ``qty * px * multiplier`` from the fill currency, a sell
  credits it (the instrument itself is tracked as a position, not a balance).
- :class:`MarginAccount`: trades move no notional; the balance changes by realized P&L and
  commission. Initial margin is ``notional / leverage``; maintenance margin is
  ``maintenance_rate * notional``. ``locked`` holds the initial margin of open positions.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from decimal import Decimal

from nautilus.core.errors import ConflictError, ValidationError
from nautilus.core.money import to_decimal
from nautilus.model.events import OrderFilled
from nautilus.model.instrument import Instrument

ZERO = Decimal(0)


@dataclass(slots=True)
class AccountBalance:
    """One currency of an account."""

    currency: str
    total: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def free(self) -> Decimal:
        return self.total - self.locked


class Account(abc.ABC):
    """Balances per currency plus the rules of how a fill moves them."""

    def __init__(self, account_id: str, base_currency: str) -> None:
        self.account_id = account_id
        self.base_currency = base_currency.upper()
        self.balances: dict[str, AccountBalance] = {}
        self._trade_ids: set[str] = set()

    def balance(self, currency: str | None = None) -> AccountBalance:
        cur = (currency or self.base_currency).upper()
        bal = self.balances.get(cur)
        if bal is None:
            bal = self.balances[cur] = AccountBalance(cur)
        return bal

    def deposit(self, amount: object, currency: str | None = None) -> AccountBalance:
        """Add a positive ``amount`` to ``total``."""
        value = to_decimal(amount, field="amount")
        if value <= 0:
            raise ValidationError(f"deposit must be positive, got {value}", code="invalid_amount")
        bal = self.balance(currency)
        bal.total += value
        return bal

    def withdraw(self, amount: object, currency: str | None = None) -> AccountBalance:
        """Remove a positive ``amount`` from ``total``; it must be free."""
        value = to_decimal(amount, field="amount")
        bal = self.balance(currency)
        if value <= 0 or value > bal.free:
            raise ConflictError(
                f"cannot withdraw {value} {bal.currency} (free {bal.free})",
                code="insufficient_funds",
            )
        bal.total -= value
        return bal

    def lock(self, amount: Decimal, currency: str | None = None) -> None:
        """Reserve ``amount`` of free balance (e.g. for an open buy order)."""
        bal = self.balance(currency)
        if amount < 0 or amount > bal.free:
            raise ConflictError(
                f"cannot lock {amount} {bal.currency} (free {bal.free})", code="insufficient_funds"
            )
        bal.locked += amount

    def unlock(self, amount: Decimal, currency: str | None = None) -> None:
        bal = self.balance(currency)
        bal.locked = max(ZERO, bal.locked - amount)

    def apply_fill(
        self, fill: OrderFilled, instrument: Instrument, realized_pnl: Decimal = ZERO
    ) -> bool:
        """Move balances for ``fill``; ``False`` if its trade id was already applied.

        ``realized_pnl`` is what the position book reported for this fill (margin accounts
        book it; cash accounts already see it in the notional flows).
        """
        if fill.trade_id in self._trade_ids:
            return False
        self._trade_ids.add(fill.trade_id)
        self._book_fill(fill, instrument, realized_pnl)
        if fill.commission:
            self.balance(fill.commission_currency or fill.currency).total -= fill.commission
        return True

    @abc.abstractmethod
    def _book_fill(self, fill: OrderFilled, instrument: Instrument, realized_pnl: Decimal) -> None:
        """Move the trade's value (not the commission) between balances."""


class CashAccount(Account):
    """Fully funded account: buys spend cash, sells receive it.

    >>> from nautilus.model.instrument import Instrument
    >>> acct = CashAccount("A-1", "USD")
    >>> acct.deposit("10000").total
    Decimal('10000')
    """

    def _book_fill(self, fill: OrderFilled, instrument: Instrument, realized_pnl: Decimal) -> None:
        notional = instrument.notional(fill.last_qty, fill.last_px)
        self.balance(fill.currency).total -= fill.side.sign * notional

    def can_afford(self, notional: Decimal, currency: str | None = None) -> bool:
        return notional <= self.balance(currency).free


class MarginAccount(Account):
    """Leveraged account: margin is locked against open positions, P&L is settled in cash."""

    def __init__(
        self,
        account_id: str,
        base_currency: str,
        *,
        leverage: object = 1,
        maintenance_rate: object | None = None,
    ) -> None:
        super().__init__(account_id, base_currency)
        self.leverage = to_decimal(leverage, field="leverage")
        if self.leverage <= 0:
            raise ValidationError("leverage must be positive", code="invalid_leverage")
        self.maintenance_rate = (
            to_decimal(maintenance_rate, field="maintenance_rate")
            if maintenance_rate is not None
            else 1 / self.leverage / 2
        )
        self._margins: dict[str, tuple[str, Decimal]] = {}

    def initial_margin(self, instrument: Instrument, qty: Decimal, px: Decimal) -> Decimal:
        """Margin needed to open ``qty`` at ``px``: ``|notional| / leverage``."""
        return abs(instrument.notional(qty, px)) / self.leverage

    def maintenance_margin(self, instrument: Instrument, qty: Decimal, mark: Decimal) -> Decimal:
        return abs(instrument.notional(qty, mark)) * self.maintenance_rate

    def _book_fill(self, fill: OrderFilled, instrument: Instrument, realized_pnl: Decimal) -> None:
        if realized_pnl:
            self.balance(fill.currency).total += realized_pnl

    def set_position_margin(
        self, instrument: Instrument, signed_qty: Decimal, mark: Decimal
    ) -> Decimal:
        """Re-lock the initial margin of the position in ``instrument`` at ``mark``."""
        old_cur, old = self._margins.pop(instrument.id, (instrument.currency, ZERO))
        self.unlock(old, old_cur)
        margin = self.initial_margin(instrument, abs(signed_qty), mark) if signed_qty else ZERO
        if margin:
            self.balance(instrument.currency).locked += margin
            self._margins[instrument.id] = (instrument.currency, margin)
        return margin

    def margin_used(self, currency: str | None = None) -> Decimal:
        cur = (currency or self.base_currency).upper()
        return sum((m for c, m in self._margins.values() if c == cur), ZERO)

    def equity(self, unrealized_pnl: Decimal, currency: str | None = None) -> Decimal:
        return self.balance(currency).total + unrealized_pnl

    def is_margin_call(
        self, unrealized_pnl: Decimal, maintenance: Decimal, currency: str | None = None
    ) -> bool:
        """``True`` when equity has fallen below the maintenance margin ``maintenance``."""
        return self.equity(unrealized_pnl, currency) < maintenance
