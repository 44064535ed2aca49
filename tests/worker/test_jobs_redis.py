"""Background jobs on Redis (DOCKET_JOBS_URL: django-tasks-rq on RQ), against the real Redis at
127.0.0.1:6379, a real SMTP server and real `docket worker` processes: mail queued the normal
way is delivered, a delayed retry runs after its time and not before, a mail that keeps
failing is listed for site admins and can be retried, a job whose worker was killed mid-job is
handed back (or, abandoned too often, kept failed for admins), and a Redis that does not
answer is reported, not a 500.

RQ keeps every key under this test process's own RQ_KEY_PREFIX (tests/settings.py), which the
`docket worker` processes inherit; each test deletes its keys afterwards. Skipped where no
Redis runs; CI sets DOCKET_TEST_REQUIRE_REDIS=1, so there a missing Redis fails instead."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import rq
from django.core.mail import EmailMessage
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import Job as TaskJob

from docket.audit.models import AuditEntry
from docket.config.env import redis_url_with_timeouts
from docket.core import jobs as core_jobs
from docket.core.clock import now
from docket.core.jobs import retry_later
from docket.core.mail import _as_json, deliver_mail, send_later
from docket.worker.redis_jobs import HANDED_BACK, MAX_HAND_BACKS
from docket.worker.runner import Worker, run_ready_jobs
from tests.servers import DOCKET, run_docket, scratch_environment
from tests.worker.tasks import stall

REDIS = "redis://127.0.0.1:6379/0"
REFUSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1
PREFIX = os.environ["RQ_KEY_PREFIX"]
SCHEDULED, STARTED = f"{PREFIX}:scheduled:default", f"{PREFIX}:wip:default"
ROOT = Path(__file__).resolve().parents[2]


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("redis-jobs"),  # one worker builds its server (--dist loadgroup)
    pytest.mark.skipif(
        not _redis_is_up() and os.environ.get("DOCKET_TEST_REQUIRE_REDIS") != "1",
        reason="no Redis on 127.0.0.1:6379 (CI requires one: DOCKET_TEST_REQUIRE_REDIS=1)",
    ),
]


def _use_redis(settings: Any, url: str) -> None:
    """What DOCKET_JOBS_URL=url sets (config/settings.py), for this test."""
    settings.DOCKET_JOBS_URL = url
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {
        "default": {"URL": redis_url_with_timeouts("DOCKET_JOBS_URL", url), "DEFAULT_TIMEOUT": 180}
    }


@pytest.fixture
def on_redis(settings: Any) -> Iterator[redis.Redis]:
    """Jobs go to Redis in this test; a client to look at them. This process's keys go after."""
    _use_redis(settings, REDIS)
    client = redis.Redis.from_url(REDIS)
    try:
        yield client
    finally:
        for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
            client.delete(key)
        client.close()


