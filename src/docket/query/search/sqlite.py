"""SQLite FTS5: one virtual table per index (rowid = document id, one column per field),
Porter stemming over unicode61 with diacritics folded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from docket.query.search import walk
from docket.query.search.hook import SearchTerm
from docket.query.search.index import Document, IndexSpec
from docket.query.search.marks import END, START
from docket.query.search.terms import fts5_string

TOKENIZER = "porter unicode61 remove_diacritics 2"
SNIPPET_TOKENS = 16


@dataclass(frozen=True)
class Fts5Backend:
    spec: IndexSpec
    connection: Any
    probe = "EXISTS ({})"  # for walk.py; SQLite runs a correlated EXISTS once per row

    @property
    def table(self) -> str:
        return self.spec.table

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def create(self) -> None:
        columns = ", ".join(self.spec.fields)
        self._run(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} "
            f"USING fts5({columns}, tokenize='{TOKENIZER}')"
        )

    def drop(self) -> None:
        self._run(f"DROP TABLE IF EXISTS {self.table}")

    def write(self, documents: Sequence[Document]) -> None:
        self.delete([doc.id for doc in documents])
        marks = ", ".join(["%s"] * (len(self.spec.fields) + 1))
        sql = f"INSERT INTO {self.table} (rowid, {', '.join(self.spec.fields)}) VALUES ({marks})"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, [(doc.id, *doc.texts) for doc in documents])

    def delete(self, ids: Sequence[int]) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {self.table} WHERE rowid = %s", [(i,) for i in ids])

    def optimize(self) -> None:
        self._run(f"INSERT INTO {self.table} ({self.table}) VALUES ('optimize')")

    def expression(self, terms: Sequence[SearchTerm]) -> str:
        """An FTS5 query: every term a quoted string (so never syntax), all of them required."""
        self.spec.check_fields(terms)
        return " AND ".join(
            f"{{{' '.join(t.fields)}}} : {fts5_string(t.text)}" if t.fields else fts5_string(t.text)
            for t in terms
        )

    def match(self, terms: Sequence[SearchTerm], upto: int | None = None) -> tuple[str, list[Any]]:
        sql = f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s"
        params: list[Any] = [self.expression(terms)]
        if upto is not None:
            sql, params = f"{sql} AND rowid <= %s", [*params, upto]
        return sql, params

    def window(self, terms: Sequence[SearchTerm]) -> tuple[str, list[Any]]:
        """FTS5 reads the matches in rowid order itself and stops at the LIMIT."""
        t = self.table
        return f"SELECT rowid AS id FROM {t} WHERE {t} MATCH %s ORDER BY rowid DESC", [
            self.expression(terms)
        ]

    def contains(self, doc_id: int, terms: Sequence[SearchTerm]) -> bool:
        sql, params = self.match(terms)
        return bool(self._run(f"{sql} AND rowid = %s", [*params, doc_id]))

    def newest(self, terms: Sequence[SearchTerm], gate: QuerySet[Any], limit: int) -> list[int]:
        return walk.newest(self, terms, gate, limit)

    def _among(self, select: str, terms: Sequence[SearchTerm], ids: Sequence[int]) -> Any:
        """Rows for `ids` only: a rowid range FTS5 can seek, then the exact set. (A plain
        `rowid IN (…)` would make FTS5 run the whole query once per id.)"""
        if not ids:
            return []
        return self._run(
            f"SELECT rowid, {select} FROM {self.table} WHERE {self.table} MATCH %s "
            "AND rowid BETWEEN %s AND %s AND +rowid IN (SELECT value FROM json_each(%s))",
            [self.expression(terms), min(ids), max(ids), json.dumps(list(ids))],
        )

    def scores(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, float]:
        weights = ", ".join(str(float(w)) for w in self.spec.weights)
        rows = self._among(f"bm25({self.table}, {weights})", terms, ids)
        return {row[0]: -row[1] for row in rows}  # bm25: lower is better

    def snippets(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, list[str]]:
        parts = ", ".join(
            f"snippet({self.table}, {n}, '{START}', '{END}', '…', {SNIPPET_TOKENS})"
            for n in range(len(self.spec.fields))
        )
        return {row[0]: list(row[1:]) for row in self._among(parts, terms, ids)}
