"""The database side of SLA clocks: which policy holds an issue, replaying its events into
Clock rows (the consumer's path), and the sweep that fires escalation steps at their
thresholds (the worker's periodic path). docs/sla.md."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects

from docket.accounts.models import Team, User
from docket.core.errors import Conflict, Forbidden, Invalid, NotFound
from docket.issues.actions import update_issue
from docket.issues.fields import PRIORITY_NAMES
from docket.issues.models import EventKind, Issue, IssueEvent, Priority
from docket.issues.query_fields import check_issue_query, issue_matches
from docket.issues.routing import round_robin
from docket.issues.sla_summary import record_sla_event, set_summaries
from docket.projects.models import Membership, Project, Role, WorkflowState
from docket.sla import clocks
from docket.sla.bot import bot_actor, bot_user
from docket.sla.calendar import Calendar
from docket.sla.models import Clock, Escalation, Metric, Policy

log = logging.getLogger(__name__)

PER_RUN = 100  # clocks the sweep locks per run
# A pass stops taking clocks once it has run this long; the rest stay due for the next pass
# (a second later). One step (a priority raise is a whole issue update) can run 20-100 ms on a
# loaded machine, so the budget leaves room for it inside the 200 ms a pass may take.
PASS_BUDGET_SECONDS = 0.08
NOTIFY = ("notify_assignee", "notify_lead")
ACTIONS = (*NOTIFY, "raise_priority", "reassign_team")

_calendars: dict[str, Calendar] = {}


def calendar_of(policy: Policy) -> Calendar:
    """The policy's calendar, built once per distinct setting (keyed by the settings, not
    the policy, so an edited or re-created policy never finds a stale one)."""
    key = json.dumps(
        [policy.zone, policy.hours, policy.country, policy.subdivision, policy.closed_dates],
        sort_keys=True,
    )
    found = _calendars.get(key)
    if found is None:
        if len(_calendars) > 1000:
            _calendars.clear()
        found = Calendar.build(
            policy.zone, policy.hours, policy.country, policy.subdivision,
            [dt.date.fromisoformat(d) for d in policy.closed_dates],
        )  # fmt: skip
        _calendars[key] = found
    return found


def step_percents(policy: Policy) -> list[int]:
    return sorted(int(step["at"]) for step in policy.steps)


def targets_for(policy: Policy, priority: int) -> dict[str, dt.timedelta]:
    name = PRIORITY_NAMES[priority]
    found = {}
    for metric in clocks.METRICS:
        minutes = getattr(policy, metric).get(name)
        if minutes is not None:
            found[str(metric)] = dt.timedelta(minutes=minutes)
    return found


def policy_for(issue: Issue, policies: Sequence[Policy]) -> Policy | None:
    """The first active policy of the issue's project whose query matches it."""
    for policy in policies:
        if not policy.active:
            continue
        if not policy.query.strip() or issue_matches(
            check_issue_query(policy.query), issue, AnonymousUser()
        ):
            return policy
    return None


class _Staff:
    """Who counts as staff for a first response, per project (asked once per batch)."""

    def __init__(self) -> None:
        self.known: dict[int, set[int]] = {}
        self.admins = set(User.objects.filter(is_superuser=True).values_list("id", flat=True))

    def of(self, project_id: int) -> set[int]:
        if project_id not in self.known:
            roles = [Role.ADMIN, Role.MEMBER]
            direct = Membership.objects.filter(project_id=project_id, role__in=roles)
            users = set(direct.filter(user__isnull=False).values_list("user_id", flat=True))
            users |= set(
                User.objects.filter(
                    teams__memberships__project_id=project_id, teams__memberships__role__in=roles
                ).values_list("id", flat=True)
            )
            self.known[project_id] = users | self.admins
        return self.known[project_id]


