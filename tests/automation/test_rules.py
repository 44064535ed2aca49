"""Rules set off by the event log: they act as the bot through the domain actions, log each
run, never run twice for one event, stop a loop, and obey the workflow's role gates."""

from __future__ import annotations

import pytest
from django.test import Client

from docket.automation.bot import BOT_USERNAME
from docket.automation.models import RuleEffect, RuleRun
from docket.issues import actions, comments
from docket.issues.models import Issue, IssueEvent
from docket.notifications.models import Notification
from docket.worker.models import ConsumerCursor
from tests.automation.conftest import make_rule, run_rules
from tests.factories import make_issue
from tests.notifications.conftest import dispatch_all


def test_a_rule_acts_as_the_bot_and_logs_its_run(cast):
    rule = make_rule(
        cast.alice, cast.web, "Triage crashes", {"on": "created"},
        [{"type": "set", "field": "priority", "value": "highest"},
         {"type": "add_labels", "labels": ["crash"]},
         {"type": "assign", "to": "bob"}],
        condition='title:"crash"',
    )  # fmt: skip
    from docket.projects import actions as project_actions  # noqa: F401

    hit = make_issue(cast.carol, cast.web, title="Crash on save")
    miss = make_issue(cast.carol, cast.web, title="Typo")
    run_rules()
    hit.refresh_from_db()
    assert (hit.get_priority_display(), hit.assignee.username) == ("highest", "bob")
    assert [label.name for label in hit.labels.all()] == ["crash"]
    changes = IssueEvent.objects.filter(issue=hit, kind="changed")
    assert {e.actor.username for e in changes} == {BOT_USERNAME}
    effects = RuleEffect.objects.filter(event__issue=hit)
    assert {(e.rule_name, e.depth) for e in effects} == {("Triage crashes", 1)}
    runs = {r.issue_id: r for r in RuleRun.objects.filter(rule=rule)}
    assert runs[hit.id].outcome == "done" and runs[hit.id].matched
    assert [a["ok"] for a in runs[hit.id].results] == [True, True, True]
    assert runs[miss.id].outcome == "no match" and not runs[miss.id].matched
    assert Issue.objects.get(pk=miss.pk).version == 1


