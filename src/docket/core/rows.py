"""Reading single rows, and writing many without model logic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(rows: QuerySet[M, M]) -> M | None:
    """The row of a query that matches at most one (a lookup by a unique key), or None.
    Unlike `.first()` it adds no ORDER BY: Django spends ~1 ms compiling one (identity checks
    of the ordering expressions), longer than SQLite takes to answer the whole query."""
    return next(iter(rows[:1]), None)


def insert_rows(model: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Plain INSERTs of rows that need no model logic. Values must already be adapted for
    the database (`connection.ops.adapt_*`)."""
    if not rows:
        return
    quote, meta = connection.ops.quote_name, model._meta
    names = ", ".join(quote(meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        # Table and column names come from the models, never from input.
        sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(sql, rows)
