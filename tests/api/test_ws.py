"""The /ws endpoint on a real Platform: auth, subscriptions, permissions, resume, heartbeats."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

import nautilus.streaming  # noqa: F401 - registers the streaming engine
from nautilus.api import create_app
from nautilus.api.ws import mount_ws
from nautilus.model import Bar, OrderAccepted
from nautilus.platform import Platform
from nautilus.streaming import ACCOUNT_ASSIGNED_TOPIC, AccountAssigned, StreamingConfig
from nautilus.streaming.engine import StreamingEngine
from nautilus.streaming.messages import CLOSE_HEARTBEAT, CLOSE_POLICY

from .conftest import Headers

MakeUser = Callable[[str], tuple[str, Headers]]
Frame = dict[str, Any]
BASE = StreamingConfig(buffer_size=16, auth_timeout_s=5.0)


@pytest.fixture(scope="module")
def client(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # No dashboard: a StaticFiles mount at "/" would shadow a route added after it.
    no_web = tmp_path_factory.mktemp("web") / "absent"
    app = create_app(platform, announce=False, dashboard_dir=no_web)
    mount_ws(app, platform)
    with TestClient(app) as c:
        engine(platform).reconfigure(BASE)
        yield c


@pytest.fixture
def streaming(platform: Platform) -> Iterator[StreamingEngine]:
    eng = engine(platform)
    yield eng
    eng.reconfigure(BASE)


def engine(platform: Platform) -> StreamingEngine:
    eng = platform.engines["streaming"]
    assert isinstance(eng, StreamingEngine)
    return eng


def token_of(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


_backlog: weakref.WeakKeyDictionary[WebSocketTestSession, list[Frame]] = weakref.WeakKeyDictionary()


def recv(ws: WebSocketTestSession) -> Frame:
    """The next server frame, with ``batch`` frames unpacked in order."""
    queued = _backlog.setdefault(ws, [])
    if not queued:
        frame: Frame = ws.receive_json()
        if frame["type"] != "batch":
            return frame
        assert len(frame["frames"]) > 1
        queued.extend(frame["frames"])
    return queued.pop(0)


def auth(ws: WebSocketTestSession, **cred: str) -> Frame:
    ws.send_json({"type": "auth", **cred})
    welcome: Frame = recv(ws)
    assert welcome["type"] == "welcome", welcome
    return welcome


def subscribe(ws: WebSocketTestSession, *topics: str, since: dict[str, int] | None = None) -> None:
    ws.send_json({"type": "subscribe", "topics": list(topics), "since_seq": since or {}})
    ack = recv(ws)
    assert ack["type"] == "subscribed", ack


def closed_with(ws: WebSocketTestSession) -> tuple[int, str, list[Frame]]:
    """Read until the server closes; return the code, the reason and the frames before."""
    frames: list[Frame] = []
    with pytest.raises(WebSocketDisconnect) as info:
        while True:
            frames.append(recv(ws))
    return info.value.code, info.value.reason, frames


def bar(inst: str, close: float) -> Bar:
    return Bar(
        instrument_id=inst,
        timeframe="1m",
        open=close,
        high=close + 1,
        low=close - 1,
        close=close,
        volume=10.0,
        ts_event=1_700_000_000_000_000_000,
        ts_init=1,
    )


def inst() -> str:
    return "I" + uuid.uuid4().hex[:8].upper()


def test_auth_with_token_api_key_or_subprotocol(client: TestClient, make_user: MakeUser) -> None:
    _, headers = make_user("viewer")
    with client.websocket_connect("/ws") as ws:
        welcome = auth(ws, token=token_of(headers))
        assert welcome["admin"] is False and welcome["heartbeat_s"] == BASE.heartbeat_interval_s
    r = client.post("/api/v1/keys", headers=headers, json={"name": "ws", "scopes": ["read"]})
    assert r.status_code == 201, r.text
    with client.websocket_connect("/ws") as ws:
        assert auth(ws, api_key=r.json()["secret"])["user_id"] == welcome["user_id"]
    proto = "bearer." + token_of(headers)
    with client.websocket_connect("/ws", subprotocols=["nautilus.v1", proto]) as ws:
        assert ws.accepted_subprotocol == proto
        first = recv(ws)
        assert first["type"] == "welcome" and first["user_id"] == welcome["user_id"]
        ws.send_json({"type": "ping", "ts": 7})
        assert recv(ws) == {"type": "pong", "ts": 7}


def test_bad_or_missing_credentials_close_with_1008(
    client: TestClient, streaming: StreamingEngine
) -> None:
    for cred in ({"token": "not-a-jwt"}, {"api_key": "nk_bad_key"}):
        with client.websocket_connect("/ws") as ws:
            ws.send_json({"type": "auth", **cred})
            code, reason, _ = closed_with(ws)
            assert code == CLOSE_POLICY and reason.startswith("authentication failed")
    with client.websocket_connect("/ws", subprotocols=["bearer.forged"]) as ws:
        code, reason, _ = closed_with(ws)
        assert code == CLOSE_POLICY and "invalid" in reason
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "subscribe", "topics": ["bars.>"]})
        code, reason, _ = closed_with(ws)
        assert code == CLOSE_POLICY and "first message must be" in reason
    streaming.reconfigure(BASE.model_copy(update={"auth_timeout_s": 0.3}))
    with client.websocket_connect("/ws") as ws:
        code, reason, _ = closed_with(ws)
        assert code == CLOSE_POLICY and reason.startswith("authentication timeout")


def test_subscribe_and_receive_bars_published_on_the_bus(
    client: TestClient, platform: Platform, admin: Headers
) -> None:
    name = inst()
    with client.websocket_connect("/ws") as ws:
        auth(ws, token=token_of(admin))
        subscribe(ws, f"bars.{name}.*")
        ws.send_json({"type": "subscribe", "topics": ["weather.london"]})
        assert recv(ws)["code"] == "unknown_topic"  # an error frame, still open
        platform.bus.publish(f"data.bars.OTHER{name}.1m", bar(name, 1.0))
        for i in range(3):
            platform.bus.publish(f"data.bars.{name}.1m", bar(name, 100.0 + i))
        frames = [recv(ws) for _ in range(3)]
    assert [f["seq"] for f in frames] == [1, 2, 3]
    first = frames[0]
    assert first["type"] == "data" and first["topic"] == f"bars.{name}.1m"
    assert isinstance(first["ts"], int) and first["ts"] > 1_700_000_000_000_000_000
    assert first["data"] == {
        "instrument_id": name,
        "timeframe": "1m",
        "open": 100.0,
        "high": 101.0,
        "low": 99.0,
        "close": 100.0,
        "volume": 10.0,
        "ts_event": 1_700_000_000_000_000_000,
        "ts_init": 1,
    }


def order(order_id: str) -> OrderAccepted:
    return OrderAccepted(
        client_order_id=order_id,
        instrument_id="AAPL",
        ts_event=1,
        ts_init=1,
        venue_order_id="v" + order_id,
    )


def test_users_see_only_their_own_accounts(
    client: TestClient, platform: Platform, make_user: MakeUser, admin: Headers
) -> None:
    _, alice = make_user("trader")
    _, bob = make_user("trader")
    acc_a, acc_b = "A" + uuid.uuid4().hex[:6], "B" + uuid.uuid4().hex[:6]
    with (
        client.websocket_connect("/ws") as wa,
        client.websocket_connect("/ws") as wb,
        client.websocket_connect("/ws") as wroot,
    ):
        alice_id = auth(wa, token=token_of(alice))["user_id"]
        bob_id = auth(wb, token=token_of(bob))["user_id"]
        auth(wroot, token=token_of(admin))
        platform.bus.publish(
            ACCOUNT_ASSIGNED_TOPIC, AccountAssigned(account_id=acc_a, owner_id=alice_id)
        )
        platform.bus.publish(
            ACCOUNT_ASSIGNED_TOPIC, AccountAssigned(account_id=acc_b, owner_id=bob_id)
        )
        subscribe(wa, "orders")
        subscribe(wb, "orders", "risk.alerts")
        subscribe(wroot, f"orders.{acc_a}", f"orders.{acc_b}")
        platform.bus.publish(f"orders.{acc_a}", order("a-1"))
        platform.bus.publish("risk.alerts", {"account_id": acc_a, "message": "alice breach"})
        platform.bus.publish(f"orders.{acc_b}", order("b-1"))
        platform.bus.publish("risk.alerts", {"account_id": acc_b, "message": "bob breach"})
        a1 = recv(wa)
        b1, b2 = recv(wb), recv(wb)
        r1, r2 = recv(wroot), recv(wroot)
        # Bob's first frames are his own: Alice's order and alert never reached him.
        assert (a1["topic"], a1["data"]["client_order_id"]) == (f"orders.{acc_a}", "a-1")
        assert (b1["topic"], b1["data"]["client_order_id"]) == (f"orders.{acc_b}", "b-1")
        assert (b2["topic"], b2["data"]["message"]) == ("risk.alerts", "bob breach")
        assert [r1["topic"], r2["topic"]] == [f"orders.{acc_a}", f"orders.{acc_b}"]
        # Naming someone else's account is refused and closes the socket.
        wb.send_json({"type": "subscribe", "topics": [f"orders.{acc_a}"]})
        code, reason, _ = closed_with(wb)
        assert code == CLOSE_POLICY and reason.startswith(f"forbidden topic orders.{acc_a}")


def test_jobs_stream_to_their_owner_only(
    client: TestClient, platform: Platform, make_user: MakeUser, tmp_path: Path
) -> None:
    _, alice = make_user("trader")
    _, bob = make_user("trader")
    (tmp_path / "f.txt").write_text("x")
    r = client.post(
        "/api/v1/jobs",
        headers=alice,
        json={"kind": "system.checksum", "params": {"path": str(tmp_path)}},
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    with client.websocket_connect("/ws") as ws:
        auth(ws, token=token_of(alice))
        subscribe(ws, f"jobs.{job_id}", since={f"jobs.{job_id}": 0})
        first = recv(ws)  # the replayed "queued" event
        assert first["topic"] == f"jobs.{job_id}" and first["seq"] == 1
        assert first["data"]["job_id"] == job_id and first["data"]["state"] == "queued"
    for topic in (f"jobs.{job_id}", "jobs.*"):
        with client.websocket_connect("/ws") as ws:
            auth(ws, token=token_of(bob))
            ws.send_json({"type": "subscribe", "topics": [topic]})
            code, reason, _ = closed_with(ws)
            assert code == CLOSE_POLICY and reason.startswith("forbidden topic")


def test_resume_with_since_seq_and_snapshot_after_an_old_gap(
    client: TestClient, platform: Platform, admin: Headers
) -> None:
    name = inst()
    topic = f"quotes.{name}"

    def quote(i: int) -> dict[str, Any]:
        return {"instrument_id": name, "bid": float(i), "ask": i + 0.5}

    with client.websocket_connect("/ws") as ws:
        auth(ws, token=token_of(admin))
        subscribe(ws, topic)
        for i in range(5):
            platform.bus.publish(f"data.quotes.{name}", quote(i))
        seen = [recv(ws)["seq"] for _ in range(5)]
    assert seen == [1, 2, 3, 4, 5]
    for i in range(5, 8):  # published while disconnected
        platform.bus.publish(f"data.quotes.{name}", quote(i))
    with client.websocket_connect("/ws") as ws:
        auth(ws, token=token_of(admin))
        subscribe(ws, topic, since={topic: 5})
        replay = [recv(ws) for _ in range(3)]
        assert [(f["type"], f["seq"], f["data"]["bid"]) for f in replay] == [
            ("data", 6, 5.0),
            ("data", 7, 6.0),
            ("data", 8, 7.0),
        ]
        platform.bus.publish(f"data.quotes.{name}", quote(8))
        assert recv(ws)["seq"] == 9
    for i in range(9, 40):  # far more than the 16-frame buffer
        platform.bus.publish(f"data.quotes.{name}", quote(i))
    with client.websocket_connect("/ws") as ws:
        auth(ws, token=token_of(admin))
        subscribe(ws, topic, since={topic: 9})
        snap = recv(ws)
        assert snap["type"] == "snapshot" and snap["topic"] == topic
        assert snap["seq"] == 40 and snap["data"]["bid"] == 39.0
        platform.bus.publish(f"data.quotes.{name}", quote(40))
        assert recv(ws)["seq"] == 41


def test_silent_client_is_dropped_after_the_heartbeat_timeout(
    client: TestClient, streaming: StreamingEngine, admin: Headers
) -> None:
    streaming.reconfigure(
        BASE.model_copy(update={"heartbeat_interval_s": 0.1, "heartbeat_timeout_s": 0.6})
    )
    with client.websocket_connect("/ws") as ws:
        auth(ws, token=token_of(admin))
        code, reason, frames = closed_with(ws)
    assert code == CLOSE_HEARTBEAT and reason.startswith("heartbeat timeout")
    pings = [f for f in frames if f["type"] == "ping"]
    assert pings and all(isinstance(f["ts"], int) for f in pings)
