"""The in-process credential cache: hits skip the database, security writes evict at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from nautilus.security import Security
from nautilus.security.tokens import token_digest

from .conftest import Headers

MakeUser = Callable[[str], tuple[str, Headers]]
JOB = {"kind": "system.checksum", "params": {"path": "/nonexistent"}}


def security_of(client: TestClient) -> Security:
    sec: Security = client.app.state.security  # type: ignore[attr-defined]
    return sec


def me(client: TestClient, headers: Headers) -> dict[str, object]:
    r = client.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def new_key(client: TestClient, owner: Headers, scopes: list[str]) -> tuple[str, Headers]:
    r = client.post("/api/v1/keys", headers=owner, json={"name": "bot", "scopes": scopes})
    assert r.status_code == 201, r.text
    return r.json()["id"], {"X-API-Key": r.json()["secret"]}


def user_id(client: TestClient, headers: Headers) -> str:
    return str(me(client, headers)["id"])


def test_cached_credentials_do_not_touch_the_database(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, trader = make_user("trader")
    _, key = new_key(client, trader, ["read"])
    me(client, trader), me(client, key)  # verified once, now cached
    sec = security_of(client)
    assert sec.cache.get_key(token_digest(key["X-API-Key"])) is not None
    # The raw key is never a cache key; only its SHA-256 is.
    assert key["X-API-Key"] not in sec.cache._keys._data

    def no_db(*_: object, **__: object) -> None:
        raise AssertionError("the database was read for a cached credential")

    monkeypatch.setattr(sec.keys, "authenticate", no_db)
    monkeypatch.setattr(sec.users, "get", no_db)
    for _ in range(3):
        assert me(client, trader)["via"] == "token"
        assert me(client, key)["via"] == "api_key"


def test_revoked_key_is_refused_on_the_next_request(
    client: TestClient, make_user: MakeUser
) -> None:
    _, trader = make_user("trader")
    key_id, key = new_key(client, trader, ["read"])
    assert me(client, key)["key_id"] == key_id
    assert me(client, key)["key_id"] == key_id  # served from the cache
    assert client.delete(f"/api/v1/keys/{key_id}", headers=trader).status_code == 200
    r = client.get("/api/v1/auth/me", headers=key)
    assert r.status_code == 401 and r.json()["code"] == "api_key_revoked"


def test_demoted_user_loses_the_role_on_the_next_request(
    client: TestClient, admin: Headers, make_user: MakeUser
) -> None:
    _, trader = make_user("trader")
    _, key = new_key(client, trader, ["read", "trade"])
    uid = user_id(client, trader)
    assert me(client, trader)["role"] == "trader" and me(client, key)["role"] == "trader"
    assert "trade" in me(client, trader)["scopes"]  # type: ignore[operator]

    r = client.put(f"/api/v1/users/{uid}/role", headers=admin, json={"role": "viewer"})
    assert r.status_code == 200, r.text
    token_me, key_me = me(client, trader), me(client, key)
    assert token_me["role"] == "viewer" and token_me["scopes"] == ["read"]
    assert key_me["role"] == "viewer"
    for headers in (trader, key):
        r = client.post("/api/v1/jobs", headers=headers, json=JOB)
        assert r.status_code == 403 and r.json()["code"] == "role_forbidden"


def test_disabled_user_is_refused_on_the_next_request(
    client: TestClient, make_user: MakeUser
) -> None:
    _, viewer = make_user("viewer")
    _, key = new_key(client, viewer, ["read"])
    uid = user_id(client, viewer)
    me(client, viewer), me(client, key)
    security_of(client).users.set_disabled(uid, actor="test")
    for headers in (viewer, key):
        r = client.get("/api/v1/auth/me", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "account_disabled"
    security_of(client).users.set_disabled(uid, False, actor="test")
    assert me(client, viewer)["id"] == uid and me(client, key)["id"] == uid


def test_invalid_credentials_are_never_cached(client: TestClient) -> None:
    sec = security_of(client)
    for headers in (
        {"X-API-Key": "nk_deadbeef_" + "x" * 43},
        {"Authorization": "Bearer not.a.jwt"},
    ):
        for _ in range(2):
            assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert sec.cache.get_key(token_digest("nk_deadbeef_" + "x" * 43)) is None
    assert sec.cache.get_token(token_digest("not.a.jwt")) is None
