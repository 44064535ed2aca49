"""Mail about notifications: one mail per person, issue and acting person's burst of changes.

The consumer marks what a person wants mailed (`Notification.email` PENDING). This sweep
waits until the first of a (recipient, issue, actor) group is DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS
old, so several quick changes by one person make one mail, then queues that mail
(core.mail.send_later) and marks the group SENT in the same transaction: a mail is queued once.

At send time the gate is asked again (access lost since the change: no mail) and mutes are
read again. A mail holds only what its recipient may see: the issue's key and title, the
changes, and comment text unless the comment was deleted (its text then is for moderators).

Threading: the first mail a person gets about an issue carries a Message-ID kept in
`MailThread`; every later one answers it (In-Reply-To, References). Each mail has a signed
one-click unsubscribe link (RFC 8058) that mutes the issue for that person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from html import escape
from operator import or_
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Min, Q
from django.utils.crypto import get_random_string
from markupsafe import Markup

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.core.mail import new_message_id, send_later
from docket.issues.access import can_see, sees_internal
from docket.issues.fields import label_of
from docket.issues.models import EventKind, Issue
from docket.issues.references import render_all_for
from docket.notifications.models import Kind, MailThread, Notification, Reminder
from docket.notifications.preferences import load_wishes
from docket.projects.access import Perm, permissions_in

GROUPS_PER_RUN = 200
MAX_BODY = 4000  # characters of a comment or description quoted in a mail
UNSUBSCRIBE_SALT = "docket.notifications.unsubscribe"
PREFERENCES_PATH = "/settings/notifications"  # the web page (built by the web app)

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "mail_templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS)


# --- the sweep ---------------------------------------------------------------------------------


def send_due(moment: dt.datetime) -> int:
    """Mail every group whose window has passed; how many mails were queued."""
    with transaction.atomic():
        ready = list(
            Notification.objects.filter(email=Notification.Email.PENDING)
            .values("recipient_id", "issue_id", "actor_id")
            .annotate(first=Min("created_at"))
            .filter(first__lte=moment - window())
            .order_by("first")[:GROUPS_PER_RUN]
        )
        if not ready:
            return 0
        which = reduce(or_, (_group_filter(g) for g in ready))
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(which, email=Notification.Email.PENDING)
            .select_related(*MAIL_RELATED)
            .order_by("created_at", "id")
        )
        return sum(send_group(group, moment) for group in groups(rows))


MAIL_RELATED = (
    "recipient", "issue", "issue__project", "event", "event__actor", "event__comment",
    "reminder", "actor",
)  # fmt: skip


def _group_filter(group: dict[str, Any]) -> Q:
    actor = group["actor_id"]
    by = Q(actor_id=actor) if actor is not None else Q(actor__isnull=True)
    return Q(recipient_id=group["recipient_id"], issue_id=group["issue_id"]) & by


def groups(rows: Iterable[Notification]) -> list[list[Notification]]:
    """Rows gathered by (recipient, issue, actor), each group in the rows' order."""
    found: dict[tuple[int, int, int | None], list[Notification]] = {}
    for row in rows:
        found.setdefault((row.recipient_id, row.issue_id, row.actor_id), []).append(row)
    return list(found.values())


def send_group(rows: list[Notification], moment: dt.datetime) -> int:
    """Queue one mail about `rows` (one recipient, one issue) if they may still see it and
    have not muted it since; mark the rows SENT (or NONE when nothing went). 1 if queued."""
    user, issue = rows[0].recipient, rows[0].issue
    told = _still_wanted(user, issue, rows)
    ids = [row.id for row in rows]
    if not told:
        Notification.objects.filter(id__in=ids).update(email=Notification.Email.NONE)
        return 0
    send_later(compose(user, issue, told, moment))
    Notification.objects.filter(id__in=ids).update(email=Notification.Email.SENT)
    return 1


def _still_wanted(user: User, issue: Issue, rows: list[Notification]) -> list[Notification]:
    if not user.is_active or not user.email or not can_see(Actor(user), issue):
        return []
    wishes = load_wishes([user.pk], [issue.project_id], [issue.id])
    staff = sees_internal(Actor(user), issue.project)  # notes: for staff, asked again at send
    return [
        row
        for row in rows
        if not wishes.muted(user.pk, issue.project_id, issue.id, row.kind)
        and (staff or not _about_a_note(row))
    ]


def _about_a_note(row: Notification) -> bool:
    event = row.event
    return event is not None and event.comment is not None and event.comment.internal


# --- the mail ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One thing a mail tells: who did what, and the words they wrote (if any)."""

    who: str
    what: str
    text: str


