"""One place to ask the time, so tests and importers can reason about it."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
