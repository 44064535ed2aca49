"""What a delivery says: the event as JSON (kept on the delivery when it is queued, so every
attempt sends the same body), and the chat message made from that JSON."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from docket.core.outbound import chat
from docket.core.outbound.signing import signed_headers
from docket.issues import custom_fields
from docket.issues.models import EventKind, Issue, IssueEvent

COMMENT_CHARS = 4000


def issue_url(key: str) -> str:
    return f"{settings.BASE_URL.rstrip('/')}/{key}"


def event_payload(event: IssueEvent, issue: Issue) -> dict[str, Any]:
    """The Standard Webhooks body: `type`, `timestamp` and `data` (the event, its issue)."""
    key = f"{issue.project.key}-{issue.number}"
    data: dict[str, Any] = {
        "event": {
            "id": event.id, "kind": event.kind, "field": event.field or None,
            "old": event.old, "new": event.new, "at": event.created_at.isoformat(),
        },
        "issue": {
            "key": key, "title": issue.title, "url": issue_url(key),
            "status": issue.status.name, "priority": issue.get_priority_display(),
            "assignee": issue.assignee.username if issue.assignee else None,
            "confidential": issue.confidential, "estimate": issue.estimate,
            "custom_fields": custom_fields.stored_values(issue),
        },
        "project": issue.project.key,
        "actor": event.actor.username if event.actor else None,
    }  # fmt: skip
    if event.kind == EventKind.COMMENT_DELETED:
        data["event"]["old"] = None  # a deleted comment's words stay deleted
    if event.kind in (EventKind.LINKED, EventKind.UNLINKED):
        _without_other_issue(data["event"])
    comment = event.comment if event.comment_id else None
    if comment is not None and comment.internal:
        _without_note(data, comment.id)
    elif comment is not None and comment.deleted_at is None:
        data["comment"] = {"id": comment.id, "body": comment.body[:COMMENT_CHARS]}
    return {"type": f"issue.{event.kind}", "timestamp": event.created_at.isoformat(), "data": data}


def _without_other_issue(event: dict[str, Any]) -> None:
    """A link names another issue, maybe in a project the hook's receivers may not see: the
    payload says which kind of link was made or removed, never with what (docs/integrations.md)."""
    for side in ("old", "new"):
        if isinstance(event.get(side), dict):
            event[side] = {"kind": event[side].get("kind"), "issue": None}


def _without_note(data: dict[str, Any], comment_id: int) -> None:
    """An internal note's words never leave Docket (docs/integrations.md): the event says only
    that a note was written, edited or deleted, to standard hooks and chat channels alike."""
    data["event"]["old"] = data["event"]["new"] = None
    data["comment"] = {"id": comment_id, "internal": True}


def _summary(data: dict[str, Any]) -> str:
    who = data.get("actor") or "Docket"
    event = data["event"]
    kind = event["kind"]
    if kind == EventKind.CHANGED:
        return f"{who} changed {event['field']}: {_value(event['old'])} → {_value(event['new'])}"
    if kind == EventKind.NOTICE:
        return f"{who}: {(event.get('new') or {}).get('message') or 'a notice'}"
    if kind == EventKind.WEBHOOK_REQUESTED:
        return f"{who} sent it here: {(event.get('new') or {}).get('message') or 'have a look'}"
    return {
        EventKind.CREATED: f"{who} created it",
        EventKind.COMMENTED: f"{who} commented",
        EventKind.COMMENT_EDITED: f"{who} edited a comment",
        EventKind.COMMENT_DELETED: f"{who} deleted a comment",
        EventKind.DELETED: f"{who} deleted it",
        EventKind.RESTORED: f"{who} restored it",
        EventKind.ACCESS_GRANTED: f"{who} shared it with someone",
        EventKind.ACCESS_REVOKED: f"{who} removed someone's access",
        EventKind.SLA_WARNING: "SLA warning",
        EventKind.SLA_BREACHED: "SLA breached",
        EventKind.SLA_ESCALATED: "SLA escalated",
    }.get(kind, f"{who}: {kind}")


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"


def chat_note(payload: dict[str, Any]) -> chat.Note:
    data = payload["data"]
    issue = data["issue"]
    facts = [("Status", issue["status"]), ("Priority", issue["priority"])]
    if issue.get("assignee"):
        facts.append(("Assignee", issue["assignee"]))
    return chat.Note(
        title=f"{issue['key']} {issue['title']}",
        url=issue["url"],
        summary=_summary(data),
        detail=(data.get("comment") or {}).get("body", ""),
        facts=facts,
    )


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def request_for(
    format_: str, secret: str, message_id: str, payload: dict[str, Any], moment: Any
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt in the hook's format. Chat bodies carry the
    delivery id too (`webhook-id`), so a receiver's log can be matched with Docket's."""
    if format_ == "standard":
        body = encode(payload)
        return body, signed_headers(secret, message_id, moment, body)
    body = encode(chat.shaped(format_, chat_note(payload)))
    return body, {"Content-Type": "application/json", "webhook-id": message_id}
