"""A project's milestones: the list with dates and progress, and one milestone's page with its
issues (the list table, query `milestone:"name"`). Progress counts only the issues the viewer
may see (issues/milestones.py). Project admins add, edit, close and reopen milestones through
the projects app's actions (audited), as the API does."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.clock import now
from docket.core.errors import DocketError
from docket.issues import worklog
from docket.issues.milestones import Progress, milestone_of, milestones_of
from docket.projects import actions
from docket.projects.access import Perm, get_project_for, permissions_in
from docket.projects.models import Project
from docket.query import QueryError
from docket.query.printer import quote
from docket.web.views.common import page, web_view
from docket.web.views.tables import run_query, table

PAGE_SIZE = 50


def _shown(progress: Progress) -> dict[str, Any]:
    today = now().date()
    return {
        "m": progress.milestone,
        "open": progress.open,
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "days_left": progress.days_left(today),
        "overdue": progress.overdue(today),
    }


def _may_manage(request: HttpRequest, project: Project) -> bool:
    return Perm.MANAGE_PROJECT in permissions_in(actor_of(request), project)


def _dates(request: HttpRequest) -> dict[str, str | None]:
    return {
        "start_date": request.POST.get("start_date", "").strip() or None,
        "due_date": request.POST.get("due_date", "").strip() or None,
    }


@web_view()
@require_http_methods(["GET", "POST"])
def milestones(request: HttpRequest, project_key: str) -> HttpResponse:
    """GET: every milestone with dates and progress. POST (admins): add one."""
    project = get_project_for(actor_of(request), project_key)
    error, status = "", 200
    if request.method == "POST":
        try:
            actions.add_milestone(
                actor=actor_of(request), project=project,
                name=request.POST.get("name", ""), **_dates(request),
            )  # fmt: skip
        except DocketError as problem:
            error, status = _reason(problem), problem.status
        else:
            return HttpResponseRedirect(reverse("web:milestones", args=[project.key]))
    context = {
        "nav": "projects",
        "project": project,
        "milestones": [_shown(p) for p in milestones_of(actor_of(request), project)],
        "can_manage": _may_manage(request, project),
        "error": error,
        "form": request.POST if error else {},
    }
    return page(request, "web/projects/milestones.html", context, status)


def _reason(problem: DocketError) -> str:
    """The refusal in words, naming the field when the action named one."""
    for item in problem.errors:
        field = str(item.get("field") or "").replace("_", " ")
        return f"{field}: {item.get('message')}" if field else str(item.get("message"))
    return problem.detail


@web_view()
@require_http_methods(["GET", "POST"])
def milestone(request: HttpRequest, project_key: str, name: str) -> HttpResponse:
    """GET: one milestone, its progress and its issues. POST (admins): edit, close, reopen."""
    user = actor_of(request)
    project = get_project_for(user, project_key)
    progress = milestone_of(user, project, name)
    error, status = "", 200
    if request.method == "POST":
        try:
            changed = actions.update_milestone(
                actor=user, project=project, name=name, changes=_changes(request)
            )
        except DocketError as problem:
            error, status = _reason(problem), problem.status
        else:
            return HttpResponseRedirect(reverse("web:milestone", args=[project.key, changed.name]))
    query = f"milestone:{quote(progress.milestone.name)}"
    cursor = request.GET.get("cursor") or None
    try:
        issues, next_cursor = run_query(
            user, query, cursor=cursor, limit=PAGE_SIZE, project=project.key
        )
    except QueryError:  # a name the query language cannot say: show no rows, not a 500
        issues, next_cursor = [], None
    list_url = reverse("web:project_issues", args=[project.key])
    context = {
        "nav": "projects",
        "project": project,
        "ms": _shown(progress),
        "time": worklog.milestone_totals(user, progress.milestone).out(),
        "can_manage": _may_manage(request, project),
        "error": error,
        "query": query,
        "list_url": f"{list_url}?{urlencode({'q': query})}",
        "next_url": f"{request.path}?{urlencode({'cursor': next_cursor})}" if next_cursor else "",
        **table(issues, empty_text="No issues in this milestone that you can see."),
    }
    return page(request, "web/projects/milestone.html", context, status)


def _changes(request: HttpRequest) -> dict[str, Any]:
    """What the form changes: `close`/`reopen` buttons, or the edit form's fields."""
    if "close" in request.POST:
        return {"closed": True}
    if "reopen" in request.POST:
        return {"closed": False}
    return {"name": request.POST.get("name", ""), **_dates(request)}
