"""The one table of issue fields: for each field its name and label, how an outside value is
checked and turned into what the model stores, how it reads back out, who may edit it, whether
it may change with a transition or be required by one, and how a form shows it.

Create, update, transitions, the importer, the API schemas, list rows, history snapshots and
the web forms all read this table; a new field (or a custom field, later) is one entry here.
The query language's entries for these fields live in `query_fields.py`, keyed by the same names.

Outside values are what the API, events and imports carry: enum names in lower case, people
by username, dates as ISO 8601 text, labels/components/milestones by name, teams by slug.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Protocol

from docket.core.errors import Invalid
from docket.issues.durations import MAX_MINUTES, parse_duration
from docket.issues.models import Issue, IssueType, Priority, Resolution, Severity
from docket.projects.access import Perm
from docket.projects.workflow_rules import REQUIRABLE_FIELDS

MAX_TITLE = 255
MAX_DESCRIPTION = 100_000
MAX_COMMENT = 100_000
MAX_LABEL = 50
MAX_NAMES = 50  # labels or components on one issue
MAX_NAME = 150  # a username, milestone or state name given as input
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"  # dates in, as the API schema also states
# Zero-width characters and bidirectional overrides/isolates: refused in names (labels,
# components), which people pick and filter by.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Titles are prose, where four of those are ordinary writing: ZWNJ and ZWJ (Persian and
# Indic scripts, emoji sequences) and the LRM/RLM marks (mixed right-to-left text). The
# others (bidi overrides, embeddings and isolates, zero-width space, word joiner, invisible
# operators, BOM) can only hide or reorder what a title shows — in lists, pages, mail
# subjects — so titles refuse them too.
TITLE_INVISIBLE = re.compile("[\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

TYPE_NAMES: tuple[str, ...] = tuple(IssueType.values)
SEVERITY_BY_NAME: dict[str, int] = {str(c.label): c.value for c in Severity}
PRIORITY_BY_NAME: dict[str, int] = {str(c.label): c.value for c in Priority}
RESOLUTION_NAMES: tuple[str, ...] = tuple(Resolution.values)
# Value -> name as plain dicts: `Priority(value).label` builds an enum member (~6 µs; a
# board names 250 priorities).
SEVERITY_NAMES = {value: name for name, value in SEVERITY_BY_NAME.items()}
PRIORITY_NAMES = {value: name for name, value in PRIORITY_BY_NAME.items()}


class Relations(Protocol):
    """Resolves names to the project's rows. The actions look each up as they go
    (`relations.ProjectRelations`); the importer preloads a whole batch."""

    def state(self, name: str, field: str) -> Any: ...
    def assignee(self, username: str) -> Any: ...
    def labels(self, names: list[str]) -> list[Any]: ...
    def components(self, names: list[str]) -> list[Any]: ...
    def milestone(self, name: str) -> Any: ...
    def team(self, slug: str) -> Any: ...
    def parent(self, key: str) -> Any: ...


# --- checks: outside value -> clean outside value (Invalid naming the field otherwise) -------


def clean_text(field: str, value: Any, *, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        raise Invalid.field(field, "must be a string")
    if "\x00" in value:
        raise Invalid.field(field, "must not contain NUL characters")
    text = value.strip() if field == "title" else value
    if required and not text.strip():  # a blank comment or label is as empty as ""
        raise Invalid.field(field, "must not be empty")
    if len(text) > max_length:
        raise Invalid.field(field, f"must be at most {max_length} characters (got {len(text)})")
    return text


def _title(value: Any) -> str:
    title = clean_text("title", value, max_length=MAX_TITLE, required=True)
    hidden = TITLE_INVISIBLE.search(value)  # the position in the title as it was sent
    if hidden:
        code = f"U+{ord(hidden.group()):04X}"
        raise Invalid.field(
            "title",
            f"must not contain invisible or bidi characters ({code} at character "
            f"{hidden.start() + 1})",
        )
    return title


def _description(value: Any) -> str:
    if value is None:
        return ""
    return clean_text("description", value, max_length=MAX_DESCRIPTION, required=False)


def _one_of(field: str, names: Any, *, optional: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str) or value not in names:
            raise Invalid.field(field, f"must be one of: {', '.join(names)}")
        return value

    return check


def _name(field: str, *, optional: bool) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise Invalid.field(field, "must be a name" + (" or null" if optional else ""))
        if len(value) > MAX_NAME:
            raise Invalid.field(field, f"must be at most {MAX_NAME} characters")
        return value

    return check


def _names(field: str, *, max_length: int) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise Invalid.field(field, "must be a list of names")
        if len(value) > MAX_NAMES:
            raise Invalid.field(field, f"must hold at most {MAX_NAMES} names")
        names = {clean_text(field, n, max_length=max_length, required=True).strip() for n in value}
        for name in names:
            hidden = INVISIBLE.search(name)
            if hidden:  # a name that reads as another ("ur\u202egent") must not be made
                code = f"U+{ord(hidden.group()):04X}"
                raise Invalid.field(
                    field, f"must not contain invisible or bidi characters ({code})"
                )
        return sorted(names)

    return check


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    # Only YYYY-MM-DD: Python's fromisoformat also takes 20261231 and 2026-W53-4.
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise Invalid.field("due_date", "must be a date like 2026-12-31")


PARENT_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,9}-[1-9][0-9]{0,9}")


def _parent(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not PARENT_KEY.fullmatch(value.strip()):
        raise Invalid.field("parent", "must be an issue key like WEB-12, or null")
    return value.strip().upper()


def _estimate(value: Any) -> int | None:
    """Minutes: a whole number, or a duration like "3h 30m" (durations.py); "" or null clears."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise Invalid.field("estimate", str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
        raise Invalid.field(
            "estimate", f"must be minutes from 0 to {MAX_MINUTES}, or a duration like 3h 30m"
        )
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid.field("confidential", "must be true or false")
    return value


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueField:
    name: str
    label: str
    check: Callable[[Any], Any]
    # The clean outside value -> what the model stores (None: stored as is).
    store: Callable[[Any, Relations], Any] | None = None
    # The column list rows fetch (`values()` path) and how its value reads out ("" for the
    # many-to-many names, read separately).
    column: str = ""
    outward: Callable[[Any], Any] | None = None
    default: Any = None  # the outside value of a new issue that does not give it
    reporter_may_edit: bool = False  # reporters may change it on issues they reported
    edit_permission: Perm = Perm.EDIT_ISSUE
    with_transition: bool = False  # may change in the same step as a transition
    inline: bool = True  # edited in place on the issue page (status moves by transitions)
    widget: str = "text"  # text · textarea · select · names · date · checkbox
    clearable: bool = False  # may be emptied (null)
    query: str = ""  # its name in the query language (query_fields.py), if not `name`
    # The column is the number of an issue in the same project: reads out as its key.
    issue_number: bool = False
    path: tuple[str, ...] = dataclass_field(init=False)  # `column` split, for `read`

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.column.split("__")) if self.column else ())

    @property
    def query_name(self) -> str:
        return self.query or self.name

    @property
    def requirable(self) -> bool:
        """Whether a workflow transition may require it (the workflow rules decide)."""
        return self.name in REQUIRABLE_FIELDS

    def to_stored(self, value: Any, relations: Relations) -> Any:
        clean = self.check(value)
        return clean if self.store is None else self.store(clean, relations)

    def read(self, issue: Issue) -> Any:
        """The outside value of this field of a loaded issue."""
        if not self.column:  # labels, components: need prefetched rows
            return sorted(item.name for item in getattr(issue, self.name).all())
        value: Any = issue
        for part in self.path:
            value = getattr(value, part)
            if value is None:  # an empty relation or column reads out as null
                return None
        if self.issue_number:
            return f"{issue.project.key}-{value}"
        return value if self.outward is None else self.outward(value)


