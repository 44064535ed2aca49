"""Clock state from the event log: replay an issue's events against its policy.

`replay` walks the events in id order and keeps, per metric, whether the clock runs (not
paused in a waiting state, not stopped by a first response or a done state, issue not
deleted), how much business time ran before the current run began, and when it stopped. The
result is a `Checkpoint`, stored on the Clock row; `derive` turns a checkpoint into the state
at any later moment without the events (the sweep's path), so only new events need a replay.

First response: the first comment, or the first change of assignee to somebody, by staff (a
project member or admin, or a site admin) other than the reporter. Creating an issue already
assigned does not count. Resolution: the issue reaches a state of the done category; a
reopening resumes the clock where it stopped (the time spent resolved is not counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from docket.issues.models import EventKind, IssueEvent
from docket.sla.calendar import Calendar
from docket.sla.models import Metric

AT_RISK_PERCENT = 75  # a clock at or past this share of its target is "at risk"
METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)


@dataclass(frozen=True)
class Rules:
    """What the replay needs to know of the policy and the project."""

    calendar: Calendar
    targets: dict[str, dt.timedelta]  # metric -> target for the issue's current priority
    pause_states: frozenset[str]  # lower-case state names
    done_states: frozenset[str]  # lower-case names of done-category states
    is_staff: Callable[[int | None], bool]
    reporter_id: int


@dataclass(frozen=True)
class Checkpoint:
    metric: str
    target: dt.timedelta
    elapsed: dt.timedelta  # business time before `running_since` (all of it when not running)
    running_since: dt.datetime | None
    paused: bool
    stopped_at: dt.datetime | None
    breached_at: dt.datetime | None  # when it passed its target, if it did before stopping


@dataclass(frozen=True)
class Reading:
    """A clock at a moment: what the issue page, the API and the summary show."""

    state: str  # running, paused, met, breached
    at_risk: bool
    elapsed: dt.timedelta
    remaining: dt.timedelta  # negative once breached
    deadline: dt.datetime | None  # while running


class _Run:
    def __init__(self, metric: str, target: dt.timedelta, calendar: Calendar):
        self.metric, self.target, self.calendar = metric, target, calendar
        self.elapsed = dt.timedelta()
        self.since: dt.datetime | None = None
        self.breached_at: dt.datetime | None = None

    def set(self, running: bool, moment: dt.datetime) -> None:
        if running and self.since is None:
            self.since = moment
        elif not running and self.since is not None:
            ran = self.calendar.elapsed(self.since, moment)
            if self.breached_at is None and self.elapsed + ran > self.target:
                self.breached_at = self.calendar.add(self.since, self.target - self.elapsed)
            self.elapsed += ran
            self.since = None


def replay(events: Iterable[IssueEvent], rules: Rules) -> list[Checkpoint]:
    """The checkpoints of the issue's clocks after `events` (all of them, in id order)."""
    runs = {m: _Run(m, t, rules.calendar) for m, t in rules.targets.items()}
    status = ""
    responded: dt.datetime | None = None
    done_since: dt.datetime | None = None
    deleted = False
    last: dt.datetime | None = None
    for event in events:
        moment = event.created_at
        last = moment
        if event.kind == EventKind.CREATED and isinstance(event.new, dict):
            status = str(event.new.get("status") or "").lower()
        elif event.kind == EventKind.CHANGED and event.field == "status":
            status = str(event.new or "").lower()
        elif event.kind == EventKind.DELETED:
            deleted = True
        elif event.kind == EventKind.RESTORED:
            deleted = False
        if responded is None and _responds(event, rules):
            responded = moment
        done_since = (done_since or moment) if status in rules.done_states else None
        paused = status in rules.pause_states
        for metric, run in runs.items():
            halted = responded if metric == Metric.FIRST_RESPONSE else done_since
            run.set(not (paused or halted or deleted), moment)
    if last is None:
        return []
    out = []
    paused = status in rules.pause_states or deleted
    for metric, run in runs.items():
        stopped = responded if metric == Metric.FIRST_RESPONSE else done_since
        out.append(
            Checkpoint(
                metric=metric, target=run.target, elapsed=run.elapsed, running_since=run.since,
                paused=run.since is None and stopped is None and paused,
                stopped_at=stopped if run.since is None else None, breached_at=run.breached_at,
            )
        )  # fmt: skip
    return out


def _responds(event: IssueEvent, rules: Rules) -> bool:
    if event.actor_id is None or event.actor_id == rules.reporter_id:
        return False
    if event.kind == EventKind.COMMENTED:  # an internal note is not an answer to the customer
        internal = event.comment is not None and event.comment.internal
        return not internal and rules.is_staff(event.actor_id)
    if event.kind == EventKind.CHANGED and event.field == "assignee" and event.new:
        return rules.is_staff(event.actor_id)
    return False


def elapsed_at(point: Checkpoint, calendar: Calendar, moment: dt.datetime) -> dt.timedelta:
    if point.running_since is None:
        return point.elapsed
    return point.elapsed + calendar.elapsed(point.running_since, moment)


def instant_of(point: Checkpoint, calendar: Calendar, share: float) -> dt.datetime | None:
    """When a running clock reaches `share` of its target (None when not running; its run's
    start when it had already reached it before)."""
    if point.running_since is None:
        return None
    wanted = point.target * share
    if point.elapsed >= wanted:
        return point.running_since
    return calendar.add(point.running_since, wanted - point.elapsed)


def read(point: Checkpoint, calendar: Calendar, moment: dt.datetime) -> Reading:
    elapsed = elapsed_at(point, calendar, moment)
    remaining = point.target - elapsed
    deadline = instant_of(point, calendar, 1.0)
    if elapsed > point.target or (point.running_since is not None and remaining <= dt.timedelta()):
        state = "breached"
    elif point.stopped_at is not None:
        state = "met"
    elif point.running_since is None:
        state = "paused"
    else:
        state = "running"
    at_risk = state in ("running", "paused") and elapsed >= point.target * AT_RISK_PERCENT / 100
    return Reading(state, at_risk, elapsed, remaining, deadline)


def next_fire(
    point: Checkpoint,
    calendar: Calendar,
    moment: dt.datetime,
    steps: Sequence[int],
    fired: set[int],
) -> dt.datetime | None:
    """The next moment the sweep must look at this clock: a step not yet fired (now, if the
    clock already passed it), or while running the at-risk mark or the deadline ahead."""
    elapsed = elapsed_at(point, calendar, moment)
    candidates = []
    for percent in steps:
        if percent in fired:
            continue
        if elapsed >= point.target * percent / 100:
            candidates.append(moment)
        else:
            when = instant_of(point, calendar, percent / 100)
            if when is not None:
                candidates.append(when)
    if point.running_since is not None:
        for percent in (AT_RISK_PERCENT, 100):
            when = instant_of(point, calendar, percent / 100)
            if when is not None and when > moment:
                candidates.append(when)
    return min(candidates, default=None)


def summarise(readings: Sequence[Reading]) -> tuple[dt.datetime | None, str]:
    """An issue's SLA summary: the nearest deadline of its running clocks, and its worst
    state (breached, at_risk, running, paused, met; "" without clocks)."""
    deadlines = [r.deadline for r in readings if r.state in ("running", "breached") and r.deadline]
    states = {r.state for r in readings}
    if "breached" in states:
        worst = "breached"
    elif any(r.at_risk for r in readings):
        worst = "at_risk"
    else:
        worst = next((s for s in ("running", "paused", "met") if s in states), "")
    return min(deadlines, default=None), worst
