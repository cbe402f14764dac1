"""Style factors against pandas, and strict point-in-time alignment of macro and company data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import NS_PER_DAY, to_ns
from nautilus.factors import compute, resolve, synthesis
from nautilus.factors.panel import Panel, synthetic_panel
from nautilus.model.data import CompanyFact, EconomicObservation

D = NS_PER_DAY


def test_momentum_reversal_lowvol_match_pandas(panel: Panel, wide: dict[str, pd.DataFrame]
                                               ) -> None:
    c = wide["close"]
    np.testing.assert_allclose(compute("style.momentum_12_1", panel,
                                       {"lookback": 100, "skip": 10}),
                               c.shift(10) / c.shift(100) - 1, equal_nan=True)
    np.testing.assert_allclose(compute("style.reversal_1m", panel), -(c / c.shift(21) - 1),
                               equal_nan=True)
    ref = -c.pct_change(fill_method=None).rolling(60).std() * np.sqrt(252)
    np.testing.assert_allclose(compute("style.low_volatility", panel, {"window": 60}), ref,
                               rtol=1e-9, equal_nan=True)


def test_size_uses_shares_else_dollar_volume(panel: Panel, wide: dict[str, pd.DataFrame]) -> None:
    np.testing.assert_allclose(compute("style.size", panel),
                               np.log(panel["close"] * panel["shares"]), equal_nan=True)
    no_shares = Panel(panel.dates, panel.instruments,
                      {k: v for k, v in panel.fields.items() if k != "shares"})
    ref = np.log((wide["close"] * wide["volume"]).rolling(21).mean())
    np.testing.assert_allclose(compute("style.size", no_shares), ref, rtol=1e-9, equal_nan=True)


def test_beta_matches_regression_on_market_series() -> None:
    p = synthetic_panel(300, 5, seed=2)
    got = compute("style.beta", p, {"window": 120})
    r = pd.DataFrame(p["close"]).pct_change(fill_method=None)
    m = pd.Series(p.series["market_return"])
    for j in range(5):
        t = 250
        y, x = r[j].iloc[t - 119 : t + 1], m.iloc[t - 119 : t + 1]
        slope = np.polyfit(x.to_numpy(), y.to_numpy(), 1)[0]
        assert got[t, j] == pytest.approx(slope, rel=1e-8)
    # the synthetic betas are drawn in [0.5, 1.5]
    assert 0.2 < np.nanmean(got[-1]) < 1.8


def test_value_and_quality_need_fundamentals(panel: Panel) -> None:
    with pytest.raises(ValidationError) as err:
        compute("style.value", panel)
    assert err.value.code == "missing_field"
    book = np.full(panel.shape, 5e9)
    ni = np.full(panel.shape, 5e8)
    ni[:, 0] = -1e8
    p = panel.with_fields(book_equity=book, net_income=ni)
    np.testing.assert_allclose(compute("style.value", p), book / (p["close"] * p["shares"]))
    q = compute("style.quality", p)
    assert q[0, 0] == pytest.approx(-0.02) and q[0, 1] == pytest.approx(0.1)
    with pytest.raises(ValidationError):
        compute("style.quality", p, {"measure": "gross_profitability"})
    with pytest.raises(ValidationError):
        compute("style.quality", p, {"measure": "nonsense"})


def test_unknown_registered_name_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        resolve("style.no_such_factor")


def _days(*iso: str) -> np.ndarray:
    return np.array([to_ns(d) for d in iso], dtype=np.int64)


def test_fact_filed_next_day_is_not_visible_on_period_end() -> None:
    dates = _days("2024-03-28", "2024-03-29", "2024-03-30", "2024-04-01")
    facts = pd.DataFrame({
        "instrument": ["A", "A"],
        "period_end": _days("2023-12-31", "2024-03-29"),
        "value": [1.0, 2.0],
        "ts_known": _days("2024-02-15", "2024-03-30"),  # period ends t, filed t+1
    })
    got = synthesis.align_asof_facts(facts, dates, ["A", "B"])
    np.testing.assert_array_equal(got[:, 0], [1.0, 1.0, 2.0, 2.0])
    assert np.isnan(got[:, 1]).all()
    # a filing one nanosecond after the date is invisible on that date
    facts.loc[1, "ts_known"] = dates[2] + 1
    assert synthesis.align_asof_facts(facts, dates, ["A"])[2, 0] == 1.0


def test_macro_revisions_apply_from_their_own_release() -> None:
    obs = pd.DataFrame({
        "period": _days("2024-01-01", "2024-02-01", "2024-01-01", "2024-02-01"),
        "value": [10.0, 20.0, 11.0, 21.0],
        "ts_known": _days("2024-02-05", "2024-03-05", "2024-03-10", "2024-04-05"),
    })
    dates = _days("2024-02-04", "2024-02-05", "2024-03-05", "2024-03-10", "2024-04-05")
    got = synthesis.align_asof_macro(obs, dates)
    # Jan's revision (released after Feb's first print) must not replace Feb's value
    np.testing.assert_array_equal(got, [np.nan, 10.0, 20.0, 20.0, 21.0])
    stale = synthesis.align_asof_macro(obs, dates, max_age_ns=20 * D)
    assert stale[3] == 20.0  # released 5 days before, within the 20-day limit
    assert np.isnan(synthesis.align_asof_macro(obs, _days("2024-06-01"), max_age_ns=20 * D)[0])


def test_structs_convert_to_alignment_frames() -> None:
    obs = [EconomicObservation(series_id="T10Y2Y", period_ns=to_ns("2024-01-02"), value=0.5,
                               ts_known=to_ns("2024-01-03"), source="fred")]
    frame = synthesis.macro_frame(obs)
    assert synthesis.align_asof_macro(frame, _days("2024-01-02", "2024-01-03")).tolist()[1] == 0.5
    facts = [CompanyFact(cik="1", ticker="A", concept="EPS", unit="USD", value=1.5,
                         period_end_ns=to_ns("2023-12-31"), ts_known=to_ns("2024-02-01"),
                         form="10-K"),
             CompanyFact(cik="1", ticker="A", concept="Revenue", unit="USD", value=9.0,
                         period_end_ns=to_ns("2023-12-31"), ts_known=to_ns("2024-02-01"),
                         form="10-K")]
    assert synthesis.facts_frame(facts, "EPS")["value"].tolist() == [1.5]


def test_trailing_sum_as_filed() -> None:
    q_ends = _days("2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31", "2024-03-31")
    filed = q_ends + 40 * D
    facts = pd.DataFrame({"instrument": "A", "period_end": q_ends,
                          "value": [1.0, 2.0, 3.0, 4.0, 5.0], "ts_known": filed})
    # Q4 2023 restated later: the restatement counts only from its own filing
    facts = pd.concat([facts, pd.DataFrame({"instrument": ["A"], "period_end": [q_ends[3]],
                                            "value": [6.0], "ts_known": [filed[4] + 10 * D]})])
    dates = np.array([filed[3] - 1, filed[3], filed[4], filed[4] + 10 * D], dtype=np.int64)
    got = synthesis.trailing_sum_asof(facts, dates, ["A"])[:, 0]
    np.testing.assert_array_equal(got, [np.nan, 10.0, 14.0, 16.0])


def test_multi_source_factors_use_point_in_time_inputs() -> None:
    p = synthetic_panel(300, 4, seed=9)
    spread = pd.DataFrame({"period": p.dates[::20], "value": np.where(
        np.arange(15) % 2 == 0, 1.0, -0.5), "ts_known": p.dates[::20] + D})
    p2 = synthesis.with_macro(p, "term_spread", spread)
    got = compute("multi.regime_momentum", p2)
    c = pd.DataFrame(p["close"])
    mom = (c.shift(21) / c.shift(252) - 1).to_numpy()
    known = synthesis.align_asof_macro(spread, p.dates)
    scale = np.where(np.isnan(known), np.nan, np.where(known > 0, 1.0, 0.5))[:, None]
    np.testing.assert_allclose(got, mom * scale, equal_nan=True)
    # the spread released one day after its period start is not used on that start date
    assert np.isnan(p2.series["term_spread"][0]) and p2.series["term_spread"][1] == 1.0

    eps = pd.DataFrame({"instrument": p.instruments * 2,
                        "period_end": np.repeat([p.dates[10], p.dates[100]], 4),
                        "value": [1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 4.5],
                        "ts_known": np.repeat([p.dates[30], p.dates[130]], 4)})
    p3 = synthesis.with_facts(p, "eps_ttm", eps)
    ey = compute("multi.earnings_yield", p3)
    assert np.isnan(ey[29]).all()
    np.testing.assert_allclose(ey[30], np.array([1.0, 2.0, 3.0, 4.0]) / p["close"][30])
    np.testing.assert_allclose(ey[129], np.array([1.0, 2.0, 3.0, 4.0]) / p["close"][129])
    np.testing.assert_allclose(ey[130], np.array([1.5, 2.5, 3.5, 4.5]) / p["close"][130])
    with pytest.raises(ValidationError) as err:
        compute("multi.earnings_yield", p)
    assert err.value.code == "unknown_field"
