"""The data branch migration and repositories on the real PostgreSQL server."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nautilus.data.backfill import Checkpoints
from nautilus.data.catalog import CorporateActions, InstrumentCatalog, Markers
from nautilus.data.sources.synthetic import universe
from nautilus.persistence.db import Database


def test_catalog_actions_checkpoints_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        db.migrate()
        catalog = InstrumentCatalog(db)
        assert catalog.upsert(universe(22), source="synthetic") == 22
        assert [i.id for i in catalog.search("health")] == ["HLT01.XSYN", "HLT02.XSYN"]
        actions = CorporateActions(db)
        actions.add("HLT01.XSYN", pd.DataFrame({"ex_ts": [5, 9], "kind": ["split", "dividend"],
                                                "value": [3.0, 0.25]}))
        actions.add("HLT01.XSYN", pd.DataFrame({"ex_ts": [5], "kind": ["split"],
                                                "value": [2.0]}))
        listed = actions.list("HLT01.XSYN")
        assert listed["kind"].tolist() == ["split", "dividend"]
        np.testing.assert_array_equal(listed["value"], [2.0, 0.25])
        cps = Checkpoints(db)
        cps.save("cp1", source="s", instrument_id="HLT01.XSYN", timeframe="1d", start_ns=0,
                 end_ns=2**62, next_ns=2**61, rows=7, rejected=1, status="running")
        got = cps.get("cp1")
        assert got is not None and got.next_ns == 2**61 and got.rows == 7
        Markers(db).set("sample_data", {"rows": 1})
        assert Markers(db).get("sample_data") == {"rows": 1}
    finally:
        db.dispose()


def test_bar_upserts_on_the_postgres_store(pg_url: str) -> None:
    from nautilus.data.sources.synthetic import daily_bars
    from nautilus.data.storage import BarStore
    from nautilus.persistence.timeseries.postgres import PostgresStore

    store = PostgresStore(pg_url)
    try:
        bars = BarStore(store)
        frame = daily_bars("TEC01.XSYN", int(pd.Timestamp("2024-01-01").value),
                           int(pd.Timestamp("2024-03-01").value))
        assert bars.upsert("TEC01.XSYN", "1d", frame.iloc[:30]) == 30
        assert bars.upsert("TEC01.XSYN", "1d", frame.iloc[20:]) == len(frame) - 20
        back = bars.read("TEC01.XSYN", "1d")
        pd.testing.assert_frame_equal(back, frame, check_freq=False)
        assert bars.series() == [("TEC01.XSYN", "1d")]
    finally:
        store.close()