def test_a_rule_never_runs_twice_for_one_event(cast):
    make_rule(cast.alice, cast.web, "Comment", {"on": "created"},
              [{"type": "comment", "body": "Thanks!"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    start = ConsumerCursor.objects.get(name="automation").last_event_id
    run_rules()
    ConsumerCursor.objects.filter(name="automation").update(last_event_id=start)  # a replay
    run_rules()
    assert issue.comments.count() == 1
    assert RuleRun.objects.count() == 1
    assert not issue.watches.filter(user__username=BOT_USERNAME).exists()


def test_a_rule_that_would_loop_stops_and_says_so(cast):
    make_rule(cast.alice, cast.web, "Up", {"on": "changed", "field": "priority", "to": "low"},
              [{"type": "set", "field": "priority", "value": "high"}])  # fmt: skip
    make_rule(cast.alice, cast.web, "Down", {"on": "changed", "field": "priority", "to": "high"},
              [{"type": "set", "field": "priority", "value": "low"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    actions.update_issue(actor=cast.bob, issue=issue, changes={"priority": "low"})
    run_rules()
    runs = list(RuleRun.objects.order_by("id"))
    assert [(r.rule.name, r.depth, r.outcome) for r in runs] == [
        ("Up", 0, "done"),
        ("Down", 1, "done"),
        ("Up", 2, "done"),
        ("Down", 3, "stopped: loop"),
    ]
    assert "limit is 3" in runs[-1].error
    issue.refresh_from_db()
    assert issue.get_priority_display() == "high"  # the last change a rule was allowed


def test_a_rules_change_respects_the_workflows_role_gates(cast):
    from docket.projects.models import WorkflowTransition

    # Only members may start work: the rule's owner (alice) is an admin, so the bot is too.
    WorkflowTransition.objects.filter(
        workflow=cast.web.workflow, to_state__name__iexact="in progress"
    ).update(allowed_roles=["member"])
    rule = make_rule(cast.alice, cast.web, "Start", {"on": "created"},
                     [{"type": "comment", "body": "Starting"},
                      {"type": "transition", "to": "in progress"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    run_rules()
    run = RuleRun.objects.get(rule=rule)
    assert run.outcome == "failed"
    assert run.error.startswith("transition:") and "member" in run.error
    assert [a["ok"] for a in run.results] == [True, False]
    issue.refresh_from_db()
    assert issue.status.name.lower() != "in progress"
    assert issue.comments.count() == 0  # all of a rule's actions, or none
    assert issue.version == 1


def test_an_owner_who_lost_their_role_leaves_the_rule_powerless(cast):
    from docket.projects import actions as project_actions

    rule = make_rule(cast.alice, cast.web, "Prio", {"on": "created"},
                     [{"type": "set", "field": "priority", "value": "high"}])  # fmt: skip
    rule.owner = cast.eve  # eve holds no role in WEB
    rule.save()
    del project_actions
    make_issue(cast.carol, cast.web)
    run_rules()
    run = RuleRun.objects.get(rule=rule)
    assert run.outcome == "failed" and run.results[0]["ok"] is False


def test_sla_events_set_off_their_rules(cast):
    from docket.core.clock import now
    from docket.issues.events import record

    rule = make_rule(cast.alice, cast.web, "Breached", {"on": "sla_breached"},
                     [{"type": "set", "field": "priority", "value": "highest"}])  # fmt: skip
    make_rule(cast.alice, cast.web, "Warned", {"on": "sla_warning"},
              [{"type": "add_labels", "labels": ["sla-risk"]}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    record(issue, None, "sla_breached", now(), field="resolution", new={"percent": 100})
    run_rules()
    issue.refresh_from_db()
    assert issue.get_priority_display() == "highest"
    assert issue.labels.count() == 0
    assert RuleRun.objects.get(rule=rule).outcome == "done"


def test_a_broken_action_is_logged_and_the_consumer_goes_on(cast, monkeypatch):
    from docket.automation import rule_actions

    def broken(actor, issue, action):
        raise RuntimeError("bug")

    rule = make_rule(cast.alice, cast.web, "Broken", {"on": "created"},
                     [{"type": "comment", "body": "x"}])  # fmt: skip
    monkeypatch.setattr(rule_actions, "run_action", broken)
    make_issue(cast.carol, cast.web)
    run_rules()
    run = RuleRun.objects.get(rule=rule)
    assert (run.outcome, run.error) == ("failed", "comment: internal error")


def test_notify_tells_the_people_roles_and_watchers_it_names_and_shows_in_history(cast):
    make_rule(cast.alice, cast.web, "Tell", {"on": "created"},
              [{"type": "notify", "people": ["bob"], "roles": ["admin"],
                "message": "A new report needs eyes"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")
    run_rules()
    [notice] = IssueEvent.objects.filter(issue=issue, kind="notice")
    assert notice.actor.username == BOT_USERNAME
    assert notice.new == {"to": ["alice", "bob"], "message": "A new report needs eyes"}
    dispatch_all()
    told = Notification.objects.filter(event=notice).values_list("recipient__username", "kind")
    assert sorted(told) == [("alice", "mentioned"), ("bob", "mentioned")]


def test_a_notify_naming_nobody_is_refused_when_saved(cast):
    from docket.automation import spec
    from docket.core.errors import Invalid

    with pytest.raises(Invalid):
        spec.check_action("then[0]", {"type": "notify", "roles": ["wizard"]})
    with pytest.raises(Invalid):
        spec.check_action("then[0]", {"type": "notify"})


def test_a_webhook_action_records_a_request_for_the_named_hook(cast):
    hook = make_rule(cast.alice, cast.web, "Hook", {"on": "created"},
                     [{"type": "webhook", "hook": "Deploy bot"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    run_rules()
    run = RuleRun.objects.get(rule=hook)
    assert run.outcome == "done", run.error
    asked = IssueEvent.objects.get(issue=issue, kind="webhook_requested")
    assert asked.new == {"hook": "Deploy bot", "message": ""}
    assert RuleEffect.objects.get(event=asked).rule_name == "Hook"
    client = Client()
    client.force_login(cast.bob)
    page = client.get(f"/WEB-{issue.number}").content.decode()
    assert "asked webhook" in page and "Deploy bot" in page and "Automation: Hook" in page
    from docket.automation import spec
    from docket.core.errors import Invalid

    with pytest.raises(Invalid):
        spec.check_action("then[0]", {"type": "webhook", "url": "https://example.com/x"})


def test_a_rule_does_not_act_on_what_happened_before_it_existed(cast, clock):
    """Events older than the rule (history an import brought in, a worker catching up on the
    day before the rule was saved) set nothing off."""
    old = make_issue(cast.carol, cast.web, title="Filed last week")
    clock.advance(seconds=60)
    rule = make_rule(cast.alice, cast.web, "Label new", {"on": "created"},
                     [{"type": "add_labels", "labels": ["new"]}])  # fmt: skip
    clock.advance(seconds=60)
    fresh = make_issue(cast.carol, cast.web, title="Filed now")
    run_rules()
    assert [r.issue_id for r in RuleRun.objects.filter(rule=rule)] == [fresh.id]
    assert not old.labels.exists()


def test_a_transition_to_the_state_the_issue_is_in_is_done_already_not_a_failure(cast):
    rule = make_rule(cast.alice, cast.web, "Start", {"on": "commented"},
                     [{"type": "transition", "to": "In Progress"},
                      {"type": "add_labels", "labels": ["started"]}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    actions.update_issue(actor=cast.bob, issue=issue, changes={"status": "in progress"})
    comments.add_comment(actor=cast.bob, issue=issue, body="On it")
    run_rules()
    run = RuleRun.objects.get(rule=rule)
    assert (run.outcome, run.results[0]["detail"]) == ("done", "already in progress")
    assert [label.name for label in issue.labels.all()] == ["started"]
