"""The full-text hook. Free words, "phrases" and search fields (`text:`) reach a TextSearch as
SearchTerms; the compiler hands it all the plain terms of one AND together, so a full-text
backend answers `a b "c d"` with one query. `IndexedSearch` (index.py) is the real one;
`ContainsSearch` is the substring fallback for things without an index."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any, Protocol

from django.db.models import Q


@dataclass(frozen=True)
class SearchTerm:
    """One word or "phrase" as the user wrote it (never pre-escaped). `fields` names the
    document fields to look in (empty: all of them)."""

    text: str
    phrase: bool = False
    fields: tuple[str, ...] = ()


class TextSearch(Protocol):
    def q(self, terms: Sequence[SearchTerm]) -> Q:
        """Objects matching every one of `terms` (at least one)."""
        ...

    def matches(self, obj: Any, terms: Sequence[SearchTerm]) -> bool:
        """The same test for one object."""
        ...


@dataclass(frozen=True)
class ContainsSearch:
    """Fallback: case-insensitive substring in any of `paths` (words and phrases alike;
    `fields` is ignored)."""

    paths: tuple[str, ...]
    get: Callable[[Any], Iterable[str]]  # the same texts, read from an object

    def q(self, terms: Sequence[SearchTerm]) -> Q:
        return reduce(and_, (self._one(term.text) for term in terms))

    def _one(self, text: str) -> Q:
        return reduce(or_, (Q(**{f"{path}__icontains": text}) for path in self.paths))

    def matches(self, obj: Any, terms: Sequence[SearchTerm]) -> bool:
        values = [value.lower() for value in self.get(obj)]
        return all(any(t.text.lower() in value for value in values) for t in terms)
