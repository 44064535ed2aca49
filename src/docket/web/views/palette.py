"""The command palette's results (web/static/web/palette.js, Ctrl/Cmd-K): issues by key or
title, saved filters, projects and pages matching what was typed; with `issue=KEY`, also the
choices for changing that issue (priority, assignee, labels). Every read goes through the
permission gates: an issue, filter or project the person may not see never appears."""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from docket.accounts.actor import Who
from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.issues import editing
from docket.issues.access import get_issue_for, visible_issues
from docket.issues.models import Issue
from docket.issues.saved_filters import visible_filters
from docket.projects.access import visible_projects
from docket.web.views.common import web_view

MAX_TEXT = 200
PER_KIND = 6
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}-[1-9][0-9]{0,9}$")
# (label, url name): the pages every signed-in person has.
PAGES = (
    ("My work", "web:home"),
    ("Projects", "web:projects"),
    ("Issues", "web:issues"),
    ("Dashboard", "web:dashboard"),
    ("Inbox", "web:inbox"),
    ("New issue", "web:create_issue_any"),
    ("Notification settings", "web:notification_settings"),
    ("Profile & password", "web:profile"),
    ("API tokens", "web:tokens"),
)


@web_view()
@require_GET
def results(request: HttpRequest) -> JsonResponse:
    """`?q=text` → {"items": [{kind, label, hint, url}]}; `&issue=KEY` adds "issue": the
    choices for that issue's priority, assignee and labels (absent if it is not visible)."""
    user = actor_of(request)
    text = request.GET.get("q", "").strip()[:MAX_TEXT]
    body: dict[str, Any] = {"items": _items(user, text)}
    key = request.GET.get("issue", "")
    if KEY.match(key):
        choices = _issue_choices(user, key)
        if choices is not None:
            body["issue"] = choices
    return JsonResponse(body)


def _items(user: Who, text: str) -> list[dict[str, str]]:
    return _issues(user, text) + _filters(user, text) + _projects(user, text) + _pages(text)


def _issues(user: Who, text: str) -> list[dict[str, str]]:
    if not text:
        return []
    found: list[Issue] = []
    if KEY.match(text):
        with suppress(DocketError):  # not there or not visible: alike
            found.append(get_issue_for(user, text.upper()))
    by_title = visible_issues(user).filter(title__icontains=text).select_related("project")
    found += [i for i in by_title.order_by("-updated_at")[:PER_KIND] if i not in found]
    return [
        {
            "kind": "issue",
            "label": f"{issue.key} {issue.title}",
            "hint": "Issue",
            "url": reverse("web:issue", args=[issue.key]),
        }
        for issue in found[:PER_KIND]
    ]


def _filters(user: Who, text: str) -> list[dict[str, str]]:
    filters = visible_filters(user).filter(name__icontains=text).order_by("name")[:PER_KIND]
    items = []
    for saved in filters:
        path = (
            reverse("web:project_issues", args=[saved.project.key])
            if saved.project
            else reverse("web:issues")
        )
        url = f"{path}?{urlencode({'q': saved.query})}"
        items.append({"kind": "filter", "label": saved.name, "hint": "Saved filter", "url": url})
    return items


def _projects(user: Who, text: str) -> list[dict[str, str]]:
    projects = visible_projects(user).filter(Q(key__icontains=text) | Q(name__icontains=text))
    return [
        {
            "kind": "project",
            "label": f"{p.name} ({p.key})",
            "hint": "Project",
            "url": reverse("web:project_issues", args=[p.key]),
        }
        for p in projects.order_by("key")[:PER_KIND]
    ]


def _pages(text: str) -> list[dict[str, str]]:
    words = text.lower()
    return [
        {"kind": "page", "label": label, "hint": "Page", "url": reverse(name)}
        for label, name in PAGES
        if words in label.lower()
    ]


def _issue_choices(user: Who, key: str) -> dict[str, Any] | None:
    try:
        issue = get_issue_for(user, key.upper())
    except DocketError:
        return None
    return {
        "key": issue.key,
        "priority": editing.choices(user, issue, "priority"),
        "assignee": editing.choices(user, issue, "assignee"),
        "labels": editing.choices(user, issue, "labels"),
        "current_labels": sorted(issue.labels.values_list("name", flat=True)),
    }
