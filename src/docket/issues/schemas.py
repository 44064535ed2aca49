"""API input and output shapes for issues, comments and history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ninja import Schema
from pydantic import ConfigDict, Field

from docket.issues.bulk import MAX_BULK
from docket.issues.fields import (
    DATE_PATTERN,
    FIELDS,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NAMES,
    MAX_TITLE,
    PRIORITY_BY_NAME,
    RESOLUTION_NAMES,
    SEVERITY_BY_NAME,
    TYPE_NAMES,
)

if TYPE_CHECKING:  # names, as far as the type checker knows
    TypeName: TypeAlias = str
    SeverityName: TypeAlias = str
    PriorityName: TypeAlias = str
    ResolutionName: TypeAlias = str
else:  # the choices of the field table (fields.py); Literal[tuple] is Literal[a, b, …]
    TypeName = Literal[TYPE_NAMES]
    SeverityName = Literal[tuple(SEVERITY_BY_NAME)]
    PriorityName = Literal[tuple(PRIORITY_BY_NAME)]
    ResolutionName = Literal[RESOLUTION_NAMES]
# The SLA summary's states (issues/sla_summary.py STATES, without "" which reads as null).
SlaState = Literal["breached", "at_risk", "running", "paused", "met"]
DateText = Field(default=None, pattern=f"^{DATE_PATTERN}$", examples=["2026-12-31"])
Names = list[str]


class StrictIn(Schema):
    """Input: unknown fields are refused and JSON types are taken literally (no coercion)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _default(name: str) -> Any:
    return FIELDS[name].default


class IssueCreate(StrictIn):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default=_default("description"), max_length=MAX_DESCRIPTION)
    type: TypeName = _default("type")
    severity: SeverityName = _default("severity")
    priority: PriorityName = _default("priority")
    status: str | None = Field(default=None, max_length=MAX_NAME)
    assignee: str | None = Field(default=None, max_length=MAX_NAME)
    due_date: str | None = DateText
    labels: Names = Field(default_factory=list, max_length=MAX_NAMES)
    components: Names = Field(default_factory=list, max_length=MAX_NAMES)
    milestone: str | None = Field(default=None, max_length=MAX_NAME)
    team: str | None = Field(default=None, max_length=MAX_NAME, description="A team's slug")
    confidential: bool = _default("confidential")
    parent: str | None = Field(
        default=None, max_length=MAX_NAME, description="Make it a sub-task of this issue (a key)"
    )
    estimate: int | str | None = Field(
        default=None,
        description='Minutes (210) or a duration ("3h 30m", "2h", "45m"); null clears it',
    )
    custom_fields: dict[str, Any] = Field(
        default=None,  # type: ignore[arg-type]
        description="Custom field values by name (GET /projects/{key}/fields); null clears one",
    )


class BulkChanges(StrictIn):
    """Fields to set on every issue of a bulk edit; `null` clears an optional field."""

    title: str = Field(default=None, min_length=1, max_length=MAX_TITLE)  # type: ignore[assignment]
    description: str = Field(default=None, max_length=MAX_DESCRIPTION)  # type: ignore[assignment]
    type: TypeName = None  # type: ignore[assignment]
    severity: SeverityName = None  # type: ignore[assignment]
    priority: PriorityName = None  # type: ignore[assignment]
    resolution: ResolutionName | None = None
    assignee: str | None = Field(default=None, max_length=MAX_NAME)
    due_date: str | None = DateText
    components: Names = Field(default=None, max_length=MAX_NAMES)  # type: ignore[arg-type]
    milestone: str | None = Field(default=None, max_length=MAX_NAME)
    team: str | None = Field(default=None, max_length=MAX_NAME, description="A team's slug")
    confidential: bool = None  # type: ignore[assignment]
    parent: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The parent issue's key (same project; a cycle is a 422), null: none",
    )
    estimate: int | str | None = Field(
        default=None,
        description='Minutes (210) or a duration ("3h 30m", "2h", "45m"); null clears it',
    )
    custom_fields: dict[str, Any] = Field(
        default=None,  # type: ignore[arg-type]
        description="Custom field values by name; null clears one. In a bulk edit every "
        "selected issue's project must have each field named (422 otherwise)",
    )


class IssueUpdate(BulkChanges):
    """Send only the fields to change; `null` clears an optional field."""

    status: str = Field(default=None, max_length=MAX_NAME)  # type: ignore[assignment]
    labels: Names = Field(default=None, max_length=MAX_NAMES)  # type: ignore[arg-type]
    custom_fields: dict[str, Any] = Field(
        default=None,  # type: ignore[arg-type]
        description="Custom field values by name (GET /projects/{key}/fields); null clears one",
    )
    version: int | None = Field(
        default=None, ge=1, description="The version your change is based on (or send If-Match)"
    )


