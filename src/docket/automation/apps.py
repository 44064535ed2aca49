from __future__ import annotations

import datetime as dt

from django.apps import AppConfig

SWEEP_EVERY = dt.timedelta(minutes=1)
PRUNE_EVERY = dt.timedelta(hours=1)


class AutomationConfig(AppConfig):
    """Automation rules: a consumer of the issue event log (rules set off by changes) and a
    sweep (due soon / overdue, and rules on a schedule). docs/automation.md."""

    name = "docket.automation"
    label = "automation"

    def ready(self) -> None:
        from docket.automation import consumer, prune, sweep
        from docket.worker import consumers, sweeps

        consumers.register(
            consumers.Consumer(consumer.NAME, consumer.handle, related=consumer.RELATED)
        )
        sweeps.register(sweeps.Sweep("automation.sweep", SWEEP_EVERY, sweep.run))
        sweeps.register(sweeps.Sweep("automation.prune_runs", PRUNE_EVERY, prune.prune_runs))
