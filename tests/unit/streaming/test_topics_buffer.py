"""The topic table, permission rules and the replay buffer."""

from __future__ import annotations

import msgspec
import pytest

from nautilus.core.errors import PermissionDeniedError, ValidationError
from nautilus.execution.oms import PositionUpdate
from nautilus.model import Bar
from nautilus.risk.alerts import Alert
from nautilus.security import Principal
from nautilus.streaming.buffer import Frame, ReplayBuffer
from nautilus.streaming.topics import (
    TOPIC_RULES,
    AccountOwners,
    TopicMap,
    authorize,
    matches,
    permits,
)


def rule(public: str):  # type: ignore[no-untyped-def]
    return next(r for r in TOPIC_RULES if r.public == public)


def test_bus_topics_map_to_public_topics_and_back() -> None:
    bars = rule("bars")
    assert bars.to_public("data.bars.AAPL.XNAS.1m") == "bars.AAPL.XNAS.1m"
    assert rule("orders").to_public("orders.acc-1") == "orders.acc-1"
    assert rule("risk.alerts").bus_patterns == ("risk.alerts", "risk.alerts.>")
    tm = TopicMap()
    assert tm.rule_for("bars.AAPL.XNAS.1m") is bars
    assert tm.rule_for("risk.alerts") is rule("risk.alerts")
    assert tm.rule_for("risk.snapshots.acc_1") is rule("risk.snapshots")
    assert tm.rule_for("nothing.here") is None
    assert tm.rule_for("bars") is None  # a market topic needs its instrument


def test_patterns_resolve_with_wildcards_and_bare_prefixes() -> None:
    tm = TopicMap()
    r = tm.resolve("bars.*.1m")
    assert r.rule.public == "bars" and r.key is None
    assert matches(r, "bars.AAPL.1m") and not matches(r, "bars.AAPL.XNAS.1m")
    assert matches(tm.resolve("bars.AAPL.XNAS.>"), "bars.AAPL.XNAS.1m")
    orders = tm.resolve("orders")
    assert orders.pattern == "orders.>" and matches(orders, "orders.acc-1")
    alerts = tm.resolve("risk.alerts")
    assert matches(alerts, "risk.alerts") and matches(alerts, "risk.alerts.acc-1")
    assert tm.resolve("jobs.abc").key == "abc"
    for bad in ("", "bars..1m", "bars.>.1m", "weather.london"):
        with pytest.raises(ValidationError):
            tm.resolve(bad)


def test_subscription_authorisation(alice: Principal, bob: Principal, root: Principal) -> None:
    tm = TopicMap()
    owners = AccountOwners()
    owners.assign("acc-a", alice.user_id)
    authorize(alice, tm.resolve("orders.acc-a"), owners)
    authorize(bob, tm.resolve("orders"), owners)  # filtered per frame
    authorize(root, tm.resolve("orders.acc-a"), owners)
    with pytest.raises(PermissionDeniedError):
        authorize(bob, tm.resolve("orders.acc-a"), owners)
    with pytest.raises(PermissionDeniedError):
        authorize(bob, tm.resolve("jobs.*"), owners)
    with pytest.raises(PermissionDeniedError):
        authorize(bob, tm.resolve("jobs.j1"), owners, job_owner=alice.user_id)
    authorize(alice, tm.resolve("jobs.j1"), owners, job_owner=alice.user_id)
    authorize(root, tm.resolve("jobs.>"), owners)
    authorize(bob, tm.resolve("bars.>"), owners)


