"""Streaming one indicator over a whole universe: one compiled call per bar close.

A live platform closes the bars of every instrument at the same timestamp. ``UniverseStream``
keeps the state of N instruments in one flat array (viewed as the raw-bar history
``(N, n_inputs, cap)``, the kernel states ``(N, n_state)`` and each instrument's next history
slot) and feeds one bar for every instrument through *one* compiled call that loops the
instruments and runs the indicator's own batch kernel on each instrument's views, so

- every value equals the batch value of that instrument's series, bit for bit (same kernel,
  same operations, same order: the contract of :mod:`nautilus.features.base`);
- the per-instrument-bar cost is the kernel step plus a few ns: the Python -> numba call and
  the input checks (~1.5-2 us) are paid once per bar close for the whole universe, and the
  kernel runs on views without reference counting (:func:`fast_stream.unowned`).

Missing bars: ``update(..., active=mask)`` skips the instruments whose mask entry is False
(halted, no trade in the bar): their state does not move and their outputs for this bar are
NaN, so each instrument's values equal the batch values over *its own* bars. Non-finite input
in an active instrument rejects the whole bar with ``ValidationError`` (code
``non_finite_input``, naming the instrument and the input) and no instrument's state moves.

>>> import numpy as np
>>> u = UniverseStream("sma", ["AAA", "BBB"], timeperiod=2)
>>> u.update(np.array([[1.0, 10.0]]))
array([[nan, nan]])
>>> u.update({"close": [3.0, 30.0]})
array([[ 2., 20.]])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit

from nautilus.core.errors import ValidationError
from nautilus.features.base import INDICATORS, FloatArray, Indicator, Kernel
from nautilus.features.fast_stream import unowned
from nautilus.features.streaming import TS_SAFE

NAN = np.nan
HEAD = 8
_F64 = np.dtype(np.float64)
_STEPS: dict[int, Callable[..., Any]] = {}


def _layout(n: int, n_in: int, cap: int, n_p: int, n_st: int, n_out: int) -> list[int]:
    """Offsets in the pack of: positions, parameters, states, output scratch, history, end.

    Pack = ``[n, n_in, cap, h, n_p, n_st, n_out, 0]`` then ``pos (n,)`` (next history slot of
    each instrument), ``p (n_p,)``, ``st (n, n_st)``, ``out (n_out,)``, ``buf (n, n_in, cap)``:
    one array, so a bar close is one call with four array arguments (each costs ~150 ns).
    """
    offs = [HEAD]
    for size in (n, n_p, n * n_st, n_out, n * n_in * cap):
        offs.append(offs[-1] + size)
    return offs


def _build(kernel: Kernel) -> Callable[..., Any]:
    @njit
    def step(pack, vals, active, res):  # type: ignore[no-untyped-def]
        # vals (n_in, N, m): the new bars; active (N,) bool; res (n_out, N, m): the outputs.
        # Views without a reference count (see ``fast_stream.unowned``): the kernel's own
        # slicing then costs no atomic operations; the pack is the caller's, alive throughout.
        pk = unowned(pack)
        n_inst, n_in, cap, h = int(pk[0]), int(pk[1]), int(pk[2]), int(pk[3])
        n_p, n_st, n_out = int(pk[4]), int(pk[5]), int(pk[6])
        o_p = HEAD + n_inst
        o_st = o_p + n_p
        o_out = o_st + n_inst * n_st
        o_buf = o_out + n_out
        pos = pk[HEAD:o_p]
        p = pk[o_p:o_st]
        st = pk[o_st:o_out].reshape(n_inst, n_st)
        out = pk[o_out:o_buf].reshape(n_out, 1)
        buf = pk[o_buf : o_buf + n_inst * n_in * cap].reshape(n_inst, n_in, cap)
        m = vals.shape[2]
        # validate everything first: a rejected block leaves every instrument untouched
        for j in range(n_inst):
            if active[j]:
                for k in range(n_in):
                    for t in range(m):
                        v = vals[k, j, t]
                        if v - v != 0.0:
                            return (j * n_in + k) * m + t
        for j in range(n_inst):
            if not active[j]:
                for q in range(n_out):
                    for t in range(m):
                        res[q, j, t] = NAN
                continue
            x = buf[j]
            s = st[j]
            ps = int(pos[j])
            for t in range(m):
                if ps == cap:  # keep the last h bars, start over at the front
                    for k in range(n_in):
                        for i in range(h):
                            x[k, i] = x[k, cap - h + i]
                    ps = h
                for k in range(n_in):
                    x[k, ps] = vals[k, j, t]
                kernel(x, ps, ps + 1, p, s, out)
                for q in range(n_out):
                    res[q, j, t] = out[q, 0]
                ps += 1
            pos[j] = ps
        return -1

    return step  # type: ignore[no-any-return]


def step_for(kernel: Kernel) -> Callable[..., Any]:
    """The compiled universe step for ``kernel`` (built once per kernel and process)."""
    fn = _STEPS.get(id(kernel))
    if fn is None:
        fn = _STEPS[id(kernel)] = _build(kernel)
    return fn


class UniverseStream:
    """One indicator streamed over N instruments, one bar close at a time.

    ``instruments`` is the number of instruments or their ids (distinct strings; results can
    then be labelled by id, see :meth:`frame`). ``params`` are the indicator's parameters.

    ``update(values)`` takes one bar for every instrument, in instrument order:

    - a float array ``(n_inputs, N)``, rows in the order of ``indicator.inputs``;
    - a mapping input name -> length-N values (``ts``: int ns UTC, a scalar or per instrument);
    - a DataFrame indexed by instrument id with one column per input (returns a DataFrame).

    It returns the ``(n_outputs, N)`` values of that bar (NaN in the warm-up), identical to
    the batch :func:`~nautilus.features.base.compute` over each instrument's series.
    The ``ts`` input (session VWAP) is int ns UTC; because every instrument's bar closes at the
    same time, ``update(..., ts=...)`` may give it once for the universe instead.
    """

    def __init__(
        self, indicator: str | Indicator, instruments: int | Sequence[str], /, **params: Any
    ) -> None:
        ind = INDICATORS.get(indicator) if isinstance(indicator, str) else indicator
        self.indicator = ind
        self.inputs = ind.inputs
        self.outputs = ind.outputs
        if isinstance(instruments, (int, np.integer)):
            n, ids = int(instruments), None
        else:
            ids = [str(i) for i in instruments]
            n = len(ids)
            if len(set(ids)) != n:
                raise ValidationError("instrument ids must be distinct", code="duplicate_id")
        if n < 1:
            raise ValidationError("a universe needs at least one instrument", code="bad_shape")
        self.n_instruments = n
        self.ids: list[str] | None = ids
        self._cfg = ind.make_config(params)
        self._h = max(ind.history(self._cfg), 0)
        # room for 64+ bars past the history before the buffer is compacted (amortised
        # <= n_inputs copies per bar); instruments start at staggered slots so that the
        # compactions of a lock-step universe spread over the bars instead of one spike
        self._cap = 2 * self._h + 64
        n_in, n_out = len(ind.inputs), len(ind.outputs)
        p = ind.params(self._cfg)
        self._st0 = ind.new_state(self._cfg)
        n_st = self._st0.size
        offs = _layout(n, n_in, self._cap, p.size, n_st, n_out)
        self._pack = pack = np.zeros(offs[-1])
        pack[:HEAD] = (n, n_in, self._cap, self._h, p.size, n_st, n_out, 0.0)
        self._pos = pack[offs[0] : offs[1]]
        pack[offs[1] : offs[2]] = p
        self._st = pack[offs[2] : offs[3]].reshape(n, n_st)
        self._buf = pack[offs[4] : offs[5]].reshape(n, n_in, self._cap)
        # staggered first slots (>= h; the kernel never reads before its first bar)
        self._pos0 = self._h + (np.arange(n) * (self._cap - self._h - 1)) // n
        self.last: FloatArray = np.full((n_out, n), NAN)
        """The outputs of the last accepted bar, ``(n_outputs, N)``."""
        self.reset()
        self._all = np.ones(n, dtype=np.bool_)
        self._ts_pos = ind.inputs.index("ts") if "ts" in ind.inputs else -1
        self._step = step_for(ind.kernel)
        self._shape = (n_in, n)
        self._shape3 = (n_in, n, 1)
        self._res_shape = (n_out, n, 1)
        self._out_shape = (n_out, n)

    def __repr__(self) -> str:
        return f"UniverseStream({self.indicator.name!r}, n_instruments={self.n_instruments})"

    @property
    def bars_seen(self) -> npt.NDArray[np.int64]:
        """Bars fed so far, per instrument (they differ only where ``active`` skipped some)."""
        return self._st[:, 0].astype(np.int64)

    def reset(self) -> None:
        """Forget every bar seen, for every instrument (back to the warm-up)."""
        self._buf[:] = NAN
        self._pos[:] = self._pos0
        self._st[:] = self._st0
        self.last = np.full((len(self.outputs), self.n_instruments), NAN)  # a new array:
        # the one returned by the last update stays the caller's

    def update(
        self,
        values: npt.ArrayLike | Mapping[str, Any] | pd.DataFrame,
        *,
        active: npt.ArrayLike | None = None,
        ts: int | npt.ArrayLike | None = None,
    ) -> Any:
        """Feed one bar for every instrument; returns this bar's ``(n_outputs, N)`` values.

        ``active`` (length-N bool) marks the instruments that have a bar; the others are not
        advanced and get NaN. A DataFrame in gives a DataFrame out (index = instrument ids,
        one column per output). Raises ``ValidationError``: ``bad_shape``, ``missing_input``,
        ``unknown_instrument`` or ``non_finite_input`` (then no instrument is advanced).
        """
        if (
            type(values) is np.ndarray
            and values.shape == self._shape
            and values.dtype is _F64
            and self._ts_pos < 0
        ):
            x = values  # the fast path: one float64 row per input
        else:
            x = self._bar_values(values, ts)
        x3 = x.reshape(self._shape3)
        res = np.empty(self._res_shape)
        bad = self._step(self._pack, x3, self._all if active is None else self._mask(active), res)
        if bad >= 0:
            self._reject(x3, bad)
        out = res.reshape(self._out_shape)
        self.last = out
        if isinstance(values, pd.DataFrame):
            return self.frame(out)
        return out

    def update_many(self, x: npt.ArrayLike, *, active: npt.ArrayLike | None = None) -> FloatArray:
        """Feed m bars per instrument in one call (e.g. to warm the universe up from history).

        ``x`` is a float array ``(n_inputs, N, m)`` (``ts`` rows already transformed as
        :func:`~nautilus.features.base.resolve_inputs` does); returns ``(n_outputs, N, m)``.
        Same values as m calls of :meth:`update`.
        """
        arr = np.ascontiguousarray(x, dtype=np.float64)
        if arr.ndim != 3 or arr.shape[:2] != (len(self.inputs), self.n_instruments):
            raise ValidationError(
                f"{self.indicator.name}: update_many needs an array "
                f"(n_inputs={len(self.inputs)}, n_instruments={self.n_instruments}, m), "
                f"got {arr.shape}",
                code="bad_shape",
            )
        res = self._feed(arr, active)
        if arr.shape[2]:
            self.last = np.ascontiguousarray(res[:, :, -1])
        return res

    def frame(self, values: FloatArray | None = None) -> pd.DataFrame:
        """``(n_outputs, N)`` values (default: the last bar's) as a DataFrame indexed by
        instrument id (or position), one column per output."""
        v = self.last if values is None else values
        index = pd.Index(self.ids if self.ids is not None else range(self.n_instruments))
        return pd.DataFrame({o: v[k] for k, o in enumerate(self.outputs)}, index=index)

    # --- internals ---------------------------------------------------------------------------

    def _feed(self, x: FloatArray, active: npt.ArrayLike | None) -> FloatArray:
        mask = self._all if active is None else self._mask(active)
        res = np.empty((len(self.outputs), self.n_instruments, x.shape[2]))
        bad = self._step(self._pack, x, mask, res)
        if bad >= 0:
            self._reject(x, bad)
        return res

    def _reject(self, x: FloatArray, bad: int) -> None:
        m = x.shape[2]
        flat, t = divmod(int(bad), m)
        j, k = divmod(flat, len(self.inputs))
        who = f"instrument {j}" + (f" ({self.ids[j]!r})" if self.ids is not None else "")
        raise ValidationError(
            f"{self.indicator.name}: non-finite {self.inputs[k]!r} {x[k, j, t]!r} for {who}"
            + (f" at bar {t}" if m > 1 else "")
            + "; no instrument was advanced",
            code="non_finite_input",
            parameter=self.inputs[k],
            instrument=j if self.ids is None else self.ids[j],
        )

    def _mask(self, active: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        mask = np.asarray(active)
        if mask.shape != (self.n_instruments,) or mask.dtype != np.bool_:
            raise ValidationError(
                f"active must be a bool array of length {self.n_instruments}, "
                f"got {mask.dtype} {mask.shape}",
                code="bad_shape",
            )
        return np.ascontiguousarray(mask)

    def _bar_values(self, values: Any, ts: Any) -> FloatArray:
        n_in, n = len(self.inputs), self.n_instruments
        if type(values) is not np.ndarray and isinstance(values, pd.DataFrame):
            values = self._from_frame(values)
        if type(values) is not np.ndarray and isinstance(values, Mapping):
            rows = np.empty((n_in, n))
            for k, name in enumerate(self.inputs):
                if name == "ts":
                    raw = values.get("ts", ts)
                    if raw is None:
                        raise self._missing("ts")
                    rows[k] = self._ts_row(raw)
                    continue
                if name not in values:
                    raise self._missing(name)
                rows[k] = self._row(name, values[name])
            return rows
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim == 1 and n_in == 1:
            arr = arr.reshape(1, -1)
        if self._ts_pos >= 0 and arr.ndim == 2 and arr.shape[1] == n:
            if ts is not None and arr.shape[0] == n_in - 1:  # the ts row given as ``ts=``
                k = self._ts_pos
                full = np.empty((n_in, n))
                full[:k] = arr[:k]
                full[k + 1 :] = arr[k:]
                arr = full
            elif arr.shape[0] == n_in:
                arr = arr.copy()
                ts = arr[self._ts_pos].astype(np.int64) if ts is None else ts
            if arr.shape[0] == n_in:
                arr[self._ts_pos] = self._ts_row(ts)
        if arr.shape != (n_in, n):
            raise ValidationError(
                f"{self.indicator.name}: a bar needs an array (n_inputs={n_in}, "
                f"n_instruments={n}) with rows {list(self.inputs)}, got shape {arr.shape}",
                code="bad_shape",
            )
        return np.ascontiguousarray(arr)

    def _from_frame(self, df: pd.DataFrame) -> dict[str, Any]:
        if self.ids is not None:
            missing = [i for i in self.ids if i not in df.index]
            if missing:
                raise ValidationError(
                    f"{self.indicator.name}: no bar for instruments {missing[:5]}",
                    code="unknown_instrument",
                )
            df = df.loc[self.ids]
        elif len(df) != self.n_instruments:
            raise ValidationError(
                f"{self.indicator.name}: {len(df)} rows for {self.n_instruments} instruments",
                code="bad_shape",
            )
        return {c: df[c].to_numpy() for c in df.columns}

    def _row(self, name: str, raw: Any) -> FloatArray:
        row = np.asarray(raw, dtype=np.float64)
        if row.shape != (self.n_instruments,):
            raise ValidationError(
                f"{self.indicator.name}: input {name!r} needs {self.n_instruments} values "
                f"(one per instrument), got shape {row.shape}",
                code="bad_shape",
                parameter=name,
            )
        return row

    def _ts_row(self, raw: Any) -> FloatArray | float:
        """The ``ts`` input (int ns UTC) as the kernel reads it: one value for the whole
        universe (a scalar) or one per instrument, through the indicator's ``ts_transform``."""
        scalar = isinstance(raw, (int, np.integer))
        span = getattr(self.indicator.ts_transform, "span", None)
        if scalar and span is not None and -TS_SAFE < int(raw) < TS_SAFE:
            return float(span(int(raw), self._cfg)[0])
        ts = np.array([raw], dtype=np.int64) if scalar else np.asarray(raw, dtype=np.int64)
        if ts.ndim > 1 or ts.size not in (1, self.n_instruments):
            raise ValidationError(
                f"{self.indicator.name}: ts must be one int ns or one per instrument, "
                f"got shape {ts.shape}",
                code="bad_shape",
                parameter="ts",
            )
        tf = self.indicator.ts_transform
        row = np.asarray(tf(ts.reshape(-1), self._cfg) if tf else ts.reshape(-1), np.float64)
        return float(row[0]) if row.size == 1 else row

    def _missing(self, name: str) -> ValidationError:
        return ValidationError(
            f"{self.indicator.name} needs input {name!r}", code="missing_input", parameter=name
        )
