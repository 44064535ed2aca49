"""Background jobs on Redis (DOCKET_JOBS_URL): what Docket's worker, admin page, API and health
check need of RQ, where django-tasks-rq queues the jobs. Imported only with that backend.

Running them (`Runner`): `docket worker` stays one process doing everything. Each round,
beside its database-based beat, consumers and sweeps, it lets RQ's scheduler move delayed jobs
that are due (`run_after`: retries with backoff) onto the queue — under RQ's scheduler lock,
so one worker at a time does it — then pops ready jobs and runs them in-process with RQ's
SimpleWorker (no fork per job). A pop is atomic in Redis (LMOVE), so any number of workers
share the queue.

A worker killed mid-job leaves its job in RQ's StartedJobRegistry until the job's lease ends
(DOCKET_JOB_TIMEOUT_SECONDS plus a minute); RQ's registry cleanup, which a Docket worker runs
every MAINTENANCE_SECONDS under RQ's maintenance lock, then fails it with AbandonedJobError
into the FailedJobRegistry, and Docket hands it back to the queue (at most MAX_HAND_BACKS
times: a job that keeps killing its worker stays failed, listed for site admins). Failed jobs
are kept for a year (RQ's failure TTL).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import django_rq
from django_tasks import task_backends
from django_tasks.base import TaskResult
from django_tasks_rq import Job as TaskJob
from django_tasks_rq.backend import RQ_STATUS_TO_RESULT_STATUS
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import AbandonedJobError, InvalidJobOperation, NoSuchJobError
from rq.results import Result
from rq.scheduler import RQScheduler
from rq.worker import WorkerStatus

from docket.core.clock import now
from docket.worker.jobs import JobInfo, last_line

log = logging.getLogger(__name__)

MAINTENANCE_SECONDS = 30  # registry cleanup (abandoned jobs) by some worker this often
HEARTBEAT_SECONDS = 30  # RQ's own worker record (`rq info`); it expires after 8 min
MAX_HAND_BACKS = 3
HANDED_BACK = "docket_handed_back"  # in job.meta: how often it was handed back
SOCKET_TIMEOUT_SECONDS = 5  # the worker's own connection: it never blocks on a pop


def queue_names() -> list[str]:
    return sorted(task_backends["default"].queues)


def connect() -> Redis:
    """A new client for the jobs' Redis (RQ_QUEUES: DOCKET_JOBS_URL with its timeouts)."""
    return django_rq.get_connection(queue_names()[0])


@contextmanager
def connection() -> Iterator[Redis]:
    client = connect()
    try:
        yield client
    finally:
        client.close()


def queues(client: Redis) -> list[Queue]:
    return [
        django_rq.get_queue(name, connection=client, job_class=TaskJob) for name in queue_names()
    ]


class Runner:
    """Runs RQ jobs inside Docket's worker loop, as one RQ worker named like the Docket one."""

    def __init__(self, name: str):
        self.name = name
        self._worker: SimpleWorker | None = None
        self._scheduler: RQScheduler | None = None
        self._last_heartbeat = 0.0
        self._abandoned: list[str] = []

    def run(self, limit: int, keep_going: Callable[[], bool] = lambda: True) -> int:
        """Move due delayed jobs to the queue, then run up to `limit` ready jobs; how many ran.
        Raises RedisError when Redis fails (the worker then rests and tries again)."""
        try:
            worker = self._ready()
            if time.monotonic() - self._last_heartbeat >= HEARTBEAT_SECONDS:
                worker.heartbeat()
                self._last_heartbeat = time.monotonic()
            if worker.should_run_maintenance_tasks:
                self.maintain()
            self._enqueue_due()
            ran = 0
            while ran < limit and keep_going():
                popped = worker.queue_class.dequeue_any(
                    worker.queues,
                    None,  # never block: the worker loop has other work
                    connection=worker.connection,
                    job_class=TaskJob,
                    serializer=worker.serializer,
                )
                if popped is None:
                    break
                job, queue = popped
                worker.execute_job(job, queue)
                ran += 1
            return ran
        except RedisError:
            self._worker = None  # a fresh connection and registration next time
            raise

    def maintain(self) -> int:
        """RQ's registry cleanup (abandoned jobs go to the failed registry), then hand the
        abandoned ones back to the queue; how many were handed back."""
        worker = self._ready()
        self._abandoned.clear()
        worker.run_maintenance_tasks()
        handed = sum(_hand_back(worker.connection, job_id) for job_id in self._abandoned)
        self._abandoned.clear()
        return handed

    def close(self) -> None:
        if self._worker is not None:
            with contextlib.suppress(RedisError):  # else its record expires by itself
                self._worker.register_death()
            self._worker.connection.close()
            self._worker = None

    def _ready(self) -> SimpleWorker:
        if self._worker is None:
            client = connect()
            on = queues(client)
            worker = SimpleWorker(
                on,
                name=self.name,
                connection=client,
                job_class=TaskJob,
                queue_class=type(on[0]),
                maintenance_interval=MAINTENANCE_SECONDS,
                exception_handlers=[self._note_abandoned],
            )
            # RQ lengthens the socket timeout for its blocking pops; this worker never blocks,
            # and a hung Redis must not stall the consumers and sweeps for minutes.
            client.connection_pool.connection_kwargs["socket_timeout"] = SOCKET_TIMEOUT_SECONDS
            with contextlib.suppress(ValueError):  # registered before a Redis hiccup: it is us
                worker.register_birth()
            worker.set_state(WorkerStatus.IDLE)  # for `rq info`
            self._scheduler = RQScheduler(
                on,
                connection=client,
                name=self.name,
                logging_level=logging.WARNING,
                serializer=worker.serializer,
            )
            self._worker = worker
            self._last_heartbeat = time.monotonic()
        return self._worker

    def _enqueue_due(self) -> None:
        """RQ's scheduler, one step (as RQ's own burst mode does it): under its lock, move
        delayed jobs that are due onto their queue. Another worker holding the lock does it."""
        scheduler = self._scheduler
        assert scheduler is not None
        if not scheduler.acquire_locks():
            return
        try:
            scheduler.enqueue_scheduled_jobs()
        finally:
            scheduler.release_locks()

    def _note_abandoned(self, job: TaskJob, kind: type, value: Any, traceback: Any) -> None:
        if kind is AbandonedJobError:
            self._abandoned.append(job.id)