class BulkIn(StrictIn):
    issues: list[str] = Field(
        min_length=1, max_length=MAX_BULK, description=f"Issue keys; at most {MAX_BULK}"
    )
    versions: dict[str, int] = Field(
        default_factory=dict,
        max_length=MAX_BULK,
        description="The version each change is based on, by key (optional): a change to a "
        "field someone else moved since is a 409 for that issue, as with PATCH",
    )
    changes: BulkChanges = Field(default_factory=BulkChanges)
    add_labels: Names = Field(default_factory=list, max_length=MAX_NAMES)
    remove_labels: Names = Field(default_factory=list, max_length=MAX_NAMES)
    to: str | None = Field(
        default=None, max_length=MAX_NAME, description="Move each issue to this state"
    )


class BulkResultOut(Schema):
    key: str
    ok: bool
    changed: bool
    status: int = Field(description="What this issue alone would have answered: 200, 403, …")
    message: str
    version: int | None
    errors: list[dict[str, Any]]


class BulkOut(Schema):
    results: list[BulkResultOut]
    changed: int
    unchanged: int
    failed: int


class IssueOut(Schema):
    key: str
    project: str
    number: int
    title: str
    description: str
    type: str
    severity: str
    priority: str
    status: str
    status_category: str
    resolution: str | None
    reporter: str
    assignee: str | None
    due_date: str | None
    labels: list[str]
    components: list[str]
    milestone: str | None
    team: str | None = Field(description="The slug of the team the issue is routed to")
    confidential: bool
    parent: str | None = Field(description="The key of the issue this is a sub-task of")
    estimate: int | None = Field(description="The estimate in minutes (null: none)")
    version: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    sla_state: SlaState | None = Field(
        description="The worst state of the issue's SLA clocks, kept by the SLA worker (≤ ~1 s "
        "behind): breached, at_risk (≥ 75 % of a target), running, paused, met; null when no "
        "policy holds the issue. Read-only; each clock is at `GET /issues/{key}/sla`"
    )
    sla_due_at: datetime | None = Field(
        description="The nearest deadline of a running SLA clock (past once breached); null "
        "when no clock is running. Read-only"
    )


class IssueDetail(IssueOut):
    """A single issue (not list rows): with the description rendered to sanitized HTML."""

    description_html: str = Field(
        description="`description` rendered from Markdown (CommonMark + tables and "
        "strikethrough) to sanitized HTML; safe to insert into a page as is"
    )
    custom_fields: dict[str, Any] = Field(
        default_factory=dict,
        description="The project's custom fields by name: text, number, ISO date, option, "
        "list of options or username; null (or []) when not set",
    )


NOT_NOTIFIED = Field(
    description="People the text @mentions who cannot see the issue: they were not notified "
    "and do not watch it (usernames; empty when the text was not written by this request)"
)


class IssueWritten(IssueDetail):
    """An issue just created or changed."""

    not_notified: list[str] = NOT_NOTIFIED


class IssueRow(IssueOut):
    """An issue in a list: with its project's custom fields (one query for the page)."""

    custom_fields: dict[str, Any] = Field(
        default_factory=dict,
        description="The project's custom fields by name, as on a single issue",
    )


class IssuePage(Schema):
    items: list[IssueRow]
    next_cursor: str | None


class CommentIn(StrictIn):
    body: str = Field(min_length=1, max_length=100_000)


class NewCommentIn(CommentIn):
    internal: bool = Field(
        False, description="An internal note: read by the project's members and admins alone"
    )


class CommentOut(Schema):
    id: int
    issue: str
    author: str
    body: str
    body_html: str = Field(description="`body` rendered from Markdown to sanitized HTML")
    created_at: datetime
    updated_at: datetime
    edited: bool
    internal: bool = Field(description="An internal note (only the project's staff see these)")


class CommentWritten(CommentOut):
    """A comment just added or edited."""

    not_notified: list[str] = NOT_NOTIFIED


class CommentPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None


class EventOut(Schema):
    id: int
    kind: str
    actor: str | None
    field: str | None
    old: Any = None
    new: Any = None
    comment_id: int | None
    internal: bool = Field(False, description="About an internal note (staff only see these)")
    version: int
    at: datetime
    label: str | None = Field(
        None,
        description="The changed field's label as people read it (a custom field's label, "
        "e.g. `Customer tier` for field `cf.tier`); null for events without a field",
    )


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None
