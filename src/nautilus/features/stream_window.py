"""Pure-Python twins of the windowed indicators: rolling moments, windowed volume sums and
the force index (see :mod:`nautilus.features.stream_py` for the contract).

Windows are ``deque(maxlen=n)`` of the last raw bars (their oldest element is the bar that
leaves the window).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from nautilus.features.stream_py import EPS_ZERO, NAN, PyStream, PyStream1, _deque, twin

# --- BBANDS / STDDEV / VAR -----------------------------------------------------------------


@twin("bbands")
class BBandsStream(PyStream1):
    """Bollinger bands from the running sums of x and x^2 (the kernel's E[x^2] - mean^2)."""

    __slots__ = ("_dn", "_inv", "_s1", "_s2", "_up", "_win")

    def _setup(self, cfg: Any) -> None:
        self._inv = 1.0 / cfg.timeperiod
        self._up, self._dn = float(cfg.nbdevup), float(cfg.nbdevdn)
        self._ready = cfg.timeperiod - 1

    def _load(self) -> None:
        self._s1, self._s2 = float(self._st[1]), float(self._st[2])
        self._win = _deque(self._history()[0], self._h)

    def _save(self) -> None:
        self._put([self._t, self._s1, self._s2], self._win)

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        s1 = self._s1 + v
        s2 = self._s2 + v * v
        inv = self._inv
        mid = s1 * inv
        m2 = s2 * inv
        win = self._win
        old = win[0]
        win.append(v)
        self._s1 = s1 - old
        self._s2 = s2 - old * old
        m2 -= mid * mid
        sd = math.sqrt(m2) if m2 >= EPS_ZERO else 0.0
        self._t += 1
        return (mid + sd * self._up, mid, mid - sd * self._dn)

    push = push1


@twin("stddev", "var")
class VarianceStream(PyStream1):
    """Population variance from sums of deviations from an anchor, re-anchored and summed
    afresh every ``n * max(1, 32 // n)`` bars (the kernel's cycle, counted from the first full
    window); STDDEV = sqrt(var) * nbdev."""

    __slots__ = ("_anchor", "_cycle", "_inv", "_nbdev", "_phase", "_s1", "_s2", "_sd", "_win")

    def _setup(self, cfg: Any) -> None:
        n = cfg.timeperiod
        self._inv = 1.0 / n
        self._cycle = n * max(1, 32 // n)
        self._nbdev = float(cfg.nbdev)
        self._sd = self.indicator.name == "stddev"
        self._ready = n

    def _load(self) -> None:
        st = self._st
        self._anchor, self._s1, self._s2 = float(st[1]), float(st[2]), float(st[3])
        self._win = _deque(self._history()[0], self._h)
        self._phase = (self._t - self._h + 1) % self._cycle

    def _save(self) -> None:
        self._put([self._t, self._anchor, self._s1, self._s2], self._win)

    def push1(self, v: float) -> Any:
        if not self._live:
            return self._warm(v)
        if v - v:
            return self._reject((v,))
        win = self._win
        phase = self._phase
        if phase:
            # the kernel's update: d^2 - e^2 as (v - w) * ((v + w) - 2K)
            k = self._anchor
            w = win[0]
            diff = v - w
            s1 = self._s1 + diff
            s2 = self._s2 + diff * ((v + w) - (k + k))
            win.append(v)
        else:
            win.append(v)
            self._anchor = k = v
            s1 = s2 = 0.0
            for x in win:
                d = x - k
                s1 += d
                s2 += d * d
        phase += 1
        self._phase = 0 if phase == self._cycle else phase
        self._s1 = s1
        self._s2 = s2
        self._t += 1
        inv = self._inv
        m = s1 * inv
        var = s2 * inv - m * m
        if self._sd:
            return math.sqrt(var) * self._nbdev if var >= EPS_ZERO else 0.0
        return var

    push = push1


# --- windowed volume sums: VWMA / CMF / EOM; force index ----------------------------------


@twin("vwma")
class VWMAStream(PyStream):
    __slots__ = ("_spv", "_sv", "_wc", "_wv")

    def _setup(self, cfg: Any) -> None:
        self._ready = cfg.timeperiod - 1

    def _load(self) -> None:
        self._spv, self._sv = float(self._st[1]), float(self._st[2])
        hist = self._history()
        self._wc = _deque(hist[0], self._h)
        self._wv = _deque(hist[1], self._h)

    def _save(self) -> None:
        self._put([self._t, self._spv, self._sv], self._wc, self._wv)

    def push(self, c: float, vol: float) -> Any:  # type: ignore[override]
        if not self._live:
            return self._warm(c, vol)
        if c - c + vol - vol:
            return self._reject((c, vol))
        spv = self._spv + c * vol
        sv = self._sv + vol
        wc = self._wc
        wv = self._wv
        oc = wc[0]
        ov = wv[0]
        wc.append(c)
        wv.append(vol)
        self._spv = spv - oc * ov
        self._sv = sv - ov
        self._t += 1
        return spv / sv if sv != 0.0 else NAN


def _ad_flow(h: float, lo: float, c: float, v: float) -> float:
    r = h - lo
    return (((c - lo) - (h - c)) / r) * v if r > 0.0 else 0.0


@twin("cmf")
class CMFStream(PyStream):
    """Chaikin money flow: windowed sums of the A/D flow and of the volume."""

    __slots__ = ("_raw", "_smf", "_sv", "_wf")

    def _setup(self, cfg: Any) -> None:
        self._ready = cfg.timeperiod - 1

    def _load(self) -> None:
        self._smf, self._sv = float(self._st[1]), float(self._st[2])
        hist = self._history()
        self._raw = deque([tuple(float(v) for v in col) for col in hist.T], maxlen=self._h)
        self._wf = deque([_ad_flow(*bar) for bar in self._raw], maxlen=self._h)

    def _save(self) -> None:
        self._put([self._t, self._smf, self._sv], *zip(*self._raw, strict=True))

    def push(self, h: float, lo: float, c: float, v: float) -> Any:  # type: ignore[override]
        if not self._live:
            return self._warm(h, lo, c, v)
        if h - h + lo - lo + c - c + v - v:
            return self._reject((h, lo, c, v))
        r = h - lo
        f = (((c - lo) - (h - c)) / r) * v if r > 0.0 else 0.0
        smf = self._smf + f
        sv = self._sv + v
        raw = self._raw
        wf = self._wf
        ov = raw[0][3]
        of = wf[0]
        raw.append((h, lo, c, v))
        wf.append(f)
        self._smf = smf - of
        self._sv = sv - ov
        self._t += 1
        return smf / sv if sv != 0.0 else NAN


@twin("eom")
class EOMStream(PyStream):
    """Ease of movement: windowed sum of the per-bar values (each computed once)."""

    __slots__ = ("_div", "_n", "_raw", "_s", "_we")

    def _setup(self, cfg: Any) -> None:
        self._n = float(cfg.timeperiod)
        self._div = float(cfg.volume_divisor)
        self._ready = cfg.timeperiod

    def _emv(self, prev: tuple[float, ...], h: float, lo: float, v: float) -> float:
        dm = (h + lo) / 2.0 - (prev[0] + prev[1]) / 2.0
        return 0.0 if v == 0.0 else dm * (h - lo) / (v / self._div)

    def _load(self) -> None:
        self._s = float(self._st[1])
        raw = [tuple(float(v) for v in col) for col in self._history().T]
        self._raw = deque(raw, maxlen=self._h)
        ems = [self._emv(raw[j - 1], *raw[j]) for j in range(1, len(raw))]
        self._we = deque(ems, maxlen=self._h)

    def _save(self) -> None:
        self._put([self._t, self._s], *zip(*self._raw, strict=True))

    def push(self, h: float, lo: float, v: float) -> Any:  # type: ignore[override]
        if not self._live:
            return self._warm(h, lo, v)
        if h - h + lo - lo + v - v:
            return self._reject((h, lo, v))
        raw = self._raw
        prev = raw[-1]
        dm = (h + lo) / 2.0 - (prev[0] + prev[1]) / 2.0
        e = 0.0 if v == 0.0 else dm * (h - lo) / (v / self._div)
        raw.append((h, lo, v))
        s = self._s + e
        we = self._we
        we.append(e)
        self._s = s - we[0]
        self._t += 1
        return s / self._n


@twin("force_index")
class ForceIndexStream(PyStream):
    """EMA of (close - previous close) * volume, SMA-seeded (``ema_step``)."""

    __slots__ = ("_alpha", "_e", "_pc")

    def _setup(self, cfg: Any) -> None:
        self._alpha = 2.0 / (cfg.timeperiod + 1)
        self._ready = cfg.timeperiod + 1

    def _load(self) -> None:
        self._e = float(self._st[2])
        self._pc = float(self._history()[0, 0])

    def _save(self) -> None:
        self._put([self._t, self._t - 1, self._e], [self._pc], [NAN])

    def push(self, c: float, vol: float) -> Any:  # type: ignore[override]
        if not self._live:
            return self._warm(c, vol)
        if c - c + vol - vol:
            return self._reject((c, vol))
        x = (c - self._pc) * vol
        e = self._e
        e = (x - e) * self._alpha + e
        self._e = e
        self._pc = c
        self._t += 1
        return e
