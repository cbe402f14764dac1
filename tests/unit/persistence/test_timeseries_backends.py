"""Backend-specific behaviour: PostgreSQL partitions and atomic writes, ArcticDB layout."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import psycopg
import pytest

from nautilus.core.errors import ConfigurationError, UnavailableError, ValidationError
from nautilus.core.time import NS_PER_HOUR, to_ns
from nautilus.persistence.timeseries import ArcticStore, PostgresStore
from nautilus.persistence.timeseries.arctic import name_for, symbol_for
from nautilus.persistence.timeseries.pglayout import year_bounds


def hourly(n: int, start: str, seed: int = 1, text: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"close": 50.0 + rng.normal(0.0, 1.0, n), "volume": rng.integers(0, 100, n)},
        index=pd.Index(to_ns(start) + NS_PER_HOUR * np.arange(n, dtype=np.int64), name="ts"),
    )
    if text:
        frame["note"] = np.array([f"row {i}" for i in range(n)], dtype=object)
    return frame


@pytest.mark.postgres
def test_postgres_creates_yearly_partitions_on_demand(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        frame = hourly(48, "2021-12-31T00:00:00Z")  # 2021-12-31 .. 2022-01-01
        store.write("bars/SPY/1h", frame)
        assert store.partitions("bars") == ["ts_bars_y2021", "ts_bars_y2022"]
        store.upsert("bars/SPY/1h", hourly(3, "2024-06-01T00:00:00Z"))
        store.write("bars/QQQ/1h", hourly(2, "2019-03-01T00:00:00Z"))
        assert store.partitions("bars") == [
            "ts_bars_y2019",
            "ts_bars_y2021",
            "ts_bars_y2022",
            "ts_bars_y2024",
        ]
        with psycopg.connect(pg_url) as conn:
            # Rows land in the partition of their year, and the catalog agrees with the table.
            counts = dict(
                conn.execute(
                    "SELECT tableoid::regclass::text, count(*) FROM ts_bars GROUP BY 1"
                ).fetchall()
            )
            assert counts == {
                "ts_bars_y2019": 2,
                "ts_bars_y2021": 24,
                "ts_bars_y2022": 24,
                "ts_bars_y2024": 3,
            }
            kind, rows = conn.execute(
                "SELECT kind, rows FROM ts_datasets WHERE key = 'bars/SPY/1h'"
            ).fetchone()
            assert (kind, rows) == ("bars", 51)
            # A range read only scans the partition(s) its bounds touch.
            plan = "\n".join(
                r[0]
                for r in conn.execute(
                    "EXPLAIN SELECT * FROM ts_bars WHERE series = 'SPY/1h' "
                    f"AND ts >= {to_ns('2022-01-01')} AND ts < {to_ns('2022-02-01')}"
                ).fetchall()
            )
            assert "ts_bars_y2022" in plan and "ts_bars_y2021" not in plan
        health = store.health()
        assert health["healthy"] is True and health["timescaledb"] is False
        assert health["server_version"] >= 110000  # declarative partitions with PK need 11+
    finally:
        store.close()


def test_year_bounds_are_ns_utc_and_clamped() -> None:
    assert year_bounds(2024) == (to_ns("2024-01-01"), to_ns("2025-01-01"))
    assert year_bounds(1969) == (to_ns("1969-01-01"), 0)
    assert year_bounds(1677)[0] is None and year_bounds(2262)[1] is None


@pytest.mark.postgres
def test_postgres_failing_write_leaves_previous_data(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        key = "bars/IBM/1h"
        before = hourly(5_000, "2020-01-01T00:00:00Z", text=True)
        store.write(key, before, metadata={"v": 1})
        # A NUL byte deep inside the stream: the old rows are already deleted inside the
        # transaction and thousands of new rows copied when PostgreSQL refuses it.
        bad = hourly(5_000, "2020-06-01T00:00:00Z", seed=2, text=True)
        bad.iloc[4_000, bad.columns.get_loc("note")] = "bad\x00value"
        with pytest.raises(ValidationError) as err:
            store.write(key, bad, metadata={"v": 2})
        assert err.value.code == "bad_value"
        with pytest.raises(ValidationError):
            store.upsert(key, bad)
        pdt.assert_frame_equal(store.read(key), before, check_exact=True)
        meta = store.metadata(key)
        assert meta["rows"] == 5_000 and meta["user"] == {"v": 1}
        # A column whose type clashes with the kind table is refused before any change.
        clash = hourly(3, "2021-01-01T00:00:00Z").assign(close=["a", "b", "c"])
        with pytest.raises(ValidationError) as err:
            store.write(key, clash)
        assert err.value.code == "schema_mismatch"
        with pytest.raises(ValidationError):
            store.write("bars/OTHER/1h", clash)
        pdt.assert_frame_equal(store.read(key), before, check_exact=True)
        assert not store.exists("bars/OTHER/1h")
        # The store is still usable afterwards (no connection left in a failed transaction).
        store.append(key, hourly(2, "2021-01-01T00:00:00Z", text=True))
        assert store.metadata(key)["rows"] == 5_002
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres_kinds_share_columns_and_reopen(pg_url: str) -> None:
    store = PostgresStore(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    store.write("bars/A/1h", hourly(3, "2022-01-01"))
    store.write("bars/B/1h", hourly(4, "2022-01-01")[["close"]].assign(vwap=1.5))
    store.close()
    with pytest.raises(UnavailableError):
        store.read("bars/A/1h")
    again = PostgresStore(pg_url)
    try:
        pdt.assert_frame_equal(again.read("bars/A/1h"), hourly(3, "2022-01-01"), check_exact=True)
        assert again.read("bars/B/1h").columns.tolist() == ["close", "vwap"]
        with psycopg.connect(pg_url) as conn:
            cols = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'ts_bars' ORDER BY ordinal_position"
                ).fetchall()
            ]
        assert cols == ["series", "ts", "close", "volume", "vwap"]
    finally:
        again.close()
    with pytest.raises(ConfigurationError) as err:
        PostgresStore("mysql://localhost/db")
    assert err.value.code == "bad_url"


def test_arctic_symbol_names_round_trip() -> None:
    for name in ("AAPL.XNAS/1m", "a b/c%d", "ES-FUT/2024-03/tick", "Ünïcode/1d"):
        symbol = symbol_for(name)
        assert "/" not in symbol and " " not in symbol
        assert name_for(symbol) == name
    assert symbol_for("AAPL.XNAS/1m") == "AAPL.XNAS%2F1m"


def test_arctic_persists_across_instances_and_stores_naive_index(tmp_path: Path) -> None:
    store = ArcticStore(tmp_path / "ts")
    frame = hourly(100, "2024-03-01", text=True)
    store.write("bars/SPY/1h", frame, metadata={"source": "unit"})
    lib = store._library("bars", create=False)
    raw = lib.read(symbol_for("SPY/1h")).data
    # Stored index: naive datetime64[ns] holding exactly the int64 ns.
    assert str(raw.index.dtype) == "datetime64[ns]" and raw.index.tz is None
    assert np.array_equal(raw.index.asi8, frame.index.to_numpy())
    store.close()
    with pytest.raises(UnavailableError):
        store.read("bars/SPY/1h")
    again = ArcticStore(tmp_path / "ts")
    pdt.assert_frame_equal(again.read("bars/SPY/1h"), frame, check_exact=True)
    assert again.metadata("bars/SPY/1h")["user"] == {"source": "unit"}
    assert again.health()["kinds"] == ["bars"]
    again.close()


def test_arctic_upsert_keeps_only_latest_version(tmp_path: Path) -> None:
    store = ArcticStore(tmp_path / "ts")
    frame = hourly(10, "2024-03-01")
    store.write("bars/SPY/1h", frame)
    store.upsert("bars/SPY/1h", frame.iloc[[2, 5]] * 2)
    store.append("bars/SPY/1h", hourly(2, "2024-03-02"))
    lib = store._library("bars", create=False)
    assert len(lib.list_versions(symbol_for("SPY/1h"))) == 1
    got = store.read("bars/SPY/1h")
    assert len(got) == 12
    assert got["close"].iloc[5] == frame["close"].iloc[5] * 2
    assert got["volume"].iloc[2] == frame["volume"].iloc[2] * 2
    store.close()


@pytest.mark.postgres
def test_postgres_concurrent_upserts_never_duplicate(pg_url: str) -> None:
    """Writers of one key are serialised: the catalog count matches the table afterwards."""
    stores = [PostgresStore(pg_url) for _ in range(3)]
    key = "bars/ES/1h"
    frames = [hourly(2_000, "2023-01-01", seed=s).iloc[s * 500 :] for s in range(3)]
    stores[0].write(key, hourly(10, "2022-12-31T12:00:00Z"))
    errors: list[BaseException] = []

    def run(store: PostgresStore, frame: pd.DataFrame) -> None:
        try:
            for chunk in np.array_split(np.arange(len(frame)), 4):
                store.upsert(key, frame.iloc[chunk])
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(stores, frames, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = stores[1].read(key)
    assert got.index.is_unique and got.index.is_monotonic_increasing
    assert len(got) == 10 + 2_000  # 12 hours before 2023 overlap nothing; the rest is one set
    assert stores[2].metadata(key)["rows"] == len(got)
    with psycopg.connect(pg_url) as conn:
        count = conn.execute("SELECT count(*) FROM ts_bars WHERE series = 'ES/1h'").fetchone()
    assert count == (len(got),)
    for s in stores:
        s.close()
