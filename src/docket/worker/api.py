"""Background jobs over the API (site admins): what failed, and trying it again. The same
answers whichever backend holds the jobs (database or Redis: worker/jobs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

from ninja import Router, Schema
from ninja.responses import Status

from docket.accounts.api_auth import ApiRequest
from docket.core.errors import DocketError
from docket.worker import jobs

router = Router(tags=["jobs"])


class JobQueueDown(DocketError):
    status = 503
    title = "Job queue unavailable"


@contextmanager
def _redis_answers() -> Iterator[None]:
    """With jobs on Redis, a Redis that does not answer is a 503 that says so, not a 500."""
    if not jobs.on_redis():
        yield
        return
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as exc:
        raise JobQueueDown(f"the job queue on Redis does not answer: {str(exc)[:200]}") from exc


class JobOut(Schema):
    id: str
    task: str
    status: str
    attempts: int
    enqueued_at: datetime
    finished_at: datetime | None
    error: str


class JobsOut(Schema):
    counts: dict[str, int]
    failed: list[JobOut]


def _out(job: jobs.JobInfo) -> JobOut:
    return JobOut(**asdict(job))


@router.get("/jobs", response=JobsOut, summary="Background jobs: counts, and those that failed")
def list_jobs(request: ApiRequest) -> Any:
    with _redis_answers():
        failed = jobs.failed_jobs(request.auth, jobs.MAX_LISTED)
        counts = jobs.job_counts(request.auth)
    return JobsOut(counts=counts, failed=[_out(job) for job in failed])


@router.post("/jobs/{job_id}/retry", response={201: JobOut}, summary="Queue a failed job again")
def retry_job(request: ApiRequest, job_id: str) -> Any:
    with _redis_answers():
        queued = jobs.retry_job(request.auth, job_id)
    return Status(201, _out(queued))
