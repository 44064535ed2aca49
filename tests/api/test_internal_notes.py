"""Internal notes: comments the project's staff (members, admins, site admins) write for one
another. Every read path leaves them out for reporters, viewers, external contacts and the
public: the comments API, one comment's URLs, the history API, the issue page, full-text
search and the query language, exports, webhook payloads and the live stream."""

from __future__ import annotations

import json

import pytest
from django.http import StreamingHttpResponse
from django.test import Client

from docket.accounts.actions import contact_for
from docket.accounts.actor import Actor
from docket.integrations.hooks.payloads import chat_note, event_payload
from docket.issues import comments
from docket.issues.models import IssueEvent
from docket.issues.queries import comments_page, history_page
from docket.live import changes as live_changes
from docket.live.changes import changes_after, visible_ids
from docket.mailin.receive import sender_actor
from docket.projects import actions as project_actions
from tests.factories import make_issue

SECRET = "zebrasecret"  # a word only the internal note holds
PUBLIC = "giraffepublic"


@pytest.fixture
def note(cast):
    """WEB-1, reported by carol (WEB: alice admin, bob member, carol reporter, dave viewer):
    bob's public answer, then bob's internal note."""
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")
    answer = cast.api(cast.bob).post(
        f"/issues/{issue.key}/comments", {"body": f"We are on it, {PUBLIC}"}
    )
    assert answer.status_code == 201, answer.content
    written = cast.api(cast.bob).post(
        f"/issues/{issue.key}/comments",
        {"body": f"Customer is on the old plan, {SECRET}. @alice @carol", "internal": True},
    )
    assert written.status_code == 201, written.content
    return {"issue": issue, "id": written.json()["id"], "written": written.json()}


STAFF = ("root", "alice", "bob")
NOT_STAFF = ("carol", "dave")


def _people(cast, names):
    return [getattr(cast, name) for name in names]


def test_staff_write_internal_notes_and_the_answer_says_so(cast, note):
    written = note["written"]
    assert written["internal"] is True
    assert written["not_notified"] == ["carol"]  # named, but not staff: not told


def test_reporters_and_viewers_may_not_write_internal_notes(cast, note):
    key = note["issue"].key
    refused = cast.api(cast.carol).post(f"/issues/{key}/comments", {"body": "x", "internal": True})
    assert refused.status_code == 403
    assert "members and admins" in refused.json()["detail"]
    assert (
        cast.api(cast.dave)
        .post(f"/issues/{key}/comments", {"body": "x", "internal": True})
        .status_code
        == 403
    )
    bodies = [
        c["body"] for c in cast.api(cast.alice).get(f"/issues/{key}/comments").json()["items"]
    ]
    assert "x" not in bodies  # nothing written


def test_the_comments_api_shows_notes_to_staff_only(cast, note):
    key = note["issue"].key
    for user in _people(cast, STAFF):
        items = cast.api(user).get(f"/issues/{key}/comments").json()["items"]
        assert [c["internal"] for c in items] == [False, True]
        assert SECRET in items[1]["body"]
    for user in _people(cast, NOT_STAFF):
        response = cast.api(user).get(f"/issues/{key}/comments")
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
        assert [c["internal"] for c in response.json()["items"]] == [False]


def test_one_notes_urls_are_404_to_others(cast, note):
    key, note_id = note["issue"].key, note["id"]
    carol = cast.api(cast.carol)
    assert carol.patch(f"/issues/{key}/comments/{note_id}", {"body": "mine now"}).status_code == 404
    assert carol.delete(f"/issues/{key}/comments/{note_id}").status_code == 404
    client = Client()
    client.force_login(cast.carol)
    for url in (f"/{key}/comments/{note_id}", f"/{key}/comments/{note_id}?edit=1"):
        response = client.get(url)
        assert response.status_code == 404 and SECRET not in response.content.decode()
    client.force_login(cast.bob)
    assert SECRET in client.get(f"/{key}/comments/{note_id}").content.decode()


def test_the_history_api_leaves_the_notes_events_out(cast, note):
    key, note_id = note["issue"].key, note["id"]
    for user in _people(cast, NOT_STAFF):
        response = cast.api(user).get(f"/issues/{key}/history")
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
        assert note_id not in [e["comment_id"] for e in response.json()["items"]]
    items = cast.api(cast.bob).get(f"/issues/{key}/history").json()["items"]
    [event] = [e for e in items if e["comment_id"] == note_id]
    assert event["internal"] is True and SECRET in event["new"]


def test_edits_and_deletion_of_a_note_stay_hidden_too(cast, note):
    key, note_id = note["issue"].key, note["id"]
    bob, alice = cast.api(cast.bob), cast.api(cast.alice)
    assert (
        bob.patch(f"/issues/{key}/comments/{note_id}", {"body": f"{SECRET} v2"}).status_code == 200
    )
    assert alice.delete(f"/issues/{key}/comments/{note_id}").status_code == 204
    text = cast.api(cast.carol).get(f"/issues/{key}/history").content.decode()
    assert SECRET not in text and "comment_edited" not in text and "comment_deleted" not in text


