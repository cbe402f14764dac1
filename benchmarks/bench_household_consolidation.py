"""Household consolidation: 1,000 clients x 3 accounts x 20 holdings (60,000 lots).

The ledgers hold Decimal lots and cash (built by applying real deposit and buy transactions);
consolidation flattens them once to float64 arrays and aggregates with bincount. The figure
that matters is the consolidation time (target < 1 s); ledger building is reported apart. A
pure-Python Decimal aggregation of the same book is timed as the naive baseline and checked
against the bulk result.

Run: .venv/bin/python benchmarks/bench_household_consolidation.py
"""

from __future__ import annotations

import time
from decimal import Decimal

import numpy as np

from nautilus.portfolio.consolidation import Holder, consolidate
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import Security, Transaction, TxnType

CLIENTS, ACCOUNTS, HOLDINGS, UNIVERSE = 1_000, 3, 20, 500


def build() -> tuple[list[Holder], dict[str, Security]]:
    rng = np.random.default_rng(0)
    sectors = ["Tech", "Energy", "Health", "Financials", "Utilities"]
    securities = {
        f"S{i:03d}.XNAS": Security(
            instrument_id=f"S{i:03d}.XNAS",
            price=Decimal(f"{rng.uniform(5, 500):.2f}"),
            sector=sectors[i % 5],
        )
        for i in range(UNIVERSE)
    }
    names = list(securities)
    holders: list[Holder] = []
    for c in range(CLIENTS):
        for a in range(ACCOUNTS):
            led = Ledger()
            pid = f"p{c}-{a}"
            led.apply(
                Transaction(
                    id=f"{pid}-d",
                    portfolio_id=pid,
                    ts=0,
                    type=TxnType.DEPOSIT,
                    amount=Decimal(2_000_000),
                )
            )
            for k, idx in enumerate(rng.choice(UNIVERSE, HOLDINGS, replace=False)):
                led.apply(
                    Transaction(
                        id=f"{pid}-{k}",
                        portfolio_id=pid,
                        ts=k + 1,
                        type=TxnType.BUY,
                        instrument_id=names[idx],
                        quantity=Decimal(int(rng.integers(1, 200))),
                        price=Decimal(f"{rng.uniform(5, 500):.2f}"),
                    )
                )
            holders.append(Holder(f"c{c}", f"a{c}-{a}", led, pid))
    return holders, securities


def naive_total(holders: list[Holder], securities: dict[str, Security]) -> Decimal:
    total = Decimal(0)
    for h in holders:
        total += h.ledger.cash
        for inst, lots in h.ledger.lots.items():
            for lot in lots:
                total += lot.quantity * securities[inst].price
    return total


def main() -> None:
    t0 = time.perf_counter()
    holders, securities = build()
    t_build = time.perf_counter() - t0
    consolidate(holders[:10], securities)  # warm-up
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        view = consolidate(holders, securities)
        runs.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    exact = naive_total(holders, securities)
    t_naive = time.perf_counter() - t0
    assert abs(view.total_value - float(exact)) < 1e-6 * float(exact)
    assert len(view.by_client) == CLIENTS and len(view.by_account) == CLIENTS * ACCOUNTS
    lots = sum(len(h.ledger.open_lots()) for h in holders)
    print(f"book: {CLIENTS} clients x {ACCOUNTS} accounts x {HOLDINGS} holdings = {lots} lots")
    print(f"ledger build (Decimal transactions): {t_build:.2f} s")
    print(
        f"consolidation (bulk float64): best {min(runs) * 1e3:.1f} ms, "
        f"median {np.median(runs) * 1e3:.1f} ms  (target < 1000 ms)"
    )
    print(
        f"naive Decimal total only: {t_naive * 1e3:.1f} ms; totals agree ({view.total_value:,.2f})"
    )


if __name__ == "__main__":
    main()
