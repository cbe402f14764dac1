"""Fixtures of the factor tests: small seeded panels, built once per module."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.factors.panel import Panel, synthetic_panel


@pytest.fixture(scope="module")
def panel() -> Panel:
    """160 days x 12 instruments with a two-day halt (all fields NaN) in instrument 3."""
    p = synthetic_panel(160, 12, seed=7)
    fields = {k: v.copy() for k, v in p.fields.items()}
    for name in ("open", "high", "low", "close", "volume", "vwap"):
        fields[name][70:72, 3] = np.nan
    return Panel(p.dates, p.instruments, fields, dict(p.series), p.group_fields)


@pytest.fixture(scope="module")
def wide(panel: Panel) -> dict[str, pd.DataFrame]:
    """The panel's price/volume fields as wide pandas frames (reference side)."""
    return {k: pd.DataFrame(panel[k]) for k in ("open", "high", "low", "close", "volume", "vwap")}
