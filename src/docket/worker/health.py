"""The worker's health, for /healthz and `docket check`: is one beating, how far behind the
event log are the consumers, and (with jobs on Redis) does the job queue answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from docket.core.clock import now
from docket.worker import consumers
from docket.worker.jobs import on_redis
from docket.worker.models import WorkerBeat
from docket.worker.runner import stale_seconds

LAG_WARN_SECONDS = 60


def worker_health() -> tuple[dict[str, Any], list[str]]:
    """What /healthz shows of the worker, and the problems to report (none when healthy)."""
    newest = WorkerBeat.objects.order_by("-beat_at").first()
    beat_age = None if newest is None else round((now() - newest.beat_at).total_seconds(), 1)
    pending, oldest_age = consumers.lag()
    state = {
        "last_beat_seconds_ago": beat_age,
        "events_pending": pending,
        "oldest_pending_seconds": None if oldest_age is None else round(oldest_age, 1),
        "jobs_backend": "redis" if on_redis() else "database",
    }
    problems = job_queue_problems()
    if settings.DOCKET_HEALTH_REQUIRES_WORKER and (beat_age is None or beat_age > stale_seconds()):
        silent = "ever" if beat_age is None else f"for {beat_age:.0f} s"
        problems.append(f"no worker has reported {silent}: notifications and mail wait")
    if oldest_age is not None and oldest_age > LAG_WARN_SECONDS:
        problems.append(f"{pending} event(s) wait for the worker, the oldest {oldest_age:.0f} s")
    return state, problems


def job_queue_problems() -> list[str]:
    """With jobs on Redis: why it cannot take or hand out jobs now (down, refusing us)."""
    if not on_redis():
        return []
    from docket.worker import redis_jobs

    return redis_jobs.problems()