def recompute(issue_ids: Iterable[int], moment: dt.datetime) -> int:
    """Replay the events of these issues into their Clock rows and summaries; how many
    issues were looked at. Call inside a transaction."""
    ids = sorted(set(issue_ids))
    if not ids:
        return 0
    issues = list(
        Issue.objects.filter(id__in=ids).select_related(
            "project", "status", "assignee", "reporter", "milestone"
        )
    )
    by_project: dict[int, list[Policy]] = defaultdict(list)
    for policy in Policy.objects.filter(project_id__in={i.project_id for i in issues}):
        by_project[policy.project_id].append(policy)
    # Only issues a policy may cover need their labels, components, history and steps fired
    # (most of an import's issues, in projects without a policy, need none of them).
    covered = [i for i in issues if by_project[i.project_id] and i.deleted_at is None]
    prefetch_related_objects(covered, "labels", "components")
    covered_ids = [i.id for i in covered]
    events: dict[int, list[IssueEvent]] = defaultdict(list)
    # Each comment's `internal` flag (an internal note is no response): not its words.
    read = IssueEvent.objects.filter(issue_id__in=covered_ids).select_related("comment")
    for event in read.defer("comment__body").order_by("id"):
        events[event.issue_id].append(event)
    existing: dict[int, dict[str, Clock]] = defaultdict(dict)
    for clock in Clock.objects.filter(issue_id__in=ids):
        existing[clock.issue_id][clock.metric] = clock
    fired = _fired(covered_ids)
    staff = _Staff()
    states_by_workflow: dict[int, _StateKinds] = {}
    summaries: dict[int, tuple[dt.datetime | None, str]] = {}
    stale: list[int] = []  # clocks no policy keeps: deleted in one statement at the end
    for issue in covered:
        found = policy_for(issue, by_project[issue.project_id])
        if found is None:
            continue
        policy = found
        workflow = issue.project.workflow_id
        if workflow not in states_by_workflow:
            states_by_workflow[workflow] = _state_kinds(workflow)
        kinds = states_by_workflow[workflow]
        members = staff.of(issue.project_id)
        rules = clocks.Rules(
            calendar=calendar_of(policy),
            targets=targets_for(policy, issue.priority),
            pause_states=kinds.waiting | {s.lower() for s in policy.pause_states},
            done_states=kinds.done,
            is_staff=lambda user_id, members=members: user_id in members,  # type: ignore[misc]
            reporter_id=issue.reporter_id,
        )
        points = clocks.replay(events[issue.id], rules)
        readings = []
        keep = set()
        for point in points:
            clock = existing[issue.id].get(point.metric) or Clock(issue=issue, metric=point.metric)
            _store(clock, point, policy, moment, fired.get((issue.id, point.metric), set()))
            keep.add(point.metric)
            readings.append(clocks.read(point, rules.calendar, moment))
        stale += [clock.pk for metric, clock in existing[issue.id].items() if metric not in keep]
        summaries[issue.id] = clocks.summarise(readings)
    for issue in issues:
        if issue.id not in summaries:  # no policy covers it (any more), or it was deleted
            stale += [clock.pk for clock in existing[issue.id].values()]
            summaries[issue.id] = (None, "")
    if stale:
        Clock.objects.filter(pk__in=stale).delete()
    set_summaries(summaries)
    return len(issues)


@dataclass(frozen=True)
class _StateKinds:
    done: frozenset[str]  # lower-case names
    waiting: frozenset[str]


def _state_kinds(workflow_id: int) -> _StateKinds:
    """The workflow's done states, and its waiting ones (clocks pause there)."""
    rows = WorkflowState.objects.filter(workflow_id=workflow_id).values_list(
        "name", "category", "waiting"
    )
    done, waiting = set(), set()
    for name, category, is_waiting in rows:
        if category == WorkflowState.Category.DONE:
            done.add(name.lower())
        if is_waiting:
            waiting.add(name.lower())
    return _StateKinds(frozenset(done), frozenset(waiting))


