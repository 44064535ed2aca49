"""An alert through a real `docket serve` with its worker: Alertmanager's exact bytes posted
over HTTP open an incident assigned by the intake, and the worker puts it in the on-call
person's inbox. The time from the POST to the incident (its answer) and to the inbox row is
printed (docs/benchmark.md has bench/alerts_bench.py's figures)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integrations.alerts.conftest import sample
from tests.servers import Server, running_server, scratch_environment

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with (
        scratch_environment(tmp_path / "data", ready=True) as env,
        running_server(env, tmp_path / "server.log", workers=1, worker=True) as running,
    ):
        yield running


def test_an_alert_reaches_the_on_call_inbox_through_a_real_server(server: Server) -> None:
    body = sample("alertmanager/zulip__firing_2_alerts.json")
    admin = server.client(server.token())
    made = admin.post("/users", json={"username": "oncall", "email": "oncall@example.com",
                                      "password": "a-long-passw0rd!"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert admin.post("/projects", json={"key": "OPS", "name": "Operations"}).status_code == 201
    member = admin.post("/projects/OPS/members", json={"user": "oncall", "role": "member"})
    assert member.status_code == 201, member.text
    intake = admin.post(
        "/projects/OPS/alert-intakes",
        json={"name": "Prometheus", "source": "alertmanager", "assignee": "oncall"},
    ).json()
    oncall = server.client(server.token("oncall", "read"))
    sender = server.client(intake["token"])

    started = time.monotonic()
    answer = sender.post(f"/alerts/{intake['id']}", content=body,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    created = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    key = answer.json()["issue"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = oncall.get("/notifications").json()["items"]
        if any(item["issue"]["key"] == key for item in items):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"{key} never reached the on-call inbox")
    notified = time.monotonic() - started
    print(f"alert -> incident {created * 1000:.0f} ms, -> inbox {notified * 1000:.0f} ms")

    issue = admin.get(f"/issues/{key}").json()
    shown = (issue["type"], issue["priority"], issue["assignee"])
    assert shown == ("incident", "highest", "oncall")
    again = sender.post(f"/alerts/{intake['id']}", content=body,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert again.json()["outcome"] == "unchanged"
    bad = server.client("dka_wrong").post(f"/alerts/{intake['id']}", content=body,
                                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert bad.status_code == 401