def _hand_back(client: Redis, job_id: str) -> bool:
    try:
        job = TaskJob.fetch(job_id, connection=client)
    except NoSuchJobError:
        return False
    times = int(job.meta.get(HANDED_BACK, 0))
    if times >= MAX_HAND_BACKS:
        log.error("job %s (%s) was abandoned %d times; kept failed", job.id, job.func_name, times)
        return False
    job.meta[HANDED_BACK] = times + 1
    job.save_meta()
    try:
        Queue(job.origin, connection=client, job_class=TaskJob).failed_job_registry.requeue(job)
    except InvalidJobOperation:
        return False  # someone retried it already
    log.warning("handed back job %s (%s) of a stopped worker", job.id, job.func_name)
    return True


def counts() -> dict[str, int]:
    totals = {"ready": 0, "running": 0, "failed": 0}
    with connection() as client:
        for queue in queues(client):
            delayed = queue.scheduled_job_registry.get_job_count(cleanup=False)
            totals["ready"] += queue.count + delayed
            totals["running"] += queue.started_job_registry.get_job_count(cleanup=False)
            totals["failed"] += queue.failed_job_registry.get_job_count()
    return totals


def failed(limit: int) -> list[JobInfo]:
    found: list[JobInfo] = []
    with connection() as client:
        for queue in queues(client):
            ids = queue.failed_job_registry.get_job_ids(0, limit - 1, desc=True)
            jobs = TaskJob.fetch_many(ids, connection=client)
            found += [_info(cast(TaskJob, job)) for job in jobs if job is not None]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda job: job.finished_at or oldest, reverse=True)
    return found[:limit]


def retry(job_id: str) -> JobInfo | None:
    """Queue a fresh copy of failed job `job_id` and delete the failed one; None when there
    is no such failed job (or another admin just retried it)."""
    with connection() as client:
        for queue in queues(client):
            registry = queue.failed_job_registry
            score = client.zscore(registry.key, job_id)
            if score is None:
                continue
            try:
                job = TaskJob.fetch(job_id, connection=client)
            except NoSuchJobError:
                registry.remove(job_id)
                return None
            if not client.zrem(registry.key, job_id):
                return None  # another retry took it first
            try:
                queued = job.func.enqueue(*job.args, **job.kwargs)
            except BaseException:
                client.zadd(registry.key, {job_id: score})  # still failed, still listed
                raise
            job.delete()
            return queued_info(queued)
    return None


def problems() -> list[str]:
    """Why jobs cannot be queued or run right now (Redis down), for /healthz and `docket check`."""
    try:
        with connection() as client:
            client.ping()
    except RedisError as exc:
        return [f"the job queue on Redis does not answer ({str(exc)[:200]}): mail and jobs wait"]
    return []


def _info(job: TaskJob) -> JobInfo:
    results = job.results()  # newest first
    latest = results[0] if results else None
    error = latest.exc_string if latest is not None and latest.type == Result.Type.FAILED else ""
    status = RQ_STATUS_TO_RESULT_STATUS[job.get_status(refresh=False)]
    return JobInfo(
        id=job.id,
        task=job.func_name or "",
        status=status.lower(),
        attempts=len(results),
        enqueued_at=job.enqueued_at or job.created_at,
        finished_at=job.ended_at or (latest.created_at if latest is not None else None),
        error=last_line(error),
    )


def queued_info(queued: TaskResult[Any]) -> JobInfo:
    return JobInfo(
        id=queued.id,
        task=queued.task.module_path,
        status=queued.status.lower(),
        attempts=0,
        enqueued_at=queued.enqueued_at or now(),
        finished_at=None,
        error="",
    )
