"""What a person may pick from in lists and forms: a project's labels, components, milestones
and states, the people of visible projects, and completions for the query bar. (The people an
issue can be assigned to: `issues.editing.assignable_people`.)

Reads only, each starting from a gate: values come from projects the viewer can see
(`visible_projects`), state names from `state_names(viewer)`, people only from the members of
visible projects — so a suggestion never reveals a private project's labels, states or people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.accounts.models import Team, User
from docket.issues.access import CONFIDENTIAL_ROLES, visible_issues
from docket.issues.models import Label
from docket.issues.query_fields import ISSUE_QUERY, state_names
from docket.projects.access import (
    known_people,
    own_tickets_only,
    project_roles,
    visible_projects,
)
from docket.projects.models import Component, Milestone, Project, WorkflowState
from docket.query import Kind
from docket.query.dates import FORMS

SUGGEST_LIMIT = 12
MAX_CHOICES = 200  # options listed for one form field (people, labels, components…)
# A token of the query ends at whitespace or a parenthesis (quotes are handled loosely:
# completing inside a quoted phrase still works on its last word).
BOUNDARY = re.compile(r"[\s()]")
NEEDS_QUOTES = re.compile(r"[\s(),\":]")


# --- choices for forms (create issue, bulk edit) ---------------------------------------------


def people_of_visible_projects(viewer: Who, prefix: str = "") -> QuerySet[User]:
    """Active people `viewer` may know of (projects.access.known_people: members of the
    projects they can see, but only the staff of a desk where they see their own tickets),
    usernames starting `prefix`."""
    people = User.objects.filter(known_people(viewer), is_active=True)
    if prefix:
        people = people.filter(username__istartswith=prefix)
    return people.distinct().order_by("username")


def visible_labels(viewer: Who, projects: QuerySet[Project]) -> QuerySet[Label]:
    """Labels of `projects` that `viewer` may know of. Labels come into being with the issues
    that carry them, so a label only hidden issues carry (a confidential finding, another
    customer's ticket) is itself hidden: people who see every issue of a project see all its
    labels; others only those on issues the gate lets them see."""
    insiders = [
        pid
        for pid in projects.values_list("id", flat=True)
        if not own_tickets_only_in(viewer, pid) and sees_confidential(viewer, pid)
    ]
    everything = Q(project_id__in=insiders)
    others = projects.exclude(id__in=insiders)
    if not others.exists():
        return Label.objects.filter(everything)
    on_visible = Label.objects.filter(
        project__in=others, issues__in=visible_issues(viewer).filter(project__in=others)
    )
    unused = Label.objects.filter(project__in=others, issues__isnull=True)  # reveal nothing
    return Label.objects.filter(everything | Q(pk__in=on_visible) | Q(pk__in=unused))


def project_labels(project: Project, viewer: Who) -> list[str]:
    rows = visible_labels(viewer, Project.objects.filter(pk=project.pk)).order_by("name")
    return list(rows.values_list("name", flat=True)[:MAX_CHOICES])


def project_components(project: Project) -> list[str]:
    rows = Component.objects.filter(project=project).order_by("name")
    return list(rows.values_list("name", flat=True)[:MAX_CHOICES])


def project_milestones(project: Project, *, open_only: bool = False) -> list[str]:
    """Open milestones first, then closed ones (unless `open_only`: a new issue's choices),
    each by due date."""
    rows = Milestone.objects.filter(project=project).order_by("closed", "due_date", "name")
    if open_only:
        rows = rows.filter(closed=False)
    return list(rows.values_list("name", flat=True)[:MAX_CHOICES])


def team_slugs() -> list[str]:
    """Every team an issue may be routed to (teams are site-wide), by slug."""
    return list(Team.objects.order_by("slug").values_list("slug", flat=True)[:MAX_CHOICES])


def project_states(project: Project) -> list[str]:
    """The project's workflow states in workflow order (names as issues show them)."""
    rows = WorkflowState.objects.filter(workflow_id=project.workflow_id).order_by("order", "id")
    return [name.lower() for name in rows.values_list("name", flat=True)]


def visible_state_names(viewer: Who) -> list[str]:
    return sorted({name.lower() for name in state_names(viewer)})


# --- query bar completions ---------------------------------------------------------------


@dataclass
class Suggestions:
    """Replace text[start:end] with one item's `value`. `kind`: "field" or "value"."""

    start: int
    end: int
    kind: str = "value"
    items: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "kind": self.kind, "items": self.items}


def _quoted(value: str) -> str:
    return f'"{value}"' if NEEDS_QUOTES.search(value) else value


def _matching(prefix: str, names: list[str], limit: int = SUGGEST_LIMIT) -> list[str]:
    wanted = prefix.lower()
    starts = [n for n in names if n.lower().startswith(wanted)]
    inside = [n for n in names if wanted and wanted in n.lower() and n not in starts]
    return (starts + inside)[:limit]


def _names(rows: QuerySet[Any], column: str, prefix: str) -> list[str]:
    if prefix:
        rows = rows.filter(**{f"{column}__icontains": prefix})
    found = rows.order_by(column).values_list(column, flat=True).distinct()[: SUGGEST_LIMIT * 4]
    return _matching(prefix, list(dict.fromkeys(found)))


def sees_confidential(viewer: Who, project_id: int) -> bool:
    return is_site_admin(viewer) or project_roles(viewer).get(project_id) in CONFIDENTIAL_ROLES


def own_tickets_only_in(viewer: Who, project_id: int) -> bool:
    return project_id in own_tickets_only(viewer)


def _projects(viewer: Who, project: Project | None) -> QuerySet[Project]:
    projects = visible_projects(viewer)
    return projects.filter(pk=project.pk) if project is not None else projects


def field_values(viewer: Who, name: str, prefix: str, project: Project | None = None) -> list[str]:
    """Values of query field `name` (or `is`, `has`, `sort`) starting with `prefix`, from
    what `viewer` may see (only `project`'s labels etc. when given)."""
    name = name.lower()
    if name == "is":
        return _matching(prefix, ISSUE_QUERY.flag_names)
    if name == "has":
        nullable = [f.name for f in ISSUE_QUERY.fields if f.nullable and f.available]
        return _matching(prefix, nullable)
    if name == "sort":
        sortable = [f.name for f in ISSUE_QUERY.fields if f.sort and f.available]
        both = [v for n in sortable for v in (n, f"{n}-desc")]
        return _matching(prefix, both)
    found = ISSUE_QUERY.field(name)
    if found is None or not found.available:
        return []
    extra = ["none"] if found.nullable else []
    if found.kind == Kind.ENUM:
        return _matching(prefix, [value for value, _ in found.values] + extra)
    if found.kind == Kind.BOOL:
        return _matching(prefix, ["true", "false"])
    if found.kind in (Kind.DATE, Kind.DATETIME):
        return _matching(prefix, [f for f in FORMS if f != "YYYY-MM-DD"] + extra)
    if found.kind == Kind.USER:
        people = people_of_visible_projects(viewer, prefix)
        names = list(people.values_list("username", flat=True)[:SUGGEST_LIMIT])
        teams = [f"team:{slug}" for slug in team_slugs()] if found.name == "assignee" else []
        return _matching(prefix, ["@me", *extra]) + names + _matching(prefix, teams)
    if found.name == "team":
        return _matching(prefix, [*team_slugs(), *extra])
    if found.name == "status":
        return _matching(prefix, visible_state_names(viewer))
    if found.name == "project":
        keys = _projects(viewer, None).order_by("key").values_list("key", flat=True)
        return _matching(prefix, [k.lower() for k in keys])
    models: dict[str, Any] = {"labels": Label, "components": Component, "milestone": Milestone}
    if found.name == "labels":
        rows = visible_labels(viewer, _projects(viewer, project))
        return _names(rows, "name", prefix) + _matching(prefix, extra)
    if found.name in models:
        rows = models[found.name].objects.filter(project__in=_projects(viewer, project))
        return _names(rows, "name", prefix) + _matching(prefix, extra)
    return []


def _token_bounds(text: str, cursor: int) -> tuple[int, int]:
    start = cursor
    while start > 0 and not BOUNDARY.match(text[start - 1]):
        start -= 1
    end = cursor
    while end < len(text) and not BOUNDARY.match(text[end]):
        end += 1
    return start, end


def suggest(
    viewer: Who, text: str, cursor: int | None = None, *, project: Project | None = None
) -> Suggestions:
    """Completions for the query-bar word at `cursor` (default: the end of `text`): field
    names while typing a word, values after `field:` (or after a comma in a list)."""
    cursor = len(text) if cursor is None else max(0, min(cursor, len(text)))
    start, end = _token_bounds(text, cursor)
    token = text[start:cursor]
    if token.startswith("-"):
        start, token = start + 1, token[1:]
    if ":" not in token:
        if not token or not re.fullmatch(r"[A-Za-z_]+", token):
            return Suggestions(cursor, cursor)
        names = [f.name for f in ISSUE_QUERY.fields if f.available] + ["is", "has", "sort"]
        items = [{"value": f"{n}:", "label": f"{n}:"} for n in _matching(token, names)]
        return Suggestions(start, end, "field", items)
    name, _, rest = token.partition(":")
    op = re.match(r"[<>]=?", rest)
    value_start = start + len(name) + 1 + (op.end() if op else 0)
    rest = rest[op.end() :] if op else rest
    if "," in rest:
        value_start += rest.rindex(",") + 1
        rest = rest[rest.rindex(",") + 1 :]
    after = text[cursor:end]
    value_end = cursor + (after.index(",") if "," in after else len(after))
    prefix = rest.lstrip('"')
    values = field_values(viewer, name, prefix, project)
    items = [{"value": _quoted(v), "label": v} for v in dict.fromkeys(values)]
    return Suggestions(value_start, value_end, "value", items[:SUGGEST_LIMIT])
