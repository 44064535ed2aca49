"""The one loader behind every format: converted rows → issues, through the issues app's bulk
import action (`issues.imports.import_new_issues`), which checks each record as
`create_issue` does and records its `created` and `commented` events with the original
authors and times. This adds what other trackers bring: their people (people.py), their
workflow's states (mapped onto the project's), their history (one `changed` event per past
change, by its original actor at its original time) and updates on a re-run.

Re-running: each record's id is remembered per source (`ImportedRecord`) with a digest of
its converted form (`RecordDigest`). A record seen before with the same digest is left alone
(no write, no event); one whose digest changed updates its issue through `update_issue` (and
`add_comment` for new comments), so those changes are events of now, by the importer.

Errors: a row that cannot be read or imported is reported by its place ("line 12") and
skipped; with `strict` the first one aborts the whole import, which runs in one transaction
and so leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.core.bulk import write_rows
from docket.core.errors import DocketError, Invalid
from docket.issues.actions import update_issue
from docket.issues.comments import add_comment
from docket.issues.events import NewEvent
from docket.issues.imports import Origin, import_new_issues, known_ids, write_events
from docket.issues.models import Comment, EventKind, ImportedRecord, Issue
from docket.projects.access import ASSIGNABLE_ROLES, role_in
from docket.projects.models import Project, WorkflowState
from docket.transfer.importers.models import RecordDigest
from docket.transfer.importers.people import People
from docket.transfer.importers.records import Bad, Converted, Person, Row

BATCH = 1000
MAX_ERRORS_KEPT = 500
UPDATABLE = ("title", "description", "type", "priority", "severity", "labels")


@dataclass
class Summary:
    source: str
    total: int = 0  # rows (issues and unreadable rows) in the file
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    comments: int = 0
    events: int = 0  # history events written
    placeholders: int = 0
    not_issues: int = 0  # e.g. pull requests in a GitHub export
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0

    def fail(self, place: str, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(f"{place}: {message}")


Progress = Callable[[Summary], None]


class States:
    """Source state names → the project's workflow states: the same name if the workflow has
    it, else the first state of the row's category (to do, in progress, done)."""

    def __init__(self, project: Project):
        states = list(WorkflowState.objects.filter(workflow_id=project.workflow_id))
        states.sort(key=lambda s: (not s.is_initial, s.order))
        self.by_name = {s.name.lower(): s for s in states}
        first = states[0]
        self.by_category = {
            "todo": first,
            "doing": next((s for s in states if s.category == "in_progress"), first),
            "done": next((s for s in states if s.is_done), first),
        }

    def pick(self, name: Any, category: str) -> WorkflowState:
        found = self.by_name.get(str(name or "").lower())
        wanted = self.by_category[category]
        # A same-named state counts only if it agrees on done or not (a "Closed" list that
        # is not the board's last, say, stays open).
        if found is not None and found.is_done == wanted.is_done:
            return found
        return wanted


