"""The bulk import action: many issues (with comments) in one transaction, with full history.

It follows the same rules as `create_issue` and `add_comment` (validation, numbering, one
`created` event per issue and one `commented` event per comment) but writes in bulk, so
loading a large tracker takes seconds, not hours. Importers may set the reporter, comment
authors and timestamps; nobody else can.

The rows skip the ORM (issue 20): ids are reserved from the tables' sequences up front, and
issues, comments, events, watchers, labels and the memory of the source go in by COPY FROM
STDIN on PostgreSQL and INSERTs of hundreds of rows each on SQLite
(`core.bulk.write_rows`), all in the batch's transaction.

`import_new_issues` also remembers where each issue came from (`ImportedRecord`: source,
kind, the record's id in the source → the new row) in the batch's own transaction, and skips
the records that source already brought in: a re-run after a crash, or of the same file,
imports only what is missing, and no issue twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, transaction

from docket.accounts.actor import Actor, Who
from docket.accounts.models import Team, User
from docket.core.bulk import (
    collector_paused,
    column_adapters,
    datetime_adapter,
    instance_maker,
    postgres,
    reserve_ids,
    unprepared,
    values_of,
    write_rows,
)
from docket.core.clock import now
from docket.core.errors import Invalid
from docket.issues import events as history
from docket.issues import search_index
from docket.issues.actions import allocate_numbers
from docket.issues.events import NewEvent
from docket.issues.fields import EDITABLE_FIELDS, FIELDS, MAX_COMMENT, clean_text, snapshot
from docket.issues.models import (
    Comment,
    EventKind,
    ImportedRecord,
    Issue,
    IssueEvent,
    Label,
    Watch,
)
from docket.issues.relations import (
    initial_state,
    no_such,
    not_assignable,
    parent_named,
    team_named,
    unknown_state,
)
from docket.issues.status_rules import opening_resolution
from docket.projects.access import ASSIGNABLE_ROLES, Perm, load_roles, require, role_in
from docket.projects.models import Component, Milestone, Project, WorkflowState

# Besides the editable fields: who filed it and when, its comments, and its history (events
# other than the comments' own, as an export writes them: transfer/export.py).
IMPORT_ONLY_FIELDS = ("reporter", "created_at", "updated_at", "resolved_at", "comments", "history")
# History that names no comment: comments bring their own `commented` events.
HISTORY_KINDS = frozenset(EventKind.values) - {
    EventKind.COMMENTED,
    EventKind.COMMENT_EDITED,
    EventKind.COMMENT_DELETED,
}
# An export's custom field values are accepted and not imported: the target project's custom
# fields (names, types, options) need not match the source's.
RECORD_FIELDS = frozenset((*EDITABLE_FIELDS, *IMPORT_ONLY_FIELDS, "custom_fields"))
# Ids per lookup query: SQLite allows 32,766 parameters in one statement.
LOOKUP_CHUNK = 5000


def _time(value: Any, field: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid.field(field, "must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise Invalid.field(field, "must include a time zone offset")
    return moment


class _Lookups:
    """The field table's `Relations` for a whole batch: everything it names, fetched once.
    Names resolve exactly as in `create_issue`, with the same errors."""

    def __init__(self, project: Project, records: list[Any]):
        self.project = project
        states = WorkflowState.objects.filter(workflow_id=project.workflow_id)
        self.states = {s.name.lower(): s for s in states}
        self.initial = initial_state(project)
        # What a record that leaves these out gets: the table's defaults, as create_issue.
        self.defaults = {
            name: FIELDS[name].to_stored(FIELDS[name].default, self)
            for name in ("description", "type", "severity", "priority", "confidential")
        }
        dicts = [r for r in records if isinstance(r, dict)]
        names = {r.get("reporter") for r in dicts} | {r.get("assignee") for r in dicts}
        names |= {c.get("author") for r in dicts for c in _comment_list(r) if isinstance(c, dict)}
        names |= {e.get("actor") for r in dicts for e in _history_list(r) if isinstance(e, dict)}
        wanted = {n for n in names if isinstance(n, str)}
        self.users = {u.username: u for u in User.objects.filter(username__in=wanted)}
        # The assignees' roles: two queries for the batch, not one per person.
        assigned = {a for r in dicts if isinstance(a := r.get("assignee"), str)}
        self.actors = {u.pk: Actor(u) for n, u in self.users.items() if n in assigned}
        load_roles(self.actors.values())
        self.label_rows = {label.name: label for label in Label.objects.filter(project=project)}
        self.component_rows = {c.name: c for c in Component.objects.filter(project=project)}
        self.milestone_rows = {m.name: m for m in Milestone.objects.filter(project=project)}
        self.team_rows: dict[str, Team] = {}  # looked up on first use (a few per batch)
        self.new_issue = instance_maker(Issue)

    def state(self, name: str, field: str) -> WorkflowState:
        state = self.states.get(name.lower())
        if state is None:
            raise unknown_state(field, list(self.states))
        return state

    def assignee(self, username: str) -> User:
        user = self.users.get(username)
        if user is None or not user.is_active or self._role(user) not in ASSIGNABLE_ROLES:
            raise not_assignable(username, self.project)
        return user

    def _role(self, user: User) -> str | None:
        """`user`'s role in the project, their roles loaded once per batch."""
        actor = self.actors.setdefault(user.pk, Actor(user))
        return role_in(actor, self.project)

    def labels(self, names: list[str]) -> list[Label]:
        """Known labels, and new ones, unsaved and one per name, which `save_new_labels`
        creates."""
        found = []
        for name in names:
            label = self.label_rows.get(name)
            if label is None:
                label = self.label_rows[name] = Label(project=self.project, name=name)
            found.append(label)
        return found

    def components(self, names: list[str]) -> list[Component]:
        return [self._named("components", self.component_rows, n) for n in names]

    def milestone(self, name: str) -> Milestone:
        milestone: Milestone = self._named("milestone", self.milestone_rows, name)
        return milestone

    def parent(self, key: str) -> Issue:
        return parent_named(self.project, key)

    def team(self, slug: str) -> Team:
        if slug not in self.team_rows:
            self.team_rows[slug] = team_named(slug)
        return self.team_rows[slug]

    def _named(self, field: str, table: dict[str, Any], name: str) -> Any:
        if name not in table:
            raise no_such(field, name, self.project)
        return table[name]

    def user(self, field: str, username: Any) -> User:
        user = self.users.get(username) if isinstance(username, str) else None
        if user is None:
            raise Invalid.field(field, f"no user {username!r}")
        return user

    def save_new_labels(self, built: list[_Built]) -> None:
        """Create the labels first used in this batch (labels are created on first use)."""
        new = [label for label in self.label_rows.values() if label.pk is None]
        for label in Label.objects.bulk_create(new):
            self.label_rows[label.name] = label
        for b in built:
            b.labels = [self.label_rows[lb.name] for lb in b.labels]


