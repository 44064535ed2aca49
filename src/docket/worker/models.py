"""The worker's own state: where each consumer is in the event log, which sweeps ran when,
and which worker processes are alive."""

from __future__ import annotations

from django.db import models


class ConsumerCursor(models.Model):
    """How far one consumer has read the issue event log (by event id). Advanced in the same
    transaction as the consumer's own writes, so a crash neither skips nor repeats work."""

    name = models.CharField(max_length=50, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at event {self.last_event_id}"


class SweepRun(models.Model):
    """When a periodic sweep last started: the row is claimed with a conditional update, so
    several workers run each sweep once per period between them."""

    name = models.CharField(max_length=50, primary_key=True)
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.started_at:%Y-%m-%d %H:%M:%S}"


class WorkerBeat(models.Model):
    """A worker process's heartbeat. A worker silent for DOCKET_WORKER_STALE_SECONDS is presumed
    dead: the jobs it had claimed are handed back, and /healthz reports it."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    events_dispatched = models.BigIntegerField(default=0)
    jobs_run = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.host}:{self.pid})"


class RedisJob(models.Model):
    """No table: the admin site's entry for the jobs on Redis when DOCKET_JOBS_URL is set
    (worker/admin.py lists the failed ones from RQ, with a retry button each)."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "failed job on Redis"
        verbose_name_plural = "failed jobs on Redis"

    def __str__(self) -> str:
        return "failed jobs on Redis"
