"""``GET /api/v1/data/book/{instrument_id}``: depth from the live book, the same book the
WebSocket streams as ``book.<instrument>`` deltas."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nautilus.api import create_app
from nautilus.api.ws import mount_ws
from nautilus.execution.orderbook import LevelBook
from nautilus.model import BookAction, BookDelta, BookSide
from nautilus.platform import Platform

from .conftest import Headers

INST = "TEC01.XSYN"
URL = f"/api/v1/data/book/{INST}"


@pytest.fixture(scope="module")
def client(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(platform, announce=False, dashboard_dir=tmp_path_factory.mktemp("w") / "x")
    mount_ws(app, platform)
    with TestClient(app) as c:
        yield c


def delta(frame: dict[str, Any]) -> BookDelta:
    d = frame["data"]
    return BookDelta(
        instrument_id=d["instrument_id"],
        action=BookAction(d["action"]),
        side=BookSide(d["side"]),
        price=d["price"],
        size=d["size"],
        order_id=d["order_id"],
        sequence=d["sequence"],
        ts_event=d["ts_event"],
        ts_init=d["ts_init"],
    )


def test_depth_matches_the_streamed_book(client: TestClient, admin: Headers) -> None:
    token = admin["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": token})
        assert ws.receive_json()["type"] == "welcome"
        ws.send_json({"type": "subscribe", "topics": [f"book.{INST}"]})
        assert ws.receive_json()["type"] == "subscribed"
        r = client.get(URL, params={"depth": 5}, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        # Rebuild the book from the frames the stream carried, up to the REST answer's seq.
        book = LevelBook(INST)
        while book.sequence < body["sequence"] or book.update_count == 0:
            frame = ws.receive_json()
            for f in frame["frames"] if frame["type"] == "batch" else [frame]:
                assert f["topic"] == f"book.{INST}"
                book.apply(delta(f))
    assert body["instrument_id"] == INST and body["depth"] == 5
    bids, asks = book.levels(BookSide.BID, 5), book.levels(BookSide.ASK, 5)
    assert len(body["bids"]) == len(bids) == 5 and len(body["asks"]) == len(asks) == 5
    assert [Decimal(x["price"]) for x in body["bids"]] == [Decimal(f"{p:.2f}") for p, _ in bids]
    assert [Decimal(x["size"]) for x in body["asks"]] == [Decimal(f"{s:.0f}") for _, s in asks]
    assert all(isinstance(x["price"], str) and "." in x["price"] for x in body["bids"])
    best_bid, best_ask = Decimal(body["bids"][0]["price"]), Decimal(body["asks"][0]["price"])
    assert best_bid < best_ask
    assert Decimal(body["spread"]) == best_ask - best_bid
    assert Decimal(body["mid"]) == (best_ask + best_bid) / 2
    b = sum(s for _, s in bids)
    a = sum(s for _, s in asks)
    assert body["imbalance"] == pytest.approx((b - a) / (b + a), abs=1e-12)


def test_unknown_instrument_is_404_and_bad_depth_422(client: TestClient, admin: Headers) -> None:
    r = client.get("/api/v1/data/book/NOPE.XSYN", headers=admin)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unknown_symbol"
    for bad in ("0", "101", "x"):
        r = client.get(URL, params={"depth": bad}, headers=admin)
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(URL).status_code == 401
