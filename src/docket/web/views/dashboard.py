"""Dashboards (a project's at /p/KEY/dashboard, everyone's own at /dashboard) and the issue
page "as of" a day. The figures are the reports app's (widgets.py, as_of.py), over the
issues the viewer may see; this module reads the parameters and shows them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from docket.accounts.middleware import actor_of
from docket.core.clock import now
from docket.core.errors import DocketError, NotFound
from docket.core.routers import reads_may_lag
from docket.issues.fields import FIELDS
from docket.issues.models import Issue
from docket.issues.saved_filters import visible_filters
from docket.projects.access import get_project_for
from docket.projects.models import Milestone, Project
from docket.reports import as_of, charts, csv_out, widgets
from docket.reports.scope import Scope, scope_for
from docket.reports.tallies import snapshot
from docket.web.views.common import page, web_view

AS_OF_FIELDS = [
    "title", "type", "status", "resolution", "priority", "severity", "assignee", "reporter",
    "team", "milestone", "due_date", "labels", "components", "confidential",
]  # fmt: skip


def _params(request: HttpRequest) -> dict[str, str]:
    names = ("q", "filter", "unit", "milestone", "as_of")
    return {name: request.GET.get(name, "").strip() for name in names}


def _filters(request: HttpRequest, project: Project | None) -> list[dict[str, Any]]:
    saved = visible_filters(actor_of(request))
    if project is not None:
        saved = saved.filter(project__in=[project]) | saved.filter(project__isnull=True)
    return [dict(row) for row in saved.order_by("name", "id").values("id", "name")[:200]]


def _csv(widget: widgets.Widget) -> HttpResponse:
    response = HttpResponse(csv_out.widget_csv(widget), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{widget.slug}.csv"'
    return response


def _shown(widget: widgets.Widget, params: dict[str, str]) -> dict[str, Any]:
    query = {k: v for k, v in params.items() if v and k != "as_of"}
    widget = widgets.top(widget)
    return {
        "w": widget,
        "svg": charts.chart_of(widget),
        "csv_url": "?" + urlencode({**query, "csv": widget.slug}),
    }


def _dashboard(request: HttpRequest, project: Project | None) -> HttpResponse:
    params = _params(request)
    moment = now()
    context: dict[str, Any] = {
        "nav": "dashboard" if project is None else "projects",
        "project": project,
        "params": params,
        "filters": _filters(request, project) if request.user.is_authenticated else [],
        "milestones": (
            list(Milestone.objects.filter(project=project).order_by("closed", "name"))
            if project
            else []
        ),
        "today": moment.date().isoformat(),
        "error": "",
    }
    try:
        with snapshot():  # the roll-ups and the issues as of one moment
            scope = scope_for(actor_of(request), project, params["q"], params["filter"])
            slug = request.GET.get("csv", "")
            weekly, milestone = params["unit"] == "week", params["milestone"]
            if slug:
                found = widgets.widget_named(
                    scope, slug, moment, weekly=weekly, milestone=milestone
                )
                if found is None:
                    raise NotFound(f"no widget {slug[:40]!r}")
                return _csv(found)
            shown = widgets.dashboard(
                scope, moment, weekly=weekly, milestone=milestone, most=widgets.MOST_SHOWN
            )
            context["widgets"] = [_shown(w, params) for w in shown]
            if params["as_of"] and project is not None:
                context["as_of"] = _as_of(scope, params["as_of"], moment.date())
    except DocketError as problem:
        if request.GET.get("csv"):
            raise
        context["error"] = str(problem)
        context["widgets"] = []
        return page(request, "web/reports/dashboard.html", context, problem.status)
    return page(request, "web/reports/dashboard.html", context)


def _as_of(scope: Scope, text: str, today: Any) -> dict[str, Any]:
    counts = as_of.counts_as_of(scope, as_of.parse_day(text, today))
    tables = [
        ("status", "Issues by status", counts.by_status),
        ("priority", "Open issues by priority", counts.open_by_priority),
        ("assignee", "Open issues by assignee", counts.open_by_assignee),
    ]
    shown = []
    for slug, title, rows in tables:
        widget = widgets.top(
            widgets.Widget(f"asof-{slug}", title, [slug, "issues"], [list(r) for r in rows], "bars")
        )
        shown.append({"w": widget, "svg": charts.chart_of(widget)})
    return {"day": counts.day.isoformat(), "total": counts.total, "widgets": shown}


@web_view(public=True)
@require_GET
def project_dashboard(request: HttpRequest, project_key: str) -> HttpResponse:
    return _dashboard(request, get_project_for(actor_of(request), project_key))


@web_view()
@require_GET
@reads_may_lag()  # served by a read replica if configured (docs/scaling.md)
def my_dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, None)


def issue_as_of_page(request: HttpRequest, issue: Issue, text: str) -> HttpResponse:
    """The issue's fields as they were at the end of a day: read-only, with a banner. The
    caller (the issue page) has checked the viewer may see the issue."""
    today = now().date()
    day = as_of.parse_day(text, today)
    fields = as_of.issue_as_of(issue, day)
    rows = [
        {"label": FIELDS[name].label, "value": fields.get(name)}
        for name in AS_OF_FIELDS
        if name in FIELDS and name in fields
    ]
    context = {
        "nav": "issues",
        "issue": issue,
        "key": f"{issue.project.key}-{issue.number}",
        "day": day.isoformat(),
        "today": today.isoformat(),
        "title": fields.get("title", issue.title),
        "rows": rows,
    }
    return page(request, "web/reports/issue_as_of.html", context)
