"""SQLite FTS5: one virtual table per index (rowid = document id, one column per field),
Porter stemming over unicode61 with diacritics folded."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Q, QuerySet

from docket.query.search import walk
from docket.query.search.hook import SearchTerm
from docket.query.search.index import Document, IndexSpec, matching_ids
from docket.query.search.marks import END, START
from docket.query.search.terms import fts5_string

TOKENIZER = "porter unicode61 remove_diacritics 2"
WORD = re.compile(r"[^\W_]+")  # what unicode61 counts as a token, near enough
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
        content = f"content='{self.spec.source}', content_rowid='id', " if self.spec.source else ""
        self._run(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} "
            f"USING fts5({columns}, {content}tokenize='{TOKENIZER}')"
        )

    def drop(self) -> None:
        self._run(f"DROP TABLE IF EXISTS {self.table}")

    def write(self, documents: Sequence[Document]) -> None:
        if self.spec.source:
            self.refresh([doc.id for doc in documents])
            return
        self.delete([doc.id for doc in documents])
        marks = ", ".join(["%s"] * (len(self.spec.fields) + 1))
        sql = f"INSERT INTO {self.table} (rowid, {', '.join(self.spec.fields)}) VALUES ({marks})"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, [(doc.id, *doc.texts) for doc in documents])

    def refresh(self, ids: Sequence[int]) -> None:
        """External content: forget what is indexed of these documents, then index what the
        source holds for them now (one INSERT … SELECT for the lot)."""
        if not ids:
            return
        self._forget(ids)
        self.add(ids)

    def add(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        fields = ", ".join(self.spec.fields)
        self._run(
            f"INSERT INTO {self.table} (rowid, {fields}) SELECT id, {fields} "
            f"FROM {self.spec.source} WHERE id IN (SELECT value FROM json_each(%s))",
            [json.dumps(list(ids))],
        )

    def _forget(self, ids: Sequence[int]) -> None:
        """External content: FTS5 removes a document by re-reading the very texts it indexed,
        so these must come from the source *before* it changes. The owner's triggers do that
        for every change of the source (they forget the document first); here, what is still
        indexed is unchanged since it was indexed. A document not indexed (no `_docsize` row)
        is left alone: "deleting" it would corrupt the index."""
        fields = ", ".join(self.spec.fields)
        self._run(
            f"INSERT INTO {self.table} ({self.table}, rowid, {fields}) "
            f"SELECT 'delete', id, {fields} FROM {self.spec.source} "
            f"WHERE id IN (SELECT id FROM {self.table}_docsize "
            "WHERE id IN (SELECT value FROM json_each(%s)))",
            [json.dumps(list(ids))],
        )

    def delete(self, ids: Sequence[int]) -> None:
        if self.spec.source:
            self._forget(ids)
            return
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

    def condition(self, terms: Sequence[SearchTerm]) -> Q:
        return matching_ids(self, terms)

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
        """Relevance from each document alone. FTS5's bm25 is not: its IDF and average length
        count every document of the index, hidden ones included, so its ranks told a reader
        whether documents they may not see contain a word. Here a document gets, for each
        field that alone holds every term, the field's weight times the share of the field
        the terms' words make up (a short title that is all match beats a long one; FTS5
        keeps no per-document term counts that SQL can read cheaply). Ties go to the newest
        (ranking.py). One index lookup per field, and one of the documents' sizes."""
        matched = {
            n: self._holding_all(field, terms, ids) for n, field in enumerate(self.spec.fields)
        }
        sizes = self._sizes(sorted(set().union(*matched.values())))
        words = sum(len(WORD.findall(t.text)) for t in terms)
        found = dict.fromkeys(ids, 0.0)
        for n, weight in enumerate(self.spec.weights):
            for doc_id in matched[n]:
                found[doc_id] += weight * min(1.0, words / max(1, sizes[doc_id][n]))
        return found

    def _holding_all(self, field: str, terms: Sequence[SearchTerm], ids: Sequence[int]) -> set[int]:
        """The documents among `ids` whose `field` alone matches every term."""
        if any(t.fields and field not in t.fields for t in terms):
            return set()  # a term kept out of this field: it cannot hold them all
        return {
            row[0] for row in self._among("1", [replace(t, fields=(field,)) for t in terms], ids)
        }

    def _sizes(self, ids: Sequence[int]) -> dict[int, list[int]]:
        """Each document's field lengths in tokens, as FTS5 keeps them (`<table>_docsize`)."""
        rows = self._run(
            f"SELECT id, sz FROM {self.table}_docsize "
            "WHERE id IN (SELECT value FROM json_each(%s))",
            [json.dumps(list(ids))],
        )
        return {doc_id: _varints(sz) for doc_id, sz in rows}

    def snippets(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, list[str]]:
        parts = ", ".join(
            f"snippet({self.table}, {n}, '{START}', '{END}', '…', {SNIPPET_TOKENS})"
            for n in range(len(self.spec.fields))
        )
        return {row[0]: list(row[1:]) for row in self._among(parts, terms, ids)}


def _varints(blob: bytes) -> list[int]:
    """SQLite varints, as FTS5 writes a row's column sizes: 7 bits a byte, high bit set on
    every byte but the last (sizes never need the 9-byte form)."""
    values, value = [], 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(value)
            value = 0
    return values
