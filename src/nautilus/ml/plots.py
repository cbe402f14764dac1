"""Figures for the ML engine (matplotlib, Agg backend; return the Figure, never show it).

* :func:`plot_regimes` -- close price with the ensemble regime shaded per bar and the
  confidence below;
* :func:`plot_vol_forecast` -- forecast vs realized volatility (annualised, sqrt(252 x var)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.ml.regimes.base import REGIMES

REGIME_COLOURS: dict[str, str] = {
    "bull/quiet": "#9fd89f",
    "bull/volatile": "#3a9a3a",
    "bear/quiet": "#f2b3a6",
    "bear/volatile": "#d9534f",
    "sideways/range": "#c8c8c8",
    "crisis": "#6a1b9a",
}


def _figure(rows: int, heights: list[int]) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(rows, 1, figsize=(11, 6), sharex=True,
                        gridspec_kw={"height_ratios": heights})


def plot_regimes(close: npt.ArrayLike, regimes: pd.DataFrame) -> Any:
    """Close (log scale) with regime shading; ``regimes`` is :meth:`RegimeEnsemble.regimes`
    output (index int ns UTC)."""
    fig, (ax, ax2) = _figure(2, [3, 1])
    t = pd.to_datetime(np.asarray(regimes.index, dtype=np.int64), utc=True)
    c = np.asarray(close, dtype=np.float64)
    ax.plot(t, c, color="black", lw=0.8)
    ax.set_yscale("log")
    labels = regimes["regime"].to_numpy()
    for name in REGIMES:
        mask = labels == name
        if mask.any():
            ax.fill_between(t, c.min(), c.max(), where=mask, color=REGIME_COLOURS[name],
                            alpha=0.35, step="mid", label=name, lw=0)
    ax.legend(loc="upper left", fontsize=7, ncol=3)
    ax.set_ylabel("close")
    ax2.plot(t, regimes["confidence"].to_numpy(), lw=0.8)
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("confidence")
    fig.tight_layout()
    return fig


def plot_vol_forecast(
    ts: npt.ArrayLike, forecast_var: npt.ArrayLike, realized_var: npt.ArrayLike
) -> Any:
    """Forecast and realized volatility, annualised."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4))
    t = pd.to_datetime(np.asarray(ts, dtype=np.int64), utc=True)
    ax.plot(t, np.sqrt(252 * np.asarray(realized_var)), lw=0.5, color="grey", label="realized")
    ax.plot(t, np.sqrt(252 * np.asarray(forecast_var)), lw=1.0, label="forecast")
    ax.set_ylabel("annualised vol")
    ax.legend()
    fig.tight_layout()
    return fig
