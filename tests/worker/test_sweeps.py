"""Periodic sweeps run once per period across all workers, from stored state."""

from __future__ import annotations

import datetime as dt

from docket.core.clock import now
from docket.worker import sweeps
from docket.worker.sweeps import Sweep, claim

HOURLY = Sweep("test-hourly", dt.timedelta(hours=1), lambda moment: 0)


def test_a_sweep_is_claimed_once_per_period_whoever_asks(db):
    start = now()
    assert claim(HOURLY, start)
    assert not claim(HOURLY, start)  # a second worker, the same moment
    assert not claim(HOURLY, start + dt.timedelta(minutes=59))
    assert claim(HOURLY, start + dt.timedelta(hours=1))
    assert not claim(HOURLY, start + dt.timedelta(hours=1, seconds=1))


def test_run_due_runs_each_registered_sweep_when_its_period_has_passed(db):
    runs: list[dt.datetime] = []
    sweep = Sweep("test-counting", dt.timedelta(minutes=5), lambda m: runs.append(m) or 1)
    sweeps.register(sweep)
    try:
        start = now()
        sweeps.run_due(start)
        sweeps.run_due(start + dt.timedelta(minutes=1))
        sweeps.run_due(start + dt.timedelta(minutes=6))
    finally:
        sweeps.unregister(sweep.name)
    assert runs == [start, start + dt.timedelta(minutes=6)]
