"""Public stream topics, the bus topics behind them, and who may see what.

The mapping is one table, :data:`TOPIC_RULES`. Each row names a public prefix (what a
WebSocket client subscribes to), the bus prefix the engines publish on, the access rule and
whether a slow client may get only the latest frame of a topic (conflation).

==================  =====================================  ========  ========
public topic         bus topic                              access    conflate
==================  =====================================  ========  ========
bars.<inst>.<tf>     data.bars.<inst>.<tf>  (data engine)   market    yes
quotes.<inst>        data.quotes.<inst>     (data engine)   market    yes
trades.<inst>        data.trades.<inst>                     market    yes
book.<inst>          data.book.<inst>                       market    no
factors.<set>        factors.<set>          (factor engine) market    yes
orders.<account>     orders.<account>       (execution)     account   no
fills.<account>      fills.<account>        (execution)     account   no
positions.<account>  positions.<account>    (portfolio)     account   no
pnl.<account>        pnl.<account>          (portfolio)     account   yes
risk.alerts          risk.alerts[.<acct>]   (risk engine)   account   no
risk.snapshots.<a>   risk.snapshots.<a>     (risk monitor)  account   yes
jobs.<id>            jobs.<id>              (job runner)    job       yes
==================  =====================================  ========  ========

Book frames are deltas, so dropping one corrupts the client's book: they are never conflated
(a client that cannot keep up is disconnected and resumes). The risk engine publishes alerts
on ``risk.alerts`` itself, each naming its ``account_id``; a ``bare`` row also streams the
prefix topic. Instrument ids keep their dots,
so ``bars.AAPL.XNAS.1m`` is a valid topic; match with ``*`` (one segment) and ``>`` (the rest).

Subscribing to a bare prefix (``orders``, ``risk.alerts``) means every topic below it
(``orders.>``). Access rules:

* ``market``: any principal with the ``read`` scope.
* ``account``: admins see every account; other users see frames whose message names them as
  ``owner_id`` or whose account (the topic's last part, or the message's ``account_id``)
  :class:`AccountOwners` assigns to them. A subscription to a named account someone else owns
  is refused.
* ``job``: admins see every job; other users may subscribe only to named jobs they own.

To stream a new kind of bus message, add a row.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import msgspec

from nautilus.bus.base import message_type, topic_matches
from nautilus.core.errors import PermissionDeniedError, ValidationError

if TYPE_CHECKING:
    from nautilus.security import Principal


class Access(StrEnum):
    """Who may receive a topic's frames (see the module docstring)."""

    MARKET = "market"
    ACCOUNT = "account"
    JOB = "job"


@dataclass(frozen=True, slots=True)
class TopicRule:
    """One row of the mapping: public prefix ↔ bus prefix, access rule, conflation."""

    public: str
    bus: str
    access: Access
    conflate: bool
    description: str = ""
    bare: bool = False
    """The bus also publishes on the prefix itself (``risk.alerts``), not only below it."""

    @property
    def public_parts(self) -> tuple[str, ...]:
        return tuple(self.public.split("."))

    @property
    def bus_patterns(self) -> tuple[str, ...]:
        """The bus patterns the engine subscribes to for this row."""
        below = f"{self.bus}.>"
        return (self.bus, below) if self.bare else (below,)

    def to_public(self, bus_topic: str) -> str:
        """``data.bars.AAPL.1m`` → ``bars.AAPL.1m`` (the topic must start with ``bus``)."""
        return self.public + bus_topic[len(self.bus) :]

    def key(self, public_topic: str) -> str:
        """The part of a public topic after the prefix: instrument, account or job id."""
        return public_topic[len(self.public) + 1 :]


TOPIC_RULES: tuple[TopicRule, ...] = (
    TopicRule("bars", "data.bars", Access.MARKET, True, "OHLCV bars per instrument, timeframe"),
    TopicRule("quotes", "data.quotes", Access.MARKET, True, "best bid/ask per instrument"),
    TopicRule("trades", "data.trades", Access.MARKET, True, "last trade per instrument"),
    TopicRule("book", "data.book", Access.MARKET, False, "order book deltas per instrument"),
    TopicRule("factors", "factors", Access.MARKET, True, "factor values per factor set"),
    TopicRule("orders", "orders", Access.ACCOUNT, False, "order events per account"),
    TopicRule("fills", "fills", Access.ACCOUNT, False, "fills per account"),
    TopicRule("positions", "positions", Access.ACCOUNT, False, "position changes per account"),
    TopicRule("pnl", "pnl", Access.ACCOUNT, True, "P&L per account"),
    TopicRule("risk.alerts", "risk.alerts", Access.ACCOUNT, False, "limit alerts", bare=True),
    TopicRule("risk.snapshots", "risk.snapshots", Access.ACCOUNT, True, "risk per account"),
    TopicRule("jobs", "jobs", Access.JOB, True, "job progress and state per job id"),
)

ACCOUNT_ASSIGNED_TOPIC = "accounts.assigned"
"""Bus topic of :class:`AccountAssigned`: tells the streaming engine who owns an account."""


@message_type
class AccountAssigned(msgspec.Struct, frozen=True, kw_only=True):
    """``account_id`` belongs to user ``owner_id`` (published by the portfolio side)."""

    account_id: str
    owner_id: str


