"""`is:blocked`, `blocks:`, `linked:`, `parent:`: the SQL compiler and the in-memory evaluator
(automation rules) agree, only issues the viewer may see count, and plans stay bounded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from docket.issues import links
from docket.issues.access import visible_issues
from docket.issues.actions import update_issue
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query, issue_matches
from tests.factories import make_issue


@pytest.fixture
def linked(two):
    """WEB-1 blocks WEB-2; OPS-1 (hidden from bob) blocks WEB-3; WEB-5 (closed) blocks WEB-4;
    WEB-4 relates to WEB-1; WEB-2 is a sub-task of WEB-1."""
    make_issue(two.alice, two.web, title="Web issue 5", status="Closed")
    by_key = {i.key: i for i in Issue.objects.select_related("project")}
    for source, kind, target in [
        ("WEB-1", "blocks", "WEB-2"),
        ("OPS-1", "blocks", "WEB-3"),
        ("WEB-5", "blocks", "WEB-4"),
        ("WEB-4", "relates_to", "WEB-1"),
    ]:
        links.link_issues(actor=two.alice, issue=by_key[source], kind=kind, other=target)
    update_issue(actor=two.alice, issue=by_key["WEB-2"], changes={"parent": "WEB-1"})
    return two


def in_sql(query: str, user) -> list[str]:
    q, order = compile_issue_query(query, user)
    found = visible_issues(user).filter(q).select_related("project")
    return sorted(i.key for i in found)


def in_memory(query: str, user) -> list[str]:
    issues = visible_issues(user).select_related("project", "status", "parent")
    return sorted(i.key for i in issues if issue_matches(query, i, user))


CASES = [
    ("is:blocked", "alice", ["WEB-2", "WEB-3"]),
    ("is:blocked", "bob", ["WEB-2"]),  # OPS-1 is hidden from bob: it does not block, for him
    ("-is:blocked project:WEB", "bob", ["WEB-1", "WEB-3", "WEB-4", "WEB-5"]),
    ("blocks:WEB-2", "bob", ["WEB-1"]),
    ("blocks:web-3", "alice", ["OPS-1"]),
    ("blocks:WEB-4", "alice", ["WEB-5"]),
    ("linked:WEB-1", "bob", ["WEB-2", "WEB-4"]),
    ("linked:OPS-1", "alice", ["WEB-3"]),
    ("linked:OPS-1", "bob", []),  # a hidden key matches nothing
    ("linked:WEB-3", "bob", []),  # its one link is to a hidden issue
    ("linked:WEB-1 OR blocks:WEB-2", "alice", ["WEB-1", "WEB-2", "WEB-4"]),
    ("parent:WEB-1", "bob", ["WEB-2"]),
    ("parent:none project:WEB -key:WEB-5", "bob", ["WEB-1", "WEB-3", "WEB-4"]),
    ("is:blocked parent:WEB-1", "bob", ["WEB-2"]),
]


@pytest.mark.parametrize("query, who, expected", CASES)
def test_sql_and_memory_agree(linked, query, who, expected):
    user = getattr(linked, who)
    assert in_sql(query, user) == expected
    assert in_memory(query, user) == expected


def test_a_bad_key_is_a_query_error(linked):
    response = linked.api(linked.bob).get("/issues", q="blocks:nonsense")
    assert response.status_code == 400
    assert "is not an issue key like WEB-12" in response.content.decode()


def test_the_list_query_count_does_not_grow_with_links(linked):
    bob = linked.api(linked.bob)

    def count() -> int:
        with CaptureQueriesContext(connection) as seen:
            response = bob.get("/issues", q="is:blocked OR linked:WEB-1 OR parent:WEB-1")
            assert response.status_code == 200
        return len(seen)

    count()  # warm: per-process caches (prepared statements, state names)
    before = count()
    for n in range(6):
        blocker = make_issue(linked.alice, linked.web, title=f"Blocker {n}")
        links.link_issues(actor=linked.alice, issue=blocker, kind="blocks", other="WEB-1")
    assert count() == before
