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
from nautilus.features.primitives import NAN, ema_step

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
    t0 = int(st[0]) - start
    obv = st[1]
    for i in range(start, stop):
        if t0 + i == 0:
            obv = v[i]
        elif c[i] > c[i - 1]:
            obv += v[i]
        elif c[i] < c[i - 1]:
            obv -= v[i]
        out[0, i - start] = obv
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
    )
)


@njit(cache=True)
def _ad_flow(x, i):  # type: ignore[no-untyped-def]
    h, lo, c = x[0, i], x[1, i], x[2, i]
    r = h - lo
    if r > 0.0:
        return (((c - lo) - (h - c)) / r) * x[3, i]
    return 0.0


class ADConfig(FrozenConfig):
    """Chaikin accumulation/distribution line (TA-Lib AD): cumulative
    ((close-low)-(high-close))/(high-low) * volume; bars with high == low add 0.
    Warm-up: none. Units: volume.
    """


@njit(cache=True)
def ad_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    ad = st[1]
    for i in range(start, stop):
        ad += _ad_flow(x, i)
        out[0, i - start] = ad
    st[1] = ad
    st[0] += stop - start


register(
    Indicator(
        "ad", "volume", _HLCV, ("ad",), ADConfig, ad_kernel, lambda c: 2, lambda c: 0, talib="AD"
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
    for i in range(start, stop):
        t = t0 + i
        ad += _ad_flow(x, i)
        if t == 0:
            ef = ad
            es = ad
        else:
            ef = (kf * ad) + ((1.0 - kf) * ef)
            es = (ks * ad) + ((1.0 - ks) * es)
        out[0, i - start] = ef - es if t >= lb else NAN
    st[1], st[2], st[3] = ad, ef, es
    st[0] += stop - start


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
    for i in range(start, stop):
        t = t0 + i
        smf += _ad_flow(x, i)
        sv += x[3, i]
        if t >= n - 1:
            out[0, i - start] = smf / sv if sv != 0.0 else NAN
            j = i - n + 1
            smf -= _ad_flow(x, j)
            sv -= x[3, j]
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
        out[0, i - start] = ema_step(st, 1, n, k, (x[0, i] - x[0, i - 1]) * x[1, i])
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
    h, lo, v = x[0, i], x[1, i], x[2, i]
    dm = (h + lo) / 2.0 - (x[0, i - 1] + x[1, i - 1]) / 2.0
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
    )
)
