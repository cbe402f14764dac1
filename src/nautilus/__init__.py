"""Nautilus: a self-hosted trading and portfolio platform.

The library core works headless; the API, CLI and dashboard are thin layers over it.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
