"""``nautilus features list|compute`` and ``nautilus factors list|evaluate``.

Each command that needs data starts a platform with the data, features and factors engines on
the configured data dir and works in process (no job runner round trip).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from nautilus.cli.context import console, state_of
from nautilus.core.errors import ValidationError
from nautilus.core.time import ns_to_iso
from nautilus.factors.engine import FactorEvaluationRequest, FactorsEngine
from nautilus.factors.sources import parse_range
from nautilus.features.engine import FeaturesEngine
from nautilus.platform import Platform

app = typer.Typer(help="Indicators and feature sets.", no_args_is_help=True)
factors_app = typer.Typer(help="Factor library and evaluation.", no_args_is_help=True)


@contextmanager
def running(ctx: typer.Context) -> Iterator[Platform]:
    platform = Platform(state_of(ctx).config(engines=("data", "features", "factors")))
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


def _params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"--param wants name=value, got {item!r}", code="bad_param")
        out[key.strip()] = value.strip()
    return out


@app.command("list")
def list_indicators(
    category: Annotated[str | None, typer.Option(help="overlap, momentum, ...")] = None,
) -> None:
    """List indicators with their parameters and defaults."""
    from nautilus.features.base import INDICATORS

    table = Table("indicator", "category", "outputs", "parameters")
    for spec in INDICATORS.specs():
        ind = spec.obj
        if category is not None and ind.category != category:
            continue
        fields = ind.config_class.model_fields
        params = ", ".join(f"{k}={f.default}" for k, f in fields.items())
        table.add_row(spec.name, ind.category, ", ".join(ind.outputs), params)
    console.print(table)


@app.command("compute")
def compute_indicator(
    ctx: typer.Context,
    instrument: Annotated[str, typer.Argument(help="Instrument id, e.g. TEC01.XSYN")],
    indicator: Annotated[str, typer.Option("--indicator", "-i")],
    start: Annotated[str, typer.Option("--start", help="ISO date")],
    end: Annotated[str, typer.Option("--end", help="ISO date (exclusive)")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p",
                                                    help="name=value, repeatable")] = None,
    tail: Annotated[int, typer.Option(min=1, help="rows to show")] = 10,
) -> None:
    """Compute an indicator over an instrument's bars and print the last rows."""
    start_ns, end_ns = parse_range(start, end)
    with running(ctx) as platform:
        engine = platform.engine("features")
        assert isinstance(engine, FeaturesEngine)
        frame, info = engine.compute_indicator(instrument, indicator, _params(param or []),
                                               start_ns, end_ns)
    table = Table("close time", *frame.columns)
    for ts, row in frame.tail(tail).iterrows():
        table.add_row(ns_to_iso(int(ts)), *(f"{v:.6g}" for v in row))
    console.print(f"{indicator} {info['params']} over {info['bars']} bars "
                  f"(first {info['lookback']} are warm-up)")
    console.print(table)


@factors_app.command("list")
def list_factors(tag: Annotated[str | None, typer.Option(help="alpha158, style, ...")] = None,
                 ) -> None:
    """List registered factors."""
    from nautilus.factors.library import FACTORS

    table = Table("factor", "tags", "description")
    for spec in FACTORS.specs():
        if tag is None or tag in spec.tags:
            table.add_row(spec.name, ", ".join(spec.tags), spec.summary)
    console.print(table)


@factors_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    factor: Annotated[list[str], typer.Option("--factor", "-f", help="name or expression")],
    instruments: Annotated[str, typer.Option(help="comma-separated instrument ids")],
    start: Annotated[str, typer.Option("--start")],
    end: Annotated[str, typer.Option("--end")],
    horizon: Annotated[int, typer.Option(min=1, max=63)] = 1,
) -> None:
    """Evaluate factors over a universe of stored bars and print the IC table."""
    request = FactorEvaluationRequest(
        factors=factor, instruments=[i.strip() for i in instruments.split(",") if i.strip()],
        start=start, end=end, horizon=horizon)
    with running(ctx) as platform:
        engine = platform.engine("factors")
        assert isinstance(engine, FactorsEngine)
        result = engine.evaluate(request)
    table = Table("factor", "IC", "rank IC", "IC IR", "t-stat", "top-bottom", "turnover")
    for name, entry in result["factors"].items():
        if "error" in entry:
            table.add_row(name, f"[red]{entry['code']}[/]", "", "", "", "", "")
            continue

        def fmt(v: float | None) -> str:
            return "" if v is None else f"{v:.4f}"

        table.add_row(name, fmt(entry["ic"]["mean"]), fmt(entry["rank_ic"]["mean"]),
                      fmt(entry["ic"]["ir"]), fmt(entry["ic"]["t_stat"]),
                      fmt(entry["spread_mean"]), fmt(entry["turnover_top_mean"]))
    console.print(f"{result['panel']['n_instruments']} instruments, "
                  f"{result['panel']['n_dates']} dates, horizon {horizon}")
    console.print(table)
