"""What every converter yields: the people a source names and its issues as Docket import
records (the fields `issues.imports.import_issues` takes), plus their history, or the rows it
could not read. The loader (loader.py) turns these into accounts, issues and events."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

Category = Literal["todo", "doing", "done"]


@dataclass(frozen=True)
class Person:
    """Someone the source names: `identity` is how records refer to them (a login, an
    email, a Trello member id); `login` a username suggestion."""

    identity: str
    login: str = ""
    name: str = ""
    email: str = ""


@dataclass
class Change:
    """One past change of a field, as the source's history tells it."""

    at: str  # ISO 8601 with offset
    actor: str  # a Person identity
    field: str  # a Docket field name: status, resolution, assignee, labels, priority, …
    old: Any
    new: Any


@dataclass
class Row:
    """One issue of the source. `record` is a Docket import record whose reporter, assignee
    and comment authors are Person identities; `status` in it is the source's state name,
    `category` says where it belongs when the workflow has no state of that name."""

    place: str  # "line 12", "item 3", "card 5": how errors name it
    source_id: str
    record: dict[str, Any]
    category: Category = "todo"
    history: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Bad:
    """A row the converter could not read: reported, skipped (or the end, with --strict)."""

    place: str
    message: str


Item = Person | Row | Bad


@dataclass
class Converted:
    """A converter's whole output for one file."""

    items: list[Item]
    name: str = ""  # the board's or project's name, where the source says it
    skipped: list[str] = field(default_factory=list)  # what is not an issue (pull requests)

    @property
    def rows(self) -> int:
        return sum(1 for item in self.items if not isinstance(item, Person))


# --- values -------------------------------------------------------------------------------

DATE_FORMATS = (
    "%d/%b/%y %H:%M",  # Jira: 30/Sep/21 17:20
    "%d/%b/%y %I:%M %p",  # Jira: 14/Jul/25 3:42 PM
    "%d/%b/%Y %H:%M",
    "%d/%b/%Y %I:%M %p",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
)


def when(value: str | None, tz: dt.tzinfo = dt.UTC) -> str | None:
    """A date in one of the common export formats as ISO 8601 with an offset (`tz` for those
    without one), or None when empty. Raises ValueError naming the value otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    moment = _parse(text)
    if moment is None:
        raise ValueError(f"unknown date format {text!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def _parse(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)  # noqa: DTZ007 - `when` adds the zone
        except ValueError:
            continue
    try:  # RFC 822: Fri, 24 Sep 2021 14:22:15 -0700 (Jira XML)
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


PRIORITIES = {
    "blocker": "highest", "highest": "highest", "p1": "highest", "urgent": "highest",
    "critical": "high", "high": "high", "p2": "high",
    "major": "medium", "medium": "medium", "normal": "medium", "p3": "medium",
    "minor": "low", "low": "low", "p4": "low",
    "trivial": "lowest", "lowest": "lowest", "p5": "lowest",
}  # fmt: skip
SEVERITIES = {
    "blocker": "critical", "critical": "critical", "s1": "critical",
    "major": "major", "s2": "major", "normal": "minor", "s3": "minor", "minor": "minor",
    "trivial": "trivial", "s4": "trivial",
}  # fmt: skip
RESOLUTIONS = {
    "fixed": "fixed", "resolved": "fixed", "completed": "fixed",
    "done": "done", "implemented": "done",
    "duplicate": "duplicate", "duplicated": "duplicate",
    "worksforme": "cannot reproduce", "cannot reproduce": "cannot reproduce",
    "cannot_reproduce": "cannot reproduce", "incomplete": "cannot reproduce",
    "won't fix": "won't fix", "wontfix": "won't fix", "won't do": "won't fix",
    "not_planned": "won't fix", "invalid": "won't fix", "not a problem": "won't fix",
    "not a bug": "won't fix", "moved": "won't fix", "expired": "won't fix",
    "obsolete": "won't fix",
}  # fmt: skip
DONE_STATES = {"done", "resolved", "closed", "verified", "fixed", "complete", "completed"}
DOING_STATES = {"in progress", "doing", "assigned", "patch available", "in review", "started"}


def priority(value: str | None) -> str | None:
    return PRIORITIES.get((value or "").strip().lower())


def severity(value: str | None) -> str | None:
    return SEVERITIES.get((value or "").strip().lower())


def resolution(value: str | None) -> str:
    """Docket's nearest resolution ('' for none); an unknown one counts as done."""
    text = (value or "").strip().lower()
    if not text or text in {"unresolved", "none", "--"}:
        return ""
    return RESOLUTIONS.get(text, "done")


def category(state: str, resolved: bool = False) -> Category:
    name = state.strip().lower()
    if name in DONE_STATES or resolved:
        return "done"
    return "doing" if name in DOING_STATES else "todo"


LABEL_MAX = 50


def labels(names: Iterable[str]) -> list[str]:
    """Distinct, trimmed label names, cut to the label length Docket keeps."""
    found: dict[str, None] = {}
    for name in names:
        text = " ".join(name.split())[:LABEL_MAX]
        if text:
            found[text] = None
    return list(found)


def extra_block(pairs: Iterable[tuple[str, str]]) -> str:
    """Fields Docket has no place for, as a block at the end of the description."""
    lines = [f"- **{name}:** {value}" for name, value in pairs if value and value.strip()]
    return "\n".join(["", "", "---", "Imported fields:", *lines]) if lines else ""


TAG = re.compile(r"<[^>]+>")
BREAK = re.compile(r"<\s*(br|/p|/li|/div|/h\d|/tr)\s*/?>", re.IGNORECASE)


def html_text(value: str | None) -> str:
    """HTML (Jira XML's descriptions and comments) as plain text with its line breaks."""
    import html

    text = BREAK.sub("\n", value or "")
    text = re.sub(r"<\s*li[^>]*>", "- ", text, flags=re.IGNORECASE)
    text = html.unescape(TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def each_person(items: Iterable[Item]) -> Iterator[Person]:
    return (item for item in items if isinstance(item, Person))


TYPES = {
    "bug": "bug", "defect": "bug", "task": "task", "sub-task": "task", "subtask": "task",
    "story": "feature", "new feature": "feature", "feature": "feature", "epic": "feature",
    "enhancement": "feature", "improvement": "improvement", "incident": "incident",
    "support": "support", "question": "support",
}  # fmt: skip


def issue_type(value: str | None) -> str | None:
    return TYPES.get((value or "").strip().lower())


def decoded(data: bytes) -> str:
    """A file's text: UTF-8 (with or without a byte order mark)."""
    from docket.core.errors import Invalid

    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the file is not UTF-8 (byte {exc.start})") from None


def trimmed(record: dict[str, Any]) -> dict[str, Any]:
    """The record without empty values (the loader's defaults apply to those)."""
    return {k: v for k, v in record.items() if v not in (None, "", [])}