def _fired(issue_ids: Sequence[int]) -> dict[tuple[int, str], set[int]]:
    found: dict[tuple[int, str], set[int]] = defaultdict(set)
    rows = Escalation.objects.filter(issue_id__in=issue_ids).values_list(
        "issue_id", "metric", "step"
    )
    for issue_id, metric, step in rows:
        found[(issue_id, metric)].add(step)
    return found


def _store(
    clock: Clock, point: clocks.Checkpoint, policy: Policy, moment: dt.datetime, fired: set[int]
) -> None:
    calendar = calendar_of(policy)
    clock.policy = policy
    clock.target_seconds = int(point.target.total_seconds())
    clock.elapsed_seconds = point.elapsed.total_seconds()
    clock.running_since = point.running_since
    clock.paused = point.paused
    clock.stopped_at = point.stopped_at
    clock.breached_at = point.breached_at
    clock.deadline = clocks.instant_of(point, calendar, 1.0)
    clock.next_fire_at = clocks.next_fire(point, calendar, moment, step_percents(policy), fired)
    clock.computed_at = moment
    clock.save()


def checkpoint(clock: Clock) -> clocks.Checkpoint:
    return clocks.Checkpoint(
        metric=clock.metric,
        target=dt.timedelta(seconds=clock.target_seconds),
        elapsed=dt.timedelta(seconds=clock.elapsed_seconds),
        running_since=clock.running_since,
        paused=clock.paused,
        stopped_at=clock.stopped_at,
        breached_at=clock.breached_at,
    )


def reading(clock: Clock, moment: dt.datetime) -> clocks.Reading:
    return clocks.read(checkpoint(clock), calendar_of(clock.policy), moment)


# --- the sweep ----------------------------------------------------------------------------


def sweep(moment: dt.datetime) -> int:
    """Fire the steps whose thresholds the due clocks have reached, once each, and bring
    their issues' summaries up to date; how many clocks were handled."""
    with transaction.atomic():
        due = list(
            Clock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_fire_at__lte=moment)
            .select_related("policy", "issue", "issue__project")
            .order_by("next_fire_at", "id")[:PER_RUN]
        )
        if not due:
            return 0
        fired = _fired([c.issue_id for c in due])
        started = time.perf_counter()
        handled: list[Clock] = []
        for clock in due:
            if handled and time.perf_counter() - started > PASS_BUDGET_SECONDS:
                break
            handled.append(clock)
            point = checkpoint(clock)
            calendar = calendar_of(clock.policy)
            done = fired[(clock.issue_id, clock.metric)]
            elapsed = clocks.elapsed_at(point, calendar, moment)
            for step in sorted(clock.policy.steps, key=lambda s: int(s["at"])):
                percent = int(step["at"])
                if percent in done or elapsed < point.target * percent / 100:
                    continue
                crossed = clocks.instant_of(point, calendar, percent / 100)
                if crossed is not None and moment - crossed > STALE_STEP:
                    if _skip(clock, percent, crossed, moment):
                        done.add(percent)
                elif _fire(clock, step, percent, moment):
                    done.add(percent)
            clock.next_fire_at = clocks.next_fire(
                point, calendar, moment, step_percents(clock.policy), done
            )
        Clock.objects.bulk_update(handled, ["next_fire_at"])
        _summarise([c.issue_id for c in handled], moment)
    return len(handled)


def _summarise(issue_ids: Sequence[int], moment: dt.datetime) -> None:
    readings: dict[int, list[clocks.Reading]] = defaultdict(list)
    for clock in Clock.objects.filter(issue_id__in=issue_ids).select_related("policy"):
        readings[clock.issue_id].append(reading(clock, moment))
    set_summaries({i: clocks.summarise(readings[i]) for i in set(issue_ids)})


def _kind(percent: int) -> str:
    if percent < 100:
        return EventKind.SLA_WARNING
    return EventKind.SLA_BREACHED if percent == 100 else EventKind.SLA_ESCALATED


