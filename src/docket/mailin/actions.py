"""Changes an admin makes: a project's mail address and IMAP settings (project admins), and
decisions on quarantined messages (assign to an issue or open one, discard). Each checks
permission, changes rows and writes its audit entry in one transaction."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who, account_of
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Conflict, Invalid, NotFound
from docket.issues.access import get_issue_for
from docket.mailin import receive
from docket.mailin.models import Inbound, Mailbox
from docket.mailin.parse import Unparseable, parse
from docket.projects.access import Perm, permissions_in, require
from docket.projects.models import Project

ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
IMAP_FIELDS = ("imap_host", "imap_port", "imap_user", "imap_password", "imap_folder",
               "imap_tls", "imap_done_folder")  # fmt: skip
FIELDS = ("address", *IMAP_FIELDS)


def may_manage(actor: Who, project: Project) -> None:
    require(actor, project, Perm.MANAGE_PROJECT)


def mailbox_of(project: Project) -> Mailbox | None:
    return Mailbox.objects.filter(project=project).first()


@transaction.atomic
def set_mailbox(*, actor: Who, project: Project, data: dict[str, Any]) -> Mailbox:
    """Set the project's address and IMAP settings (PUT: those not sent keep their value; the
    password is kept unless a new one is sent, and "" clears it)."""
    may_manage(actor, project)
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid.field(unknown[0], "is not a mail setting")
    box = Mailbox.objects.select_for_update().filter(project=project).first()
    moment = now()
    if box is None:
        if "address" not in data:
            raise Invalid.field("address", "is required")
        box = Mailbox(project=project, created_at=moment)
    before = {f: getattr(box, f) for f in FIELDS if f != "imap_password"} if box.pk else {}
    for name, value in _clean(data).items():
        setattr(box, name, value)
    if box.imap_host and not box.imap_user:
        raise Invalid.field("imap_user", "is required with an IMAP host")
    taken = Mailbox.objects.filter(address=box.address).exclude(project=project).exists()
    if taken:
        raise Conflict(f"the address {box.address} belongs to another project",
                       errors=[{"field": "address", "message": "already taken"}])  # fmt: skip
    box.updated_at = moment
    box.save()
    after = {f: getattr(box, f) for f in FIELDS if f != "imap_password"}
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if "imap_password" in data:
        changed["imap_password"] = "(changed)"  # noqa: S105 - a note, not a password
    audit(actor, "mail.settings", project=project, target=box.address, changed=changed)
    return box


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "address" in data:
        address = str(data["address"] or "").strip().lower()
        if not ADDRESS.fullmatch(address):
            raise Invalid.field("address", "must be an email address like help@example.com")
        out["address"] = address
    for name in ("imap_host", "imap_user", "imap_password", "imap_folder", "imap_done_folder"):
        if name in data:
            value = data[name] if data[name] is not None else ""
            if not isinstance(value, str) or len(value) > 255 or any(ord(c) < 32 for c in value):
                raise Invalid.field(name, "must be one line of at most 255 characters")
            out[name] = value.strip() if name != "imap_password" else value
    if "imap_folder" in out and not out["imap_folder"]:
        out["imap_folder"] = "INBOX"
    if "imap_port" in data:
        port = data["imap_port"]
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise Invalid.field("imap_port", "must be a port number (1-65535)")
        out["imap_port"] = port
    if "imap_tls" in data:
        if not isinstance(data["imap_tls"], bool):
            raise Invalid.field("imap_tls", "must be true or false")
        out["imap_tls"] = data["imap_tls"]
    return out


@transaction.atomic
def remove_mailbox(*, actor: Who, project: Project) -> None:
    may_manage(actor, project)
    box = mailbox_of(project)
    if box is None:
        raise NotFound(f"{project.key} has no mail address")
    box.delete()
    audit(actor, "mail.settings.removed", project=project, target=box.address)


# --- the quarantine -----------------------------------------------------------------------


def may_decide(actor: Who, entry: Inbound) -> None:
    """Site admins decide on every message; project admins on their project's."""
    if is_site_admin(actor):
        return
    if entry.project is None or Perm.MANAGE_PROJECT not in permissions_in(actor, entry.project):
        raise NotFound(f"no quarantined message {entry.pk}")


def _locked(actor: Who, entry_id: int) -> Inbound:
    entry = (
        Inbound.objects.select_for_update(of=("self",)).select_related("project")
        .filter(pk=entry_id).first()
    )  # fmt: skip
    if entry is None:
        raise NotFound(f"no quarantined message {entry_id}")
    may_decide(actor, entry)
    if entry.outcome != Inbound.Outcome.QUARANTINED:
        raise Conflict(f"message {entry_id} is not in the quarantine (it was {entry.outcome})")
    return entry


@transaction.atomic
def discard(*, actor: Who, entry_id: int) -> Inbound:
    entry = _locked(actor, entry_id)
    entry.outcome = Inbound.Outcome.DISCARDED
    entry.decided_by, entry.decided_at = account_of(actor), now()
    entry.raw = b""  # thrown away: the bytes go, the log line stays
    entry.save()
    audit(actor, "mail.discarded", project=entry.project, target=f"mail {entry.pk}",
          subject=entry.subject, sender=entry.sender)  # fmt: skip
    return entry


@transaction.atomic
def assign(*, actor: Who, entry_id: int, issue_key: str | None, project_key: str | None) -> Inbound:
    """Deliver a quarantined message as its sender: a comment on `issue_key`, or a new issue in
    `project_key` (default: the project it was addressed to). The admin must be able to
    manage the target project."""
    entry = _locked(actor, entry_id)
    try:
        mail = parse(bytes(entry.raw))
    except Unparseable as exc:
        raise Invalid(f"this message cannot be delivered: {exc}") from None
    if entry.raw_truncated:
        raise Invalid("this message was too large and only its beginning was kept; discard it")
    target = get_issue_for(actor, issue_key, Perm.VIEW) if issue_key else None
    project = target.project if target else _project(actor, project_key, entry)
    may_manage(actor, project)
    sender, why_not = receive.find_sender(mail.sender, mail.sender_name, create=True)
    if sender is None:
        raise Invalid(f"this message cannot be delivered: {why_not}")
    issue, comment = receive.deliver_as(entry, mail, sender, target, project)
    entry.outcome = Inbound.Outcome.ASSIGNED
    entry.project, entry.issue, entry.comment, entry.author = project, issue, comment, sender
    entry.decided_by, entry.decided_at = account_of(actor), now()
    entry.save()
    audit(actor, "mail.assigned", project=project, target=f"mail {entry.pk}",
          issue=issue.key, as_comment=comment is not None, sender=entry.sender)  # fmt: skip
    return entry


def _project(actor: Who, project_key: str | None, entry: Inbound) -> Project:
    if project_key:
        project = Project.objects.filter(key=project_key.upper()).first()
        if project is None or Perm.VIEW not in permissions_in(actor, project):
            raise NotFound(f"no project {project_key}")
        return project
    if entry.project is None:
        raise Invalid.field("project", "is required: the message was not addressed to a project")
    return entry.project
