"""Streaming twins: one object per indicator instance that is fed bar by bar.

``IndicatorStream`` runs the indicator's own batch kernel on one bar at a time, with the
kernel state (running sums, smoothed values, ring buffers) kept between calls and the last
``history`` raw bars kept in a small buffer, so memory is O(window) and every value equals the
batch value for the same bar exactly (same operations, same order).

Per-bar cost is dominated by the Python -> numba call: ``update`` goes through one compiled
step that takes a single packed array plus the bar's scalars (see :mod:`fast_stream`);
``push``/``push1`` skip the input parsing. For throughput use :meth:`IndicatorStream.update_many`,
which feeds a block of bars through the same kernel in one call and continues the same state.
For many instruments updated at the same bar close use
:class:`~nautilus.features.universe_stream.UniverseStream` (one compiled call per bar close for
the whole universe).

For the indicators whose steady state is a few float operations (SMA, WMA, DEMA, Bollinger,
STDDEV, OBV, A/D, ...) ``IndicatorStream(name)`` returns a pure-Python twin
(:mod:`stream_py`, :mod:`stream_window`) that performs the kernel's operations in the kernel's
order on Python floats: same values, 3-5x cheaper per bar than the compiled step.

>>> s = IndicatorStream("sma", timeperiod=3)
>>> [s.update(v) for v in (1.0, 2.0, 3.0, 4.0)][-2:]
[2.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nautilus.core.errors import ValidationError
from nautilus.features.base import INDICATORS, FloatArray, Indicator, InputData, resolve_inputs
from nautilus.features.fast_stream import HEAD, make_pack, step_for

_ATTR = {"ts": "ts_event"}

TS_SAFE = 2**62
"""A ``ts_transform``'s scalar ``one`` is used for ``|ts|`` below this (where its Python-int
arithmetic and the int64 array path cannot differ by overflow)."""

TWINS: dict[str, type[IndicatorStream]] = {}
"""Indicator name -> pure-Python twin class; filled by :mod:`nautilus.features.stream_py`."""


class IndicatorStream:
    """Incremental form of a registered indicator.

    ``update(bar)`` takes a :class:`~nautilus.model.data.Bar` (or any object with the input
    attributes; ``ts`` is read from ``ts_event``), a mapping, a tuple in the order of
    ``indicator.inputs`` (``ts`` as int ns), or a float for single-input indicators. It
    returns a float (single output) or a tuple of floats; NaN during the warm-up. Non-finite
    inputs raise ``ValidationError`` (code ``non_finite_input``) and leave the state untouched.
    """

    __slots__ = (
        "_buf",
        "_cap",
        "_cfg",
        "_h",
        "_k",
        "_n_out",
        "_out",
        "_p",
        "_pack",
        "_st",
        "_step",
        "_ts_memo",
        "_ts_pos",
        "indicator",
        "inputs",
    )

    def __new__(cls, indicator: str | Indicator, **params: Any) -> IndicatorStream:
        # the registered indicators with a pure-Python steady state get their twin class
        # (``stream_py``): same values, ~3-5x cheaper per bar than the compiled step
        if cls is IndicatorStream:
            ind = INDICATORS.get(indicator) if isinstance(indicator, str) else indicator
            py = TWINS.get(ind.name)
            if py is not None and INDICATORS.get(ind.name) is ind:
                return object.__new__(py)
        return object.__new__(cls)

    def __init__(self, indicator: str | Indicator, **params: Any) -> None:
        ind = INDICATORS.get(indicator) if isinstance(indicator, str) else indicator
        self.indicator = ind
        self.inputs = ind.inputs
        self._cfg = ind.make_config(params)
        self._h = max(ind.history(self._cfg), 0)
        self._cap = max(4 * (self._h + 1), 256)
        n_in = len(ind.inputs)
        self._p = ind.params(self._cfg)
        self._n_out = len(ind.outputs)
        st = ind.new_state(self._cfg)
        # buffer, state and output live in one flat pack (see ``fast_stream``): the compiled
        # per-bar step takes it as its only array argument; the attributes below are views
        pack = make_pack(n_in, self._cap, self._h, self._p, st, self._n_out)
        self._pack = pack
        o = HEAD + n_in * self._cap
        self._buf = pack[HEAD:o].reshape(n_in, self._cap)
        self._st = pack[o + self._p.size : o + self._p.size + st.size]
        self._out = pack[o + self._p.size + st.size :].reshape(self._n_out, 1)
        self._k = ind.kernel
        self._step = step_for(ind.kernel, self._n_out)
        self._ts_pos = ind.inputs.index("ts") if "ts" in ind.inputs else -1
        self._ts_memo: tuple[int, int, float] = (1, 0, 0.0)  # (lo, hi, value): empty range

    @property
    def bars_seen(self) -> int:
        return int(self._st[0])

    def reset(self) -> None:
        """Forget every bar seen (back to the warm-up)."""
        self._st[:] = 0.0
        self._buf[:] = np.nan
        self._pos = self._h

    @property
    def _pos(self) -> int:
        return int(self._pack[0])

    @_pos.setter
    def _pos(self, value: int) -> None:
        self._pack[0] = value

    def _values(self, bar: Any) -> tuple[float, ...]:
        if isinstance(bar, (int, float)):
            return (float(bar),)
        if isinstance(bar, tuple):
            if self._ts_pos < 0:
                return bar
            k = self._ts_pos
            return (*bar[:k], self._ts("ts", bar[k]), *bar[k + 1 :])
        if isinstance(bar, Mapping):
            return tuple(self._ts(n, bar[n]) for n in self.inputs)
        return tuple(self._ts(n, getattr(bar, _ATTR.get(n, n))) for n in self.inputs)

    def _ts(self, name: str, value: Any) -> float:
        if name != "ts":
            return float(value)
        t = int(value)
        lo, hi, v = self._ts_memo
        if lo <= t < hi:
            return v
        tf = self.indicator.ts_transform
        span = getattr(tf, "span", None)  # one timestamp's value and the range sharing it
        if span is not None and -TS_SAFE < t < TS_SAFE:
            v, lo, hi = span(t, self._cfg)
            self._ts_memo = (lo, hi, v)
            return v
        ts = np.array([t], dtype=np.int64)
        return float(tf(ts, self._cfg)[0]) if tf else float(ts[0])

    def update(self, bar: Any) -> Any:
        """Feed one bar; returns this bar's value(s), identical to the batch value."""
        if type(bar) is float and self._n_out == 1:
            return self.push1(bar)
        vals = self._values(bar)
        r = self._step(self._pack, tuple([float(v) for v in vals]))
        if self._pack[7]:
            self._reject(vals)
        if self._n_out == 1:
            return r
        return tuple(r.tolist())

    def push1(self, value: float) -> float:
        """Fastest path: one float bar into a single-input, single-output indicator."""
        r = self._step(self._pack, (value,))
        if r != r and self._pack[7]:
            self._reject((value,))
        return r  # type: ignore[no-any-return]

    def push(self, *values: float) -> Any:
        """Fast path: the bar's input values as floats, in the order of ``inputs`` (``ts``
        already transformed as ``update`` would); returns what ``update`` returns."""
        r = self._step(self._pack, values)
        if self._pack[7]:
            self._reject(values)
        return r if self._n_out == 1 else tuple(r.tolist())

    def _reject(self, vals: tuple[float, ...]) -> None:
        self._pack[7] = 0.0
        bad = next((v for v in vals if not math.isfinite(v)), vals[0])
        raise ValidationError(
            f"{self.indicator.name}: non-finite input {bad!r}", code="non_finite_input"
        )

    def update_many(
        self, data: InputData, *, columns: Mapping[str, str] | None = None
    ) -> FloatArray:
        """Feed a block of bars in one kernel call; returns ``(n_outputs, n_bars)`` values."""
        x = resolve_inputs(self.indicator, data, self._cfg, columns)
        return self.update_block(x)

    def update_block(self, x: FloatArray) -> FloatArray:
        """Feed raw input rows ``(n_inputs, m)`` (already validated); returns the outputs."""
        h, pos, m = self._h, self._pos, x.shape[1]
        ext = np.concatenate([self._buf[:, pos - h : pos], x], axis=1)
        out = np.empty((self._n_out, m))
        if m:
            self._k(ext, h, h + m, self._p, self._st, out)
        if h:
            tail = ext[:, -h:]
            self._buf[:, :h] = np.nan
            self._buf[:, h - tail.shape[1] : h] = tail
        self._pos = h
        return out


# registers the pure-Python twins in TWINS (they subclass IndicatorStream, hence the late import)
from nautilus.features import stream_py, stream_window  # noqa: E402, F401
