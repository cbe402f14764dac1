"""The ``nautilus`` command: serve, demo, db, users, keys, jobs, data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nautilus.cli import backtest, data, jobs, keys, portfolio, risk, users
from nautilus.cli import features as features_cli
from nautilus.cli.context import CliState, NautilusGroup, console, state_of
from nautilus.cli.serve import run_server
from nautilus.persistence.db import Database

app = typer.Typer(
    cls=NautilusGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Nautilus: a self-hosted trading and portfolio platform.",
)
db_app = typer.Typer(help="Relational store.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(keys.app, name="keys")
app.add_typer(jobs.app, name="jobs")
app.add_typer(data.app, name="data")
app.add_typer(risk.app, name="risk")
app.add_typer(portfolio.app, name="portfolio")
app.add_typer(backtest.app, name="backtest")
app.add_typer(features_cli.app, name="features")
app.add_typer(features_cli.factors_app, name="factors")


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data folder (default ./.nautilus)")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML config file ($NAUTILUS_CONFIG)")
    ] = None,
) -> None:
    ctx.obj = CliState(data_dir=data_dir, config_file=config)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535)] = None,
    engines: Annotated[
        str | None, typer.Option(help="Comma-separated engines to run (default: all)")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML config file")] = None,
) -> None:
    """Run the platform and the API server."""
    state = state_of(ctx)
    if config is not None:
        state.config_file = config
    api: dict[str, object] = {}
    if host is not None:
        api["host"] = host
    if port is not None:
        api["port"] = port
    overrides: dict[str, object] = {"api": api} if api else {}
    if engines is not None:
        overrides["engines"] = tuple(e.strip() for e in engines.split(",") if e.strip())
    run_server(state.config(**overrides))


@app.command()
def demo(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Run a local demo: sample data, a generated admin login, the dashboard."""
    state = state_of(ctx)
    run_server(state.config(demo=True, api={"port": port}), sample_data=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending database migration."""
    config = state_of(ctx).config()
    db = Database(config.sqlalchemy_url)
    try:
        db.migrate()
    finally:
        db.dispose()
    console.print(f"database at {db.dialect} is up to date")


if __name__ == "__main__":
    app()
