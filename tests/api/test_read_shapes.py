"""The hot reads (one issue, a list, search) hand Ninja their response model built without
validation (issues/api.py, search_api.py): their bodies must be byte for byte what Ninja's
validation of the same data gives, for issues with every field set and with none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import signing
from ninja.responses import NinjaJSONEncoder

from docket.accounts.actor import Actor
from docket.issues import custom_fields
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.issues.queries import IssueFilter, issue_detail_out, issues_by_id, list_issues
from docket.issues.schemas import IssueDetail, IssuePage
from docket.issues.search_api import SearchResults
from docket.projects import actions as project_actions

DEFINITIONS = [
    {"name": "customer", "type": "text", "label": "Customer"},
    {"name": "points", "type": "number", "label": "Story points"},
    {"name": "deadline", "type": "date", "label": "Contract deadline"},
    {"name": "platforms", "type": "multi_select", "options": ["web", "ios", "android"]},
    {"name": "owner", "type": "user", "label": "Business owner"},
]


def _validated(model: Any, data: Any) -> bytes:
    """What Ninja sends for `data` under `model` when it validates it."""
    return json.dumps(model.model_validate(data).model_dump(), cls=NinjaJSONEncoder).encode()


@pytest.fixture
def issues(cast):
    for values in DEFINITIONS:
        custom_fields.define(actor=cast.alice, project=cast.web, values=values)
    project_actions.add_component(actor=cast.alice, project=cast.web, name="Backend")
    project_actions.add_milestone(actor=cast.alice, project=cast.web, name="1.0")
    api = cast.api(cast.alice)
    bare = api.post("/projects/WEB/issues", {"title": "Login fails"})
    assert bare.status_code == 201, bare.content
    full = api.post(
        "/projects/WEB/issues",
        {
            "title": 'Crash on save — «ünïcode» "quoted"',
            "description": "See WEB-1 and @bob:\n\n- **bold** `code`\n\n<script>x</script>",
            "type": "bug",
            "priority": "high",
            "severity": "critical",
            "labels": ["ui", "regression"],
            "components": ["Backend"],
            "milestone": "1.0",
            "assignee": "bob",
            "due_date": "2030-01-31",
            "estimate": 90,
            "parent": "WEB-1",
            "confidential": True,
            "custom_fields": {
                "customer": "Initech",
                "points": 2.5,
                "deadline": "2030-02-01",
                "platforms": ["web", "ios"],
                "owner": "alice",
            },
        },
    )
    assert full.status_code == 201, full.content
    closed = api.post(
        "/issues/WEB-1/transitions", {"to": "resolved", "resolution": "fixed"}
    )  # resolved_at and a resolution set
    assert closed.status_code in (200, 201), closed.content
    return cast


@pytest.mark.parametrize("key", ["WEB-1", "WEB-2"])
def test_one_issue_is_sent_as_validation_would_send_it(issues, key):
    response = issues.api(issues.bob).get(f"/issues/{key}")

    assert response.status_code == 200, response.content
    actor = Actor(issues.bob)
    expected = _validated(IssueDetail, issue_detail_out(get_issue_for(actor, key), actor))
    assert response.content == expected


def test_a_list_is_sent_as_validation_would_send_it(issues, monkeypatch):
    # A cursor is signed with the second it was made: hold the signer's clock still so the
    # server's cursor and the one made here match even when a second ticks over between them.
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: "1xafrK")
    response = issues.api(issues.bob).get("/issues", project="WEB", state="all", limit=1)

    assert response.status_code == 200, response.content
    actor = Actor(issues.bob)
    rows, cursor = list_issues(actor, IssueFilter(projects=["WEB"]), limit=1)
    custom_fields.add_to_rows(actor, rows)
    assert cursor  # a second page: next_cursor is set
    assert response.content == _validated(IssuePage, {"items": rows, "next_cursor": cursor})
    whole = issues.api(issues.bob).get("/issues", project="WEB", state="all")
    rows, cursor = list_issues(Actor(issues.bob), IssueFilter(projects=["WEB"]))
    custom_fields.add_to_rows(actor, rows)
    assert whole.content == _validated(IssuePage, {"items": rows, "next_cursor": cursor})
    assert len(whole.json()["items"]) == 2


def test_search_results_are_sent_as_validation_would_send_them(issues):
    response = issues.api(issues.bob).get("/search", q="crash")

    assert response.status_code == 200, response.content
    hit = response.json()["items"][0]
    assert hit["issue"]["key"] == "WEB-2" and len(response.json()["items"]) == 1
    found = Issue.objects.get(project=issues.web, number=2)
    issue = issues_by_id(Actor(issues.bob), [found.id])[found.id]
    data = {"items": [{"rank": hit["rank"], "snippet": hit["snippet"], "issue": issue}]}
    assert response.content == _validated(SearchResults, data)