def _comment_list(record: dict[str, Any]) -> list[Any]:
    comments = record.get("comments", [])
    return comments if isinstance(comments, list) else []


def _history_list(record: dict[str, Any]) -> list[Any]:
    history = record.get("history", [])
    return history if isinstance(history, list) else []


@dataclass
class _Built:
    issue: Issue
    labels: list[Label]
    components: list[Component]
    comments: list[_NewComment]
    history: list[_PastEvent]


@dataclass
class _PastEvent:
    """One event of an imported history: its original actor, time and version."""

    actor_id: int | None
    kind: str
    version: int
    created_at: dt.datetime
    field: str
    old: Any
    new: Any


def _build(record: Any, look: _Lookups, moment: dt.datetime) -> _Built:
    """One record checked by the field table exactly as `create_issue` checks its input."""
    if not isinstance(record, dict):
        raise Invalid("each issue must be a JSON object")
    unknown = set(record) - RECORD_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "is not an importable field")
    if "title" not in record:
        raise Invalid.field("title", "is required")
    given = {name: record[name] for name in EDITABLE_FIELDS if name in record}
    values = {name: FIELDS[name].to_stored(value, look) for name, value in given.items()}
    values.update({name: v for name, v in look.defaults.items() if name not in values})
    status = values.pop("status", None) or look.initial
    labels, components = values.pop("labels", []), values.pop("components", [])
    values["resolution"] = opening_resolution(status, values.get("resolution", ""))
    created = _time(record["created_at"], "created_at") if "created_at" in record else moment
    issue = look.new_issue(
        {
            **values,
            "project": look.project,
            "status": status,
            "reporter": look.user("reporter", record.get("reporter")),
            "created_at": created,
            "updated_at": _time(record["updated_at"], "updated_at")
            if "updated_at" in record
            else created,
            "resolved_at": _resolved_at(record, created) if status.is_done else None,
        }
    )
    history = _history_of(record, look)
    issue.version = max((event.version for event in history), default=1)
    return _Built(issue, labels, components, _comments_of(record, issue, look), history)