def test_the_issue_page_shows_notes_to_staff_with_a_badge(cast, note):
    key = note["issue"].key
    client = Client()
    for user in _people(cast, NOT_STAFF):
        client.force_login(user)
        page = client.get(f"/{key}").content.decode()
        assert PUBLIC in page and SECRET not in page
        assert "internal-badge" not in page and 'name="internal"' not in page
    for user in _people(cast, STAFF):
        client.force_login(user)
        page = client.get(f"/{key}").content.decode()
        assert SECRET in page and "internal-badge" in page and 'name="internal"' in page


def test_the_page_form_writes_a_note_for_staff_and_refuses_others(cast, note):
    key = note["issue"].key
    client = Client()
    client.force_login(cast.carol)
    refused = client.post(f"/{key}/comments", {"body": "sneaky", "internal": "1"})
    assert refused.status_code == 403
    client.force_login(cast.alice)
    client.post(f"/{key}/comments", {"body": "quokkanote", "internal": "1"})
    items = cast.api(cast.alice).get(f"/issues/{key}/comments").json()["items"]
    assert [(c["body"], c["internal"]) for c in items][-1] == ("quokkanote", True)
    assert "sneaky" not in [c["body"] for c in items]


def test_a_public_projects_visitors_never_see_a_note(cast, note, anon):
    project_actions.update_project(
        actor=cast.alice, project=cast.web, changes={"visibility": "public"}
    )
    key = note["issue"].key
    for path in (f"/issues/{key}/comments", f"/issues/{key}/history"):
        response = anon.get(path)
        assert response.status_code == 200 and SECRET not in response.content.decode()
    client = Client()
    client.force_login(cast.eve)  # signed in, in no project: a public reader (pages need a sign-in)
    page = client.get(f"/{key}")
    assert page.status_code == 200 and SECRET not in page.content.decode()
    assert anon.get("/search", q=SECRET).json()["items"] == []


def test_a_contact_reporter_is_never_shown_a_note(cast, note):
    contact = contact_for("pat@customer.example", "Pat")
    issue = make_issue(sender_actor(contact, cast.web), cast.web, title="By mail")
    assert issue.reporter_id == contact.pk
    comments.add_comment(actor=cast.bob, issue=issue, body=f"note {SECRET}", internal=True)
    comments.add_comment(actor=cast.bob, issue=issue, body=PUBLIC)
    reader = Actor(contact)
    shown, _ = comments_page(reader, issue)
    assert [c.body for c in shown] == [PUBLIC]
    events, _ = history_page(reader, issue)
    assert SECRET not in json.dumps(events, default=str)


def test_search_never_finds_an_issue_by_a_notes_words(cast, note):
    key = note["issue"].key
    for user in _people(cast, NOT_STAFF + STAFF):
        api = cast.api(user)
        assert api.get("/search", q=SECRET).json()["items"] == []
        for query in (SECRET, f"text:{SECRET}", f"comment:{SECRET}"):
            response = api.get("/issues", q=query)
            assert response.status_code == 200, response.content
            assert response.json()["items"] == [], query
        found = [h["issue"]["key"] for h in api.get("/search", q=PUBLIC).json()["items"]]
        assert found == [key]  # public comments are searched as before


def test_mentions_in_a_note_name_no_one_outside_staff(cast, note):
    key = note["issue"].key
    assert cast.api(cast.bob).get("/issues", q="mentions:carol").json()["items"] == []
    watchers = cast.api(cast.alice).get(f"/issues/{key}/watchers").json()["watchers"]
    assert "alice" in watchers  # staff named in a note start watching


def _export(api, key_project: str) -> str:
    response = api.get(f"/projects/{key_project}/export", format="json")
    assert isinstance(response, StreamingHttpResponse), response.content
    return b"".join(response.streaming_content).decode()


def test_exports_never_carry_a_note(cast, note):
    for user in (cast.alice, cast.bob, cast.carol):
        text = _export(cast.api(user), "WEB")
        assert PUBLIC in text and SECRET not in text


def test_webhook_payloads_never_carry_a_notes_words(cast, note):
    events = IssueEvent.objects.filter(comment_id=note["id"]).select_related(
        "issue__project", "issue__status", "issue__assignee", "actor", "comment"
    )
    [event] = events
    payload = event_payload(event, event.issue)
    text = json.dumps(payload)
    assert SECRET not in text
    assert payload["data"]["comment"] == {"id": note["id"], "internal": True}
    assert SECRET not in json.dumps(chat_note(payload), default=str)


def test_the_live_stream_tells_staff_alone_of_a_note(cast, note, monkeypatch):
    # The gate as the hub asks it (tests/web/test_live_internal.py runs a real server); the
    # test's transaction is the connection, so it must not be closed as stale.
    monkeypatch.setattr(live_changes, "close_old_connections", lambda: None)
    changes = changes_after(0)
    [noted] = [c for c in changes if c.internal]
    public = {c.id for c in changes if not c.internal}
    for user in _people(cast, NOT_STAFF):
        seen = visible_ids(user.pk, changes)
        assert noted.id not in seen and public <= seen
    assert noted.id in visible_ids(cast.bob.pk, changes)
    assert noted.id not in visible_ids(None, changes)
