"""Fundamental features from EDGAR company facts, point in time.

Every fact is visible from its filing date on (``CompanyFact.ts_known``, int ns UTC) and never
before: on each date the value in force is, among the facts filed at or before that date, the
one for the latest fiscal period (for that period its latest filing, so an amendment replaces
the original only from the amendment's own filing date). The join is
:func:`nautilus.core.time.asof_index`.

Flows (earnings per share, net income, revenue, gross profit) are taken from annual facts only
(``fiscal_period == "FY"``): a fact carries no period start, and a quarterly report holds both
three-month and year-to-date values for the same period end. Balances (equity, liabilities,
shares outstanding) are instants and come from any report. Each concept has fallbacks, used
when the company reports none of the preferred one.

=================  ==============================================================  ==========
feature            definition                                                      group
=================  ==============================================================  ==========
earnings_yield     annual diluted EPS / close                                      valuation
book_to_price      stockholders' equity / (shares outstanding * close)             valuation
roe                annual net income / stockholders' equity                        profitability
gross_margin       annual gross profit / annual revenue                            profitability
revenue_yoy        latest annual revenue / the one a year earlier - 1              growth
debt_to_equity     total liabilities / stockholders' equity                        leverage
=================  ==============================================================  ==========

Ratios are plain fractions (0.05 = 5 %); a ratio with a missing or zero denominator is NaN.

>>> import numpy as np
>>> from nautilus.model import CompanyFact
>>> f = CompanyFact(cik="1", ticker="X", concept="us-gaap:EarningsPerShareDiluted",
...                 unit="USD/shares", value=5.0, period_end_ns=0, ts_known=10, form="10-K",
...                 fiscal_period="FY")
>>> fundamental_features([f], np.array([9, 10]), np.array([100.0, 100.0]),
...                      ["earnings_yield"])["earnings_yield"].tolist()
[nan, 0.05]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY, asof_index
from nautilus.model import CompanyFact

Array = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]

EPS = ("us-gaap:EarningsPerShareDiluted", "us-gaap:EarningsPerShareBasic")
NET_INCOME = ("us-gaap:NetIncomeLoss", "us-gaap:ProfitLoss")
EQUITY = (
    "us-gaap:StockholdersEquity",
    "us-gaap:StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
)
REVENUE = (
    "us-gaap:Revenues",
    "us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax",
    "us-gaap:SalesRevenueNet",
)
GROSS_PROFIT = ("us-gaap:GrossProfit",)
LIABILITIES = ("us-gaap:Liabilities",)
SHARES = ("dei:EntityCommonStockSharesOutstanding", "us-gaap:CommonStockSharesOutstanding")
FLOWS = frozenset(EPS + NET_INCOME + REVENUE + GROSS_PROFIT)

YEAR_NS = 365 * NS_PER_DAY
YEAR_TOLERANCE_NS = 20 * NS_PER_DAY


def _ratio(num: Array, den: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out


class FactTable:
    """One company's facts, grouped by concept, with as-of lookups onto dates."""

    def __init__(self, facts: Iterable[CompanyFact]) -> None:
        self.by_concept: dict[str, list[CompanyFact]] = {}
        for f in facts:
            if f.concept in FLOWS and f.fiscal_period != "FY":
                continue
            self.by_concept.setdefault(f.concept, []).append(f)

    def pick(self, concepts: Sequence[str]) -> list[CompanyFact]:
        """Facts of the first concept in ``concepts`` the company reports (else none)."""
        for c in concepts:
            if self.by_concept.get(c):
                return self.by_concept[c]
        return []

    def path(self, concepts: Sequence[str]) -> tuple[Int64Array, Array]:
        """Filing times (sorted) and the value in force just after each filing."""
        facts = sorted(self.pick(concepts), key=lambda f: (f.ts_known, f.period_end_ns))
        times = np.array([f.ts_known for f in facts], dtype=np.int64)
        out = np.empty(len(facts))
        best_period, best = np.iinfo(np.int64).min, np.nan
        for i, f in enumerate(facts):
            if f.period_end_ns >= best_period:
                best_period, best = f.period_end_ns, f.value
            out[i] = best
        return times, out

    def yoy_path(self, concepts: Sequence[str]) -> tuple[Int64Array, Array]:
        """Filing times and, after each, latest period's value over the value of the period
        ending one year (+-20 days) earlier, minus one; NaN when that period is unknown."""
        facts = sorted(self.pick(concepts), key=lambda f: (f.ts_known, f.period_end_ns))
        known: dict[int, float] = {}
        times = np.array([f.ts_known for f in facts], dtype=np.int64)
        out = np.full(len(facts), np.nan)
        for i, f in enumerate(facts):
            known[f.period_end_ns] = f.value
            last = max(known)
            prior = [p for p in known if abs(last - YEAR_NS - p) <= YEAR_TOLERANCE_NS]
            if prior:
                base = known[min(prior, key=lambda p: abs(last - YEAR_NS - p))]
                if base != 0:
                    out[i] = known[last] / base - 1.0
        return times, out

    @staticmethod
    def asof(path: tuple[Int64Array, Array], dates: Int64Array) -> Array:
        """Values of ``path`` as known at each date (NaN before the first filing)."""
        times, values = path
        idx = asof_index(times, dates)
        out = np.full(dates.size, np.nan)
        ok = idx >= 0
        out[ok] = values[idx[ok]]
        return out

    def value(self, concepts: Sequence[str], dates: Int64Array) -> Array:
        return self.asof(self.path(concepts), dates)


