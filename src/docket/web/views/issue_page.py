"""One issue: its fields (each editable in place), transitions, watchers, and the timeline of
comments and history.

Every change goes through the issue actions with the version the person started from, so a
field someone else changed meanwhile is reported as a conflict (their value against the
current one) instead of being overwritten. What a person may do is asked of the domain
(issues/editing.py, the gate, the actions); templates only show it.

htmx swaps the partials in place; every form also works as a plain POST (the page reloads).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from docket.core import markdown
from docket.core.clock import now
from docket.core.errors import BadParameter, Conflict, DocketError, Forbidden, NotFound
from docket.issues import actions, editing, watching
from docket.issues.access import get_issue_for
from docket.issues.models import Comment, Issue
from docket.issues.queries import issue_out, with_related
from docket.issues.timeline import Entry, timeline_page
from docket.web.views.common import is_htmx, page, web_view

TIMELINE_PAGE = 50
TIMELINE_RENDER_SECONDS = 0.5  # Markdown rendering per page of comments; later ones go plain
FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "type": "Type",
    "priority": "Priority",
    "severity": "Severity",
    "assignee": "Assignee",
    "labels": "Labels",
    "components": "Components",
    "milestone": "Milestone",
    "due_date": "Due date",
    "confidential": "Confidential",
}
SIDEBAR_FIELDS = [f for f in editing.INLINE_FIELDS if f not in ("title", "description")]
SELECT_FIELDS = {"type", "priority", "severity", "assignee", "milestone"}
OPTIONAL_FIELDS = {"assignee", "milestone", "due_date"}  # may be cleared
CHANGED = "docket:issue-changed"  # htmx event: something on the page changed; refresh it


# --- reading the request --------------------------------------------------------------------


def _version(raw: str | None) -> int | None:
    """The version a change is based on (None: not sent)."""
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise BadParameter.field("version", "must be the issue version the page showed")
    return int(raw)


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


def _fresh(issue: Issue) -> Issue:
    return with_related(Issue.objects.filter(pk=issue.pk)).get()


def _partial(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A piece of the page for htmx to swap in. Refusals (403/409/422) are partials too, with
    their reason inline; `X-Docket-Partial` tells issue.js to swap them (htmx would not)."""
    response = page(request, template, context, status)
    response["X-Docket-Partial"] = "1"
    return response


def _changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = CHANGED
    return response


def _back(key: str, anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(reverse("web:issue", args=[key]) + anchor)


# --- what the templates get -----------------------------------------------------------------


def _field(name: str, data: dict[str, Any], editable: frozenset[str]) -> dict[str, Any]:
    return {
        "name": name,
        "label": FIELD_LABELS[name],
        "value": data[name],
        "editable": name in editable,
        "version": data["version"],
        "sig": _sig(data[name]),
    }


def _sig(value: Any) -> str:
    """A field's value as one string: issue.js compares it to notice a change under a form."""
    return json.dumps(value, sort_keys=True, default=str)


Words = list[tuple[str, str]]  # ("text", …) and ("value", …) pieces of a sentence


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _change_words(field: str, old: Any, new: Any) -> Words:
    """A field change in words: "changed priority from medium to high"."""
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize()).lower()
    if field == "status":
        return [("text", "moved the issue from "), ("value", _shown(old)), ("text", " to "),
                ("value", _shown(new))]  # fmt: skip
    if field == "description":
        return [("text", "edited the description")]
    if field == "confidential":
        return [("text", "marked the issue confidential" if new else "made the issue visible")]
    if field == "assignee":
        if old is None:
            return [("text", "assigned "), ("value", _shown(new))]
        if new is None:
            return [("text", "unassigned "), ("value", _shown(old))]
        return [("text", "reassigned the issue from "), ("value", _shown(old)), ("text", " to "),
                ("value", _shown(new))]  # fmt: skip
    if field in ("labels", "components"):
        before, after = set(old or []), set(new or [])
        words: Words = []
        added, removed = sorted(after - before), sorted(before - after)
        if added:
            words += [("text", f"added {label} "), ("value", ", ".join(added))]
        if removed:
            words += [("text", " and removed " if added else f"removed {label} "),
                      ("value", ", ".join(removed))]  # fmt: skip
        return words or [("text", f"changed {label}")]
    if old in (None, ""):
        return [("text", f"set {label} to "), ("value", _shown(new))]
    if new in (None, ""):
        return [("text", f"cleared {label} (was "), ("value", _shown(old)), ("text", ")")]
    return [("text", f"changed {label} from "), ("value", _shown(old)), ("text", " to "),
            ("value", _shown(new))]  # fmt: skip


