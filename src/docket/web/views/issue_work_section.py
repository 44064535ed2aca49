"""The context of the issue page's custom fields and time section (web/issue/work.html; its
forms are issue_work.py): the project's custom fields with the values the reader may see, the
estimate against the time logged (with the sub-tasks the reader sees) and the work log."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from docket.accounts.actor import Who
from docket.core.errors import DocketError
from docket.issues import custom_fields, editing, worklog
from docket.issues.access import check_field_permissions
from docket.issues.models import CustomField, Issue
from docket.projects.access import Perm, permissions_in
from docket.projects.models import Project

WORKLOG_SHOWN = 50  # entries on the page; the API lists up to 200


def _may_edit_custom(user: Who, issue: Issue) -> bool:
    try:
        check_field_permissions(user, issue, {"custom_fields"})
    except DocketError:
        return False
    return True


def shown_value(field: CustomField, value: Any) -> str:
    if value is None or value == []:
        return ""
    return ", ".join(value) if isinstance(value, list) else str(value)


def work_section(
    user: Who, issue: Issue, *, logged: bool = True, subtasks: bool = True
) -> dict[str, Any]:
    """The context of web/issue/work.html. `logged`, `subtasks`: False when the caller knows
    no time was logged on the issue, or it has no sub-tasks."""
    values = custom_fields.values_for(user, issue)
    fields = custom_fields.project_fields(issue.project)
    may_edit = bool(fields) and _may_edit_custom(user, issue)
    entries = worklog.entries(issue, limit=WORKLOG_SHOWN) if logged else []
    return {
        "custom": custom_inputs(issue.project, values, people=may_edit),
        "may_edit_custom": may_edit,
        "worklog": [worklog.entry_out(e) for e in entries],
        "time": worklog.issue_totals(user, issue, entries, limit=WORKLOG_SHOWN, subtasks=subtasks),
        "may_log": Perm.EDIT_ISSUE in permissions_in(user, issue.project),
        "moderator": Perm.MODERATE in permissions_in(user, issue.project),
    }


def custom_inputs(
    project: Project, values: dict[str, Any], *, people: bool
) -> list[dict[str, Any]]:
    """Each custom field of `project` with its value, as web/issue/cf_inputs.html shows it
    (`people`: offer the assignable people for user fields)."""
    fields = custom_fields.project_fields(project)
    choices = editing.assignable_people(project) if people else []
    return [
        {
            "f": f,
            "value": values.get(f.name, custom_fields.empty(f)),
            "shown": shown_value(f, values.get(f.name)),
            "people": choices if f.type == "user" else [],
        }
        for f in fields
    ]


def form_values(fields: list[CustomField], data: QueryDict) -> dict[str, Any]:
    """The outside values a custom fields form sent (only the fields it shows)."""
    values: dict[str, Any] = {}
    for f in fields:
        key = f"cf.{f.name}"
        if f.type == "multi_select":
            values[f.name] = [v for v in data.getlist(key) if v]
            continue
        if key not in data:
            continue
        raw = data.get(key, "").strip()
        if f.type == "number" and raw:
            values[f.name] = _number(raw)
        else:
            values[f.name] = raw or None
    return values


def _number(raw: str) -> Any:
    try:
        number = float(raw)
    except ValueError:
        return raw  # the action names the field and says it must be a number
    return int(number) if number.is_integer() else number
