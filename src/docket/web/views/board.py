"""The board: a project's issues in columns by workflow state, filtered by a query or a saved
filter, with optional swimlanes; moving a card takes a workflow transition.

Reads come from issues/board.py (through the permission gate), moves from the same
`transition` action the API calls, so the workflow's rules and their reasons apply alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from docket.accounts.actor import Actor
from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError, Invalid, NotFound
from docket.issues import actions
from docket.issues.access import get_issue_for
from docket.issues.board import LANES, build_board, moves_for
from docket.issues.models import Issue, Resolution, SavedFilter
from docket.issues.saved_filters import get_filter_for
from docket.projects.access import get_project_for, visible_projects
from docket.projects.models import Project
from docket.projects.workflow_rules import REQUIRABLE_FIELDS
from docket.query import QueryError
from docket.web.views.common import is_htmx, issue_base, page, web_view

MAX_QUERY = 2000
# What a move may need besides the target state (a transition's required fields).
MOVE_FIELDS = ("resolution", "assignee", "due_date", "milestone")


def _list_url(project: Project, status: str, query: str) -> str:
    """The issue list showing one column in full."""
    term = f'status:"{status}"'
    text = f"{term} ({query})" if query.strip() else term
    return f"{reverse('web:project_issues', args=[project.key])}?{urlencode({'q': text})}"


def _render(
    request: HttpRequest,
    project: Project,
    *,
    query: str,
    saved: SavedFilter | None = None,
) -> HttpResponse:
    lanes = request.GET.get("lanes") or None
    lanes = lanes if lanes in LANES else None
    query_error = None
    try:
        board = build_board(actor_of(request), project, query=query, lanes=lanes)
    except QueryError as error:
        query_error = error
        board = build_board(actor_of(request), project, lanes=lanes)
    for column in board.columns:
        column.list_url = _list_url(project, column.status, "" if query_error else query)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "nav": "projects",
        "project": project,
        "board": board,
        "query": query,
        "query_error": query_error,
        "lanes": lanes,
        "lane_choices": [("", "None"), ("assignee", "Assignee"), ("priority", "Priority")],
        "saved": saved,
        "resolutions": Resolution.values,
        "move_url": reverse("web:board_move", args=[project.key]),
        "board_url": reverse("web:board", args=[project.key]),
        "issue_base": issue_base(),
        "back": request.get_full_path(),
        "over_limit": [c for c in board.columns if c.over_limit],
    }
    if is_htmx(request):  # a live refresh: htmx swaps only 2xx answers
        return page(request, "web/board/board_region.html", context)
    return page(request, "web/board/board.html", context, 400 if query_error else 200)


@web_view()
@require_GET
def project_board(request: HttpRequest, project_key: str) -> HttpResponse:
    project = get_project_for(actor_of(request), project_key)
    query = request.GET.get("q", "")[:MAX_QUERY]
    return _render(request, project, query=query)


@web_view()
@require_GET
def filter_board(request: HttpRequest, filter_id: int) -> HttpResponse:
    """A saved filter's query on a board: a shared filter's own project, or for a personal
    filter the project named by `?project=` (a chooser when it is missing)."""
    saved = get_filter_for(actor_of(request), filter_id)
    if saved.project is not None:
        project = get_project_for(actor_of(request), saved.project.key)
    else:
        key = request.GET.get("project", "").strip()
        if not key:
            projects = visible_projects(actor_of(request)).order_by("key")[:200]
            return page(
                request,
                "web/board/choose_project.html",
                {"nav": "projects", "saved": saved, "projects": projects},
            )
        project = get_project_for(actor_of(request), key)
    return _render(request, project, query=saved.query, saved=saved)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _needs(error: DocketError) -> list[str]:
    """The fields a refused move asks for (a transition's required fields)."""
    if not isinstance(error, Invalid):
        return []
    fields = [e.get("field") for e in error.errors or []]
    if not fields or not all(f in REQUIRABLE_FIELDS for f in fields):
        return []
    return [f for f in REQUIRABLE_FIELDS if f in fields]


def _reason(error: DocketError) -> str:
    """The rule's own words: "Close is allowed only for admin; your role is member"."""
    text = error.errors[0]["message"] if len(error.errors) == 1 else error.detail
    return text[:1].upper() + text[1:]


def _move_page(
    request: HttpRequest, project: Project, issue: Issue, context: dict[str, Any], status: int
) -> HttpResponse:
    back = request.POST.get("back") or request.GET.get("back") or ""
    return page(
        request,
        "web/board/move.html",
        {
            "project": project,
            "key": issue.key,
            "title": issue.title,
            "status": issue.status.name.lower(),
            "version": issue.version,
            "issue_url": reverse("web:issue", args=[issue.key]),
            "resolutions": Resolution.values,
            "move_url": reverse("web:board_move", args=[project.key]),
            "back": _back(project, back),
            "values": {},
            "needs": [],
            **context,
        },
        status,
    )


def _back(project: Project, back: str) -> str:
    """Where to return after a move: the board as it was shown (its filter and lanes)."""
    board_url = reverse("web:board", args=[project.key])
    if back.startswith((board_url, "/filters/")) and "//" not in back and "\\" not in back:
        return back
    return board_url


def _issue_in(user: Actor, project: Project, key: str) -> Issue:
    issue = get_issue_for(user, key)
    if issue.project_id != project.id:
        raise NotFound(f"no issue {key} in {project.key}")
    return issue


@web_view()
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, project_key: str) -> HttpResponse:
    """Move a card: take the workflow transition to the state `to`, with `version` (the one
    the board showed: a status moved meanwhile is refused). board.js posts and reads JSON;
    without JavaScript, GET shows a form (a card's "Move to…" link) and a post redirects
    back to the board, or shows the form again for the fields the transition requires."""
    project = get_project_for(actor_of(request), project_key)
    if request.method == "GET":
        shown = _issue_in(actor_of(request), project, request.GET.get("key", "")[:30])
        return _move_page(
            request, project, shown, {"targets": moves_for(actor_of(request), shown)}, 200
        )
    key = request.POST.get("key", "")[:30]
    to = request.POST.get("to", "").strip()[:50]
    version_text = request.POST.get("version", "")
    version = int(version_text) if version_text.isdigit() and len(version_text) < 10 else None
    fields = {f: request.POST[f].strip() for f in MOVE_FIELDS if request.POST.get(f, "").strip()}
    comment = request.POST.get("comment", "").strip() or None
    board_url = _back(project, request.POST.get("back", ""))
    issue: Issue | None = None
    try:
        issue = _issue_in(actor_of(request), project, key)
        if not to:
            raise Invalid.field("to", "choose a state to move the issue to")
        moved = actions.transition(
            actor=actor_of(request),
            issue=issue,
            to=to,
            fields=fields,
            comment=comment,
            base_version=version,
            ask_resolution=True,  # a drop into a done column asks which resolution
        )
    except DocketError as error:
        needs = _needs(error)
        message = _reason(error)
        if _wants_json(request):
            body = {"ok": False, "message": message, "needs": needs, "status": error.status}
            return JsonResponse(body, status=error.status)
        if issue is None:
            raise
        context = {
            "message": message,
            "needs": needs,
            "to": to,
            "version": version,
            "fixed": bool(needs),
            "targets": moves_for(actor_of(request), issue),
            "values": {**fields, "comment": comment or ""},
        }
        return _move_page(request, project, issue, context, error.status)
    text = f"{moved.key} moved to {moved.status.name.lower()}."
    if _wants_json(request):
        return JsonResponse(
            {"ok": True, "message": text, "version": moved.version, "status": moved.status.name}
        )
    messages.success(request, text)
    return HttpResponseRedirect(board_url)
