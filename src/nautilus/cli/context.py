"""What every command shares: the global options, the config, consoles, error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pydantic
import typer
from rich.console import Console
from typer.core import TyperGroup

from nautilus.config import PlatformConfig, load_config
from nautilus.core.errors import NautilusError
from nautilus.persistence.db import Database
from nautilus.security import Security

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    data_dir: Path | None = None
    config_file: Path | None = None

    def config(self, **overrides: Any) -> PlatformConfig:
        if self.data_dir is not None:
            overrides.setdefault("data_dir", self.data_dir)
        return load_config(self.config_file, **overrides)


def state_of(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


@contextmanager
def open_security(ctx: typer.Context) -> Iterator[Security]:
    """A ``Security`` on the configured database (migrated first), closed afterwards."""
    config = state_of(ctx).config()
    db = Database(config.sqlalchemy_url)
    try:
        db.migrate()
        yield Security(config, db)
    finally:
        db.dispose()


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


class NautilusGroup(TyperGroup):
    """Turns our errors and invalid input into a red message and exit code, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NautilusError as exc:
            raise fail(exc.detail, 2 if exc.status < 500 else 1) from None
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
            )
            raise fail(f"invalid input: {problems}", 2) from None
        except OSError as exc:
            raise fail(str(exc)) from None
