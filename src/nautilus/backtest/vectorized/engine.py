"""The vectorized backtester: validated inputs in, numba simulation, :class:`BacktestResult` out.

Fill assumptions (chosen so the event-driven engine can reproduce them with plain market
orders and stop orders at a simulated venue):

- **Next bar, always.** A signal or target computed with bar ``t``'s close executes as a market
  order on bar ``t + 1``: at its open (``execution="next_open"``, needs ``open``) or at its
  close (``execution="next_close"``). There is no same-bar option; strategies never shift.
- **Fees per fill**, with the names and configs of ``nautilus.execution.models.FEE_MODELS``:
  ``none``, ``bps`` (bps of notional), ``per_share`` (per unit, minimum, cap in bps of
  notional), ``maker_taker`` (market orders take liquidity: ``taker_bps``). Commissions are
  rounded half-even to the model's ``precision`` in float64 (set precision 12 to compare with
  libraries that do not round). ``tiered`` depends on month-to-date traded volume across the
  whole account and is not expressible here: it raises ``unsupported_model``.
- **Slippage**: ``fixed_bps`` of ``SLIPPAGE_MODELS`` (buys pay ``ref * (1 + bps/1e4)``, sells
  get ``ref * (1 - bps/1e4)``). With ``tick_size`` the slipped price goes on the tick grid
  against the trader, as the simulated venue does; the default 0 keeps raw float prices
  (vectorbt's behaviour). ``volume_participation`` and ``sqrt_impact`` depend on bar volume /
  order size and raise ``unsupported_model``.
- **Stops** are venue-side stop orders checked against the bar's high and low on the
  conservative path (adverse extreme first), see ``kernels``; they fill on the bar they trigger.
- **Sizing** of an entry: ``amount`` (units; ``size=None`` = all the cash the fill can afford),
  ``value`` (currency / reference price), ``percent`` (fraction of group equity / reference
  price), ``target_vol`` (``size`` = annual volatility target: units = size / sigma * equity /
  price, sigma the annualised std of close-to-close returns over ``vol_window`` bars known at
  the signal bar). Long entries never spend more than the cash (partial fill); shorts are not
  margin-checked except ``size=None``, which sizes them to the cash like a long. Target runs
  (:func:`run_targets`) floor every target quantity towards zero to ``lot_size`` and size
  weights at the fill (``weight_sizing="fill"``, vectorbt's target percent) or at the signal
  bar's close (``"signal"``, what an event-driven strategy sending market orders knows).
- **Parity with the event-driven engine**: :func:`~nautilus.backtest.vectorized.parity.
  venue_fill_config` turns a simulated venue config and its instruments into the settings
  under which both engines produce the same fills and equity (see that module).

>>> import numpy as np
>>> idx = np.arange(5, dtype=np.int64) * 86_400_000_000_000
>>> close = np.array([10.0, 11.0, 12.0, 11.0, 13.0])
>>> res = run_signals(close, np.array([1, 0, 0, 0, 0], bool), np.array([0, 0, 1, 0, 0], bool),
...                   index=idx, config=VectorizedConfig(init_cash=110.0))
>>> res.orders["bar"].tolist(), float(res.value[-1, 0])
([1, 3], 110.0)
"""

from __future__ import annotations

import math
import sys
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from nautilus.backtest.vectorized import costs
from nautilus.backtest.vectorized import kernels as k
from nautilus.backtest.vectorized import targets as tk
from nautilus.backtest.vectorized.results import ORDER_DTYPE, BacktestResult
from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError

SIZE_TYPES = {
    "amount": k.SIZE_AMOUNT,
    "value": k.SIZE_VALUE,
    "percent": k.SIZE_PERCENT,
    "target_vol": k.SIZE_TARGET_VOL,
}


