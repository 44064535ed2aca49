"""Background jobs for site admins: the ones that failed for good, and trying one again.

A job that raises is retried with exponential backoff by the job itself
(`core.jobs.retry_later`); one that still fails after its last attempt stays here, FAILED,
with its error, until a site admin retries it (a fresh copy is queued and the failed one
goes) or it is pruned.

Jobs live where the Tasks backend keeps them: rows of Docket's database (django-tasks-db, the
default) or, with DOCKET_JOBS_URL, RQ's queues and registries on Redis (`worker/redis_jobs.py`).
The functions here answer the same for both, as `JobInfo`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from docket.accounts.access import assert_site_admin
from docket.accounts.actor import Who
from docket.audit.log import record as audit
from docket.core.errors import NotFound

MAX_LISTED = 200
REDIS_BACKEND = "django_tasks_rq.RQBackend"
_RQ_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class JobInfo:
    """One job as site admins see it, whichever backend holds it."""

    id: str
    task: str  # the task's dotted path
    status: str  # ready, running, failed, successful
    attempts: int  # runs so far (a copy queued by a retry starts again at 0)
    enqueued_at: datetime
    finished_at: datetime | None
    error: str  # the last line of the last failure's traceback


def on_redis() -> bool:
    """Whether jobs go through RQ on Redis (DOCKET_JOBS_URL) rather than the database."""
    return bool(settings.TASKS["default"]["BACKEND"] == REDIS_BACKEND)


def last_line(traceback: str | None) -> str:
    return traceback.strip().splitlines()[-1] if traceback and traceback.strip() else ""


def failed_jobs(actor: Who, limit: int = MAX_LISTED) -> list[JobInfo]:
    """The newest `limit` jobs that failed for good, newest first."""
    assert_site_admin(actor)
    if on_redis():
        from docket.worker import redis_jobs

        return redis_jobs.failed(limit)
    return [_info(job) for job in DBTaskResult.objects.failed().order_by("-finished_at")[:limit]]


def job_counts(actor: Who) -> dict[str, int]:
    """Jobs waiting (delayed ones too), running, and failed for good."""
    assert_site_admin(actor)
    if on_redis():
        from docket.worker import redis_jobs

        return redis_jobs.counts()
    return {
        status.lower(): DBTaskResult.objects.filter(status=status).count()
        for status in (TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED)
    }


@transaction.atomic
def retry_job(actor: Who, job_id: str) -> JobInfo:
    """Queue a failed job again (a fresh copy, run as soon as a worker is free)."""
    assert_site_admin(actor)
    if not on_redis():
        return retry_database_job(actor, job_id)
    from docket.worker import redis_jobs

    queued = redis_jobs.retry(job_id) if _RQ_JOB_ID.fullmatch(job_id) else None
    if queued is None:
        raise NotFound(f"no failed job {job_id}")
    audit(actor, "job.retried", target=queued.task, failed=job_id, queued=queued.id)
    return queued


@transaction.atomic
def retry_database_job(actor: Who, job_id: str) -> JobInfo:
    """Queue a copy of a failed job of the database table, through the configured backend
    (with DOCKET_JOBS_URL: onto Redis), and delete the failed row, in one transaction."""
    assert_site_admin(actor)
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise NotFound(f"no failed job {job_id}") from None
    job = DBTaskResult.objects.failed().select_for_update().filter(id=job_id).first()
    if job is None:
        raise NotFound(f"no failed job {job_id}")
    arguments = job.args_kwargs
    queued = job.task.enqueue(*arguments["args"], **arguments["kwargs"])
    audit(actor, "job.retried", target=job.task_path, failed=str(job.id), queued=str(queued.id))
    job.delete()
    if on_redis():
        from docket.worker import redis_jobs

        return redis_jobs.queued_info(queued)
    return _info(DBTaskResult.objects.get(id=queued.id))


def _info(job: DBTaskResult) -> JobInfo:
    return JobInfo(
        id=str(job.id),
        task=job.task_path,
        status=job.status.lower(),
        attempts=len(job.worker_ids),
        enqueued_at=job.enqueued_at,
        finished_at=job.finished_at,
        error=last_line(job.traceback),
    )
