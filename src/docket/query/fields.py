"""The field registry: everything the query language knows about the things it searches.

An app describes its fields here (name, kind, ORM path, how to read the value from an object,
how to sort) and the generic parser, validator, compiler and evaluator do the rest.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Q, QuerySet

from docket.query.context import Context
from docket.query.search.hook import TextSearch


class Kind(enum.StrEnum):
    TEXT = "text"  # `:` is a case-insensitive substring match
    NAME = "name"  # `:` is a case-insensitive whole-name match
    ENUM = "enum"  # one of `values`; comparisons when `ordered`
    USER = "user"  # a username, or `@me`
    NUMBER = "number"  # a number column: `:` is equality, comparisons too
    DATE = "date"  # a date column
    DATETIME = "datetime"  # a timestamp column, compared by whole days in Context.now's zone
    BOOL = "bool"  # true/false/yes/no
    SEARCH = "search"  # handed to the registry's TextSearch, like free words (see `searches`)


ORDERED_KINDS = (Kind.NUMBER, Kind.DATE, Kind.DATETIME)
RESERVED = ("is", "has", "sort")


def _no_value(obj: Any) -> Any:
    return None


@dataclass(frozen=True)
class Related:
    """The rows a multi-valued field's values live in (`rows()`, naming the object in
    `column`: a many-to-many's through table, comments, watchers), as the two conditions a
    Field needs:

    - within(q): `pk IN (SELECT column FROM rows WHERE q)`;
    - within_all([q1, …, qn]): one grouped subquery, `pk IN (SELECT column FROM rows
      WHERE q1 OR … OR qn GROUP BY column HAVING COUNT(q1) > 0 AND … AND COUNT(qn) > 0)`:
      one scan of the rows and one aggregate per term, whatever n is.
    """

    rows: Callable[[], QuerySet[Any]]
    column: str

    def within(self, q: Q) -> Q:
        return Q(pk__in=self.rows().filter(q).values(self.column))

    def within_all(self, qs: Sequence[Q]) -> Q:
        if len(qs) == 1:
            return self.within(qs[0])
        counts = {f"term{i}": Count("pk", filter=q) for i, q in enumerate(qs)}
        grouped = self.rows().filter(reduce(or_, qs)).values(self.column).annotate(**counts)
        each = grouped.filter(**{f"term{i}__gt": 0 for i in range(len(qs))})
        return Q(pk__in=each.values(self.column))


@dataclass(frozen=True)
class Narrow:
    """A multi-valued field's related rows confined by what the query requires of another
    field: the query `project:P label:bug` needs only P's `bug` label rows, not every
    project's (1M issues: the unconfined subquery read 719 ms). `rows(values)` is the extra
    condition on the rows, given the values the query requires of field `by`."""

    by: str
    rows: Callable[[tuple[Any, ...]], Q]


@dataclass(frozen=True, eq=False)
class Field:
    """One searchable field.

    `path` is the ORM path compared (for a multi-valued field: relative to the rows that
    `within` filters). `get` reads the same value from an object: a scalar or None, or a list
    when `within` is set. `within(q)` turns a condition on related rows into one on the object
    (e.g. an `id__in` subquery), so `label:a label:b` needs two different labels.
    `within_all(qs)`, if given, says "a related row matching each of qs" in one subquery
    (`Related` gives both), so the plan of `label:a label:b …` does not grow a join or a
    subquery per term.
    """

    name: str
    kind: Kind
    path: str = ""
    get: Callable[[Any], Any] = _no_value
    aliases: tuple[str, ...] = ()
    values: tuple[tuple[str, Any], ...] = ()  # ENUM: (name, stored value), in order
    ordered: bool = False  # ENUM: allows :> :>= :< :<=
    known: Callable[[], Iterable[str]] | None = None  # NAME: the names that exist, if checked
    nullable: bool = False  # can be empty: `none` and `has:` work. Must be set whenever the
    # value can be NULL (also through a nullable relation): it keeps negations NULL-safe.
    empty_value: Any = None  # what "empty" is stored as, if not NULL
    # `none` tested on this path instead (a nullable foreign key, when `path` is a NOT NULL
    # column through it): `milestone_id IS NULL`, not a LEFT JOIN and `name IS NULL`, which
    # no index serves (1M issues: a project's `milestone:none` list read 0.87 s)
    empty_path: str = ""
    within: Callable[[Q], Q] | None = None
    within_all: Callable[[Sequence[Q]], Q] | None = None
    narrow: Narrow | None = None  # a multi-valued field's rows confined by another field's
    sort: tuple[Any, ...] = ()  # ORM columns (or expressions) for `sort:`; empty: cannot sort
    parse_value: Callable[[str], Any] | None = None  # raise ValueError(message) if invalid
    compile: Callable[[str, Any, Context], Q] | None = None  # (op, operand, ctx): custom lookup
    test: Callable[[Any, str, Any, Context], bool] | None = None  # (obj, op, operand, ctx)
    searches: tuple[str, ...] = ()  # SEARCH: the document fields looked in (empty: all)
    available: bool = True  # False: recognised, but "not available yet"
    help: str = ""

    @property
    def many(self) -> bool:
        return self.within is not None

    @property
    def comparable(self) -> bool:
        return self.ordered or self.kind in ORDERED_KINDS


@dataclass(frozen=True)
class Flag:
    """`is:name`, defined as a query over the same registry (e.g. `is:open` = `-category:done`)."""

    name: str
    query: str
    help: str = ""


class Registry:
    """The fields, `is:` flags, text search and default sort of one kind of searchable thing."""

    def __init__(
        self,
        fields: Sequence[Field],
        *,
        flags: Sequence[Flag] = (),
        search: TextSearch | None = None,
        default_sort: tuple[tuple[str, bool], ...] = (),  # (field name, descending)
        dynamic: Callable[[str], Field | None] | None = None,
    ):
        self.fields = tuple(fields)
        self.search = search
        self.default_sort = default_sort
        # Fields not known in advance (custom fields): asked for a name none of `fields` has.
        # It raises QueryError itself for a name of its own that does not exist.
        self.dynamic = dynamic
        self.expanded: dict[str, Any] = {}  # checked flag queries, filled by the validator
        self._flags = {flag.name: flag for flag in flags}
        self._by_name: dict[str, Field] = {}
        for f in self.fields:
            for name in (f.name, *f.aliases):
                if name in self._by_name or name in RESERVED:
                    raise ValueError(f"query field name {name!r} is taken")
                self._by_name[name] = f

    def field(self, name: str) -> Field | None:
        found = self._by_name.get(name.lower())
        if found is None and self.dynamic is not None:
            return self.dynamic(name.lower())
        return found

    def flag(self, name: str) -> Flag | None:
        return self._flags.get(name.lower())

    @property
    def field_names(self) -> list[str]:
        return [*self._by_name, *RESERVED]

    @property
    def flag_names(self) -> list[str]:
        return list(self._flags)
