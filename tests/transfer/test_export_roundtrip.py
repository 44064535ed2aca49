"""A JSON export imports back (the `docket import` loader) into a fresh project with its
issues, comments and history intact: the same fields, the same comments by the same people
at the same times, the same events with their original actors, times and versions."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from docket.cli.importfile import load
from docket.issues import actions as issue_actions
from docket.issues import comments as issue_comments
from docket.issues.fields import FIELDS, snapshot
from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.projects import actions as project_actions
from docket.projects.models import Membership, Project
from tests.factories import make_issue


def exported(api, path: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(path, format="json", **params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines()]


def renamed(lines: list[dict[str, Any]], old: str, new: str) -> list[str]:
    """The export with its project's key changed: a fresh project, beside the original."""
    for record in lines:
        if record["kind"] == "project" and record["key"] == old:
            record["key"] = new
        if record["kind"] == "issue" and record["project"] == old:
            record["project"] = new
    return [json.dumps(record) for record in lines]


def busy_project(cast) -> list[Issue]:
    """WEB with issues that have lived: edits by several people, transitions, comments."""
    alice, bob = cast.alice, cast.bob
    project_actions.add_component(actor=alice, project=cast.web, name="API")
    project_actions.add_milestone(actor=alice, project=cast.web, name="1.0")
    first = make_issue(
        alice, cast.web, title="Login fails", labels=["auth"], components=["API"],
        assignee="bob", due_date="2026-12-31", description="Steps:\n1. log in",
    )  # fmt: skip
    issue_actions.update_issue(
        actor=bob, issue=first, changes={"priority": "high", "labels": ["auth", "urgent"]}
    )
    issue_comments.add_comment(actor=bob, issue=first, body="Looking at it")
    issue_actions.transition(actor=bob, issue=first, to="In Progress")
    issue_comments.add_comment(actor=cast.carol, issue=first, body="Same here ✓")
    issue_actions.update_issue(actor=alice, issue=first, changes={"milestone": "1.0"})
    issue_actions.transition(actor=bob, issue=first, to="Resolved", fields={"resolution": "fixed"})
    second = make_issue(cast.carol, cast.web, title="Typo on the home page", type="task")
    issue_actions.update_issue(actor=alice, issue=second, changes={"confidential": True})
    gone = issue_comments.add_comment(actor=cast.carol, issue=second, body="never mind")
    issue_comments.delete_comment(actor=cast.carol, issue=second, comment_id=gone.pk)
    third = make_issue(bob, cast.web, title="Plain")
    return [first, second, third]


def fields_of(issue: Issue) -> dict[str, Any]:
    issue = Issue.objects.get(pk=issue.pk)
    return {
        **snapshot(issue),
        "reporter": issue.reporter.username,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "resolved_at": issue.resolved_at,
        "version": issue.version,
    }


def comments_of(issue: Issue) -> list[tuple[str, str, Any]]:
    rows = Comment.objects.filter(issue=issue, deleted_at__isnull=True).order_by("id")
    return [(c.author.username, c.body, c.created_at) for c in rows]


def history_of(issue: Issue) -> list[tuple[Any, ...]]:
    """Events other than the comments', as they read; the import's own mark aside."""
    rows = IssueEvent.objects.filter(issue=issue).exclude(
        kind__in=[EventKind.COMMENTED, EventKind.COMMENT_EDITED, EventKind.COMMENT_DELETED]
    )
    found = []
    for e in rows.order_by("id"):
        new = (
            {k: v for k, v in e.new.items() if k != "imported_by"} if e.kind == "created" else e.new
        )
        who = e.actor.username if e.actor else None
        found.append((e.kind, who, e.field, e.old, new, e.version, e.created_at))
    return found


def comment_events_of(issue: Issue) -> list[tuple[Any, ...]]:
    rows = IssueEvent.objects.filter(issue=issue, kind=EventKind.COMMENTED)
    rows = rows.exclude(comment__deleted_at__isnull=False).order_by("id")
    return [(e.actor.username, e.new, e.created_at) for e in rows]


def test_an_export_imports_into_a_fresh_project_with_history_intact(cast):
    originals = busy_project(cast)
    lines = exported(cast.api(cast.root), "/projects/WEB/export")
    stats = load(cast.root, renamed(lines, "WEB", "COPY"))
    assert (stats.projects, stats.issues, stats.comments) == (1, 3, 2)  # one was deleted

    copy = Project.objects.get(key="COPY")
    assert list(copy.components.values_list("name", flat=True)) == ["API"]
    assert list(copy.milestones.values_list("name", flat=True)) == ["1.0"]
    roles = dict(Membership.objects.filter(project=copy).values_list("user__username", "role"))
    assert roles["bob"] == "member" and roles["carol"] == "reporter"
    for original in originals:
        twin = Issue.objects.get(project=copy, number=original.number)
        assert fields_of(twin) == fields_of(original)
        assert comments_of(twin) == comments_of(original)
        assert history_of(twin) == history_of(original)
        assert comment_events_of(twin) == comment_events_of(original)
    # The history is the original one, with its changes and their authors, not a snapshot.
    first = Issue.objects.get(project=copy, number=originals[0].number)
    changes = [(k, who, f) for k, who, f, *_ in history_of(first)]
    assert ("changed", "bob", "priority") in changes
    assert ("changed", "bob", "status") in changes
    assert ("changed", "alice", "milestone") in changes
    created = IssueEvent.objects.get(issue=first, kind="created")
    assert created.new["imported_by"] == "root" and created.new["priority"] == "medium"


def test_importing_the_same_export_twice_adds_nothing(cast):
    busy_project(cast)
    lines = renamed(exported(cast.api(cast.root), "/projects/WEB/export"), "WEB", "COPY")
    load(cast.root, lines)
    again = load(cast.root, lines)
    assert (again.issues, again.skipped_issues) == (0, 3)
    assert Issue.objects.filter(project__key="COPY").count() == 3


def test_a_query_export_round_trips_what_it_selected(cast):
    busy_project(cast)
    lines = exported(cast.api(cast.root), "/export/issues", q="label:auth")
    load(cast.root, renamed(lines, "WEB", "COPY"))
    titles = list(Issue.objects.filter(project__key="COPY").values_list("title", flat=True))
    assert titles == ["Login fails"]


def test_a_support_desk_imports_as_one(cast):
    project_actions.update_project(
        actor=cast.alice, project=cast.web, changes={"reporters_see_own_only": True}
    )
    make_issue(cast.carol, cast.web, title="Mine")
    load(cast.root, renamed(exported(cast.api(cast.root), "/projects/WEB/export"), "WEB", "COPY"))
    assert Project.objects.get(key="COPY").reporters_see_own_only is True


def test_the_page_link_downloads_the_same_json(cast):
    busy_project(cast)
    client = Client()
    client.force_login(cast.alice)
    page = client.get("/p/WEB/export", {"format": "json", "q": "is:open"})
    assert page.status_code == 200
    assert page["Content-Disposition"] == 'attachment; filename="WEB-issues.jsonl"'
    text = b"".join(page.streaming_content).decode()
    issues = [json.loads(line) for line in text.splitlines() if '"kind": "issue"' in line]
    assert sorted(i["title"] for i in issues) == ["Plain", "Typo on the home page"]
    optional = {"assignee", "due_date", "milestone", "team", "resolution", "parent", "estimate"}
    assert set(FIELDS) - optional <= set(issues[0])
