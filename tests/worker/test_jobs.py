"""Background jobs on the real queue (django-tasks-db): mail retried with backoff, failures
kept for site admins with a retry, and jobs of a dead worker handed back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from docket.core import jobs as core_jobs
from docket.core.clock import now
from docket.core.mail import send_later
from docket.worker.models import WorkerBeat
from docket.worker.runner import requeue_abandoned_jobs, run_ready_jobs, stale_seconds


def _mail() -> EmailMessage:
    return EmailMessage("Hello", "body", "docket@localhost", ["alice@example.com"])


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    waits = [core_jobs.backoff(attempt).total_seconds() for attempt in (1, 2, 3, 8, 20)]
    assert 24 <= waits[0] <= 36 and 48 <= waits[1] <= 72 and 96 <= waits[2] <= 144
    assert 2880 <= waits[3] <= 4320 and waits[4] <= 4320


def test_mail_that_cannot_be_sent_is_retried_later_then_kept_failed_for_admins(
    cast, settings, smtp_server, monkeypatch
):
    settings.EMAIL_PORT = 1  # nothing listens: every attempt fails
    monkeypatch.setattr(core_jobs, "MAX_ATTEMPTS", 2)
    send_later(_mail())
    assert run_ready_jobs() == 1
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > now() + dt.timedelta(seconds=20)  # backed off, not run at once
    DBTaskResult.objects.filter(id=retry.id).update(run_after=now())
    assert run_ready_jobs() == 1

    admin = cast.api(cast.root)
    listed = admin.get("/jobs").json()
    assert listed["counts"]["failed"] == 1
    [failed] = listed["failed"]
    assert failed["task"] == "docket.core.mail.deliver_mail" and failed["attempts"] == 1
    assert "ConnectionRefusedError" in failed["error"] or "refused" in failed["error"].lower()
    assert cast.api(cast.alice).get("/jobs").status_code == 404  # as for every admin-only read

    settings.EMAIL_PORT = smtp_server.port  # the mail server is back
    retried = admin.post(f"/jobs/{failed['id']}/retry", {})
    assert retried.status_code == 201 and retried.json()["status"] == "ready"
    assert [m["Subject"] for m in smtp_server.delivered()] == ["Hello"]
    assert admin.get("/jobs").json()["counts"]["failed"] == 0
    assert admin.post(f"/jobs/{failed['id']}/retry", {}).status_code == 404


def test_a_retried_mail_keeps_its_message_id(cast, smtp_server):
    message = _mail()
    send_later(message)
    [queued] = DBTaskResult.objects.all()
    assert (
        queued.args_kwargs["args"][0]["headers"]["Message-ID"]
        == message.extra_headers["Message-ID"]
    )
    [received] = smtp_server.delivered()
    assert received["Message-ID"] == message.extra_headers["Message-ID"]


def _claimed_by_dead_worker(beat_age: float | None) -> None:
    send_later(_mail())
    long_ago = now() - dt.timedelta(seconds=stale_seconds() + 60)
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, worker_ids=["dead-worker"], started_at=long_ago
    )
    if beat_age is not None:
        WorkerBeat.objects.create(
            worker_id="dead-worker",
            host="h",
            pid=1,
            started_at=long_ago,
            beat_at=now() - dt.timedelta(seconds=beat_age),
        )


@pytest.mark.parametrize("past_stale", [10, None])
def test_jobs_claimed_by_a_worker_that_stopped_beating_are_handed_back(db, past_stale):
    _claimed_by_dead_worker(None if past_stale is None else stale_seconds() + past_stale)
    assert requeue_abandoned_jobs() == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY


def test_how_long_a_silent_worker_is_presumed_alive_is_a_setting(db, settings):
    _claimed_by_dead_worker(15)
    assert requeue_abandoned_jobs() == 0  # 30 s by default
    settings.DOCKET_WORKER_STALE_SECONDS = 10
    assert requeue_abandoned_jobs() == 1


def test_a_job_of_a_live_worker_is_left_alone(db):
    send_later(_mail())
    long_ago = now() - dt.timedelta(minutes=5)
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, worker_ids=["alive"], started_at=long_ago
    )
    WorkerBeat.objects.create(
        worker_id="alive", host="h", pid=1, started_at=long_ago, beat_at=now()
    )
    assert requeue_abandoned_jobs() == 0


def test_the_page_of_jobs_on_redis_is_hidden_while_jobs_are_in_the_database(cast):
    page = Client()
    page.force_login(cast.root)
    assert "redisjob" not in page.get("/admin/").content.decode()
    assert page.get("/admin/worker/redisjob/").status_code == 403
    assert page.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200
