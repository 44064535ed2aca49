"""The timeline's "Automation: <rule name>" (the rules pages: tests/web/test_rules_pages.py)."""

from __future__ import annotations

from django.test import Client

from tests.automation.conftest import make_rule, run_rules
from tests.factories import make_issue


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_timeline_names_the_rule(cast):
    make_rule(cast.alice, cast.web, "Triage", {"on": "created"},
              [{"type": "set", "field": "priority", "value": "high"},
               {"type": "comment", "body": "Triaged automatically"}])  # fmt: skip
    issue = make_issue(cast.carol, cast.web)
    run_rules()
    body = _client(cast.bob).get(f"/WEB-{issue.number}").content.decode()
    assert body.count("Automation: Triage") == 2  # the change and the comment
    assert "Triaged automatically" in body
