"""How many webhook deliveries one worker sends per second to a local receiver.

    DOCKET_DATA_DIR=/tmp/hb python bench/hooks_bench.py [--events 2000]
    DOCKET_DATABASE_URL=postgres://…/db python bench/hooks_bench.py

On an empty database (migrated here): one project with one Standard Webhooks hook (signed
JSON) to a receiver in another process (uvicorn, answering 200 "ok") on 127.0.0.1, allowed
through DOCKET_WEBHOOK_ALLOW_NETWORKS. `--events` field changes are written through the event
recorder's bulk path; the webhooks consumer queues their deliveries (timed apart), then the
sending sweep (`sender.send_due`, what the worker runs) is called until nothing is due: the
figure is deliveries per second over that, with the receiver's count checked.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
os.environ.setdefault("DOCKET_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.integrations.hooks import actions as hook_actions  # noqa: E402
from docket.integrations.hooks import sender  # noqa: E402
from docket.integrations.hooks.consumer import NAME  # noqa: E402
from docket.integrations.hooks.models import Delivery  # noqa: E402
from docket.issues import actions  # noqa: E402
from docket.issues.events import NewEvent, record_bulk  # noqa: E402
from docket.issues.models import EventKind  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402
from docket.worker import consumers  # noqa: E402

RECEIVER = """
import sys, uvicorn
count = 0
async def app(scope, receive, send):
    global count
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    count += scope["path"] == "/in"
    body = str(count).encode() if scope["path"] == "/count" else b"ok"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            http="httptools", loop="uvloop", backlog=2048)
"""


def _receiver(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the receiver did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(events: int) -> None:
    call_command("migrate", verbosity=0)
    port = _free_port()
    receiver = _receiver(port)
    try:
        admin = User.objects.create_user("hb_admin", "hb@example.com", "x-bench-pass-1",
                                         is_superuser=True)  # fmt: skip
        project = project_actions.create_project(actor=admin, key="HB", name="Hooks bench")
        issues = [
            actions.create_issue(actor=admin, project=project, fields={"title": f"Bench {n}"})
            for n in range(20)
        ]
        consumer = next(c for c in consumers.registered() if c.name == NAME)
        while consumers.dispatch(consumer):  # the setup's own events (before any hook)
            pass
        hook_actions.create_hook(
            actor=admin, project=project,
            data={"name": "bench", "url": f"http://127.0.0.1:{port}/in"},
        )  # fmt: skip
        moment = now()
        record_bulk([
            NewEvent(i.id, admin.id, EventKind.CHANGED, i.version + 1 + n, moment,
                     field="priority", old="medium", new="high")
            for n in range(events // len(issues)) for i in issues
        ])  # fmt: skip
        started = time.perf_counter()
        while consumers.dispatch(consumer):
            pass
        queued = Delivery.objects.count()
        queue_took = time.perf_counter() - started

        started = time.perf_counter()
        sent = 0
        while handled := sender.send_due():
            sent += handled
        took = time.perf_counter() - started
        delivered = Delivery.objects.filter(status="delivered").count()
        arrived = int(httpx.get(f"http://127.0.0.1:{port}/count").text)
        assert delivered == queued == arrived, (delivered, queued, arrived)
        print(
            f"{connection.vendor}: queued {queued} deliveries in {queue_took:.2f} s "
            f"({queued / queue_took:,.0f}/s); sent {delivered} in {took:.2f} s: "
            f"{delivered / took:,.0f} deliveries/s by one worker (signed, to 127.0.0.1)"
        )
    finally:
        receiver.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    main(parser.parse_args().events)
