"""``nautilus backtest run|strategies``: event-driven backtests from the command line.

``run`` executes in this process (no server needed) with a progress bar, prints the summary
statistics and, with ``--out``, writes the full results (orders, fills, positions, equity).

    nautilus backtest run ema_cross --symbols TEC01.XSYN --start 2024-01-02 --end 2024-02-01 \\
        --params '{"fast": 10, "slow": 30}'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nautilus.cli.context import console, fail
from nautilus.core.errors import NautilusError

app = typer.Typer(help="Event-driven backtests.", no_args_is_help=True)


def _params(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--params is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise typer.BadParameter("--params must be a JSON object")
    return value


@app.command("run")
def run(
    strategy: Annotated[str, typer.Argument(help="A registered strategy name.")],
    symbols: Annotated[str, typer.Option(help="Comma-separated instrument ids.")] = "TEC01.XSYN",
    start: Annotated[str, typer.Option(help="First day (ISO, UTC).")] = "2024-01-02",
    end: Annotated[str, typer.Option(help="End (ISO, UTC, exclusive).")] = "2024-02-01",
    timeframe: Annotated[str, typer.Option(help="Strategy timeframe (1m, 5m, 1h, 1d...).")] = "1m",
    params: Annotated[str | None, typer.Option(help="Strategy parameters as JSON.")] = None,
    cash: Annotated[str, typer.Option(help="Starting cash.")] = "1000000",
    seed: Annotated[int, typer.Option(help="Venue model seed.")] = 0,
    data_seed: Annotated[int, typer.Option(help="Synthetic market seed.")] = 7,
    source: Annotated[str, typer.Option(help="synthetic or store.")] = "synthetic",
    data_dir: Annotated[Path | None, typer.Option(help="Data dir (source=store).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write full results here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run STRATEGY over bars of SYMBOLS and print its statistics."""
    from nautilus.backtest.event.engine import EventBacktestConfig
    from nautilus.backtest.event.jobs import EventBacktestParams, run_event_backtest

    try:
        p = EventBacktestParams(
            strategy=strategy,
            params=_params(params),
            symbols=tuple(s.strip() for s in symbols.split(",") if s.strip()),
            start=start,
            end=end,
            timeframe=timeframe,
            source=source,  # type: ignore[arg-type]
            data_dir=str(data_dir) if data_dir else None,
            data_seed=data_seed,
            backtest=EventBacktestConfig(initial_cash=cash, seed=seed),
        )  # type: ignore[arg-type]
    except Exception as exc:  # pydantic errors become a clean CLI error
        raise fail(str(exc)) from None
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[msg]}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as bar:
        task = bar.add_task(strategy, total=1.0, msg="")

        def progress(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, msg=message)

        try:
            result = run_event_backtest(p, progress)
        except NautilusError as exc:
            raise fail(f"{exc.code}: {exc.detail}") from None
        bar.update(task, completed=1.0)
    if out is not None:
        result.save(out)
    summary = result.summary()
    if as_json:
        console.print_json(json.dumps(summary))
        return
    table = Table("metric", "value", title=f"{strategy} on {symbols}")
    table.add_row("bars", str(result.bars))
    table.add_row("bars/s", f"{result.bars_per_second:,.0f}")
    table.add_row("orders", str(len(result.order_rows)))
    table.add_row("fills", str(len(result.fill_rows)))
    table.add_row("final equity", f"{summary['final_equity']:,.2f}")
    for key in ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility"):
        v = result.stats.get(key)
        table.add_row(key, "n/a" if v is None else f"{v:.4f}")
    console.print(table)
    if out is not None:
        console.print(f"results written to {out}")


@app.command("strategies")
def strategies() -> None:
    """List the registered strategies."""
    from nautilus.strategy import STRATEGIES

    table = Table("name", "summary", "tags")
    for spec in STRATEGIES.specs():
        table.add_row(spec.name, spec.summary, ", ".join(spec.tags))
    console.print(table)
