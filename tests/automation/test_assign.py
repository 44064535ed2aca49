"""The assign action's strategies: a person, the component lead, round robin within a team,
the team member with the fewest open issues (issues/routing.py picks; the bot assigns)."""

from __future__ import annotations

from docket.accounts.models import Team
from docket.automation.models import RuleRun
from docket.projects.models import Component
from tests.automation.conftest import make_rule, run_rules
from tests.factories import make_issue


def _assignees(issues):
    for issue in issues:
        issue.refresh_from_db()
    return [i.assignee.username if i.assignee else None for i in issues]


def test_round_robin_and_fewest_open_within_a_team(cast):
    team = Team.objects.create(slug="triage", name="Triage")
    team.members.set([cast.alice, cast.bob, cast.carol])  # carol is a reporter: never picked
    make_rule(cast.alice, cast.web, "Spread", {"on": "created"},
              [{"type": "assign", "strategy": "round_robin", "team": "triage"}],
              condition="type:bug")  # fmt: skip
    make_rule(cast.alice, cast.web, "Least busy", {"on": "created"},
              [{"type": "assign", "strategy": "fewest_open", "team": "triage"}],
              condition="type:task")  # fmt: skip
    bugs = [make_issue(cast.carol, cast.web, type="bug") for _ in range(3)]
    run_rules()
    assert _assignees(bugs) == ["alice", "bob", "alice"]
    task = make_issue(cast.carol, cast.web, type="task")
    run_rules()
    assert _assignees([task]) == ["bob"]  # bob has one open issue, alice two


def test_component_lead_and_a_missing_team(cast):
    Component.objects.create(project=cast.web, name="api", lead=cast.bob)
    make_rule(cast.alice, cast.web, "Lead", {"on": "created"},
              [{"type": "assign", "strategy": "component_lead"}])  # fmt: skip
    bad = make_rule(cast.alice, cast.web, "Nobody", {"on": "created"},
                    [{"type": "assign", "strategy": "round_robin", "team": "ghosts"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web, components=["api"])
    run_rules()
    assert _assignees([issue]) == ["bob"]
    assert RuleRun.objects.get(rule=bad).error == "assign: no team 'ghosts'"
