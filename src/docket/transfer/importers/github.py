"""GitHub issues as the REST API gives them (JSON Lines or a JSON array of issue objects),
each with its comments (`comments` as a list of comment objects; the API's count is ignored)
and its `events` (the issue events API) embedded: labels, assignees, milestone (into the
description's block), state and state_reason → status and resolution, events → history
(labeled, unlabeled, closed, reopened, assigned, unassigned, renamed). Pull requests (which
the issues API also lists) are skipped."""

from __future__ import annotations

import json
from typing import Any

from docket.core.errors import Invalid
from docket.transfer.importers.records import (
    Bad,
    Change,
    Converted,
    Item,
    Person,
    Row,
    extra_block,
    labels,
    trimmed,
    when,
)

REASONS = {"completed": "fixed", "not_planned": "won't fix", "duplicate": "duplicate"}


def objects(text: str) -> list[tuple[str, Any]]:
    """(place, object) for a JSON array or JSON Lines; a line that is not JSON → (place, None)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            return [(f"item {n}", o) for n, o in enumerate(json.loads(text), start=1)]
        except json.JSONDecodeError as exc:
            raise Invalid(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    found: list[tuple[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                found.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                found.append((f"line {number}", Bad(f"line {number}", f"not JSON: {exc.msg}")))
    return found


def convert(text: str) -> Converted:
    people: dict[str, Person] = {}
    items: list[Item] = []
    skipped = []
    for place, issue in objects(text):
        if isinstance(issue, Bad):
            items.append(issue)
        elif not isinstance(issue, dict) or "number" not in issue or "title" not in issue:
            items.append(Bad(place, "not a GitHub issue object (no number or title)"))
        elif "pull_request" in issue:
            skipped.append(place)
        else:
            items.append(_row(issue, place, people))
    return Converted([*people.values(), *items], skipped=skipped)


def _login(account: object, people: dict[str, Person]) -> str | None:
    """The login of a GitHub user object (JSON), noted among the people to import."""
    if not isinstance(account, dict) or not account.get("login"):
        return None
    login = account["login"]
    people.setdefault(login, Person(login, login=login))
    return login


def _row(issue: dict[str, Any], place: str, people: dict[str, Person]) -> Row:
    closed = issue.get("state") == "closed"
    assignees = [_login(u, people) for u in issue.get("assignees") or []]
    milestone = (issue.get("milestone") or {}).get("title", "")
    record: dict[str, Any] = {
        "title": issue["title"],
        "description": (issue.get("body") or "") + extra_block([("Milestone", milestone)]),
        "status": "Closed" if closed else "Open",
        "resolution": REASONS.get(issue.get("state_reason") or "", "fixed") if closed else "",
        "reporter": _login(issue.get("user"), people),
        "assignee": next((a for a in assignees if a), None)
        or _login(issue.get("assignee"), people),
        "labels": labels(
            lb.get("name", "") for lb in issue.get("labels", []) if isinstance(lb, dict)
        ),
        "created_at": when(issue.get("created_at")),
        "updated_at": when(issue.get("updated_at")),
        "comments": [_comment(c, people) for c in _comments(issue)],
    }
    history = _labels_as_sets([c for e in issue.get("events") or [] for c in _change(e, people)])
    return Row(place, str(issue["number"]), trimmed(record), "done" if closed else "todo", history)


def _comments(issue: dict[str, Any]) -> list[dict[str, Any]]:
    given = issue.get("comments")
    return (
        [c for c in given if isinstance(c, dict) and (c.get("body") or "").strip()]
        if isinstance(given, list)
        else []
    )


def _comment(comment: dict[str, Any], people: dict[str, Person]) -> dict[str, Any]:
    return {
        "author": _login(comment.get("user"), people),
        "created_at": when(comment.get("created_at")),
        "body": comment["body"],
    }


def _change(event: dict[str, Any], people: dict[str, Person]) -> list[Change]:
    at, actor = when(event.get("created_at")), _login(event.get("actor"), people)
    if at is None or actor is None:
        return []
    kind = event.get("event")
    if kind in ("labeled", "unlabeled"):
        name = (event.get("label") or {}).get("name")
        old, new = (None, name) if kind == "labeled" else (name, None)
        return [Change(at, actor, "labels", old, new)]
    if kind in ("closed", "reopened"):
        old, new = ("Open", "Closed") if kind == "closed" else ("Closed", "Open")
        return [Change(at, actor, "status", old, new)]
    if kind in ("assigned", "unassigned"):
        who = _login(event.get("assignee"), people)
        old, new = (None, who) if kind == "assigned" else (who, None)
        return [Change(at, actor, "assignee", old, new)]
    if kind == "renamed":
        rename = event.get("rename") or {}
        return [Change(at, actor, "title", rename.get("from"), rename.get("to"))]
    if kind in ("milestoned", "demilestoned"):
        name = (event.get("milestone") or {}).get("title")
        old, new = (None, name) if kind == "milestoned" else (name, None)
        return [Change(at, actor, "milestone", old, new)]
    return []


def _labels_as_sets(changes: list[Change]) -> list[Change]:
    """Docket's label events hold the whole set before and after: replay the events (an
    issue's labels all arrive through them, from none)."""
    current: list[str] = []
    for change in changes:
        if change.field != "labels":
            continue
        before = list(current)
        if change.new is not None and change.new not in current:
            current = sorted([*current, change.new])
        if change.old is not None:
            current = [name for name in current if name != change.old]
        change.old, change.new = before, list(current)
    return changes
