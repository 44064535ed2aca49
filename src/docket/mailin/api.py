"""Mail in over the API (docs/api.md, docs/mail.md): a project's address and IMAP settings
(project admins) under /projects/{key}/mail, and the log of arrived mail with its
quarantine under /mail/inbound (site admins: all; project admins: their projects')."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.core.errors import Forbidden, NotFound
from docket.mailin import actions, queries
from docket.mailin.models import Inbound, Mailbox
from docket.mailin.parse import Unparseable, parse
from docket.projects.access import get_project_for

router = Router(tags=["mail"])
MAX_PAGE = 200


class MailboxIn(Schema):
    """A project's mail settings; those not sent keep their value."""

    model_config = ConfigDict(extra="forbid", strict=True)
    address: str | None = Field(None, description="The inbound address, e.g. help@example.com")
    imap_host: str | None = Field(None, description="Poll this IMAP server; empty: no polling")
    imap_port: int | None = None
    imap_user: str | None = None
    imap_password: str | None = Field(None, description="Write-only; never shown")
    imap_folder: str | None = Field(None, description="Folder to read (INBOX)")
    imap_tls: bool | None = Field(None, description="IMAP over TLS (port 993)")
    imap_done_folder: str | None = Field(
        None, description="Move handled messages here; empty: only flag them \\Seen"
    )


class MailboxOut(Schema):
    project: str
    address: str
    imap_host: str
    imap_port: int
    imap_user: str
    imap_password_set: bool
    imap_folder: str
    imap_tls: bool
    imap_done_folder: str
    imap_polled_at: dt.datetime | None
    imap_last_error: str
    updated_at: dt.datetime


class InboundOut(Schema):
    id: int
    outcome: str = Field(description="opened, commented, ignored, quarantined, assigned, discarded")
    reason: str
    project: str | None
    issue: str | None
    received_at: dt.datetime
    via: str
    recipient: str
    sender: str
    sender_name: str
    subject: str
    message_id: str
    size: int
    decided_by: str | None
    decided_at: dt.datetime | None


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int


class InboundDetail(InboundOut):
    headers: list[tuple[str, str]] = Field(description="The main headers, decoded")
    text: str = Field(description="The body as Markdown")
    attachments: list[AttachmentOut]
    raw_kept: int = Field(description="Bytes of the message kept")
    raw_truncated: bool


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    issue: str | None = Field(None, description="Comment on this issue (KEY-123)")
    project: str | None = Field(None, description="Else open an issue here (default: the "
                                "project the mail was addressed to)")  # fmt: skip


def mailbox_out(box: Mailbox) -> dict[str, Any]:
    return {
        "project": box.project.key, "address": box.address, "imap_host": box.imap_host,
        "imap_port": box.imap_port, "imap_user": box.imap_user,
        "imap_password_set": bool(box.imap_password), "imap_folder": box.imap_folder,
        "imap_tls": box.imap_tls, "imap_done_folder": box.imap_done_folder,
        "imap_polled_at": box.imap_polled_at, "imap_last_error": box.imap_last_error,
        "updated_at": box.updated_at,
    }  # fmt: skip


def inbound_out(entry: Inbound) -> dict[str, Any]:
    return {
        "id": entry.pk, "outcome": entry.outcome, "reason": entry.reason,
        "project": entry.project.key if entry.project else None,
        "issue": entry.issue.key if entry.issue else None, "received_at": entry.received_at,
        "via": entry.via, "recipient": entry.recipient, "sender": entry.sender,
        "sender_name": entry.sender_name, "subject": entry.subject,
        "message_id": entry.message_id, "size": entry.size,
        "decided_by": entry.decided_by.username if entry.decided_by else None,
        "decided_at": entry.decided_at,
    }  # fmt: skip


def inbound_detail(entry: Inbound) -> dict[str, Any]:
    raw = bytes(entry.raw)
    headers: list[tuple[str, str]] = []
    text = ""
    attachments: list[dict[str, Any]] = []
    if raw:
        try:
            mail = parse(raw)
        except Unparseable as exc:
            text = f"(cannot be parsed: {exc})"
        else:
            headers, text = mail.shown_headers, mail.text
            attachments = [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.data)}
                for a in mail.attachments
            ]
    return {
        **inbound_out(entry), "headers": headers, "text": text, "attachments": attachments,
        "raw_kept": len(raw), "raw_truncated": entry.raw_truncated,
    }  # fmt: skip


# --- a project's address ------------------------------------------------------------------


@router.get("/projects/{key}/mail", response=MailboxOut, summary="The project's mail settings")
def get_mailbox(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    actions.may_manage(request.auth, project)
    box = actions.mailbox_of(project)
    if box is None:
        raise NotFound(f"{project.key} has no mail address")
    return mailbox_out(box)


@router.put(
    "/projects/{key}/mail", response=MailboxOut,
    summary="Set the project's inbound address and optional IMAP mailbox (project admins)",
)  # fmt: skip
def put_mailbox(request: ApiRequest, key: str, payload: MailboxIn) -> Any:
    project = get_project_for(request.auth, key)
    box = actions.set_mailbox(
        actor=request.auth, project=project, data=payload.dict(exclude_unset=True)
    )
    return mailbox_out(box)


@router.delete("/projects/{key}/mail", response={204: None}, summary="Stop taking mail")
def delete_mailbox(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    actions.remove_mailbox(actor=request.auth, project=project)
    return Status(204, None)


# --- the log and the quarantine -----------------------------------------------------------


class ListFilter(Schema):
    outcome: str | None = Field(
        "quarantined", description="quarantined (default), ignored, opened, …; 'all' for every"
    )
    before: int | None = Field(None, description="Entries older than this id (the next page)")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


@router.get(
    "/mail/inbound", response=list[InboundOut],
    summary="Arrived mail, newest first: the quarantine by default (admins)",
)  # fmt: skip
def list_inbound(request: ApiRequest, filters: Query[ListFilter]) -> Any:
    if not queries.may_see_any(request.auth):
        raise Forbidden("only site admins and project admins see arrived mail")
    outcome = None if filters.outcome in (None, "all") else filters.outcome
    if outcome is not None and outcome not in Inbound.Outcome.values:
        raise NotFound(f"no outcome {outcome!r}")
    entries = queries.entries_for(request.auth, outcome)
    if filters.before is not None:
        entries = entries.filter(id__lt=filters.before)
    return [inbound_out(e) for e in entries[: filters.limit]]


@router.get("/mail/inbound/{entry_id}", response=InboundDetail, summary="An arrived message")
def get_inbound(request: ApiRequest, entry_id: int) -> Any:
    return inbound_detail(queries.entry_for(request.auth, entry_id))


@router.post(
    "/mail/inbound/{entry_id}/assign", response=InboundOut,
    summary="Deliver a quarantined message: a comment on an issue, or a new issue",
)  # fmt: skip
def assign_inbound(request: ApiRequest, entry_id: int, payload: AssignIn) -> Any:
    entry = actions.assign(
        actor=request.auth, entry_id=entry_id, issue_key=payload.issue,
        project_key=payload.project,
    )  # fmt: skip
    return inbound_out(entry)


@router.post(
    "/mail/inbound/{entry_id}/discard", response=InboundOut,
    summary="Throw a quarantined message away (its log line stays)",
)  # fmt: skip
def discard_inbound(request: ApiRequest, entry_id: int) -> Any:
    return inbound_out(actions.discard(actor=request.auth, entry_id=entry_id))
