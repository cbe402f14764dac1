"""Nautilus: a self-hosted trading and portfolio platform.

The library core works headless; the API, CLI and dashboard are thin layers over it.
"""

from __future__ import annotations

from pathlib import Path

from nautilus._jitcache import refresh as _refresh_jit_cache

__version__ = "0.1.0"

# numba's cache does not see edits of modules a cached kernel calls into (see _jitcache)
_refresh_jit_cache(Path(__file__).parent)

__all__ = ["__version__"]
