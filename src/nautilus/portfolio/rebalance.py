"""Rebalancing: when to trade (calendar or policy bands) and what to trade (a trade list).

Targets are weights of *investable* value, ``total value × (1 − cash_buffer)``; whatever is not
invested stays cash. A trade list honours each instrument's lot size (quantities are rounded
toward zero to whole lots, Decimal), a minimum trade value, restrictions (no buys of restricted
instruments), and the tax-lot method of the sells. Sells are planned first; buys are then cut
(largest first, whole lots) until they fit in the cash left above the buffer. The preview
applies the trades to a copy of the ledger at the reference prices, so the resulting weights,
cash and estimated realised gains (short / long term) are exactly what booking those fills
would produce (fees aside).

>>> check_weights({"A.X": 0.6, "B.X": 0.4})
>>> check_weights({"A.X": 0.6, "B.X": 0.5})
Traceback (most recent call last):
...
nautilus.core.errors.ValidationError: target weights sum to 1.1, not 1
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, Decimal

import msgspec
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.core.ids import new_id
from nautilus.portfolio.ledger import Ledger, order_lots
from nautilus.portfolio.model import (
    InvestmentPolicy,
    LotMethod,
    OrderIntent,
    Security,
    Transaction,
    TxnType,
)

WEIGHT_TOLERANCE = 1e-6


def check_weights(weights: Mapping[str, float] | Sequence[tuple[str, float]]) -> None:
    """Raise ValidationError unless the weights are finite, non-negative, unique, sum to one."""
    pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    names = [a for a, _ in pairs]
    dupes = sorted({a for a in names if names.count(a) > 1})
    if dupes:
        raise ValidationError(
            f"duplicate assets: {', '.join(dupes)}", code="duplicate_assets", assets=dupes
        )
    bad = sorted(a for a, w in pairs if not math.isfinite(w) or w < 0)
    if bad:
        raise ValidationError(
            f"weights must be finite and non-negative: {', '.join(bad)}",
            code="bad_weights",
            assets=bad,
        )
    total = math.fsum(w for _, w in pairs)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValidationError(
            f"target weights sum to {round(total, 10)}, not 1",
            code="weights_not_normalised",
            weight_sum=total,
        )


class RebalanceConfig(FrozenConfig):
    """How a rebalance trades (a request body of the API)."""

    cash_buffer: float = Field(0.01, ge=0, lt=1, description="Fraction of value kept in cash.")
    min_trade_value: float = Field(0.0, ge=0, description="Skip trades smaller than this.")
    lot_method: LotMethod = Field(LotMethod.FIFO, description="Which lots sells consume.")
    specific_lots: dict[str, list[str]] = Field(
        default_factory=dict, description="Instrument -> lot ids (lot_method 'specific')."
    )
    avoid_short_term_gains: bool = Field(False, description="Sell lots held > 365 days first.")
    restricted: tuple[str, ...] = ()


class PlannedTrade(msgspec.Struct, frozen=True, kw_only=True):
    instrument_id: str
    side: str
    quantity: Decimal
    price: Decimal
    value: Decimal
    lot_ids: list[str] = []


class RebalancePlan(msgspec.Struct, frozen=True, kw_only=True):
    """A what-if: trades plus the state after them (floats are fractions or base currency)."""

    id: str
    portfolio_id: str
    ts: int
    trades: list[PlannedTrade]
    total_value: float
    cash_before: float
    cash_after: float
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    targets: dict[str, float]
    realised_short_term: float
    realised_long_term: float
    turnover: float
    warnings: list[str] = []

    def intents(self) -> list[OrderIntent]:
        """The trades as order intents for the execution engine."""
        return [
            OrderIntent(
                plan_id=self.id,
                portfolio_id=self.portfolio_id,
                instrument_id=t.instrument_id,
                side=t.side,
                quantity=t.quantity,
                reference_price=t.price,
                lot_ids=t.lot_ids,
                ts_init=self.ts,
            )
            for t in self.trades
        ]


def weights_of(
    ledger: Ledger, securities: Mapping[str, Security]
) -> tuple[dict[str, float], float]:
    """Current weights of total value (cash under ``"cash"``) and the total value."""
    require_prices(ledger.positions(), securities)
    values = {i: float(q * securities[i].price) for i, q in ledger.positions().items()}
    total = sum(values.values()) + float(ledger.cash)
    if total <= 0:
        return {}, 0.0
    out = {i: v / total for i, v in values.items()}
    out["cash"] = float(ledger.cash) / total
    return out, total


def require_prices(
    instruments: Mapping[str, object] | Sequence[str], securities: Mapping[str, Security]
) -> None:
    missing = sorted(i for i in instruments if i not in securities)
    if missing:
        raise ValidationError(
            f"missing prices for: {', '.join(missing)}", code="missing_prices", instruments=missing
        )


def band_breaches(
    ledger: Ledger, securities: Mapping[str, Security], policy: InvestmentPolicy
) -> dict[str, float]:
    """Instrument -> drift (current − target weight of investable value) outside its band."""
    weights, _ = weights_of(ledger, securities)
    scale = 1.0 - policy.cash_buffer
    out: dict[str, float] = {}
    for inst in set(policy.targets) | {i for i in weights if i != "cash"}:
        drift = weights.get(inst, 0.0) / scale - policy.targets.get(inst, 0.0)
        if abs(drift) > policy.band(inst) + 1e-12:
            out[inst] = drift
    return out


def rebalance_due(
    ledger: Ledger,
    securities: Mapping[str, Security],
    policy: InvestmentPolicy,
    *,
    trigger: str,
    now_ns: int,
    last_rebalance_ns: int | None,
) -> bool:
    """``calendar``: ``rebalance_days`` since the last rebalance; ``band``: any band breached."""
    if trigger == "calendar":
        if last_rebalance_ns is None:
            return True
        return now_ns - last_rebalance_ns >= policy.rebalance_days * 86_400 * 10**9
    if trigger == "band":
        return bool(band_breaches(ledger, securities, policy))
    raise ValidationError(f"unknown trigger {trigger!r} (calendar, band)", code="bad_trigger")


def _lots_down(qty: Decimal, lot: Decimal) -> Decimal:
    return (qty / lot).to_integral_value(rounding=ROUND_DOWN) * lot


def plan_rebalance(
    portfolio_id: str,
    ledger: Ledger,
    securities: Mapping[str, Security],
    targets: Mapping[str, float],
    config: RebalanceConfig,
    *,
    now_ns: int,
) -> RebalancePlan:
    """The trade list that moves ``ledger`` toward ``targets`` and its previewed outcome."""
    check_weights(targets)
    restricted_buys = sorted(i for i in targets if i in config.restricted and targets[i] > 0)
    if restricted_buys:
        raise ValidationError(
            f"restricted instruments have targets: {', '.join(restricted_buys)}",
            code="restricted",
            instruments=restricted_buys,
        )
    held = ledger.positions()
    require_prices(sorted(set(held) | set(targets)), securities)
    weights_before, total = weights_of(ledger, securities)
    if total <= 0:
        raise ValidationError("the portfolio has no value to rebalance", code="empty_portfolio")
    investable = Decimal(repr(total * (1.0 - config.cash_buffer)))
    min_value = Decimal(repr(config.min_trade_value))
    sells: list[PlannedTrade] = []
    buys: list[PlannedTrade] = []
    warnings: list[str] = []
    for inst in sorted(set(held) | set(targets)):
        sec = securities[inst]
        if sec.price <= 0:
            warnings.append(f"{inst}: no positive price, not traded")
            continue
        target_value = investable * Decimal(repr(targets.get(inst, 0.0)))
        current_qty = held.get(inst, Decimal(0))
        delta_qty = target_value / sec.price - current_qty
        qty = _lots_down(abs(delta_qty), sec.lot_size)
        if delta_qty < 0 and targets.get(inst, 0.0) == 0.0:
            qty = current_qty  # a full exit sells odd lots too
        value = qty * sec.price
        if qty <= 0 or value < min_value:
            continue
        side = "sell" if delta_qty < 0 else "buy"
        (sells if side == "sell" else buys).append(
            PlannedTrade(instrument_id=inst, side=side, quantity=qty, price=sec.price, value=value)
        )
    sells = [_with_lots(ledger, t, config, now_ns) for t in sells]
    buffer = Decimal(repr(total * config.cash_buffer))
    available = ledger.cash + sum((t.value for t in sells), Decimal(0)) - buffer
    buys = _fit_buys(buys, securities, available, min_value, warnings)
    trades = sells + buys
    after = _preview(ledger, trades, config, now_ns, portfolio_id)
    weights_after, _ = weights_of(after, securities)
    gains = after.realised[len(ledger.realised) :]
    short = sum((g.gain for g in gains if not g.long_term), Decimal(0))
    long_ = sum((g.gain for g in gains if g.long_term), Decimal(0))
    turnover = float(sum((t.value for t in trades), Decimal(0))) / total
    return RebalancePlan(
        id=new_id("rb"),
        portfolio_id=portfolio_id,
        ts=now_ns,
        trades=trades,
        total_value=total,
        cash_before=float(ledger.cash),
        cash_after=float(after.cash),
        weights_before=weights_before,
        weights_after=weights_after,
        targets=dict(targets),
        realised_short_term=float(short),
        realised_long_term=float(long_),
        turnover=turnover,
        warnings=warnings,
    )


def _with_lots(ledger: Ledger, trade: PlannedTrade, cfg: RebalanceConfig, now: int) -> PlannedTrade:
    """Choose the lots a sell consumes under the configured method."""
    method = cfg.lot_method
    ids = cfg.specific_lots.get(trade.instrument_id, [])
    if method is LotMethod.SPECIFIC and not ids:
        method = LotMethod.FIFO
    ordered = order_lots(
        ledger.lots.get(trade.instrument_id, []),
        method,
        lot_ids=ids,
        now_ns=now,
        prefer_long_term=cfg.avoid_short_term_gains,
    )
    chosen: list[str] = []
    left = trade.quantity
    for lot in ordered:
        if left <= 0:
            break
        chosen.append(lot.id)
        left -= min(lot.quantity, left)
    if left > 0:
        raise ValidationError(
            f"the chosen lots of {trade.instrument_id} hold less than {trade.quantity}",
            code="lots_too_small",
        )
    return msgspec.structs.replace(trade, lot_ids=chosen)


def _fit_buys(
    buys: list[PlannedTrade],
    securities: Mapping[str, Security],
    available: Decimal,
    min_value: Decimal,
    warnings: list[str],
) -> list[PlannedTrade]:
    """Cut buys (largest first, whole lots) until their total fits in ``available`` cash."""
    need = sum((t.value for t in buys), Decimal(0))
    if need <= available:
        return buys
    warnings.append(f"buys of {need:.2f} cut to the {max(available, Decimal(0)):.2f} available")
    scale = max(available, Decimal(0)) / need if need > 0 else Decimal(0)
    out: list[PlannedTrade] = []
    for t in buys:
        lot = securities[t.instrument_id].lot_size
        q = _lots_down(t.quantity * scale, lot)
        if q > 0 and q * t.price >= min_value:
            out.append(msgspec.structs.replace(t, quantity=q, value=q * t.price))
    return out


def _preview(
    ledger: Ledger, trades: list[PlannedTrade], cfg: RebalanceConfig, now: int, pid: str
) -> Ledger:
    after = ledger.copy()
    after.prefer_long_term = cfg.avoid_short_term_gains
    for k, t in enumerate(trades):
        after.apply(
            Transaction(
                id=f"preview-{k}",
                portfolio_id=pid,
                ts=now,
                type=TxnType.SELL if t.side == "sell" else TxnType.BUY,
                instrument_id=t.instrument_id,
                quantity=t.quantity,
                price=t.price,
                lot_ids=t.lot_ids,
            )
        )
    return after
