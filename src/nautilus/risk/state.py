"""Trading states and the kill switch.

- ``ACTIVE``: every order the rules allow passes.
- ``REDUCING``: only orders that reduce an existing position pass (with the open orders on the
  same side counted, so exposure can never grow).
- ``HALTED``: no new orders and no modifies; cancels are always allowed (they never reach the
  gate).

A state is kept for the whole platform (key ``"*"``) and per account; the stricter of the two
applies. The kill switch halts and publishes a :class:`KillCommand` on ``risk.kill`` at
``Lane.CRITICAL`` so that the execution engine cancels working orders when
``cancel_orders`` is set. Times are int ns UTC.
"""

from __future__ import annotations

import threading
from enum import StrEnum

import msgspec

from nautilus.bus.base import Lane, MessageBus, message_type

KILL_TOPIC = "risk.kill"
STATE_TOPIC = "risk.state"
GLOBAL = "*"


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@message_type
class KillCommand(msgspec.Struct, frozen=True, kw_only=True):
    """Halt ``account_id`` (``None`` = all accounts); cancel its working orders if asked."""

    account_id: str | None
    cancel_orders: bool
    reason: str
    actor: str
    ts_event: int


@message_type
class TradingStateChanged(msgspec.Struct, frozen=True, kw_only=True):
    """Published on ``risk.state`` whenever a state changes."""

    account_id: str | None
    old: str
    new: str
    reason: str
    actor: str
    ts_event: int


class TradingStates:
    """Global and per-account trading states; reads are lock-free dict lookups."""

    def __init__(self, bus: MessageBus | None = None) -> None:
        self.bus = bus
        self._states: dict[str, TradingState] = {GLOBAL: TradingState.ACTIVE}
        self._lock = threading.Lock()

    def effective(self, account_id: str) -> TradingState:
        """The stricter of the global and the account state."""
        g = self._states[GLOBAL]
        a = self._states.get(account_id)
        if a is None or g.rank >= a.rank:
            return g
        return a

    def get(self, account_id: str | None = None) -> TradingState:
        return self._states.get(account_id or GLOBAL, TradingState.ACTIVE)

    def snapshot(self) -> dict[str, str]:
        return {k: v.value for k, v in sorted(self._states.items())}

    def set(self, state: TradingState | str, *, account_id: str | None = None, reason: str = "",
            actor: str = "system", ts_ns: int = 0) -> TradingState:
        """Set a state; returns the previous one and publishes a change on ``risk.state``."""
        new = TradingState(state)
        key = account_id or GLOBAL
        with self._lock:
            old = self._states.get(key, TradingState.ACTIVE)
            self._states[key] = new
        if old is not new and self.bus is not None:
            self.bus.publish(STATE_TOPIC, TradingStateChanged(
                account_id=account_id, old=old.value, new=new.value, reason=reason,
                actor=actor, ts_event=ts_ns), lane=Lane.HIGH)
        return old

    def kill(self, *, account_id: str | None = None, cancel_orders: bool = True, reason: str,
             actor: str = "system", ts_ns: int = 0) -> KillCommand:
        """Halt and publish the kill command on ``risk.kill`` (``Lane.CRITICAL``)."""
        self.set(TradingState.HALTED, account_id=account_id, reason=reason, actor=actor,
                 ts_ns=ts_ns)
        cmd = KillCommand(account_id=account_id, cancel_orders=cancel_orders, reason=reason,
                          actor=actor, ts_event=ts_ns)
        if self.bus is not None:
            self.bus.publish(KILL_TOPIC, cmd, lane=Lane.CRITICAL)
        return cmd
