"""The roll-ups' reading side: the tallies of some projects as they are now.

The stored tallies are exact up to the reports consumer's cursor. The events after it (the
consumer's lag, at most PENDING_CAP of them, else the dashboards read the issues directly)
name the issues whose stored facts may be stale: for those, what they added is taken out
and their facts computed now are put in. So a dashboard shows a change the moment it is
committed. The reads are checked afterwards against the cursor (`still_current`): if a
consumer batch committed meanwhile, the caller recounts without the roll-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    When,
)

from docket.issues.models import IssueEvent
from docket.reports.models import RollupIssue, RollupState, RollupTally
from docket.reports.rollup import NAME, Fact, Tallies, Workflow, add_facts, facts_of
from docket.worker.models import ConsumerCursor

FACT_COLUMNS = ("issue_id", "project_id", "state", "created_at", "due_date",
                "resolved_at", "started_at", "lead_us", "cycle_us")  # fmt: skip
_COLUMNS = ", ".join(f"f.{c}" for c in FACT_COLUMNS)
_OVERDUE_SQL = (  # Rollup.most_overdue on PostgreSQL: each project's first, then all's first
    f"SELECT {_COLUMNS} FROM unnest(%s::bigint[], %s::bool[]) AS p(id, whole) CROSS JOIN LATERAL ("  # noqa: S608 - model names and %s only
    f"SELECT * FROM {RollupIssue._meta.db_table} r WHERE r.project_id = p.id "
    "AND (p.whole OR NOT r.confidential) AND r.state = 'open' AND r.due_date < %s "
    "ORDER BY r.due_date, r.issue_id LIMIT %s) f ORDER BY f.due_date, f.issue_id"
)
PENDING_CAP = 1000  # events behind the consumer beyond which the roll-ups are not used
EXTRA_CAP = 1000  # issues counted one by one beyond which the roll-ups are not used


def enabled() -> bool:
    return bool(getattr(settings, "DOCKET_REPORTS_ROLLUPS", True))


@contextmanager
def snapshot() -> Iterator[None]:
    """Every read inside sees the database as of one moment: the roll-ups, their cursor, the
    events after it and the issues. Without it a consumer batch committed during a dashboard's
    reads sent the dashboard to count the issues directly (`still_current`), and under write
    load that was most dashboards: at 1M issues and 30 actions/s, 39% of an app process's
    samples. PostgreSQL: a REPEATABLE READ transaction. SQLite: a deferred read transaction
    (Django's would be IMMEDIATE here and take the write lock). Inside a transaction already
    (tests), the reads share it as they are."""
    alias = router.db_for_read(RollupTally)
    connection = connections[alias]
    if connection.in_atomic_block or not connection.get_autocommit():
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")  # nothing written: ends the read snapshot


def _stamp() -> tuple[int, dt.datetime] | None:
    row = ConsumerCursor.objects.filter(name=NAME).values_list("last_event_id", "updated_at")
    return row.first()


@dataclass(frozen=True)
class Reach:
    """Which issues a roll-up counts: every issue of the `whole` projects, the non-confidential
    ones of the `open_to` projects (none in both), and the `extra` issues by id: the few a
    viewer sees one by one (reported by, assigned to or shared with them) outside the rest."""

    whole: frozenset[int]
    open_to: frozenset[int] = frozenset()
    extra: frozenset[int] = frozenset()

    def tallied(self, fact: Fact) -> bool:
        """Counted by the stored tallies and RollupIssue rows (`where`), as `fact` has it."""
        if fact.project_id in self.whole:
            return True
        return fact.project_id in self.open_to and not fact.confidential

    def where(self) -> Q:
        """The RollupIssue rows counted."""
        return Q(project_id__in=sorted(self.whole)) | Q(
            project_id__in=sorted(self.open_to), confidential=False
        )

    def tally_projects(self) -> list[int]:
        """The RollupTally project ids read: the confidential parts (negative) are taken away."""
        return sorted(self.whole | self.open_to | {-p for p in self.open_to})


def _signed(column: str) -> Sum:
    """The column summed over a reach's tallies, a confidential part's rows subtracted."""
    minus = ExpressionWrapper(-F(column), output_field=BigIntegerField())
    return Sum(Case(When(project_id__lt=0, then=minus), default=F(column)))


@dataclass
class Rollup:
    reach: Reach
    workflow: Workflow
    stamp: tuple[int, dt.datetime]
    fresh: list[Fact]  # the issues named after the cursor and the extra ones, as they are now
    stale: list[Fact]  # and as the stored facts have them
    pending_ids: set[int]
    corrections: Tallies = field(default_factory=dict)

    @classmethod
    def of(cls, reach: Reach | Collection[int], extra_cap: int = EXTRA_CAP) -> Rollup | None:
        """The roll-ups over `reach` (or these whole projects), or None when they cannot be
        used: turned off, not built, built for another workflow, the consumer too far behind,
        or more than `extra_cap` issues counted one by one."""
        if not isinstance(reach, Reach):
            reach = Reach(frozenset(reach))
        if not enabled() or not (reach.whole or reach.open_to or reach.extra):
            return None
        if len(reach.extra) > extra_cap:
            return None
        stamp = _stamp()
        state = RollupState.objects.first()
        if stamp is None or state is None:
            return None
        workflow = Workflow.now()
        if state.signature != workflow.signature:
            return None
        named = list(
            IssueEvent.objects.filter(id__gt=stamp[0])
            .order_by("id")
            .values_list("issue_id", flat=True)[: PENDING_CAP + 1]
        )
        if len(named) > PENDING_CAP:
            return None
        pending = set(named) | reach.extra
        fresh = [
            f
            for f in facts_of(pending, workflow).values()
            if reach.tallied(f) or f.issue_id in reach.extra
        ]
        # by id alone: with the project too, SQLite picks a (project, …) index and reads it all
        stored = RollupIssue.objects.filter(issue_id__in=pending)
        stale = [f for f in map(Fact.of_row, stored) if reach.tallied(f)]
        corrections: Tallies = {}
        add_facts(corrections, stale, -1, mirror=False)
        add_facts(corrections, fresh, mirror=False)
        return cls(reach, workflow, stamp, fresh, stale, pending, corrections)

    def counts(self, issue_id: int, project_id: int, confidential: bool) -> bool:
        """Whether this issue (live, as it is now) is among those counted."""
        if issue_id in self.reach.extra:
            return True
        return project_id in self.reach.whole or (
            project_id in self.reach.open_to and not confidential
        )

    def _stored(self, **where: Any) -> QuerySet[RollupIssue]:
        return RollupIssue.objects.filter(self.reach.where(), **where)

    def _tally_rows(self, dims: list[str]) -> QuerySet[RollupTally]:
        return RollupTally.objects.filter(project_id__in=self.reach.tally_projects(), dim__in=dims)

    def still_current(self) -> bool:
        """No consumer batch or rebuild committed since this was made."""
        return _stamp() == self.stamp

    def tallies(
        self,
        dims: Iterable[str],
        since: dt.date | None = None,
        *,
        by_key: bool = True,
        by_day: bool = True,
    ) -> dict[tuple[str, str, dt.date | None], list[int]]:
        """[issues, minutes] per (dim, key, day) over the projects, from `since` on. Without
        `by_key` the keys are summed ("" in the result), without `by_day` the days (None):
        PostgreSQL sums them, so a widget that needs no breakdown gets a row, not thousands."""
        dims = list(dims)
        rows = self._tally_rows(dims)
        if since is not None:
            rows = rows.filter(day__gte=since)
        group = ["dim", *(["key"] if by_key else []), *(["day"] if by_day else [])]
        summed = rows.values(*group).annotate(n=_signed("n"), m=_signed("minutes")).order_by()
        found: dict[tuple[str, str, dt.date | None], list[int]] = {}
        for row in summed.values_list(*group, "n", "m"):
            dim, key, day = row[0], row[1] if by_key else "", row[-3] if by_day else None
            found[(dim, key, day)] = [row[-2], row[-1]]
        for (_project, dim, key, day), (n, m) in self.corrections.items():
            if dim in dims and (since is None or day >= since):
                slot = found.setdefault(
                    (dim, key if by_key else "", day if by_day else None), [0, 0]
                )
                slot[0] += n
                slot[1] += m
        return {k: v for k, v in found.items() if v != [0, 0]}

    def totals_through(self, dims: Iterable[str], day: dt.date) -> dict[tuple[str, str], int]:
        """Issues per (dim, key) summed over the days up to and including `day`."""
        dims = list(dims)
        rows = self._tally_rows(dims).filter(day__lte=day)
        found: dict[tuple[str, str], int] = {}
        for row in rows.values("dim", "key").annotate(n=_signed("n")).order_by():
            found[(row["dim"], row["key"])] = row["n"]
        for (_project, dim, key, when), (n, _m) in self.corrections.items():
            if dim in dims and when <= day:
                found[(dim, key)] = found.get((dim, key), 0) + n
        return {k: n for k, n in found.items() if n}

    def count(self, **where: Any) -> int:
        """Issues whose facts match `where` (Django lookups on RollupIssue), now."""
        stored = self._stored(**where).count()
        return stored - self._matching(self.stale, where) + self._matching(self.fresh, where)

    def facts(self, order: tuple[str, ...], limit: int, **where: Any) -> list[Fact]:
        """The first `limit` facts matching `where` by `order` (fields, "-" for descending;
        the last one unique), now: the stored ones but the pending issues', and the pending
        issues' facts now."""
        stored = self._stored(**where)
        rows = stored.order_by(*order).values_list(*FACT_COLUMNS)[: limit + len(self.stale)]
        return self._merged(rows, order, limit, where)

    def most_overdue(self, today: dt.date, limit: int) -> list[Fact]:
        """The `limit` open facts longest past due (by due date, then id), now. On PostgreSQL
        each project's first ones by its (project, state, due date) index, merged: one ORDER
        BY over the reach sorted every overdue issue of its projects (6,126 at 1M issues for
        the member's 29 projects: 6–13 ms; this way 1.1 ms)."""
        order, where = ("due_date", "issue_id"), {"state": "open", "due_date__lt": today}
        alias = router.db_for_read(RollupIssue)
        if connections[alias].vendor != "postgresql":
            return self.facts(order, limit, **where)
        projects = sorted(self.reach.whole) + sorted(self.reach.open_to)
        whole = [p in self.reach.whole for p in projects]
        with connections[alias].cursor() as cursor:
            cursor.execute(_OVERDUE_SQL, [projects, whole, today, limit + len(self.stale)])
            rows = cursor.fetchall()
        return self._merged(rows, order, limit, where)

    def _merged(
        self,
        rows: Iterable[tuple[Any, ...]],
        order: tuple[str, ...],
        limit: int,
        where: dict[str, Any],
    ) -> list[Fact]:
        """Stored `rows` (FACT_COLUMNS) with the pending issues' facts as they are now."""
        found = [Fact(*r) for r in rows if r[0] not in self.pending_ids]
        found += [f for f in self.fresh if _matches(f, where)]
        for name in reversed(order):  # stable sorts, last key first
            found.sort(key=lambda f: getattr(f, name.lstrip("-")), reverse=name.startswith("-"))
        return found[:limit]

    def open_per_project(self) -> dict[int, int]:
        """Open issues counted in each project (those with none left out), now."""
        found: dict[int, int] = {}
        rows = self._tally_rows(["open_status"]).values("project_id").annotate(n=Sum("n"))
        rows = rows.order_by()
        for row in rows:
            project, n = row["project_id"], row["n"]
            found[abs(project)] = found.get(abs(project), 0) + (n if project > 0 else -n)
        for (project, dim, _key, _day), (n, _m) in self.corrections.items():
            if dim == "open_status":
                found[project] = found.get(project, 0) + n
        return {project: n for project, n in found.items() if n}

    def durations(self, since: dt.datetime, limit: int) -> list[tuple[int | None, int | None]]:
        """(lead, cycle) in microseconds of the latest `limit` issues in a done state resolved
        since `since` (newest first, ties by id): two integers a row, nothing to convert."""
        where = {"state": "done", "resolved_at__gte": since}
        stored = self._stored(**where)
        ordered = stored.order_by("-resolved_at", "-issue_id")
        fresh = [f for f in self.fresh if _matches(f, where)]
        if not fresh and not self._matching(self.stale, where):
            return list(ordered.values_list("lead_us", "cycle_us")[:limit])
        columns = ("resolved_at", "issue_id", "lead_us", "cycle_us")
        rows = ordered.values_list(*columns)[: limit + len(self.stale)]
        found = [r for r in rows if r[1] not in self.pending_ids]
        found += [(f.resolved_at, f.issue_id, f.lead_us, f.cycle_us) for f in fresh]
        found.sort(key=lambda r: (r[0], r[1]), reverse=True)
        return [(lead, cycle) for _at, _id, lead, cycle in found[:limit]]

    @staticmethod
    def _matching(facts: list[Fact], where: dict[str, Any]) -> int:
        return sum(1 for f in facts if _matches(f, where))


def _matches(fact: Fact, where: dict[str, Any]) -> bool:
    """The few lookups `Rollup.issues` is asked for, on a fact in memory."""
    for lookup, value in where.items():
        name, _, op = lookup.partition("__")
        have = getattr(fact, name)
        if op == "" and have != value:
            return False
        if op in ("lt", "gt", "gte") and have is None:
            return False
        if (op == "lt" and not have < value) or (op == "gt" and not have > value):
            return False
        if op == "gte" and not have >= value:
            return False
    return True
