"""A real Nautilus server for the browser tests.

    python -m tests.e2e.server --data-dir D --port P --admin-password PW [--live INST:TF]

It builds the platform and the app exactly as ``nautilus serve`` does (``create_app``), loads a
small slice of the demo sample data (``nautilus.data.loader``) when the data engine ships it,
and serves the built dashboard from ``web/dist`` with uvicorn on 127.0.0.1.

Two test-only additions, both stated in the log:

* ``--live INSTRUMENT:TF`` publishes a forming bar on ``data.bars.<instrument>.<tf>`` every
  second (the demo has no live market feed), so the chart's WebSocket path can be seen working.
* Pieces that exist in the code base but are not wired into ``create_app`` / ``Platform`` yet
  (the data router, the ``/ws`` route, the streaming engine) are added here so that the
  dashboard can be tested against them; each addition is logged. Once the lead wires them,
  nothing is added.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("e2e.server")
ROOT = Path(__file__).resolve().parents[2]


def _ensure_streaming_engine() -> None:
    from nautilus import platform as platform_module

    mod = "nautilus.streaming.engine"
    if mod not in platform_module.ENGINE_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:
            return
        platform_module.ENGINE_MODULES = (*platform_module.ENGINE_MODULES, mod)
        log.warning("e2e: streaming engine not in Platform.ENGINE_MODULES; added for the test")


PREVIEW_ENGINES = (
    "nautilus.execution.engine",
    "nautilus.portfolio.engine",
    "nautilus.analytics.engine",
)


def _preview_engines() -> None:
    """``--preview``: also run engines whose modules are not in ENGINE_MODULES yet."""
    from nautilus import platform as platform_module

    extra = tuple(m for m in PREVIEW_ENGINES if m not in platform_module.ENGINE_MODULES)
    platform_module.ENGINE_MODULES = (*platform_module.ENGINE_MODULES, *extra)
    log.warning("e2e preview: engine modules added: %s", ", ".join(extra) or "none")


def _preview_routers(app: Any) -> None:
    """``--preview``: also mount routers that exist but are not in create_app yet."""
    import pkgutil

    import nautilus.api.routers as routers

    have = _paths(app)
    for info in pkgutil.iter_modules(routers.__path__):
        try:
            module = importlib.import_module(f"nautilus.api.routers.{info.name}")
        except Exception as exc:  # a router someone is still writing
            log.warning("e2e preview: router %s not importable: %s", info.name, exc)
            continue
        router = getattr(module, "router", None)
        paths = {getattr(r, "path", "") for r in getattr(router, "routes", [])}
        if router is not None and paths and not paths & have:
            app.include_router(router)
            have |= paths
            log.warning("e2e preview: router %s added", info.name)


def _paths(app: Any) -> set[str]:
    """HTTP paths from the OpenAPI document, plus WebSocket routes (not in that document)."""
    paths = set(app.openapi()["paths"])
    app.openapi_schema = None  # built again, with whatever is added below
    return paths | {getattr(r, "path", "") for r in app.router.routes}


def _wire_missing(app: Any, platform: Any) -> None:
    """Add the data router and /ws when create_app does not have them yet (logged)."""
    from starlette.routing import Mount

    paths = _paths(app)
    if "/api/v1/data/instruments" not in paths:
        try:
            from nautilus.api.routers import data
        except ImportError:
            data = None  # type: ignore[assignment]
        if data is not None:
            app.include_router(data.router)
            log.warning("e2e: data router not in create_app; added for the test")
    if "/ws" not in paths:
        try:
            from nautilus.api.ws import mount_ws
        except ImportError:
            mount_ws = None  # type: ignore[assignment]
        if mount_ws is not None:
            mount_ws(app, platform)
            log.warning("e2e: /ws not in create_app; added for the test")
    # The dashboard mount at "/" must stay last so that API routes match first.
    routes = app.router.routes
    mounts = [r for r in routes if isinstance(r, Mount) and r.path == ""]
    for m in mounts:
        routes.remove(m)
        routes.append(m)


def _live_feed(platform: Any, instrument_id: str, timeframe: str, stop: threading.Event) -> None:
    """Publish a forming bar each second from the last stored close (test feed)."""
    from nautilus.model import Bar, Timeframe

    tf = Timeframe(timeframe)
    step = tf.ns
    price = 100.0
    try:
        engine = platform.engine("data")
        frame = engine.bars.read(instrument_id, tf, None, None)
        if len(frame):
            price = float(frame["close"].iloc[-1])
    except Exception:  # no stored bars: start from 100
        log.info("e2e: no stored bars for %s %s", instrument_id, timeframe)
    topic = f"data.bars.{instrument_id}.{timeframe}"
    open_ = high = low = price
    bucket = -1
    n = 0
    while not stop.wait(1.0):
        now = time.time_ns()
        close_ts = (now // step + 1) * step
        if close_ts != bucket:
            bucket, open_, high, low = close_ts, price, price, price
        n += 1
        price = round(price * (1 + 0.0005 * (1 if n % 3 else -2)), 4)
        high, low = max(high, price), min(low, price)
        bar = Bar(
            instrument_id=instrument_id,
            timeframe=timeframe,
            open=open_,
            high=high,
            low=low,
            close=price,
            volume=float(100 * n),
            ts_event=close_ts,
            ts_init=now,
        )
        platform.bus.publish(topic, bar)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--sample-size", type=int, default=3)
    parser.add_argument("--live", action="append", default=[], help="INSTRUMENT:TF")
    parser.add_argument(
        "--preview",
        action="store_true",
        help="also mount routers and engines not wired yet (manual checks only)",
    )
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s %(message)s")

    import uvicorn

    from nautilus.api.app import DASHBOARD_DIR, create_app
    from nautilus.config import ApiConfig, PlatformConfig

    _ensure_streaming_engine()
    if args.preview:
        _preview_engines()
    from nautilus.platform import Platform

    config = PlatformConfig(
        data_dir=args.data_dir,
        admin_password=args.admin_password,
        api=ApiConfig(host="127.0.0.1", port=args.port),
        jobs={"max_workers": 1},  # type: ignore[arg-type]
    )
    platform = Platform(config).start()
    stop = threading.Event()
    try:
        try:
            loader = importlib.import_module("nautilus.data.loader")
        except ImportError:
            loader = None
        if loader is not None:
            t0 = time.perf_counter()
            result = loader.load_sample_data(
                platform, size=args.sample_size, years=2, minute_weeks=1
            )
            log.info("e2e: sample data %s in %.1fs", result, time.perf_counter() - t0)
        app = create_app(platform, announce=False, dashboard_dir=DASHBOARD_DIR)
        if args.preview:
            _preview_routers(app)
        _wire_missing(app, platform)
        for spec in args.live:
            inst, _, tf = spec.rpartition(":")
            threading.Thread(
                target=_live_feed, args=(platform, inst, tf, stop), daemon=True, name=f"live-{inst}"
            ).start()
        print(f"E2E_SERVER_READY http://127.0.0.1:{args.port}", flush=True)
        uvicorn.run(
            app,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
    finally:
        stop.set()
        platform.stop()


if __name__ == "__main__":
    main()