def _event_words(event: dict[str, Any]) -> Words:
    kind, old, new = event.get("kind"), event.get("old"), event.get("new")
    if kind == "created":
        return [("text", "created the issue")]
    if kind == "changed":
        return _change_words(event.get("field") or "", old, new)
    if kind == "access_granted":
        return [("text", "gave "), ("value", _shown(new)), ("text", " access to this issue")]
    if kind == "access_revoked":
        return [("text", "took access to this issue away from "), ("value", _shown(old))]
    if kind == "deleted":
        return [("text", "deleted the issue")]
    if kind == "restored":
        return [("text", "restored the issue")]
    if kind == "comment_deleted":
        return [("text", "deleted a comment")]
    return [("text", str(kind).replace("_", " "))]


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "event", "at": event.get("at"), "event": event, "words": _event_words(event)}


def _timeline_sig(entries: list[Entry]) -> str:
    """Changes when the newest page of the timeline does (for issue.js's "changed" notice)."""
    if not entries:
        return "empty"
    return f"{len(entries)}-{entries[0].kind}{entries[0].id}"


def _entries(user: Any, issue: Issue, entries: list[Entry]) -> list[dict[str, Any]]:
    """Timeline entries oldest first (as the page reads), comments rendered to safe HTML
    under one shared time budget (core/markdown.py, sanitised by nh3)."""
    powers = editing.comment_powers(user, issue)
    until = markdown.deadline(TIMELINE_RENDER_SECONDS)
    shown = []
    for entry in reversed(entries):
        if entry.comment is not None:
            shown.append(_comment(user, issue, entry.comment, powers, until=until))
        elif entry.event is not None:
            shown.append(_event(entry.event))
    return shown


def _comment(
    user: Any,
    issue: Issue,
    comment: Comment,
    powers: dict[str, bool],
    *,
    until: float | None = None,
) -> dict[str, Any]:
    html = markdown.render(comment.body, until=until)
    return {
        "kind": "comment",
        "at": comment.created_at,
        "id": comment.id,
        "author": comment.author.username,
        "body_html": mark_safe(html),  # noqa: S308 - core/markdown.py sanitises with nh3
        "edited": comment.updated_at != comment.created_at,
        "may_change": editing.may_change_comment(user, powers, comment.author_id),
    }


def _assign_self(user: Any, issue: Issue, data: dict[str, Any], editable: frozenset[str]) -> bool:
    """Offer "Assign to me": the person may set the assignee and may be assigned."""
    return (
        "assignee" in editable
        and data["assignee"] != user.username
        and editing.may_be_assigned(user, issue.project)
    )


def _page_context(request: HttpRequest, issue: Issue) -> dict[str, Any]:
    user = request.user
    data = issue_out(issue)
    editable = editing.editable_fields(user, issue)
    entries, older = timeline_page(user, issue, limit=TIMELINE_PAGE)
    powers = editing.comment_powers(user, issue)
    return {
        "issue": data,
        "project": issue.project,
        "title_field": _field("title", data, editable),
        "description_field": _field("description", data, editable),
        "fields": [_field(name, data, editable) for name in SIDEBAR_FIELDS],
        "assign_self": _assign_self(user, issue, data, editable),
        "transitions": editing.transitions_for(user, issue),
        "watch": watching.watch_state(user, issue),
        "entries": _entries(user, issue, entries),
        "older": older,
        "timeline_sig": _timeline_sig(entries),
        "powers": powers,
    }


def _field_display(
    request: HttpRequest, issue: Issue, name: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    data = issue_out(issue)
    editable = editing.editable_fields(request.user, issue)
    context = {
        "issue": data,
        "f": _field(name, data, editable),
        "assign_self": name == "assignee" and _assign_self(request.user, issue, data, editable),
        **extra,
    }
    return _partial(request, "web/issue/field.html", context, status)


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
            "sig": _sig(data[name]),
        },
        "choices": editing.choices(issue, name),
        "select": name in SELECT_FIELDS,
        "optional": name in OPTIONAL_FIELDS,
        **extra,
    }
    if name == "assignee" and value and value not in context["choices"]:
        context["choices"] = [value, *context["choices"]]  # keep the current one selectable
    return _partial(request, "web/issue/field_form.html", context, status)


# --- the page -------------------------------------------------------------------------------


@web_view()
@require_GET
def issue_page(request: HttpRequest, key: str) -> HttpResponse:
    issue = get_issue_for(request.user, key)
    return page(request, "web/issue/page.html", _page_context(request, issue))


