"""The webhooks API: project admins only, precise 422s that change nothing, audited changes."""

from __future__ import annotations

import pytest

from docket.audit.models import AuditEntry
from docket.integrations.hooks.models import Webhook
from tests.conftest import Cast

URL = "https://hooks.example.com/in"


def test_only_the_projects_admins_see_and_change_its_hooks(cast: Cast):
    assert cast.api(cast.bob).get("/projects/WEB/webhooks").status_code == 403
    assert cast.api(cast.eve).get("/projects/WEB/webhooks").status_code == 404
    made = cast.api(cast.bob).post("/projects/WEB/webhooks", {"name": "x", "url": URL})
    assert made.status_code == 403 and not Webhook.objects.exists()
    read_only = cast.api(cast.alice, scopes=["read", "write"])
    assert read_only.post("/projects/WEB/webhooks", {"name": "x", "url": URL}).status_code == 403
    assert cast.api(cast.root).get("/projects/WEB/webhooks").status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "ftp://example.com/x"}, "url", "must start with https://"),
        ({"url": "https://user:pw@example.com/"}, "url", "user name or password"),
        ({"url": "https:///nohost"}, "url", "has no host"),
        ({"kinds": ["exploded"]}, "kinds", "is not an event kind"),
        ({"query": "priority:"}, "query", ""),
        ({"format": "irc"}, "format", ""),
        ({"name": ""}, "name", ""),
        ({"secret": "mine"}, "secret", ""),
    ],
)
def test_bad_input_is_refused_precisely_and_changes_nothing(
    cast: Cast, body: dict, field: str, message: str
):
    answer = cast.api(cast.alice).post("/projects/WEB/webhooks", {"name": "x", "url": URL, **body})
    assert answer.status_code == 422, answer.content
    problem = answer.json()
    assert field in str(problem.get("errors") or problem["detail"])
    assert message in problem["detail"] or message in str(problem.get("errors"))
    assert not Webhook.objects.exists()


def test_changes_are_audited_without_the_secret_or_the_url_path(cast: Cast):
    alice = cast.api(cast.alice)
    hook = alice.post(
        "/projects/WEB/webhooks",
        {"name": "chat", "url": "https://chat.example.com/hooks/s3cr3tk3y", "format": "mattermost",
         "kinds": ["created", "commented"], "query": "priority:high"},
    ).json()  # fmt: skip
    assert hook["kinds"] == ["commented", "created"] and hook["public_channel"] is True
    patched = alice.patch(f"/projects/WEB/webhooks/{hook['id']}", {"public_channel": False})
    assert patched.status_code == 200 and patched.json()["public_channel"] is False
    rotated = alice.post(f"/projects/WEB/webhooks/{hook['id']}/secret").json()
    assert rotated["secret"] != hook["secret"]
    assert alice.delete(f"/projects/WEB/webhooks/{hook['id']}").status_code == 204
    entries = AuditEntry.objects.filter(project_key="WEB", action__startswith="webhook.")
    assert [e.action for e in entries.order_by("id")] == [
        "webhook.created", "webhook.changed", "webhook.secret_rotated", "webhook.deleted"
    ]  # fmt: skip
    logged = str([e.data for e in entries])
    assert "s3cr3tk3y" not in logged and hook["secret"] not in logged
    assert "https://chat.example.com" in logged


def test_a_missing_hook_or_delivery_is_404(cast: Cast):
    alice = cast.api(cast.alice)
    assert alice.get("/projects/WEB/webhooks/99").status_code == 404
    hook = alice.post("/projects/WEB/webhooks", {"name": "x", "url": URL}).json()
    base = f"/projects/WEB/webhooks/{hook['id']}"
    assert alice.post(base + "/deliveries/5/redeliver").status_code == 404
    assert alice.get(base + "/deliveries").json() == []
