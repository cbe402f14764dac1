"""Results of an event-driven backtest: orders, fills, positions, equity and statistics.

Money in orders, fills and positions stays Decimal (written as strings); the equity curve is
float64 (reporting). Statistics come from :func:`nautilus.analytics.metrics_table` over the
equity curve's simple returns, annualised with ``periods_per_year``. ``fingerprint`` is a
SHA-256 over the canonical bytes of orders, fills and equity: equal fingerprints mean
byte-identical runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.analytics.metrics import metrics_table
from nautilus.model.events import OrderFilled
from nautilus.model.orders import Order
from nautilus.model.position import Position


def order_row(o: Order) -> dict[str, Any]:
    """An order as a JSON-ready dict (Decimals as strings, times int ns UTC)."""
    return {
        "client_order_id": o.client_order_id,
        "instrument_id": o.instrument_id,
        "side": o.side.value,
        "order_type": o.order_type.value,
        "quantity": str(o.quantity),
        "price": None if o.price is None else str(o.price),
        "trigger_price": None if o.trigger_price is None else str(o.trigger_price),
        "time_in_force": o.time_in_force.value,
        "status": o.status.value,
        "filled_qty": str(o.filled_qty),
        "avg_px": None if o.avg_px is None else str(o.avg_px),
        "venue_order_id": o.venue_order_id,
        "order_list_id": o.order_list_id,
        "ts_init": o.ts_init,
        "ts_last": o.ts_last,
        "reason": next(
            (getattr(e, "reason", None) for e in reversed(o.events) if hasattr(e, "reason")), None
        ),
    }


def fill_row(f: OrderFilled) -> dict[str, Any]:
    return {
        "trade_id": f.trade_id,
        "client_order_id": f.client_order_id,
        "venue_order_id": f.venue_order_id,
        "instrument_id": f.instrument_id,
        "side": f.side.value,
        "last_qty": str(f.last_qty),
        "last_px": str(f.last_px),
        "commission": str(f.commission),
        "currency": f.currency,
        "liquidity_side": f.liquidity_side.value,
        "ts_event": f.ts_event,
    }


def position_row(p: Position) -> dict[str, Any]:
    return {
        "position_id": p.position_id,
        "instrument_id": p.instrument_id,
        "signed_qty": str(p.signed_qty),
        "avg_px_open": None if p.avg_px_open is None else str(p.avg_px_open),
        "realized_pnl": str(p.realized_pnl),
        "commission": str(p.commission),
        "ts_opened": p.ts_opened,
        "ts_closed": p.ts_closed,
    }


def _clean(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


_ENC = msgspec.json.Encoder()
_DEC = msgspec.json.Decoder()


def encode_row(row: dict[str, Any]) -> bytes:
    """One row as compact JSON (how a run keeps its orders and fills in memory)."""
    return _ENC.encode(row)


@dataclass
class EventBacktestResult:
    """Everything a run produced (see the module docstring).

    Orders, fills and positions are kept as compact JSON rows (``*_rows``, bytes) and decoded
    to dicts on first access of ``orders`` / ``fills`` / ``positions``, so a run with many
    orders holds about 300 bytes per row.
    """

    strategy: str
    config: dict[str, Any]
    order_rows: list[bytes]
    fill_rows: list[bytes]
    position_rows: list[bytes]
    equity_ts: npt.NDArray[np.int64]
    equity: npt.NDArray[np.float64]
    stats: dict[str, float | None]
    bars: int
    elapsed_s: float
    initial_cash: str
    final_cash: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        strategy: str,
        config: dict[str, Any],
        orders: list[bytes],
        fills: list[bytes],
        positions: list[bytes],
        equity_ts: npt.NDArray[np.int64],
        equity: npt.NDArray[np.float64],
        periods_per_year: float,
        bars: int,
        elapsed_s: float,
        initial_cash: Decimal,
        cash: Decimal,
    ) -> EventBacktestResult:
        """Result from encoded rows (:func:`order_row` etc. through :func:`encode_row`)."""
        stats: dict[str, float | None] = {}
        if len(equity) >= 3:
            start = float(initial_cash)
            rets = np.diff(np.r_[start, equity]) / np.r_[start, equity[:-1]]
            table = metrics_table(rets, periods_per_year=periods_per_year)
            stats = {str(k): _clean(float(v)) for k, v in table.iloc[:, 0].items()}
        stats["total_return"] = (
            float(equity[-1]) / float(initial_cash) - 1.0 if len(equity) else 0.0
        )
        stats["orders"] = float(len(orders))
        stats["fills"] = float(len(fills))
        return cls(
            strategy=strategy,
            config=config,
            order_rows=orders,
            fill_rows=fills,
            position_rows=positions,
            equity_ts=equity_ts,
            equity=equity,
            stats=stats,
            bars=bars,
            elapsed_s=elapsed_s,
            initial_cash=str(initial_cash),
            final_cash=str(cash),
        )

    @cached_property
    def orders(self) -> list[dict[str, Any]]:
        return [_DEC.decode(r) for r in self.order_rows]

    @cached_property
    def fills(self) -> list[dict[str, Any]]:
        return [_DEC.decode(r) for r in self.fill_rows]

    @cached_property
    def positions(self) -> list[dict[str, Any]]:
        return [_DEC.decode(r) for r in self.position_rows]

    @property
    def bars_per_second(self) -> float:
        return self.bars / self.elapsed_s if self.elapsed_s > 0 else math.inf

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for rows in (self.order_rows, self.fill_rows):
            for r in rows:
                h.update(r)
                h.update(b"\n")
            h.update(b"--")
        h.update(np.ascontiguousarray(self.equity_ts).tobytes())
        h.update(np.ascontiguousarray(self.equity).tobytes())
        return h.hexdigest()

    def orders_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.orders)

    def fills_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.fills)

    def equity_series(self) -> pd.Series:
        return pd.Series(self.equity, index=pd.Index(self.equity_ts, name="ts"), name="equity")

    def summary(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "config": self.config,
            "bars": self.bars,
            "elapsed_s": round(self.elapsed_s, 6),
            "orders": len(self.order_rows),
            "fills": len(self.fill_rows),
            "initial_cash": self.initial_cash,
            "final_cash": self.final_cash,
            "final_equity": float(self.equity[-1]) if len(self.equity) else None,
            "stats": self.stats,
            "fingerprint": self.fingerprint(),
            **self.extra,
        }

    def to_dict(self, *, max_rows: int = 1000, max_points: int = 2000) -> dict[str, Any]:
        """JSON-ready summary with the first ``max_rows`` orders/fills and a thinned curve."""
        step = max(1, math.ceil(len(self.equity) / max_points))
        return {
            **self.summary(),
            "orders_list": [_DEC.decode(r) for r in self.order_rows[:max_rows]],
            "fills_list": [_DEC.decode(r) for r in self.fill_rows[:max_rows]],
            "positions": [_DEC.decode(r) for r in self.position_rows[-max_rows:]],
            "equity_curve": {
                "ts": self.equity_ts[::step].tolist(),
                "equity": [_clean(v) for v in self.equity[::step].tolist()],
            },
            "truncated": max(len(self.order_rows), len(self.fill_rows)) > max_rows,
        }

    def save(self, directory: str | Path) -> Path:
        """Write summary.json, orders/fills/positions JSON lines and equity.npz."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / "summary.json").write_text(json.dumps(self.summary(), indent=1))
        for name in ("order", "fill", "position"):
            rows: list[bytes] = getattr(self, f"{name}_rows")
            with (d / f"{name}s.jsonl").open("wb") as fh:
                for r in rows:
                    fh.write(r + b"\n")
        np.savez(d / "equity.npz", ts=self.equity_ts, equity=self.equity)
        return d

    @classmethod
    def load(cls, directory: str | Path) -> EventBacktestResult:
        d = Path(directory)
        s = json.loads((d / "summary.json").read_text())
        rows = {
            name: [line for line in (d / f"{name}s.jsonl").read_bytes().splitlines() if line]
            for name in ("order", "fill", "position")
        }
        eq = np.load(d / "equity.npz")
        return cls(
            strategy=s["strategy"],
            config=s["config"],
            order_rows=rows["order"],
            fill_rows=rows["fill"],
            position_rows=rows["position"],
            equity_ts=eq["ts"],
            equity=eq["equity"],
            stats=s["stats"],
            bars=s["bars"],
            elapsed_s=s["elapsed_s"],
            initial_cash=s["initial_cash"],
            final_cash=s["final_cash"],
        )
