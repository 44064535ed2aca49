"""Full-text indexes of plain documents: what an index holds, the backend interface, and the
TextSearch that answers the query language from an index.

A document is an id (the primary key of the thing it describes) and one text per field, the
most important field first (it also ranks first: see ranking.py). Callers build documents
and hand them over inside the transaction that changed the data, so the index commits or
rolls back with it. Backends: SQLite FTS5 (sqlite.py) and PostgreSQL tsvector (postgres.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from docket.query.search.hook import SearchTerm
from docket.query.search.terms import searchable

NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")
EVERYTHING = Q(pk__isnull=False)  # unlike Q(), its negation matches nothing


@dataclass(frozen=True)
class IndexSpec:
    """`table` names the index (backends derive their tables from it); `fields` the texts of a
    document, most important first (at most 4: PostgreSQL has weights A-D); `weights` their
    relative weight in ranking. `source`, when given, names a view (`id` and one column per
    field, named as the fields) the texts are read from: the index then keeps no copy of them
    (on SQLite an external-content FTS5 table, on PostgreSQL no text table), and `write`
    re-reads the documents' texts from it rather than taking the ones handed in. Whoever owns
    the view must then keep it and the index in step (see issues/search_index.py).

    `partition`, with a `source`, names an integer column of the view and of the indexed
    model (say the project) that the index keeps beside each document, so a query that
    also restricts that column searches only that part of the index (PostgreSQL; FTS5
    ignores it). Re-indexing a document refreshes it."""

    table: str
    fields: tuple[str, ...]
    weights: tuple[float, ...]
    source: str = ""
    partition: str = ""

    def __post_init__(self) -> None:
        extra = [name for name in (self.source, self.partition) if name]
        names = (self.table, *self.fields, *extra)
        if not all(NAME.fullmatch(name) for name in names) or not 1 <= len(self.fields) <= 4:
            raise ValueError(f"bad index spec {self}")
        if len(self.weights) != len(self.fields):
            raise ValueError("one weight per field")
        if self.partition and not self.source:
            raise ValueError("a partition column is read from the source view")

    def check_fields(self, terms: Sequence[SearchTerm]) -> None:
        unknown = {f for t in terms for f in t.fields} - set(self.fields)
        if unknown:
            raise ValueError(f"{self.table} has no field {sorted(unknown)[0]!r}")


@dataclass(frozen=True)
class Document:
    id: int
    texts: tuple[str, ...]  # one per IndexSpec field, in order


class SearchBackend(Protocol):
    """Every method takes terms already passed through `searchable` (at least one), and runs
    on the backend's connection, so inside the caller's transaction."""

    @property
    def spec(self) -> IndexSpec: ...

    def create(self) -> None: ...
    def drop(self) -> None: ...
    def write(self, documents: Sequence[Document]) -> None:
        """Insert or replace (with a `source`: the documents' texts as the source has them)."""

    def refresh(self, ids: Sequence[int]) -> None:
        """Only with a `source`: re-read these documents from it; those it lacks leave."""

    def add(self, ids: Sequence[int]) -> None:
        """Only with a `source`: index these documents, which were never indexed (rows just
        created): `refresh` without forgetting or removing anything first."""

    def delete(self, ids: Sequence[int]) -> None: ...
    def optimize(self) -> None:
        """After a bulk load: merge index segments, refresh planner statistics."""

    def match(self, terms: Sequence[SearchTerm], upto: int | None = None) -> tuple[str, list[Any]]:
        """SQL selecting the ids of the matching documents (at most `upto`), as a subquery."""
        ...

    def condition(self, terms: Sequence[SearchTerm]) -> Q:
        """A filter on the indexed model: its rows whose documents match."""
        ...

    def contains(self, doc_id: int, terms: Sequence[SearchTerm]) -> bool: ...
    def newest(self, terms: Sequence[SearchTerm], gate: QuerySet[Any], limit: int) -> list[int]:
        """Ids of the `limit` highest-numbered matching documents whose rows are in `gate` (a
        queryset of the indexed model), highest first."""
        ...

    def scores(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, float]:
        """Relevance of some matching documents: higher is better, >= 0, backend's own scale."""
        ...

    def snippets(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, list[str]]:
        """Per document, one short excerpt per field, matches between START and END marks."""
        ...


def matching_ids(backend: SearchBackend, terms: Sequence[SearchTerm]) -> Q:
    """The plain `condition`: the model's primary key among the matching ids."""
    sql, params = backend.match(terms)
    return Q(pk__in=RawSQL(sql, params))


def backend_for(spec: IndexSpec, connection: Any = None) -> SearchBackend:
    """The backend for `connection`'s database (default: the default database)."""
    from docket.query.search.postgres import PostgresBackend
    from docket.query.search.sqlite import Fts5Backend

    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        return Fts5Backend(spec, connection)
    if connection.vendor == "postgresql":
        return PostgresBackend(spec, connection)
    raise NotImplementedError(f"no full-text search for {connection.vendor}")


@dataclass(frozen=True)
class IndexedSearch:
    """The query language's TextSearch over an index whose document ids are the primary keys
    of the model being queried."""

    spec: IndexSpec

    def q(self, terms: Sequence[SearchTerm]) -> Q:
        found = searchable(terms)
        if not found:
            return EVERYTHING
        return backend_for(self.spec).condition(found)

    def matches(self, obj: Any, terms: Sequence[SearchTerm]) -> bool:
        found = searchable(terms)
        if not found:
            return True
        return obj.pk is not None and backend_for(self.spec).contains(obj.pk, found)
