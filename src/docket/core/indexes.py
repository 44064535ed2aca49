"""Dropping a foreign key's own index, for migrations, without rebuilding the table.

Django gives every foreign key an index. Where another index of the table starts with the same
column, that one serves the key's lookups and the lone index only costs writes and disk
(tests/unit/test_schema_indexes.py finds them). Declaring `db_index=False` makes
`makemigrations` write an `AlterField`, which SQLite carries out by copying the whole table
into a new one; that also drops the table's triggers (the audit log's immutability is two
triggers). `lone_index_dropped` keeps the `AlterField` for Django's state and only drops the
index in the database, on SQLite and PostgreSQL alike (as issues/migrations/0020 did, by
name, for the issues' own tables).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations


def lone_index_dropped(app_label: str, alter: Any) -> Any:
    """`alter` (an `AlterField` to `db_index=False`, as `makemigrations` wrote it) for
    Django's state; in the database, only the field's own index dropped."""
    model_name, field_name = alter.model_name, alter.name
    return migrations.SeparateDatabaseAndState(
        state_operations=[alter],
        database_operations=[
            migrations.RunPython(
                _drop(app_label, model_name, field_name),
                _create(app_label, model_name, field_name),
            )
        ],
    )


def _generated(column: str, name: str) -> bool:
    """Whether `name` (an index on just `column`) is the one Django made for the foreign key
    (`<table>_<column>_<8 hex digits>`, the table part cut short on long names), or the one
    going back made (`_create`), not an index a model declares."""
    pattern = r"[0-9a-z_]+_([0-9a-f]{8}|fk)"
    return bool(re.fullmatch(pattern, name)) and f"_{column}_" in f"_{name}"


def _lone_indexes(schema_editor: Any, table: str, column: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in found.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
        and _generated(column, name)
    ]


def _drop(app_label: str, model_name: str, field_name: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        table, column = model._meta.db_table, model._meta.get_field(field_name).column
        for name in _lone_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    return run


def _create(app_label: str, model_name: str, field_name: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        table, column = model._meta.db_table, model._meta.get_field(field_name).column
        quote = schema_editor.quote_name
        name = quote(f"{table[:40]}_{column}_fk")
        schema_editor.execute(f"CREATE INDEX {name} ON {quote(table)} ({quote(column)})")

    return run
