"""SLA clocks replayed from the event log, in a project: business hours in the policy's zone,
a pause in a waiting state, a DST change and public holidays, with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from docket.issues import actions, comments
from docket.issues.models import Issue
from docket.sla import actions as sla_actions
from docket.sla import engine
from docket.sla.models import Clock, Policy
from docket.worker.runner import run_ready_jobs
from tests.factories import make_issue, make_project
from tests.sla.conftest import at, replay_all

LONDON = "Europe/London"
WEEKDAYS = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def desk(cast: Any) -> Any:
    project = make_project(
        cast.alice, "SUP", workflow="support", members={cast.bob: "member", cast.carol: "reporter"}
    )
    policy = Policy.objects.get(project=project)  # the support template's default
    sla_actions.update_policy(
        actor=cast.alice, policy=policy,
        values={
            "zone": LONDON, "hours": WEEKDAYS, "country": "GB", "subdivision": "ENG",
            "first_response": {"medium": 180}, "resolution": {"medium": 240},
        },
    )  # fmt: skip
    return project


def clock_of(issue: Issue, metric: str, moment: dt.datetime) -> tuple[str, Any, Any]:
    row = Clock.objects.select_related("policy").get(issue=issue, metric=metric)
    reading = engine.reading(row, moment)
    return reading.state, reading.elapsed, row.deadline


def test_the_support_template_comes_with_a_policy(cast: Any, clock: Any) -> None:
    project = make_project(cast.alice, "HELP", workflow="support")
    policy = Policy.objects.get(project=project)
    assert policy.pause_states == []  # the workflow's waiting state pauses its clocks:
    waiting = project.workflow.states.filter(waiting=True)
    assert [s.name for s in waiting] == ["Waiting on customer"]
    assert make_project(cast.alice, "SW").sla_policies.count() == 0  # default template: none


def test_across_a_holiday_a_pause_and_back(cast: Any, clock: Any, desk: Any) -> None:
    # Thursday 2 April 2026, 15:00 BST; Good Friday and Easter Monday are bank holidays.
    clock.current = at(LONDON, 2026, 4, 2, 15)
    issue = make_issue(cast.carol, desk, title="Printer on fire")
    replay_all()
    fr = Clock.objects.get(issue=issue, metric="first_response")
    res = Clock.objects.get(issue=issue, metric="resolution")
    # 2 h on Thursday, then Tuesday 7 April from 09:00: 3 h → 10:00, 4 h → 11:00 (BST).
    assert fr.deadline == at(LONDON, 2026, 4, 7, 10)
    assert res.deadline == at(LONDON, 2026, 4, 7, 11)
    issue.refresh_from_db()
    assert (issue.sla_state, issue.sla_due_at) == ("running", at(LONDON, 2026, 4, 7, 10))

    clock.current = at(LONDON, 2026, 4, 7, 9, 30)  # staff answer: first response met
    comments.add_comment(actor=cast.bob, issue=issue, body="Looking into it")
    actions.update_issue(actor=cast.bob, issue=issue, changes={"status": "Waiting on customer"})
    replay_all()
    moment = clock.current
    assert clock_of(issue, "first_response", moment)[0] == "met"
    state, elapsed, deadline = clock_of(issue, "resolution", moment)
    assert (state, elapsed, deadline) == ("paused", dt.timedelta(hours=2, minutes=30), None)

    clock.current = at(LONDON, 2026, 4, 8, 12)  # customer replies a day later: resumes
    actions.update_issue(actor=cast.carol, issue=issue, changes={"status": "Waiting on us"})
    replay_all()
    state, elapsed, deadline = clock_of(issue, "resolution", clock.current)
    assert state == "running"
    assert deadline == at(LONDON, 2026, 4, 8, 13, 30)  # 1.5 h left
    clock.current = at(LONDON, 2026, 4, 8, 13, 31)
    assert clock_of(issue, "resolution", clock.current)[0] == "breached"


def test_a_first_response_needs_staff_other_than_the_reporter(
    cast: Any, clock: Any, desk: Any
) -> None:
    clock.current = at(LONDON, 2026, 1, 6, 10)
    issue = make_issue(cast.carol, desk, title="Help")
    comments.add_comment(actor=cast.carol, issue=issue, body="Anyone?")
    replay_all()
    assert clock_of(issue, "first_response", clock.current)[0] == "running"
    actions.update_issue(actor=cast.bob, issue=issue, changes={"assignee": "bob"})
    replay_all()
    assert clock_of(issue, "first_response", clock.current)[0] == "met"


def test_an_internal_note_is_no_first_response(cast: Any, clock: Any, desk: Any) -> None:
    clock.current = at(LONDON, 2026, 1, 6, 10)
    issue = make_issue(cast.carol, desk, title="Help")
    comments.add_comment(actor=cast.bob, issue=issue, body="Ask billing", internal=True)
    replay_all()
    assert clock_of(issue, "first_response", clock.current)[0] == "running"
    comments.add_comment(actor=cast.bob, issue=issue, body="On it")
    replay_all()
    assert clock_of(issue, "first_response", clock.current)[0] == "met"


def test_over_a_dst_change_and_a_weekend(cast: Any, clock: Any, desk: Any) -> None:
    # Friday 27 March 2026 16:00 GMT; clocks go forward on Sunday 29 March.
    clock.current = at(LONDON, 2026, 3, 27, 16)
    issue = make_issue(cast.carol, desk, title="Slow")
    replay_all()
    fr = Clock.objects.get(issue=issue, metric="first_response")
    assert fr.deadline == at(LONDON, 2026, 3, 30, 11)  # 1 h Friday + 2 h Monday from 09:00 BST
    assert fr.deadline == dt.datetime(2026, 3, 30, 10, tzinfo=dt.UTC)


def test_resolving_stops_and_reopening_resumes(cast: Any, clock: Any, desk: Any) -> None:
    clock.current = at(LONDON, 2026, 1, 6, 9)
    issue = make_issue(cast.carol, desk, title="Broken")
    clock.current = at(LONDON, 2026, 1, 6, 10)
    actions.update_issue(
        actor=cast.bob, issue=issue, changes={"status": "Solved", "resolution": "fixed"}
    )
    replay_all()
    assert clock_of(issue, "resolution", clock.current)[:2] == ("met", dt.timedelta(hours=1))
    clock.current = at(LONDON, 2026, 1, 7, 9)
    actions.update_issue(actor=cast.carol, issue=issue, changes={"status": "Waiting on us"})
    replay_all()
    state, elapsed, deadline = clock_of(issue, "resolution", clock.current)
    assert (state, elapsed, deadline) == (
        "running",
        dt.timedelta(hours=1),
        at(LONDON, 2026, 1, 7, 12),
    )


def test_a_priority_change_moves_the_target(cast: Any, clock: Any, desk: Any) -> None:
    clock.current = at(LONDON, 2026, 1, 6, 9)
    issue = make_issue(cast.carol, desk, title="Broken")
    replay_all()
    actions.update_issue(actor=cast.bob, issue=issue, changes={"priority": "lowest"})
    replay_all()  # the policy has no target for lowest: no clocks
    assert not Clock.objects.filter(issue=issue).exists()
    issue.refresh_from_db()
    assert issue.sla_state == ""


def test_clocks_go_when_no_policy_covers_the_issue_any_more(
    cast: Any, clock: Any, desk: Any
) -> None:
    """One batch mixing issues under the policy, a deleted one and one in a project without
    a policy; then the policy is turned off."""
    clock.current = at(LONDON, 2026, 1, 6, 9)
    kept = make_issue(cast.carol, desk, title="Still covered")
    gone = make_issue(cast.carol, desk, title="Deleted")
    replay_all()
    assert Clock.objects.filter(issue=gone).count() == 2
    elsewhere = make_issue(cast.alice, make_project(cast.alice, "SW"), title="No policy here")
    actions.delete_issue(actor=cast.alice, issue=gone)
    actions.update_issue(actor=cast.bob, issue=kept, changes={"title": "Still covered, renamed"})
    replay_all()
    assert not Clock.objects.filter(issue__in=[gone, elsewhere]).exists()
    assert Clock.objects.filter(issue=kept).count() == 2
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.sla_state, gone.sla_due_at) == ("", None)
    assert kept.sla_state and kept.sla_due_at is not None

    policy = Policy.objects.get(project=desk)
    sla_actions.update_policy(actor=cast.alice, policy=policy, values={"active": False})
    run_ready_jobs()  # the replay of the project's clocks the change queued
    assert not Clock.objects.filter(issue=kept).exists()
    kept.refresh_from_db()
    assert (kept.sla_state, kept.sla_due_at) == ("", None)
