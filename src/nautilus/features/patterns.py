"""Candlestick patterns with TA-Lib CDL* semantics.

Outputs are TA-Lib's integers as float64: +100 bullish, -100 bearish, 0 none (engulfing and
harami use +/-80 when one body edge is equal). Words like "long body", "very short shadow" or
"near" compare a candle range against TA-Lib's default candle settings: ``factor`` times the
average of a range (real body, high-low, or shadows/2) over the ``avg_period`` bars *before*
the bar in question, kept as TA-Lib's running totals so every comparison matches.

Convention difference: TA-Lib writes 0 during the warm-up; here the warm-up bars are NaN (the
documented lookback of each pattern) and every later bar is -100..100.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import NAN

# TA-Lib default candle settings: range kind (0 real body, 1 high-low, 2 shadows), average
# period, factor.
BODY_LONG, BODY_VERY_LONG, BODY_SHORT, BODY_DOJI = 0, 1, 2, 3
SHADOW_LONG, SHADOW_VERY_LONG, SHADOW_SHORT, SHADOW_VERY_SHORT = 4, 5, 6, 7
NEAR, FAR, EQUAL = 8, 9, 10
KIND = np.array([0, 0, 0, 1, 0, 0, 2, 1, 1, 1, 1], dtype=np.int64)
PERIOD = np.array([10, 10, 10, 10, 0, 0, 10, 10, 5, 5, 5], dtype=np.int64)
FACTOR = np.array([1.0, 3.0, 1.0, 0.1, 1.0, 2.0, 1.0, 0.1, 0.2, 0.6, 0.05])

# Patterns and the running averages each needs: (setting, bars back) pairs.
DOJI, HAMMER, HANGINGMAN, SHOOTINGSTAR, INVERTEDHAMMER, SPINNINGTOP = 0, 1, 2, 3, 4, 5
MARUBOZU, ENGULFING, HARAMI, MORNINGSTAR, EVENINGSTAR, WHITESOLDIERS, BLACKCROWS = (
    6,
    7,
    8,
    9,
    10,
    11,
    12,
)
_TRACKERS: dict[int, list[tuple[int, int]]] = {
    DOJI: [(BODY_DOJI, 0)],
    HAMMER: [(BODY_SHORT, 0), (SHADOW_LONG, 0), (SHADOW_VERY_SHORT, 0), (NEAR, 1)],
    HANGINGMAN: [(BODY_SHORT, 0), (SHADOW_LONG, 0), (SHADOW_VERY_SHORT, 0), (NEAR, 1)],
    SHOOTINGSTAR: [(BODY_SHORT, 0), (SHADOW_LONG, 0), (SHADOW_VERY_SHORT, 0)],
    INVERTEDHAMMER: [(BODY_SHORT, 0), (SHADOW_LONG, 0), (SHADOW_VERY_SHORT, 0)],
    SPINNINGTOP: [(BODY_SHORT, 0)],
    MARUBOZU: [(BODY_LONG, 0), (SHADOW_VERY_SHORT, 0)],
    ENGULFING: [],
    HARAMI: [(BODY_LONG, 1), (BODY_SHORT, 0)],
    MORNINGSTAR: [(BODY_LONG, 2), (BODY_SHORT, 1), (BODY_SHORT, 0)],
    EVENINGSTAR: [(BODY_LONG, 2), (BODY_SHORT, 1), (BODY_SHORT, 0)],
    WHITESOLDIERS: [
        (SHADOW_VERY_SHORT, 2),
        (SHADOW_VERY_SHORT, 1),
        (SHADOW_VERY_SHORT, 0),
        (NEAR, 2),
        (NEAR, 1),
        (FAR, 2),
        (FAR, 1),
        (BODY_SHORT, 0),
    ],
    BLACKCROWS: [(SHADOW_VERY_SHORT, 2), (SHADOW_VERY_SHORT, 1), (SHADOW_VERY_SHORT, 0)],
}
N_PATTERNS = 13
MAX_TRACKERS = 8
TRK_N = np.zeros(N_PATTERNS, dtype=np.int64)
TRK_S = np.zeros((N_PATTERNS, MAX_TRACKERS), dtype=np.int64)
TRK_D = np.zeros((N_PATTERNS, MAX_TRACKERS), dtype=np.int64)
for _pat, _trk in _TRACKERS.items():
    TRK_N[_pat] = len(_trk)
    for _k, (_s, _d) in enumerate(_trk):
        TRK_S[_pat, _k] = _s
        TRK_D[_pat, _k] = _d
# lookbacks as in TA-Lib's *_Lookback functions
LOOKBACK = np.array([10, 11, 11, 11, 11, 10, 10, 2, 11, 12, 12, 12, 13], dtype=np.int64)


@njit(cache=True, inline="always")
def _range(x, j, kind):  # type: ignore[no-untyped-def]
    o, h, lo, c = x[0, j], x[1, j], x[2, j], x[3, j]
    if kind == 0:
        return math.fabs(c - o)
    if kind == 1:
        return h - lo
    return (h - (c if c >= o else o)) + ((o if c >= o else c) - lo)


@njit(cache=True, inline="always")
def _avg(x, i, st, pat, k):  # type: ignore[no-untyped-def]
    """TA_CANDLEAVERAGE of tracker ``k`` of ``pat`` at bar ``i``."""
    s = TRK_S[pat, k]
    per = PERIOD[s]
    base = st[1 + k] / per if per != 0 else _range(x, i - TRK_D[pat, k], KIND[s])
    return FACTOR[s] * base / (2.0 if KIND[s] == 2 else 1.0)


@njit(cache=True, inline="always")
def _color(x, j):  # type: ignore[no-untyped-def]
    return 1 if x[3, j] >= x[0, j] else -1


@njit(cache=True, inline="always")
def _upper(x, j):  # type: ignore[no-untyped-def]
    return x[1, j] - (x[3, j] if x[3, j] >= x[0, j] else x[0, j])


@njit(cache=True, inline="always")
def _lower(x, j):  # type: ignore[no-untyped-def]
    return (x[0, j] if x[3, j] >= x[0, j] else x[3, j]) - x[2, j]


@njit(cache=True, inline="always")
def _body(x, j):  # type: ignore[no-untyped-def]
    return math.fabs(x[3, j] - x[0, j])


@njit(cache=True)
def _eval(x, i, p, st, pat):  # type: ignore[no-untyped-def]
    o, h, lo, c = x[0], x[1], x[2], x[3]
    if pat == DOJI:
        return 100.0 if _body(x, i) <= _avg(x, i, st, pat, 0) else 0.0
    if pat == HAMMER or pat == HANGINGMAN:
        if (
            _body(x, i) < _avg(x, i, st, pat, 0)
            and _lower(x, i) > _avg(x, i, st, pat, 1)
            and _upper(x, i) < _avg(x, i, st, pat, 2)
        ):
            if pat == HAMMER:
                if min(c[i], o[i]) <= lo[i - 1] + _avg(x, i, st, pat, 3):
                    return 100.0
            elif min(c[i], o[i]) >= h[i - 1] - _avg(x, i, st, pat, 3):
                return -100.0
        return 0.0
    if pat == SHOOTINGSTAR or pat == INVERTEDHAMMER:
        if (
            _body(x, i) < _avg(x, i, st, pat, 0)
            and _upper(x, i) > _avg(x, i, st, pat, 1)
            and _lower(x, i) < _avg(x, i, st, pat, 2)
        ):
            if pat == SHOOTINGSTAR:
                if min(o[i], c[i]) > max(o[i - 1], c[i - 1]):
                    return -100.0
            elif max(o[i], c[i]) < min(o[i - 1], c[i - 1]):
                return 100.0
        return 0.0
    if pat == SPINNINGTOP:
        b = _body(x, i)
        if b < _avg(x, i, st, pat, 0) and _upper(x, i) > b and _lower(x, i) > b:
            return _color(x, i) * 100.0
        return 0.0
    if pat == MARUBOZU:
        if (
            _body(x, i) > _avg(x, i, st, pat, 0)
            and _upper(x, i) < _avg(x, i, st, pat, 1)
            and _lower(x, i) < _avg(x, i, st, pat, 1)
        ):
            return _color(x, i) * 100.0
        return 0.0
    if pat == ENGULFING:
        c0, c1 = _color(x, i), _color(x, i - 1)
        if (
            c0 == 1
            and c1 == -1
            and ((c[i] >= o[i - 1] and o[i] < c[i - 1]) or (c[i] > o[i - 1] and o[i] <= c[i - 1]))
        ) or (
            c0 == -1
            and c1 == 1
            and ((o[i] >= c[i - 1] and c[i] < o[i - 1]) or (o[i] > c[i - 1] and c[i] <= o[i - 1]))
        ):
            if o[i] != c[i - 1] and c[i] != o[i - 1]:
                return c0 * 100.0
            return c0 * 80.0
        return 0.0
    if pat == HARAMI:
        if _body(x, i - 1) > _avg(x, i, st, pat, 0) and _body(x, i) <= _avg(x, i, st, pat, 1):
            hi0, lo0 = max(c[i], o[i]), min(c[i], o[i])
            hi1, lo1 = max(c[i - 1], o[i - 1]), min(c[i - 1], o[i - 1])
            if hi0 < hi1 and lo0 > lo1:
                return -_color(x, i - 1) * 100.0
            if hi0 <= hi1 and lo0 >= lo1:
                return -_color(x, i - 1) * 80.0
        return 0.0
    if pat == MORNINGSTAR:
        pen = p[0]
        if (
            _color(x, i - 2) == -1
            and _color(x, i) == 1
            and max(o[i - 1], c[i - 1]) < min(o[i - 2], c[i - 2])
            and c[i] > c[i - 2] + _body(x, i - 2) * pen
            and _body(x, i - 2) > _avg(x, i, st, pat, 0)
            and _body(x, i - 1) <= _avg(x, i, st, pat, 1)
            and _body(x, i) > _avg(x, i, st, pat, 2)
        ):
            return 100.0
        return 0.0
    if pat == EVENINGSTAR:
        pen = p[0]
        if (
            _body(x, i - 2) > _avg(x, i, st, pat, 0)
            and _color(x, i - 2) == 1
            and _body(x, i - 1) <= _avg(x, i, st, pat, 1)
            and min(o[i - 1], c[i - 1]) > max(o[i - 2], c[i - 2])
            and _body(x, i) > _avg(x, i, st, pat, 2)
            and _color(x, i) == -1
            and c[i] < c[i - 2] - _body(x, i - 2) * pen
        ):
            return -100.0
        return 0.0
    if pat == WHITESOLDIERS:
        if (
            _color(x, i - 2) == 1
            and _upper(x, i - 2) < _avg(x, i, st, pat, 0)
            and _color(x, i - 1) == 1
            and _upper(x, i - 1) < _avg(x, i, st, pat, 1)
            and _color(x, i) == 1
            and _upper(x, i) < _avg(x, i, st, pat, 2)
            and c[i] > c[i - 1]
            and c[i - 1] > c[i - 2]
            and o[i - 1] > o[i - 2]
            and o[i - 1] <= c[i - 2] + _avg(x, i, st, pat, 3)
            and o[i] > o[i - 1]
            and o[i] <= c[i - 1] + _avg(x, i, st, pat, 4)
            and _body(x, i - 1) > _body(x, i - 2) - _avg(x, i, st, pat, 5)
            and _body(x, i) > _body(x, i - 1) - _avg(x, i, st, pat, 6)
            and _body(x, i) > _avg(x, i, st, pat, 7)
        ):
            return 100.0
        return 0.0
    # BLACKCROWS
    if (
        _color(x, i - 3) == 1
        and _color(x, i - 2) == -1
        and _lower(x, i - 2) < _avg(x, i, st, pat, 0)
        and _color(x, i - 1) == -1
        and _lower(x, i - 1) < _avg(x, i, st, pat, 1)
        and _color(x, i) == -1
        and _lower(x, i) < _avg(x, i, st, pat, 2)
        and o[i - 1] < o[i - 2]
        and o[i - 1] > c[i - 2]
        and o[i] < o[i - 1]
        and o[i] > c[i - 1]
        and h[i - 3] > c[i - 2]
        and c[i - 2] > c[i - 1]
        and c[i - 1] > c[i]
    ):
        return -100.0
    return 0.0


@njit(cache=True)
def _pattern(x, start, stop, p, st, out, pat):  # type: ignore[no-untyped-def]
    lb = LOOKBACK[pat]
    nt = TRK_N[pat]
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        if t < lb:
            out[0, i - start] = NAN
            continue
        if t == lb:
            # TA-Lib primes each total over the avg_period bars before its bar, in order
            for k in range(nt):
                s, d = TRK_S[pat, k], TRK_D[pat, k]
                tot = 0.0
                for j in range(i - d - PERIOD[s], i - d):
                    tot += _range(x, j, KIND[s])
                st[1 + k] = tot
        out[0, i - start] = _eval(x, i, p, st, pat)
        for k in range(nt):
            s, d = TRK_S[pat, k], TRK_D[pat, k]
            if PERIOD[s] != 0:
                st[1 + k] += _range(x, i - d, KIND[s]) - _range(x, i - d - PERIOD[s], KIND[s])
    st[0] += stop - start


class CandleConfig(FrozenConfig):
    """No parameters: TA-Lib's default candle settings."""


