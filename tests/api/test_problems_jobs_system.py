"""problem+json shapes, limits, request ids, jobs ownership, /metrics and /ready."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from nautilus.platform import Platform

from .conftest import Headers

MakeUser = Callable[[str], tuple[str, Headers]]
PROBLEM = "application/problem+json"


def assert_problem(r: object, status: int, code: str | None = None) -> dict[str, object]:
    from httpx import Response

    assert isinstance(r, Response)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = r.json()
    assert body["status"] == status and isinstance(body["title"], str)
    assert str(body["type"]).startswith("https://nautilus.dev/problems/")
    assert body["request_id"] == r.headers["x-request-id"]
    if code is not None:
        assert body["code"] == code
    return body


def test_malformed_json_wrong_types_unknown_fields(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "a",',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]
    r = client.post("/api/v1/auth/login", json={"username": 5, "password": ["x"]})
    body = assert_problem(r, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}  # type: ignore[attr-defined]
    assert ("body", "username") in locs and ("body", "password") in locs
    r = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "otp": 1})
    body = assert_problem(r, 422)
    assert any(e["type"] == "extra_forbidden" for e in body["errors"])  # type: ignore[attr-defined]


def test_oversized_body_is_413_before_reading(client: TestClient) -> None:
    big = b'{"username": "' + b"a" * 5000 + b'", "password": "x"}'
    r = client.post("/api/v1/auth/login", content=big, headers={"content-type": "application/json"})
    assert_problem(r, 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: streamed in pieces
        for _ in range(10):
            yield b"x" * 1000

    r = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(r, 413, "payload_too_large")


def test_page_limit_and_routing_problems(client: TestClient, admin: Headers) -> None:
    body = assert_problem(
        client.get("/api/v1/users", headers=admin, params={"limit": 51}), 422, "page_too_large"
    )
    assert body["max_page_size"] == 50
    assert client.get("/api/v1/users", headers=admin, params={"limit": 50}).status_code == 200
    assert_problem(client.get("/api/v1/users", headers=admin, params={"limit": 0}), 422)
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(client.delete("/api/v1/auth/login"), 405, "method_not_allowed")
    schema = client.get("/openapi.json").json()
    limit = next(
        p for p in schema["paths"]["/api/v1/users"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert {"type": "integer", "minimum": 1, "maximum": 50}.items() <= limit["schema"]["anyOf"][
        0
    ].items()


def test_unexpected_error_is_500_without_internals(client: TestClient) -> None:
    app = client.app

    def explode() -> None:
        raise RuntimeError("secret internal detail at /srv/db")

    app.router.add_api_route("/test-only/explode", explode)  # type: ignore[attr-defined]
    # ahead of the dashboard's catch-all mount at "/" (present once web/dist is built)
    app.router.routes.insert(0, app.router.routes.pop())  # type: ignore[attr-defined]
    raw = TestClient(app, raise_server_exceptions=False)
    r = raw.get("/test-only/explode")
    body = assert_problem(r, 500, "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text and body["detail"]


def test_request_id_is_echoed_or_assigned(client: TestClient) -> None:
    r = client.get("/health", headers={"X-Request-ID": "trace-abc.123"})
    assert r.headers["x-request-id"] == "trace-abc.123"
    r = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert (
        r.headers["x-request-id"] != "bad id\twith spaces" and len(r.headers["x-request-id"]) == 32
    )
    body = assert_problem(client.get("/api/v1/auth/me", headers={"X-Request-ID": "rid-7"}), 401)
    assert body["request_id"] == "rid-7"


def test_ready_health_status_metrics(client: TestClient, admin: Headers) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    r = client.get("/ready")
    assert r.status_code == 200 and r.json()["healthy"] is True
    assert {"database", "bus", "jobs", "timeseries"} <= set(r.json()["components"])
    status = client.get("/api/v1/status", headers=admin).json()
    assert status["backends"]["database"] == "sqlite" and status["demo"] is False
    client.get("/api/v1/users", headers=admin)
    text = client.get("/metrics").text
    assert (
        'nautilus_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/api/v1/users"}'
        in text
    )
    assert 'nautilus_http_requests_total{method="GET",route="/api/v1/users",status="200"}' in text
    assert "nautilus_jobs_queue_depth" in text and "nautilus_bus_published" in text
    assert 'route="/api/v1/users/{user_id}"' not in text or "{user_id}" in text  # templates only


def test_ready_is_503_when_a_component_is_down(client: TestClient, platform: Platform) -> None:
    original = platform.db.health
    platform.db.health = lambda: {"healthy": False, "error": "down"}  # type: ignore[method-assign]
    try:
        r = client.get("/ready")
        assert r.status_code == 503 and r.json()["healthy"] is False
    finally:
        platform.db.health = original  # type: ignore[method-assign]


def test_jobs_submit_list_get_cancel_and_object_level_access(
    client: TestClient, admin: Headers, make_user: MakeUser, tmp_path: Path
) -> None:
    _, alice = make_user("trader")
    _, bob = make_user("trader")
    kinds = client.get("/api/v1/jobs/kinds", headers=alice).json()
    checksum = next(k for k in kinds if k["name"] == "system.checksum")
    assert "path" in checksum["parameters"]["properties"]

    (tmp_path / "a.txt").write_text("hello")
    r = client.post(
        "/api/v1/jobs",
        headers=alice,
        json={"kind": "system.checksum", "params": {"path": str(tmp_path)}},
    )
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=alice).json()["owner_id"]
    assert_problem(client.get(f"/api/v1/jobs/{job_id}", headers=bob), 404)
    assert_problem(client.post(f"/api/v1/jobs/{job_id}/cancel", headers=bob), 404)
    assert [j["id"] for j in client.get("/api/v1/jobs", headers=alice).json()] == [job_id]
    assert client.get("/api/v1/jobs", headers=bob).json() == []
    assert job_id in [j["id"] for j in client.get("/api/v1/jobs", headers=admin).json()]

    deadline = time.monotonic() + 30
    state = ""
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/jobs/{job_id}", headers=alice).json()["state"]
        if state in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert state == "succeeded"
    assert_problem(client.post(f"/api/v1/jobs/{job_id}/cancel", headers=alice), 409)

    assert_problem(
        client.post("/api/v1/jobs", headers=alice, json={"kind": "no.such.kind", "params": {}}), 404
    )
    assert_problem(
        client.post(
            "/api/v1/jobs", headers=alice, json={"kind": "system.checksum", "params": {"path": 3}}
        ),
        422,
    )
