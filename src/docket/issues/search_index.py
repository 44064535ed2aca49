"""The issue full-text index: one document per issue that is not deleted (title; description;
its comments that are not deleted, minus internal notes, so a note's words never make an issue
findable by someone who may not read the note), kept in step inside the transaction of every write:

- the issue actions record every change as an IssueEvent through one helper, which calls
  `follow_event` (creating, editing the title or description, comments added, edited or
  deleted, deleting and restoring issues);
- the bulk import, which writes its events in bulk, calls `index_new_issues` per batch;
- `rebuild_search_index` (`docket manage rebuild_search_index`) rebuilds it from scratch.

Search backends live in docket.query.search and know nothing of issues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.query.search import Document, IndexedSearch, IndexSpec, SearchBackend, backend_for

ISSUE_INDEX = IndexSpec(
    table="issue_search",
    fields=("title", "description", "comments"),
    weights=(1.0, 0.4, 0.2),
)
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


def index_issues(ids: Collection[int]) -> None:
    """Re-read these issues and (re)index them; deleted or missing ones leave the index.
    Call inside the transaction that changed them."""
    # Lock the issues first: two writers (say, edits of two comments) then take turns, and
    # the second reads what the first committed, so neither overwrites the other's document.
    # (SQLite: no-op, its writers never overlap.)
    list(Issue.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    docs = _load(ids)
    backend = issue_backend()
    gone = set(ids) - {doc.id for doc in docs}
    if gone:
        backend.delete(sorted(gone))
    if docs:
        backend.write(docs)


def unindex_issues(ids: Collection[int]) -> None:
    issue_backend().delete(sorted(ids))


def follow_event(event: IssueEvent) -> None:
    """Bring the issue's document up to date after the change `event` records (the row
    changes are already saved, in the same transaction)."""
    if event.kind == EventKind.DELETED:
        unindex_issues([event.issue_id])
    elif event.kind in REINDEXED_BY or (
        event.kind == EventKind.CHANGED and event.field in TEXT_FIELDS
    ):
        index_issues([event.issue_id])


def index_new_issues(issues: list[Issue], comments: Iterable[tuple[int, str]]) -> None:
    """Bulk-index a batch just created in memory (the import), without reading it back;
    `comments` are (issue id, body) pairs."""
    issue_backend().write(documents(((i.pk, i.title, i.description) for i in issues), comments))


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rebuild_search_index(
    *,
    issue_model: Any = Issue,
    comment_model: Any = Comment,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = REBUILD_BATCH,
) -> int:
    """Drop and rebuild the whole index from the issues and comments. Returns the number of
    issues indexed. The models are parameters so a migration can pass historical ones."""
    backend = issue_backend(connections[using])
    backend.drop()
    backend.create()
    live = issue_model.objects.using(using).filter(deleted_at__isnull=True)
    ids = list(live.order_by("id").values_list("id", flat=True))
    for batch in _batches(ids, batch_size):
        backend.write(_load(batch, issue_model, comment_model, using))
    backend.optimize()
    return len(ids)
