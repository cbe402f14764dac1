"""The server-side time-series store: PostgreSQL tables partitioned by time.

Layout (psycopg 3, no ORM):

* one table per dataset kind, ``ts_<kind> (series text, ts bigint, <columns>)`` with primary key
  ``(series, ts)``; ``series`` is the key without its kind (``bars/AAPL/1m`` -> ``AAPL/1m``),
  ``ts`` int64 ns UTC;
* the table is declaratively range-partitioned on ``ts``, one partition per calendar year
  (``ts_<kind>_y2024``), created when the first row of that year arrives;
* when the ``timescaledb`` extension can be created, the table is a hypertable on ``ts``
  (30-day chunks) instead and TimescaleDB manages the chunks (see :mod:`.pglayout`);
* columns are added on demand (``ADD COLUMN IF NOT EXISTS``) as double precision, bigint,
  boolean or text; every dataset of a kind shares them, so a name keeps one type per kind;
* the catalog ``ts_datasets`` keeps each key's kind, schema, user metadata, row count and
  first/last ts.

Writes stream a binary COPY (encoded with numpy, see :mod:`.pgcopy`) and run in one transaction
with the catalog update: a failing write leaves the previous rows and catalog untouched. Writers
of one key are serialised by a transaction-scoped advisory lock. Reads COPY the rows out in
binary and decode them straight into numpy arrays.

>>> store = PostgresStore("postgresql://postgres@127.0.0.1:5432/test")  # doctest: +SKIP
>>> store.upsert("bars/AAPL/1m", frame)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from nautilus.core.errors import ConflictError, NotFoundError, UnavailableError, ValidationError
from nautilus.persistence.timeseries import pgcopy
from nautilus.persistence.timeseries.base import TimeSeriesStore, split_key
from nautilus.persistence.timeseries.frames import (
    NUMPY_DTYPES,
    Schema,
    check_columns,
    check_range,
    conform,
    empty_frame,
    frame_schema,
    ts_index,
    user_metadata,
)
from nautilus.persistence.timeseries.pglayout import KindTables, enable_timescale, table_name
from nautilus.persistence.timeseries.pgpool import ConnectionPool, postgres_url

log = logging.getLogger(__name__)

CATALOG = "ts_datasets"


def _schema_of(columns: Any) -> Schema:
    """The catalog's ``columns`` JSON (``[[name, dtype name], ...]``) as a schema."""
    return [(str(c), str(d)) for c, d in columns]


