"""A ``SignalStrategy`` gives the same fills, trades and equity in both engines.

Under the shared fill assumptions (``nautilus.backtest.vectorized.parity``): every fill is
identical (bar, instrument, side, quantity, price, commission compare equal as floats of the
event engine's Decimals), every round trip matches (prices, size, fees, P&L to 1e-9 absolute)
and the equity curves agree to 1e-9 absolute (currency units, on 100,000 of equity).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nautilus.backtest.event import EventBacktestConfig
from nautilus.core.errors import ValidationError
from nautilus.execution.config import ModelChoice, SimulatedVenueConfig
from nautilus.model.instrument import Instrument
from nautilus.strategy import build_strategy

from .conftest import gbm_bars
from .parity import (
    ColumnUnits,
    ColumnWeights,
    as_float,
    decimal_trades,
    event_fills,
    frames_for,
    instruments,
    run_both,
    vector_fills,
)

N = 480
CASH = Decimal(100_000)


def _venue(fee: str, fee_params: dict[str, Any], slip_bps: int) -> SimulatedVenueConfig:
    slip = (ModelChoice(name="fixed_bps", params={"bps": slip_bps}),) if slip_bps else ()
    return SimulatedVenueConfig(fees=ModelChoice(name=fee, params=fee_params), slippage=slip)


def _steps(rng: np.random.Generator, values: np.ndarray, n: int, hold: int) -> np.ndarray:
    """A target path: a value drawn from ``values`` held for ``hold`` bars at a time."""
    return np.repeat(rng.choice(values, n // hold + 1), hold)[:n].astype(np.float64)


def assert_parity(strategy: Any, insts: list[Instrument], frames: Any, venue: Any) -> int:
    """Both engines on the same bars; returns the number of fills compared."""
    # small blocks: targets, history tails and pending decisions cross block boundaries
    config = EventBacktestConfig(initial_cash=CASH, venue=venue, block_rows=128)
    bt, ev, vec = run_both(strategy, insts, frames, config)
    index = next(iter(frames.values())).index.to_numpy()
    cols = {i.id: k for k, i in enumerate(insts)}
    ev_fills = event_fills(ev, index, cols)
    assert as_float(ev_fills) == vector_fills(vec)
    # equity: one point per bar, cash + positions at each close
    assert np.array_equal(ev.equity_ts, index)
    np.testing.assert_allclose(ev.equity, vec.value[:, 0], rtol=0, atol=1e-9)
    assert float(ev.final_cash) == pytest.approx(float(vec.value[-1, 0]) - float(
        sum(vec.positions[-1, k] * f["close"].iloc[-1] for k, f in enumerate(frames.values()))
    ), abs=1e-9)  # fmt: skip
    for k, inst in enumerate(insts):
        assert float(bt.oms.net_qty(inst.id)) == vec.positions[-1, k]
    # round trips
    last = {k: Decimal(repr(float(f["close"].iloc[-1]))) for k, f in enumerate(frames.values())}
    expected = decimal_trades(ev_fills, last, len(index))
    got = sorted(vec.trades.tolist(), key=lambda r: (r[0], r[1]))
    names = vec.trades.dtype.names
    assert len(got) == len(expected)
    for row, exp in zip(got, expected, strict=True):
        t = dict(zip(names, row, strict=True))
        for key in ("col", "entry_bar", "exit_bar", "direction"):
            assert t[key] == exp[key], key
        for key in ("size", "entry_price", "exit_price", "fees", "pnl"):
            assert t[key] == pytest.approx(float(exp[key]), abs=1e-9), key
    # the event ledger: realized P&L gross of fees per closed round trip, fees in total
    closed = [p for p in ev.positions if p["ts_closed"] is not None]
    vec_closed = [dict(zip(names, r, strict=True)) for r in got if r[-1]]
    assert len(closed) == len(vec_closed)
    commission = sum(Decimal(p["commission"]) for p in ev.positions)
    assert float(commission) == pytest.approx(float(vec.orders["fee"].sum()), abs=1e-9)
    gross = sorted(float(Decimal(p["realized_pnl"])) for p in closed)
    assert gross == pytest.approx(sorted(t["pnl"] + t["fees"] for t in vec_closed), abs=1e-9)
    return len(ev_fills)


CASES = [
    # (kind, instruments, long/short, fee model, fee params, slippage bps)
    ("units", 1, False, "none", {}, 0),
    ("units", 1, True, "bps", {"bps": 5}, 3),
    ("units", 1, True, "per_share", {"per_share": "0.005", "minimum": "1"}, 3),
    ("weights", 1, False, "per_share", {"per_share": "0.01", "minimum": "0.5"}, 0),
    ("weights", 1, True, "bps", {"bps": 7}, 2),
    ("weights", 2, True, "bps", {"bps": 5}, 3),
    ("units", 2, True, "per_share", {"per_share": "0.02", "max_bps_of_notional": "3"}, 2),
    ("weights", 3, True, "maker_taker", {"taker_bps": "4.5"}, 1),
]


@pytest.mark.parametrize(("kind", "m", "shorts", "fee", "fee_params", "slip"), CASES)
def test_column_targets_match(
    kind: str, m: int, shorts: bool, fee: str, fee_params: dict[str, Any], slip: int
) -> None:
    rng = np.random.default_rng(17 + m)
    if kind == "units":
        values = np.arange(-50, 51, 10) if shorts else np.arange(0, 61, 10)
    else:
        values = np.arange(-4, 5) / (10.0 * m) if shorts else np.arange(0, 6) / (6.0 * m)
    targets = []
    for _ in range(m):
        t = _steps(rng, values, N, hold=int(rng.integers(3, 12)))
        t[rng.random(N) < 0.1] = np.nan  # holds
        targets.append(t)
    insts = instruments(m)
    cls = ColumnUnits if kind == "units" else ColumnWeights
    fills = assert_parity(cls, insts, frames_for(insts, targets), _venue(fee, fee_params, slip))
    assert fills >= 30 * m


def test_library_signal_strategy_matches(inst: Instrument) -> None:
    """The shipped ``sma_trend_signal`` (weights) with bps fees and slippage."""
    frame = gbm_bars(800, seed=4, vol=0.002)
    strat = build_strategy(
        "sma_trend_signal", {"instruments": [inst.id], "window": 20, "weight": 0.5}
    )
    venue = _venue("bps", {"bps": 5}, 2)
    assert assert_parity(strat, [inst], {inst.id: frame}, venue) >= 20


def test_weights_size_on_the_signal_close() -> None:
    """A weight becomes units at the deciding bar's close: 0.5 x 100,000 / close, floored."""
    insts = instruments(1)
    t = np.full(30, np.nan)
    t[3] = 0.5
    frames = frames_for(insts, [t])
    close3 = frames[insts[0].id]["close"].iloc[3]
    config = EventBacktestConfig(initial_cash=CASH, venue=_venue("none", {}, 0))
    _, ev, vec = run_both(ColumnWeights, insts, frames, config)
    (fill,) = ev.fills
    assert Decimal(fill["last_qty"]) == int(50_000 / close3)
    assert vec.orders["qty"].tolist() == [float(int(50_000 / close3))]
    assert vec.orders["bar"].tolist() == [4]


