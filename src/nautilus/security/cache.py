"""A short-lived, in-process cache of verified credentials, so authenticating is not a DB read.

Two maps, both holding only *successful* verifications:

* API key ``SHA-256(secret)`` -> :class:`~nautilus.security.service.Principal` (the raw key is
  never stored; the digest is what the database stores too);
* access token ``SHA-256`` -> user id, for tokens whose signature, type and expiry were
  verified; held for the TTL but never past the token's own ``exp`` (access tokens carry no
  revocable state, so this is not invalidated: it only saves re-verifying the signature);
* user id -> the token :class:`~nautilus.security.service.Principal` of an enabled user (their
  current role), used once a JWT access token's signature and expiry have been verified.

Entries live ``ttl_s`` seconds (monotonic clock). Every write the security service performs
that could narrow access (key revocation, role change, disabling a user) evicts the affected
entries *in this process* as soon as it commits, so the next request sees it. Writes made by
another process (another API replica, the CLI) are not seen here: there the TTL bounds the
staleness, i.e. a revoked key or a demoted user may keep working for up to ``ttl_s`` seconds
on other replicas.

Evictions bump an epoch. A lookup that missed notes the epoch *before* reading the database and
stores its result only if no eviction happened meanwhile, so a read that raced a revocation
cannot put the stale credential back.

Reads take no lock (single dict lookups are atomic in CPython); writes and evictions do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from nautilus.security.service import Principal

AUTH_CACHE_TTL_S = 5.0
AUTH_CACHE_MAX_ENTRIES = 50_000

V = TypeVar("V")


class _TtlMap(Generic[V]):
    """``key -> (expires_at, value)``; expired entries are dropped lazily or on overflow."""

    __slots__ = ("_data", "_max", "_now")

    def __init__(self, max_entries: int, now: Callable[[], float]) -> None:
        self._data: dict[str, tuple[float, V]] = {}
        self._max = max_entries
        self._now = now

    def get(self, key: str) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] <= self._now():
            self._data.pop(key, None)
            return None
        return entry[1]

    def put(self, key: str, value: V, expires_at: float) -> None:
        if len(self._data) >= self._max and key not in self._data:
            now = self._now()
            for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
                del self._data[k]
            if len(self._data) >= self._max:
                self._data.clear()
        self._data[key] = (expires_at, value)

    def drop_where(self, predicate: Callable[[V], bool]) -> int:
        doomed = [k for k, (_, v) in self._data.items() if predicate(v)]
        for k in doomed:
            del self._data[k]
        return len(doomed)

    def pop(self, key: str) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class AuthCache:
    """Verified API keys and token users for ``ttl_s`` seconds; see the module docstring."""

    def __init__(
        self,
        ttl_s: float = AUTH_CACHE_TTL_S,
        *,
        max_entries: int = AUTH_CACHE_MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._now = monotonic
        self._lock = threading.Lock()
        self._epoch = 0
        self._keys: _TtlMap[Principal] = _TtlMap(max_entries, monotonic)
        self._users: _TtlMap[Principal] = _TtlMap(max_entries, monotonic)
        self._tokens: _TtlMap[str] = _TtlMap(max_entries, monotonic)

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    @property
    def epoch(self) -> int:
        """Read before a database lookup and hand to ``put_*``; see the module docstring."""
        return self._epoch

    def get_key(self, digest: str) -> Principal | None:
        return self._keys.get(digest)

    def get_user(self, user_id: str) -> Principal | None:
        return self._users.get(user_id)

    def get_token(self, digest: str) -> str | None:
        """The user id of a verified access token, if cached."""
        return self._tokens.get(digest)

    def put_token(self, digest: str, user_id: str, valid_for_s: float) -> None:
        """Remember a verified access token for ``min(ttl_s, valid_for_s)`` seconds."""
        life = min(self.ttl_s, valid_for_s)
        if life <= 0:
            return
        with self._lock:
            self._tokens.put(digest, user_id, self._now() + life)

    def put_key(self, digest: str, principal: Principal, epoch: int) -> None:
        if not self.enabled or principal.user.disabled:
            return
        with self._lock:
            if epoch == self._epoch:
                self._keys.put(digest, principal, self._now() + self.ttl_s)

    def put_user(self, principal: Principal, epoch: int) -> None:
        if not self.enabled or principal.user.disabled:
            return
        with self._lock:
            if epoch == self._epoch:
                self._users.put(principal.user.id, principal, self._now() + self.ttl_s)

    def evict_user(self, user_id: str) -> None:
        """Forget the user and every API key of theirs (role change, disable, password)."""
        with self._lock:
            self._epoch += 1
            self._users.pop(user_id)
            self._keys.drop_where(lambda p: p.user.id == user_id)

    def evict_key(self, key_id: str) -> None:
        """Forget one API key (revocation)."""
        with self._lock:
            self._epoch += 1
            self._keys.drop_where(lambda p: p.key_id == key_id)

    def clear(self) -> None:
        with self._lock:
            self._epoch += 1
            self._keys.clear()
            self._users.clear()
            self._tokens.clear()

    def sizes(self) -> tuple[int, int, int]:
        """``(api keys, users, tokens)`` held (expired entries included until dropped)."""
        return len(self._keys), len(self._users), len(self._tokens)
