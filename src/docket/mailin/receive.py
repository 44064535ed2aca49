"""What a message that arrived becomes: an issue, a comment, an ignored entry or a quarantined
one (docs/mail.md). The listener and the IMAP poller both call `receive`, which handles a
message in ONE transaction and returns only after it committed, so they acknowledge it (250,
or flag it in the mailbox) only then: a crash before that leaves the message with the sender's
server (or in the mailbox), which tries again. A retry of a message already handled (same
Message-ID to the same project) does nothing the second time.

Issues and comments are written through the issue actions as the sender: a matched account,
or an external contact (accounts.contact_for). Writing to a project's address is what lets
the sender file a ticket there, so the sender acts with at least the reporter role in that
project for this message (projects.bots.acting_in's pattern); commenting on an existing issue
needs more: being its reporter, or a member of the project.
"""

from __future__ import annotations

import email.utils
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import QuerySet

from docket.accounts.actions import contact_for
from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.attachments import storage
from docket.attachments.actions import attach_bytes
from docket.attachments.models import Attachment
from docket.attachments.storage import StorageUnavailable
from docket.core.clock import now
from docket.core.errors import DocketError
from docket.issues.actions import create_issue
from docket.issues.comments import add_comment
from docket.issues.fields import MAX_COMMENT, MAX_DESCRIPTION, MAX_TITLE
from docket.issues.models import Comment, Issue
from docket.mailin.classify import ignored_because
from docket.mailin.models import Inbound, Mailbox
from docket.mailin.parse import ParsedMail, Unparseable, parse
from docket.mailin.trim import new_part
from docket.projects.access import project_roles, role_in
from docket.projects.models import ROLE_RANK, Project, Role

log = logging.getLogger(__name__)

# Docket's notification threads: <issue-{issue id}-{user id}-{random}@{host}> (notifications
# /emails.py thread_root); later mails of a thread refer to that root in References.
NOTIFICATION_ID = re.compile(r"^<issue-(\d+)-\d+-[A-Za-z0-9]+@([^>]+)>$")
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|r|rif|tr)\s*(\[\d+\])?\s*:\s*)+",
                            re.IGNORECASE)  # fmt: skip
STAFF = {Role.ADMIN, Role.MEMBER}
ISSUE_KEY_IN_SUBJECT = re.compile(r"\b([A-Za-z][A-Za-z0-9]{1,9})-([1-9][0-9]{0,9})\b")


@dataclass(frozen=True)
class Result:
    outcome: str  # Inbound.Outcome, or "duplicate"
    reason: str = ""
    issue: str | None = None  # the issue's key
    inbound_id: int | None = None


def own_domains() -> set[str]:
    """Domains of the Message-IDs Docket puts on its mail (core.mail.new_message_id)."""
    return {str(DNS_NAME).lower()}


def mailboxes_for(addresses: list[str]) -> list[Mailbox]:
    """The projects' mailboxes among `addresses` (lower-cased), in the order given."""
    wanted = [a.strip().lower() for a in addresses if a]
    found = {m.address: m for m in Mailbox.objects.filter(address__in=wanted)}
    seen: list[Mailbox] = []
    for address in wanted:
        box = found.get(address)
        if box is not None and box not in seen:
            seen.append(box)
    return seen


def receive(
    raw: bytes, mailbox: Mailbox | None, *, via: str, recipient: str = "",
    envelope_sender: str | None = None,
) -> Result:  # fmt: skip
    """Handle one message to `mailbox` (None: to no known address: quarantined)."""
    with transaction.atomic():
        written: list[Attachment] = []
        try:
            return _handle(raw, mailbox, via, recipient, envelope_sender, written)
        except BaseException:
            for attachment in written:  # the rows roll back; their files go too
                storage.remove(attachment.stored_name)
            raise


def _handle(
    raw: bytes, mailbox: Mailbox | None, via: str, recipient: str,
    envelope_sender: str | None, written: list[Attachment],
) -> Result:  # fmt: skip
    entry = Inbound(
        project=mailbox.project if mailbox else None, received_at=now(), via=via,
        recipient=recipient or (mailbox.address if mailbox else ""), size=len(raw),
    )  # fmt: skip
    if len(raw) > settings.DOCKET_MAIL_MAX_BYTES:
        return _keep(entry, raw, Inbound.Outcome.QUARANTINED,
                     f"too large ({len(raw)} bytes; the limit is "
                     f"{settings.DOCKET_MAIL_MAX_BYTES})")  # fmt: skip
    try:
        mail = parse(raw)
    except Unparseable as exc:
        return _keep(entry, raw, Inbound.Outcome.QUARANTINED, str(exc))
    if envelope_sender is not None and mail.return_path is None:
        mail.return_path = envelope_sender.strip().lower()
    _describe(entry, mail)
    project = mailbox.project if mailbox else _project_replied_to(mail, recipient)
    entry.project = project
    if (
        project is not None
        and mail.message_id
        and Inbound.objects.filter(project=project, message_id=mail.message_id).exists()
    ):
        return Result("duplicate", "already received", None)
    reason = ignored_because(mail, own_domains())
    if reason:
        log.info("mail %s to %s %s", mail.message_id, entry.recipient, reason)
        return _keep(entry, raw, Inbound.Outcome.IGNORED, reason)
    if project is None:
        why = ("sent to the notification address, but not a reply to an issue"
               if is_reply_address(recipient) else "not addressed to a project")  # fmt: skip
        return _keep(entry, raw, Inbound.Outcome.QUARANTINED, why)
    return _deliver(entry, raw, mail, project, written)


