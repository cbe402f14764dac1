"""The TimeSeriesStore contract, run against ArcticDB (LMDB in tmp_path) and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.core.time import NS_PER_DAY, NS_PER_MINUTE, to_ns
from nautilus.persistence.timeseries import ArcticStore, PostgresStore, TimeSeriesStore

T0 = to_ns("2023-12-31T23:00:00Z")  # the first hours straddle a year boundary (partitions)
KEY = "bars/AAPL.XNAS/1m"


def bars(n: int, start: int = T0, step: int = NS_PER_MINUTE, seed: int = 7) -> pd.DataFrame:
    """OHLCV-like frame with every supported dtype; ts = start + i * step (int64 ns UTC)."""
    rng = np.random.default_rng(seed)
    close = 100.0 + np.cumsum(rng.normal(0.0, 0.1, n))
    frame = pd.DataFrame(
        {
            "open": close + rng.normal(0.0, 0.01, n),
            "close": close,
            "volume": rng.integers(0, 10_000, n, dtype=np.int64),
            "halted": rng.random(n) < 0.1,
            "venue": np.array(["XNAS", "ARCX", "BATS"], dtype=object)[np.arange(n) % 3],
        },
        index=pd.Index(start + step * np.arange(n, dtype=np.int64), name="ts"),
    )
    return frame


def numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["open", "close", "volume", "halted"]]


@pytest.fixture(params=["arctic", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimeSeriesStore]:
    if request.param == "arctic":
        s: TimeSeriesStore = ArcticStore(tmp_path / "timeseries")
    else:
        s = PostgresStore(request.getfixturevalue("pg_url"))
    yield s
    s.close()


def test_round_trip_preserves_values_dtypes_and_index(store: TimeSeriesStore) -> None:
    frame = bars(500)
    frame.loc[frame.index[3], "close"] = np.nan
    frame.loc[frame.index[4], "venue"] = None
    store.write(KEY, frame, metadata={"source": "unit", "adjusted": True})
    got = store.read(KEY)
    pdt.assert_frame_equal(got, frame, check_exact=True)
    assert got.index.dtype == np.int64 and got.index.name == "ts"
    assert list(got.dtypes.astype(str)) == ["float64", "float64", "int64", "bool", "object"]
    assert np.isnan(got["close"].iloc[3]) and got["venue"].iloc[4] is None


def test_numeric_only_round_trip(store: TimeSeriesStore) -> None:
    frame = numeric(bars(1000))
    store.write("bars/MSFT/1m", frame)
    pdt.assert_frame_equal(store.read("bars/MSFT/1m"), frame, check_exact=True)
    empty = store.read("bars/MSFT/1m", end_ns=int(frame.index[0]))
    pdt.assert_frame_equal(empty, frame.iloc[:0], check_exact=True)
    one = store.read("bars/MSFT/1m", start_ns=int(frame.index[-1]), columns=["halted"])
    pdt.assert_frame_equal(one, frame[["halted"]].iloc[-1:], check_exact=True)


def test_string_extension_dtype_and_index_only_read(store: TimeSeriesStore) -> None:
    frame = bars(6)[["close", "venue"]]
    typed = frame.astype({"venue": "string"})
    typed.loc[typed.index[2], "venue"] = pd.NA
    store.write(KEY, typed)
    got = store.read(KEY)
    assert got["venue"].dtype == object
    assert got["venue"].tolist() == ["XNAS", "ARCX", None, "XNAS", "ARCX", "BATS"]
    index_only = store.read(KEY, start_ns=int(frame.index[1]), columns=[])
    assert index_only.columns.tolist() == [] and index_only.index.tolist() == list(frame.index[1:])


def test_range_reads_are_half_open(store: TimeSeriesStore) -> None:
    frame = bars(100)
    store.write(KEY, frame)
    ts = frame.index.to_numpy()
    got = store.read(KEY, start_ns=int(ts[10]), end_ns=int(ts[20]))
    pdt.assert_frame_equal(got, frame.iloc[10:20], check_exact=True)
    # Bounds between rows, open bounds and the exact last ts.
    assert list(store.read(KEY, start_ns=int(ts[10]) + 1, end_ns=int(ts[20]) + 1).index) == list(
        ts[11:21]
    )
    assert list(store.read(KEY, end_ns=int(ts[5])).index) == list(ts[:5])
    assert list(store.read(KEY, start_ns=int(ts[-1])).index) == [ts[-1]]
    assert len(store.read(KEY, start_ns=int(ts[-1]) + 1)) == 0
    assert len(store.read(KEY, start_ns=int(ts[30]), end_ns=int(ts[30]))) == 0
    # Bounds beyond int64 (and numpy ints) are accepted as "open".
    pdt.assert_frame_equal(store.read(KEY, start_ns=-(2**70), end_ns=2**70), frame)
    pdt.assert_frame_equal(store.read(KEY, start_ns=-(2**63), end_ns=2**63 - 1), frame)
    got = store.read(KEY, start_ns=np.int64(ts[98]), end_ns=np.int64(ts[99]))
    assert list(got.index) == [ts[98]]


def test_empty_results_keep_columns_and_dtypes(store: TimeSeriesStore) -> None:
    frame = bars(10)
    store.write(KEY, frame)
    empty = store.read(KEY, start_ns=0, end_ns=1)
    assert len(empty) == 0
    assert list(empty.columns) == list(frame.columns)
    assert empty.dtypes.to_dict() == frame.dtypes.to_dict()
    assert empty.index.dtype == np.int64 and empty.index.name == "ts"
    # An empty dataset is a dataset too.
    store.write("bars/EMPTY/1m", frame.iloc[:0])
    assert store.metadata("bars/EMPTY/1m")["rows"] == 0
    assert store.metadata("bars/EMPTY/1m")["first_ts"] is None
    assert store.read("bars/EMPTY/1m").dtypes.to_dict() == frame.dtypes.to_dict()
    store.append("bars/EMPTY/1m", frame.iloc[:4])
    pdt.assert_frame_equal(store.read("bars/EMPTY/1m"), frame.iloc[:4], check_exact=True)


def test_column_selection_keeps_requested_order(store: TimeSeriesStore) -> None:
    frame = bars(50)
    store.write(KEY, frame)
    got = store.read(KEY, columns=["volume", "close"])
    pdt.assert_frame_equal(got, frame[["volume", "close"]], check_exact=True)
    got = store.read(KEY, start_ns=int(frame.index[40]), columns=["venue"])
    pdt.assert_frame_equal(got, frame[["venue"]].iloc[40:], check_exact=True)
    with pytest.raises(ValidationError) as err:
        store.read(KEY, columns=["close", "vwap"])
    assert err.value.code == "unknown_column"


def test_append_after_last_and_overlap_rejected(store: TimeSeriesStore) -> None:
    frame = bars(300)
    store.write(KEY, frame.iloc[:200], metadata={"source": "unit"})
    store.append(KEY, frame.iloc[200:])
    pdt.assert_frame_equal(store.read(KEY), frame, check_exact=True)
    later = bars(10, start=int(frame.index[-1]) + NS_PER_MINUTE, seed=3)
    for clash in (frame.iloc[-5:], frame.iloc[-1:], pd.concat([frame.iloc[-1:], later])):
        with pytest.raises(ConflictError) as err:
            store.append(KEY, clash)
        assert err.value.code == "overlap"
    pdt.assert_frame_equal(store.read(KEY), frame, check_exact=True)
    meta = store.metadata(KEY)
    assert meta["rows"] == 300 and meta["user"] == {"source": "unit"}


def test_append_to_unknown_key_creates_it(store: TimeSeriesStore) -> None:
    frame = bars(20)
    store.append("bars/NEW/1m", frame)
    pdt.assert_frame_equal(store.read("bars/NEW/1m"), frame, check_exact=True)


def test_upsert_overwrites_inserts_and_keeps_untouched_rows(store: TimeSeriesStore) -> None:
    frame = numeric(bars(100))
    store.write(KEY, frame, metadata={"v": 1})
    ts = frame.index.to_numpy()
    # Overwrite rows 10, 50, 90; insert two timestamps between stored rows and two after.
    new_ts = np.array(
        [ts[10], ts[20] + 7, ts[50], ts[90], ts[-1] + NS_PER_MINUTE, ts[-1] + 2 * NS_PER_MINUTE]
    )
    update = pd.DataFrame(
        {
            "open": -np.arange(6, dtype=np.float64),
            "close": np.arange(6, dtype=np.float64) + 1000.0,
            "volume": np.arange(6, dtype=np.int64) * -1,
            "halted": np.ones(6, dtype=bool),
        },
        index=pd.Index(new_ts, name="ts"),
    )
    store.upsert(KEY, update)
    expected = pd.concat([frame.drop(index=[ts[10], ts[50], ts[90]]), update]).sort_index()
    got = store.read(KEY)
    pdt.assert_frame_equal(got, expected, check_exact=True)
    assert len(got) == 103 and got.index.is_unique
    # Rows 11..49 lie between new timestamps and must survive.
    pdt.assert_frame_equal(got.loc[ts[11] : ts[49]].drop(index=[ts[20] + 7]), frame.iloc[11:50])
    meta = store.metadata(KEY)
    assert meta["rows"] == 103
    assert meta["first_ts"] == int(ts[0]) and meta["last_ts"] == int(new_ts[-1])
    assert meta["user"] == {"v": 1}
    # Upserting the same frame again changes nothing.
    store.upsert(KEY, update)
    pdt.assert_frame_equal(store.read(KEY), expected, check_exact=True)
    assert store.metadata(KEY)["rows"] == 103


def test_upsert_before_first_row_and_into_unknown_key(store: TimeSeriesStore) -> None:
    frame = numeric(bars(30))
    store.write(KEY, frame.iloc[10:])
    store.upsert(KEY, frame.iloc[:12])
    pdt.assert_frame_equal(store.read(KEY), frame, check_exact=True)
    assert store.metadata(KEY)["first_ts"] == int(frame.index[0])
    store.upsert("bars/FRESH/1m", frame)
    pdt.assert_frame_equal(store.read("bars/FRESH/1m"), frame, check_exact=True)


def test_append_and_upsert_require_the_stored_schema(store: TimeSeriesStore) -> None:
    frame = numeric(bars(20))
    store.write(KEY, frame.iloc[:10])
    # Same columns in another order are accepted and stored in the dataset's order.
    store.append(KEY, frame.iloc[10:][["halted", "volume", "close", "open"]])
    pdt.assert_frame_equal(store.read(KEY), frame, check_exact=True)
    later = numeric(bars(5, start=int(frame.index[-1]) + NS_PER_MINUTE))
    for bad in (later.drop(columns=["open"]), later.assign(volume=later["volume"] * 1.5)):
        for op in (store.append, store.upsert):
            with pytest.raises(ValidationError) as err:
                op(KEY, bad)
            assert err.value.code == "schema_mismatch"
    pdt.assert_frame_equal(store.read(KEY), frame, check_exact=True)


def test_write_replaces_data_schema_and_metadata(store: TimeSeriesStore) -> None:
    store.write(KEY, bars(50), metadata={"v": 1})
    replacement = numeric(bars(7, start=T0 + NS_PER_DAY, seed=11))[["close", "volume"]]
    store.write(KEY, replacement, metadata={"v": 2})
    pdt.assert_frame_equal(store.read(KEY), replacement, check_exact=True)
    meta = store.metadata(KEY)
    assert meta["rows"] == 7 and meta["columns"] == ["close", "volume"]
    assert meta["user"] == {"v": 2}


def test_metadata_fields(store: TimeSeriesStore) -> None:
    frame = bars(40)
    store.write(KEY, frame, metadata={"source": "yahoo", "adjusted": False, "tz": "UTC"})
    store.append(KEY, bars(5, start=int(frame.index[-1]) + NS_PER_MINUTE))
    meta = store.metadata(KEY)
    assert meta["rows"] == 45
    assert meta["first_ts"] == T0
    assert meta["last_ts"] == T0 + 44 * NS_PER_MINUTE
    assert meta["columns"] == ["open", "close", "volume", "halted", "venue"]
    assert meta["dtypes"] == {
        "open": "float64",
        "close": "float64",
        "volume": "int64",
        "halted": "bool",
        "venue": "string",
    }
    assert meta["user"] == {"source": "yahoo", "adjusted": False, "tz": "UTC"}


def test_list_exists_delete(store: TimeSeriesStore) -> None:
    keys = ["bars/AAPL/1m", "bars/AAPL/1d", "bars/MSFT/1m", "features/momentum/v1", "bars/A%B/1m"]
    for k in keys:
        store.write(k, numeric(bars(3)))
    assert store.list_keys() == sorted(keys)
    assert store.list_keys("bars/AAPL") == ["bars/AAPL/1d", "bars/AAPL/1m"]
    assert store.list_keys("features/") == ["features/momentum/v1"]
    assert store.list_keys("feat") == ["features/momentum/v1"]
    assert store.list_keys("quotes/") == []
    assert store.exists("bars/A%B/1m") and not store.exists("bars/AAPL/5m")
    assert not store.exists("quotes/AAPL")
    store.delete("bars/AAPL/1m")
    assert not store.exists("bars/AAPL/1m")
    assert store.list_keys("bars/AAPL") == ["bars/AAPL/1d"]
    pdt.assert_frame_equal(store.read("bars/AAPL/1d"), numeric(bars(3)), check_exact=True)
    with pytest.raises(NotFoundError) as err:
        store.delete("bars/AAPL/1m")
    assert err.value.code == "unknown_dataset"


def test_unknown_key_errors(store: TimeSeriesStore) -> None:
    for call in (
        lambda: store.read("bars/NOPE/1m"),
        lambda: store.metadata("bars/NOPE/1m"),
        lambda: store.read("nokind/NOPE"),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert err.value.code == "unknown_dataset"
        assert err.value.status == 404
    for bad_key in ("bars", "/AAPL", "bad kind/AAPL", "bars/"):
        with pytest.raises(ValidationError) as verr:
            store.read(bad_key)
        assert verr.value.code == "bad_key"


def test_invalid_frames_rejected(store: TimeSeriesStore) -> None:
    good = numeric(bars(5))
    unsorted = good.iloc[[0, 2, 1, 3, 4]]
    duplicated = good.iloc[[0, 1, 1, 2]]
    unnamed = good.rename_axis(None)
    as_datetime = good.set_axis(pd.to_datetime(good.index, utc=True).rename("ts"))
    float_index = good.set_axis(good.index.astype(np.float64).rename("ts"))
    for bad in (unsorted, duplicated, unnamed, as_datetime, float_index):
        with pytest.raises(ValidationError) as err:
            store.write(KEY, bad)
        assert err.value.code == "bad_frame"
    reserved = good.assign(series=1.0)
    with pytest.raises(ValidationError):
        store.write(KEY, reserved)
    with pytest.raises(ValidationError) as err:
        store.write(KEY, good.assign(when=pd.Timestamp("2024-01-01")))
    assert err.value.code == "bad_dtype"
    with pytest.raises(ValidationError) as err:
        store.write(KEY, good.assign(mixed=[1, "a", 2.0, None, "b"]))
    assert err.value.code == "bad_dtype"
    with pytest.raises(ValidationError) as err:
        store.write(KEY, good, metadata={"when": pd.Timestamp("2024-01-01")})
    assert err.value.code == "bad_metadata"
    assert not store.exists(KEY)
    with pytest.raises(ValidationError):
        store.read("bars/X", start_ns=1.5)  # type: ignore[arg-type]


def test_large_round_trip_and_range(store: TimeSeriesStore) -> None:
    n = 200_000
    frame = numeric(bars(n, step=NS_PER_MINUTE))  # ~139 days of minutes, across a year end
    store.write(KEY, frame)
    pdt.assert_frame_equal(store.read(KEY), frame, check_exact=True)
    lo, hi = int(frame.index[123_456]), int(frame.index[150_000])
    got = store.read(KEY, start_ns=lo, end_ns=hi, columns=["close"])
    pdt.assert_frame_equal(got, frame[["close"]].iloc[123_456:150_000], check_exact=True)
    assert store.metadata(KEY)["rows"] == n
    # A large overlapping upsert (a planner picking a nested loop here would take minutes).
    later = frame.iloc[n // 2 :].copy()
    later["close"] += 1.0
    later = pd.concat([later, numeric(bars(1_000, start=int(frame.index[-1]) + NS_PER_MINUTE))])
    store.upsert(KEY, later)
    expected = pd.concat([frame.iloc[: n // 2], later])
    pdt.assert_frame_equal(store.read(KEY), expected, check_exact=True)
    assert store.metadata(KEY)["rows"] == n + 1_000


def test_health(store: TimeSeriesStore) -> None:
    report = store.health()
    assert report["healthy"] is True
    assert report["backend"] in ("arctic", "postgres")
