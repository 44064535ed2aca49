"""The roll-ups' writing side: what each issue adds to the tallies (its "facts"), the
consumer of the event log that keeps them, and the rebuild from the issues.

An issue's facts are computed from the issue as it is now and its `changed` events, never
from an event's values alone: the consumer recomputes every issue named in a batch and moves
the tallies by the difference from what the issue added before (its RollupIssue row). So a
batch read twice, or an event read after a later one, changes nothing; an issue deleted (or
restored) leaves (or rejoins) the tallies with the event that recorded it.

Dimensions (RollupTally.dim; the key is JSON):
- `open_status`, `open_priority`, `open_severity`, `open_assignee`: open issues by each of
  those (an id or number as text; "" for no assignee), the assignee's with estimate minutes
  (day: EPOCH) — the four "open by" widgets and workload. One tally per field, not one per
  combination: the combinations of four fields (with an assignee among thousands) made
  ~22,000 rows to read and sum for a dashboard over 29 projects at one million issues.
- `open_created`, `open_due`: open issues per creation day and per due date (ageing, overdue).
- `created`, `resolved`: issues per creation day and per day of `resolved_at`, by milestone
  id ("" for none) — created vs resolved and burndown; `settled`: per the later of the two
  days (burndown's issues already created and resolved before its first day).
- `sp`, `sa`: for "as of": +1/-1 per day an issue's [status, priority] or [status, assignee]
  as the "as of" rule reads them (as_of.py) starts or stops; the counts at the end of a day
  are the sum over the days up to it. An assignee is a username from an event's `old`, or
  {"id": …} for today's assignee (rolled.as_of_pairs names it).

A confidential issue's tallies are stored twice: under its project and under minus its
project, so a viewer who sees a project's non-confidential issues only (an internal or public
project they are not a member of) is counted from the difference (tallies.Reach).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from docket.core.bulk import date_adapter, datetime_adapter, write_rows
from docket.core.clock import now
from docket.issues.fields import PRIORITY_NAMES
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.models import WorkflowState
from docket.reports.models import RollupIssue, RollupState, RollupTally
from docket.worker.consumers import GAP_WAIT_SECONDS
from docket.worker.models import ConsumerCursor

NAME = "reports"
RELATED: tuple[str, ...] = ()  # the handler reads the issues itself, fresh
EPOCH = dt.date(1970, 1, 1)  # the day of a tally that has none
CHUNK = 2000  # issues read at a time by a rebuild
SWAP_CHUNK = 5000  # rows written or deleted per transaction by a rebuild
AS_OF_FIELDS = ("status", "priority", "assignee")
# 2: confidential issues' tallies mirrored under -project_id; open counts per field
FORMAT = 2

TallyKey = tuple[int, str, str, dt.date]  # project, dim, key, day
Tallies = dict[TallyKey, list[int]]  # [issues, minutes]


@dataclass(frozen=True)
class Workflow:
    """What counting depends on besides the issues: which states are done or in progress,
    and their names. Its signature is stored with the roll-ups (RollupState)."""

    done_ids: frozenset[int]
    in_progress: frozenset[str]
    names: dict[int, str]
    signature: str

    @classmethod
    def now(cls) -> Workflow:
        states = sorted(WorkflowState.objects.values_list("id", "name", "category"))
        # FORMAT changes when what is stored does: roll-ups built before are then rebuilt
        digest = hashlib.sha256(json.dumps([FORMAT, states]).encode()).hexdigest()
        done = WorkflowState.Category.DONE
        progress = WorkflowState.Category.IN_PROGRESS
        return cls(
            frozenset(i for i, _, c in states if c == done),
            frozenset(n.lower() for _, n, c in states if c == progress),
            {i: n for i, n, _ in states},
            digest,
        )


@dataclass
class Fact:
    """What one live issue adds to the roll-ups (a RollupIssue row, unsaved)."""

    issue_id: int
    project_id: int
    state: str  # "open" or "done"
    created_at: dt.datetime
    due_date: dt.date | None
    resolved_at: dt.datetime | None
    started_at: dt.datetime | None
    lead_us: int | None = None
    cycle_us: int | None = None
    adds: list[list[Any]] = field(default_factory=list)  # [dim, key, day ISO, n, minutes]
    confidential: bool = False

    def row(self) -> RollupIssue:
        return RollupIssue(
            issue_id=self.issue_id, project_id=self.project_id, state=self.state,
            created_at=self.created_at, due_date=self.due_date, resolved_at=self.resolved_at,
            started_at=self.started_at, lead_us=self.lead_us, cycle_us=self.cycle_us,
            adds=self.adds, confidential=self.confidential,
        )  # fmt: skip

    @classmethod
    def of_row(cls, row: RollupIssue) -> Fact:
        return cls(
            row.issue_id, row.project_id, row.state, row.created_at, row.due_date,
            row.resolved_at, row.started_at, row.lead_us, row.cycle_us, row.adds,
            row.confidential,
        )  # fmt: skip


ISSUE_COLUMNS = (
    "id", "project_id", "status_id", "priority", "severity", "assignee_id", "estimate",
    "created_at", "due_date", "resolved_at", "milestone_id", "confidential",
)  # fmt: skip


def day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def facts_of(issue_ids: Iterable[int], workflow: Workflow) -> dict[int, Fact]:
    """The facts of the live issues among `issue_ids` (deleted or missing ones have none):
    two queries, the issues and their status/priority/assignee changes."""
    ids = list(issue_ids)
    rows = list(Issue.objects.filter(id__in=ids, deleted_at__isnull=True).values(*ISSUE_COLUMNS))
    changes: dict[int, list[tuple[str, Any, Any, dt.date]]] = defaultdict(list)
    events = (
        IssueEvent.objects.filter(
            issue_id__in=[r["id"] for r in rows], kind=EventKind.CHANGED, field__in=AS_OF_FIELDS
        )
        .order_by("issue_id", "version")
        .values_list("issue_id", "field", "old", "new", "created_at")
    )
    started: dict[int, dt.datetime] = {}
    for issue_id, name, old, new, created_at in events:
        changes[issue_id].append((name, old, new, day_of(created_at)))
        if name == "status" and isinstance(new, str) and new in workflow.in_progress:
            started.setdefault(issue_id, created_at)
    return {r["id"]: _fact(r, changes[r["id"]], started.get(r["id"]), workflow) for r in rows}


def _fact(
    row: dict[str, Any],
    changes: list[tuple[str, Any, Any, dt.date]],
    started: dt.datetime | None,
    workflow: Workflow,
) -> Fact:
    state = "done" if row["status_id"] in workflow.done_ids else "open"
    fact = Fact(
        row["id"], row["project_id"], state, row["created_at"], row["due_date"],
        row["resolved_at"], started, confidential=row["confidential"],
    )  # fmt: skip
    resolved_at = row["resolved_at"]
    if resolved_at is not None:
        fact.lead_us = _micro(resolved_at - row["created_at"])
        if started is not None and started <= resolved_at:
            fact.cycle_us = _micro(resolved_at - started)
    created = day_of(row["created_at"]).isoformat()
    milestone = str(row["milestone_id"] or "")
    adds = fact.adds
    adds.append(["created", milestone, created, 1, 0])
    if row["resolved_at"] is not None:
        resolved = day_of(row["resolved_at"])
        adds.append(["resolved", milestone, resolved.isoformat(), 1, 0])
        # created and resolved by the end of this day (burndown's count before its start)
        settled = max(resolved, day_of(row["created_at"]))
        adds.append(["settled", milestone, settled.isoformat(), 1, 0])
    if state == "open":
        epoch = EPOCH.isoformat()
        adds.append(["open_status", str(row["status_id"]), epoch, 1, 0])
        adds.append(["open_priority", str(row["priority"]), epoch, 1, 0])
        adds.append(["open_severity", str(row["severity"]), epoch, 1, 0])
        assignee = str(row["assignee_id"] or "")
        adds.append(["open_assignee", assignee, epoch, 1, row["estimate"] or 0])
        adds.append(["open_created", "", created, 1, 0])
        if row["due_date"] is not None:
            adds.append(["open_due", "", row["due_date"].isoformat(), 1, 0])
    current = {
        "status": workflow.names[row["status_id"]].lower(),
        "priority": PRIORITY_NAMES[row["priority"]],
        # today's assignee by id, named when read: a username changed with no issue event
        # (the Django admin) then still reads as the direct count does
        "assignee": {"id": row["assignee_id"]} if row["assignee_id"] else None,
    }
    adds += _as_of_adds(day_of(row["created_at"]), current, changes)
    return fact


def _micro(span: dt.timedelta) -> int:
    return (span.days * 86400 + span.seconds) * 1_000_000 + span.microseconds


def _value_then(
    name: str, day: dt.date, current: dict[str, Any], changes: list[tuple[str, Any, Any, dt.date]]
) -> Any:
    """The field's value at the end of `day` by as_of.py's rule: the `old` of its first change
    (by version) recorded after that day, or today's value when there is none. A status or
    priority change with no `old` counts as no change (always had a value)."""
    for changed, old, _new, when in changes:
        if changed == name and when > day:
            if old is None and name != "assignee":
                return current[name]
            return old
    return current[name]


def _as_of_adds(
    created: dt.date, current: dict[str, Any], changes: list[tuple[str, Any, Any, dt.date]]
) -> list[list[Any]]:
    """+1 on the day each [status, priority] and [status, assignee] pair starts to hold and
    -1 on the day it stops, from the issue's creation day on. The values can only change on
    a day some change was recorded, so those days are the only ones to look at."""
    days = sorted({created} | {when for *_, when in changes if when > created})
    adds: list[list[Any]] = []
    held: dict[str, str] = {}
    for day in days:
        status = _value_then("status", day, current, changes)
        pairs = {
            "sp": json.dumps([status, _value_then("priority", day, current, changes)]),
            "sa": json.dumps([status, _value_then("assignee", day, current, changes)]),
        }
        for dim, key in pairs.items():
            if held.get(dim) == key:
                continue
            if dim in held:
                adds.append([dim, held[dim], day.isoformat(), -1, 0])
            adds.append([dim, key, day.isoformat(), 1, 0])
            held[dim] = key
    return adds


def add_facts(into: Tallies, facts: Iterable[Fact], sign: int = 1, *, mirror: bool = True) -> None:
    """Add what the facts add to `into`; with `mirror`, as stored (a confidential issue's
    tallies also under -project_id), else once each (a reader's corrections)."""
    for fact in facts:
        projects = [fact.project_id]
        if mirror and fact.confidential:
            projects.append(-fact.project_id)
        for dim, key, day, n, minutes in fact.adds:
            for project in projects:
                slot = into.setdefault((project, dim, key, dt.date.fromisoformat(day)), [0, 0])
                slot[0] += sign * n
                slot[1] += sign * minutes


def _apply(deltas: Tallies) -> None:
    """Move the stored tallies by `deltas` (rows that fall to zero are removed)."""
    changed = {k: v for k, v in deltas.items() if v != [0, 0]}
    if not changed:
        return
    stored: dict[TallyKey, RollupTally] = {}
    by_project_dim: dict[tuple[int, str], set[dt.date]] = defaultdict(set)
    for project_id, dim, _key, day in changed:
        by_project_dim[(project_id, dim)].add(day)
    for (project_id, dim), days in by_project_dim.items():
        rows = RollupTally.objects.filter(project_id=project_id, dim=dim, day__in=days)
        for row in rows:
            stored[(row.project_id, row.dim, row.key, row.day)] = row
    new: list[RollupTally] = []
    updated: list[RollupTally] = []
    emptied: list[RollupTally] = []
    for key, (n, minutes) in changed.items():
        found = stored.get(key)
        if found is None:
            new.append(RollupTally(project_id=key[0], dim=key[1], key=key[2], day=key[3],
                                   n=n, minutes=minutes))  # fmt: skip
            continue
        found.n += n
        found.minutes += minutes
        (emptied if found.n == 0 and found.minutes == 0 else updated).append(found)
    RollupTally.objects.bulk_create(new, batch_size=1000)
    RollupTally.objects.bulk_update(updated, ["n", "minutes"], batch_size=1000)
    RollupTally.objects.filter(id__in=[row.pk for row in emptied]).delete()


def refresh(issue_ids: Iterable[int], workflow: Workflow) -> None:
    """Recount these issues: their facts now replace what they added before."""
    ids = set(issue_ids)
    before = [Fact.of_row(r) for r in RollupIssue.objects.filter(issue_id__in=ids)]
    after = facts_of(ids, workflow)
    deltas: Tallies = {}
    add_facts(deltas, before, -1)
    add_facts(deltas, after.values())
    _apply(deltas)
    RollupIssue.objects.filter(issue_id__in=ids).delete()
    RollupIssue.objects.bulk_create([f.row() for f in after.values()], batch_size=1000)


def handle(events: Sequence[IssueEvent]) -> None:
    """The consumer's handler (worker/consumers.py runs it in the cursor's transaction). After
    any workflow edit (and before the first build) the roll-ups must be recounted whole,
    since open/done may have changed for issues this batch does not name: that is a job
    (jobs.py), because recounting 100,000 issues takes ~40 s, and inside this transaction
    SQLite's write lock would be held the whole time. Meanwhile dashboards read the issues."""
    workflow = Workflow.now()
    state = RollupState.objects.first()
    if state is not None and state.signature == workflow.signature:
        refresh({e.issue_id for e in events}, workflow)
        return
    if state is None:
        RollupState.objects.create(signature="", built_at=now(), requested=workflow.signature)
    elif state.requested != workflow.signature:
        state.requested = workflow.signature
        state.save(update_fields=["requested"])
    else:
        return  # asked already: the job is queued or running
    from docket.reports.jobs import rebuild_reports

    rebuild_reports.enqueue()  # with the database queue, it commits with this batch


def count_all(workflow: Workflow) -> tuple[list[Fact], Tallies]:
    """Every live issue's facts and the tallies they make, read a chunk at a time (no
    transaction needed: each chunk is read fresh, and the consumer recounts any issue an
    event names after the rebuild's position)."""
    facts: list[Fact] = []
    tallies: Tallies = {}
    last = 0
    while True:
        ids = list(
            Issue.objects.filter(id__gt=last, deleted_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[:CHUNK]
        )
        if not ids:
            break
        chunk = facts_of(ids, workflow)
        add_facts(tallies, chunk.values())
        facts.extend(chunk.values())
        last = ids[-1]
    return facts, tallies


def replace_all(facts: list[Fact], tallies: Tallies, workflow: Workflow) -> None:
    """Swap the roll-ups for these counts in one transaction (callers hold the reports
    cursor). Fine for a small site; `rebuild` writes in short chunks instead."""
    RollupTally.objects.all().delete()
    RollupIssue.objects.all().delete()
    write_rows(RollupIssue._meta.db_table, ROLLUP_ISSUE_COLUMNS, _issue_values(facts))
    write_rows(RollupTally._meta.db_table, ROLLUP_TALLY_COLUMNS, _tally_values(tallies))
    RollupState.objects.all().delete()
    RollupState.objects.create(
        signature=workflow.signature, built_at=now(), requested=workflow.signature
    )


class RebuildSuperseded(Exception):
    """Another rebuild started after this one: it owns the roll-up tables now."""


def _claim(workflow: Workflow) -> str:
    """Mark the roll-ups as being rebuilt by us: dashboards read the issues and the consumer
    leaves the tables alone (the signature matches no workflow) until `_finish`."""
    token = "rebuilding " + uuid.uuid4().hex[:16]
    with transaction.atomic():
        _locked_cursor(0)  # one claim at a time
        RollupState.objects.all().delete()
        RollupState.objects.create(signature=token, built_at=now(), requested=workflow.signature)
    return token


def _locked_cursor(position: int) -> ConsumerCursor:
    cursor, _ = ConsumerCursor.objects.select_for_update().get_or_create(
        name=NAME, defaults={"last_event_id": position, "updated_at": now()}
    )
    return cursor


def _still_ours(token: str) -> None:
    """Inside a chunk's transaction: the rebuild's claim still holds (a later rebuild's
    claim takes over, and this one stops before writing again)."""
    state = RollupState.objects.select_for_update().first()
    if state is None or state.signature != token:
        raise RebuildSuperseded


def _write_in_chunks(token: str, facts: list[Fact], tallies: Tallies) -> None:
    """Empty the tables and write the new rows, SWAP_CHUNK rows per transaction: each holds
    SQLite's write lock for a fraction of a second, so other writes go on meanwhile."""
    for model in (RollupTally, RollupIssue):
        while True:
            with transaction.atomic():
                _still_ours(token)
                ids = list(model.objects.values_list("pk", flat=True)[:SWAP_CHUNK])
                if not ids:
                    break
                model.objects.filter(pk__in=ids).delete()
    # Plain rows, not models through bulk_create: the ORM's compiling of the INSERTs was a
    # quarter of the worker's time catching up after a 100,000-issue import.
    for table, columns, rows in (
        (RollupIssue._meta.db_table, ROLLUP_ISSUE_COLUMNS, _issue_values(facts)),
        (RollupTally._meta.db_table, ROLLUP_TALLY_COLUMNS, _tally_values(tallies)),
    ):
        for start in range(0, len(rows), SWAP_CHUNK):
            with transaction.atomic():
                _still_ours(token)
                write_rows(table, columns, rows[start : start + SWAP_CHUNK])


ROLLUP_ISSUE_COLUMNS = (
    "issue_id", "project_id", "state", "created_at", "due_date", "resolved_at", "started_at",
    "lead_us", "cycle_us", "adds", "confidential",
)  # fmt: skip
ROLLUP_TALLY_COLUMNS = ("project_id", "dim", "key", "day", "n", "minutes")


def _issue_values(facts: list[Fact]) -> list[tuple[Any, ...]]:
    """`Fact.row()` as the table's values, in ROLLUP_ISSUE_COLUMNS order. (The consumer's
    `refresh` keeps `row()` and the ORM: tests/reports checks both write the same rows.)"""
    at, day = datetime_adapter(), date_adapter()
    return [
        (
            f.issue_id,
            f.project_id,
            f.state,
            at(f.created_at),
            day(f.due_date),
            at(f.resolved_at),
            at(f.started_at),
            f.lead_us,
            f.cycle_us,
            json.dumps(f.adds),
            f.confidential,
        )  # fmt: skip
        for f in facts
    ]


def _tally_values(tallies: Tallies) -> list[tuple[Any, ...]]:
    """The tallies that are not zero, in ROLLUP_TALLY_COLUMNS order."""
    day = date_adapter()
    return [
        (p, d, k, day(on), n, m) for (p, d, k, on), (n, m) in tallies.items() if (n, m) != (0, 0)
    ]


def _finish(token: str, workflow: Workflow, position: int) -> None:
    """Declare the roll-ups built and move the consumer back to `position`, so it recounts
    the issues named by events after it (those may have changed while counting)."""
    with transaction.atomic():
        cursor = _locked_cursor(position)
        _still_ours(token)
        RollupState.objects.all().delete()
        RollupState.objects.create(
            signature=workflow.signature, built_at=now(), requested=workflow.signature
        )
        cursor.last_event_id = position
        cursor.updated_at = now()
        cursor.save(update_fields=["last_event_id", "updated_at"])


def covered_position() -> int:
    """The last event the issues as read now surely reflect: the newest one older than the
    gap wait (a younger one may belong to a transaction not yet visible). The consumer reads
    the events after it again, which recounts their issues (no harm if already counted)."""
    cutoff = now() - dt.timedelta(seconds=GAP_WAIT_SECONDS)
    last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    recent = IssueEvent.objects.filter(id__gt=max(0, last - 10_000))
    older = recent.filter(created_at__lt=cutoff).order_by("-id").values_list("id", flat=True)
    found = older.first()
    return found if found is not None else max(0, last - 10_000)


def rebuild() -> int:
    """Rebuild the roll-ups from the issues (the job above, `docket manage rebuild_reports`, a
    bulk load); returns how many issues were counted, or 0 when a later rebuild took over.

    The counting reads without a transaction. The tables are then rewritten in short
    transactions (a single swap held SQLite's write lock ~7 s at 100,000 issues, and every
    write in that time failed with 503); meanwhile the roll-ups are marked unusable, so
    dashboards read the issues and the consumer skips them. The cursor goes back to the last
    event the counts surely include, so the consumer recounts what came after."""
    position = covered_position()
    workflow = Workflow.now()
    facts, tallies = count_all(workflow)
    token = _claim(workflow)
    try:
        _write_in_chunks(token, facts, tallies)
        _finish(token, workflow, position)
    except RebuildSuperseded:
        return 0
    return len(facts)
