"""Realised and unrealised P&L from tax lots, grouped by instrument, strategy, account, client
or household.

Realised P&L comes from the ledgers' closed lots (proceeds net of fees − cost including fees);
unrealised P&L is ``quantity × mark − cost`` of every open lot; income (dividends, interest) is
reported per account. Ledger values are Decimal; this module converts them once to float64 and
groups with pandas. Signs: a gain is positive. Lots without a strategy tag are grouped under
``"unassigned"``.

>>> from decimal import Decimal
>>> from nautilus.portfolio.ledger import Ledger
>>> from nautilus.portfolio.model import Security, Transaction, TxnType
>>> led = Ledger()
>>> for t in (Transaction(id="d", portfolio_id="p", ts=0, type=TxnType.DEPOSIT,
...                       amount=Decimal(1000)),
...           Transaction(id="b", portfolio_id="p", ts=1, type=TxnType.BUY, instrument_id="A.X",
...                       quantity=Decimal(10), price=Decimal(50))):
...     led.apply(t)
>>> pnl_table([Holder("c", "a", led)], {"A.X": Security(instrument_id="A.X", price=Decimal(60))},
...           by="instrument")["unrealised"].tolist()
[100.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.portfolio.consolidation import Holder
from nautilus.portfolio.model import Security

LEVELS = ("instrument", "strategy", "account", "client", "household")


def lot_frame(
    holders: Sequence[Holder],
    securities: Mapping[str, Security],
    household_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per open lot and per realised lot piece with its P&L (float64)."""
    rows: list[dict[str, object]] = []
    missing: set[str] = set()
    for h in holders:
        hh = (household_of or {}).get(h.client_id, "")
        base = {"client": h.client_id, "account": h.account_id, "household": hh}
        for lot in h.ledger.open_lots():
            sec = securities.get(lot.instrument_id)
            if sec is None:
                missing.add(lot.instrument_id)
                continue
            value = float(lot.quantity * sec.price)
            cost = float(lot.cost)
            rows.append(
                {
                    **base,
                    "instrument": lot.instrument_id,
                    "strategy": lot.strategy or "unassigned",
                    "lot_id": lot.id,
                    "quantity": float(lot.quantity),
                    "cost": cost,
                    "value": value,
                    "realised": 0.0,
                    "realised_short": 0.0,
                    "realised_long": 0.0,
                    "unrealised": value - cost,
                }
            )
        for g in h.ledger.realised:
            gain = float(g.gain)
            rows.append(
                {
                    **base,
                    "instrument": g.instrument_id,
                    "strategy": g.strategy or "unassigned",
                    "lot_id": g.lot_id,
                    "quantity": 0.0,
                    "cost": 0.0,
                    "value": 0.0,
                    "realised": gain,
                    "realised_short": 0.0 if g.long_term else gain,
                    "realised_long": gain if g.long_term else 0.0,
                    "unrealised": 0.0,
                }
            )
    if missing:
        raise ValidationError(
            f"missing prices for: {', '.join(sorted(missing))}",
            code="missing_prices",
            instruments=sorted(missing),
        )
    cols = [
        "client",
        "account",
        "household",
        "instrument",
        "strategy",
        "lot_id",
        "quantity",
        "cost",
        "value",
        "realised",
        "realised_short",
        "realised_long",
        "unrealised",
    ]
    return pd.DataFrame(rows, columns=cols)


def pnl_table(
    holders: Sequence[Holder],
    securities: Mapping[str, Security],
    *,
    by: str = "instrument",
    household_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """P&L summed by ``by`` (one of ``LEVELS``): quantity, cost, value, realised (short/long),
    unrealised and total (realised + unrealised)."""
    if by not in LEVELS:
        raise ValidationError(f"by must be one of {', '.join(LEVELS)}", code="bad_level")
    frame = lot_frame(holders, securities, household_of)
    num = ["quantity", "cost", "value", "realised", "realised_short", "realised_long", "unrealised"]
    out = frame.groupby(by, sort=True)[num].sum()
    out["total"] = out["realised"] + out["unrealised"]
    return out


def income_by_account(holders: Sequence[Holder]) -> dict[str, float]:
    """Dividends and interest received per account (gross of withholding fees)."""
    out: dict[str, float] = {}
    for h in holders:
        out[h.account_id] = out.get(h.account_id, 0.0) + float(h.ledger.income)
    return out
