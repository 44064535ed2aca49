"""Moving an issue through its workflow from the issue page: the transition buttons, the form
of a transition that needs fields, and taking one (the workflow engine's reason is shown if it
refuses). Entering a done state asks for the resolution (the action refuses to default it to
"fixed" for the page), so a won't-fix is never recorded as fixed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError, Invalid, NotFound
from docket.issues import actions, editing
from docket.issues.access import get_issue_for
from docket.issues.fields import TRANSITION_FIELDS, label_of
from docket.issues.models import Issue, Resolution
from docket.issues.queries import issue_out
from docket.projects.workflow_rules import REQUIRABLE_FIELDS
from docket.web.views.common import is_htmx, page, web_view
from docket.web.views.issue_common import back_to_issue, base_version, changed, partial, reloaded


@web_view()
@require_http_methods(["GET", "POST"])
def transitions(request: HttpRequest, key: str) -> HttpResponse:
    """GET: the transition buttons (`?take=<id>`: the form of one that needs fields).
    POST: take a transition; the workflow engine's reason is shown if it refuses."""
    issue = get_issue_for(actor_of(request), key)
    available = {str(t["id"]): t for t in editing.transitions_for(actor_of(request), issue)}
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
    base = base_version(post.get("version"))
    values = {
        f: post.get(f, "").strip() or None for f in TRANSITION_FIELDS if post.get(f, "").strip()
    }
    comment_text = post.get("comment", "")
    try:
        actions.transition(
            actor=actor_of(request),
            issue=issue,
            name=post.get("name") or None,
            to=post.get("to") or None,
            fields=values,
            comment=comment_text if comment_text.strip() else None,
            base_version=base,
            ask_resolution=True,
        )
    except DocketError as error:
        if isinstance(error, NotFound):
            raise
        rule = _rule_posted(available, post)
        if rule is not None and not post.get("form") and _asks_fields(error):
            return _transition_form(request, issue, rule)  # a question, not a failure
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
        return back_to_issue(issue.key)
    return changed(_transitions(request, reloaded(issue)))


def _rule_posted(available: dict[str, dict[str, Any]], post: Any) -> dict[str, Any] | None:
    """The transition a post took: its form's `rule`, else a button's name and target."""
    if post.get("rule", "") in available:
        return available[post["rule"]]
    name, to = post.get("name") or None, post.get("to") or None
    for rule in available.values():
        if (name or to) and name in (None, rule["name"]) and to in (None, rule["to"]):
            return rule
    return None


def _asks_fields(error: DocketError) -> bool:
    """A refusal only for fields the transition's form asks (e.g. the resolution)."""
    fields = {e.get("field") for e in error.errors or []}
    return isinstance(error, Invalid) and bool(fields) and fields <= set(REQUIRABLE_FIELDS)


def _transitions(
    request: HttpRequest, issue: Issue, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "issue": issue_out(issue),
        "transitions": editing.transitions_for(actor_of(request), issue),
        **extra,
    }
    return partial(request, "web/issue/transitions.html", context, status)


def _transition_form(
    request: HttpRequest, issue: Issue, rule: dict[str, Any], *, status: int = 200, **extra: Any
) -> HttpResponse:
    asks = [f for f in rule["required_fields"] if f != "comment"]
    if rule["done"] and "resolution" not in asks:
        asks.insert(0, "resolution")  # asked, "fixed" pre-selected: Enter confirms it
    data = issue_out(issue)
    context = {
        "issue": data,
        "rule": rule,
        "asks": [
            {
                "name": name,
                "label": label_of(name),
                "required": name in rule["required_fields"],
                "choices": editing.choices(actor_of(request), issue, name),
                "value": extra.get("values", {}).get(name, data.get(name)),
            }
            for name in asks
        ],
        "comment_required": "comment" in rule["required_fields"],
        "default_resolution": data.get("resolution") or Resolution.FIXED,
        **extra,
    }
    if not is_htmx(request):  # without JavaScript: the form as a page of its own
        return page(request, "web/issue/transition_page.html", context, status)
    return partial(request, "web/issue/transition_form.html", context, status)
