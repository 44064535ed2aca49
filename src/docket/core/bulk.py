"""Writing many rows fast, for bulk loads (the importer): ids reserved up front, so nothing
has to be read back, and rows streamed with PostgreSQL's COPY FROM STDIN or written by
SQLite INSERTs of hundreds of rows each. No model logic runs: values must be what the column
holds (`db_value` adapts the few types that need it). Everything runs on the default
connection, so inside the caller's transaction, and commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
import enum
import gc
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.db.models.base import ModelState

UTC = dt.UTC
M = TypeVar("M", bound=Model)


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
    """Insert `rows` (tuples in `columns` order) into `table`: COPY on PostgreSQL,
    INSERTs of up to ROWS_PER_STATEMENT rows on SQLite. Table and column names come from the
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
        one = "(" + ", ".join(["?"] * len(columns)) + ")"
        per = _rows_per_statement(len(columns))
        # sqlite3's own execute, with its own placeholders: Django's would rewrite each
        # statement's hundreds of `%s` with a regular expression first.
        with connection.wrap_database_errors:
            for start in range(0, len(rows), per):
                part = rows[start : start + per]
                marks = ", ".join([one] * len(part))
                sql = f"INSERT INTO {quote(table)} ({names}) VALUES {marks}"  # noqa: S608
                sqlite3.Cursor.execute(wrapper.cursor, sql, [v for row in part for v in row])
        return len(rows)


# Rows per INSERT on SQLite. Hundreds of rows to a statement, not one (`executemany`): SQLite
# copies each page a statement first touches to a statement journal when the table has a
# trigger (the comments' search trigger), once per statement, and every statement has its
# fixed cost: the issues', events' and comments' inserts take 15–60% less (docs/benchmark.md,
# "Fourth pass").
ROWS_PER_STATEMENT = 300


def _rows_per_statement(width: int) -> int:
    """As many rows as fit SQLite's limit on a statement's parameters, at most
    ROWS_PER_STATEMENT."""
    limit = 999  # SQLite's default before 3.32, and Django's assumption
    raw = connection.connection
    if raw is not None and hasattr(raw, "getlimit"):  # Python 3.11+
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(ROWS_PER_STATEMENT, limit // max(1, width)))


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
        if value.tzinfo is None:
            return str(value)
        if value.tzinfo is not UTC:  # most are UTC already: no conversion to make
            value = value.astimezone(UTC)
        return value.isoformat(" ")[:-6]  # str() of the naive time: without the "+00:00"

    return sqlite


def date_adapter() -> Any:
    """A date as the column takes it: itself for PostgreSQL, ISO text for SQLite (as
    Django's `adapt_datefield_value` writes it)."""
    if postgres():
        return lambda value: value
    return lambda value: None if value is None else value.isoformat()


Adapter = Callable[[Any], Any] | None
Columns = list[tuple[str, str, Adapter]]


def column_adapters(model: Any) -> Columns:
    """`model`'s columns (attribute, column, adapter), each with what turns a model value
    into the column's (None: as it is): datetimes and dates as Django writes them, JSON as
    text, choices as plain values."""
    at, ops = datetime_adapter(), connection.ops
    found: Columns = []
    for f in model._meta.concrete_fields:
        kind = f.get_internal_type()
        adapt: Adapter = None
        if kind == "DateTimeField":
            adapt = at
        elif kind == "DateField" and not postgres():
            adapt = ops.adapt_datefield_value
        elif kind == "JSONField":
            adapt = _json
        elif f.choices:
            adapt = _plain
        found.append((f.attname, f.column, adapt))
    return found


def instance_maker(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """A function that builds unsaved `model` instances from field values (related objects
    by field name: `status=state`), as `model(**values)` would, for a bulk load.

    `Model.__init__` resolves every keyword against every field on every call, and was the
    largest single cost of checking an import's records (docs/benchmark.md, "Sixth pass");
    this does that resolution once per model. Nothing else differs: fields left out take their
    defaults, a related object sets its id column and is cached as `model(**values)` caches
    it, and no model signals are sent (Docket registers none on these models)."""
    fields = model._meta.concrete_fields
    dynamic = [f for f in fields if f.has_default() and callable(f.default)]
    fixed = {f.attname: f.get_default() for f in fields if f not in dynamic}
    related: list[Any] = [f for f in fields if f.is_relation]  # ForeignKey, OneToOneField
    relations = {f.name: (f, f.attname, f.target_field.attname) for f in related}
    columns = {f.attname for f in fields}
    new = model.__new__

    def make(values: dict[str, Any]) -> M:
        instance = new(model)
        instance._state = ModelState()
        attrs = instance.__dict__
        attrs.update(fixed)
        for field in dynamic:
            attrs[field.attname] = field.get_default()
        for name, value in values.items():
            relation = relations.get(name)
            if relation is None:
                if name not in columns:  # as the model refuses it
                    raise TypeError(f"{model.__name__}() got an unexpected keyword {name!r}")
                attrs[name] = value
                continue
            field, attname, target = relation
            attrs[attname] = None if value is None else getattr(value, target)
            field.set_cached_value(instance, value)
        return instance

    return make


def values_of(instance: Any, columns: Columns) -> tuple[Any, ...]:
    """A model instance's values for `columns` (from `column_adapters`), adapted."""
    values = instance.__dict__
    return tuple(
        values[a] if adapt is None or values[a] is None else adapt(values[a])
        for a, _, adapt in columns
    )


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _json(value: Any) -> Any:
    """A JSON column's value; None stays SQL NULL (as the ORM stores it)."""
    return None if value is None else json.dumps(value)


@contextmanager
def unprepared() -> Iterator[None]:
    """PostgreSQL with prepared statements (DOCKET_DB_PREPARED_STATEMENTS, on by default):
    nothing prepared, and every statement planned for its values, while a bulk load runs. A
    load repeats a few statements over tables it is filling, so a plan kept for them goes
    stale within a batch: the import ran a quarter slower prepared, and on generic plans its
    known-records lookup scanned the whole source every batch (docs/benchmark.md, "Prepared
    statements on PostgreSQL"). With server-side binding `plan_cache_mode` applies to every
    statement, prepared or not, so a mode other than `auto` is set aside too. Without
    prepared statements (or on SQLite) nothing changes."""
    if not postgres():
        yield
        return
    connection.ensure_connection()
    raw: Any = connection.connection
    threshold = raw.prepare_threshold
    if threshold is None:
        yield
        return
    from psycopg.pq import TransactionStatus

    mode = settings.DOCKET_DB_PLAN_CACHE_MODE  # what the session was started with
    if mode != "auto":
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = auto")
    raw.prepare_threshold = None  # psycopg: prepared statements off on this connection
    try:
        yield
    finally:
        raw.prepare_threshold = threshold
        # In a transaction a failed statement aborted, the rollback that must follow takes
        # the SET back with it (and no statement could run before it).
        if mode != "auto" and raw.info.transaction_status != TransactionStatus.INERROR:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('plan_cache_mode', %s, false)", [mode])


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a bulk load builds and writes a batch.

    A batch makes hundreds of thousands of short-lived objects (records, model instances,
    rows, JSON), none of them in a cycle, and each of the collector's passes over the older
    generations walks every live object again: ~15% of an import's time (docs/benchmark.md).
    Whatever cycles a batch does make are collected once the collector is back on. Process
    wide, so it is restored only by whoever turned it off: overlapping batches on two threads
    leave it on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
