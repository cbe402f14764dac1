"""Login throttling per (username, client address), kept in the relational store.

After ``login_max_failures`` failures within ``login_window_s`` seconds, attempts for that
username from that client are refused with ``RateLimitedError`` until ``login_lockout_s``
seconds after the last failure. A successful login clears the failures. Keeping the count in
the database makes it hold across API replicas and restarts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from nautilus.config import AuthConfig
from nautilus.core.errors import RateLimitedError
from nautilus.persistence.db import Database
from nautilus.persistence.tables import LoginFailureRow
from nautilus.security.clock import Clock, as_utc, now_utc


class LoginThrottle:
    def __init__(self, db: Database, auth: AuthConfig, *, clock: Clock = now_utc) -> None:
        self.db = db
        self.auth = auth
        self.clock = clock

    def check(self, username: str, client: str) -> None:
        """Raise ``RateLimitedError`` (with ``retry_after`` seconds) while locked out."""
        now = self.clock()
        since = now - timedelta(seconds=self.auth.login_window_s)
        username, client = username[:64], client[:64]
        with self.db.session() as s:
            count, last = s.execute(
                select(func.count(), func.max(LoginFailureRow.ts)).where(
                    LoginFailureRow.username == username,
                    LoginFailureRow.client == client,
                    LoginFailureRow.ts > since,
                )
            ).one()
        if count < self.auth.login_max_failures or last is None:
            return
        until = as_utc(last) + timedelta(seconds=self.auth.login_lockout_s)
        wait = (until - now).total_seconds()
        if wait > 0:
            raise RateLimitedError(
                f"too many failed logins; try again in {int(wait) + 1} s",
                retry_after=wait,
                code="login_throttled",
            )

    def record_failure(self, username: str, client: str) -> None:
        now = self.clock()
        with self.db.session() as s:
            s.add(LoginFailureRow(username=username[:64], client=client[:64], ts=now))
            # Old rows are of no use; prune this pair's so the table stays small.
            s.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.username == username[:64],
                    LoginFailureRow.client == client[:64],
                    LoginFailureRow.ts <= now - timedelta(seconds=self.auth.login_window_s),
                )
            )

    def clear(self, username: str, client: str) -> None:
        with self.db.session() as s:
            s.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.username == username[:64], LoginFailureRow.client == client[:64]
                )
            )
