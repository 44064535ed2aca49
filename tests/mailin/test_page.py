"""The quarantine pages through Django's test client: who sees them, and a decision made
with the page's form."""

from __future__ import annotations

from typing import Any

from django.test import Client

from docket.issues.models import Comment
from docket.mailin.models import Inbound, Mailbox
from docket.mailin.receive import receive
from tests.factories import make_issue, make_project
from tests.mailin.test_api import STRANGER_REPLY, _set


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _quarantine_in(cast: Any) -> Inbound:
    _set(cast, {"address": "help@support.example.com"})
    make_issue(cast.carol, cast.web, title="Printer")
    result = receive(STRANGER_REPLY, Mailbox.objects.get(), via="lmtp")
    return Inbound.objects.get(pk=result.inbound_id)


def test_project_admins_see_their_quarantine_others_do_not(cast: Any) -> None:
    entry = _quarantine_in(cast)
    page = _client(cast.alice).get("/settings/mail/quarantine")
    assert page.status_code == 200
    assert "zed@elsewhere.example may not comment on WEB-1" in page.content.decode()
    assert _client(cast.bob).get("/settings/mail/quarantine").status_code == 403
    assert _client(cast.bob).get(f"/settings/mail/quarantine/{entry.pk}").status_code == 404
    # Another project's admin does not see WEB's mail.
    make_project(cast.eve, "OPS")
    assert "Printer" not in _client(cast.eve).get("/settings/mail/quarantine").content.decode()


def test_a_message_page_shows_headers_and_text_and_assigns(cast: Any) -> None:
    entry = _quarantine_in(cast)
    shown = _client(cast.alice).get(f"/settings/mail/quarantine/{entry.pk}").content.decode()
    assert "Zed &lt;zed@elsewhere.example&gt;" in shown and "Me too." in shown
    done = _client(cast.alice).post(f"/settings/mail/quarantine/{entry.pk}", {"issue": "WEB-1"})
    assert done.status_code == 302
    assert Comment.objects.get().body == "Me too."
    refused = _client(cast.alice).post(f"/settings/mail/quarantine/{entry.pk}", {"discard": "1"})
    assert refused.status_code == 409 and "not in the quarantine" in refused.content.decode()
