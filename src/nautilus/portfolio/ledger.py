"""The portfolio ledger: cash and tax lots changed only by applying transactions, in Decimal.

A :class:`Ledger` is long-only: a sell or a transfer out of more than is held, or any cash
outflow larger than the cash balance, raises :class:`~nautilus.core.errors.ValidationError`
and leaves the ledger unchanged. Buys open a lot at ``(quantity × price + fee) / quantity``
per unit (fees capitalised into cost); sells close lots chosen by the lot method and record a
:class:`~nautilus.portfolio.model.RealisedGain` with proceeds net of the fee, split across the
lots by quantity. Multiplier-scaled instruments are outside this ledger (cash equities, ETFs,
funds and bonds quoted per unit).

>>> from nautilus.portfolio.model import Transaction, TxnType
>>> led = Ledger()
>>> led.apply(Transaction(id="t1", portfolio_id="p", ts=0, type=TxnType.DEPOSIT,
...                       amount=Decimal("1000")))
>>> led.apply(Transaction(id="t2", portfolio_id="p", ts=1, type=TxnType.BUY,
...                       instrument_id="A.X", quantity=Decimal("4"), price=Decimal("100")))
>>> led.cash, led.quantity("A.X")
(Decimal('600'), Decimal('4'))
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from decimal import Decimal

from nautilus.core.errors import ValidationError
from nautilus.portfolio.model import (
    NS_PER_YEAR_365,
    Lot,
    LotMethod,
    RealisedGain,
    Transaction,
    TxnType,
)

ZERO = Decimal(0)


def order_lots(
    lots: Sequence[Lot],
    method: LotMethod,
    *,
    lot_ids: Sequence[str] = (),
    now_ns: int | None = None,
    prefer_long_term: bool = False,
) -> list[Lot]:
    """Lots in the order a disposal consumes them.

    ``specific`` takes exactly ``lot_ids`` (in that order). With ``prefer_long_term`` the lots
    held more than 365 days at ``now_ns`` come first (each group in ``method`` order), so a sale
    realises short-term gains only when long-term lots do not cover it.
    """
    if method is LotMethod.SPECIFIC:
        by_id = {lot.id: lot for lot in lots}
        missing = [i for i in lot_ids if i not in by_id]
        if missing or not lot_ids:
            raise ValidationError(
                f"specific lot selection needs open lot ids; unknown: {', '.join(missing) or '-'}",
                code="unknown_lots",
            )
        return [by_id[i] for i in lot_ids]
    if method is LotMethod.FIFO:
        ordered = sorted(lots, key=lambda lot: (lot.acquired_ns, lot.id))
    elif method is LotMethod.LIFO:
        ordered = sorted(lots, key=lambda lot: (-lot.acquired_ns, lot.id))
    else:
        ordered = sorted(lots, key=lambda lot: (-lot.unit_cost, lot.acquired_ns, lot.id))
    if prefer_long_term and now_ns is not None:
        ordered.sort(key=lambda lot: now_ns - lot.acquired_ns <= NS_PER_YEAR_365)
    return ordered


class Ledger:
    """Cash, open lots, realised gains, income and fees of one actual portfolio (Decimal)."""

    def __init__(self, method: LotMethod = LotMethod.FIFO, *, prefer_long_term: bool = False):
        self.method = method
        self.prefer_long_term = prefer_long_term
        self.cash: Decimal = ZERO
        self.lots: dict[str, list[Lot]] = {}
        self.realised: list[RealisedGain] = []
        self.income: Decimal = ZERO
        self.fees: Decimal = ZERO
        self.net_contributions: Decimal = ZERO
        self.last_ts: int = 0

    @classmethod
    def replay(
        cls, transactions: Iterable[Transaction], method: LotMethod = LotMethod.FIFO
    ) -> Ledger:
        """A ledger built by applying ``transactions`` in time order."""
        led = cls(method)
        for txn in sorted(transactions, key=lambda t: t.ts):
            led.apply(txn)
        return led

    def copy(self) -> Ledger:
        return copy.deepcopy(self)

    def quantity(self, instrument_id: str) -> Decimal:
        return sum((lot.quantity for lot in self.lots.get(instrument_id, ())), ZERO)

    def cost_basis(self, instrument_id: str) -> Decimal:
        return sum((lot.cost for lot in self.lots.get(instrument_id, ())), ZERO)

    def positions(self) -> dict[str, Decimal]:
        """Instrument -> held quantity (instruments with open lots only)."""
        return {k: self.quantity(k) for k, lots in self.lots.items() if lots}

    def open_lots(self) -> list[Lot]:
        return [lot for lots in self.lots.values() for lot in lots]

    # -- applying ---------------------------------------------------------------------------

    def apply(self, txn: Transaction) -> None:
        """Apply one transaction; on ValidationError the ledger is unchanged."""
        self._validate(txn)
        handler = _HANDLERS[txn.type]
        handler(self, txn)
        self.last_ts = max(self.last_ts, txn.ts)

    def _validate(self, txn: Transaction) -> None:
        for name in ("quantity", "price", "amount", "fee"):
            v: Decimal = getattr(txn, name)
            if not v.is_finite():
                raise ValidationError(f"{name} must be finite", code="non_finite")
        if txn.fee < 0:
            raise ValidationError("fee must not be negative", code="negative_fee")
        if txn.type in (TxnType.BUY, TxnType.SELL, TxnType.SPLIT) and not txn.instrument_id:
            raise ValidationError(f"a {txn.type} needs an instrument", code="missing_instrument")
        if txn.type in (TxnType.BUY, TxnType.SELL):
            if txn.quantity <= 0 or txn.price < 0:
                raise ValidationError(
                    f"a {txn.type} needs a positive quantity and a non-negative price",
                    code="bad_trade",
                )
        elif (
            txn.type
            in (
                TxnType.DIVIDEND,
                TxnType.INTEREST,
                TxnType.FEE,
                TxnType.DEPOSIT,
                TxnType.WITHDRAWAL,
            )
            and txn.amount <= 0
        ):
            raise ValidationError(f"a {txn.type} needs a positive amount", code="bad_amount")

    def _need_cash(self, amount: Decimal, txn: Transaction) -> None:
        if amount > self.cash:
            raise ValidationError(
                f"transaction {txn.id} needs {amount} cash but the portfolio holds {self.cash}",
                code="insufficient_cash",
                transaction_id=txn.id,
            )

    def _take(self, txn: Transaction, quantity: Decimal) -> list[tuple[Lot, Decimal]]:
        """The (lot, quantity) pieces that ``quantity`` units of a disposal consume."""
        assert txn.instrument_id is not None
        held = self.quantity(txn.instrument_id)
        if quantity > held:
            raise ValidationError(
                f"transaction {txn.id} disposes of {quantity} {txn.instrument_id} but only "
                f"{held} is held (long-only)",
                code="negative_holding",
                instrument_id=txn.instrument_id,
                transaction_id=txn.id,
            )
        method = LotMethod.SPECIFIC if txn.lot_ids else self.method
        ordered = order_lots(
            self.lots.get(txn.instrument_id, []),
            method,
            lot_ids=txn.lot_ids,
            now_ns=txn.ts,
            prefer_long_term=self.prefer_long_term,
        )
        pieces: list[tuple[Lot, Decimal]] = []
        left = quantity
        for lot in ordered:
            if left <= 0:
                break
            q = min(lot.quantity, left)
            pieces.append((lot, q))
            left -= q
        if left > 0:
            raise ValidationError(
                f"the chosen lots hold less than {quantity} {txn.instrument_id}",
                code="lots_too_small",
            )
        return pieces

    def _close(self, instrument_id: str, pieces: list[tuple[Lot, Decimal]]) -> None:
        for lot, q in pieces:
            lot.quantity -= q
        self.lots[instrument_id] = [lot for lot in self.lots[instrument_id] if lot.quantity > 0]
        if not self.lots[instrument_id]:
            del self.lots[instrument_id]

    def _open(self, txn: Transaction, quantity: Decimal, unit_cost: Decimal) -> None:
        assert txn.instrument_id is not None
        lot = Lot(
            id=f"{txn.id}",
            instrument_id=txn.instrument_id,
            quantity=quantity,
            unit_cost=unit_cost,
            acquired_ns=txn.ts,
            strategy=txn.strategy,
        )
        self.lots.setdefault(txn.instrument_id, []).append(lot)


def _buy(led: Ledger, txn: Transaction) -> None:
    total = txn.quantity * txn.price + txn.fee
    led._need_cash(total, txn)
    led.cash -= total
    led.fees += txn.fee
    led._open(txn, txn.quantity, total / txn.quantity)


def _sell(led: Ledger, txn: Transaction) -> None:
    assert txn.instrument_id is not None
    pieces = led._take(txn, txn.quantity)
    net = txn.quantity * txn.price - txn.fee
    if net < 0 and -net > led.cash:
        led._need_cash(-net, txn)
    for lot, q in pieces:
        led.realised.append(
            RealisedGain(
                instrument_id=txn.instrument_id,
                lot_id=lot.id,
                quantity=q,
                proceeds=net * q / txn.quantity,
                cost=q * lot.unit_cost,
                acquired_ns=lot.acquired_ns,
                disposed_ns=txn.ts,
                strategy=lot.strategy,
            )
        )
    led._close(txn.instrument_id, pieces)
    led.cash += net
    led.fees += txn.fee


def _income(led: Ledger, txn: Transaction) -> None:
    led.cash += txn.amount - txn.fee
    led.income += txn.amount
    led.fees += txn.fee


def _fee(led: Ledger, txn: Transaction) -> None:
    led._need_cash(txn.amount, txn)
    led.cash -= txn.amount
    led.fees += txn.amount


def _deposit(led: Ledger, txn: Transaction) -> None:
    led.cash += txn.amount
    led.net_contributions += txn.amount


def _withdrawal(led: Ledger, txn: Transaction) -> None:
    led._need_cash(txn.amount, txn)
    led.cash -= txn.amount
    led.net_contributions -= txn.amount


def _transfer(led: Ledger, txn: Transaction) -> None:
    """Securities move at cost (``price`` is the unit cost basis coming in); cash is signed."""
    if txn.instrument_id:
        if txn.quantity > 0:
            led._open(txn, txn.quantity, txn.price)
        elif txn.quantity < 0:
            pieces = led._take(txn, -txn.quantity)
            led._close(txn.instrument_id, pieces)
        else:
            raise ValidationError("a security transfer needs a quantity", code="bad_transfer")
        return
    if txn.amount < 0:
        led._need_cash(-txn.amount, txn)
    led.cash += txn.amount
    led.net_contributions += txn.amount


def _split(led: Ledger, txn: Transaction) -> None:
    assert txn.instrument_id is not None
    if txn.ratio <= 0:
        raise ValidationError("a split needs a positive ratio", code="bad_ratio")
    for lot in led.lots.get(txn.instrument_id, []):
        lot.quantity *= txn.ratio
        lot.unit_cost /= txn.ratio


_HANDLERS = {
    TxnType.BUY: _buy,
    TxnType.SELL: _sell,
    TxnType.DIVIDEND: _income,
    TxnType.INTEREST: _income,
    TxnType.FEE: _fee,
    TxnType.DEPOSIT: _deposit,
    TxnType.WITHDRAWAL: _withdrawal,
    TxnType.TRANSFER: _transfer,
    TxnType.SPLIT: _split,
}
