"""Syntax tree + registry → checked query. Every "unknown field" or "bad value" is found here."""

from __future__ import annotations

from docket.query.ast import And, Node, Not, Query, SortKey, Term, Text, Value
from docket.query.checked import (
    EMPTY,
    AllOf,
    AnyOf,
    Checked,
    CheckedQuery,
    Cond,
    Negate,
    Search,
    SortBy,
)
from docket.query.errors import QueryError, closest
from docket.query.fields import Field, Kind, Registry
from docket.query.operands import operand


def validate(query: Query, registry: Registry) -> CheckedQuery:
    where = _check(query.where, registry) if query.where is not None else None
    if query.sort:
        sort = tuple(_sort(key, registry) for key in query.sort)
    else:
        sort = tuple(_sort(SortKey(name, desc), registry) for name, desc in registry.default_sort)
    return CheckedQuery(where, sort)


def _check(node: Node, registry: Registry) -> Checked:
    if isinstance(node, Term):
        return _term(node, registry)
    if isinstance(node, Text):
        return _search(node.text, node.phrase, node.pos, registry)
    if isinstance(node, Not):
        return Negate(_check(node.child, registry))
    children = tuple(_check(child, registry) for child in node.children)
    return AllOf(children) if isinstance(node, And) else AnyOf(children)


def _term(term: Term, registry: Registry) -> Checked:
    name = term.name.lower()
    if name == "is":
        return _any(_flag(term, registry))
    if name == "has":
        return _any(_has(term, registry))
    field = _field(name, term.pos, registry)
    _check_op(term, field)
    if field.kind == Kind.SEARCH:
        return _any([_search_value(value, field, registry) for value in term.values])
    return Cond(field, term.op, tuple(operand(field, value) for value in term.values))


def _field(name: str, pos: int, registry: Registry) -> Field:
    field = _lookup(name, pos, registry)
    if field is None:
        suggestion = closest(name, registry.field_names)
        raise QueryError(f"unknown field '{name}'", pos, suggestion=suggestion)
    if not field.available:
        raise QueryError(f"field '{name}' is not available yet", pos)
    return field


def _check_op(term: Term, field: Field) -> None:
    op_pos = term.pos + len(term.name)
    if term.op != ":" and not field.comparable:
        raise QueryError(
            f"'{field.name}' cannot be compared with '{term.op[1:]}'", op_pos, expected=["':'"]
        )
    if term.op != ":" and len(term.values) > 1:
        raise QueryError("a comparison takes one value", term.values[1].pos)
    if term.op != ":" and not term.values[0].quoted and term.values[0].text.lower() == "none":
        raise QueryError("'none' cannot be compared; use ':none'", term.values[0].pos)


def _flag(term: Term, registry: Registry) -> list[Checked]:
    _plain(term)
    found = []
    for value in term.values:
        flag = registry.flag(value.text)
        if flag is None:
            suggestion = closest(value.text, registry.flag_names)
            raise QueryError(
                f"unknown 'is:{value.text}'",
                value.pos,
                expected=registry.flag_names,
                suggestion=suggestion,
            )
        found.append(_expand(flag.name, flag.query, registry))
    return found


def _expand(name: str, text: str, registry: Registry) -> Checked:
    if name not in registry.expanded:
        from docket.query.parser import parse  # the parser is not needed to validate trees

        checked = validate(parse(text), registry).where
        if checked is None:
            raise ValueError(f"is:{name} has an empty query")
        registry.expanded[name] = checked
    expanded: Checked = registry.expanded[name]
    return expanded


def _has(term: Term, registry: Registry) -> list[Checked]:
    _plain(term)
    found: list[Checked] = []
    for value in term.values:
        field = _field(value.text, value.pos, registry)
        if not field.nullable:
            raise QueryError(f"has: does not work with '{field.name}' (never empty)", value.pos)
        found.append(Negate(Cond(field, ":", (EMPTY,))))
    return found


def _plain(term: Term) -> None:
    if term.op != ":":
        raise QueryError(f"{term.name}: cannot be compared", term.pos + len(term.name))


def _search_value(value: Value, field: Field, registry: Registry) -> Checked:
    if field.nullable and not value.quoted and value.text.lower() == "none":
        return Cond(field, ":", (EMPTY,))
    return _search(value.text, value.quoted, value.pos, registry, field.searches)


def _search(
    text: str, phrase: bool, pos: int, registry: Registry, fields: tuple[str, ...] = ()
) -> Search:
    if registry.search is None:
        raise QueryError("text search is not available here", pos)
    return Search(text, phrase, registry.search, fields)


def _any(nodes: list[Checked]) -> Checked:
    return nodes[0] if len(nodes) == 1 else AnyOf(tuple(nodes))


def _lookup(name: str, pos: int, registry: Registry) -> Field | None:
    """The registry's field; its dynamic fields say themselves why a name is unknown."""
    try:
        return registry.field(name)
    except ValueError as exc:
        raise QueryError(str(exc), pos) from None


def _sort(key: SortKey, registry: Registry) -> SortBy:
    field = _lookup(key.name, key.pos, registry)
    if field is None or not field.sort or not field.available:
        sortable = [f.name for f in registry.fields if f.sort and f.available]
        raise QueryError(
            f"cannot sort by '{key.name}'",
            key.pos,
            expected=sortable,
            suggestion=closest(key.name, sortable),
        )
    return SortBy(field, key.desc)
