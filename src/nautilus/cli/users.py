"""``nautilus users create|list|set-role|disable``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from nautilus.cli.context import console, open_security
from nautilus.security import parse_role

app = typer.Typer(help="Manage users.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    username: str,
    role: Annotated[str, typer.Option(help="viewer, trader or admin")] = "viewer",
    password: Annotated[
        str | None, typer.Option(help="Prompted for (hidden) when not given")
    ] = None,
) -> None:
    """Create a user."""
    role_value = parse_role(role)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_security(ctx) as sec:
        user = sec.users.create(username, password, role_value, actor="cli")
    console.print(f"created user [bold]{user.username}[/] ({user.role.value}) id {user.id}")


@app.command("list")
def list_users(
    ctx: typer.Context, limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100
) -> None:
    """List users."""
    with open_security(ctx) as sec:
        users = sec.users.list(limit=limit)
    table = Table("id", "username", "role", "disabled", "created")
    for u in users:
        table.add_row(
            u.id,
            u.username,
            u.role.value,
            "yes" if u.disabled else "",
            u.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("set-role")
def set_role(ctx: typer.Context, username: str, role: str) -> None:
    """Change a user's role."""
    role_value = parse_role(role)
    with open_security(ctx) as sec:
        user = sec.users.get_by_username(username)
        sec.users.set_role(user.id, role_value, actor="cli")
    console.print(f"{username} is now {role_value.value}")


@app.command("disable")
def disable(ctx: typer.Context, username: str) -> None:
    """Disable a user and revoke their sessions."""
    with open_security(ctx) as sec:
        user = sec.users.get_by_username(username)
        sec.users.set_disabled(user.id, actor="cli")
        sec.refresh_tokens.revoke_user(user.id)
    console.print(f"{username} is disabled")
