"""`cf.<name>:` terms and `sort:cf.<name>`: SQL and the in-memory evaluator (automation
rules) agree for every type and operator, unknown names are precise errors, and plans stay
bounded however many custom fields a query names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from docket.issues import custom_fields
from docket.issues.access import visible_issues
from docket.issues.query_fields import compile_issue_query, issue_matches
from docket.query import QueryError
from tests.factories import make_issue, make_project

VALUES = {
    1: {"customer": "ACME Corp", "points": 3, "deadline": "2026-12-15", "tier": "gold",
        "platforms": ["web", "ios"], "owner": "alice"},
    2: {"customer": "Initech", "points": 8, "deadline": "2027-03-01", "tier": "silver",
        "platforms": ["android"], "owner": "bob"},
    3: {"customer": "acme labs", "points": 1.5, "tier": "gold", "platforms": ["web"]},
    4: {},
}  # fmt: skip


@pytest.fixture
def filled(fielded):
    for number, values in VALUES.items():
        make_issue(fielded.alice, fielded.web, title=f"Issue {number}", custom_fields=values)
    return fielded


def in_sql(query: str, user) -> list[str]:
    q, order = compile_issue_query(query, user)
    found = visible_issues(user).filter(q).select_related("project").order_by(*order)
    return [i.key for i in found]


def in_memory(query: str, user) -> list[str]:
    issues = visible_issues(user).select_related("project")
    return sorted(i.key for i in issues if issue_matches(query, i, user))


CASES = [
    ('cf.customer:"ACME"', ["WEB-1", "WEB-3"]),  # text: a case-insensitive substring
    ("cf.customer:initech", ["WEB-2"]),
    ("-cf.customer:acme", ["WEB-2", "WEB-4"]),
    ("cf.customer:none", ["WEB-4"]),
    ("has:cf.customer", ["WEB-1", "WEB-2", "WEB-3"]),
    ("cf.points:3", ["WEB-1"]),
    ("cf.points:>=3", ["WEB-1", "WEB-2"]),
    ("cf.points:<3", ["WEB-3"]),
    ("cf.points:>1.5", ["WEB-1", "WEB-2"]),
    ("-cf.points:>2", ["WEB-3", "WEB-4"]),
    ("cf.deadline:<2027-01-01", ["WEB-1"]),
    ("cf.deadline:>=2027-01-01", ["WEB-2"]),
    ("cf.deadline:none", ["WEB-3", "WEB-4"]),
    ("cf.tier:gold", ["WEB-1", "WEB-3"]),
    ("cf.tier:GOLD,silver", ["WEB-1", "WEB-2", "WEB-3"]),
    ("-cf.tier:gold", ["WEB-2", "WEB-4"]),
    ("cf.platforms:web", ["WEB-1", "WEB-3"]),
    ("cf.platforms:web cf.platforms:ios", ["WEB-1"]),  # both options on one issue
    ("cf.platforms:ios OR cf.platforms:android", ["WEB-1", "WEB-2"]),
    ("-cf.platforms:web", ["WEB-2", "WEB-4"]),
    ("cf.platforms:none", ["WEB-4"]),
    ("cf.owner:alice", ["WEB-1"]),
    ("cf.owner:@me", ["WEB-1"]),
    ("cf.owner:none", ["WEB-3", "WEB-4"]),
    ("cf.tier:gold cf.points:>2", ["WEB-1"]),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_sql_and_memory_agree(filled, query, expected):
    assert sorted(in_sql(query, filled.alice)) == expected
    assert in_memory(query, filled.alice) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort:cf.points", ["WEB-3", "WEB-1", "WEB-2", "WEB-4"]),  # empty last
        ("sort:cf.points-desc", ["WEB-2", "WEB-1", "WEB-3", "WEB-4"]),
        ("sort:cf.customer", ["WEB-1", "WEB-2", "WEB-3", "WEB-4"]),  # ACME < Initech < acme
        ("sort:cf.deadline", ["WEB-1", "WEB-2", "WEB-3", "WEB-4"]),
        ("cf.tier:gold sort:-cf.points", ["WEB-1", "WEB-3"]),
    ],
)
def test_sorting(filled, query, expected):
    assert in_sql(query, filled.alice) == expected


def test_sorting_pages_through_the_api(filled):
    api = filled.api(filled.alice)
    first = api.get("/issues", q="sort:cf.points", limit=2).json()
    second = api.get("/issues", q="sort:cf.points", limit=2, cursor=first["next_cursor"]).json()
    keys = [i["key"] for i in first["items"] + second["items"]]
    assert keys == ["WEB-3", "WEB-1", "WEB-2", "WEB-4"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cf.nosuch:x", "unknown custom field 'cf.nosuch'"),
        ("sort:cf.nosuch", "unknown custom field 'cf.nosuch'"),
        ("cf.points:many", "'cf.points' is a number, not 'many'"),
        ("cf.tier:>gold", "'cf.tier' cannot be compared"),
        ("cf.deadline:soon", "soon"),
    ],
)
def test_precise_errors(filled, query, message):
    with pytest.raises(QueryError) as caught:
        compile_issue_query(query, filled.alice)
    assert message in str(caught.value.message)


def test_a_field_of_a_project_you_cannot_see_is_unknown(filled):
    ops = make_project(filled.alice, "OPS")
    custom_fields.define(actor=filled.alice, project=ops, values={"name": "secret", "type": "text"})
    assert compile_issue_query("cf.secret:x", filled.alice)
    with pytest.raises(QueryError, match="unknown custom field 'cf.secret'"):
        compile_issue_query("cf.secret:x", filled.bob)


def test_the_same_name_in_two_projects_is_one_field(filled):
    ops = make_project(filled.alice, "OPS")
    custom_fields.define(
        actor=filled.alice, project=ops, values={"name": "points", "type": "number"}
    )
    make_issue(filled.alice, ops, title="Ops", custom_fields={"points": 5})
    assert sorted(in_sql("cf.points:>=3", filled.alice)) == ["OPS-1", "WEB-1", "WEB-2"]
    assert in_memory("cf.points:>=3", filled.alice) == ["OPS-1", "WEB-1", "WEB-2"]


def test_plans_stay_bounded_with_many_custom_fields(filled):
    """Each field is one subquery whatever the number of its terms; compiling reads each
    field's definitions once per query."""

    def cost(query: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as compiling:
            q, order = compile_issue_query(query, filled.alice)
        sql = str(visible_issues(filled.alice).filter(q).order_by(*order).query)
        return len(compiling), sql.upper().count("SELECT")

    one = cost("cf.platforms:web")
    many = cost(" ".join(f"cf.platforms:{p}" for p in ("web", "ios", "android") * 10))
    assert many == one
    fields = cost("cf.customer:a cf.points:>1 cf.deadline:<2030-01-01 cf.tier:gold cf.owner:bob")
    assert fields[0] == 5 * one[0]  # the same few reads per field named, not per term