def compose(
    user: User, issue: Issue, rows: list[Notification], moment: dt.datetime
) -> EmailMultiAlternatives:
    moderator = Perm.MODERATE in permissions_in(Actor(user), issue.project)
    base = settings.BASE_URL.rstrip("/")
    unsubscribe = unsubscribe_url(user, issue)
    lines = [describe(row, moderator) for row in rows]
    context = {
        "user": user,
        "key": issue.key,
        "title": issue.title,
        "lines": lines,
        "rendered": _rendered(user, [line.text for line in lines], base),
        "issue_url": f"{base}/{issue.key}",
        "preferences_url": base + PREFERENCES_PATH,
        "unsubscribe_url": unsubscribe,
    }
    message = EmailMultiAlternatives(
        subject=f"[{issue.key}] {' '.join(issue.title.split())}",  # no line breaks in a header
        body=templates.get_template("issue.txt").render(context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=_headers(user, issue, moment, unsubscribe),
    )
    message.attach_alternative(templates.get_template("issue.html").render(context), "text/html")
    return message


def _rendered(user: User, texts: list[str], base: str) -> list[Markup]:
    """The texts as the issue page shows them to `user` (sanitised Markdown, with mentions and
    issue keys resolved for them: a hidden issue stays a plain key), with links made absolute."""
    html = render_all_for(Actor(user), texts)
    site = escape(base, quote=True).replace("\\", "\\\\")  # as a regex replacement
    # Sanitised by nh3 in core.markdown; only the site's own address is added.
    return [Markup(SITE_LINK.sub(rf'\1="{site}/', part)) for part in html]  # noqa: S704


SITE_LINK = re.compile(r'\b(href|src)="/(?!/)')


def _headers(user: User, issue: Issue, moment: dt.datetime, unsubscribe: str) -> dict[str, str]:
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{issue.project.key} <{issue.project.key.lower()}.docket>",
        "Auto-Submitted": "auto-generated",
        "X-Docket-Issue": issue.key,
    }
    root, created = thread_root(user, issue, moment)
    if created:
        headers["Message-ID"] = root
    else:
        headers["Message-ID"] = new_message_id()
        headers["In-Reply-To"] = root
        headers["References"] = root
    return headers


def thread_root(user: User, issue: Issue, moment: dt.datetime) -> tuple[str, bool]:
    """The Message-ID of the first mail `user` got about `issue`, and whether it is this one."""
    thread, created = MailThread.objects.get_or_create(
        user=user,
        issue=issue,
        defaults={
            "message_id": new_message_id(f"issue-{issue.pk}-{user.pk}-{get_random_string(12)}"),
            "created_at": moment,
        },
    )
    return thread.message_id, created


def unsubscribe_url(user: User, issue: Issue) -> str:
    token = signing.dumps([user.pk, issue.pk], salt=UNSUBSCRIBE_SALT)
    return f"{settings.BASE_URL.rstrip('/')}/api/v1/notifications/unsubscribe/{token}"


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(user id, issue id) of a link this server made, or None."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    return None


# --- what each notification says -----------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _quoted(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + " […]"


def describe(row: Notification, moderator: bool) -> Line:
    """What one notification tells its recipient (who may see the issue; `moderator`: may
    read deleted comments' text)."""
    if row.reminder is not None:
        return _reminder_line(row.reminder)
    event = row.event
    assert event is not None
    who = event.actor.username if event.actor is not None else "Someone"
    comment_gone = event.comment is not None and event.comment.deleted_at is not None
    words = "" if comment_gone and not moderator else _quoted(event.new)
    if event.kind == EventKind.CREATED:
        assigned = " and assigned it to you" if row.kind == Kind.ASSIGNED else ""
        what = "created the issue" + assigned
        return Line(who, what, _quoted((event.new or {}).get("description")))
    if event.kind == EventKind.COMMENTED and event.comment is not None and event.comment.internal:
        # Said outright: a reply to this mail is a public comment, not another note.
        return Line(who, "wrote an internal note (staff only; a reply by mail is public)", words)
    if event.kind == EventKind.COMMENTED:
        return Line(
            who, "mentioned you in a comment" if row.kind == Kind.MENTIONED else "commented", words
        )
    if event.kind == EventKind.COMMENT_EDITED:
        return Line(who, "mentioned you in an edited comment", words)
    if event.kind == EventKind.ACCESS_GRANTED:
        return Line(who, "gave you access to the issue", "")
    if event.kind in (EventKind.DELETED, EventKind.RESTORED):
        return Line(who, f"{event.kind} the issue", "")
    if event.kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_ESCALATED):
        return Line("SLA", sla_words(event.field, event.new), "")
    if event.kind == EventKind.NOTICE:
        message = event.new.get("message") if isinstance(event.new, dict) else ""
        return Line(who, "asks you to look at the issue", _quoted(message))
    return _change_line(who, row, event.field, event.old, event.new)


def sla_words(metric: str, new: Any) -> str:
    """ "time to first response is at 75% of its target (policy Support)"."""
    detail = new if isinstance(new, dict) else {}
    what = "time to first response" if metric == "first_response" else "time to resolution"
    percent = detail.get("percent", "?")
    state = "breached its target" if percent == 100 else f"is at {percent}% of its target"
    return f"{what} {state} (policy {detail.get('policy', '?')})"


def _change_line(who: str, row: Notification, field: str, old: Any, new: Any) -> Line:
    if field == "assignee" and row.kind == Kind.ASSIGNED:
        return Line(who, "assigned the issue to you", "")
    if field == "description":
        what = (
            "mentioned you in the description"
            if row.kind == Kind.MENTIONED
            else "changed the description"
        )
        return Line(who, what, _quoted(new))
    return Line(who, f"changed {label_of(field)}: {_shown(old)} → {_shown(new)}", "")


def _reminder_line(reminder: Reminder) -> Line:
    day = reminder.due_date.isoformat()
    if reminder.kind == Reminder.Moment.SOON:
        return Line("Reminder", f"this issue is due tomorrow, {day}", "")
    return Line("Reminder", f"this issue is overdue: it was due {day}", "")
