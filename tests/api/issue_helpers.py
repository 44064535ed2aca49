"""Helpers shared by the issue, comment and history API tests.

`everything()` photographs every row an issue request could touch, so a test can prove that a
refused request changed nothing at all. `Clock` replaces the issue actions' clock, so times are
predictable (and can be made equal on purpose).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docket.issues.models import Comment, Issue, IssueEvent, Label
from docket.projects.models import Project

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Clock:
    """Each call returns a later moment (one second on by default; `step = 0` freezes it)."""

    def __init__(self) -> None:
        self.current = START
        self.step = dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        self.current += self.step
        return self.current


def install_clock(monkeypatch: Any) -> Clock:
    clock = Clock()
    for writer in ("actions", "comments"):  # the issue writers that stamp events
        monkeypatch.setattr(f"docket.issues.{writer}.now", clock)
    return clock


def everything() -> dict[str, Any]:
    """Every issue-related row, in a comparable form."""
    return {
        "issues": list(Issue.objects.order_by("id").values()),
        "issue_labels": sorted(Issue.labels.through.objects.values_list("issue_id", "label_id")),
        "issue_components": sorted(
            Issue.components.through.objects.values_list("issue_id", "component_id")
        ),
        "labels": list(Label.objects.order_by("id").values()),
        "comments": list(Comment.objects.order_by("id").values()),
        "events": list(IssueEvent.objects.order_by("id").values()),
        "numbers": list(Project.objects.order_by("id").values_list("key", "next_number")),
    }


def when(text: str) -> dt.datetime:
    """An API timestamp as a datetime."""
    return dt.datetime.fromisoformat(text)


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with `status`; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return body


def keys(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["key"] for item in response.json()["items"]]


def client(cast: Any, who: str) -> Any:
    """The API as one member of the cast by name, or anonymously for "anon"."""
    from tests.conftest import Api

    return Api() if who == "anon" else cast.api(getattr(cast, who))
