"""Candlestick patterns with TA-Lib CDL* semantics.

Outputs are TA-Lib's integers as float64: +100 bullish, -100 bearish, 0 none (engulfing and
harami use +/-80 when one body edge is equal). Words like "long body", "very short shadow" or
"near" compare a candle range against TA-Lib's default candle settings: ``factor`` times the
average of a range (real body, high-low, or shadows/2) over the ``avg_period`` bars *before*
the bar in question, kept as TA-Lib's running totals so every comparison matches. Each pattern
has its own fused kernel in :mod:`nautilus.features.pattern_kernels`; all are registered
through ``pattern_kernel``, which picks one by the pattern id passed as the last parameter.

Convention difference: TA-Lib writes 0 during the warm-up; here the warm-up bars are NaN (the
documented lookback of each pattern) and every later bar is -100..100.
"""

from __future__ import annotations

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features import pattern_kernels as pk
from nautilus.features.base import Indicator, Kernel, register


class CandleConfig(FrozenConfig):
    """No parameters: TA-Lib's default candle settings."""


class StarConfig(FrozenConfig):
    """Penetration of the third candle into the first candle's real body."""

    penetration: float = Field(0.3, ge=0.0, le=1e6, description="fraction of the first body")


_SPECS: tuple[tuple[str, Kernel, int, str, str, type[FrozenConfig]], ...] = (
    (
        "cdl_doji",
        pk.cdl_doji,
        pk.LB_DOJI,
        "CDLDOJI",
        "Doji: real body <= 10% of the average high-low range.",
        CandleConfig,
    ),
    (
        "cdl_hammer",
        pk.cdl_hammer,
        pk.LB_HAMMER,
        "CDLHAMMER",
        "Hammer: small body near the prior low, long lower shadow, very short upper shadow (+100).",
        CandleConfig,
    ),
    (
        "cdl_hangingman",
        pk.cdl_hangingman,
        pk.LB_HAMMER,
        "CDLHANGINGMAN",
        "Hanging man: hammer shape whose body is near the prior high (-100).",
        CandleConfig,
    ),
    (
        "cdl_shootingstar",
        pk.cdl_shootingstar,
        pk.LB_STAR1,
        "CDLSHOOTINGSTAR",
        "Shooting star: small body gapping up, long upper shadow, very short lower shadow (-100).",
        CandleConfig,
    ),
    (
        "cdl_invertedhammer",
        pk.cdl_invertedhammer,
        pk.LB_STAR1,
        "CDLINVERTEDHAMMER",
        "Inverted hammer: small body "
        "gapping down, long upper shadow, very short lower shadow (+100).",
        CandleConfig,
    ),
    (
        "cdl_spinningtop",
        pk.cdl_spinningtop,
        pk.LB_SPINNINGTOP,
        "CDLSPINNINGTOP",
        "Spinning top: small body with both shadows longer than the body (sign = candle colour).",
        CandleConfig,
    ),
    (
        "cdl_marubozu",
        pk.cdl_marubozu,
        pk.LB_MARUBOZU,
        "CDLMARUBOZU",
        "Marubozu: long body with very short shadows (sign = candle colour).",
        CandleConfig,
    ),
    (
        "cdl_engulfing",
        pk.cdl_engulfing,
        pk.LB_ENGULFING,
        "CDLENGULFING",
        "Engulfing: the body engulfs the previous "
        "opposite-colour body (+/-100, +/-80 when one edge is equal).",
        CandleConfig,
    ),
    (
        "cdl_harami",
        pk.cdl_harami,
        pk.LB_HARAMI,
        "CDLHARAMI",
        "Harami: a short body inside the previous long body "
        "(+/-100, +/-80 when one edge is equal).",
        CandleConfig,
    ),
    (
        "cdl_morningstar",
        pk.cdl_morningstar,
        pk.LB_STAR3,
        "CDLMORNINGSTAR",
        "Morning star: long black, short star "
        "gapping down, white closing into the first body (+100).",
        StarConfig,
    ),
    (
        "cdl_eveningstar",
        pk.cdl_eveningstar,
        pk.LB_STAR3,
        "CDLEVENINGSTAR",
        "Evening star: long white, short star "
        "gapping up, black closing into the first body (-100).",
        StarConfig,
    ),
    (
        "cdl_3whitesoldiers",
        pk.cdl_3whitesoldiers,
        pk.LB_WHITESOLDIERS,
        "CDL3WHITESOLDIERS",
        "Three advancing white soldiers with very short upper shadows (+100).",
        CandleConfig,
    ),
    (
        "cdl_3blackcrows",
        pk.cdl_3blackcrows,
        pk.LB_BLACKCROWS,
        "CDL3BLACKCROWS",
        "Three black crows after a white candle, with very short lower shadows (-100).",
        CandleConfig,
    ),
)

for _name, _kernel, _lb, _ta, _summary, _base in _SPECS:
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
            pk.pattern_kernel,
            lambda c: pk.STATE_SIZE,
            lambda c, lb=_lb: lb,
            talib=_ta,
            fixed_params=(float(pk.PATTERN_KERNELS.index(_kernel)),),
            row_inputs=True,
            checks_finite=_kernel is pk.cdl_doji,
        )
    )
