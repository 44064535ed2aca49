"""Server time and SQL statements of `POST /api/v1/projects/P/issues` in-process (Django's test
client, no HTTP), with the bodies run.py's create phase sends, for same-run before/after
comparisons of the create path:

    DOCKET_DATA_DIR=DIR python bench/create_times.py --user bench [--project WEB] [--repeat 200]
    DOCKET_DATA_DIR=DIR python bench/create_times.py --user bench --queries   # one create's SQL

Files real issues into the database in DOCKET_DATA_DIR (or DOCKET_DATABASE_URL), as --user
through a fresh API token; prints the median, 90th and 95th percentile of --repeat creates after
--warmup, the median CPU time of this process per create (steadier than wall time on a busy
machine), and the statement count of the last one (--queries prints the statements too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="username to file issues as")
    parser.add_argument("--project", default="WEB")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--queries", action="store_true", help="print one create's statements")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from docket.accounts.models import User
    from docket.accounts.tokens import create_token
    from docket.issues.models import Issue
    from docket.projects.models import Component, Milestone

    sys.path.insert(0, str(Path(__file__).parent))
    from run import create_payloads

    user = User.objects.get(username=args.user)
    _, secret = create_token(actor=user, name="create_times")
    project = args.project
    assignees = sorted(
        set(
            Issue.objects.filter(project__key=project, assignee__isnull=False)
            .order_by("-id")
            .values_list("assignee__username", flat=True)[:500]
        )
    )
    found = {
        "assignees": assignees,
        "components": list(
            Component.objects.filter(project__key=project).values_list("name", flat=True)
        ),
        "milestones": list(
            Milestone.objects.filter(project__key=project).values_list("name", flat=True)
        ),
    }
    count = args.warmup + args.repeat
    payloads = create_payloads(found, count, args.seed + random.randrange(1000))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    path = f"/api/v1/projects/{project}/issues"

    def post(body: bytes) -> None:
        response = client.post(path, body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")

    for body in payloads[: args.warmup]:
        post(body)
    samples, cpu = [], []
    for body in payloads[args.warmup : count - 1]:
        started, started_cpu = time.perf_counter(), time.process_time()
        post(body)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        post(payloads[count - 1])
    samples.sort()
    p90 = samples[int(len(samples) * 0.9)]
    p95 = samples[int(len(samples) * 0.95)]
    print(
        f"POST {path}  p50 {statistics.median(samples):6.2f} ms  p90 {p90:6.2f} ms  "
        f"p95 {p95:6.2f} ms  CPU/create p50 {statistics.median(cpu):6.2f} ms  "
        f"statements {len(captured.captured_queries)}"
    )
    if args.queries:
        for q in captured.captured_queries:
            print(f"{q['time']:>6} {q['sql'][:400]}")
    print(json.dumps({"statements": len(captured.captured_queries)}))


if __name__ == "__main__":
    main()
