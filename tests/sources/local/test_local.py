"""Local CSV/Parquet import: column mapping, timestamp units, zones and labels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.local import (
    ColumnMapping,
    LocalFileConfig,
    LocalFileSource,
    read_bars_file,
)

CSV = """Date,Open,High,Low,Close,Vol
2024-01-02,187.15,188.44,183.89,185.64,82488700
2024-01-03,184.22,185.88,183.43,184.25,58414500
2024-01-04,182.15,183.09,180.88,,71983600
not-a-date,1,1,1,1,1
2024-01-05,181.99,182.76,180.17,181.18,62303300
"""
MAPPING = ColumnMapping(ts="Date", open="Open", high="High", low="Low", close="Close",
                        volume="Vol", timezone="America/New_York")


def test_daily_dates_close_at_1600_local_and_bad_rows_reported(tmp_path: Path) -> None:
    path = tmp_path / "AAPL.XNAS_1d.csv"
    path.write_text(CSV)
    batch = read_bars_file(path, "1d", MAPPING)
    assert list(batch.frame.index) == [to_ns("2024-01-02T21:00:00Z"),
                                       to_ns("2024-01-03T21:00:00Z"),
                                       to_ns("2024-01-05T21:00:00Z")]
    assert batch.frame["volume"].iloc[0] == 82488700.0
    assert sorted(r.reason for r in batch.rejected) == ["bad_timestamp", "non_finite_price"]


def test_epoch_ms_open_labelled_parquet(tmp_path: Path) -> None:
    t0 = to_ns("2024-01-05T14:30:00Z") // 10**6
    frame = pd.DataFrame({"t": [t0, t0 + 60_000], "o": [1.0, 1.1], "h": [1.2, 1.2],
                          "l": [0.9, 1.0], "c": [1.1, 1.15]})
    frame.to_parquet(tmp_path / "EURUSD.IDEALPRO_1m.parquet")
    mapping = ColumnMapping(ts="t", open="o", high="h", low="l", close="c", volume=None,
                            ts_unit="ms", ts_label="open")
    src = LocalFileSource(LocalFileConfig(root=tmp_path, mapping=mapping))
    bars = src.bars("EURUSD.IDEALPRO", "1m", 0, to_ns("2025-01-01"))
    assert list(bars.index) == [to_ns("2024-01-05T14:31:00Z"), to_ns("2024-01-05T14:32:00Z")]
    assert bars["volume"].tolist() == [0.0, 0.0]


def test_local_times_with_dst(tmp_path: Path) -> None:
    path = tmp_path / "X.XNYS_1h.csv"
    path.write_text("timestamp,open,high,low,close,volume\n"
                    "2024-03-08 10:00,1,2,0.5,1.5,10\n2024-03-11 10:00,1,2,0.5,1.5,10\n"
                    "2024-03-11T15:00:00Z,1,2,0.5,1.5,10\n")
    batch = read_bars_file(path, "1h", ColumnMapping(timezone="America/New_York"))
    assert list(batch.frame.index) == [to_ns("2024-03-08T15:00:00Z"),
                                       to_ns("2024-03-11T14:00:00Z"),
                                       to_ns("2024-03-11T15:00:00Z")]


def test_missing_file_and_columns(tmp_path: Path) -> None:
    src = LocalFileSource(LocalFileConfig(root=tmp_path))
    with pytest.raises(NotFoundError, match=r"NOPE\.XNAS"):
        src.bars("NOPE.XNAS", "1d", 0, 10**19)
    (tmp_path / "A.XNAS_1d.csv").write_text("when,open\n2024-01-02,1\n")
    with pytest.raises(ValidationError) as info:
        src.bars("A.XNAS", "1d", 0, 10**19)
    assert info.value.code == "bad_column_mapping"
