"""The newest matches whose rows pass a permission gate, with bounded work on both backends.

Phase 1 walks the newest SCAN x limit matches (an index walk in id order that stops early)
and probes the gate once per match, keeping the first `limit` that pass. Only when the gate
is so narrow that this finds fewer does phase 2 run: the database joins the older matches
with the gate its own way (filter-first when the gate is small).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL

from docket.query.search.hook import SearchTerm

SCAN = 4


class Walkable(Protocol):
    @property
    def connection(self) -> Any: ...

    @property
    def probe(self) -> str:
        """How to test the gate for one row, around `{}` (a SELECT of the gate's row): an
        EXISTS the database must not rewrite into a join, which would read the whole gate."""
        ...

    def window(self, terms: Sequence[SearchTerm]) -> tuple[str, list[Any]]:
        """`SELECT … AS id … ORDER BY id DESC` over the matches (a LIMIT is appended)."""
        ...

    def match(self, terms: Sequence[SearchTerm], upto: int | None = None) -> tuple[str, list[Any]]:
        """SQL selecting the matching ids (at most `upto`), as a subquery."""
        ...


def correlated(gate: QuerySet[Any], outer_id: str, connection: Any) -> tuple[str, list[Any]]:
    """A SELECT of the row of `gate` whose primary key is the SQL `outer_id`."""
    inner = gate.order_by().filter(pk=RawSQL(outer_id, (), BigIntegerField())).values("pk")
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _run(backend: Walkable, sql: str, params: Sequence[Any]) -> list[Any]:
    with backend.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def newest(
    backend: Walkable, terms: Sequence[SearchTerm], gate: QuerySet[Any], limit: int
) -> list[int]:
    """Ids of the `limit` newest (highest) matching rows of `gate`, newest first."""
    window, params = backend.window(terms)
    row, gate_params = correlated(gate, "newest.id", backend.connection)
    # No ORDER BY outside: the window's order holds, and an outer sort would read it all.
    found = _run(
        backend,
        f"SELECT newest.id FROM ({window} LIMIT %s) AS newest "
        f"WHERE {backend.probe.format(row)} LIMIT %s",
        [*params, SCAN * limit, *gate_params, limit],
    )
    found.sort(reverse=True)
    if len(found) == limit:
        return found
    boundary = _run(backend, f"{window} LIMIT 1 OFFSET %s", [*params, SCAN * limit])
    if not boundary:
        return found
    sql, match_params = backend.match(terms, upto=boundary[0])
    older = gate.filter(pk__lte=boundary[0], pk__in=RawSQL(sql, match_params)).order_by("-pk")
    return found + list(older.values_list("pk", flat=True)[: limit - len(found)])
