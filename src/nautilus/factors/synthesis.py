"""Point-in-time synthesis: macro series and company facts aligned onto a panel's dates.

The rule everywhere: a value may be used on panel row ``t`` only if it was known at or before
``dates[t]`` (``ts_known <= dates[t]``, int ns UTC), so panel dates should be the time
decisions are made (a daily bar's close). Among the values known at ``t`` the one for the
latest period wins, and for that period its latest vintage known at ``t`` (a revision replaces
the first release only from the revision's own release time). Revisions of older periods do
not replace a newer period's value. The join primitive is
:func:`nautilus.core.time.asof_index`.

Input frames: macro observations have columns ``period`` (period start or end, int ns),
``value`` and ``ts_known`` (int ns release time), as in ``EconomicObservation``; company facts
add ``instrument`` and use ``period_end`` as in ``CompanyFact`` (filing date = ``ts_known``).

>>> import numpy as np, pandas as pd
>>> obs = pd.DataFrame({"period": [1, 2], "value": [1.0, 2.0], "ts_known": [10, 20]})
>>> align_asof_macro(obs, np.array([5, 10, 19, 20])).tolist()
[nan, 1.0, 1.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY, asof_index
from nautilus.factors.library import Array, Factor, register
from nautilus.factors.panel import Panel
from nautilus.model.data import CompanyFact, EconomicObservation

Int64Array = npt.NDArray[np.int64]


def _known_path(period: Int64Array, known: Int64Array, value: Array
                ) -> tuple[Int64Array, Array]:
    """Release times (sorted) and the value current just after each release."""
    order = np.lexsort((period, known))
    best_period = np.iinfo(np.int64).min
    best_value = np.nan
    out = np.empty(order.size)
    for i, k in enumerate(order):
        if period[k] >= best_period:
            best_period = period[k]
            best_value = value[k]
        out[i] = best_value
    return known[order], out


def _check(frame: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValidationError(f"frame lacks columns {missing}", code="missing_field",
                              fields=missing)


def _asof(period: Int64Array, known: Int64Array, value: Array, dates: Int64Array,
          max_age_ns: int | None) -> Array:
    times, path = _known_path(period, known, value)
    idx = asof_index(times, dates)
    out = np.full(dates.size, np.nan)
    ok = idx >= 0
    out[ok] = path[idx[ok]]
    if max_age_ns is not None:
        # Age counts from the release of the value in force (a stale fact is dropped).
        last_release = np.full(dates.size, np.iinfo(np.int64).min)
        last_release[ok] = times[idx[ok]]
        out[ok & (dates - last_release > max_age_ns)] = np.nan
    return out


def align_asof_macro(observations: pd.DataFrame, dates: npt.ArrayLike, *,
                     max_age_ns: int | None = None) -> Array:
    """A macro series as known at each date: shape ``(len(dates),)``, NaN before the first
    release (and, with ``max_age_ns``, when the value in force was released longer ago)."""
    _check(observations, ("period", "value", "ts_known"))
    return _asof(observations["period"].to_numpy(np.int64),
                 observations["ts_known"].to_numpy(np.int64),
                 observations["value"].to_numpy(np.float64),
                 np.asarray(dates, dtype=np.int64), max_age_ns)


def align_asof_facts(facts: pd.DataFrame, dates: npt.ArrayLike, instruments: Sequence[str],
                     *, max_age_ns: int | None = None) -> Array:
    """Per-instrument facts as known at each date: shape ``(len(dates), len(instruments))``.

    Instruments with no facts are all NaN; facts for instruments not listed are ignored.
    """
    _check(facts, ("instrument", "period_end", "value", "ts_known"))
    d = np.asarray(dates, dtype=np.int64)
    col = {str(s): j for j, s in enumerate(instruments)}
    out = np.full((d.size, len(instruments)), np.nan)
    for inst, grp in facts.groupby(facts["instrument"].astype(str), sort=False):
        j = col.get(str(inst))
        if j is None:
            continue
        out[:, j] = _asof(grp["period_end"].to_numpy(np.int64),
                          grp["ts_known"].to_numpy(np.int64),
                          grp["value"].to_numpy(np.float64), d, max_age_ns)
    return out


def trailing_sum_asof(facts: pd.DataFrame, dates: npt.ArrayLike, instruments: Sequence[str],
                      *, quarters: int = 4, max_span_days: int = 370) -> Array:
    """Trailing sum of quarterly facts (e.g. TTM EPS) as filed: shape (dates, instruments).

    After each filing, the ``quarters`` latest fiscal quarters known so far (each at its latest
    vintage) are summed if their period ends span at most ``max_span_days`` (consecutive
    quarters); otherwise the TTM value is NaN until the gap is filled.
    """
    _check(facts, ("instrument", "period_end", "value", "ts_known"))
    d = np.asarray(dates, dtype=np.int64)
    col = {str(s): j for j, s in enumerate(instruments)}
    out = np.full((d.size, len(instruments)), np.nan)
    for inst, grp in facts.groupby(facts["instrument"].astype(str), sort=False):
        j = col.get(str(inst))
        if j is None:
            continue
        g = grp.sort_values(["ts_known", "period_end"], kind="stable")
        known: dict[int, float] = {}
        times: list[int] = []
        path: list[float] = []
        for pe, tk, v in zip(g["period_end"].to_numpy(np.int64), g["ts_known"].to_numpy(np.int64),
                             g["value"].to_numpy(np.float64), strict=True):
            known[int(pe)] = float(v)
            last = sorted(known)[-quarters:]
            ok = len(last) == quarters and last[-1] - last[0] <= max_span_days * NS_PER_DAY
            times.append(int(tk))
            path.append(float(sum(known[p] for p in last)) if ok else np.nan)
        idx = asof_index(np.asarray(times, dtype=np.int64), d)
        hit = idx >= 0
        out[hit, j] = np.asarray(path)[idx[hit]]
    return out


def macro_frame(observations: Iterable[EconomicObservation]) -> pd.DataFrame:
    """``EconomicObservation`` values to the frame ``align_asof_macro`` takes."""
    rows = [(o.period_ns, o.value, o.ts_known) for o in observations]
    return pd.DataFrame(rows, columns=["period", "value", "ts_known"])


def facts_frame(facts: Iterable[CompanyFact], concept: str) -> pd.DataFrame:
    """``CompanyFact`` values of one concept to the frame ``align_asof_facts`` takes
    (``instrument`` = the ticker, else the CIK)."""
    rows = [(f.ticker or f.cik, f.period_end_ns, f.value, f.ts_known)
            for f in facts if f.concept == concept]
    return pd.DataFrame(rows, columns=["instrument", "period_end", "value", "ts_known"])


def with_macro(panel: Panel, name: str, observations: pd.DataFrame, *,
               max_age_ns: int | None = None) -> Panel:
    """``panel`` with the macro series ``name`` added, aligned as of each date."""
    return panel.with_series(**{name: align_asof_macro(observations, panel.dates,
                                                       max_age_ns=max_age_ns)})


def with_facts(panel: Panel, name: str, facts: pd.DataFrame, *,
               max_age_ns: int | None = None) -> Panel:
    """``panel`` with the per-instrument fact field ``name`` added, aligned as of each date."""
    return panel.with_fields(**{name: align_asof_facts(facts, panel.dates, panel.instruments,
                                                       max_age_ns=max_age_ns)})


MULTI_SOURCE_FACTORS: tuple[Factor, ...] = (
    Factor("multi.earnings_yield",
           "Earnings yield: trailing EPS as filed (field eps_ttm) over the close.",
           expression="eps_ttm / close", fields=("eps_ttm", "close"),
           tags=("multi_source", "value")),
    Factor("multi.regime_momentum",
           "12-1 momentum, halved while the yield curve (series term_spread) is inverted.",
           expression="(delay(close, 21) / delay(close, 252) - 1) * (term_spread > 0 ? 1 : 0.5)",
           fields=("close", "term_spread"), tags=("multi_source", "momentum")),
    Factor("multi.real_rate_value",
           "Earnings yield in excess of the real short rate (series real_rate, percent).",
           expression="eps_ttm / close - real_rate / 100",
           fields=("eps_ttm", "close", "real_rate"), tags=("multi_source", "value")),
)

for _f in MULTI_SOURCE_FACTORS:
    register(_f)
