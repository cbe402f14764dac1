"""``Security``: one façade over users, tokens, API keys and throttling.

The API, the CLI and scripts use it the same way; it needs only a config and a ``Database``:

    security = Security(config, platform.db)
    user, pair = security.login("alice", "correct horse battery", client="10.0.0.7")
    principal = security.authenticate_bearer(pair.access_token)
    principal.require(Scope.READ)

Verified credentials are cached in-process for ``auth_cache_ttl_s`` seconds (see
:mod:`.cache`): a repeated request authenticates without touching the database. Revoking a key,
changing a role or disabling a user through this service evicts at once in this process; other
processes (API replicas, the CLI) see such a change within the TTL.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from nautilus.config import PlatformConfig
from nautilus.core.errors import AuthenticationError, PermissionDeniedError
from nautilus.persistence.db import Database
from nautilus.security.api_keys import ApiKeyRing
from nautilus.security.cache import AUTH_CACHE_TTL_S, AuthCache
from nautilus.security.clock import Clock, now_utc
from nautilus.security.passwords import hash_password, needs_rehash, verify_password
from nautilus.security.secrets import load_jwt_key
from nautilus.security.throttle import LoginThrottle
from nautilus.security.tokens import AccessTokens, RefreshTokens, TokenPair, token_digest
from nautilus.security.users import (
    AdminBootstrap,
    Role,
    Scope,
    User,
    UserDirectory,
    bootstrap_admin,
    scope_rank,
)


@functools.cache
def _decoy_hash() -> str:
    """Verified against when the username is unknown, so timing does not reveal usernames."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, how they authenticated, and the scopes they hold."""

    user: User
    via: Literal["token", "api_key"]
    scopes: tuple[Scope, ...]
    key_id: str | None = None

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.allows(Scope.ADMIN)

    def allows(self, scope: Scope) -> bool:
        """Role and credential both permit ``scope`` (higher scopes imply lower ones)."""
        if not self.user.role.allows(scope):
            return False
        return any(scope_rank(held) >= scope_rank(scope) for held in self.scopes)

    def require(self, scope: Scope) -> Principal:
        if not self.allows(scope):
            if not self.user.role.allows(scope):
                raise PermissionDeniedError(
                    f"role {self.user.role.value} may not do this (needs {scope.value})",
                    code="role_forbidden",
                )
            raise PermissionDeniedError(
                f"this API key lacks the {scope.value} scope", code="scope_forbidden"
            )
        return self


def role_scopes(role: Role) -> tuple[Scope, ...]:
    """Everything a role may do, as scopes (what a token session holds)."""
    return tuple(s for s in Scope if role.allows(s))


_ROLE_SCOPES: dict[Role, tuple[Scope, ...]] = {role: role_scopes(role) for role in Role}


class Security:
    """Users, access and refresh tokens, API keys and login throttling on one database."""

    def __init__(
        self,
        config: PlatformConfig,
        db: Database,
        *,
        clock: Clock = now_utc,
        auth_cache_ttl_s: float = AUTH_CACHE_TTL_S,
    ) -> None:
        self.config = config
        self.db = db
        self.cache = AuthCache(auth_cache_ttl_s)
        self.users = UserDirectory(db, on_change=self.cache.evict_user)
        self.access = AccessTokens(load_jwt_key(config), config.auth, clock=clock)
        self.refresh_tokens = RefreshTokens(db, config.auth, clock=clock)
        self.keys = ApiKeyRing(db, clock=clock, on_revoke=self.cache.evict_key)
        self.throttle = LoginThrottle(db, config.auth, clock=clock)

    def bootstrap_admin(self) -> AdminBootstrap | None:
        """Create ``admin`` on first start; see :func:`.users.bootstrap_admin`."""
        return bootstrap_admin(self.users, self.config.admin_password)

    def login(self, username: str, password: str, *, client: str) -> tuple[User, TokenPair]:
        """Check the password (throttled per username + client) and start a token family."""
        self.throttle.check(username, client)
        found = self.users.password_hash(username)
        ok = verify_password(found[1] if found else _decoy_hash(), password)
        if not ok or found is None or found[0].disabled:
            self.throttle.record_failure(username, client)
            raise AuthenticationError("wrong username or password", code="invalid_credentials")
        user, stored = found
        self.throttle.clear(username, client)
        if needs_rehash(stored):
            self.users.set_password_hash(user.id, hash_password(password))
        return user, self._pair(user, self.refresh_tokens.issue(user.id))

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token into a new pair (reuse revokes the family)."""
        user_id, new_refresh = self.refresh_tokens.rotate(refresh_token)
        return self._pair(self.users.get(user_id), new_refresh)

    def logout(self, refresh_token: str, *, user_id: str | None = None) -> bool:
        return self.refresh_tokens.revoke(refresh_token, user_id=user_id)

    def authenticate_bearer(self, token: str) -> Principal:
        """Verify an access token and load its (still enabled) user with the current role."""
        user_id = self.verify_access_token(token)
        cached = self.cache.get_user(user_id)
        if cached is not None:
            return cached
        epoch = self.cache.epoch
        try:
            user = self.users.get(user_id)
        except Exception:
            raise AuthenticationError("unknown user", code="invalid_token") from None
        if user.disabled:
            raise AuthenticationError("account disabled", code="account_disabled")
        principal = Principal(user, "token", _ROLE_SCOPES[user.role])
        self.cache.put_user(principal, epoch)
        return principal

    def authenticate_api_key(self, secret: str) -> Principal:
        """The principal of an API key (cached by the key's SHA-256, never the key itself)."""
        digest = token_digest(secret)
        cached = self.cache.get_key(digest)
        if cached is not None:
            self.keys.note_use(cached.key_id or "")
            return cached
        epoch = self.cache.epoch
        user, key = self.keys.authenticate(secret)
        principal = Principal(user, "api_key", key.scopes, key.id)
        self.cache.put_key(digest, principal, epoch)
        return principal

    def cached_bearer(self, token: str) -> Principal | None:
        """Non-blocking: verify ``token`` (raises if invalid); its principal if cached, else None.

        None means the caller must use :meth:`authenticate_bearer`, which may read the database.
        """
        return self.cache.get_user(self.verify_access_token(token))

    def verify_access_token(self, token: str) -> str:
        """The user id of a valid access token (``AuthenticationError`` otherwise).

        A token verified moments ago is recognised by its SHA-256 instead of checking the
        signature again; that memory never outlives the token's expiry.
        """
        digest = token_digest(token)
        user_id = self.cache.get_token(digest)
        if user_id is None:
            claims = self.access.decode(token)
            user_id = claims.user_id
            self.cache.put_token(digest, user_id, claims.expires_at - time.time())
        return user_id

    def cached_api_key(self, secret: str) -> Principal | None:
        """Non-blocking: the principal of a cached API key, else None (not a verdict)."""
        cached = self.cache.get_key(token_digest(secret))
        if cached is not None:
            self.keys.note_use(cached.key_id or "")
        return cached

    def _pair(self, user: User, refresh_token: str) -> TokenPair:
        return TokenPair(
            access_token=self.access.issue(user),
            refresh_token=refresh_token,
            expires_in=self.config.auth.access_token_ttl_s,
        )