def reply_address() -> str:
    """The address Docket's notification mail comes from (DOCKET_EMAIL_FROM): staff answer
    it. Mail to it is taken only as a reply to an issue (docs/mail.md)."""
    return email.utils.parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1].strip().lower()


def is_reply_address(address: str) -> bool:
    return bool(address) and address.strip().lower() == reply_address()


def _project_replied_to(mail: ParsedMail, recipient: str) -> Project | None:
    if not is_reply_address(recipient):
        return None
    issue = thread_issue(mail, None)
    return issue.project if issue is not None else None


def _describe(entry: Inbound, mail: ParsedMail) -> None:
    entry.sender = mail.sender[:254]
    entry.sender_name = mail.sender_name[:200]
    entry.subject = mail.subject[:300]
    entry.message_id = mail.message_id[:300]
    entry.in_reply_to = mail.in_reply_to[:300]
    entry.references = " ".join(mail.references)


def _keep(entry: Inbound, raw: bytes, outcome: str, reason: str) -> Result:
    """Log a message that changed nothing, with its bytes (up to DOCKET_MAIL_KEEP_BYTES for
    ignored ones; quarantined ones whole, up to the size limit)."""
    cap = settings.DOCKET_MAIL_KEEP_BYTES
    if outcome == Inbound.Outcome.QUARANTINED:
        cap = max(cap, settings.DOCKET_MAIL_MAX_BYTES)
    entry.outcome = outcome
    entry.reason = reason[:300]
    entry.raw = raw[:cap]
    entry.raw_truncated = len(raw) > cap
    entry.save()
    return Result(outcome, entry.reason, None, entry.pk)


# --- a person's mail -------------------------------------------------------------------


def _deliver(
    entry: Inbound, raw: bytes, mail: ParsedMail, project: Project, written: list[Attachment]
) -> Result:
    target = thread_issue(mail, project)
    sender, why_not = find_sender(mail.sender, mail.sender_name, create=target is None)
    if sender is None:
        if target is not None:
            why_not = f"{mail.sender} may not comment on {target.key}: {why_not}"
        return _keep(entry, raw, Inbound.Outcome.QUARANTINED, why_not)
    if target is not None and not may_comment(sender, target):
        return _keep(entry, raw, Inbound.Outcome.QUARANTINED,
                     f"{mail.sender} may not comment on {target.key}: not its reporter "
                     "nor a member of the project")  # fmt: skip
    actor = sender_actor(sender, project)
    try:
        with transaction.atomic():  # a refusal by the actions quarantines, changing nothing
            if target is None:
                issue, comment = _open(actor, project, mail, written), None
            else:
                issue, comment = target, _comment(actor, target, mail, written)
    except StorageUnavailable:  # not a refusal: the message fails, and its sender retries
        raise
    except DocketError as exc:
        return _keep(entry, raw, Inbound.Outcome.QUARANTINED, f"refused: {exc}")
    entry.outcome = Inbound.Outcome.OPENED if comment is None else Inbound.Outcome.COMMENTED
    entry.issue, entry.comment, entry.author = issue, comment, sender
    entry.save()
    return Result(entry.outcome, "", issue.key, entry.pk)


def deliver_as(
    entry: Inbound, mail: ParsedMail, sender: User, target: Issue | None, project: Project
) -> tuple[Issue, Comment | None]:
    """An admin's decision for a quarantined message (actions.assign): open or comment as
    `sender`, inside the caller's transaction."""
    written: list[Attachment] = []
    actor = sender_actor(sender, project, at_least=Role.MEMBER)
    try:
        if target is None:
            return _open(actor, project, mail, written), None
        return target, _comment(actor, target, mail, written)
    except BaseException:
        for attachment in written:
            storage.remove(attachment.stored_name)
        raise


def _open(actor: Actor, project: Project, mail: ParsedMail, written: list[Attachment]) -> Issue:
    notes = _too_large_notes(mail)
    description = _capped(mail.text, MAX_DESCRIPTION - 2000) + notes
    issue = create_issue(
        actor=actor, project=project,
        fields={"title": title_of(mail.subject, project), "description": description},
    )  # fmt: skip
    _attach(actor, issue, mail, written)
    return issue