class StarConfig(FrozenConfig):
    """Penetration of the third candle into the first candle's real body."""

    penetration: float = Field(0.3, ge=0.0, le=1e6, description="fraction of the first body")


@njit(cache=True)
def pattern_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    """One compiled kernel for every pattern: the pattern id is the last parameter."""
    _pattern(x, start, stop, p, st, out, int(p[p.shape[0] - 1]))


_SPECS: tuple[tuple[str, int, str, str, type[FrozenConfig]], ...] = (
    (
        "cdl_doji",
        DOJI,
        "CDLDOJI",
        "Doji: real body <= 10% of the average high-low range.",
        CandleConfig,
    ),
    (
        "cdl_hammer",
        HAMMER,
        "CDLHAMMER",
        "Hammer: small body near the prior low, long lower shadow, very short upper shadow (+100).",
        CandleConfig,
    ),
    (
        "cdl_hangingman",
        HANGINGMAN,
        "CDLHANGINGMAN",
        "Hanging man: hammer shape whose body is near the prior high (-100).",
        CandleConfig,
    ),
    (
        "cdl_shootingstar",
        SHOOTINGSTAR,
        "CDLSHOOTINGSTAR",
        "Shooting star: small body gapping up, long upper shadow, very short lower shadow (-100).",
        CandleConfig,
    ),
    (
        "cdl_invertedhammer",
        INVERTEDHAMMER,
        "CDLINVERTEDHAMMER",
        "Inverted hammer: small body "
        "gapping down, long upper shadow, very short lower shadow (+100).",
        CandleConfig,
    ),
    (
        "cdl_spinningtop",
        SPINNINGTOP,
        "CDLSPINNINGTOP",
        "Spinning top: small body with both shadows longer than the body (sign = candle colour).",
        CandleConfig,
    ),
    (
        "cdl_marubozu",
        MARUBOZU,
        "CDLMARUBOZU",
        "Marubozu: long body with very short shadows (sign = candle colour).",
        CandleConfig,
    ),
    (
        "cdl_engulfing",
        ENGULFING,
        "CDLENGULFING",
        "Engulfing: the body engulfs the previous "
        "opposite-colour body (+/-100, +/-80 when one edge is equal).",
        CandleConfig,
    ),
    (
        "cdl_harami",
        HARAMI,
        "CDLHARAMI",
        "Harami: a short body inside the previous long body "
        "(+/-100, +/-80 when one edge is equal).",
        CandleConfig,
    ),
    (
        "cdl_morningstar",
        MORNINGSTAR,
        "CDLMORNINGSTAR",
        "Morning star: long black, short star "
        "gapping down, white closing into the first body (+100).",
        StarConfig,
    ),
    (
        "cdl_eveningstar",
        EVENINGSTAR,
        "CDLEVENINGSTAR",
        "Evening star: long white, short star "
        "gapping up, black closing into the first body (-100).",
        StarConfig,
    ),
    (
        "cdl_3whitesoldiers",
        WHITESOLDIERS,
        "CDL3WHITESOLDIERS",
        "Three advancing white soldiers with very short upper shadows (+100).",
        CandleConfig,
    ),
    (
        "cdl_3blackcrows",
        BLACKCROWS,
        "CDL3BLACKCROWS",
        "Three black crows after a white candle, with very short lower shadows (-100).",
        CandleConfig,
    ),
)

for _name, _pat, _ta, _summary, _base in _SPECS:
    _lb = int(LOOKBACK[_pat])
    _cfg = type(
        "".join(w.title() for w in _name.split("_")) + "Config",
        (_base,),
        {
            "__doc__": f"{_summary} (TA-Lib {_ta}).\n\n    Warm-up: {_lb} leading NaNs (TA-Lib "
            "writes 0 there). Units: pattern score -100..100.\n    "
        },
    )
    register(
        Indicator(
            _name,
            "patterns",
            ("open", "high", "low", "close"),
            (_name,),
            _cfg,
            pattern_kernel,
            lambda c: 1 + MAX_TRACKERS,
            lambda c, lb=_lb: lb,
            talib=_ta,
            fixed_params=(float(_pat),),
        )
    )
