"""Checked query → a yes/no for one object in memory (for rules that test a single issue).

Reads values through each Field's `get`, so related rows should be loaded (select_related /
prefetch_related) when many objects are tested.
"""

from __future__ import annotations

from typing import Any

from docket.query.checked import EMPTY, AllOf, Checked, CheckedQuery, Cond, Negate, Search
from docket.query.context import Context
from docket.query.fields import Field
from docket.query.lookups import holds, lookups


def evaluate(query: CheckedQuery, obj: Any, ctx: Context) -> bool:
    return query.where is None or matches(query.where, obj, ctx)


def matches(node: Checked, obj: Any, ctx: Context) -> bool:
    if isinstance(node, Cond):
        return any(_operand(node.field, node.op, o, obj, ctx) for o in node.operands)
    if isinstance(node, Search):
        return node.engine.matches(obj, [node.term])
    if isinstance(node, Negate):
        return not matches(node.child, obj, ctx)
    results = (matches(child, obj, ctx) for child in node.children)
    return all(results) if isinstance(node, AllOf) else any(results)


def _operand(field: Field, op: str, operand: Any, obj: Any, ctx: Context) -> bool:
    if field.test is not None:
        return field.test(obj, op, operand, ctx)
    value = field.get(obj)
    if operand is EMPTY:
        return not value if field.many else value is None or value == field.empty_value
    pairs = lookups(field, op, operand, ctx)
    if pairs is None:
        return False
    if field.many:
        return any(holds(pairs, item) for item in value)
    return holds(pairs, value)