class VectorizedConfig(FrozenConfig):
    """Settings of a vectorized run (see the module docstring for the fill model)."""

    init_cash: float = Field(100_000.0, gt=0, description="Starting cash per cash group.")
    cash_sharing: bool = Field(
        False, description="One portfolio over all columns (True) or one per column (False)."
    )
    execution: Literal["next_open", "next_close"] = Field(
        "next_close", description="Where a signal from bar t's close fills: t+1 open or close."
    )
    size: float | None = Field(None, gt=0, description="Entry size; None = all affordable cash.")
    size_type: Literal["amount", "value", "percent", "target_vol"] = "amount"
    fee_model: str = Field("none", description="A FEE_MODELS name.")
    fee_params: dict[str, Any] = Field(default_factory=dict)
    slippage_model: str | None = Field(None, description="A SLIPPAGE_MODELS name or None.")
    slippage_params: dict[str, Any] = Field(default_factory=dict)
    stop_loss: float | None = Field(None, gt=0, lt=1, description="Fraction below/above entry.")
    take_profit: float | None = Field(None, gt=0, description="Fraction beyond the entry price.")
    trailing_stop: float | None = Field(None, gt=0, lt=1, description="Fraction off the best.")
    lot_size: float = Field(0.0, ge=0, description="Quantities floor to this lot; 0 = fractional.")
    tick_size: float = Field(
        0.0,
        ge=0,
        description="Fill prices (after slippage) go on this grid against the trader; 0 = none.",
    )
    weight_sizing: Literal["fill", "signal"] = Field(
        "fill",
        description="run_targets weights become units at the fill price and the equity there "
        "(fill) or at the signal bar's close and the equity marked at it (signal).",
    )
    vol_window: int = Field(20, ge=2, description="Bars in the target_vol volatility estimate.")
    periods_per_year: float = Field(252.0, gt=0, description="Bars per year (annualisation).")


def cost_vector(config: VectorizedConfig) -> npt.NDArray[np.float64]:
    """The kernels' float64 cfg vector for ``config`` (fees, slippage, size, stops)."""
    cfg = np.zeros(costs.N_CFG)
    cfg[costs.C_INIT_CASH] = config.init_cash
    cfg[costs.C_SIZE] = math.inf if config.size is None else config.size
    cfg[costs.C_SIZE_TYPE] = SIZE_TYPES[config.size_type]
    if config.size is None and config.size_type != "amount":
        raise ValidationError(f"size_type {config.size_type!r} needs a size", code="missing_size")
    cfg[costs.C_FEE_CAP] = -1.0
    cfg[costs.C_PRECISION] = -1.0
    name = config.fee_model
    fee_cfg: Any = None
    if name != "none" or config.fee_params or config.slippage_model is not None:
        # the execution models (and their imports) are loaded only when a run has costs
        from nautilus.execution.models import FEE_MODELS

        spec = FEE_MODELS.spec(name)
        fee_cfg = spec.config(**config.fee_params) if spec.config else None
    if name == "bps":
        cfg[costs.C_FEE_FRAC] = float(fee_cfg.bps) / 1e4
    elif name == "maker_taker":
        cfg[costs.C_FEE_FRAC] = float(fee_cfg.taker_bps) / 1e4
    elif name == "per_share":
        cfg[costs.C_PER_SHARE] = float(fee_cfg.per_share)
        cfg[costs.C_FEE_MIN] = float(fee_cfg.minimum)
        if fee_cfg.max_bps_of_notional is not None:
            cfg[costs.C_FEE_CAP] = float(fee_cfg.max_bps_of_notional) / 1e4
    elif name != "none":
        raise ValidationError(
            f"fee model {name!r} cannot be expressed by the vectorized engine "
            "(supported: none, bps, per_share, maker_taker)",
            code="unsupported_model",
        )
    if fee_cfg is not None and name != "none":
        cfg[costs.C_PRECISION] = float(fee_cfg.precision)
    if config.slippage_model is not None:
        from nautilus.execution.models import SLIPPAGE_MODELS

        sspec = SLIPPAGE_MODELS.spec(config.slippage_model)
        if config.slippage_model != "fixed_bps" or sspec.config is None:
            raise ValidationError(
                f"slippage model {config.slippage_model!r} cannot be expressed by the vectorized "
                "engine (supported: fixed_bps)",
                code="unsupported_model",
            )
        cfg[costs.C_SLIP] = float(sspec.config(**config.slippage_params).bps) / 1e4  # type: ignore[attr-defined]
    cfg[costs.C_SL] = config.stop_loss or 0.0
    cfg[costs.C_TP] = config.take_profit or 0.0
    cfg[costs.C_TRAIL] = config.trailing_stop or 0.0
    cfg[costs.C_LOT] = config.lot_size
    cfg[costs.C_TICK] = config.tick_size
    cfg[costs.C_SIZE_AT_SIGNAL] = 1.0 if config.weight_sizing == "signal" else 0.0
    cfg[costs.C_DRIFT] = math.inf
    return cfg


