"""From a monitoring alert to the incident and to the on-call person's inbox, with a real
server and a real worker.

    DOCKET_DATA_DIR=/tmp/alertsb python bench/alerts_bench.py [--alerts 40] [--spread 20]
    DOCKET_DATABASE_URL=postgres://…/db python bench/alerts_bench.py

On a fresh database (migrated here): project OPS with an Alertmanager intake that assigns
`oncall`. `docket serve --no-worker` and a `docket worker` (its default 0.5 s idle interval)
run as processes. `--alerts` firing notifications (the shared sample
zulip__firing_2_alerts.json, each with its own groupKey, so each opens an incident) are
posted over HTTP `--spread` seconds apart in all; this process watches the inbox rows
(polling every 20 ms). Reported: the POST's answer (the incident created) and the assignee's
inbox row, each from the moment before the POST: p50, p95, max.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.integrations.alerts import actions as alert_actions  # noqa: E402
from docket.notifications.models import Notification  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402

SAMPLE = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "alerts" / "alertmanager"
    / "zulip__firing_2_alerts.json"
)  # fmt: skip


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code in (200, 503):
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("docket serve did not come up")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def _line(name: str, values: list[float]) -> str:
    return (f"{name}: p50 {statistics.median(values) * 1000:.0f} ms, "
            f"p95 {_p(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")  # fmt: skip


def _watch(oncall: User, started: dict[str, float], notified: dict[str, float], args: Any) -> None:
    """Poll the inbox rows every 20 ms while the alerts go out, until each has its row."""
    give_up = time.monotonic() + args.spread + 60
    try:
        while time.monotonic() < give_up:
            rows = Notification.objects.filter(recipient=oncall, in_inbox=True).values_list(
                "issue__project__key", "issue__number"
            )
            moment = time.monotonic()
            for project_key, number in rows:
                notified.setdefault(f"{project_key}-{number}", moment)
            if len(started) == args.alerts and set(started) <= set(notified):
                return
            time.sleep(0.02)
    finally:
        connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=40)
    parser.add_argument("--spread", type=float, default=20.0)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("ab_admin", "a@example.com", "x-bench-pass-1",
                                     is_superuser=True)  # fmt: skip
    oncall = User.objects.create_user("oncall", "b@example.com", "x-bench-pass-1")
    project = project_actions.create_project(actor=admin, key="OPS", name="Operations")
    project_actions.set_member(actor=admin, project=project, user="oncall", role="member")
    intake, token = alert_actions.create_intake(actor=admin, project=project, data={
        "name": "Prometheus", "source": "alertmanager", "assignee": "oncall",
    })  # fmt: skip
    body = json.loads(SAMPLE.read_bytes())
    docket = str(Path(sys.executable).with_name("docket"))
    port = _port()
    env = {**os.environ, "DOCKET_HEALTH_REQUIRES_WORKER": "false"}
    server = subprocess.Popen([docket, "serve", "--port", str(port), "--workers", "1",
                               "--no-worker"], env=env)  # fmt: skip
    worker = subprocess.Popen([docket, "worker"], env=env)
    created: dict[str, float] = {}
    started: dict[str, float] = {}
    notified: dict[str, float] = {}
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url)
        client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        watching = threading.Thread(target=_watch, args=(oncall, started, notified, args))
        watching.start()
        for n in range(args.alerts):
            body["groupKey"] = f'{{}}/{{bench="{n}"}}:{{}}'
            raw = json.dumps(body).encode()
            before = time.monotonic()
            answer = client.post(f"{url}/api/v1/alerts/{intake.id}", content=raw,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
            key = answer.json()["issue"]
            started[key], created[key] = before, time.monotonic() - before
            time.sleep(args.spread / args.alerts)
        watching.join()
    finally:
        worker.terminate()
        server.terminate()
        worker.wait(10)
        server.wait(10)
    delays = [notified[k] - started[k] for k in started if k in notified]
    print(f"{len(started)} alerts, {len(delays)} notified ({len(started) - len(delays)} missing)")
    print(_line("alert -> incident created (HTTP answer)", list(created.values())))
    print(_line("alert -> assignee's inbox", delays))


if __name__ == "__main__":
    main()
