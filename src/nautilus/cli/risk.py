"""``nautilus risk ...``: limits, trading state, kill switch, alerts and denials.

The commands work on the relational store (migrated first), like ``nautilus jobs``: limit and
state changes are audited and need ``--as`` naming an admin user; a running risk engine loads
limits and states at start, and a kill also publishes the kill command on the configured bus
(reaching running engines when the bus is Redis).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from nautilus.cli.context import console, fail, state_of
from nautilus.core.errors import NautilusError
from nautilus.core.time import now_ns
from nautilus.persistence.db import Database
from nautilus.risk.limits import LimitScope, LimitSet
from nautilus.risk.repository import RiskRepository
from nautilus.risk.state import GLOBAL, KILL_TOPIC, KillCommand, TradingState
from nautilus.security import Role, UserDirectory

app = typer.Typer(help="Risk limits, trading state, kill switch, alerts.", no_args_is_help=True)
limits_app = typer.Typer(help="Hierarchical limits (strictest wins).", no_args_is_help=True)
alerts_app = typer.Typer(help="Limit alerts.", no_args_is_help=True)
app.add_typer(limits_app, name="limits")
app.add_typer(alerts_app, name="alerts")

Actor = Annotated[str, typer.Option("--as", help="Admin username recorded in the audit log")]


@contextmanager
def repository(ctx: typer.Context) -> Iterator[tuple[RiskRepository, Database]]:
    config = state_of(ctx).config()
    db = Database(config.sqlalchemy_url)
    try:
        db.migrate()
        yield RiskRepository(db), db
    finally:
        db.dispose()


def require_admin(db: Database, username: str) -> None:
    try:
        user = UserDirectory(db).get_by_username(username)
    except NautilusError:
        raise fail(f"unknown user {username!r}") from None
    if user.role is not Role.ADMIN or user.disabled:
        raise fail(f"{username} is not an active admin; limit and state changes need admin")


@limits_app.command("list")
def limits_list(ctx: typer.Context) -> None:
    """List every scope's limits."""
    with repository(ctx) as (repo, _):
        rows = repo.load_limits()
    table = Table("scope", "key", "limits")
    for scope, key, limits in sorted(rows):
        table.add_row(scope.value, key, json.dumps(limits.as_json()))
    console.print(table)


@limits_app.command("set")
def limits_set(
    ctx: typer.Context, scope: str, key: str, actor: Actor,
    limits: Annotated[str, typer.Argument(help='JSON, e.g. \'{"max_order_qty": "100"}\'')],
) -> None:
    """Set (replace) the limits of ``scope`` ``key`` (account, strategy, portfolio, instrument)."""
    try:
        sc = LimitScope(scope)
        parsed = LimitSet.model_validate_json(limits)
    except ValueError as exc:
        raise fail(str(exc).splitlines()[0]) from None
    with repository(ctx) as (repo, db):
        require_admin(db, actor)
        repo.save_limits(sc, key, parsed, actor)
    console.print(f"limits of {sc.value} {key} set")


@limits_app.command("delete")
def limits_delete(ctx: typer.Context, scope: str, key: str, actor: Actor) -> None:
    """Delete the limits of one scope key."""
    with repository(ctx) as (repo, db):
        require_admin(db, actor)
        repo.delete_limits(LimitScope(scope), key, actor)
    console.print(f"limits of {scope} {key} deleted")


@app.command("state")
def state(
    ctx: typer.Context, actor: Actor,
    new: Annotated[str | None, typer.Argument(help="active, reducing or halted")] = None,
    account: Annotated[str | None, typer.Option(help="Account (default: whole platform)")] = None,
    reason: str = "",
) -> None:
    """Show the trading states, or set one (admin)."""
    with repository(ctx) as (repo, db):
        if new is not None:
            require_admin(db, actor)
            try:
                value = TradingState(new)
            except ValueError:
                raise fail(f"unknown state {new!r}") from None
            key = account or GLOBAL
            repo.save_state(key, value.value, reason=reason, actor=actor,
                            before=repo.load_states().get(key))
        states = repo.load_states()
    console.print_json(json.dumps(states or {GLOBAL: "active"}))


@app.command("kill")
def kill(
    ctx: typer.Context, actor: Actor,
    account: Annotated[str | None, typer.Option(help="Account (default: everything)")] = None,
    cancel: Annotated[bool, typer.Option(help="Cancel working orders")] = True,
    reason: str = "kill switch (cli)",
) -> None:
    """Halt trading and publish the kill command (admin)."""
    from nautilus.platform import build_bus

    config = state_of(ctx).config()
    with repository(ctx) as (repo, db):
        require_admin(db, actor)
        key = account or GLOBAL
        repo.save_state(key, TradingState.HALTED.value, reason=reason, actor=actor,
                        before=repo.load_states().get(key))
    bus = build_bus(config)
    bus.start()
    try:
        from nautilus.bus.base import Lane

        bus.publish(KILL_TOPIC, KillCommand(account_id=account, cancel_orders=cancel,
                                            reason=reason, actor=actor, ts_event=now_ns()),
                    lane=Lane.CRITICAL)
        bus.flush()
    finally:
        bus.stop()
    console.print(f"halted {account or 'all accounts'}; cancel orders: {cancel}")


@alerts_app.command("list")
def alerts_list(ctx: typer.Context, unacknowledged: bool = False,
                limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """Alert history, newest first."""
    with repository(ctx) as (repo, _):
        alerts = repo.list_alerts(unacknowledged=unacknowledged, limit=limit)
    table = Table("id", "account", "metric", "severity", "utilisation", "ack by", "message")
    for a in alerts:
        table.add_row(a.id, a.account_id, a.metric, a.severity, f"{a.utilisation:.0%}",
                      a.acknowledged_by or "", a.message)
    console.print(table)


@alerts_app.command("ack")
def alerts_ack(ctx: typer.Context, alert_id: str, actor: Actor) -> None:
    """Acknowledge an alert."""
    with repository(ctx) as (repo, _):
        a = repo.acknowledge(alert_id, actor)
    console.print(f"alert {a.id} acknowledged by {a.acknowledged_by}")


@app.command("denials")
def denials(ctx: typer.Context, account: str | None = None, code: str | None = None,
            limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """Recorded pre-trade denials, newest first."""
    with repository(ctx) as (repo, _):
        rows = repo.list_denials(account_id=account, code=code, limit=limit)
    table = Table("time (ns)", "account", "order", "instrument", "code", "message")
    for d in rows:
        table.add_row(str(d.ts_event), d.account_id, d.client_order_id, d.instrument_id, d.code,
                      d.message)
    console.print(table)
