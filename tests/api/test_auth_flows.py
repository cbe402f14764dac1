"""Login, refresh, logout, credentials, roles and scopes over HTTP."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .conftest import ADMIN_PASSWORD, USER_PASSWORD, Headers, bearer, login

MakeUser = Callable[[str], tuple[str, Headers]]
PROBLEM = "application/problem+json"


def test_login_me_refresh_logout(client: TestClient) -> None:
    pair = login(client, "admin", ADMIN_PASSWORD)
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 900
    me = client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "admin" and me.json()["role"] == "admin"
    assert me.json()["via"] == "token"

    r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != pair["refresh_token"]
    assert client.get("/api/v1/auth/me", headers=bearer(second["access_token"])).status_code == 200

    # Replay of the rotated token: 401 and the family (including `second`) is revoked.
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_reused"
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401

    third = login(client, "admin", ADMIN_PASSWORD)
    r = client.post(
        "/api/v1/auth/logout",
        headers=bearer(third["access_token"]),
        json={"refresh_token": third["refresh_token"]},
    )
    assert r.status_code == 204
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_revoked"


def test_missing_and_bad_credentials_are_401_problems(client: TestClient) -> None:
    for headers in ({}, bearer("not.a.jwt"), {"X-API-Key": "nk_deadbeef_" + "x" * 40}):
        r = client.get("/api/v1/auth/me", headers=headers)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["www-authenticate"] == "Bearer"
        body = r.json()
        assert body["status"] == 401 and body["type"].startswith("https://nautilus.dev/problems/")
    r = client.post("/api/v1/auth/login", json={"username": "admin", "password": "wrong-one"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"


def test_login_throttle_returns_429_with_retry_after(
    client: TestClient, make_user: MakeUser
) -> None:
    username, _ = make_user("viewer")
    for _ in range(3):
        r = client.post("/api/v1/auth/login", json={"username": username, "password": "nope-nope"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/login", json={"username": username, "password": USER_PASSWORD})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["code"] == "login_throttled" and r.json()["retry_after"] > 0


def test_roles_gate_routes(client: TestClient, admin: Headers, make_user: MakeUser) -> None:
    _, viewer = make_user("viewer")
    _, trader = make_user("trader")
    assert client.get("/api/v1/status", headers=viewer).status_code == 200
    r = client.get("/api/v1/users", headers=viewer)
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"
    assert client.get("/api/v1/users", headers=trader).status_code == 403
    assert client.get("/api/v1/users", headers=admin).status_code == 200
    r = client.post(
        "/api/v1/jobs",
        headers=viewer,
        json={"kind": "system.checksum", "params": {"path": "/nonexistent"}},
    )
    assert r.status_code == 403


def test_set_role_via_api(client: TestClient, admin: Headers, make_user: MakeUser) -> None:
    username, _ = make_user("viewer")
    users = client.get("/api/v1/users", headers=admin, params={"limit": 50}).json()
    user_id = next(u["id"] for u in users if u["username"] == username)
    r = client.put(f"/api/v1/users/{user_id}/role", headers=admin, json={"role": "trader"})
    assert r.status_code == 200 and r.json()["role"] == "trader"
    assert client.get(f"/api/v1/users/{user_id}", headers=admin).json()["role"] == "trader"
    assert client.get("/api/v1/users/0000nope", headers=admin).status_code == 404
    r = client.post(
        "/api/v1/users", headers=admin, json={"username": username, "password": USER_PASSWORD}
    )
    assert r.status_code == 409


def test_api_keys_lifecycle_and_scopes(
    client: TestClient, admin: Headers, make_user: MakeUser
) -> None:
    _, trader = make_user("trader")
    _, other = make_user("trader")
    r = client.post("/api/v1/keys", headers=trader, json={"name": "bot", "scopes": ["read"]})
    assert r.status_code == 201
    created = r.json()
    key_headers = {"X-API-Key": created["secret"]}
    me = client.get("/api/v1/auth/me", headers=key_headers).json()
    assert me["via"] == "api_key" and me["scopes"] == ["read"] and me["key_id"] == created["id"]
    # A read key cannot trade even though its owner may, nor mint more keys.
    r = client.post(
        "/api/v1/jobs",
        headers=key_headers,
        json={"kind": "system.checksum", "params": {"path": "/nonexistent"}},
    )
    assert r.status_code == 403 and r.json()["code"] == "scope_forbidden"
    r = client.post("/api/v1/keys", headers=key_headers, json={"name": "x", "scopes": ["read"]})
    assert r.status_code == 403
    # A viewer-level owner cannot hold trade scope; an unknown scope is a 422.
    r = client.post("/api/v1/keys", headers=trader, json={"name": "b", "scopes": ["launch"]})
    assert r.status_code == 422

    listed = client.get("/api/v1/keys", headers=trader).json()
    assert [k["id"] for k in listed] == [created["id"]] and "secret" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    assert created["id"] in [k["id"] for k in client.get("/api/v1/keys", headers=admin).json()]
    # Another user can neither see nor revoke it.
    assert client.get("/api/v1/keys", headers=other).json() == []
    assert client.delete(f"/api/v1/keys/{created['id']}", headers=other).status_code == 404
    r = client.delete(f"/api/v1/keys/{created['id']}", headers=trader)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get("/api/v1/auth/me", headers=key_headers).status_code == 401


def test_viewer_cannot_create_trade_key(client: TestClient, make_user: MakeUser) -> None:
    _, viewer = make_user("viewer")
    r = client.post("/api/v1/keys", headers=viewer, json={"name": "k", "scopes": ["trade"]})
    assert r.status_code == 403 and r.json()["code"] == "scope_exceeds_role"
