"""Editing a list's query text by clicking: a status, priority, assignee or label in a row or
the sidebar adds its term (`label:bug`), and each top-level term of the query can be removed
with one click. The text stays the truth: every link carries the whole new query in `q`,
parsed and printed by the query language itself (docket.query), so quoting is always right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from docket.query import And, Or, Query, QueryError, Term, Value, parse, to_text
from docket.query.ast import Node, and_

# Fields an issue has one value of: a click replaces the query's own term for the field
# (`status:open` → `status:done`); labels add up (`label:bug label:ui`).
SINGLE = frozenset({"status", "priority", "assignee"})


def _parsed(q: str) -> Query | None:
    try:
        return parse(q)
    except QueryError:
        return None


def _parts(query: Query) -> list[Node]:
    where = query.where
    if where is None:
        return []
    return list(where.children) if isinstance(where, And) else [where]


def _text(parts: list[Node], query: Query) -> str:
    return to_text(Query(and_(*parts) if parts else None, query.sort))


class Narrowing:
    """Links that narrow the query `q` by one term, for a page's ~200 links (~40 distinct).
    The query is parsed once; each link prints only its new term and joins it to the parts
    already printed (printing the whole tree per link was ~0.1 ms a link)."""

    def __init__(self, q: str, url: Callable[[str], str]):
        self.query = _parsed(q)
        self.parts = _parts(self.query) if self.query else []
        self.printed = [f"({to_text(p)})" if isinstance(p, Or) else to_text(p) for p in self.parts]
        self.sort = to_text(Query(None, self.query.sort)) if self.query and self.query.sort else ""
        self.url = url
        self.made: dict[tuple[str, str], str] = {}

    def link(self, name: str, value: str) -> str:
        """The list's URL for `q` with `name:value` ("" if `q` does not parse or already
        says exactly that)."""
        if (name, value) not in self.made:
            text = self._with(name, value)
            self.made[name, value] = self.url(text) if text is not None else ""
        return self.made[name, value]

    def _with(self, name: str, value: str) -> str | None:
        if self.query is None:
            return None
        literal = name != "assignee" and value.lower() == "none"  # a label named "none"
        term = to_text(Term(name, ":", (Value(value, quoted=literal),)))
        if term in self.printed:
            return None
        kept = [
            text
            for part, text in zip(self.parts, self.printed, strict=True)
            if not (
                name in SINGLE and isinstance(part, Term) and part.name == name and part.op == ":"
            )
        ]
        return " ".join([*kept, term, *([self.sort] if self.sort else [])])


def active_terms(q: str, url: Callable[[str], str]) -> list[dict[str, Any]]:
    """Each top-level part of `q` (and its `sort:`) with the link that drops it."""
    query = _parsed(q)
    if query is None:
        return []
    parts = _parts(query)
    terms = []
    for n, part in enumerate(parts):
        rest = parts[:n] + parts[n + 1 :]
        terms.append({"text": to_text(part), "remove": url(_text(rest, query))})
    if query.sort:
        unsorted = Query(query.where, ())
        terms.append({"text": to_text(Query(None, query.sort)), "remove": url(to_text(unsorted))})
    return terms


def query_url(path: str, **params: Any) -> str:
    """`path?q=…` keeping the other list parameters; an empty q stays (it means "all")."""
    kept = {name: value for name, value in params.items() if value or name == "q"}
    return f"{path}?{urlencode(kept)}"
