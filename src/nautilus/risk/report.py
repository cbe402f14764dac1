"""Risk report per portfolio: a JSON document and an HTML page with embedded PNG plots
(exposure heatmap by sector × instrument, VaR history, limit utilisation).

Values are floats in the account currency; utilisation is a ratio (1.0 = at the limit);
times are int ns UTC in JSON and ISO-8601 UTC in the HTML.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import msgspec
import numpy as np

from nautilus.core.time import ns_to_iso
from nautilus.risk.monitor import RiskSnapshot


def report_json(portfolio_id: str, snapshots: list[RiskSnapshot],
                var_history: dict[str, np.ndarray]) -> dict[str, Any]:
    """The report as a JSON-serialisable dict."""
    return {
        "portfolio_id": portfolio_id,
        "accounts": [msgspec.to_builtins(s) for s in snapshots],
        "totals": {
            "equity": sum(s.equity for s in snapshots),
            "gross": sum(s.gross for s in snapshots),
            "net": sum(s.net for s in snapshots),
            "daily_pnl": sum(s.daily_pnl for s in snapshots),
        },
        "var_history": {a: [[int(t), None if np.isnan(v) else float(v), float(e)]
                            for t, v, e in h] for a, h in var_history.items()},
    }


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def exposure_heatmap(snapshots: list[RiskSnapshot]) -> str:
    """Base64 PNG: signed exposure by sector (rows) × instrument (columns)."""
    cells: dict[tuple[str, str], float] = {}
    for s in snapshots:
        for i, v in s.exposures.items():
            key = (s.sectors.get(i, "unclassified"), i)
            cells[key] = cells.get(key, 0.0) + v
    sectors = sorted({k[0] for k in cells}) or ["-"]
    insts = sorted({k[1] for k in cells}) or ["-"]
    grid = np.zeros((len(sectors), len(insts)))
    for (sec, inst), v in cells.items():
        grid[sectors.index(sec), insts.index(inst)] = v
    fig, ax = plt.subplots(figsize=(max(4, len(insts) * 0.9), max(2.5, len(sectors) * 0.6)))
    lim = float(np.abs(grid).max()) or 1.0
    im = ax.imshow(grid, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(len(insts)), insts, rotation=45, ha="right")
    ax.set_yticks(range(len(sectors)), sectors)
    fig.colorbar(im, ax=ax, label="exposure")
    ax.set_title("Exposure by sector x instrument")
    return _png(fig)


def var_history_plot(var_history: dict[str, np.ndarray]) -> str:
    fig, ax = plt.subplots(figsize=(6, 3))
    for account, h in var_history.items():
        if len(h):
            ax.plot((h[:, 0] - h[0, 0]) / 1e9, h[:, 1], label=account)
    ax.set_xlabel("seconds since first snapshot")
    ax.set_ylabel("VaR")
    ax.set_title("VaR history")
    if var_history:
        ax.legend(fontsize=7)
    return _png(fig)


def utilisation_plot(snapshots: list[RiskSnapshot]) -> str:
    labels, values = [], []
    for s in snapshots:
        for metric, u in sorted(s.utilisation.items()):
            labels.append(f"{s.account_id}:{metric}")
            values.append(u * 100)
    fig, ax = plt.subplots(figsize=(6, max(2.0, 0.35 * len(labels) + 1)))
    colors = ["#c0392b" if v >= 100 else "#e67e22" if v >= 80 else "#27ae60" for v in values]
    ax.barh(labels or ["-"], values or [0.0], color=colors or ["#27ae60"])
    ax.axvline(80, color="#e67e22", ls="--", lw=1)
    ax.axvline(100, color="#c0392b", lw=1)
    ax.set_xlabel("% of limit")
    ax.set_title("Limit utilisation")
    return _png(fig)


def report_html(portfolio_id: str, snapshots: list[RiskSnapshot],
                var_history: dict[str, np.ndarray]) -> str:
    """A self-contained HTML page (plots embedded as base64 PNG)."""
    doc = report_json(portfolio_id, snapshots, var_history)
    rows = "".join(
        f"<tr><td>{html.escape(s.account_id)}</td><td>{s.equity:,.2f}</td>"
        f"<td>{s.gross:,.2f}</td><td>{s.net:,.2f}</td><td>{s.leverage:.2f}</td>"
        f"<td>{s.daily_pnl:,.2f}</td><td>{s.drawdown_pct:.2f}%</td>"
        f"<td>{'' if s.var is None else f'{s.var:,.2f}'}</td><td>{s.state}</td>"
        f"<td>{ns_to_iso(s.ts_event)}</td></tr>" for s in snapshots)
    imgs = "".join(f'<h2>{t}</h2><img alt="{t}" src="data:image/png;base64,{png}">'
                   for t, png in (("Exposure", exposure_heatmap(snapshots)),
                                  ("VaR history", var_history_plot(var_history)),
                                  ("Limit utilisation", utilisation_plot(snapshots))))
    t = doc["totals"]
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Risk report {html.escape(portfolio_id)}</title></head><body>"
        f"<h1>Risk report: {html.escape(portfolio_id)}</h1>"
        f"<p>Equity {t['equity']:,.2f} · gross {t['gross']:,.2f} · net {t['net']:,.2f} · "
        f"daily P&amp;L {t['daily_pnl']:,.2f}</p>"
        "<table border='1'><tr><th>account</th><th>equity</th><th>gross</th><th>net</th>"
        "<th>leverage</th><th>daily P&amp;L</th><th>drawdown</th><th>VaR</th><th>state</th>"
        f"<th>as of</th></tr>{rows}</table>{imgs}</body></html>")
