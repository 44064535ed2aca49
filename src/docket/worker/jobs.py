"""Background jobs for site admins: the ones that failed for good, and trying one again.

A job that raises is retried with exponential backoff by the job itself
(`core.jobs.retry_later`); one that still fails after its last attempt stays here, FAILED,
with its error, until a site admin retries it (a fresh copy is queued and the failed row
goes, in one transaction) or it is pruned.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from docket.accounts.access import assert_site_admin
from docket.accounts.actor import Who
from docket.audit.log import record as audit
from docket.core.errors import NotFound

MAX_LISTED = 200


def failed_jobs(actor: Who) -> QuerySet[DBTaskResult]:
    assert_site_admin(actor)
    return DBTaskResult.objects.failed().order_by("-finished_at")


def job_counts(actor: Who) -> dict[str, int]:
    assert_site_admin(actor)
    return {
        status.lower(): DBTaskResult.objects.filter(status=status).count()
        for status in (TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED)
    }


@transaction.atomic
def retry_job(actor: Who, job_id: str) -> DBTaskResult:
    """Queue a failed job again (a fresh copy, run as soon as a worker is free)."""
    assert_site_admin(actor)
    job = DBTaskResult.objects.failed().select_for_update().filter(id=job_id).first()
    if job is None:
        raise NotFound(f"no failed job {job_id}")
    arguments = job.args_kwargs
    again = job.task.enqueue(*arguments["args"], **arguments["kwargs"])
    audit(actor, "job.retried", target=job.task_path, failed=str(job.id), queued=str(again.id))
    job.delete()
    return DBTaskResult.objects.get(id=again.id)
