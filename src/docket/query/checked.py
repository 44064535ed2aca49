"""The checked query: field names resolved to registry Fields, values to typed operands.

The compiler and the evaluator are two interpreters of this one tree, so they agree.
Operands are: str, int, bool or other stored enum values, DateSpec, ME or EMPTY.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docket.query.fields import Field
from docket.query.search.hook import SearchTerm, TextSearch


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


ME = _Marker("@me")  # the Context's user
EMPTY = _Marker("none")  # no value


@dataclass(frozen=True)
class Cond:
    """`field op operand`, true if any operand matches (a list is an OR)."""

    field: Field
    op: str
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Search:
    """A word or phrase for `engine`, looked up in the document `fields` (empty: all)."""

    text: str
    phrase: bool
    engine: TextSearch
    fields: tuple[str, ...] = ()

    @property
    def term(self) -> SearchTerm:
        return SearchTerm(self.text, self.phrase, self.fields)


@dataclass(frozen=True)
class AllOf:
    children: tuple[Checked, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Checked, ...]


@dataclass(frozen=True)
class Negate:
    child: Checked


Checked = Cond | Search | AllOf | AnyOf | Negate


@dataclass(frozen=True)
class SortBy:
    field: Field
    desc: bool


@dataclass(frozen=True)
class CheckedQuery:
    """`where` None matches everything. `sort` is the query's sort, or the registry default."""

    where: Checked | None
    sort: tuple[SortBy, ...]

    def requirements(self) -> dict[str, tuple[Any, ...]]:
        """The values every match must have one of, by field name: the top-level
        `name:a,b` terms the whole query is ANDed with (`none` is not a value here). A
        multi-valued field's subquery can be confined by them (`Field.narrow`)."""
        terms = self.where.children if isinstance(self.where, AllOf) else (self.where,)
        found: dict[str, tuple[Any, ...]] = {}
        for term in terms:
            if isinstance(term, Cond) and term.op == ":" and EMPTY not in term.operands:
                found.setdefault(term.field.name, term.operands)
        return found
