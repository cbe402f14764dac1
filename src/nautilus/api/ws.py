"""The ``/ws`` WebSocket route: authenticate, subscribe, stream (see ``nautilus.streaming``).

Authentication uses the REST credentials: the subprotocol ``bearer.<access token>`` on the
handshake, or a first message ``{"type": "auth", "token": ...}`` / ``{"type": "auth",
"api_key": ...}`` within ``streaming.auth_timeout_s``. A socket that fails to authenticate, or
asks for a topic it may not see, is closed with 1008 and a reason. The frame protocol is
documented in :mod:`nautilus.streaming.messages`.

    mount_ws(app, platform)   # in create_app, next to the routers
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from nautilus.core.errors import NautilusError, NotFoundError, PermissionDeniedError
from nautilus.platform import Platform
from nautilus.security import Principal, Scope, Security
from nautilus.streaming.client import StreamClient
from nautilus.streaming.engine import StreamingEngine
from nautilus.streaming.messages import (
    CLOSE_POLICY,
    CLOSE_PROTOCOL,
    CLOSE_UNAVAILABLE,
    Auth,
    ErrorFrame,
    Ping,
    Pong,
    Subscribe,
    Unsubscribe,
    Welcome,
    decode_client,
    encode,
)
from nautilus.streaming.topics import Access, Resolved, authorize

log = logging.getLogger(__name__)

BEARER_PREFIX = "bearer."
MAX_BAD_FRAMES = 20
"""Malformed client frames tolerated (each answered with an error frame) before closing."""


class WebSocketSink:
    """A :class:`~nautilus.streaming.client.Sink` over a Starlette WebSocket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send(self, text: str) -> None:
        await self.websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        if self.websocket.application_state is not WebSocketState.DISCONNECTED:
            await self.websocket.close(code, reason)


def mount_ws(app: FastAPI, platform: Platform, path: str = "/ws") -> None:
    """Add the streaming WebSocket route to ``app``.

    Call it before anything is mounted at ``/`` (the dashboard), which would shadow the route.
    It also wraps the app's lifespan so that the hub binds to the server's event loop as soon
    as the platform is up (bus messages are buffered for resume from then on, not only from
    the first connection) and closes every socket (1001) before the platform stops.
    """
    if any(getattr(r, "path", None) == path for r in app.router.routes):
        return  # already mounted (create_app does it; a second call changes nothing)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with inner(app_) as state:
            engine = platform.engines.get("streaming")
            if isinstance(engine, StreamingEngine):
                await engine.hub.ensure_running()
            try:
                yield state
            finally:
                if isinstance(engine, StreamingEngine):
                    await engine.hub.aclose()

    app.router.lifespan_context = lifespan

    @app.websocket(path)
    async def stream(websocket: WebSocket) -> None:
        await serve_stream(websocket, platform)


def _offered_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """``(token, subprotocol to accept)`` from ``Sec-WebSocket-Protocol``."""
    offered: list[str] = list(websocket.scope.get("subprotocols") or [])
    for proto in offered:
        if proto.startswith(BEARER_PREFIX):
            return proto[len(BEARER_PREFIX) :], proto
    return None, None


async def _authenticate(
    websocket: WebSocket, security: Security, token: str | None, timeout: float
) -> Principal | str:
    """The principal, or the reason to close with 1008."""
    if token is None:
        try:
            text = await asyncio.wait_for(websocket.receive_text(), timeout)
        except TimeoutError:
            return f"authentication timeout: send an auth message within {timeout:g}s"
        try:
            first = decode_client(text)
        except (msgspec.DecodeError, msgspec.ValidationError):
            first = None
        if not isinstance(first, Auth) or not (first.token or first.api_key):
            return "the first message must be {type: auth, token | api_key}"
        token = first.token
        api_key = first.api_key
    else:
        api_key = None
    try:
        if token:
            principal = await asyncio.to_thread(security.authenticate_bearer, token)
        else:
            assert api_key is not None
            principal = await asyncio.to_thread(security.authenticate_api_key, api_key)
        return principal.require(Scope.READ)
    except NautilusError as exc:
        return f"authentication failed: {exc.code}"


