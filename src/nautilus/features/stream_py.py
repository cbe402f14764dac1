"""Pure-Python streaming twins for the indicators whose per-bar recursion is a few float ops.

A call into a numba function costs ~200 ns before it does any work, so the compiled per-bar
step of :class:`~nautilus.features.streaming.IndicatorStream` cannot get under that. For the
simple recursions (running sums, SMA-seeded EMAs, windowed moments) a ``__slots__`` object with
plain Python floats costs 50-150 ns per bar. Python floats are IEEE doubles and the twins here
perform the *same operations in the same order* as the indicator's kernel (which is compiled
without fast-math contraction), so every value is bit-identical to the batch value.

A twin only implements the steady state. During the warm-up (fewer than ``ready`` bars seen)
it runs the kernel's compiled step like any ``IndicatorStream``; once warm it loads the
kernel state into Python attributes (``_load``) and from then on updates in Python. Block
updates (``update_block``) write the Python state back into the kernel state (``_save``), run
the kernel over the block, and load the result, so both paths continue one state.

``IndicatorStream(name)`` returns the twin automatically when one is registered here for the
indicator (:data:`TWINS`); kernels that use fused multiply-add (EMA, RSI, MACD, ATR, ADOSC)
keep the compiled step because Python 3.11 has no ``fma``.
"""

from __future__ import annotations

import abc
from collections import deque
from collections.abc import Callable
from typing import Any

from nautilus.features.base import FloatArray
from nautilus.features.streaming import TWINS, IndicatorStream

NAN = float("nan")
EPS_ZERO = 1e-8


def twin(*names: str) -> Callable[[type[PyStream]], type[PyStream]]:
    """Register ``cls`` as the pure-Python twin of the indicators ``names`` (in ``TWINS``)."""

    def deco(cls: type[PyStream]) -> type[PyStream]:
        for name in names:
            TWINS[name] = cls
        return cls

    return deco


class PyStream(IndicatorStream, metaclass=abc.ABCMeta):
    """Base of the pure-Python twins: warm-up through the kernel, steady state in Python.

    Subclasses set ``_ready`` (bars after which the Python recursion applies) in ``_setup``
    and implement ``_load`` (kernel state -> attributes) and ``_save`` (attributes -> kernel
    state, history buffer included); ``_t`` counts the bars seen while live.
    """

    __slots__ = ("_live", "_ready", "_t")

    def __init__(self, indicator: Any, **params: Any) -> None:
        super().__init__(indicator, **params)
        self._t = 0
        self._ready = 0
        self._setup(self._cfg)
        self._sync()

    @abc.abstractmethod
    def _setup(self, cfg: Any) -> None:
        """Read the parameters; set ``_ready``."""

    @abc.abstractmethod
    def _load(self) -> None:
        """Kernel state and history buffer -> the Python attributes."""

    @abc.abstractmethod
    def _save(self) -> None:
        """The Python attributes -> kernel state and history buffer (via ``_put``)."""

    # --- the link with the kernel state -----------------------------------------------------

    def _sync(self) -> None:
        """After the kernel ran: go live (load its state) once ``_ready`` bars have been seen."""
        t = int(self._st[0])
        self._live = t >= self._ready
        if self._live:
            self._t = t
            self._load()

    def _history(self) -> FloatArray:
        """The last ``history`` raw bars of the kernel buffer, ``(n_inputs, h)``, oldest first
        (only called when live, i.e. at least ``history`` bars were seen)."""
        pos = self._pos
        return self._buf[:, pos - self._h : pos]

    def _put(self, st: list[float], *rows: Any) -> None:
        """Write the kernel state ``st`` (``st[0]`` = bars seen) and the raw history ``rows``
        (one sequence of the last ``history`` values per input, oldest first)."""
        self._st[:] = st
        h = self._h
        if h:
            for k, row in enumerate(rows):
                self._buf[k, :h] = row
        self._pos = h

    @property
    def bars_seen(self) -> int:
        return self._t if self._live else int(self._st[0])

    def reset(self) -> None:
        """Forget every bar seen (back to the warm-up)."""
        IndicatorStream.reset(self)
        self._sync()

    def update_block(self, x: FloatArray) -> FloatArray:
        """Feed raw input rows ``(n_inputs, m)`` through the kernel, continuing this state."""
        if self._live:
            self._save()
        out = IndicatorStream.update_block(self, x)
        self._sync()
        return out

    def _warm(self, *values: float) -> Any:
        """One bar through the compiled kernel step (warm-up), then maybe go live."""
        r = IndicatorStream.push(self, *values)
        if self._st[0] >= self._ready:
            self._sync()
        return r

    def _scalar(self, bar: Any) -> float:
        """The single input of ``bar`` (a Bar, mapping, 1-tuple or number) as a float."""
        (v,) = self._values(bar)
        return float(v)

    def update(self, bar: Any) -> Any:
        """Feed one bar (see :class:`IndicatorStream`); identical to the batch value."""
        return self.push(*[float(v) for v in self._values(bar)])


