"""Tables of the PostgreSQL time-series store: one per dataset kind, partitioned by year.

``ts_<kind> (series text COLLATE "C", ts bigint, <columns>)``, primary key ``(series, ts)``,
declaratively range-partitioned on ``ts`` (int64 ns UTC) with one partition per calendar year
(``ts_<kind>_y2024`` holds ``[2024-01-01, 2025-01-01)``), created when the first row of that
year arrives. With the ``timescaledb`` extension the table is a hypertable on ``ts`` (30-day
chunks) instead, and TimescaleDB creates the chunks. Columns are added on demand and keep one
type per kind. DDL runs in its own short transaction under an advisory lock per table, so data
writes never hold DDL locks and concurrent processes never race on ``CREATE``.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY
from nautilus.persistence.timeseries import pgcopy
from nautilus.persistence.timeseries.frames import Schema
from nautilus.persistence.timeseries.pgpool import ConnectionPool

log = logging.getLogger(__name__)

MAX_KIND_LEN = 48  # ts_<kind>_y2024 must stay within PostgreSQL's 63-byte identifiers
CHUNK_NS = 30 * NS_PER_DAY  # TimescaleDB chunk length
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def year_bounds(year: int) -> tuple[int | None, int | None]:
    """[Jan 1 of ``year``, Jan 1 of the next) in ns UTC; None where int64 cannot hold it.

    >>> year_bounds(1970)
    (0, 31536000000000000)
    """
    lo = (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY
    hi = (date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY
    return (lo if lo >= _INT64_MIN else None, hi if hi <= _INT64_MAX else None)


def years_of(ts: np.ndarray) -> list[int]:
    """Distinct calendar years (UTC) of a sorted int64 ns array."""
    if len(ts) == 0:
        return []
    years = ts.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970
    return [int(y) for y in years[np.r_[True, years[1:] != years[:-1]]]]


def table_name(kind: str) -> str:
    """``bars`` -> ``ts_bars``; ValidationError (``bad_key``) for a kind too long to name."""
    if len(kind) > MAX_KIND_LEN:
        raise ValidationError(f"dataset kind {kind!r} is too long", code="bad_key")
    return f"ts_{kind}"


def enable_timescale(conn: psycopg.Connection[Any]) -> bool:
    """Use TimescaleDB when the server offers it; a missing or refused extension means plain
    partitioned tables (the extension must be preloaded by the server, so creation can fail)."""
    row = conn.execute(
        "SELECT installed_version FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if row is None:
        return False
    if row[0] is not None:
        return True
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        return True
    except psycopg.Error as exc:
        log.warning(
            "timescaledb is available but cannot be created (%s); using partitions",
            str(exc).splitlines()[0],
        )
        return False


class KindTables:
    """Creates and remembers the kind tables, their columns and their partitions."""

    def __init__(self, pool: ConnectionPool, *, timescale: bool) -> None:
        self._pool = pool
        self.timescale = timescale
        self._columns: dict[str, dict[str, str]] = {}  # table -> column -> dtype name
        self._partitions: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def ensure(self, kind: str, schema: Schema, ts: np.ndarray) -> str:
        """Create the kind table, its missing columns and the partitions ``ts`` needs.

        Returns the table name; ValidationError (``schema_mismatch``) when a column already
        exists in the kind table with another type.
        """
        table = table_name(kind)
        years = [] if self.timescale else years_of(ts)
        with self._lock:
            known = self._columns.get(table)
            missing_cols = known is None or any(c not in known for c, _ in schema)
            missing_parts = [y for y in years if (table, y) not in self._partitions]
            if missing_cols or missing_parts:
                with self._pool.connection() as conn, conn.transaction():
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"nautilus.{table}",)
                    )
                    self._create_table(conn, table)
                    known = self._read_columns(conn, table)
                    for c, d in schema:
                        if c not in known:
                            conn.execute(
                                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                                    sql.Identifier(table),
                                    sql.Identifier(c),
                                    sql.SQL(pgcopy.PG_TYPES[d][0]),
                                )
                            )
                            known[c] = d
                    for y in missing_parts:
                        self._create_partition(conn, table, y)
                self._columns[table] = known
                self._partitions.update((table, y) for y in missing_parts)
            assert known is not None
        clash = {c: (known[c], d) for c, d in schema if known.get(c) != d}
        if clash:
            raise ValidationError(
                f"columns of kind {kind!r} already have other types (stored, given): {clash}",
                code="schema_mismatch",
            )
        return table

    def _create_table(self, conn: psycopg.Connection[Any], table: str) -> None:
        # COLLATE "C": the primary key compares series names bytewise, not by locale.
        base = sql.SQL(
            'CREATE TABLE IF NOT EXISTS {} (series text COLLATE "C" NOT NULL, ts bigint NOT NULL, '
            "PRIMARY KEY (series, ts))"
        ).format(sql.Identifier(table))
        if self.timescale:
            conn.execute(base)
            conn.execute(
                "SELECT create_hypertable(%s, 'ts', chunk_time_interval => %s, "
                "if_not_exists => TRUE)",
                (table, CHUNK_NS),
            )
        else:
            conn.execute(base + sql.SQL(" PARTITION BY RANGE (ts)"))

    @staticmethod
    def _create_partition(conn: psycopg.Connection[Any], table: str, year: int) -> None:
        lo, hi = year_bounds(year)
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})"
            ).format(
                sql.Identifier(f"{table}_y{year:04d}"),
                sql.Identifier(table),
                sql.SQL("MINVALUE") if lo is None else sql.Literal(lo),
                sql.SQL("MAXVALUE") if hi is None else sql.Literal(hi),
            )
        )

    @staticmethod
    def _read_columns(conn: psycopg.Connection[Any], table: str) -> dict[str, str]:
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        ).fetchall()
        return {
            name: pgcopy.DTYPE_OF_PG.get(pg, pg)
            for name, pg in rows
            if name not in ("series", "ts")
        }

    def partitions(self, kind: str) -> list[str]:
        """Names of the partitions of the ``kind`` table (its chunks under TimescaleDB)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY 1",
                (table_name(kind),),
            ).fetchall()
        return [r[0] for r in rows]
