"""Results of a vectorized backtest: orders, trades, positions, equity, returns and metrics.

Times are int ns UTC (the bar index the engine was given). Orders and trades are numpy record
arrays; ``side`` and ``direction`` are +1 (buy / long) and -1 (sell / short); quantities are
positive units; prices include slippage; fees are in the portfolio currency. Equity (``value``)
is cash plus positions marked at each bar's close, one column per cash group. Returns are simple
per-bar returns of the value, the first one against the initial cash.

A signal run hands over its orders and final equity only: the equity curve and positions are
replayed from the orders on first access (``kernels.replay``, exact), trades are built on first
access, and pandas / the analytics layer are imported only by the frame and metrics methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

ORDER_DTYPE = np.dtype(
    [
        ("id", np.int64),
        ("col", np.int64),
        ("bar", np.int64),
        ("ts", np.int64),
        ("side", np.int8),
        ("qty", np.float64),
        ("price", np.float64),
        ("fee", np.float64),
        ("reason", np.int8),
    ]
)
"""One fill. ``reason``: 0 signal, 1 stop-loss, 2 take-profit, 3 trailing stop, 4 rebalance."""

TRADE_DTYPE = np.dtype(
    [
        ("col", np.int64),
        ("entry_bar", np.int64),
        ("exit_bar", np.int64),
        ("entry_ts", np.int64),
        ("exit_ts", np.int64),
        ("direction", np.int8),
        ("size", np.float64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("fees", np.float64),
        ("pnl", np.float64),
        ("return", np.float64),
        ("closed", np.bool_),
    ]
)
"""One round trip; an open trade (``closed`` False) is marked at the last close."""

REASONS = ("signal", "stop_loss", "take_profit", "trailing_stop", "rebalance")


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """What one vectorized run produced (see the module docstring for conventions)."""

    index: npt.NDArray[np.int64]
    columns: list[str]
    groups: list[str]
    init_cash: float
    orders: npt.NDArray[Any]
    eager_positions: npt.NDArray[np.float64] | None = field(repr=False)
    eager_value: npt.NDArray[np.float64] | None = field(repr=False)
    close: npt.NDArray[np.float64] = field(repr=False)
    final_value: npt.NDArray[np.float64] | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _replay(self) -> None:
        from nautilus.backtest.vectorized.kernels import replay

        m = len(self.columns)
        one_per_col = len(self.groups) == m
        group_of_col = np.arange(m, dtype=np.int64) if one_per_col else np.zeros(m, np.int64)
        o = self.orders
        value, pos = replay(
            self.close,
            group_of_col,
            len(self.groups),
            float(self.init_cash),
            o["col"].astype(np.int64),
            o["bar"].astype(np.int64),
            o["side"].astype(np.int64),
            np.ascontiguousarray(o["qty"]),
            np.ascontiguousarray(o["price"]),
            np.ascontiguousarray(o["fee"]),
        )
        self._cache["value"] = value
        self._cache["positions"] = pos

    @property
    def positions(self) -> npt.NDArray[np.float64]:
        """(bars, columns) units held at each bar's close (+ long, - short)."""
        if self.eager_positions is not None:
            return self.eager_positions
        if "positions" not in self._cache:
            self._replay()
        return self._cache["positions"]  # type: ignore[no-any-return]

    @property
    def value(self) -> npt.NDArray[np.float64]:
        """(bars, groups) equity: cash plus positions marked at each bar's close."""
        if self.eager_value is not None:
            return self.eager_value
        if "value" not in self._cache:
            self._replay()
        return self._cache["value"]  # type: ignore[no-any-return]

    @property
    def returns(self) -> npt.NDArray[np.float64]:
        """(bars, groups) simple returns; bar 0 against the initial cash."""
        if "returns" not in self._cache:
            prev = np.empty_like(self.value)
            prev[0] = self.init_cash
            prev[1:] = self.value[:-1]
            self._cache["returns"] = self.value / prev - 1.0
        return self._cache["returns"]  # type: ignore[no-any-return]

    @property
    def trades(self) -> npt.NDArray[Any]:
        """Round trips (``TRADE_DTYPE``), sorted by column then entry time."""
        if "trades" not in self._cache:
            from nautilus.backtest.vectorized.trades import trades_from_orders

            o = self.orders[np.argsort(self.orders["col"], kind="stable")]
            last = np.ascontiguousarray(self.close[-1])
            parts = trades_from_orders(
                o["col"].astype(np.int64),
                o["bar"].astype(np.int64),
                o["side"].astype(np.int64),
                np.ascontiguousarray(o["qty"]),
                np.ascontiguousarray(o["price"]),
                np.ascontiguousarray(o["fee"]),
                last,
                len(self.index),
            )
            out = np.empty(len(parts[0]), dtype=TRADE_DTYPE)
            out["col"], out["entry_bar"], out["exit_bar"] = parts[0], parts[1], parts[2]
            out["entry_ts"], out["exit_ts"] = self.index[parts[1]], self.index[parts[2]]
            out["direction"], out["size"] = parts[3], parts[4]
            out["entry_price"], out["exit_price"], out["fees"] = parts[5], parts[6], parts[7]
            out["pnl"], out["return"], out["closed"] = parts[8], parts[9], parts[10] > 0.5
            self._cache["trades"] = out
        return self._cache["trades"]  # type: ignore[no-any-return]

    @property
    def trade_count(self) -> npt.NDArray[np.int64]:
        """Closed round trips per column."""
        t = self.trades
        return np.bincount(t["col"][t["closed"]], minlength=len(self.columns)).astype(np.int64)

    @property
    def last_value(self) -> npt.NDArray[np.float64]:
        """Equity after the last bar, per group (no equity curve needed)."""
        return self.final_value if self.final_value is not None else self.value[-1]

    @property
    def total_return(self) -> npt.NDArray[np.float64]:
        """Final value / initial cash - 1, per group."""
        return self.last_value / self.init_cash - 1.0

    def value_frame(self) -> pd.DataFrame:
        """Equity as a DataFrame indexed by UTC timestamps."""
        import pandas as pd

        return pd.DataFrame(
            self.value, index=pd.to_datetime(self.index, utc=True), columns=self.groups
        )

    def returns_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            self.returns, index=pd.to_datetime(self.index, utc=True), columns=self.groups
        )

    def positions_frame(self) -> pd.DataFrame:
        """Units held at each bar's close (sign: + long, - short)."""
        import pandas as pd

        return pd.DataFrame(
            self.positions, index=pd.to_datetime(self.index, utc=True), columns=self.columns
        )

    def orders_frame(self) -> pd.DataFrame:
        import pandas as pd

        df = pd.DataFrame(self.orders)
        df["reason"] = [REASONS[r] for r in df["reason"]]
        df["instrument"] = [self.columns[c] for c in df["col"]]
        return df

    def trades_frame(self) -> pd.DataFrame:
        import pandas as pd

        df = pd.DataFrame(self.trades)
        df["instrument"] = [self.columns[c] for c in df["col"]]
        return df

    def metrics(self, periods_per_year: float = 252.0, **kwargs: Any) -> pd.DataFrame:
        """``analytics.metrics_table`` of the returns plus trade counts (metric × group)."""
        import pandas as pd

        from nautilus.analytics import metrics_table

        table = metrics_table(
            pd.DataFrame(self.returns, columns=self.groups),
            periods_per_year=periods_per_year,
            **kwargs,
        )
        counts = self.trade_count
        if len(self.groups) == len(self.columns):
            table.loc["trades"] = counts.astype(np.float64)
        else:
            table.loc["trades"] = float(counts.sum())
        return table

    def summary(self) -> dict[str, Any]:
        """JSON-friendly headline figures."""
        return {
            "bars": len(self.index),
            "start_ns": int(self.index[0]),
            "end_ns": int(self.index[-1]),
            "orders": len(self.orders),
            "trades": self.trade_count.tolist(),
            "total_return": self.total_return.tolist(),
            "final_value": self.last_value.tolist(),
        }