def _resolved_at(record: dict[str, Any], created: dt.datetime) -> dt.datetime:
    """When a done issue was resolved: as given, else when it was created."""
    given = record.get("resolved_at")
    return created if given is None else _time(given, "resolved_at")


def _history_of(record: dict[str, Any], look: _Lookups) -> list[_PastEvent]:
    """The record's `history`: events as an export writes them (kind, actor, at, version,
    field, old, new), kept with their original actor, time and version."""
    history = record.get("history", [])
    if not isinstance(history, list):
        raise Invalid.field("history", "must be a list of events")
    found = []
    for item in history:
        if not isinstance(item, dict):
            raise Invalid.field("history", "each event must be an object")
        kind = item.get("kind")
        if kind not in HISTORY_KINDS:
            raise Invalid.field(
                "history.kind", f"must be one of: {', '.join(sorted(HISTORY_KINDS))}"
            )
        version = item.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise Invalid.field("history.version", "must be a positive integer")
        field = item.get("field") or ""
        if not isinstance(field, str) or len(field) > 30:
            raise Invalid.field("history.field", "must be a field name")
        actor = item.get("actor")
        actor_id = None if actor is None else look.user("history.actor", actor).pk
        at = _time(item.get("at"), "history.at")
        found.append(
            _PastEvent(actor_id, kind, version, at, field, item.get("old"), item.get("new"))
        )
    return found


def _comments_of(record: dict[str, Any], issue: Issue, look: _Lookups) -> list[_NewComment]:
    comments = record.get("comments", [])
    if not isinstance(comments, list):
        raise Invalid.field("comments", "must be a list of comments")
    found = []
    for item in comments:
        if not isinstance(item, dict):
            raise Invalid.field("comments", "each comment must be an object")
        at = (
            _time(item["created_at"], "comments.created_at")
            if "created_at" in item
            else issue.created_at
        )
        author = look.user("comments.author", item.get("author"))
        body = clean_text("comments.body", item.get("body"), max_length=MAX_COMMENT, required=True)
        found.append(_NewComment(0, author.pk, body, at))
    return found


@transaction.atomic
def import_issues(
    *,
    actor: Who,
    project: Project,
    records: list[dict[str, Any]],
    where: Sequence[str] | None = None,
) -> list[Issue]:
    """Create `records` as issues of `project`; all or nothing. Returns the new issues.
    An error names the record by `where` (e.g. "line 12" of a file), else "record N"."""
    require(actor, project, Perm.MANAGE_PROJECT)
    with collector_paused(), unprepared():
        return _import_checked(actor, project, records, where)


def _import_checked(
    actor: Who, project: Project, records: list[dict[str, Any]], where: Sequence[str] | None
) -> list[Issue]:
    look, moment = _Lookups(project, records), now()
    built = []
    for index, record in enumerate(records):
        try:
            built.append(_build(record, look, moment))
        except Invalid as exc:
            place = where[index] if where else f"record {index + 1}"
            raise Invalid(f"{place}: {exc.detail}", errors=exc.errors) from None
    look.save_new_labels(built)
    first = allocate_numbers(project, len(built))
    # Ids from the table's sequence up front: the rows then go in by COPY (PostgreSQL) or
    # multi-row INSERTs (SQLite), and nothing is read back.
    ids = reserve_ids(Issue, len(built))
    for offset, (item, pk) in enumerate(zip(built, ids, strict=True)):
        item.issue.number = first + offset
        item.issue.pk = pk
        item.issue._state.adding = False  # saved, as bulk_create leaves them
        item.issue._state.db = DEFAULT_DB_ALIAS
    issues = [item.issue for item in built]
    _insert_issues(issues)
    _link(built)
    _watchers(built)
    comments = _insert_comments(built)
    _events(built, comments, actor)
    # full-text index, same transaction
    with _gin_pending_list(search_index.ISSUE_INDEX.table):
        search_index.index_new_issues(issues)
    return issues


