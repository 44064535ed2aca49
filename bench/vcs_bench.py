"""Inbound push handling (issue 15's figure: p95 <= 20 ms for a push of 20 commits naming keys).

    DOCKET_DATA_DIR=/tmp/vb python bench/vcs_bench.py [--pushes 200]
    DOCKET_DATABASE_URL=postgres://…/db python bench/vcs_bench.py

On an empty database (migrated here): one project with 200 issues and a GitHub repository
connected to it. Each push is the real `github/push__with-new-branch.json` payload
(../shared/data/webhooks) with 20 commits whose messages each name two of the project's
issues (new shas every push, so every commit is linked: 40 links and 40 history events per
push), signed with the connection's secret and POSTed to /api/v1/hooks/vcs/<id> through
Django's test client — the whole request: middleware, signature, parsing, the delivery row,
the links and events, in one transaction.

Two figures, p50/p95/max per push after 10 warm-up pushes:
- links: the pushes above;
- closing: the same, with one commit per push saying "fixes" an open issue (a workflow
  transition as the bot, with its comment).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import json
import os
import statistics
import time
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.integrations.vcs import actions as vcs_actions  # noqa: E402
from docket.issues import actions  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402

PAYLOAD = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "webhooks" / "github"
    / "push__with-new-branch.json"
)  # fmt: skip
COMMITS = 20
WARM_UP = 10


def push_body(template: dict, numbers: list[int], closing: int | None) -> bytes:
    data = copy.deepcopy(template)
    model = data["commits"][0]
    data["commits"] = []
    for index in range(COMMITS):
        commit = copy.deepcopy(model)
        commit["id"] = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        first, second = numbers[(2 * index) % len(numbers)], numbers[(2 * index + 1) % len(numbers)]
        commit["message"] = f"Work on VB-{first} and VB-{second}\n\nDetails of change {index}."
        if closing is not None and index == 0:
            commit["message"] = f"Fixes VB-{closing}"
        data["commits"].append(commit)
    return json.dumps(data).encode()


CPU: list[float] = []  # this process's CPU time per push: less sensitive to a loaded machine


def timed(client: Client, url: str, secret: str, body: bytes) -> float:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    began, cpu = time.perf_counter(), time.process_time()
    response = client.post(
        url, body, content_type="application/json",
        HTTP_X_GITHUB_EVENT="push", HTTP_X_GITHUB_DELIVERY=str(uuid.uuid4()),
        HTTP_X_HUB_SIGNATURE_256=f"sha256={digest}",
    )  # fmt: skip
    took = (time.perf_counter() - began) * 1000
    CPU.append((time.process_time() - cpu) * 1000)
    assert response.status_code == 200 and response.json()["status"] == "processed", response
    return took


def report(name: str, times: list[float], cpu: list[float]) -> None:
    times, cpu = sorted(times[WARM_UP:]), sorted(cpu[WARM_UP:])
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"{name}: {len(times)} pushes of {COMMITS} commits, p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms; CPU p50 {statistics.median(cpu):.1f} ms, "
        f"p95 {cpu[max(0, int(len(cpu) * 0.95) - 1)]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pushes", type=int, default=200)
    args = parser.parse_args()
    if not PAYLOAD.is_file():
        raise SystemExit(f"the shared payload is not at {PAYLOAD}")
    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("vb_admin", "vb@example.com", "x-bench-pass-1")
    project = project_actions.create_project(actor=admin, key="VB", name="VCS bench")
    issues = [
        actions.create_issue(actor=admin, project=project, fields={"title": f"Issue {n}"})
        for n in range(200 + args.pushes + WARM_UP)
    ]
    repository, secret = vcs_actions.connect(
        actor=admin, project=project,
        data={"provider": "github", "full_name": "Codertocat/Hello-World",
              "default_branch": "master"},
    )  # fmt: skip
    url = f"/api/v1/hooks/vcs/{repository.hook_id}"
    template = json.loads(PAYLOAD.read_bytes())
    numbers = [i.number for i in issues[:200]]
    client = Client()
    links = [
        timed(client, url, secret, push_body(template, numbers[n % 10 :], None))
        for n in range(args.pushes + WARM_UP)
    ]
    closing = [
        timed(client, url, secret, push_body(template, numbers, issues[200 + n].number))
        for n in range(args.pushes + WARM_UP)
    ]
    print(f"{connection.vendor}, load average {os.getloadavg()[0]:.1f}")
    half = len(links)
    report("links", links, CPU[:half])
    report("links + closing one issue", closing, CPU[half:])


if __name__ == "__main__":
    main()
