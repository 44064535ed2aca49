"""Replies to external contacts by mail (docs/mail.md "Replies by mail", docs/notifications.md).

A contact (accounts.User with `contact`: someone who wrote to a project's address) has no
account to sign in with, no inbox and no preferences. What they get, by mail, from the project's
inbound address so that answering the mail comes back through mail in:

- a public comment on an issue they reported or take part in (they watch it), written by the
  project's staff (members, admins; a staff reply by mail counts too); never an internal note,
  never their own words, never a comment by another reporter;
- the issue moving to a done state (solved, closed): "marked as Done".

Nothing else (assignments, field changes, SLA steps). The gate is asked as the batch is
handled: a contact who may no longer see the issue (moved to a private project, say) gets
nothing. The consumer calls `reply` inside its batch transaction; each mail is queued with
core.mail.send_later (the worker sends and retries it) and remembered as a Notification row
(not in any inbox, its mail SENT), so a batch read again after a gap mails nobody twice.

Threading, so the contact's mail client shows one conversation per issue and their answer
finds the issue: every mail gets its own Message-ID in the form mail in recognises
(`<issue-{issue}-{contact}-{random}@host>`, as notifications/emails.py's thread roots); the
first one is kept as the contact's MailThread root; References name the contact's own first
message, that root and their latest message, and In-Reply-To their latest message (else the
root). Headers `Auto-Submitted: auto-replied` and `X-Auto-Response-Suppress: All` tell mail
servers and autoresponders not to answer, so two robots cannot loop.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formataddr

from django.contrib.auth.models import AnonymousUser
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils.crypto import get_random_string
from markupsafe import Markup

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.core.mail import new_message_id, send_later
from docket.issues import mail_links
from docket.issues.access import can_see, sees_internal
from docket.issues.models import EventKind, Issue, IssueEvent, Watch
from docket.issues.references import render_all_for
from docket.notifications.emails import templates, thread_root
from docket.notifications.models import Kind, Notification
from docket.projects.models import WorkflowState

MAX_BODY = 20_000  # characters of a comment mailed whole (the rest is on the issue)
# Links into Docket need an account a contact does not have: their text stays, the link goes.
SITE_LINK = re.compile(r'<a\b[^>]*\bhref="/(?!/)[^"]*"[^>]*>(.*?)</a>', re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """One mail to one contact about one event: `what` they are told, `text` (Markdown)."""

    contact: User
    event: IssueEvent
    kind: str
    what: str
    text: str


def reply(events: Sequence[IssueEvent], moment: dt.datetime) -> int:
    """Queue the mails the batch's events make for contacts; how many."""
    wanted = [(event, told) for event in events if (told := _what_to_tell(event)) is not None]
    if not wanted:
        return 0
    contacts = _contacts_of({event.issue_id for event, _ in wanted})
    done = set(
        Notification.objects.filter(
            event_id__in=[event.id for event, _ in wanted],
            recipient_id__in=[c.pk for people in contacts.values() for c in people],
        ).values_list("recipient_id", "event_id")
    )
    sent = 0
    for event, (kind, what, text) in wanted:
        for contact in contacts.get(event.issue_id, []):
            if (contact.pk, event.id) in done or contact.pk == event.actor_id:
                continue
            if _send(Reply(contact, event, kind, what, text), moment):
                sent += 1
    return sent


def _what_to_tell(event: IssueEvent) -> tuple[str, str, str] | None:
    """(kind, what happened, the words) when contacts hear of `event`, else None."""
    issue, actor = event.issue, event.actor
    if actor is None or actor.contact:
        return None
    if event.kind == EventKind.COMMENTED:
        comment = event.comment
        if comment is None or comment.internal or comment.deleted_at is not None:
            return None
        if not sees_internal(Actor(actor), issue.project):
            return None  # another reporter's words are not the project's answer
        return Kind.COMMENTED, "wrote", comment.body[:MAX_BODY]
    if event.kind == EventKind.CHANGED and event.field == "status" and _done(issue, event.new):
        return Kind.STATUS, f"marked your request as {event.new}", ""
    return None


def _done(issue: Issue, state: object) -> bool:
    if not isinstance(state, str):
        return False
    states = WorkflowState.objects.filter(workflow_id=issue.project.workflow_id, name__iexact=state)
    return states.filter(category=WorkflowState.Category.DONE).exists()


def _contacts_of(issue_ids: set[int]) -> dict[int, list[User]]:
    """Issue id -> the contacts who reported or watch it (participants start watching)."""
    watching = Watch.objects.filter(issue_id__in=issue_ids, user__contact=True)
    pairs = set(watching.values_list("issue_id", "user_id"))
    reported = Issue.objects.filter(id__in=issue_ids, reporter__contact=True)
    pairs |= set(reported.values_list("id", "reporter_id"))
    people = {u.pk: u for u in User.objects.filter(Q(id__in={p for _, p in pairs}), contact=True)}
    found: dict[int, list[User]] = {}
    for issue_id, user_id in sorted(pairs):
        if user_id in people and people[user_id].email:
            found.setdefault(issue_id, []).append(people[user_id])
    return found


def _send(told: Reply, moment: dt.datetime) -> bool:
    issue = told.event.issue
    address = mail_links.inbound_address(issue.project)
    if not address or not can_see(Actor(told.contact), issue):
        return False
    send_later(compose(told, address, moment))
    Notification.objects.create(
        recipient=told.contact, issue=issue, event=told.event, actor=told.event.actor,
        kind=told.kind, created_at=told.event.created_at, in_inbox=False,
        email=Notification.Email.SENT,
    )  # fmt: skip
    return True


def compose(told: Reply, address: str, moment: dt.datetime) -> EmailMultiAlternatives:
    issue, author = told.event.issue, told.event.actor
    assert author is not None
    project = issue.project
    context = {
        "key": issue.key,
        "title": issue.title,
        "project": project.name,
        "who": author.display_name,
        "what": told.what,
        "text": told.text,
        "rendered": _rendered(told.text),
    }
    sender = formataddr((project.name, address))
    message = EmailMultiAlternatives(
        subject=f"[{issue.key}] {' '.join(issue.title.split())}",  # no line breaks in a header
        body=templates.get_template("contact_reply.txt").render(context),
        from_email=sender,
        to=[formataddr((told.contact.get_full_name(), told.contact.email))],
        reply_to=[sender],
        headers=thread_headers(told.contact, issue, moment),
    )
    html = templates.get_template("contact_reply.html").render(context)
    message.attach_alternative(html, "text/html")
    return message


def _rendered(text: str) -> Markup:
    """The words as sanitised HTML for a reader with no account: @names and keys as text."""
    if not text:
        return Markup("")
    [html] = render_all_for(Actor(AnonymousUser()), [text])
    return Markup(SITE_LINK.sub(r"\1", html))  # noqa: S704 - sanitised by core.markdown (nh3)


def thread_headers(contact: User, issue: Issue, moment: dt.datetime) -> dict[str, str]:
    root, first = thread_root(contact, issue, moment)
    own = (
        root if first else new_message_id(f"issue-{issue.pk}-{contact.pk}-{get_random_string(16)}")
    )
    theirs = mail_links.received_ids(issue, contact)
    chain = [i for i in dict.fromkeys([*theirs[:1], root, *theirs[-1:]]) if i != own]
    headers = {
        "Message-ID": own,
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "X-Docket-Issue": issue.key,
    }
    if chain:
        headers["References"] = " ".join(chain)
        headers["In-Reply-To"] = theirs[-1] if theirs else root
    return headers
