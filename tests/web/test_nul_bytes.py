"""A NUL character in any query parameter or form field is a clear 400 before any view, on
every page (PostgreSQL cannot store or compare one: 25 pages answered 500), and changes
nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from docket.issues.models import Issue, IssueEvent
from tests.factories import make_issue

NUL = "a\x00b"
PAGES = [
    ("get", "/p/WEB/", {"q": NUL}),
    ("get", "/issues/", {"q": NUL}),
    ("get", "/search", {"q": NUL}),
    ("get", "/issues/suggest", {"q": NUL}),
    ("get", "/p/WEB/board", {"q": NUL}),
    ("get", "/WEB-1", {"version": NUL}),
    ("post", "/p/WEB/new", {"title": NUL}),
    ("post", "/issues/bulk", {"selected": "WEB-1", "priority": NUL}),
    ("post", "/issues/filters", {"name": NUL, "q": "is:open"}),
    ("post", "/WEB-1/comments", {"body": NUL}),
    ("post", "/settings/profile", {"form": "profile", "name": NUL}),
    ("get", "/api/v1/issues", {"q": NUL}),
    ("get", "/api/v1/issues", {NUL: "x"}),
]
ANONYMOUS = [
    ("post", "/login", {"username": NUL, "password": "x"}),
    ("post", "/password-reset", {"email": "a\x00@example.com"}),
    ("get", "/login", {"next": NUL}),
]


@pytest.fixture
def signed_in(cast):
    make_issue(cast.bob, cast.web, title="Existing")
    client = Client()
    client.force_login(cast.bob)
    return client


def _refused(response) -> str:
    assert response.status_code == 400, response.content[:300]
    detail = response.json()["detail"]
    assert "NUL character" in detail
    return detail


@pytest.mark.parametrize(("method", "path", "data"), PAGES, ids=lambda v: str(v)[:30])
def test_a_nul_is_refused_on_every_page_and_changes_nothing(signed_in, method, path, data):
    before = (Issue.objects.count(), IssueEvent.objects.count())
    _refused(getattr(signed_in, method)(path, data))
    assert (Issue.objects.count(), IssueEvent.objects.count()) == before


@pytest.mark.parametrize(("method", "path", "data"), ANONYMOUS, ids=lambda v: str(v)[:30])
def test_a_nul_is_refused_before_sign_in_too(db, method, path, data):
    _refused(getattr(Client(), method)(path, data))


def test_the_answer_names_the_field(signed_in):
    detail = _refused(signed_in.get("/p/WEB/", {"q": NUL}))
    assert detail == "the query parameter 'q' contains a NUL character"
    detail = _refused(signed_in.post("/p/WEB/new", {"title": NUL}))
    assert detail == "the form field 'title' contains a NUL character"
