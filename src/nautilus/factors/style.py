"""Classic style factors: momentum, reversal, size, value, quality, low volatility, beta.

Conventions: daily rows; a month is 21 rows and a year 252; returns are simple returns of
``close`` (adjusted prices expected); signs are chosen so that a higher value is the side the
literature expects to earn more (short-term reversal and low volatility are negated). Each
factor reads only data known at the close of its row. Fundamentals (``book_equity``,
``net_income``, ``gross_profit``, ``total_assets``) are panel fields aligned as of their filing
dates, e.g. with :func:`nautilus.factors.synthesis.align_asof_facts`.

>>> from nautilus.factors.panel import synthetic_panel
>>> momentum_12_1(synthetic_panel(300, 3), MomentumParams()).shape
(300, 3)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.factors import ops
from nautilus.factors.library import Array, Factor, register
from nautilus.factors.panel import Panel


class MomentumParams(FrozenConfig):
    """Lookback and skip of the momentum factor, in rows (trading days)."""

    lookback: int = Field(252, ge=2, le=2520, description="formation period, rows")
    skip: int = Field(21, ge=0, le=252, description="most recent rows left out")


class WindowParams(FrozenConfig):
    """One rolling window in rows (trading days)."""

    window: int = Field(21, ge=2, le=2520, description="window, rows")


class LongWindowParams(FrozenConfig):
    """One rolling window in rows (trading days), defaulting to a year."""

    window: int = Field(252, ge=2, le=2520, description="window, rows")


class SizeParams(FrozenConfig):
    """Window of the dollar-volume proxy used when the panel has no ``shares`` field."""

    proxy_window: int = Field(21, ge=1, le=2520, description="dollar-volume mean window, rows")


class QualityParams(FrozenConfig):
    """Which profitability measure to use."""

    measure: Literal["roe", "gross_profitability"] = Field(
        "roe", description="roe = net_income / book_equity; "
        "gross_profitability = gross_profit / total_assets")


def _ratio(num: Array, den: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out


def _returns(close: Array) -> Array:
    return _ratio(close, ops.delay(close, 1)) - 1.0


def _require(panel: Panel, *names: str) -> None:
    missing = [n for n in names if n not in panel]
    if missing:
        raise ValidationError(f"panel lacks fields {missing}", code="missing_field",
                              fields=missing)


def momentum_12_1(panel: Panel, params: MomentumParams) -> Array:
    """``close[t-skip] / close[t-lookback] - 1`` (12-1 momentum with the defaults)."""
    close = panel["close"]
    recent = close if params.skip == 0 else ops.delay(close, params.skip)
    return _ratio(recent, ops.delay(close, params.lookback)) - 1.0


def reversal_1m(panel: Panel, params: WindowParams) -> Array:
    """Short-term reversal: ``-(close[t] / close[t-window] - 1)``."""
    close = panel["close"]
    return -(_ratio(close, ops.delay(close, params.window)) - 1.0)


def size(panel: Panel, params: SizeParams) -> Array:
    """``log(close * shares)`` (log market cap); without ``shares``, the documented proxy
    ``log(ts_mean(close * volume, proxy_window))`` (log average dollar volume)."""
    close = panel["close"]
    if "shares" in panel:
        cap = close * panel["shares"]
    else:
        _require(panel, "volume")
        cap = ops.ts_mean(close * panel["volume"], params.proxy_window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cap > 0, np.log(np.where(cap > 0, cap, 1.0)), np.nan)


def value(panel: Panel, params: None) -> Array:
    """Book-to-price: ``book_equity / (close * shares)``, or ``book_per_share / close``."""
    if "book_per_share" in panel:
        return _ratio(panel["book_per_share"], panel["close"])
    _require(panel, "book_equity", "shares")
    return _ratio(panel["book_equity"], panel["close"] * panel["shares"])


def quality(panel: Panel, params: QualityParams) -> Array:
    """ROE (``net_income / book_equity``, NaN for non-positive book) or gross profitability
    (``gross_profit / total_assets``)."""
    if params.measure == "roe":
        _require(panel, "net_income", "book_equity")
        book = panel["book_equity"]
        return _ratio(panel["net_income"], np.where(book > 0, book, np.nan))
    _require(panel, "gross_profit", "total_assets")
    return _ratio(panel["gross_profit"], panel["total_assets"])


def low_volatility(panel: Panel, params: LongWindowParams) -> Array:
    """Minus the annualised std of daily returns over the window: ``-std * sqrt(252)``."""
    return -ops.ts_std(_returns(panel["close"]), params.window) * np.sqrt(252.0)


def market_returns(panel: Panel) -> Array:
    """Market daily returns as (dates,): the ``market_return`` series if present, else the
    equal-weighted cross-sectional mean of the instruments' returns (documented proxy)."""
    if "market_return" in panel.series:
        return panel.series["market_return"]
    r = _returns(panel["close"])
    valid = ~np.isnan(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, r, 0.0).sum(axis=1) / valid.sum(axis=1)


def beta(panel: Panel, params: LongWindowParams) -> Array:
    """Rolling OLS beta of daily returns on market returns: ``cov(r, m) / var(m)``."""
    r = _returns(panel["close"])
    m = np.ascontiguousarray(np.broadcast_to(market_returns(panel)[:, None], r.shape))
    # Use the same rows for the variance as for the covariance.
    m_used = np.where(np.isnan(r), np.nan, m)
    return _ratio(ops.ts_cov(r, m_used, params.window), ops.ts_var(m_used, params.window))


STYLE_FACTORS: tuple[Factor, ...] = (
    Factor("style.momentum_12_1", "Momentum: return from 12 months to 1 month ago.",
           function=momentum_12_1, params=MomentumParams, fields=("close",),
           tags=("style", "momentum")),
    Factor("style.reversal_1m", "Short-term reversal: minus the last month's return.",
           function=reversal_1m, params=WindowParams, fields=("close",),
           tags=("style", "reversal")),
    Factor("style.size", "Size: log market cap (log dollar volume without shares).",
           function=size, params=SizeParams, fields=("close",), tags=("style", "size")),
    Factor("style.value", "Value: book-to-price from filed book equity.", function=value,
           fields=("close",), tags=("style", "value")),
    Factor("style.quality", "Quality: ROE or gross profitability from filed statements.",
           function=quality, params=QualityParams, fields=(), tags=("style", "quality")),
    Factor("style.low_volatility", "Low volatility: minus annualised daily return volatility.",
           function=low_volatility, params=LongWindowParams, fields=("close",),
           tags=("style", "volatility")),
    Factor("style.beta", "Beta of daily returns to the market series over a rolling window.",
           function=beta, params=LongWindowParams, fields=("close",), tags=("style", "beta")),
)

for _f in STYLE_FACTORS:
    register(_f)
