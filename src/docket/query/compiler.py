"""Checked query → Django `Q` + ordering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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
    if query.where is None:
        return Q(), ordering(query.sort)
    where = to_q(query.where, replace(ctx, required=query.requirements()))
    return where, ordering(query.sort)


def to_q(node: Checked, ctx: Context) -> Q:
    if isinstance(node, Cond):
        return _cond_q(node, ctx)
    if isinstance(node, Search):
        return node.engine.q([node.term])
    if isinstance(node, Negate):
        return ~to_q(node.child, ctx)
    if isinstance(node, AllOf):
        return reduce(and_, _all_of(_grouped(node.children, ctx, every=True), ctx))
    return reduce(or_, (_part_q(p, ctx) for p in _grouped(node.children, ctx, every=False)))


# A multi-valued field's terms (`label:a`, `-label:b`) are gathered per field: however many
# there are, they become one subquery (query/fields.related), so no query's plan grows a join
# or a subquery per term (100 `label:` terms took PostgreSQL 3 s and 554 MB, one join each).


class _Related:
    """The gathered terms of one multi-valued field within one AND or OR."""

    def __init__(self, field: Field, within: Callable[[Q], Q], negated: bool):
        self.field, self.within, self.negated = field, within, negated
        self.rows: list[Q] = []

    def q(self, every: bool) -> Q:
        if self.negated:  # none of them: NOT (a row matching any)
            return ~self.within(reduce(or_, self.rows))
        if every and self.field.within_all is not None:
            return self.field.within_all(self.rows)
        return self.within(reduce(or_, self.rows))  # one term, or an OR of them


def _grouped(
    children: tuple[Checked, ...], ctx: Context, *, every: bool
) -> list[Checked | _Related]:
    """`children` with the gatherable terms of each multi-valued field replaced by one
    `_Related` where the first of them stood. In an OR only positive terms gather (any of
    them is one row matching any); in an AND, positive ones (each needs its own row) and
    negated ones (none may match) gather apart."""
    groups: dict[tuple[int, bool], _Related] = {}
    parts: list[Checked | _Related] = []
    for child in children:
        negated = isinstance(child, Negate)
        cond = child.child if isinstance(child, Negate) else child
        rows = _related_rows(cond, ctx) if isinstance(cond, Cond) else None
        if rows is None or (negated and not every) or not isinstance(cond, Cond):
            parts.append(child)
            continue
        key = (id(cond.field), negated)
        if key not in groups:
            assert cond.field.within is not None  # _related_rows checked it
            groups[key] = _Related(cond.field, cond.field.within, negated)
            parts.append(groups[key])
        groups[key].rows.append(rows)
    return parts


def _related_rows(cond: Cond, ctx: Context) -> Q | None:
    """A multi-valued field's term as one condition on its related rows (its values ORed),
    or None if it is not such a term (`label:none` is about having no rows at all)."""
    field = cond.field
    if field.within is None or field.compile is not None or EMPTY in cond.operands:
        return None
    rows = reduce(or_, [_rows_q(field, cond.op, operand, ctx) for operand in cond.operands])
    if field.narrow is not None and field.narrow.by in ctx.required:
        rows &= field.narrow.rows(ctx.required[field.narrow.by])
    return rows


def _rows_q(field: Field, op: str, operand: Any, ctx: Context) -> Q:
    pairs = lookups(field, op, operand, ctx)
    if pairs is None:
        return NOTHING
    return Q(**{f"{field.path}__{lookup}": value for lookup, value in pairs})


def _part_q(part: Checked | _Related, ctx: Context) -> Q:
    """A part of an OR: a gathered field is one row matching any of its terms."""
    return part.q(every=False) if isinstance(part, _Related) else to_q(part, ctx)


def _cond_q(cond: Cond, ctx: Context) -> Q:
    rows = _related_rows(cond, ctx)
    if rows is not None and cond.field.within is not None:
        return cond.field.within(rows)
    return reduce(or_, (_operand_q(cond.field, cond.op, o, ctx) for o in cond.operands))


def _all_of(children: list[Checked | _Related], ctx: Context) -> list[Q]:
    """The parts of an AND, in order, except that the searches of one engine become one
    part where the first of them stood: a full-text index answers them in one query."""
    groups: dict[int, list[Search]] = {}
    parts: list[Q | Search] = []
    for child in children:
        if isinstance(child, _Related):
            parts.append(child.q(every=True))
        elif not isinstance(child, Search):
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
        return Q(**{f"{field.empty_path or field.path}__isnull": True})
    return Q(**{field.path: field.empty_value})


def ordering(sort: tuple[SortBy, ...]) -> list[OrderBy]:
    """Sort columns in order, empty values last, then the primary key as a tie-breaker."""
    columns = [
        OrderBy(
            F(column) if isinstance(column, str) else column,
            descending=key.desc,
            nulls_last=True if key.field.nullable else None,
        )
        for key in sort
        for column in key.field.sort
    ]
    return [*columns, OrderBy(F("pk"), descending=bool(sort) and sort[0].desc)]
