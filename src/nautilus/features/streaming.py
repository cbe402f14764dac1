"""Streaming twins: one object per indicator instance that is fed bar by bar.

``IndicatorStream`` runs the indicator's own batch kernel on one bar at a time, with the
kernel state (running sums, smoothed values, ring buffers) kept between calls and the last
``history`` raw bars kept in a small buffer, so memory is O(window) and every value equals the
batch value for the same bar exactly (same operations, same order).

Per bar, ``update`` parses the bar and calls a compiled one-bar step through a C callable
(see :mod:`fast_stream`): ~50-110 ns for the call and the kernel; ``push``/``push1`` *are* that
callable (no Python frame), so they cost only that. For throughput use
:meth:`IndicatorStream.update_many`, which feeds a block of bars through the same kernel in one
call and continues the same state. For many instruments updated at the same bar close use
:class:`~nautilus.features.universe_stream.UniverseStream` (one compiled call per bar close for
the whole universe).

>>> s = IndicatorStream("sma", timeperiod=3)
>>> [s.update(v) for v in (1.0, 2.0, 3.0, 4.0)][-2:]
[2.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from nautilus.core.errors import ValidationError
from nautilus.features.base import INDICATORS, FloatArray, Indicator, InputData, resolve_inputs
from nautilus.features.fast_stream import HEAD, bind, make_pack

_ATTR = {"ts": "ts_event"}

TS_SAFE = 2**62
"""A ``ts_transform``'s scalar ``one`` is used for ``|ts|`` below this (where its Python-int
arithmetic and the int64 array path cannot differ by overflow)."""

class IndicatorStream:
    """Incremental form of a registered indicator.

    ``update(bar)`` takes a :class:`~nautilus.model.data.Bar` (or any object with the input
    attributes; ``ts`` is read from ``ts_event``), a mapping, a tuple in the order of
    ``indicator.inputs`` (``ts`` as int ns), or a float for single-input indicators. It
    returns a float (single output) or a tuple of floats; NaN during the warm-up. Non-finite
    inputs raise ``ValidationError`` (code ``non_finite_input``) and leave the state untouched.

    ``push(*values)`` is the fast path: the bar's input values as floats in the order of
    ``inputs`` (``ts`` as int ns); it returns what ``update`` returns. ``push1`` is the same
    callable, named for one-input indicators (``push1(close)``). Both are C callables bound to
    this stream's state (no Python frame per bar).
    """

    __slots__ = (
        "_attrs",
        "_buf",
        "_cap",
        "_cfg",
        "_h",
        "_items",
        "_k",
        "_n_out",
        "_out",
        "_p",
        "_pack",
        "_st",
        "_ts_pos",
        "indicator",
        "inputs",
        "push",
        "push1",
    )

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
        # buffer, state and output live in one flat pack (see ``fast_stream``) that the
        # compiled per-bar step works on in place; the attributes below are views of it
        pack = make_pack(n_in, self._cap, self._h, self._p, st, self._n_out)
        self._pack = pack
        o = HEAD + n_in * self._cap
        self._buf = pack[HEAD:o].reshape(n_in, self._cap)
        self._st = pack[o + self._p.size : o + self._p.size + st.size]
        self._out = pack[o + self._p.size + st.size :].reshape(self._n_out, 1)
        self._k = ind.kernel
        self._ts_pos = ind.inputs.index("ts") if "ts" in ind.inputs else -1
        # C-level getters of the input values from a bar object or a mapping (tuples always)
        self._attrs = attrgetter(*(_ATTR.get(n, n) for n in ind.inputs), "__class__")
        self._items = itemgetter(*ind.inputs, *ind.inputs[:1])
        self.push = self.push1 = bind(
            ind.kernel,
            pack,
            self._n_out,
            partial(_reject, ind.name),
            self._ts_pos,
            self._ts_span if self._ts_pos >= 0 else None,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle / deepcopy: the indicator (by name when registered), its parameters and a
        # copy of the pack (history buffer, state, position); the C callables are rebuilt
        ind = self.indicator
        key: str | Indicator = ind.name if ind.name in INDICATORS and INDICATORS.get(
            ind.name
        ) is ind else ind
        return (_restore, (key, self._cfg.model_dump(), self._pack.copy()))

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

    def _values(self, bar: Any) -> tuple[Any, ...]:
        # both getters fetch one extra item so that they return a tuple even for one input
        if isinstance(bar, Mapping):
            return self._items(bar)[:-1]  # type: ignore[no-any-return]
        try:
            return self._attrs(bar)[:-1]  # type: ignore[no-any-return]
        except AttributeError as exc:
            raise ValidationError(
                f"{self.indicator.name}: a bar needs {list(self.inputs)}: {exc}",
                code="missing_input",
            ) from None

    def _ts_span(self, ts: int) -> tuple[float, int, int]:
        """The transformed value of timestamp ``ts`` and the range ``[lo, hi)`` sharing it."""
        t = int(ts)
        tf = self.indicator.ts_transform
        span = getattr(tf, "span", None)  # one timestamp's value and the range sharing it
        if span is not None and -TS_SAFE < t < TS_SAFE:
            return span(t, self._cfg)  # type: ignore[no-any-return]
        arr = np.array([t], dtype=np.int64)
        return (float(tf(arr, self._cfg)[0]) if tf else float(t)), t, t + 1

    def update(self, bar: Any) -> Any:
        """Feed one bar; returns this bar's value(s), identical to the batch value."""
        if type(bar) is float:
            return self.push(bar)
        if type(bar) is tuple:
            return self.push(*bar)
        if isinstance(bar, (int, float)):
            return self.push(float(bar))
        try:  # a bar object (the common case) first: an ABC check costs more than a lookup
            vals = self._attrs(bar)[:-1]
        except AttributeError:
            vals = self._values(bar)
        return self.push(*vals)

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


def _restore(indicator: str | Indicator, params: dict[str, Any], pack: FloatArray) -> Any:
    stream = IndicatorStream(indicator, **params)
    stream._pack[:] = pack  # same indicator and parameters: the same layout
    return stream


def _reject(name: str, vals: tuple[float, ...]) -> None:
    bad = next((v for v in vals if not math.isfinite(v)), vals[0])
    raise ValidationError(f"{name}: non-finite input {bad!r}", code="non_finite_input")