class PyStream1(PyStream):
    """A twin over one input: ``push1`` is the fast method (``push`` is the same)."""

    __slots__ = ()

    def update(self, bar: Any) -> Any:
        return self.push1(bar if type(bar) is float else self._scalar(bar))


def _deque(rows: Any, n: int) -> deque[float]:
    return deque([float(v) for v in rows], maxlen=n)


# --- SMA / WMA -----------------------------------------------------------------------------


@twin("sma")
class SMAStream(PyStream1):
    """SMA: the sum takes the new close, the output is sum / n, then the sum drops the oldest
    close (TA-Lib's order, as in the kernel)."""

    __slots__ = ("_n", "_sum", "_win")

    def _setup(self, cfg: Any) -> None:
        self._n = float(cfg.timeperiod)
        self._ready = cfg.timeperiod - 1

    def _load(self) -> None:
        self._sum = float(self._st[1])
        self._win = _deque(self._history()[0], self._h)

    def _save(self) -> None:
        self._put([self._t, self._sum], self._win)

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        total = self._sum + v
        self._sum = total - win[0]
        win.append(v)
        self._t += 1
        return total / self._n

    push = push1


@twin("wma")
class WMAStream(PyStream1):
    """WMA: TA-Lib's running weighted sum and plain sum, in the kernel's steady-state order."""

    __slots__ = ("_inv", "_n", "_sub", "_sum", "_win")

    def _setup(self, cfg: Any) -> None:
        n = cfg.timeperiod
        self._n = float(n)
        self._inv = 1.0 / ((n * (n + 1)) >> 1)
        self._ready = n

    def _load(self) -> None:
        self._sum, self._sub = float(self._st[1]), float(self._st[2])
        self._win = _deque(self._history()[0], self._h)

    def _save(self) -> None:
        self._put([self._t, self._sum, self._sub, self._st[3]], self._win)

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        sub = self._sub + (v - win[0])
        win.append(v)
        vn = v * self._n
        total = self._sum
        self._sum = total + (vn - sub)
        self._sub = sub
        self._t += 1
        return (total + vn) * self._inv

    push = push1


# --- DEMA / TEMA (SMA-seeded EMAs chained, ``ema_step``) -----------------------------------


@twin("dema")
class DEMAStream(PyStream1):
    """DEMA = 2*E1 - E2 once both EMAs run two bars at a time (the kernel's steady form):
    ``e = (k*x + (1-k)*k*x_prev) + (1-k)**2 * e_prev2``."""

    __slots__ = ("_a1", "_a2", "_alpha", "_b1", "_b2", "_kk", "_n", "_oo", "_px")

    def _setup(self, cfg: Any) -> None:
        n = cfg.timeperiod
        self._n = n
        k = 2.0 / (n + 1)
        omk = 1.0 - k
        self._alpha, self._kk, self._oo = k, omk * k, omk * omk
        self._ready = 2 * n

    def _load(self) -> None:
        st = self._st
        self._a1, self._b1 = float(st[2]), float(st[5])
        self._a2, self._b2 = float(st[4]), float(st[6])
        self._px = float(self._history()[0, 0])

    def _save(self) -> None:
        t, n = self._t, self._n
        self._put([t, t, self._a1, t - n + 1, self._a2, self._b1, self._b2], [self._px])

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        k = self._alpha
        kk = self._kk
        oo = self._oo
        a1 = self._a1
        e1 = (k * v + kk * self._px) + oo * self._b1
        e2 = (k * e1 + kk * a1) + oo * self._b2
        self._b1, self._a1, self._b2, self._a2 = a1, e1, self._a2, e2
        self._px = v
        self._t += 1
        return 2.0 * e1 - e2

    push = push1


@twin("tema")
class TEMAStream(PyStream1):
    """TEMA = 3*(E1 - E2) + E3 once the three EMAs run two bars at a time (as DEMA)."""

    __slots__ = ("_a1", "_a2", "_a3", "_alpha", "_b1", "_b2", "_b3", "_kk", "_n", "_oo", "_px")

    def _setup(self, cfg: Any) -> None:
        n = cfg.timeperiod
        self._n = n
        k = 2.0 / (n + 1)
        omk = 1.0 - k
        self._alpha, self._kk, self._oo = k, omk * k, omk * omk
        self._ready = 3 * n - 1

    def _load(self) -> None:
        st = self._st
        self._a1, self._b1 = float(st[2]), float(st[7])
        self._a2, self._b2 = float(st[4]), float(st[8])
        self._a3, self._b3 = float(st[6]), float(st[9])
        self._px = float(self._history()[0, 0])

    def _save(self) -> None:
        t, n = self._t, self._n
        st = [t, t, self._a1, t - n + 1, self._a2, t - 2 * n + 2, self._a3]
        self._put([*st, self._b1, self._b2, self._b3], [self._px])

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        k = self._alpha
        kk = self._kk
        oo = self._oo
        a1 = self._a1
        a2 = self._a2
        e1 = (k * v + kk * self._px) + oo * self._b1
        e2 = (k * e1 + kk * a1) + oo * self._b2
        e3 = (k * e2 + kk * a2) + oo * self._b3
        self._b1, self._a1, self._b2, self._a2 = a1, e1, a2, e2
        self._b3, self._a3 = self._a3, e3
        self._px = v
        self._t += 1
        return 3.0 * (e1 - e2) + e3

    push = push1


