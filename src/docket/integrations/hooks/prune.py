"""Keeping the delivery log bounded: finished deliveries (delivered, failed, withheld) older
than DOCKET_WEBHOOK_DELIVERIES_KEEP_DAYS are deleted by an hourly sweep, a batch at a time.
Deliveries still waiting stay whatever their age. (A deleted row cannot let an event be queued
again: the consumer never reads events that old.)"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from docket.integrations.hooks.models import Delivery

BATCH = 5000
MAX_BATCHES = 20  # one sweep deletes at most 100,000; the rest go in the next hour
FINISHED = (Delivery.Status.DELIVERED, Delivery.Status.FAILED, Delivery.Status.WITHHELD)


def prune_deliveries(moment: dt.datetime) -> int:
    """Delete finished deliveries past the retention; how many were deleted."""
    days = int(getattr(settings, "DOCKET_WEBHOOK_DELIVERIES_KEEP_DAYS", 30))
    old = Delivery.objects.filter(created_at__lt=moment - dt.timedelta(days=days))
    old = old.filter(status__in=FINISHED)
    deleted = 0
    for _ in range(MAX_BATCHES):
        ids = list(old.order_by("created_at").values_list("id", flat=True)[:BATCH])
        if not ids:
            break
        deleted += Delivery.objects.filter(id__in=ids).delete()[0]
    return deleted