class PostgresStore(TimeSeriesStore):
    """PostgreSQL backend of :class:`TimeSeriesStore`; see the module docstring."""

    def __init__(self, url: str) -> None:
        self.url = postgres_url(url)
        self._pool = ConnectionPool(self.url)
        self._tables = KindTables(self._pool, timescale=self._bootstrap())

    # -- schema -------------------------------------------------------------------------------

    def _bootstrap(self) -> bool:
        """Create the catalog; True when kind tables are to be TimescaleDB hypertables."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('nautilus.ts.catalog'))")
            conn.execute(
                f"""CREATE TABLE IF NOT EXISTS {CATALOG} (
                    key text PRIMARY KEY,
                    kind text NOT NULL,
                    columns jsonb NOT NULL,
                    user_meta jsonb NOT NULL DEFAULT '{{}}'::jsonb,
                    rows bigint NOT NULL DEFAULT 0,
                    first_ts bigint,
                    last_ts bigint,
                    updated_at timestamptz NOT NULL DEFAULT now())"""
            )
            return enable_timescale(conn)

    @property
    def timescale(self) -> bool:
        """True when kind tables are TimescaleDB hypertables (else yearly partitions)."""
        return self._tables.timescale

    def partitions(self, kind: str) -> list[str]:
        """Names of the partitions of the ``kind`` table (its chunks under TimescaleDB)."""
        return self._tables.partitions(kind)

    # -- writes -------------------------------------------------------------------------------

    def _conform_early(self, key: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, Schema]:
        """Check an append/upsert frame against the stored schema before any DDL runs, so a
        mismatched frame never adds columns; the check is repeated under the key's lock."""
        given = frame_schema(frame)
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT columns FROM {CATALOG} WHERE key = %s", (key,)).fetchone()
        if row is None:
            return frame, given
        stored = _schema_of(row[0])
        return conform(frame, stored, key), stored

    @contextmanager
    def _writing(
        self, key: str
    ) -> Iterator[tuple[psycopg.Connection[Any], tuple[Any, ...] | None]]:
        """A transaction holding the key's advisory lock, with its catalog row (or None).

        Database errors raised by bad values are turned into ValidationError; the
        transaction is rolled back either way.
        """
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
                row = conn.execute(
                    f"SELECT columns, rows, first_ts, last_ts FROM {CATALOG} WHERE key = %s",
                    (key,),
                ).fetchone()
                yield conn, row
        except psycopg.DataError as exc:
            raise ValidationError(
                f"{key!r} not written: {str(exc).splitlines()[0]}", code="bad_value"
            ) from exc
        except psycopg.errors.DatatypeMismatch as exc:
            raise ValidationError(
                f"{key!r} not written: {str(exc).splitlines()[0]}", code="schema_mismatch"
            ) from exc

    @staticmethod
    def _copy_in(
        conn: psycopg.Connection[Any], table: str, series: str, frame: pd.DataFrame, schema: Schema
    ) -> None:
        """Stream ``frame`` into ``table`` (the kind table or a temp twin) by binary COPY."""
        if frame.empty:
            return
        cols = sql.SQL(", ").join(
            sql.Identifier(c) for c in ["series", "ts", *(c for c, _ in schema)]
        )
        stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(table), cols
        )
        with conn.cursor() as cur, cur.copy(stmt) as copy:
            if pgcopy.is_fixed_width(schema):
                for block in pgcopy.encode_rows(series, frame, schema):
                    copy.write(block)
            else:
                copy.set_types(["text", "bigint", *(pgcopy.PG_TYPES[d][0] for _, d in schema)])
                for row in pgcopy.python_rows(series, frame, schema):
                    copy.write_row(row)

    @staticmethod
    def _save_catalog(
        conn: psycopg.Connection[Any],
        key: str,
        kind: str,
        schema: Schema,
        rows: int,
        first: int | None,
        last: int | None,
        user: dict[str, Any] | None,
    ) -> None:
        """Insert or update the catalog row; ``user=None`` keeps the stored user metadata."""
        conn.execute(
            f"""INSERT INTO {CATALOG} AS d (key, kind, columns, user_meta, rows, first_ts, last_ts)
                VALUES (%s, %s, %s::jsonb, COALESCE(%s::jsonb, '{{}}'::jsonb), %s, %s, %s)
                ON CONFLICT (key) DO UPDATE SET
                  kind = EXCLUDED.kind, columns = EXCLUDED.columns,
                  user_meta = COALESCE(%s::jsonb, d.user_meta),
                  rows = EXCLUDED.rows, first_ts = EXCLUDED.first_ts,
                  last_ts = EXCLUDED.last_ts, updated_at = now()""",
            (
                key,
                kind,
                json.dumps([list(p) for p in schema]),
                None if user is None else json.dumps(user),
                rows,
                first,
                last,
                None if user is None else json.dumps(user),
            ),
        )

    @staticmethod
    def _bounds(frame: pd.DataFrame) -> tuple[int | None, int | None]:
        if frame.empty:
            return None, None
        return int(frame.index[0]), int(frame.index[-1])

    def write(
        self, key: str, frame: pd.DataFrame, *, metadata: dict[str, Any] | None = None
    ) -> None:
        """Replace the dataset: delete its rows, COPY the new ones, update the catalog — all in
        one transaction. ``metadata`` (JSON-serialisable) replaces the user metadata."""
        kind, series = split_key(key)
        schema = frame_schema(frame)
        user = user_metadata(metadata)
        table = self._tables.ensure(kind, schema, frame.index.to_numpy())
        with self._writing(key) as (conn, _):
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE series = %s").format(sql.Identifier(table)), (series,)
            )
            self._copy_in(conn, table, series, frame, schema)
            first, last = self._bounds(frame)
            self._save_catalog(conn, key, kind, schema, len(frame), first, last, user)

    def append(self, key: str, frame: pd.DataFrame) -> None:
        """Add rows strictly after the last stored ts; ConflictError (``overlap``) otherwise.

        Appending to an unknown key creates the dataset.
        """
        kind, series = split_key(key)
        frame, given = self._conform_early(key, frame)
        table = self._tables.ensure(kind, given, frame.index.to_numpy())
        with self._writing(key) as (conn, row):
            if row is None:
                schema = given
                rows, first, last = 0, None, None
                user: dict[str, Any] | None = {}
            else:
                schema = _schema_of(row[0])
                frame = conform(frame, schema, key)
                rows, first, last = int(row[1]), row[2], row[3]
                user = None
            if frame.empty:
                if row is None:
                    self._save_catalog(conn, key, kind, schema, 0, None, None, user)
                return
            new_first, new_last = self._bounds(frame)
            assert new_first is not None
            if last is not None and new_first <= last:
                raise ConflictError(
                    f"append to {key!r} starts at ts={new_first}, not after the last stored "
                    f"ts={last}; use upsert to overwrite",
                    code="overlap",
                )
            self._copy_in(conn, table, series, frame, schema)
            self._save_catalog(
                conn,
                key,
                kind,
                schema,
                rows + len(frame),
                new_first if first is None else first,
                new_last,
                user,
            )

    def upsert(self, key: str, frame: pd.DataFrame) -> None:
        """Insert new timestamps and overwrite stored ones (``ON CONFLICT (series, ts) DO
        UPDATE``); stored rows at other timestamps stay. Creates the dataset if unknown."""
        kind, series = split_key(key)
        frame, given = self._conform_early(key, frame)
        table = self._tables.ensure(kind, given, frame.index.to_numpy())
        user: dict[str, Any] | None
        with self._writing(key) as (conn, row):
            if row is None:
                schema, rows, first, last, user = given, 0, None, None, {}
            else:
                schema = _schema_of(row[0])
                frame = conform(frame, schema, key)
                rows, first, last, user = int(row[1]), row[2], row[3], None
            if frame.empty:
                if row is None:
                    self._save_catalog(conn, key, kind, schema, 0, None, None, user)
                return
            tmp = "_ts_upsert"
            conn.execute(
                sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(
                    sql.Identifier(tmp), sql.Identifier(table)
                )
            )
            self._copy_in(conn, tmp, series, frame, schema)
            new_first, new_last = self._bounds(frame)
            assert new_first is not None and new_last is not None
            overlap = self._count_overlap(
                conn, table, tmp, series, first, last, new_first, new_last
            )
            names = [c for c, _ in schema]
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in ["series", "ts", *names])
            action = (
                sql.SQL("DO UPDATE SET ")
                + sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in names
                )
                if names
                else sql.SQL("DO NOTHING")
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {t} ({c}) SELECT {c} FROM {s} ON CONFLICT (series, ts) "
                ).format(t=sql.Identifier(table), c=cols, s=sql.Identifier(tmp))
                + action
            )
            self._save_catalog(
                conn,
                key,
                kind,
                schema,
                rows + len(frame) - overlap,
                new_first if first is None else min(first, new_first),
                new_last if last is None else max(last, new_last),
                user,
            )

    @staticmethod
    def _count_overlap(
        conn: psycopg.Connection[Any],
        table: str,
        tmp: str,
        series: str,
        first: int | None,
        last: int | None,
        new_first: int,
        new_last: int,
    ) -> int:
        """How many staged rows hit stored timestamps; only the window where the stored and
        the new ts ranges overlap is searched (none when they are disjoint)."""
        if first is None or last is None or new_first > last or new_last < first:
            return 0
        lo, hi = max(first, new_first), min(last, new_last)
        # Freshly written partitions have no statistics yet; the planner then guesses a couple
        # of rows and picks a nested loop that is quadratic in the overlap. Hash/merge only.
        conn.execute("SET LOCAL enable_nestloop = off")
        row = conn.execute(
            sql.SQL(
                "SELECT count(*) FROM {} i JOIN {} k ON k.ts = i.ts "
                "WHERE k.series = %s AND k.ts BETWEEN %s AND %s AND i.ts BETWEEN %s AND %s"
            ).format(sql.Identifier(tmp), sql.Identifier(table)),
            (series, lo, hi, lo, hi),
        ).fetchone()
        assert row is not None
        return int(row[0])

    # -- reads --------------------------------------------------------------------------------

    def _catalog_row(self, conn: psycopg.Connection[Any], key: str) -> tuple[Any, ...]:
        row = conn.execute(
            f"SELECT kind, columns, user_meta, rows, first_ts, last_ts FROM {CATALOG} "
            "WHERE key = %s",
            (key,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no time-series dataset {key!r}", code="unknown_dataset")
        return tuple(row)

    def read(
        self,
        key: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """Rows with ``start_ns <= ts < end_ns`` (ns UTC; a None bound is open), in ts order.

        Numeric and bool columns come back through a binary COPY decoded by numpy; string
        columns (object dtype) through a row-wise query.
        """
        kind, series = split_key(key)
        start_ns, end_ns = check_range(start_ns, end_ns)
        with self._pool.connection() as conn, conn.transaction():
            row = self._catalog_row(conn, key)
            stored = _schema_of(row[1])
            schema = check_columns(key, stored, columns)
            if start_ns is not None and end_ns is not None and end_ns <= start_ns:
                return empty_frame(schema)
            where = [sql.SQL("series = {}").format(sql.Literal(series))]
            if start_ns is not None:
                where.append(sql.SQL("ts >= {}").format(sql.Literal(int(start_ns))))
            if end_ns is not None:
                where.append(sql.SQL("ts < {}").format(sql.Literal(int(end_ns))))
            select = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY ts").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in ["ts", *(c for c, _ in schema)]),
                sql.Identifier(table_name(kind)),
                sql.SQL(" AND ").join(where),
            )
            decoded = None
            if pgcopy.is_fixed_width(schema):
                decoded = self._copy_out(conn, select, schema)
            if decoded is None:
                decoded = self._fetch_rows(conn, select, schema)
        ts, data = decoded
        if len(ts) == 0:
            return empty_frame(schema)
        return pd.DataFrame(data, index=ts_index(ts), copy=False)

    @staticmethod
    def _copy_out(
        conn: psycopg.Connection[Any], select: sql.Composed, schema: Schema
    ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        buffer = bytearray()
        stmt = sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(select)
        with conn.cursor() as cur, cur.copy(stmt) as copy:
            for block in copy:
                buffer += block
        return pgcopy.decode_rows(bytes(buffer), schema)

    @staticmethod
    def _fetch_rows(
        conn: psycopg.Connection[Any], select: sql.Composed, schema: Schema
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        with conn.cursor() as cur:
            cur.execute(select)
            rows = cur.fetchall()
        cols = list(zip(*rows, strict=True)) if rows else [()] * (1 + len(schema))
        ts = np.asarray(cols[0], dtype=np.int64)
        data: dict[str, np.ndarray] = {}
        for j, (c, d) in enumerate(schema, start=1):
            values = np.empty(len(rows), dtype=object)
            values[:] = cols[j]
            data[c] = values if d == "string" else values.astype(NUMPY_DTYPES[d])
        return ts, data

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every dataset key starting with ``prefix``, sorted by code point."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f'SELECT key FROM {CATALOG} WHERE starts_with(key, %s) ORDER BY key COLLATE "C"',
                (prefix,),
            ).fetchall()
        return [r[0] for r in rows]

    def exists(self, key: str) -> bool:
        split_key(key)
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT 1 FROM {CATALOG} WHERE key = %s", (key,)).fetchone()
        return row is not None

    def delete(self, key: str) -> None:
        """Remove the dataset's rows and catalog entry; NotFoundError if unknown."""
        kind, series = split_key(key)
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            gone = conn.execute(
                f"DELETE FROM {CATALOG} WHERE key = %s RETURNING kind", (key,)
            ).fetchone()
            if gone is None:
                raise NotFoundError(f"no time-series dataset {key!r}", code="unknown_dataset")
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE series = %s").format(
                    sql.Identifier(table_name(kind))
                ),
                (series,),
            )

    def metadata(self, key: str) -> dict[str, Any]:
        """``rows``, ``first_ts``/``last_ts`` (int ns UTC, None when empty), ``columns``,
        ``dtypes`` (column -> dtype name) and ``user`` (the metadata given to ``write``)."""
        split_key(key)
        with self._pool.connection() as conn:
            row = self._catalog_row(conn, key)
        schema = _schema_of(row[1])
        return {
            "key": key,
            "rows": int(row[3]),
            "first_ts": None if row[4] is None else int(row[4]),
            "last_ts": None if row[5] is None else int(row[5]),
            "columns": [c for c, _ in schema],
            "dtypes": dict(schema),
            "user": dict(row[2] or {}),
        }

    def health(self) -> dict[str, Any]:
        try:
            with self._pool.connection() as conn:
                conn.execute("SELECT 1")
                version = conn.info.server_version
        except (psycopg.Error, UnavailableError) as exc:
            return {"healthy": False, "backend": "postgres", "error": str(exc).splitlines()[0]}
        return {
            "healthy": True,
            "backend": "postgres",
            "server_version": version,
            "timescaledb": self.timescale,
        }

    def close(self) -> None:
        """Close pooled connections; later calls raise UnavailableError."""
        self._pool.close()

    def __repr__(self) -> str:
        return f"PostgresStore(timescaledb={self.timescale})"
