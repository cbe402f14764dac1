"""Indicators registered by a strategy; updated by the engine before ``on_bar``.

A handle wraps a streaming twin from :mod:`nautilus.features` (the same numba kernel as the
batch indicator, state carried between blocks, so values equal the batch values exactly) and
is bound to one :class:`~nautilus.strategy.series.BarSeries`. ``handle.value`` is the first
output at the series' current bar (NaN during warm-up); ``handle[name]`` another output.

>>> from nautilus.strategy.series import BarSeries
>>> import numpy as np
>>> s = BarSeries("X.SIM", "1m", 60_000_000_000)
>>> h = IndicatorHandle(s, "sma", timeperiod=2)
>>> s.indicators.append(h)
>>> s.load(np.arange(3, dtype=np.int64), {f: np.array([1.0, 2.0, 4.0]) for f in
...        ("open", "high", "low", "close", "volume")})
>>> s.i = 3  # row 2 of the block
>>> h.value
3.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nautilus.core.errors import ValidationError
from nautilus.features.streaming import IndicatorStream
from nautilus.strategy.series import BarSeries, FloatArray


class IndicatorHandle:
    """One indicator instance on one bar series (see the module docstring)."""

    __slots__ = ("_outs", "_vals", "name", "outputs", "params", "series", "stream")

    def __init__(self, series: BarSeries, name: str, **params: Any) -> None:
        self.series = series
        self.name = name
        self.params = params
        self.stream = IndicatorStream(name, **params)
        if "ts" in self.stream.inputs:
            raise ValidationError(
                f"indicator {name!r} needs bar times; use it through nautilus.features directly",
                code="unsupported_indicator",
            )
        self.outputs: tuple[str, ...] = tuple(self.stream.indicator.outputs)
        self._outs: list[list[float]] = [[math.nan] for _ in self.outputs]
        self._vals: list[float] = self._outs[0]

    @property
    def value(self) -> float:
        """First output at the current bar (NaN in the warm-up)."""
        return self._vals[self.series.i]

    def __getitem__(self, output: str) -> float:
        return self._outs[self.outputs.index(output)][self.series.i]

    @property
    def ready(self) -> bool:
        return not math.isnan(self._vals[self.series.i])

    def update_block(self, cols: dict[str, FloatArray]) -> None:
        """Run the kernel over a block of bars (rows ``(n_inputs, m)`` in input order)."""
        x = np.vstack([cols[name] for name in self.stream.inputs])
        out = self.stream.update_block(np.ascontiguousarray(x, dtype=np.float64))
        prev = [o[-1] for o in self._outs]
        self._outs = [[p, *row.tolist()] for p, row in zip(prev, out, strict=True)]
        self._vals = self._outs[0]

    def __repr__(self) -> str:
        return f"IndicatorHandle({self.name} {self.params} on {self.series!r})"
