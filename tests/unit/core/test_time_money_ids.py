from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.core.ids import new_id
from nautilus.core.money import check_increment, check_precision, quantize, to_decimal
from nautilus.core.time import NS_PER_DAY, asof_index, asof_values, from_ns, ns_to_iso, to_ns


def test_to_ns_accepts_the_edge_types() -> None:
    expected = 1_700_000_000_000_000_000
    assert to_ns(expected) == expected
    assert to_ns(np.int64(expected)) == expected
    assert to_ns(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)) == expected
    assert to_ns("2023-11-14T22:13:20Z") == expected
    assert to_ns("2023-11-14 22:13:20") == expected  # naive taken as UTC
    assert to_ns(pd.Timestamp("2023-11-14 23:13:20+01:00")) == expected
    assert to_ns(date(1970, 1, 2)) == NS_PER_DAY
    with pytest.raises(TypeError):
        to_ns(True)


def test_round_trips_keep_nanoseconds() -> None:
    ns = 1_700_000_000_123_456_789
    assert ns_to_iso(ns) == "2023-11-14T22:13:20.123456789Z"
    assert to_ns(ns_to_iso(ns)) == ns
    assert from_ns(ns) == datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)


def test_asof_join_never_looks_ahead() -> None:
    known = np.array([10, 20, 30], dtype=np.int64)
    values = np.array([1.0, 2.0, 3.0])
    at = np.array([5, 10, 19, 20, 29, 31], dtype=np.int64)
    assert asof_index(known, at).tolist() == [-1, 0, 0, 1, 1, 2]
    out = asof_values(known, values, at)
    assert np.isnan(out[0])
    assert out[1:].tolist() == [1.0, 1.0, 2.0, 2.0, 3.0]


def test_decimal_parsing_and_precision() -> None:
    assert to_decimal(0.1) == Decimal("0.1")  # shortest repr, not the binary expansion
    assert to_decimal("100.25") == Decimal("100.25")
    for bad in ("nan", "inf", "abc", float("nan")):
        with pytest.raises(ValidationError):
            to_decimal(bad)
    assert quantize(Decimal("1.005"), 2) == Decimal("1.00")  # half-even
    assert quantize(Decimal("1.015"), 2) == Decimal("1.02")
    assert check_precision(Decimal("1.20"), 1) == Decimal("1.20")
    with pytest.raises(ValidationError) as exc:
        check_precision(Decimal("1.234"), 2)
    assert exc.value.code == "invalid_precision"
    assert check_increment(Decimal("10.05"), Decimal("0.05")) == Decimal("10.05")
    with pytest.raises(ValidationError):
        check_increment(Decimal("10.03"), Decimal("0.05"))


def test_ids_are_unique_sortable_and_prefixed() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert all(len(i) == 26 for i in ids)
    first, later = new_id(), None
    import time

    time.sleep(0.002)
    later = new_id()
    assert first < later
    assert new_id("job_").startswith("job_")