def _comment(actor: Actor, issue: Issue, mail: ParsedMail, written: list[Attachment]) -> Comment:
    body = _capped(new_part(mail.text), MAX_COMMENT - 2000) + _too_large_notes(mail)
    if not body.strip():
        body = "(attachments only)" if mail.attachments else "(no text)"
    comment = add_comment(actor=actor, issue=issue, body=body)
    _attach(actor, issue, mail, written)
    return comment


def _attach(actor: Actor, issue: Issue, mail: ParsedMail, written: list[Attachment]) -> None:
    limit = settings.DOCKET_MAX_ATTACHMENT_BYTES
    for attachment in mail.attachments:
        if len(attachment.data) > limit:
            continue  # noted in the text (_too_large_notes)
        try:
            written.append(
                attach_bytes(
                    actor=actor, issue=issue, filename=attachment.filename, data=attachment.data
                )  # fmt: skip
            )
        except StorageUnavailable:  # the store is down: fail, so the sender's server retries
            raise
        except DocketError as exc:  # the uploader's quota: the message still counts
            log.warning("mail attachment %r on %s dropped: %s", attachment.filename,
                        issue.key, exc)  # fmt: skip


def _too_large_notes(mail: ParsedMail) -> str:
    limit = settings.DOCKET_MAX_ATTACHMENT_BYTES
    dropped = [a for a in mail.attachments if len(a.data) > limit]
    return "".join(
        f"\n\n_(Attachment “{a.filename}” ({len(a.data)} bytes) was not kept: the limit is "
        f"{limit} bytes.)_"
        for a in dropped
    )


def _capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + "\n\n_(The rest of the message was cut: it was too long.)_"


def title_of(subject: str, project: Project) -> str:
    """The subject without Re:/Fwd: and the [KEY-1] tags of our own mail."""
    title = SUBJECT_PREFIX.sub("", subject)
    title = re.sub(rf"\[{re.escape(project.key)}-\d+\]\s*", "", title, flags=re.IGNORECASE)
    title = SUBJECT_PREFIX.sub("", title).strip()
    return (title or "(no subject)")[:MAX_TITLE]


# --- threading and senders -------------------------------------------------------------


def thread_issue(mail: ParsedMail, project: Project | None) -> Issue | None:
    """The issue a message answers (of `project`, or of any project for mail to the
    notification address): one of Docket's notification Message-IDs or an earlier message of
    the issue in In-Reply-To/References, else `KEY-123` in the subject."""
    ids = [i for i in [mail.in_reply_to, *reversed(mail.references)] if i]
    domains = own_domains()
    issues = Issue.objects.all() if project is None else Issue.objects.filter(project=project)
    for message_id in ids:
        found = NOTIFICATION_ID.match(message_id)
        if found and found.group(2).lower() in domains:
            issue = _live(issues.filter(pk=int(found.group(1))))
            if issue is not None:
                return issue
    if ids:
        logged = Inbound.objects.filter(message_id__in=ids, issue__isnull=False)
        if project is not None:
            logged = logged.filter(project=project)
        known = logged.order_by("-received_at").values_list("issue_id", flat=True).first()
        if known is not None:
            issue = _live(issues.filter(pk=known))
            if issue is not None:
                return issue
    for key, number in ISSUE_KEY_IN_SUBJECT.findall(mail.subject):  # the first key that is one
        if project is None or key.upper() == project.key:
            issue = _live(issues.filter(project__key=key.upper(), number=int(number)))
            if issue is not None:
                return issue
    return None


def _live(issues: QuerySet[Issue]) -> Issue | None:
    return issues.select_related("project").filter(deleted_at__isnull=True).first()


def find_sender(address: str, name: str, *, create: bool) -> tuple[User | None, str]:
    """The account behind a From address: the one active account with it, else the external
    contact with it (made when `create`). None and the reason otherwise."""
    active = list(User.objects.filter(email__iexact=address, is_active=True)[:2])
    if len(active) == 1:
        return active[0], ""
    if len(active) > 1:
        return None, f"several active accounts have the address {address}"
    if User.objects.filter(email__iexact=address, is_active=False, contact=False).exists():
        return None, f"the account with the address {address} is deactivated"
    if not create:
        contact = User.objects.filter(email__iexact=address, contact=True).first()
        if contact is None:
            return None, "no account or contact has this address"
        return contact, ""
    return contact_for(address, name), ""


def may_comment(user: User, issue: Issue) -> bool:
    return user.pk == issue.reporter_id or role_in(Actor(user), issue.project) in STAFF


def sender_actor(user: User, project: Project, at_least: Role = Role.REPORTER) -> Actor:
    """`user` acting on a message to `project`'s address: their own roles, and at least the
    reporter role in that project (writing to its address is how they file there; an admin
    delivering a quarantined message vouches for more: `at_least`)."""
    actor = Actor(user)
    roles = dict(project_roles(actor))
    current = roles.get(project.id)
    if current is None or ROLE_RANK[Role(current)] < ROLE_RANK[at_least]:
        roles[project.id] = at_least
    actor.roles = roles
    return actor
