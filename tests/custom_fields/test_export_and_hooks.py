"""Custom field values (and the estimate) leave Docket with the issue: in the JSON export and
in webhook payloads."""

from __future__ import annotations

import json

from django.test import Client

from docket.integrations.hooks.payloads import event_payload
from docket.issues.models import IssueEvent
from tests.factories import make_issue


def test_the_json_export_carries_the_set_custom_fields(fielded):
    make_issue(
        fielded.alice, fielded.web, title="A", estimate=90,
        custom_fields={"customer": "ACME", "points": 2.5, "platforms": ["ios", "web"]},
    )  # fmt: skip
    make_issue(fielded.alice, fielded.web, title="B")
    client = Client()
    client.force_login(fielded.alice)
    page = client.get("/p/WEB/export", {"format": "json"})
    text = b"".join(page.streaming_content).decode()
    issues = {r["title"]: r for r in map(json.loads, text.splitlines()) if r["kind"] == "issue"}
    assert issues["A"]["custom_fields"] == {
        "customer": "ACME", "points": 2.5, "platforms": ["web", "ios"]
    }  # fmt: skip
    assert issues["A"]["estimate"] == 90
    assert "custom_fields" not in issues["B"]


def test_webhook_payloads_carry_them(fielded):
    issue = make_issue(
        fielded.alice, fielded.web, title="A", custom_fields={"tier": "gold", "owner": "bob"}
    )
    event = IssueEvent.objects.get(issue=issue, kind="created")
    data = event_payload(event, issue)["data"]["issue"]
    assert data["custom_fields"]["tier"] == "gold" and data["custom_fields"]["owner"] == "bob"
    assert data["estimate"] is None
