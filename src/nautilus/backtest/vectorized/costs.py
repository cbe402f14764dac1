"""Numba cost primitives of the vectorized kernels: the cfg vector layout, fill prices, fees,
lot flooring and affordability.

Decimal parity. The event-driven venue computes prices and commissions in ``Decimal``: a
slipped price is rounded to the instrument's tick against the trader (buys up, sells down) and
a commission is rounded half-even to the fee model's ``precision``. These kernels do the same
in float64 when ``cfg[C_TICK] > 0`` / ``cfg[C_PRECISION] >= 0``. The float product lands a few
ulps off the exact decimal value, so a scaled value within :data:`SNAP` (relative) of an
integer (tick rounding) or of a half (commission ties) is treated as exactly there: with the
decimal inputs a market order has (prices on a tick grid, bps, per-unit fees) the true value is
at least ``1e-4`` away from such a boundary otherwise, many orders of magnitude above ``SNAP``.
The rounded results are ``integer / 10**d`` divisions, i.e. the float nearest the decimal
value, so they compare equal to ``float(Decimal)`` of the event engine.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

# cfg vector layout (one float64 array keeps the kernel signatures stable)
C_INIT_CASH = 0
C_SIZE = 1
C_SIZE_TYPE = 2
C_FEE_FRAC = 3
C_PER_SHARE = 4
C_FEE_MIN = 5
C_FEE_CAP = 6
C_PRECISION = 7
C_SLIP = 8
C_SL = 9
C_TP = 10
C_TRAIL = 11
C_LOT = 12
C_DRIFT = 13
C_TICK = 14
C_SIZE_AT_SIGNAL = 15
N_CFG = 16

SNAP = 1e-13
"""Relative distance within which a float counts as on a decimal boundary (about 450 ulps)."""

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]

_POW10 = np.array([10.0**i for i in range(23)])  # exact; a constant array in the kernels


@nb.njit(cache=True, inline="always")
def _divide_back(steps: float, unit: float) -> float:
    """``steps * unit`` as the float nearest the decimal value when ``1 / unit`` is an integer
    (0.01 -> divide by 100.0, exact for the integer), else the plain product."""
    inv = 1.0 / unit
    r = math.floor(inv + 0.5)
    if abs(inv - r) <= 1e-9 * r:
        return steps / r
    return steps * unit


@nb.njit(cache=True)
def round_half_even(x: float, precision: int) -> float:
    """``x`` rounded half-even to ``precision`` decimals, ties judged on the decimal value.

    >>> round_half_even(5.015, 2), round_half_even(5.025, 2), round_half_even(-0.125, 2)
    (5.02, 5.02, -0.12)
    """
    scale = _POW10[precision] if 0 <= precision < 23 else 10.0**precision
    y = x * scale
    fl = math.floor(y)
    frac = y - fl
    if abs(frac - 0.5) <= SNAP * max(1.0, abs(y)):
        r = fl if fl % 2.0 == 0.0 else fl + 1.0
    else:
        r = math.floor(y + 0.5)
    return r / scale


@nb.njit(cache=True)
def on_tick(px: float, side: int, tick: float) -> float:
    """``px`` on the ``tick`` grid (> 0), rounded up for a buy (+1) and down for a sell (-1),
    like ``round_against`` at the simulated venue."""
    y = px / tick
    r = math.floor(y + 0.5)
    if abs(y - r) > SNAP * max(1.0, abs(y)):
        r = math.ceil(y) if side > 0 else math.floor(y)
    return _divide_back(r, tick)


@nb.njit(cache=True)
def fill_price(ref: float, side: int, cfg: F8) -> float:
    """Executed price of a market fill of ``side`` (+1 buy, -1 sell) at reference ``ref``:
    slipped by ``cfg[C_SLIP]`` against the trader, then (``cfg[C_TICK] > 0``) put on the tick
    grid rounding against the trader, like ``FixedBpsSlippage`` at the simulated venue."""
    px = ref * (1.0 + side * cfg[C_SLIP])
    if cfg[C_TICK] > 0.0:
        px = on_tick(px, side, cfg[C_TICK])
    return px


@nb.njit(cache=True)
def raw_fee(qty: float, px: float, cfg: F8) -> float:
    """Commission of one fill before rounding (currency)."""
    if qty <= 0.0:
        return 0.0
    notional = qty * px
    fee = cfg[C_FEE_FRAC] * notional
    if cfg[C_PER_SHARE] > 0.0 or cfg[C_FEE_MIN] > 0.0:
        ps = max(cfg[C_FEE_MIN], cfg[C_PER_SHARE] * qty)
        if cfg[C_FEE_CAP] >= 0.0:
            ps = min(ps, cfg[C_FEE_CAP] * notional)
        fee += ps
    return fee


@nb.njit(cache=True)
def fee_of(qty: float, px: float, cfg: F8) -> float:
    """Commission of one fill of ``qty`` units at ``px`` (currency, >= 0 unless rebated),
    rounded half-even to ``cfg[C_PRECISION]`` decimals when that is ``>= 0``."""
    if qty <= 0.0:
        return 0.0
    notional = qty * px
    fee = cfg[C_FEE_FRAC] * notional
    if cfg[C_PER_SHARE] > 0.0 or cfg[C_FEE_MIN] > 0.0:
        ps = max(cfg[C_FEE_MIN], cfg[C_PER_SHARE] * qty)
        if cfg[C_FEE_CAP] >= 0.0:
            ps = min(ps, cfg[C_FEE_CAP] * notional)
        fee += ps
    if cfg[C_PRECISION] >= 0.0:
        fee = round_half_even(fee, int(cfg[C_PRECISION]))
    return fee


@nb.njit(cache=True)
def floor_lot(qty: float, lot: float) -> float:
    """``qty`` (>= 0) floored to a multiple of ``lot`` (a ``1e-9`` lot of slack absorbs float
    error just below a boundary); ``lot <= 0`` keeps it fractional."""
    if lot > 0.0:
        return _divide_back(math.floor(qty / lot + 1e-9), lot)
    return qty


@nb.njit(cache=True)
def affordable_qty(cash: float, px: float, cfg: F8) -> float:
    """Largest quantity whose cost ``qty * px + fee`` fits in ``cash`` (lot-floored)."""
    if cash <= 0.0 or px <= 0.0:
        return 0.0
    a = px * (1.0 + cfg[C_FEE_FRAC])
    best = 0.0
    if cfg[C_PER_SHARE] > 0.0 or cfg[C_FEE_MIN] > 0.0:
        # cost(q) is continuous and increasing: the solution lies in one linear regime; the
        # candidates are checked on the unrounded fee (rounding is handled below)
        cands = np.empty(3)
        cands[0] = (cash - cfg[C_FEE_MIN]) / a
        cands[1] = cash / (a + cfg[C_PER_SHARE])
        cands[2] = cash / (a + cfg[C_FEE_CAP] * px) if cfg[C_FEE_CAP] >= 0.0 else 0.0
        for i in range(3):
            q = cands[i]
            if q > best:
                cost = q * a + (raw_fee(q, px, cfg) - cfg[C_FEE_FRAC] * q * px)
                if cost <= cash * (1.0 + 1e-12):
                    best = q
    else:
        best = cash / a
    best = floor_lot(best, cfg[C_LOT])
    if cfg[C_PRECISION] >= 0.0 and best > 0.0:
        cost = best * px + fee_of(best, px, cfg)
        if cost > cash:
            best = floor_lot(max((cash - fee_of(best, px, cfg)) / px, 0.0), cfg[C_LOT])
    return best
