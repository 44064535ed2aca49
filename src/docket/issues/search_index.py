"""The issue full-text index: one document per issue that is not deleted (title; description;
its comments that are not deleted, minus internal notes, so a note's words never make an issue
findable by someone who may not read the note), kept in step inside the transaction of every write:

- the issue actions record every change as an IssueEvent through one helper, which calls
  `follow_event` (creating, editing the title or description, comments added, edited or
  deleted, deleting and restoring issues);
- the bulk import, which writes its events in bulk, calls `index_new_issues` per batch;
- `rebuild_search_index` (`docket manage rebuild_search_index`) rebuilds it from scratch.

The index keeps no copy of the texts (issue 20: the copy was ~825 bytes an issue, a sixth of
the database): they are read from the view `issue_search_text` (id, title, description,
comments), which is what a document is, in SQL. SQLite's FTS5 index is an external-content
table over that view; FTS5 forgets a document by re-reading the texts it indexed, so triggers
on issues and comments forget a document *before* its texts change (`SQLITE_TRIGGERS`), and
the writer re-indexes it after the change (`index_issues`, through `follow_event`), in the same
transaction. A document is thus indexed only while it matches the view. PostgreSQL keeps its
tsvectors and makes them, and the snippets, from the same view; beside each tsvector it keeps
the issue's project, so `project:X word` reads X's part of the index alone (at 1M
issues, counting one project's matches of a common word probed all 23,000 of its issues).

Search backends live in docket.query.search and know nothing of issues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.query.search import Document, IndexedSearch, IndexSpec, SearchBackend, backend_for
from docket.query.search.postgres import PostgresBackend

SOURCE = "issue_search_text"
ISSUE_INDEX = IndexSpec(
    table="issue_search",
    fields=("title", "description", "comments"),
    weights=(1.0, 0.4, 0.2),
    source=SOURCE,
    partition="project_id",  # `project:X word` searches X's part of the index
)
# The index as it was before migration 0020 (a copy of every text in the index's own table):
# migration 0003 builds this one, on a schema that has no `internal` comments yet.
STORED_INDEX = IndexSpec(
    table=ISSUE_INDEX.table, fields=ISSUE_INDEX.fields, weights=ISSUE_INDEX.weights
)
# One document: what `documents` builds, in SQL. Comments in id order, as `_load` reads them.
_COMMENTS = {
    "sqlite": "coalesce((SELECT group_concat(body, char(10) || char(10)) FROM (SELECT c.body "
    "AS body FROM issues_comment c WHERE c.issue_id = i.id AND c.deleted_at IS NULL "
    "AND NOT c.internal ORDER BY c.id)), '')",
    "postgresql": "coalesce((SELECT string_agg(c.body, E'\\n\\n' ORDER BY c.id) "
    "FROM issues_comment c WHERE c.issue_id = i.id AND c.deleted_at IS NULL "
    "AND NOT c.internal), '')",
}
SOURCE_VIEW = (
    "CREATE VIEW {source} AS SELECT i.id AS id, i.title AS title, "
    "i.description AS description, {comments} AS comments, i.project_id AS project_id "
    "FROM issues_issue i WHERE i.deleted_at IS NULL"
)
# FTS5 external content: forget a document while the view still shows what was indexed.
_FORGET = (
    "INSERT INTO issue_search (issue_search, rowid, title, description, comments) "
    "SELECT 'delete', id, title, description, comments FROM issue_search_text WHERE id = {id} "
    "AND id IN (SELECT id FROM issue_search_docsize WHERE id = {id});"
)
SQLITE_TRIGGERS = {
    "issue_search_issue_update": (
        "BEFORE UPDATE OF title, description, deleted_at ON issues_issue "
        "WHEN old.title IS NOT new.title OR old.description IS NOT new.description "
        "OR old.deleted_at IS NOT new.deleted_at",
        [_FORGET.format(id="old.id")],
    ),
    "issue_search_issue_delete": (
        "BEFORE DELETE ON issues_issue",
        [_FORGET.format(id="old.id")],
    ),
    "issue_search_comment_insert": (
        "BEFORE INSERT ON issues_comment WHEN new.deleted_at IS NULL AND NOT new.internal",
        [_FORGET.format(id="new.issue_id")],
    ),
    "issue_search_comment_update": (
        "BEFORE UPDATE OF body, deleted_at, internal, issue_id ON issues_comment "
        "WHEN old.body IS NOT new.body OR old.deleted_at IS NOT new.deleted_at "
        "OR old.internal IS NOT new.internal OR old.issue_id IS NOT new.issue_id",
        [_FORGET.format(id="old.issue_id"), _FORGET.format(id="new.issue_id")],
    ),
    "issue_search_comment_delete": (
        "BEFORE DELETE ON issues_comment WHEN old.deleted_at IS NULL AND NOT old.internal",
        [_FORGET.format(id="old.issue_id")],
    ),
}
ISSUE_TEXT = IndexedSearch(ISSUE_INDEX)  # the query language's text search for issues
COMMENT_SEPARATOR = "\n\n"
REBUILD_BATCH = 2000
REINDEXED_BY = {
    EventKind.CREATED,
    EventKind.RESTORED,
    EventKind.COMMENTED,
    EventKind.COMMENT_EDITED,
    EventKind.COMMENT_DELETED,
}
TEXT_FIELDS = {"title", "description"}


def issue_backend(connection: Any = None) -> SearchBackend:
    return backend_for(ISSUE_INDEX, connection)


def documents(
    issues: Iterable[tuple[int, str, str]], comments: Iterable[tuple[int, str]]
) -> list[Document]:
    """Documents from (id, title, description) and (issue id, body) rows, comments in order."""
    bodies: dict[int, list[str]] = defaultdict(list)
    for issue_id, body in comments:
        bodies[issue_id].append(body)
    return [
        Document(pk, (title, description, COMMENT_SEPARATOR.join(bodies.get(pk, []))))
        for pk, title, description in issues
    ]


def _load(
    ids: Collection[int],
    issue_model: Any = Issue,
    comment_model: Any = Comment,
    using: str = DEFAULT_DB_ALIAS,
) -> list[Document]:
    rows = issue_model.objects.using(using).filter(pk__in=ids, deleted_at__isnull=True)
    comments = comment_model.objects.using(using).filter(
        issue_id__in=ids, deleted_at__isnull=True, internal=False
    )  # one document is read by everyone who may see the issue: internal notes stay out
    return documents(
        rows.values_list("id", "title", "description"),
        comments.order_by("issue_id", "id").values_list("issue_id", "body"),
    )


def create_index(connection: Any) -> None:
    """The view, the index over it and (SQLite) the triggers that keep them in step."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute(SOURCE_VIEW.format(source=SOURCE, comments=_COMMENTS[vendor]))
    issue_backend(connection).create()
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            for name, (when, body) in SQLITE_TRIGGERS.items():
                cursor.execute(f"CREATE TRIGGER {name} {when} BEGIN {' '.join(body)} END")


