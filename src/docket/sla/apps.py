from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save

SWEEP_EVERY = dt.timedelta(seconds=1)  # a breach's step fires within a second of its moment


class SlaConfig(AppConfig):
    """SLA policies and clocks: a consumer of the issue event log (clocks replayed from
    events) and a sweep (escalation steps at their thresholds). docs/sla.md."""

    name = "docket.sla"
    label = "sla"

    def ready(self) -> None:
        from docket.projects.models import Project
        from docket.sla import consumer, engine
        from docket.worker import consumers, sweeps

        consumers.register(
            consumers.Consumer(consumer.NAME, consumer.handle, related=consumer.RELATED)
        )
        sweeps.register(sweeps.Sweep("sla.escalations", SWEEP_EVERY, engine.sweep))
        post_save.connect(_template_defaults, sender=Project, dispatch_uid="sla-defaults")


def _template_defaults(sender: type, instance: Any, created: bool, **kwargs: object) -> None:
    """A new project made from the support or incident template gets its default policies."""
    if created and not kwargs.get("raw"):
        from docket.sla.actions import add_defaults

        add_defaults(instance)
