"""API input and output shapes for issues, comments and history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

TypeName = Literal["bug", "task", "feature", "improvement", "incident", "support"]
SeverityName = Literal["trivial", "minor", "major", "critical"]
PriorityName = Literal["lowest", "low", "medium", "high", "highest"]
ResolutionName = Literal["fixed", "won't fix", "duplicate", "cannot reproduce", "done"]
DateText = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2026-12-31"])
Names = list[str]


class StrictIn(Schema):
    """Input: unknown fields are refused and JSON types are taken literally (no coercion)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class IssueCreate(StrictIn):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=100_000)
    type: TypeName = "bug"
    severity: SeverityName = "major"
    priority: PriorityName = "medium"
    status: str | None = Field(default=None, max_length=50)
    assignee: str | None = Field(default=None, max_length=150)
    due_date: str | None = DateText
    labels: Names = Field(default_factory=list, max_length=50)
    components: Names = Field(default_factory=list, max_length=50)
    milestone: str | None = Field(default=None, max_length=100)
    confidential: bool = False


class IssueUpdate(StrictIn):
    """Send only the fields to change; `null` clears an optional field."""

    title: str = Field(default=None, min_length=1, max_length=255)  # type: ignore[assignment]
    description: str = Field(default=None, max_length=100_000)  # type: ignore[assignment]
    type: TypeName = None  # type: ignore[assignment]
    severity: SeverityName = None  # type: ignore[assignment]
    priority: PriorityName = None  # type: ignore[assignment]
    status: str = Field(default=None, max_length=50)  # type: ignore[assignment]
    resolution: ResolutionName | None = None
    assignee: str | None = Field(default=None, max_length=150)
    due_date: str | None = DateText
    labels: Names = Field(default=None, max_length=50)  # type: ignore[assignment,arg-type]
    components: Names = Field(default=None, max_length=50)  # type: ignore[assignment,arg-type]
    milestone: str | None = Field(default=None, max_length=100)
    confidential: bool = None  # type: ignore[assignment]
    version: int | None = Field(
        default=None, ge=1, description="The version your change is based on (or send If-Match)"
    )


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
    confidential: bool
    version: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


class IssueDetail(IssueOut):
    """A single issue (not list rows): with the description rendered to sanitized HTML."""

    description_html: str = Field(
        description="`description` rendered from Markdown (CommonMark + tables and "
        "strikethrough) to sanitized HTML; safe to insert into a page as is"
    )


class IssuePage(Schema):
    items: list[IssueOut]
    next_cursor: str | None


class CommentIn(StrictIn):
    body: str = Field(min_length=1, max_length=100_000)


class CommentOut(Schema):
    id: int
    issue: str
    author: str
    body: str
    body_html: str = Field(description="`body` rendered from Markdown to sanitized HTML")
    created_at: datetime
    updated_at: datetime
    edited: bool


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
    version: int
    at: datetime


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None
