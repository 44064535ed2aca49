"""Creating an issue as a page: pick a project (if none is given), fill the form, see the new
key. The form sends the same outside values as `POST /api/v1/projects/{key}/issues` to the
same action, `issues.actions.create_issue`, which validates and decides everything.

Defaults (documented in docs/web.md): type `bug` unless `?type=` names another, priority
`medium` (`high` for an incident), severity `major`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from docket.accounts.actor import Actor
from docket.accounts.middleware import actor_of
from docket.core.errors import Conflict, Invalid
from docket.issues import actions, choices, custom_fields, editing
from docket.issues.fields import (
    FIELDS,
    INLINE_FIELDS,
    MAX_DESCRIPTION,
    MAX_NAMES,
    PRIORITY_BY_NAME,
    SEVERITY_BY_NAME,
    TYPE_NAMES,
)
from docket.projects.access import Perm, get_project_for, permissions_in, visible_projects
from docket.projects.models import Project
from docket.web.views.common import page, web_view
from docket.web.views.issue_work_section import custom_inputs, form_values

TYPES = list(TYPE_NAMES)
# The form asks for what the issue page edits in place, shown by each field's widget
# (issues/fields.py).
FORM_FIELDS = (*INLINE_FIELDS, "parent")  # the parent: prefilled by "Add sub-task"


def defaults(issue_type: str | None) -> dict[str, Any]:
    """The form's starting values for a type (presentation only: the action has its own)."""
    kind = issue_type if issue_type in TYPES else FIELDS["type"].default
    form = {name: _blank(name) for name in FORM_FIELDS}
    form["type"] = kind
    form["priority"] = "high" if kind == "incident" else FIELDS["priority"].default
    return form


def _blank(name: str) -> Any:
    field = FIELDS[name]
    if field.default is not None:
        return field.default
    return [] if field.widget == "names" else ""


def form_from(post: QueryDict) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for name in FORM_FIELDS:
        widget = FIELDS[name].widget
        if widget == "names":
            form[name] = [n for n in post.getlist(name) if n][:MAX_NAMES]
        elif widget == "checkbox":
            form[name] = bool(post.get(name))
        else:
            form[name] = post.get(name, "")
    form["title"] = form["title"].strip()
    form["due_date"] = form["due_date"].strip()
    return form


def fields_from(form: dict[str, Any]) -> dict[str, Any]:
    """The form as the API's outside values: empty optional fields are simply not sent."""
    fields: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value, field = form[name], FIELDS[name]
        always = field.widget in ("text", "textarea", "select") and not field.clearable
        if always or value:
            fields[name] = value
    return fields


def field_errors(error: Invalid | Conflict) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors:
        name, message = str(item.get("field") or ""), str(item.get("message"))
        name = name.removeprefix("custom_fields.")  # a custom field reads by its name
        if name in FORM_FIELDS:
            found.setdefault(name, message)
        else:
            found.setdefault("form", f"{name}: {message}" if name else message)
    return found or {"form": error.detail}


@web_view()
@require_http_methods(["GET", "POST"])
def create_issue(request: HttpRequest, project_key: str) -> HttpResponse:
    # The same gate as the action (404 for outsiders, 403 for a viewer) before showing a form.
    project = get_project_for(actor_of(request), project_key, Perm.CREATE_ISSUE)
    errors: dict[str, str] = {}
    custom_values: dict[str, Any] = {}
    if request.method == "POST":
        form = form_from(request.POST)
        # Custom fields left empty are not sent (a required one is then named by the action).
        sent = form_values(custom_fields.project_fields(project), request.POST)
        custom_values = {name: v for name, v in sent.items() if v not in (None, [])}
        try:
            fields = fields_from(form)
            if custom_values or custom_fields.project_fields(project):
                fields["custom_fields"] = custom_values
            issue = actions.create_issue(actor=actor_of(request), project=project, fields=fields)
        except (Invalid, Conflict) as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, f"Created {issue.key}")
            return HttpResponseRedirect(reverse("web:issue", args=[issue.key]))
    else:
        form = defaults(request.GET.get("type"))
        form["parent"] = request.GET.get("parent", "")[:40]
    context = {
        "nav": "projects",
        "project": project,
        "form": form,
        "errors": errors,
        "types": TYPES,
        "priorities": list(PRIORITY_BY_NAME),
        "severities": list(SEVERITY_BY_NAME),
        "people": editing.assignable_people(project),
        "labels": choices.project_labels(project, actor_of(request)),
        "components": choices.project_components(project),
        "milestones": choices.project_milestones(project, open_only=True),
        "teams": choices.team_slugs(),
        "max_description": MAX_DESCRIPTION,
        "custom": custom_inputs(project, custom_values, people=True),
    }
    return page(request, "web/create_issue.html", context, 422 if errors else 200)


def _creatable(user: Actor) -> list[Project]:
    projects = visible_projects(user).order_by("key")
    return [p for p in projects if Perm.CREATE_ISSUE in permissions_in(user, p)]


@web_view()
@require_http_methods(["GET"])
def create_issue_any(request: HttpRequest) -> HttpResponse:
    """First pick a project you can file issues in (straight to its form if there is one)."""
    projects = _creatable(actor_of(request))
    chosen = request.GET.get("project", "").upper()
    issue_type = request.GET.get("type", "")
    if not chosen and len(projects) == 1:
        chosen = projects[0].key
    if chosen:
        target = reverse("web:create_issue", args=[chosen])
        query = urlencode({"type": issue_type}) if issue_type else ""
        return HttpResponseRedirect(f"{target}?{query}" if query else target)
    context = {"nav": "issues", "projects": projects, "types": TYPES, "type": issue_type}
    return page(request, "web/create_issue_pick.html", context)


@web_view()
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Markdown preview for any text area (htmx): rendered and sanitised as everywhere."""
    text = request.POST.get("description", request.POST.get("text", ""))[:MAX_DESCRIPTION]
    return page(request, "web/issues/partials/preview.html", {"text": text})