# --- MOM / ROC family ----------------------------------------------------------------------


class _ChangeStream(PyStream1):
    """Change against the close ``timeperiod`` bars back (the last ``n`` closes kept)."""

    __slots__ = ("_win",)

    def _setup(self, cfg: Any) -> None:
        self._ready = cfg.timeperiod

    def _load(self) -> None:
        self._win = _deque(self._history()[0], self._h)

    def _save(self) -> None:
        self._put([self._t], self._win)


@twin("mom")
class MOMStream(_ChangeStream):
    __slots__ = ()

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        prev = win[0]
        win.append(v)
        self._t += 1
        return v - prev

    push = push1


@twin("roc")
class ROCStream(_ChangeStream):
    __slots__ = ()

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        prev = win[0]
        win.append(v)
        self._t += 1
        return ((v / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0

    push = push1


@twin("rocp")
class ROCPStream(_ChangeStream):
    __slots__ = ()

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        prev = win[0]
        win.append(v)
        self._t += 1
        return (v - prev) / prev if prev != 0.0 else 0.0

    push = push1


@twin("rocr")
class ROCRStream(_ChangeStream):
    __slots__ = ()

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        prev = win[0]
        win.append(v)
        self._t += 1
        return v / prev if prev != 0.0 else 0.0

    push = push1


# --- TRANGE / BOP --------------------------------------------------------------------------


@twin("trange")
class TRangeStream(PyStream):
    """True range; comparisons instead of ``max`` calls (same value for finite inputs)."""

    __slots__ = ("_pc",)

    def _setup(self, cfg: Any) -> None:
        self._ready = 1

    def _load(self) -> None:
        self._pc = float(self._history()[2, 0])

    def _save(self) -> None:
        self._put([self._t], [NAN], [NAN], [self._pc])

    def push(self, h: float, lo: float, c: float) -> Any:  # type: ignore[override]
        if not self._live:
            return self._warm(h, lo, c)
        if h - h + lo - lo + c - c:
            return self._reject((h, lo, c))
        pc = self._pc
        tr = h - lo
        d = pc - h
        if d < 0.0:
            d = -d
        if d > tr:
            tr = d
        d = lo - pc
        if d < 0.0:
            d = -d
        self._pc = c
        self._t += 1
        return d if d > tr else tr


@twin("bop")
class BOPStream(PyStream):
    """Balance of power: stateless."""

    __slots__ = ()

    def _setup(self, cfg: Any) -> None:
        self._ready = 0

    def _load(self) -> None:
        pass

    def _save(self) -> None:
        self._put([self._t])

    def push(self, o: float, h: float, lo: float, c: float) -> Any:  # type: ignore[override]
        if o - o + h - h + lo - lo + c - c:
            return self._reject((o, h, lo, c))
        self._t += 1
        r = h - lo
        return 0.0 if r < EPS_ZERO else (c - o) / r


# --- OBV / A-D -----------------------------------------------------------------------------


@twin("obv")
class OBVStream(PyStream):
    __slots__ = ("_obv", "_pc")

    def _setup(self, cfg: Any) -> None:
        self._ready = 1

    def _load(self) -> None:
        self._obv = float(self._st[1])
        self._pc = float(self._history()[0, 0])

    def _save(self) -> None:
        self._put([self._t, self._obv], [self._pc], [NAN])

    def push(self, c: float, v: float) -> Any:  # type: ignore[override]
        if not self._live:
            return self._warm(c, v)
        if c - c + v - v:
            return self._reject((c, v))
        pc = self._pc
        self._pc = c
        self._t += 1
        if c > pc:
            self._obv += v
        elif c < pc:
            self._obv -= v
        return self._obv


@twin("ad")
class ADStream(PyStream):
    __slots__ = ("_ad",)

    def _setup(self, cfg: Any) -> None:
        self._ready = 0

    def _load(self) -> None:
        self._ad = float(self._st[1])

    def _save(self) -> None:
        self._put([self._t, self._ad])

    def push(self, h: float, lo: float, c: float, v: float) -> Any:  # type: ignore[override]
        if h - h + lo - lo + c - c + v - v:
            return self._reject((h, lo, c, v))
        r = h - lo
        self._t += 1
        if r > 0.0:
            self._ad += (((c - lo) - (h - c)) / r) * v
        else:
            self._ad += 0.0
        return self._ad
