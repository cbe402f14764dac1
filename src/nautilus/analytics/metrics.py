"""Return metrics as registered pure functions, computed by one fused kernel.

Every metric takes simple per-period returns (a 1-D series or a 2-D ``(periods, series)``
array / DataFrame) and returns a float (1-D input) or an array per column. Annualised figures
use ``periods_per_year`` (252 for daily bars). Conventions match empyrical-reloaded:

- ``cagr``: compounded growth over ``len(returns) / periods_per_year`` years.
- ``volatility``: sample standard deviation (ddof=1) × sqrt(periods_per_year).
- ``sharpe``: mean excess return / its sample std × sqrt(periods_per_year).
- ``sortino``: mean excess over ``required_return`` × ppy / annualised downside deviation.
- ``max_drawdown``: most negative (wealth − running peak) / peak, peak starting at 1; ≤ 0.
- ``max_drawdown_duration``: longest run of periods below a previous peak (periods).
- ``ulcer_index``: root mean square of the drawdown series (fractions, not %).
- ``var`` / ``cvar``: historical, at ``cutoff`` (0.05 → the 5 % left tail); returns, ≤ 0 usually.
- ``skew`` / ``kurtosis``: population moments; kurtosis is excess (normal = 0).
- ``hit_rate``, ``profit_factor``, ``expectancy``: over periods with a non-zero return.
- ``alpha`` (annualised, compounded), ``beta``, ``tracking_error`` (annualised),
  ``information_ratio`` (annualised mean active return / tracking error), ``up_capture`` and
  ``down_capture`` need a ``benchmark`` series of the same length.

>>> import numpy as np
>>> round(float(sharpe(np.array([0.01, -0.005, 0.007, 0.002]))), 4)
9.2762
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.analytics.kernels import FIELD_INDEX, METRIC_FIELDS, metrics_matrix
from nautilus.core.errors import ValidationError
from nautilus.core.registry import Registry

MetricFn = Callable[..., Any]
METRICS: Registry[MetricFn] = Registry("metric")

BENCHMARK_METRICS = frozenset(
    {"alpha", "beta", "information_ratio", "tracking_error", "up_capture", "down_capture"}
)


def _as_matrix(values: Any, name: str) -> tuple[npt.NDArray[np.float64], bool, Any]:
    """(periods, series) float64 array, whether input was 1-D, and the column labels."""
    columns = values.columns if isinstance(values, pd.DataFrame) else None
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        return arr.reshape(-1, 1), True, columns
    if arr.ndim != 2:
        raise ValidationError(f"{name} must be 1-D or 2-D, got {arr.ndim}-D", code="bad_shape")
    return arr, False, columns


def metrics_table(
    returns: Any,
    benchmark: Any = None,
    *,
    periods_per_year: float = 252.0,
    risk_free: float = 0.0,
    required_return: float = 0.0,
    cutoff: float = 0.05,
) -> pd.DataFrame:
    """All metrics for every column: a DataFrame (metric × series).

    ``risk_free`` and ``required_return`` are per period. ``cutoff`` is the VaR tail fraction.
    """
    arr, _, columns = _as_matrix(returns, "returns")
    if not 0.0 < cutoff < 1.0:
        raise ValidationError(f"cutoff must be in (0, 1), got {cutoff}", code="out_of_range")
    if periods_per_year <= 0:
        raise ValidationError("periods_per_year must be positive", code="out_of_range")
    if np.isinf(arr).any():
        raise ValidationError("returns contain infinite values", code="non_finite")
    has_bench = benchmark is not None
    if has_bench:
        bench = np.asarray(benchmark, dtype=np.float64).reshape(-1)
        if bench.shape[0] != arr.shape[0]:
            raise ValidationError(
                f"benchmark has {bench.shape[0]} periods, returns have {arr.shape[0]}",
                code="misaligned",
            )
    else:
        bench = np.empty(0)
    out = metrics_matrix(
        np.asfortranarray(arr),
        bench,
        has_bench,
        float(periods_per_year),
        float(risk_free),
        float(required_return),
        float(cutoff),
    )
    cols = list(columns) if columns is not None else list(range(arr.shape[1]))
    return pd.DataFrame(out, index=list(METRIC_FIELDS), columns=cols)


def summary(returns: Any, benchmark: Any = None, **kwargs: Any) -> dict[str, float]:
    """All metrics of one return series as a dict (benchmark-relative ones NaN without one)."""
    table = metrics_table(np.asarray(returns, dtype=np.float64).reshape(-1), benchmark, **kwargs)
    return {k: float(v) for k, v in table.iloc[:, 0].items()}


def _make_metric(field: str) -> MetricFn:
    needs_bench = field in BENCHMARK_METRICS

    def metric(returns: Any, benchmark: Any = None, **kwargs: Any) -> Any:
        if needs_bench and benchmark is None:
            raise ValidationError(f"metric {field!r} needs a benchmark", code="benchmark_required")
        _, one_d, columns = _as_matrix(returns, "returns")
        row = metrics_table(returns, benchmark, **kwargs).iloc[FIELD_INDEX[field]]
        if one_d:
            return float(row.iloc[0])
        if columns is not None:
            return row.rename(field)
        return row.to_numpy()

    metric.__name__ = field
    metric.__doc__ = f"The {field.replace('_', ' ')} of a return series (see module conventions)."
    return metric


for _field in METRIC_FIELDS:
    METRICS.add(_field, _make_metric(_field), tags=("returns",))

total_return = METRICS.get("total_return")
cagr = METRICS.get("cagr")
volatility = METRICS.get("volatility")
sharpe = METRICS.get("sharpe")
sortino = METRICS.get("sortino")
calmar = METRICS.get("calmar")
omega = METRICS.get("omega")
max_drawdown = METRICS.get("max_drawdown")
value_at_risk = METRICS.get("var")
conditional_value_at_risk = METRICS.get("cvar")
alpha = METRICS.get("alpha")
beta = METRICS.get("beta")
