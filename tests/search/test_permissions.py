"""Search starts from the permission gate: what a user may not see is never found, counted
or let slip through the ranking windows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from docket.issues import actions
from docket.issues import comments as issue_comments
from docket.query.search import ranking, walk
from tests.factories import make_issue, make_project
from tests.search.conftest import count, found, matching


@pytest.fixture
def secret(cast):
    """WEB is private: alice admin, bob member, carol reporter, dave viewer; eve outsider."""
    public = make_project(cast.alice, "PUB", visibility="public")
    make_issue(cast.alice, public, title="Public walrus")
    make_issue(cast.alice, cast.web, title="Team walrus")
    return make_issue(
        cast.alice, cast.web, title="Zyzzyva walrus", description="leak", confidential=True
    )


def outsiders(cast):
    return [cast.dave, cast.carol, cast.eve, AnonymousUser()]


def test_a_confidential_issue_is_never_found_by_outsiders(cast, secret):
    for user in outsiders(cast):
        assert found(user, "zyzzyva") == []
        assert matching(user, "zyzzyva") == set()
        assert count(user, "zyzzyva") == 0
        assert secret.key not in found(user, "walrus")
    for insider in (cast.alice, cast.bob, cast.root):
        assert found(insider, "zyzzyva") == [secret.key]


def test_counts_are_the_same_as_without_the_confidential_issue(cast, secret):
    users = outsiders(cast)
    before = [(count(u, "walrus"), found(u, "walrus")) for u in users]
    make_issue(cast.alice, cast.web, title="Another walrus", description="x", confidential=True)
    issue_comments.add_comment(actor=cast.alice, issue=secret, body="walrus walrus")
    assert [(count(u, "walrus"), found(u, "walrus")) for u in users] == before
    assert [c for c, _ in before] == [2, 2, 1, 1]  # dave, carol: WEB and PUB; eve, anon: PUB


def test_the_reporter_and_assignee_see_their_own_confidential_issue(cast):
    mine = make_issue(cast.carol, cast.web, title="Carol's zyzzyva", confidential=True)
    assert found(cast.carol, "zyzzyva") == [mine.key]
    assert found(cast.dave, "zyzzyva") == []


def test_private_projects_are_invisible_to_outsiders(cast, secret):
    assert found(cast.eve, "walrus") == ["PUB-1"]
    assert found(AnonymousUser(), "team") == []
    assert found(cast.dave, "walrus") == ["WEB-1", "PUB-1"]  # title hits, newest first


def test_deleted_issues_are_not_found_even_by_admins(cast, secret):
    actions.delete_issue(actor=cast.alice, issue=secret)
    assert found(cast.root, "zyzzyva") == []


def test_hidden_newer_matches_do_not_push_visible_ones_out_of_the_window(cast, monkeypatch):
    """The gate applies before the newest-first window, so a window full of confidential
    matches still yields the older visible ones (through the walk's filter-first step)."""
    visible = [make_issue(cast.alice, cast.web, title="N", description="walrus") for _ in range(2)]
    for _ in range(6):
        make_issue(cast.alice, cast.web, title="N", description="walrus", confidential=True)
    monkeypatch.setattr(ranking, "WINDOW", 2)
    monkeypatch.setattr(walk, "SCAN", 1)
    assert found(cast.dave, "walrus") == [i.key for i in reversed(visible)]
    assert len(found(cast.bob, "walrus")) == 2
