"""Intake settings over the API: project admins only, the token shown once and kept only as
a hash, every change in the audit log, and bad settings refused with the field named."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from docket.audit.models import AuditEntry
from docket.integrations.alerts.models import AlertIntake

BASE = "/projects/WEB/alert-intakes"


def test_an_admin_adds_an_intake_and_sees_its_token_once(cast: Any) -> None:
    alice = cast.api(cast.alice)
    made = alice.post(BASE, {"name": "Prometheus", "source": "alertmanager", "assignee": "bob"})
    assert made.status_code == 201, made.content
    data = made.json()
    token = data["token"]
    assert token.startswith("dka_") and len(token) > 40
    assert data["url"] == f"http://testserver/api/v1/alerts/{data['id']}"
    assert (data["issue_type"], data["resolve_on_resolved"], data["assignee"]) == (
        "incident", True, "bob",
    )  # fmt: skip
    assert data["severity_map"]["critical"] == {"priority": "highest", "severity": "critical"}
    row = AlertIntake.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(AlertIntake.objects.values().get())
    shown = alice.get(f"{BASE}/{data['id']}").json()
    assert "token" not in shown and shown["token_hint"] == token[:10]
    assert [i["name"] for i in alice.get(BASE).json()] == ["Prometheus"]
    entry = AuditEntry.objects.get(action="alert_intake.created")
    assert token not in str(entry.data)


def test_settings_change_and_are_audited(cast: Any) -> None:
    alice = cast.api(cast.alice)
    made = alice.post(BASE, {"name": "Prometheus", "source": "alertmanager"}).json()
    changed = alice.patch(
        f"{BASE}/{made['id']}",
        {"resolve_on_resolved": False, "severity_map": {"page": {"priority": "highest"}},
         "name": "Prod Prometheus"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert changed.json()["severity_map"] == {
        "page": {"priority": "highest"}, "default": {"priority": "medium", "severity": "major"},
    }  # fmt: skip
    entry = AuditEntry.objects.get(action="alert_intake.changed")
    assert entry.data["changes"]["resolve_on_resolved"] == {"old": True, "new": False}
    bot = AlertIntake.objects.get().bot
    assert bot.display_name == "Alerts: Prod Prometheus"


def test_rotating_and_deleting(cast: Any) -> None:
    alice = cast.api(cast.alice)
    made = alice.post(BASE, {"name": "Prometheus", "source": "grafana"}).json()
    rotated = alice.post(f"{BASE}/{made['id']}/token")
    assert rotated.status_code == 200
    assert rotated.json()["token"] != made["token"]
    assert alice.delete(f"{BASE}/{made['id']}").status_code == 204
    assert alice.get(f"{BASE}/{made['id']}").status_code == 404
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"alert_intake.token_rotated", "alert_intake.deleted"} <= actions


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_only_project_admins_manage_intakes(cast: Any, who: str) -> None:
    made = cast.api(cast.alice).post(BASE, {"name": "P", "source": "alertmanager"}).json()
    api = cast.api(getattr(cast, who))
    assert api.get(BASE).status_code == 403
    assert api.post(BASE, {"name": "Q", "source": "alertmanager"}).status_code == 403
    assert api.post(f"{BASE}/{made['id']}/token").status_code == 403
    assert api.delete(f"{BASE}/{made['id']}").status_code == 403
    assert AlertIntake.objects.count() == 1


def test_outsiders_do_not_learn_the_project_exists(cast: Any) -> None:
    assert cast.api(cast.eve).get(BASE).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "alertmanager"}, "name"),
        ({"name": "P"}, "source"),
        ({"name": "P", "source": "sentry"}, "source"),
        ({"name": "P", "source": "grafana", "issue_type": "outage"}, "issue_type"),
        ({"name": "P", "source": "grafana", "assignee": "eve"}, "assignee"),
        ({"name": "P", "source": "grafana", "team": "nobody"}, "team"),
        ({"name": "P", "source": "grafana",
          "severity_map": {"critical": {"priority": "urgent"}}}, "severity_map.critical.priority"),
        ({"name": "P", "source": "grafana", "severity_map": {}}, "severity_map"),
        ({"name": "P", "source": "grafana", "colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_bad_settings_are_422_naming_the_field(cast: Any, body: dict, field: str) -> None:
    answer = cast.api(cast.alice).post(BASE, body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0]["field"] == field
    assert AlertIntake.objects.count() == 0


def test_names_are_unique_per_project(cast: Any) -> None:
    alice = cast.api(cast.alice)
    assert alice.post(BASE, {"name": "P", "source": "grafana"}).status_code == 201
    again = alice.post(BASE, {"name": "P", "source": "alertmanager"})
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "name"
