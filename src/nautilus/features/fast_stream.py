"""Compiled single-bar steps for :class:`~nautilus.features.streaming.IndicatorStream`.

A Python -> numba dispatcher call costs ~230 ns here (argument typing and unboxing) before the
kernel does any work, while an indicator's steady-state step is 5-50 ns of arithmetic. So the
per-bar step is compiled as a C function (numba ``cfunc``) that takes the address of one flat
float64 *pack* holding everything a stream owns (raw-bar history buffer, parameters, kernel
state, outputs) and the bar's values as a C array; the pieces are zero-copy views made with
``carray`` (no reference counting), and the indicator's own kernel runs on them, so values
stay identical to the batch kernel. :func:`bind` wraps the step's address and the pack's in a
:class:`~nautilus.features._stepcall.StepCall`, a C callable: ``call(*values)`` costs a C
function call plus the kernel (~50-110 ns per bar), with no Python frame.

Pack layout: ``[pos, cap, h, n_in, n_p, n_st, n_out, bad]`` then the ``(n_in, cap)`` buffer,
the parameters, the state and the ``n_out`` outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numba import carray, cfunc, types
from numba.extending import intrinsic

from nautilus.features._stepcall import StepCall
from nautilus.features.base import FloatArray, Kernel

HEAD = 8
STEP_SIG = types.float64(types.CPointer(types.float64), types.CPointer(types.float64), types.int64)
_STEPS: dict[int, Any] = {}


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


def _build(kernel: Kernel) -> Any:
    @cfunc(STEP_SIG)
    def step(pack_ptr, vals_ptr, n):  # type: ignore[no-untyped-def]
        head = carray(pack_ptr, (HEAD,))
        for k in range(n):
            v = vals_ptr[k]
            if v - v != 0.0:  # NaN or +-inf: state untouched, flag for the caller
                head[7] = 1.0
                return np.nan
        pos = int(head[0])
        cap = int(head[1])
        h = int(head[2])
        n_in = int(head[3])
        n_p = int(head[4])
        n_st = int(head[5])
        n_out = int(head[6])
        o = HEAD + n_in * cap
        q = o + n_p + n_st
        pk = carray(pack_ptr, (q + n_out,))
        buf = pk[HEAD:o].reshape(n_in, cap)
        if pos == cap:  # buffer full: keep the last ``h`` bars at the front
            for k in range(n_in):
                for j in range(h):
                    buf[k, j] = buf[k, pos - h + j]
            pos = h
        for k in range(n_in):
            buf[k, pos] = vals_ptr[k]
        kernel(buf, pos, pos + 1, pk[o : o + n_p], pk[o + n_p : q], pk[q:].reshape(n_out, 1))
        pk[0] = pos + 1
        return pk[q]

    return step


def step_for(kernel: Kernel) -> Any:
    """The compiled per-bar step (a numba ``cfunc``) for ``kernel``, built once per process.

    ``step(pack_address, values_address, n_values)`` returns the first output; a non-finite
    value leaves the state untouched, sets ``pack[7]`` and returns NaN.
    """
    fn = _STEPS.get(id(kernel))
    if fn is None:
        fn = _STEPS[id(kernel)] = _build(kernel)
    return fn


def bind(
    kernel: Kernel,
    pack: FloatArray,
    n_out: int,
    on_reject: Callable[[tuple[float, ...]], Any],
    ts_pos: int = -1,
    ts_span: Callable[[int], tuple[float, int, int]] | None = None,
) -> Callable[..., Any]:
    """A C callable feeding one bar into the stream held by ``pack``.

    ``call(*values)`` (the bar's input values in the indicator's input order) returns the
    output as a float, or a tuple of floats for several outputs; a non-finite value calls
    ``on_reject(values)``, which must raise. The value at ``ts_pos`` is an int timestamp that
    ``ts_span(ts) -> (value, lo, hi)`` transforms (memoised in C for ``lo <= ts < hi``).
    ``pack`` must stay this array (never reallocated): the callable keeps it, and the compiled
    step, alive.
    """
    if pack.dtype != np.float64 or not pack.flags.c_contiguous or not pack.flags.writeable:
        raise ValueError("pack must be a writeable C-contiguous float64 array")
    n_in, cap = int(pack[3]), int(pack[1])
    out_off = HEAD + n_in * cap + int(pack[4]) + int(pack[5])
    if out_off + n_out != pack.size:
        raise ValueError("pack layout does not match its header")
    step = step_for(kernel)
    return cast(
        Callable[..., Any],
        StepCall(
            step.address,
            pack.ctypes.data,
            (pack, step),
            on_reject,
            n_in,
            n_out,
            out_off,
            ts_pos,
            ts_span,
        ),
    )
