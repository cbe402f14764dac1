"""``nautilus data sources|backfill|import|show|bars|quote``: the data engine from the shell.

Each command starts a platform with only the data engine on the configured data dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nautilus.cli.context import console, state_of
from nautilus.core.errors import NotFoundError
from nautilus.core.time import now_ns, ns_to_iso
from nautilus.data.engine import DataEngine
from nautilus.data.jobs import parse_time
from nautilus.data.sources.local import ColumnMapping, read_bars_file
from nautilus.model import AssetClass, Instrument, Timeframe
from nautilus.platform import Platform

app = typer.Typer(help="Market data: sources, backfills, imports.", no_args_is_help=True)


@contextmanager
def data_engine(ctx: typer.Context) -> Iterator[DataEngine]:
    platform = Platform(state_of(ctx).config(engines=("data",)))
    platform.start()
    try:
        engine = platform.engine("data")
        assert isinstance(engine, DataEngine)
        yield engine
    finally:
        platform.stop()


@app.command("sources")
def sources(ctx: typer.Context) -> None:
    """List data sources with their capabilities and health."""
    with data_engine(ctx) as engine:
        health = {h["source"]: h for h in engine.source_health()}
        table = Table("source", "enabled", "priority", "capabilities", "healthy")
        for s in engine.list_sources():
            table.add_row(s["name"], "yes" if s["enabled"] else "no",
                          "" if s["priority"] is None else str(s["priority"]),
                          ", ".join(s["capabilities"]),
                          "yes" if health.get(s["name"], {}).get("healthy") else "no")
        console.print(table)


@app.command("backfill")
def backfill(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Instrument id, e.g. AAPL.XNAS")],
    source: Annotated[str, typer.Option("--source", help="Data source name")],
    start: Annotated[str, typer.Option("--start", help="ISO date, e.g. 2020-01-01")],
    end: Annotated[str | None, typer.Option("--end", help="ISO date (default: now)")] = None,
    timeframe: Annotated[Timeframe, typer.Option("--timeframe")] = Timeframe.D1,
    chunk_days: Annotated[float | None, typer.Option(min=0.01)] = None,
    restart: Annotated[bool, typer.Option(help="Ignore a saved checkpoint")] = False,
) -> None:
    """Backfill bars with a progress bar; resumes from the last checkpoint."""
    start_ns = parse_time(start)
    end_ns = parse_time(end) if end else now_ns()
    with data_engine(ctx) as engine, Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[msg]}"), TimeElapsedColumn(), console=console,
    ) as bar:
        task = bar.add_task(f"{symbol} {timeframe.value}", total=1.0, msg="")

        def show(fraction: float, message: str, _state: dict[str, Any]) -> None:
            bar.update(task, completed=fraction, msg=message)

        result = engine.backfill(
            symbol, timeframe, start_ns, end_ns, source=source, resume=not restart,
            chunk_ns=int(chunk_days * 86_400 * 10**9) if chunk_days else None, progress=show)
    console.print(f"{result.status}: {result.rows} bars stored, {result.rejected} rejected, "
                  f"{result.retries} retries"
                  + (f" ({result.message})" if result.status != "completed" else ""))
    if result.status != "completed":
        raise typer.Exit(1)


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet")],
    symbol: Annotated[str, typer.Option("--symbol", help="Instrument id of the bars")],
    timeframe: Annotated[Timeframe, typer.Option("--timeframe")] = Timeframe.D1,
    mapping: Annotated[str | None, typer.Option(
        help='Column mapping as JSON, e.g. \'{"ts": "Date", "close": "Close", '
             '"timezone": "America/New_York"}\'')] = None,
    strict: Annotated[bool, typer.Option(help="Store nothing if any row is bad")] = False,
    asset_class: Annotated[AssetClass, typer.Option(help="If the instrument is new")] = (
        AssetClass.EQUITY),
    currency: Annotated[str, typer.Option(help="If the instrument is new")] = "USD",
) -> None:
    """Import bars from a file (via the local source's reader), validated, into the store.

    An instrument not in the catalogue yet is registered with ``--asset-class``/``--currency``.
    """
    cols = ColumnMapping.model_validate_json(mapping or "{}")
    batch = read_bars_file(file, timeframe, cols, instrument_id=symbol)
    with data_engine(ctx) as engine:
        if engine.catalog.find(symbol) is None:
            engine.register_instruments(
                [Instrument.create(symbol, asset_class, currency, exchange_tz=cols.timezone
                                   if cols.timezone != "UTC" else "America/New_York")],
                source="local")
        report = engine.ingest_bars(symbol, timeframe, batch.frame, source="local",
                                    strict=strict)
    bad = len(batch.rejected) + report.rejected_count
    console.print(f"{symbol} {timeframe.value}: {report.stored} bars stored, {bad} rejected, "
                  f"{len(report.gaps)} gaps ({report.missing_bars} missing bars)")
    reasons = dict(report.reasons)
    for r in batch.rejected:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    for reason, n in sorted(reasons.items()):
        console.print(f"  {reason}: {n}")
    if strict and bad:
        raise typer.Exit(2)


@app.command("show")
def show(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Instrument id")],
    timeframe: Annotated[Timeframe, typer.Option("--timeframe")] = Timeframe.D1,
    rows: Annotated[int, typer.Option(min=1, max=1000)] = 10,
) -> None:
    """Show an instrument, its stored series and its latest bars."""
    with data_engine(ctx) as engine:
        inst = engine.instrument(symbol)
        series = [engine.bars.info(i, tf) for i, tf in engine.bars.series(symbol)]
        frame = (engine.bars.read(symbol, timeframe).tail(rows)
                 if engine.bars.exists(symbol, timeframe) else None)
    console.print(f"[bold]{inst.id}[/] {inst.name} ({inst.asset_class.value}, {inst.currency}, "
                  f"calendar {inst.calendar})")
    for s in series:
        first = ns_to_iso(s["first_ts"]) if s["first_ts"] is not None else "-"
        last = ns_to_iso(s["last_ts"]) if s["last_ts"] is not None else "-"
        console.print(f"  {s['timeframe']}: {s['rows']} bars {first} .. {last}")
    if frame is None or frame.empty:
        console.print(f"  no stored {timeframe.value} bars")
        return
    console.print(_bar_table(frame))


def _bar_table(frame: Any) -> Table:
    table = Table("close time (UTC)", "open", "high", "low", "close", "volume")
    for ts, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        table.add_row(ns_to_iso(int(ts)), f"{row.open:.4f}", f"{row.high:.4f}",
                      f"{row.low:.4f}", f"{row.close:.4f}", f"{row.volume:.0f}")
    return table


@app.command("bars")
def bars(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Instrument id")],
    start: Annotated[str, typer.Option("--start", help="First close time, ISO or int ns")],
    end: Annotated[str | None, typer.Option("--end", help="Last close time, exclusive "
                                                           "(default: now)")] = None,
    timeframe: Annotated[Timeframe, typer.Option(
        "--timeframe", help="1m..4h, 1d, 1w (calendar week), 1mo (calendar month)")] = (
        Timeframe.D1),
    source: Annotated[str | None, typer.Option(help="Only this source (default: failover)")] = (
        None),
    rows: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
) -> None:
    """Bars through the failover list, resampled from stored bars where needed (last rows)."""
    end_ns = parse_time(end) if end else now_ns()
    with data_engine(ctx) as engine:
        try:  # catalogue it, so that bars resampled from the store follow its calendar
            engine.instrument(symbol)
        except NotFoundError:
            pass  # get_bars may still find it in the store or says which sources it tried
        frame, served = engine.get_bars(symbol, timeframe, parse_time(start), end_ns,
                                        source=source)
    console.print(f"{symbol} {timeframe.value}: {len(frame)} bars from {served}")
    if len(frame):
        console.print(_bar_table(frame.tail(rows)))


@app.command("quote")
def quote(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Instrument id")],
    source: Annotated[str | None, typer.Option(help="Only this source (default: failover)")] = (
        None),
) -> None:
    """The latest quote through the source priority list, naming the source that served it."""
    with data_engine(ctx) as engine:
        q, served = engine.get_quote(symbol, source)
    console.print(f"{symbol} bid {q.bid:.4f} x {q.bid_size:g}  ask {q.ask:.4f} x "
                  f"{q.ask_size:g}  at {ns_to_iso(q.ts_event)} from {served}")
