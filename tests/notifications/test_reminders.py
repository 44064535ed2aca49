"""Due-date reminders: a day before and once passed, each once, across clock jumps, armed
again when the due date changes; to the assignee, or the reporter when nobody is assigned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docket.issues import actions
from docket.notifications.models import Notification
from tests.factories import make_issue
from tests.notifications.conftest import dispatch_all


def _midnight_after(clock: Any, day: dt.date) -> None:
    """Move the clock to just after midnight (UTC) starting `day`."""
    clock.current = dt.datetime.combine(day, dt.time(0, 0, 1), tzinfo=dt.UTC)


def _reminders_of(user: Any) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(recipient=user, reminder__isnull=False).order_by("id")
    return [(r.reminder.kind, r.reminder.due_date.isoformat()) for r in rows]


def test_each_reminder_fires_once_across_clock_jumps(cast, clock, fire_reminders, smtp_server):
    due = clock.current.date() + dt.timedelta(days=3)
    make_issue(cast.carol, cast.web, title="Ship it", assignee="bob", due_date=due.isoformat())
    dispatch_all()
    assert fire_reminders() == 0
    _midnight_after(clock, due - dt.timedelta(days=1))
    assert fire_reminders() == 1
    assert fire_reminders() == 0  # the same moment again
    clock.advance(hours=20)
    assert fire_reminders() == 0
    _midnight_after(clock, due + dt.timedelta(days=1))
    assert fire_reminders() == 1
    clock.advance(days=30)
    assert fire_reminders() == 0
    assert _reminders_of(cast.bob) == [("soon", due.isoformat()), ("overdue", due.isoformat())]
    assert _reminders_of(cast.carol) == []  # the assignee hears, not the reporter
    subjects = [m.get_body(("plain",)).get_content() for m in smtp_server.delivered()]
    assert len(subjects) == 2
    assert f"due tomorrow, {due.isoformat()}" in subjects[0]
    assert f"overdue: it was due {due.isoformat()}" in subjects[1]


def test_a_jump_past_both_moments_tells_only_that_it_is_overdue(cast, clock, fire_reminders):
    due = clock.current.date() + dt.timedelta(days=2)
    make_issue(cast.carol, cast.web, title="Late", due_date=due.isoformat())
    dispatch_all()
    clock.advance(days=10)
    assert fire_reminders() == 2  # both handled…
    assert _reminders_of(cast.carol) == [("overdue", due.isoformat())]  # …one told (reporter)


def test_a_new_due_date_arms_new_reminders_and_an_old_one_does_not_fire_twice(
    cast, clock, fire_reminders
):
    today = clock.current.date()
    first, later = today + dt.timedelta(days=2), today + dt.timedelta(days=5)
    issue = make_issue(cast.carol, cast.web, title="Moving", assignee="bob")
    actions.update_issue(actor=cast.alice, issue=issue, changes={"due_date": first.isoformat()})
    dispatch_all()
    _midnight_after(clock, first - dt.timedelta(days=1))
    assert fire_reminders() == 1  # due tomorrow
    actions.update_issue(actor=cast.alice, issue=issue, changes={"due_date": later.isoformat()})
    dispatch_all()
    _midnight_after(clock, first + dt.timedelta(days=1))
    assert fire_reminders() == 0  # the first date's overdue reminder was disarmed
    actions.update_issue(actor=cast.alice, issue=issue, changes={"due_date": first.isoformat()})
    actions.update_issue(actor=cast.alice, issue=issue, changes={"due_date": later.isoformat()})
    dispatch_all()
    _midnight_after(clock, later - dt.timedelta(days=1))
    assert fire_reminders() == 1
    _midnight_after(clock, later + dt.timedelta(days=1))
    assert fire_reminders() == 1
    assert _reminders_of(cast.bob) == [
        ("soon", first.isoformat()),
        ("soon", later.isoformat()),
        ("overdue", later.isoformat()),
    ]


def test_no_reminder_for_a_resolved_issue_or_one_the_preferences_refuse(
    cast, clock, fire_reminders, smtp_server
):
    due = clock.current.date() + dt.timedelta(days=2)
    done = make_issue(cast.carol, cast.web, title="Done", due_date=due.isoformat())
    make_issue(cast.alice, cast.web, title="Quiet", assignee="bob", due_date=due.isoformat())
    cast.api(cast.bob).put("/notifications/preferences", {"kinds": {"due": {"email": False}}})
    actions.update_issue(actor=cast.alice, issue=done, changes={"status": "closed"})
    dispatch_all()
    _midnight_after(clock, due - dt.timedelta(days=1))
    assert fire_reminders() == 2
    assert _reminders_of(cast.carol) == []
    assert _reminders_of(cast.bob) == [("soon", due.isoformat())]  # in the inbox…
    assert smtp_server.delivered() == []  # …and not by mail
