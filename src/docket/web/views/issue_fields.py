"""Editing one field of an issue in place: its read-only view, its edit form, saving it.

A save goes through `update_issue` with the version the person started from, so a field
someone else changed meanwhile comes back as a conflict (their value against the current one)
instead of being overwritten.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import Conflict, DocketError, Forbidden, NotFound
from docket.issues import actions, editing
from docket.issues.access import get_issue_for
from docket.issues.durations import format_duration
from docket.issues.models import Issue
from docket.issues.queries import issue_out
from docket.web.views.common import is_htmx, web_view
from docket.web.views.issue_common import (
    back_to_issue,
    base_version,
    changed,
    error_message,
    partial,
    reloaded,
)
from docket.web.views.issue_page import (
    FIELD_LABELS,
    OPTIONAL_FIELDS,
    SELECT_FIELDS,
    field_shown,
    may_assign_self,
    signature,
)


@web_view()
@require_http_methods(["GET", "POST"])
def field(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """GET: the field's edit form (`?show=1`: its read-only view). POST: save it."""
    if name not in FIELD_LABELS:
        raise NotFound(f"no field {name[:30]}")
    issue = get_issue_for(actor_of(request), key)
    if request.method == "GET":
        if request.GET.get("show"):
            return _field_display(request, issue, name)
        if name not in editing.editable_fields(actor_of(request), issue):
            raise Forbidden(f"you may not change the {FIELD_LABELS[name].lower()} of {issue.key}")
        since = base_version(request.GET.get("since"))
        changed_by = (
            editing.last_change(issue, name, since)
            if since is not None and since < issue.version
            else None
        )
        current = issue_out(issue)[name]
        if name == "estimate":  # edited as it reads: "3h 30m" (issues/durations.py)
            current = format_duration(current)
        return _field_form(
            request, issue, name, value=current, version=issue.version, changed=changed_by
        )
    return _save_field(request, issue, name)


def _field_value(field: str, data: QueryDict) -> Any:
    """The outside value (as the API takes it) a field form sent."""
    if field == "labels":
        return [name.strip() for name in data.get("value", "").split(",") if name.strip()]
    if field == "components":
        return [name for name in data.getlist("value") if name]
    if field == "confidential":
        return "true" in data.getlist("value")
    if field in OPTIONAL_FIELDS:
        return data.get("value", "").strip() or None
    return data.get("value", "")


def _save_field(request: HttpRequest, issue: Issue, name: str) -> HttpResponse:
    base = base_version(request.POST.get("version"))
    value = _field_value(name, request.POST)
    try:
        saved = actions.update_issue(
            actor=actor_of(request), issue=issue, changes={name: value}, base_version=base
        )
    except Conflict as conflict:
        return _conflict(request, issue, name, conflict, yours=value, base=base)
    except Forbidden as error:
        return _field_display(request, issue, name, status=403, error=error.detail)
    except DocketError as error:
        shown = ", ".join(value) if name == "labels" else value
        return _field_form(
            request,
            issue,
            name,
            value=shown,
            version=base or issue.version,
            status=error.status,
            error=error_message(error, name),
        )
    if not is_htmx(request):
        return back_to_issue(issue.key)
    return changed(_field_display(request, reloaded(saved), name, saved=True))


def _conflict(
    request: HttpRequest,
    issue: Issue,
    name: str,
    conflict: Conflict,
    *,
    yours: Any,
    base: int | None,
) -> HttpResponse:
    """Their value against the one the person sent, and who changed it since `base`."""
    fresh = reloaded(issue)
    current = conflict.extra.get("current") or issue_out(fresh)
    context = {
        "issue": issue_out(fresh),
        "f": {
            "name": name,
            "label": FIELD_LABELS[name],
            "version": fresh.version,
            "sig": signature(current.get(name)),
        },
        "theirs": current.get(name),
        "yours": yours,
        "who": editing.last_change(fresh, name, base or 0),
    }
    return partial(request, "web/issue/conflict.html", context, 409)


def _field_display(
    request: HttpRequest, issue: Issue, name: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    data = issue_out(issue)
    editable = editing.editable_fields(actor_of(request), issue)
    context = {
        "issue": data,
        "f": field_shown(name, data, editable),
        "assign_self": name == "assignee"
        and may_assign_self(actor_of(request), issue, data, editable),
        **extra,
    }
    return partial(request, "web/issue/field.html", context, status)


def _field_form(
    request: HttpRequest,
    issue: Issue,
    name: str,
    *,
    value: Any,
    version: int,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    data = issue_out(issue)
    context = {
        "issue": data,
        "f": {
            "name": name,
            "label": FIELD_LABELS[name],
            "value": ", ".join(value) if name == "labels" and isinstance(value, list) else value,
            "version": version,
            "sig": signature(data[name]),
        },
        "choices": editing.choices(actor_of(request), issue, name),
        "select": name in SELECT_FIELDS,
        "optional": name in OPTIONAL_FIELDS,
        **extra,
    }
    if name == "assignee" and value and value not in context["choices"]:
        context["choices"] = [value, *context["choices"]]  # keep the current one selectable
    return partial(request, "web/issue/field_form.html", context, status)
