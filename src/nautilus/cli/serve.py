"""``nautilus serve`` and ``nautilus demo``: start the platform and the API with uvicorn."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nautilus.api.app import create_app
from nautilus.api.middleware import install_request_id_logging
from nautilus.cli.context import console, err_console
from nautilus.config import PlatformConfig
from nautilus.platform import Platform
from nautilus.security import AdminBootstrap, Security

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
DEMO_PASSWORD_FILE = Path("secrets") / "demo-admin-password"
SAMPLE_MARKER = Path("sample-data.loaded")


def configure_logging(level: str) -> None:
    install_request_id_logging()
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)


def _demo_password(config: PlatformConfig, boot: AdminBootstrap | None) -> str | None:
    """Demo only: keep the generated admin password so every demo start can show it."""
    path = config.data_dir / DEMO_PASSWORD_FILE
    if boot is not None and boot.password:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(boot.password)
        return boot.password
    return path.read_text().strip() if path.exists() else None


def load_sample_data_once(platform: Platform) -> None:
    """Load the demo sample data (``nautilus.data.loader``) with a progress bar, once."""
    marker = platform.config.data_dir / SAMPLE_MARKER
    if marker.exists():
        return
    sample = importlib.import_module("nautilus.data.loader")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err_console
    ) as bar:
        task = bar.add_task("loading sample data", total=1.0)

        def progress(fraction: float, message: str | None = None, **_: Any) -> None:
            bar.update(task, completed=fraction, description=message or "loading sample data")

        sample.load_sample_data(platform, progress=progress)
        bar.update(task, completed=1.0)
    marker.write_text("ok\n")


def run_server(config: PlatformConfig, *, sample_data: bool = False) -> None:
    """Start the platform, show the URL (and a first-run admin login), serve until stopped."""
    import uvicorn

    configure_logging(config.log_level)
    platform = Platform(config).start()
    try:
        boot = Security(config, platform.db).bootstrap_admin()
        if sample_data:
            load_sample_data_once(platform)
        app = create_app(platform, announce=False)
        host, port = config.api.host, config.api.port
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        lines = [
            f"Nautilus {'demo ' if config.demo else ''}at http://{shown_host}:{port}",
            f"API docs: http://{shown_host}:{port}/docs",
            f"data dir: {config.data_dir.resolve()}",
        ]
        password = _demo_password(config, boot) if config.demo else (boot and boot.password)
        if password:
            lines += [
                "",
                "admin login (shown because it was generated for you):",
                "  username: admin",
                f"  password: {password}",
            ]
        elif boot is not None:
            lines += ["", "admin user created with the configured admin_password"]
        console.print(Panel("\n".join(lines), title="nautilus", expand=False), highlight=False)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=5,
            )
        )
        server.run()
    finally:
        platform.stop()
