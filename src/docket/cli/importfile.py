"""Load a Docket import file (JSON Lines: users, projects, issues) through the actions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from docket.accounts.actions import create_user
from docket.accounts.models import User
from docket.core.errors import Invalid
from docket.issues.imports import import_issues
from docket.projects.actions import add_component, add_milestone, create_project, set_member
from docket.projects.models import Component, Milestone, Project


@dataclass
class ImportStats:
    users: int = 0
    projects: int = 0
    issues: int = 0
    comments: int = 0


def read_records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each non-blank line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Invalid(
                f"line {number}: malformed JSON at column {exc.colno}: {exc.msg}"
            ) from None
        if not isinstance(record, dict) or record.get("kind") not in ("user", "project", "issue"):
            raise Invalid(
                f"line {number}: each line must be an object with kind user/project/issue"
            )
        yield number, record


def _user(record: dict[str, Any], stats: ImportStats) -> None:
    if not User.objects.filter(username=record["username"]).exists():
        create_user(
            actor=None,
            username=record["username"],
            email=record.get("email", ""),
            full_name=record.get("name", ""),
        )
        stats.users += 1


def _project(actor: User, record: dict[str, Any], stats: ImportStats) -> Project:
    project = Project.objects.filter(key=record["key"]).first()
    if project is None:
        project = create_project(
            actor=actor,
            key=record["key"],
            name=record.get("name", record["key"]),
            visibility=record.get("visibility", "private"),
        )
        stats.projects += 1
    for member in record.get("members", []):
        set_member(actor=actor, project=project, user=member["user"], role=member["role"])
    for name in record.get("components", []):
        if not Component.objects.filter(project=project, name=name).exists():
            add_component(actor=actor, project=project, name=name)
    for name in record.get("milestones", []):
        if not Milestone.objects.filter(project=project, name=name).exists():
            add_milestone(actor=actor, project=project, name=name)
    return project


def _known_project(key: Any) -> Project:
    found = Project.objects.filter(key=key).first() if isinstance(key, str) else None
    if found is None:
        raise Invalid(f"issue names unknown project {key!r}; list projects first")
    return found


def load(
    actor: User, lines: Iterable[str], *, batch_size: int = 1000, progress: Any = None
) -> ImportStats:
    """Import everything in `lines`; issues go in batches (one transaction per batch)."""
    stats = ImportStats()
    projects: dict[str, Project] = {}
    pending: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def flush(key: str) -> None:
        numbered = pending.pop(key, [])
        batch = [record for _, record in numbered]
        if batch:
            lines_of = [f"line {number}" for number, _ in numbered]
            import_issues(actor=actor, project=projects[key], records=batch, where=lines_of)
            stats.issues += len(batch)
            stats.comments += sum(len(r.get("comments", [])) for r in batch)
            if progress:
                progress(stats)

    for number, record in read_records(lines):
        kind = record.pop("kind")
        try:
            if kind == "user":
                _user(record, stats)
            elif kind == "project":
                projects[record["key"]] = _project(actor, record, stats)
            else:
                key = record.pop("project", None)
                if key not in projects:
                    projects[key] = _known_project(key)
                pending.setdefault(key, []).append((number, record))
        except KeyError as exc:
            raise Invalid(f"line {number}: a {kind} needs {exc.args[0]!r}") from None
        except Invalid as exc:
            raise Invalid(f"line {number}: {exc.detail}", errors=exc.errors) from None
        if kind == "issue" and len(pending[key]) >= batch_size:
            flush(key)
    for key in list(pending):
        flush(key)
    return stats
