"""Reading single rows, and writing many without model logic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)
MULTI_ROW = 500  # rows per INSERT with skip_taken (parameters stay under SQLite's 32,766)


def one_or_none(rows: QuerySet[M, M]) -> M | None:
    """The row of a query that matches at most one (a lookup by a unique key), or None.
    Unlike `.first()` it adds no ORDER BY: Django spends ~1 ms compiling one (identity checks
    of the ordering expressions), longer than SQLite takes to answer the whole query."""
    return next(iter(rows[:1]), None)


def insert_rows(
    model: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *, skip_taken: bool = False
) -> None:
    """Plain INSERTs of rows that need no model logic. Values must already be adapted for
    the database (`connection.ops.adapt_*`). `skip_taken`: a row whose unique key is already
    taken is left out (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike), and rows go
    MULTI_ROW to a statement (a statement per row cost PostgreSQL a round trip each)."""
    if not rows:
        return
    quote, meta = connection.ops.quote_name, model._meta
    names = ", ".join(quote(meta.get_field(c).column) for c in columns)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Table and column names come from the models, never from input.
    head = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        if not skip_taken:
            cursor.executemany(head + marks, rows)
            return
        for start in range(0, len(rows), MULTI_ROW):
            chunk = rows[start : start + MULTI_ROW]
            values = [value for row in chunk for value in row]
            sql = head + ", ".join([marks] * len(chunk)) + " ON CONFLICT DO NOTHING"
            cursor.execute(sql, values)


def insert_returning_id(model: Any, columns: Sequence[str], values: Sequence[Any]) -> int:
    """One row by INSERT … RETURNING id (SQLite 3.35+, PostgreSQL), its new id. `columns`
    are column names; values must already be adapted for the database. For the hot writes
    (every event, every new issue): `save()` compiles its INSERT anew on every call."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    # Table and column names come from the code, never from input.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks}) RETURNING id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return int(cursor.fetchone()[0])
