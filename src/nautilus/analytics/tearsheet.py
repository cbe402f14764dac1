"""Tearsheets: a JSON report behind every HTML page, charts as base64 PNGs (matplotlib, Agg).

:func:`performance_report` takes daily simple returns indexed by date (and optionally a
benchmark and an exposure frame of gross/net fractions) and returns a JSON-ready dict: the
metric table (:mod:`nautilus.analytics.metrics` conventions: annualised at 252), equity and
drawdown series, the monthly returns table (compounded within each month), rolling 63-day
Sharpe and beta, and an executive summary. :func:`render_html` turns any report into a
self-contained page. :func:`family_office_report` wraps a consolidated household view
(:mod:`nautilus.portfolio.consolidation`) and per-client performance into one report.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import msgspec
import numpy as np
import pandas as pd

from nautilus.analytics.metrics import summary
from nautilus.core.errors import ValidationError

ROLLING = 63
HEADLINE = ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar")


def _series(returns: Any, name: str) -> pd.Series:
    s = pd.Series(returns, dtype=np.float64) if not isinstance(returns, pd.Series) else returns
    s = s.astype(np.float64)
    if not isinstance(s.index, pd.DatetimeIndex):
        raise ValidationError(f"{name} needs a date index", code="no_dates")
    if s.isna().any() or np.isinf(s.to_numpy()).any():
        raise ValidationError(f"{name} contains NaN or infinite values", code="non_finite")
    if len(s) < 2:
        raise ValidationError(f"{name} needs at least two periods", code="too_short")
    return s.sort_index()


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded returns per month: rows are years, columns months 1..12."""
    growth = (1 + returns).groupby([returns.index.year, returns.index.month]).prod() - 1
    table = growth.unstack()
    table.index.name, table.columns.name = "year", "month"
    return table


def rolling_sharpe(returns: pd.Series, window: int = ROLLING) -> pd.Series:
    r = returns.rolling(window)
    return r.mean() / r.std(ddof=1) * math.sqrt(252)


def rolling_beta(returns: pd.Series, benchmark: pd.Series, window: int = ROLLING) -> pd.Series:
    cov = returns.rolling(window).cov(benchmark)
    return cov / benchmark.rolling(window).var(ddof=1)


def performance_report(
    returns: Any,
    benchmark: Any = None,
    exposure: pd.DataFrame | None = None,
    *,
    title: str = "Performance",
) -> dict[str, Any]:
    """The JSON report (see the module docstring)."""
    r = _series(returns, "returns")
    b = _series(benchmark, "benchmark").reindex(r.index) if benchmark is not None else None
    if b is not None and b.isna().any():
        raise ValidationError("benchmark dates do not cover the returns", code="misaligned")
    metrics = summary(r.to_numpy(), None if b is None else b.to_numpy())
    equity = (1 + r).cumprod()
    drawdown = equity / np.maximum(equity.cummax(), 1.0) - 1
    monthly = monthly_returns(r)
    dates = [d.strftime("%Y-%m-%d") for d in r.index]
    report: dict[str, Any] = {
        "title": title,
        "start": dates[0],
        "end": dates[-1],
        "periods": len(r),
        "metrics": {k: _finite(v) for k, v in metrics.items()},
        "summary": _executive_summary(metrics, dates),
        "series": {
            "dates": dates,
            "equity": equity.round(10).tolist(),
            "drawdown": drawdown.round(10).tolist(),
            "rolling_sharpe": [_finite(x) for x in rolling_sharpe(r)],
        },
        "monthly_returns": {
            str(y): {str(m): _finite(v) for m, v in row.items()} for y, row in monthly.iterrows()
        },
    }
    if b is not None:
        report["series"]["benchmark_equity"] = (1 + b).cumprod().round(10).tolist()
        report["series"]["rolling_beta"] = [_finite(x) for x in rolling_beta(r, b)]
    if exposure is not None:
        ex = exposure.reindex(r.index).ffill().fillna(0.0)
        report["series"]["exposure"] = {c: ex[c].astype(float).tolist() for c in ex.columns}
    return report