@web_view()
@require_GET
def timeline(request: HttpRequest, key: str) -> HttpResponse:
    """Older timeline entries, for "Show older"."""
    issue = get_issue_for(request.user, key)
    entries, older = timeline_page(
        request.user, issue, cursor=request.GET.get("cursor"), limit=TIMELINE_PAGE
    )
    context = {
        "issue": issue_out(issue),
        "entries": _entries(request.user, issue, entries),
        "older": older,
    }
    return _partial(request, "web/issue/timeline_items.html", context)


# --- fields ---------------------------------------------------------------------------------


@web_view()
@require_http_methods(["GET", "POST"])
def field(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """GET: the field's edit form (`?show=1`: its read-only view). POST: save it."""
    if name not in FIELD_LABELS:
        raise NotFound(f"no field {name[:30]}")
    issue = get_issue_for(request.user, key)
    if request.method == "GET":
        if request.GET.get("show"):
            return _field_display(request, issue, name)
        if name not in editing.editable_fields(request.user, issue):
            raise Forbidden(f"you may not change the {FIELD_LABELS[name].lower()} of {issue.key}")
        since = _version(request.GET.get("since"))
        changed = (
            editing.last_change(issue, name, since)
            if since is not None and since < issue.version
            else None
        )
        current = issue_out(issue)[name]
        return _field_form(
            request, issue, name, value=current, version=issue.version, changed=changed
        )
    return _save_field(request, issue, name)


def _save_field(request: HttpRequest, issue: Issue, name: str) -> HttpResponse:
    base = _version(request.POST.get("version"))
    value = _field_value(name, request.POST)
    try:
        saved = actions.update_issue(
            actor=request.user, issue=issue, changes={name: value}, base_version=base
        )
    except Conflict as conflict:
        fresh = _fresh(issue)
        current = conflict.extra.get("current") or issue_out(fresh)
        context = {
            "issue": issue_out(fresh),
            "f": {
                "name": name,
                "label": FIELD_LABELS[name],
                "version": fresh.version,
                "sig": _sig(current.get(name)),
            },
            "theirs": current.get(name),
            "yours": value,
            "who": editing.last_change(fresh, name, base or 0),
        }
        return _partial(request, "web/issue/conflict.html", context, 409)
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
            error=_message(error, name),
        )
    if not is_htmx(request):
        return _back(issue.key)
    return _changed(_field_display(request, _fresh(saved), name, saved=True))


def _message(error: DocketError, name: str | None = None) -> str:
    """The reason to show: the field's own message if the error names it."""
    for item in error.errors:
        if name is None or item.get("field") == name:
            return str(item.get("message") or error.detail)
    return error.detail


# --- watching -------------------------------------------------------------------------------


@web_view()
@require_POST
def watch(request: HttpRequest, key: str) -> HttpResponse:
    issue = get_issue_for(request.user, key)
    if request.POST.get("watch") == "0":
        watching.unwatch(actor=request.user, issue=issue)
    else:
        watching.watch(actor=request.user, issue=issue)
    if not is_htmx(request):
        return _back(issue.key)
    context = {"issue": issue_out(issue), "watch": watching.watch_state(request.user, issue)}
    return _partial(request, "web/issue/watch.html", context)


# --- comments -------------------------------------------------------------------------------


@web_view()
@require_POST
def add_comment(request: HttpRequest, key: str) -> HttpResponse:
    issue = get_issue_for(request.user, key)
    body = request.POST.get("body", "")
    try:
        comment = actions.add_comment(actor=request.user, issue=issue, body=body)
    except DocketError as error:
        if isinstance(error, NotFound):
            raise
        context = {"issue": issue_out(issue), "body": body, "error": _message(error)}
        return _partial(request, "web/issue/comment_form.html", context, error.status)
    if not is_htmx(request):
        return _back(issue.key, f"#comment-{comment.id}")
    posted: dict[str, Any] = {"issue": issue_out(issue), "posted": True}
    return _changed(_partial(request, "web/issue/comment_form.html", posted))


@web_view()
@require_http_methods(["GET", "POST"])
def comment(request: HttpRequest, key: str, comment_id: str) -> HttpResponse:
    """GET: one comment (`?edit=1`: its edit form). POST: save an edit."""
    issue = get_issue_for(request.user, key)
    powers = editing.comment_powers(request.user, issue)
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            edited = actions.edit_comment(
                actor=request.user, issue=issue, comment_id=int(comment_id), body=body
            )
        except DocketError as error:
            if isinstance(error, NotFound):
                raise
            context = {
                "issue": issue_out(issue),
                "c": {"id": comment_id, "body": body},
                "error": _message(error),
            }
            return _partial(request, "web/issue/comment_edit.html", context, error.status)
        context = {"issue": issue_out(issue), "e": _comment(request.user, issue, edited, powers)}
        return _changed(_partial(request, "web/issue/entry.html", context))
    if request.GET.get("edit"):
        found = editing.comment_to_change(request.user, issue, int(comment_id))
        context = {"issue": issue_out(issue), "c": {"id": found.id, "body": found.body}}
        return _partial(request, "web/issue/comment_edit.html", context)
    found = editing.comment_on(issue, int(comment_id))
    context = {"issue": issue_out(issue), "e": _comment(request.user, issue, found, powers)}
    return _partial(request, "web/issue/entry.html", context)


