"""No Docket table keeps an index that another index of it already provides.

Django gives every foreign key its own index. Where a composite index (or a unique
constraint) starts with the same column and covers every row, the lone index only costs: each
insert, update and delete maintains it, and it takes disk. Such foreign keys are declared with
`db_index=False` and a comment naming the index that serves them.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models


def _covering(model: type[models.Model]) -> dict[str, list[str]]:
    """The first column of each index on every row of `model`'s table, with its name."""
    meta, found = model._meta, dict[str, list[str]]()
    for index in meta.indexes:
        if index.condition is None and index.fields and not index.expressions:
            found.setdefault(index.fields[0].lstrip("-"), []).append(index.name)
    for constraint in meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.condition is None
            and constraint.fields
        ):
            found.setdefault(constraint.fields[0], []).append(constraint.name)
    for together in meta.unique_together:
        found.setdefault(together[0], []).append(f"unique_together {together}")
    return found


def test_no_foreign_key_has_an_index_that_another_index_already_provides():
    redundant = []
    for model in apps.get_models():
        if not model.__module__.startswith("docket.") or not model._meta.managed:
            continue
        covering = _covering(model)
        for field in model._meta.concrete_fields:
            lone = field.is_relation and field.db_index and not field.unique
            if lone and field.name in covering:
                by = ", ".join(covering[field.name])
                redundant.append(f"{model._meta.label}.{field.name} (by {by})")
    assert redundant == [], "declare these with db_index=False: " + "; ".join(redundant)


@pytest.mark.django_db
def test_the_migrations_left_no_lone_index_on_a_foreign_key_declared_without_one():
    """The database as the migrations built it (core/indexes.lone_index_dropped): no index
    on just the column of a key declared `db_index=False`, but those the model declares."""
    left = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model.__module__.startswith("docket.") or not model._meta.managed:
                continue
            declared = {index.name for index in model._meta.indexes}
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for field in model._meta.concrete_fields:
                if not field.is_relation or field.db_index or field.unique:
                    continue
                left += [
                    f"{model._meta.db_table}.{name}"
                    for name, info in found.items()
                    if info["index"]
                    and not info["unique"]
                    and info["columns"] == [field.column]
                    and name not in declared
                ]
    assert left == []
