"""``nautilus keys create|list|revoke``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from nautilus.cli.context import console, err_console, open_security

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Owner's username")],
    name: Annotated[str, typer.Option(help="A label for the key")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="read, trade or admin (repeatable)")
    ] = None,
) -> None:
    """Create an API key; the secret is printed once."""
    with open_security(ctx) as sec:
        owner = sec.users.get_by_username(user)
        new = sec.keys.create(owner, name, scope or ["read"], actor="cli")
    err_console.print("API key (shown once, store it now):")
    console.print(new.secret, highlight=False)
    err_console.print(f"id {new.key.id}, scopes {','.join(s.value for s in new.key.scopes)}")


@app.command("list")
def list_keys(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's keys")] = None,
) -> None:
    """List API keys (never their secrets)."""
    with open_security(ctx) as sec:
        owner = sec.users.get_by_username(user).id if user else None
        keys = sec.keys.list(user_id=owner)
    table = Table("id", "prefix", "name", "user", "scopes", "last used", "revoked")
    for k in keys:
        table.add_row(
            k.id,
            k.prefix,
            k.name,
            k.user_id,
            ",".join(s.value for s in k.scopes),
            k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "",
            "yes" if k.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
def revoke(ctx: typer.Context, key_id: str) -> None:
    """Revoke an API key by id."""
    with open_security(ctx) as sec:
        sec.keys.revoke(key_id, actor="cli")
    console.print(f"revoked {key_id}")