@contextmanager
def _gin_pending_list(table: str) -> Iterator[None]:
    """PostgreSQL: the index's GIN indexes take the batch through their pending list, then
    merge it in one sorted pass (`gin_clean_pending_list`) before the batch commits, instead
    of one posting-tree insert per word of every document (measured on 1,000 issues: 1.09 s
    -> 0.17 s). They are built without a pending list (`fastupdate = off`, so searches never
    scan one): this turns it on for the batch's transaction only (the ALTER commits or rolls
    back with the batch; it locks the index, so searches wait for the batch) and empties
    it again before the end."""
    if not postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gin' AND 'fastupdate=off' = "
            "ANY(c.reloptions) AND i.indrelid IN (SELECT oid FROM pg_class WHERE relname IN "
            "(%s, %s) AND relkind = 'r' AND pg_table_is_visible(oid))",
            [table, f"{table}_head"],
        )
        names = [row[0] for row in cursor.fetchall()]  # from the catalogue, quoted by it
        for name in names:
            cursor.execute(f"ALTER INDEX {name} SET (fastupdate = on)")
    yield
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
            cursor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")


def _insert_issues(issues: list[Issue]) -> None:
    columns = column_adapters(Issue)
    rows = [values_of(issue, columns) for issue in issues]
    write_rows(Issue._meta.db_table, [column for _, column, _ in columns], rows)


@dataclass(frozen=True)
class Origin:
    """Where a batch of records comes from: the source's name (cli/importfile.py says how it
    is chosen) and each record's id in that source, in the records' order."""

    source: str
    ids: Sequence[str]


@dataclass
class Imported:
    issues: list[Issue]
    skipped: list[int]  # positions of the records this source had already brought in


@transaction.atomic
def import_new_issues(
    *,
    actor: Who,
    project: Project,
    records: list[dict[str, Any]],
    origin: Origin,
    where: Sequence[str] | None = None,
) -> Imported:
    """`import_issues` for the records `origin.source` has not brought in yet (an id seen
    twice counts once); remembers the new ones in the same transaction, so a batch's issues
    and the memory of them commit (or vanish) together."""
    require(actor, project, Perm.MANAGE_PROJECT)
    # Lock the project row first, so a concurrent import of the same source into this
    # project waits here and then sees what this one remembered (SQLite's IMMEDIATE
    # transactions serialise writers anyway).
    Project.objects.select_for_update().filter(pk=project.pk).exists()
    fresh, skipped = _split_known(origin)
    if not fresh:
        return Imported([], skipped)
    places = [where[i] if where else f"record {i + 1}" for i in fresh]
    issues = import_issues(
        actor=actor, project=project, records=[records[i] for i in fresh], where=places
    )
    pairs = [(origin.ids[i], issue.pk) for i, issue in zip(fresh, issues, strict=True)]
    remember(origin.source, ImportedRecord.Kind.ISSUE, pairs)
    return Imported(issues, skipped)


def _split_known(origin: Origin) -> tuple[list[int], list[int]]:
    """Positions of the ids to import and of those to skip: one query for the batch."""
    seen = set(known_ids(origin.source, ImportedRecord.Kind.ISSUE, origin.ids))
    fresh: list[int] = []
    skipped: list[int] = []
    for position, source_id in enumerate(origin.ids):
        (skipped if source_id in seen else fresh).append(position)
        seen.add(source_id)
    return fresh, skipped


def known_ids(source: str, kind: str, ids: Sequence[str]) -> dict[str, int]:
    """Which of `ids` `source` already brought in, with the local id each became: one query
    for up to `LOOKUP_CHUNK` ids (a batch), so the check costs per batch, not per record."""
    wanted, found = sorted(set(ids)), dict[str, int]()
    with unprepared():  # one source's records grow with every batch: a kept plan goes stale
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            rows = ImportedRecord.objects.filter(source=source, kind=kind, source_id__in=chunk)
            found.update(rows.values_list("source_id", "local_id"))
    return found


def remember(source: str, kind: str, pairs: Sequence[tuple[str, int]]) -> None:
    """Record that `source`'s records (id, local id) are here. Call in the transaction that
    created the rows; the unique (source, kind, id) refuses a second memory of one record."""
    write_rows(
        ImportedRecord._meta.db_table,
        ["source", "kind", "source_id", "local_id"],
        [(source, kind, source_id, local) for source_id, local in pairs],
    )


