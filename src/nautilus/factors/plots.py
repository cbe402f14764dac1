"""Factor tear-sheet plots as PNG bytes (matplotlib Agg canvas, no pyplot) and an HTML report.

Every function returns the PNG file's bytes; nothing is shown or written to disk. The report
embeds them as base64 ``data:`` URIs so it is one self-contained HTML string.

>>> import pandas as pd
>>> png = ic_plot(pd.Series([0.1, -0.05, 0.2, 0.0]))
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    # A bare Figure on an Agg canvas: no pyplot global state, safe in worker threads.
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def ic_plot(ic: pd.Series, window: int = 21, title: str = "Information coefficient") -> bytes:
    """IC per date as bars plus its ``window``-date rolling mean."""
    fig, ax = _figure(9, 3.5)
    x = np.arange(len(ic)) if not isinstance(ic.index, pd.DatetimeIndex) else ic.index
    ax.bar(x, ic.to_numpy(), width=1.0, color="#9bb7d4", label=str(ic.name or "IC"))
    ax.plot(x, ic.rolling(window, min_periods=1).mean().to_numpy(), color="#1f3b73",
            label=f"{window}-date mean")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_title(title)
    ax.legend(loc="upper left")
    return _png(fig)


def quantile_plot(qret: pd.DataFrame, title: str = "Quantile cumulative returns") -> bytes:
    """Cumulative compounded return of each quantile's equal-weighted portfolio."""
    fig, ax = _figure(9, 3.5)
    cum = (1.0 + qret.fillna(0.0)).cumprod() - 1.0
    for col in cum.columns:
        ax.plot(cum.index, cum[col].to_numpy(), label=str(col))
    ax.set_title(title)
    ax.legend(loc="upper left", ncol=min(len(cum.columns), 5))
    return _png(fig)


def decay_plot(decay: pd.DataFrame, title: str = "IC decay") -> bytes:
    """Mean IC and rank IC per forward-return horizon as grouped bars."""
    fig, ax = _figure(7, 3.5)
    h = decay.index.to_numpy()
    width = 0.4
    ax.bar(h - width / 2, decay["ic"].to_numpy(), width, label="IC")
    ax.bar(h + width / 2, decay["rank_ic"].to_numpy(), width, label="rank IC")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xlabel("horizon (rows)")
    ax.set_title(title)
    ax.legend()
    return _png(fig)


def correlation_heatmap(corr: pd.DataFrame, title: str = "Factor correlation") -> bytes:
    """Heat map of a factor correlation matrix on a fixed -1..1 colour scale."""
    k = len(corr)
    fig, ax = _figure(1.0 + 0.5 * k, 0.8 + 0.5 * k)
    im = ax.imshow(corr.to_numpy(), vmin=-1.0, vmax=1.0, cmap="RdBu_r")
    ax.set_xticks(range(k), [str(c) for c in corr.columns], rotation=90)
    ax.set_yticks(range(k), [str(c) for c in corr.index])
    if k <= 12:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{corr.iat[i, j]:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(title)
    return _png(fig)


def _img(png: bytes, alt: str) -> str:
    return (f'<img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/>')


def html_report(name: str, result: Mapping[str, Any],
                correlation: pd.DataFrame | None = None) -> str:
    """A self-contained HTML tear sheet from :func:`nautilus.factors.evaluation.evaluate_factor`
    output (and optionally a factor correlation matrix)."""
    def table(d: Mapping[str, float]) -> str:
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{v:.4g}</td></tr>" for k, v in d.items())
        return f"<table>{rows}</table>"

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(name)}</title></head><body>",
        f"<h1>{html.escape(name)}</h1>",
        f"<h2>IC (horizon {int(result['horizon'])})</h2>", table(result["ic_summary"]),
        "<h2>Rank IC</h2>", table(result["rank_ic_summary"]),
        "<h2>Mean forward return by quantile</h2>",
        result["quantile_mean"].to_frame("mean").to_html(float_format="%.6f"),
        _img(ic_plot(result["rank_ic"], title="Rank IC"), "rank IC"),
        _img(quantile_plot(result["quantile_returns"]), "quantile returns"),
        _img(decay_plot(result["decay"]), "IC decay"),
    ]
    if correlation is not None:
        parts.append(_img(correlation_heatmap(correlation), "factor correlation"))
    parts.append("</body></html>")
    return "".join(parts)
