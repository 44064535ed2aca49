"""Escalation steps fire exactly once each: across repeated sweeps, a clock jump past several
thresholds, and a worker that dies in the middle of a step (its transaction never commits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from docket.issues.models import EventKind, IssueEvent, Priority
from docket.sla import engine
from docket.sla.models import Clock, Escalation
from tests.factories import make_issue, make_project
from tests.sla.conftest import replay_all, sweep

SLA_KINDS = [EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_ESCALATED]


@pytest.fixture
def ops(cast: Any) -> Any:
    # The incident template's default policy: around the clock; high: first response 30 min.
    return make_project(cast.alice, "OPS", workflow="incident", members={cast.bob: "member"})


def history(issue: Any) -> list[tuple[str, str, int]]:
    rows = IssueEvent.objects.filter(issue=issue, kind__in=SLA_KINDS).order_by("id")
    return [(e.kind, e.field, e.new["percent"]) for e in rows]


def test_each_step_fires_once_across_sweeps_and_a_clock_jump(
    cast: Any, clock: Any, ops: Any
) -> None:
    issue = make_issue(cast.bob, ops, title="Site down", priority="high")
    replay_all()
    row = Clock.objects.get(issue=issue, metric="first_response")
    assert row.next_fire_at == clock.current + dt.timedelta(minutes=22, seconds=30)
    assert sweep(clock) == 0
    clock.advance(minutes=23)
    assert sweep(clock) >= 1
    assert history(issue) == [("sla_warning", "first_response", 75)]
    issue.refresh_from_db()
    assert issue.sla_state == "at_risk"
    assert sweep(clock) == 0  # the same moment again: nothing due
    clock.advance(hours=5)  # past 100 % and 150 % of both clocks at once
    sweep(clock)
    sweep(clock)
    replay_all()  # the priority raise is an event: clocks replayed against the new target
    clock.advance(seconds=1)
    sweep(clock)
    got = history(issue)
    assert got.count(("sla_breached", "first_response", 100)) == 1
    assert got.count(("sla_escalated", "first_response", 150)) == 1
    assert got.count(("sla_warning", "first_response", 75)) == 1
    assert Escalation.objects.filter(issue=issue).count() == len(got)
    issue.refresh_from_db()
    assert issue.priority == Priority.HIGHEST  # raised once by each 100 % step, from high
    assert issue.sla_state == "breached"
    raised = IssueEvent.objects.filter(issue=issue, field="priority").select_related("actor")
    assert {e.actor.username for e in raised} == {"docket-sla"}


def test_a_worker_that_dies_mid_step_fires_it_once_after(
    cast: Any, clock: Any, ops: Any, monkeypatch: Any
) -> None:
    issue = make_issue(cast.bob, ops, title="Disk full", priority="high")
    replay_all()
    clock.advance(minutes=31)  # past 75 % and 100 % of the first response

    def die(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("the worker is killed here")  # not caught by anything

    monkeypatch.setattr(engine, "record_sla_event", die)
    with pytest.raises(KeyboardInterrupt):
        sweep(clock)
    assert not Escalation.objects.exists()  # nothing of the step committed…
    issue.refresh_from_db()
    assert issue.priority == Priority.HIGH  # …not even its priority raise
    monkeypatch.undo()
    from docket.issues import sla_summary

    monkeypatch.setattr(engine, "record_sla_event", sla_summary.record_sla_event)
    clock.advance(seconds=5)
    sweep(clock)
    sweep(clock)
    assert history(issue) == [
        ("sla_warning", "first_response", 75),
        ("sla_breached", "first_response", 100),
    ]
    # A sweep whose commit was lost after the steps (next_fire_at still in the past) fires
    # nothing again: the steps' unique rows say they are done.
    Clock.objects.filter(issue=issue).update(next_fire_at=clock.current - dt.timedelta(hours=1))
    sweep(clock)
    assert len(history(issue)) == 2


def test_paused_clocks_do_not_escalate(cast: Any, clock: Any) -> None:
    desk = make_project(cast.alice, "SUP", workflow="support", members={cast.bob: "member"})
    from docket.issues import actions

    clock.current = dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC)  # Tuesday 09:00 UTC
    issue = make_issue(cast.bob, desk, title="Question", priority="highest")
    actions.update_issue(actor=cast.bob, issue=issue, changes={"status": "Waiting on customer"})
    replay_all()
    clock.advance(days=10)
    sweep(clock)
    assert history(issue) == []


def test_the_steps_people_are_told(cast: Any, clock: Any, ops: Any) -> None:
    from docket.notifications.models import Notification
    from tests.notifications.conftest import cursor_at_the_end, dispatch_all

    cursor_at_the_end()
    ops.lead = cast.alice
    ops.save()
    issue = make_issue(cast.alice, ops, title="Latency", priority="high", assignee="bob")
    replay_all()
    dispatch_all()
    clock.advance(minutes=31)
    sweep(clock)
    dispatch_all()
    told = Notification.objects.filter(issue=issue, event__kind__in=SLA_KINDS, in_inbox=True)
    got = sorted((n.recipient.username, n.event.kind, n.kind) for n in told)
    assert got == [
        ("alice", "sla_breached", "due"),  # the lead, at 100 %
        ("bob", "sla_breached", "due"),  # the assignee, at 75 % and 100 %
        ("bob", "sla_warning", "due"),
    ]


def test_a_step_hands_the_issue_to_a_team(cast: Any, clock: Any, ops: Any) -> None:
    from docket.accounts.models import Team
    from docket.sla import actions as sla_actions
    from docket.sla.models import Policy

    sre = Team.objects.create(slug="sre", name="SRE")
    sre.members.add(cast.bob)
    policy = Policy.objects.get(project=ops)
    steps = [{"at": 150, "do": ["reassign_team"], "team": "sre"}]
    sla_actions.update_policy(actor=cast.alice, policy=policy, values={"steps": steps})
    issue = make_issue(cast.alice, ops, title="Queue stuck", priority="high")
    replay_all()
    clock.advance(minutes=46)
    sweep(clock)
    issue.refresh_from_db()
    assert (issue.team_id, issue.assignee_id) == (sre.id, cast.bob.id)
    assert history(issue) == [("sla_escalated", "first_response", 150)]
    row = Escalation.objects.get(issue=issue)
    assert row.outcome == {"reassign_team": "reassigned to team sre (bob)"}


def test_thresholds_crossed_long_before_the_sweep_saw_them_are_skipped_not_acted_on(
    cast: Any, clock: Any, ops: Any
) -> None:
    """Imported history or a worker down for days: the clock shows the breach, but no step
    acts, nobody is told, and the steps never fire later."""
    issue = make_issue(cast.bob, ops, title="Old outage", priority="high")
    replay_all()
    clock.advance(days=3)
    sweep(clock)
    sweep(clock)
    assert history(issue) == []
    issue.refresh_from_db()
    assert issue.priority == Priority.HIGH and issue.sla_state == "breached"
    skipped = Escalation.objects.filter(issue=issue)
    assert skipped.exists() and all("skipped" in row.outcome for row in skipped)
    clock.advance(hours=1)
    sweep(clock)
    assert history(issue) == []
