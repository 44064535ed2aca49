"""Notifications to a chat channel (notifications/chat.py): a person routes what their inbox
gets to a Slack or Mattermost incoming webhook — a real receiver on 127.0.0.1 here, allowed
through DOCKET_WEBHOOK_ALLOW_NETWORKS as an on-premise Mattermost would be."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from docket.issues import actions as issue_actions
from docket.issues import comments
from docket.notifications import chat
from docket.notifications.models import ChatChannel
from docket.projects import actions as project_actions
from tests.conftest import Cast
from tests.factories import make_issue
from tests.integrations.hooks.receiver import Receiver, receiver
from tests.notifications.conftest import dispatch_all


@pytest.fixture
def target(settings: Any) -> Iterator[Receiver]:
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.DOCKET_WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver() as found:
        yield found


def _route(cast: Cast, url: str, format_: str = "mattermost") -> Any:
    return cast.api(cast.bob).put("/notifications/chat", {"format": format_, "url": url})


def _post_due() -> int:
    return chat.send_due(timezone.now())


def test_what_the_inbox_gets_is_posted_to_the_chat_channel_too(cast: Cast, target: Receiver):
    assert _route(cast, target.url + "/ok").status_code == 200
    issue = make_issue(cast.alice, cast.web, title="Checkout broken", assignee="bob")
    comments.add_comment(actor=cast.alice, issue=issue, body="Please look today")
    dispatch_all()
    assert _post_due() == 2
    texts = [h.json()["text"] for h in target.accepted()]
    assert len(texts) == 2 and all("Checkout broken" in t for t in texts)
    assert "Assigned to me" in texts[0] and "Please look today" in texts[1]
    assert _post_due() == 0  # each once
    shown = cast.api(cast.bob).get("/notifications/chat").json()
    assert shown["last_sent_at"] and shown["last_error"] == ""


def test_slack_gets_its_own_shape(cast: Cast, target: Receiver):
    _route(cast, target.url + "/ok", "slack")
    make_issue(cast.alice, cast.web, title="Slack me", assignee="bob")
    dispatch_all()
    _post_due()
    [hit] = target.accepted()
    assert set(hit.json()) == {"text", "blocks"} and "Slack me" in hit.json()["text"]


def test_a_confidential_issue_shows_only_its_key_in_chat(cast: Cast, target: Receiver):
    _route(cast, target.url + "/ok")
    issue = make_issue(
        cast.alice, cast.web, title="Payroll leak", assignee="bob", confidential=True
    )
    dispatch_all()
    _post_due()
    [hit] = target.accepted()
    assert issue.key in hit.json()["text"] and "Payroll" not in hit.body.decode()
    assert "confidential" in hit.json()["text"]


def test_an_issue_hidden_since_is_not_posted(cast: Cast, target: Receiver):
    _route(cast, target.url + "/ok")
    issue = make_issue(cast.alice, cast.web, title="Soon hidden", assignee="bob")
    dispatch_all()
    issue_actions.update_issue(actor=cast.alice, issue=issue, changes={"assignee": None})
    project_actions.remove_member(actor=cast.alice, project=cast.web, user="bob")
    dispatch_all()
    _post_due()
    assert not target.received()  # bob may no longer see it: nothing goes


def test_a_failing_channel_retries_later_then_delivers_in_order(cast: Cast, target: Receiver):
    _route(cast, target.url + "/fail")
    make_issue(cast.alice, cast.web, title="First", assignee="bob")
    dispatch_all()
    assert _post_due() == 0
    channel = ChatChannel.objects.get()
    assert channel.retry_at is not None and "HTTP 500" in channel.last_error
    assert _post_due() == 0 and len(target.received()) == 1  # waits for its retry
    _route(cast, target.url + "/ok")  # a new URL starts clean
    make_issue(cast.alice, cast.web, title="Second", assignee="bob")
    dispatch_all()
    _post_due()
    # The one that failed goes first, then the next: in order, each once.
    assert ["First" in h.body.decode() for h in target.accepted()] == [True, False]


def test_private_addresses_and_bad_urls_are_refused(cast: Cast, settings: Any):
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = []
    bob = cast.api(cast.bob)
    for url in ("http://127.0.0.1:8065/hooks/x", "ftp://chat.example.com/x"):
        answer = bob.put("/notifications/chat", {"format": "mattermost", "url": url})
        assert answer.status_code == 422, url
    assert (
        bob.put("/notifications/chat", {"format": "irc", "url": "https://x.example"}).status_code
        == 422
    )
    assert not ChatChannel.objects.exists()
    assert bob.get("/notifications/chat").status_code == 404


def test_the_preferences_page_sets_and_removes_the_channel(cast: Cast):
    client = Client()
    client.force_login(cast.bob)
    saved = client.post(
        "/settings/notifications",
        {"form": "chat", "format": "slack", "url": "https://hooks.slack.com/services/T/B/x",
         "enabled": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert ChatChannel.objects.get().format == "slack"
    page = client.get("/settings/notifications").content.decode()
    assert "hooks.slack.com/services/T/B/x" in page
    client.post("/settings/notifications", {"form": "chat", "remove": "1"})
    assert not ChatChannel.objects.exists()
    refused = client.post(
        "/settings/notifications", {"form": "chat", "format": "slack", "url": "nope"}
    )
    assert refused.status_code == 422 and not ChatChannel.objects.exists()
