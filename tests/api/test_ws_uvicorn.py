"""/ws over real sockets (uvicorn + the websockets client): a peer that stops reading fills its
own queue and is disconnected; a fast peer on the same topic keeps receiving everything."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import connect

import nautilus.streaming  # noqa: F401 - registers the streaming engine
from nautilus.api import create_app
from nautilus.api.ws import mount_ws
from nautilus.platform import Platform
from nautilus.streaming import StreamingConfig
from nautilus.streaming.engine import StreamingEngine

from .conftest import ADMIN_PASSWORD, api_config


def unpack(text: str | bytes) -> list[dict[str, Any]]:
    """The frames in one WebSocket message (a ``batch`` holds several)."""
    frame = json.loads(text)
    return list(frame["frames"]) if frame["type"] == "batch" else [frame]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_stalled_socket_is_dropped_and_never_slows_a_fast_one(tmp_path: Path) -> None:
    platform = Platform(api_config(tmp_path / "data"))
    app = create_app(platform, announce=False, dashboard_dir=tmp_path / "absent")
    mount_ws(app, platform)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    try:
        engine = platform.engines["streaming"]
        assert isinstance(engine, StreamingEngine)
        engine.reconfigure(
            StreamingConfig(client_queue=50, client_queue_hard=1_000_000, slow_client_timeout_s=0.5)
        )
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
        )
        token = r.json()["access_token"]
        asyncio.run(asyncio.wait_for(_stream(port, token, platform, engine), 120))
    finally:
        server.should_exit = True
        thread.join(30)


async def _stream(port: int, token: str, platform: Platform, engine: StreamingEngine) -> None:
    url = f"ws://127.0.0.1:{port}/ws"
    n = 4000
    note = "x" * 4000  # ~16 MB in all: more than the socket buffers hold
    async with (
        connect(url, compression=None, max_queue=2, subprotocols=["bearer." + token]) as slow,
        connect(url, compression=None, subprotocols=["bearer." + token]) as fast,
    ):
        for ws in (slow, fast):
            assert json.loads(await ws.recv())["type"] == "welcome"
            await ws.send(json.dumps({"type": "subscribe", "topics": ["orders"]}))
            assert json.loads(await ws.recv())["type"] == "subscribed"

        def publish() -> None:
            for i in range(n):
                platform.bus.publish("orders.acc-1", {"i": i, "note": note})

        async def read_fast() -> list[int]:
            seqs = []
            while len(seqs) < n:
                for frame in unpack(await fast.recv()):
                    if frame["type"] == "data":
                        seqs.append(frame["seq"])
                    elif frame["type"] == "ping":
                        await fast.send('{"type":"pong"}')
            return seqs

        reader = asyncio.create_task(read_fast())
        await asyncio.to_thread(publish)
        seqs = await reader
        assert seqs == list(range(1, n + 1))
        hub = engine.hub
        while hub.stats["disconnected_slow"] < 1:
            await asyncio.sleep(0.05)
        assert len(hub.clients) == 1  # the fast one
        # The slow peer now reads: its frames stop short of n, then the 1013 close.
        got, code = 0, None
        try:
            while True:
                frames = unpack(await asyncio.wait_for(slow.recv(), 30))
                got += sum(f["type"] == "data" for f in frames)
        except Exception:
            code = slow.close_code
        assert got < n
        assert code == 1013 and (slow.close_reason or "").startswith("too slow")