def digest_of(row: Row) -> str:
    content = [row.record, row.category, [asdict(c) for c in row.history]]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Run:
    def __init__(self, actor: User, project: Project, converted: Converted, source: str):
        self.actor, self.project, self.source = actor, project, source
        self.people = People(source, (i for i in converted.items if isinstance(i, Person)))
        self.states = States(project)
        self.summary = Summary(source=source, total=converted.rows)
        self.summary.not_issues = len(converted.skipped)
        self.assignable: dict[int, bool] = {}
        self.seen: set[str] = set()

    # --- one batch -----------------------------------------------------------------------

    def batch(self, rows: list[Row], strict: bool) -> None:
        rows = self._distinct(rows, strict)
        ids = [row.source_id for row in rows]
        known = known_ids(self.source, ImportedRecord.Kind.ISSUE, ids)
        digests = dict(
            RecordDigest.objects.filter(source=self.source, source_id__in=ids).values_list(
                "source_id", "digest"
            )
        )
        # Accounts first, outside the savepoints below: a row that fails must not take back
        # an account the run has already handed out to other rows.
        users = self.people.resolve({i for row in rows for i in _identities(row)})
        self.summary.placeholders = self.people.made
        fresh, changed = [], []
        for row in rows:
            sums = digest_of(row)
            if row.source_id not in known:
                fresh.append((row, sums))
            elif digests.get(row.source_id) != sums:
                changed.append((row, sums, known[row.source_id]))
            else:
                self.summary.unchanged += 1
        self._create(fresh, users, strict)
        for row, sums, issue_id in changed:
            self._update(row, sums, issue_id, users, strict)

    def _distinct(self, rows: list[Row], strict: bool) -> list[Row]:
        kept = []
        for row in rows:
            if row.source_id in self.seen:
                self._bad(row.place, f"id {row.source_id!r} appears twice in the file", strict)
                continue
            self.seen.add(row.source_id)
            kept.append(row)
        return kept

    def _bad(self, place: str, message: str, strict: bool) -> None:
        if strict:
            raise Invalid(f"{place}: {message}")
        self.summary.fail(place, message)

    # --- new issues ----------------------------------------------------------------------

    def _create(self, fresh: list[tuple[Row, str]], users: dict[str, User], strict: bool) -> None:
        if not fresh:
            return
        try:
            with transaction.atomic():
                self._insert(fresh, users)
        except DocketError as exc:
            if strict or len(fresh) == 1:
                self._bad(fresh[0][0].place if len(fresh) == 1 else "batch", exc.detail, strict)
                return
            for one in fresh:  # find the bad rows; the good ones still go in
                self._create([one], users, strict)

    def _insert(self, fresh: list[tuple[Row, str]], users: dict[str, User]) -> None:
        rows = [row for row, _ in fresh]
        records = [self._record(row, users) for row in rows]
        result = import_new_issues(
            actor=self.actor,
            project=self.project,
            records=records,
            origin=Origin(self.source, [row.source_id for row in rows]),
            where=[row.place for row in rows],
        )
        # A concurrent import of the same source may have brought some in meanwhile: the
        # action skipped those (under the project's lock), so they count as unchanged here.
        skipped = set(result.skipped)
        created = [i for i in range(len(rows)) if i not in skipped]
        made = {rows[i].source_id: issue for i, issue in zip(created, result.issues, strict=True)}
        self._history([rows[i] for i in created], made, users)
        # plain rows (COPY on PostgreSQL): model instances would cost more than the digests
        digests = [(self.source, rows[i].source_id, fresh[i][1]) for i in created]
        write_rows(RecordDigest._meta.db_table, ["source", "source_id", "digest"], digests)
        self.summary.created += len(result.issues)
        self.summary.unchanged += len(skipped)
        self.summary.comments += sum(len(records[i].get("comments", [])) for i in created)

    def _record(self, row: Row, users: dict[str, User]) -> dict[str, Any]:
        """The row as the bulk action takes it: people as usernames, a state of this
        workflow, an assignee only if they may be assigned here (else only in history)."""
        record = dict(row.record)
        state = self.states.pick(record.get("status"), row.category)
        record["status"] = state.name
        if not state.is_done:
            record.pop("resolution", None)
        record["reporter"] = self._name(users, record.get("reporter"))
        assignee = users.get(record.pop("assignee", None) or "")
        if assignee is not None and self._may_be_assigned(assignee):
            record["assignee"] = assignee.username
        record["comments"] = [
            {**c, "author": self._name(users, c.get("author"))} for c in record.get("comments", [])
        ]
        return record

    def _name(self, users: dict[str, User], identity: Any) -> str:
        user = users.get(identity) if isinstance(identity, str) else None
        return (user or self.actor).username  # no author in the source: the importer

    def _may_be_assigned(self, user: User) -> bool:
        if user.pk not in self.assignable:
            allowed = user.is_active and role_in(Actor(user), self.project) in ASSIGNABLE_ROLES
            self.assignable[user.pk] = allowed
        return self.assignable[user.pk]

    def _history(self, rows: list[Row], made: dict[str, Issue], users: dict[str, User]) -> None:
        """One `changed` event per past change, by its actor at its time, in the issue's
        history before anything done here."""
        events = []
        for row in rows:
            issue = made[row.source_id]
            for change in row.history:
                actor = users.get(change.actor)
                events.append(
                    NewEvent(
                        issue_id=issue.pk,
                        actor_id=actor.pk if actor else self.actor.pk,
                        kind=EventKind.CHANGED,
                        version=1,
                        created_at=dt.datetime.fromisoformat(change.at),
                        field=change.field,
                        old=_shown(change.old, users),
                        new=_shown(change.new, users),
                    )
                )
        write_events(events)
        self.summary.events += len(events)

    # --- changed issues ------------------------------------------------------------------

    def _update(
        self, row: Row, sums: str, issue_id: int, users: dict[str, User], strict: bool
    ) -> None:
        if Issue.objects.filter(pk=issue_id, deleted_at__isnull=False).exists():
            self.summary.unchanged += 1  # deleted here since: a re-run does not bring it back
            return
        try:
            with transaction.atomic():
                self._apply(row, issue_id, users)
                RecordDigest.objects.update_or_create(
                    source=self.source, source_id=row.source_id, defaults={"digest": sums}
                )
        except DocketError as exc:
            self._bad(row.place, exc.detail, strict)
            return
        self.summary.updated += 1

    def _apply(self, row: Row, issue_id: int, users: dict[str, User]) -> None:
        issue = Issue.objects.select_related("status", "project").get(pk=issue_id)
        record = self._record(row, users)
        changes = {f: record[f] for f in UPDATABLE if f in record}
        changes["labels"] = record.get("labels", [])  # none left in the source: none here
        state = self.states.pick(row.record.get("status"), row.category)
        if state.pk != issue.status_id:
            changes["status"] = state.name
            if state.is_done and record.get("resolution"):
                changes["resolution"] = record["resolution"]
        if changes:
            update_issue(actor=self.actor, issue=issue, changes=changes)
        have = set(Comment.objects.filter(issue=issue).values_list("body", flat=True))
        for comment in record["comments"]:
            body = _attributed(comment)
            if comment["body"] not in have and body not in have:
                add_comment(actor=self.actor, issue=issue, body=body)
                self.summary.comments += 1


