"""A small pool of psycopg 3 connections for the PostgreSQL time-series store.

Connections are in autocommit mode; every unit of work opens an explicit transaction
(``with conn.transaction():``), so a connection goes back to the pool only when idle.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from nautilus.core.errors import ConfigurationError, UnavailableError


def postgres_url(url: str) -> str:
    """Accept the SQLAlchemy spellings too: ``postgresql+psycopg://`` and ``postgres://``."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    if not url.startswith("postgresql://"):
        raise ConfigurationError(
            f"not a PostgreSQL URL: {url.split('://')[0]}://...", code="bad_url"
        )
    return url


class ConnectionPool:
    """A small thread-safe pool of autocommit connections (transactions are explicit)."""

    def __init__(self, url: str, max_idle: int = 4) -> None:
        self.url = url
        self.max_idle = max_idle
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self.closed = False

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            # JIT compilation costs more than it saves on the store's short, indexed queries.
            return psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, options="-c jit=off"
            )
        except psycopg.OperationalError as exc:
            raise UnavailableError(
                f"cannot reach the PostgreSQL time-series store: {str(exc).splitlines()[0]}",
                code="store_unavailable",
            ) from exc

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self.closed:
            raise UnavailableError("the time-series store is closed", code="store_closed")
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self._connect()
        try:
            yield conn
        except psycopg.OperationalError as exc:
            raise UnavailableError(
                f"PostgreSQL time-series store failed: {str(exc).splitlines()[0]}",
                code="store_unavailable",
            ) from exc
        finally:
            idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            with self._lock:
                keep = idle and not conn.closed and not self.closed
                if keep and len(self._idle) < self.max_idle:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