@web_view()
@require_POST
def delete_comment(request: HttpRequest, key: str, comment_id: str) -> HttpResponse:
    issue = get_issue_for(request.user, key)
    actions.delete_comment(actor=request.user, issue=issue, comment_id=int(comment_id))
    if not is_htmx(request):
        return _back(issue.key)
    deleted = _event({"kind": "comment_deleted", "actor": request.user.username, "at": now()})
    return _changed(
        _partial(request, "web/issue/entry.html", {"issue": issue_out(issue), "e": deleted})
    )


@web_view()
@require_GET
def people(request: HttpRequest, key: str) -> JsonResponse:
    """People to @mention: members of the issue's project, for those who can see the issue."""
    issue = get_issue_for(request.user, key)
    found = editing.mention_candidates(issue, request.GET.get("q", "")[:150])
    return JsonResponse({"people": found})


@web_view()
@require_POST
def preview(request: HttpRequest, key: str) -> HttpResponse:
    """Markdown preview of a comment or description being written."""
    get_issue_for(request.user, key)
    text = request.POST.get("body") or request.POST.get("value") or ""
    return _partial(request, "web/issue/preview.html", {"text": text[: markdown.MAX_CHARS]})


# --- transitions ----------------------------------------------------------------------------


def _transitions(
    request: HttpRequest, issue: Issue, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "issue": issue_out(issue),
        "transitions": editing.transitions_for(request.user, issue),
        **extra,
    }
    return _partial(request, "web/issue/transitions.html", context, status)


def _transition_form(
    request: HttpRequest, issue: Issue, rule: dict[str, Any], *, status: int = 200, **extra: Any
) -> HttpResponse:
    asks = [f for f in rule["required_fields"] if f != "comment"]
    if rule["done"] and "resolution" not in asks:
        asks.insert(0, "resolution")  # optional: the default is "fixed"
    data = issue_out(issue)
    context = {
        "issue": data,
        "rule": rule,
        "asks": [
            {
                "name": name,
                "label": FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                "required": name in rule["required_fields"],
                "choices": editing.choices(issue, name),
                "value": extra.get("values", {}).get(name, data.get(name)),
            }
            for name in asks
        ],
        "comment_required": "comment" in rule["required_fields"],
        **extra,
    }
    return _partial(request, "web/issue/transition_form.html", context, status)


@web_view()
@require_http_methods(["GET", "POST"])
def transitions(request: HttpRequest, key: str) -> HttpResponse:
    """GET: the transition buttons (`?take=<id>`: the form of one that needs fields).
    POST: take a transition; the workflow engine's reason is shown if it refuses."""
    issue = get_issue_for(request.user, key)
    available = {str(t["id"]): t for t in editing.transitions_for(request.user, issue)}
    if request.method == "GET":
        take = request.GET.get("take")
        if take is None:
            return _transitions(request, issue)
        if take not in available:
            return _transitions(
                request, issue, status=422, error="That transition is not available now."
            )
        return _transition_form(request, issue, available[take])
    post = request.POST
    base = _version(post.get("version"))
    values = {
        f: post.get(f, "").strip() or None
        for f in actions.TRANSITION_FIELDS
        if post.get(f, "").strip()
    }
    comment_text = post.get("comment", "")
    try:
        actions.transition(
            actor=request.user,
            issue=issue,
            name=post.get("name") or None,
            to=post.get("to") or None,
            fields=values,
            comment=comment_text if comment_text.strip() else None,
            base_version=base,
        )
    except DocketError as error:
        if isinstance(error, NotFound):
            raise
        rule = available.get(post.get("rule", ""))
        if rule is not None and post.get("form"):
            return _transition_form(
                request,
                issue,
                rule,
                status=error.status,
                error=error.detail,
                values=values,
                comment=comment_text,
            )
        return _transitions(request, issue, status=error.status, error=error.detail)
    if not is_htmx(request):
        return _back(issue.key)
    return _changed(_transitions(request, _fresh(issue)))
