"""The issue API carries the SLA summary: `sla_state` and `sla_due_at` on an issue and on
list rows, as the clocks move (docs/api.md, docs/sla.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docket.issues import comments
from tests.factories import make_issue
from tests.sla.conftest import replay_all, sweep

# Around the clock, so the deadlines are plain sums: first response 60 min, resolution 4 h.
POLICY = {
    "name": "High priority",
    "query": "priority:high",
    "first_response": {"high": 60},
    "resolution": {"high": 240},
    "hours": None,
    "pause_states": ["In Progress"],
    "steps": [],
}


def add_policy(cast: Any) -> None:
    made = cast.api(cast.alice).post("/projects/WEB/sla/policies", POLICY)
    assert made.status_code == 201, made.content


def when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_an_issue_and_its_list_row_carry_the_sla_summary_as_the_clock_moves(
    cast: Any, clock: Any
) -> None:
    add_policy(cast)
    held = make_issue(cast.bob, cast.web, title="Checkout fails", priority="high")
    free = make_issue(cast.bob, cast.web, title="Typo", priority="low")
    replay_all()
    bob = cast.api(cast.bob)
    started = clock.current

    body = bob.get(f"/issues/WEB-{held.number}").json()
    assert body["sla_state"] == "running"
    assert when(body["sla_due_at"]) == started + dt.timedelta(minutes=60)
    plain = bob.get(f"/issues/WEB-{free.number}").json()
    assert (plain["sla_state"], plain["sla_due_at"]) == (None, None)

    clock.advance(minutes=50)  # past 75 % of the first response's hour
    sweep(clock)
    assert bob.get(f"/issues/WEB-{held.number}").json()["sla_state"] == "at_risk"

    clock.advance(minutes=15)
    sweep(clock)
    rows = {row["key"]: row for row in bob.get("/issues", project="WEB").json()["items"]}
    row = rows[f"WEB-{held.number}"]
    assert row["sla_state"] == "breached"
    assert when(row["sla_due_at"]) == started + dt.timedelta(minutes=60)
    assert rows[f"WEB-{free.number}"]["sla_state"] is None
    # The query language and the field agree.
    found = bob.get("/issues", q="sla:breached").json()["items"]
    assert [r["key"] for r in found] == [f"WEB-{held.number}"]


def test_a_met_and_a_paused_clock_read_out(cast: Any, clock: Any) -> None:
    from docket.issues.actions import transition

    add_policy(cast)
    issue = make_issue(cast.carol, cast.web, title="Login loop", priority="high")
    replay_all()
    clock.advance(minutes=10)
    comments.add_comment(actor=cast.alice, issue=issue, body="Looking at it.")  # staff answer
    replay_all()
    clock.advance(minutes=5)
    issue.refresh_from_db()
    transition(actor=cast.alice, issue=issue, to="in progress")  # a pause state
    replay_all()
    body = cast.api(cast.carol).get(f"/issues/WEB-{issue.number}").json()
    assert body["sla_state"] == "paused"
    assert body["sla_due_at"] is None  # no clock is running
    issue.refresh_from_db()
    transition(actor=cast.alice, issue=issue, to="resolved", fields={"resolution": "fixed"})
    replay_all()
    assert cast.api(cast.carol).get(f"/issues/WEB-{issue.number}").json()["sla_state"] == "met"


def test_the_etag_changes_when_only_the_sla_summary_does(cast: Any, clock: Any) -> None:
    """The summary changes without an edit (no version bump), so a client holding the old
    ETag must not be told 304 Not Modified."""
    add_policy(cast)
    issue = make_issue(cast.bob, cast.web, title="Slow search", priority="high")
    replay_all()
    bob = cast.api(cast.bob)
    first = bob.get(f"/issues/WEB-{issue.number}")
    tag = first.headers["ETag"]
    assert (
        bob.get(f"/issues/WEB-{issue.number}", headers={"HTTP_IF_NONE_MATCH": tag}).status_code
        == 304
    )
    clock.advance(minutes=61)
    sweep(clock)
    again = bob.get(f"/issues/WEB-{issue.number}", headers={"HTTP_IF_NONE_MATCH": tag})
    assert again.status_code == 200 and again.json()["sla_state"] == "breached"
    # An If-Match with the new ETag is still understood (its version part is compared).
    changed = bob.patch(
        f"/issues/WEB-{issue.number}",
        {"title": "Slow search!"},
        headers={"HTTP_IF_MATCH": again.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.content


def test_the_summary_is_read_only(cast: Any, clock: Any) -> None:
    issue = make_issue(cast.bob, cast.web, title="Crash", priority="high")
    answer = cast.api(cast.bob).patch(f"/issues/WEB-{issue.number}", {"sla_state": "met"})
    assert answer.status_code in (400, 422)
    assert "sla_state" in answer.content.decode()
