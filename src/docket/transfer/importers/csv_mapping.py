"""CSV with a column mapping: Docket field ← column name, from `--map field=Column`, a
mapping file (`field=Column` lines, or a JSON object) or a preset. A column that repeats
(Jira's CSV export repeats Labels, Comment, Watchers… once per value) gives all its values.
Columns the mapping leaves out go into a block at the end of the description, unless
`extras=False`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from docket.core.errors import Invalid
from docket.transfer.importers.records import (
    Bad,
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

TARGETS = (
    "id", "title", "description", "status", "resolution", "priority", "severity", "type",
    "reporter", "assignee", "created", "updated", "resolved", "labels", "comments",
)  # fmt: skip
_GITBUGS = {
    "title": "Summary", "id": "Issue id", "status": "Status", "priority": "Priority",
    "resolution": "Resolution", "created": "Created", "resolved": "Resolved",
    "description": "Description",
}  # fmt: skip
PRESETS: dict[str, dict[str, str]] = {
    # The GitBugs dataset's shapes (a subset of Jira's CSV columns; Bugzilla's in the same names)
    "gitbugs-jira": _GITBUGS,
    "gitbugs-bugzilla": _GITBUGS,
    # Jira's own CSV export ("CSV (all fields)" / "current fields")
    "jira": {
        "title": "Summary", "id": "Issue key", "type": "Issue Type", "status": "Status",
        "priority": "Priority", "resolution": "Resolution", "assignee": "Assignee",
        "reporter": "Reporter", "created": "Created", "updated": "Updated",
        "resolved": "Resolved", "labels": "Labels", "comments": "Comment",
        "description": "Description",
    },
}  # fmt: skip
FIELD_LIMIT = 10_000_000  # a cell may hold a long description


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`["title=Summary", …]` (or a mapping file's lines) → {"title": "Summary"}."""
    mapping = {}
    for pair in pairs:
        if not pair.strip() or pair.lstrip().startswith("#"):
            continue
        target, sep, column = pair.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not column:
            raise Invalid.field("map", f"{pair!r}: write field=Column")
        if target not in TARGETS:
            raise Invalid.field("map", f"{target!r} is not one of {', '.join(TARGETS)}")
        mapping[target] = column
    return mapping


def mapping_file(text: str) -> dict[str, str]:
    """A mapping file: a JSON object {"title": "Summary", …} or `field=Column` lines."""
    if text.lstrip().startswith("{"):
        try:
            given = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Invalid.field("map", f"mapping file: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise Invalid.field("map", "mapping file: an object of field: column name")
        return parse_mapping([f"{k}={v}" for k, v in given.items()])
    return parse_mapping(text.splitlines())


class _Columns:
    """The header: where each name is (repeated names keep all their positions)."""

    def __init__(self, header: list[str], mapping: dict[str, str], preset: bool):
        self.header = [name.strip() for name in header]
        self.at: dict[str, list[int]] = {}
        for position, name in enumerate(self.header):
            self.at.setdefault(name, []).append(position)
        if mapping.get("id") == "Issue key" and "Issue key" not in self.at:
            mapping = {**mapping, "id": "Issue id"}  # an export without keys has ids
        missing = [c for c in mapping.values() if c not in self.at]
        if missing and not preset:
            raise Invalid.field("map", f"no column {missing[0]!r} in the file's header")
        self.mapping = {t: c for t, c in mapping.items() if c in self.at}
        if "title" not in self.mapping:
            raise Invalid.field("map", "map a column to title (e.g. --map title=Summary)")
        used = set(self.mapping.values())
        self.extras = [n for n in self.at if n not in used and n]

    def one(self, cells: list[str], target: str) -> str:
        column = self.mapping.get(target)
        if column is None:
            return ""
        position = self.at[column][0]
        return cells[position].strip() if position < len(cells) else ""

    def many(self, cells: list[str], target: str) -> list[str]:
        column = self.mapping.get(target)
        if column is None:
            return []
        return [cells[p] for p in self.at[column] if p < len(cells) and cells[p].strip()]

    def extra_values(self, cells: list[str]) -> list[tuple[str, str]]:
        pairs = []
        for name in self.extras:
            values = [cells[p].strip() for p in self.at[name] if p < len(cells)]
            pairs.append((name, ", ".join(v for v in values if v)))
        return pairs


def convert(
    text: str,
    *,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    extras: bool = True,
) -> Converted:
    """Each data row → a Row placed by the line it starts on; a row that cannot be read →
    Bad. The header is line 1."""
    if preset is not None and preset not in PRESETS:
        raise Invalid.field("preset", f"unknown preset {preset!r}; one of {', '.join(PRESETS)}")
    chosen = {**PRESETS.get(preset or "", {}), **(mapping or {})}
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid("the file is empty") from None
    columns = _Columns(header, chosen, preset is not None and not mapping)
    items: list[Item] = []
    people: dict[str, Person] = {}
    start = reader.line_num + 1
    for number, cells in enumerate(reader, start=1):
        place = f"line {start}"
        start = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        try:
            items.append(_row(cells, columns, place, number, people, extras))
        except (ValueError, Invalid) as exc:
            message = exc.detail if isinstance(exc, Invalid) else str(exc)
            items.append(Bad(place, message))
    return Converted([*people.values(), *items])


def _row(
    cells: list[str],
    columns: _Columns,
    place: str,
    number: int,
    people: dict[str, Person],
    extras: bool,
) -> Row:
    if len(cells) != len(columns.header):
        raise ValueError(f"has {len(cells)} cells, the header {len(columns.header)}")
    get = columns.one
    title = get(cells, "title")
    if not title:
        raise ValueError("title: is empty")
    status, resolved = get(cells, "status"), resolution(get(cells, "resolution"))
    created = when(get(cells, "created"))
    record: dict[str, Any] = {
        "title": title,
        "type": issue_type(get(cells, "type")),
        "priority": priority(get(cells, "priority")),
        "severity": severity(get(cells, "severity")),
        "status": status,
        "resolution": resolved,
        "created_at": created,
        "updated_at": when(get(cells, "updated")) or when(get(cells, "resolved")) or created,
        "labels": labels(v for cell in columns.many(cells, "labels") for v in cell.split(",")),
    }
    for key in ("reporter", "assignee"):
        name = get(cells, key)
        if name:
            people.setdefault(name, Person(name, login=name, name=name))
            record[key] = name
    record["comments"] = [_comment(cell, people) for cell in columns.many(cells, "comments")]
    pairs = columns.extra_values(cells) if extras else []
    pairs.append(("Resolved", get(cells, "resolved")))  # Docket keeps no such date of its own
    record["description"] = get(cells, "description") + extra_block(pairs)
    source_id = get(cells, "id") or f"row-{number}"
    state = category(status or "", resolved=bool(resolved))
    return Row(place, source_id, trimmed(record), state)


def _comment(cell: str, people: dict[str, Person]) -> dict[str, Any]:
    """A Jira CSV comment cell, `date;author;body`, or a plain comment."""
    parts = cell.split(";", 2)
    if len(parts) == 3:
        try:
            at = when(parts[0])
        except ValueError:
            at = None
        if at is not None:
            author = parts[1].strip()
            people.setdefault(author, Person(author, login=author))
            return {"author": author, "created_at": at, "body": parts[2].strip()}
    return {"body": cell.strip()}
