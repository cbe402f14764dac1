"""Kill ``nautilus serve`` with SIGKILL in the middle of a write loop, restart it, and check
that every write the client saw acknowledged (2xx) is still there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ADMIN_PASSWORD = "sigkill-" + uuid.uuid4().hex
WRITES_BEFORE_KILL = 12


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NAUTILUS_ADMIN_PASSWORD": ADMIN_PASSWORD}
    env.pop("NAUTILUS_CONFIG", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nautilus.cli.main",
            "--data-dir",
            str(data_dir),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not come up:\n{log.read_text()}")


@pytest.fixture
def server_log(tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "server.log"
    yield log


def admin_headers(base: str) -> dict[str, str]:
    r = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(tmp_path: Path, server_log: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(data_dir, port, server_log)
    users: list[str] = []
    keys: list[str] = []
    jobs: list[str] = []
    try:
        headers = admin_headers(base)
        probe = tmp_path / "probe.txt"
        probe.write_text("x")
        killer = threading.Timer(0.4, lambda: os.kill(proc.pid, signal.SIGKILL))
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            for i in range(10_000):
                if i == WRITES_BEFORE_KILL:
                    killer.start()  # lands a moment later, in the middle of further writes
                try:
                    if i % 3 == 0:
                        name = f"u{i}-{uuid.uuid4().hex[:6]}"
                        r = http.post(
                            "/api/v1/users", json={"username": name, "password": "pw-" + name}
                        )
                        if r.status_code == 201:
                            users.append(name)
                    elif i % 3 == 1:
                        r = http.post("/api/v1/keys", json={"name": f"k{i}", "scopes": ["read"]})
                        if r.status_code == 201:
                            keys.append(r.json()["id"])
                    else:
                        r = http.post(
                            "/api/v1/jobs",
                            json={"kind": "system.checksum", "params": {"path": str(probe)}},
                        )
                        if r.status_code == 202:
                            jobs.append(r.json()["job_id"])
                    assert r.status_code < 300, r.text
                except httpx.TransportError:
                    break  # the server died under us: the write in flight may or may not exist
        killer.join()
        assert i >= WRITES_BEFORE_KILL
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(users) + len(keys) + len(jobs) >= WRITES_BEFORE_KILL

    proc = start_server(data_dir, port, server_log)
    try:
        headers = admin_headers(base)  # the admin (and the JWT key file) survived too
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            seen_users = {u["username"] for u in _all(http, "/api/v1/users")}
            seen_keys = {k["id"] for k in _all(http, "/api/v1/keys")}
            seen_jobs = {j["id"] for j in _all(http, "/api/v1/jobs")}
            assert set(users) <= seen_users
            assert set(keys) <= seen_keys
            assert set(jobs) <= seen_jobs
            assert http.get("/ready").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _all(http: httpx.Client, path: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    while True:
        r = http.get(path, params={"limit": 1000, "offset": len(out)})
        assert r.status_code == 200, r.text
        page: list[dict[str, object]] = r.json()
        out.extend(page)
        if len(page) < 1000:
            return out
