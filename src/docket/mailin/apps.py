from __future__ import annotations

import datetime as dt

from django.apps import AppConfig

POLL_EVERY = dt.timedelta(minutes=1)
PRUNE_EVERY = dt.timedelta(hours=1)


class MailinConfig(AppConfig):
    """Mail in: project addresses, the listener, the IMAP poller's sweep, the quarantine."""

    name = "docket.mailin"
    label = "mailin"

    def ready(self) -> None:
        from docket.mailin.imap import poll_all
        from docket.mailin.prune import prune_ignored
        from docket.worker import sweeps

        sweeps.register(sweeps.Sweep("mailin.imap_poll", POLL_EVERY, poll_all))
        sweeps.register(sweeps.Sweep("mailin.prune_ignored", PRUNE_EVERY, prune_ignored))
        self._tell_replies_to_contacts()

    def _tell_replies_to_contacts(self) -> None:
        """The project addresses and received Message-IDs, for notifications' replies to
        external contacts (issues/mail_links.py: the two apps may not import each other)."""
        from docket.issues import mail_links
        from docket.mailin.links import LINKS

        mail_links.provide(LINKS)
