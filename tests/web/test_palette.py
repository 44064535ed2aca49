"""The command palette's results (/palette): issues by key or title, saved filters, projects
and pages, gated by visibility; the current issue's choices only when it is visible."""

from __future__ import annotations

from django.test import Client

from docket.issues import saved_filters
from tests.factories import make_issue, make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _labels(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["label"] for item in response.json()["items"]]


def test_issues_by_key_or_title_filters_projects_and_pages(cast):
    issue = make_issue(cast.bob, cast.web, title="Login button misaligned")
    saved_filters.create_filter(actor=cast.bob, name="Login bugs", query="login")
    bob = _as(cast.bob)
    assert _labels(bob.get("/palette", {"q": "web-1"}))[0] == "WEB-1 Login button misaligned"
    found = _labels(bob.get("/palette", {"q": "login"}))
    assert found[:2] == ["WEB-1 Login button misaligned", "Login bugs"]
    assert "Inbox" in _labels(bob.get("/palette", {"q": "inb"}))
    assert any(label.endswith("(WEB)") for label in _labels(bob.get("/palette", {"q": "web"})))
    choices = bob.get("/palette", {"q": "", "issue": issue.key}).json()["issue"]
    assert "high" in choices["priority"] and "alice" in choices["assignee"]


def test_hidden_issues_and_projects_never_appear(cast):
    secret = make_project(cast.alice, "SEC")  # private: eve is no member
    make_issue(cast.alice, secret, title="Secret login plan")
    make_issue(cast.bob, cast.web, title="Confidential login leak", confidential=True)
    eve = _as(cast.eve)
    for text in ("login", "sec-1", "web-1", "sec"):
        assert _labels(eve.get("/palette", {"q": text})) == [], text
    assert "issue" not in eve.get("/palette", {"issue": "SEC-1"}).json()
    dave = _as(cast.dave)  # a viewer of WEB: no confidential issues
    assert [x for x in _labels(dave.get("/palette", {"q": "login"})) if "WEB-" in x] == []
    assert "issue" not in dave.get("/palette", {"issue": "WEB-1"}).json()
    assert Client().get("/palette", {"q": "login"}).status_code == 302  # sign in first
