"""Retrying background jobs with exponential backoff.

Django's Tasks API runs a job once. A job that may meet a passing failure (a mail server
that is down) catches it and calls `retry_later`, which queues a fresh copy with the next
attempt number to run after 30 s, 1 min, 2 min, … (capped at an hour, with jitter so retries
of many jobs do not land together). After MAX_ATTEMPTS the job raises instead and stays
FAILED, visible to site admins (the admin site, `GET /api/v1/jobs`) with a retry action.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django_tasks.base import Task

from docket.core.clock import now

MAX_ATTEMPTS = 8
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 3600


def backoff(attempt: int) -> dt.timedelta:
    """How long to wait before attempt `attempt + 1`."""
    seconds = min(FIRST_DELAY_SECONDS * 2 ** (attempt - 1), MAX_DELAY_SECONDS)
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter


def retry_later(task: Task[Any, Any], attempt: int, *args: Any, **kwargs: Any) -> bool:
    """Queue attempt `attempt + 1` of `task` after its backoff; False when attempts are spent
    (the caller then raises, and the job stays FAILED)."""
    if attempt >= MAX_ATTEMPTS:
        return False
    task.using(run_after=now() + backoff(attempt)).enqueue(*args, attempt=attempt + 1, **kwargs)
    return True
