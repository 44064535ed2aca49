"""The context of the issue page's custom fields and time section (web/issue/work.html; its
forms are issue_work.py): the project's custom fields with the values the reader may see, the
estimate against the time logged (with the sub-tasks the reader sees) and the work log."""

from __future__ import annotations

from typing import Any

from docket.accounts.actor import Who
from docket.core.errors import DocketError
from docket.issues import custom_fields, editing, worklog
from docket.issues.access import check_field_permissions
from docket.issues.models import CustomField, Issue
from docket.projects.access import Perm, permissions_in


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


def work_section(user: Who, issue: Issue) -> dict[str, Any]:
    """The context of web/issue/work.html."""
    values = custom_fields.values_for(user, issue)
    fields = custom_fields.project_fields(issue.project)
    may_edit = bool(fields) and _may_edit_custom(user, issue)
    people = editing.assignable_people(issue.project) if may_edit else []
    return {
        "custom": [
            {
                "f": f,
                "value": values.get(f.name),
                "shown": shown_value(f, values.get(f.name)),
                "people": people if f.type == "user" else [],
            }
            for f in fields
        ],
        "may_edit_custom": may_edit,
        "worklog": [worklog.entry_out(e) for e in worklog.entries(issue, limit=50)],
        "time": worklog.issue_totals(user, issue),
        "may_log": Perm.EDIT_ISSUE in permissions_in(user, issue.project),
        "moderator": Perm.MODERATE in permissions_in(user, issue.project),
    }
