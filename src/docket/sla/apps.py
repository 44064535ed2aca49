from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

SWEEP_EVERY = dt.timedelta(seconds=1)  # a breach's step fires within a second of its moment


class SlaConfig(AppConfig):
    """SLA policies and clocks: a consumer of the issue event log (clocks replayed from
    events) and a sweep (escalation steps at their thresholds). docs/sla.md."""

    name = "docket.sla"
    label = "sla"

    def ready(self) -> None:
        from docket.projects.models import Project, WorkflowState
        from docket.sla import consumer, engine
        from docket.worker import consumers, sweeps

        consumers.register(
            consumers.Consumer(consumer.NAME, consumer.handle, related=consumer.RELATED)
        )
        sweeps.register(sweeps.Sweep("sla.escalations", SWEEP_EVERY, engine.sweep))
        post_save.connect(_template_defaults, sender=Project, dispatch_uid="sla-defaults")
        post_save.connect(_state_changed, sender=WorkflowState, dispatch_uid="sla-state-saved")
        post_delete.connect(_state_changed, sender=WorkflowState, dispatch_uid="sla-state-gone")


def _template_defaults(sender: type, instance: Any, created: bool, **kwargs: object) -> None:
    """A new project made from the support or incident template gets its default policies."""
    if created and not kwargs.get("raw"):
        from docket.sla.actions import add_defaults

        add_defaults(instance)


def _state_changed(sender: type, instance: Any, **kwargs: object) -> None:
    """A state renamed, recategorised, marked waiting or removed changes when clocks pause
    and stop: replay the clocks of the projects on that workflow (a job; a new state, as when
    a project is made, changes nothing yet)."""
    if kwargs.get("created") or kwargs.get("raw"):
        return
    from docket.projects.models import Project
    from docket.sla.jobs import replay_later
    from docket.sla.models import Policy

    with_policies = Policy.objects.filter(project__workflow_id=instance.workflow_id)
    for project in Project.objects.filter(id__in=with_policies.values("project_id")):
        replay_later(project)
