"""Jira's XML export (an RSS 0.92 search result, one `<item>` per issue): key, summary,
HTML description, type, priority, status (+ statusCategory), resolution, assignee and
reporter (by account id, with their display names), labels, dates (RFC 822), due date,
comments, custom fields (into the description's block). Parsed with defusedxml: entity
expansion and external references in an uploaded file are refused."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from docket.core.errors import Invalid
from docket.transfer.importers.records import (
    Bad,
    Category,
    Converted,
    Item,
    Person,
    Row,
    category,
    extra_block,
    html_text,
    issue_type,
    labels,
    priority,
    resolution,
    trimmed,
    when,
)

# statusCategory keys: new (to do), indeterminate (in progress), done
CATEGORIES: dict[str, Category] = {"new": "todo", "indeterminate": "doing", "done": "done"}
NOBODY = {"", "-1"}


def convert(text: str) -> Converted:
    try:
        root = safe_xml.fromstring(text)
    except (safe_xml.ParseError, DefusedXmlException) as exc:
        raise Invalid(f"not a Jira XML export: {exc}") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise Invalid("not a Jira XML export: no <rss><channel>")
    people: dict[str, Person] = {}
    items: list[Item] = []
    name = ""
    for number, item in enumerate(channel.findall("item"), start=1):
        place = f"item {number}"
        try:
            items.append(_row(item, place, people))
        except ValueError as exc:
            items.append(Bad(place, str(exc)))
        name = name or _text(item, "project")
    return Converted([*people.values(), *items], name=name)


def _text(item: Element, tag: str) -> str:
    found = item.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _person(item: Element, tag: str, people: dict[str, Person]) -> str | None:
    found = item.find(tag)
    if found is None:
        return None
    account = found.get("accountid") or found.get("username") or ""
    if account in NOBODY:
        return None
    name = (found.text or "").strip()
    people[account] = Person(account, login=name or account, name=name)
    return account


def _row(item: Element, place: str, people: dict[str, Person]) -> Row:
    key = _text(item, "key")
    title = _text(item, "summary")
    if not key or not title:
        raise ValueError("an item needs a key and a summary")
    status = _text(item, "status")
    found = item.find("statusCategory")
    kind = CATEGORIES.get(found.get("key", "") if found is not None else "")
    resolved = resolution(_text(item, "resolution"))
    due = when(_text(item, "due"))
    record: dict[str, Any] = {
        "title": title,
        "description": html_text(_text(item, "description")) + extra_block(_custom(item)),
        "type": issue_type(_text(item, "type")),
        "priority": priority(_text(item, "priority")),
        "status": status,
        "resolution": resolved,
        "reporter": _person(item, "reporter", people),
        "assignee": _person(item, "assignee", people),
        "labels": labels(label.text or "" for label in item.iterfind("labels/label")),
        "created_at": when(_text(item, "created")),
        "updated_at": when(_text(item, "updated")),
        "due_date": due[:10] if due else None,
        "comments": [_comment(c, people) for c in item.iterfind("comments/comment")],
    }
    record["comments"] = [c for c in record["comments"] if c["body"]]
    return Row(place, key, trimmed(record), kind or category(status, bool(resolved)))


def _comment(found: Element, people: dict[str, Person]) -> dict[str, Any]:
    author = found.get("author", "")
    if author and author not in people:
        people[author] = Person(author, login=author)
    return {
        "author": author,
        "created_at": when(found.get("created")),
        "body": html_text(found.text),
    }


def _custom(item: Element) -> list[tuple[str, str]]:
    pairs = []
    environment = _text(item, "environment")
    if environment:
        pairs.append(("Environment", html_text(environment)))
    for field in item.iterfind("customfields/customfield"):
        values = [
            (v.text or "").strip() for v in field.iterfind("customfieldvalues/customfieldvalue")
        ]
        pairs.append((_text(field, "customfieldname"), ", ".join(v for v in values if v)))
    return pairs
