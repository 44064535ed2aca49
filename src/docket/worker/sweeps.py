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


def run_due(
    moment: dt.datetime | None = None, not_before: dict[str, dt.datetime] | None = None
) -> int:
    """Run every sweep whose period has passed; items handled in all. A worker passes its
    own `not_before` (when each sweep is next due, as far as it knows), so that while idle it
    does not ask the SweepRun table on every round."""
    moment = moment or now()
    known = {} if not_before is None else not_before
    handled = 0
    for sweep in registered():
        due = known.get(sweep.name)
        if due is not None and moment < due and due - moment <= sweep.every:  # not a jump back
            continue
        if claim(sweep, moment):
            known[sweep.name] = moment + sweep.every
            handled += sweep.run(moment)
        else:
            known[sweep.name] = _next_due(sweep, moment)
    return handled


def _next_due(sweep: Sweep, moment: dt.datetime) -> dt.datetime:
    """When another worker's claim of `sweep` runs out (now, if the row is gone)."""
    started = SweepRun.objects.filter(name=sweep.name).values_list("started_at", flat=True)
    last = started.first()
    return moment if last is None else last + sweep.every
