"""Principals and transports for hub tests: a sink that records, one that stops reading."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from nautilus.security import Principal, Role, User, role_scopes


def principal(user_id: str, role: Role = Role.VIEWER) -> Principal:
    user = User(user_id, f"name-{user_id}", role, False, datetime(2026, 1, 1, tzinfo=UTC))
    return Principal(user, "token", role_scopes(role))


class ListSink:
    """A peer that reads everything at once; frames are kept decoded, batches unpacked."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.writes: list[int] = []
        """Frames per socket write (1 for a lone frame, n for a batch of n)."""
        self.closed: tuple[int, str] | None = None

    async def send(self, text: str) -> None:
        frame = json.loads(text)
        if frame["type"] == "batch":
            assert len(frame["frames"]) > 1 and all(f["type"] != "batch" for f in frame["frames"])
            self.frames.extend(frame["frames"])
            self.writes.append(len(frame["frames"]))
        else:
            self.frames.append(frame)
            self.writes.append(1)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def data(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] in ("data", "snapshot")]


class StalledSink(ListSink):
    """A peer whose socket stopped draining: ``send`` waits until ``resume``."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def send(self, text: str) -> None:
        await self.gate.wait()
        await super().send(text)

    def resume(self) -> None:
        self.gate.set()


@pytest.fixture
def alice() -> Principal:
    return principal("alice")


@pytest.fixture
def bob() -> Principal:
    return principal("bob")


@pytest.fixture
def root() -> Principal:
    return principal("root", Role.ADMIN)
