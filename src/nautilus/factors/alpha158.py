"""The Alpha158 price/volume feature set (as in Qlib's Alpha158 handler), in our language.

Written from the published definitions: 9 candlestick (KBAR) features, 4 price ratios
(OPEN0, HIGH0, LOW0, VWAP0) and 29 rolling operators over windows 5, 10, 20, 30 and 60 days
(145 features): 158 in all. Inputs are the panel fields ``open``, ``high``, ``low``, ``close``,
``volume`` and ``vwap``.

Differences from Qlib, by design: rolling statistics need a full window of valid values
(``min_periods`` = window, so the first ``window-1`` rows are NaN; Qlib uses ``min_periods=1``);
comparisons with a NaN side are NaN rather than false; ``ts_rank`` is the average-rank
percentile. ``IMAX``/``IMIN`` use Qlib's 1-based position from the oldest row of the window.

>>> len(ALPHA158)
158
"""

from __future__ import annotations

from nautilus.factors.library import Factor, register

WINDOWS: tuple[int, ...] = (5, 10, 20, 30, 60)
EPS = "1e-12"

_KBAR: dict[str, tuple[str, str]] = {
    "KMID": ("(close-open)/open", "candle body relative to the open"),
    "KLEN": ("(high-low)/open", "candle range relative to the open"),
    "KMID2": (f"(close-open)/(high-low+{EPS})", "candle body relative to the range"),
    "KUP": ("(high-max(open, close))/open", "upper shadow relative to the open"),
    "KUP2": (f"(high-max(open, close))/(high-low+{EPS})", "upper shadow relative to the range"),
    "KLOW": ("(min(open, close)-low)/open", "lower shadow relative to the open"),
    "KLOW2": (f"(min(open, close)-low)/(high-low+{EPS})", "lower shadow relative to the range"),
    "KSFT": ("(2*close-high-low)/open", "close position in the range relative to the open"),
    "KSFT2": (f"(2*close-high-low)/(high-low+{EPS})", "close position relative to the range"),
}

_PRICE: dict[str, tuple[str, str]] = {
    f"{f.upper()}0": (f"{f}/close", f"today's {f} relative to the close")
    for f in ("open", "high", "low", "vwap")
}

_UP = "max(close-delay(close, 1), 0)"
_DOWN = "max(delay(close, 1)-close, 0)"
_MOVE = "abs(close-delay(close, 1))"
_VUP = "max(volume-delay(volume, 1), 0)"
_VDOWN = "max(delay(volume, 1)-volume, 0)"
_VMOVE = "abs(volume-delay(volume, 1))"
_WV = "abs(close/delay(close, 1)-1)*volume"

