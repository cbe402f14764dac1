"""API overhead: an authenticated GET on Nautilus vs a trivial route on a bare FastAPI app.

Both apps run under uvicorn in a subprocess with one worker; the same httpx client drives each
with 100 concurrent connections for a fixed number of requests and records per-request
latency. Run: ``.venv/bin/python benchmarks/bench_api.py [--requests 3000]``.

Both sides share the machine with the load generator, so the absolute numbers include client
overhead; the ratio is the figure to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def drive(
    url: str, headers: dict[str, str], total: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as client:
        for _ in range(50):  # warm up connections and caches
            await client.get(url)
        remaining = total

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                t0 = time.perf_counter()
                r = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    arr = np.array(latencies) * 1000
    return {
        "rps": len(arr) / elapsed,
        "p50_ms": float(np.percentile(arr, 50)),
        "p99_ms": float(np.percentile(arr, 99)),
        "errors": errors,
    }


def serve(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=100)
    opts = parser.parse_args()

    from nautilus.config import PlatformConfig
    from nautilus.persistence.db import Database
    from nautilus.security import Role, Security

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        config = PlatformConfig(data_dir=data_dir)
        db = Database(config.sqlalchemy_url)
        db.migrate()
        sec = Security(config, db)
        user = sec.users.create("bench", "bench-password-1", Role.TRADER)
        api_key = sec.keys.create(user, "bench", ["read"]).secret
        db.dispose()
        (work / "bare_app.py").write_text(BARE_APP)
        env = {
            **os.environ,
            "NAUTILUS_ADMIN_PASSWORD": "bench-admin-" + os.urandom(8).hex(),
            "NAUTILUS_LOG_LEVEL": "WARNING",
        }

        results: dict[str, dict[str, float]] = {}
        ours_port, bare_port = free_port(), free_port()
        ours = serve(
            [
                "-m",
                "nautilus.cli.main",
                "--data-dir",
                str(data_dir),
                "serve",
                "--port",
                str(ours_port),
            ],
            env,
            work,
        )
        bare = serve(
            [
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(bare_port),
                "--workers",
                "1",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
            work,
        )
        try:
            wait_up(f"http://127.0.0.1:{ours_port}/health", ours)
            wait_up(f"http://127.0.0.1:{bare_port}/ping", bare)
            results["bare FastAPI GET /ping"] = asyncio.run(
                drive(f"http://127.0.0.1:{bare_port}/ping", {}, opts.requests, opts.concurrency)
            )
            results["nautilus GET /api/v1/auth/me (X-API-Key)"] = asyncio.run(
                drive(
                    f"http://127.0.0.1:{ours_port}/api/v1/auth/me",
                    {"X-API-Key": api_key},
                    opts.requests,
                    opts.concurrency,
                )
            )
        finally:
            for proc in (ours, bare):
                proc.terminate()
                proc.wait(timeout=20)

    print(f"{opts.requests} requests, {opts.concurrency} concurrent connections, 1 worker each")
    print(f"{'target':45s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
    for name, r in results.items():
        print(
            f"{name:45s} {r['rps']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7.0f}"
        )
    bare_r, ours_r = (
        results["bare FastAPI GET /ping"],
        results["nautilus GET /api/v1/auth/me (X-API-Key)"],
    )
    print(
        f"throughput ratio nautilus/bare: {ours_r['rps'] / bare_r['rps']:.2f}; "
        f"p99 ratio: {ours_r['p99_ms'] / bare_r['p99_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
