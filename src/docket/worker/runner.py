"""The worker loop (`docket worker`): beat, hand new events to each consumer, run due sweeps,
run ready jobs; sleep only when there was nothing to do.

Several workers may run at once, on one machine or many: consumers lock their cursor per
batch, sweeps claim their period, jobs are claimed row by row (django-tasks-db, SKIP LOCKED
on PostgreSQL). A worker killed mid-job leaves the job RUNNING under its id; once its beat is
older than DOCKET_WORKER_STALE_SECONDS another worker hands the job back to the queue.

With DOCKET_JOBS_URL the jobs come from RQ on Redis instead (worker/redis_jobs.py: popped
atomically, run in this process); beat, consumers and sweeps stay in the database. Jobs still
in the database table from before the switch are moved to Redis (`move_database_jobs`). A
Redis that fails pauses the jobs only, with backoff, not the rest of the loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import time
import uuid
from types import FrameType
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import close_old_connections
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as JobRunner
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from docket.core.clock import now
from docket.worker import consumers, sweeps
from docket.worker.jobs import on_redis
from docket.worker.models import WorkerBeat

if TYPE_CHECKING:
    from docket.worker.redis_jobs import Runner as RedisRunner

log = logging.getLogger(__name__)

BEAT_SECONDS = 5
JOBS_PER_STEP = 20
CONSUMER_BACKOFF_MAX_SECONDS = 60


class Worker:
    def __init__(self, *, interval: float = 0.5, parent_pid: int | None = None):
        self.worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.interval = interval
        self.parent_pid = parent_pid
        self.running = True
        self.started_at = now()
        self.last_beat = 0.0
        self.events_dispatched = 0
        self.jobs_run = 0
        self._resting: dict[str, tuple[float, float]] = {}  # consumer -> (until, backoff)
        self._sweeps_due: dict[str, dt.datetime] = {}
        self._jobs = _job_runner(self.worker_id)
        self._redis = _redis_runner(self.worker_id)
        self._jobs_resting = (0.0, 0.0)  # Redis failed: (until, backoff)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("worker %s started", self.worker_id)
        try:
            while self.running and self._parent_alive():
                close_old_connections()
                if not self.step():
                    time.sleep(self.interval)
        finally:
            self.close()
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
            log.info("worker %s stopped", self.worker_id)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()

    def step(self) -> int:
        """One round of everything; how much work it found."""
        if time.monotonic() - self.last_beat >= BEAT_SECONDS:
            self.beat()
            requeue_abandoned_jobs()
        done = self.dispatch_events()
        done += sweeps.run_due(not_before=self._sweeps_due)
        done += self.run_jobs()
        return done

    def beat(self) -> None:
        moment = now()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": self.started_at,
                "beat_at": moment,
                "events_dispatched": self.events_dispatched,
                "jobs_run": self.jobs_run,
            },
        )
        self.last_beat = time.monotonic()

    def dispatch_events(self) -> int:
        handled = 0
        shared = consumers.SharedReads()
        for consumer in consumers.registered():
            until, backoff = self._resting.get(consumer.name, (0.0, 0.0))
            if time.monotonic() < until:
                continue
            try:
                handled += consumers.dispatch(consumer, shared=shared)
            except Exception:  # the batch rolled back; it is retried after a pause
                backoff = min(max(backoff * 2, 1.0), CONSUMER_BACKOFF_MAX_SECONDS)
                self._resting[consumer.name] = (time.monotonic() + backoff, backoff)
                log.exception("consumer %s failed; retrying in %.0f s", consumer.name, backoff)
            else:
                self._resting.pop(consumer.name, None)
        self.events_dispatched += handled
        return handled

    def run_jobs(self) -> int:
        if self._redis is not None:
            return self._run_redis_jobs(self._redis)
        ran = 0
        while ran < JOBS_PER_STEP and self.running:
            job = _claim_job(self.worker_id)
            if job is None:
                break
            self._jobs.run_task(job)
            ran += 1
            self._beat_if_due()  # a long run of jobs must not look like a dead worker
        self.jobs_run += ran
        return ran

    def _run_redis_jobs(self, redis: RedisRunner) -> int:
        from redis.exceptions import RedisError  # imported with this backend only (0.1 s)

        until, backoff = self._jobs_resting
        if time.monotonic() < until:
            return 0
        try:
            ran = move_database_jobs() + redis.run(JOBS_PER_STEP, keep_going=self._keep_going)
        except RedisError as exc:
            backoff = min(max(backoff * 2, 1.0), CONSUMER_BACKOFF_MAX_SECONDS)
            self._jobs_resting = (time.monotonic() + backoff, backoff)
            log.error("jobs on Redis: %s; trying again in %.0f s", exc, backoff)
            return 0
        self._jobs_resting = (0.0, 0.0)
        self.jobs_run += ran
        return ran

    def _keep_going(self) -> bool:
        self._beat_if_due()
        return self.running

    def _beat_if_due(self) -> None:
        if time.monotonic() - self.last_beat >= BEAT_SECONDS:
            self.beat()

    def _parent_alive(self) -> bool:
        """A worker started by `docket serve` ends with it, even after a kill -9."""
        return self.parent_pid is None or os.getppid() == self.parent_pid

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False  # finish the current step, then leave


def _job_runner(worker_id: str) -> JobRunner:
    return JobRunner(
        queue_names=["*"],
        interval=0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def _redis_runner(worker_id: str) -> RedisRunner | None:
    if not on_redis():
        return None
    from docket.worker.redis_jobs import Runner

    return Runner(worker_id)


def _claim_job(worker_id: str) -> DBTaskResult | None:
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    if not ready.exists():  # a plain read first: an idle queue takes no lock
        return None
    with exclusive_transaction(ready.db):
        job = ready.get_locked()
        if job is not None:
            job.claim(worker_id)
    return job


def stale_seconds() -> int:
    """How long a silent worker is presumed alive (DOCKET_WORKER_STALE_SECONDS)."""
    return int(settings.DOCKET_WORKER_STALE_SECONDS)


def live_workers() -> list[WorkerBeat]:
    cutoff = now() - dt.timedelta(seconds=stale_seconds())
    return list(WorkerBeat.objects.filter(beat_at__gte=cutoff).order_by("-beat_at"))


def requeue_abandoned_jobs() -> int:
    """Hand back jobs claimed by workers that stopped beating (killed mid-job)."""
    alive = {beat.worker_id for beat in live_workers()}
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, backend_name="default")
    abandoned = [
        job.id
        for job in running.only("id", "worker_ids", "started_at")
        if job.worker_ids and job.worker_ids[-1] not in alive and _old_enough(job)
    ]
    if abandoned:
        DBTaskResult.objects.filter(id__in=abandoned, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY
        )
        log.warning("handed back %d job(s) of stopped workers", len(abandoned))
    return len(abandoned)


def _old_enough(job: DBTaskResult) -> bool:
    """A job claimed moments ago by a worker that has not beaten yet is not abandoned."""
    started = job.started_at
    return started is None or (now() - started).total_seconds() > stale_seconds()


def move_database_jobs(limit: int = JOBS_PER_STEP) -> int:
    """With jobs on Redis: move jobs still waiting in the database table (queued before the
    switch, or by a server not switched yet; delayed ones keep their time) onto Redis, one row
    at a time: pushed, then deleted in the same transaction. A crash between the two leaves
    the row, so a job may be moved twice, never lost."""
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, backend_name="default")
    if not waiting.exists():  # a plain read first, as for claiming
        return 0
    moved = 0
    while moved < limit:
        with exclusive_transaction(waiting.db):
            job = waiting.get_locked()
            if job is None:
                break
            arguments = job.args_kwargs
            job.task.enqueue(*arguments["args"], **arguments["kwargs"])
            job.delete()
        moved += 1
    if moved:
        log.warning("moved %d job(s) from the database table to Redis", moved)
    return moved


def run_ready_jobs(limit: int = 1000) -> int:
    """Run queued jobs in this process until none is ready (`docket worker --once`, tests)."""
    if on_redis():
        from docket.worker.redis_jobs import Runner

        redis = Runner(f"inline-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            return move_database_jobs(limit) + redis.run(limit)
        finally:
            redis.close()
    runner = _job_runner(f"inline-{os.getpid()}")
    ran = 0
    while ran < limit:
        job = _claim_job(runner.worker_id)
        if job is None:
            break
        runner.run_task(job)
        ran += 1
    return ran
