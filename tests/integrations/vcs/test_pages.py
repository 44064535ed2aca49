"""The repositories pages (project admins): connect one (its secret shown once), its delivery
log after a real delivery, a new secret, Disconnect; others are refused."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from docket.audit.models import AuditEntry
from docket.integrations.vcs.models import Repository
from tests.integrations.vcs.conftest import as_meta, payload_bytes, signed


def _browser(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_connect_see_the_secret_once_and_the_delivery_log(cast: Any) -> None:
    browser = _browser(cast.alice)
    made = browser.post(
        "/p/WEB/repositories",
        {"provider": "gitea", "full_name": "example/example", "default_branch": "master"},
    )
    repository = Repository.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/p/WEB/repositories/{repository.id}"

    first = browser.get(made["Location"]).content.decode()
    shown = re.search(r'<code class="secret">([^<]+)</code>', first)
    assert shown and shown.group(1) == repository.secret
    assert f"/api/v1/hooks/vcs/{repository.hook_id}" in first
    again = browser.get(made["Location"]).content.decode()
    assert repository.secret not in again and "is not shown again" not in again

    body = payload_bytes("gitea/push-event.json")
    headers = signed("gitea", body, secret=repository.secret, **{"X-Gitea-Event": "push"})
    hook = f"/api/v1/hooks/vcs/{repository.hook_id}"
    sent = Client().post(hook, body, content_type="application/json", **as_meta(headers))
    assert sent.status_code == 200
    log = browser.get(made["Location"]).content.decode()
    assert "processed" in log and "1 commit(s) to master" in log


def test_new_secret_and_disconnect(cast: Any) -> None:
    browser = _browser(cast.alice)
    browser.post("/p/WEB/repositories", {"provider": "github", "full_name": "acme/web"})
    repository = Repository.objects.get()
    old = repository.secret
    page = f"/p/WEB/repositories/{repository.id}"

    rotated = browser.post(page, {"rotate": "1"}, follow=True).content.decode()
    repository.refresh_from_db()
    assert repository.secret != old and repository.secret in rotated

    browser.post(page, {"disconnect": "1"})
    assert not Repository.objects.exists()
    assert AuditEntry.objects.filter(action="repository.disconnected").exists()


def test_bad_input_is_shown_and_others_are_refused(cast: Any) -> None:
    refused = _browser(cast.alice).post(
        "/p/WEB/repositories", {"provider": "github", "full_name": "x"}
    )
    assert (
        refused.status_code == 422
        and "must be owner/name as the forge shows it" in refused.content.decode()
    )
    assert _browser(cast.bob).get("/p/WEB/repositories").status_code == 403
    assert _browser(cast.eve).get("/p/WEB/repositories").status_code == 404
    assert not Repository.objects.exists()
