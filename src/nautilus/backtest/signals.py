"""Research signal strategies: pure functions from a close panel and parameters to signals.

Each takes ``close`` as a (bars, instruments) float64 array and keyword parameters and returns
``(entries, exits)`` bool arrays of the same shape, computed only from data up to each bar's
close (the engine trades them on the next bar). They are registered in ``SIGNAL_STRATEGIES``
so sweeps and jobs refer to them by name.

>>> import numpy as np
>>> e, x = sma_cross(np.array([[3.0], [2.0], [1.0], [2.0], [3.0]]), fast=1, slow=2)
>>> e[:, 0].tolist()
[False, False, False, True, False]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from nautilus.backtest.vectorized.indicators import sma_cross_signals
from nautilus.core.errors import ValidationError
from nautilus.core.registry import Registry

Signals = tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]
SignalStrategy = Callable[..., Signals]
SIGNAL_STRATEGIES: Registry[SignalStrategy] = Registry("signal_strategy")


@SIGNAL_STRATEGIES.register("sma_cross", tags=("trend",))
def sma_cross(close: npt.NDArray[np.float64], fast: int, slow: int) -> Signals:
    """Long when the ``fast``-bar SMA crosses above the ``slow``-bar SMA, flat on the cross
    below. ``fast >= slow`` gives no signals (an empty trial, not an error)."""
    fast, slow = int(fast), int(slow)
    if fast < 1 or slow < 1:
        raise ValidationError("SMA windows must be >= 1", code="out_of_range")
    c = np.asarray(close, dtype=np.float64).reshape(close.shape[0], -1)
    up = np.zeros(c.shape, dtype=np.bool_)
    down = np.zeros(c.shape, dtype=np.bool_)
    if fast >= slow:
        return up, down
    for j in range(c.shape[1]):
        col = np.ascontiguousarray(c[:, j])
        u = np.empty(c.shape[0], dtype=np.bool_)
        d = np.empty(c.shape[0], dtype=np.bool_)
        sma_cross_signals(col, fast, slow, u, d)
        up[:, j] = u
        down[:, j] = d
    return up, down


@SIGNAL_STRATEGIES.register("channel_breakout", tags=("trend",))
def channel_breakout(
    close: npt.NDArray[np.float64], entry_window: int, exit_window: int
) -> Signals:
    """Long when the close exceeds the highest close of the previous ``entry_window`` bars,
    flat when it falls below the lowest close of the previous ``exit_window`` bars."""
    import pandas as pd

    c = pd.DataFrame(np.asarray(close, dtype=np.float64).reshape(close.shape[0], -1))
    hi = c.rolling(int(entry_window)).max().shift(1)
    lo = c.rolling(int(exit_window)).min().shift(1)
    return (c > hi).to_numpy(), (c < lo).to_numpy()


def strategy_signals(name: str, close: npt.NDArray[np.float64], params: dict[str, Any]) -> Signals:
    """Signals of the registered strategy ``name`` with ``params``."""
    return SIGNAL_STRATEGIES.get(name)(close, **params)
