"""Preferences (kind x channel) and mutes, over the API, honoured by the consumer and the mail."""

from __future__ import annotations

from docket.issues import actions, comments
from tests.factories import make_issue, make_project
from tests.notifications.conftest import dispatch_all, inbox_of, mail_due


def test_defaults_then_changes_over_the_api(cast, clock):
    api = cast.api(cast.carol)
    body = api.get("/notifications/preferences").json()
    assert body["kinds"]["commented"] == {"inbox": True, "email": True}
    assert body["kinds"]["changed"] == {"inbox": True, "email": False}
    assert body["mutes"] == {"projects": [], "issues": []}
    assert body["page"] == "/settings/notifications"
    changed = api.put(
        "/notifications/preferences", {"kinds": {"commented": {"email": False}}}
    ).json()
    assert changed["kinds"]["commented"] == {"inbox": True, "email": False}
    assert changed["kinds"]["status"] == {"inbox": True, "email": True}  # untouched
    refused = api.put("/notifications/preferences", {"kinds": {"gossip": {"email": True}}})
    assert refused.status_code == 422
    assert (
        cast.api(cast.bob).get("/notifications/preferences").json()["kinds"]["commented"]["email"]
    )  # one person's choice is theirs alone


def test_channels_follow_the_preferences(cast, clock, smtp_server):
    issue = make_issue(cast.carol, cast.web, title="Prefs")
    cast.api(cast.carol).put(
        "/notifications/preferences",
        {"kinds": {"commented": {"email": False}, "status": {"inbox": False}}},
    )
    comments.add_comment(actor=cast.bob, issue=issue, body="A comment")
    actions.update_issue(actor=cast.bob, issue=issue, changes={"status": "open"})
    dispatch_all()
    assert inbox_of(cast.carol) == [(issue.key, "commented")]  # status: mail only
    mail_due(clock)
    [mail] = smtp_server.delivered()
    body = mail.get_body(("plain",)).get_content()
    assert "changed Status" in body and "A comment" not in body


def test_muting_a_project_or_an_issue_silences_it_but_not_being_assigned_or_mentioned(
    cast, clock, smtp_server
):
    issue = make_issue(cast.bob, cast.web, title="Muted")
    other = make_issue(cast.bob, cast.web, title="Loud")
    api = cast.api(cast.bob)
    assert api.post("/notifications/mutes", {"project": "WEB"}).status_code == 201
    assert api.post("/notifications/mutes", {"issue": other.key}).json()["muted"] is True
    prefs = api.get("/notifications/preferences").json()
    assert prefs["mutes"] == {"projects": ["WEB"], "issues": [other.key]}
    comments.add_comment(actor=cast.alice, issue=issue, body="Quiet please")
    comments.add_comment(actor=cast.alice, issue=issue, body="But @bob, look")
    actions.assign(actor=cast.alice, issue=other, assignee="bob")
    dispatch_all()
    assert inbox_of(cast.bob) == [(issue.key, "mentioned"), (other.key, "assigned")]

    assert api.delete("/notifications/mutes", project="WEB").status_code == 204
    comments.add_comment(actor=cast.alice, issue=issue, body="Heard again")
    comments.add_comment(actor=cast.alice, issue=other, body="Still muted")
    dispatch_all()
    assert inbox_of(cast.bob)[-1] == (issue.key, "commented")
    mail_due(clock)
    texts = [m.get_body(("plain",)).get_content() for m in smtp_server.delivered()]
    assert not any("Quiet please" in t or "Still muted" in t for t in texts), texts


def test_only_what_you_can_see_can_be_muted(cast, clock):
    hidden = make_project(cast.root, "HID")
    secret = make_issue(cast.root, hidden, title="Hidden")
    api = cast.api(cast.eve)
    assert api.post("/notifications/mutes", {"project": "HID"}).status_code == 404
    assert api.post("/notifications/mutes", {"issue": secret.key}).status_code == 404
    assert api.post("/notifications/mutes", {}).status_code == 422
