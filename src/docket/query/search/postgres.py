"""PostgreSQL: tsvector columns with GIN indexes, English stemming without stop words (so a
query means the same as on SQLite FTS5: every word counts). ASCII punctuation becomes space
before PostgreSQL's parser sees text or query, so words split as in FTS5: its parser would
otherwise drop <tags> (and all of <script>…</script>) and keep paths, URLs and e-mail
addresses as single tokens (`docket` would not find `src/docket/query`).

Three tables per index, so the hot ones stay narrow (a newest-first walk reads few pages):
`<table>` (id, doc: all fields, weighted A, B, C, D), `<table>_head` (id, doc: the first
field alone, for the "first field hits first" tier) and `<table>_text` (the texts, for
snippets only) — unless the spec names a `source` view, which then stands in for `_text`:
the vectors and the snippets are made from it and no copy of the texts is kept.

With a `partition` (say the project), both vector tables keep that column beside each
document, with a B-tree index, and a query's match is an EXISTS correlated on it: PostgreSQL
then carries the query's own condition on the column (`project = 33`) into the index and
ANDs the two indexes' bitmaps, rather than testing every issue of the project one by one.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Expression, F, Q, QuerySet

from docket.query.search import walk
from docket.query.search.hook import SearchTerm
from docket.query.search.index import Document, IndexSpec, matching_ids
from docket.query.search.marks import END, START

LETTERS = "ABCD"
WORD_TYPES = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
HEADLINE = (
    f"StartSel={START}, StopSel={END}, MaxWords=24, MinWords=8, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)
HEADLINE_CHARS = 3_000  # ts_headline parses all it gets: only the start of long texts
PUNCTUATION = string.punctuation  # ASCII
SPACES = " " * len(PUNCTUATION)
AS_SPACES = str.maketrans(PUNCTUATION, SPACES)
# For snippets: space out what would make tags, paths, URLs or addresses, keeping the text.
PADDED = "regexp_replace(left({f}, {n}), '([<>/\\\\@.:])', ' \\1 ', 'g')"
# Searches are short: starting parallel workers costs more than it saves.
NO_PARALLEL = "WITH (parallel_workers = 0)"
# No GIN pending list: every search would scan it (and the planner would avoid the index).
NO_PENDING = "WITH (fastupdate = off)"
# A term restricted to some fields: every lexeme of its tsquery gets their weight letters.
WEIGHTED = "regexp_replace({q}::text, '(''(?:[^'']|'''')*'')', '\\1:{letters}', 'g')::tsquery"


class PartitionedMatch(Expression):
    """True for a row whose document in `table` matches the tsquery `q` and carries the
    row's own partition value (see the module's docstring)."""

    def __init__(self, table: str, column: str, q: str, params: Sequence[Any]):
        super().__init__(output_field=BooleanField())
        self.table, self.column, self.q, self.params = table, column, q, list(params)
        self.refs: list[Any] = [F("pk"), F(column)]

    def get_source_expressions(self) -> list[Any]:
        return self.refs

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.refs = list(exprs)

    def as_sql(self, compiler: Any, connection: Any, **_: Any) -> tuple[str, list[Any]]:
        (pk, pk_params), (part, part_params) = (compiler.compile(ref) for ref in self.refs)
        sql = (
            f"EXISTS (SELECT 1 FROM {self.table} m WHERE m.id = {pk} "
            f"AND m.{self.column} = {part} AND m.doc @@ ({self.q}))"
        )
        return sql, [*pk_params, *part_params, *self.params]


@dataclass(frozen=True)
class PostgresBackend:
    spec: IndexSpec
    connection: Any
    # For walk.py. OFFSET 0 keeps PostgreSQL from turning the EXISTS into a join or a hashed
    # subplan, both of which read the whole gate: this way it is one index probe per row.
    probe = "EXISTS ({} OFFSET 0)"

    @property
    def table(self) -> str:
        return self.spec.table

    @property
    def vector_tables(self) -> tuple[str, str]:
        """All fields' vectors, and the first field's alone."""
        return self.table, f"{self.table}_head"

    @property
    def config(self) -> str:
        return f"{self.table}_config"

    @property
    def texts(self) -> str:
        """Where the texts are read from: the spec's source view, or the `_text` copy."""
        return self.spec.source or f"{self.table}_text"

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def create(self) -> None:
        t, columns = self.table, ", ".join(f"{f} text NOT NULL" for f in self.spec.fields)
        for sql in (
            f"CREATE TEXT SEARCH DICTIONARY {t}_stem (TEMPLATE = snowball, Language = english)",
            f"CREATE TEXT SEARCH CONFIGURATION {self.config} (COPY = pg_catalog.english)",
            f"ALTER TEXT SEARCH CONFIGURATION {self.config} ALTER MAPPING FOR {WORD_TYPES} "
            f"WITH {t}_stem",
            *(
                []
                if self.spec.source
                else [f"CREATE TABLE {t}_text (id bigint PRIMARY KEY, {columns}) {NO_PARALLEL}"]
            ),
            *(self._vector_table(name) for name in self.vector_tables),
            *self._vector_indexes(),
        ):
            self._run(sql)

    def _vector_table(self, name: str) -> str:
        part = f"{self.spec.partition} bigint NOT NULL, " if self.spec.partition else ""
        columns = f"id bigint PRIMARY KEY, {part}doc tsvector NOT NULL"
        return f"CREATE TABLE {name} ({columns}) {NO_PARALLEL}"

    def _vector_indexes(self) -> list[str]:
        p, sql = self.spec.partition, []
        for table in self.vector_tables:
            sql.append(f"CREATE INDEX {table}_doc ON {table} USING gin (doc) {NO_PENDING}")
            if p:
                sql.append(f"CREATE INDEX {table}_{p} ON {table} ({p})")
        return sql

    def add_partition(self, rows_sql: str) -> None:
        """For an index made before it had its partition: both vector tables rewritten with
        the column, filled from `rows_sql` (SELECT id, partition of every document), and
        their indexes rebuilt. A new table rather than an UPDATE, which would leave a dead
        copy of every row (at 1M issues, 1.1 GB). Does nothing if the column is there."""
        p = self.spec.partition
        present = self._run(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND column_name = %s",
            [self.table, p],
        )
        if present:
            return
        for table in self.vector_tables:
            self._run(f"ALTER TABLE {table} RENAME TO {table}_old")
            self._run(f"ALTER INDEX {table}_pkey RENAME TO {table}_old_pkey")
            self._run(f"DROP INDEX {table}_doc")
            self._run(self._vector_table(table))
            self._run(
                f"INSERT INTO {table} (id, {p}, doc) SELECT o.id, r.{p}, o.doc "
                f"FROM {table}_old o JOIN ({rows_sql}) AS r ON r.id = o.id"
            )
            self._run(f"DROP TABLE {table}_old")
        for sql in self._vector_indexes():
            self._run(sql)
        self.optimize()

    def drop_partition(self) -> None:
        """`add_partition` undone: the vector tables without the column (and its index)."""
        for table in self.vector_tables:
            self._run(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {self.spec.partition}")

    def drop(self) -> None:
        t = self.table
        texts = "" if self.spec.source else f", {t}_text"  # a source view is its owner's
        self._run(f"DROP TABLE IF EXISTS {t}, {t}_head{texts}")
        self._run(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {self.config}")
        self._run(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {t}_stem")

    def write(self, documents: Sequence[Document]) -> None:
        t, fields = self.table, self.spec.fields
        if self.spec.source:
            self.refresh([doc.id for doc in documents])
            return
        marks = ", ".join(["%s"] * (len(fields) + 1))
        updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in fields)
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {t}_text (id, {', '.join(fields)}) VALUES ({marks}) "
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                [(doc.id, *doc.texts) for doc in documents],
            )
        self._vectors([doc.id for doc in documents])

    def refresh(self, ids: Sequence[int]) -> None:
        """With a source view: these documents' vectors made afresh from it; the ones it no
        longer has leave the index."""
        if not ids:
            return
        self._vectors(ids)
        for table in (self.table, f"{self.table}_head"):
            self._run(
                f"DELETE FROM {table} WHERE id = ANY(%s) "
                f"AND id NOT IN (SELECT id FROM {self.texts} WHERE id = ANY(%s))",
                [list(ids), list(ids)],
            )

    def add(self, ids: Sequence[int]) -> None:
        if ids:
            self._vectors(ids)

    def _vectors(self, ids: Sequence[int]) -> None:
        t, fields, words = self.table, self.spec.fields, [PUNCTUATION, SPACES]
        p = self.spec.partition
        part, also = (f"{p}, ", f", {p} = EXCLUDED.{p}") if p else ("", "")
        for table, source in ((t, fields), (f"{t}_head", fields[:1])):
            self._run(
                f"INSERT INTO {table} (id, {part}doc) SELECT id, {part}"
                f"{self.vector_sql(source)} FROM {self.texts} "
                f"WHERE id = ANY(%s) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc{also}",
                [*words * len(source), list(ids)],
            )

    def vector_sql(self, fields: tuple[str, ...]) -> str:
        """The fields' tsvector: weighted A, B, … when there are several; two parameters
        (PUNCTUATION, SPACES) per field."""
        vectors = [f"to_tsvector('{self.config}', translate({f}, %s, %s))" for f in fields]
        if len(vectors) == 1:
            return vectors[0]
        return " || ".join(
            f"setweight({v}, '{letter}')" for v, letter in zip(vectors, LETTERS, strict=False)
        )

    def delete(self, ids: Sequence[int]) -> None:
        tables = (self.table, f"{self.table}_head")
        for table in tables if self.spec.source else (*tables, f"{self.table}_text"):
            self._run(f"DELETE FROM {table} WHERE id = ANY(%s)", [list(ids)])

    def optimize(self) -> None:
        self._run(f"ANALYZE {self.table}, {self.table}_head")

    def tsquery(self, terms: Sequence[SearchTerm], head: bool = False) -> tuple[str, list[Any]]:
        """All terms ANDed, each through `phraseto_tsquery` as a parameter (never syntax)."""
        self.spec.check_fields(terms)
        parts = [self._term(t, head) for t in terms]
        return " && ".join(parts), [t.text.translate(AS_SPACES) for t in terms]

    def _term(self, term: SearchTerm, head: bool) -> str:
        q = f"phraseto_tsquery('{self.config}', %s)"
        if head or not term.fields:
            return q
        letters = "".join(LETTERS[self.spec.fields.index(f)] for f in term.fields)
        return WEIGHTED.format(q=q, letters=letters)

    def _source(self, terms: Sequence[SearchTerm]) -> tuple[str, str, list[Any]]:
        """The table to search (the narrow head table when every term is limited to the first
        field) and the tsquery for it."""
        head = all(t.fields == self.spec.fields[:1] for t in terms)
        q, params = self.tsquery(terms, head)
        return (f"{self.table}_head" if head else self.table), q, params

    def match(self, terms: Sequence[SearchTerm], upto: int | None = None) -> tuple[str, list[Any]]:
        table, q, params = self._source(terms)
        sql = f"SELECT id FROM {table} WHERE doc @@ ({q})"
        if upto is not None:
            sql, params = f"{sql} AND id <= %s", [*params, upto]
        return sql, params

    def condition(self, terms: Sequence[SearchTerm]) -> Q:
        if not self.spec.partition:
            return matching_ids(self, terms)
        table, q, params = self._source(terms)
        return Q(PartitionedMatch(table, self.spec.partition, q, params))

    def window(self, terms: Sequence[SearchTerm]) -> tuple[str, list[Any]]:
        """The planner walks the primary key backwards (common words) or sorts what the GIN
        index finds (rare words)."""
        sql, params = self.match(terms)
        return f"{sql} ORDER BY id DESC", params

    def contains(self, doc_id: int, terms: Sequence[SearchTerm]) -> bool:
        sql, params = self.match(terms)
        return bool(self._run(f"{sql} AND id = %s", [*params, doc_id]))

    def newest(self, terms: Sequence[SearchTerm], gate: QuerySet[Any], limit: int) -> list[int]:
        return walk.newest(self, terms, gate, limit)

    def scores(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, float]:
        q, params = self.tsquery(terms)
        top = max(self.spec.weights)
        weights = [w / top for w in self.spec.weights] + [0.0] * (4 - len(self.spec.weights))
        array = "{" + ",".join(str(w) for w in reversed(weights)) + "}"  # order: D, C, B, A
        rows = self._run(
            f"SELECT id, ts_rank('{array}'::float4[], doc, ({q})) FROM {self.table} "
            "WHERE id = ANY(%s)",
            [*params, list(ids)],
        )
        return {row[0]: float(row[1]) for row in rows}

    def snippets(self, terms: Sequence[SearchTerm], ids: Sequence[int]) -> dict[int, list[str]]:
        q, params = self.tsquery(terms)
        parts = ", ".join(
            f"ts_headline('{self.config}', {PADDED.format(f=f, n=HEADLINE_CHARS)}, ({q}), %s)"
            for f in self.spec.fields
        )
        rows = self._run(
            f"SELECT id, {parts} FROM {self.texts} WHERE id = ANY(%s)",
            [*([*params, HEADLINE] * len(self.spec.fields)), list(ids)],
        )
        return {row[0]: list(row[1:]) for row in rows}
