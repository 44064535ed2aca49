"""Issue lists (all issues, one project), full-text search, query help, query-bar suggestions,
saved filters and bulk edit — as pages.

Every list runs `queries.list_issues` exactly as the API's `GET /issues` does (the same query
language, `sort=` and keyset cursors), search runs `search.search_issues` as `GET /search`,
and every change goes through the actions (`update_issue`, `transition`, `saved_filters.*`),
so permissions and rules are the ones the API enforces.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from docket.accounts.actor import Actor
from docket.accounts.middleware import actor_of
from docket.accounts.models import Team
from docket.core.errors import BadParameter, DocketError, Invalid, NotFound
from docket.core.pagination import BadCursor
from docket.core.routers import reads_may_lag
from docket.core.rows import one_or_none
from docket.issues import choices, custom_fields, editing, saved_filters
from docket.issues.access import get_issue_for
from docket.issues.bulk import BulkChange, BulkResult, bulk_update
from docket.issues.facets import FACETS, count_and_facets, count_matches, label_colors
from docket.issues.fields import PRIORITY_BY_NAME
from docket.issues.links import mark_blocked
from docket.issues.models import Issue, Resolution
from docket.issues.queries import IssueFilter, issues_by_id, list_issues, matching_issues
from docket.issues.query_fields import ISSUE_QUERY
from docket.issues.search import search_issues
from docket.projects.access import Perm, get_project_for, permissions_in
from docket.projects.models import Project
from docket.query import MAX_LENGTH, QueryError
from docket.web.list_rows import list_rows
from docket.web.views.common import is_htmx, issue_base, page, safe_next, web_view
from docket.web.views.issue_work_section import form_values
from docket.web.views.list_query import Narrowing, active_terms, query_url
from docket.web.views.tables import chosen_columns, table

PAGE_SIZE = 50
# What a list shows when the address names no query: open issues, recently updated first (as
# GitHub and Linear do). It is written into the query bar, where it can be edited or cleared.
DEFAULT_QUERY = "is:open sort:updated-desc"
LIST_REGION = "list-page"  # the element a narrowing click replaces (list.js, list.html)
FACETS_REGION = "facets"  # the sidebar's counts, loaded after the page (list.html)
FACET_VALUES = 8  # values shown per facet, most frequent first
FACET_TITLES = {
    "status": "Status",
    "priority": "Priority",
    "assignee": "Assignee",
    "label": "Labels",
}
SEARCH_LIMIT = 50
SIDEBAR_FILTERS = 50
UNASSIGN = "@none"  # the bulk bar's "Unassigned" choice (usernames cannot start with @)
# Columns of the shared table that sort (the `sort=` parameter the API's list takes), and the
# direction a first click sorts in.
SORTABLE = {
    "key": "key",
    "title": "title",
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "due": "due",
    "updated": "updated",
    "sla": "sla",  # nearest deadline first (`sort:sla`)
}
FIRST_DESCENDING = {"priority", "updated"}


# --- the lists ------------------------------------------------------------------------------


@web_view()
@require_GET
@reads_may_lag()  # served by a read replica if configured (docs/scaling.md)
def all_issues(request: HttpRequest) -> HttpResponse:
    return _issue_list(request, None)


@web_view()
@require_GET
def project_issues(request: HttpRequest, project_key: str) -> HttpResponse:
    project = get_project_for(actor_of(request), project_key)  # 404 for outsiders of a private one
    return _issue_list(request, project)


@web_view()
@require_GET
def team_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's queue: the issues routed to it (`team:<slug>`) that the viewer may see,
    open ones unless the query says otherwise. Any signed-in user may look; the list is
    gated issue by issue as every list is."""
    team = one_or_none(Team.objects.filter(slug=slug))
    if team is None:
        raise NotFound(f"no team {slug[:64]}")
    return _issue_list(request, None, team=team)


