"""Shared bars and instruments (defined once in the event-backtest tests)."""

from __future__ import annotations

from tests.unit.backtest_event.conftest import MINUTE, T0, gbm_bars, inst, inst_b

__all__ = ["MINUTE", "T0", "gbm_bars", "inst", "inst_b"]
