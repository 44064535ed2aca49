"""The bulk import action: many issues (with comments) in one transaction, with full history.

It follows the same rules as `create_issue` and `add_comment` (validation, numbering, one
`created` event per issue and one `commented` event per comment) but writes in bulk, so
loading a large tracker takes seconds, not hours. Importers may set the reporter, comment
authors and timestamps; nobody else can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from docket.accounts.models import User
from docket.core.clock import now
from docket.core.errors import Invalid
from docket.issues import search_index
from docket.issues.actions import _choice, _clean_text, allocate_numbers
from docket.issues.models import Comment, EventKind, Issue, IssueEvent, IssueType, Label, Resolution
from docket.issues.values import PRIORITY_BY_NAME, SEVERITY_BY_NAME
from docket.projects.access import ASSIGNABLE_ROLES, Perm, require, role_in
from docket.projects.models import Component, Milestone, Project, WorkflowState

RECORD_FIELDS = {
    "title",
    "description",
    "type",
    "severity",
    "priority",
    "status",
    "resolution",
    "assignee",
    "reporter",
    "due_date",
    "labels",
    "components",
    "milestone",
    "confidential",
    "created_at",
    "updated_at",
    "comments",
}


def _time(value: Any, field: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid.field(field, "must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise Invalid.field(field, "must include a time zone offset")
    return moment


class _Lookups:
    """Everything a batch refers to, fetched once."""

    def __init__(self, project: Project, records: list[dict[str, Any]]):
        self.project = project
        self.states = {
            s.name.lower(): s for s in WorkflowState.objects.filter(workflow_id=project.workflow_id)
        }
        names = {r.get("reporter") for r in records} | {r.get("assignee") for r in records}
        names |= {c.get("author") for r in records for c in r.get("comments", [])}
        self.users = {u.username: u for u in User.objects.filter(username__in=names - {None})}
        self.labels = self._labels({n for r in records for n in r.get("labels", [])})
        self.components = {c.name: c for c in Component.objects.filter(project=project)}
        self.milestones = {m.name: m for m in Milestone.objects.filter(project=project)}

    def _labels(self, names: set[str]) -> dict[str, Label]:
        existing = {lb.name: lb for lb in Label.objects.filter(project=self.project)}
        missing = [Label(project=self.project, name=n) for n in sorted(names - set(existing))]
        for label in Label.objects.bulk_create(missing):
            existing[label.name] = label
        return existing

    def user(self, field: str, username: Any) -> User:
        user = self.users.get(username)
        if user is None:
            raise Invalid.field(field, f"no user {username!r}")
        return user

    def assignee(self, username: Any) -> User | None:
        if username is None:
            return None
        user = self.user("assignee", username)
        if role_in(user, self.project) not in ASSIGNABLE_ROLES:
            raise Invalid.field("assignee", f"'{username}' is not a member of {self.project.key}")
        return user

    def named(self, field: str, table: dict[str, Any], names: list[str]) -> list[Any]:
        missing = [n for n in names if n not in table]
        if missing:
            raise Invalid.field(
                field, f"no {field[:-1] if field.endswith('s') else field} {missing[0]!r}"
            )
        return [table[n] for n in names]


def _build(
    record: dict[str, Any], look: _Lookups, moment: dt.datetime
) -> tuple[Issue, dict[str, Any]]:
    unknown = set(record) - RECORD_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "is not an importable field")
    status_name = str(record.get("status", "")).lower() or next(iter(look.states))
    status = look.states.get(status_name)
    if status is None:
        raise Invalid.field("status", f"must be one of: {', '.join(look.states)}")
    created = _time(record["created_at"], "created_at") if "created_at" in record else moment
    resolution = record.get("resolution") or (Resolution.FIXED if status.is_done else "")
    issue = Issue(
        project=look.project,
        title=_clean_text("title", record.get("title"), max_length=255, required=True),
        description=_clean_text(
            "description", record.get("description", ""), max_length=100_000, required=False
        ),
        type=_choice("type", record.get("type", "bug"), {t: t for t in IssueType.values}),
        severity=_choice("severity", record.get("severity", "major"), SEVERITY_BY_NAME),
        priority=_choice("priority", record.get("priority", "medium"), PRIORITY_BY_NAME),
        status=status,
        resolution=_choice("resolution", resolution, {r: r for r in [*Resolution.values, ""]})
        if status.is_done
        else "",
        reporter=look.user("reporter", record.get("reporter")),
        assignee=look.assignee(record.get("assignee")),
        due_date=dt.date.fromisoformat(record["due_date"]) if record.get("due_date") else None,
        milestone=look.named("milestone", look.milestones, [record["milestone"]])[0]
        if record.get("milestone")
        else None,
        confidential=bool(record.get("confidential", False)),
        created_at=created,
        updated_at=_time(record["updated_at"], "updated_at") if "updated_at" in record else created,
        resolved_at=created if status.is_done else None,
    )
    snapshot = {
        "title": issue.title,
        "description": issue.description,
        "type": issue.type,
        "severity": record.get("severity", "major"),
        "priority": record.get("priority", "medium"),
        "status": status.name.lower(),
        "resolution": issue.resolution or None,
        "assignee": record.get("assignee"),
        "due_date": record.get("due_date"),
        "labels": sorted(set(record.get("labels", []))),
        "components": sorted(set(record.get("components", []))),
        "milestone": record.get("milestone"),
        "confidential": issue.confidential,
    }
    return issue, snapshot


@transaction.atomic
def import_issues(*, actor: Any, project: Project, records: list[dict[str, Any]]) -> list[Issue]:
    """Create `records` as issues of `project`; all or nothing. Returns the new issues."""
    require(actor, project, Perm.MANAGE_PROJECT)
    look, moment = _Lookups(project, records), now()
    built = []
    for index, record in enumerate(records):
        try:
            built.append(_build(record, look, moment))
        except Invalid as exc:
            raise Invalid(f"record {index + 1}: {exc.detail}", errors=exc.errors) from None
    first = allocate_numbers(project, len(built))
    for offset, (issue, _) in enumerate(built):
        issue.number = first + offset
    issues = Issue.objects.bulk_create([issue for issue, _ in built])
    _link(issues, records, look)
    comments = _comments(issues, records, look)
    _events(issues, [snap for _, snap in built], comments, actor)
    # full-text index, same transaction
    search_index.index_new_issues(issues, ((c.issue_id, c.body) for c in comments))
    return issues


def _insert(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs for rows that need no model logic: bulk_create spent most of an import
    building model instances. Values must already be adapted for the database."""
    if not rows:
        return
    quote, meta = connection.ops.quote_name, model._meta
    names = ", ".join(quote(meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        # Table and column names come from the models, never from input.
        sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(sql, rows)


def _events(
    issues: list[Issue], snapshots: list[dict[str, Any]], comments: list[_NewComment], actor: Any
) -> None:
    """One `created` event per issue and one `commented` event per comment."""
    ops = connection.ops
    columns = ["issue", "actor", "kind", "field", "new", "comment", "version", "created_at"]
    rows: list[tuple[Any, ...]] = [
        (
            issue.pk,
            issue.reporter_id,
            EventKind.CREATED.value,
            "",
            ops.adapt_json_value({**snap, "imported_by": actor.username}, None),
            None,
            1,
            ops.adapt_datetimefield_value(issue.created_at),
        )
        for issue, snap in zip(issues, snapshots, strict=True)
    ]
    rows += [
        (c.issue_id, c.author_id, EventKind.COMMENTED.value, "", ops.adapt_json_value(c.body, None),
         c.pk, 1, ops.adapt_datetimefield_value(c.created_at))
        for c in comments
    ]  # fmt: skip
    _insert(IssueEvent, columns, rows)


def _link(issues: list[Issue], records: list[dict[str, Any]], look: _Lookups) -> None:
    label_rows, component_rows = [], []
    for issue, record in zip(issues, records, strict=True):
        for label in look.named("labels", look.labels, sorted(set(record.get("labels", [])))):
            label_rows.append((issue.pk, label.pk))
        for comp in look.named(
            "components", look.components, sorted(set(record.get("components", [])))
        ):
            component_rows.append((issue.pk, comp.pk))
    _insert(Issue.labels.through, ["issue", "label"], label_rows)
    _insert(Issue.components.through, ["issue", "component"], component_rows)


@dataclass
class _NewComment:
    issue_id: int
    author_id: int
    body: str
    created_at: dt.datetime
    pk: int = 0


def _comments(
    issues: list[Issue], records: list[dict[str, Any]], look: _Lookups
) -> list[_NewComment]:
    """Insert the batch's comments and return them with their new ids."""
    rows = []
    for issue, record in zip(issues, records, strict=True):
        for item in record.get("comments", []):
            at = (
                _time(item["created_at"], "comments.created_at")
                if "created_at" in item
                else issue.created_at
            )
            author = look.user("comments.author", item.get("author"))
            body = _clean_text("comments.body", item.get("body"), max_length=100_000, required=True)
            rows.append(_NewComment(issue.pk, author.pk, body, at))
    adapt = connection.ops.adapt_datetimefield_value
    _insert(
        Comment,
        ["issue", "author", "body", "created_at", "updated_at"],
        [(c.issue_id, c.author_id, c.body, adapt(c.created_at), adapt(c.created_at)) for c in rows],
    )
    # The batch's issues are new in this transaction, so their comments' ids ascend in the
    # order inserted (issue by issue, then comment by comment): read them back in that order.
    ids = Comment.objects.filter(issue_id__in=[i.pk for i in issues]).order_by("issue_id", "id")
    for comment, pk in zip(rows, ids.values_list("id", flat=True), strict=True):
        comment.pk = pk
    return rows
