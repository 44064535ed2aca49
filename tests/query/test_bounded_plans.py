"""Every query shape has a plan that does not grow with the number of terms: the terms of a
multi-valued field (labels, components, comments, watchers) become one subquery, whatever the
operator (AND, OR, NOT, a list of values). 30 `label=` values had taken a PostgreSQL backend to
23 GB, one join each; SQLite refuses a join of more than 64 tables. And the shapes an index can
serve: `milestone:none` on the foreign key, a project list of a member without the gate's OR."""

from __future__ import annotations

import re

import pytest

from docket.issues.access import visible_issues
from docket.issues.queries import IssueFilter, filtered_issues
from docket.issues.query_fields import compile_issue_query
from docket.projects.models import Component
from tests.factories import make_issue, make_project

SHAPES = {
    "and": lambda n: " ".join(f"label:l{i}" for i in range(n)),
    "or": lambda n: " OR ".join(f"label:l{i}" for i in range(n)),
    "not": lambda n: " ".join(f"-label:l{i}" for i in range(n)),
    "values": lambda n: "label:" + ",".join(f"l{i}" for i in range(n)),
    "components": lambda n: " ".join(f"component:c{i}" for i in range(n)),
    "watchers": lambda n: " ".join(f"watcher:u{i}" for i in range(n)),
    "mixed": lambda n: " ".join(f"label:l{i} -component:c{i}" for i in range(n // 2)),
}


def _shape(sql: str) -> tuple[int, int]:
    """(subqueries, joins) of a statement."""
    return len(re.findall(r"\bSELECT\b", sql)), len(re.findall(r"\bJOIN\b", sql))


def _sql(user, text: str) -> str:
    q, ordering = compile_issue_query(text, user)
    return str(visible_issues(user).filter(q).order_by(*ordering).query)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_plan_does_not_grow_with_the_terms(cast, shape):
    few, many = (_shape(_sql(cast.bob, SHAPES[shape](n))) for n in (4, 120))
    assert few == many, (shape, few, many)


def test_the_label_parameter_is_one_subquery_and_bounded(cast, anon):
    few, many = (
        _shape(str(filtered_issues(cast.bob, IssueFilter(labels=names))
                   .query))
        for names in ([f"l{i}" for i in range(2)], [f"l{i}" for i in range(50)])
    )  # fmt: skip
    assert few == many
    bob = cast.api(cast.bob)
    assert bob.get("/issues", label=",".join(f"l{i}" for i in range(50))).status_code == 200
    refused = bob.get("/issues", label=",".join(f"l{i}" for i in range(51)))
    assert refused.status_code == 400 and "at most 50 labels" in refused.json()["detail"]


def test_grouped_terms_mean_what_they_say(cast):
    both = make_issue(cast.bob, cast.web, title="both", labels=["a", "b"])
    only_a = make_issue(cast.bob, cast.web, title="only a", labels=["a"])
    neither = make_issue(cast.bob, cast.web, title="neither", labels=["c"])

    def found(text: str) -> set[str]:
        q, _ = compile_issue_query(text, cast.bob)
        return set(visible_issues(cast.bob).filter(q).values_list("title", flat=True))

    assert found("label:a label:b") == {both.title}
    assert found("label:a,b") == {both.title, only_a.title}
    assert found("label:a OR label:b") == {both.title, only_a.title}
    assert found("-label:a -label:b") == {neither.title}
    assert found("label:a -label:b") == {only_a.title}
    assert found("label:a label:a") == {both.title, only_a.title}
    assert found("(label:a OR label:c) -label:b") == {only_a.title, neither.title}
    api = cast.api(cast.bob)
    titles = {i["title"] for i in api.get("/issues", label="a,b").json()["items"]}
    assert titles == {both.title}


@pytest.mark.parametrize("field", ["milestone", "team"])
def test_none_tests_the_foreign_key_without_a_join(cast, field):
    milestone = make_issue(cast.bob, cast.web, title="no milestone")
    sql = _sql(cast.bob, f"{field}:none")
    assert f'"issues_issue"."{field}_id" IS NULL' in sql and "JOIN" not in sql
    q, _ = compile_issue_query(f"-{field}:none", cast.bob)
    assert milestone not in visible_issues(cast.bob).filter(q)
    q, _ = compile_issue_query(f"{field}:none", cast.bob)
    assert milestone in visible_issues(cast.bob).filter(q)


def test_a_project_list_gates_members_by_the_project_alone_and_others_fully(cast):
    secret = make_issue(cast.alice, cast.web, title="secret", confidential=True)
    scope = IssueFilter(projects=["web"])
    member = str(filtered_issues(cast.bob, scope).query).split(" WHERE ")[1]
    assert "reporter_id" not in member and "assignee_id" not in member
    assert secret in filtered_issues(cast.bob, scope)
    reporter = filtered_issues(cast.carol, scope)  # a reporter: not the confidential ones
    assert "reporter_id" in str(reporter.query).split(" FROM ", 1)[1] and secret not in reporter
    assert secret not in filtered_issues(cast.eve, scope)  # no role at all


def test_a_query_confined_to_a_project_is_gated_like_the_projects_own_list(cast):
    secret = make_issue(cast.alice, cast.web, title="secret", confidential=True)
    for text, confined in (
        ("project:web is:open", True),
        ("is:open", False),
        ("project:web OR priority:high", False),
        ("-project:web", False),
    ):
        for who, sees in ((cast.bob, True), (cast.carol, False)):
            q, _ = compile_issue_query(text, who)
            issues = filtered_issues(who, IssueFilter(), text).filter(q)
            gated_by_person = "reporter_id" in str(issues.query).split(" FROM ", 1)[1]
            assert gated_by_person == (who == cast.carol or not confined), (text, who)
            assert (secret in issues) == (sees and "-project" not in text), (text, who)


def test_a_label_subquery_is_confined_to_the_projects_the_query_requires(cast):
    """A label belongs to one project: `project:WEB label:bug` reads WEB's `bug` rows only,
    not every project's (1M issues, 500 projects: 719 ms unconfined)."""
    ops = make_project(cast.alice, "OPS", members={cast.bob: "member"})
    for project in (cast.web, ops):
        Component.objects.create(project=project, name="ui")
    web_bug = make_issue(cast.bob, cast.web, title="web bug", labels=["bug"], components=["ui"])
    web_plain = make_issue(cast.bob, cast.web, title="web plain", labels=["chore"])
    ops_bug = make_issue(cast.bob, ops, title="ops bug", labels=["bug"], components=["ui"])

    def found(text: str) -> set[str]:
        q, _ = compile_issue_query(text, cast.bob)
        return set(visible_issues(cast.bob).filter(q).values_list("title", flat=True))

    assert found("project:web label:bug") == {web_bug.title}
    assert found("project:WEB -label:bug") == {web_plain.title}
    assert found("project:web,ops label:bug") == {web_bug.title, ops_bug.title}
    assert found("project:ops (label:bug OR label:chore)") == {ops_bug.title}
    assert found("project:web component:ui label:bug label:bug") == {web_bug.title}
    assert found("label:bug") == {web_bug.title, ops_bug.title}  # no project: every project's
    assert found("project:web OR label:bug") == {web_bug.title, web_plain.title, ops_bug.title}

    confined = _sql(cast.bob, "project:web label:bug component:ui")
    for m2m in ("labels", "components"):
        rows = confined.split(f'FROM "issues_issue_{m2m}"')[1].split('"issues_issue"."id"')[0]
        assert 'U2."key" IN (WEB)' in rows, confined
    assert "IN (WEB)" not in _sql(cast.bob, "project:web OR label:bug")
    by_parameter = filtered_issues(cast.bob, IssueFilter(projects=["web"], labels=["bug"]))
    assert set(by_parameter) == {web_bug}
    assert 'U2."key" IN (WEB)' in str(by_parameter.query)
