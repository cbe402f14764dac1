"""Compiled single-bar entry points for :class:`~nautilus.features.streaming.IndicatorStream`.

A Python -> numba call costs about 150 ns per array argument (unboxing) on top of a fixed
~50 ns, so feeding one bar through the six-argument kernel costs ~0.4-1 us. The per-bar step
here packs everything a stream owns (raw-bar history buffer, parameters, kernel state, output)
into *one* flat float64 array and takes the bar's values as scalars; inside the compiled step
the pieces are zero-copy views, and the indicator's own kernel runs on them, so values stay
identical to the batch kernel.

Pack layout: ``[pos, cap, h, n_in, n_p, n_st, n_out, bad]`` then the ``(n_in, cap)`` buffer,
the parameters, the state and the ``n_out`` outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from nautilus.features.base import FloatArray, Kernel

HEAD = 8
_STEPS: dict[tuple[int, int], Callable[..., Any]] = {}


def make_pack(n_in: int, cap: int, h: int, p: FloatArray, st: FloatArray, n_out: int) -> FloatArray:
    """A fresh pack for a stream (history buffer NaN, state as given)."""
    size = HEAD + n_in * cap + p.size + st.size + n_out
    pack = np.zeros(size, dtype=np.float64)
    pack[:HEAD] = (h, cap, h, n_in, p.size, st.size, n_out, 0.0)
    pack[HEAD : HEAD + n_in * cap] = np.nan
    o = HEAD + n_in * cap
    pack[o : o + p.size] = p
    pack[o + p.size : o + p.size + st.size] = st
    return pack


def _build(kernel: Kernel, single: bool) -> Callable[..., Any]:
    @njit
    def step(pack, vals):  # type: ignore[no-untyped-def]
        for v in vals:
            if v - v != 0.0:
                pack[7] = 1.0
                return _rejected(pack)
        pos = int(pack[0])
        cap = int(pack[1])
        h = int(pack[2])
        n_in = int(pack[3])
        n_p = int(pack[4])
        n_st = int(pack[5])
        n_out = int(pack[6])
        buf = pack[HEAD : HEAD + n_in * cap].reshape(n_in, cap)
        o = HEAD + n_in * cap
        p = pack[o : o + n_p]
        st = pack[o + n_p : o + n_p + n_st]
        out = pack[o + n_p + n_st : o + n_p + n_st + n_out].reshape(n_out, 1)
        if pos == cap:
            for k in range(n_in):
                for j in range(h):
                    buf[k, j] = buf[k, pos - h + j]
            pos = h
        k = 0
        for v in vals:
            buf[k, pos] = v
            k += 1
        kernel(buf, pos, pos + 1, p, st, out)
        pack[0] = pos + 1
        pack[7] = 0.0
        return _result(pack, o + n_p + n_st)

    if single:

        @njit(inline="always")
        def _result(pack, o):  # type: ignore[no-untyped-def]
            return pack[o]

        @njit(inline="always")
        def _rejected(pack):  # type: ignore[no-untyped-def]
            return np.nan  # the caller checks the flag in pack[7] only on NaN
    else:

        @njit(inline="always")
        def _result(pack, o):  # type: ignore[no-untyped-def]
            return pack[o:]

        @njit(inline="always")
        def _rejected(pack):  # type: ignore[no-untyped-def]
            return pack[pack.size :]

    return step  # type: ignore[no-any-return]


def step_for(kernel: Kernel, n_out: int) -> Callable[..., Any]:
    """The compiled per-bar step for ``kernel`` (built once per kernel and process).

    ``step(pack, values_tuple)`` returns the output (a float for one output, else a view of
    the outputs); a non-finite value leaves the state untouched and sets ``pack[7]``.
    """
    key = (id(kernel), n_out)
    fn = _STEPS.get(key)
    if fn is None:
        fn = _STEPS[key] = _build(kernel, n_out == 1)
    return fn
