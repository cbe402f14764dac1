"""Fundamental features: point-in-time visibility, amendments, flows vs balances, definitions."""

from __future__ import annotations

import numpy as np
import pytest

from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY, to_ns
from nautilus.features.fundamentals import FUNDAMENTALS, fundamental_features
from nautilus.model import CompanyFact


def fact(concept: str, value: float, period_end: str, filed: str, fp: str = "FY",
         form: str = "10-K") -> CompanyFact:
    return CompanyFact(cik="1", ticker="ACME", concept=concept, unit="USD", value=value,
                       period_end_ns=to_ns(period_end), ts_known=to_ns(filed), form=form,
                       fiscal_period=fp)


FACTS = [
    fact("us-gaap:EarningsPerShareDiluted", 4.0, "2022-12-31", "2023-02-15"),
    fact("us-gaap:EarningsPerShareDiluted", 5.0, "2023-12-31", "2024-02-15"),
    fact("us-gaap:EarningsPerShareDiluted", 1.5, "2024-03-31", "2024-05-01", fp="Q1",
         form="10-Q"),
    fact("us-gaap:NetIncomeLoss", 100.0, "2023-12-31", "2024-02-15"),
    fact("us-gaap:StockholdersEquity", 800.0, "2023-12-31", "2024-02-15"),
    fact("us-gaap:StockholdersEquity", 1000.0, "2024-03-31", "2024-05-01", fp="Q1",
         form="10-Q"),
    fact("dei:EntityCommonStockSharesOutstanding", 10.0, "2024-01-31", "2024-02-15"),
    fact("us-gaap:Revenues", 400.0, "2022-12-31", "2023-02-15"),
    fact("us-gaap:Revenues", 500.0, "2023-12-31", "2024-02-15"),
    fact("us-gaap:GrossProfit", 200.0, "2023-12-31", "2024-02-15"),
    fact("us-gaap:Liabilities", 1200.0, "2023-12-31", "2024-02-15"),
]


def test_a_fact_filed_at_t_plus_one_is_not_visible_at_t() -> None:
    filed = to_ns("2024-02-15")
    dates = np.array([filed - 1, filed, filed + NS_PER_DAY])
    out = fundamental_features(FACTS, dates, np.full(3, 50.0), ["earnings_yield", "roe"])
    # the day before the 10-K only the prior year's EPS is known
    assert out["earnings_yield"].tolist() == pytest.approx([4.0 / 50, 5.0 / 50, 5.0 / 50])
    assert np.isnan(out["roe"][0]) and out["roe"][1] == pytest.approx(100 / 800)


def test_all_six_features_by_their_definitions() -> None:
    dates = np.array([to_ns("2023-03-01"), to_ns("2024-03-01"), to_ns("2024-06-03")])
    close = np.array([40.0, 50.0, 60.0])
    out = fundamental_features(FACTS, dates, close, list(FUNDAMENTALS))
    # a quarterly EPS is a flow from a 10-Q and never replaces the annual value
    assert out["earnings_yield"].tolist() == pytest.approx([4 / 40, 5 / 50, 5 / 60])
    # equity is a balance: the 10-Q value counts from its filing date
    assert out["book_to_price"][1:].tolist() == pytest.approx([800 / (10 * 50), 1000 / (10 * 60)])
    assert np.isnan(out["book_to_price"][0])
    assert out["roe"][1:].tolist() == pytest.approx([100 / 800, 100 / 1000])
    assert out["gross_margin"][1:].tolist() == pytest.approx([0.4, 0.4])
    assert np.isnan(out["revenue_yoy"][0])
    assert out["revenue_yoy"][1:].tolist() == pytest.approx([0.25, 0.25])
    assert out["debt_to_equity"][1:].tolist() == pytest.approx([1.5, 1.2])


def test_an_amendment_counts_only_from_its_own_filing_date() -> None:
    facts = [fact("us-gaap:Revenues", 100.0, "2022-12-31", "2023-02-01"),
             fact("us-gaap:Revenues", 120.0, "2023-12-31", "2024-02-01"),
             fact("us-gaap:Revenues", 110.0, "2023-12-31", "2024-04-01", form="10-K/A")]
    dates = np.array([to_ns("2024-03-01"), to_ns("2024-04-01")])
    out = fundamental_features(facts, dates, np.ones(2), ["revenue_yoy"])
    assert out["revenue_yoy"].tolist() == pytest.approx([0.2, 0.1])


def test_missing_denominators_and_unknown_names() -> None:
    dates = np.array([to_ns("2024-03-01")])
    out = fundamental_features([fact("us-gaap:NetIncomeLoss", 5.0, "2023-12-31", "2024-01-15")],
                               dates, np.ones(1), ["roe", "gross_margin"])
    assert np.isnan(out["roe"]).all() and np.isnan(out["gross_margin"]).all()
    with pytest.raises(ValidationError) as err:
        fundamental_features([], dates, np.ones(1), ["pe_ratio"])
    assert err.value.code == "unknown_fundamental" and "earnings_yield" in err.value.detail
    with pytest.raises(ValidationError):
        fundamental_features([], dates, np.ones(2), ["roe"])
