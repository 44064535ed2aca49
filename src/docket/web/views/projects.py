"""Projects as pages: the list, creating one, and managing its members and components
(project admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.issues.capped import OPEN_COUNT_CAP, open_issue_counts
from docket.issues.editing import assignable_people
from docket.projects import actions
from docket.projects.access import (
    Perm,
    get_project_for,
    permissions_in,
    project_roles,
    visible_memberships,
)
from docket.projects.access import visible_projects as projects_for
from docket.projects.models import Component, Project, Role
from docket.projects.workflows import TEMPLATES
from docket.reports.scope import open_counts
from docket.web.views.common import page, web_view


def _field_errors(error: DocketError) -> dict[str, str]:
    found = {e["field"]: e["message"] for e in error.errors or [] if e.get("field")}
    return found or {"form": error.detail}


@web_view()
def project_list(request: HttpRequest) -> HttpResponse:
    """Projects the user can see, theirs first, with the number of open issues each."""
    roles = project_roles(actor_of(request))
    projects = sorted(
        projects_for(actor_of(request)).select_related("lead"),
        key=lambda p: (p.id not in roles, p.key),
    )
    ids = [project.id for project in projects]
    # exact from the roll-ups; else counted through the issue gate, up to a cap
    counts, cap = open_counts(actor_of(request), ids), None
    if counts is None:
        counts, cap = open_issue_counts(actor_of(request), ids), OPEN_COUNT_CAP
    for project in projects:
        project.open_issues = counts[project.id]  # type: ignore[attr-defined]
    return page(
        request,
        "web/projects/list.html",
        {"nav": "projects", "projects": projects, "roles": roles, "count_cap": cap},
    )


@web_view()
@require_http_methods(["GET", "POST"])
def create_project(request: HttpRequest) -> HttpResponse:
    form: dict[str, Any] = {"visibility": "private", "workflow": "default"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {
            name: request.POST.get(name, "").strip()
            for name in ("key", "name", "description", "visibility", "workflow")
        }
        form["key"] = form["key"].upper()
        try:
            project = actions.create_project(
                actor=actor_of(request),
                key=form["key"],
                name=form["name"] or form["key"],
                description=form["description"],
                visibility=form["visibility"] or Project.Visibility.PRIVATE,
                workflow=form["workflow"] or "default",
                reporters_see_own_only=request.POST.get("reporters_see_own_only") == "on",
            )
        except DocketError as error:
            errors = _field_errors(error)
        else:
            messages.success(request, f"Created project {project.key}.")
            return HttpResponseRedirect(reverse("web:project_issues", args=[project.key]))
    context = {
        "nav": "projects",
        "form": form,
        "errors": errors,
        "templates": [(key, t.name, t.description) for key, t in TEMPLATES.items()],
        "visibilities": Project.Visibility.choices,
    }
    return page(request, "web/projects/new.html", context, 422 if errors else 200)


@web_view()
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, project_key: str) -> HttpResponse:
    """Everyone who can see the project sees its members (on a support desk, customers see
    its staff and themselves: projects.access.visible_memberships); admins change them. A refused
    change answers with the refusal's own status (403 for a role without the right, 422 for
    a bad role name), the page showing why."""
    project = get_project_for(actor_of(request), project_key)
    can_manage = Perm.MANAGE_PROJECT in permissions_in(actor_of(request), project)
    error, status = "", 200
    if request.method == "POST":
        try:
            _change_member(request, project)
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            return HttpResponseRedirect(reverse("web:members", args=[project.key]))
    rows = visible_memberships(actor_of(request), project).select_related("user", "team")
    context = {
        "project": project,
        "memberships": sorted(rows, key=lambda m: (-_rank(m.role), str(m.user or m.team))),
        "can_manage": can_manage,
        "roles": Role.values,
        "error": error,
    }
    return page(request, "web/projects/members.html", context, status)


def _rank(role: str) -> int:
    return Role.values[::-1].index(role)


def _change_member(request: HttpRequest, project: Project) -> None:
    who = {
        "user": request.POST.get("user", "").strip() or None,
        "team": request.POST.get("team", "").strip() or None,
    }
    if request.POST.get("remove"):
        actions.remove_member(actor=actor_of(request), project=project, **who)
        messages.success(request, f"Removed {who['user'] or who['team']}.")
        return
    actions.set_member(
        actor=actor_of(request), project=project, role=request.POST.get("role", ""), **who
    )
    messages.success(request, f"{who['user'] or who['team']} is now {request.POST.get('role')}.")


@web_view()
@require_http_methods(["GET", "POST"])
def components(request: HttpRequest, project_key: str) -> HttpResponse:
    """The project's components and their leads (routing may assign a component's issues to
    its lead). Everyone who can see the project sees them; admins add components and set or
    clear leads, through the same actions as the API (a lead must be assignable: 422)."""
    project = get_project_for(actor_of(request), project_key)
    can_manage = Perm.MANAGE_PROJECT in permissions_in(actor_of(request), project)
    error, status = "", 200
    if request.method == "POST":
        try:
            _change_component(request, project)
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            return HttpResponseRedirect(reverse("web:components", args=[project.key]))
    context = {
        "project": project,
        "components": Component.objects.filter(project=project)
        .select_related("lead")
        .order_by("name"),
        "can_manage": can_manage,
        "people": assignable_people(project) if can_manage else [],
        "error": error,
    }
    return page(request, "web/projects/components.html", context, status)


def _change_component(request: HttpRequest, project: Project) -> None:
    name = request.POST.get("name", "").strip()
    lead = request.POST.get("lead", "").strip() or None
    if request.POST.get("add"):
        actions.add_component(actor=actor_of(request), project=project, name=name, lead=lead)
        messages.success(request, f"Added component {name}.")
        return
    actions.set_component_lead(actor=actor_of(request), project=project, component=name, lead=lead)
    messages.success(request, f"{name}: lead {'is now ' + lead if lead else 'cleared'}.")
