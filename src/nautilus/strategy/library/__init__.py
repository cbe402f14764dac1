"""The shipped strategies; importing this package registers them in ``STRATEGIES``."""

from __future__ import annotations

from nautilus.strategy.library.bollinger_breakout import BollingerBreakout
from nautilus.strategy.library.donchian_atr import DonchianAtr
from nautilus.strategy.library.ema_cross import EmaCross
from nautilus.strategy.library.pairs import Pairs
from nautilus.strategy.library.rsi_reversion import RsiReversion
from nautilus.strategy.library.sma_signal import SmaTrendSignal

__all__ = [
    "BollingerBreakout",
    "DonchianAtr",
    "EmaCross",
    "Pairs",
    "RsiReversion",
    "SmaTrendSignal",
]