def _attributed(comment: dict[str, Any]) -> str:
    """A comment added on a re-run is the importer's; its first line names who wrote it."""
    return (
        f"*{comment['author']} wrote on {comment.get('created_at', '')[:10]}:*\n\n{comment['body']}"
    )


def _identities(row: Row) -> Iterator[str]:
    record = row.record
    for key in ("reporter", "assignee"):
        if isinstance(record.get(key), str):
            yield record[key]
    for comment in record.get("comments", []):
        if isinstance(comment.get("author"), str):
            yield comment["author"]
    for change in row.history:
        yield change.actor
        if change.field == "assignee":
            yield from (v for v in (change.old, change.new) if isinstance(v, str) and v)


def _shown(value: Any, users: dict[str, User]) -> Any:
    """A history value as the timeline shows it: a person by their username here."""
    if isinstance(value, str) and value in users:
        return users[value].username
    return value


def load(
    *,
    actor: User,
    project: Project,
    converted: Converted,
    source: str,
    strict: bool = False,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> Summary:
    """Import `converted` into `project` as `actor` (who may manage it). With `strict`, all
    or nothing: the first bad row raises Invalid and nothing is kept."""
    started = time.perf_counter()
    run = _Run(actor, project, converted, source)
    if strict:
        with transaction.atomic():
            _each_batch(run, converted, True, batch_size, progress, started)
    else:
        _each_batch(run, converted, False, batch_size, progress, started)
    run.summary.seconds = time.perf_counter() - started
    return run.summary


def _each_batch(
    run: _Run,
    converted: Converted,
    strict: bool,
    size: int,
    progress: Progress | None,
    started: float,
) -> None:
    pending: list[Row] = []

    def flush() -> None:
        if pending:
            with transaction.atomic():
                run.batch(pending, strict)
            pending.clear()
        run.summary.seconds = time.perf_counter() - started
        if progress:
            progress(run.summary)

    for item in converted.items:
        if isinstance(item, Bad):
            run._bad(item.place, item.message, strict)
        elif isinstance(item, Row):
            pending.append(item)
            if len(pending) >= size:
                flush()
    flush()


def rows_of(items: Sequence[object]) -> list[Row]:
    return [item for item in items if isinstance(item, Row)]
