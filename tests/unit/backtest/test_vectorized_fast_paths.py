"""The specialised signal kernels and the lazily replayed equity equal the generic simulator.

``run_signals`` picks a kernel with exec/stops/shorts compiled in and returns orders plus the
final equity; the equity curve and positions are replayed from the orders on access. Both must
be bit-identical to ``kernels.signals_group`` (all options at run time, equity per bar).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nautilus.backtest.vectorized import VectorizedConfig, run_signals
from nautilus.backtest.vectorized import kernels as k
from nautilus.backtest.vectorized.engine import cost_vector


def _generic(panel: dict[str, np.ndarray], sig: list[np.ndarray], cfg: VectorizedConfig):
    close, n = panel["close"], panel["close"].shape[0]
    total = 2 * sum(int(s.sum()) for s in sig) + 2
    rec = (
        np.empty(total, np.int64),
        np.empty(total, np.int64),
        np.empty(total, np.int64),
        np.empty(total),
        np.empty(total),
        np.empty(total),
        np.empty(total, np.int64),
    )
    value = np.empty(n)
    count, _, last = k.signals_group(
        close,
        panel["open"],
        panel["high"],
        panel["low"],
        *sig,
        np.empty((0, close.shape[1])),
        cost_vector(cfg),
        cfg.execution == "next_open",
        0,
        rec,
        value,
    )
    return rec, count, value, last


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"execution": "next_open", "stop_loss": 0.02},
        {"take_profit": 0.03, "trailing_stop": 0.02, "size": 0.4, "size_type": "percent"},
    ],
)
@pytest.mark.parametrize("shorts", [False, True])
def test_specialised_kernels_and_replay_equal_the_generic_simulator(panel, options, shorts):
    rng = np.random.default_rng(3)
    sig = [rng.random(panel["close"].shape) < 0.05 for _ in range(4)]
    if not shorts:
        sig[2] = np.zeros_like(sig[0])
        sig[3] = np.zeros_like(sig[0])
    cfg = VectorizedConfig(
        init_cash=50_000.0,
        cash_sharing=True,
        fee_model="bps",
        fee_params={"bps": 4},
        slippage_model="fixed_bps",
        slippage_params={"bps": 2},
        **options,
    )
    res = run_signals(
        panel["close"],
        sig[0],
        sig[1],
        short_entries=sig[2] if shorts else None,
        short_exits=sig[3] if shorts else None,
        open=panel["open"],
        high=panel["high"],
        low=panel["low"],
        index=panel["index"],
        config=cfg,
    )
    rec, count, value, last = _generic(panel, sig, cfg)
    assert len(res.orders) == count > 0
    for name, arr in zip(("col", "bar", "side", "qty", "price", "fee"), rec[:6], strict=True):
        np.testing.assert_array_equal(res.orders[name], arr[:count])
    assert res.total_return[0] == last / cfg.init_cash - 1.0
    np.testing.assert_array_equal(res.value[:, 0], value)
    assert res.value[-1, 0] == last


def test_a_single_run_imports_neither_pandas_nor_the_execution_layer() -> None:
    code = (
        "import sys, numpy as np\n"
        "from nautilus.backtest.vectorized import run_signals\n"
        "c = np.linspace(10.0, 20.0, 50)\n"
        "e = np.zeros(50, bool); e[3] = True\n"
        "r = run_signals(c, e, np.zeros(50, bool), index=np.arange(50))\n"
        "assert float(r.total_return[0]) > 0\n"
        "print(sorted(m for m in ('pandas', 'nautilus.execution', 'nautilus.analytics')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
