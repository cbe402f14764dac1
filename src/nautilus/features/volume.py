"""Volume indicators: OBV, accumulation/distribution, Chaikin oscillator and money flow,
force index, ease of movement.

Cumulative indicators (OBV, A/D) depend on where the series starts; they are defined from the
first bar given (TA-Lib's convention: OBV starts at the first bar's volume, A/D at 0 + the first
bar's flow).
"""

from __future__ import annotations

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import NAN, PIPE_BLOCK, ema_step, fma, nonfinite

PERIOD_MAX = 100_000
_HLCV = ("high", "low", "close", "volume")


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


class OBVConfig(FrozenConfig):
    """On-balance volume (TA-Lib OBV): starts at the first bar's volume, then adds the volume
    of up-closes and subtracts that of down-closes. Warm-up: none. Units: volume.
    """


@njit(cache=True)
def obv_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    c, v = x[0], x[1]
    o = out[0]
    obv = st[1]
    first = start
    if st[0] == 0 and stop > start:
        obv = v[start]
        o[0] = obv
        first = start + 1
    # the signed volume is selected without a branch (up and down closes alternate at random)
    cs, ps, vs, dst = c[first:stop], c[first - 1 : stop - 1], v[first:stop], o[first - start :]
    for j in range(stop - first):
        cj = cs[j]
        pj = ps[j]
        vj = vs[j]
        d = vj if cj > pj else 0.0
        obv += -vj if cj < pj else d
        dst[j] = obv
    st[1] = obv
    st[0] += stop - start


register(
    Indicator(
        "obv",
        "volume",
        ("close", "volume"),
        ("obv",),
        OBVConfig,
        obv_kernel,
        lambda c: 2,
        lambda c: 0,
        history=lambda c: 1,
        talib="OBV",
        row_inputs=True,
    )
)


@njit(cache=True, inline="always")
def _ad_flow(h, lo, c, v):  # type: ignore[no-untyped-def]
    r = h - lo
    if r > 0.0:
        return (((c - lo) - (h - c)) / r) * v
    return 0.0


class ADConfig(FrozenConfig):
    """Chaikin accumulation/distribution line (TA-Lib AD): cumulative
    ((close-low)-(high-close))/(high-low) * volume; bars with high == low add 0.
    Warm-up: none. Units: volume.
    """


@njit(cache=True, inline="always")
def _flows_into(x, o, start, b1, b2):  # type: ignore[no-untyped-def]
    """``o[i - start]`` = the money-flow volume of bar ``i`` for the bars ``b1..b2-1``
    (vectorised: the divisions run packed); True if a value of those bars may be non-finite."""
    h, lo, c, v = x[0][b1:b2], x[1][b1:b2], x[2][b1:b2], x[3][b1:b2]
    dst = o[b1 - start : b2 - start]
    bad = False
    for j in range(b2 - b1):
        hj, lj, cj, vj = h[j], lo[j], c[j], v[j]
        bad |= nonfinite(hj + lj + cj + vj)
        dst[j] = _ad_flow(hj, lj, cj, vj)
    return bad


@njit(cache=True)
def ad_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    ad = st[1]
    o = out[0]
    # software-pipelined blocks (see PIPE_BLOCK; twice as long here, as the running sum is
    # the shortest chain): the flows of the next block, then the sum over the current one
    b0, b1 = start, min(stop, start + 2 * PIPE_BLOCK)
    bad = _flows_into(x, o, start, b0, b1)
    while b0 < stop:
        b2 = min(stop, b1 + 2 * PIPE_BLOCK)
        bad |= _flows_into(x, o, start, b1, b2)
        dst = o[b0 - start : b1 - start]
        for j in range(b1 - b0):
            ad += dst[j]
            dst[j] = ad
        b0, b1 = b1, b2
    st[1] = ad
    st[0] += stop - start
    return bad


register(
    Indicator(
        "ad",
        "volume",
        _HLCV,
        ("ad",),
        ADConfig,
        ad_kernel,
        lambda c: 2,
        lambda c: 0,
        talib="AD",
        row_inputs=True,
        checks_finite=True,
    )
)


class ADOSCConfig(FrozenConfig):
    """Chaikin A/D oscillator EMA(AD, fast) - EMA(AD, slow) (TA-Lib ADOSC: both EMAs start at
    the first A/D value, not at an SMA). Warm-up: ``max(fast, slow) - 1`` leading NaNs.
    Units: volume.
    """

    fastperiod: int = _period(3)
    slowperiod: int = _period(10)