async def serve_stream(websocket: WebSocket, platform: Platform) -> None:
    """One connection from handshake to close."""
    engine = platform.engines.get("streaming")
    security: Security | None = getattr(websocket.app.state, "security", None)
    token, subprotocol = _offered_token(websocket)
    await websocket.accept(subprotocol=subprotocol)
    if not isinstance(engine, StreamingEngine) or security is None:
        await websocket.close(CLOSE_UNAVAILABLE, "streaming is not running in this process")
        return
    config = engine.config
    try:
        result = await _authenticate(websocket, security, token, config.auth_timeout_s)
    except WebSocketDisconnect:
        return
    if isinstance(result, str):
        await websocket.close(CLOSE_POLICY, result[:120])
        return
    principal = result
    hub = engine.hub
    await hub.ensure_running()
    client = StreamClient(
        principal,
        WebSocketSink(websocket),
        limit=config.client_queue,
        hard_limit=config.client_queue_hard,
        conflate_at=config.conflate_after,
        clock=hub.clock,
    )
    client.enqueue(encode(Welcome(principal.user_id, client.is_admin, config.heartbeat_interval_s)))
    hub.add_client(client)
    try:
        await _receive_loop(websocket, engine, client, platform)
    finally:
        hub.remove_client(client)
        if not client.closed:
            client.closed = True
            await client.close(1000, "")
        await client.wait_closed()


async def _receive_loop(
    websocket: WebSocket, engine: StreamingEngine, client: StreamClient, platform: Platform
) -> None:
    hub = engine.hub
    bad = 0
    while not client.closed:
        try:
            message = await websocket.receive()
        except (RuntimeError, WebSocketDisconnect):
            return
        if message["type"] == "websocket.disconnect":
            return
        client.touch()
        raw = message.get("text") or message.get("bytes") or b""
        try:
            frame = decode_client(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            bad += 1
            if bad > MAX_BAD_FRAMES:
                hub.disconnect(client, CLOSE_PROTOCOL, "too many malformed frames")
                return
            client.enqueue(encode(ErrorFrame("bad_frame", str(exc)[:200])))
            continue
        if isinstance(frame, Subscribe):
            resolved = _resolve(engine, client, frame.topics)
            if resolved is None:
                continue
            denied = await _check_access(engine, client, resolved, platform)
            if denied is not None:
                hub.disconnect(client, CLOSE_POLICY, denied)
                return
            hub.subscribe(client, resolved, frame.since_seq)
        elif isinstance(frame, Unsubscribe):
            resolved = _resolve(engine, client, frame.topics)
            if resolved is not None:
                hub.unsubscribe(client, resolved)
        elif isinstance(frame, Ping):
            client.enqueue(encode(Pong(frame.ts)))
        elif isinstance(frame, Auth):
            client.enqueue(encode(ErrorFrame("already_authenticated", "send auth only once")))


def _resolve(
    engine: StreamingEngine, client: StreamClient, topics: list[str]
) -> list[Resolved] | None:
    try:
        return [engine.topics.resolve(t) for t in topics]
    except NautilusError as exc:
        client.enqueue(encode(ErrorFrame(exc.code or "invalid_topic", str(exc))))
        return None


async def _check_access(
    engine: StreamingEngine, client: StreamClient, resolved: list[Resolved], platform: Platform
) -> str | None:
    """The reason to refuse, or ``None`` when every pattern is allowed."""
    for r in resolved:
        job_owner = None
        if r.rule.access is Access.JOB and r.key is not None and not client.is_admin:
            try:
                record = await asyncio.to_thread(platform.jobs.get, r.key)
                job_owner = record.owner_id
            except NotFoundError:
                return f"forbidden topic {r.pattern}: unknown job"
        try:
            authorize(client.principal, r, engine.owners, job_owner)
        except PermissionDeniedError as exc:
            return f"forbidden topic {r.pattern}: {exc}"[:120]
    return None
