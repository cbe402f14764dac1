"""Every error leaves the API as ``application/problem+json`` (RFC 9457).

``NautilusError`` subclasses render through ``to_problem``; request validation becomes a 422
problem listing the pydantic errors; routing errors (404/405) and other HTTP errors keep their
status; anything unexpected is a 500 problem that reveals nothing about the internals.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nautilus.api.middleware import current_request_id
from nautilus.core.errors import AuthenticationError, NautilusError, RateLimitedError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://nautilus.dev/problems/"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    return body


def problem_response(
    status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemResponse:
    return ProblemResponse(problem_body(status, code, detail, **extra), status, headers=headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


async def _nautilus_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, NautilusError)
    body = exc.to_problem(instance=request.url.path)
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    elif isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    return ProblemResponse(body, exc.status, headers=headers or None)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return problem_response(
        422,
        "validation_error",
        "the request is not valid",
        title="Invalid input",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
    return problem_response(
        exc.status_code,
        code,
        detail,
        headers=dict(exc.headers or {}) or None,
        instance=request.url.path,
    )


async def _unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        "internal_error",
        "an unexpected error occurred; it has been logged",
        title="Internal error",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NautilusError, _nautilus_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
