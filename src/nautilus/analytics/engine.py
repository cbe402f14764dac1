"""The analytics engine: metrics, returns, P&L, attribution, execution quality, tearsheets.

The tearsheet module (matplotlib) is imported on first use so that starting the engine stays
cheap.

Stateless over its inputs except for P&L and family reports, which read ledgers and marks
through the portfolio engine's public methods (``ctx.engine("portfolio")``). Every method
returns JSON-ready values (dicts of floats) so the API and CLI pass them on unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from nautilus.analytics import attribution, execution_quality, pnl, returns
from nautilus.analytics.metrics import summary
from nautilus.core.engine import ENGINES, Engine


def finite_tree(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, for JSON."""
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_tree(v) for v in value]
    if isinstance(value, np.ndarray):
        return finite_tree(value.tolist())
    return value


def _frame_records(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    clean = df.astype(object).where(pd.notna(df), None)
    return {str(k): {str(c): v for c, v in row.items()} for k, row in clean.iterrows()}


@ENGINES.register("analytics")
class AnalyticsEngine(Engine):
    """Analytics over return series, ledgers and orders (see the module docstring)."""

    name: ClassVar[str] = "analytics"

    def _portfolio(self) -> Any:
        from nautilus.portfolio.engine import PortfolioEngine

        return self.ctx.engine("portfolio", PortfolioEngine)

    # -- returns ----------------------------------------------------------------------------

    @staticmethod
    def metrics(
        values: Sequence[float],
        benchmark: Sequence[float] | None = None,
        periods_per_year: float = 252.0,
    ) -> dict[str, float | None]:
        out = summary(
            np.asarray(values, float),
            None if benchmark is None else np.asarray(benchmark, float),
            periods_per_year=periods_per_year,
        )
        return {k: (v if np.isfinite(v) else None) for k, v in out.items()}

    @staticmethod
    def performance(
        values: Sequence[float],
        flows: Sequence[float] | None = None,
        benchmark_returns: Sequence[float] | None = None,
        *,
        flow_timing: str = "start",
        periods_per_year: float = 252.0,
    ) -> dict[str, Any]:
        """TWR (total, annualised), MWR (IRR, annual) and benchmark-relative figures."""
        daily = returns.daily_returns(values, flows, flow_timing=flow_timing)
        out: dict[str, Any] = {
            "twr": returns.time_weighted_return(values, flows, flow_timing=flow_timing),
            "twr_annualised": returns.time_weighted_return(
                values, flows, flow_timing=flow_timing, periods_per_year=periods_per_year
            ),
            "mwr": returns.money_weighted_return(
                values, flows, flow_timing=flow_timing, periods_per_year=periods_per_year
            ),
            "daily_returns": daily.tolist(),
        }
        if benchmark_returns is not None:
            out["relative"] = returns.relative_performance(
                daily, benchmark_returns, periods_per_year=periods_per_year
            )
        return out

    @staticmethod
    def irr(amounts: Sequence[float], times: Sequence[float] | None = None) -> float:
        return returns.irr(amounts, times)

    # -- attribution ------------------------------------------------------------------------

    @staticmethod
    def brinson(
        periods: Sequence[Mapping[str, Any]], segments: Sequence[str], method: str = "carino"
    ) -> dict[str, Any]:
        if len(periods) == 1:
            p = periods[0]
            table = attribution.brinson_fachler(p["wp"], p["wb"], p["rp"], p["rb"], segments)
            return {
                "effects": _frame_records(table),
                "active_return": float(table.loc["total", "total"]),
            }
        res = attribution.linked_attribution(periods, method=method, segments=segments)
        return {
            "effects": _frame_records(res["effects"]),
            "factors": res["factors"].tolist(),
            "portfolio_return": res["portfolio_return"],
            "benchmark_return": res["benchmark_return"],
            "active_return": res["active_return"],
            "method": method,
        }

    @staticmethod
    def factor_attribution(
        values: Sequence[float], factors: Mapping[str, Sequence[float]]
    ) -> dict[str, Any]:
        return attribution.factor_attribution(values, dict(factors))

    # -- execution quality ------------------------------------------------------------------

    @staticmethod
    def execution_quality(
        orders: Sequence[Mapping[str, Any]], by: Sequence[str] = ("strategy", "venue")
    ) -> dict[str, Any]:
        per_order = execution_quality.order_quality(list(orders))
        grouped = execution_quality.quality_by(list(orders), list(dict.fromkeys(by)))
        grouped.index = [
            "/".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in grouped.index
        ]
        cols = [
            "order_id",
            "fill_rate",
            "slippage_arrival_bps",
            "slippage_vwap_bps",
            "shortfall",
            "shortfall_bps",
        ]
        return {
            "orders": _frame_records(per_order[cols].set_index("order_id")),
            "groups": _frame_records(grouped),
        }

    # -- P&L and reports --------------------------------------------------------------------

    def household_pnl(self, household_id: str, owner: str | None, by: str) -> dict[str, Any]:
        pe = self._portfolio()
        holders = pe.household_holders(household_id, owner)
        hh = {h.client_id: household_id for h in holders}
        table = pnl.pnl_table(holders, pe.securities(), by=by, household_of=hh)
        return {
            "by": by,
            "rows": _frame_records(table),
            "total": {k: float(v) for k, v in table.sum(axis=0).items()},
        }

    @staticmethod
    def tearsheet(
        dates: Sequence[str | date],
        values: Sequence[float],
        benchmark: Sequence[float] | None = None,
        exposure: Mapping[str, Sequence[float]] | None = None,
        title: str = "Performance",
    ) -> dict[str, Any]:
        idx = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        r = pd.Series(list(values), index=idx, dtype=float)
        b = None if benchmark is None else pd.Series(list(benchmark), index=idx, dtype=float)
        ex = None if exposure is None else pd.DataFrame(dict(exposure), index=idx)
        from nautilus.analytics import tearsheet

        return tearsheet.performance_report(r, b, ex, title=title)

    def family_report(
        self,
        household_id: str,
        owner: str | None,
        dates: Sequence[str | date] | None = None,
        values: Sequence[float] | None = None,
    ) -> dict[str, Any]:
        pe = self._portfolio()
        hh = pe.household(household_id, owner)
        view = pe.household_view(household_id, owner)
        names = {m.client_id: pe.client(m.client_id, owner).name for m in hh.members}
        r = None
        if dates is not None and values is not None:
            r = pd.Series(list(values), index=pd.to_datetime(list(dates)), dtype=float)
        from nautilus.analytics import tearsheet

        return tearsheet.family_office_report(hh.name, view, names, r)

    @staticmethod
    def render(report: dict[str, Any], with_charts: bool = True) -> str:
        from nautilus.analytics import tearsheet

        return tearsheet.render_html(report, with_charts=with_charts)
