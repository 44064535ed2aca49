"""Text → syntax tree. `parse` is the only entry point; it raises nothing but QueryError."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from docket.query.ast import And, Node, Not, Or, Query, SortKey, Term, Text, Value, and_, or_
from docket.query.errors import QueryError
from docket.query.grammar import TERMINAL_NAMES, parser
from docket.query.limits import check_text, check_tree

SORT = "sort"
ESCAPE = re.compile(r"\\([\s\S])")


# A request parses its query several times (the list, its gate, its count): the trees are
# immutable (frozen dataclasses of tuples), so each text is parsed once (~0.2 ms a parse).
# Errors are not kept: a bad query is parsed again, to raise again.
@functools.lru_cache(maxsize=512)
def parse(text: str) -> Query:
    """Parse a query. Syntax only: field names and values are checked by `validate`."""
    check_text(text)
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    except LarkError:
        raise QueryError("cannot read the query", 0) from None
    check_tree(tree)
    where = _node(tree.children[0]) if tree.children else None
    return _split_sort(where)


def _syntax_error(exc: LarkError, text: str) -> QueryError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        return QueryError(f"unexpected '{text[pos]}'", pos, expected=_names(exc.allowed))
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token, expected = exc.token, _names(exc.expected)
        return QueryError(f"unexpected '{token}'", token.start_pos or 0, expected=expected)
    expected = _names(getattr(exc, "expected", ()) or ())
    wanted = f", expected {' or '.join(expected)}" if 0 < len(expected) <= 3 else ""
    return QueryError(f"unexpected end of query{wanted}", len(text), expected=expected)


def _names(terminals: Collection[str]) -> list[str]:
    return sorted({TERMINAL_NAMES.get(name, name) for name in terminals})


def _node(item: Tree | Token) -> Node:
    if isinstance(item, Token):
        return _text(item)
    kind, children = item.data, item.children
    if kind == "term":
        return _term(children)
    if kind == "neg":
        return Not(_node(children[0]), item.meta.start_pos)
    if kind == "group":
        return _node(children[1])
    parts = [_node(child) for child in children]
    return and_(*parts) if kind == "and_expr" else or_(*parts)


def _text(token: Token) -> Text:
    if token.type == "STRING":
        return Text(_unquote(token), phrase=True, pos=token.start_pos or 0)
    return Text(str(token), pos=token.start_pos or 0)


def _term(children: list[Tree | Token]) -> Term:
    name, op, *rest = (child for child in children if isinstance(child, Token))
    values = tuple(_value(token) for token in rest if token.type != "COMMA")
    return Term(str(name), str(op), values, name.start_pos or 0)


def _value(token: Token) -> Value:
    quoted = token.type == "STRING"
    text = _unquote(token) if quoted else str(token)
    return Value(text, quoted, token.start_pos or 0)


def _unquote(token: Token) -> str:
    return ESCAPE.sub(r"\1", str(token)[1:-1])


def _hoist_from_or(where: Or) -> tuple[Node, list[Term]]:
    """`a OR b sort:x` means `(a OR b) sort:x`: sort terms at the start or the end of an OR
    belong to the whole query (OR binds looser than the implicit AND)."""
    children, sorts = list(where.children), []
    for index in (0, -1):
        child = children[index]
        if isinstance(child, And) and any(_is_sort(c) for c in child.children):
            rest = [c for c in child.children if not _is_sort(c)]
            sorts += [c for c in child.children if isinstance(c, Term) and _is_sort(c)]
            children[index] = and_(*rest)
    return Or(tuple(children)), sorts


def _split_sort(where: Node | None) -> Query:
    """Take the top-level `sort:` terms out of the filter; anywhere else they are an error."""
    hoisted: list[Term] = []
    if isinstance(where, Or):
        where, hoisted = _hoist_from_or(where)
    parts = where.children if isinstance(where, And) else (() if where is None else (where,))
    sorts = hoisted + [p for p in parts if isinstance(p, Term) and _is_sort(p)]
    rest = [p for p in parts if not _is_sort(p)]
    for part in rest:
        _refuse_nested_sort(part)
    keys = tuple(key for term in sorts for key in _sort_keys(term))
    return Query(and_(*rest) if rest else None, keys)


def _is_sort(node: Node) -> bool:
    return isinstance(node, Term) and node.name.lower() == SORT


def _refuse_nested_sort(node: Node) -> None:
    if isinstance(node, Term) and _is_sort(node):
        raise QueryError("sort: only works at the top level of a query", node.pos)
    if isinstance(node, Not):
        _refuse_nested_sort(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            _refuse_nested_sort(child)


def _sort_keys(term: Term) -> list[SortKey]:
    if term.op != ":":
        raise QueryError("sort: takes field names, not a comparison", term.pos)
    return [_sort_key(value) for value in term.values]


def _sort_key(value: Value) -> SortKey:
    text, desc = value.text, False
    if text.startswith("-"):
        text, desc = text[1:], True
    else:
        name, _, direction = text.rpartition("-")
        if name and direction.lower() in ("asc", "desc"):
            text, desc = name, direction.lower() == "desc"
    if not text:
        raise QueryError("expected a field to sort by", value.pos, expected=["a field"])
    return SortKey(text, desc, value.pos)
