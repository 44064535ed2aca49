"""Exports: a project, or the result of a query, as CSV or as Docket's JSON Lines.

Only what the caller can see: every export starts from `issues.access.visible_issues` and the
query language's compiled filter, exactly as the issue list does (`queries.filtered_issues`,
`compile_issue_query`), so a private project's issues, confidential issues and other
customers' tickets on a support desk never appear, nor their comments or history.

Both formats stream: issues are read with `.iterator(chunk_size=CHUNK)` and each chunk's
names, comments and events are fetched for that chunk alone, so memory holds one chunk, not
the export. Each chunk's text is yielded as soon as it is written.

- CSV: one row per issue, the columns of the issue field table (`COLUMNS`; `columns=` picks
  and orders them). Cells that a spreadsheet would run as a formula (starting with = + - @,
  a tab or a carriage return) get a leading single quote (OWASP "CSV injection").
- JSON: the JSON Lines `docket import` reads (cli/importfile.py, issues/imports.py): a source
  line, the users the issues name, each project, then each issue with its comments and its
  history (original actors, times and versions), so an export imports into another Docket
  with history intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest, StreamingHttpResponse

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Actor, Who
from docket.accounts.models import User
from docket.core.errors import BadParameter
from docket.issues import custom_fields, links
from docket.issues.fields import FIELDS
from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.issues.queries import ROW_FIELDS, IssueFilter, filtered_issues, rows_out
from docket.issues.query_fields import compile_issue_query
from docket.projects.access import get_project_for, load_roles, project_roles
from docket.projects.models import Project
from docket.query import QueryError

CHUNK = 200  # issues per read: one names query (and for JSON one comments, one events query) each
FORMATS = ("csv", "json")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = ", "
# Comments bring their own events on import; an edit or deletion names a comment.
COMMENT_KINDS = (EventKind.COMMENTED, EventKind.COMMENT_EDITED, EventKind.COMMENT_DELETED)


# --- what to export -----------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The issues of one export: visible to the caller, in a project (or all), matching a
    query, in the query's order."""

    issues: QuerySet[Issue]
    projects: list[Project]
    viewer: Who  # whose gate: keys of issues they may not see are left out of every record


def select(
    actor: Who, *, project: str | None = None, query: str = "", sort: str | None = None
) -> Selection:
    """The caller's visible issues of `project` (a key; all visible projects if None) that
    match `query`, in its order or `sort`'s (as the list's `sort=`, which overrides the
    query's `sort:`). A project the caller cannot see is NotFound; a bad query is QueryError
    (400 with its position), a bad sort a 400 on `sort`, as on the list."""
    scope = IssueFilter()
    if project:
        scope.projects = [get_project_for(actor, project).key]
    where, ordering = compile_issue_query(query, actor)
    if sort:
        ordering = _sorted_by(sort, actor)
    issues = filtered_issues(actor, scope, query).filter(where)
    project_ids = issues.order_by().values("project_id").distinct()
    projects = list(Project.objects.filter(pk__in=project_ids).select_related("workflow"))
    return Selection(issues.order_by(*ordering), projects, actor)


def _sorted_by(sort: str, actor: Who) -> list[OrderBy]:
    """`priority-desc` or `-priority` as the list reads its `sort=`."""
    term = f"{sort[1:]}-desc" if sort.startswith("-") else sort
    try:
        return compile_issue_query(f"sort:{term}", actor)[1]
    except QueryError as exc:
        raise BadParameter.field("sort", exc.message) from None


