"""The fill assumptions the vectorized and the event-driven engine share.

A target strategy run on bars through the event-driven engine (strategy -> OMS -> simulated
venue) and through :func:`~nautilus.backtest.vectorized.engine.run_targets` gives the same fills
(bar, side, quantity, price, commission) and the same equity curve when:

- **Timing**: a target decided at bar ``t``'s close is a market order that reaches the venue
  with no latency (``fixed`` latency, ``delay_ns = 0``) and fills at bar ``t + 1``'s open
  (``execution="next_open"``). Nothing fills on the bar that decided it.
- **Sizing**: units floor towards zero to the instrument's lot; weights become units at the
  signal bar's close against the equity marked at that close (``weight_sizing="signal"``),
  the only values a strategy sending a market order at the close has.
- **Prices**: the bar open, slipped by ``fixed_bps`` (or not at all) and put on the tick grid
  against the trader (``tick_size``). Bar prices are assumed on the tick grid already (the
  venue quantizes raw bar prices to the instrument's price precision).
- **Fees**: the venue's fee model (``none``, ``bps``, ``per_share``, ``maker_taker``; market
  orders are takers) rounded half-even to the model's ``precision``, as the venue does in
  Decimal (``costs`` explains how the float kernels reach the same values).
- **Cash**: one account for all instruments (``cash_sharing``); equity is cash plus positions
  marked at each bar's close. The event engine's default gate does not check cash, while the
  vectorized engine scales buys down to the cash left: the runs agree while buys stay funded.
- **Instruments**: one tick and lot size for all, multiplier 1, no minimum notional, netting.

Anything outside this (latency, volume-dependent slippage, tiered fees, hedging accounts,
mixed grids) makes :func:`venue_fill_config` raise ``unsupported_model``.

>>> from decimal import Decimal
>>> from nautilus.execution.config import ModelChoice, SimulatedVenueConfig
>>> from nautilus.model.instrument import Instrument
>>> venue = SimulatedVenueConfig(fees=ModelChoice(name="bps", params={"bps": "5"}))
>>> cfg = venue_fill_config(venue, [Instrument.create("AAA.SIM", "equity", "USD")], Decimal(10_000))
>>> cfg.execution, cfg.tick_size, cfg.lot_size, cfg.weight_sizing
('next_open', 0.01, 1.0, 'signal')
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from nautilus.backtest.vectorized.engine import VectorizedConfig
from nautilus.core.errors import ValidationError

if TYPE_CHECKING:
    from nautilus.execution.config import SimulatedVenueConfig
    from nautilus.model.instrument import Instrument

_FEES = ("none", "bps", "per_share", "maker_taker")


def _unsupported(what: str) -> ValidationError:
    return ValidationError(
        f"{what}: the vectorized engine cannot reproduce this venue", code="unsupported_model"
    )


def venue_fill_config(
    venue: SimulatedVenueConfig,
    instruments: Iterable[Instrument],
    initial_cash: Decimal | float,
) -> VectorizedConfig:
    """The :class:`VectorizedConfig` under which ``run_targets`` fills like ``venue`` does.

    Raises:
        ValidationError: ``unsupported_model`` when the venue or the instruments use anything
            the vectorized engine cannot express (see the module docstring).
    """
    insts = list(instruments)
    if not insts:
        raise ValidationError("no instruments", code="empty")
    lat = venue.latency
    if lat.name != "fixed" or int(lat.params.get("delay_ns", 0)) != 0:
        raise _unsupported(f"latency {lat.name} {lat.params}")
    if venue.fees.name not in _FEES:
        raise _unsupported(f"fee model {venue.fees.name!r}")
    if len(venue.slippage) > 1 or any(s.name != "fixed_bps" for s in venue.slippage):
        raise _unsupported(f"slippage {[s.name for s in venue.slippage]}")
    first = insts[0]
    for inst in insts:
        if inst.tick_size != first.tick_size or inst.lot_size != first.lot_size:
            raise _unsupported(f"{inst.id} has another tick or lot size than {first.id}")
        if inst.multiplier != 1 or inst.min_notional != 0 or inst.min_quantity > inst.lot_size:
            raise _unsupported(f"{inst.id} has a multiplier, a minimum notional or quantity")
    slip = venue.slippage[0] if venue.slippage else None
    return VectorizedConfig(
        init_cash=float(initial_cash),
        cash_sharing=True,
        execution="next_open",
        fee_model=venue.fees.name,
        fee_params=dict(venue.fees.params),
        slippage_model=slip.name if slip is not None else None,
        slippage_params=dict(slip.params) if slip is not None else {},
        lot_size=float(first.lot_size),
        tick_size=float(first.tick_size),
        weight_sizing="signal",
    )
