"""``nautilus data ...`` through typer's CliRunner on a tmp data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from nautilus.cli.data import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NAUTILUS_CONFIG", raising=False)
    monkeypatch.setenv("NAUTILUS_DATA_DIR", str(tmp_path / "nautilus"))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


def test_import_show_backfill_and_sources(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "acme.csv"
    csv.write_text(
        "Date,Open,High,Low,Close,Vol\n"
        "2024-01-02,10,11,9.5,10.5,1000\n"
        "2024-01-03,10.5,11.5,10,11,1200\n"
        "2024-01-04,11,10,10.5,10.8,900\n"  # high below open: rejected
        "2024-01-05,10.8,11.2,10.6,11.1,1100\n"
    )
    mapping = ('{"ts": "Date", "open": "Open", "high": "High", "low": "Low", "close": "Close",'
               ' "volume": "Vol", "timezone": "America/New_York"}')
    r = run("import", str(csv), "--symbol", "ACME.XTST", "--mapping", mapping)
    assert r.exit_code == 0, r.output
    assert "3 bars stored, 1 rejected" in r.output and "inconsistent_ohlc: 1" in r.output
    r = run("show", "ACME.XTST")
    assert r.exit_code == 0, r.output
    assert "1d: 3 bars" in r.output and "2024-01-05T21:00:00" in r.output
    r = run("backfill", "TEC01.XSYN", "--source", "synthetic", "--start", "2024-01-01",
            "--end", "2024-03-01", "--chunk-days", "20")
    assert r.exit_code == 0, r.output
    assert "completed: 44 bars stored" in r.output  # weekdays, synthetic market
    r = run("sources")
    assert r.exit_code == 0 and "synthetic" in r.output and "replay" in r.output


def test_weekly_monthly_bars_and_quote(run) -> None:  # type: ignore[no-untyped-def]
    r = run("backfill", "TEC01.XSYN", "--source", "synthetic", "--start", "2024-03-01",
            "--end", "2024-05-01")
    assert r.exit_code == 0, r.output
    r = run("bars", "TEC01.XSYN", "--timeframe", "1w", "--start", "2024-03-18",
            "--end", "2024-04-06")
    assert r.exit_code == 0, r.output
    # Good Friday 2024 (29 Mar) has no session: that week closes Thursday 16:00 New York
    assert "1w: 3 bars from store" in r.output and "2024-03-28T20:00:00" in r.output
    assert "2024-03-29T20:00:00" not in r.output
    r = run("bars", "TEC01.XSYN", "--timeframe", "1mo", "--start", "2024-03-01",
            "--end", "2024-05-01")
    assert r.exit_code == 0, r.output
    assert "1mo: 2 bars from store" in r.output and "2024-04-30T20:00:00" in r.output
    r = run("quote", "TEC01.XSYN")
    assert r.exit_code == 0, r.output
    assert "synthetic" in r.output and "bid" in r.output
    r = run("quote", "ZZZ99.XSYN")
    assert r.exit_code != 0 and "no quote for 'ZZZ99.XSYN'" in str(r.exception)