def _pandas_type(obj: Any, *names: str) -> bool:
    """Whether ``obj`` is one of the named pandas types (never imports pandas itself: an object
    cannot be a pandas one unless pandas was imported already)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, tuple(getattr(pd, n) for n in names))


def as_panel(
    values: Any,
    name: str,
    shape: tuple[int, int] | None = None,
    *,
    dtype: Any = np.float64,
) -> npt.NDArray[Any]:
    """``values`` as a C-contiguous (bars, instruments) array; ``shape`` must match exactly."""
    frame = _pandas_type(values, "DataFrame", "Series")
    arr = np.asarray(values.to_numpy() if frame else values)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValidationError(f"{name} must be 1-D or 2-D, got {arr.ndim}-D", code="bad_shape")
    if arr.size == 0:
        raise ValidationError(f"{name} is empty (shape {arr.shape})", code="empty")
    if shape is not None and arr.shape != shape:
        raise ValidationError(
            f"{name} has shape {arr.shape}, close has shape {shape}; no broadcasting",
            code="misaligned",
        )
    if dtype is np.bool_ and arr.dtype != np.bool_:
        raise ValidationError(f"{name} must be boolean, got {arr.dtype}", code="bad_dtype")
    out = np.ascontiguousarray(arr, dtype=dtype)
    if dtype is np.float64:
        # min/max propagate NaN and expose +-inf: two reductions, no temporaries
        lo, hi = float(out.min()), float(out.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            bad = ~np.isfinite(out)
            r, c = np.argwhere(bad)[0]
            raise ValidationError(
                f"{name} has {int(bad.sum())} NaN/inf values (first at bar {r}, column {c})",
                code="nan_prices",
            )
        if name != "target" and lo <= 0.0:
            raise ValidationError(f"{name} has non-positive prices", code="bad_prices")
    return out


def bar_index(index: Any, close: Any, n: int) -> npt.NDArray[np.int64]:
    """int64 ns UTC index of the bars, strictly increasing; from ``index`` or close's index."""
    if index is None and _pandas_type(close, "DataFrame", "Series"):
        index = close.index
    if index is None:
        raise ValidationError("an int64 ns bar index is required", code="missing_index")
    if _pandas_type(index, "DatetimeIndex"):
        idx = (index.tz_convert("UTC") if index.tz is not None else index).asi8
    else:
        idx = np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise ValidationError(f"index must be int64 ns, got {idx.dtype}", code="bad_index")
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    if idx.shape != (n,):
        raise ValidationError(
            f"index has shape {idx.shape}, prices have {n} bars", code="misaligned"
        )
    if n > 1 and not bool((idx[1:] > idx[:-1]).all()):
        raise ValidationError("index must be strictly increasing", code="unsorted_index")
    return idx


def _labels(close: Any, m: int, columns: list[str] | None) -> list[str]:
    if columns is not None:
        if len(columns) != m:
            raise ValidationError(f"{len(columns)} column names for {m} columns", code="misaligned")
        return [str(c) for c in columns]
    if _pandas_type(close, "DataFrame"):
        return [str(c) for c in close.columns]
    return [str(i) for i in range(m)]


def _ohlc(
    close: Any,
    open_: Any,
    high: Any,
    low: Any,
    config: VectorizedConfig,
) -> tuple[npt.NDArray[np.float64], ...]:
    c = as_panel(close, "close")
    empty = np.empty((0, c.shape[1]))
    o = as_panel(open_, "open", c.shape) if open_ is not None else empty
    if config.execution == "next_open" and open_ is None:
        raise ValidationError("execution 'next_open' needs open prices", code="missing_open")
    if (high is None) != (low is None):
        raise ValidationError("give both high and low or neither", code="missing_prices")
    h = as_panel(high, "high", c.shape) if high is not None else empty
    lo = as_panel(low, "low", c.shape) if low is not None else empty
    return c, o, h, lo


def annual_volatility(
    close: npt.NDArray[np.float64], window: int, periods_per_year: float
) -> npt.NDArray[np.float64]:
    """Rolling std (ddof=1) of close-to-close returns over ``window`` bars ending at each bar,
    annualised; NaN until ``window`` returns exist. Known at the bar's close."""
    import pandas as pd

    ret = np.full_like(close, np.nan)
    ret[1:] = close[1:] / close[:-1] - 1.0
    vol = pd.DataFrame(ret).rolling(window).std().to_numpy()
    return np.ascontiguousarray(vol * math.sqrt(periods_per_year))