@njit(cache=True)
def adosc_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fast, slow = int(p[0]), int(p[1])
    kf, ks = 2.0 / (fast + 1), 2.0 / (slow + 1)
    lb = max(fast, slow) - 1
    t0 = int(st[0]) - start
    ad, ef, es = st[1], st[2], st[3]
    h, lo, c, v = x[0], x[1], x[2], x[3]
    o = out[0]
    omf, oms = 1.0 - kf, 1.0 - ks
    steady = min(stop, max(start, start + max(lb, 1) - int(st[0])))
    bad = False
    for i in range(start, steady):
        t = t0 + i
        bad |= nonfinite(h[i] + lo[i] + c[i] + v[i])
        ad += _ad_flow(h[i], lo[i], c[i], v[i])
        if t == 0:
            ef = ad
            es = ad
        else:
            ef = fma(omf, ef, kf * ad)
            es = fma(oms, es, ks * ad)
        o[i - start] = ef - es if t >= lb else NAN
    # past the warm-up: the same recurrences in software-pipelined blocks (see PIPE_BLOCK),
    # the flows of the next block first; each EMA step is one fused multiply-add on its
    # loop-carried chain (TA-Lib's FMA build does the same)
    b0, b1 = steady, min(stop, steady + PIPE_BLOCK)
    bad |= _flows_into(x, o, start, b0, b1)
    while b0 < stop:
        b2 = min(stop, b1 + PIPE_BLOCK)
        bad |= _flows_into(x, o, start, b1, b2)
        dst = o[b0 - start : b1 - start]
        for j in range(b1 - b0):
            ad += dst[j]
            ef = fma(omf, ef, kf * ad)
            es = fma(oms, es, ks * ad)
            dst[j] = ef - es
        b0, b1 = b1, b2
    st[1], st[2], st[3] = ad, ef, es
    st[0] += stop - start
    return bad


register(
    Indicator(
        "adosc",
        "volume",
        _HLCV,
        ("adosc",),
        ADOSCConfig,
        adosc_kernel,
        lambda c: 4,
        lambda c: max(c.fastperiod, c.slowperiod) - 1,
        talib="ADOSC",
        row_inputs=True,
        checks_finite=True,
    )
)


class CMFConfig(FrozenConfig):
    """Chaikin money flow: sum of money-flow volume / sum of volume over the window, money-flow
    multiplier ((close-low)-(high-close))/(high-low) (0 when high == low); a window with zero
    volume gives NaN. Warm-up: ``timeperiod - 1`` leading NaNs. Units: dimensionless, -1..1.
    """

    timeperiod: int = _period(20)


@njit(cache=True)
def cmf_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    t0 = int(st[0]) - start
    smf, sv = st[1], st[2]
    h, lo, c, v = x[0], x[1], x[2], x[3]
    for i in range(start, stop):
        t = t0 + i
        smf += _ad_flow(h[i], lo[i], c[i], v[i])
        sv += v[i]
        if t >= n - 1:
            out[0, i - start] = smf / sv if sv != 0.0 else NAN
            j = i - n + 1
            smf -= _ad_flow(h[j], lo[j], c[j], v[j])
            sv -= v[j]
        else:
            out[0, i - start] = NAN
    st[1], st[2] = smf, sv
    st[0] += stop - start


register(
    Indicator(
        "cmf",
        "volume",
        _HLCV,
        ("cmf",),
        CMFConfig,
        cmf_kernel,
        lambda c: 3,
        lambda c: c.timeperiod - 1,
        row_inputs=True,
    )
)


class ForceIndexConfig(FrozenConfig):
    """Elder force index: EMA(``timeperiod``) of (close - previous close) * volume, the EMA
    seeded with the SMA of its first ``timeperiod`` values. Warm-up: ``timeperiod`` leading
    NaNs. Units: price * volume.
    """

    timeperiod: int = _period(13, 1)


@njit(cache=True)
def force_index_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    k = 2.0 / (n + 1)
    t0 = int(st[0]) - start
    for i in range(start, stop):
        if t0 + i == 0:
            out[0, i - start] = NAN
            continue
        out[0, i - start] = ema_step(st, 1, n, k, (x[0][i] - x[0][i - 1]) * x[1][i])
    st[0] += stop - start


register(
    Indicator(
        "force_index",
        "volume",
        ("close", "volume"),
        ("force_index",),
        ForceIndexConfig,
        force_index_kernel,
        lambda c: 3,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        row_inputs=True,
    )
)


class EOMConfig(FrozenConfig):
    """Ease of movement: SMA of ((H+L)/2 - (H_prev+L_prev)/2) * (H - L) / (volume / divisor).

    A bar with zero volume contributes 0 (no measurable ease of movement). Warm-up:
    ``timeperiod`` leading NaNs. Units: price^2 per ``volume_divisor`` units of volume.
    """

    timeperiod: int = _period(14, 1)
    volume_divisor: float = Field(1e8, gt=0.0, le=1e18, description="volume scale")


@njit(cache=True)
def _emv(x, i, div):  # type: ignore[no-untyped-def]
    h, lo, v = x[0][i], x[1][i], x[2][i]
    dm = (h + lo) / 2.0 - (x[0][i - 1] + x[1][i - 1]) / 2.0
    if v == 0.0:
        return 0.0
    return dm * (h - lo) / (v / div)


@njit(cache=True)
def eom_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, div = int(p[0]), p[1]
    t0 = int(st[0]) - start
    s = st[1]
    for i in range(start, stop):
        t = t0 + i
        if t == 0:
            out[0, i - start] = NAN
            continue
        s += _emv(x, i, div)
        if t >= n:
            out[0, i - start] = s / n
            s -= _emv(x, i - n + 1, div)
        else:
            out[0, i - start] = NAN
    st[1] = s
    st[0] += stop - start


register(
    Indicator(
        "eom",
        "volume",
        ("high", "low", "volume"),
        ("eom",),
        EOMConfig,
        eom_kernel,
        lambda c: 2,
        lambda c: c.timeperiod,
        history=lambda c: c.timeperiod,
        row_inputs=True,
    )
)