def _fire(clock: Clock, step: dict[str, Any], percent: int, moment: dt.datetime) -> bool:
    """One step, exactly once: its Escalation row (unique per issue, metric and step), its
    actions and its issue event commit together or not at all."""
    try:
        with transaction.atomic():
            row = Escalation.objects.create(
                issue_id=clock.issue_id, metric=clock.metric, step=percent,
                policy_name=clock.policy.name, fired_at=moment,
            )  # fmt: skip
            outcome = _act(clock.issue, step, moment)
            row.outcome = outcome
            row.save(update_fields=["outcome"])
            issue = Issue.objects.select_related("project").get(pk=clock.issue_id)
            record_sla_event(
                issue, bot_user(), _kind(percent), moment, clock.metric,
                {
                    "policy": clock.policy.name, "percent": percent,
                    "notify": [a for a in step.get("do", []) if a in NOTIFY], "outcome": outcome,
                },
            )  # fmt: skip
    except IntegrityError:  # fired already (another worker, or before a crash that committed)
        return False
    return True


# A threshold crossed longer ago than this when the sweep first sees it (imported history,
# a worker down for days) is recorded as skipped: no actions, no event, nobody told — the
# clock still shows the breach. As the notifications consumer treats old events.
STALE_STEP = dt.timedelta(days=1)


def _skip(clock: Clock, percent: int, crossed: dt.datetime, moment: dt.datetime) -> bool:
    """Mark a stale step as done without acting (so it never fires later either)."""
    try:
        with transaction.atomic():
            Escalation.objects.create(
                issue_id=clock.issue_id, metric=clock.metric, step=percent,
                policy_name=clock.policy.name, fired_at=moment,
                outcome={"skipped": f"crossed at {crossed.isoformat()}, over a day before"},
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


def _act(issue: Issue, step: dict[str, Any], moment: dt.datetime) -> dict[str, str]:
    outcome: dict[str, str] = {}
    for action in step.get("do", []):
        if action in NOTIFY:
            outcome[action] = "told"  # the notifications consumer tells them, from the event
        elif action == "raise_priority":
            outcome[action] = _raise_priority(issue)
        elif action == "reassign_team":
            outcome[action] = _reassign(issue, str(step.get("team") or ""))
    return outcome


def _reassign(issue: Issue, slug: str) -> str:
    """Hand the issue to a team: its team set, and assigned to the member next in turn (the
    team's round robin for SLA escalations), or left to the team's queue when none may be."""
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        return f"refused: no team '{slug}'"
    fresh = Issue.objects.select_related("project").get(pk=issue.pk)
    member = round_robin(team, project=fresh.project, scope="sla")
    changes: dict[str, Any] = {"team": slug, "assignee": member.username if member else None}
    try:
        with transaction.atomic():
            update_issue(actor=bot_actor(fresh.project), issue=fresh, changes=changes)
    except (Forbidden, Invalid, Conflict, NotFound) as error:
        return f"refused: {error}"
    return f"reassigned to team {slug}" + (f" ({member.username})" if member else "")


def _raise_priority(issue: Issue) -> str:
    issue = Issue.objects.select_related("project").get(pk=issue.pk)
    if issue.priority >= Priority.HIGHEST:
        return "already highest"
    higher = PRIORITY_NAMES[issue.priority + 1]
    try:
        with transaction.atomic():
            update_issue(actor=bot_actor(issue.project), issue=issue, changes={"priority": higher})
    except (Forbidden, Invalid, Conflict, NotFound) as error:
        return f"refused: {error}"
    return f"raised to {higher}"


def recompute_project(project: Project, moment: dt.datetime) -> int:
    """After a policy change: every issue of the project that is open or has clocks."""
    ids = set(
        Issue.objects.filter(project=project, deleted_at__isnull=True)
        .exclude(status__category=WorkflowState.Category.DONE)
        .values_list("id", flat=True)
    )
    ids |= set(Clock.objects.filter(issue__project=project).values_list("issue_id", flat=True))
    done = 0
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        with transaction.atomic():
            done += recompute(ordered[start : start + 500], moment)
    return done


__all__ = ["Metric", "recompute", "recompute_project", "sweep", "reading"]
