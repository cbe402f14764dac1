"""Write the API's OpenAPI document without a running server.

    python scripts/export_openapi.py OUT

Builds the app with ``create_app`` over a platform that is never started (a throwaway data
dir). Routers present under ``nautilus.api.routers`` that ``create_app`` does not include yet
are added, with a note on stderr, so the dashboard's client can be generated while they are
being wired.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import tempfile
from pathlib import Path


def build_schema() -> dict[str, object]:
    from nautilus.api.app import create_app
    from nautilus.config import PlatformConfig
    from nautilus.platform import Platform

    with tempfile.TemporaryDirectory(prefix="nautilus-openapi-") as tmp:
        platform = Platform(PlatformConfig(data_dir=Path(tmp), demo=True))
        app = create_app(platform, announce=False, dashboard_dir=Path(tmp) / "no-dashboard")
        have = set(app.openapi()["paths"])
        app.openapi_schema = None
        import nautilus.api.routers as routers

        for info in pkgutil.iter_modules(routers.__path__):
            try:
                module = importlib.import_module(f"nautilus.api.routers.{info.name}")
            except Exception as exc:  # a router being written by someone else
                print(f"export_openapi: skipped router {info.name}: {exc}", file=sys.stderr)
                continue
            router = getattr(module, "router", None)
            paths = {getattr(r, "path", "") for r in getattr(router, "routes", [])}
            if router is not None and paths and not paths & have:
                app.include_router(router)
                have |= paths
                print(
                    f"export_openapi: router {info.name} is not in create_app; included",
                    file=sys.stderr,
                )
        return app.openapi()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("web/openapi.json")
    out.write_text(json.dumps(build_schema(), indent=1, sort_keys=True) + "\n")
    print(f"export_openapi: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
