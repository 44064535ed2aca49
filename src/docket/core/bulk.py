"""Writing many rows fast, for bulk loads (the importer): ids reserved up front, so nothing
has to be read back, and rows streamed with PostgreSQL's COPY FROM STDIN or SQLite's
`executemany` (one prepared statement). No model logic runs: values must be what the column
holds (`db_value` adapts the few types that need it). Everything runs on the default
connection, so inside the caller's transaction, and commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

UTC = dt.UTC


def postgres() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: Any, count: int) -> list[int]:
    """`count` new primary keys for `model`'s table, taken from its sequence, so ids stay
    unique and the sequence stays ahead whatever else inserts meanwhile. Call inside the
    transaction that inserts the rows. PostgreSQL: nextval (not rolled back: a failed batch
    leaves a gap, as a failed INSERT does). SQLite: the transaction holds the database's
    write lock (IMMEDIATE), so the ids after the table's highest, and after its
    AUTOINCREMENT counter (ids of deleted rows are never reused), are free; inserting them
    moves the counter on."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if postgres():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), count],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        seq = "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)"
        sql = f"SELECT max({seq}, coalesce((SELECT max(id) FROM {quoted}), 0))"  # noqa: S608
        cursor.execute(sql, [table])
        last = int(cursor.fetchone()[0])
    return list(range(last + 1, last + 1 + count))


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`: COPY on PostgreSQL, one
    prepared INSERT run by `executemany` on SQLite. Table and column names come from the
    code, never from input. Returns the number of rows written."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as wrapper:
        if postgres():
            raw = wrapper.cursor  # psycopg 3's own cursor
            # Django's own errors (IntegrityError, ...), as its cursor would raise them
            sql = f"COPY {quote(table)} ({names}) FROM STDIN"
            with connection.wrap_database_errors, raw.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        rows = rows if isinstance(rows, list) else list(rows)
        if rows:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
            wrapper.executemany(sql, rows)
        return len(rows)


def db_datetime(value: dt.datetime | None) -> Any:
    """An aware datetime as the column takes it: itself for PostgreSQL (timestamptz), naive
    UTC text for SQLite, exactly as Django's `adapt_datetimefield_value` writes it."""
    if value is None or postgres():
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


def datetime_adapter() -> Any:
    """`db_datetime` with the vendor check done once (for loops over many rows)."""
    if postgres():
        return lambda value: value

    def sqlite(value: dt.datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return str(value)

    return sqlite
