"""Input validation inside the kernels (``Indicator.checks_finite``): ``compute`` must reject
exactly what the separate per-column check rejects, with the same column and bar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.features import INDICATORS, compute
from nautilus.features.base import check_finite

FUSED = sorted(n for n in INDICATORS.names() if INDICATORS.get(n).checks_finite)
BAD = (np.nan, np.inf, -np.inf)


def _frame(ohlcv: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    data = {c: ohlcv[c].to_numpy(dtype=np.float64)[:n].copy() for c in ohlcv.columns}
    data["x"], data["y"] = data["close"].copy(), data["open"].copy()  # (correl's inputs)
    return data


def _expected(name: str, data: dict[str, np.ndarray]) -> tuple[str, int] | None:
    ind = INDICATORS.get(name)
    try:
        check_finite(ind, [data[i] for i in ind.inputs])
    except ValidationError as err:
        return err.extra["parameter"], err.extra["bar"]
    return None


def test_the_bar_pipelined_kernels_validate_in_their_own_pass() -> None:
    assert {"ad", "adosc", "atr", "bop", "mom", "natr", "sma", "trange"} <= set(FUSED)


def test_the_window_kernels_validate_in_their_own_pass() -> None:
    assert {"correl", "midpoint", "midprice", "willr", "cdl_doji"} <= set(FUSED)


def _shortest(name: str) -> dict[str, int]:
    """Every window of ``name`` at its smallest allowed length."""
    fields = INDICATORS.get(name).config_class.model_fields
    return {
        f: min(m.ge for m in info.metadata if getattr(m, "ge", None) is not None)
        for f, info in fields.items()
        if "period" in f
    }


@pytest.mark.parametrize("name", FUSED)
@pytest.mark.parametrize("n", [1, 3, 40, 300])
@pytest.mark.parametrize("shortest", [False, True])
def test_fused_check_names_the_same_column_and_bar(
    ohlcv: pd.DataFrame, name: str, n: int, shortest: bool
) -> None:
    ind = INDICATORS.get(name)
    params = _shortest(name) if shortest else {}
    rng = np.random.default_rng(n)
    cases = []
    for col in ind.inputs:
        for bar in sorted({0, n // 2, n - 1}):
            for bad in BAD:
                cases.append({col: [(bar, bad)]})
    # several bad values: the first column in input order, and its first bad bar, is named
    for _ in range(6):
        cols = rng.choice(ind.inputs, size=min(2, len(ind.inputs)), replace=False)
        cases.append({c: [(int(rng.integers(n)), BAD[int(rng.integers(3))])] for c in cols})
    for case in cases:
        data = _frame(ohlcv, n)
        for col, hits in case.items():
            for bar, bad in hits:
                data[col][bar] = bad
        expected = _expected(name, data)
        assert expected is not None
        with pytest.raises(ValidationError) as err:
            compute(name, data, **params)
        assert err.value.code == "non_finite_input"
        assert (err.value.extra["parameter"], err.value.extra["bar"]) == expected, case
        out = compute(name, data, allow_nonfinite=True, **params)  # the kernel runs as before
        assert set(out) == set(ind.outputs)


@pytest.mark.parametrize("name", FUSED)
def test_fused_check_passes_finite_inputs(ohlcv: pd.DataFrame, name: str) -> None:
    data = _frame(ohlcv, 500)
    ind = INDICATORS.get(name)
    out = compute(name, data)
    ref = ind.run(tuple(data[i] for i in ind.inputs), ind.make_config({}))
    for k, o in enumerate(ind.outputs):
        np.testing.assert_array_equal(out[o], ref[k])


def test_a_false_alarm_from_an_overflow_is_not_an_error() -> None:
    # the running sum overflows to inf (flagged), yet every input is finite
    x = np.full(50, 1e308)
    out = compute("sma", x, timeperiod=5)
    assert np.isinf(out[4:]).all()


@pytest.mark.parametrize("name", FUSED)
@pytest.mark.parametrize("shortest", [False, True])
def test_flag_covers_the_bars_of_every_call(ohlcv: pd.DataFrame, name: str, shortest: bool) -> None:
    """The kernel called on consecutive sub-ranges with one state (as the streaming code and
    block updates do) flags every call whose bars hold a non-finite input, wherever it sits
    (warm-up, a block boundary of the window kernels, a reset of the anchored sums)."""
    ind = INDICATORS.get(name)
    cfg = ind.make_config(_shortest(name) if shortest else {})
    for n, chunks in ((2100, (64, 1030, 2100)), (60, (1, 7))):
        for pos in sorted(
            {0, 1, 9, 10, 14, 29, 30, 31, 59, 1023, 1024, 1030, 2099} & set(range(n))
        ):
            for col in range(len(ind.inputs)):
                data = _frame(ohlcv, n)
                rows = [data[i] for i in ind.inputs]
                rows[col][pos] = BAD[(pos + col) % 3]
                arg = ind.kernel_input(tuple(rows))
                for chunk in chunks:
                    st, p = ind.new_state(cfg), ind.params(cfg)
                    for s in range(0, n, chunk):
                        e = min(n, s + chunk)
                        flag = ind.kernel(arg, s, e, p, st, np.empty((len(ind.outputs), e - s)))
                        if s <= pos < e:
                            assert flag, (ind.inputs[col], pos, chunk, s)


@pytest.mark.parametrize("name", ["ema", "stochf", "mfi", "cdl_hammer"])
def test_one_pass_over_up_to_four_inputs_names_the_same_column_and_bar(
    ohlcv: pd.DataFrame, name: str
) -> None:
    ind = INDICATORS.get(name)
    assert not ind.checks_finite
    for col in ind.inputs:
        for bad in BAD:
            data = _frame(ohlcv, 200)
            data[col][[150, 60]] = bad
            with pytest.raises(ValidationError) as err:
                compute(name, data)
            assert (err.value.extra["parameter"], err.value.extra["bar"]) == (col, 60)
    huge = {c: np.full(50, 1e308) for c in ind.inputs}  # the sum overflows: a false alarm
    compute(name, huge)
