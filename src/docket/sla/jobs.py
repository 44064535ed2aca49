"""Background work of the SLA app: replaying a whole project's clocks.

A policy or a workflow state changes what every open issue of the project owes, and replaying
them all can take seconds on a big project, so the change queues this job instead of doing it
in the request. Queued in the change's transaction (database jobs commit with it); the job
replays from the event log, so running it twice is harmless."""

from __future__ import annotations

from django_tasks import task

from docket.core.clock import now
from docket.projects.models import Project
from docket.sla import engine


def replay_later(project: Project) -> None:
    """Queue a replay of the project's clocks (after a policy or workflow change)."""
    replay_project_clocks.enqueue(project.id)


@task()
def replay_project_clocks(project_id: int) -> int:
    """How many issues were replayed (none if the project is gone)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return 0
    return engine.recompute_project(project, now())
