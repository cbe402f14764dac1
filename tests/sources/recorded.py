"""Transport-level replay of recorded provider responses for the data-source tests.

Routes match a request by URL path and a subset of its query parameters; each route serves its
recorded responses in order (the last one repeats). Every request is kept for assertions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

_TYPES = {".json": "application/json", ".csv": "text/csv", ".html": "text/html",
          ".xml": "application/xml", ".txt": "text/plain"}


@dataclass(frozen=True)
class Recorded:
    """One recorded response: status, body file under resources/, headers."""

    file: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None


@dataclass
class _Route:
    path: str
    params: dict[str, str]
    responses: list[Recorded]
    served: int = 0


class Replay:
    """Builds an ``httpx.MockTransport`` that serves recordings from ``resources``."""

    def __init__(self, resources: Path) -> None:
        self.resources = resources
        self.routes: list[_Route] = []
        self.requests: list[httpx.Request] = []

    def add(self, path: str, *responses: Recorded | str, **params: str) -> Replay:
        recs = [Recorded(file=r) if isinstance(r, str) else r for r in responses]
        self.routes.append(_Route(path, {k: str(v) for k, v in params.items()}, recs))
        return self

    def load(self, name: str) -> Any:
        return json.loads((self.resources / name).read_text())

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = dict(request.url.params)
        for route in self.routes:
            if request.url.path == route.path and all(query.get(k) == v
                                                      for k, v in route.params.items()):
                rec = route.responses[min(route.served, len(route.responses) - 1)]
                route.served += 1
                headers = dict(rec.headers)
                if rec.file is not None:
                    content = (self.resources / rec.file).read_bytes()
                    headers.setdefault("Content-Type", _TYPES[Path(rec.file).suffix])
                else:
                    content = (rec.text or "").encode()
                    headers.setdefault("Content-Type", "text/plain")
                return httpx.Response(rec.status, content=content, headers=headers)
        return httpx.Response(599, text=f"no recording for {request.url.path} {query}")

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)


class Sleeps(list[float]):
    """A fake clock: records requested sleeps and advances ``now`` instead of sleeping.

    Pass the instance as ``sleep`` and its ``monotonic`` as ``clock``.
    """

    now: float = 1000.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now