class AccountOwners:
    """Thread-safe map account id → owning user id, fed by :class:`AccountAssigned`."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def assign(self, account_id: str, owner_id: str) -> None:
        with self._lock:
            self._owners[account_id] = owner_id

    def owner_of(self, account_id: str) -> str | None:
        return self._owners.get(account_id)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A validated client pattern: its rule, normalised public pattern and segments.

    ``bare`` is set when the client named just the prefix of a ``bare`` rule: the pattern then
    also matches the prefix topic itself.
    """

    rule: TopicRule
    pattern: str
    parts: tuple[str, ...]
    bare: bool = False

    def matches_parts(self, topic_parts: tuple[str, ...]) -> bool:
        if self.bare and topic_parts == self.rule.public_parts:
            return True
        return topic_matches(self.parts, topic_parts)

    @property
    def key(self) -> str | None:
        """The named account/job/instrument, or ``None`` when the pattern has wildcards."""
        rest = self.parts[len(self.rule.public_parts) :]
        if any(p in ("*", ">") for p in rest):
            return None
        return ".".join(rest)


class TopicMap:
    """Lookups over a rule table: client pattern → rule, public topic → rule."""

    def __init__(self, rules: tuple[TopicRule, ...] = TOPIC_RULES) -> None:
        # Longest prefix first, so that "risk.alerts" wins over a possible "risk".
        self.rules = tuple(sorted(rules, key=lambda r: -len(r.public_parts)))
        self._by_topic: dict[str, TopicRule | None] = {}

    def resolve(self, pattern: str) -> Resolved:
        """Validate a client pattern; a bare prefix means everything below it.

        >>> TopicMap().resolve("orders").pattern
        'orders.>'
        """
        parts = tuple(pattern.split(".")) if pattern else ()
        if not parts or any(not p for p in parts) or ">" in parts[:-1]:
            raise ValidationError(f"invalid topic pattern {pattern!r}", code="invalid_topic")
        for rule in self.rules:
            n = len(rule.public_parts)
            if parts[:n] == rule.public_parts:
                bare = len(parts) == n
                if bare:
                    parts = (*parts, ">")
                return Resolved(rule, ".".join(parts), parts, bare and rule.bare)
        known = ", ".join(r.public for r in TOPIC_RULES)
        raise ValidationError(
            f"unknown topic {pattern!r} (known prefixes: {known})", code="unknown_topic"
        )

    def rule_for(self, public_topic: str) -> TopicRule | None:
        """The rule of a concrete public topic (cached)."""
        try:
            return self._by_topic[public_topic]
        except KeyError:
            pass
        parts = tuple(public_topic.split("."))
        found = None
        for rule in self.rules:
            n = len(rule.public_parts)
            if parts[:n] == rule.public_parts and (len(parts) > n or rule.bare):
                found = rule
                break
        if len(self._by_topic) > 100_000:
            self._by_topic.clear()
        self._by_topic[public_topic] = found
        return found


def matches(resolved: Resolved, public_topic: str) -> bool:
    return resolved.matches_parts(tuple(public_topic.split(".")))


def authorize(
    principal: Principal, resolved: Resolved, owners: AccountOwners, job_owner: str | None = None
) -> None:
    """Refuse a subscription the principal may not hold (raises PermissionDeniedError).

    ``job_owner`` is the owner of the named job for ``jobs.<id>`` (looked up by the caller,
    which may do so off the event loop).
    """
    if principal.is_admin:
        return
    rule = resolved.rule
    if rule.access is Access.MARKET:
        return
    key = resolved.key
    if rule.access is Access.ACCOUNT:
        owner = owners.owner_of(key) if key else None
        if owner is not None and owner != principal.user_id:
            raise PermissionDeniedError(
                f"account {key} belongs to another user", code="forbidden_topic"
            )
        return
    if key is None:
        raise PermissionDeniedError(
            "only admins may subscribe to every job; name a job id", code="forbidden_topic"
        )
    if job_owner != principal.user_id:
        raise PermissionDeniedError(f"job {key} is not yours", code="forbidden_topic")


def message_field(msg: Any, name: str) -> Any:
    """A field of a bus Struct or of a decoded JSON object, else ``None``."""
    if isinstance(msg, dict):
        return msg.get(name)
    return getattr(msg, name, None)


def frame_owner(rule: TopicRule, public_topic: str, msg: Any, owners: AccountOwners) -> str | None:
    """The user an account frame belongs to, or ``None`` when nobody can be named."""
    owner = message_field(msg, "owner_id")
    if isinstance(owner, str):
        return owner
    account = rule.key(public_topic) or message_field(msg, "account_id")
    found = owners.owner_of(account) if isinstance(account, str) else None
    if found is None:
        alt = message_field(msg, "account_id")
        if isinstance(alt, str) and alt != account:
            found = owners.owner_of(alt)
    return found


def permits(
    user_id: str,
    is_admin: bool,
    rule: TopicRule,
    public_topic: str,
    msg: Any,
    owners: AccountOwners,
) -> bool:
    """Whether one frame may go to a user (subscription-level checks already passed)."""
    if rule.access is not Access.ACCOUNT or is_admin:
        return True
    return frame_owner(rule, public_topic, msg, owners) == user_id
