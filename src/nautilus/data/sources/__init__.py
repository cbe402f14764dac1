"""Provider plug-ins; importing this package registers every source in ``DATA_SOURCES``."""

from __future__ import annotations

from nautilus.data.sources import (
    alphavantage,
    datagov,
    dbnomics,
    edgar,
    fred,
    local,
    replay,
    synthetic,
    tradingeconomics,
    yahoo,
)

__all__ = ["alphavantage", "datagov", "dbnomics", "edgar", "fred", "local", "replay",
           "synthetic", "tradingeconomics", "yahoo"]


def load_ib() -> None:
    """Register the Interactive Brokers source (imports ib-async, kept out of the default)."""
    from nautilus.data.sources import ib  # noqa: F401
