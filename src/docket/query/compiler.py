"""Checked query → Django `Q` + ordering."""

from __future__ import annotations

from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import F, Q
from django.db.models.expressions import OrderBy

from docket.query.checked import (
    EMPTY,
    AllOf,
    Checked,
    CheckedQuery,
    Cond,
    Negate,
    Search,
    SortBy,
)
from docket.query.context import Context
from docket.query.fields import Field
from docket.query.lookups import lookups

NOTHING = Q(pk__in=[])


def compile_query(query: CheckedQuery, ctx: Context) -> tuple[Q, list[OrderBy]]:
    """The filter (an empty Q matches everything) and the `order_by` arguments."""
    where = to_q(query.where, ctx) if query.where is not None else Q()
    return where, ordering(query.sort)


def to_q(node: Checked, ctx: Context) -> Q:
    if isinstance(node, Cond):
        return reduce(or_, (_operand_q(node.field, node.op, o, ctx) for o in node.operands))
    if isinstance(node, Search):
        return node.engine.q(node.text, node.phrase)
    if isinstance(node, Negate):
        return ~to_q(node.child, ctx)
    parts = (to_q(child, ctx) for child in node.children)
    return reduce(and_ if isinstance(node, AllOf) else or_, parts)


def _operand_q(field: Field, op: str, operand: Any, ctx: Context) -> Q:
    if field.compile is not None:
        return field.compile(op, operand, ctx)
    if operand is EMPTY:
        return _empty(field)
    pairs = lookups(field, op, operand, ctx)
    if pairs is None:
        return NOTHING
    q = Q(**{f"{field.path}__{lookup}": value for lookup, value in pairs})
    if field.within is not None:
        return field.within(q)
    if field.nullable:  # keep it two-valued: NOT (x = v) must hold where x is NULL
        q &= Q(**{f"{field.path}__isnull": False})
    return q


def _empty(field: Field) -> Q:
    if field.within is not None:
        return ~field.within(Q())
    if field.empty_value is None:
        return Q(**{f"{field.path}__isnull": True})
    return Q(**{field.path: field.empty_value})


def ordering(sort: tuple[SortBy, ...]) -> list[OrderBy]:
    """Sort columns in order, empty values last, then the primary key as a tie-breaker."""
    columns = [
        OrderBy(F(column), descending=key.desc, nulls_last=True if key.field.nullable else None)
        for key in sort
        for column in key.field.sort
    ]
    return [*columns, OrderBy(F("pk"), descending=bool(sort) and sort[0].desc)]
