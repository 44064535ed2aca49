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


def test_a_worker_asks_nothing_until_a_sweep_is_due_and_asks_after_a_clock_jump_back(
    db, django_assert_num_queries, monkeypatch
):
    runs: list[dt.datetime] = []
    sweep = Sweep("test-quiet", dt.timedelta(minutes=5), lambda m: runs.append(m) or 1)
    monkeypatch.setattr(sweeps, "registered", lambda: [sweep])  # this sweep alone
    known: dict[str, dt.datetime] = {}
    start = now()
    sweeps.run_due(start, known)
    with django_assert_num_queries(0):
        sweeps.run_due(start + dt.timedelta(minutes=1), known)
    sweeps.run_due(start + dt.timedelta(minutes=5), known)
    sweeps.run_due(start - dt.timedelta(hours=1), known)  # the clock was set back
    assert runs == [start, start + dt.timedelta(minutes=5)]
    assert known["test-quiet"] == start + dt.timedelta(minutes=10)  # asked, and told to wait
