"""Consolidated views of many ledgers (a household, a client) in bulk float64 arrays.

The ledgers stay Decimal; consolidation flattens every open lot once into float64 columns
(quantity, unit cost, instrument / account / client index) and aggregates with ``bincount``, so
a household of thousands of accounts costs one pass over its lots. Values are in each
account's base currency at the given marks (one currency per view; no FX conversion here).
Weights are fractions of the view's total value (cash included).

>>> from decimal import Decimal
>>> from nautilus.portfolio.model import Security, Transaction, TxnType
>>> led = Ledger()
>>> led.apply(Transaction(id="d", portfolio_id="p", ts=0, type=TxnType.DEPOSIT,
...                       amount=Decimal(100)))
>>> view = consolidate([Holder("c1", "a1", led)], {})
>>> view.total_value, view.cash
(100.0, 100.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import Security

Vector = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Holder:
    """One ledger and who holds it (client, account, and optionally the portfolio)."""

    client_id: str
    account_id: str
    ledger: Ledger
    portfolio_id: str = ""


class HoldingLine(msgspec.Struct, frozen=True, kw_only=True):
    instrument_id: str
    quantity: float
    price: float
    value: float
    cost: float
    unrealised: float
    weight: float
    sector: str
    asset_class: str


class ConsolidatedView(msgspec.Struct, frozen=True, kw_only=True):
    """Totals and breakdowns (float64 money in the view's currency; weights of total value)."""

    total_value: float
    cash: float
    invested: float
    cost: float
    unrealised: float
    by_client: dict[str, float]
    by_account: dict[str, float]
    by_sector: dict[str, float]
    by_asset_class: dict[str, float]
    holdings: list[HoldingLine]


@dataclass
class FlatLots:
    """Every open lot of many ledgers as parallel arrays."""

    instruments: list[str]
    accounts: list[str]
    clients: list[str]
    qty: Vector
    cost: Vector
    instrument_idx: npt.NDArray[np.int64]
    account_idx: npt.NDArray[np.int64]
    cash: Vector  # per account


def flatten(holders: Sequence[Holder]) -> FlatLots:
    """One pass over the lots: Decimal -> float64 happens here and only here (cost is
    ``quantity × unit_cost`` in float64)."""
    inst_index: dict[str, int] = {}
    qty: list[Decimal] = []
    unit: list[Decimal] = []
    ii: list[int] = []
    ai: list[int] = []
    accounts: list[str] = []
    acc_index: dict[str, int] = {}
    clients: list[str] = []
    cash: list[float] = []
    for h in holders:
        a = acc_index.get(h.account_id)
        if a is None:
            a = acc_index[h.account_id] = len(accounts)
            accounts.append(h.account_id)
            clients.append(h.client_id)
            cash.append(0.0)
        cash[a] += float(h.ledger.cash)
        for inst, lots in h.ledger.lots.items():
            k = inst_index.get(inst)
            if k is None:
                k = inst_index[inst] = len(inst_index)
            qty.extend([lot.quantity for lot in lots])
            unit.extend([lot.unit_cost for lot in lots])
            n = len(lots)
            ii.extend([k] * n)
            ai.extend([a] * n)
    q = np.fromiter(map(float, qty), dtype=np.float64, count=len(qty))
    u = np.fromiter(map(float, unit), dtype=np.float64, count=len(unit))
    return FlatLots(
        instruments=list(inst_index),
        accounts=accounts,
        clients=clients,
        qty=q,
        cost=q * u,
        instrument_idx=np.asarray(ii, dtype=np.int64),
        account_idx=np.asarray(ai, dtype=np.int64),
        cash=np.asarray(cash, dtype=np.float64),
    )


def _group(labels: list[str], values: npt.NDArray[Any]) -> dict[str, float]:
    uniq, inv = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    sums = np.bincount(inv, weights=values, minlength=len(uniq))
    return {str(u): float(s) for u, s in zip(uniq, sums, strict=True)}


def consolidate(holders: Sequence[Holder], securities: Mapping[str, Security]) -> ConsolidatedView:
    """Value and break down every lot of ``holders`` at the ``securities`` marks.

    Raises ValidationError (``missing_prices``) naming every held instrument without a mark.
    """
    flat = flatten(holders)
    missing = [i for i in flat.instruments if i not in securities]
    if missing:
        raise ValidationError(
            f"missing prices for: {', '.join(sorted(missing))}",
            code="missing_prices",
            instruments=sorted(missing),
        )
    n_inst = len(flat.instruments)
    price = np.array([float(securities[i].price) for i in flat.instruments], dtype=np.float64)
    lot_value = flat.qty * price[flat.instrument_idx] if n_inst else np.zeros(0)
    n_acc = len(flat.accounts)
    acc_value = np.bincount(flat.account_idx, weights=lot_value, minlength=n_acc) + flat.cash
    inst_qty = np.bincount(flat.instrument_idx, weights=flat.qty, minlength=n_inst)
    inst_value = np.bincount(flat.instrument_idx, weights=lot_value, minlength=n_inst)
    inst_cost = np.bincount(flat.instrument_idx, weights=flat.cost, minlength=n_inst)
    cash = float(flat.cash.sum())
    invested = float(inst_value.sum())
    total = invested + cash
    denom = total if total != 0 else 1.0
    sectors = [securities[i].sector for i in flat.instruments]
    classes = [securities[i].asset_class for i in flat.instruments]
    by_class = _group(classes, inst_value) if n_inst else {}
    if cash:
        by_class["cash"] = by_class.get("cash", 0.0) + cash
    holdings = [
        HoldingLine(
            instrument_id=inst,
            quantity=float(inst_qty[k]),
            price=float(price[k]),
            value=float(inst_value[k]),
            cost=float(inst_cost[k]),
            unrealised=float(inst_value[k] - inst_cost[k]),
            weight=float(inst_value[k] / denom),
            sector=sectors[k],
            asset_class=classes[k],
        )
        for k, inst in enumerate(flat.instruments)
    ]
    holdings.sort(key=lambda h: -h.value)
    return ConsolidatedView(
        total_value=total,
        cash=cash,
        invested=invested,
        cost=float(inst_cost.sum()),
        unrealised=float(inst_value.sum() - inst_cost.sum()),
        by_client=_group(flat.clients, acc_value) if n_acc else {},
        by_account=dict(zip(flat.accounts, acc_value.tolist(), strict=True)),
        by_sector=_group(sectors, inst_value) if n_inst else {},
        by_asset_class=by_class,
        holdings=holdings,
    )
