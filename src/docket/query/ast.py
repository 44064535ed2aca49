"""The syntax tree of a query, exactly as written (fields are not resolved yet).

Positions are 0-based character offsets into the query text; they take no part in equality,
so a query printed and parsed again compares equal to the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Value:
    """One value of a term; `quoted` values are literal (a quoted "none" is not the keyword)."""

    text: str
    quoted: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Term:
    """`name op value[,value…]`, e.g. `priority:>=high` or `label:bug,"needs info"`."""

    name: str
    op: str  # one of OPS
    values: tuple[Value, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Text:
    """A free word, or an "exact phrase" (`phrase`), for full-text search."""

    text: str
    phrase: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    child: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    """Two or more children, none of them an And (the parser flattens)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Two or more children, none of them an Or (the parser flattens)."""

    children: tuple[Node, ...]


Node = Term | Text | Not | And | Or


@dataclass(frozen=True)
class SortKey:
    name: str
    desc: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Query:
    """A parsed query: the filter (None matches everything) and the `sort:` keys, in order."""

    where: Node | None = None
    sort: tuple[SortKey, ...] = ()


OPS = (":", ":>", ":>=", ":<", ":<=")
KEYWORDS = ("AND", "OR", "NOT")


def and_(*nodes: Node) -> Node:
    """AND of `nodes`, flattened; a single node stands for itself."""
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.children if isinstance(node, And) else (node,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*nodes: Node) -> Node:
    """OR of `nodes`, flattened; a single node stands for itself."""
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.children if isinstance(node, Or) else (node,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))
