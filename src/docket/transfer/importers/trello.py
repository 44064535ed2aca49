"""A Trello board's JSON export ("Export as JSON"): cards → issues, the card's list → its
status (the last list, and lists named like Done, are done; lists named like Doing are in
progress; the rest to do), labels (by name, else colour), checklists → a task list in the
description, members → people (the first on a card is its assignee), `commentCard` actions →
comments, member and list moves → history. Trello's export holds at most 1000 actions, so
old comments may be missing from the file itself."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from docket.core.errors import Invalid
from docket.transfer.importers.records import (
    Category,
    Change,
    Converted,
    Item,
    Person,
    Row,
    labels,
    trimmed,
    when,
)

DONE_WORDS = ("done", "complete", "finished", "closed", "shipped")
DOING_WORDS = ("doing", "in progress", "progress", "review", "started")


def convert(text: str) -> Converted:
    try:
        board = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(board, dict) or not isinstance(board.get("cards"), list):
        raise Invalid("not a Trello board export: no cards")
    people = {
        m["id"]: Person(m["id"], login=m.get("username", ""), name=m.get("fullName", ""))
        for m in board.get("members", [])
    }
    lists = {item["id"]: item for item in board.get("lists", [])}
    kinds = _categories(board.get("lists", []))
    label_names = {
        lb["id"]: lb.get("name") or lb.get("color") or "" for lb in board.get("labels", [])
    }
    checklists = {c["id"]: c for c in board.get("checklists", [])}
    actions = _actions_by_card(board.get("actions", []), people)
    items: list[Item] = []
    for number, card in enumerate(board["cards"], start=1):
        mine = actions.get(card["id"], [])
        record: dict[str, Any] = {
            "title": card.get("name", "").strip(),
            "description": card.get("desc", "") + _checklists(card, checklists),
            "status": lists.get(card.get("idList"), {}).get("name", ""),
            "labels": labels(label_names.get(i, "") for i in card.get("idLabels", [])),
            "assignee": (card.get("idMembers") or [None])[0],
            "reporter": next(
                (a["idMemberCreator"] for a in mine if a["type"] == "createCard"), None
            ),
            "created_at": _created(card, mine),
            "updated_at": when(card.get("dateLastActivity")),
            "due_date": (card.get("due") or "")[:10],
            "comments": [
                {
                    "author": a["idMemberCreator"],
                    "created_at": when(a["date"]),
                    "body": a["data"]["text"],
                }
                for a in reversed(mine)
                if a["type"] == "commentCard" and a["data"].get("text", "").strip()
            ],
        }
        kind = kinds.get(card.get("idList", ""), "todo")
        if card.get("dueComplete") and kind != "done":
            kind = "done"
        row = Row(f"card {number}", card["id"], trimmed(record), kind, _history(mine, lists))
        items.append(row)
    return Converted([*people.values(), *items], name=board.get("name", ""))


def _categories(lists: list[dict[str, Any]]) -> dict[str, Category]:
    """Done: the board's last open list and lists named like done; doing: named like doing."""
    open_lists = [item for item in lists if not item.get("closed")] or lists
    found: dict[str, Category] = {}
    for item in lists:
        name = item.get("name", "").lower()
        if any(word in name for word in DONE_WORDS):
            found[item["id"]] = "done"
        elif any(word in name for word in DOING_WORDS):
            found[item["id"]] = "doing"
        else:
            found[item["id"]] = "todo"
    if len(open_lists) > 1:  # a one-list board is a to-do list, not a finished one
        found[open_lists[-1]["id"]] = "done"
    return found


def _actions_by_card(
    actions: list[dict[str, Any]], people: dict[str, Person]
) -> dict[str, list[dict[str, Any]]]:
    """Each card's actions, newest first as Trello lists them; their people known."""
    found: dict[str, list[dict[str, Any]]] = {}
    for action in actions:
        card = action.get("data", {}).get("card")
        creator = action.get("memberCreator") or {}
        if creator.get("id") and creator["id"] not in people:
            people[creator["id"]] = Person(
                creator["id"], login=creator.get("username", ""), name=creator.get("fullName", "")
            )
        if card and "id" in card:
            found.setdefault(card["id"], []).append(action)
    return found


def _created(card: dict[str, Any], actions: list[dict[str, Any]]) -> str | None:
    for action in actions:
        if action["type"] == "createCard":
            return when(action["date"])
    try:  # a Trello id starts with its creation time, as a MongoDB ObjectId does
        seconds = int(card["id"][:8], 16)
    except (KeyError, ValueError):
        return when(card.get("dateLastActivity"))
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


def _checklists(card: dict[str, Any], checklists: dict[str, Any]) -> str:
    parts = []
    for checklist_id in card.get("idChecklists", []):
        checklist = checklists.get(checklist_id)
        if checklist is None:
            continue
        ticks = sorted(checklist.get("checkItems", []), key=lambda i: i.get("pos", 0))
        lines = [
            f"- [{'x' if i.get('state') == 'complete' else ' '}] {i.get('name', '')}" for i in ticks
        ]
        parts.append("\n".join([f"### {checklist.get('name', 'Checklist')}", *lines]))
    return "".join(f"\n\n{part}" for part in parts)


def _history(actions: list[dict[str, Any]], lists: dict[str, Any]) -> list[Change]:
    changes = []
    for action in reversed(actions):  # oldest first
        data, actor, at = (
            action.get("data", {}),
            action.get("idMemberCreator", ""),
            when(action["date"]),
        )
        if at is None:
            continue
        if action["type"] == "addMemberToCard":
            changes.append(Change(at, actor, "assignee", None, data.get("idMember")))
        elif action["type"] == "removeMemberFromCard":
            changes.append(Change(at, actor, "assignee", data.get("idMember"), None))
        elif action["type"] == "updateCard" and "listAfter" in data:
            before, after = data.get("listBefore", {}), data["listAfter"]
            changes.append(Change(at, actor, "status", before.get("name"), after.get("name")))
    return changes
