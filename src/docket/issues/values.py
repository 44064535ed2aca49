"""How issue fields look outside the database: in the API, in events, in conflict reports.

Enum fields use lower-case names, people their username, dates ISO 8601.
"""

from __future__ import annotations

from typing import Any

from docket.issues.models import Issue, Priority, Severity

SCALAR_FIELDS = ("title", "description", "type", "confidential")
EDITABLE_FIELDS = (
    "title",
    "description",
    "type",
    "severity",
    "priority",
    "status",
    "resolution",
    "assignee",
    "due_date",
    "labels",
    "components",
    "milestone",
    "confidential",
)
PRIORITY_BY_NAME = {choice.label: choice.value for choice in Priority}
SEVERITY_BY_NAME = {choice.label: choice.value for choice in Severity}


# Value -> name as plain dicts: `Priority(value).label` builds an enum member (~6 µs; a
# board names 250 priorities).
_PRIORITY_NAMES = {choice.value: str(choice.label) for choice in Priority}
_SEVERITY_NAMES = {choice.value: str(choice.label) for choice in Severity}


def priority_name(value: int) -> str:
    return _PRIORITY_NAMES[value]


def severity_name(value: int) -> str:
    return _SEVERITY_NAMES[value]


def field_value(issue: Issue, field: str) -> Any:
    """The outside value of one editable field (labels/components need prefetched rows)."""
    if field in SCALAR_FIELDS:
        return getattr(issue, field)
    if field == "severity":
        return severity_name(issue.severity)
    if field == "priority":
        return priority_name(issue.priority)
    if field == "status":
        return issue.status.name.lower()
    if field == "resolution":
        return issue.resolution or None
    if field == "assignee":
        return issue.assignee.username if issue.assignee_id else None  # type: ignore[union-attr]
    if field == "due_date":
        return issue.due_date.isoformat() if issue.due_date else None
    if field in ("labels", "components"):
        return sorted(item.name for item in getattr(issue, field).all())
    if field == "milestone":
        return issue.milestone.name if issue.milestone_id else None  # type: ignore[union-attr]
    raise KeyError(field)


def snapshot(issue: Issue) -> dict[str, Any]:
    return {field: field_value(issue, field) for field in EDITABLE_FIELDS}
