"""Panel conversions, the synthetic generator and the factor-set job kind."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydantic
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import NS_PER_DAY
from nautilus.factors import FACTORS, FactorSetParams, compute_factor_set
from nautilus.factors.panel import Panel, business_days, synthetic_panel
from nautilus.jobs.base import JOB_KINDS


def test_long_and_wide_round_trip() -> None:
    p = synthetic_panel(30, 4, seed=3)
    long = p.to_long(["close", "volume", "sector"])
    assert list(long.columns) == ["date", "instrument", "close", "volume", "sector"]
    assert len(long) == 120
    back = Panel.from_long(long.sample(frac=1.0, random_state=0), groups=["sector"])
    np.testing.assert_array_equal(back.dates, p.dates)
    assert back.instruments == p.instruments and back.group_fields == {"sector"}
    np.testing.assert_array_equal(back["close"], p["close"])
    wide = Panel.from_wide({"close": p.to_wide("close"), "volume": p.to_wide("volume")})
    np.testing.assert_array_equal(wide["volume"], p["volume"])
    # datetimes are accepted at the edge and converted to int ns UTC
    long["date"] = pd.to_datetime(long["date"], unit="ns")
    np.testing.assert_array_equal(Panel.from_long(long).dates, p.dates)


def test_from_wide_outer_joins_missing_cells() -> None:
    a = pd.DataFrame({"X": [1.0, 2.0]}, index=[0, NS_PER_DAY])
    b = pd.DataFrame({"Y": [3.0]}, index=[NS_PER_DAY])
    p = Panel.from_wide({"close": a, "open": b})
    assert p.shape == (2, 2)
    assert np.isnan(p["open"][0]).all() and p["open"][1, 1] == 3.0 and np.isnan(p["close"][0, 1])


def test_panel_rejects_bad_input() -> None:
    with pytest.raises(ValidationError):
        Panel(np.array([2, 1]), ["A"], {"close": np.ones((2, 1))})
    with pytest.raises(ValidationError):
        Panel(np.array([1, 2]), ["A"], {"close": np.ones((3, 1))})
    with pytest.raises(ValidationError):
        Panel(np.array([1, 2]), ["A", "A"], {})
    dup = pd.DataFrame({"date": [1, 1], "instrument": ["A", "A"], "close": [1.0, 2.0]})
    with pytest.raises(ValidationError):
        Panel.from_long(dup)


def test_synthetic_panel_is_seeded_and_consistent() -> None:
    a, b = synthetic_panel(250, 30, seed=5), synthetic_panel(250, 30, seed=5)
    np.testing.assert_array_equal(a["close"], b["close"])
    assert not np.array_equal(a["close"], synthetic_panel(250, 30, seed=6)["close"])
    assert (a["high"] >= np.maximum(a["open"], a["close"])).all()
    assert (a["low"] <= np.minimum(a["open"], a["close"])).all()
    assert ((a["vwap"] >= a["low"]) & (a["vwap"] <= a["high"])).all()
    vol = np.nanstd(np.diff(np.log(a["close"]), axis=0), axis=0) * np.sqrt(252)
    assert 0.1 < vol.mean() < 0.6
    weekdays = pd.to_datetime(a.dates, unit="ns").dayofweek
    assert weekdays.max() <= 4 and len(business_days(0, 10)) == 10


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.updates: list[tuple[float, str | None]] = []
        self.cancel_after = cancel_after

    def update(self, fraction: float, message: str | None = None) -> None:
        self.updates.append((fraction, message))

    @property
    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.updates) > self.cancel_after


def test_job_is_registered_and_reports_progress() -> None:
    spec = JOB_KINDS.spec("factors.compute_set")
    assert spec.obj is compute_factor_set and spec.config is FactorSetParams
    params = FactorSetParams(factors=["alpha158.MA5", "style.reversal_1m", "rank(-delta(close, 5))",
                                      "style.value"],
                             panel={"n_dates": 120, "n_instruments": 20, "seed": 1})
    rec = Recorder()
    out = compute_factor_set(params, rec)
    assert [u[0] for u in rec.updates] == [0.0, 0.25, 0.5, 0.75, 1.0]
    ma5 = out["factors"]["alpha158.MA5"]
    assert ma5["coverage"] == pytest.approx(116 / 120)
    assert 0.9 < ma5["mean"] < 1.1 and ma5["ic_mean"] is not None
    assert out["factors"]["style.value"]["code"] == "missing_field"
    assert out["panel"] == {"n_dates": 120, "n_instruments": 20, "seed": 1}
    # the result is a summary, small enough to store as a job record
    assert len(json.dumps(out)) < 5_000


def test_job_stops_when_cancelled_and_rejects_bad_input() -> None:
    params = FactorSetParams(factors=["alpha158.KMID", "alpha158.KLEN", "alpha158.KUP"],
                             panel={"n_dates": 50, "n_instruments": 5}, evaluate=False)
    out = compute_factor_set(params, Recorder(cancel_after=1))
    assert out["cancelled"] and out["computed"] == 1
    with pytest.raises(ValidationError):
        compute_factor_set(FactorSetParams(factors=["ts_mean(close)"]), Recorder())
    with pytest.raises(NotFoundError):
        compute_factor_set(FactorSetParams(factors=["alpha158.NOPE"]), Recorder())
    with pytest.raises(pydantic.ValidationError):
        FactorSetParams(factors=[], panel={"n_dates": 50})
    assert "factors.compute_set" in JOB_KINDS and "alpha158.KMID" in FACTORS


def test_factor_definitions_are_checked_and_described() -> None:
    from nautilus.factors.library import Factor

    with pytest.raises(ValidationError) as err:
        Factor("bad", "broken expression", expression="ts_mean(close, 0)")
    assert err.value.code == "bad_window"
    with pytest.raises(ValidationError):
        Factor("both", "neither", expression=None, function=None)
    desc = FACTORS.get("style.momentum_12_1").describe()
    assert desc["parameters"]["properties"]["lookback"]["default"] == 252
    listed = {d["name"]: d for d in FACTORS.describe()}
    assert listed["alpha158.KMID"]["summary"].startswith("Alpha158 KMID")
    assert listed["style.beta"]["parameters"] is not None
    with pytest.raises(ValidationError):
        FACTORS.get("style.momentum_12_1").compute(synthetic_panel(30, 3), {"lookback": 1})
    with pytest.raises(ValidationError):
        FACTORS.get("alpha158.KMID").compute(synthetic_panel(30, 3), {"window": 5})
