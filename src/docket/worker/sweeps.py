"""Periodic sweeps: work that is due by the clock (due-date reminders; SLA timers later).

A sweep reads stored deadlines through an index; nothing is held in memory between runs, so a
restarted worker misses nothing. Each sweep runs at most once per period across all workers:
a worker claims the period with one conditional UPDATE of the sweep's SweepRun row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from docket.core.clock import now
from docket.worker.models import SweepRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime], int]  # given the time it runs for; returns items handled


_sweeps: dict[str, Sweep] = {}


def register(sweep: Sweep) -> None:
    _sweeps[sweep.name] = sweep


def unregister(name: str) -> None:
    _sweeps.pop(name, None)


def registered() -> list[Sweep]:
    return list(_sweeps.values())


def claim(sweep: Sweep, moment: dt.datetime) -> bool:
    """True if this worker may run `sweep` now: its period has passed and nobody else took it."""
    taken = SweepRun.objects.filter(name=sweep.name, started_at__lte=moment - sweep.every).update(
        started_at=moment
    )
    if taken:
        return True
    if SweepRun.objects.filter(name=sweep.name).exists():
        return False
    try:
        with transaction.atomic():
            SweepRun.objects.create(name=sweep.name, started_at=moment)
    except IntegrityError:  # another worker made it first: theirs this period
        return False
    return True


def run_due(moment: dt.datetime | None = None) -> int:
    """Run every sweep whose period has passed; items handled in all."""
    moment = moment or now()
    handled = 0
    for sweep in registered():
        if claim(sweep, moment):
            handled += sweep.run(moment)
    return handled
