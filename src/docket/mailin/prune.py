"""The mail log keeps an ignored message's bytes (auto-reply, bounce) for
DOCKET_MAIL_LOG_KEEP_DAYS, so an admin can see why something did not arrive; then the bytes go
and the log line stays. Quarantined messages keep theirs until an admin decides."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from docket.mailin.models import Inbound

BATCH = 1000


def prune_ignored(moment: dt.datetime) -> int:
    """Clear the bytes of ignored messages older than the keep period; how many."""
    before = moment - dt.timedelta(days=settings.DOCKET_MAIL_LOG_KEEP_DAYS)
    ids = list(
        Inbound.objects.filter(outcome=Inbound.Outcome.IGNORED, received_at__lt=before)
        .exclude(raw=b"")
        .values_list("id", flat=True)[:BATCH]
    )
    return Inbound.objects.filter(id__in=ids).update(raw=b"")
