"""The gate's batch loader (issues.access.know_many) loads for many people exactly what the
gate loads for each one on its own: roles (direct and through teams, strongest wins) and
explicit grants."""

from __future__ import annotations

from docket.accounts.actor import Actor
from docket.accounts.models import Team
from docket.issues import sharing
from docket.issues.access import granted_issue_ids, know_many
from docket.projects import actions as project_actions
from docket.projects.access import project_roles
from tests.factories import UserFactory, make_issue, make_project


def test_know_many_matches_the_gates_own_loading(cast):
    team = Team.objects.create(slug="ops", name="Ops")
    team.members.add(cast.dave, cast.eve)
    other = make_project(cast.alice, "OPS")
    project_actions.set_member(actor=cast.alice, project=cast.web, team="ops", role="member")
    project_actions.set_member(actor=cast.alice, project=other, team="ops", role="viewer")
    issue = make_issue(cast.alice, cast.web, confidential=True)
    sharing.grant_access(actor=cast.alice, issue=issue, username="eve")
    nobody = UserFactory(username="nobody")
    people = [cast.root, cast.alice, cast.bob, cast.carol, cast.dave, cast.eve, nobody]

    batch = [Actor(user) for user in people]
    know_many(batch)
    for user, loaded in zip(people, batch, strict=True):
        alone = Actor(user)
        assert loaded.roles == project_roles(alone), user.username
        assert sorted(loaded.grants or []) == sorted(granted_issue_ids(alone)), user.username
    assert batch[4].roles is not None and batch[4].roles[cast.web.id] == "member"  # the team's
