"""Signal indicators for the vectorized backtester: moving averages and their crosses.

Kept apart from ``grid`` (which needs the analytics kernels) so a single run imports only
numpy and numba. Cross convention: ``up[t]`` when ``fast[t] - slow[t] > 0`` and the previous
difference was ``<= 0`` (both defined), ``down[t]`` on the mirrored condition.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

F8 = npt.NDArray[np.float64]


@nb.njit(cache=True)
def rolling_mean(x: F8, window: int) -> F8:
    """Simple moving average over ``window`` bars ending at each bar; NaN before it fills."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    acc = 0.0
    for t in range(n):
        acc += x[t]
        if t >= window:
            acc -= x[t - window]
        if t >= window - 1:
            out[t] = acc / window
    return out


@nb.njit(cache=True)
def cross_signals(
    fast: F8, slow: F8, up: npt.NDArray[np.bool_], down: npt.NDArray[np.bool_]
) -> None:
    """Fill ``up``/``down`` with the bars where ``fast`` crosses above / below ``slow``."""
    n = fast.shape[0]
    up[0] = False
    down[0] = False
    for t in range(1, n):
        a0 = fast[t - 1] - slow[t - 1]
        a1 = fast[t] - slow[t]
        up[t] = a1 > 0.0 and a0 <= 0.0
        down[t] = a1 < 0.0 and a0 >= 0.0


@nb.njit(cache=True)
def sma_cross_signals(
    close: F8, fast: int, slow: int, up: npt.NDArray[np.bool_], down: npt.NDArray[np.bool_]
) -> None:
    """Fused ``cross_signals(rolling_mean(close, fast), rolling_mean(close, slow))`` in one
    pass without the average arrays (same summation order, so the same numbers)."""
    n = close.shape[0]
    af = 0.0
    a_s = 0.0
    prev = np.nan
    for t in range(n):
        x = close[t]
        af += x
        a_s += x
        if t >= fast:
            af -= close[t - fast]
        if t >= slow:
            a_s -= close[t - slow]
        cur = np.nan
        if t >= fast - 1 and t >= slow - 1:
            cur = af / fast - a_s / slow
        up[t] = cur > 0.0 and prev <= 0.0
        down[t] = cur < 0.0 and prev >= 0.0
        prev = cur
