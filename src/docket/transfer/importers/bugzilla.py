"""Bugzilla bugs as its REST API gives them (`/rest/bug?include_fields=_all` plus each
bug's `/comment` and `/history`, embedded as `comments` and `history`), JSON Lines or a
JSON array (or `{"bugs": [...]}`): status and resolution, priority (P1–P5) and severity,
keywords → labels, the first comment → the description, the rest → comments, and the
history's changes of status, resolution, assignee, priority, severity, summary and keywords
→ events by their original people at their original times."""

from __future__ import annotations

from typing import Any

from docket.transfer.importers.github import objects
from docket.transfer.importers.records import (
    Bad,
    Change,
    Converted,
    Item,
    Person,
    Row,
    category,
    extra_block,
    issue_type,
    labels,
    priority,
    resolution,
    severity,
    trimmed,
    when,
)

NOBODY = {"", "nobody@mozilla.org", "nobody@bugzilla.org"}
# Bugzilla's field → Docket's, for the changes history keeps
FIELDS = {
    "status": "status", "resolution": "resolution", "assigned_to": "assignee",
    "priority": "priority", "severity": "severity", "bug_severity": "severity",
    "summary": "title", "short_desc": "title", "keywords": "labels",
}  # fmt: skip


def convert(text: str) -> Converted:
    found = objects(text)
    if len(found) == 1 and isinstance(found[0][1], dict) and "bugs" in found[0][1]:
        found = [(f"bug {n}", b) for n, b in enumerate(found[0][1]["bugs"], start=1)]
    people: dict[str, Person] = {}
    items: list[Item] = []
    for place, bug in found:
        if isinstance(bug, Bad):
            items.append(bug)
        elif not isinstance(bug, dict) or "id" not in bug or "summary" not in bug:
            items.append(Bad(place, "not a Bugzilla bug object (no id or summary)"))
        else:
            try:
                items.append(_row(bug, place, people))
            except ValueError as exc:
                items.append(Bad(place, str(exc)))
    return Converted([*people.values(), *items])


def _person(email: Any, detail: Any, people: dict[str, Person]) -> str | None:
    if not isinstance(email, str) or email in NOBODY:
        return None
    if email not in people or isinstance(detail, dict):
        detail = detail if isinstance(detail, dict) else {}
        login = detail.get("nick") or email.split("@")[0]
        people[email] = Person(email, login=login, name=detail.get("real_name", ""), email=email)
    return email


def _row(bug: dict[str, Any], place: str, people: dict[str, Person]) -> Row:
    comments = sorted(
        (c for c in bug.get("comments") or [] if isinstance(c, dict)),
        key=lambda c: c.get("count", 0),
    )
    first = comments[0] if comments and comments[0].get("count") == 0 else None
    status = bug.get("status", "")
    resolved = resolution(bug.get("resolution"))
    extras = [
        ("Product", bug.get("product", "")),
        ("Component", bug.get("component", "")),
        ("Version", bug.get("version", "")),
        ("Whiteboard", bug.get("whiteboard", "")),
        (
            "Target milestone",
            bug.get("target_milestone", "") if bug.get("target_milestone") != "---" else "",
        ),
        ("Duplicate of", str(bug["dupe_of"]) if bug.get("dupe_of") else ""),
        ("Bugzilla resolution", bug.get("resolution", "")),
    ]
    record: dict[str, Any] = {
        "title": bug["summary"],
        "description": ((first or {}).get("text") or "") + extra_block(extras),
        "type": "feature" if bug.get("severity") == "enhancement" else issue_type(bug.get("type")),
        "priority": priority(bug.get("priority")),
        "severity": severity(bug.get("severity")),
        "status": status,
        "resolution": resolved,
        "reporter": _person(bug.get("creator"), bug.get("creator_detail"), people),
        "assignee": _person(bug.get("assigned_to"), bug.get("assigned_to_detail"), people),
        "labels": labels(bug.get("keywords") or []),
        "created_at": when(bug.get("creation_time")),
        "updated_at": when(bug.get("last_change_time")),
        "comments": [
            {
                "author": _person(c.get("author") or c.get("creator"), None, people),
                "created_at": when(c.get("creation_time") or c.get("time")),
                "body": c["text"],
            }
            for c in comments
            if c is not first and (c.get("text") or "").strip()
        ],
    }
    history = _history(bug, people)
    return Row(place, str(bug["id"]), trimmed(record), category(status, bool(resolved)), history)


def _history(bug: dict[str, Any], people: dict[str, Person]) -> list[Change]:
    changes = []
    for entry in bug.get("history") or []:
        at, actor = when(entry.get("when")), _person(entry.get("who"), None, people)
        if at is None or actor is None:
            continue
        for change in entry.get("changes") or []:
            field = FIELDS.get(change.get("field_name", ""))
            if field is None:
                continue
            old, new = change.get("removed") or None, change.get("added") or None
            if field == "assignee":
                old, new = _person(old, None, people), _person(new, None, people)
            elif field == "priority":
                old, new = priority(old) or old, priority(new) or new
            elif field == "severity":
                old, new = severity(old) or old, severity(new) or new
            changes.append(Change(at, actor, field, old, new))
    return _keywords_as_sets(changes, bug.get("keywords") or [])


def _keywords_as_sets(changes: list[Change], final: list[str]) -> list[Change]:
    """Docket's label events hold the whole set before and after; Bugzilla's what was
    removed and added. Walk back from the bug's keywords now."""
    current = set(labels(final))
    for change in reversed(changes):
        if change.field != "labels":
            continue
        added = set(_split(change.new))
        removed = set(_split(change.old))
        before = (current - added) | removed
        change.old, change.new = sorted(before), sorted(current)
        current = before
    return changes


def _split(value: Any) -> list[str]:
    return labels(str(value).split(",")) if value else []
