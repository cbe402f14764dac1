"""Browser tests: a real server subprocess (``tests/e2e/server.py``) with the demo sample data,
driven by Python Playwright in Debian's Chromium (``/usr/bin/chromium``; never a downloaded
browser). Needs the built dashboard (``cd web && npm ci && npm run build``).

Outside CI a missing browser, build or Playwright skips these tests; under ``CI`` it fails them.
``NAUTILUS_E2E_PREVIEW=1`` starts the server with ``--preview`` (routers and engines that exist
but are not wired into ``create_app``/``Platform`` yet), for checking pages ahead of the wiring.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist" / "index.html"
CHROMIUM = os.environ.get("NAUTILUS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "e2e-" + uuid.uuid4().hex
LIVE_INSTRUMENT = "FIN01.XSYN"
"""A synthetic sample instrument with stored 1-minute bars; the test feed forms its live bar."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"e2e: {what}")
    pytest.skip(f"e2e: {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, proc: subprocess.Popen[str], log: Path) -> None:
        self.url = url
        self.proc = proc
        self.log = log
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            r = httpx.post(
                f"{self.url}/api/v1/auth/login",
                json={"username": "admin", "password": ADMIN_PASSWORD},
                timeout=30,
            )
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kw)

    def paths(self) -> set[str]:
        return set(httpx.get(f"{self.url}/openapi.json", timeout=30).json()["paths"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not DIST.exists():
        _missing(f"the dashboard is not built ({DIST}); run `cd web && npm ci && npm run build`")
    data_dir = tmp_path_factory.mktemp("e2e-data")
    log = data_dir / "server.log"
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "tests.e2e.server",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--admin-password",
        ADMIN_PASSWORD,
        "--live",
        f"{LIVE_INSTRUMENT}:1m",
    ]
    if os.environ.get("NAUTILUS_E2E_PREVIEW"):
        cmd.append("--preview")  # routers and engines not wired into create_app yet
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"e2e server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"e2e server did not answer in 120 s:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        yield Server(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser context (its own localStorage) with page errors collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    pg = context.new_page()
    pg.errors = []  # uncaught exceptions in the page
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def login(pg: Any, server: Server, password: str = ADMIN_PASSWORD) -> None:
    pg.goto(server.url + "/")
    pg.get_by_label("Username").fill("admin")
    pg.get_by_label("Password").fill(password)
    pg.get_by_role("button", name="Sign in").click()


def logged_in(pg: Any, server: Server) -> Any:
    login(pg, server)
    pg.get_by_role("button", name="Log out").wait_for()
    return pg


def shot(pg: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    return path
