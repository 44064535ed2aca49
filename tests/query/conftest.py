"""A small, varied set of issues with known dates, for the compiler and evaluator tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from docket.issues import actions as issue_actions
from docket.issues import comments as issue_comments
from docket.issues.models import Issue
from docket.projects import actions as project_actions
from tests.conftest import Cast
from tests.factories import make_issue, make_project

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Dataset:
    cast: Cast
    issues: dict[str, Issue]  # by a short name used in the tests

    def keys(self, *names: str) -> set[str]:
        return {self.issues[name].key for name in names}


def _setup_project(cast: Cast) -> None:
    for name in ("Frontend", "Backend"):
        project_actions.add_component(actor=cast.alice, project=cast.web, name=name)
    for name in ("1.0", "2.0"):
        project_actions.add_milestone(actor=cast.alice, project=cast.web, name=name)


def _make_issues(cast: Cast) -> dict[str, Issue]:
    api = make_project(cast.alice, "API", visibility="internal", members={cast.bob: "member"})
    a, web = cast.alice, cast.web
    return {
        "login": make_issue(
            a, web, title="Login button broken", description="Clicking login does nothing",
            type="bug", priority="high", severity="critical", assignee="bob",
            labels=["ui", "bug-bash"], components=["Frontend"], milestone="1.0",
            due_date="2026-03-10",
        ),
        "search": make_issue(
            a, web, title="Slow search", type="task", priority="low", labels=["perf"],
            due_date="2026-04-01", status="In Progress",
        ),
        "crash": make_issue(
            a, web, title="Crash on save", type="bug", priority="highest", severity="critical",
            status="Resolved", assignee="alice", confidential=True, labels=["ui"],
        ),
        "docs": make_issue(
            cast.carol, web, title="Docs typo", description="The LOGIN page says 'lgoin'",
            type="improvement", severity="trivial",
        ),
        "export": make_issue(
            a, web, title="Export to CSV", type="feature", priority="medium", assignee="bob",
            labels=["wontfix"], components=["Backend", "Frontend"], milestone="2.0",
            due_date="2026-03-15",
        ),
        "rate": make_issue(a, api, title="API rate limit", priority="high", assignee="alice"),
    }  # fmt: skip


DATES = {  # name: (created, updated, resolved)
    "login": ("2026-01-05T09:00", "2026-03-14T08:00", None),
    "search": ("2026-02-20T10:00", "2026-03-01T10:00", None),
    "crash": ("2025-12-31T23:30", "2026-03-15T10:00", "2026-03-02T12:00"),
    "docs": ("2026-03-08T00:00", "2026-03-09T00:00", "2026-03-09T00:00"),
    "export": ("2026-03-15T00:30", "2026-03-15T00:30", None),
    "rate": ("2026-01-01T00:00", "2026-02-01T00:00", None),
}


def _set_dates(issues: dict[str, Issue]) -> None:
    for name, (created, updated, resolved) in DATES.items():
        Issue.objects.filter(pk=issues[name].pk).update(
            created_at=at(created),
            updated_at=at(updated),
            resolved_at=at(resolved) if resolved else None,
        )


def _comment(cast: Cast, issues: dict[str, Issue]) -> None:
    issue_comments.add_comment(actor=cast.bob, issue=issues["login"], body="Reproduced on Firefox")
    gone = issue_comments.add_comment(actor=cast.bob, issue=issues["search"], body="secret plan")
    issue_comments.delete_comment(actor=cast.alice, issue=issues["search"], comment_id=gone.id)


@pytest.fixture
def data(cast: Cast) -> Dataset:
    _setup_project(cast)
    issues = _make_issues(cast)
    issue_actions.update_issue(
        actor=cast.alice,
        issue=issues["docs"],
        changes={"status": "Closed", "resolution": "won't fix"},
    )
    _comment(cast, issues)
    _set_dates(issues)
    fresh = {name: Issue.objects.get(pk=issue.pk) for name, issue in issues.items()}
    return Dataset(cast, fresh)