def _lower(name: str) -> str:
    return name.lower()


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _none_if_empty(value: str) -> str | None:
    return value or None


FIELDS: dict[str, IssueField] = {
    f.name: f
    for f in (
        IssueField("title", "Title", _title, column="title", reporter_may_edit=True),
        IssueField(
            "description", "Description", _description, column="description", default="",
            reporter_may_edit=True, widget="textarea",
        ),
        IssueField(
            "type", "Type", _one_of("type", TYPE_NAMES), column="type", default="bug",
            reporter_may_edit=True, widget="select",
        ),
        IssueField(
            "severity", "Severity", _one_of("severity", SEVERITY_BY_NAME),
            store=lambda v, _: SEVERITY_BY_NAME[v], column="severity",
            outward=SEVERITY_NAMES.__getitem__, default="major", reporter_may_edit=True,
            widget="select",
        ),
        IssueField(
            "priority", "Priority", _one_of("priority", PRIORITY_BY_NAME),
            store=lambda v, _: PRIORITY_BY_NAME[v], column="priority",
            outward=PRIORITY_NAMES.__getitem__, default="medium", widget="select",
        ),
        IssueField(
            "status", "Status", _name("status", optional=False),
            store=lambda v, r: r.state(v, "status"), column="status__name", outward=_lower,
            inline=False,
        ),
        IssueField(
            "resolution", "Resolution", _one_of("resolution", RESOLUTION_NAMES, optional=True),
            store=lambda v, _: v or "", column="resolution", outward=_none_if_empty,
            with_transition=True, inline=False, widget="select", clearable=True,
        ),
        IssueField(
            "assignee", "Assignee", _name("assignee", optional=True),
            store=lambda v, r: None if v is None else r.assignee(v),
            column="assignee__username", with_transition=True, widget="select", clearable=True,
        ),
        IssueField(
            "team", "Team", _name("team", optional=True),
            store=lambda v, r: None if v is None else r.team(v), column="team__slug",
            widget="select", clearable=True,
        ),
        IssueField(
            "due_date", "Due date", _date,
            store=lambda v, _: None if v is None else dt.date.fromisoformat(v),
            column="due_date", outward=_iso, with_transition=True, widget="date",
            clearable=True, query="due",
        ),
        IssueField(
            "labels", "Labels", _names("labels", max_length=MAX_LABEL),
            store=lambda v, r: r.labels(v), default=[], reporter_may_edit=True, widget="names",
        ),
        IssueField(
            "components", "Components", _names("components", max_length=MAX_NAME),
            store=lambda v, r: r.components(v), default=[], reporter_may_edit=True,
            widget="names",
        ),
        IssueField(
            "milestone", "Milestone", _name("milestone", optional=True),
            store=lambda v, r: None if v is None else r.milestone(v), column="milestone__name",
            with_transition=True, widget="select", clearable=True,
        ),
        IssueField(
            "confidential", "Confidential", _bool, column="confidential", default=False,
            edit_permission=Perm.MODERATE, widget="checkbox",
        ),
        # Sub-tasks: the parent is an issue of the same project (a key; update_issue refuses
        # a cycle). Edited by its own form on the issue page.
        # Minutes; the page shows and takes "3h 30m" (durations.py), the API minutes.
        IssueField(
            "estimate", "Estimate", _estimate, column="estimate",
            clearable=True,
        ),
        IssueField(
            "parent", "Parent", _parent, store=lambda v, r: None if v is None else r.parent(v),
            column="parent__number", issue_number=True, inline=False, clearable=True,
        ),
    )
}  # fmt: skip

