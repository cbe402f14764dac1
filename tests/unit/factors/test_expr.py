"""The expression language: tokens, precedence, errors with positions, NaN rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.factors import ops, xsection
from nautilus.factors.expr import Evaluator, evaluate, parse, tokenize
from nautilus.factors.panel import Panel


def small() -> Panel:
    dates = np.arange(4, dtype=np.int64) * 86_400_000_000_000
    a = np.array([[1.0, 2.0], [3.0, np.nan], [-2.0, 0.0], [4.0, 5.0]])
    b = np.array([[2.0, 2.0], [1.0, 1.0], [np.nan, 3.0], [0.0, 1.0]])
    return Panel(dates, ["X", "Y"], {"a": a, "b": b, "g": np.array([[0.0, 1.0]] * 4)},
                 {"m": np.array([1.0, 2.0, 3.0, 4.0])}, frozenset({"g"}))


def test_tokens_carry_positions_and_accept_dollar_fields() -> None:
    toks = tokenize("ts_mean($close, 5) >= 1e-3")
    assert [(t.text, t.pos) for t in toks] == [
        ("ts_mean", 0), ("(", 7), ("close", 8), (",", 14), ("5", 16), (")", 17), (">=", 19),
        ("1e-3", 22), ("", 26)]


@pytest.mark.parametrize(("src", "key"), [
    ("a + b * 2", "(a+(b*2.0))"),
    ("(a + b) * 2", "((a+b)*2.0)"),
    ("a - b - 1", "((a-b)-1.0)"),
    ("-a ^ 2", "(-(a^2.0))"),
    ("a ^ b ^ 2", "(a^(b^2.0))"),
    ("a > 1 & b < 2 | a == b", "(((a>1.0)&(b<2.0))|(a==b))"),
    ("a > 0 ? a : b > 0 ? b : 0", "if((a>0.0),a,if((b>0.0),b,0.0))"),
    ("if(a > b, a, -b)", "if((a>b),a,(-b))"),
    ("2 ^ -1", "(2.0^-1.0)"),
])
def test_precedence(src: str, key: str) -> None:
    assert parse(src).key == key


def test_arithmetic_and_nan_rules() -> None:
    p = small()
    a, b = p["a"], p["b"]
    with np.errstate(all="ignore"):
        expect_div = np.where(np.isfinite(a / b), a / b, np.nan)
    np.testing.assert_array_equal(evaluate("a / b", p), expect_div)  # 4/0 -> NaN, not inf
    gt = evaluate("a > b", p)
    np.testing.assert_array_equal(gt, [[0, 0], [1, np.nan], [np.nan, 0], [1, 1]])
    both = evaluate("a > 0 & b > 0", p)
    np.testing.assert_array_equal(both, [[1, 1], [1, np.nan], [np.nan, 0], [0, 1]])
    cond = evaluate("a > b ? 10 : -10", p)
    np.testing.assert_array_equal(cond, [[-10, -10], [10, np.nan], [np.nan, -10], [10, 10]])
    np.testing.assert_array_equal(evaluate("-a^2", p), -(a**2))
    np.testing.assert_array_equal(evaluate("log(a)", p)[2], [np.nan, np.nan])
    np.testing.assert_array_equal(evaluate("sqrt(a)", p)[2, 0], np.nan)
    np.testing.assert_array_equal(evaluate("max(a, b)", p), np.maximum(a, b))
    np.testing.assert_array_equal(evaluate("sign(a) * abs(a)", p), a)


def test_series_broadcast_across_instruments() -> None:
    p = small()
    np.testing.assert_array_equal(evaluate("a * m", p), p["a"] * np.array([1, 2, 3, 4])[:, None])
    np.testing.assert_array_equal(evaluate("3", p), np.full((4, 2), 3.0))


def test_functions_match_the_kernels(panel: Panel) -> None:
    c, v = panel["close"], panel["volume"]
    np.testing.assert_allclose(
        evaluate("rank(ts_corr(close, log(volume + 1), 10))", panel),
        xsection.rank(ops.ts_corr(c, np.log(v + 1), 10)), equal_nan=True)
    ref = pd.DataFrame(c).diff(5).rolling(7).mean()
    np.testing.assert_allclose(evaluate("ts_mean(delta(close, 5), 7)", panel), ref,
                               rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(evaluate("winsorize(zscore(close), 0.1)", panel),
                               xsection.winsorize(xsection.zscore(c), 0.1), equal_nan=True)


def test_neutralize_groups_and_regressors(panel: Panel) -> None:
    c = panel["close"]
    by_sector = evaluate("neutralize(close, sector)", panel)
    np.testing.assert_allclose(by_sector, xsection.neutralize(c, groups=[panel["sector"]]),
                               equal_nan=True)
    sectors = panel["sector"][0]
    row = by_sector[100]
    for s in np.unique(sectors):
        assert abs(np.nanmean(row[sectors == s])) < 1e-9
    by_reg = evaluate("neutralize(close, volume, log(shares))", panel)
    np.testing.assert_allclose(
        by_reg, xsection.neutralize(c, regressors=[panel["volume"], np.log(panel["shares"])]),
        equal_nan=True)


@pytest.mark.parametrize(("src", "code", "pos", "token"), [
    ("close + ", "expr_syntax", 8, "end of input"),
    ("close + * 2", "expr_syntax", 8, "*"),
    ("(close", "expr_syntax", 6, "end of input"),
    ("close ) ", "expr_syntax", 6, ")"),
    ("close # 2", "expr_syntax", 6, "#"),
    ("close > 1 ? 2", "expr_syntax", 13, "end of input"),
    ("2x", "expr_syntax", 0, "2x"),
    ("foo(close)", "unknown_function", 0, "foo"),
    ("1 + ts_mean(close)", "bad_arity", 4, "ts_mean"),
    ("ts_corr(close, open, 5, 1)", "bad_arity", 0, "ts_corr"),
    ("if(close, 1)", "bad_arity", 0, "if"),
    ("ts_mean(close, 0)", "bad_window", 15, "0.0"),
    ("ts_mean(close, 2.5)", "bad_window", 15, "2.5"),
    ("ts_mean(close, volume)", "bad_window", 15, "volume"),
    ("delay(close, -1)", "bad_window", 13, "-1.0"),
    ("ts_quantile(close, 5, open)", "bad_argument", 22, "open"),
])
def test_parse_errors_carry_position_and_token(src: str, code: str, pos: int, token: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse(src)
    assert err.value.code == code
    assert err.value.extra["position"] == pos
    assert err.value.extra["token"] == token
    assert f"position {pos}" in err.value.detail


def test_unknown_field_is_reported_with_position(panel: Panel) -> None:
    with pytest.raises(ValidationError) as err:
        evaluate("close / volumee", panel)
    assert err.value.code == "unknown_field"
    assert err.value.extra == {"position": 8, "token": "volumee"}


def test_batch_shares_subexpressions_and_frees_them(panel: Panel) -> None:
    ev = Evaluator(panel)
    exprs = ["ts_mean(close / delay(close, 1), 5)", "ts_std(close / delay(close, 1), 5)",
             "ts_mean(close / delay(close, 1), 5) - 1"]
    batch = list(ev.run_many(exprs))
    for src, got in zip(exprs, batch, strict=True):
        np.testing.assert_array_equal(got, evaluate(src, panel))
    assert ev._cache == {} and not ev._uses


def test_expression_text_is_never_executed_as_python(panel: Panel) -> None:
    for src in ("__import__('os')", "close.__class__", "[close]", "close; 1"):
        with pytest.raises(ValidationError):
            evaluate(src, panel)
