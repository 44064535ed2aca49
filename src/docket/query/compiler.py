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
        return node.engine.q([node.term])
    if isinstance(node, Negate):
        return ~to_q(node.child, ctx)
    if isinstance(node, AllOf):
        return reduce(and_, _all_of(node.children, ctx))
    return reduce(or_, (to_q(child, ctx) for child in node.children))


def _all_of(children: tuple[Checked, ...], ctx: Context) -> list[Q]:
    """The parts of an AND, in order, except that the searches of one engine become one
    part where the first of them stood: a full-text index answers them in one query."""
    groups: dict[int, list[Search]] = {}
    parts: list[Q | Search] = []
    for child in children:
        if not isinstance(child, Search):
            parts.append(to_q(child, ctx))
        elif id(child.engine) in groups:
            groups[id(child.engine)].append(child)
        else:
            groups[id(child.engine)] = [child]
            parts.append(child)
    return [
        p.engine.q([s.term for s in groups[id(p.engine)]]) if isinstance(p, Search) else p
        for p in parts
    ]


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
