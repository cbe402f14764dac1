"""ASGI middleware: request ids (also in log records), request metrics, body size limit.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware``: they add no task or
stream copying to each request. The request-id middleware is on every request's path, so it
scans the raw header list instead of building a ``Headers`` object and reads the route template
Starlette's router leaves in the scope.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from nautilus.api.metrics import ApiMetrics

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
_BODYLESS_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "DELETE"))
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("nautilus_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _request_id.get()


def install_request_id_logging() -> None:
    """Give every log record a ``request_id`` attribute ("-" outside a request); idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_nautilus_request_id", False):
        return

    def record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = _request_id.get() or "-"
        return record

    record_factory._nautilus_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_factory)


class RequestContextMiddleware:
    """Accept or assign ``X-Request-ID``, echo it, and time the request per route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_request_id(scope["headers"]) or os.urandom(16).hex()
        rid_header = (_REQUEST_ID_HEADER, rid.encode())
        token = _request_id.set(rid)
        status = 500
        started = False
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Handled here rather than by Starlette's outer error middleware so that the 500
            # problem carries the request id; nothing about the error reaches the client.
            log.exception("unhandled error on %s %s", scope["method"], scope.get("path"))
            if started:
                raise
            await send_problem(
                send_with_id,
                500,
                "internal_error",
                "an unexpected error occurred; it has been logged",
                title="Internal error",
            )
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - start)
            _request_id.reset(token)


def _incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """A well-formed ``X-Request-ID`` from the raw ASGI headers (lower-case names), else None."""
    for name, value in headers:
        if name == _REQUEST_ID_HEADER:
            rid = value.decode("latin-1")
            return rid if _VALID_REQUEST_ID.fullmatch(rid) else None
    return None


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413 problem, without reading them whole.

    A declared ``Content-Length`` is checked up front; a chunked body is read only up to the
    limit (then replayed to the application).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        await send_problem(
            send,
            413,
            "payload_too_large",
            f"request body exceeds the limit of {self.max_bytes} bytes",
            close=True,
            max_bytes=self.max_bytes,
        )


async def send_problem(
    send: Send, status: int, code: str, detail: str, *, close: bool = False, **extra: Any
) -> None:
    """Send a complete problem+json response at the ASGI level."""
    from nautilus.api.errors import PROBLEM_JSON, problem_body

    body = json.dumps(problem_body(status, code, detail, **extra)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