def _issue_list(
    request: HttpRequest, project: Project | None, team: Team | None = None
) -> HttpResponse:
    user = actor_of(request)
    q = request.GET.get("q", "is:open" if team is not None else DEFAULT_QUERY)
    sort = request.GET.get("sort", "").strip() or None
    cursor = request.GET.get("cursor") or None
    asked = ",".join(request.GET.getlist("columns"))[:500]  # the column chooser sends several
    custom = _custom_labels(project) if "cf." in asked else {}
    extra = chosen_columns(asked, custom)
    shown = ",".join(extra)  # kept in every link the list makes
    scope = IssueFilter(
        projects=[project.key] if project else [], teams=[team.slug] if team else []
    )
    if is_htmx(request) and request.headers.get("HX-Target") == FACETS_REGION:
        return _facets_only(request, scope, q, sort, shown)
    issues: list[dict[str, Any]] = []
    next_cursor = matched = None
    error = None
    try:
        matched = matching_issues(user, scope, q)  # for the list and its count
        issues, next_cursor = list_issues(
            user, scope, query=q, sort=sort, cursor=cursor, limit=PAGE_SIZE, matched=matched
        )
        mark_blocked(user, issues)  # the Blocked badge: one query for the page
        if custom:
            custom_fields.add_to_rows(user, issues)  # their columns: one query for the page
    except (QueryError, BadParameter, BadCursor) as exc:
        error = query_error(q, exc)
    narrowing = Narrowing(q, lambda text: query_url(request.path, q=text, sort=sort, columns=shown))
    context = {
        "nav": "projects" if project else "issues",
        "project": project,
        "team": team,
        "q": q,
        "sort": sort or "",
        "cursor": cursor,
        "error": error,
        "max_length": MAX_LENGTH,
        "default_query": DEFAULT_QUERY,
        **table(
            issues,
            extra_columns=extra,
            custom=custom,
            selectable=True,
            **_sorting(request.path, q, sort, shown),
        ),
        "empty_text": "No issues match this query." if q else "No issues here yet.",
        "next_url": (
            _url(request.path, q=q, sort=sort, columns=shown, cursor=next_cursor)
            if next_cursor
            else ""
        ),
        "first_url": _url(request.path, q=q, sort=sort, columns=shown),
        "first_url_unsorted": _url(request.path, q=q, columns=shown),
        "shown_columns": shown,
        "sla_toggle_url": _url(
            request.path, q=q, sort=sort, columns="" if "sla" in extra else "sla"
        ),
    }
    if matched is not None and not error:
        custom_columns = context["custom_columns"]  # a project's cf.<name> columns
        context.update(_counted(matched, narrowing, issues, context["sla_column"], custom_columns))
    status = 400 if error else 200
    if not error and request.GET.get("facets") == "1":  # inline: a browser without JS
        context.update(_facets(user, scope, q, narrowing))
    context["facets_url"] = _url(request.path, q=q, sort=sort, columns=shown, facets="1")
    # The results region refreshing itself (live updates, bulk edit); a click that narrows
    # the query (list.js) asks for the whole LIST_REGION.
    if is_htmx(request) and request.headers.get("HX-Target") != LIST_REGION:
        response = page(request, "web/issues/partials/results.html", context, status)
    else:
        context["terms"] = active_terms(q, narrowing.url)
        context.update(_sidebar(request, project, q))
        context.update(
            priorities=list(PRIORITY_BY_NAME), resolutions=Resolution.values, unassign=UNASSIGN
        )
        context.update(bulk_fields=bulk_fields(project))
        response = page(request, "web/issues/list.html", context, status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _counted(
    matched: QuerySet[Issue],
    narrowing: Narrowing,
    issues: list[dict[str, Any]],
    sla: bool,
    custom: list[str],
) -> dict[str, Any]:
    """The total (capped, gated: issues/facets.py) and the rows with their narrowing links
    and label colours."""
    counted = count_matches(matched)
    pairs = {(i["project"], name) for i in issues for name in i["labels"]}
    rows = list_rows(
        issues,
        issue_base=issue_base(),
        link=narrowing.link,
        colors=label_colors(pairs),
        sla=sla,
        custom=custom,
    )
    return {"total": counted.total, "total_capped": counted.capped, "list_rows": rows}


def _facets_only(
    request: HttpRequest, scope: IssueFilter, q: str, sort: str | None, shown: str
) -> HttpResponse:
    """The sidebar's facets on their own (HX-Target: facets), without reading the list."""
    narrowing = Narrowing(q, lambda text: query_url(request.path, q=text, sort=sort, columns=shown))
    context: dict[str, Any] = {"error": None}
    try:
        context.update(_facets(actor_of(request), scope, q, narrowing))
    except (QueryError, BadParameter) as exc:
        context["error"] = query_error(q, exc)
    response = page(
        request, "web/issues/partials/facets.html", context, 400 if context["error"] else 200
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _facets(user: Actor, scope: IssueFilter, q: str, narrowing: Narrowing) -> dict[str, Any]:
    """The sidebar's counts per status, priority, assignee and label (one grouped, gated,
    capped query). Asked for separately (list.html loads them after the page, or inline with
    `?facets=1` without JavaScript): they cost as much again as the list's own query."""
    found = count_and_facets(user, scope, q, shown=FACET_VALUES)
    facets = [
        {
            "field": name,
            "title": FACET_TITLES[name],
            "values": [
                {
                    "name": value.name,
                    "count": value.count,
                    "color": value.color,
                    "category": value.category,
                    "url": narrowing.link(name, value.name),
                }
                for value in found.values[name]
            ],
        }
        for name in FACETS
    ]
    return {"facets": facets, "facets_capped": found.capped, "facets_total": found.total}


def _custom_labels(project: Project | None) -> dict[str, str]:
    """A project's custom fields by name with their labels (their list columns)."""
    if project is None:
        return {}
    return {f.name: f.label for f in custom_fields.project_fields(project)}


def query_error(text: str, exc: DocketError) -> dict[str, Any]:
    """What the page shows for a bad query: the message, and where in the text it is."""
    position = getattr(exc, "position", None)
    shown: dict[str, Any] = {"detail": exc.detail, "position": position}
    if isinstance(position, int) and text and len(text) <= MAX_LENGTH:
        at = max(0, min(position, len(text)))
        shown.update(
            column=at + 1,
            before=text[:at],
            at=text[at : at + 1] or " ",
            after=text[at + 1 :],
            suggestion=getattr(exc, "suggestion", None),
            expected=getattr(exc, "expected", [])[:12],
        )
    return shown


def _url(path: str, **params: Any) -> str:
    # An empty q stays in the address: it means "every issue", no q the default query.
    kept = {name: value for name, value in params.items() if value or name == "q"}
    return f"{path}?{urlencode(kept)}" if kept else path


def _sort_parts(sort: str | None) -> tuple[str, bool]:
    if not sort:
        return "", False
    if sort.startswith("-"):
        return sort[1:], True
    name, _, direction = sort.partition("-")
    return name, direction == "desc"


def _sorting(path: str, q: str, sort: str | None, columns: str = "") -> dict[str, Any]:
    """Column header links: a first click sorts by the column, a second reverses it. The
    `sort=` parameter overrides the query's own `sort:` (as in the API)."""
    current, desc = _sort_parts(sort)
    links = {}
    for column, name in SORTABLE.items():
        descending = not desc if name == current else name in FIRST_DESCENDING
        wanted = f"{name}-desc" if descending else name
        links[column] = _url(path, q=q, sort=wanted, columns=columns)
    column = next((c for c, n in SORTABLE.items() if n == current), "")
    return {"sort_links": links, "sort_column": column, "sort_desc": desc}


def _sidebar(request: HttpRequest, project: Project | None, q: str) -> dict[str, Any]:
    """Saved filters: the caller's own, and the shared ones of this project (of every visible
    project on the all-issues list). Each links to the list that runs it."""
    user = actor_of(request)
    personal, shared = saved_filters.sidebar_filters(user, project, SIDEBAR_FILTERS)
    all_path = reverse("web:issues")

    def entry(saved: dict[str, Any]) -> dict[str, Any]:
        key = saved["project__key"]
        path = reverse("web:project_issues", args=[key]) if key else all_path
        return {
            "id": saved["id"],
            "name": saved["name"],
            "query": saved["query"],
            "project": key or "",
            "url": _url(path, q=saved["query"]),
            "current": path == request.path and saved["query"] == q,
            "mine": saved["owner_id"] == user.id,
        }

    may_share = project is not None and Perm.EDIT_ISSUE in permissions_in(user, project)
    return {
        "personal_filters": [entry(f) for f in personal],
        "shared_filters": [entry(f) for f in shared],
        "may_share": may_share,
    }


@web_view()
@require_GET
def bulk_choices(request: HttpRequest) -> HttpResponse:
    """`?project=KEY` → JSON of what the bulk bar offers. list.js fetches it when the bar
    first opens: a few queries most list views never need (a quarter of a list's time)."""
    key = request.GET.get("project", "")
    project = get_project_for(actor_of(request), key) if key else None
    return JsonResponse(_bulk_choices(actor_of(request), project))


def _bulk_choices(user: Actor, project: Project | None) -> dict[str, list[str]]:
    """What the bulk bar offers. On a project: its assignable people, labels and states; on
    the all-issues list: people and state names from the projects the caller can see."""
    if project is not None:
        people = editing.assignable_people(project)
        labels = choices.project_labels(project, user)
        states = choices.project_states(project)
    else:
        rows = choices.people_of_visible_projects(user)
        people = list(rows.values_list("username", flat=True)[: choices.MAX_CHOICES])
        labels = []
        states = choices.visible_state_names(user)
    return {"people": people, "labels": labels, "states": states}


# --- suggestions for the query bar ----------------------------------------------------------


@web_view()
@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """`?q=…&cursor=N[&project=KEY]` → JSON completions for the word at the cursor."""
    text = request.GET.get("q", "")[:MAX_LENGTH]
    try:
        cursor = int(request.GET.get("cursor", len(text)))
    except ValueError:
        cursor = len(text)
    key = request.GET.get("project", "")
    project = get_project_for(actor_of(request), key) if key else None
    found = choices.suggest(actor_of(request), text, cursor, project=project)
    return JsonResponse(found.as_json())


# --- search ---------------------------------------------------------------------------------


@web_view()
@require_GET
@reads_may_lag()  # served by a read replica if configured (docs/scaling.md)
def search(request: HttpRequest) -> HttpResponse:
    """Ranked full-text search (as `GET /api/v1/search`). Snippets are HTML built by
    query/search/marks.py `highlight`: the text is escaped there and only <mark> is added."""
    q = request.GET.get("q", "").strip()
    hits: list[dict[str, Any]] = []
    error = None
    if q:
        try:
            found = search_issues(actor_of(request), q, SEARCH_LIMIT)
        except QueryError as exc:
            error = query_error(q, exc)
        else:
            issues = issues_by_id(actor_of(request), [h.id for h in found])
            hits = [{"snippet": h.snippet, "issue": issues[h.id]} for h in found if h.id in issues]
    context = {
        "nav": "issues",
        "q": q,
        "search_text": q,
        "hits": hits,
        "error": error,
        "list_url": _url(reverse("web:issues"), q=q),
        "limit": SEARCH_LIMIT,
    }
    return page(request, "web/issues/search.html", context, 400 if error else 200)


# --- query help -----------------------------------------------------------------------------


@web_view()
@require_GET
def query_help(request: HttpRequest) -> HttpResponse:
    """The fields, flags and sortable fields of the query language, from its registry."""
    fields = []
    for f in ISSUE_QUERY.fields:
        if not f.available:
            continue
        values = [name for name, _ in f.values]
        fields.append(
            {
                "name": f.name,
                "aliases": f.aliases,
                "kind": str(f.kind),
                "values": values,
                "nullable": f.nullable,
                "comparable": f.comparable,
                "sortable": bool(f.sort),
            }
        )
    flags = [{"name": flag.name, "query": flag.query} for flag in _flags()]
    context = {"nav": "issues", "fields": fields, "flags": flags}
    return page(request, "web/issues/query_help.html", context)


def _flags() -> list[Any]:
    return [ISSUE_QUERY.flag(name) for name in ISSUE_QUERY.flag_names]


# --- saved filters --------------------------------------------------------------------------


@web_view()
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    """The sidebar's "Save this query": a personal filter, or shared with the project."""
    back = safe_next(request, reverse("web:issues"))
    name = request.POST.get("name", "")[:100]
    query = request.POST.get("query", "")[:MAX_LENGTH]
    project_key = request.POST.get("project", "").strip() if request.POST.get("share") else ""
    try:
        saved = saved_filters.create_filter(
            actor=actor_of(request), name=name, query=query, project_key=project_key or None
        )
    except DocketError as exc:
        messages.error(request, f"The filter was not saved: {_message(exc)}")
    else:
        where = f" for {saved.project.key}" if saved.project else ""
        messages.success(request, f"Saved filter “{saved.name}”{where}.")
    return HttpResponseRedirect(back)


@web_view()
@require_POST
def delete_filter(request: HttpRequest, filter_id: int) -> HttpResponse:
    back = safe_next(request, reverse("web:issues"))
    saved = saved_filters.get_filter_for(actor_of(request), filter_id)
    try:
        saved_filters.delete_filter(actor=actor_of(request), saved=saved)
    except DocketError as exc:
        messages.error(request, f"The filter was not deleted: {_message(exc)}")
    else:
        messages.success(request, f"Deleted filter “{saved.name}”.")
    return HttpResponseRedirect(back)


def _message(exc: DocketError) -> str:
    return _errors_text(exc.errors, exc.detail)


def _errors_text(errors: list[dict[str, Any]], detail: str) -> str:
    fields = [f"{e['field']} {e['message']}" for e in errors if e.get("field")]
    return "; ".join(fields) if fields else detail


# --- bulk edit ------------------------------------------------------------------------------


@web_view()
@require_POST
def bulk_edit(request: HttpRequest) -> HttpResponse:
    """Apply the bulk bar's changes to each selected issue through the bulk edit action, and
    report every issue's outcome (nothing fails silently)."""
    keys = list(dict.fromkeys(k.strip() for k in request.POST.getlist("selected") if k.strip()))
    problem, results = "", []
    try:
        change = _bulk_change(request, keys)
        if not keys:
            problem = "Select at least one issue."
        elif change.is_empty():
            problem = "Choose something to change."
        else:
            outcome = bulk_update(actor=actor_of(request), keys=keys, change=change)
            results = [_result(result) for result in outcome]
    except DocketError as exc:
        problem = _sentence(exc)
    changed = sum(1 for r in results if r["ok"] and r["changed"])
    refused = sum(1 for r in results if not r["ok"])
    summary = problem or _summary(changed, refused, len(results))
    if is_htmx(request):
        context = {"results": results, "summary": summary, "problem": bool(problem)}
        response = page(request, "web/issues/partials/bulk_results.html", context)
        if results:
            response["HX-Trigger"] = "docket:bulk"  # the results region refreshes itself
        return response
    level = messages.ERROR if problem or refused else messages.SUCCESS
    messages.add_message(request, level, summary)
    for result in results:
        if not result["ok"]:
            messages.error(request, f"{result['key']}: {result['message']}")
    return HttpResponseRedirect(safe_next(request, reverse("web:issues")))


def _bulk_change(request: HttpRequest, keys: list[str]) -> BulkChange:
    """The bulk bar's choices as a bulk change (one label to add or remove, one state, one
    custom field to set or clear)."""
    wanted = _bulk_wanted(request)
    changes: dict[str, Any] = {}
    if "assignee" in wanted:
        who = wanted["assignee"]
        changes["assignee"] = (
            None if who == UNASSIGN else (request.user.username if who == "@me" else who)
        )
    if "priority" in wanted:
        changes["priority"] = wanted["priority"]
    if "resolution" in wanted:  # with the move; a done state needs one (ask_resolution)
        changes["resolution"] = wanted["resolution"]
    return BulkChange(
        changes=changes,
        add_labels=tuple(filter(None, [wanted.get("add_label")])),
        remove_labels=tuple(filter(None, [wanted.get("remove_label")])),
        to=wanted.get("to"),
        custom_fields=_bulk_custom(request, keys),
        ask_resolution=True,
    )


def _bulk_custom(request: HttpRequest, keys: list[str]) -> dict[str, Any]:
    """The bar's custom field (`cf_field`) with its value (`cf_value`, several options
    comma-separated) or cleared (`cf_clear`), read as the issue page's form reads it: by
    the field's type in the first selected issue's project (the action checks each)."""
    name = request.POST.get("cf_field", "").strip()
    if not name or not keys:
        return {}
    raw, clear = request.POST.get("cf_value", "").strip(), bool(request.POST.get("cf_clear"))
    if clear == bool(raw):
        raise Invalid.field(name, "give a value to set, or tick Clear (not both)")
    field = custom_fields.field_named(get_issue_for(actor_of(request), keys[0]).project, name)
    given = [v.strip() for v in raw.split(",")] if field.type == "multi_select" else [raw]
    form = QueryDict(mutable=True)
    form.setlist(f"cf.{name}", [] if clear else given)
    return form_values([field], form)


def bulk_fields(project: Project | None) -> list[dict[str, str]]:
    """The custom fields the bar offers on a project's list (by name and label)."""
    if project is None:
        return []
    return [{"name": f.name, "label": f.label} for f in custom_fields.project_fields(project)]


def _sentence(exc: DocketError) -> str:
    """A whole-request refusal as the bar shows it."""
    if not exc.errors:
        return exc.detail
    message = exc.errors[0]["message"]
    return message[:1].upper() + message[1:] + "."


def _result(result: BulkResult) -> dict[str, Any]:
    message = _errors_text(result.errors, result.message)
    return {"key": result.key, "ok": result.ok, "changed": result.changed, "message": message}


def _bulk_wanted(request: HttpRequest) -> dict[str, str]:
    fields = ("assignee", "priority", "add_label", "remove_label", "to", "resolution")
    return {name: value for name in fields if (value := request.POST.get(name, "").strip())}


def _summary(changed: int, refused: int, total: int) -> str:
    unchanged = total - changed - refused
    parts = [f"{changed} updated"]
    if unchanged:
        parts.append(f"{unchanged} already so")
    if refused:
        parts.append(f"{refused} refused")
    return "Bulk edit: " + ", ".join(parts) + "."
