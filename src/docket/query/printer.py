"""Syntax tree → query text. `parse(to_text(q)) == q` for every tree the parser can produce."""

from __future__ import annotations

import re

from docket.query.ast import KEYWORDS, And, Node, Not, Or, Query, SortKey, Term, Text, Value

BARE_VALUE = re.compile(r'[^\s(),"]+')
BARE_WORD = re.compile(r'[^\s()",:\-][^\s()"]*')
LOOKS_LIKE_TERM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*:")
OP_PREFIXES = frozenset({":<", ":>", ":<=", ":>="})  # an operator and a value's first character


def to_text(query: Query | Node) -> str:
    if not isinstance(query, Query):
        return _node(query)
    parts = [_sort(query.sort)] if query.sort else []
    if query.where is not None:
        where = _node(query.where)
        parts.insert(0, f"({where})" if isinstance(query.where, Or) and query.sort else where)
    return " ".join(parts)


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _node(node: Node) -> str:
    if isinstance(node, Term):
        values = ",".join(_value(v) for v in node.values)
        # `status:` + `<x` would read back as the operator `:<`: a space keeps them apart.
        glued = node.op + values[:1] in OP_PREFIXES
        return node.name + node.op + (" " if glued else "") + values
    if isinstance(node, Text):
        return _word(node)
    if isinstance(node, Not):
        inner = _node(node.child)
        return f"-({inner})" if isinstance(node.child, And | Or) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(f"({_node(c)})" if isinstance(c, Or) else _node(c) for c in node.children)
    return " OR ".join(_node(c) for c in node.children)


def _value(value: Value) -> str:
    bare = not value.quoted and BARE_VALUE.fullmatch(value.text)
    return value.text if bare else quote(value.text)


def _word(text: Text) -> str:
    word = text.text
    bare = (
        not text.phrase
        and BARE_WORD.fullmatch(word)
        and word not in KEYWORDS
        and not LOOKS_LIKE_TERM.match(word)
    )
    return word if bare else quote(word)


def _sort(keys: tuple[SortKey, ...]) -> str:
    return "sort:" + ",".join(_value(Value(_sort_key(k))) for k in keys)


def _sort_key(key: SortKey) -> str:
    """`name` or `name-desc`, in the form that parses back to the same key: a name that
    itself starts with "-" or ends in -asc/-desc (hypothesis found `sort:--`) says so."""
    if key.desc:
        return f"-{key.name}" if key.name.startswith("-") else f"{key.name}-desc"
    if key.name.rpartition("-")[2].lower() in ("asc", "desc"):
        return f"{key.name}-asc"
    return key.name
