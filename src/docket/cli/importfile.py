"""Load a Docket import file (JSON Lines: users, projects, issues) through the actions.

An import is idempotent and resumable. Every record it creates is remembered under the
import's *source* (`issues.models.ImportedRecord`), in the transaction that creates it, and
a record that source already brought in is skipped. So re-running an import after a crash,
or running the same file twice, imports only what is missing, and nothing twice.

- The source is a name: `--source NAME`, else the file's first line
  `{"kind": "source", "name": "acme-jira"}`, else the file's name (`stdin` for `-`). Name it
  when files are renamed, or when successive exports of one tracker should add up.
- A record's id in the source: users are their `username`, projects their `key`, issues
  their `"id"` (a string or an integer, unique within its project in the file) or, without
  one, a digest of the record's content (the nth identical record of a project counts as
  the nth). An issue and its comments are one unit: a skipped issue skips its comments.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from docket.accounts.actions import create_user
from docket.accounts.models import User
from docket.core.errors import Invalid
from docket.issues.imports import Origin, import_new_issues, remember
from docket.issues.models import ImportedRecord
from docket.projects.actions import add_component, add_milestone, create_project, set_member
from docket.projects.models import Component, Milestone, Project

KINDS = ("source", "user", "project", "issue")
MAX_SOURCE = 100
MAX_ID = 200


@dataclass
class ImportStats:
    source: str = ""
    users: int = 0
    projects: int = 0
    issues: int = 0
    comments: int = 0
    # already brought in by this source (or, for users and projects, already here)
    skipped_users: int = 0
    skipped_projects: int = 0
    skipped_issues: int = 0
    skipped_comments: int = 0


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
        if not isinstance(record, dict) or record.get("kind") not in KINDS:
            raise Invalid(
                f"line {number}: each line must be an object with kind source/user/project/issue"
            )
        yield number, record


def source_name(value: Any) -> str:
    """A source's name as given (`--source`, or a source line): 1–100 printable characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SOURCE or not value.isprintable():
        raise Invalid.field("source", f"must be 1–{MAX_SOURCE} printable characters")
    return value


def issue_source_id(project: str, record: dict[str, Any], seen: Counter[bytes]) -> str:
    """The issue's id in its source, scoped by its project (an export of several repositories
    may number each from 1): its `id`, else a digest of its content, so that an unchanged
    file gives every record the same id on every run. Pops `id` from `record`."""
    given = record.pop("id", None)
    if given is None:
        # Canonical (sorted keys, ASCII escapes), so a re-exported file with its keys in
        # another order or other spacing still matches; ~36 µs a record.
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode("ascii"))
        seen[digest.digest()[:16]] += 1
        count = seen[digest.digest()[:16]]
        return f"{project}/sha256:{digest.hexdigest()}" + (f"#{count}" if count > 1 else "")
    if isinstance(given, bool) or not isinstance(given, (str, int)):
        raise Invalid.field("id", "must be a string or an integer")
    text = str(given)
    if not 0 < len(text) <= MAX_ID or "\x00" in text:
        raise Invalid.field("id", f"must be 1–{MAX_ID} characters without NUL")
    return f"{project}/{text}"


def _comment_count(record: dict[str, Any]) -> int:
    comments = record.get("comments", [])
    return len(comments) if isinstance(comments, list) else 0