def drop_index(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        issue_backend(connection).drop()
        cursor.execute(f"DROP VIEW IF EXISTS {SOURCE}")


# The migration that made the index read the view: from it on, the view and triggers exist.
VIEW_MIGRATION = ("issues", "0020_drop_covered_fk_indexes")


def _view_migrated(connection: Any) -> bool:
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and VIEW_MIGRATION in recorder.applied_migrations()


def _postgres_backend(connection: Any) -> PostgresBackend | None:
    backend = backend_for(ISSUE_INDEX, connection)
    return backend if isinstance(backend, PostgresBackend) else None


def add_project_to_index(connection: Any) -> None:
    """Migration 0022: PostgreSQL's vector tables get the issue's project (see above)."""
    if backend := _postgres_backend(connection):
        backend.add_partition("SELECT id, project_id FROM issues_issue WHERE deleted_at IS NULL")


def remove_project_from_index(connection: Any) -> None:
    """Migration 0022 undone: the vector tables as the code before it writes them."""
    if backend := _postgres_backend(connection):
        backend.drop_partition()


def drop_view_and_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP VIEW IF EXISTS {SOURCE}")


def before_migrate(using: str = DEFAULT_DB_ALIAS, plan: Any = None, **_: Any) -> None:
    """`pre_migrate`: the view and triggers leave while migrations run. SQLite copies a table
    to alter it and refuses the rename while a view names the table; PostgreSQL refuses to
    change the type of a column a view reads. The texts do not change meanwhile (a data
    migration that edits them must re-index what it edits), so nothing is missed."""
    connection = connections[using]
    if plan and connection.vendor in ("sqlite", "postgresql") and _view_migrated(connection):
        drop_view_and_triggers(connection)


def after_migrate(using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """`post_migrate`: the view and triggers back, once migration 0020 is applied."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql") or not _view_migrated(connection):
        return
    vendor = connection.vendor
    view = SOURCE_VIEW.format(source=SOURCE, comments=_COMMENTS[vendor])
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(view.replace("CREATE VIEW", "CREATE VIEW IF NOT EXISTS", 1))
            for name, (when, body) in SQLITE_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN {' '.join(body)} END"
                )
        else:
            cursor.execute(view.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))


def index_issues(ids: Collection[int]) -> None:
    """Re-read these issues and (re)index them; deleted or missing ones leave the index.
    Call inside the transaction that changed them."""
    # Lock the issues first: two writers (say, edits of two comments) then take turns, and
    # the second reads what the first committed, so neither overwrites the other's document.
    # (SQLite: no-op, its writers never overlap.)
    if connection.vendor != "sqlite":
        list(Issue.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    issue_backend().refresh(sorted(ids))


def unindex_issues(ids: Collection[int]) -> None:
    issue_backend().delete(sorted(ids))


def follow_event(event: IssueEvent) -> None:
    """Bring the issue's document up to date after the change `event` records (the row
    changes are already saved, in the same transaction)."""
    if event.kind == EventKind.DELETED:
        unindex_issues([event.issue_id])
    elif event.kind == EventKind.CREATED:  # a new row: no lock to take, nothing indexed yet
        issue_backend().add([event.issue_id])
    elif event.kind in REINDEXED_BY or (
        event.kind == EventKind.CHANGED and event.field in TEXT_FIELDS
    ):
        index_issues([event.issue_id])


def index_new_issues(issues: list[Issue]) -> None:
    """Index a batch of issues just created, with their comments (the import): the index
    reads their texts from the view, and none of them can be indexed already."""
    issue_backend().add([issue.pk for issue in issues])


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rebuild_search_index(
    *,
    issue_model: Any = Issue,
    comment_model: Any = Comment,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = REBUILD_BATCH,
    spec: IndexSpec = ISSUE_INDEX,
) -> int:
    """Drop and rebuild the whole index from the issues and comments. Returns the number of
    issues indexed. The models are parameters so a migration can pass historical ones;
    `spec`: STORED_INDEX for migration 0003 (the schema has no view yet)."""
    connection = connections[using]
    backend = backend_for(spec, connection)
    if spec.source:
        drop_index(connection)
        create_index(connection)
    else:
        backend.drop()
        backend.create()
    live = issue_model.objects.using(using).filter(deleted_at__isnull=True)
    ids = list(live.order_by("id").values_list("id", flat=True))
    for batch in _batches(ids, batch_size):
        if spec.source:
            backend.refresh(batch)
        else:
            backend.write(_load(batch, issue_model, comment_model, using))
    backend.optimize()
    return len(ids)