@dataclass(frozen=True, slots=True)
class Fundamental:
    """A fundamental feature: name, group, one-line definition and its computation."""

    name: str
    group: str
    description: str
    compute: Callable[[FactTable, Int64Array, Array], Array]


FUNDAMENTALS: dict[str, Fundamental] = {
    f.name: f
    for f in (
        Fundamental(
            "earnings_yield",
            "valuation",
            "annual diluted EPS / close",
            lambda t, d, c: _ratio(t.value(EPS, d), c),
        ),
        Fundamental(
            "book_to_price",
            "valuation",
            "stockholders' equity / (shares outstanding * close)",
            lambda t, d, c: _ratio(t.value(EQUITY, d), t.value(SHARES, d) * c),
        ),
        Fundamental(
            "roe",
            "profitability",
            "annual net income / stockholders' equity",
            lambda t, d, c: _ratio(t.value(NET_INCOME, d), t.value(EQUITY, d)),
        ),
        Fundamental(
            "gross_margin",
            "profitability",
            "annual gross profit / annual revenue",
            lambda t, d, c: _ratio(t.value(GROSS_PROFIT, d), t.value(REVENUE, d)),
        ),
        Fundamental(
            "revenue_yoy",
            "growth",
            "annual revenue growth over the prior year",
            lambda t, d, c: t.asof(t.yoy_path(REVENUE), d),
        ),
        Fundamental(
            "debt_to_equity",
            "leverage",
            "total liabilities / stockholders' equity",
            lambda t, d, c: _ratio(t.value(LIABILITIES, d), t.value(EQUITY, d)),
        ),
    )
}
"""Fundamental features by name (see the module docstring for the definitions)."""

CONCEPTS: tuple[str, ...] = tuple(
    dict.fromkeys(EPS + NET_INCOME + EQUITY + REVENUE + GROSS_PROFIT + LIABILITIES + SHARES)
)
"""Every concept a fundamental feature may read (ask the data engine for these)."""


def check_fundamental(name: str) -> Fundamental:
    """The fundamental feature ``name``; 422 ``unknown_fundamental`` naming the known ones."""
    try:
        return FUNDAMENTALS[name]
    except KeyError:
        raise ValidationError(
            f"unknown fundamental feature {name!r} (allowed: {', '.join(sorted(FUNDAMENTALS))})",
            code="unknown_fundamental",
            allowed=sorted(FUNDAMENTALS),
        ) from None


def fundamental_features(
    facts: Iterable[CompanyFact], dates: npt.ArrayLike, close: npt.ArrayLike, names: Sequence[str]
) -> dict[str, Array]:
    """Each named feature on each date (int ns UTC), from facts known at that date only.

    ``close`` is aligned with ``dates`` (the bar's close price, for the valuation ratios).
    """
    d = np.asarray(dates, dtype=np.int64)
    c = np.asarray(close, dtype=np.float64)
    if c.shape != d.shape:
        raise ValidationError("close and dates differ in length", code="bad_shape")
    table = FactTable(facts)
    return {n: check_fundamental(n).compute(table, d, c) for n in names}
