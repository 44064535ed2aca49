"""core/outbound: the SSRF guard at connect time, Standard Webhooks signing against the spec's
own example, and each chat service's documented message shape (../shared/data/README.md §2)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from docket.core.outbound import chat, client, guard
from docket.core.outbound.signing import new_secret, signed_headers
from tests.conftest import Cast
from tests.factories import make_issue
from tests.integrations.hooks.conftest import deliver
from tests.integrations.hooks.receiver import Receiver

# --- SSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1",  # noqa: S104 - an address refused, not bound "::1", "fe80::1", "fd00:ec2::254", "fc00::1", "::",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::", "ff02::1",
    ],
)  # fmt: skip
def test_private_and_metadata_addresses_are_refused(address: str):
    assert not guard.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str):
    assert guard.is_public(ipaddress.ip_address(address))


def test_loopback_is_refused_at_connect_time_without_the_allow_list(
    target: Receiver, settings: Any
):
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = []
    answer = client.post(target.url + "/ok", b"{}", {}, timeout=2)
    assert answer.status is None and "refused" in answer.error and "127.0.0.1" in answer.error
    assert not target.received()


def test_a_name_resolving_to_a_private_address_is_refused(target: Receiver, settings: Any):
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = []
    port = target.url.rsplit(":", 1)[1]
    answer = client.post(f"http://localhost:{port}/ok", b"{}", {}, timeout=2)
    assert answer.status is None and "localhost resolves to" in answer.error
    assert not target.received()


def test_the_allow_list_lets_a_named_on_premise_server_through_keeping_its_host_name(
    target: Receiver, settings: Any
):
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = []
    settings.DOCKET_WEBHOOK_ALLOW_HOSTS = ["localhost"]
    port = target.url.rsplit(":", 1)[1]
    answer = client.post(f"http://localhost:{port}/ok", b"{}", {}, timeout=2)
    assert answer.ok, answer
    [hit] = target.received()
    assert hit.headers["Host"] == f"localhost:{port}"  # the name, though the IP was dialled


def test_the_connection_goes_to_the_address_that_was_checked(
    target: Receiver, settings: Any, monkeypatch: Any
):
    """DNS rebinding: the name first answers an allowed address (192.0.2.1, allowed here as if
    it were an on-premise network), then the receiver's 127.0.0.1, which is not allowed. A
    client that checked and then looked the name up again to connect would reach the
    receiver; the guard looks up once and dials what it checked."""
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = ["192.0.2.0/24"]
    port = int(target.url.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    answers = iter(["192.0.2.1", "127.0.0.1", "127.0.0.1"])
    asked: list[str] = []

    def rebinding(host: str, *args: Any, **kw: Any) -> Any:
        if host == "rebind.example":
            asked.append(host)
            return real(next(answers), *args, **kw)
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    answer = client.post(f"http://rebind.example:{port}/ok", b"{}", {}, timeout=1)
    assert answer.status is None  # 192.0.2.1 (TEST-NET-1) does not answer
    assert asked == ["rebind.example"] and not target.received()


def test_an_ip_literal_on_a_private_network_is_refused_when_the_hook_is_saved(
    cast: Cast, settings: Any
):
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = []
    alice = cast.api(cast.alice)
    for url in ("http://169.254.169.254/latest/meta-data", "http://[::1]:8080/", "http://10.0.0.5"):
        answer = alice.post("/projects/WEB/webhooks", {"name": "x", "url": url})
        assert answer.status_code == 422, url
        assert "not a public address" in answer.json()["detail"]


def test_a_hook_to_a_private_name_fails_its_deliveries_as_refused(
    cast: Cast, target: Receiver, settings: Any
):
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = []
    port = target.url.rsplit(":", 1)[1]
    alice = cast.api(cast.alice)
    hook = alice.post(
        "/projects/WEB/webhooks", {"name": "x", "url": f"http://localhost:{port}/ok"}
    ).json()
    make_issue(cast.bob, cast.web)
    deliver()
    [row] = alice.get(f"/projects/WEB/webhooks/{hook['id']}/deliveries").json()
    assert row["status"] == "failed" and "refused" in row["error"]
    assert not target.received()


# --- signing --------------------------------------------------------------------------------


def test_signing_matches_the_standard_webhooks_example():
    """The example in the Standard Webhooks specification (spec/standard-webhooks.md)."""
    moment = dt.datetime.fromtimestamp(1614265330, dt.UTC)
    headers = signed_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", moment,
        b'{"test": 2432232314}',
    )  # fmt: skip
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"


def test_a_new_secret_signs_what_the_verifier_accepts():
    secret = new_secret()
    assert secret.startswith("whsec_") and secret != new_secret()
    body = b'{"type":"issue.created"}'
    headers = signed_headers(secret, "msg_1", dt.datetime.now(dt.UTC), body)
    assert Verifier(secret).verify(body, headers) == {"type": "issue.created"}


# --- chat shapes ----------------------------------------------------------------------------

NOTE = chat.Note(
    title="WEB-7 <!channel> @channel [click](http://evil)",
    url="https://docket.example/WEB-7",
    summary="alice changed status: Open → Done",
    detail="see *this*",
    facts=[("Status", "Done"), ("Priority", "High")],
)


def test_slack_gets_text_and_blocks_with_its_control_characters_escaped():
    body = chat.slack(NOTE)
    assert set(body) == {"text", "blocks"} and body["text"]
    assert "<!channel>" not in str(body) and "&lt;!channel&gt;" in body["blocks"][0]["text"]["text"]
    assert body["blocks"][0]["type"] == "section"
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "<https://docket.example/WEB-7|" in body["blocks"][0]["text"]["text"]


def test_mattermost_gets_markdown_text_that_pings_nobody():
    body = chat.mattermost(NOTE)
    assert set(body) == {"text"}
    assert "@channel" not in body["text"] and "@\u200bchannel" in body["text"]
    assert "](https://docket.example/WEB-7)" in body["text"]
    assert "[click](http://evil)" not in body["text"]  # user text cannot make a link


def test_teams_gets_an_adaptive_card_in_a_message_envelope():
    body = chat.teams(NOTE)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"].startswith("1.")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert all(block["type"] in ("TextBlock", "FactSet") for block in card["body"])
    assert card["body"][0]["wrap"] is True
    assert card["actions"][0] == {
        "type": "Action.OpenUrl", "title": "Open in Docket", "url": NOTE.url
    }  # fmt: skip


def test_teams_legacy_gets_a_message_card_with_summary_and_text():
    body = chat.teams_messagecard(NOTE)
    assert body["@type"] == "MessageCard"
    assert body["@context"] == "https://schema.org/extensions"
    assert body["summary"] and body["text"]  # "Summary or Text is required"
    assert body["sections"][0]["facts"][0] == {"name": "Status", "value": "Done"}
    assert body["potentialAction"][0]["targets"][0]["uri"] == NOTE.url
    bare = chat.teams_messagecard(chat.Note(title="t", url="u", summary="s"))
    assert bare["text"] == "s" and bare["summary"]


def test_discord_gets_content_and_an_embed_and_no_mentions():
    body = chat.discord(NOTE)
    assert len(body["content"]) <= 2000 and body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed["url"] == NOTE.url and len(embed["title"]) <= 256
    assert {"name": "Status", "value": "Done", "inline": True} in embed["fields"]
    long = chat.discord(chat.Note(title="t" * 300, url="u", summary="s" * 3000))
    assert len(long["content"]) == 2000 and len(long["embeds"][0]["title"]) == 256


@pytest.mark.parametrize(
    "format_", ["slack", "mattermost", "teams", "teams_messagecard", "discord"]
)
def test_each_chat_format_reaches_its_receiver(cast: Cast, target: Receiver, format_: str):
    cast.api(cast.alice).post(
        "/projects/WEB/webhooks", {"name": format_, "url": target.url + "/ok", "format": format_}
    )
    issue = make_issue(cast.bob, cast.web, title="Printer on fire")
    deliver()
    [hit] = target.accepted()
    assert hit.headers["Content-Type"] == "application/json"
    assert "webhook-signature" not in hit.headers  # chat URLs are their own secret
    assert "Printer on fire" in hit.body.decode() and issue.key in hit.body.decode()
