"""The webhooks pages: a project's admins add a hook (its secret shown once), see its delivery
log and redeliver; everyone else is turned away."""

from __future__ import annotations

from django.test import Client

from docket.integrations.hooks.models import Delivery, Webhook
from tests.conftest import Cast
from tests.factories import make_issue
from tests.integrations.hooks.conftest import deliver
from tests.integrations.hooks.receiver import Receiver


def _as(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_adds_a_hook_sees_its_secret_once_and_its_deliveries(cast: Cast, target: Receiver):
    alice = _as(cast.alice)
    assert alice.get("/p/WEB/webhooks").status_code == 200
    added = alice.post(
        "/p/WEB/webhooks",
        {"name": "ci", "url": target.url + "/fail", "format": "standard", "kinds": ["created"]},
    )
    hook = Webhook.objects.get()
    assert added.status_code == 302 and added["Location"] == f"/p/WEB/webhooks/{hook.id}"
    first = alice.get(added["Location"]).content.decode()
    assert hook.secret in first and "not shown again" in first
    assert hook.secret not in alice.get(added["Location"]).content.decode()
    assert hook.kinds == ["created"] and not hook.public_channel

    issue = make_issue(cast.bob, cast.web)
    deliver()
    page = alice.get(f"/p/WEB/webhooks/{hook.id}").content.decode()
    delivery = Delivery.objects.get()
    assert issue.key in page and delivery.message_id in page and "boom" in page
    assert "Redeliver" in page and "3 / 3" in page

    again = alice.post(f"/p/WEB/webhooks/{hook.id}", {"redeliver": str(delivery.id)})
    assert again.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.max_attempts == 4


def test_bad_input_on_the_page_says_what_is_wrong_and_adds_nothing(cast: Cast):
    answer = _as(cast.alice).post("/p/WEB/webhooks", {"name": "x", "url": "ftp://x"})
    assert answer.status_code == 422 and "must start with https://" in answer.content.decode()
    assert not Webhook.objects.exists()


def test_a_disabled_hook_shows_why_on_its_page(cast: Cast):
    alice = _as(cast.alice)
    alice.post("/p/WEB/webhooks", {"name": "x", "url": "https://example.com/in"})
    Webhook.objects.update(enabled=False, disabled_reason="turned off: 10 deliveries failed")
    hook = Webhook.objects.get()
    assert "10 deliveries failed" in alice.get(f"/p/WEB/webhooks/{hook.id}").content.decode()
    assert "10 deliveries failed" in alice.get("/p/WEB/webhooks").content.decode()


def test_members_and_outsiders_are_turned_away(cast: Cast):
    assert _as(cast.bob).get("/p/WEB/webhooks").status_code == 403
    assert _as(cast.eve).get("/p/WEB/webhooks").status_code == 404
    assert Client().get("/p/WEB/webhooks").status_code == 302  # sign in first


def test_the_members_page_links_admins_to_the_webhooks(cast: Cast):
    assert "/p/WEB/webhooks" in _as(cast.alice).get("/p/WEB/members").content.decode()
    assert "/p/WEB/webhooks" not in _as(cast.bob).get("/p/WEB/members").content.decode()