@pytest.fixture(scope="module")
def worker_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a `docket worker` with jobs on this Redis: a database of its own
    (migrated once for the module), the SMTP server on 127.0.0.1 without TLS, and the
    repository on its path for tests/worker/tasks.py."""
    with scratch_environment(tmp_path_factory.mktemp("worker")) as env:
        env.update(
            DOCKET_JOBS_URL=REDIS,
            DOCKET_SMTP_HOST="127.0.0.1",
            DOCKET_SMTP_TLS="false",
            PYTHONPATH=str(ROOT),
        )
        migrated = run_docket(env, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        yield env


@contextmanager
def docket_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        process = subprocess.Popen(
            [DOCKET, "worker", "--interval", "0.1"], env=env, stdout=out, stderr=out
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_for(what: Callable[[], Any], seconds: float, why: Callable[[], str]) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(why())


def _mail(subject: str) -> EmailMessage:
    return EmailMessage(subject, "body", "docket@localhost", ["alice@example.com"])


def test_mail_and_a_delayed_retry_go_through_redis_and_a_docket_worker_process(
    on_redis, worker_env, smtp_server, tmp_path, monkeypatch
):
    monkeypatch.setattr(core_jobs, "FIRST_DELAY_SECONDS", 2)
    send_later(_mail("Now"))  # the normal path: queued on Redis at once
    later = _mail("Later")
    later.extra_headers["Message-ID"] = "<later@localhost>"
    assert retry_later(deliver_mail, 1, _as_json(later))  # attempt 2, after 1.6-2.4 s
    [(_, due)] = on_redis.zrange(SCHEDULED, 0, -1, withscores=True)  # RQ's schedule, to the s

    log = tmp_path / "worker.log"
    env = {**worker_env, "DOCKET_SMTP_PORT": str(smtp_server.port)}
    arrived: dict[str, float] = {}

    def both_arrived() -> bool:
        with smtp_server.lock:
            for delivery in smtp_server.deliveries:
                arrived.setdefault(delivery.message["Subject"], time.time())
        return len(arrived) == 2

    with docket_worker(env, log) as worker:
        _wait_for(both_arrived, 20, lambda: f"got {sorted(arrived)}:\n{log.read_text()}")
        assert arrived["Later"] >= due, (arrived, due)  # not before its time
        registered = rq.Worker.all(connection=on_redis)  # one docket worker, one RQ worker
        assert [str(worker.pid) in w.name for w in registered] == [True], registered
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, log.read_text()
    assert rq.Worker.all(connection=on_redis) == [], log.read_text()  # it signed off
    assert len(smtp_server.deliveries) == 2, log.read_text()  # once each
    assert on_redis.zcard(SCHEDULED) == 0


def test_mail_that_keeps_failing_is_listed_for_site_admins_and_can_be_retried(
    cast, on_redis, settings, smtp_server, monkeypatch
):
    settings.EMAIL_PORT = 1  # nothing listens: every attempt fails
    monkeypatch.setattr(core_jobs, "MAX_ATTEMPTS", 2)
    send_later(_mail("Hello"))
    assert run_ready_jobs() == 1  # attempt 1 fails; attempt 2 waits in RQ's schedule
    [(retry, due)] = on_redis.zrange(SCHEDULED, 0, -1, withscores=True)
    assert due > time.time() + 20  # backed off, not run at once
    admin = cast.api(cast.root)
    assert admin.get("/jobs").json()["counts"] == {"ready": 1, "running": 0, "failed": 0}
    on_redis.zadd(SCHEDULED, {retry: 1})  # its time has come
    assert run_ready_jobs() == 1  # the last attempt fails for good

    listed = admin.get("/jobs").json()
    assert listed["counts"] == {"ready": 0, "running": 0, "failed": 1}
    [failed] = listed["failed"]
    assert failed["id"] == retry.decode() and failed["status"] == "failed"
    assert failed["task"] == "docket.core.mail.deliver_mail" and failed["attempts"] == 1
    assert "ConnectionRefusedError" in failed["error"] or "refused" in failed["error"].lower()
    assert cast.api(cast.alice).get("/jobs").status_code == 404  # as for every admin-only read
    page = Client()
    page.force_login(cast.root)
    assert "/admin/worker/redisjob/" in page.get("/admin/").content.decode()
    assert failed["id"] in page.get("/admin/worker/redisjob/").content.decode()

    settings.EMAIL_PORT = smtp_server.port  # the mail server is back
    retried = admin.post(f"/jobs/{failed['id']}/retry", {})
    assert retried.status_code == 201, retried.content
    again = retried.json()
    assert again["status"] == "ready" and again["id"] != failed["id"] and again["attempts"] == 0
    assert [m["Subject"] for m in smtp_server.delivered()] == ["Hello"]
    assert admin.get("/jobs").json()["counts"] == {"ready": 0, "running": 0, "failed": 0}
    assert admin.post(f"/jobs/{failed['id']}/retry", {}).status_code == 404
    assert admin.post("/jobs/not a job id/retry", {}).status_code == 404
    entry = AuditEntry.objects.get(action="job.retried")
    assert entry.data == {"failed": failed["id"], "queued": again["id"]}


def test_jobs_waiting_in_the_database_table_move_to_redis_when_the_site_switches(
    db, on_redis, settings, smtp_server
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # before
    send_later(_mail("Queued before"))
    delayed = now() + dt.timedelta(minutes=5)
    deliver_mail.using(run_after=delayed).enqueue(_as_json(_mail("Retry due later")))
    assert DBTaskResult.objects.count() == 2
    _use_redis(settings, REDIS)  # the switch

    assert run_ready_jobs() == 3  # two moved, and the ready one run from Redis
    assert DBTaskResult.objects.count() == 0
    assert [m["Subject"] for m in smtp_server.delivered()] == ["Queued before"]
    [(_, due)] = on_redis.zrange(SCHEDULED, 0, -1, withscores=True)
    assert due == int(delayed.timestamp())  # still waits for its time


@pytest.mark.parametrize("handed_back_before", [0, MAX_HAND_BACKS])
def test_a_job_whose_worker_was_killed_mid_job_is_handed_back_or_kept_failed(
    cast, on_redis, worker_env, tmp_path, handed_back_before
):
    marker = tmp_path / "stalled"
    queued = stall.enqueue(str(marker))
    job = TaskJob.fetch(queued.id, connection=on_redis)
    job.meta[HANDED_BACK] = handed_back_before
    job.save_meta()
    log = tmp_path / "worker.log"
    with docket_worker(worker_env, log) as worker:
        _wait_for(marker.exists, 20, lambda: f"the job did not start:\n{log.read_text()}")
        worker.kill()  # SIGKILL, mid-job
        worker.wait()
    # RQ still counts it running, until its lease ends (the job timeout plus a minute after it
    # started: 4 min): skip ahead to then.
    [lease] = on_redis.zrange(STARTED, 0, -1)
    assert lease.decode().startswith(queued.id)
    on_redis.zadd(STARTED, {lease: 1})

    ran = run_ready_jobs()  # a worker's registry cleanup finds it abandoned, then runs jobs
    result = stall.get_result(queued.id)
    if handed_back_before < MAX_HAND_BACKS:
        assert ran == 1 and result.status == TaskResultStatus.SUCCESSFUL
        again = TaskJob.fetch(queued.id, connection=on_redis)
        assert again.meta[HANDED_BACK] == 1
        # (not result.return_value: django-tasks-rq 0.12 reads RQ 3's newest-first results as
        # oldest-first, so with two runs it shows the first's)
        latest = again.latest_result()
        assert latest is not None and latest.return_value == "ran again"
        return
    assert ran == 0 and result.status == TaskResultStatus.FAILED  # abandoned too often
    [failed] = cast.api(cast.root).get("/jobs").json()["failed"]
    assert failed["id"] == queued.id and "AbandonedJobError" in failed["error"]
    page = Client()
    page.force_login(cast.root)
    retried = page.post("/admin/worker/redisjob/", {"job": queued.id})
    assert retried.status_code == 302
    assert cast.api(cast.root).get("/jobs").json()["counts"] == {
        "ready": 1,
        "running": 0,
        "failed": 0,
    }


def test_a_job_queue_that_does_not_answer_is_reported_not_a_500(cast, settings, worker_env, caplog):
    _use_redis(settings, REFUSED)
    health = Client().get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded" and body["worker"]["jobs_backend"] == "redis"
    [problem] = body["problems"]
    assert problem.startswith("the job queue on Redis does not answer") and "refused" in problem

    listed = cast.api(cast.root).get("/jobs")
    assert listed.status_code == 503 and "does not answer" in listed.json()["detail"]
    with pytest.raises(redis.exceptions.ConnectionError):
        send_later(_mail("Lost?"))  # the caller hears it (and its transaction rolls back)

    worker = Worker()
    worker.step()  # beat, consumers and sweeps go on; jobs rest and are tried again later
    assert "jobs on Redis" in caplog.text

    checked = run_docket({**worker_env, "DOCKET_JOBS_URL": REFUSED}, "check")
    assert checked.returncode == 1
    assert "degraded: the job queue on Redis does not answer" in checked.stderr
