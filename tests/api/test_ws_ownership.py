"""Account ownership reaches the stream: a trader's paper account streams to that trader only,
a client account to its advisor, and a restarted process learns both from the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

import nautilus.execution.engine
import nautilus.streaming  # noqa: F401 - registers the streaming engine
from nautilus.api import create_app
from nautilus.api.ws import mount_ws
from nautilus.platform import Platform
from nautilus.portfolio.engine import PortfolioEngine
from nautilus.streaming import AccountOwners
from nautilus.streaming.engine import StreamingEngine
from nautilus.streaming.owners import load_owners

from .conftest import Headers

MakeUser = Callable[[str], tuple[str, Headers]]
Frame = dict[str, Any]
T = "/api/v1/trading"
SESSION = {
    "strategy": "ema_cross",
    "params": {"fast": 5, "slow": 20, "quantity": 10},
    "symbols": ["TEC01.XSYN"],
    "start": "2024-01-02",
    "end": "2024-01-04",
    "autostart": False,
}


@pytest.fixture(scope="module")
def client(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(platform, announce=False, dashboard_dir=tmp_path_factory.mktemp("w") / "x")
    mount_ws(app, platform)
    with TestClient(app) as c:
        yield c


def frames(ws: WebSocketTestSession) -> Iterator[Frame]:
    """Server frames in order, ``batch`` frames unpacked."""
    while True:
        frame: Frame = ws.receive_json()
        yield from frame["frames"] if frame["type"] == "batch" else [frame]


def login_ws(ws: WebSocketTestSession, headers: Headers) -> tuple[Iterator[Frame], str]:
    """Authenticate and subscribe to every account's orders and fills; the user id."""
    token = headers["Authorization"].removeprefix("Bearer ")
    ws.send_json({"type": "auth", "token": token})
    stream = frames(ws)
    welcome = next(stream)
    assert welcome["type"] == "welcome" and welcome["admin"] is False
    ws.send_json({"type": "subscribe", "topics": ["orders", "fills"]})
    assert next(stream)["type"] == "subscribed"
    return stream, welcome["user_id"]


def test_trader_receives_own_paper_orders_and_another_trader_does_not(
    client: TestClient, platform: Platform, make_user: MakeUser
) -> None:
    _, alice = make_user("trader")
    _, bob = make_user("trader")
    r = client.post(f"{T}/sessions", json=SESSION, headers=alice)
    assert r.status_code == 201, r.text
    account = r.json()["account_id"]
    with client.websocket_connect("/ws") as wa, client.websocket_connect("/ws") as wb:
        (a_stream, alice_id), (b_stream, _) = login_ws(wa, alice), login_ws(wb, bob)
        order = {
            "instrument_id": "TEC01.XSYN",
            "side": "buy",
            "order_type": "limit",
            "quantity": "5",
            "price": "1.00",
            "client_order_id": "own-1",
        }
        r = client.post(f"{T}/sessions/{account}/orders", json=order, headers=alice)
        assert r.status_code in (200, 201), r.text
        got = next(a_stream)
        assert got["type"] == "data" and got["topic"] == f"orders.{account}"
        assert got["data"]["client_order_id"] == "own-1" and got["seq"] == 1
        # Bob's socket carries nothing before the answer to his ping: no frame of Alice's.
        wb.send_json({"type": "ping", "ts": 99})
        assert next(b_stream) == {"type": "pong", "ts": 99}
    # A process that starts now (or restarts) knows the owner from the store.
    owners = AccountOwners()
    assert load_owners(platform.db, owners) >= 1
    assert owners.owner_of(account) == alice_id
    streaming = platform.engines["streaming"]
    assert isinstance(streaming, StreamingEngine)
    assert streaming.owners.owner_of(account) == alice_id


def test_client_account_streams_to_its_advisor(
    client: TestClient, platform: Platform, make_user: MakeUser
) -> None:
    _, headers = make_user("trader")
    advisor_id = client.get("/api/v1/auth/me", headers=headers).json()["id"]
    portfolio = platform.engines["portfolio"]
    assert isinstance(portfolio, PortfolioEngine)
    person = portfolio.create_client(advisor_id, "Client " + uuid.uuid4().hex[:6])
    account, _ = portfolio.create_account(advisor_id, person.id, "Taxable")
    streaming = platform.engines["streaming"]
    assert isinstance(streaming, StreamingEngine)
    assert streaming.owners.owner_of(account.id) == advisor_id  # published on creation
    owners = AccountOwners()
    load_owners(platform.db, owners)
    assert owners.owner_of(account.id) == advisor_id  # and found in the store on restart