# Each template is formatted with d = the window.
_ROLLING: dict[str, tuple[str, str]] = {
    "ROC": ("delay(close, {d})/close", "close d days ago relative to today's close"),
    "MA": ("ts_mean(close, {d})/close", "d-day mean close relative to the close"),
    "STD": ("ts_std(close, {d})/close", "d-day close std relative to the close"),
    "BETA": ("ts_slope(close, {d})/close", "slope of the d-day close trend over the close"),
    "RSQR": ("ts_rsquare(close, {d})", "R squared of the d-day close trend"),
    "RESI": ("ts_resi(close, {d})/close", "residual of today's close from the d-day trend"),
    "MAX": ("ts_max(high, {d})/close", "d-day high relative to the close"),
    "MIN": ("ts_min(low, {d})/close", "d-day low relative to the close"),
    "QTLU": ("ts_quantile(close, {d}, 0.8)/close", "d-day 80% close quantile over the close"),
    "QTLD": ("ts_quantile(close, {d}, 0.2)/close", "d-day 20% close quantile over the close"),
    "RANK": ("ts_rank(close, {d})", "percentile of today's close within d days"),
    "RSV": (f"(close-ts_min(low, {{d}}))/(ts_max(high, {{d}})-ts_min(low, {{d}})+{EPS})",
            "close position between the d-day low and high"),
    "IMAX": ("ts_argmax(high, {d})/{d}", "position of the d-day high in the window / d"),
    "IMIN": ("ts_argmin(low, {d})/{d}", "position of the d-day low in the window / d"),
    "IMXD": ("(ts_argmax(high, {d})-ts_argmin(low, {d}))/{d}",
             "days from the d-day low to the d-day high / d"),
    "CORR": ("ts_corr(close, log(volume+1), {d})", "correlation of close and log volume"),
    "CORD": ("ts_corr(close/delay(close, 1), log(volume/delay(volume, 1)+1), {d})",
             "correlation of price change and volume change ratios"),
    "CNTP": ("ts_mean(close>delay(close, 1), {d})", "share of up days in d days"),
    "CNTN": ("ts_mean(close<delay(close, 1), {d})", "share of down days in d days"),
    "CNTD": ("ts_mean(close>delay(close, 1), {d})-ts_mean(close<delay(close, 1), {d})",
             "share of up days minus share of down days"),
    "SUMP": (f"ts_sum({_UP}, {{d}})/(ts_sum({_MOVE}, {{d}})+{EPS})",
             "total gain over total absolute change (RSI-like)"),
    "SUMN": (f"ts_sum({_DOWN}, {{d}})/(ts_sum({_MOVE}, {{d}})+{EPS})",
             "total loss over total absolute change"),
    "SUMD": (f"(ts_sum({_UP}, {{d}})-ts_sum({_DOWN}, {{d}}))/(ts_sum({_MOVE}, {{d}})+{EPS})",
             "gain minus loss over total absolute change"),
    "VMA": (f"ts_mean(volume, {{d}})/(volume+{EPS})", "d-day mean volume over today's volume"),
    "VSTD": (f"ts_std(volume, {{d}})/(volume+{EPS})", "d-day volume std over today's volume"),
    "WVMA": (f"ts_std({_WV}, {{d}})/(ts_mean({_WV}, {{d}})+{EPS})",
             "volume-weighted absolute return volatility (coefficient of variation)"),
    "VSUMP": (f"ts_sum({_VUP}, {{d}})/(ts_sum({_VMOVE}, {{d}})+{EPS})",
              "total volume increase over total absolute volume change"),
    "VSUMN": (f"ts_sum({_VDOWN}, {{d}})/(ts_sum({_VMOVE}, {{d}})+{EPS})",
              "total volume decrease over total absolute volume change"),
    "VSUMD": (f"(ts_sum({_VUP}, {{d}})-ts_sum({_VDOWN}, {{d}}))/(ts_sum({_VMOVE}, {{d}})+{EPS})",
              "volume increase minus decrease over total absolute change"),
}


def _build() -> dict[str, tuple[str, str, str]]:
    out: dict[str, tuple[str, str, str]] = {}
    for name, (expr, desc) in _KBAR.items():
        out[name] = (expr, desc, "kbar")
    for name, (expr, desc) in _PRICE.items():
        out[name] = (expr, desc, "price")
    for op, (template, desc) in _ROLLING.items():
        for d in WINDOWS:
            out[f"{op}{d}"] = (template.format(d=d), desc.replace("d-day", f"{d}-day")
                               .replace(" d days", f" {d} days").replace("/ d", f"/ {d}"),
                               "rolling")
    return out


ALPHA158: dict[str, str] = {name: expr for name, (expr, _, _) in _build().items()}
"""Feature name (``KMID``, ``ROC5``, ...) -> expression, in Qlib's column order."""

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "vwap")


def _register_all() -> None:
    for name, (expr, desc, group) in _build().items():
        register(Factor(f"alpha158.{name}", f"Alpha158 {name}: {desc}.", expression=expr,
                        fields=FIELDS, tags=("alpha158", group)))


_register_all()