def _executive_summary(metrics: dict[str, float], dates: list[str]) -> list[str]:
    def pct(x: float) -> str:
        return f"{x * 100:.2f} %" if math.isfinite(x) else "n/a"

    lines = [
        f"From {dates[0]} to {dates[-1]} the portfolio returned {pct(metrics['total_return'])} "
        f"({pct(metrics['cagr'])} a year) with {pct(metrics['volatility'])} annual volatility.",
        f"Sharpe ratio {metrics['sharpe']:.2f}; the deepest drawdown was "
        f"{pct(metrics['max_drawdown'])}.",
    ]
    if math.isfinite(metrics.get("beta", float("nan"))):
        lines.append(
            f"Against the benchmark: beta {metrics['beta']:.2f}, information ratio "
            f"{metrics['information_ratio']:.2f}."
        )
    return lines


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def charts(report: dict[str, Any]) -> dict[str, str]:
    """Base64 PNGs of a performance report: equity, drawdown, monthly heatmap, rolling, exposure."""
    s = report["series"]
    x = pd.to_datetime(s["dates"])
    out: dict[str, str] = {}
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(x, s["equity"], label="portfolio")
    if "benchmark_equity" in s:
        ax.plot(x, s["benchmark_equity"], label="benchmark")
    ax.set_title("Equity (growth of 1)")
    ax.legend()
    out["equity"] = _png(fig)
    fig, ax = plt.subplots(figsize=(8, 2.5))
    ax.fill_between(x, s["drawdown"], 0, color="tab:red", alpha=0.5)
    ax.set_title("Drawdown")
    out["drawdown"] = _png(fig)
    monthly = pd.DataFrame(report["monthly_returns"]).T.astype(float)
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.4 * len(monthly)))
    ax.imshow(monthly.to_numpy(), cmap="RdYlGn", aspect="auto", vmin=-0.1, vmax=0.1)
    ax.set_yticks(range(len(monthly)), monthly.index)
    ax.set_xticks(range(monthly.shape[1]), monthly.columns)
    ax.set_title("Monthly returns")
    out["monthly"] = _png(fig)
    fig, ax = plt.subplots(figsize=(8, 2.5))
    ax.plot(x, np.array(s["rolling_sharpe"], dtype=float), label=f"Sharpe ({ROLLING}d)")
    if "rolling_beta" in s:
        ax.plot(x, np.array(s["rolling_beta"], dtype=float), label=f"beta ({ROLLING}d)")
    ax.legend()
    ax.set_title("Rolling statistics")
    out["rolling"] = _png(fig)
    if "exposure" in s:
        fig, ax = plt.subplots(figsize=(8, 2.5))
        for name, values in s["exposure"].items():
            ax.plot(x, values, label=name)
        ax.legend()
        ax.set_title("Exposure")
        out["exposure"] = _png(fig)
    return out


def render_html(report: dict[str, Any], *, with_charts: bool = True) -> str:
    """A self-contained HTML page: summary, metrics, charts, and the JSON it was built from."""
    esc = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(report['title'])}"
        "</title><style>body{font-family:sans-serif;max-width:900px;margin:auto}"
        "td,th{padding:2px 8px;text-align:right}</style></head><body>",
        f"<h1>{esc(report['title'])}</h1>",
    ]
    parts += [f"<p>{esc(line)}</p>" for line in report.get("summary", [])]
    if "metrics" in report:
        rows = "".join(
            f"<tr><th>{esc(k)}</th><td>{'' if v is None else f'{v:.6g}'}</td></tr>"
            for k, v in report["metrics"].items()
            if k in HEADLINE or v is not None
        )
        parts.append(f"<h2>Metrics</h2><table>{rows}</table>")
    for key in ("households", "clients"):
        if key in report:
            parts.append(_table(key.title(), report[key]))
    if with_charts and "series" in report:
        for name, png in charts(report).items():
            parts.append(
                f"<h2>{esc(name.title())}</h2>"
                f"<img alt='{esc(name)}' src='data:image/png;base64,{png}'/>"
            )
    data = esc(msgspec.json.encode(report).decode())
    parts.append(f"<script type='application/json' id='report-data'>{data}</script>")
    parts.append("</body></html>")
    return "".join(parts)


def _table(title: str, rows: dict[str, dict[str, Any]]) -> str:
    if not rows:
        return ""
    cols = list(next(iter(rows.values())))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr><th>"
        + html.escape(k)
        + "</th>"
        + "".join(
            f"<td>{v:,.2f}</td>" if isinstance(v, float) else f"<td>{html.escape(str(v))}</td>"
            for v in r.values()
        )
        + "</tr>"
        for k, r in rows.items()
    )
    return f"<h2>{html.escape(title)}</h2><table><tr><th></th>{head}</tr>{body}</table>"


def family_office_report(
    household_name: str,
    view: Any,
    client_names: dict[str, str],
    returns: Any = None,
    benchmark: Any = None,
) -> dict[str, Any]:
    """Consolidated household report: totals, allocation, clients, holdings, performance."""
    v = msgspec.to_builtins(view)
    report: dict[str, Any] = (
        performance_report(returns, benchmark, title=f"{household_name}: family report")
        if returns is not None
        else {"title": f"{household_name}: family report", "summary": []}
    )
    total = v["total_value"] or 1.0
    report["summary"] = [
        f"Household value {v['total_value']:,.2f}, of which cash {v['cash']:,.2f}; "
        f"unrealised gain {v['unrealised']:,.2f}.",
        *report["summary"],
    ]
    report["consolidated"] = v
    report["clients"] = {
        client_names.get(c, c): {"value": val, "weight": val / total}
        for c, val in sorted(v["by_client"].items(), key=lambda kv: -kv[1])
    }
    report["allocation"] = {"sector": v["by_sector"], "asset_class": v["by_asset_class"]}
    return report