def _signal_capacity(*signals: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Orders each column can produce: every fill opens from flat or closes, and only a
    signal opens, so at most two per signal (plus slack)."""
    m = signals[0].shape[1]
    counts = np.zeros(m, dtype=np.int64)
    for s in signals:
        counts += np.count_nonzero(s) if m == 1 else np.count_nonzero(s, axis=0)
    return 2 * counts + 2


def run_signals(
    close: Any,
    entries: Any,
    exits: Any,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
    open: Any = None,
    high: Any = None,
    low: Any = None,
    index: Any = None,
    columns: list[str] | None = None,
    config: VectorizedConfig | None = None,
) -> BacktestResult:
    """Backtest entry/exit signals (bool, bars × instruments, known at each bar's close).

    A long entry while short (or a short entry while long) closes the position and opens the
    other side with two orders on the same bar. An entry and an exit of the same side on one
    bar, or long and short entries on one bar, cancel out. Entries while in a position of that
    side are ignored (no pyramiding).
    """
    cfg_model = config or VectorizedConfig()
    c, o, h, lo = _ohlc(close, open, high, low, cfg_model)
    n, m = c.shape
    idx = bar_index(index, close, n)
    le = as_panel(entries, "entries", c.shape, dtype=np.bool_)
    lx = as_panel(exits, "exits", c.shape, dtype=np.bool_)
    shorts = short_entries is not None or short_exits is not None
    if shorts:
        zeros = np.zeros_like(le)
        se = (
            as_panel(short_entries, "short_entries", c.shape, dtype=np.bool_)
            if short_entries is not None
            else zeros
        )
        sx = (
            as_panel(short_exits, "short_exits", c.shape, dtype=np.bool_)
            if short_exits is not None
            else zeros
        )
        cap = _signal_capacity(le, lx, se, sx)
    else:
        se, sx = le, lx  # never read by the long-only kernels
        cap = _signal_capacity(le, lx)
    cfg = cost_vector(cfg_model)
    vol = (
        annual_volatility(c, cfg_model.vol_window, cfg_model.periods_per_year)
        if cfg_model.size_type == "target_vol"
        else np.empty((0, m))
    )
    exec_open = cfg_model.execution == "next_open"
    stops = bool(cfg[costs.C_SL] > 0.0 or cfg[costs.C_TP] > 0.0 or cfg[costs.C_TRAIL] > 0.0)
    ticks = bool(cfg[costs.C_TICK] > 0.0)
    group_kernel, columns_kernel = k.SIGNAL_KERNELS[(exec_open, stops, shorts, ticks)]
    labels = _labels(close, m, columns)
    if cfg_model.cash_sharing or m == 1:
        # one group: call the group kernel directly (contiguous arrays, no thread launch)
        total = int(cap.sum())
        rec = _alloc(total)
        count, _, last = group_kernel(c, o, h, lo, le, lx, se, sx, vol, cfg, rec)
        orders = _pack(rec, np.array([0, total]), np.array([count]), idx)
        final = np.array([last])
        groups = ["portfolio"] if cfg_model.cash_sharing else labels
    else:
        start = np.zeros(m + 1, dtype=np.int64)
        start[1:] = np.cumsum(cap)
        rec = _alloc(int(start[-1]))
        counts, _, final = columns_kernel(c, o, h, lo, le, lx, se, sx, vol, cfg, start, rec)
        orders = _pack(rec, start, counts, idx)
        groups = labels
    return BacktestResult(
        idx, labels, groups, cfg_model.init_cash, orders, None, None, c, final_value=final
    )


def run_targets(
    close: Any,
    target: Any,
    *,
    kind: Literal["units", "weights"] = "weights",
    rebalance: Any = None,
    drift_threshold: float | None = None,
    open: Any = None,
    index: Any = None,
    columns: list[str] | None = None,
    config: VectorizedConfig | None = None,
) -> BacktestResult:
    """Trade towards target units or target weights (float, bars × instruments, NaN = hold).

    ``target[t]`` is decided at bar ``t``'s close and traded on bar ``t + 1`` when
    ``rebalance[t]`` (bool per bar; default every bar, see :func:`rebalance_schedule`) is set
    or, for weights with ``drift_threshold``, when a weight drifted beyond it at bar ``t``.
    Weights are fractions of the cash group's equity (1.0 = fully invested; negative = short).
    """
    cfg_model = config or VectorizedConfig()
    c, o, _, _ = _ohlc(close, open, None, None, cfg_model)
    n, m = c.shape
    idx = bar_index(index, close, n)
    tgt = np.asarray(
        target.to_numpy() if _pandas_type(target, "DataFrame") else target, dtype=np.float64
    )
    if tgt.ndim == 1:
        tgt = tgt.reshape(-1, 1)
    if tgt.shape != c.shape:
        raise ValidationError(
            f"target has shape {tgt.shape}, close has shape {c.shape}", code="misaligned"
        )
    if np.isinf(tgt).any():
        raise ValidationError("target has infinite values", code="non_finite")
    tgt = np.ascontiguousarray(tgt)
    if rebalance is None:
        reb = np.ones(n, dtype=np.bool_)
    else:
        reb = np.ascontiguousarray(np.asarray(rebalance, dtype=np.bool_).reshape(-1))
        if reb.shape != (n,):
            raise ValidationError(
                f"rebalance has shape {reb.shape}, expected ({n},)", code="misaligned"
            )
    cfg = cost_vector(cfg_model)
    if drift_threshold is not None:
        if kind != "weights" or drift_threshold <= 0:
            raise ValidationError(
                "drift_threshold needs weights and a positive value", code="out_of_range"
            )
        cfg[costs.C_DRIFT] = drift_threshold
    exec_open = cfg_model.execution == "next_open"
    is_w = kind == "weights"
    labels = _labels(close, m, columns)
    pos = np.zeros((n, m))
    n_reb = int(reb.sum()) + (n if drift_threshold is not None else 0)
    if cfg_model.cash_sharing:
        total = (min(n_reb, n) + 1) * m
        rec = _alloc(total)
        vbuf = np.empty(n)
        count = tk.targets_group(c, o, tgt, is_w, reb, cfg, exec_open, 0, *rec, vbuf, pos)
        orders = _pack(rec, np.array([0, total]), np.array([count]), idx)
        value = vbuf.reshape(-1, 1)
        groups = ["portfolio"]
    else:
        start = np.arange(m + 1, dtype=np.int64) * (min(n_reb, n) + 1)
        rec = _alloc(int(start[-1]))
        value = np.empty((n, m))
        counts = tk.targets_columns(c, o, tgt, is_w, reb, cfg, exec_open, start, *rec, value, pos)
        orders = _pack(rec, start, counts, idx)
        groups = labels
    return BacktestResult(idx, labels, groups, cfg_model.init_cash, orders, pos, value, c)


def rebalance_schedule(
    index: npt.NDArray[np.int64],
    every: Literal["bar", "week", "month"] | int = "month",
) -> npt.NDArray[np.bool_]:
    """Bars whose close decides a rebalance (traded on the next bar).

    ``int`` N: every N-th bar starting at bar 0. ``"week"``/``"month"``: the last bar of each
    ISO week / calendar month (UTC) in the index, so the trade happens on the first bar of the
    next period; the final bar is not flagged (nothing trades after it).
    """
    idx = np.asarray(index, dtype=np.int64)
    n = idx.shape[0]
    if isinstance(every, int):
        if every < 1:
            raise ValidationError("rebalance every N bars needs N >= 1", code="out_of_range")
        return np.arange(n) % every == 0
    if every == "bar":
        return np.ones(n, dtype=np.bool_)
    import pandas as pd

    ts = pd.to_datetime(idx, utc=True)
    if every == "month":
        key = ts.year.to_numpy() * 12 + ts.month.to_numpy()
    elif every == "week":
        iso = ts.isocalendar()
        key = iso["year"].to_numpy().astype(np.int64) * 53 + iso["week"].to_numpy()
    else:
        raise ValidationError(f"unknown schedule {every!r}", code="out_of_range")
    out = np.zeros(n, dtype=np.bool_)
    out[:-1] = key[1:] != key[:-1]
    return out


def _alloc(total: int) -> tuple[npt.NDArray[Any], ...]:
    i8 = np.int64
    return (
        np.empty(total, i8),
        np.empty(total, i8),
        np.empty(total, i8),
        np.empty(total),
        np.empty(total),
        np.empty(total),
        np.empty(total, i8),
    )


def _pack(
    rec: tuple[npt.NDArray[Any], ...],
    start: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    idx: npt.NDArray[np.int64],
) -> npt.NDArray[Any]:
    m = len(counts)
    if m == 1:
        sel = np.arange(start[0], start[0] + counts[0], dtype=np.int64)
    else:
        sel = np.concatenate([np.arange(start[g], start[g] + counts[g]) for g in range(m)])
        sel = sel.astype(np.int64)
    out = np.empty(len(sel), dtype=ORDER_DTYPE)
    out["id"] = np.arange(len(sel))
    out["col"], out["bar"], out["side"] = rec[0][sel], rec[1][sel], rec[2][sel]
    out["ts"] = idx[out["bar"]]
    out["qty"], out["price"], out["fee"], out["reason"] = (
        rec[3][sel],
        rec[4][sel],
        rec[5][sel],
        rec[6][sel],
    )
    return out
