"""@mentions, issue keys and task lists as people meet them: in the API's rendered HTML, on the
issue page, in watchers, in `mentions:` queries, and in what the author is told.

Cast (tests/conftest.py): WEB is private; alice admin, bob member, carol reporter, dave
viewer; eve belongs to nothing, so she cannot see WEB's issues."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from docket.issues import actions, comments, mentions
from docket.issues.models import Mention
from tests.factories import make_issue, make_project

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def issue(cast):
    return make_issue(cast.alice, cast.web, title="Login fails")


def _watchers(cast, key: str = "WEB-1") -> list[str]:
    return cast.api(cast.alice).get(f"/issues/{key}/watchers").json()["watchers"]


def _keys(cast, user, query: str) -> list[str]:
    response = cast.api(user).get("/issues", q=query)
    assert response.status_code == 200, response.content
    return sorted(i["key"] for i in response.json()["items"])


def _anchors(html: str) -> list[tuple[str, str]]:
    """(class, text) of each link in `html`."""
    return re.findall(r'<a [^>]*class="([a-z-]+)"[^>]*>([^<]*)</a>', html)


# --- rendering ---------------------------------------------------------------------------------


def test_a_mention_renders_as_a_link_to_the_person_and_an_unknown_name_as_text(cast, issue):
    body = "Thanks @bob and @nobody; mail bob@example.com or see `@bob`"
    response = cast.api(cast.alice).post("/issues/WEB-1/comments", {"body": body})

    html = response.json()["body_html"]
    assert _anchors(html) == [("mention", "@bob")]
    assert 'href="/issues/?q=assignee%3A%22bob%22"' in html
    assert "@nobody" in html and "bob@example.com" in html and "<code>@bob</code>" in html


def test_a_deactivated_user_is_not_a_mention(cast, issue):
    cast.eve.is_active = False
    cast.eve.save()
    response = cast.api(cast.alice).post("/issues/WEB-1/comments", {"body": "cc @eve"})
    assert _anchors(response.json()["body_html"]) == []
    assert response.json()["not_notified"] == []


def test_task_lists_render_as_checkboxes(cast, issue):
    response = cast.api(cast.alice).patch("/issues/WEB-1", {"description": "- [ ] a\n- [x] b"})
    html = response.json()["description_html"]
    assert html.count('<input type="checkbox" disabled=""') == 2
    assert html.count('checked=""') == 1


def test_issue_keys_link_only_issues_the_reader_can_see(cast, issue):
    make_issue(cast.root, make_project(cast.root, "OPS"), title="Secret rollout")  # root's only
    make_issue(cast.alice, cast.web, title="Public-facing bug", description="see WEB-1 OPS-1")
    theirs = make_issue(cast.eve, make_project(cast.eve, "EVE"), description="WEB-2 OPS-1 EVE-1")

    as_alice = cast.api(cast.alice).get("/issues/WEB-2").json()["description_html"]
    assert _anchors(as_alice) == [("issue-ref", "WEB-1")]
    assert 'title="Login fails"' in as_alice
    assert "Secret rollout" not in as_alice
    as_root = cast.api(cast.root).get("/issues/WEB-2").json()["description_html"]
    assert _anchors(as_root) == [("issue-ref", "WEB-1"), ("issue-ref", "OPS-1")]

    as_eve = cast.api(cast.eve).get(f"/issues/{theirs.key}").json()["description_html"]
    assert _anchors(as_eve) == [("issue-ref", "EVE-1")]  # WEB-2 and OPS-1 are hidden from her
    assert "Public-facing" not in as_eve and "Secret" not in as_eve


def test_the_issue_page_renders_references_for_its_reader(cast, issue):
    make_issue(cast.alice, cast.web, title="Crash", description="@bob see WEB-1\n\n- [x] done")
    comments.add_comment(actor=cast.alice, issue=issue, body="dup of WEB-2, @carol?")
    client = Client()
    client.force_login(cast.dave)

    page = client.get("/WEB-2").content.decode()
    assert ("mention", "@bob") in _anchors(page)
    assert '<a href="/WEB-1" class="issue-ref" title="Login fails">WEB-1</a>' in page
    assert 'type="checkbox" disabled="" checked=""' in page
    timeline = client.get("/WEB-1").content.decode()
    assert '<a href="/WEB-2" class="issue-ref" title="Crash">WEB-2</a>' in timeline
    assert ("mention", "@carol") in _anchors(timeline)


# --- records and watchers ------------------------------------------------------------------------


def test_a_mention_makes_someone_who_can_see_the_issue_watch_it(cast, issue):
    assert "dave" not in _watchers(cast)
    response = cast.api(cast.alice).post("/issues/WEB-1/comments", {"body": "@dave, look"})
    assert response.json()["not_notified"] == []
    assert "dave" in _watchers(cast)


def test_someone_who_cannot_see_the_issue_is_not_added_and_the_author_is_told(cast, issue):
    response = cast.api(cast.alice).post("/issues/WEB-1/comments", {"body": "@eve @bob look"})

    assert response.status_code == 201, response.content
    assert response.json()["not_notified"] == ["eve"]
    assert "eve" not in _watchers(cast) and "bob" in _watchers(cast)
    assert "eve" not in cast.api(cast.eve).get("/issues/WEB-1").content.decode()  # still 404


def test_a_description_mention_without_access_is_reported_on_create_and_edit(cast):
    created = cast.api(cast.alice).post(
        "/projects/WEB/issues", {"title": "T", "description": "for @eve and @dave"}
    )
    assert created.json()["not_notified"] == ["eve"]
    assert "dave" in _watchers(cast) and "eve" not in _watchers(cast)
    edited = cast.api(cast.alice).patch("/issues/WEB-1", {"description": "just @eve"})
    assert edited.json()["not_notified"] == ["eve"]
    assert (
        cast.api(cast.alice).patch("/issues/WEB-1", {"priority": "high"}).json()["not_notified"]
        == []
    )  # no text written, nothing to report


def test_the_page_says_who_was_not_notified_under_the_comment_form(cast, issue):
    client = Client()
    client.force_login(cast.alice)
    response = client.post("/WEB-1/comments", {"body": "ping @eve and @bob"}, **HX)

    assert response.status_code == 200
    notes = re.findall(r'<p class="note small"[^>]*>([^<]*)</p>', response.content.decode())
    assert notes == ["@eve can't see this issue and was not notified."]
    plain = client.post("/WEB-1/comments", {"body": "again @eve"}, follow=True)  # no htmx
    flashes = re.findall(r'<p class="flash warning">([^<]*)</p>', plain.content.decode())
    assert flashes == ["@eve can&#39;t see this issue and was not notified."]


def test_mention_rows_follow_the_text(cast, issue):
    note = comments.add_comment(actor=cast.alice, issue=issue, body="@bob @carol")
    comments.edit_comment(actor=cast.alice, issue=issue, comment_id=note.pk, body="@carol @dave")
    rows = Mention.objects.filter(comment=note).values_list("user__username", flat=True)
    assert sorted(rows) == ["carol", "dave"]
    comments.delete_comment(actor=cast.alice, issue=issue, comment_id=note.pk)
    assert not Mention.objects.filter(comment=note).exists()


def test_a_transition_comment_records_its_mentions(cast, issue):
    actions.transition(actor=cast.alice, issue=issue, to="open", comment="over to @dave")
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["dave"]
    assert "dave" in _watchers(cast)


def test_who_was_mentioned_and_who_is_new(cast):
    assert [u.username for u in mentions.mentioned_users("@carol, @bob, @carol `@dave`")] == [
        "carol",
        "bob",
    ]
    new = mentions.newly_mentioned("hi @bob", "hi @bob and @dave and @ghost")
    assert [u.username for u in new] == ["dave"]
    assert [u.username for u in mentions.newly_mentioned(None, "@bob")] == ["bob"]


# --- the query language --------------------------------------------------------------------------


def test_mentions_finds_issues_by_description_and_by_comment(cast, issue):
    make_issue(cast.alice, cast.web, title="Second", description="@bob please")
    comments.add_comment(actor=cast.alice, issue=issue, body="@bob and @dave")
    make_issue(cast.alice, cast.web, title="Third", description="nobody here")

    assert _keys(cast, cast.bob, "mentions:@me") == ["WEB-1", "WEB-2"]
    assert _keys(cast, cast.alice, "mentions:bob") == ["WEB-1", "WEB-2"]
    assert _keys(cast, cast.alice, "mention:dave") == ["WEB-1"]
    assert _keys(cast, cast.alice, "mentions:bob mentions:dave") == ["WEB-1"]
    assert _keys(cast, cast.alice, "-mentions:bob") == ["WEB-3"]
    assert _keys(cast, cast.alice, "has:mentions") == ["WEB-1", "WEB-2"]


def test_mentions_stops_matching_when_the_text_no_longer_mentions(cast, issue):
    note = comments.add_comment(actor=cast.alice, issue=issue, body="@dave")
    assert _keys(cast, cast.alice, "mentions:dave") == ["WEB-1"]
    comments.delete_comment(actor=cast.alice, issue=issue, comment_id=note.pk)
    assert _keys(cast, cast.alice, "mentions:dave") == []


def test_mentions_never_finds_an_issue_the_reader_cannot_see(cast, issue):
    comments.add_comment(actor=cast.alice, issue=issue, body="@eve see this")
    assert _keys(cast, cast.alice, "mentions:eve") == ["WEB-1"]
    assert _keys(cast, cast.eve, "mentions:@me") == []  # mentioned, but WEB is not hers
