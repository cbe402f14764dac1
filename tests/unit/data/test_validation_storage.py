"""Ingest validation, bar storage upserts, the catalogue and corporate-action adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.data.catalog import adjustment_factors, apply_adjustment
from nautilus.data.resample import sessions_for
from nautilus.data.validation import validate_bars
from nautilus.model import AssetClass, Instrument

from .conftest import MakeEngine

NY = "America/New_York"


def _daily(days: list[str], closes: list[float] | None = None) -> pd.DataFrame:
    ts = [int(pd.Timestamp(f"{d} 16:00", tz=NY).value) for d in days]
    c = np.array(closes if closes is not None else [100.0 + i for i in range(len(days))])
    return pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c,
                         "volume": np.full(len(c), 1000.0)},
                        index=pd.Index(np.array(ts, dtype=np.int64), name="ts"))


def test_every_rejection_reason_is_reported() -> None:
    ts = np.array([10, 20, 15, 30, 40, 50, 60, 60, 70], dtype=np.int64)
    frame = pd.DataFrame({
        "open":   [1.0, 1.0, 1.0, np.nan, -1.0, 1.0, 1.0, 1.0, 1.0],
        "high":   [2.0, 2.0, 2.0, 2.0, 2.0, 0.9, 2.0, 2.0, 2.0],
        "low":    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        "close":  [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.6, 1.5],
        "volume": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.inf],
    }, index=pd.Index(ts, name="ts"))
    good, report = validate_bars(frame, "1m", instrument_id="X.Y", source="test")
    assert good.index.tolist() == [10, 20, 60]
    assert good.loc[60, "close"] == 1.6  # the last row of a repeated ts wins
    assert report.reasons == {"out_of_order": 1, "non_finite_price": 1,
                              "non_positive_price": 1, "inconsistent_ohlc": 1,
                              "duplicate_ts": 1, "non_finite_volume": 1}
    assert report.received == 9 and report.accepted == 3 and report.rejected_count == 6
    assert {r.ts for r in report.rejected if r.reason == "out_of_order"} == {15}


def test_descending_input_is_reversed_not_rejected() -> None:
    frame = _daily(["2024-01-02", "2024-01-03", "2024-01-04"]).iloc[::-1]
    good, report = validate_bars(frame, "1d")
    assert report.rejected_count == 0 and good.index.is_monotonic_increasing


def test_gaps_against_the_nyse_calendar() -> None:
    # 2024-01-15 is Martin Luther King day (no session): not a gap. 01-10 and 01-11 missing.
    days = ["2024-01-08", "2024-01-09", "2024-01-12", "2024-01-16", "2024-01-17"]
    _, report = validate_bars(_daily(days), "1d", sessions_for("XNYS"))
    assert report.missing_bars == 2 and len(report.gaps) == 1
    gap = report.gaps[0]
    assert gap.start_ns == pd.Timestamp("2024-01-10 16:00", tz=NY).value
    assert gap.end_ns == pd.Timestamp("2024-01-11 16:00", tz=NY).value
    assert report.off_calendar == 0


def test_ingest_stores_good_rows_once_and_strict_stores_nothing(make_engine: MakeEngine) -> None:
    engine = make_engine()
    frame = _daily(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    bad = frame.copy()
    bad.iloc[1, bad.columns.get_loc("high")] = 1.0  # high below close
    strict = engine.ingest_bars("VAL01.XTST", "1d", bad, strict=True, check_gaps=False)
    assert strict.stored == 0 and strict.rejected_count == 1
    assert not engine.bars.exists("VAL01.XTST", "1d")
    report = engine.ingest_bars("VAL01.XTST", "1d", bad, check_gaps=False)
    assert report.stored == 3
    # re-ingest the full clean frame: the missing row is added, nothing duplicated
    engine.ingest_bars("VAL01.XTST", "1d", frame, check_gaps=False)
    engine.ingest_bars("VAL01.XTST", "1d", frame, check_gaps=False)
    stored = engine.bars.read("VAL01.XTST", "1d")
    pd.testing.assert_frame_equal(stored, frame, check_freq=False)
    with pytest.raises(NotFoundError, match=r"NOPE.XTST"):
        engine.bars.read("NOPE.XTST", "1d")


def test_catalogue_search_and_details(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.register_instruments([
        Instrument.create("ACME.XTST", AssetClass.EQUITY, "USD", name="Acme Rockets",
                          sector="Industrials", tick_size="0.05"),
        Instrument.create("BETA.XTST", AssetClass.ETF, "EUR", name="Beta Fund"),
    ], source="test")
    found = engine.search_instruments("rocket")
    assert [i.id for i in found] == ["ACME.XTST"]
    assert [i.id for i in engine.search_instruments("xtst", asset_class="etf")] == ["BETA.XTST"]
    acme = engine.instrument("ACME.XTST")
    assert str(acme.tick_size) == "0.05" and acme.sector == "Industrials"
    with pytest.raises(NotFoundError, match=r"ZZZZ.XTST"):
        engine.instrument("ZZZZ.XTST")


def test_adjustment_formula_by_hand() -> None:
    ts = np.array([1, 2, 3, 4], dtype=np.int64)
    close = np.array([100.0, 102.0, 51.0, 50.0])
    actions = pd.DataFrame({"ex_ts": [3, 4], "kind": ["split", "dividend"], "value": [2.0, 0.51]})
    price, volume = adjustment_factors(ts, close, actions)
    div = 1 - 0.51 / 51.0  # dividend factor uses the close before its ex-date (ts 3)
    np.testing.assert_allclose(price, [0.5 * div, 0.5 * div, div, 1.0])
    np.testing.assert_allclose(volume, [2.0, 2.0, 1.0, 1.0])


def test_adjusted_reads_remove_the_split_jump(make_engine: MakeEngine) -> None:
    engine = make_engine()
    days = ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"]
    frame = _daily(days, [200.0, 202.0, 101.5, 102.0])
    engine.ingest_bars("SPLT.XTST", "1d", frame, check_gaps=False)
    ex = int(pd.Timestamp("2024-03-06").tz_localize("UTC").value)
    engine.add_corporate_actions("SPLT.XTST", pd.DataFrame(
        {"split_ratio": [2.0], "dividend": [np.nan]}, index=pd.Index([ex], name="ts")))
    start, end = int(pd.Timestamp("2024-03-01").value), int(pd.Timestamp("2024-03-08").value)
    raw, _ = engine.get_bars("SPLT.XTST", "1d", start, end)
    adj, served = engine.get_bars("SPLT.XTST", "1d", start, end, adjusted=True)
    assert served == "store"
    np.testing.assert_allclose(adj["close"], [100.0, 101.0, 101.5, 102.0])
    np.testing.assert_allclose(adj["volume"], [2000.0, 2000.0, 1000.0, 1000.0])
    np.testing.assert_allclose(raw["close"], [200.0, 202.0, 101.5, 102.0])
    pd.testing.assert_frame_equal(apply_adjustment(raw, engine.actions.list("SPLT.XTST")), adj)
    with pytest.raises(ValidationError):
        engine.add_corporate_actions("SPLT.XTST", pd.DataFrame(
            {"ex_ts": [ex], "kind": ["merger"], "value": [1.0]}))
