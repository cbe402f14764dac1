"""A real Platform (SQLite + embedded stores under tmp, demo off) behind a TestClient."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nautilus.api import create_app
from nautilus.config import ApiConfig, AuthConfig, PlatformConfig
from nautilus.platform import Platform

ADMIN_PASSWORD = "api-test-" + uuid.uuid4().hex
USER_PASSWORD = "user-password-42"

Headers = dict[str, str]


def api_config(data_dir: Path, **changes: object) -> PlatformConfig:
    return PlatformConfig(
        data_dir=data_dir,
        admin_password=ADMIN_PASSWORD,
        api=ApiConfig(max_body_bytes=4096, max_page_size=50),
        auth=AuthConfig(login_max_failures=3, login_window_s=300, login_lockout_s=60),
        jobs={"max_workers": 1},  # type: ignore[arg-type]
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    p = Platform(api_config(tmp_path_factory.mktemp("api-data")))
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, announce=False)) as c:
        yield c


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, str] = r.json()
    return body


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def admin(client: TestClient) -> Headers:
    return bearer(login(client, "admin", ADMIN_PASSWORD)["access_token"])


@pytest.fixture
def make_user(client: TestClient, admin: Headers) -> Callable[[str], tuple[str, Headers]]:
    """Create a user with ``role`` through the API; return its username and auth headers."""

    def make(role: str) -> tuple[str, Headers]:
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        r = client.post(
            "/api/v1/users",
            headers=admin,
            json={"username": username, "password": USER_PASSWORD, "role": role},
        )
        assert r.status_code == 201, r.text
        return username, bearer(login(client, username, USER_PASSWORD)["access_token"])

    return make
