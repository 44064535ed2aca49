from __future__ import annotations

import datetime as dt

from django.apps import AppConfig

SEND_EVERY = dt.timedelta(seconds=1)
PRUNE_EVERY = dt.timedelta(hours=1)


class HooksConfig(AppConfig):
    """Outbound webhooks and chat channels: a consumer of the issue event log (queues a
    delivery per hook and event) and a sweep that sends what is due. docs/integrations.md."""

    name = "docket.integrations.hooks"
    label = "integrations_hooks"

    def ready(self) -> None:
        from docket.integrations.hooks import consumer, prune, sender
        from docket.worker import consumers, sweeps

        consumers.register(
            consumers.Consumer(consumer.NAME, consumer.handle, related=consumer.RELATED)
        )
        sweeps.register(sweeps.Sweep("hooks.deliver", SEND_EVERY, sender.send_due))
        sweeps.register(sweeps.Sweep("hooks.prune", PRUNE_EVERY, prune.prune_deliveries))