class _Loader:
    """One run over a file: what it has made, skipped and still holds to import."""

    def __init__(self, actor: User, source: str, batch_size: int, progress: Any) -> None:
        self.actor, self.batch_size, self.progress = actor, batch_size, progress
        self.stats = ImportStats(source=source)
        self.projects: dict[str, Project] = {}
        self.pending: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self.fingerprints: Counter[bytes] = Counter()

    def user(self, record: dict[str, Any]) -> None:
        if User.objects.filter(username=record["username"]).exists():
            self.stats.skipped_users += 1
            return
        with transaction.atomic():  # the user and the memory of it, together
            user = create_user(
                actor=None,
                username=record["username"],
                email=record.get("email", ""),
                full_name=record.get("name", ""),
            )
            remember(self.stats.source, ImportedRecord.Kind.USER, [(user.username, user.pk)])
        self.stats.users += 1

    def project(self, record: dict[str, Any]) -> None:
        """Create the project, or skip it if it is here; either way add what it lists and
        the project lacks (members, components, milestones)."""
        actor, project = self.actor, Project.objects.filter(key=record["key"]).first()
        if project is None:
            with transaction.atomic():
                project = create_project(
                    actor=actor,
                    key=record["key"],
                    name=record.get("name", record["key"]),
                    visibility=record.get("visibility", "private"),
                    workflow=record.get("workflow", "default"),
                    # a support desk stays one: customers see only their own tickets
                    reporters_see_own_only=record.get("reporters_see_own_only", False) is True,
                )
                made = [(project.key, project.pk)]
                remember(self.stats.source, ImportedRecord.Kind.PROJECT, made)
            self.stats.projects += 1
        else:
            self.stats.skipped_projects += 1
        for member in record.get("members", []):
            set_member(actor=actor, project=project, user=member["user"], role=member["role"])
        for name in record.get("components", []):
            if not Component.objects.filter(project=project, name=name).exists():
                add_component(actor=actor, project=project, name=name)
        for name in record.get("milestones", []):
            if not Milestone.objects.filter(project=project, name=name).exists():
                add_milestone(actor=actor, project=project, name=name)
        self.projects[project.key] = project

    def issue(self, number: int, record: dict[str, Any]) -> str | None:
        """Hold the issue for its project's batch; the project's key when the batch is full."""
        key = record.pop("project", None)
        if key not in self.projects:
            self.projects[key] = _known_project(key)
        source_id = issue_source_id(key, record, self.fingerprints)
        batch = self.pending.setdefault(key, [])
        batch.append((number, source_id, record))
        return key if len(batch) >= self.batch_size else None

    def flush(self, key: str) -> None:
        """Import the project's pending issues: one transaction, skipping those the source
        already brought in."""
        held = self.pending.pop(key, [])
        if not held:
            return
        records = [record for _, _, record in held]
        result = import_new_issues(
            actor=self.actor,
            project=self.projects[key],
            records=records,
            origin=Origin(self.stats.source, [source_id for _, source_id, _ in held]),
            where=[f"line {number}" for number, _, _ in held],
        )
        skipped = set(result.skipped)
        for position, record in enumerate(records):
            if position in skipped:
                self.stats.skipped_issues += 1
                self.stats.skipped_comments += _comment_count(record)
            else:
                self.stats.issues += 1
                self.stats.comments += _comment_count(record)
        if self.progress:
            self.progress(self.stats)

    def finish(self) -> ImportStats:
        for key in list(self.pending):
            self.flush(key)
        return self.stats


def _known_project(key: Any) -> Project:
    found = Project.objects.filter(key=key).first() if isinstance(key, str) else None
    if found is None:
        raise Invalid(f"issue names unknown project {key!r}; list projects first")
    return found


def load(
    actor: User,
    lines: Iterable[str],
    *,
    source: str | None = None,
    default_source: str = "import",
    batch_size: int = 1000,
    progress: Any = None,
) -> ImportStats:
    """Import everything in `lines` that the source has not brought in yet; issues go in
    batches (one transaction per batch). The source is `source`, else the file's source
    line, else `default_source` (the CLI passes the file's name)."""
    named = source_name(source) if source is not None else None
    loader: _Loader | None = None
    for number, record in read_records(lines):
        kind, full = record.pop("kind"), None
        try:
            if kind == "source":
                if loader is not None:
                    raise Invalid("a source line must be the file's first line")
                name = named or source_name(record.get("name"))
                loader = _Loader(actor, name, batch_size, progress)
                continue
            loader = loader or _Loader(actor, named or default_source, batch_size, progress)
            if kind == "user":
                loader.user(record)
            elif kind == "project":
                loader.project(record)
            else:
                full = loader.issue(number, record)
        except KeyError as exc:
            raise Invalid(f"line {number}: a {kind} needs {exc.args[0]!r}") from None
        except Invalid as exc:
            raise Invalid(f"line {number}: {exc.detail}", errors=exc.errors) from None
        if full is not None:
            loader.flush(full)  # its errors name their own lines
    loader = loader or _Loader(actor, named or default_source, batch_size, progress)
    return loader.finish()
