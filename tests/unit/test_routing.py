"""The routing strategies automation rules assign with (issues/routing.py)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from docket.accounts.models import Team
from docket.issues import actions as issue_actions
from docket.issues.models import RoundRobinCursor
from docket.issues.routing import component_lead, fewest_open_issues, round_robin
from docket.projects import actions as project_actions
from docket.projects.models import Component
from tests.factories import UserFactory, make_issue, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(cast):
    """Team sre of seven people, all members of WEB."""
    team = Team.objects.create(slug="sre", name="SRE")
    people = [UserFactory(username=f"sre{i}") for i in range(7)]
    team.members.add(*people)
    for person in people:
        project_actions.set_member(
            actor=cast.alice, project=cast.web, user=person.username, role="member"
        )
    return team, people


def _spread(counts: Counter, people) -> int:
    return max(counts[p.username] for p in people) - min(counts[p.username] for p in people)


def test_round_robin_is_fair_and_skips_deactivated_members(cast, seven):
    team, people = seven
    counts = Counter(round_robin(team, project=cast.web).username for _ in range(100))
    assert sum(counts.values()) == 100 and _spread(counts, people) <= 1
    people[3].is_active = False
    people[3].save()
    more = Counter(round_robin(team, project=cast.web).username for _ in range(100))
    assert people[3].username not in more
    active = [p for p in people if p.is_active]
    assert _spread(more, active) <= 1
    assert _spread(counts + more, active) <= 1  # fair over both runs together


def test_round_robin_is_stored_per_team_and_scope(cast, seven):
    team, people = seven
    first = [round_robin(team).username for _ in range(3)]
    assert first == [p.username for p in people[:3]]
    cursor = RoundRobinCursor.objects.get(team=team, scope="")
    assert cursor.last_user_id == people[2].id and cursor.turns == 3
    assert round_robin(team, scope="rule-7") == people[0]  # another rotation starts afresh
    assert round_robin(team) == people[3]  # this one continues where the row says


def test_round_robin_skips_people_who_may_not_be_assigned_in_the_project(cast, seven):
    team, people = seven
    outsider = UserFactory(username="outsider")
    team.members.add(outsider)
    picked = {round_robin(team, project=cast.web).username for _ in range(16)}
    assert picked == {p.username for p in people}
    assert outsider.username in {round_robin(team).username for _ in range(16)}


def test_round_robin_of_an_empty_team_is_none(cast):
    assert round_robin(Team.objects.create(slug="empty", name="Empty")) is None


def test_fewest_open_issues_counts_open_ones_and_breaks_ties_by_username(cast):
    team = Team.objects.create(slug="ops", name="Ops")
    a, b, c = (UserFactory(username=n) for n in ("ops-a", "ops-b", "ops-c"))
    team.members.add(a, b, c)
    project = make_project(cast.alice, "OPS", members={a: "member", b: "member", c: "member"})
    assert fewest_open_issues(team, project=project) == a  # all at 0: lowest username
    make_issue(cast.alice, project, assignee="ops-a")
    make_issue(cast.alice, project, assignee="ops-a")
    make_issue(cast.alice, project, assignee="ops-b")
    done = make_issue(cast.alice, project, assignee="ops-c")
    issue_actions.update_issue(actor=cast.alice, issue=done, changes={"status": "closed"})
    assert fewest_open_issues(team, project=project) == c  # its one issue is done
    deleted = make_issue(cast.alice, project, assignee="ops-c")
    make_issue(cast.alice, project, assignee="ops-c")
    issue_actions.delete_issue(actor=cast.alice, issue=deleted)
    assert fewest_open_issues(team, project=project) == b  # b and c have 1: b first
    c.is_active = False
    c.save()
    assert fewest_open_issues(team, project=project) == b
    assert fewest_open_issues(Team.objects.create(slug="none", name="None")) is None


def test_component_lead_is_none_unless_set_active_and_assignable(cast):
    component = Component.objects.create(project=cast.web, name="api")
    assert component_lead(component) is None
    component.lead = cast.bob
    assert component_lead(component) == cast.bob
    component.lead = cast.carol  # a reporter may not be assigned
    assert component_lead(component) is None
    component.lead = cast.bob
    cast.bob.is_active = False
    assert component_lead(component) is None


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL runs two writers at once (SQLite's BEGIN IMMEDIATE serialises "
    "them); CI runs this on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_routers_take_turns_never_the_same_one():
    """Four routers picking at once, each holding its transaction a moment after the pick:
    the cursor row's lock makes them queue, so 28 picks over 7 people are 4 each."""
    team = Team.objects.create(slug="sre", name="SRE")
    people = [UserFactory(username=f"sre{i}") for i in range(7)]
    team.members.add(*people)
    picks: list[str] = []
    lock = threading.Lock()

    def router():
        try:
            for _ in range(7):
                with transaction.atomic():
                    chosen = round_robin(team)
                    time.sleep(0.005)  # still holding the cursor's row lock
                with lock:
                    picks.append(chosen.username)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=router) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Counter(picks) == {p.username: 4 for p in people}
    assert RoundRobinCursor.objects.get(team=team).turns == 28
