"""`team:` and `assignee:team:` (docs/query-language.md, "Teams"): the same answers from the
database, the API and the in-memory evaluator the rules engine uses; plans that do not grow
a join per term."""

from __future__ import annotations

import re

import pytest

from docket.accounts.models import Team
from docket.issues.access import visible_issues
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query, issue_matches
from docket.query import QueryError
from tests.factories import UserFactory, make_issue


@pytest.fixture
def teams(cast):
    """sre = {bob}; dev = {alice}. Issues: routed to sre unassigned, routed to sre and
    assigned to alice (not on sre), assigned to bob without a team, neither."""
    sre = Team.objects.create(slug="sre", name="SRE")
    sre.members.add(cast.bob)
    dev = Team.objects.create(slug="dev", name="Dev")
    dev.members.add(cast.alice)
    make_issue(cast.alice, cast.web, title="sre queue", team="sre")
    make_issue(cast.alice, cast.web, title="sre, alice", team="sre", assignee="alice")
    make_issue(cast.alice, cast.web, title="bob's", assignee="bob")
    make_issue(cast.alice, cast.web, title="nobody's")
    return sre, dev


ANSWERS = {
    "team:sre": {"sre queue", "sre, alice"},
    "team:SRE": {"sre queue", "sre, alice"},
    "team:sre is:unassigned": {"sre queue"},
    "team:none": {"bob's", "nobody's"},
    "-team:sre": {"bob's", "nobody's"},
    "has:team": {"sre queue", "sre, alice"},
    "assignee:team:sre": {"sre queue", "sre, alice", "bob's"},
    "assignee:team:dev": {"sre, alice"},
    "-assignee:team:sre": {"nobody's"},
    "assignee:team:dev,team:sre": {"sre queue", "sre, alice", "bob's"},
    "assignee:team:sre -team:sre": {"bob's"},
    "assignee:bob": {"bob's"},
    "assignee:none": {"sre queue", "nobody's"},
    "assignee:team:nosuch": set(),
}


@pytest.mark.parametrize("text", ANSWERS)
def test_database_api_and_evaluator_agree(cast, teams, text):
    q, _ = compile_issue_query(text, cast.alice)
    found = set(visible_issues(cast.alice).filter(q).values_list("title", flat=True))
    assert found == ANSWERS[text]
    in_memory = {i.title for i in Issue.objects.all() if issue_matches(text, i, cast.alice)}
    assert in_memory == ANSWERS[text]
    listed = cast.api(cast.alice).get("/issues", q=text)
    assert listed.status_code == 200, listed.content
    assert {i["title"] for i in listed.json()["items"]} == ANSWERS[text]


def test_assignee_team_follows_membership_now(cast, teams):
    sre, _ = teams
    carol_like = UserFactory(username="newbie")
    sre.members.add(carol_like)
    sre.members.remove(cast.bob)
    q, _ = compile_issue_query("assignee:team:sre", cast.alice)
    found = set(visible_issues(cast.alice).filter(q).values_list("title", flat=True))
    assert found == {"sre queue", "sre, alice"}


def test_a_team_with_no_name_is_a_clear_error(cast):
    with pytest.raises(QueryError, match="give a team after 'team:'"):
        compile_issue_query("assignee:team:", cast.alice)


def _joins_and_selects(user, text: str) -> int:
    q, ordering = compile_issue_query(text, user)
    sql = str(visible_issues(user).filter(q).order_by(*ordering).query)
    return len(re.findall(r"\bJOIN\b|\bSELECT\b", sql))


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: " OR ".join(f"team:t{i}" for i in range(n)),
        lambda n: "team:" + ",".join(f"t{i}" for i in range(n)),
        lambda n: " OR ".join(f"assignee:team:t{i}" for i in range(n)),
        lambda n: " ".join(f"-assignee:team:t{i}" for i in range(n)),
    ],
)
def test_team_terms_add_no_join_or_subquery_per_term(cast, shape):
    Team.objects.bulk_create(Team(slug=f"t{i}", name=f"T{i}") for i in range(80))
    assert _joins_and_selects(cast.bob, shape(4)) == _joins_and_selects(cast.bob, shape(80))
