"""Finding an issue to point at while typing (the issue page's link and parent inputs): by
key prefix ("WEB-1" → WEB-1, WEB-10…), by number in the issue's own project ("12"), or by
words of the title ("login timeout"). Only issues the reader may see (access.visible_issues)
ever match: a hidden issue is neither listed nor counted."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

from docket.accounts.actor import Who
from docket.issues.access import visible_issues
from docket.issues.models import Issue
from docket.projects.models import Project

MAX_MATCHES = 10
MAX_TEXT = 100
MAX_WORDS = 5
KEY_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9})-([0-9]{0,10})")
NUMBER = re.compile(r"[0-9]{1,10}")


def matching_issues(
    reader: Who, text: str, *, project: Project, leave_out: Issue | None = None
) -> list[dict[str, Any]]:
    """Up to MAX_MATCHES visible issues for `text` ({key, title, status}): key prefix matches
    by number, title matches most recently updated first; `project` is the issue being
    edited's (a bare number is one of its issues)."""
    text = text.strip()[:MAX_TEXT]
    if not text:
        return []
    issues = visible_issues(reader).select_related("project", "status")
    if leave_out is not None:
        issues = issues.exclude(pk=leave_out.pk)
    if key := KEY_PREFIX.fullmatch(text):
        found = _by_number(issues.filter(project__key=key.group(1).upper()), key.group(2))
    elif NUMBER.fullmatch(text):
        found = _by_number(issues.filter(project=project), text)
    else:
        for word in text.split()[:MAX_WORDS]:
            issues = issues.filter(title__icontains=word)
        found = issues.order_by("-updated_at", "-id")
    return [
        {"key": f"{i.project.key}-{i.number}", "title": i.title, "status": i.status.name}
        for i in found[:MAX_MATCHES]
    ]


def _by_number(issues: QuerySet[Issue], digits: str) -> QuerySet[Issue]:
    if digits:
        issues = issues.annotate(number_text=Cast("number", CharField())).filter(
            number_text__startswith=digits
        )
    return issues.order_by("number")
