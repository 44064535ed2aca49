"""The dashboard's widgets. Each is one or two GROUP BY queries over the scope's issues (the
gate already applied, see scope.py); Python only folds the few grouped rows (days into
weeks, buckets into percentiles), never loops over the event log."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)

from docket.accounts.models import User
from docket.issues.fields import PRIORITY_NAMES, SEVERITY_NAMES
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.models import Milestone, WorkflowState
from docket.reports import rolled
from docket.reports.scope import Scope

DONE = WorkflowState.Category.DONE
IN_PROGRESS = WorkflowState.Category.IN_PROGRESS
AGE_BUCKETS = [(0, 1, "< 1 day"), (1, 7, "1–7 days"), (7, 30, "1–4 weeks"),
               (30, 90, "1–3 months"), (90, None, "> 3 months")]  # fmt: skip
TIME_BUCKETS = [(0, 1, "< 1 d"), (1, 3, "1–3 d"), (3, 7, "3–7 d"), (7, 14, "1–2 w"),
                (14, 30, "2–4 w"), (30, 90, "1–3 mo"), (90, None, "> 3 mo")]  # fmt: skip
DURATION_WINDOW_DAYS = 90  # cycle and lead time: issues resolved in the last 90 days,
DURATION_SAMPLE = 2000  # the latest 2,000 of them (a percentile needs no more)
OVERDUE_LISTED = 10
BURNDOWN_MAX_DAYS = 120
SLA_FEW = 2000  # issues with an SLA state read by id
BURNDOWN_DEFAULT_DAYS = 30  # a milestone without a start date: its last 30 days
MOST_SHOWN = 15  # rows a page draws of a bar chart; its CSV has them all


@dataclass
class Widget:
    """One widget: its table (also its CSV) and how to draw it. `series` names the value
    columns drawn (all after the first when empty); `summary` is text shown above the chart."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: str  # "bars" (one value per label), "lines" (series over time), "columns", "table"
    summary: list[str] = field(default_factory=list)
    note: str = ""


def top(widget: Widget, limit: int = MOST_SHOWN) -> Widget:
    """The widget as a page shows it: a bar chart's `limit` largest rows (the builders sort
    them most first), and a line saying what the rest add up to. A bar per person of a
    site with 2,000 assignees drew a chart 48,000 pixels tall into a 1 MB page."""
    if widget.chart != "bars" or len(widget.rows) <= limit:
        return widget
    rest = widget.rows[limit:]
    return _noted(widget, limit, len(rest), sum(row[1] or 0 for row in rest))


def _noted(widget: Widget, limit: int, left_out: int, left_out_total: int) -> Widget:
    """The widget cut to its first `limit` rows, saying what the `left_out` rows add up to."""
    note = (
        f"The {limit} largest of {limit + left_out:,} shown; the other {left_out:,} add up "
        f"to {left_out_total:,} {widget.columns[1]}. The CSV has every row."
    )
    return replace(widget, rows=widget.rows[:limit], summary=[*widget.summary, note])


def _done_states() -> list[int]:
    return list(WorkflowState.objects.filter(category=DONE).values_list("id", flat=True))


def _open(issues: QuerySet[Issue]) -> QuerySet[Issue]:
    """Not in a done state: by state id, so the scan joins no other table."""
    return issues.exclude(status_id__in=_done_states())


CUBE = ("status_id", "priority", "severity", "assignee_id", "age", "late")


def _age_bucket(now: dt.datetime) -> Case:
    """Which AGE_BUCKETS entry an issue's age falls in (its index)."""
    whens = [
        When(created_at__gt=now - dt.timedelta(days=high), then=Value(i))
        for i, (_, high, _) in enumerate(AGE_BUCKETS)
        if high is not None
    ]
    return Case(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField())


def open_cube(scope: Scope, now: dt.datetime) -> list[dict[str, Any]]:
    """Open issues counted by status, priority, severity, assignee, age bucket and overdue
    together (with their estimate total once issues have estimates): one scan serves the
    four "open by" widgets, ageing, the overdue count and the workload (counted directly;
    `open_counts` reads the roll-ups when the scope has them)."""
    if "open" not in scope.shared:
        late = Case(When(due_date__lt=now.date(), then=Value(1)), default=Value(0))
        sums: dict[str, Any] = {"n": Count("id")}
        estimate = _estimate_column()
        if estimate:
            sums["estimate"] = Sum(estimate)
        rows = (
            _open(scope.issues)
            .annotate(age=_age_bucket(now), late=late)
            .values(*CUBE)
            .annotate(**sums)
            .order_by()
        )
        scope.shared["open"] = _named(list(rows))
    cube: list[dict[str, Any]] = scope.shared["open"]
    return cube


