"""``nautilus jobs list|show|cancel`` against the job records in the relational store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from nautilus.cli.context import console, state_of
from nautilus.jobs.base import JobRunner, JobState
from nautilus.platform import Platform

app = typer.Typer(help="Inspect and cancel jobs.", no_args_is_help=True)


@contextmanager
def job_runner(ctx: typer.Context) -> Iterator[JobRunner]:
    # The runner is not started: it reads and updates job rows only, no workers.
    platform = Platform(state_of(ctx).config())
    try:
        platform.db.migrate()
        yield platform.jobs
    finally:
        platform.db.dispose()


def parse_state(value: str | None) -> JobState | None:
    if value is None:
        return None
    try:
        return JobState(value)
    except ValueError:
        known = ", ".join(s.value for s in JobState)
        raise typer.BadParameter(f"unknown state {value!r} (known: {known})") from None


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="queued, running, succeeded...")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """List jobs, newest first."""
    wanted = parse_state(state)
    with job_runner(ctx) as jobs:
        records = jobs.list(state=wanted, limit=limit)
    table = Table("id", "kind", "state", "progress", "owner", "created")
    for j in records:
        table.add_row(
            j.id,
            j.kind,
            j.state.value,
            f"{j.progress:.0%}",
            j.owner_id or "",
            j.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, job_id: str) -> None:
    """Show one job as JSON."""
    with job_runner(ctx) as jobs:
        j = jobs.get(job_id)
    console.print_json(
        json.dumps(
            {
                "id": j.id,
                "kind": j.kind,
                "state": j.state.value,
                "progress": j.progress,
                "message": j.message,
                "params": j.params,
                "result": j.result,
                "error": j.error,
                "owner_id": j.owner_id,
                "backend": j.backend,
                "created_at": j.created_at.isoformat(),
                "started_at": j.started_at.isoformat() if j.started_at else None,
                "finished_at": j.finished_at.isoformat() if j.finished_at else None,
            }
        )
    )


@app.command("cancel")
def cancel(ctx: typer.Context, job_id: str) -> None:
    """Cancel a queued or running job."""
    with job_runner(ctx) as jobs:
        j = jobs.cancel(job_id)
    console.print(f"job {j.id}: {j.state.value}")