EDITABLE_FIELDS: tuple[str, ...] = tuple(FIELDS)
# The page edits these in place, in this order.
INLINE_FIELDS: tuple[str, ...] = tuple(
    name for name in ("title", "description", "type", "priority", "severity", "assignee",
                      "team", "labels", "components", "milestone", "due_date", "estimate",
                      "confidential")
    if FIELDS[name].inline
)  # fmt: skip
REPORTER_FIELDS = frozenset(f.name for f in FIELDS.values() if f.reporter_may_edit)
TRANSITION_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.with_transition)
ROW_COLUMNS: tuple[str, ...] = tuple(f.column for f in FIELDS.values() if f.column)


def label_of(name: str) -> str:
    """A field's label; a name outside the table (history's `access`, `attachments`) reads
    as itself."""
    return FIELDS[name].label if name in FIELDS else name.replace("_", " ").capitalize()


def field_value(issue: Issue, name: str) -> Any:
    """The outside value of one field (labels/components need their rows prefetched)."""
    return FIELDS[name].read(issue)


def snapshot(issue: Issue, names: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Every field's outside value: a `created` event's record of a new issue. `names` gives
    labels/components of an issue whose rows are not saved yet (the importer's)."""
    names = names or {}
    return {
        name: names[name] if name in names else field.read(issue) for name, field in FIELDS.items()
    }


def priority_name(value: int) -> str:
    return PRIORITY_NAMES[value]


def row_values(row: dict[str, Any]) -> dict[str, Any]:
    """The outside values of the column fields of a `values(*ROW_COLUMNS)` row."""
    values = {}
    for name, column, outward in _ROW:
        value = row[column]
        values[name] = outward(value) if outward and value is not None else value
    for name, column in _KEYED:
        if row[column] is not None:
            values[name] = f"{row['project__key']}-{row[column]}"
    return values


_ROW = tuple((f.name, f.column, f.outward) for f in FIELDS.values() if f.column)
_KEYED = tuple((f.name, f.column) for f in FIELDS.values() if f.issue_number)
