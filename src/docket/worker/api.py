"""Background jobs over the API (site admins): what failed, and trying it again."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ninja import Router, Schema
from ninja.responses import Status

from docket.accounts.api_auth import ApiRequest
from docket.core.errors import NotFound
from docket.worker import jobs

router = Router(tags=["jobs"])


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


def _out(job: Any) -> JobOut:
    return JobOut(
        id=str(job.id),
        task=job.task_path,
        status=job.status.lower(),
        attempts=len(job.worker_ids),
        enqueued_at=job.enqueued_at,
        finished_at=job.finished_at,
        error=job.traceback.strip().splitlines()[-1] if job.traceback else "",
    )


@router.get("/jobs", response=JobsOut, summary="Background jobs: counts, and those that failed")
def list_jobs(request: ApiRequest) -> Any:
    failed = jobs.failed_jobs(request.auth)[: jobs.MAX_LISTED]
    return JobsOut(counts=jobs.job_counts(request.auth), failed=[_out(job) for job in failed])


@router.post("/jobs/{job_id}/retry", response={201: JobOut}, summary="Queue a failed job again")
def retry_job(request: ApiRequest, job_id: str) -> Any:
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise NotFound(f"no failed job {job_id}") from None
    return Status(201, _out(jobs.retry_job(request.auth, job_id)))
