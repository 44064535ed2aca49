"""Alert intake tests: the real sample payloads from ../shared/data/alerts (read in place,
byte for byte), an intake made through its action, and a sender that posts raw bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from docket.integrations.alerts import actions
from docket.integrations.alerts.models import AlertIntake
from docket.issues.models import Comment, Issue

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "alerts"


def sample(name: str) -> bytes:
    """A sample payload's exact bytes (the test skips when the shared data is absent)."""
    path = DATA / name
    if not path.exists():
        pytest.skip(
            f"shared alert samples not found at {DATA.resolve()} (../shared/data; CI has it)"
        )
    return path.read_bytes()


def samples(folder: str) -> list[str]:
    found = sorted(p.name for p in (DATA / folder).glob("*.json")) if DATA.exists() else []
    return [f"{folder}/{name}" for name in found]


@dataclass
class Intake:
    row: AlertIntake
    token: str
    client: Client

    def post(self, body: bytes | str, *, token: str | None = "", **headers: Any):  # type: ignore[no-untyped-def]
        """POST `body` as is to the intake's endpoint with its token as a Bearer header (or
        `token` instead; None: no credential)."""
        presented = self.token if token == "" else token
        if presented is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {presented}")
        return self.client.post(
            f"/api/v1/alerts/{self.row.id}", data=body, content_type="application/json", **headers
        )

    def replay(self, name: str):  # type: ignore[no-untyped-def]
        answer = self.post(sample(name))
        assert answer.status_code == 200, answer.content
        return answer.json()


def make_intake(actor: Any, project: Any, **data: Any) -> Intake:
    data.setdefault("name", "Prometheus")
    data.setdefault("source", "alertmanager")
    row, token = actions.create_intake(actor=actor, project=project, data=data)
    return Intake(row, token, Client())


@pytest.fixture
def intake(cast: Any) -> Intake:
    return make_intake(cast.alice, cast.web)


@pytest.fixture
def grafana(cast: Any) -> Intake:
    return make_intake(cast.alice, cast.web, name="Grafana", source="grafana")


def incidents(project: Any) -> list[Issue]:
    return list(Issue.objects.filter(project=project).order_by("id"))


def comments(issue: Issue) -> list[str]:
    return list(Comment.objects.filter(issue=issue).order_by("id").values_list("body", flat=True))