def _events(built: list[_Built], comments: list[_NewComment], actor: Who) -> None:
    """One `created` event per issue (its snapshot, as `create_issue` records it) and one
    `commented` event per comment; or, for a record with a history, that history (its
    `created` event marked as imported) and the comments' events."""
    events = []
    for item in built:
        if item.history:
            events += _past_events(item, actor)
            continue
        events.append(
            NewEvent(
                issue_id=item.issue.pk,
                actor_id=item.issue.reporter_id,
                kind=EventKind.CREATED,
                version=1,
                created_at=item.issue.created_at,
                new={**_snapshot(item), "imported_by": actor.username},
            )
        )
    events += [
        NewEvent(
            issue_id=c.issue_id,
            actor_id=c.author_id,
            kind=EventKind.COMMENTED,
            version=1,
            created_at=c.created_at,
            new=c.body,
            comment_id=c.pk,
        )
        for c in comments
    ]
    write_events(events)


def write_events(events: Sequence[NewEvent]) -> None:
    """`events.record_bulk` for a bulk load: the same rows (JSON values as text, None as
    SQL NULL), by COPY on PostgreSQL. The caller indexes the text itself."""
    if not events:
        return
    at = datetime_adapter()
    dumps = json.dumps
    write_rows(
        IssueEvent._meta.db_table,
        history.EVENT_COLUMNS,
        [
            (
                e.issue_id,
                e.actor_id,
                e.kind,
                e.field,
                None if e.old is None else dumps(e.old),
                None if e.new is None else dumps(e.new),
                e.comment_id,
                e.version,
                at(e.created_at),
            )
            for e in events
        ],
    )
    history.announce_on_commit()  # the events' one signal, as record_bulk sends it


def _past_events(item: _Built, actor: Who) -> list[NewEvent]:
    marked = {"imported_by": actor.username}
    return [
        NewEvent(
            issue_id=item.issue.pk,
            actor_id=past.actor_id,
            kind=past.kind,
            version=past.version,
            created_at=past.created_at,
            field=past.field,
            old=past.old,
            new={**past.new, **marked}
            if past.kind == EventKind.CREATED and isinstance(past.new, dict)
            else past.new,
        )
        for past in item.history
    ]


def _snapshot(item: _Built) -> dict[str, Any]:
    names = {
        "labels": sorted(lb.name for lb in item.labels),
        "components": sorted(c.name for c in item.components),
    }
    return snapshot(item.issue, names)


def _link(built: list[_Built]) -> None:
    label_rows = [(b.issue.pk, label.pk) for b in built for label in b.labels]
    component_rows = [(b.issue.pk, comp.pk) for b in built for comp in b.components]
    write_rows(Issue.labels.through._meta.db_table, ["issue_id", "label_id"], label_rows)
    write_rows(
        Issue.components.through._meta.db_table, ["issue_id", "component_id"], component_rows
    )


def _watchers(built: list[_Built]) -> None:
    """The reporter and the assignee follow each issue, as with `create_issue`."""
    adapt = datetime_adapter()
    rows = []
    for b in built:
        at = adapt(b.issue.created_at)
        people = {b.issue.reporter_id, b.issue.assignee_id} - {None}
        rows += [(b.issue.pk, person, at) for person in people]
    write_rows(Watch._meta.db_table, ["issue_id", "user_id", "created_at"], rows)


@dataclass
class _NewComment:
    issue_id: int
    author_id: int
    body: str
    created_at: dt.datetime
    pk: int = 0


def _insert_comments(built: list[_Built]) -> list[_NewComment]:
    """Insert the batch's comments and return them with their issue and new ids (reserved
    up front, in order: an issue's comments ascend as they were written)."""
    rows = []
    for item in built:
        for comment in item.comments:
            comment.issue_id = item.issue.pk
            rows.append(comment)
    for comment, pk in zip(rows, reserve_ids(Comment, len(rows)), strict=True):
        comment.pk = pk
    adapt = datetime_adapter()
    write_rows(
        Comment._meta.db_table,
        ["id", "issue_id", "author_id", "body", "created_at", "updated_at", "internal"],
        [
            (c.pk, c.issue_id, c.author_id, c.body, at, at, False)
            for c in rows
            for at in (adapt(c.created_at),)
        ],
    )
    return rows
