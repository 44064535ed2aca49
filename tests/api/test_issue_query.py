"""`GET /issues?q=`: the query language as the list filter."""

from __future__ import annotations

import pytest

from tests.factories import make_issue


@pytest.fixture
def board(cast):
    make_issue(
        cast.alice, cast.web, title="Login crash", priority="high", labels=["bug"], assignee="bob"
    )
    make_issue(cast.alice, cast.web, title="Slow search", priority="low", labels=["perf"])
    make_issue(
        cast.alice,
        cast.web,
        title="Secret finding",
        priority="highest",
        confidential=True,
        labels=["bug"],
    )
    make_issue(
        cast.bob, cast.web, title="Typo on pricing page", priority="medium", assignee="alice"
    )
    return cast


def keys(response):
    assert response.status_code == 200, response.content
    return [item["key"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("priority:>=high", ["WEB-3", "WEB-1"]),
        ("label:bug -confidential:true", ["WEB-1"]),
        ("assignee:@me", ["WEB-1"]),
        ("assignee:none sort:priority-desc", ["WEB-3", "WEB-2"]),
        ("is:open priority:low OR priority:medium sort:priority", ["WEB-2", "WEB-4"]),
        ("(label:perf OR label:bug) sort:key", ["WEB-1", "WEB-2", "WEB-3"]),
        ("crash", ["WEB-1"]),
        ('"pricing page"', ["WEB-4"]),
    ],
)
def test_a_member_filters_with_the_query_language(board, query, expected):
    assert keys(board.api(board.bob).get("/issues", q=query)) == expected


def test_confidential_issues_stay_invisible_to_viewers_whatever_the_query(board):
    dave = board.api(board.dave)
    assert keys(dave.get("/issues", q="confidential:true")) == []
    assert keys(dave.get("/issues", q="Secret")) == []
    assert keys(dave.get("/issues", q="priority:highest")) == []


def test_a_misspelt_field_gets_a_400_with_position_and_suggestion(board):
    response = board.api(board.bob).get("/issues", q="is:open stauts:open")
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid query"
    assert body["position"] == 8 and body["suggestion"] == "status"
    assert "did you mean 'status'" in body["detail"]


@pytest.mark.parametrize(
    "query", ["(priority:high", "priority:hihg", "due:<31/12/2026", "x' OR 1=1 --"]
)
def test_malformed_queries_are_400_never_500(board, query):
    response = board.api(board.bob).get("/issues", q=query)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response["Content-Type"] == "application/problem+json"


def test_query_sort_pages_with_a_cursor(board):
    bob = board.api(board.bob)
    first = bob.get("/issues", q="sort:priority-desc", limit=2).json()
    second = bob.get("/issues", q="sort:priority-desc", limit=2, cursor=first["next_cursor"]).json()
    walked = [i["key"] for i in first["items"] + second["items"]]
    assert walked == ["WEB-3", "WEB-1", "WEB-4", "WEB-2"] and second["next_cursor"] is None


def test_a_sort_parameter_overrides_the_query_sort(board):
    bob = board.api(board.bob)
    assert keys(bob.get("/issues", q="label:bug sort:priority", sort="key-desc")) == [
        "WEB-3",
        "WEB-1",
    ]


def test_a_private_projects_custom_state_names_do_not_leak_through_query_errors(cast):
    cast.api(cast.alice).post(
        "/projects/WEB/workflow/states", {"name": "Legal hold", "category": "in_progress"}
    )
    member = cast.api(cast.bob).get("/issues", q='status:"legal hld"')
    assert member.json()["suggestion"] == "legal hold"
    assert cast.api(cast.bob).get("/issues", q='status:"legal hold"').status_code == 200
    for outsider in (cast.api(cast.eve), cast.api(None)):
        typo = outsider.get("/issues", q='status:"legal hld"').json()
        assert typo["suggestion"] != "legal hold" and "legal hold" not in typo["expected"]
        exact = outsider.get("/issues", q='status:"legal hold"')
        nonsense = outsider.get("/issues", q='status:"zebra crossing"')
        assert exact.status_code == nonsense.status_code == 400
        assert exact.json()["expected"] == nonsense.json()["expected"]


def test_the_status_parameter_does_not_leak_private_state_names_either(cast):
    cast.api(cast.alice).post(
        "/projects/WEB/workflow/states", {"name": "Legal hold", "category": "in_progress"}
    )
    assert cast.api(cast.bob).get("/issues", status="legal hold").status_code == 200
    refused = cast.api(cast.eve).get("/issues", status="legal hold")
    assert refused.status_code == 400
    assert "legal hold" not in refused.json()["detail"].split("use one of")[1]
    assert "legal hold" not in cast.api(cast.eve).get("/issues", status="x").json()["detail"]
