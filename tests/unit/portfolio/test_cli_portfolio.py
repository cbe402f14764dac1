"""The ``nautilus portfolio`` sub-app through typer's CliRunner on a tmp data dir."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from nautilus.cli import portfolio
from nautilus.cli.context import CliState, NautilusGroup


def _root() -> typer.Typer:
    root = typer.Typer(cls=NautilusGroup, no_args_is_help=True)

    @root.callback()
    def main(
        ctx: typer.Context, data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None
    ) -> None:
        ctx.obj = CliState(data_dir=data_dir)

    root.add_typer(portfolio.app, name="portfolio")
    return root


@pytest.fixture
def run(data_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NAUTILUS_CONFIG", raising=False)
    runner, app = CliRunner(), _root()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--data-dir", str(data_dir), "portfolio", *args])

    return invoke


def _id(output: str, word: str) -> str:
    m = re.search(rf"{word} (\w+)", output)
    assert m, output
    return m.group(1)


def test_cli_book_view_rebalance_goal(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = run("add-client", "Ann", "--owner", "u1")
    assert r.exit_code == 0, r.output
    cid = _id(r.output, "client")
    r = run("add-household", "Smith", "--owner", "u1", "--member", f"{cid}:grantor:0")
    hid = _id(r.output, "household")
    r = run("add-account", cid, "Ann taxable")
    pid = _id(r.output, "portfolio")
    assert run("book", pid, "deposit", "--amount", "10000").exit_code == 0
    r = run("book", pid, "buy", "--instrument", "A.X", "--quantity", "50", "--price", "100.5")
    assert r.exit_code == 0 and "cash 4975.0" in r.output
    r = run("book", pid, "sell", "--instrument", "A.X", "--quantity", "51", "--price", "1")
    assert r.exit_code == 2 and "only 50 is held" in " ".join(r.output.split())
    assert run("mark", "A.X", "110", "--lot-size", "5").exit_code == 0
    assert run("mark", "B.X", "10").exit_code == 0
    r = run("view", hid)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["total_value"] == pytest.approx(4975 + 5500)
    r = run("rebalance", pid, "--targets", '{"A.X": 0.3, "B.X": 0.7}', "--cash-buffer", "0")
    plan = json.loads(r.output)
    trades = {t["instrument_id"]: t for t in plan["trades"]}
    assert trades["A.X"]["side"] == "sell" and trades["A.X"]["quantity"] == "20"  # lots of 5
    assert trades["B.X"]["side"] == "buy" and plan["cash_after"] >= 0
    r = run("goal", "150000", "10", "100000", "--mu", "0.06", "--vol", "0.0")
    assert "probability of success 1.0000" in r.output
    csv = tmp_path / "r.csv"
    idx = pd.bdate_range("2024-01-01", periods=60)
    pd.Series(np.random.default_rng(0).normal(0, 0.01, 60), index=idx).to_csv(csv)
    out = tmp_path / "t.html"
    assert run("tearsheet", str(csv), str(out)).exit_code == 0
    assert out.read_text().count("data:image/png;base64,") == 4
