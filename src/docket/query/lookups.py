"""One condition → the ORM lookups it stands for, and the same test in Python.

Both the compiler and the evaluator go through `lookups`, so a condition cannot mean one thing
in SQL and another in memory. Text matching is case-insensitive in both (for non-ASCII text
SQLite's LIKE folds ASCII letters only; PostgreSQL and Python fold all).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from docket.query.checked import ME
from docket.query.context import Context
from docket.query.dates import DateSpec, day_bounds
from docket.query.fields import Field, Kind

Lookups = list[tuple[str, Any]]  # (lookup, value) pairs that must all hold

COMPARISONS = {":>": "gt", ":>=": "gte", ":<": "lt", ":<=": "lte"}
EQUALITY = {Kind.TEXT: "icontains", Kind.NAME: "iexact"}  # other kinds: exact
PREDICATES: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "iexact": lambda value, wanted: value.lower() == wanted.lower(),
    "icontains": lambda value, wanted: wanted.lower() in value.lower(),
    "in": lambda value, wanted: value in wanted,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def lookups(field: Field, op: str, operand: Any, ctx: Context) -> Lookups | None:
    """None means "matches nothing" (`@me` with nobody signed in). Not for EMPTY operands."""
    if operand is ME:
        return None if ctx.me is None else [("exact", ctx.me)]
    if isinstance(operand, DateSpec):
        return _days(field, op, operand.resolve(ctx.today), ctx)
    if op == ":":
        return [(EQUALITY.get(field.kind, "exact"), operand)]
    if field.kind == Kind.ENUM:
        return [("in", _enum_range(field, op, operand))]
    return [(COMPARISONS[op], operand)]


def _enum_range(field: Field, op: str, operand: Any) -> tuple[Any, ...]:
    """The stored values on the asked side of `operand`, in the order `values` lists them
    (stored values need not sort that way)."""
    stored = [value for _, value in field.values]
    at = stored.index(operand)
    ranges = {":>": (at + 1, None), ":>=": (at, None), ":<": (0, at), ":<=": (0, at + 1)}
    start, stop = ranges[op]
    return tuple(stored[start:stop])


def _days(field: Field, op: str, day: Any, ctx: Context) -> Lookups:
    if field.kind == Kind.DATE:
        return [(COMPARISONS.get(op, "exact"), day)]
    start, end = day_bounds(day, ctx.tz)  # timestamps: whole days in the reader's zone
    return {
        ":": [("gte", start), ("lt", end)],
        ":>": [("gte", end)],
        ":>=": [("gte", start)],
        ":<": [("lt", start)],
        ":<=": [("lt", end)],
    }[op]


def holds(pairs: Lookups, value: Any) -> bool:
    """The Python side of `lookups`; a missing value (NULL) matches no lookup, as in SQL."""
    return value is not None and all(PREDICATES[lookup](value, want) for lookup, want in pairs)
