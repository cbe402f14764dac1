"""Job kinds the platform ships.

``system.checksum`` fingerprints a file or a directory tree (a time-series store folder, a
backup, an exported dataset): a digest per file and one manifest digest over the sorted
``(relative path, size, file digest)`` lines, so two copies of a dataset can be compared with
one value. Progress is reported by bytes read; the job stops early when cancelled.

>>> from nautilus.jobs.base import JOB_KINDS
>>> "system.checksum" in JOB_KINDS
True
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NotFoundError
from nautilus.jobs.base import JOB_KINDS, Progress

MANIFEST_LIMIT = 10_000
"""Per-file digests listed in the result at most; the manifest digest always covers all."""


class ChecksumParams(FrozenConfig):
    """Parameters of ``system.checksum``."""

    path: str = Field(description="File or directory to fingerprint (absolute, on the worker).")
    algorithm: Literal["sha256", "blake2b", "sha1", "md5"] = Field(
        "sha256", description="hashlib algorithm."
    )
    pattern: str = Field("**/*", description="Glob of files to include under a directory.")
    chunk_bytes: int = Field(1 << 20, ge=4096, le=1 << 26, description="Read size in bytes.")


def _files(root: Path, pattern: str) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.glob(pattern) if p.is_file() and not p.is_symlink())


@JOB_KINDS.register("system.checksum", config=ChecksumParams, tags=("system",))
def run_checksum(params: ChecksumParams, progress: Progress) -> dict[str, Any]:
    """Digest every file under ``path`` and the manifest of them (see the module docstring)."""
    root = Path(params.path)
    if not root.exists():
        raise NotFoundError(f"no such file or directory: {root}", code="path_not_found")
    files = _files(root, params.pattern)
    total = sum(f.stat().st_size for f in files)
    done = 0
    last_report = 0.0
    manifest = hashlib.new(params.algorithm)
    digests: dict[str, str] = {}
    for f in files:
        h = hashlib.new(params.algorithm)
        with f.open("rb") as fh:
            while chunk := fh.read(params.chunk_bytes):
                h.update(chunk)
                done += len(chunk)
                now = time.monotonic()
                if now - last_report >= 0.2:
                    if progress.cancelled:
                        return {"cancelled": True, "bytes_read": done}
                    progress.update(done / total if total else 1.0, f"{done} of {total} bytes")
                    last_report = now
        rel = f.name if root.is_file() else f.relative_to(root).as_posix()
        size = f.stat().st_size
        digest = h.hexdigest()
        manifest.update(f"{rel}\t{size}\t{digest}\n".encode())
        if len(digests) < MANIFEST_LIMIT:
            digests[rel] = digest
    progress.update(1.0, f"{len(files)} files, {total} bytes")
    return {
        "algorithm": params.algorithm,
        "files": len(files),
        "bytes": total,
        "digest": manifest.hexdigest(),
        "manifest": digests,
        "manifest_truncated": len(files) > MANIFEST_LIMIT,
    }
