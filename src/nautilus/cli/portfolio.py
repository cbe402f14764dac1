"""``nautilus portfolio ...``: clients, households, accounts, transactions, holdings, marks,
consolidated views, optimisation, rebalance previews, goals and tearsheets, from a terminal.

The commands work on the relational store directly (migrated first) with administrator reach:
the CLI runs on the server with its configuration, like ``nautilus users``. Committing a
rebalance publishes order intents on the bus, so it is done through the API of a running
server; the CLI previews. Amounts, prices and quantities are typed as decimal strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from nautilus.cli.context import console, state_of
from nautilus.core.ids import new_id
from nautilus.core.time import now_ns, to_ns
from nautilus.persistence.db import Database
from nautilus.portfolio.consolidation import Holder, consolidate
from nautilus.portfolio.goals import Goal, probability_of_success, required_contribution
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import (
    AccountType,
    ClientKind,
    HouseholdMember,
    HouseholdRole,
    Security,
    Transaction,
    TxnType,
)
from nautilus.portfolio.rebalance import RebalanceConfig, plan_rebalance
from nautilus.portfolio.repository import PortfolioRepository

app = typer.Typer(
    help="Clients, households, accounts, rebalancing and goals.", no_args_is_help=True
)


@contextmanager
def repository(ctx: typer.Context) -> Iterator[PortfolioRepository]:
    db = Database(state_of(ctx).config().sqlalchemy_url)
    try:
        db.migrate()
        yield PortfolioRepository(db)
    finally:
        db.dispose()


def _print_json(value: object) -> None:
    console.print_json(msgspec.json.encode(value).decode())


@app.command("add-client")
def add_client(
    ctx: typer.Context,
    name: str,
    owner: Annotated[str, typer.Option(help="Advisor user id")],
    kind: Annotated[ClientKind, typer.Option()] = ClientKind.PERSON,
) -> None:
    """Create a client (a person, trust, company or foundation)."""
    with repository(ctx) as repo:
        c = repo.create_client(owner, name, kind)
    console.print(f"client {c.id} {c.name} ({c.kind.value})")


@app.command("clients")
def clients(ctx: typer.Context, limit: Annotated[int, typer.Option(min=1)] = 100) -> None:
    """List clients."""
    with repository(ctx) as repo:
        rows = repo.clients(None, limit)
    table = Table("id", "name", "kind", "owner")
    for c in rows:
        table.add_row(c.id, c.name, c.kind.value, c.owner_id)
    console.print(table)


@app.command("add-household")
def add_household(
    ctx: typer.Context,
    name: str,
    owner: Annotated[str, typer.Option()],
    member: Annotated[
        list[str] | None, typer.Option(help="CLIENT_ID[:ROLE[:GENERATION]], repeatable")
    ] = None,
) -> None:
    """Create a household linking clients with roles and generations."""
    members = []
    for spec in member or []:
        cid, _, rest = spec.partition(":")
        role, _, gen = rest.partition(":")
        members.append(
            HouseholdMember(
                client_id=cid, role=HouseholdRole(role or "member"), generation=int(gen or 0)
            )
        )
    with repository(ctx) as repo:
        hh = repo.create_household(owner, name, members)
    console.print(f"household {hh.id} {hh.name} with {len(hh.members)} members")


@app.command("add-account")
def add_account(
    ctx: typer.Context,
    client_id: str,
    name: str,
    type: Annotated[AccountType, typer.Option()] = AccountType.TAXABLE,
    currency: Annotated[str, typer.Option()] = "USD",
) -> None:
    """Open an account (and its actual portfolio) for a client."""
    with repository(ctx) as repo:
        acc, pf = repo.create_account(None, client_id, name, type, currency)
    console.print(f"account {acc.id} portfolio {pf.id}")


@app.command("book")
def book(
    ctx: typer.Context,
    portfolio_id: str,
    type: TxnType,
    instrument: Annotated[str | None, typer.Option()] = None,
    quantity: Annotated[str, typer.Option()] = "0",
    price: Annotated[str, typer.Option()] = "0",
    amount: Annotated[str, typer.Option()] = "0",
    fee: Annotated[str, typer.Option()] = "0",
    ts: Annotated[str | None, typer.Option(help="ISO time (default now)")] = None,
) -> None:
    """Book a transaction; one that would make a holding or cash negative is rejected."""
    with repository(ctx) as repo:
        pf = repo.portfolio(portfolio_id, None)
        txn = Transaction(
            id=new_id("tx"),
            portfolio_id=pf.id,
            ts=now_ns() if ts is None else to_ns(ts),
            type=type,
            instrument_id=instrument,
            quantity=Decimal(quantity),
            price=Decimal(price),
            amount=Decimal(amount),
            fee=Decimal(fee),
        )
        led = repo.add_transaction(pf, txn)
    console.print(f"booked {txn.id}; cash {led.cash}")


@app.command("holdings")
def holdings(ctx: typer.Context, portfolio_id: str) -> None:
    """Cash and open lots of a portfolio (Decimal)."""
    with repository(ctx) as repo:
        led = repo.ledger(repo.portfolio(portfolio_id, None))
    table = Table("lot", "instrument", "quantity", "unit cost", "acquired")
    for lot in led.open_lots():
        table.add_row(
            lot.id, lot.instrument_id, str(lot.quantity), str(lot.unit_cost), str(lot.acquired_ns)
        )
    console.print(table)
    console.print(f"cash {led.cash}")


@app.command("mark")
def mark(
    ctx: typer.Context,
    instrument: str,
    price: str,
    lot_size: Annotated[str, typer.Option()] = "1",
    sector: Annotated[str, typer.Option()] = "unclassified",
) -> None:
    """Store a mark (price, lot size, sector) for an instrument."""
    with repository(ctx) as repo:
        repo.upsert_securities(
            [
                Security(
                    instrument_id=instrument,
                    price=Decimal(price),
                    lot_size=Decimal(lot_size),
                    sector=sector,
                    ts=now_ns(),
                )
            ]
        )
    console.print(f"{instrument} marked at {price}")


def _holders(repo: PortfolioRepository, client_ids: list[str]) -> list[Holder]:
    accounts = repo.accounts_of(client_ids)
    client_of = {a.id: a.client_id for a in accounts}
    pfs = [p for p in repo.portfolios_of(client_of) if p.account_id]
    txns = repo.transactions([p.id for p in pfs])
    return [
        Holder(
            client_of[p.account_id or ""],
            p.account_id or "",
            Ledger.replay(txns[p.id], p.lot_method),
            p.id,
        )
        for p in pfs
    ]


@app.command("view")
def view(ctx: typer.Context, household_id: str) -> None:
    """Consolidated household view at the stored marks (JSON)."""
    with repository(ctx) as repo:
        hh = repo.household(household_id, None)
        holders = _holders(repo, sorted({m.client_id for m in hh.members}))
        _print_json(consolidate(holders, repo.securities()))


@app.command("rebalance")
def rebalance(
    ctx: typer.Context,
    portfolio_id: str,
    targets: Annotated[str, typer.Option(help='JSON: {"AAPL.XNAS": 0.6, ...}')],
    cash_buffer: Annotated[float, typer.Option(min=0, max=0.99)] = 0.01,
    min_trade: Annotated[float, typer.Option(min=0)] = 0.0,
    avoid_short_term: Annotated[bool, typer.Option()] = False,
) -> None:
    """Preview the trade list toward target weights (what-if: weights, cash, gains)."""
    cfg = RebalanceConfig(
        cash_buffer=cash_buffer, min_trade_value=min_trade, avoid_short_term_gains=avoid_short_term
    )
    with repository(ctx) as repo:
        pf = repo.portfolio(portfolio_id, None)
        plan = plan_rebalance(
            pf.id, repo.ledger(pf), repo.securities(), json.loads(targets), cfg, now_ns=now_ns()
        )
    _print_json(plan)


@app.command("goal")
def goal(
    ctx: typer.Context,
    target: float,
    years: float,
    wealth: float,
    mu: Annotated[float, typer.Option(help="Expected annual return")],
    vol: Annotated[float, typer.Option(help="Annual volatility")],
    contribution: Annotated[float, typer.Option()] = 0.0,
    probability: Annotated[float | None, typer.Option(min=0.01, max=0.99)] = None,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Monte Carlo probability of reaching a goal, and the contribution for a probability."""
    g = Goal(
        target_amount=target, years=years, initial_wealth=wealth, annual_contribution=contribution
    )
    res = probability_of_success(g, mu, vol, seed=seed)
    console.print(
        f"probability of success {res.probability:.4f} (median wealth {res.median_wealth:,.2f})"
    )
    if probability is not None:
        need = required_contribution(g, mu, vol, probability, seed=seed)
        console.print(f"annual contribution for {probability:.0%}: {need:,.2f}")


@app.command("tearsheet")
def tearsheet(
    ctx: typer.Context,
    returns_csv: Path,
    out: Path,
    title: Annotated[str, typer.Option()] = "Performance",
) -> None:
    """HTML tearsheet from a CSV of ``date,return`` rows (simple daily returns)."""
    import pandas as pd

    from nautilus.analytics.tearsheet import performance_report, render_html

    frame = pd.read_csv(returns_csv, parse_dates=[0], index_col=0)
    report = performance_report(frame.iloc[:, 0], title=title)
    out.write_text(render_html(report), encoding="utf-8")
    console.print(f"wrote {out}")
