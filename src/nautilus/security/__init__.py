"""Security: argon2id passwords, users and roles, JWT access tokens, rotating refresh tokens,
API keys, login throttling, the JWT signing key and the audit log.

Usable without the server: the API and the CLI both build a :class:`Security` on a
``Database``.
"""

from __future__ import annotations

from nautilus.security.api_keys import ApiKey, ApiKeyRing, NewApiKey, parse_scopes
from nautilus.security.audit import AuditEntry, list_audit, record_audit
from nautilus.security.passwords import hash_password, verify_password
from nautilus.security.secrets import jwt_key_path, load_jwt_key
from nautilus.security.service import Principal, Security, role_scopes
from nautilus.security.throttle import LoginThrottle
from nautilus.security.tokens import AccessClaims, AccessTokens, RefreshTokens, TokenPair
from nautilus.security.users import (
    AdminBootstrap,
    Role,
    Scope,
    User,
    UserDirectory,
    bootstrap_admin,
    parse_role,
)

__all__ = [
    "AccessClaims",
    "AccessTokens",
    "AdminBootstrap",
    "ApiKey",
    "ApiKeyRing",
    "AuditEntry",
    "LoginThrottle",
    "NewApiKey",
    "Principal",
    "RefreshTokens",
    "Role",
    "Scope",
    "Security",
    "TokenPair",
    "User",
    "UserDirectory",
    "bootstrap_admin",
    "hash_password",
    "jwt_key_path",
    "list_audit",
    "load_jwt_key",
    "parse_role",
    "parse_scopes",
    "record_audit",
    "role_scopes",
    "verify_password",
]
