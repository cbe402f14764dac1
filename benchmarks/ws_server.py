"""Benchmark-only launcher: one API process with the streaming engine and a bar feeder.

Builds a Platform (SQLite under a temp dir, only the ``streaming`` engine), mounts ``/ws``,
creates a read-only API key for the admin and serves with uvicorn. A background thread
publishes synthetic bars on the bus when told to on stdin: ``go <bars_per_s> <seconds>
<topics>``. Each bar's ``ts_init`` is its publish time (ns UTC), so clients can measure
publish → receive latency. Prints ``KEY <secret>`` and ``READY`` when listening, ``FED <n>``
when a run ends. Used by ``bench_ws.py``; not part of the product.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

import nautilus.streaming  # noqa: F401 - registers the streaming engine
from nautilus.api import create_app
from nautilus.api.ws import mount_ws
from nautilus.config import PlatformConfig
from nautilus.model import Bar
from nautilus.platform import Platform
from nautilus.security import Security
from nautilus.streaming import StreamingConfig

ADMIN_PASSWORD = "bench-ws-" + "k7Qz9pX2mL4vB8nR"


def feed(platform: Platform, rate: float, seconds: float, topics: int) -> int:
    """Publish ``rate`` bars per second round-robin over ``topics`` instruments."""
    bus = platform.bus
    names = [f"SYM{i}" for i in range(topics)]
    tick = 0.005
    per_tick = rate * tick
    sent = 0
    start = time.perf_counter()
    owed = 0.0
    i = 0
    while (now := time.perf_counter()) - start < seconds:
        owed = rate * (now - start) - sent
        for _ in range(int(owed)):
            name = names[i % topics]
            i += 1
            ts = time.time_ns()
            bus.publish(
                f"data.bars.{name}.1m",
                Bar(
                    instrument_id=name,
                    timeframe="1m",
                    open=1.0,
                    high=1.0,
                    low=1.0,
                    close=float(i),
                    volume=1.0,
                    ts_event=ts,
                    ts_init=ts,
                ),
            )
            sent += 1
        time.sleep(max(0.0, tick - (time.perf_counter() - now)) if per_tick >= 1 else tick)
    return sent


def control(platform: Platform) -> None:
    for line in sys.stdin:
        parts = line.split()
        if parts and parts[0] == "go":
            rate, seconds, topics = float(parts[1]), float(parts[2]), int(parts[3])
            n = feed(platform, rate, seconds, topics)
            print(f"FED {n}", flush=True)
        elif parts and parts[0] == "stats":
            hub = platform.engines["streaming"].hub  # type: ignore[attr-defined]
            print("STATS", hub.snapshot_stats(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn WebSocket protocol")
    parser.add_argument("--batch-delay", type=float, default=0.0)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    config = PlatformConfig(
        data_dir=data_dir,
        admin_password=ADMIN_PASSWORD,
        engines=("streaming",),
        jobs={"max_workers": 1},
        streaming=StreamingConfig(batch_delay_s=args.batch_delay),
    )  # type: ignore[arg-type]
    platform = Platform(config).start()
    security = Security(config, platform.db)
    security.bootstrap_admin()
    admin = security.users.get_by_username("admin")
    key = security.keys.create(admin, "bench-ws", ["read"], actor=admin.id)
    print(f"KEY {key.secret}", flush=True)
    app = create_app(platform, announce=False, dashboard_dir=data_dir / "no-web")
    mount_ws(app, platform)
    threading.Thread(target=control, args=(platform,), daemon=True).start()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=args.port, log_level="warning", backlog=4096, ws=args.ws
        )
    )

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        print("READY", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
