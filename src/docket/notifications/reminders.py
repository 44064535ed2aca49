"""Due-date reminders: a day before an issue is due, and once its due date has passed, to its
assignee (its reporter when nobody is assigned).

They are stored deadlines (`Reminder` rows, one per issue, kind and due date), armed by the
consumer when an event sets a due date and found by a sweep over an index on `fire_at`, so a
restarted worker misses none and a clock that jumps ahead fires each exactly once. Changing
the due date disarms the reminders of the old date that have not fired and arms new ones;
one that fired stays fired, so going back to a date does not remind twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.issues.access import can_see, know_many
from docket.issues.models import EventKind, IssueEvent
from docket.notifications import emails
from docket.notifications.models import Channel, Kind, Notification, Reminder
from docket.notifications.preferences import load_wishes

PER_RUN = 500  # reminders handled per sweep run; the rest wait for the next


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _due_dates_set(events: Sequence[IssueEvent]) -> dict[int, dt.date | None]:
    """Issue id -> the due date the batch leaves it with (None: cleared)."""
    found: dict[int, dt.date | None] = {}
    for event in events:
        if event.kind == EventKind.CHANGED and event.field == "due_date":
            value = event.new
        elif event.kind == EventKind.CREATED and isinstance(event.new, dict):
            value = event.new.get("due_date")
        else:
            continue
        found[event.issue_id] = dt.date.fromisoformat(value) if isinstance(value, str) else None
    return found


def follow_due_dates(events: Sequence[IssueEvent], moment: dt.datetime) -> None:
    """Arm reminders for the due dates the batch sets; disarm those of replaced dates."""
    dates = _due_dates_set(events)
    if not dates:
        return
    Reminder.objects.filter(issue_id__in=list(dates), fired_at__isnull=True).delete()
    today = moment.date()
    armed = []
    for issue_id, due in dates.items():
        if due is None or due < today:  # no date, or one already past: nothing to remind
            continue
        if due > today:
            armed.append(_reminder(issue_id, Reminder.Moment.SOON, due, due - dt.timedelta(days=1)))
        armed.append(_reminder(issue_id, Reminder.Moment.OVERDUE, due, due + dt.timedelta(days=1)))
    Reminder.objects.bulk_create(armed, ignore_conflicts=True)


def _reminder(issue_id: int, kind: str, due: dt.date, day: dt.date) -> Reminder:
    return Reminder(issue_id=issue_id, kind=kind, due_date=due, fire_at=_midnight(day))


def fire_due(moment: dt.datetime) -> int:
    """The sweep: tell about every reminder whose moment has come; how many were handled."""
    with transaction.atomic():
        due = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(fired_at__isnull=True, fire_at__lte=moment)
            .select_related("issue", "issue__project", "issue__status")
            .order_by("fire_at", "id")[:PER_RUN]
        )
        if not due:
            return 0
        rows = _tell(due, moment)
        Reminder.objects.filter(id__in=[r.id for r in due]).update(fired_at=moment)
        for group in emails.groups(rows):
            emails.send_group(group, moment)
    return len(due)


def _still_true(reminder: Reminder, moment: dt.datetime) -> bool:
    """The issue is still due that day, open, and (for 'soon') not already overdue."""
    issue = reminder.issue
    if issue.deleted_at is not None or issue.status.is_done or issue.due_date != reminder.due_date:
        return False
    return reminder.kind != Reminder.Moment.SOON or reminder.due_date >= moment.date()


def _tell(due: list[Reminder], moment: dt.datetime) -> list[Notification]:

    live = [r for r in due if _still_true(r, moment)]
    wanted = {r.issue.assignee_id or r.issue.reporter_id for r in live}
    users = {u.pk: u for u in User.objects.filter(id__in=wanted, is_active=True)}
    actors = {user_id: Actor(user) for user_id, user in users.items()}
    know_many(actors.values())
    wishes = load_wishes(users, {r.issue.project_id for r in live}, {r.issue_id for r in live})
    rows = []
    for reminder in live:
        issue = reminder.issue
        user = users.get(issue.assignee_id or issue.reporter_id)
        if user is None or not can_see(actors[user.pk], issue):
            continue
        if wishes.muted(user.pk, issue.project_id, issue.id, Kind.DUE):
            continue
        inbox = wishes.wants(user.pk, Kind.DUE, Channel.INBOX)
        email = bool(user.email) and wishes.wants(user.pk, Kind.DUE, Channel.EMAIL)
        if inbox or email:
            rows.append(
                Notification(
                    recipient=user, issue=issue, reminder=reminder, kind=Kind.DUE,
                    created_at=moment, in_inbox=inbox,
                    email=Notification.Email.PENDING if email else Notification.Email.NONE,
                )
            )  # fmt: skip
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # bulk_create with ignore_conflicts gives no ids: read back the ones to mail
    return list(
        Notification.objects.filter(
            reminder_id__in=[r.id for r in live], email=Notification.Email.PENDING
        ).select_related("recipient", "issue", "issue__project", "reminder")
    )
