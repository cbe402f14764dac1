"""The JWT signing key: ``config.jwt_secret`` if set, else a key generated once on disk.

The generated key lives in ``<data_dir>/secrets/jwt.key`` (mode 0600, folder 0700) and is
reused after a restart so tokens stay valid across restarts.
"""

from __future__ import annotations

import logging
import os
import secrets as _random
import stat
from pathlib import Path

from nautilus.config import PlatformConfig
from nautilus.core.errors import ConfigurationError

log = logging.getLogger(__name__)

JWT_KEY_FILE = Path("secrets") / "jwt.key"


def jwt_key_path(data_dir: Path) -> Path:
    return data_dir / JWT_KEY_FILE


def load_jwt_key(config: PlatformConfig) -> str:
    """The signing key for access tokens (see module docstring)."""
    if config.jwt_secret:
        return config.jwt_secret
    return _load_or_create_key(jwt_key_path(config.data_dir))


def _load_or_create_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    key = _random.token_urlsafe(64)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    log.info("generated a new JWT signing key in %s", path)
    return key


def _read_key(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("JWT key file %s had mode %o; tightening to 0600", path, mode)
        path.chmod(0o600)
    key = path.read_text().strip()
    if len(key) < 32:
        # An empty file is a crash between create and write; a short one was edited by hand.
        raise ConfigurationError(
            f"JWT key file {path} is empty or too short; delete it to generate a new key",
            code="weak_secret",
        )
    return key
