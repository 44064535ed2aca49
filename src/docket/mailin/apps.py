from __future__ import annotations

import datetime as dt

from django.apps import AppConfig

POLL_EVERY = dt.timedelta(minutes=1)


class MailinConfig(AppConfig):
    """Mail in: project addresses, the listener, the IMAP poller's sweep, the quarantine."""

    name = "docket.mailin"
    label = "mailin"

    def ready(self) -> None:
        from docket.mailin.imap import poll_all
        from docket.worker import sweeps

        sweeps.register(sweeps.Sweep("mailin.imap_poll", POLL_EVERY, poll_all))
