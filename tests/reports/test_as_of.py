"""History "as of" a day: an issue's fields after several changes and a reopen, the project's
counts by status, priority and assignee as they were, and the gate on both."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from docket.issues import actions
from docket.reports.as_of import counts_as_of
from docket.reports.scope import scope_for
from tests.factories import make_issue


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def history(cast, clock):
    """Day 0 = 2026-10-01. B: low, unassigned, New. Day 3: medium, alice, then In Progress.
    Day 4: Closed. Day 5: reopened (Open), priority high. C: confidential, never moved."""
    b = make_issue(cast.bob, cast.web, title="B first", priority="low")
    make_issue(cast.alice, cast.web, title="C", priority="highest", confidential=True)
    clock.advance(days=3)
    actions.update_issue(
        actor=cast.bob, issue=b, changes={"priority": "medium", "assignee": "alice"}
    )
    actions.transition(actor=cast.bob, issue=b, to="In Progress")
    clock.advance(days=1)
    actions.transition(actor=cast.alice, issue=b, to="Closed")
    clock.advance(days=1)
    actions.transition(actor=cast.alice, issue=b, to="Open")
    actions.update_issue(actor=cast.bob, issue=b, changes={"priority": "high", "title": "B"})
    return b


def _fields(client: Client, day: str) -> dict[str, str]:
    response = client.get("/WEB-1", {"as_of": day})
    assert response.status_code == 200, response.content[:300]
    page = response.content.decode()
    assert f"as of {day}" in page and "read-only" in page
    rows = dict(
        (th.split("</th>")[0], td.split("</td>")[0])
        for th, td in (
            part.split('<th scope="row">', 1)[1].split("<td>", 1)
            for part in page.split("<tr>")[1:]
            if '<th scope="row">' in part
        )
    )
    return rows


def test_an_issue_as_of_each_day(cast, history):
    bob = _as(cast.bob)
    day2 = _fields(bob, "2026-10-02")
    assert day2["Status"] == "new" and day2["Priority"] == "low"
    assert "—" in day2["Assignee"]
    day3 = _fields(bob, "2026-10-04")
    assert day3["Status"] == "in progress" and day3["Priority"] == "medium"
    assert day3["Assignee"] == "alice"
    assert _fields(bob, "2026-10-05")["Status"] == "closed"
    today = _fields(bob, "2026-10-06")
    assert today["Status"] == "open" and today["Priority"] == "high"
    assert "B first" in bob.get("/WEB-1", {"as_of": "2026-10-02"}).content.decode()


def test_as_of_before_the_issue_existed_or_a_bad_date(cast, history):
    bob = _as(cast.bob)
    assert bob.get("/WEB-1", {"as_of": "2026-09-30"}).status_code == 404
    assert bob.get("/WEB-1", {"as_of": "yesterday"}).status_code == 422
    assert bob.get("/WEB-1", {"as_of": "2026-10-09"}).status_code == 422  # the future


def test_as_of_an_issue_the_viewer_cannot_see_is_404(cast, history):
    assert _as(cast.carol).get("/WEB-2", {"as_of": "2026-10-02"}).status_code == 404
    assert _as(cast.eve).get("/WEB-1", {"as_of": "2026-10-02"}).status_code == 404


def test_project_counts_as_of_a_day(cast, history):
    scope = scope_for(cast.bob, cast.web)
    day2 = counts_as_of(scope, dt.date(2026, 10, 2))
    assert day2.total == 2
    assert day2.by_status == [("new", 2)]
    assert day2.open_by_priority == [("highest", 1), ("low", 1)]
    assert day2.open_by_assignee == [("(unassigned)", 2)]
    day4 = counts_as_of(scope, dt.date(2026, 10, 4))
    assert sorted(day4.by_status) == [("in progress", 1), ("new", 1)]
    assert sorted(day4.open_by_assignee) == [("(unassigned)", 1), ("alice", 1)]
    day5 = counts_as_of(scope, dt.date(2026, 10, 5))
    assert sorted(day5.by_status) == [("closed", 1), ("new", 1)]
    assert day5.open_by_priority == [("highest", 1)]
    now = counts_as_of(scope, dt.date(2026, 10, 6))
    assert sorted(now.open_by_priority) == [("high", 1), ("highest", 1)]
    before = counts_as_of(scope, dt.date(2026, 9, 30))
    assert before.total == 0 and before.by_status == []


def test_the_project_as_of_view_uses_the_reporters_gate(cast, history):
    carol = _as(cast.carol).get("/p/WEB/dashboard", {"as_of": "2026-10-02"}).content.decode()
    assert "As of 2026-10-02" in carol and "(1 issue existed then)" in carol
    bob = _as(cast.bob).get("/p/WEB/dashboard", {"as_of": "2026-10-02"}).content.decode()
    assert "(2 issues existed then)" in bob
    bad = _as(cast.bob).get("/p/WEB/dashboard", {"as_of": "2026-13-01"})
    assert bad.status_code == 422 and "as_of must be a date" in bad.content.decode().lower()
