"""The function table of the expression language: name -> signature and implementation.

Parameter kinds: ``x`` an expression (evaluated to a (dates, instruments) array), ``window`` a
positive integer literal, ``number`` a numeric literal. ``optional`` trailing parameters may be
left out; ``variadic`` repeats the last ``x`` parameter. Dispatch is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from nautilus.factors import ops, xsection

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """Signature and implementation of one function of the language."""

    name: str
    params: tuple[str, ...]
    impl: Callable[..., Array]
    doc: str
    optional: int = 0
    variadic: bool = False
    defaults: tuple[Any, ...] = ()

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)

    def signature(self) -> str:
        req = list(self.params[: self.min_args])
        opt = [f"[{p}]" for p in self.params[self.min_args:]]
        tail = [", ..."] if self.variadic else []
        return f"{self.name}({', '.join(req + opt)}{''.join(tail)})"


def _safe(fn: Callable[[Array], Array]) -> Callable[[Array], Array]:
    def run(x: Array) -> Array:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(x), dtype=np.float64)
        return np.where(np.isfinite(out) | np.isnan(x), out, np.nan)

    return run


def _log(x: Array) -> Array:
    return np.log(np.where(x > 0, x, np.nan))


def _sqrt(x: Array) -> Array:
    return np.sqrt(np.where(x >= 0, x, np.nan))


def _emax(*xs: Array) -> Array:
    out = xs[0]
    for x in xs[1:]:
        out = np.maximum(out, x)
    return np.asarray(out, dtype=np.float64)


def _emin(*xs: Array) -> Array:
    out = xs[0]
    for x in xs[1:]:
        out = np.minimum(out, x)
    return np.asarray(out, dtype=np.float64)


_TS_UNARY: dict[str, tuple[Callable[..., Array], str]] = {
    "ts_mean": (ops.ts_mean, "rolling mean"),
    "ts_sum": (ops.ts_sum, "rolling sum"),
    "ts_std": (ops.ts_std, "rolling sample std (ddof 1)"),
    "ts_var": (ops.ts_var, "rolling sample variance (ddof 1)"),
    "ts_max": (ops.ts_max, "rolling max"),
    "ts_min": (ops.ts_min, "rolling min"),
    "ts_argmax": (ops.ts_argmax, "1-based position of the window max from the oldest row"),
    "ts_argmin": (ops.ts_argmin, "1-based position of the window min from the oldest row"),
    "ts_rank": (ops.ts_rank, "percentile of today's value in its window, (0, 1]"),
    "ts_zscore": (ops.ts_zscore, "(x - rolling mean) / rolling std"),
    "ts_slope": (ops.ts_slope, "slope of the in-window linear trend, per row"),
    "ts_rsquare": (ops.ts_rsquare, "R squared of the in-window linear trend"),
    "ts_resi": (ops.ts_resi, "today's residual from the in-window linear trend"),
    "decay_linear": (ops.decay_linear, "linearly decaying weighted mean, newest heaviest"),
    "delay": (ops.delay, "value n rows earlier"),
    "delta": (ops.delta, "x - delay(x, n)"),
}

FUNCTIONS: dict[str, FunctionSpec] = {
    name: FunctionSpec(name, ("x", "window"), fn, doc) for name, (fn, doc) in _TS_UNARY.items()
}
FUNCTIONS.update(
    {
        "ts_corr": FunctionSpec("ts_corr", ("x", "x", "window"), ops.ts_corr,
                                "rolling Pearson correlation"),
        "ts_cov": FunctionSpec("ts_cov", ("x", "x", "window"), ops.ts_cov,
                               "rolling sample covariance"),
        "ts_quantile": FunctionSpec("ts_quantile", ("x", "window", "number"), ops.ts_quantile,
                                    "rolling q-quantile, linear interpolation"),
        "rank": FunctionSpec("rank", ("x",), xsection.rank,
                             "cross-sectional percentile rank, (0, 1]"),
        "zscore": FunctionSpec("zscore", ("x",), xsection.zscore,
                               "cross-sectional z-score (ddof 1)"),
        "demean": FunctionSpec("demean", ("x",), xsection.demean,
                               "minus the cross-sectional mean"),
        "winsorize": FunctionSpec("winsorize", ("x", "number"), xsection.winsorize,
                                  "clip to the cross-sectional [q, 1-q] quantiles (q=0.01)",
                                  optional=1, defaults=(0.01,)),
        "neutralize": FunctionSpec(
            "neutralize", ("x", "x"), xsection.neutralize,
            "residual after group demeaning (group fields) or regression on other factors",
            variadic=True),
        "log": FunctionSpec("log", ("x",), _safe(_log), "natural log; NaN for x <= 0"),
        "sqrt": FunctionSpec("sqrt", ("x",), _safe(_sqrt), "square root; NaN for x < 0"),
        "abs": FunctionSpec("abs", ("x",), _safe(np.abs), "absolute value"),
        "sign": FunctionSpec("sign", ("x",), _safe(np.sign), "-1, 0 or 1"),
        "exp": FunctionSpec("exp", ("x",), _safe(np.exp), "exponential; NaN on overflow"),
        "max": FunctionSpec("max", ("x", "x"), _emax, "element-wise maximum", variadic=True),
        "min": FunctionSpec("min", ("x", "x"), _emin, "element-wise minimum", variadic=True),
    }
)

CONDITIONAL_NAMES = frozenset({"if"})
"""``if(cond, a, b)`` is parsed to a conditional node, like ``cond ? a : b``."""
