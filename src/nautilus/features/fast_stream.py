"""Compiled single-bar entry points for :class:`~nautilus.features.streaming.IndicatorStream`.

A Python -> numba call costs about 150 ns per array argument (unboxing) on top of a fixed
~50 ns, so feeding one bar through the six-argument kernel costs ~0.4-1 us. The per-bar step
here packs everything a stream owns (raw-bar history buffer, parameters, kernel state, output)
into *one* flat float64 array and takes the bar's values as scalars; inside the compiled step
the pieces are zero-copy views, and the indicator's own kernel runs on them, so values stay
identical to the batch kernel. The kernel sees the pack through :func:`unowned` views, so the
views it takes itself (``x[0]``, ``c[a:b]``, ``out[0]``) cost no atomic reference counting.

Pack layout: ``[pos, cap, h, n_in, n_p, n_st, n_out, bad]`` then the ``(n_in, cap)`` buffer,
the parameters, the state and the ``n_out`` outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from nautilus.features.base import FloatArray, Kernel

HEAD = 8
_STEPS: dict[tuple[int, int], Callable[..., Any]] = {}


@intrinsic
def _unowned(typingctx, arr):  # type: ignore[no-untyped-def]
    """A view of ``arr`` that carries no reference count (its meminfo is NULL).

    Every view a kernel takes (``x[0]``, ``c[a:b]``, ``out[0]``) of a counted array costs an
    atomic increment and decrement; on a one-bar call these dominate the kernel (~50-200 ns).
    Views of an unowned array skip them. Only for arrays the caller keeps alive for the whole
    call, and never to be stored or returned.
    """
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        aryty = sig.args[0]
        src = context.make_array(aryty)(context, builder, value=args[0])
        dst = context.make_array(aryty)(context, builder)
        context.populate_array(
            dst,
            data=src.data,
            shape=src.shape,
            strides=src.strides,
            itemsize=src.itemsize,
            meminfo=None,
        )
        return dst._getvalue()

    return arr(arr), codegen


unowned = cast(Callable[[Any], Any], _unowned)


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
        # the kernel gets views without a reference count (``unowned``); the returned
        # output view is taken from the counted ``pack``
        pk = unowned(pack)
        pos = int(pk[0])
        cap = int(pk[1])
        h = int(pk[2])
        n_in = int(pk[3])
        n_p = int(pk[4])
        n_st = int(pk[5])
        n_out = int(pk[6])
        buf = pk[HEAD : HEAD + n_in * cap].reshape(n_in, cap)
        o = HEAD + n_in * cap
        p = pk[o : o + n_p]
        st = pk[o + n_p : o + n_p + n_st]
        out = pk[o + n_p + n_st : o + n_p + n_st + n_out].reshape(n_out, 1)
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
