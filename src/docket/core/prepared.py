"""Hot, fixed-shape ORM queries compiled once per process instead of on every call.

On SQLite the ORM spends 0.3-1 ms turning a queryset into SQL and SQLite then answers in
0.05 ms: on the issue page, compiling was half of the timeline's time. A `Prepared` query is
written as an ordinary `.values()` queryset; it is compiled the first time with stand-in
arguments, and later calls put their own arguments where the stand-ins were and run the same
SQL, with the same conversions of the values the ORM applies (dates, booleans, JSON).

Compiling runs the builder twice with different stand-ins (integers, or their text for a
text column) and finds each argument's places where the parameters differ, so a query whose
shape depends on an argument's value (None, a list) cannot be prepared by mistake.
Arguments must be plain values compared with =, <, >. Limits are part of the SQL: a query
with a variable LIMIT is one Prepared per `shape` (any hashable). `columns` and `instance`
load whole rows of related models, as `select_related` does.

Used only where it pays: every read built on it and its measured gain are listed in
docs/dependencies.md (bench/prepared_reads.py measures them again). tests/unit/test_prepared.py
pins the compiled SQL, the arguments' places and the conversions to the installed Django's ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)
# Stand-in arguments while compiling: in range of every integer column (Django turns an
# out-of-range comparison into "no rows"), and unlike the constants of Docket's queries.
_STAND_INS = (30_011, 30_071)


@dataclass(frozen=True)
class Plan:
    """What a Prepared query runs: the ORM's SQL and parameters for the first stand-ins, and
    where each call's arguments replace them."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, argument index)
    names: tuple[str, ...]
    compiler: Any
    converters: dict[int, Any]


class Prepared:
    def __init__(self, build: Callable[..., QuerySet[Any]], arguments: int):
        """`build(*arguments, *shape)` returns a `.values(...)` queryset."""
        self._build = build
        self._arguments = arguments
        self._plans: WeakKeyDictionary[Any, dict[Hashable, Plan]] = WeakKeyDictionary()

    def rows(self, *args: Any, shape: tuple[Hashable, ...] = ()) -> list[dict[str, Any]]:
        self._check(args)
        connection = connections[DEFAULT_DB_ALIAS]
        plan = self.plan(shape, connection)
        params = list(plan.params)
        for position, index in plan.slots:
            params[position] = args[index]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            found = cursor.fetchall()
        if plan.converters:
            found = plan.compiler.apply_converters(found, plan.converters)
        return [dict(zip(plan.names, row, strict=True)) for row in found]

    def plain_rows(self, *args: Any, shape: tuple[Hashable, ...] = ()) -> list[dict[str, Any]]:
        """The same rows through the ORM, compiled anew: what `rows` saves (for the tests
        that pin `rows` to the ORM, and bench/prepared_reads.py)."""
        self._check(args)
        return list(self._build(*args, *shape))

    def plan(self, shape: tuple[Hashable, ...] = (), connection: Any = None) -> Plan:
        """The compiled query for the connection and `shape` (compiled on first use)."""
        if connection is None:
            connection = connections[DEFAULT_DB_ALIAS]
        plans = self._plans.setdefault(connection, {})
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = self._compile(connection, shape)
        return plan

    def _check(self, args: tuple[Any, ...]) -> None:
        if len(args) != self._arguments:
            raise TypeError(f"expected {self._arguments} arguments, got {len(args)}")

    def _compile(self, connection: Any, shape: tuple[Hashable, ...]) -> Plan:
        # Compiled twice with different stand-ins: the parameters that differ are the
        # arguments' places; anything else that differs means the shape depends on a value.
        first, second = (
            [base + n for n in range(self._arguments)] for base in _STAND_INS
        )  # fmt: skip
        queryset = self._build(*first, *shape)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        other_sql, other_params = (
            self._build(*second, *shape).query.get_compiler(connection=connection).as_sql()
        )
        if other_sql != sql or len(other_params) != len(params):
            raise ValueError("the SQL of a prepared query depends on its arguments' values")
        slots = []
        for position, (one, two) in enumerate(zip(params, other_params, strict=True)):
            if one == two:
                continue
            index = next((i for i, n in enumerate(first) if one in (n, str(n))), None)
            if index is None or two not in (second[index], str(second[index])):
                raise ValueError("an argument of a prepared query is not a plain SQL parameter")
            slots.append((position, index))
        if {index for _, index in slots} != set(range(self._arguments)):
            raise ValueError("an argument of a prepared query is not a plain SQL parameter")
        names = (*queryset.query.values_select, *queryset.query.annotation_select)
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return Plan(sql, tuple(params), tuple(slots), names, compiler, converters)


def columns(model: type[Model], path: str = "") -> tuple[str, ...]:
    """`.values()` names of every column of `model`, reached through `path` ("project__")."""
    return tuple(path + field.attname for field in model._meta.concrete_fields)


def instance(model: type[M], row: dict[str, Any], path: str = "") -> M | None:
    """The `model` a row of `.values(*columns(model, path))` holds, as the ORM would load it
    (None: an outer join found nothing)."""
    names = [field.attname for field in model._meta.concrete_fields]
    values = [row[path + name] for name in names]
    if values[0] is None:
        return None
    return model.from_db(DEFAULT_DB_ALIAS, names, values)