def _named(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cube's state and assignee ids as names (two small lookups, not two joins)."""
    states = dict(
        WorkflowState.objects.filter(id__in={r["status_id"] for r in rows}).values_list(
            "id", "name"
        )
    )
    people = dict(
        User.objects.filter(id__in={r["assignee_id"] for r in rows} - {None}).values_list(
            "id", "username"
        )
    )
    for row in rows:
        row["status__name"] = states[row["status_id"]]
        row["assignee__username"] = people.get(row["assignee_id"])
    return rows


def _summed(cube: list[dict[str, Any]], column: str, value: str = "n") -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for row in cube:
        counts[row[column]] = counts.get(row[column], 0) + (row.get(value) or 0)
    return counts


NAMED = {"status__name": ("status_id", WorkflowState, "name"),
         "assignee__username": ("assignee_id", User, "username")}  # fmt: skip


def open_counts(scope: Scope, now: dt.datetime, column: str, value: str = "n") -> dict[Any, int]:
    """Open issues (or, with value="estimate", their estimate minutes) per value of one of
    the cube's columns (a status or assignee by name or id): from the roll-ups' per-field
    tallies when the scope has them, else summed from `open_cube`. By name, two states of
    different workflows may share one: summed, as the cube's rows are."""
    if scope.rollup is None:
        return _summed(open_cube(scope, now), column, value)
    if "open_totals" not in scope.shared:
        scope.shared["open_totals"] = rolled.open_totals(scope.rollup)
    totals: dict[tuple[str, str], dict[Any, int]] = scope.shared["open_totals"]
    if column not in NAMED:
        return dict(totals.get((column, value), {}))
    by_id, model, attribute = NAMED[column]
    if f"names {column}" not in scope.shared:  # looked up once, and only when asked for
        ids = set(totals.get((by_id, "n"), {})) - {None}
        found = model._default_manager.filter(id__in=ids).values_list("id", attribute)
        scope.shared[f"names {column}"] = dict(found)
    return _by_name(totals.get((by_id, value), {}), scope.shared[f"names {column}"])


def _by_name(by_id: dict[Any, int], names: dict[Any, str]) -> dict[Any, int]:
    into: dict[Any, int] = {}
    for key, amount in by_id.items():
        name = names.get(key) if key is not None else None
        into[name] = into.get(name, 0) + amount
    return into


def _most_first(counts: dict[Any, int]) -> list[tuple[Any, int]]:
    """Most first, then by name with "none" first: the same order on both databases."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is not None, str(kv[0])))


@dataclass
class _People:
    """Open issues per assignee by name, most first (None: unassigned): every one, or the
    `most` largest with how many were left out and what they hold; and, when asked, their
    estimates' minutes by name."""

    ranked: list[tuple[str | None, int]]
    left_out: int = 0
    left_out_total: int = 0
    minutes: dict[str | None, int] = field(default_factory=dict)


def _ranked_people(
    scope: Scope, now: dt.datetime, most: int | None, *, assigned: bool = False,
    estimate: bool = False,
) -> _People:  # fmt: skip
    """With the roll-ups and a limit, only the `most` largest, and only the people who can
    make the cut are looked up by name: at 1M issues a dashboard over 29 projects had 2,138
    assignees, and naming them all was the page's slowest query. Otherwise everyone (the
    cube has their names already). `assigned`: leave out the unassigned."""
    if scope.rollup is not None and most is not None:
        by_id = open_counts(scope, now, "assignee_id")
        if assigned:
            by_id.pop(None, None)
        if len(by_id) > most:
            cut = sorted(by_id.values(), reverse=True)[most - 1]
            near = {i for i, n in by_id.items() if n >= cut}  # ties at the cut go by name
            users = User.objects.filter(id__in=near - {None})
            names = dict(users.values_list("id", "username"))
            ranked = _most_first(_by_name({i: by_id[i] for i in near}, names))[:most]
            held = sum(by_id.values()) - sum(n for _name, n in ranked)
            minutes = open_counts(scope, now, "assignee_id", "estimate") if estimate else {}
            return _People(ranked, len(by_id) - most, held, _by_name(minutes, names))
    counts = open_counts(scope, now, "assignee__username")  # everyone: a page cuts with top()
    if assigned:
        counts.pop(None, None)
    minutes = open_counts(scope, now, "assignee__username", "estimate") if estimate else {}
    return _People(_most_first(counts), minutes=minutes)


def _people_widget(widget: Widget, people: _People) -> Widget:
    if not people.left_out:
        return widget
    return _noted(widget, len(widget.rows), people.left_out, people.left_out_total)


def _grouped(scope: Scope, now: dt.datetime, column: str) -> list[tuple[Any, int]]:
    return _most_first(open_counts(scope, now, column))


def open_by_status(scope: Scope, now: dt.datetime) -> Widget:
    rows = [[name, n] for name, n in _grouped(scope, now, "status__name")]
    return Widget("status", "Open issues by status", ["status", "open"], rows, "bars")


def open_by_priority(scope: Scope, now: dt.datetime) -> Widget:
    counts = dict(_grouped(scope, now, "priority"))
    rows = [[PRIORITY_NAMES[p], counts[p]] for p in sorted(counts, reverse=True)]
    return Widget("priority", "Open issues by priority", ["priority", "open"], rows, "bars")


def open_by_severity(scope: Scope, now: dt.datetime) -> Widget:
    counts = dict(_grouped(scope, now, "severity"))
    rows = [[SEVERITY_NAMES[s], counts[s]] for s in sorted(counts, reverse=True)]
    return Widget("severity", "Open issues by severity", ["severity", "open"], rows, "bars")


def open_by_assignee(scope: Scope, now: dt.datetime, most: int | None = None) -> Widget:
    """Every assignee, or the `most` largest and a line on the rest (a page's view)."""
    people = _ranked_people(scope, now, most)
    rows = [[name or "(unassigned)", n] for name, n in people.ranked]
    widget = Widget("assignee", "Open issues by assignee", ["assignee", "open"], rows, "bars")
    return _people_widget(widget, people)


def day_of(column: str) -> Func:
    """The UTC day of a timestamp column with the database's own DATE() (both SQLite and
    PostgreSQL have it; sessions are in UTC): Django's TruncDate is a Python function per
    row on SQLite, several times slower over 100,000 rows."""
    return Func(F(column), function="DATE", output_field=DateField())


def _per_day(issues: QuerySet[Issue], column: str, since: dt.datetime) -> dict[dt.date, int]:
    rows = (
        issues.filter(**{f"{column}__gte": since})
        .annotate(day=day_of(column))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _period_of(day: dt.date, weekly: bool) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if weekly else day


def _periods(today: dt.date, weekly: bool, count: int) -> list[dt.date]:
    step = 7 if weekly else 1
    last = _period_of(today, weekly)
    return [last - dt.timedelta(days=step * i) for i in reversed(range(count))]


def _fold(per_day: dict[dt.date, int], weekly: bool) -> dict[dt.date, int]:
    folded: dict[dt.date, int] = {}
    for day, n in per_day.items():
        key = _period_of(day, weekly)
        folded[key] = folded.get(key, 0) + n
    return folded


def created_vs_resolved(scope: Scope, today: dt.date, *, weekly: bool = False) -> Widget:
    periods = _periods(today, weekly, 12 if weekly else 30)
    since = _day_start(periods[0])
    if scope.rollup is not None:
        created = _fold(rolled.per_day(scope.rollup, "created", periods[0]), weekly)
        resolved = _fold(rolled.per_day(scope.rollup, "resolved", periods[0]), weekly)
    else:
        created = _fold(_per_day(scope.issues, "created_at", since), weekly)
        resolved = _fold(_per_day(scope.issues, "resolved_at", since), weekly)
    rows = [[p.isoformat(), created.get(p, 0), resolved.get(p, 0)] for p in periods]
    unit = "week" if weekly else "day"
    title = f"Created vs resolved per {unit}"
    return Widget("flow", title, [unit, "created", "resolved"], rows, "lines")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted `values` (non-empty)."""
    rank = max(1, -(-len(values) * pct // 100))
    return values[int(rank) - 1]


def _bucket_counts(days: list[float], buckets: Iterable[tuple[int, int | None, str]]) -> list[int]:
    """How many of `days` (sorted) fall in each [low, high) bucket: two bisections a bucket."""
    return [
        (len(days) if high is None else bisect_left(days, high)) - bisect_left(days, low)
        for low, high, _ in buckets
    ]


def _started_at(in_progress: list[str]) -> Subquery:
    """When the issue first moved into an in-progress state (a `changed` status event)."""
    into = Q()
    for name in in_progress:
        into |= Q(new=name.lower())  # events hold status names as the API shows them
    events = IssueEvent.objects.filter(
        into, issue=OuterRef("pk"), kind=EventKind.CHANGED, field="status"
    ).order_by("version")
    return Subquery(events.values("created_at")[:1], output_field=DateTimeField())


def _summary(label: str, days: list[float]) -> str:
    if not days:
        return f"{label}: no resolved issues"
    p50, p85, p95 = (percentile(days, p) for p in (50, 85, 95))
    return f"{label} (n={len(days)}): p50 {p50:.1f} d · p85 {p85:.1f} d · p95 {p95:.1f} d"


def _durations(scope: Scope, since: dt.datetime) -> tuple[list[float], list[float]]:
    in_progress = list(
        WorkflowState.objects.filter(category=IN_PROGRESS).values_list("name", flat=True).distinct()
    )
    done = scope.issues.filter(resolved_at__gte=since, status_id__in=_done_states())
    latest = done.order_by("-resolved_at", "-id")[:DURATION_SAMPLE]
    rows = latest.annotate(started=_started_at(in_progress)).values_list(
        "created_at", "started", "resolved_at"
    )
    day = 86400.0
    lead, cycle = [], []
    for created, started, resolved in rows:
        if resolved is None:
            continue
        lead.append((resolved - created).total_seconds() / day)
        if started is not None and started <= resolved:
            cycle.append((resolved - started).total_seconds() / day)
    return lead, cycle


def cycle_and_lead_time(scope: Scope, now: dt.datetime) -> Widget:
    """Lead time: created → resolved; cycle time: first move to an in-progress state →
    resolved (issues that never went through one have no cycle time)."""
    since = now - dt.timedelta(days=DURATION_WINDOW_DAYS)
    if scope.rollup is not None:
        lead, cycle = rolled.durations(scope.rollup, since, DURATION_SAMPLE)
    else:
        lead, cycle = _durations(scope, since)
    lead.sort()
    cycle.sort()
    cycles, leads = _bucket_counts(cycle, TIME_BUCKETS), _bucket_counts(lead, TIME_BUCKETS)
    table = [[b[2], c, lt] for b, c, lt in zip(TIME_BUCKETS, cycles, leads, strict=True)]
    summary = [_summary("Cycle time", cycle), _summary("Lead time", lead)]
    return Widget(
        "durations", f"Cycle and lead time (resolved in the last {DURATION_WINDOW_DAYS} days)",
        ["time", "cycle time", "lead time"], table, "columns", summary,
    )  # fmt: skip


def _rolled_ages(scope: Scope, now: dt.datetime) -> dict[int, int]:
    """Open issues per AGE_BUCKETS entry: those created after each bucket's lower edge,
    less those in the younger buckets."""
    assert scope.rollup is not None
    total = sum(open_counts(scope, now, "priority").values())
    edges = [high for _, high, _ in AGE_BUCKETS if high is not None]
    newer = [rolled.open_since(scope.rollup, now - dt.timedelta(days=h)) for h in edges]
    newer.append(total)
    return {i: n - (newer[i - 1] if i else 0) for i, n in enumerate(newer)}


def ageing(scope: Scope, now: dt.datetime) -> Widget:
    if scope.rollup is not None:
        counts = _rolled_ages(scope, now)
    else:
        counts = _summed(open_cube(scope, now), "age")
    rows = [[label, counts.get(i, 0)] for i, (_, _, label) in enumerate(AGE_BUCKETS)]
    return Widget("ageing", "Ageing of open issues", ["age", "open"], rows, "bars")


def overdue(scope: Scope, now: dt.datetime) -> Widget:
    columns = ("project__key", "number", "title", "due_date", "assignee__username")
    if scope.rollup is not None:
        total = rolled.overdue_count(scope.rollup, now.date())
        ids = rolled.most_overdue(scope.rollup, now.date(), OVERDUE_LISTED)
        found = {r[0]: r[1:] for r in Issue.objects.filter(id__in=ids).values_list("id", *columns)}
        listed: Iterable[tuple[Any, ...]] = [found[i] for i in ids]
    else:
        total = _summed(open_cube(scope, now), "late").get(1, 0)
        late = _open(scope.issues).filter(due_date__lt=now.date())
        listed = late.order_by("due_date", "id").values_list(*columns)[:OVERDUE_LISTED]
    rows = [
        [f"{key}-{number}", title, due.isoformat() if due else "", who or ""]
        for key, number, title, due, who in listed
    ]
    shown = f" (the {len(rows)} most overdue shown)" if total > len(rows) else ""
    return Widget(
        "overdue", "Overdue", ["issue", "title", "due", "assignee"], rows, "table",
        [f"{total} open issue{'s' if total != 1 else ''} past their due date{shown}"],
    )  # fmt: skip


def _estimate_column() -> str | None:
    """Estimates arrive with the time-logging work; count them once the column exists."""
    names = {f.name for f in Issue._meta.get_fields()}
    return next((n for n in ("estimate", "estimate_minutes") if n in names), None)


def workload(scope: Scope, now: dt.datetime, most: int | None = None) -> Widget:
    """Open assigned issues per person, and their estimates' total once issues have them;
    every person, or the `most` largest and a line on the rest (a page's view)."""
    estimate = _estimate_column() is not None
    people = _ranked_people(scope, now, most, assigned=True, estimate=estimate)
    columns = ["person", "open assigned"]
    rows = [[name, n] for name, n in people.ranked]
    if estimate:
        columns.append("estimated minutes")  # the column is in minutes
        rows = [[name, n, people.minutes.get(name, 0)] for name, n in people.ranked]
    return _people_widget(Widget("workload", "Workload per person", columns, rows, "bars"), people)


def _milestone_for(scope: Scope, name: str) -> Milestone | None:
    if scope.project is None:
        return None
    milestones = Milestone.objects.filter(project=scope.project)
    if name:
        return milestones.filter(name=name).first()
    upcoming = milestones.filter(closed=False).order_by(F("due_date").asc(nulls_last=True), "id")
    return upcoming.first()


def burndown(scope: Scope, today: dt.date, name: str = "") -> Widget | None:
    """Issues of the milestone not yet resolved at the end of each day, from its start (or
    30 days back) to today or its due date. Membership is the issues' milestone today."""
    milestone = _milestone_for(scope, name)
    if milestone is None:
        return None
    issues = scope.issues.filter(milestone=milestone)
    end = min(today, milestone.due_date) if milestone.due_date else today
    start = milestone.start_date or end - dt.timedelta(days=BURNDOWN_DEFAULT_DAYS)
    start = min(end, max(start, end - dt.timedelta(days=BURNDOWN_MAX_DAYS)))
    since = _day_start(start)
    if scope.rollup is not None:
        created = rolled.per_day(scope.rollup, "created", start, milestone.pk)
        resolved = rolled.per_day(scope.rollup, "resolved", start, milestone.pk)
        remaining = rolled.before(scope.rollup, "created", start, milestone.pk) - rolled.before(
            scope.rollup, "settled", start, milestone.pk
        )
    else:
        created = _per_day(issues, "created_at", since)
        resolved = _per_day(issues, "resolved_at", since)
        remaining = issues.filter(created_at__lt=since).exclude(resolved_at__lt=since).count()
    rows = []
    day = start
    while day <= end:
        remaining += created.get(day, 0) - resolved.get(day, 0)
        rows.append([day.isoformat(), remaining])
        day += dt.timedelta(days=1)
    title = f"Burndown: {milestone.name}"
    return Widget("burndown", title, ["day", "remaining"], rows, "lines")


def sla_compliance(scope: Scope, today: dt.date) -> Widget:
    """Per week: resolved issues whose SLA clocks were met or breached (the issues' summary
    column), and the breach and warning events the SLA engine recorded that week."""
    periods = _periods(today, True, 12)
    since = _day_start(periods[0])
    # Only issues an SLA clock ever ran on have SLA events, and those keep a summary state:
    # the (sla_state, id) index narrows both queries to them.
    held = scope.issues.filter(sla_state__gt="")
    few = _few_held(scope)
    if few is not None:
        held = Issue.objects.filter(id__in=few)
    else:
        few = list(held.values_list("id", flat=True)[: SLA_FEW + 1])
    resolved = held.filter(resolved_at__gte=since, sla_state__in=["met", "breached"])
    outcome = (
        resolved.annotate(day=day_of("resolved_at"))
        .values("day", "sla_state")
        .annotate(n=Count("id"))
        .order_by()
    )
    met: dict[dt.date, int] = {}
    breached: dict[dt.date, int] = {}
    for row in outcome:
        into = met if row["sla_state"] == "met" else breached
        week = _period_of(row["day"], True)
        into[week] = into.get(week, 0) + row["n"]
    # The issues first when they are few: the planner then reads each one's events by the
    # (issue, version) index rather than scanning the recent events for a subquery's ids.
    events = (
        IssueEvent.objects.filter(
            issue_id__in=few if len(few) <= SLA_FEW else held.values("id"),
            kind__in=[EventKind.SLA_BREACHED, EventKind.SLA_WARNING],
            created_at__gte=since,
        )
        .annotate(day=day_of("created_at"))
        .values("day", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    warned: dict[dt.date, int] = {}
    broke: dict[dt.date, int] = {}
    for row in events:
        into = broke if row["kind"] == EventKind.SLA_BREACHED else warned
        week = _period_of(row["day"], True)
        into[week] = into.get(week, 0) + row["n"]
    rows = [
        [p.isoformat(), met.get(p, 0), breached.get(p, 0), broke.get(p, 0), warned.get(p, 0)]
        for p in periods
    ]
    columns = ["week", "resolved, met", "resolved, breached", "breach events", "warning events"]
    return Widget("sla", "SLA compliance per week", columns, rows, "lines")


def _few_held(scope: Scope) -> list[int] | None:
    """With the roll-ups: the live issues they count that have an SLA state, read by the
    (sla_state, id) index alone, when there are at most SLA_FEW of them over the whole site."""
    if scope.rollup is None:
        return None
    rollup = scope.rollup
    columns = ("id", "project_id", "confidential", "deleted_at")
    found = list(Issue.objects.filter(sla_state__gt="").values_list(*columns)[: SLA_FEW + 1])
    if len(found) > SLA_FEW:
        return None
    return [
        i for i, project, confidential, deleted in found
        if deleted is None and rollup.counts(i, project, confidential)
    ]  # fmt: skip


def _builders(
    scope: Scope, now: dt.datetime, weekly: bool, milestone: str, most: int | None = None
) -> dict[str, Callable[[], Widget | None]]:
    today = now.date()
    return {
        "status": lambda: open_by_status(scope, now),
        "priority": lambda: open_by_priority(scope, now),
        "severity": lambda: open_by_severity(scope, now),
        "assignee": lambda: open_by_assignee(scope, now, most),
        "flow": lambda: created_vs_resolved(scope, today, weekly=weekly),
        "durations": lambda: cycle_and_lead_time(scope, now),
        "ageing": lambda: ageing(scope, now),
        "overdue": lambda: overdue(scope, now),
        "workload": lambda: workload(scope, now, most),
        "burndown": lambda: burndown(scope, today, milestone),
        "sla": lambda: sla_compliance(scope, today),
    }


def dashboard(
    scope: Scope, now: dt.datetime, *, weekly: bool = False, milestone: str = "",
    most: int | None = None,
) -> list[Widget]:  # fmt: skip
    """Every widget of a dashboard (burndown only on a project's, with a milestone). Read
    from the roll-ups when the scope has them, recounted directly if the consumer committed
    a batch meanwhile (tallies.py). `most`: the per-person widgets' rows, for a page."""
    built = [build() for build in _builders(scope, now, weekly, milestone, most).values()]
    if scope.rollup is not None and not scope.rollup.still_current():
        return dashboard(scope.direct(), now, weekly=weekly, milestone=milestone, most=most)
    return [w for w in built if w is not None]


def widget_named(
    scope: Scope, slug: str, now: dt.datetime, *, weekly: bool = False, milestone: str = ""
) -> Widget | None:
    """One widget by its slug (for its CSV); None for an unknown slug or no burndown."""
    build = _builders(scope, now, weekly, milestone).get(slug)
    if build is None:
        return None
    widget = build()
    if scope.rollup is not None and not scope.rollup.still_current():
        return widget_named(scope.direct(), slug, now, weekly=weekly, milestone=milestone)
    return widget
