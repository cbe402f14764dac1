"""Keep numba's on-disk cache in step with the package's sources.

Numba keys a cached kernel on its own source file's timestamp only: after an edit (or a
``git pull`` on an editable install) of a module that a cached kernel *calls into* (e.g.
``features/primitives.py``), the stale machine code would still be loaded. So at import the
package stamps its sources (path, size and mtime of every ``.py`` file: ~1 ms) and, when the
stamp differs from the one written next to the cache, drops the package's ``*.nbi``/``*.nbc``
files; numba then compiles afresh and caches again. A read-only install is left as it is.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

STAMP = "__pycache__/.numba-sources"


def sources_stamp(root: Path) -> str:
    """A digest of every ``.py`` file's relative path, size and mtime under ``root``."""
    h = hashlib.blake2b(digest_size=16)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for f in sorted(filenames):
            if f.endswith(".py"):
                st = os.stat(os.path.join(dirpath, f))
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def refresh(root: Path) -> int:
    """Drop numba cache files under ``root`` if its sources changed; returns files dropped."""
    stamp_file = root / STAMP
    stamp = sources_stamp(root)
    try:
        if stamp_file.read_text() == stamp:
            return 0
    except OSError:
        pass
    dropped = 0
    try:
        for cache in root.rglob("__pycache__"):
            for f in cache.iterdir():
                if f.suffix in (".nbi", ".nbc"):
                    f.unlink(missing_ok=True)
                    dropped += 1
        stamp_file.parent.mkdir(exist_ok=True)
        tmp = stamp_file.with_suffix(f".{os.getpid()}")
        tmp.write_text(stamp)
        tmp.replace(stamp_file)
    except OSError:  # read-only install: nothing was or can be cached there
        pass
    return dropped