def test_frame_permissions_follow_topic_account_or_message_owner(
    alice: Principal, bob: Principal
) -> None:
    owners = AccountOwners()
    owners.assign("acc-a", alice.user_id)
    orders = rule("orders")
    ok = permits(alice.user_id, False, orders, "orders.acc-a", {"x": 1}, owners)
    assert ok
    assert not permits(bob.user_id, False, orders, "orders.acc-a", {"x": 1}, owners)
    assert permits(bob.user_id, True, orders, "orders.acc-a", {"x": 1}, owners)
    # an unknown account belongs to nobody (but an admin)
    assert not permits(alice.user_id, False, orders, "orders.acc-z", {}, owners)
    alert = Alert(
        id="1",
        ts_event=1,
        account_id="acc-a",
        metric="gross",
        severity="warning",
        value=8.0,
        limit=10.0,
        utilisation=0.8,
        message="gross at 80%",
    )
    alerts = rule("risk.alerts")
    assert permits(alice.user_id, False, alerts, "risk.alerts", alert, owners)
    assert not permits(bob.user_id, False, alerts, "risk.alerts", alert, owners)
    # a message naming its owner wins over the account map
    assert permits(bob.user_id, False, rule("pnl"), "pnl.acc-a", {"owner_id": "bob"}, owners)
    assert permits(bob.user_id, False, rule("bars"), "bars.X.1m", {}, owners)


def test_bus_structs_encode_to_json_data(alice: Principal) -> None:
    from decimal import Decimal

    update = PositionUpdate(
        account_id="acc-a",
        position_id="p1",
        instrument_id="AAPL",
        signed_qty=Decimal("-3"),
        avg_px_open=Decimal("101.25"),
        realized_pnl=Decimal("0"),
        commission=Decimal("0.5"),
        ts_event=7,
    )
    frame = Frame.build(
        rule("positions"), "positions.acc-a", 3, 99, msgspec.json.encode(update), update
    )
    decoded = msgspec.json.decode(frame.text)
    assert decoded == {
        "type": "data",
        "topic": "positions.acc-a",
        "seq": 3,
        "ts": 99,
        "data": {
            "account_id": "acc-a",
            "position_id": "p1",
            "instrument_id": "AAPL",
            "signed_qty": "-3",
            "avg_px_open": "101.25",
            "realized_pnl": "0",
            "commission": "0.5",
            "ts_event": 7,
        },
    }
    snap = msgspec.json.decode(frame.snapshot_text())
    assert snap["type"] == "snapshot" and snap["seq"] == 3 and snap["data"] == decoded["data"]


def _bar(i: int) -> Bar:
    return Bar(
        instrument_id="X",
        timeframe="1m",
        open=i,
        high=i,
        low=i,
        close=i,
        volume=1.0,
        ts_event=i,
        ts_init=i,
    )


def _record(buf: ReplayBuffer, topic: str, n: int) -> None:
    for i in range(n):
        bar = _bar(i)
        buf.record(
            Frame.build(rule("bars"), topic, buf.next_seq(topic), i, msgspec.json.encode(bar), bar)
        )


def test_replay_buffer_resume_gap_and_snapshot() -> None:
    buf = ReplayBuffer(size=5, max_topics=2)
    _record(buf, "bars.X.1m", 12)
    assert buf.last_seq("bars.X.1m") == 12
    assert [f.seq for f in buf.since("bars.X.1m", 9) or []] == [10, 11, 12]
    assert buf.since("bars.X.1m", 7) == [f for f in buf.since("bars.X.1m", 7) or []]
    assert [f.seq for f in buf.since("bars.X.1m", 7) or []] == [8, 9, 10, 11, 12]
    assert buf.since("bars.X.1m", 12) == []
    assert buf.since("bars.X.1m", 6) is None  # seq 7 is gone
    assert buf.since("bars.X.1m", 40) is None  # ahead: counters were reset
    latest = buf.latest("bars.X.1m")
    assert latest is not None and latest.seq == 12
    assert msgspec.json.decode(latest.data)["close"] == 11.0
    # a duplicate (e.g. relayed twice) is not kept
    assert not buf.record(latest)
    # topics beyond max_topics are evicted least recently updated first
    _record(buf, "bars.Y.1m", 1)
    _record(buf, "bars.X.1m", 1)
    _record(buf, "bars.Z.1m", 1)
    assert sorted(buf.topics()) == ["bars.X.1m", "bars.Z.1m"] and buf.evicted == 1
    assert buf.since("bars.unknown", 0) == []