def _rows(issues: QuerySet[Issue], viewer: Who) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """(id, the issue in the API shape: `queries.rows_out`), a chunk at a time."""
    chunk: list[dict[str, Any]] = []
    for row in issues.values(*ROW_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            # the raw rows go before the text is written
            shaped, chunk = _shaped(chunk, viewer), []
            yield shaped
    if chunk:
        yield _shaped(chunk, viewer)


def _shaped(rows: list[dict[str, Any]], viewer: Who) -> list[tuple[int, dict[str, Any]]]:
    shaped = rows_out(rows)
    links.mask_hidden_parents(viewer, shaped)
    return list(zip([row["id"] for row in rows], shaped, strict=True))


# --- CSV ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _field(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda issue: _text(issue[name])


# Column name -> how a cell reads from an API-shaped issue. The editable fields come from the
# field table (fields.py), in its order; then who filed it, when, and the read-only summary.
COLUMNS: dict[str, Callable[[dict[str, Any]], str]] = {
    "key": _field("key"),
    "project": _field("project"),
    **{name: _field(name) for name in FIELDS},
    "reporter": _field("reporter"),
    "created": _field("created_at"),
    "updated": _field("updated_at"),
    "resolved": _field("resolved_at"),
    "status_category": _field("status_category"),
    "version": _field("version"),
    "sla_state": _field("sla_state"),
    "sla_due_at": _field("sla_due_at"),
}
DEFAULT_COLUMNS = (
    "key", "title", "type", "status", "priority", "severity", "assignee", "reporter", "team",
    "labels", "components", "milestone", "due_date", "created", "updated", "resolved",
    "resolution", "confidential",
)  # fmt: skip
ALIASES = {"due": "due_date", "created_at": "created", "updated_at": "updated"}


def chosen_columns(text: str | None) -> list[str]:
    """The columns a `columns=` parameter names (comma-separated, in its order; the list's
    `due` and the API's `created_at` spellings too), else the default ones. An unknown name
    is a 400 naming it and the choices."""
    if not text or not text.strip():
        return list(DEFAULT_COLUMNS)
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    names = [ALIASES.get(name, name) for name in names]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise BadParameter.field(
            "columns", f"unknown column {unknown[0][:50]!r}; use any of: {', '.join(COLUMNS)}"
        )
    return list(dict.fromkeys(names))


def defuse(cell: str) -> str:
    """A cell a spreadsheet would take for a formula, quoted so it shows as text."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


class _Line:
    """A file-like that hands back what the csv writer writes (one row's text)."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(selection: Selection, columns: list[str]) -> Iterator[str]:
    """The CSV text of `selection`: a header, then a chunk of rows at a time."""
    writer = csv.writer(_Line())
    yield writer.writerow([defuse(name) for name in columns])
    cells = [COLUMNS[name] for name in columns]
    for chunk in _rows(selection.issues, selection.viewer):
        yield "".join(
            writer.writerow([defuse(cell(issue)) for cell in cells]) for _, issue in chunk
        )


# --- JSON Lines -----------------------------------------------------------------------------


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def source_name() -> str:
    """The import source an export names: this site, so a later export of the same projects
    imports only what is new, and two sites' exports never pass for each other."""
    host = urlsplit(settings.BASE_URL).netloc or "docket"
    return f"docket-export:{host}"[:100]


def json_chunks(actor: Who, selection: Selection) -> Iterator[str]:
    """The JSON Lines of `selection` as `docket import` reads them: source, users, projects,
    issues (with comments and history), a chunk of issues at a time."""
    yield _line({"kind": "source", "name": source_name()})
    people = _people(selection.issues)
    show_email = is_site_admin(actor)
    for user in people:
        record = {"kind": "user", "username": user.username, "name": user.get_full_name()}
        if show_email:  # addresses are for site admins (the people API shows them no more)
            record["email"] = user.email
        yield _line(record)
    roles = _roles_of(people)
    for project in selection.projects:
        yield _line(_project_record(project, roles))
    # In each project's numbering order, so an import numbers them alike (when none is
    # left out) whatever order the query asked for.
    for chunk in _rows(selection.issues.order_by("project__key", "number"), actor):
        ids = [pk for pk, _ in chunk]
        comments, history = _comments_of(ids), _history_of(ids, actor)
        custom = custom_fields.values_by_issue(ids)  # custom fields: those set, by name
        yield "".join(
            _line(
                _issue_record(issue, comments.get(pk, []), history.get(pk, []))
                | ({"custom_fields": custom[pk]} if pk in custom else {})
            )
            for pk, issue in chunk
        )


def _people(issues: QuerySet[Issue]) -> list[User]:
    """Everyone the exported issues name: reporters, assignees, comment authors, actors."""
    ids = issues.order_by().values("pk")
    named = (
        Q(pk__in=issues.order_by().values("reporter_id"))
        | Q(pk__in=issues.order_by().values("assignee_id"))
        | Q(pk__in=_comments(ids).values("author_id"))
        | Q(pk__in=_events(ids).values("actor_id"))
    )
    return list(User.objects.filter(named).order_by("username"))


def _roles_of(people: list[User]) -> dict[str, dict[int, str]]:
    """Each person's project roles, direct or through a team (so an assignee who is one
    through a team stays assignable after import): two queries for them all."""
    actors = [Actor(user) for user in people]
    load_roles(actors)
    return {actor.username: project_roles(actor) for actor in actors}


def _project_record(project: Project, roles: dict[str, dict[int, str]]) -> dict[str, Any]:
    members = [
        {"user": username, "role": held[project.pk]}
        for username, held in roles.items()
        if project.pk in held
    ]
    return {
        "kind": "project",
        "key": project.key,
        "name": project.name,
        "visibility": project.visibility,
        "workflow": project.workflow.template,
        "reporters_see_own_only": project.reporters_see_own_only,
        "members": members,
        "components": list(project.components.order_by("name").values_list("name", flat=True)),
        "milestones": list(project.milestones.order_by("name").values_list("name", flat=True)),
    }


def _comments(issue_ids: Any) -> QuerySet[Comment]:
    # Internal notes stay in Docket, whoever exports: an import has no internal notes, so a
    # round trip would publish them.
    return Comment.objects.filter(issue_id__in=issue_ids, deleted_at__isnull=True, internal=False)


def _events(issue_ids: Any) -> QuerySet[IssueEvent]:
    return IssueEvent.objects.filter(issue_id__in=issue_ids).exclude(kind__in=COMMENT_KINDS)


def _comments_of(issue_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    rows = _comments(issue_ids).order_by("issue_id", "id")
    for issue_id, author, body, at in rows.values_list(
        "issue_id", "author__username", "body", "created_at"
    ):
        found.setdefault(issue_id, []).append({"author": author, "body": body, "created_at": at})
    return found


def _history_of(issue_ids: list[int], viewer: Who) -> dict[int, list[dict[str, Any]]]:
    """Each issue's events; a linked issue or a parent `viewer` may not see is blanked as in
    the history API (issues/links.mask_hidden)."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = _events(issue_ids).order_by("issue_id", "id")
    for issue_id, kind, actor, field, old, new, version, at in rows.values_list(
        "issue_id", "kind", "actor__username", "field", "old", "new", "version", "created_at"
    ):
        event = {"kind": kind, "actor": actor, "at": at, "version": version}
        if field:
            event["field"] = field
        event.update(old=old, new=new)
        found.setdefault(issue_id, []).append(event)
    for events in found.values():
        links.mask_hidden(viewer, events)
    return found


def _issue_record(
    issue: dict[str, Any], comments: list[dict[str, Any]], history: list[dict[str, Any]]
) -> dict[str, Any]:
    record: dict[str, Any] = {"kind": "issue", "project": issue["project"], "id": issue["number"]}
    # Not the parent: an import numbers issues afresh, so a parent's key would name another
    # issue, or none (docs/import-export.md); the CSV shows it.
    kept = (name for name in FIELDS if name != "parent")
    record.update({name: issue[name] for name in kept if issue[name] is not None})
    record.update(
        reporter=issue["reporter"],
        created_at=issue["created_at"],
        updated_at=issue["updated_at"],
        comments=comments,
        history=history,
    )
    if issue["resolved_at"] is not None:
        record["resolved_at"] = issue["resolved_at"]
    return record


# --- the response -------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """One export asked for: its format, CSV columns, and the file name to offer."""

    format: str
    columns: list[str]
    filename: str


def asked(form: str | None, columns: str | None, project: str | None) -> Export:
    """What `format=` and `columns=` ask for; a 400 naming the parameter otherwise."""
    chosen = (form or "csv").strip().lower()
    if chosen not in FORMATS:
        raise BadParameter.field("format", f"must be one of: {', '.join(FORMATS)}")
    base = f"{project.upper()}-issues" if project else "issues"
    extension = "csv" if chosen == "csv" else "jsonl"
    return Export(chosen, chosen_columns(columns), f"{base}.{extension}")


def chunks(actor: Who, selection: Selection, export: Export) -> Iterator[str]:
    if export.format == "csv":
        return csv_chunks(selection, export.columns)
    return json_chunks(actor, selection)


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson"}


def streaming_response(
    request: HttpRequest, actor: Who, selection: Selection, export: Export
) -> StreamingHttpResponse:
    """The export as a download, written while it is sent."""
    text = (part.encode() for part in chunks(actor, selection, export))
    # Django's ASGI handler would read a plain iterator to the end before sending (it lists
    # it in a thread); pull it a chunk at a time instead, always on one thread (its
    # database connection).
    body = _pulled(text) if isinstance(request, ASGIRequest) else text
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPES[export.format])
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


_DONE = object()  # the end of the parts (`next`'s default)


async def _pulled(parts: Iterator[bytes]) -> AsyncIterator[bytes]:
    pull = sync_to_async(_next_or_done, thread_sensitive=True)
    try:
        while (part := await pull(parts)) is not _DONE:
            yield part
    finally:
        # The thread that read is the request's own: close what it opened.
        await sync_to_async(connections.close_all, thread_sensitive=True)()


def _next_or_done(parts: Iterator[bytes]) -> Any:
    return next(parts, _DONE)


def write_to(out: Any, parts: Iterable[str]) -> int:
    """Write an export to a text file (the CLI); returns the characters written."""
    written = 0
    for part in parts:
        out.write(part)
        written += len(part)
    return written
