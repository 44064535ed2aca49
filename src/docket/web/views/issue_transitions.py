"""Moving an issue through its workflow from the issue page: the transition buttons, the form
of a transition that needs fields, and taking one (the workflow engine's reason is shown if it
refuses)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError, NotFound
from docket.issues import actions, editing
from docket.issues.access import get_issue_for
from docket.issues.fields import TRANSITION_FIELDS, label_of
from docket.issues.models import Issue
from docket.issues.queries import issue_out
from docket.web.views.common import is_htmx, web_view
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
        return back_to_issue(issue.key)
    return changed(_transitions(request, reloaded(issue)))


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
        asks.insert(0, "resolution")  # optional: the default is "fixed"
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
        **extra,
    }
    return partial(request, "web/issue/transition_form.html", context, status)
