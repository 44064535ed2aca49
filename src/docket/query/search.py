"""The full-text hook. Free words, "phrases" and `text:` go through a TextSearch; a real
full-text backend (SQLite FTS5, PostgreSQL tsvector) implements the same two methods."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, Protocol

from django.db.models import Q


class TextSearch(Protocol):
    def q(self, text: str, phrase: bool) -> Q:
        """Objects matching one word (or one phrase, if `phrase`)."""
        ...

    def matches(self, obj: Any, text: str, phrase: bool) -> bool:
        """The same test for one object in memory."""
        ...


@dataclass(frozen=True)
class ContainsSearch:
    """Fallback: case-insensitive substring in any of `paths` (words and phrases alike)."""

    paths: tuple[str, ...]
    get: Callable[[Any], Iterable[str]]  # the same texts, read from an object

    def q(self, text: str, phrase: bool) -> Q:
        return reduce(or_, (Q(**{f"{path}__icontains": text}) for path in self.paths))

    def matches(self, obj: Any, text: str, phrase: bool) -> bool:
        wanted = text.lower()
        return any(wanted in value.lower() for value in self.get(obj))
