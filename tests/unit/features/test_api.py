"""Registry, parameter validation, input handling, dispatch forms and parameter grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.features import INDICATORS, compute, list_indicators, run_grid
from tests.unit.features.reference import assert_matches

talib = pytest.importorskip("talib")


def test_registry_lists_every_indicator_with_a_schema_and_documented_warmup() -> None:
    described = INDICATORS.describe()
    assert len(described) >= 60
    cats = {INDICATORS.get(n).category for n in INDICATORS.names()}
    assert cats == {
        "overlap",
        "momentum",
        "trend",
        "volatility",
        "volume",
        "statistics",
        "patterns",
    }
    assert len(list_indicators("patterns")) >= 10
    for item in described:
        doc = INDICATORS.get(item["name"]).__doc__ or ""
        assert "Warm-up" in doc and "Units" in doc, item["name"]
        assert item["parameters"]["type"] == "object"


def test_unknown_indicator_is_not_found() -> None:
    with pytest.raises(NotFoundError) as err:
        compute("no_such_indicator", np.ones(10))
    assert "no_such_indicator" in str(err.value)
    assert err.value.code == "unknown_indicator"


@pytest.mark.parametrize(
    ("name", "params", "param", "allowed"),
    [
        ("sma", {"timeperiod": 1}, "timeperiod", "[2, 100000]"),
        ("rsi", {"timeperiod": 10**9}, "timeperiod", "[2, 100000]"),
        ("t3", {"vfactor": 1.5}, "vfactor", "[0.0, 1.0]"),
        ("keltner", {"multiplier": 0.0}, "multiplier", "(0.0, 100.0]"),
        ("rolling_quantile", {"quantile": -0.1}, "quantile", "[0.0, 1.0]"),
    ],
)
def test_parameter_out_of_range_names_parameter_and_range(
    name: str, params: dict[str, float], param: str, allowed: str
) -> None:
    with pytest.raises(ValidationError) as err:
        compute(
            name,
            np.ones(50)
            if name != "keltner"
            else {"high": np.ones(50), "low": np.ones(50), "close": np.ones(50)},
            **params,
        )
    assert err.value.code == "parameter_out_of_range"
    assert param in err.value.detail and allowed in err.value.detail
    assert err.value.extra["parameter"] == param


def test_unknown_parameter_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        compute("ema", np.ones(50), period=10)
    assert err.value.code == "unknown_parameter" and "timeperiod" in err.value.detail


def test_missing_input_column() -> None:
    with pytest.raises(ValidationError) as err:
        compute("atr", pd.DataFrame({"close": np.ones(20)}))
    assert err.value.code == "missing_input" and "high" in err.value.detail


def test_non_finite_input_is_rejected_or_propagated() -> None:
    x = np.linspace(1.0, 2.0, 40)
    x[25] = np.nan
    with pytest.raises(ValidationError) as err:
        compute("ema", x, timeperiod=5)
    assert err.value.code == "non_finite_input" and err.value.extra["bar"] == 25
    out = compute("ema", x, timeperiod=5, allow_nonfinite=True)
    ref = talib.EMA(x, 5)
    assert_matches(out[:25], ref[:25], "ema before the NaN")
    assert np.isnan(out[25:]).all()  # a NaN poisons the recursion; never silently skipped


def test_dispatch_forms(ohlcv: pd.DataFrame) -> None:
    close = ohlcv["close"].to_numpy()
    arr = compute("rsi", close)
    assert isinstance(arr, np.ndarray) and arr.shape == close.shape
    np.testing.assert_allclose(arr[14:], talib.RSI(close)[14:], rtol=1e-12)
    df = compute("macd", ohlcv)
    assert list(df.columns) == ["macd", "macdsignal", "macdhist"]
    assert df.index.equals(ohlcv.index)
    d = compute("bbands", {"close": close}, timeperiod=20)
    assert set(d) == {"upperband", "middleband", "lowerband"}
    renamed = ohlcv.rename(columns={"close": "px"})
    np.testing.assert_array_equal(
        compute("sma", renamed, columns={"close": "px"})["sma"], compute("sma", close)
    )
    corr = compute("correl", ohlcv, columns={"x": "high", "y": "low"}, timeperiod=10)
    assert_matches(
        corr["correl"].to_numpy(),
        talib.CORREL(ohlcv["high"], ohlcv["low"], 10).to_numpy(),
        "correl",
    )


def test_grid_matches_individual_runs(ohlcv: pd.DataFrame) -> None:
    grid = run_grid("sma", ohlcv, window=[5, 10, 20])
    assert grid.columns.names == ["timeperiod", "output"]
    assert grid.shape == (len(ohlcv), 3)
    for n in (5, 10, 20):
        np.testing.assert_array_equal(grid[(n, "sma")], talib.SMA(ohlcv["close"], n))
    macd = run_grid("macd", ohlcv, fastperiod=[8, 12], slowperiod=[21, 26], signalperiod=9)
    assert macd.columns.names == ["fastperiod", "slowperiod", "signalperiod", "output"]
    assert macd.shape[1] == 2 * 2 * 3
    ref = talib.MACD(ohlcv["close"], 8, 26, 9)
    for k, out in enumerate(("macd", "macdsignal", "macdhist")):
        assert_matches(macd[(8, 26, 9, out)].to_numpy(), ref[k].to_numpy(), out)


def test_grid_validates_each_combination(ohlcv: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as err:
        run_grid("rsi", ohlcv, window=[14, 1])
    assert "timeperiod" in err.value.detail
    with pytest.raises(ValidationError):
        run_grid("rsi", ohlcv, length=[14])
    sessions = run_grid("vwap", ohlcv, session_offset_ns=[0, 3_600_000_000_000])
    assert sessions.shape[1] == 2
    assert not np.array_equal(sessions.iloc[:, 0], sessions.iloc[:, 1])
