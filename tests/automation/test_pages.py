"""The rules settings page and the timeline's "Automation: <rule name>"."""

from __future__ import annotations

import json

from django.test import Client

from docket.automation.models import Rule
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


def test_admins_add_toggle_and_see_runs_on_the_settings_page(cast):
    admin = _client(cast.alice)
    added = admin.post("/p/WEB/rules", {
        "name": "Label new", "trigger": json.dumps({"on": "created"}), "condition": "",
        "actions": json.dumps([{"type": "add_labels", "labels": ["new"]}]),
    })  # fmt: skip
    assert added.status_code == 302
    rule = Rule.objects.get(name="Label new")
    make_issue(cast.carol, cast.web)
    run_rules()
    page = admin.get("/p/WEB/rules").content.decode()
    assert "Label new" in page and "labels now new" in page
    assert admin.post("/p/WEB/rules", {"rule": rule.id}).status_code == 302
    assert not Rule.objects.get(pk=rule.pk).enabled
    bad = admin.post("/p/WEB/rules", {"name": "x", "trigger": "{", "actions": "[]"})
    assert bad.status_code == 422 and "not JSON" in bad.content.decode()
    assert _client(cast.bob).get("/p/WEB/rules").status_code == 403
    assert _client(cast.alice).get("/settings/rules").status_code == 404
    assert _client(cast.root).get("/settings/rules").status_code == 200