def test_unsupported_venues_raise() -> None:
    insts = instruments(1)
    frames = frames_for(insts, [np.zeros(10)])
    bad = [
        SimulatedVenueConfig(latency=ModelChoice(name="fixed", params={"delay_ns": 5})),
        SimulatedVenueConfig(fees=ModelChoice(name="tiered")),
        SimulatedVenueConfig(slippage=(ModelChoice(name="volume_participation"),)),
    ]
    strat = ColumnUnits()
    for venue in bad:
        with pytest.raises(ValidationError) as err:
            strat.run_vectorized(frames, insts, EventBacktestConfig(venue=venue))
        assert err.value.code == "unsupported_model"
    two = instruments(2)
    frames = frames_for(two, [np.zeros(10), np.zeros(10)])
    frames[two[1].id] = frames[two[1].id].iloc[1:]
    with pytest.raises(ValidationError) as err:
        strat.run_vectorized(frames, two)
    assert err.value.code == "misaligned"


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    codes=st.lists(st.integers(-3, 3) | st.none(), min_size=20, max_size=60),
    weights=st.booleans(),
    fee=st.sampled_from(
        [("none", {}), ("bps", {"bps": 5}), ("per_share", {"per_share": "0.005", "minimum": 1})]
    ),
    slip=st.integers(0, 5),
    two=st.booleans(),
)
def test_random_signal_sequences_match(
    codes: list[int | None],
    weights: bool,
    fee: tuple[str, dict[str, Any]],
    slip: int,
    two: bool,
) -> None:
    t = np.array([np.nan if c is None else c for c in codes], dtype=np.float64)
    # two instruments: the second trades the sequence backwards, both halve their weights
    t = t * ((0.25 if not two else 0.125) if weights else 10.0)
    paths = [t, t[::-1].copy()] if two else [t]
    insts = instruments(len(paths))
    cls = ColumnWeights if weights else ColumnUnits
    assert_parity(cls, insts, frames_for(insts, paths), _venue(fee[0], fee[1], slip))
